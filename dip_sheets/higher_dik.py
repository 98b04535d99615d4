"""The higher PPID's DIK: the office's own ``dik.json``, and the entries it inherits from above.

For KPU, consequence tests are decided centrally (PKPU 22/2023 Pasal 24 to 26): KPU RI decides and a
Kabupaten/Kota applies the decision, so a DIK row often cites the higher body's decision (issuer,
number, date) in its ``Nomor Keputusan`` instead of a local test. Such decisions are sometimes
revoked within days. So:

* every office publishes its DIK as data, ``dik.json`` (:func:`render_dik_json`, pure), beside the
  DIK page: this is what an office below it reads;
* an office may configure the higher PPID's ``dik.json`` address: its entries are shown on the
  office's DIK page as inherited, read-only (:func:`render_inherited`), and a local row citing a
  decision of the higher body that is no longer in the higher list is flagged for review
  (:func:`check_higher`).

A row cites the higher body when its ``Nomor Keputusan`` names the configured issuer (e.g. "Keputusan
KPU Nomor 731 Tahun 2025 tanggal 3 Maret 2025"); decisions are compared by their number, written
with spaces and case folded.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, NamedTuple

from .config import PublicBody
from .records import Version
from .templating import environment, render_template
from .validate import Exclusion

DIK_JSON = "dik.json"
FORMAT = "dip-sheets/dik/1"
#: "Nomor 731 Tahun 2025", "No. 12/PP.06-Kpt/2023", "Nomor: 5/PP.06-Kpt/2024"
_NUMBER = re.compile(r"\b(?:nomor|no\.?)\s*:?\s*(?P<n>\d[^\s,;]*(?:\s+tahun\s+\d{4})?)", re.IGNORECASE)


def decision_number(text: str) -> str:
    """The decision's number in ``text``, normalised for comparison ("" when none is written)."""
    found = _NUMBER.search(text)
    return " ".join(found["n"].split()).casefold() if found else ""


def cites(text: str, issuer: str) -> bool:
    """Whether a ``Nomor Keputusan`` cites ``issuer``'s decision rather than a local test."""
    return bool(issuer.strip()) and " ".join(issuer.split()).casefold() in " ".join(text.split()).casefold()


def dik_record(exclusion: Exclusion) -> dict[str, Any]:
    """One DIK entry as published data: never the information itself, like the page."""
    return {
        "id": exclusion.id, "informasi": exclusion.information, "unit": exclusion.unit,
        "dasar_hukum": exclusion.legal_basis, "konsekuensi_bila_dibuka": exclusion.if_opened,
        "konsekuensi_bila_ditutup": exclusion.if_closed, "jangka_waktu": exclusion.period,
        "berakhir": exclusion.expires.isoformat() if exclusion.expires else None,
        "tanggal_uji_konsekuensi": exclusion.tested_on, "keputusan": exclusion.decision,
        "nomor_keputusan": decision_number(exclusion.decision),
    }


def render_dik_json(exclusions: Sequence[Exclusion], office: PublicBody, version: Version) -> bytes:
    """``dik.json`` of one version. Pure and deterministic, like the other open-data files."""
    document = {
        "format": FORMAT, "badan_publik": office.name, "versi": version.id,
        "diterbitkan": version.published_at, "jumlah": len(exclusions),
        "item": [dik_record(x) for x in sorted(exclusions, key=lambda x: x.id)],
    }
    if version.dik_decision is not None:  # the PPID's decision establishing the DIK, when recorded
        document["keputusan_ppid"] = version.dik_decision.record()
    return (json.dumps(document, ensure_ascii=False, indent=1) + "\n").encode("utf-8")


@dataclass(frozen=True)
class HigherEntry:
    """One entry of the higher PPID's DIK, as shown (read-only) on the office's DIK page."""

    information: str
    legal_basis: str
    period: str
    decision: str
    number: str


def read_higher(data: bytes) -> list[HigherEntry] | None:
    """The entries of a ``dik.json``, or None when ``data`` is not one."""
    try:
        document = json.loads(data.decode("utf-8-sig"))
        items = document["item"]
        if document.get("format") != FORMAT or not isinstance(items, list):
            return None
        return [HigherEntry(str(i["informasi"]), str(i["dasar_hukum"]), str(i["jangka_waktu"]),
                            str(i["keputusan"]), decision_number(str(i["keputusan"]))) for i in items]
    except (UnicodeDecodeError, ValueError, KeyError, TypeError, AttributeError):
        return None


@dataclass(frozen=True)
class HigherCheck:
    """The higher list as read (None: unreachable or not a ``dik.json``) and the local rows citing a
    decision no longer in it: (row ID, the decision as the row cites it)."""

    url: str
    entries: list[HigherEntry] | None
    revoked: list[tuple[str, str]] = field(default_factory=list)


def check_higher(url: str, issuer: str, rows: Sequence[tuple[str, str]],
                 fetch: Callable[[str], bytes | None]) -> HigherCheck:
    """Read the higher ``dik.json`` at ``url`` and flag each local row (ID, Nomor Keputusan) that
    cites ``issuer`` by a number the higher list no longer holds. Nothing is flagged when the higher
    list cannot be read: an outage is not a revocation."""
    data = fetch(url)
    entries = read_higher(data) if data is not None else None
    if entries is None:
        return HigherCheck(url, None)
    standing = {e.number for e in entries if e.number}
    revoked = [(row_id, decision) for row_id, decision in rows
               if cites(decision, issuer) and decision_number(decision) not in standing]
    return HigherCheck(url, entries, revoked)


class Inherited(NamedTuple):
    """The higher PPID's entries as the DIK page shows them, with where they were read."""

    entries: Sequence[HigherEntry] = ()
    source: str = ""
    issuer: str = ""


def inherited_context(entries: Sequence[HigherEntry], source: str, issuer: str) -> dict[str, Any]:
    """What ``monev_dik_atasan.html.j2`` needs; ``dik.html.j2`` can include it with this context."""
    return {"inherited": list(entries), "inherited_source": source, "inherited_issuer": issuer}


def render_inherited(entries: Sequence[HigherEntry], source: str, issuer: str) -> str:
    """The inherited entries as an HTML section for the DIK page (``monev_dik_atasan.html.j2``)."""
    return render_template(environment(None), "monev_dik_atasan.html.j2",
                           inherited_context(entries, source, issuer), None)
