"""The fast paths for text cells give exactly what the general path gave (issue 19's profile)."""

from __future__ import annotations

import hashlib

from hypothesis import given
from hypothesis import strategies as st

from dip_sheets import schema as s
from dip_sheets.register import Cell, cell_text
from dip_sheets.validate import validate_dip_row
from dip_sheets.workflow import FORMULA_START, content_text, fingerprint
from tests.conftest import UNITS, good_row


class Text(str):
    """A str subclass: takes the general path (``type(value) is str`` is false)."""


@given(st.text())
def test_cell_text_of_text_is_the_general_path(value: str) -> None:
    assert cell_text(value) == cell_text(Text(value)) == str(value).strip()


@given(st.text(alphabet=st.sampled_from([" ", "\t", "\n", "\u00a0", "'", "=", "+", "a", "B", "1"])))
def test_content_text_of_text_is_the_general_path(value: str) -> None:
    text = " ".join(value.strip().split())
    expected = text[1:] if text[:1] == "'" and text[1:2] in FORMULA_START else text
    assert content_text(value) == content_text(Text(value)) == expected


#: cells that make :func:`content_text` change a text: every kind of whitespace, the separator the
#: fingerprint joins cells with, a leading apostrophe before a formula's first character
_UNTIDY = st.text(alphabet=st.sampled_from([" ", "\t", "\n", "\u00a0", "\u3000", "\x1f", "\x1c", "'", "=",
                                            "a", "é"]), max_size=6)
_CELLS = st.one_of(st.none(), _UNTIDY, st.text(max_size=8), st.integers(), st.floats(allow_nan=False),
                   st.booleans(), st.datetimes())


@given(st.lists(_CELLS, min_size=len(s.CONTENT_HEADERS), max_size=len(s.CONTENT_HEADERS)))
def test_fingerprint_is_the_digest_of_every_cells_content_text(cells: list[Cell]) -> None:
    values = dict(zip(s.CONTENT_HEADERS, cells, strict=True))
    text = "\x1f".join(content_text(values.get(h)) for h in s.CONTENT_HEADERS)
    assert fingerprint(values) == hashlib.sha256(text.encode()).hexdigest()[:16]


@given(st.dictionaries(st.sampled_from(s.CONTENT_HEADERS), _CELLS))
def test_a_row_checked_from_its_texts_is_checked_as_from_its_cells(cells: dict[str, Cell]) -> None:
    values = {**good_row("Judul"), **cells}
    texts = {h: cell_text(values.get(h)) for h in s.CONTENT_HEADERS}
    assert validate_dip_row(values, UNITS, "DIP-0001", texts) == validate_dip_row(values, UNITS, "DIP-0001")
    assert fingerprint(texts) == fingerprint(values)  # the review digests a row's texts
