"""``dip keputusan draf``: the draft Keputusan PPID, as DOCX and PDF, for the demo register.

The DOCX is opened with python-docx and read back: the decision's structure in order, and the
attachment's rows equal to the list a publish puts online (the demo's ``dip.json``, in its order).
The PDF is made by the real LibreOffice (Debian's ``libreoffice-writer-nogui``, installed by
``scripts/test``) and read back with poppler's ``pdftotext -bbox``: one row per item, each title in
its row. Its first page is rendered to ``test-artifacts/keputusan-halaman-1.png`` for a person to
look at. LibreOffice's run takes several seconds, so those tests are marked slow; the others run
with a PATH that has no ``soffice`` and check the notice that says how to get the PDF.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import html
import json
import os
import re
import shutil
import subprocess
import sys
import zipfile
from collections.abc import Iterator
from pathlib import Path

import docx
import pytest
from docx.document import Document

from dip_sheets import demo
from dip_sheets import schema as s
from dip_sheets.cli import main
from dip_sheets.config import DEFAULT_LEGAL_BASES, Config, PublicBody, load_configs
from dip_sheets.decision_draft import TEMPLATE, to_pdf
from dip_sheets.decision_text import BLANK, DraftDecision, context
from dip_sheets.errors import DraftFailed
from dip_sheets.office import Office as RegisterOffice
from dip_sheets.register.workbook import append_rows
from dip_sheets.validate import Item

ROOT = Path(__file__).resolve().parent.parent
ARTIFACTS = ROOT / "test-artifacts"
NUMBER = "7/PP.01-Kpt/2026"
DAY = dt.date(2026, 1, 5)
HAS_SOFFICE = shutil.which("soffice") is not None and shutil.which("pdftotext") is not None
OFFICE_TOML = """
state_dir = "kerja"
[office]
name = "Komisi Pemilihan Umum Kabupaten Contoh"
short_name = "KPU Kabupaten Contoh"
city = "Contoh"
address = "Jl. Contoh No. 1, Kabupaten Contoh"
website = "https://ppid.kpu-contohkab.go.id"
ppid_title = "PPID KPU Kabupaten Contoh"
ppid_name = "Budi Santoso"
ppid_nip = "197001012000031001"
{extra}
[register]
path = "{register}"
[publish]
folder = "{site}"
{publish}
"""


@pytest.fixture(scope="module")
def demo_folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The demo register, synced and published once (its site holds the published list)."""
    folder = tmp_path_factory.mktemp("keputusan") / "demo"
    demo.run(folder)
    return folder


def published(folder: Path) -> tuple[list[str], list[str]]:
    """The titles of the published DIP and the excluded information of the DIK, in their order."""
    dip = json.loads((folder / demo.SITE / "dip.json").read_text(encoding="utf-8"))
    dik = json.loads((folder / demo.SITE / "dik.json").read_text(encoding="utf-8"))
    return [i["judul"] for i in dip["item"]], [x["informasi"] for x in dik["item"]]


def write_config(tmp_path: Path, demo_folder: Path, extra: str = "", publish: str = "") -> Path:
    path = tmp_path / "dip.toml"
    path.write_text(OFFICE_TOML.format(register=demo_folder / demo.REGISTER, site=demo_folder / demo.SITE,
                                       extra=extra, publish=publish), encoding="utf-8")
    return path


def office_of(tmp_path: Path, demo_folder: Path, **keys: str) -> RegisterOffice:
    [config] = load_configs(write_config(tmp_path, demo_folder, **keys))
    return RegisterOffice(config)


