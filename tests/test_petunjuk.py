"""The workbook explains itself after ``dip init``: the Petunjuk tab, header notes, prompts, the
finding shading, the frozen ID and title, and a print setup that puts the demo on a few A4 pages."""

from __future__ import annotations

import re
import shutil
import subprocess
import zipfile
from pathlib import Path

import openpyxl
import pytest

from dip_sheets import demo
from dip_sheets import guide_tab as g
from dip_sheets import schema as s
from dip_sheets.register import Layout
from dip_sheets.register.workbook import WorkbookRegister
from tests.conftest import NOW, UNITS, add_rows, good_row


def test_the_guide_tab_comes_from_the_schema_and_the_findings(workbook: WorkbookRegister) -> None:
    book = openpyxl.load_workbook(workbook.path)
    assert g.GUIDE_TAB in book.sheetnames and book[g.GUIDE_TAB].protection.sheet
    text = "\n".join(str(c.value) for row in book[g.GUIDE_TAB].iter_rows() for c in row if c.value)
    for column in (*s.DIP_COLUMNS, *s.DIK_COLUMNS, *s.DECISION_COLUMNS):
        assert column.header in text and g.column_help(column) in text, column.header
    for paragraph in (*g.DECISION_RULES, *g.DASHBOARD_TEXT):  # who edits Keputusan, the year rule
        assert paragraph in text
    assert f"Tab '{s.DECISION_TAB}' dan aturan tahunan" in text and f"Tab '{s.DASHBOARD_TAB}'" in text
    for step in (s.STEP1, s.STEP2, s.STEP3, s.STEP4, s.STEP5):
        assert step in text
    for _, message in g.finding_messages():
        assert message in text
    # the catalogue reads real findings: the softcopy-without-link and duplicate rules are there
    assert any("softcopy" in m for _, m in g.finding_messages())
    assert any(m.startswith("Duplikat") for _, m in g.finding_messages())
    legend = {c.fill.fgColor.rgb[-6:] for row in book[g.GUIDE_TAB].iter_rows() for c in row[:1]
              if c.fill.fill_type == "solid"}
    assert set(g.ROLE_COLOURS.values()) | {g.FINDING_COLOUR, g.LOCKED_COLOUR} <= legend


def test_headers_carry_notes_prompts_a_sans_font_and_a_tall_row(workbook: WorkbookRegister) -> None:
    book = openpyxl.load_workbook(workbook.path)
    for tab in (s.TAB_BY_NAME[s.DIP_TAB], s.TAB_BY_NAME[s.DIK_TAB]):
        sheet = book[tab.name]
        header = [c.value for c in sheet[1]]
        for column in tab.columns:
            cell = sheet.cell(1, header.index(column.header) + 1)
            assert cell.comment is not None and cell.comment.text == g.column_help(column), column.header
            assert cell.font.name == "Arial" and cell.font.b and cell.alignment.wrap_text
        assert (sheet.row_dimensions[1].height or 0) >= 40
    sheet = book[s.DIP_TAB]
    header = [c.value for c in sheet[1]]
    prompts = {str(v.sqref).split(":")[0]: v for v in sheet.data_validations.dataValidation}
    for name in (s.CATEGORY, s.FORM, s.STEP2, s.CREATED, s.RETENTION, s.LINK):
        rule = prompts[f"{openpyxl.utils.get_column_letter(header.index(name) + 1)}2"]
        assert rule.showInputMessage and rule.promptTitle == name[:32]
        assert g.column_help(s.TAB_BY_NAME[s.DIP_TAB].column(name)) in rule.prompt
    assert prompts[f"{openpyxl.utils.get_column_letter(header.index(s.CATEGORY) + 1)}2"].type == "list"
    assert prompts[f"{openpyxl.utils.get_column_letter(header.index(s.CREATED) + 1)}2"].type is None


