"""The list as a PDF to download (``dip.pdf``): printed by Debian's headless Chromium from the page's own
print view, listed in the manifest, linked from the index beside CSV/XLSX/JSON only when the file is
there; an unchanged publish prints nothing; without Chromium the publish says so in one line and the
page has no PDF link."""

from __future__ import annotations

import dataclasses
import json
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

import dip_sheets.publish_plan as publish_plan
from dip_sheets import schema as s
from dip_sheets.config import Config
from dip_sheets.errors import ConfigError
from dip_sheets.evidence import Chromium
from dip_sheets.messages import Message
from dip_sheets.publish import ARCHIVE, publish
from dip_sheets.register.workbook import WorkbookRegister
from dip_sheets.render import render_site
from dip_sheets.targets.folder import FolderTarget
from tests.conftest import NOW, add_rows, established
from tests.plugins.chromium import ARTIFACTS, chromium
from tests.test_render import OFFICE, item, version

TITLES = [f"Laporan Kegiatan Nomor {n:02d}" for n in range(1, 13)]
PDF_LINK = '<a href="dip.pdf">'


@pytest.fixture
def pdf_on(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DIP_PDF", "1")


@pytest.fixture
def register(workbook: WorkbookRegister) -> WorkbookRegister:
    add_rows(workbook, [established(t, **{s.CATEGORY: ("Berkala", "Serta Merta", "Setiap Saat")[n % 3]})
                        for n, t in enumerate(TITLES)])
    return workbook


class Said:
    def __init__(self) -> None:
        self.lines: list[str] = []

    def __call__(self, message: Message) -> None:
        self.lines.append(message.id)

    def about_pdf(self) -> list[str]:
        return [line for line in self.lines if line.startswith("PDF daftar")]


def stand_in(monkeypatch: pytest.MonkeyPatch, folder: Path) -> None:
    """A stand-in for Chromium that writes a tiny PDF where it is told: fast, for the publish logic."""
    fake = folder / "chromium"
    fake.write_text('#!/bin/sh\nfor a; do case "$a" in --print-to-pdf=*) printf "%%PDF-1.4 uji" >'
                    ' "${a#--print-to-pdf=}";; esac; done\n')
    fake.chmod(0o755)
    monkeypatch.setattr(Chromium, "find", staticmethod(lambda: Chromium(str(fake))))


def pdf_text(path: Path) -> tuple[int, str]:
    info = subprocess.run(["pdfinfo", str(path)], capture_output=True, text=True, check=True).stdout
    pages = int(re.search(r"Pages:\s+(\d+)", info)[1])  # type: ignore[index]
    size = re.search(r"Page size:\s+([\d.]+) x ([\d.]+) pts", info)
    assert size and float(size[1]) > float(size[2]), info  # A4 landscape, as printed
    text = subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True,
                          check=True).stdout
    return pages, re.sub(r"\s+", " ", text)


@pytest.mark.browser
def test_the_publish_prints_the_list_to_a_linked_pdf_in_the_manifest(
    publish_config: Config, register: WorkbookRegister, pdf_on: None
) -> None:
    chromium()  # skips (or fails in CI) without it
    if not shutil.which("pdftotext"):
        pytest.skip("poppler-utils tidak terpasang")
    folder = publish_config.publish.folder
    said = Said()
    result = publish(publish_config, register, FolderTarget(folder), now=NOW, force=True, progress=said)
    assert result.status == "published" and said.about_pdf() == []
    pdf = folder / "dip.pdf"
    ARTIFACTS.mkdir(exist_ok=True)
    shutil.copy(pdf, ARTIFACTS / "dip-unduh.pdf")
    pages, text = pdf_text(pdf)
    print(f"\ndip.pdf: {len(TITLES)} informasi, {pages} halaman, {pdf.stat().st_size:,} bita")
    assert 1 <= pages <= 4, pages
    for title in TITLES:
        assert title in text, title
    assert "Daftar Informasi Publik" in text and "1/PPID/2026" in text  # heading and decision
    assert "NIP" in text  # the signature block, as on paper
    index = (folder / "index.html").read_text(encoding="utf-8")
    assert PDF_LINK in index
    manifest = json.loads((folder / "manifest.json").read_bytes())
    assert manifest["files"]["dip.pdf"]["size"] == pdf.stat().st_size
    assert (folder / ARCHIVE / result.version / "dip.pdf").read_bytes() == pdf.read_bytes()