@pytest.fixture
def no_soffice(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A PATH without LibreOffice."""
    empty = tmp_path / "bin-tanpa-soffice"
    empty.mkdir()
    monkeypatch.setenv("PATH", str(empty))


def texts(document: Document) -> list[str]:
    return [p.text.strip() for p in document.paragraphs if p.text.strip()]


def rows(table: docx.table.Table) -> list[list[str]]:
    return [[cell.text.strip() for cell in row.cells] for row in table.rows]


def attachments(document: Document) -> dict[str, list[list[str]]]:
    """The attachment tables by their first heading cell's neighbour (``Kategori`` or ``Informasi …``)."""
    found = {}
    for table in document.tables:
        header = rows(table)[0]
        if header[0] == "No":
            found["dip" if header[1] == "Kategori" else "dik"] = rows(table)[1:]
    return found


# ---- the DOCX ------------------------------------------------------------------------------------


def test_the_docx_follows_a_keputusan_and_attaches_exactly_the_published_lists(
        tmp_path: Path, demo_folder: Path, no_soffice: None) -> None:
    office = office_of(tmp_path, demo_folder)
    result = office.draft_decision("keduanya", number=NUMBER, day=DAY)
    assert result.docx == tmp_path / "kerja" / "keputusan" / "keputusan-dip-dik-2026.docx"
    assert result.pdf is None
    document = docx.Document(str(result.docx))
    lines = texts(document)
    about = ("PENETAPAN DAFTAR INFORMASI PUBLIK DAN DAFTAR INFORMASI YANG DIKECUALIKAN KOMISI PEMILIHAN"
             " UMUM KABUPATEN CONTOH TAHUN 2026")
    heading = ["KOMISI PEMILIHAN UMUM KABUPATEN CONTOH",
               "Jl. Contoh No. 1, Kabupaten Contoh · Laman: https://ppid.kpu-contohkab.go.id",
               "KEPUTUSAN PPID KPU KABUPATEN CONTOH", f"NOMOR {NUMBER}", "TENTANG", about,
               "DENGAN RAHMAT TUHAN YANG MAHA ESA", "PPID KPU KABUPATEN CONTOH,", "MEMUTUSKAN:"]
    assert lines[: len(heading)] == heading
    signed = ["Ditetapkan di Contoh", "pada tanggal 5 Januari 2026", "PPID KPU KABUPATEN CONTOH,",
              "Budi Santoso", "NIP 197001012000031001"]
    assert lines[len(heading): len(heading) + len(signed)] == signed
    # Menimbang (a, b, c), Mengingat (the default legal bases), Menetapkan and the dictums
    considering, legal, decided = (rows(t) for t in document.tables[:3])
    assert [r[:3] for r in considering] == [["Menimbang", ":", "a."], ["", "", "b."], ["", "", "c."]]
    assert "Pasal 11 ayat (1) huruf a" in considering[0][3] and "Pasal 19" in considering[1][3]
    assert [r[3] for r in legal] == [f"{basis};" for basis in DEFAULT_LEGAL_BASES]
    assert legal[0][0] == "Mengingat"
    assert decided[0][:2] == ["Menetapkan", ":"]
    assert decided[0][2] == f"KEPUTUSAN PPID KPU KABUPATEN CONTOH TENTANG {about}."
    assert [r[0] for r in decided[1:]] == ["KESATU", "KEDUA", "KETIGA", "KEEMPAT", "KELIMA"]
    assert "Lampiran I " in decided[1][2] and "Lampiran II " in decided[2][2]
    assert "https://ppid.kpu-contohkab.go.id" in decided[4][2]
    # the attachments: their headings repeat the decision, their rows are the published lists
    for label in ("LAMPIRAN I", "LAMPIRAN II"):
        at = lines.index(label)
        assert lines[at + 1: at + 3] == ["KEPUTUSAN PPID KPU KABUPATEN CONTOH", f"NOMOR {NUMBER}"]
        assert lines[at + 4] == "TANGGAL 5 Januari 2026"
    assert "DAFTAR INFORMASI PUBLIK KOMISI PEMILIHAN UMUM KABUPATEN CONTOH TAHUN 2026" in lines
    titles, excluded = published(demo_folder)
    tables = attachments(document)
    assert [r[2] for r in tables["dip"]] == titles and len(titles) == result.items == 11
    assert [r[0] for r in tables["dip"]] == [str(n) for n in range(1, len(titles) + 1)]
    assert [r[1] for r in tables["dik"]] == excluded and len(excluded) == result.exclusions
    # the established rows that cannot be published are named, not attached
    assert any("DIP-0010" in n.id and "tidak ikut dilampirkan" in n.id for n in result.notices)


def test_without_number_and_date_the_number_follows_the_tab_and_the_date_is_a_blank(
        tmp_path: Path, demo_folder: Path, no_soffice: None) -> None:
    result = office_of(tmp_path, demo_folder).draft_decision("dip")
    year = result.decision.year
    lines = texts(docx.Document(str(result.docx)))
    # the demo's Keputusan tab holds 1/PP.01-Kpt/<this year>: the draft is the next one
    assert f"NOMOR 2/PP.01-Kpt/{year}" in lines and f"pada tanggal {BLANK} {year}" in lines
    assert f"TANGGAL {BLANK} {year}" in lines
    assert any(f"nomor berikutnya setelah 1/PP.01-Kpt/{year}" in line.id for line in result.lines())
    # a DIP decision has one attachment, called LAMPIRAN, and no DIK
    assert "LAMPIRAN" in lines and "LAMPIRAN II" not in lines
    assert set(attachments(docx.Document(str(result.docx)))) == {"dip"}
    assert result.docx.name == f"keputusan-dip-{year}.docx"


def test_the_draft_takes_the_next_number_and_says_why(tmp_path: Path, demo_folder: Path,
                                                      no_soffice: None) -> None:
    folder = tmp_path / "demo"
    shutil.copytree(demo_folder, folder)
    year = dt.date.today().year
    append_rows(folder / "register.xlsx", s.DECISION_TAB, [{
        s.DECISION_NUMBER: f"12/PP.01-Kpt/{year}", s.DECISION_DATE: f"3 Maret {year}",
        s.DECISION_ESTABLISHES: s.DECIDES_DIK}])
    result = office_of(tmp_path, folder).draft_decision("dip")
    assert result.decision.number == f"13/PP.01-Kpt/{year}" and result.number_from == "tab"
    said = [line.id for line in result.lines()]
    assert (f"Nomor keputusan: 13/PP.01-Kpt/{year}, nomor berikutnya setelah 12/PP.01-Kpt/{year} (keputusan"
            f" terakhir tahun {year} di tab 'Keputusan')") in said[-1]
    summary = result.summary()
    assert summary["number"] == f"13/PP.01-Kpt/{year}" and summary["number_from"] == "tab"
    assert "12/PP.01-Kpt" in summary["number_why"]


def test_a_year_without_a_decision_leaves_the_blank_and_says_so(tmp_path: Path, demo_folder: Path,
                                                                 no_soffice: None) -> None:
    result = office_of(tmp_path, demo_folder).draft_decision("dip", day=dt.date(2019, 1, 7))
    assert result.decision.number is None and result.number_from == "blank"
    assert any("dibiarkan kosong (……) karena tab 'Keputusan' belum memuat keputusan tahun 2019" in line.id
               for line in result.lines())


def test_the_command_names_the_number_given_with_nomor(tmp_path: Path, demo_folder: Path,
                                                       no_soffice: None,
                                                       capsys: pytest.CaptureFixture[str]) -> None:
    config = write_config(tmp_path, demo_folder)
    assert main(["keputusan", "draf", "--config", str(config), "--nomor", "5/PPID/2026",
                 "--folder", str(tmp_path / "d")]) == 0
    assert "Nomor keputusan: 5/PPID/2026 (dari --nomor)." in capsys.readouterr().out
    assert main(["keputusan", "draf", "--config", str(config), "--json", "--folder",
                 str(tmp_path / "d")]) == 0
    summary = json.loads(capsys.readouterr().out)
    assert summary["number_from"] == "tab" and summary["number"].startswith("2/PP.01-Kpt/")


def test_a_dik_decision_attaches_the_dik_only(tmp_path: Path, demo_folder: Path, no_soffice: None) -> None:
    result = office_of(tmp_path, demo_folder).draft_decision("dik", day=DAY)
    document = docx.Document(str(result.docx))
    assert set(attachments(document)) == {"dik"}
    lines = texts(document)
    assert ("PENETAPAN DAFTAR INFORMASI YANG DIKECUALIKAN KOMISI PEMILIHAN UMUM KABUPATEN CONTOH"
            " TAHUN 2026") in lines
    decided = rows(document.tables[2])
    assert [r[0] for r in decided[1:]] == ["KESATU", "KEDUA", "KETIGA", "KEEMPAT"]
    assert "Diktum KESATU" in decided[2][2]


def test_a_second_draft_never_overwrites_the_first(tmp_path: Path, demo_folder: Path,
                                                   no_soffice: None) -> None:
    office = office_of(tmp_path, demo_folder)
    first = office.draft_decision("dip", day=DAY)
    before = first.docx.read_bytes()
    second = office.draft_decision("dip", day=DAY, number=NUMBER)
    assert second.docx.name == "keputusan-dip-2026-2.docx" and first.docx.read_bytes() == before


#: a 2x2 red PNG
PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000002000000020802000000fdd49a730000001049444154789c63f8"
    "cfc000440c100a001fee03fd8b5f14d40000000049454e44ae426082")


