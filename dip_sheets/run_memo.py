"""The run memo: a sync or publish whose inputs are all as they were at the last run that had
nothing to do is answered without reading, reviewing or rendering the register again.

It works the way a build tool skips a step. A sync whose full review wrote nothing (a fixed point)
records a SHA-256 of every input the run depended on (:func:`inputs`): the register file's bytes,
the configuration's resolved values, today's date in the office's timezone, the state files the
sync reads (the link results ``cek-tautan.json``, the last self-check ``monev-<name>.json`` the
report includes, the memory of e-mail notices sent ``notifikasi-terkirim.json``), the ``DIP_*``
environment (the e-mail settings, ``DIP_PDF``; never the password), and the installed dip-sheets
itself (its version and the bytes of its code and templates, so an upgrade never reuses a memo;
that digest is kept in ``memo-source.json`` while no file of the package changed).
The next sync computes the same digest first (hashing 10,000 rows' workbook takes milliseconds)
and, when it is equal, returns what the full sync reported (:mod:`dip_sheets.memo_results`).
Any input changed is a full sync, as before. With link checks on (``[links] check``) the memo
also expires when the first of the register's links is due for its re-check.

The memo is written only when the digest taken after the run equals the one taken before it (the
register was not edited while it ran, no notice was sent, no link re-checked), never on a dry run,
and only after a run whose notices all went out; a memo file that is damaged, of another format or
of other inputs is ignored (a full run). A publish has its own memo (:class:`PublishMemo`), also
keyed on the templates, the signed decisions' scans, the options and whether the PDF can be printed,
and it still reads the site each time: a site changed behind its back is a full publish.

Only the workbook register has one: a Google Sheet has no file to hash, so every sync of a sheet
reads and reviews it in full.
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
import functools
import hashlib
import json
import logging
import os
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from . import __version__
from .config import Config
from .decision_scans import scan_folder
from .links import CACHE_FILE, load_cache
from .list_pdf import printer
from .memo_results import kept, recalled
from .messages import Message
from .notify import SENT_FILE
from .province_fetch import write_atomic
from .publish import Progress, PublishResult
from .published_state import selfcheck_path
from .register import Register
from .register.workbook import WorkbookRegister
from .render_digest import folder_digest
from .site import scan
from .sync import SyncResult
from .targets import Target

log = logging.getLogger(__name__)

FORMAT = "dip-sheets run memo"
VERSION = 1
#: the package's files as last hashed (see :func:`package_digest`)
SOURCE_FILE = "memo-source.json"
#: seconds a file must be older than the run to be trusted by its listing alone
RACY = 2
#: environment variables left out of the digest: a secret is not kept, even hashed
SECRET = frozenset({"DIP_SMTP_PASSWORD"})


def memo_path(config: Config, kind: str) -> Path:
    """The memo of one office's ``kind`` of run (``state_dir`` may be shared by several offices)."""
    return config.state_dir / f"memo-{kind}-{config.name}.json"


@functools.cache
def source_digest(state_dir: Path) -> str:
    """The installed dip-sheets: its version, the Python it runs on, every file of the package."""
    package = package_digest(Path(__file__).resolve().parent, state_dir / SOURCE_FILE)
    return hashlib.sha256(f"{__version__} {sys.version_info[:2]} {package}".encode()).hexdigest()


def package_digest(folder: Path, kept: Path) -> str:
    """:func:`folder_digest` of ``folder``, taken from ``kept`` while no file of it was added,
    removed or written since (the same names, sizes, times and inodes: hashing every file costs
    more than the rest of a run's inputs together). Files written in the last :data:`RACY` seconds
    are never trusted by their listing alone (a coarse file-system clock can give a later write
    the same time), as git treats its index."""
    listing = _listing(folder)
    try:
        document = json.loads(kept.read_text(encoding="utf-8"))
        if listing is not None and document["listing"] == listing:
            return str(document["digest"])
    except (OSError, ValueError, KeyError, TypeError):
        pass
    digest = folder_digest(folder)
    settled = time.time_ns() - RACY * 10**9  # written before this: its listing can be trusted
    fresh = listing is not None and all(entry[2] < settled for entry in listing[1:])
    if fresh and _listing(folder) == listing:  # nothing changed while it was hashed
        with contextlib.suppress(OSError):  # without it the next process hashes again, nothing worse
            write_atomic(kept, json.dumps({"listing": listing, "digest": digest}).encode())
    return digest


