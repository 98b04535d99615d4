"""Publishing to a local folder: exactly the established items, versioned, atomic, reversible."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from pathlib import Path

import pytest

from dip_sheets import schema as s
from dip_sheets.config import Config
from dip_sheets.connect import Reconnecting
from dip_sheets.errors import BackendUnavailable, PublishFailed
from dip_sheets.publish import ARCHIVE, live_manifest, publish, versions
from dip_sheets.register import cell_text
from dip_sheets.register.workbook import WorkbookRegister
from dip_sheets.restore import rollback
from dip_sheets.sync import review
from dip_sheets.targets.folder import FolderTarget
from tests.conftest import NOW, UNITS, add_rows, established, good_row, site_files

LATER = NOW + dt.timedelta(hours=1)


@pytest.fixture
def config(publish_config: Config) -> Config:
    return publish_config


@pytest.fixture
def populated(workbook: WorkbookRegister) -> WorkbookRegister:
    add_rows(workbook, [
        established("Profil Badan Publik"),
        established("Laporan Keuangan", **{s.CATEGORY: "Setiap Saat"}),
        good_row("Draf Unit"),
        good_row("Ditolak PPID", **{s.STEP1: "Ya", s.STEP2: "Sudah", s.STEP3: "Ditolak"}),
        established("Data Pribadi", **{s.CATEGORY: "Dikecualikan"}),
    ])
    return workbook


def test_first_publish_contains_exactly_the_established_valid_rows(
    config: Config, populated: WorkbookRegister
) -> None:
    target = FolderTarget(config.publish.folder)
    result = publish(config, populated, target, now=NOW, force=True)
    assert result.status == "published"
    files = site_files(config.publish.folder)
    data = json.loads(files["dip.json"])
    assert [i["judul"] for i in data["item"]] == ["Profil Badan Publik", "Laporan Keuangan"]
    for name, body in files.items():
        for secret in (b"Draf Unit", b"Ditolak PPID", b"Data Pribadi"):
            assert secret not in body, (name, secret)
    assert f"{ARCHIVE}/{result.version}/index.html" in files
    manifest = live_manifest(target)
    assert manifest is not None and manifest.version == result.version
    for name, meta in manifest.files.items():
        assert hashlib.sha256(files[name]).hexdigest() == meta["sha256"]


def test_steps_4_and_5_recorded_only_for_published_rows(config: Config, populated: WorkbookRegister) -> None:
    result = publish(config, populated, FolderTarget(config.publish.folder), now=NOW, force=True)
    rows = {r.values[s.TITLE]: r for r in review(populated.read(), UNITS, NOW).dip}
    for title in ("Profil Badan Publik", "Laporan Keuangan"):
        assert result.version in cell_text(rows[title].values[s.STEP4])
        assert "PPID Contoh" in cell_text(rows[title].values[s.STEP4])
        assert "https://ppid.example.go.id/dip/" in cell_text(rows[title].values[s.STEP5])
    for title in ("Draf Unit", "Ditolak PPID", "Data Pribadi"):
        assert not cell_text(rows[title].values.get(s.STEP5))


def test_unchanged_republish_uploads_nothing(config: Config, populated: WorkbookRegister) -> None:
    target = FolderTarget(config.publish.folder)
    first = publish(config, populated, target, now=NOW, force=True)
    before = site_files(config.publish.folder)
    stamps = populated.path.stat().st_mtime_ns
    again = publish(config, populated, target, now=LATER, force=True)
    assert again.status == "unchanged" and again.version == first.version and again.bytes_uploaded == 0
    assert site_files(config.publish.folder) == before
    assert populated.path.stat().st_mtime_ns == stamps  # nothing to record either


def test_changed_publish_keeps_every_version_and_rollback_restores(
    config: Config, populated: WorkbookRegister
) -> None:
    target = FolderTarget(config.publish.folder)
    first = publish(config, populated, target, now=NOW, force=True)
    old_index = (config.publish.folder / "index.html").read_bytes()
    add_rows(populated, [established("Informasi Baru")])
    second = publish(config, populated, target, now=LATER, force=True)
    assert second.status == "published" and second.version != first.version
    assert b"Informasi Baru" in (config.publish.folder / "index.html").read_bytes()
    assert [m.version for m in versions(target)] == [first.version, second.version]
    restored = rollback(config, target, None, lambda _: None)
    assert restored.version == first.version
    assert (config.publish.folder / "index.html").read_bytes() == old_index
    rollback(config, target, second.version, lambda _: None)
    assert b"Informasi Baru" in (config.publish.folder / "index.html").read_bytes()
    with pytest.raises(PublishFailed, match="tidak ada di arsip"):
        rollback(config, target, "19990101-000000", lambda _: None)


class FailingTarget(FolderTarget):
    """A folder whose connection 'drops' at the n-th write."""

    def __init__(self, root: Path, fail_at: int) -> None:
        super().__init__(root)
        self.puts, self.fail_at = 0, fail_at

    def put(self, path: str, data: bytes) -> None:
        self.puts += 1
        if self.puts == self.fail_at:
            super().put(path, data[: len(data) // 2])  # half a file arrives
            raise ConnectionResetError("connection dropped")
        super().put(path, data)


def test_interrupted_publish_leaves_live_site_whole_and_a_rerun_completes(
    config: Config, populated: WorkbookRegister
) -> None:
    publish(config, populated, FolderTarget(config.publish.folder), now=NOW, force=True)
    live_before = {k: v for k, v in site_files(config.publish.folder).items() if "/" not in k}
    add_rows(populated, [established("Informasi Baru")])
    for fail_at in range(1, 12):
        target = FailingTarget(config.publish.folder, fail_at)
        try:
            publish(config, populated, target, now=LATER + dt.timedelta(minutes=fail_at), force=True)
        except ConnectionResetError:
            pass
        else:
            break
        live = {k: v for k, v in site_files(config.publish.folder).items() if "/" not in k}
        manifest = live_manifest(target)
        assert manifest is not None
        archived: dict[str, set[str]] = {}
        for version in versions(target):
            for name, meta in version.files.items():
                archived.setdefault(name, set()).add(meta["sha256"])
        for name in manifest.files:  # each live file is a whole file of some complete version
            assert hashlib.sha256(live[name]).hexdigest() in archived[name] | {
                hashlib.sha256(live_before.get(name, b"")).hexdigest()}, (fail_at, name)
        rows = {r.values[s.TITLE]: r for r in review(populated.read(), UNITS, NOW).dip}
        assert not cell_text(rows["Informasi Baru"].values.get(s.STEP5))  # nothing recorded as uploaded
        assert cell_text(rows["Informasi Baru"].values.get(s.STEP4))  # the upload was ordered
    final = publish(config, populated, FolderTarget(config.publish.folder), now=LATER + dt.timedelta(hours=1),
                    force=True)
    assert final.status in ("published", "unchanged")
    files = site_files(config.publish.folder)
    assert b"Informasi Baru" in files["index.html"]
    assert not [n for n in files if n.endswith(".tmp")]
    complete = {m.version for m in versions(FolderTarget(config.publish.folder))}
    assert {n.split("/")[1] for n in files if n.startswith(ARCHIVE)} == complete


class DroppingTarget(FolderTarget):
    """A folder reached over a 'connection' that drops after every ``every``-th operation, the
    operation itself having been done (the worst case: the reply is what got lost)."""

    def __init__(self, root: Path, every: int, opened: list[DroppingTarget]) -> None:
        super().__init__(root)
        self.calls, self.every = 0, every
        opened.append(self)

    def _tick(self) -> None:
        self.calls += 1
        if self.calls % self.every == 0:
            raise BackendUnavailable("Sambungan terputus.", "Connection lost.")

    def put(self, path: str, data: bytes) -> None:
        super().put(path, data)
        self._tick()

    def replace(self, src: str, dst: str) -> None:
        super().replace(src, dst)
        self._tick()

    def symlink(self, link: str, path: str) -> None:
        super().symlink(link, path)
        self._tick()

    def remove(self, path: str) -> None:
        super().remove(path)
        self._tick()


def test_reconnecting_target_redoes_what_the_drop_interrupted(
    config: Config, populated: WorkbookRegister
) -> None:
    opened: list[DroppingTarget] = []
    reconnects: list[int] = []
    target = Reconnecting(lambda: DroppingTarget(config.publish.folder, 4, opened), 50,
                          lambda done, limit: reconnects.append(done))
    result = publish(config, populated, target, now=NOW, force=True)
    assert result.status == "published" and len(opened) == len(reconnects) + 1 > 5
    files = site_files(config.publish.folder)
    manifest = live_manifest(FolderTarget(config.publish.folder))
    assert manifest is not None and manifest.version == result.version
    for name, meta in manifest.files.items():
        assert hashlib.sha256(files[name]).hexdigest() == meta["sha256"]
    assert not [n for n in files if n.endswith(".tmp")]

    stubborn = Reconnecting(lambda: DroppingTarget(config.publish.folder, 1, opened), 2)
    with pytest.raises(BackendUnavailable, match="2 kali disambung ulang"):
        stubborn.put("x", b"1")


def test_blocked_rows_stop_publication_unless_forced(config: Config, workbook: WorkbookRegister) -> None:
    add_rows(workbook, [established("A"), established("B", **{s.LINK: ""})])
    target = FolderTarget(config.publish.folder)
    with pytest.raises(PublishFailed) as caught:
        publish(config, workbook, target, now=NOW)
    assert "--force" in caught.value.message("id") and "DIP-0002" in caught.value.message("id")
    assert not config.publish.folder.exists()
    assert publish(config, workbook, target, now=NOW, force=True).status == "published"


def test_refuses_to_empty_the_published_list(config: Config, populated: WorkbookRegister) -> None:
    target = FolderTarget(config.publish.folder)
    publish(config, populated, target, now=NOW, force=True)
    book_rows = review(populated.read(), UNITS, NOW)
    assert book_rows.items
    import openpyxl

    book = openpyxl.load_workbook(populated.path)
    sheet = book[s.DIP_TAB]
    header = [c.value for c in sheet[1]]
    for row in range(2, sheet.max_row + 1):
        sheet.cell(row, header.index(s.STEP3) + 1).value = "Perlu Revisi"
    book.save(populated.path)
    with pytest.raises(PublishFailed, match="tidak kosong"):
        publish(config, populated, target, now=LATER)


def test_dry_run_writes_nothing(config: Config, populated: WorkbookRegister) -> None:
    before = populated.path.read_bytes()
    target = FolderTarget(config.publish.folder)
    result = publish(config, populated, target, now=NOW, dry_run=True, force=True)
    assert result.status == "dry-run"
    assert populated.path.read_bytes() == before
    assert not config.publish.folder.exists()
