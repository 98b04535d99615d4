"""A worksheet that takes whole rows of text and whole numbers and writes each row as one piece of XML.

In ``constant_memory`` mode xlsxwriter keeps a row's cells until the next row starts, then writes
every cell through half a dozen calls (the A1-notation check, the bounds, the cell table, the cell's
attributes, three regular expressions, a write to a text file that resets its decoder each time):
most of rendering ``dip.xlsx``, more than writing the same rows with shared strings. A
:class:`TextSheet` row is checked once for anything unusual and written as one string, in the XML
xlsxwriter writes for the same cells (``tests/test_text_sheet.py`` compares the two); only a text that
needs it is escaped, and xlsxwriter still writes the rest of the workbook.

One difference, on purpose: xlsxwriter writes a text that starts with ``<r>`` and ends with ``</r>``
as raw XML (a "rich string"), so such a cell could carry any XML into the sheet, a formula included.
Here every text is escaped: it shows as the text it is.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from xlsxwriter.format import Format
from xlsxwriter.utility import xl_col_to_name
from xlsxwriter.worksheet import Worksheet

#: what makes a text need more than writing as it is: an XML special character, a control
#: character or a non-character (escaped as xlsxwriter escapes them), or Excel's own ``_xHHHH_``
#: escape (:data:`_ESCAPE`); each a single character class, which a search skips through in C
_UNUSUAL = re.compile("[&<>\x00-\x08\x0b-\x1f\ufffe\uffff]")
_ESCAPE = re.compile("(_x[0-9a-fA-F]{4}_)")
_CONTROL = re.compile("[\x00-\x08\x0b-\x1f]")
#: in a row's texts each led and followed by a NUL, a text that begins or ends with whitespace (kept
#: by ``xml:space``): the search goes from NUL to NUL
_EDGE_SPACE = re.compile(r"\x00(?:(?<=\s\x00)|\s)")


def _escaped(text: str) -> str:
    """``text`` as xlsxwriter writes it in an inline string: Excel's ``_xHHHH_`` escape escaped,
    control characters and non-characters as ``_xHHHH_``, then ``&``, ``<`` and ``>``."""
    text = _ESCAPE.sub(r"_x005F\1", text)
    text = _CONTROL.sub(lambda found: f"_x{ord(found.group()):04X}_", text)
    text = text.replace("\ufffe", "_xFFFE_").replace("\uffff", "_xFFFF_")
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _within(text: str, limit: int) -> str:
    """``text`` (longer than half of ``limit``) cut to Excel's cell limit of ``limit`` UTF-16 units,
    as xlsxwriter cuts it."""
    length = 0
    for index, char in enumerate(text):
        length += 2 if ord(char) > 0xFFFF else 1
        if length > limit:
            return text[:index]
    return text


class TextSheet(Worksheet):  # type: ignore[misc]
    """A worksheet filled by :meth:`write_texts` only, a row at a time, top to bottom, in a workbook
    in ``constant_memory`` mode (``Workbook.add_worksheet(name, TextSheet)``)."""

    def write_texts(self, row: int, values: Sequence[str | int | None], style: Format | None = None,
                    first: Format | None = None) -> None:
        """Row ``row``: each value a text or a whole number in its column from A on, ``None``
        leaving the cell out; ``style`` formats the row's cells, ``first`` its first cell."""
        columns = [column for column, value in enumerate(values) if value is not None]
        if not columns or self._check_dimensions(row, columns[0]) or self._check_dimensions(row, columns[-1]):
            return  # nothing to write, or outside the sheet (as xlsxwriter writes nothing there)
        if row > self.previous_row:
            self._write_single_row(row)  # whatever xlsxwriter still holds of an earlier row
        self._write_row(row, None, self.row_info.get(row))
        # one search of the whole row for what is rare (a line break between texts: no escape spans
        # two of them; a NUL: the texts' ends, which it cannot be inside of unless it is unusual)
        texts = [v for v in values if type(v) is str]
        joined = "\n".join(texts)
        unusual = bool(_UNUSUAL.search(joined) or ("_x" in joined and _ESCAPE.search(joined)))
        spaced = unusual or bool(_EDGE_SPACE.search("\x00" + "\x00".join(texts) + "\x00"))
        half, names, number = self.xls_strmax // 2, _names(columns[-1]), str(row + 1)
        cells = []
        for column in columns:
            value = values[column]
            look = first if column == 0 and first is not None else style
            if look is None and column in self.col_info:
                look = self.col_info[column].column_format
            where = f'<c r="{names[column]}{number}"' + (f' s="{look._get_xf_index()}"' if look else "")
            if type(value) is not str:
                cells.append(f"{where}><v>{value:.16G}</v></c>")
                continue
            edge = spaced
            if len(value) > half:
                value, edge = _within(value, self.xls_strmax), True
            if unusual:
                value = _escaped(value)
            space = ' xml:space="preserve"' if edge and (value[:1].isspace() or value[-1:].isspace()) else ""
            cells.append(f'{where} t="inlineStr"><is><t{space}>{value}</t></is></c>')
        cells.append("</row>")
        self.fh.write("".join(cells))


_NAMES: list[str] = []


def _names(last: int) -> list[str]:
    """The columns' letters (``A``, ``B`` … ``AA``) up to column ``last`` at least, kept once worked
    out."""
    while len(_NAMES) <= last:
        _NAMES.append(xl_col_to_name(len(_NAMES)))
    return _NAMES
