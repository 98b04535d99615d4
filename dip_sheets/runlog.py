"""The run log: one line per run in ``<state_dir>/dip.log``, rotated, so cron runs leave a trace.

The log also receives the traceback of an unexpected error (see :mod:`dip_sheets.error_handler`),
so it is private to its owner: created ``0600``, tightened when an older version left it wider,
rotated files included, and every record passes through :func:`~dip_sheets.redact.redact`.
"""

from __future__ import annotations

import io
import logging
import os
from logging.handlers import RotatingFileHandler
from pathlib import Path
from typing import Any

from .redact import redact

LOG_NAME = "dip.log"
MAX_BYTES = 1_000_000
BACKUPS = 5
PRIVATE = 0o600


class RedactingFormatter(logging.Formatter):
    """A formatter whose output, traceback included, never carries key material."""

    def format(self, record: logging.LogRecord) -> str:
        return redact(super().format(record))


class PrivateFileHandler(RotatingFileHandler):
    """A rotating handler whose files only their owner can read; failures are remembered, not
    printed (a full disk must not turn a run's last line into a traceback on the terminal)."""

    def __init__(self, path: Path) -> None:
        for number in range(1, BACKUPS + 1):
            _tighten(Path(f"{path}.{number}"))
        super().__init__(path, maxBytes=MAX_BYTES, backupCount=BACKUPS, encoding="utf-8")
        self.failed = False

    def _open(self) -> io.TextIOWrapper:
        handle = os.open(self.baseFilename, os.O_WRONLY | os.O_APPEND | os.O_CREAT, PRIVATE)
        os.fchmod(handle, PRIVATE)
        return open(handle, "a", encoding=self.encoding, errors=self.errors)

    def handleError(self, record: logging.LogRecord) -> None:
        self.failed = True


def _tighten(path: Path) -> None:
    try:
        if path.stat().st_mode & 0o777 != PRIVATE:
            path.chmod(PRIVATE)
    except FileNotFoundError:
        pass


def run_logger(folder: Path) -> logging.Logger:
    """A logger writing to ``folder/dip.log`` (1 MB x 5 files); one handler per file, however often asked."""
    folder.mkdir(parents=True, exist_ok=True)
    path = (folder / LOG_NAME).resolve()
    logger = logging.getLogger(f"dip_sheets.run.{path}")
    if not logger.handlers:
        handler = PrivateFileHandler(path)
        handler.setFormatter(RedactingFormatter("%(asctime)s %(levelname)s %(message)s"))
        logger.addHandler(handler)
        logger.setLevel(logging.INFO)
        logger.propagate = False
    else:
        _tighten(path)  # the file may have been replaced since
    return logger


def record_error(folder: Path, what: str, error: BaseException) -> Path:
    """Append ``what`` and the traceback of ``error`` to ``folder/dip.log``; return the file.

    Raises :class:`OSError` when the file cannot be written, so the caller can say so.
    """
    logger = run_logger(folder)
    handlers = [h for h in logger.handlers if isinstance(h, PrivateFileHandler)]
    for handler in handlers:
        handler.failed = False
    logger.error(what, exc_info=error)
    if any(h.failed for h in handlers):
        raise OSError(f"{folder / LOG_NAME} tidak dapat ditulis")
    return folder.resolve() / LOG_NAME


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
