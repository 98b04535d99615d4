"""Publishing never deletes or replaces what dip-sheets did not write, never goes through a link,
switches the whole site in one step, and keeps every version apart and in time order."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import os
import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from dip_sheets import publish_plan
from dip_sheets.config import Config, PublishSettings, default_config
from dip_sheets.errors import ConfigError, DipError, PublishFailed
from dip_sheets.messages import Message
from dip_sheets.publish import ARCHIVE, MANIFEST, live_manifest, publish, versions
from dip_sheets.register.workbook import WorkbookRegister
from dip_sheets.restore import rollback
from dip_sheets.site import CURRENT, MARKER
from dip_sheets.targets import LinksUnsupported
from dip_sheets.targets.folder import FolderTarget
from tests.conftest import NOW, add_rows, established
from tests.reliability.conftest import assert_fully_live

LATER = NOW + dt.timedelta(hours=1)


@pytest.fixture
def config(tmp_path: Path, workbook: WorkbookRegister) -> Config:
    add_rows(workbook, [established("Profil Badan Publik"), established("Laporan Keuangan")])
    base = default_config(tmp_path)
    return dataclasses.replace(
        base, register=dataclasses.replace(base.register, path=workbook.path),
        publish=PublishSettings(folder=tmp_path / "situs", base_url="https://ppid.example.go.id/dip/",
                                by="PPID Contoh"))


@pytest.fixture
def site(config: Config) -> Path:
    return config.publish.folder


def both(error: DipError) -> str:
    return error.message("id") + "\n" + error.message("en")


def tree(root: Path) -> dict[str, bytes | str]:
    """Every entry under ``root``: a file's bytes, a link's target (links are not followed)."""
    found: dict[str, bytes | str] = {}
    for folder, dirs, files in os.walk(root):
        for name in dirs + files:
            path = Path(folder) / name
            if path.is_symlink():
                found[str(path.relative_to(root))] = f"-> {os.readlink(path)}"
            elif path.is_file():
                found[str(path.relative_to(root))] = path.read_bytes()
    return found


# ---- what dip-sheets did not write ---------------------------------------------------------------


def office_root(site: Path) -> dict[str, bytes | str]:
    """An office web root with its own home page and an archive of documents."""
    (site / "arsip" / "2023").mkdir(parents=True)
    (site / "index.html").write_bytes(b"<h1>Beranda kantor</h1>")
    (site / "arsip" / "2023" / "laporan.pdf").write_bytes(b"%PDF laporan")
    (site / "arsip" / "pengumuman.pdf").write_bytes(b"%PDF pengumuman")
    (site / "kontak.html").write_bytes(b"kontak")
    return tree(site)


def test_a_target_holding_other_files_is_refused_and_left_untouched(
    config: Config, workbook: WorkbookRegister, site: Path
) -> None:
    before = office_root(site)
    with pytest.raises(ConfigError) as caught:
        publish(config, workbook, FolderTarget(site), now=NOW, force=True)
    text = both(caught.value)
    assert "index.html" in text and "kontak.html" in text and "--adopt" in text
    assert caught.value.exit_code == 2
    assert tree(site) == before


def test_adopting_never_overwrites_a_file_of_the_same_name(
    config: Config, workbook: WorkbookRegister, site: Path
) -> None:
    before = office_root(site)
    with pytest.raises(ConfigError) as caught:
        publish(config, workbook, FolderTarget(site), now=NOW, force=True, adopt=True)
    assert "index.html" in both(caught.value) and "kontak" not in both(caught.value)
    assert tree(site) == before


def test_an_adopted_target_keeps_every_foreign_file_through_publish_and_rollback(
    config: Config, workbook: WorkbookRegister, site: Path
) -> None:
    before = office_root(site)
    (site / "index.html").rename(site / "beranda.html")  # the office moved its page out of the way
    before = tree(site)
    target = FolderTarget(site)
    first = publish(config, workbook, target, now=NOW, force=True, adopt=True)
    add_rows(workbook, [established("Informasi Baru")])
    publish(config, workbook, target, now=LATER, force=True)  # adopted once: no need to repeat it
    rollback(config, target, None, lambda _: None)
    live = live_manifest(target)
    assert live is not None and live.list_of == first.version
    assert (site / "index.html").read_bytes() == (site / ARCHIVE / first.version / "index.html").read_bytes()
    after = tree(site)
    assert {name: after.get(name) for name in before} == before
    assert versions(target)[0].version == first.version


def test_cleanup_removes_only_its_own_leftovers(
    config: Config, workbook: WorkbookRegister, site: Path
) -> None:
    target = FolderTarget(site)
    publish(config, workbook, target, now=NOW, force=True)
    # an upload of ours cut short, with a file someone dropped into it; and look-alikes of leftovers
    pending = site / ARCHIVE / "20261125-040000Z"
    pending.mkdir()
    (pending / MARKER).write_text(json.dumps({"version": pending.name, "files": ["dip.csv"]}))
    (pending / "dip.csv").write_bytes(b"half")
    (pending / "catatan.txt").write_bytes(b"not ours")
    (site / ARCHIVE / "20240101-000000").mkdir()  # looks like a version, has no marker: not ours
    (site / ARCHIVE / "20240101-000000" / "dip.csv").write_bytes(b"kept")
    (site / ".backup.tmp").write_bytes(b"someone's")
    add_rows(workbook, [established("Informasi Baru")])
    progress: list[Message] = []
    publish(config, workbook, target, now=LATER, force=True, progress=progress.append)
    assert sorted(os.listdir(pending)) == ["catatan.txt"]
    assert (site / ARCHIVE / "20240101-000000" / "dip.csv").read_bytes() == b"kept"
    assert (site / ".backup.tmp").read_bytes() == b"someone's"
    assert any("dibiarkan" in m.id and "stays" in m.en for m in progress)


# ---- links ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("where", [ARCHIVE, "version"])
def test_a_link_in_the_site_tree_is_refused_and_what_it_points_to_survives(
    config: Config, workbook: WorkbookRegister, site: Path, tmp_path: Path, where: str
) -> None:
    target = FolderTarget(site)
    first = publish(config, workbook, target, now=NOW, force=True)
    elsewhere = tmp_path / "elsewhere"
    (elsewhere / "20200101-000000").mkdir(parents=True)
    (elsewhere / "20200101-000000" / "dokumen.pdf").write_bytes(b"precious")
    if where == ARCHIVE:  # the whole archive moved away and linked back
        os.rename(site / ARCHIVE, elsewhere / "moved")
        os.symlink(elsewhere / "moved", site / ARCHIVE)
        link = f"{ARCHIVE}"
    else:  # a version folder that is a link to another site's versions
        os.symlink(elsewhere / "20200101-000000", site / ARCHIVE / "20200101-000000")
        link = f"{ARCHIVE}/20200101-000000"
    before = tree(elsewhere)
    add_rows(workbook, [established("Informasi Baru")])
    with pytest.raises(ConfigError) as caught:
        publish(config, workbook, target, now=LATER, force=True)
    assert link in both(caught.value) and "tautan" in caught.value.message("id")
    with pytest.raises(ConfigError):
        rollback(config, target, first.version, lambda _: None)
    assert tree(elsewhere) == before


def test_a_folder_target_refuses_to_write_through_a_link(site: Path, tmp_path: Path) -> None:
    outside = tmp_path / "luar"
    outside.mkdir()
    site.mkdir()
    os.symlink(outside, site / "sub")
    os.symlink(outside / "f.txt", site / "f.txt")
    target = FolderTarget(site)
    actions: list[Callable[[], None]] = [lambda: target.put("sub/x.txt", b"1"),
                                         lambda: target.put("f.txt", b"1"), lambda: target.remove("sub/y")]
    for action in actions:
        with pytest.raises(ConfigError, match="tautan"):
            action()
    target.remove("sub")  # the link itself goes, never what it points to
    assert outside.is_dir() and list(outside.iterdir()) == []


def test_the_live_names_are_links_switched_by_one_rename(
    config: Config, workbook: WorkbookRegister, site: Path
) -> None:
    target = FolderTarget(site)
    first = publish(config, workbook, target, now=NOW, force=True)
    assert first.switch == "link"
    assert os.readlink(site / CURRENT) == f"{ARCHIVE}/{first.version}"
    for name in [*live_manifest(target).files, MANIFEST]:  # type: ignore[union-attr]
        assert os.readlink(site / name) == f"{CURRENT}/{name}"
    add_rows(workbook, [established("Informasi Baru")])
    renames: list[tuple[str, str]] = []
    original = FolderTarget.replace

    class Watched(FolderTarget):
        def replace(self, src: str, dst: str) -> None:
            renames.append((src, dst))
            original(self, src, dst)

    second = publish(config, workbook, Watched(site), now=LATER, force=True)
    assert [dst for _, dst in renames] == [CURRENT]  # the whole switch
    assert os.readlink(site / CURRENT) == f"{ARCHIVE}/{second.version}"
    assert_fully_live(site)


class NoLinks(FolderTarget):
    """A folder on a filesystem without symbolic links (FAT, some network shares)."""

    def symlink(self, link: str, path: str) -> None:
        raise LinksUnsupported("tidak bisa", "cannot")


def test_a_host_without_links_switches_file_by_file_and_says_so_once(
    config: Config, workbook: WorkbookRegister, site: Path
) -> None:
    progress: list[Message] = []
    result = publish(config, workbook, NoLinks(site), now=NOW, force=True, progress=progress.append)
    assert result.switch == "files"
    assert sum("tautan simbolik" in m.id and "symbolic links" in m.en for m in progress) == 1
    assert not (site / CURRENT).exists() and not (site / "index.html").is_symlink()
    assert_fully_live(site)


def test_a_site_of_real_files_upgrades_to_links_on_its_next_publish(
    config: Config, workbook: WorkbookRegister, site: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Sites published before links: real files at the root, local-time ids, no upload marker."""
    with monkeypatch.context() as patch:
        patch.setattr(publish_plan, "new_version_id", lambda now, taken: "20261125-100000")
        publish(config, workbook, NoLinks(site), now=NOW, force=True)
    (site / ARCHIVE / "20261125-100000" / MARKER).unlink()
    target = FolderTarget(site)
    unchanged = publish(config, workbook, target, now=LATER, force=True)
    assert unchanged.status == "published" and unchanged.version == "20261125-100000"
    assert os.readlink(site / CURRENT) == f"{ARCHIVE}/20261125-100000"
    assert_fully_live(site)
    add_rows(workbook, [established("Informasi Baru")])
    new = publish(config, workbook, target, now=LATER, force=True)
    assert os.readlink(site / CURRENT) == f"{ARCHIVE}/{new.version}" and b"Informasi Baru" in (
        site / "dip.json").read_bytes()
    assert [m.version for m in versions(target)] == ["20261125-100000", new.version]
    assert_fully_live(site)


