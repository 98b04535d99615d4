"""Item IDs (``DIP-0007``, ``DIK-0002``): how they are written, read back and ordered. Pure.

An ID is issued once by the sync and never reused; everything that writes, reads or sorts one uses
this module, so ``DIP-0010`` comes after ``DIP-0009`` everywhere (the register's notes, the
published list, the change log).
"""

from __future__ import annotations

import re

from . import schema as s

#: the prefix of each tab's IDs
PREFIX = {s.DIP_TAB: "DIP", s.DIK_TAB: "DIK"}
_ID = re.compile(r"([A-Z]+)-(\d+)")


def format_id(tab: str, number: int) -> str:
    """The ID the sync issues as number ``number`` of ``tab``: ``DIP-0007``."""
    return f"{PREFIX[tab]}-{number:04d}"


def parse_id(tab: str, text: str) -> int | None:
    """The number of a well-formed ID of ``tab`` (``DIP-7`` and ``DIP-0007`` are both 7), else None."""
    m = _ID.fullmatch(text)
    return int(m[2]) if m and m[1] == PREFIX[tab] else None


def id_number(item_id: str) -> int:
    """The number in ``DIP-0007`` (surrounding spaces allowed); 0 for anything else."""
    m = _ID.fullmatch(item_id.strip())
    return int(m[2]) if m else 0


def id_sort(item_id: str) -> tuple[str, int, str]:
    """The sort key of an ID: prefix, then the number compared as a number, then the text."""
    return item_id.partition("-")[0], id_number(item_id), item_id