def test_findings_are_shaded_and_printing_is_set_up(workbook: WorkbookRegister) -> None:
    book = openpyxl.load_workbook(workbook.path)
    sheet = book[s.DIP_TAB]
    header = [c.value for c in sheet[1]]
    note = openpyxl.utils.get_column_letter(header.index(s.NOTE) + 1)
    rules = [r for cf in sheet.conditional_formatting for r in cf.rules]
    assert any(r.formula == [f"LEN(TRIM(${note}2))>0"] and r.dxf.fill.bgColor.rgb.endswith(g.FINDING_COLOUR)
               for r in rules)
    assert sheet.column_dimensions[note].alignment.wrap_text  # a finding reads whole
    title = openpyxl.utils.get_column_letter(header.index(s.TITLE) + 2)
    assert sheet.freeze_panes == f"{title}2"
    assert sheet.page_setup.orientation == "landscape" and sheet.page_setup.paperSize == 9
    assert sheet.page_setup.fitToWidth == 1 and sheet.page_setup.fitToHeight == 0
    assert sheet.sheet_properties.pageSetUpPr.fitToPage
    assert sheet.print_title_rows == "$1:$1"


def test_init_again_changes_nothing_and_repairs_a_damaged_guide(workbook: WorkbookRegister) -> None:
    add_rows(workbook, [good_row("A")])
    workbook.init(Layout(s.TABS, UNITS))  # the dropdowns and shading follow the new row
    before = workbook.path.read_bytes()
    assert workbook.init(Layout(s.TABS, UNITS)) == []
    assert workbook.path.read_bytes() == before
    book = openpyxl.load_workbook(workbook.path)
    book[g.GUIDE_TAB]["A1"] = "diubah staf"
    book.save(workbook.path)
    done = workbook.init(Layout(s.TABS, UNITS))
    assert [m.id for m in done] == ["Tab 'Petunjuk' ditulis"]
    assert openpyxl.load_workbook(workbook.path)[g.GUIDE_TAB]["A1"].value == g.lines()[0].cells[0]
    assert workbook.init(Layout(s.TABS, UNITS)) == []


def test_the_header_notes_keep_out_of_a_tab_with_staff_comments(workbook: WorkbookRegister) -> None:
    book = openpyxl.load_workbook(workbook.path)
    book[s.DIP_TAB]["B1"].comment = openpyxl.comments.Comment("catatan staf", "Staf")
    book.save(workbook.path)
    with zipfile.ZipFile(workbook.path) as z:
        before = {n: z.read(n) for n in z.namelist() if "comments" in n}
    workbook.init(Layout(s.TABS, UNITS))
    with zipfile.ZipFile(workbook.path) as z:
        assert {n: z.read(n) for n in z.namelist() if "comments" in n} == before


def _soffice() -> str:
    found = shutil.which("soffice") or shutil.which("libreoffice")
    if not found or not shutil.which("pdfinfo"):
        pytest.skip("LibreOffice (apt-get install libreoffice-calc-nogui) or pdfinfo (poppler-utils)"
                    " is not installed; the page count cannot be measured")
    return found


def test_the_demo_register_prints_on_at_most_three_a4_pages(tmp_path: Path) -> None:
    soffice = _soffice()
    register = demo.run(tmp_path / "demo").register
    book = openpyxl.load_workbook(register)
    assert book[s.DIP_TAB].max_row == 21
    for name in book.sheetnames:
        if name != s.DIP_TAB:
            del book[name]  # print the DIP tab alone, with the settings dip init gave it
    alone = tmp_path / "dip.xlsx"
    book.save(alone)
    profile = tmp_path / "lo-profile"
    subprocess.run([soffice, f"-env:UserInstallation=file://{profile}", "--headless", "--convert-to",
                    "pdf", "--outdir", str(tmp_path), str(alone)], check=True, timeout=240,
                   capture_output=True)
    info = subprocess.run(["pdfinfo", str(tmp_path / "dip.pdf")], check=True, capture_output=True,
                          text=True).stdout
    pages = int(re.search(r"Pages:\s+(\d+)", info)[1])  # type: ignore[index]
    size = re.search(r"Page size:\s+([\d.]+) x ([\d.]+)", info)
    assert size is not None and float(size[1]) > float(size[2]), "landscape"
    assert 1 <= pages <= 3, f"{pages} pages"


def test_a_finding_row_reads_as_one_in_the_guide(workbook: WorkbookRegister) -> None:
    """The message a real sync writes is one the guide explains (its fixed words match)."""
    from dip_sheets.sync import run

    row = good_row("A")
    row[s.LINK] = "bukan alamat"
    add_rows(workbook, [row])
    note = run(workbook, UNITS, NOW).review.dip[0].findings[0].id
    patterns = [re.escape(m).replace("…", ".*") for _, m in g.finding_messages()]
    assert any(re.fullmatch(p, note) for p in patterns), note
