"""``dip init`` on a workbook: create it, or repair the layout of one staff already use.

Repairs are patches like every other write (:mod:`.xlsx`): missing tabs and headers are added, the
hidden dropdown tab is rewritten, and only the worksheet elements dip-sheets owns are set again
(header formats, the widths and protection of its columns where staff set none, the frozen header
row, its own dropdowns, sheet protection). Staff content, their own validations, widths, filters,
tables, comments and drawings keep their bytes.

Dropdowns and cell formats cover only the rows that hold data (plus a margin for new rows), so a
stray value far below the data never makes the file grow or the work slow down.
"""

from __future__ import annotations

import io
import re
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

from openpyxl import Workbook

from .. import guide_tab
from .. import schema as s
from ..messages import Message
from . import Cell, Layout, cell_text, plan
from . import workbook_guide as guide
from .xlsx import attrs, children, column_letter, escape, start_tag
from .xlsx_sheet import Worksheet
from .xlsx_styles import Format, Styles, normal_form

if TYPE_CHECKING:
    from .workbook_book import Book

CHOICES_TAB = "Pilihan"  # hidden tab holding dropdown lists (unit names contain commas)
#: dropdowns reach this many rows past the last row holding data (``dip init`` extends them).
VALIDATION_MARGIN = 1000
#: established rows are shaded, so staff see why they cannot type there.
LOCKED_FILL = guide_tab.LOCKED_COLOUR
#: header colours by owner (the Petunjuk tab's legend shows the same)
HEADER_FILL = guide_tab.ROLE_COLOURS
#: what staff may still do on a protected tab (the rest of Excel's defaults stays protected).
ALLOWED = {b"formatColumns": b"0", b"formatRows": b"0", b"insertRows": b"0", b"deleteRows": b"0",
           b"sort": b"0", b"autoFilter": b"0"}
MAIN = b"http://schemas.openxmlformats.org/spreadsheetml/2006/main"
#: ends the prompt of every data validation dip-sheets writes: how ``dip init`` finds its own again.
PROMPT_MARK = b" (lihat tab Petunjuk)"
EMPTY_SHEET = (b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<worksheet xmlns="%s"'
               b' xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">'
               b"<sheetData/></worksheet>" % MAIN)


def new_workbook(names: list[str]) -> bytes:
    """An empty workbook with these tabs (nothing of anyone's to keep yet)."""
    book = Workbook()
    book.active.title = names[0]
    for name in names[1:]:
        book.create_sheet(name)
    stream = io.BytesIO()
    book.save(stream)
    return stream.getvalue()


def lock_probe(tab: s.Tab) -> str | None:
    """The column whose cell format tells whether a row is locked (the first staff column).

    ``None`` for tabs written only by the sync, which are locked as a whole.
    """
    return next((c.header for c in tab.columns if c.owner is not s.Role.SYSTEM), None)


def protection_xml(sheet: Worksheet) -> bytes:
    """The tab's ``sheetProtection`` switched on, keeping a password staff may have set."""
    a = attrs(sheet.element("sheetProtection") or b"")
    a[b"sheet"] = b"1"
    a.update(ALLOWED)
    return start_tag(sheet.prefix, b"sheetProtection", a, True)


def protect(sheet: Worksheet) -> bool:
    """Switch the tab's protection back on if it is off; ``True`` if it was off."""
    if sheet.protected():
        return False
    sheet.put("sheetProtection", protection_xml(sheet))
    return True