# ---- versions ------------------------------------------------------------------------------------


def test_two_publishes_in_one_second_keep_two_versions_and_two_histories(
    config: Config, workbook: WorkbookRegister, site: Path
) -> None:
    target = FolderTarget(site)
    first = publish(config, workbook, target, now=NOW, force=True)
    add_rows(workbook, [established("Informasi Baru")])
    second = publish(config, workbook, target, now=NOW, force=True)
    assert second.version == f"{first.version}-2"
    assert [m.version for m in versions(target)] == [first.version, second.version]
    history = (site / "riwayat.html").read_text(encoding="utf-8")
    assert f"arsip/{first.version}/index.html" in history and f"arsip/{second.version}/index.html" in history
    assert rollback(config, target, None, lambda _: None).version == first.version


def test_rollback_after_a_timezone_change_picks_the_version_published_before(
    config: Config, workbook: WorkbookRegister, site: Path
) -> None:
    target = FolderTarget(site)
    first = publish(config, workbook, target, now=NOW, force=True)  # 10:00 in Jakarta (+07:00)
    add_rows(workbook, [established("Informasi Baru")])
    utc = dataclasses.replace(config, timezone="UTC")
    second = publish(utc, workbook, target, now=(NOW + dt.timedelta(hours=1)).astimezone(dt.UTC),
                     force=True)  # 04:00 UTC: later, though "04:00+00:00" < "10:00+07:00" as text
    assert [m.version for m in versions(target)] == [first.version, second.version]
    assert rollback(config, target, None, lambda _: None).version == first.version


