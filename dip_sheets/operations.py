"""The commands that change the register or the site, each under the register's run lock.

``init``, ``sync``, ``publish`` and ``rollback`` all write the register or the published site, so
all of them take the same lock (:func:`~dip_sheets.lock.run_lock`): an ``init`` can no longer
race a sync and lose its writes, nor a rollback switch the site while a publish uploads. A command
a person types waits up to :data:`MANUAL_WAIT` seconds for a running (cron) sync; ``sync`` itself
does not wait, because under cron the next run comes in a few minutes anyway.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager

from . import schema as s
from .config import Config
from .errors import ConfigError
from .lock import run_lock
from .messages import Message
from .publish import Manifest, Progress, PublishResult, publish, rollback
from .register import Layout, Register
from .sync import SyncResult
from .sync import run as run_sync
from .targets import Target

log = logging.getLogger(__name__)

#: seconds a command typed by a person waits for another run to finish before exit code 4.
MANUAL_WAIT = 120.0
#: longest ``--by``: a name and a title, not a paragraph.
MAX_BY = 100


@contextmanager
def exclusive(config: Config, wait: float = 0.0) -> Iterator[None]:
    """Hold the run lock of ``config``'s register (see the module docstring)."""
    log.debug("waiting up to %.0f s for the run lock of %s", wait, config.name)
    with run_lock(config.state_dir, config.name, wait=wait):
        log.debug("run lock of %s taken", config.name)
        yield


def init(config: Config, register: Register) -> list[Message]:
    """Create or repair the register's layout; what was done, one message per change."""
    with exclusive(config, MANUAL_WAIT):
        return register.init(Layout(s.TABS, config.units, config.roles))


def sync(config: Config, register: Register, *, dry_run: bool = False) -> SyncResult:
    with exclusive(config):
        return run_sync(register, config.units, config.now(), dry_run=dry_run)


def publish_site(config: Config, register: Register, target: Target, *, by: str | None,
                 dry_run: bool, force: bool, progress: Progress, adopt: bool = False) -> PublishResult:
    if by is not None:
        check_by(by)
    with exclusive(config, MANUAL_WAIT):
        return publish(config, register, target, by=by, dry_run=dry_run, force=force,
                       progress=progress, adopt=adopt)


def rollback_site(config: Config, target: Target, version: str | None,
                  progress: Progress, *, adopt: bool = False) -> Manifest:
    with exclusive(config, MANUAL_WAIT):
        return rollback(target, version, progress, adopt=adopt)


def check_by(by: str) -> str:
    """``--by`` is written into the register and the page: a plain name of at most 100 characters."""
    if not by.strip() or len(by) > MAX_BY or not by.isprintable():
        raise ConfigError(
            f"Pemberi perintah unggah (--by) ditulis sebagai nama atau jabatan, 1 sampai {MAX_BY}"
            " karakter tanpa karakter kendali (mis. ESC, baris baru, tab); tidak ada yang diubah.",
            f"Whoever ordered the upload (--by) is given as a name or title, 1 to {MAX_BY}"
            " characters without control characters (e.g. ESC, newline, tab); nothing was changed.",
        )
    return by
