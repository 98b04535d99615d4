"""The application layer: one office's register and site as one object.

:class:`Office` is what the ``dip`` command (and any other front end) calls: each action opens the
backends it needs, closes them again, and returns a result whose ``summary()`` is the ``--json``
document. The actions that write the register or the site (``init``, ``sync``, ``publish``,
``rollback``) take the register's run lock (:func:`~dip_sheets.lock.run_lock`), so an ``init``
can never race a sync and lose its writes, nor a rollback switch the site while a publish uploads.
A command a person types waits up to :data:`MANUAL_WAIT` seconds for a running (cron) sync;
``sync`` itself does not wait, because under cron the next run comes in a few minutes anyway.

A run of one action over several offices is :mod:`.offices`.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from . import ringkasan
from . import schema as s
from .check import CheckResult, run_checks
from .config import Config
from .connect import open_register, open_target
from .decision_draft import DraftResult, draft
from .decision_scans import ScanResult, adopt_configured, archive_scan
from .decision_text import DraftDecision, Kind
from .decisions import decisions_in
from .errors import ConfigError
from .evidence import write_evidence
from .lock import run_lock
from .messages import Message
from .monev import MonevReport
from .monev_check import self_check
from .notify import notify
from .publish import Progress, PublishResult, publish
from .published_state import save_selfcheck, selfcheck_path
from .redaction import RedactionResult, redact
from .redaction import record as record_redaction
from .register import Layout, Register, Snapshot, texts
from .restore import record_live, rollback, rollback_release
from .row_watch import link_settings, watch, watcher
from .run_memo import PublishMemo, SyncMemo, heard
from .status import StatusResult, status
from .sync import Review, SyncResult, review
from .sync import run as run_sync
from .targets import Target

log = logging.getLogger(__name__)

#: seconds a command typed by a person waits for another run to finish before exit code 4.
MANUAL_WAIT = 120.0
#: longest ``--by``: a name and a title, not a paragraph.
MAX_BY = 100
#: longest ``--alasan`` of a rollback or redaction: it is published in the history.
MAX_REASON = 500


def _silent(_: Message) -> None:
    """The default progress: a library caller that passes nothing hears nothing."""


def _logged(warning: Message) -> None:
    """The default for SFTP warnings: a library logs them; the ``dip`` command prints them."""
    log.warning("%s", warning.id)


@dataclass(frozen=True)
class InitResult:
    """What ``init`` did to the register's layout, one message per change (none: it was complete)."""

    location: str
    done: list[Message]

    def lines(self) -> list[Message]:
        return self.done or [Message("Register sudah lengkap; tidak ada yang diubah.",
                                     "The register is complete; nothing was changed.")]

    def summary(self, lang: str = "id") -> dict[str, Any]:
        return {"location": self.location, "done": [line.text(lang) for line in self.done]}


@dataclass(frozen=True)
class RollbackResult:
    """An archived version's list live again, as the new version ``live``, and where."""

    version: str
    location: str
    live: str = ""
    stamps_written: int = 0

    def lines(self) -> list[Message]:
        return [Message(f"Daftar versi {self.version} aktif kembali di {self.location} sebagai versi"
                        f" {self.live}; pemulihan ini tercatat di riwayat.html dan di register.",
                        f"The list of version {self.version} is live again at {self.location} as version"
                        f" {self.live}; the rollback is recorded in riwayat.html and in the register.")]

    def summary(self) -> dict[str, Any]:
        return {"status": "rolled-back", "version": self.version, "live": self.live,
                "stamps_written": self.stamps_written}