def repair(book: Book, layout: Layout) -> list[Message]:
    """Add what is missing and set again what dip-sheets owns; report what changed."""
    done: list[Message] = []
    for tab in layout.tabs:
        if tab.name not in book.paths:
            book.add_sheet(tab.name, EMPTY_SHEET)
            done.append(Message(f"Tab '{tab.name}' dibuat", f"Tab '{tab.name}' created"))
    if _ensure_choices(book, layout):
        done.append(Message("Daftar pilihan (dropdown) diperbarui", "Dropdown lists updated"))
    if guide.ensure_guide(book):
        done.append(Message("Tab 'Petunjuk' ditulis", "Tab 'Petunjuk' written"))
    if s.DASHBOARD_TAB not in book.paths:  # the sync fills it
        guide.write_dashboard(book, [])
        done.append(Message(f"Tab '{s.DASHBOARD_TAB}' dibuat (diisi oleh sinkronisasi)",
                            f"Tab '{s.DASHBOARD_TAB}' created (the sync fills it)"))
    elif protect(book.sheet(s.DASHBOARD_TAB)):
        done.append(Message(f"Tab '{s.DASHBOARD_TAB}': proteksi dipasang kembali",
                            f"Tab '{s.DASHBOARD_TAB}': protection put back"))
    for tab in layout.tabs:
        added = _ensure_headers(book, tab)
        if added:
            names = ", ".join(added)
            done.append(Message(f"Tab '{tab.name}': kolom ditambahkan: {names}",
                                f"Tab '{tab.name}': columns added: {names}"))
        _format(book, tab)
    return done


def _ensure_headers(book: Book, tab: s.Tab) -> list[str]:
    """Write missing headers after the last used one in row 1; refuse if a header appears twice."""
    present = list(book.rows(tab.name)[0])
    missing = plan.missing_headers(tab, present)
    for offset, column in enumerate(missing.columns):
        book.set(tab.name, 1, missing.start + offset + 1, column.header)
    added = [c.header for c in missing.columns]
    present[missing.start:missing.start + len(added)] = added
    book.grids[tab.name][0] = present
    return added


def _ensure_choices(book: Book, layout: Layout) -> bool:
    """Keep the hidden list tab (ours alone) in step with the schema and the configured units."""
    wanted = [[header, *values] for header, values in plan.choice_lists(layout).items()]
    present = CHOICES_TAB in book.paths
    if present:
        book.package.hide_sheet(CHOICES_TAB)
        grid = book.rows(CHOICES_TAB)
        width = max((len(r) for r in grid), default=0)
        current = [[cell_text(r[c]) for r in grid if c < len(r) and cell_text(r[c])] for c in range(width)]
        if current == wanted:
            return False
    rows = []
    for number in range(1, max(len(c) for c in wanted) + 1):
        cells = b"".join(
            b'<c r="%s%d" t="inlineStr"><is><t>%s</t></is></c>' % (
                column_letter(i + 1).encode(), number, escape(values[number - 1]))
            for i, values in enumerate(wanted) if number <= len(values))
        rows.append(b'<row r="%d">%s</row>' % (number, cells))
    xml = EMPTY_SHEET.replace(b"<sheetData/>", b"<sheetData>%s</sheetData>%s" % (
        b"".join(rows), start_tag(b"", b"sheetProtection", {b"sheet": b"1"}, True)))
    if present:
        book.package.write(book.paths[CHOICES_TAB], xml)
        book.sheets.pop(CHOICES_TAB, None)
    else:
        book.add_sheet(CHOICES_TAB, xml, hidden=True)
    book.grids[CHOICES_TAB] = [[w[n] if n < len(w) else None for w in wanted]
                               for n in range(max(len(c) for c in wanted))]
    return True