def test_the_offices_logo_heads_the_letterhead(tmp_path: Path, demo_folder: Path, no_soffice: None) -> None:
    (tmp_path / "logo.png").write_bytes(PNG)
    result = office_of(tmp_path, demo_folder, extra='logo = "logo.png"').draft_decision("dip")
    document = docx.Document(str(result.docx))
    assert len(document.inline_shapes) == 1
    assert not any("Logo" in n.id for n in result.notices)
    # a logo a DOCX cannot show (SVG, or not an image at all): the draft is made without it
    (tmp_path / "logo.svg").write_text("<svg xmlns='http://www.w3.org/2000/svg'/>", encoding="utf-8")
    (tmp_path / "rusak.png").write_bytes(b"bukan gambar")
    for name in ("logo.svg", "rusak.png"):
        result = office_of(tmp_path, demo_folder, extra=f'logo = "{name}"').draft_decision("dip")
        assert len(docx.Document(str(result.docx)).inline_shapes) == 0
        assert any(f"Logo '{tmp_path / name}' tidak dipasang" in n.id for n in result.notices)


def test_a_named_registers_drafts_carry_its_name(tmp_path: Path, demo_folder: Path, no_soffice: None) -> None:
    config = dataclasses.replace(office_of(tmp_path, demo_folder).config, name="serang")
    result = RegisterOffice(config).draft_decision("dip", day=DAY)
    assert result.docx == tmp_path / "kerja" / "keputusan" / "keputusan-dip-2026-serang.docx"