def _listing(folder: Path) -> list[Any] | None:
    """``folder`` and each file under it (``__pycache__`` aside) with its size, modification and
    change times and inode (JSON-shaped, to compare with a kept one); None when one cannot be read."""
    found: list[Any] = [str(folder)]
    try:
        for root, dirs, files in os.walk(folder):
            dirs[:] = [d for d in dirs if d != "__pycache__"]
            for name in files:
                path = os.path.join(root, name)
                st = os.stat(path)
                found.append([os.path.relpath(path, folder), st.st_size, st.st_mtime_ns, st.st_ctime_ns,
                              st.st_ino])
    except OSError:
        return None
    return [found[0], *sorted(found[1:])]


def _file(path: Path) -> str:
    try:
        return hashlib.sha256(path.read_bytes()).hexdigest()
    except FileNotFoundError:
        return "-"


def _folder(path: Path | None) -> list[tuple[str, str]]:
    """Every file under ``path`` by name and digest (none: no folder)."""
    if path is None or not path.is_dir():
        return []
    return [(p.relative_to(path).as_posix(), _file(p)) for p in sorted(path.rglob("*")) if p.is_file()]


def inputs(config: Config, now: dt.datetime, **more: Any) -> str | None:
    """The digest of everything a sync of ``config``'s register depends on at ``now`` (plus
    ``more``); None when there is no memo for it (a Google Sheet, a file that cannot be read)."""
    if config.register.backend != "workbook":
        return None
    state = (CACHE_FILE, SENT_FILE, selfcheck_path(config).name)
    try:
        parts = {
            "source": source_digest(config.state_dir), "register": _file(config.register.path),
            "config": repr(config),
            "today": now.date().isoformat(),
            "state": {name: _file(config.state_dir / name) for name in state},
            "environment": sorted((k, v) for k, v in os.environ.items()
                                  if k.startswith("DIP_") and k not in SECRET),
            **more,
        }
    except OSError:
        return None
    return hashlib.sha256(json.dumps(parts, sort_keys=True, default=repr).encode()).hexdigest()


def _load(path: Path, key: str, now: dt.datetime) -> dict[str, Any] | None:
    """The memo's body when it is whole, ours, of ``key`` and still valid at ``now``; else None.

    The file is a header line (format, version, the body's SHA-256) and the body's JSON: a torn or
    edited body is seen before it is parsed."""
    try:
        head, _, data = path.read_bytes().partition(b"\n")
        header = json.loads(head)
        if (header["format"] != FORMAT or header["version"] != VERSION
                or header["sha256"] != hashlib.sha256(data).hexdigest()):
            return None
        body = json.loads(data)
        if body["key"] != key or now < dt.datetime.fromisoformat(body["recorded_at"]):
            return None  # other inputs, or the clock went back
        until = body["valid_until"]
        if until is not None and now >= dt.datetime.fromisoformat(until):
            return None
        return body if isinstance(body, dict) else None
    except (OSError, ValueError, KeyError, TypeError):
        return None


def _save(path: Path, key: str, now: dt.datetime, until: dt.datetime | None, **content: Any) -> None:
    body = {"key": key, "recorded_at": now.isoformat(),
            "valid_until": until.isoformat() if until else None, **content}
    data = json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    header = {"format": FORMAT, "version": VERSION, "sha256": hashlib.sha256(data).hexdigest()}
    try:
        write_atomic(path, json.dumps(header).encode() + b"\n" + data)
    except OSError as error:  # without a memo the next run is a full one, nothing worse
        log.warning("run memo not written (%s): %s", path, error)


def links_due(config: Config, urls: list[str], now: dt.datetime) -> dt.datetime | None:
    """When the first of ``urls`` is due for a re-check (None: no link to re-check); ``now`` when
    one has no result cached."""
    if not config.links.check or not urls:
        return None
    cached = load_cache(config.state_dir / CACHE_FILE)
    if any(url not in cached for url in urls):
        return now
    settings = config.links
    return min(r.checked_at + (settings.recheck_ok if r.ok else settings.recheck_broken)
               for r in (cached[url] for url in urls))


