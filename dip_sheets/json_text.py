"""The published JSON files' layout: the outer levels indented, each record or node on one line. Pure.

``json.dumps(..., indent=...)`` falls back from the standard library's C encoder to a pure-Python
one built of nested generators (every token is yielded up through one generator per level), which
made ``dcat.jsonld`` and ``perubahan.json`` a third of a render at 10,000 items. Here the outer
levels of a document are laid out as ``indent=1`` lays them out, and every container below them (an
item's record, a DCAT node, a change) is written whole by the C encoder, on one line: as fast as
compact JSON, still readable, and a change to one item is a change to one line.
"""

from __future__ import annotations

import hashlib
import itertools
from collections.abc import Callable, Iterable, Iterator
from json.encoder import (  # type: ignore[attr-defined]
    c_make_encoder,
    encode_basestring,
)
from typing import Any

#: how many levels of containers are laid out over lines: the document and its lists and objects
LEVELS = 2
#: values encoded together by :func:`digest`
DIGEST_BLOCK = 500


def dumps(value: Any, *, sort_keys: bool = False, levels: int = LEVELS) -> str:
    """``value`` as JSON (UTF-8 text, not ASCII-escaped): containers of the outer ``levels`` one item
    a line, indented by one space per level as ``indent=1`` writes them; deeper ones on one line,
    with ``json.dumps``' default separators. Raises ``TypeError`` for what JSON cannot hold."""
    return "".join(pieces(value, sort_keys=sort_keys, levels=levels))


def pieces(value: Any, *, sort_keys: bool = False, levels: int = LEVELS) -> Iterator[str]:
    """:func:`dumps` in pieces, a line or so each, for writing a large document as it is made: a
    list of the outer levels may be any iterator (a generator of records, of DCAT nodes), consumed
    as it is written."""
    chunks = c_make_encoder(None, _refuse, encode_basestring, None, ": ", ", ", sort_keys, False, True)

    def line(item: Any) -> str:
        return "".join(chunks(item, 0))

    return _pieces(value, 0, levels, sort_keys, line)


def _pieces(value: Any, depth: int, levels: int, sort_keys: bool, line: Callable[[Any], str]
            ) -> Iterator[str]:
    if depth >= levels or not isinstance(value, dict | list | tuple | Iterator):
        yield line(value)
        return
    inner, outer = "\n" + " " * (depth + 1), "\n" + " " * depth
    if isinstance(value, dict):
        pairs: Iterable[tuple[Any, Any]] = sorted(value.items()) if sort_keys else value.items()
        opening, closing = "{", "}"
    else:
        pairs, opening, closing = ((None, v) for v in value), "[", "]"
    empty = True
    leaves = depth + 1 >= levels  # each item on its line, written whole (no generator per item)
    for key, item in pairs:
        lead = (opening if empty else ",") + inner + ("" if closing == "]" else line(_key(key)) + ": ")
        if leaves:
            yield lead + line(item)
        else:
            yield lead
            yield from _pieces(item, depth + 1, levels, sort_keys, line)
        empty = False
    yield opening + closing if empty else outer + closing


def digest(values: Iterable[Any]) -> str:
    """SHA-256 (hex) of ``values`` as one compact JSON array with sorted keys (``json.dumps(list(values),
    ensure_ascii=False, sort_keys=True, separators=(",", ":"))`` in UTF-8), hashed :data:`DIGEST_BLOCK`
    values at a time rather than written whole first."""
    chunks = c_make_encoder(None, _refuse, encode_basestring, None, ":", ",", True, False, True)
    hashed = hashlib.sha256(b"[")
    separator = b""
    values = iter(values)
    while block := list(itertools.islice(values, DIGEST_BLOCK)):
        hashed.update(separator + "".join(chunks(block, 0))[1:-1].encode("utf-8"))  # the block's items
        separator = b","
    hashed.update(b"]")
    return hashed.hexdigest()


def _key(name: Any) -> str:
    """A key as JSON writes it: the documents here have string keys only."""
    if not isinstance(name, str):
        raise TypeError(f"keys must be str, not {type(name).__name__}")
    return name


def _refuse(value: Any) -> Any:
    """What ``json`` says of a value it cannot write."""
    raise TypeError(f"Object of type {type(value).__name__} is not JSON serializable")