@pytest.mark.browser
def test_an_unchanged_publish_prints_nothing_and_keeps_the_pdf(
    publish_config: Config, register: WorkbookRegister, pdf_on: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    chromium()
    folder = publish_config.publish.folder
    first = publish(publish_config, register, FolderTarget(folder), now=NOW, force=True)
    before = (folder / "dip.pdf").read_bytes()
    printed: list[Any] = []
    monkeypatch.setattr(publish_plan, "list_pdf", lambda *args: printed.append(args))
    again = publish(publish_config, register, FolderTarget(folder), now=NOW.replace(hour=11), force=True)
    assert (again.status, again.version, printed) == ("unchanged", first.version, [])
    assert (folder / "dip.pdf").read_bytes() == before


def test_without_chromium_one_line_says_so_and_the_page_has_no_pdf_link(
    publish_config: Config, register: WorkbookRegister, pdf_on: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    def missing() -> Chromium:
        raise ConfigError("Chromium tidak terpasang.", "Chromium is not installed.")

    monkeypatch.setattr(Chromium, "find", staticmethod(missing))
    folder = publish_config.publish.folder
    said = Said()
    result = publish(publish_config, register, FolderTarget(folder), now=NOW, force=True, progress=said)
    assert result.status == "published"
    assert said.about_pdf() == [
        "PDF daftar (dip.pdf) tidak dibuat karena Chromium tidak terpasang; halaman terbit tanpa tautan"
        " PDF. Pasang dengan `sudo apt-get install chromium`, atau tulis pdf = false di [publish]."]
    assert not (folder / "dip.pdf").exists() and "dip.pdf" not in (folder / "index.html").read_text()
    assert "dip.pdf" not in json.loads((folder / "manifest.json").read_bytes())["files"]


def test_a_failed_print_gives_no_file_and_no_link(
    publish_config: Config, register: WorkbookRegister, pdf_on: None, monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path
) -> None:
    broken = tmp_path / "chromium"
    broken.write_text("#!/bin/sh\nexit 7\n")
    broken.chmod(0o755)
    monkeypatch.setattr(Chromium, "find", staticmethod(lambda: Chromium(str(broken))))
    folder = publish_config.publish.folder
    said = Said()
    first = publish(publish_config, register, FolderTarget(folder), now=NOW, force=True, progress=said)
    assert len(said.about_pdf()) == 1 and "(kode 7)" in said.about_pdf()[0]
    assert not (folder / "dip.pdf").exists() and "dip.pdf" not in (folder / "index.html").read_text()
    # tried once: an unchanged register does not make a version (nor a try) every publish
    again = publish(publish_config, register, FolderTarget(folder), now=NOW.replace(hour=11), force=True,
                    progress=said)
    assert (again.status, again.version, len(said.about_pdf())) == ("unchanged", first.version, 1)


def test_turned_off_it_is_silent_and_a_later_publish_that_can_print_makes_a_new_version(
    publish_config: Config, register: WorkbookRegister, pdf_on: None, monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path
) -> None:
    off = dataclasses.replace(publish_config, publish=dataclasses.replace(publish_config.publish, pdf=False))
    folder = publish_config.publish.folder
    said = Said()
    first = publish(off, register, FolderTarget(folder), now=NOW, force=True, progress=said)
    assert said.about_pdf() == [] and not (folder / "dip.pdf").exists()
    assert publish(off, register, FolderTarget(folder), now=NOW.replace(hour=11), force=True).status == \
        "unchanged"
    # turned on (a stand-in printer here): the page now links a PDF, so it is a new version
    stand_in(monkeypatch, tmp_path)
    second = publish(publish_config, register, FolderTarget(folder), now=NOW.replace(hour=12), force=True)
    assert second.status == "published" and second.version != first.version
    assert (folder / "dip.pdf").read_bytes() == b"%PDF-1.4 uji"
    assert PDF_LINK in (folder / "index.html").read_text(encoding="utf-8")


def test_the_index_links_the_pdf_only_when_told_it_is_there() -> None:
    items = [item(n) for n in range(1, 5)]
    assert PDF_LINK in render_site(items, [], OFFICE, version(), pdf=True)["index.html"].decode()
    assert "dip.pdf" not in render_site(items, [], OFFICE, version())["index.html"].decode()


def test_a_later_version_without_a_pdf_takes_the_old_one_off_the_live_site(
    publish_config: Config, register: WorkbookRegister, pdf_on: None, monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path
) -> None:
    stand_in(monkeypatch, tmp_path)
    folder = publish_config.publish.folder
    first = publish(publish_config, register, FolderTarget(folder), now=NOW, force=True)
    assert (folder / "dip.pdf").exists()
    off = dataclasses.replace(publish_config, publish=dataclasses.replace(publish_config.publish, pdf=False))
    add_rows(register, [established("Informasi Baru")])
    second = publish(off, register, FolderTarget(folder), now=NOW.replace(hour=11), force=True)
    assert second.version != first.version
    assert not (folder / "dip.pdf").exists() and "dip.pdf" not in (folder / "index.html").read_text()
    assert (folder / ARCHIVE / first.version / "dip.pdf").exists()  # the archive keeps its own
