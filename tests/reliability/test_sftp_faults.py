"""The SFTP connection dropped at every file operation of a publish, against the real OpenSSH server.

tests/test_publish_sftp.py cuts the connection at two chosen moments; here a clean publish's file
operations (every upload and every rename) are enumerated, and for each one the server side of the
connection is killed before the operation reaches the server. No reconnection is allowed, so the
publish stops there. Then:

* the live site serves one whole version (every live file is a whole file of a complete version,
  and the live manifest names a complete one);
* nothing is lost: every version that was complete before is still complete, and step 5 is not
  recorded for an item that is not live;
* publishing again completes, and ends with every live file matching the live manifest.

With one reconnection allowed, a reply lost after each rename (or a version's committing manifest)
is survived within the same run.

Each case starts from a copy of the register and of the site taken after the first publish, so the
archive does not grow from case to case.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import shutil
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from dip_sheets import schema as s
from dip_sheets.config import Config, PublishSettings, default_config
from dip_sheets.connect import open_target
from dip_sheets.errors import BackendUnavailable
from dip_sheets.publish import PublishResult, publish
from dip_sheets.register import cell_text
from dip_sheets.register.workbook import WorkbookRegister
from dip_sheets.sync import review
from dip_sheets.targets.sftp import SftpTarget
from tests.conftest import NOW, UNITS, add_rows, established, good_row, site_files
from tests.plugins import reliability as counts
from tests.plugins.sshd import SshdServer
from tests.reliability.conftest import (
    assert_fully_live,
    assert_serves_one_version,
    complete_versions,
    files_containing,
)

URL = "https://ppid.example.go.id/dip/"
#: text carried only by rows that must never be published
NEVER = (b"DRAF-UNIT-4471", b"DIKECUALIKAN-9902")


@dataclass
class Cutter:
    """Kills the connection at the ``at``-th upload, link or rename (1-based), before or after it."""

    sshd: SshdServer
    at: int | None = None
    after: bool = False
    operations: list[str] = field(default_factory=list)
    cut: bool = False

    def wrap(self, name: str, original: Callable[..., None]) -> Callable[..., None]:
        def operation(target: SftpTarget, *args: str | bytes) -> None:
            self.operations.append(f"{name} {args[0]!s}")
            here = len(self.operations) == self.at
            if here and not self.after:
                self.drop()
            original(target, *args)
            if here and self.after:
                self.drop()
                raise BackendUnavailable("Sambungan terputus.", "Connection lost.")

        return operation

    def drop(self) -> None:
        self.cut = True
        assert self.sshd.drop_connections()
        time.sleep(0.02)  # let the kernel close the socket before the client uses it


@pytest.fixture
def cutter(sshd: SshdServer, monkeypatch: pytest.MonkeyPatch) -> Iterator[Cutter]:
    cutter = Cutter(sshd)
    monkeypatch.setattr(SftpTarget, "put", cutter.wrap("put", SftpTarget.put))
    monkeypatch.setattr(SftpTarget, "replace", cutter.wrap("replace", SftpTarget.replace))
    monkeypatch.setattr(SftpTarget, "symlink", cutter.wrap("symlink", SftpTarget.symlink))
    yield cutter


@pytest.fixture
def config(tmp_path: Path, workbook: WorkbookRegister, sshd: SshdServer, sftp_root: Path) -> Config:
    add_rows(workbook, [
        established("Profil Badan Publik"),
        established("Laporan Keuangan", **{s.CATEGORY: "Setiap Saat"}),
        good_row("Draf Unit", **{s.SUMMARY: NEVER[0].decode()}),
        established("Data Pribadi", **{s.CATEGORY: "Dikecualikan", s.SUMMARY: NEVER[1].decode()}),
    ])
    base = default_config(tmp_path)
    return dataclasses.replace(
        base, register=dataclasses.replace(base.register, path=workbook.path),
        publish=PublishSettings(target="sftp", base_url=URL, by="PPID Contoh",
                                sftp=sshd.sftp_settings(sftp_root, reconnects=0)))


def publish_once(config: Config, register: WorkbookRegister, now: dt.datetime) -> PublishResult:
    target = open_target(config, on_warning=lambda warning: None)
    try:
        return publish(config, register, target, now=now, force=True)
    finally:
        target.close()


def step5(register: WorkbookRegister, when: dt.datetime) -> dict[str, str]:
    return {cell_text(r.values[s.TITLE]): cell_text(r.values.get(s.STEP5))
            for r in review(register.read(), UNITS, when).dip}


@dataclass
class Snapshot:
    """The register and the site as they were after the first publish, to start each case from."""

    register: bytes
    site: Path

    @classmethod
    def take(cls, register: WorkbookRegister, site: Path, where: Path) -> Snapshot:
        shutil.copytree(site, where, symlinks=True)
        return cls(register.path.read_bytes(), where)

    def restore(self, register: WorkbookRegister, site: Path) -> None:
        register.path.write_bytes(self.register)
        for entry in site.iterdir():
            shutil.rmtree(entry) if entry.is_dir() and not entry.is_symlink() else entry.unlink()
        shutil.copytree(self.site, site, symlinks=True, dirs_exist_ok=True)


def test_a_connection_cut_before_every_file_operation_leaves_one_whole_version_and_a_rerun_completes(
    config: Config, workbook: WorkbookRegister, sftp_root: Path, cutter: Cutter, tmp_path: Path
) -> None:
    """No reconnection: the publish stops at the cut; a later run finishes the job."""
    first = publish_once(config, workbook, NOW)
    assert first.status == "published"
    add_rows(workbook, [established("Informasi Baru")])
    start = Snapshot.take(workbook, sftp_root, tmp_path / "awal")
    when = NOW + dt.timedelta(hours=1)
    cutter.operations = []
    publish_once(config, workbook, when)  # a clean run from the same start, to count its operations
    operations = len(cutter.operations)
    assert operations > 10  # uploads into the archive, then the link and the one rename of `current`
    for at in range(1, operations + 1):
        start.restore(workbook, sftp_root)
        cutter.operations, cutter.at, cutter.cut = [], at, False
        with pytest.raises(BackendUnavailable):
            publish_once(config, workbook, when)
        assert cutter.cut, at
        live = assert_serves_one_version(sftp_root)
        assert set(complete_versions(sftp_root)) >= {first.version}, "a complete version was lost"
        recorded = step5(workbook, when)["Informasi Baru"]
        assert not recorded or f"versi {live} " in recorded, (at, recorded, live)

        cutter.at = None
        rerun = publish_once(config, workbook, when + dt.timedelta(minutes=5))
        assert rerun.status in ("published", "unchanged"), at
        assert assert_fully_live(sftp_root) == rerun.version
        assert b"Informasi Baru" in (sftp_root / "dip.json").read_bytes()
        assert f"versi {rerun.version} " in step5(workbook, when)["Informasi Baru"]
        assert set(complete_versions(sftp_root)) >= {first.version}
        assert_never_published(sftp_root)
        counts.cases()
        counts.faults()


def test_a_reply_lost_after_a_rename_or_a_commit_is_redone_after_reconnecting(
    config: Config, workbook: WorkbookRegister, sftp_root: Path, cutter: Cutter, tmp_path: Path
) -> None:
    """One reconnection allowed: the server did the operation but the client never heard back; it
    reconnects, repeats the operation (a rename or a link already done counts as done) and finishes.

    Repeating an upload just overwrites the file, so the cases are the links, the renames and the
    manifest whose arrival commits a version; both the first publish (every live link made) and a
    later one (only ``current`` switched) are cut at each of them.
    """
    assert config.publish.sftp is not None
    config = dataclasses.replace(config, publish=dataclasses.replace(
        config.publish, sftp=dataclasses.replace(config.publish.sftp, reconnects=1)))
    empty = Snapshot.take(workbook, sftp_root, tmp_path / "leer")
    first = publish_once(config, workbook, NOW)
    add_rows(workbook, [established("Informasi Baru")])
    later = Snapshot.take(workbook, sftp_root, tmp_path / "awal")
    when = NOW + dt.timedelta(hours=1)
    cases = 0
    for start, now, before, title in ((empty, NOW, set(), "Profil Badan Publik"),
                                      (later, when, {first.version}, "Informasi Baru")):
        start.restore(workbook, sftp_root)
        cutter.operations, cutter.at, cutter.after = [], None, True
        publish_once(config, workbook, now)  # a clean run, to find its commit points
        commits = [i for i, op in enumerate(cutter.operations, start=1)
                   if op.startswith(("replace", "symlink")) or op.endswith("manifest.json")]
        for at in commits:
            start.restore(workbook, sftp_root)
            cutter.operations, cutter.at, cutter.cut = [], at, False
            result = publish_once(config, workbook, now)
            assert cutter.cut and result.status == "published", at
            assert assert_fully_live(sftp_root) == result.version
            assert f"versi {result.version} " in step5(workbook, now)[title]
            assert title.encode() in (sftp_root / "dip.json").read_bytes()
            assert set(complete_versions(sftp_root)) == {*before, result.version}
            cases += 1
            counts.cases()
            counts.faults()
    assert cases >= 10
    assert_never_published(sftp_root)


def assert_never_published(root: Path) -> None:
    """The draft and the excluded row are in no file, archived versions included."""
    files = site_files(root)
    for secret in NEVER:
        assert not files_containing(files, secret), secret