def test_the_legal_bases_come_from_the_configuration(tmp_path: Path, demo_folder: Path,
                                                      no_soffice: None) -> None:
    bases = '["Undang-Undang Nomor 14 Tahun 2008 tentang Keterbukaan Informasi Publik",' \
            ' "Peraturan Komisi Pemilihan Umum Nomor 22 Tahun 2023 tentang Pengelolaan dan Pelayanan' \
            ' Informasi Publik di Lingkungan Komisi Pemilihan Umum;"]'
    office = office_of(tmp_path, demo_folder, extra=f"legal_bases = {bases}")
    legal = rows(docx.Document(str(office.draft_decision("dip").docx)).tables[1])
    assert [r[2] for r in legal] == ["1.", "2."]
    assert legal[1][3].startswith("Peraturan Komisi Pemilihan Umum Nomor 22 Tahun 2023")
    assert legal[1][3].endswith("Komisi Pemilihan Umum;")  # one semicolon, whatever was written


def test_an_office_template_in_the_templates_folder_is_used(tmp_path: Path, demo_folder: Path,
                                                          no_soffice: None) -> None:
    folder = tmp_path / "templat-kantor"
    folder.mkdir()
    built_in = docx.Document(str(ROOT / "dip_sheets" / "templates" / TEMPLATE))
    built_in.paragraphs[0].insert_paragraph_before("TEMPLAT KANTOR {{ office.short_name }}")
    built_in.save(str(folder / TEMPLATE))
    office = office_of(tmp_path, demo_folder, publish=f'templates = "{folder}"')
    result = office.draft_decision("dip")
    assert result.template == str(folder / TEMPLATE)
    assert texts(docx.Document(str(result.docx)))[0] == "TEMPLAT KANTOR KPU Kabupaten Contoh"
    # a template folder without keputusan.docx uses the built-in one
    (folder / TEMPLATE).unlink()
    assert "templat bawaan" in office.draft_decision("dip").template


def test_a_broken_office_template_is_named_with_exit_2(tmp_path: Path, demo_folder: Path,
                                                       no_soffice: None,
                                                       capsys: pytest.CaptureFixture[str]) -> None:
    folder = tmp_path / "templat-kantor"
    folder.mkdir()
    broken = docx.Document(str(ROOT / "dip_sheets" / "templates" / TEMPLATE))
    broken.add_paragraph("{{ office.name ")
    broken.save(str(folder / TEMPLATE))
    config = write_config(tmp_path, demo_folder, publish=f'templates = "{folder}"')
    assert main(["keputusan", "draf", "--config", str(config)]) == 2
    err = capsys.readouterr().err
    assert f"Templat keputusan '{folder / TEMPLATE}' tidak dapat diisi" in err and "Traceback" not in err
    (folder / TEMPLATE).write_text("bukan docx", encoding="utf-8")
    assert main(["keputusan", "draf", "--config", str(config)]) == 2
    assert "tidak dapat diisi" in capsys.readouterr().err
    assert not list((tmp_path / "kerja" / "keputusan").glob("*.docx"))