def _format(book: Book, tab: s.Tab) -> None:
    """Set again, idempotently, what dip-sheets owns in a tab's formatting."""
    sheet, styles = book.sheet(tab.name), book.styles
    columns = s.locate_columns(tab, book.rows(tab.name)[0])
    staff_tab = not plan.is_system_tab(tab.name)
    bold = styles.sans_bold_font()
    wrap = _wrap(styles)
    for column in tab.columns:
        number = columns[column.header] + 1
        wanted = styles.derive(book.base_style(tab.name, 1, number), Format(
            locked=True, fill=styles.fill(HEADER_FILL[column.owner]), font=bold, alignment=wrap))
        if sheet.style(1, number) != wanted:
            sheet.set_style(1, number, wanted)
    editable = {columns[c.header] + 1 for c in tab.columns if staff_tab and c.owner is not s.Role.SYSTEM}
    widths = {columns[c.header] + 1: c.width for c in tab.columns}
    wrapped = {columns[s.NOTE] + 1} if s.NOTE in columns else set()  # findings read whole
    _put_if_changed(sheet, "cols", _cols(sheet, styles, widths, editable, wrapped))
    frozen = max(columns[s.ID], columns[s.TITLE]) + 1 if s.TITLE in columns and s.ID in columns else 0
    _put_if_changed(sheet, "sheetViews", _frozen_header(sheet, frozen))
    guide.header_row(sheet)
    if staff_tab:
        _put_if_changed(sheet, "dataValidations", _validations(book, tab, columns))
        last = last_used_row(book.rows(tab.name)) + 1 + VALIDATION_MARGIN
        _put_if_changed(sheet, "conditionalFormatting", guide.finding_rule(book, tab, columns, last))
        _put_if_changed(sheet, "sheetPr", guide.fit_to_page(sheet))
        _put_if_changed(sheet, "pageSetup", guide.page_setup(sheet))
        guide.print_titles(book, tab)
        guide.header_notes(book, tab, columns)
    unlocked = styles.derive(0, Format(locked=False))
    for number in editable:  # cells present without a format of their own would be locked
        for row, style in list(sheet.cell_styles(number)):
            if row > 1 and not style:
                sheet.set_style(row, number, unlocked)
    _put_if_changed(sheet, "sheetProtection", protection_xml(sheet))


def _wrap(styles: Styles) -> bytes:
    return b'<%salignment vertical="top" wrapText="1"/>' % styles.prefix


def _put_if_changed(sheet: Worksheet, name: str, xml: bytes | None) -> None:
    """Set an element unless it already means the same (as another program may have spelled it);
    a dropdown's list range is text, not an attribute: it counts too (a list that grew)."""
    existing = sheet.element(name)
    if xml is not None and (existing is None or normal_form(xml) != normal_form(existing)
                            or (name == "dataValidations" and _formulas(xml) != _formulas(existing))):
        sheet.put(name, xml)


def _formulas(xml: bytes) -> list[bytes]:
    return re.findall(rb"<(?:[\w.-]+:)?formula1>([^<]*)<", xml)


def _cols(sheet: Worksheet, styles: Styles, widths: Mapping[int, int], editable: set[int],
          wrapped: set[int]) -> bytes | None:
    """``<cols>`` with each register column's lock (and wrapping, for ``wrapped``) set, and a width
    where staff set none."""
    ranges: list[tuple[int, int, dict[bytes, bytes]]] = []
    for tag in re.findall(rb"<(?:[\w.-]+:)?col\b[^>]*>", sheet.element("cols") or b""):
        a = attrs(tag)
        ranges.append((int(a.pop(b"min")), int(a.pop(b"max")), a))
    changed = False
    for column, width in sorted(widths.items()):
        at = next((i for i, (low, high, _) in enumerate(ranges) if low <= column <= high), None)
        current = dict(ranges[at][2]) if at is not None else {}
        new = dict(current)
        style = styles.derive(int(current.get(b"style", b"0")), Format(
            locked=column not in editable, alignment=_wrap(styles) if column in wrapped else None))
        if style or b"style" in current:
            new[b"style"] = str(style).encode()
        if b"width" not in new:
            new[b"width"], new[b"customWidth"] = str(width).encode(), b"1"
        if new == current:
            continue
        changed = True
        if at is None:
            ranges.append((column, column, new))
            continue
        low, high, old = ranges.pop(at)
        ranges += [(column, column, new)]
        ranges += [(low, column - 1, old)] if low < column else []
        ranges += [(column + 1, high, old)] if column < high else []
    if not changed:
        return None
    p = sheet.prefix
    body = b"".join(start_tag(p, b"col", {b"min": str(low).encode(), b"max": str(high).encode(), **a}, True)
                    for low, high, a in sorted(ranges, key=lambda r: r[0]))
    return b"<%scols>%s</%scols>" % (p, body, p)


#: the pane earlier versions froze (the header row only): ours to widen.
OLD_PANE = b'<pane ySplit="1" topLeftCell="A2" activePane="bottomLeft" state="frozen"/>'


