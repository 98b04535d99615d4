"""The run log: one line per run in ``<state_dir>/dip.log``, rotated, so cron runs leave a trace."""

from __future__ import annotations

import logging
from logging.handlers import RotatingFileHandler
from pathlib import Path
from typing import Any

LOG_NAME = "dip.log"
MAX_BYTES = 1_000_000
BACKUPS = 5


def run_logger(folder: Path) -> logging.Logger:
    """A logger writing to ``folder/dip.log`` (1 MB x 5 files); one handler per file, however often asked."""
    folder.mkdir(parents=True, exist_ok=True)
    path = (folder / LOG_NAME).resolve()
    logger = logging.getLogger(f"dip_sheets.run.{path}")
    if not logger.handlers:
        handler = RotatingFileHandler(path, maxBytes=MAX_BYTES, backupCount=BACKUPS, encoding="utf-8")
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(message)s"))
        logger.addHandler(handler)
        logger.setLevel(logging.INFO)
        logger.propagate = False
    return logger


def summary_line(command: str, register: str, summary: dict[str, Any]) -> str:
    """``sync utama: 20 baris, 3 ID baru, 41 sel ditulis, 7 bermasalah`` (no secrets, no cell text)."""
    if command == "publish":
        return (f"publish {register}: {summary.get('status')} versi {summary.get('version')},"
                f" {summary.get('bytes_uploaded', 0)} bita")
    return (
        f"{command} {register}: {summary.get('rows_read', 0)} baris,"
        f" {len(summary.get('ids_assigned', []))} ID baru, {summary.get('cells_written', 0)} sel ditulis,"
        f" {len(summary.get('problems', {}))} bermasalah"
    )
