"""An unchanged publish skips rendering (the manifest keeps a digest of the render's inputs), yet every
real change still publishes; the update history is built from the summaries each version stored."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import shutil
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest

import dip_sheets.publish as publishing
import dip_sheets.publish_plan as publish_plan
from dip_sheets import schema as s
from dip_sheets.config import Config, PublicBody
from dip_sheets.publish import ARCHIVE, live_manifest, publish, versions
from dip_sheets.records import Version
from dip_sheets.register import CellWrite, Changes
from dip_sheets.register.workbook import WorkbookRegister
from dip_sheets.render import render_site
from dip_sheets.render_digest import RegisterPart, render_digest
from dip_sheets.sync import review
from dip_sheets.targets.folder import FolderTarget
from dip_sheets.validate import Item
from tests.conftest import NOW, UNITS, add_rows, established

TEMPLATES = Path(publishing.__file__).parent / "templates"


@pytest.fixture
def config(publish_config: Config) -> Config:
    return publish_config


@pytest.fixture
def populated(workbook: WorkbookRegister) -> WorkbookRegister:
    add_rows(workbook, [established("Profil Badan Publik"),
                        established("Laporan Keuangan", **{s.CATEGORY: "Setiap Saat"})])
    return workbook


class Renders:
    """Counts the renders a publish makes, and the archived ``dip.json`` files it reads."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.count = 0
        real = render_site

        def counting(*args: Any, **kwargs: Any) -> Mapping[str, bytes]:
            self.count += 1
            return real(*args, **kwargs)

        monkeypatch.setattr(publish_plan, "render_site", counting)  # as publish looks it up


class ReadCounting(FolderTarget):
    """The site folder, counting every file read through it."""

    def __init__(self, root: Path) -> None:
        super().__init__(root)
        self.reads: list[str] = []

    def read(self, path: str) -> bytes | None:
        self.reads.append(path)
        return super().read(path)


def later(hours: int) -> dt.datetime:
    return NOW + dt.timedelta(hours=hours)


def test_unchanged_publish_does_not_render(config: Config, populated: WorkbookRegister,
                                           monkeypatch: pytest.MonkeyPatch) -> None:
    target = FolderTarget(config.publish.folder)
    first = publish(config, populated, target, now=NOW, force=True)
    manifest = live_manifest(target)
    assert manifest is not None and len(manifest.digest) == 64
    renders = Renders(monkeypatch)
    again = publish(config, populated, target, now=later(1), force=True)
    assert (again.status, again.version, renders.count) == ("unchanged", first.version, 0)


def test_a_changed_item_still_publishes(config: Config, populated: WorkbookRegister,
                                        monkeypatch: pytest.MonkeyPatch) -> None:
    target = FolderTarget(config.publish.folder)
    publish(config, populated, target, now=NOW, force=True)
    row = next(r for r in review(populated.read(), UNITS, NOW).dip if r.values[s.TITLE] == "Laporan Keuangan")
    # corrected after establishment and approved by the PPID (issue 13: one choice in step 3)
    populated.apply(Changes([CellWrite(row.anchor, s.SUMMARY, "Ringkasan yang diperbaiki"),
                             CellWrite(row.anchor, s.STEP3, s.APPROVE_CORRECTION)]))
    renders = Renders(monkeypatch)
    result = publish(config, populated, target, now=later(1), force=True)
    assert result.status == "published" and renders.count >= 1
    items = {i["judul"]: i for i in json.loads((config.publish.folder / "dip.json").read_bytes())["item"]}
    assert items["Laporan Keuangan"]["ringkasan"] == "Ringkasan yang diperbaiki"


def test_every_field_of_an_item_is_in_the_digest() -> None:
    item = Item("DIP-1", "Berkala", "Profil", "Profil Badan Publik", "Ringkasan", "Sekretariat", "PPID",
                "2026", 2026, "Kantor", "Softcopy", "5 tahun", "https://example.go.id/a", "")
    version = Version("20261125-030000Z", NOW.isoformat(), "25 November 2026")

    def digest(changed: Item) -> str:
        return render_digest(RegisterPart.of([changed], []), PublicBody(), version, None, [], None)

    seen = {digest(item)}
    for name, value in dataclasses.asdict(item).items():
        other: Any = value + 1 if isinstance(value, int) else value + "x"
        seen.add(digest(dataclasses.replace(item, **{name: other})))
    assert len(seen) == 1 + len(dataclasses.fields(Item))


def test_a_changed_template_still_publishes(config: Config, populated: WorkbookRegister,
                                            tmp_path: Path) -> None:
    folder = tmp_path / "templat"
    folder.mkdir()
    shutil.copy(TEMPLATES / "index.html.j2", folder / "index.html.j2")
    config = dataclasses.replace(config, publish=dataclasses.replace(config.publish, templates=folder))
    target = FolderTarget(config.publish.folder)
    first = publish(config, populated, target, now=NOW, force=True)
    assert publish(config, populated, target, now=later(1), force=True).status == "unchanged"
    page = folder / "index.html.j2"
    page.write_text(page.read_text(encoding="utf-8").replace(
        '<div class="intro">', '<div class="intro">\n<p>Jam layanan: 08.00-16.00</p>'), encoding="utf-8")
    result = publish(config, populated, target, now=later(2), force=True)
    assert result.status == "published" and result.version != first.version
    assert b"Jam layanan" in (config.publish.folder / "index.html").read_bytes()