def _frozen_header(sheet: Worksheet, columns: int) -> bytes | None:
    """Freeze the header row and the first ``columns`` (ID to title), unless the first view has a
    pane of its own."""
    p = sheet.prefix
    if columns:
        pane = b'<%spane xSplit="%d" ySplit="1" topLeftCell="%s2" activePane="bottomRight"' \
            b' state="frozen"/>' % (p, columns, column_letter(columns + 1).encode())
    else:
        pane = b'<%spane ySplit="1" topLeftCell="A2" activePane="bottomLeft" state="frozen"/>' % p
    views = sheet.element("sheetViews")
    if views is None:
        return b'<%ssheetViews><%ssheetView workbookViewId="0">%s</%ssheetView></%ssheetViews>' % (
            p, p, pane, p, p)
    match = re.search(rb"<(?:[\w.-]+:)?sheetView\b[^>]*?(/?)>", views)
    if match is None:
        return None
    if match[1]:
        opened = match[0][:-2].rstrip() + b">"
        return views[:match.start()] + opened + pane + b"</%ssheetView>" % p + views[match.end():]
    first = children(views, match.end(), len(views))
    if first and first[0].name == "pane":
        old = views[first[0].start:first[0].end]
        if old.replace(p, b"") != OLD_PANE or old == pane:
            return None
        return views[:first[0].start] + pane + views[first[0].end:]
    return views[:match.end()] + pane + views[match.end():]


def _validations(book: Book, tab: s.Tab, columns: Mapping[str, int]) -> bytes | None:
    """Our dropdowns over the rows that hold data plus a margin; staff's own rules are kept."""
    sheet, p = book.sheet(tab.name), book.sheet(tab.name).prefix
    existing = sheet.element("dataValidations") or b""
    inner_start = existing.find(b">") + 1
    kept = [existing[e.start:e.end] for e in children(existing, inner_start, len(existing))
            if e.name == "dataValidation" and f"{CHOICES_TAB}!".encode() not in existing[e.start:e.end]
            and PROMPT_MARK not in existing[e.start:e.end]]
    choices = book.rows(CHOICES_TAB)
    sources = {cell_text(v): i + 1 for i, v in enumerate(choices[0])}
    last = last_used_row(book.rows(tab.name)) + 1 + VALIDATION_MARGIN
    ours = []
    for column in tab.columns:
        letter = column_letter(columns[column.header] + 1)
        prompt = {b"showInputMessage": b"1", b"promptTitle": escape(column.header[:32]),
                  b"prompt": escape(guide_tab.column_help(column)[:200]) + PROMPT_MARK}
        if column.header not in sources:
            if column.owner is not s.Role.SYSTEM:  # a hint only: dates, retention, links, free text
                ours.append(start_tag(p, b"dataValidation", {b"allowBlank": b"1", **prompt,
                                                             b"sqref": f"{letter}2:{letter}{last}".encode()},
                                      True))
            continue
        source = column_letter(sources[column.header])
        count = sum(1 for r in choices[1:] if sources[column.header] - 1 < len(r)
                    and cell_text(r[sources[column.header] - 1]))
        a = {b"type": b"list", b"allowBlank": b"1", b"showErrorMessage": b"1", **prompt,
             b"errorTitle": b"Nilai tidak sah",
             b"error": escape(f"Pilih salah satu nilai dari daftar untuk kolom '{column.header}'."),
             b"sqref": f"{letter}2:{letter}{last}".encode()}
        formula = b"%s!$%s$2:$%s$%d" % (CHOICES_TAB.encode(), source.encode(), source.encode(), count + 1)
        ours.append(start_tag(p, b"dataValidation", a, False)
                    + b"<%sformula1>%s</%sformula1></%sdataValidation>" % (p, formula, p, p))
    rules = kept + ours
    return b'<%sdataValidations count="%d">%s</%sdataValidations>' % (p, len(rules), b"".join(rules), p)


def last_used_row(grid: Sequence[Sequence[Cell]]) -> int:
    """0-based index of the last row holding any value (the header row at least)."""
    for index in range(len(grid) - 1, -1, -1):
        if any(cell_text(v) for v in grid[index]):
            return index
    return 0
