"""The fast paths for text cells give exactly what the general path gave (issue 19's profile)."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from dip_sheets.register import cell_text
from dip_sheets.workflow import FORMULA_START, content_text


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
