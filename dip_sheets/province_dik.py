"""Reading an office's other published files for the province: the DIK page, link checks, self-check.

Pure: bytes in, plain JSON-ready data out (it goes into the province's cache as is). The DIK is read
from ``dik.html`` as dip-sheets renders it (``table.dik``: one row per exclusion, the period in the
seventh cell and the consequence test's date in the eighth); each exclusion's end is worked out the
way the office's own sync does (``N tahun`` from the test date, ``sampai <tanggal>``, ``Permanen``),
so the province can see an exclusion whose period has ended since the office last published.

The link-check results (``cek-tautan.json``, the office's link cache: ``{"links": {url: {"ok": …}}}``)
and the self-check (``monev.json``: a ``ringkasan`` text, or ``butir`` each with a ``status``) are
optional; a file in another shape is reported as unreadable rather than guessed at.
"""

from __future__ import annotations

import json
import re
from html.parser import HTMLParser
from typing import Any

from .dates import add_years, parse_date
from .findings import Invalid

LINKS_FILE = "cek-tautan.json"
SELFCHECK_FILE = "monev.json"
_YEARS = re.compile(r"^(\d{1,3})\s*(?:tahun|thn|th)\b", re.IGNORECASE)
_UNTIL = re.compile(r"^(?:sampai|hingga|s\.?/?d\.?)\s+(?:dengan\s+)?(.+)$", re.IGNORECASE)
_TESTED = re.compile(r"Uji konsekuensi\s+(.+)$")


class _DikPage(HTMLParser):
    """Collects the first ``<time datetime>`` and the cells of each row of ``table.dik``'s body."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.published_at = ""
        self.rows: list[list[str]] = []
        self._in_table = self._in_body = False
        self._cell: list[str] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        if tag == "time" and not self.published_at:
            self.published_at = values.get("datetime") or ""
        elif tag == "table" and "dik" in (values.get("class") or "").split():
            self._in_table = True
        elif tag == "tbody" and self._in_table:
            self._in_body = True
        elif tag == "tr" and self._in_body:
            self.rows.append([])
        elif tag == "td" and self._in_body and self.rows:
            self._cell = []
            self.rows[-1].append("")
        elif tag == "br" and self._cell is not None:
            self._cell.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in ("td", "tr") and self._cell is not None and self.rows:
            lines = "".join(self._cell).split("\n")
            self.rows[-1][-1] = "\n".join(" ".join(line.split()) for line in lines).strip()
            self._cell = None
        if tag == "tbody":
            self._in_body = False
        elif tag == "table":
            self._in_table = False

    def handle_data(self, data: str) -> None:
        if self._cell is not None:
            self._cell.append(data)


def parse_dik(data: bytes) -> dict[str, Any]:
    """``{"published_at", "exclusions": [{"informasi", "jangka", "berakhir"}], "readable"}``;
    ``berakhir`` is an ISO date, or None when permanent or not worked out."""
    page = _DikPage()
    try:
        page.feed(data.decode("utf-8", errors="replace"))
        page.close()
    except AssertionError:  # html.parser's way of refusing some malformed markup
        return {"published_at": "", "exclusions": [], "readable": False}
    exclusions = []
    for cells in page.rows:
        if len(cells) < 8:
            continue  # the "no exclusions" row
        information, period, decision = cells[1], cells[6], cells[7]
        exclusions.append({"informasi": information, "jangka": period, "berakhir": _ends(period, decision)})
    return {"published_at": page.published_at, "exclusions": exclusions, "readable": True}


def _ends(period: str, decision: str) -> str | None:
    try:
        if m := _UNTIL.match(period.strip()):
            return parse_date(m[1], "Jangka Waktu").isoformat()
        if (m := _YEARS.match(period.strip())) and (t := _TESTED.search(decision)):
            end = add_years(parse_date(t[1].strip(), "Tanggal Uji"), int(m[1]))
            return end.isoformat() if end else None
    except Invalid:
        return None
    return None


def _json(data: bytes) -> Any:
    try:
        return json.loads(data.decode("utf-8-sig"))
    except (UnicodeDecodeError, ValueError):
        return None


def parse_links(data: bytes) -> dict[str, int]:
    """``{"checked", "broken"}``; ``checked`` is -1 when the file is not in the expected shape."""
    document = _json(data)
    links = document.get("links") if isinstance(document, dict) else None
    if not isinstance(links, dict):
        return {"checked": -1, "broken": 0}
    results = [entry for entry in links.values() if isinstance(entry, dict)]
    return {"checked": len(results), "broken": sum(1 for entry in results if entry.get("ok") is not True)}


def parse_selfcheck(data: bytes) -> str:
    """The self-check's summary line, in Indonesian."""
    document = _json(data)
    if isinstance(document, dict) and isinstance(document.get("ringkasan"), str):
        return " ".join(document["ringkasan"].split())[:300]
    items = document.get("butir") if isinstance(document, dict) else None
    if isinstance(items, list) and all(isinstance(i, dict) for i in items):
        met = sum(1 for i in items if str(i.get("status", "")).casefold() == "memenuhi")
        return f"{met} dari {len(items)} butir memenuhi"
    return "diterbitkan, tetapi bentuknya tidak dikenali"