def test_an_office_template_runs_in_the_sandbox(tmp_path: Path, demo_folder: Path, no_soffice: None,
                                               capsys: pytest.CaptureFixture[str]) -> None:
    folder = tmp_path / "templat-kantor"
    folder.mkdir()
    marker = tmp_path / "dijalankan"
    escaping = docx.Document(str(ROOT / "dip_sheets" / "templates" / TEMPLATE))
    escaping.add_paragraph(f"{{{{ cycler.__init__.__globals__.os.system('touch {marker}') }}}}")
    escaping.save(str(folder / TEMPLATE))
    config = write_config(tmp_path, demo_folder, publish=f'templates = "{folder}"')
    assert main(["keputusan", "draf", "--config", str(config)]) == 2
    assert "tidak dapat diisi" in capsys.readouterr().err and not marker.exists()


def test_the_shipped_template_is_what_its_script_builds(tmp_path: Path) -> None:
    sys.path.insert(0, str(ROOT / "scripts"))
    try:
        import make_decision_template
    finally:
        sys.path.remove(str(ROOT / "scripts"))
    assert make_decision_template.main(["make", str(tmp_path / TEMPLATE)]) == 0
    with zipfile.ZipFile(tmp_path / TEMPLATE) as built, \
            zipfile.ZipFile(ROOT / "dip_sheets" / "templates" / TEMPLATE) as shipped:
        for part in ("word/document.xml", "word/styles.xml", "docProps/core.xml"):
            assert built.read(part) == shipped.read(part), part


def test_cell_text_that_xml_cannot_hold_is_dropped() -> None:
    item = Item("DIP-0001", "Berkala", "", "Judul\x0b berbahaya\x01", "Ringkasan", "Unit", "Sekretaris",
                "2024", 2024, "Contoh", "Softcopy", "5 tahun", "", "")
    values = context(DraftDecision("dip", 2026), PublicBody(), [item], [], site="")
    assert values["items"][0]["title"] == "Judul berbahaya"


# ---- the command -----------------------------------------------------------------------------------


def test_without_libreoffice_the_docx_is_written_and_the_notice_says_how_to_get_the_pdf(
        tmp_path: Path, demo_folder: Path, no_soffice: None, capsys: pytest.CaptureFixture[str]) -> None:
    config = write_config(tmp_path, demo_folder)
    assert main(["keputusan", "draf", "--config", str(config), "--nomor", NUMBER]) == 0
    out = capsys.readouterr().out
    assert "PDF tidak dibuat: LibreOffice (soffice) tidak ditemukan." in out
    assert "simpan sebagai PDF" in out and "apt-get install libreoffice-writer-nogui" in out
    docx_path = tmp_path / "kerja" / "keputusan" / f"keputusan-dip-{dt.date.today().year}.docx"
    assert f"Draf keputusan (DOCX, lampiran 11 informasi publik): {docx_path}" in out
    assert docx_path.is_file() and not docx_path.with_suffix(".pdf").exists()
    assert main(["keputusan", "draf", "--config", str(config), "--json", "--lang", "en"]) == 0
    summary = json.loads(capsys.readouterr().out)
    assert summary["pdf"] is None and summary["docx"].endswith("-2.docx")
    assert summary["notices"][-1].startswith("No PDF was made: LibreOffice (soffice) was not found.")


def test_bad_options_exit_2_without_drafting(tmp_path: Path, demo_folder: Path,
                                             capsys: pytest.CaptureFixture[str]) -> None:
    config = str(write_config(tmp_path, demo_folder))
    assert main(["keputusan", "draf", "--config", config, "--tanggal", "5 Januari 2026"]) == 2
    assert "TAHUN-BULAN-HARI" in capsys.readouterr().err
    assert main(["keputusan", "draf", "--config", config, "--nomor", "1\x1b[2J"]) == 2
    assert "satu baris" in capsys.readouterr().err
    assert main(["keputusan", "draf", "--config", config, "--jenis", "semua"]) == 2
    assert main(["keputusan", "--config", config]) == 2
    assert not (tmp_path / "kerja" / "keputusan").exists()