def _refuse_if_open(register: Register) -> None:
    """What a full read refuses first: a workbook open in Excel or LibreOffice (exit code 3)."""
    if isinstance(register, WorkbookRegister):
        register._refuse_if_open()


@dataclass
class SyncMemo:
    """The memo of one office's sync, its inputs digested when the run starts."""

    config: Config
    now: dt.datetime
    key: str | None

    @classmethod
    def open(cls, config: Config, now: dt.datetime) -> SyncMemo:
        return cls(config, now, inputs(config, now))

    def recall(self, register: Register) -> SyncResult | None:
        """What the last full sync of these inputs reported, or None (run in full)."""
        body = self.key and _load(memo_path(self.config, "sync"), self.key, self.now)
        if not body:
            return None
        _refuse_if_open(register)
        try:
            return recalled(body["result"])
        except (KeyError, IndexError, TypeError, ValueError):
            return None

    def record(self, result: SyncResult, urls: list[str], *, notified: bool) -> None:
        """Keep ``result`` when it is a fixed point of these inputs (see the module docstring)."""
        if self.key is None or result.dry_run or result.applied is not None or not notified:
            return
        until = links_due(self.config, urls, self.now)
        if (until is not None and until <= self.now) or inputs(self.config, self.now) != self.key:
            return
        _save(memo_path(self.config, "sync"), self.key, self.now, until, result=kept(result))


def site_digest(target: Target) -> str:
    """The site as a publish sorts it: every manifest, the live one, links, files, foreign names
    (sets and folder listings in a stable order: a set's own order changes with each interpreter's
    hash seed)."""
    site = scan(target)
    parts = []
    for each in dataclasses.fields(site):
        value = getattr(site, each.name)
        parts.append(sorted(value) if isinstance(value, set) else
                     sorted(value.items()) if isinstance(value, dict) else value)
    return hashlib.sha256(repr(parts).encode()).hexdigest()


@dataclass
class PublishMemo:
    """The memo of one office's publish: the sync's inputs, what only a publish reads, and the site."""

    config: Config
    now: dt.datetime
    target: Target
    options: tuple[bool, bool, str | None]
    key: str | None = None

    def __post_init__(self) -> None:
        self.key = self.inputs()

    def inputs(self) -> str | None:
        config = self.config
        if config.monev.higher_dik_url:  # the higher PPID's list is fetched by every render
            return None
        return inputs(config, self.now, kind="publish", options=self.options,
                      templates=_folder(config.publish.templates), scans=_folder(scan_folder(config)),
                      pdf=printer(config, lambda _: None) is not None)

    def recall(self, register: Register, progress: Progress) -> PublishResult | None:
        """The last unchanged publish of these inputs, said again, when the site is as it left it."""
        body = self.key and _load(memo_path(self.config, "publish"), self.key, self.now)
        if not body:
            return None
        _refuse_if_open(register)
        try:
            sync = recalled(body["result"])
            said = [Message(str(i), str(e)) for i, e in body["said"]]
            version, url, site = str(body["version"]), str(body["url"]), body["site"]
        except (KeyError, IndexError, TypeError, ValueError):
            return None
        if site_digest(self.target) != site:
            return None
        for message in said:
            progress(message)
        return PublishResult("unchanged", version, url=url, sync=sync)

    def record(self, result: PublishResult, said: list[Message]) -> None:
        """Keep an unchanged publish that wrote nothing to the register."""
        sync = result.sync
        if (self.key is None or result.status != "unchanged" or result.stamps_written or sync is None
                or sync.applied is not None):
            return
        if self.inputs() != self.key:  # something changed while it ran
            return
        _save(memo_path(self.config, "publish"), self.key, self.now, None, result=kept(sync),
              said=[[m.id, m.en] for m in said], version=result.version, url=result.url,
              site=site_digest(self.target))


def heard(progress: Progress, said: list[Message]) -> Progress:
    """``progress``, keeping in ``said`` what it was told (an unchanged publish says it again)."""
    def tell(message: Message) -> None:
        said.append(message)
        progress(message)

    return tell