class Office:
    """One register and its published site, as a ``[[register]]`` of the configuration names them.

    ``on_warning`` hears what must be said but does not stop publishing (an SFTP key others can
    read, a server without atomic renames, a dropped connection being resumed).
    """

    def __init__(self, config: Config, *, on_warning: Callable[[Message], None] = _logged) -> None:
        self.config = config
        self.on_warning = on_warning
        self._register: Register | None = None

    @property
    def name(self) -> str:
        return self.config.name

    @property
    def register(self) -> Register:
        """The register backend, opened on first use (a register holds no connection to close)."""
        if self._register is None:
            self._register = open_register(self.config)
        return self._register

    @contextmanager
    def _exclusive(self, wait: float = 0.0) -> Iterator[None]:
        """Hold the run lock of this office's register (see the module docstring)."""
        log.debug("waiting up to %.0f s for the run lock of %s", wait, self.name)
        with run_lock(self.config.state_dir, self.name, wait=wait):
            log.debug("run lock of %s taken", self.name)
            yield

    @contextmanager
    def _target(self) -> Iterator[Target]:
        target = open_target(self.config, on_warning=self.on_warning)
        try:
            yield target
        finally:
            target.close()

    def init(self) -> InitResult:
        """Create or repair the register's layout."""
        register = self.register
        with self._exclusive(MANUAL_WAIT):
            done = register.init(Layout(s.TABS, self.config.units, self.config.roles))
            done += adopt_configured(self.config, register)
        return InitResult(register.location, done)

    def sync(self, *, dry_run: bool = False) -> SyncResult:
        """Validate every row, assign IDs, write findings and SOP columns (nothing on a dry run).
        A register whose inputs are all as at the last sync that wrote nothing is answered from the
        run memo without being read (:mod:`.run_memo`)."""
        register, config, now = self.register, self.config, self.config.now()
        with self._exclusive():  # the notices' memory is written by one run at a time, too
            memo = None if dry_run else SyncMemo.open(config, now)  # see :mod:`.run_memo`
            known = memo.recall(register) if memo else None
            if known is not None:
                return known
            urls: list[str] = []
            result = run_sync(register, config.units, now, dry_run=dry_run,
                              watch=watcher(config, now, network=not dry_run, noted=urls),
                              finish=lambda snapshot, reviewed: self._dashboard(snapshot, reviewed, now))
            if memo is not None:  # e-mail digests when DIP_SMTP_HOST is set; a failed notice never fails
                failed = notify(config, result.review, config.state_dir, now).failed
                for failure in failed:
                    self.on_warning(failure)
                memo.record(result, urls, notified=not failed)
            return result

    def publish(self, *, by: str | None = None, dry_run: bool = False, force: bool = False,
                adopt: bool = False, progress: Progress = _silent) -> PublishResult:
        """Sync, render and upload the list, recording SOP steps 4 and 5 (see :mod:`.publish`); an
        unchanged publish onto an unchanged site is answered from the run memo (:mod:`.run_memo`)."""
        if by is not None:
            check_by(by)
        with self._target() as target:
            register, now = self.register, self.config.now()
            with self._exclusive(MANUAL_WAIT):
                memo = None if dry_run else PublishMemo(self.config, now, target, (force, adopt, by))
                known = memo.recall(register, progress) if memo else None
                if known is not None:
                    return known
                said: list[Message] = []
                result = publish(self.config, register, target, by=by, dry_run=dry_run, force=force,
                                 progress=heard(progress, said), adopt=adopt, now=now)
                if memo is not None:
                    memo.record(result, said)
                return result

    def archive_decision(self, number: str, scan: Path) -> ScanResult:
        """Register the signed scan of decision ``number`` (``dip keputusan arsipkan``)."""
        with self._exclusive(MANUAL_WAIT):
            return archive_scan(self.config, self.register, number, scan)

    def rollback(self, version: str | None = None, *, by: str | None = None, reason: str = "",
                 adopt: bool = False, progress: Progress = _silent) -> RollbackResult:
        """Put an archived version's list live again (the one before the live list when ``version``
        is None) as a new version recorded in the history, then record it in steps 4 and 5
        (:mod:`.restore`)."""
        if by is not None:
            check_by(by)
        check_reason(reason)
        register, now = self.register, self.config.now()
        with self._target() as target, self._exclusive(MANUAL_WAIT):
            register.read()  # an unreachable register stops the rollback before the site changes
            restored = rollback(self.config, target, version, progress, by=by or "", reason=reason,
                                adopt=adopt, now=now)
            release = rollback_release(self.config, target, restored, by or "", now)
            written = record_live(self.config, register, now, release, restamp=True)
            return RollbackResult(restored.version, target.location, restored.live.version, written)

    def redact(self, item_id: str, reason: str, *, by: str | None = None,
               progress: Progress = _silent) -> RedactionResult:
        """Withdraw an item from the live list and every archived version, then clear its steps 4
        and 5 (:mod:`.redaction`)."""
        if by is not None:
            check_by(by)
        if not check_reason(reason).strip():
            raise ConfigError(
                "Tuliskan alasan penarikan dengan --alasan; alasan itu dicatat di riwayat.html.",
                "Give the reason for the redaction with --alasan; it is recorded in riwayat.html.")
        register, now = self.register, self.config.now()
        with self._target() as target, self._exclusive(MANUAL_WAIT):
            before = register.read()  # an unreachable register stops the redaction before the site changes
            result = redact(self.config, target, item_id.strip(), reason, progress, by=by or "", now=now)
            return record_redaction(self.config, register, target, result, before=before, now=now)

    def status(self, *, days: int = 14) -> StatusResult:
        """Where every item stands in the SOP; items waiting more than ``days`` are called out."""
        now, snapshot = self.config.now(), self.register.read()
        reviewed = review(snapshot, self.config.units, now, watch(self.config, snapshot, now))
        grid = snapshot.tabs.get(s.DASHBOARD_TAB)
        return StatusResult(self.report(reviewed, now, ringkasan.last_sync(grid.rows) if grid else None,
                                        days))

    def report(self, reviewed: Review, now: dt.datetime, synced: str | None, days: int = 14
               ) -> dict[str, Any]:
        """The status report (``dip status --json``, the ``Ringkasan`` tab): the last sync that
        changed the register and the last publish, where every item stands, what waits for whom,
        and the last e-Monev self-check when ``dip monev`` has run."""
        report = {ringkasan.LAST_SYNC: synced, "last_publish": ringkasan.last_publish(reviewed),
                  **status(reviewed, now.date(), days), **ringkasan.waiting(reviewed)}
        monev = _selfcheck(self.config)
        if monev is not None:
            report["monev"] = monev
        return report

    def _dashboard(self, snapshot: Snapshot, reviewed: Review, now: dt.datetime) -> None:
        """Rewrite the ``Ringkasan`` tab in the sync's batch, only when its content changed (a sync
        that writes anything else is a change: the tab names the time of the last such sync)."""
        grid = snapshot.tabs.get(s.DASHBOARD_TAB)
        if grid is None:  # a register laid out before the tab existed: 'dip init' adds it
            return
        before = ringkasan.last_sync(grid.rows)
        if not reviewed.changes and texts(grid.rows) == texts(
                ringkasan.rows(self.report(reviewed, now, before))):
            return
        reviewed.changes.rewrite[s.DASHBOARD_TAB] = ringkasan.rows(
            self.report(reviewed, now, ringkasan.sync_time(now)))

    def draft_decision(self, kind: Kind = "dip", *, number: str | None = None,
                       day: dt.date | None = None, folder: Path | None = None) -> DraftResult:
        """The draft Keputusan PPID establishing the DIP, the DIK or both, with the lists a publish
        would put online now attached (see :mod:`.decision_draft`); the register is only read."""
        now, snapshot = self.config.now(), self.register.read()
        reviewed = review(snapshot, self.config.units, now, watch(self.config, snapshot, now))
        decision = DraftDecision(kind, (day or now.date()).year, number, day)
        return draft(self.config, reviewed, decision, folder, decisions_in(snapshot))

    def check(self) -> CheckResult:
        """Every check of the configuration that can run; nothing in the register is changed."""
        return CheckResult(run_checks(self.config))

    def monev(self, *, evidence: Path | None = None) -> MonevReport:
        """The e-Monev self-check (the register is only read); its summary is kept in ``state_dir``
        for the next publish; with ``evidence``, one PDF per item written there."""
        report = self_check(self.config, now=self.config.now(), settings=self.config.monev,
                            link_settings=link_settings(self.config))
        save_selfcheck(self.config, report)  # published with the next new version (monev.json)
        if evidence is not None:
            report.evidence = write_evidence(report, evidence)
        return report


def _selfcheck(config: Config) -> dict[str, Any] | None:
    """The last ``dip monev`` summary kept for the publish: its line, its time, each item's state."""
    try:
        document = json.loads(selfcheck_path(config).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(document, dict) or not isinstance(document.get("butir"), list):
        return None
    return {"ringkasan": str(document.get("ringkasan", "")), "diperiksa": str(document.get("diperiksa", "")),
            "butir": [{k: str(i.get(k, "")) for k in ("item", "judul", "status")}
                      for i in document["butir"] if isinstance(i, dict)]}


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


def check_reason(reason: str) -> str:
    """``--alasan`` is published in the history: plain text of at most 500 characters."""
    if len(reason) > MAX_REASON or not reason.isprintable():
        raise ConfigError(
            f"Alasan (--alasan) ditulis sebagai teks biasa, paling banyak {MAX_REASON} karakter tanpa"
            " karakter kendali (mis. ESC, baris baru, tab); tidak ada yang diubah.",
            f"The reason (--alasan) is plain text of at most {MAX_REASON} characters without control"
            " characters (e.g. ESC, newline, tab); nothing was changed.",
        )
    return reason