def test_nothing_established_yet_is_refused_with_what_to_do(tmp_path: Path,
                                                             capsys: pytest.CaptureFixture[str]) -> None:
    empty = tmp_path / "kosong"
    RegisterOffice(demo.demo_config(empty)).init()
    config = write_config(tmp_path, empty)
    assert main(["keputusan", "draf", "--config", str(config)]) == DraftFailed.exit_code == 1
    assert "Belum ada informasi yang siap terbit" in capsys.readouterr().err
    assert main(["keputusan", "draf", "--config", str(config), "--jenis", "dik"]) == 1
    assert "--jenis dip" in capsys.readouterr().err


# ---- LibreOffice --------------------------------------------------------------------------------------


def fake_soffice(tmp_path: Path, body: str, monkeypatch: pytest.MonkeyPatch) -> None:
    folder = tmp_path / "bin-palsu"
    folder.mkdir()
    script = folder / "soffice"
    script.write_text(f"#!/bin/sh\n{body}\n", encoding="utf-8")
    script.chmod(0o755)
    monkeypatch.setenv("PATH", f"{folder}{os.pathsep}{os.environ['PATH']}")


def test_a_libreoffice_that_hangs_is_killed_with_its_children(tmp_path: Path,
                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    pid_file = tmp_path / "anak.pid"
    fake_soffice(tmp_path, f"sleep 60 & echo $! > {pid_file}; wait", monkeypatch)
    (tmp_path / "d.docx").write_bytes(b"")
    pdf, notice = to_pdf(tmp_path / "d.docx", timeout=1)
    assert pdf is None and notice is not None
    assert "tidak selesai dalam 1 detik" in notice.id and "simpan sebagai PDF" in notice.id
    child = Path(f"/proc/{pid_file.read_text().strip()}/stat")
    # gone, or a zombie waiting for the container's init to reap it
    assert not child.exists() or child.read_text().split(") ")[1][0] == "Z"


def test_a_libreoffice_that_fails_is_reported_with_its_message(tmp_path: Path,
                                                               monkeypatch: pytest.MonkeyPatch) -> None:
    fake_soffice(tmp_path, "echo 'Error: source file could not be loaded' >&2; exit 1", monkeypatch)
    (tmp_path / "d.docx").write_bytes(b"")
    pdf, notice = to_pdf(tmp_path / "d.docx")
    assert pdf is None and notice is not None
    assert "LibreOffice gagal (Error: source file could not be loaded)" in notice.id


Word = tuple[float, float, str]  # xMin, yMin, text


def pdf_pages(pdf: Path) -> Iterator[list[Word]]:
    """Each page's words with their position, read by poppler's ``pdftotext -bbox``."""
    out = subprocess.run(["pdftotext", "-bbox", str(pdf), "-"], capture_output=True, text=True,
                         check=True, timeout=60).stdout
    for page in re.findall(r"<page .*?</page>", out, re.S):
        yield [(float(x), float(y), html.unescape(w)) for x, y, w in re.findall(
            r'<word xMin="([\d.]+)" yMin="([\d.]+)"[^>]*>(.*?)</word>', page)]


def column_edges(document: Document, kind: str) -> list[float]:
    """Where the columns of an attachment table begin and end on its page, in points, from the DOCX
    (the cells' text is left-aligned and starts at the column's edge)."""
    [table] = [t for t in document.tables if rows(t)[0][0] == "No"
               and (rows(t)[0][1] == "Kategori") == (kind == "dip")]
    edges = [document.sections[-1].left_margin.pt]  # type: ignore[union-attr]
    for column in table.columns:
        edges.append(edges[-1] + column.width.pt)
    return edges


def pdf_rows(pdf: Path, marker: str, edges: list[float], column: int) -> list[str]:
    """The text of ``column`` in each numbered row of the table whose header row holds ``marker``,
    over every page (the header row is repeated on each page the table runs over)."""
    found: list[str] = []

    def inside(x: float, index: int) -> bool:
        return edges[index] - 3 <= x < edges[index + 1] - 3

    for words in pdf_pages(pdf):
        header_y = next((y for x, y, w in words if w == "No" and inside(x, 0)), None)
        if header_y is None or not any(w == marker and abs(y - header_y) < 2 for _, y, w in words):
            continue
        numbers = sorted(y for x, y, w in words if inside(x, 0) and y > header_y + 5 and w.isdigit())
        for index, top in enumerate(numbers):
            bottom = numbers[index + 1] if index + 1 < len(numbers) else float("inf")
            cell = sorted((y, x, w) for x, y, w in words if inside(x, column) and top - 2 <= y < bottom - 2)
            found.append(" ".join(w for _, _, w in cell))
    return found


@pytest.mark.slow
@pytest.mark.skipif(not HAS_SOFFICE, reason="needs LibreOffice Writer and poppler-utils (scripts/test)")
def test_the_command_prints_the_paths_and_the_pdf_has_one_row_per_published_item(
        tmp_path: Path, demo_folder: Path, capsys: pytest.CaptureFixture[str]) -> None:
    config = write_config(tmp_path, demo_folder)
    code = main(["keputusan", "draf", "--config", str(config), "--jenis", "keduanya", "--nomor", NUMBER,
                 "--tanggal", DAY.isoformat(), "--folder", str(tmp_path / "draf"), "--json"])
    assert code == 0
    summary = json.loads(capsys.readouterr().out)
    docx_path, pdf = Path(summary["docx"]), Path(summary["pdf"])
    assert docx_path == tmp_path / "draf" / "keputusan-dip-dik-2026.docx" and docx_path.is_file()
    assert pdf == docx_path.with_suffix(".pdf") and pdf.read_bytes().startswith(b"%PDF")
    assert summary["notices"] and "tidak ikut dilampirkan" in summary["notices"][0]  # no PDF notice
    titles, excluded = published(demo_folder)

    def squeezed(texts: list[str]) -> list[str]:  # a title wraps inside its cell: compare without spaces
        return ["".join(t.split()) for t in texts]

    document = docx.Document(str(docx_path))
    assert squeezed(pdf_rows(pdf, "Kategori", column_edges(document, "dip"), 2)) == squeezed(titles)
    assert squeezed(pdf_rows(pdf, "Dasar", column_edges(document, "dik"), 1)) == squeezed(excluded)
    text = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True,
                          check=True).stdout
    for heading in ("KEPUTUSAN PPID KPU KABUPATEN CONTOH", f"NOMOR {NUMBER}", "MEMUTUSKAN:", "LAMPIRAN I",
                    "DENGAN RAHMAT TUHAN YANG MAHA ESA", "LAMPIRAN II", "NIP 197001012000031001"):
        assert heading in text
    ARTIFACTS.mkdir(exist_ok=True)
    subprocess.run(["pdftoppm", "-png", "-r", "110", "-f", "1", "-l", "1", "-singlefile", str(pdf),
                    str(ARTIFACTS / "keputusan-halaman-1")], check=True, timeout=60)
    assert (ARTIFACTS / "keputusan-halaman-1.png").stat().st_size > 10_000


