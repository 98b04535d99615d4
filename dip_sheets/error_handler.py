"""The one place where a run of ``dip`` ends in an error: one sentence, an exit code, a log entry.

Expected failures (:class:`~dip_sheets.errors.DipError`) are one sentence in the chosen language
with their exit code. Anything else is a bug or an environment problem: its traceback always goes
into ``dip.log`` (in the configuration's ``state_dir`` once known, else the current folder), and
the person reads one sentence saying where the details are. ``--debug`` also prints the traceback
and turns on the ``dip_sheets`` loggers at DEBUG level on stderr; like ``dip.log`` it passes
through :func:`~dip_sheets.redact.redact`.
"""

from __future__ import annotations

import errno
import logging
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from .errors import DipError
from .messages import Message, printable
from .output import json_text
from .redact import redact, shown
from .runlog import RedactingFormatter, record_error

log = logging.getLogger(__name__)

#: exit code of an unexpected error and of an interrupted run.
FAILED = 1


@dataclass
class Place:
    """Where the details of an unexpected error go: the ``state_dir`` of the configuration being
    run, set by the caller as soon as it is known; ``None`` means the current folder."""

    folder: Path | None = None


@contextmanager
def debug_logging(enabled: bool) -> Iterator[None]:
    """With ``--debug``, every ``dip_sheets`` log record at DEBUG and above goes to stderr."""
    if not enabled:
        yield
        return
    logger = logging.getLogger("dip_sheets")
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(RedactingFormatter("%(levelname)s %(name)s: %(message)s"))
    saved = logger.level
    logger.addHandler(handler)
    logger.setLevel(logging.DEBUG)
    try:
        yield
    finally:
        logger.removeHandler(handler)
        logger.setLevel(saved)


def guarded(body: Callable[[Place], int], *, command: str, lang: str, debug: bool,
            as_json: bool) -> int:
    """Run ``body`` and turn whatever it raises into a sentence and an exit code."""
    place = Place()
    with debug_logging(debug):
        try:
            return body(place)
        except DipError as error:
            return _fail(error.msg, error.exit_code, lang, as_json)
        except KeyboardInterrupt:
            return _fail(Message("Dihentikan.", "Interrupted."), FAILED, lang, as_json)
        except Exception as error:  # a bug or the environment: details to dip.log
            log.debug("unexpected error", exc_info=error)  # the traceback, with --debug
            code = ENVIRONMENT_CODES.get(error.errno or 0, FAILED) if isinstance(error, OSError) else FAILED
            return _fail(unexpected(error, _record(place, command, error)), code, lang, as_json)


#: what the file system said, in words a PPID officer reads
OS_REASONS = {
    errno.ENOSPC: Message("disk penuh", "the disk is full"),
    errno.EDQUOT: Message("kuota disk habis", "the disk quota is used up"),
    errno.EACCES: Message("izin ditolak", "permission denied"),
    errno.EPERM: Message("tidak diizinkan", "not permitted"),
    errno.EROFS: Message("disk hanya dapat dibaca", "the disk is read-only"),
    errno.EISDIR: Message("itu sebuah folder, bukan berkas", "it is a folder, not a file"),
    errno.ENOTDIR: Message("bagian path-nya bukan folder", "part of the path is not a folder"),
    errno.ENOENT: Message("tidak ada", "it does not exist"),
    errno.ENAMETOOLONG: Message("namanya terlalu panjang", "its name is too long"),
    errno.EEXIST: Message("sudah ada berkas dengan nama itu", "a file of that name already exists"),
}
#: a path that names the wrong thing is the configuration's fault (2); a full or read-only disk is
#: the machine's state, to be fixed and retried (3); anything else stays 1
ENVIRONMENT_CODES = {
    errno.EACCES: 2, errno.EPERM: 2, errno.EISDIR: 2, errno.ENOTDIR: 2, errno.ENOENT: 2,
    errno.ENAMETOOLONG: 2, errno.EEXIST: 2, errno.ENOSPC: 3, errno.EDQUOT: 3, errno.EROFS: 3,
}


def unexpected(error: Exception, details: Path | None) -> Message:
    """One sentence: what kind of failure, and where its details are."""
    if details is None:
        where = Message("rinciannya tidak dapat dicatat di dip.log; jalankan lagi dengan --debug.",
                        "its details could not be written to dip.log; run again with --debug.")
    else:
        where = Message(f"rinciannya tercatat di {details}.", f"the details are in {details}.")
    if isinstance(error, OSError):
        reason = OS_REASONS.get(error.errno or 0, Message(error.strerror or type(error).__name__,
                                                          error.strerror or type(error).__name__))
        name = f" '{shown(str(error.filename))}'" if error.filename is not None else ""
        return Message(f"Berkas atau folder{name} tidak dapat dipakai: {reason.id}. Periksa path itu"
                       f" di dip.toml dan izin foldernya; {where.id}",
                       f"File or folder{name} cannot be used: {reason.en}. Check that path in dip.toml"
                       f" and the folder's permissions; {where.en}")
    kind = type(error).__name__
    return Message(f"Kesalahan tak terduga ({kind}); {where.id} Laporkan berkas itu kepada"
                   " pengelola dip-sheets.",
                   f"Unexpected error ({kind}); {where.en} Report that file to whoever maintains"
                   " dip-sheets.")


def _record(place: Place, command: str, error: Exception) -> Path | None:
    """The traceback into ``dip.log``: the state folder, else the current folder."""
    folders = [place.folder, Path.cwd()] if place.folder is not None else [Path.cwd()]
    for folder in folders:
        try:
            return record_error(folder, f"dip {command}: kesalahan tak terduga", error)
        except OSError:
            continue
    return None


def _fail(message: Message, code: int, lang: str, as_json: bool) -> int:
    text = redact(message.text(lang))
    print(printable(text), file=sys.stderr)
    if as_json:
        print(json_text({"error": text, "exit_code": code}, indent=None))
    return code
