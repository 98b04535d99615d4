"""Cron runs report news, not repetitions: a register that stays busy is mentioned once.

A workbook someone keeps open, or a Google Sheet that does not answer, makes every cron sync fail
the same way; cron mails whatever a run prints, so a message every five minutes would bury the
office's mailbox. The last state is remembered in ``<state_dir>/dip-<name>.cron.json``: the first
failure of a series is printed, the repeats are silent (with the same exit code), and the first
run that works again says so once. Only cron runs read and write this state.
"""

from __future__ import annotations

import datetime as dt
import json
import os
from pathlib import Path

from .errors import AlreadyRunning, BackendUnavailable, DipError
from .messages import Message


def state_file(state_dir: Path, name: str) -> Path:
    return state_dir / f"dip-{name}.cron.json"


def worth_reporting(state_dir: Path, name: str, error: DipError, now: dt.datetime) -> bool:
    """Whether a cron run that failed with ``error`` should print it.

    Another run holding the lock is normal under cron (never reported); an unreachable or busy
    register is reported the first time in a row only; every other error is always reported.
    """
    if isinstance(error, AlreadyRunning):
        return False
    if not isinstance(error, BackendUnavailable):
        return True
    path = state_file(state_dir, name)
    if path.exists():
        return False
    state_dir.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.{os.getpid()}")
    temporary.write_text(json.dumps({"unavailable_since": now.isoformat()}), encoding="utf-8")
    temporary.replace(path)
    return True


def back_to_normal(state_dir: Path, name: str) -> Message | None:
    """After a cron run that reached the register: one message if earlier runs could not."""
    path = state_file(state_dir, name)
    try:
        since = str(json.loads(path.read_text(encoding="utf-8")).get("unavailable_since", ""))
    except FileNotFoundError:
        return None
    except (OSError, ValueError, AttributeError):
        since = ""
    path.unlink(missing_ok=True)
    when_id = f" (tidak dapat diproses sejak {since})" if since else ""
    when_en = f" (unavailable since {since})" if since else ""
    return Message(f"Register '{name}' dapat diproses lagi{when_id}.",
                   f"Register '{name}' can be processed again{when_en}.")