def test_config_office_defaults_cite_the_three_laws() -> None:
    assert Config().office.legal_bases == DEFAULT_LEGAL_BASES
    assert [b.split(" tentang")[0] for b in DEFAULT_LEGAL_BASES] == [
        "Undang-Undang Nomor 14 Tahun 2008", "Peraturan Pemerintah Nomor 61 Tahun 2010",
        "Peraturan Komisi Informasi Nomor 1 Tahun 2021"]
    assert dataclasses.replace(PublicBody(), legal_bases=("X",)).legal_bases == ("X",)


# ---- what the dependency brings ----------------------------------------------------------------------


def test_a_register_made_with_lxml_installed_is_well_formed_xml(tmp_path: Path) -> None:
    """docxtpl brings lxml, and openpyxl then declares the relationships namespace on each <sheet>
    rather than on the root: the sheets dip-sheets adds (``Pilihan``, ``Petunjuk``) declare it too."""
    import xml.etree.ElementTree as ElementTree

    RegisterOffice(demo.demo_config(tmp_path)).init()
    with zipfile.ZipFile(tmp_path / demo.REGISTER) as book:
        root = ElementTree.fromstring(book.read("xl/workbook.xml"))
    names = [sheet.get("name") for sheet in root.iter("{http://schemas.openxmlformats.org/spreadsheetml/2006/main}sheet")]
    assert {"DIP", "Pilihan", "Petunjuk"} <= set(names)