def test_a_changed_office_setting_still_publishes(config: Config, populated: WorkbookRegister) -> None:
    target = FolderTarget(config.publish.folder)
    publish(config, populated, target, now=NOW, force=True)
    config = dataclasses.replace(config, office=dataclasses.replace(config.office, address="Jl. Baru No. 7"))
    result = publish(config, populated, target, now=later(1), force=True)
    assert result.status == "published"
    assert b"Jl. Baru No. 7" in (config.publish.folder / "index.html").read_bytes()


def test_a_new_decision_still_publishes(config: Config, populated: WorkbookRegister) -> None:
    """The decision now comes from the register's Keputusan tab (no longer ``decision_number`` in
    the configuration): a new one dated before the next publish makes a new version."""
    target = FolderTarget(config.publish.folder)
    publish(config, populated, target, now=NOW, force=True)
    add_rows(populated, [{s.DECISION_NUMBER: "2/PPID/2026", s.DECISION_DATE: "25 November 2026",
                          s.DECISION_ESTABLISHES: "DIP"}], s.DECISION_TAB)
    assert publish(config, populated, target, now=later(1), force=True).status == "published"
    assert live_manifest(target).history["decision_number"] == "2/PPID/2026"  # type: ignore[union-attr,index]


def test_a_manifest_without_a_digest_is_still_compared_by_rendering(
    config: Config, populated: WorkbookRegister, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A site published before the digest was kept: an unchanged publish renders and finds it equal."""
    target = FolderTarget(config.publish.folder)
    first = publish(config, populated, target, now=NOW, force=True)
    path = config.publish.folder / ARCHIVE / first.version / "manifest.json"
    document = json.loads(path.read_bytes())
    del document["render_digest"]
    path.write_text(json.dumps(document, indent=1, sort_keys=True) + "\n")
    renders = Renders(monkeypatch)
    again = publish(config, populated, target, now=later(1), force=True)
    assert (again.status, again.version) == ("unchanged", first.version) and renders.count == 1


def _publish_versions(config: Config, register: WorkbookRegister, target: FolderTarget, count: int) -> None:
    for n in range(count):
        add_rows(register, [established(f"Informasi {n}")])
        assert publish(config, register, target, now=later(n + 1), force=True).status == "published"


def test_history_reads_a_constant_number_of_archived_versions(config: Config,
                                                              populated: WorkbookRegister) -> None:
    target = ReadCounting(config.publish.folder)
    _publish_versions(config, populated, target, 6)
    archived = [m.version for m in versions(target)]
    target.reads.clear()
    add_rows(populated, [established("Informasi terakhir")])
    publish(config, populated, target, now=later(20), force=True)
    read = {p.split("/")[1] for p in target.reads if p.startswith(f"{ARCHIVE}/") and p.endswith("/dip.json")}
    # the oldest (the catalogue's first dates), the live one (the new version's diff) and the live one's
    # predecessor (re-rendering the live version to compare), whatever the number of versions
    assert read & set(archived) <= {archived[0], archived[-2], archived[-1]}
    history = (config.publish.folder / "riwayat.html").read_text(encoding="utf-8")
    for n in range(1, 6):  # the first version lists no changes
        assert f"Informasi {n}" in history


def test_history_from_summaries_equals_history_from_old_archives(
    config: Config, populated: WorkbookRegister, tmp_path: Path
) -> None:
    """Archives without a stored summary (older dip-sheets) give the same history page."""
    target = FolderTarget(config.publish.folder)
    _publish_versions(config, populated, target, 4)
    old_site = tmp_path / "situs-lama"
    shutil.copytree(config.publish.folder, old_site, symlinks=True)
    for manifest in (old_site / ARCHIVE).glob("*/manifest.json"):
        document = json.loads(manifest.read_bytes())
        del document["history"]
        manifest.write_text(json.dumps(document, indent=1, sort_keys=True) + "\n")
    add_rows(populated, [established("Informasi terakhir")])
    both = []
    for folder in (config.publish.folder, old_site):
        register = WorkbookRegister(tmp_path / f"{folder.name}.xlsx")
        shutil.copy(populated.path, register.path)
        site = dataclasses.replace(config, publish=dataclasses.replace(config.publish, folder=folder))
        assert publish(site, register, FolderTarget(folder), now=later(30), force=True).status == "published"
        both.append({name: (folder / name).read_bytes() for name in ("riwayat.html", "dcat.jsonld",
                                                                     "perubahan.json")})
    assert both[0] == both[1]