# ---- bad input -----------------------------------------------------------------------------------


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    mount = tmp_path / "kecil"
    mount.mkdir()
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=64k", "tmpfs", str(mount)],
                          capture_output=True, text=True)
    if done.returncode != 0:
        pytest.skip(f"mounting a tmpfs is not permitted here: {done.stderr.strip()}")
    yield mount
    subprocess.run(["umount", "-l", str(mount)], check=True)


def test_a_full_local_disk_is_a_clear_message(config: Config, workbook: WorkbookRegister,
                                              small_disk: Path) -> None:
    (small_disk / "pengisi.bin").write_bytes(b"\0" * 60_000)
    config = dataclasses.replace(config, publish=dataclasses.replace(config.publish, folder=small_disk))
    with pytest.raises(DipError) as caught:
        publish(config, workbook, FolderTarget(small_disk), now=NOW, force=True, adopt=True)
    assert isinstance(caught.value, PublishFailed) and caught.value.exit_code == 1
    assert "penuh" in caught.value.message("id") and "full" in caught.value.message("en")


def test_missing_and_unwritable_folders_are_clear_messages(
    config: Config, workbook: WorkbookRegister, tmp_path: Path
) -> None:
    missing = tmp_path / "tidak-ada" / "situs"
    with pytest.raises(ConfigError, match="tidak-ada"):
        publish(config, workbook, FolderTarget(missing), now=NOW, force=True)
    assert not missing.parent.exists()
    blocked = tmp_path / "berkas"
    blocked.write_text("a file where the site folder should be")
    with pytest.raises(DipError) as caught:
        publish(config, workbook, FolderTarget(blocked / "situs"), now=NOW, force=True)
    assert "berkas" in caught.value.message("id")


def test_names_that_are_not_utf8_are_listed_not_crashed_on(
    config: Config, workbook: WorkbookRegister, site: Path
) -> None:
    site.mkdir()
    with open(os.open(bytes(site) + b"/laporan-\xff.pdf", os.O_WRONLY | os.O_CREAT, 0o644), "wb") as f:
        f.write(b"x")
    with pytest.raises(ConfigError) as caught:
        publish(config, workbook, FolderTarget(site), now=NOW, force=True)
    assert "laporan-\\xff.pdf" in caught.value.message("id")
    caught.value.message("id").encode("utf-8")  # printable as it is
    adopted = publish(config, workbook, FolderTarget(site), now=NOW, force=True, adopt=True)
    assert adopted.status == "published" and (site / "laporan-\udcff.pdf").exists()
