"""The PPID's decisions (the ``Keputusan`` tab): read, checked, and the one a version rests on. Pure.

The law asks the PPID to establish the DIP (and the DIK) by a *Keputusan PPID* and to update it at
least once a year. The register keeps every decision in a tab only the PPID edits, one row each;
each published version records the decision it rests on: the latest one establishing the DIP dated
on or before the day of publication (the DIK page: the latest establishing the DIK). A list
published in a calendar year without a DIP decision dated in that year needs ``--force``, and says
so in the version (:func:`missing_year`).

The signed scan of a decision (``dip keputusan arsipkan``) is recorded in the row's system cells
(its file name and SHA-256); a publish then carries it as ``keputusan/<name>.pdf``
(:attr:`Decision.scan_path`).

A draft decision's number is proposed from the tab (:func:`next_number`): the one after the year's
last decision, when that number has a running number we can recognise.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from . import schema as s
from .dates import format_date, parse_date
from .errors import ConfigError
from .findings import Finding, Invalid
from .parsers import parse_choice, squash, visible
from .register import Cell, Grid, Snapshot, cell_text

#: the folder of a version holding the signed scans
SCAN_FOLDER = "keputusan"
_UNSAFE = re.compile(r"[^a-z0-9.]+")
_SHA256 = re.compile(r"^[0-9a-f]{64}$")


def scan_name(number: str) -> str:
    """The scan's file name in a version, from the decision's number (``1/PP.01-Kpt/2026`` ->
    ``1-pp.01-kpt-2026.pdf``): the same decision always has the same name, and no name can leave
    its folder."""
    safe = _UNSAFE.sub("-", number.casefold()).strip("-.") or "keputusan"
    return f"{safe}.pdf"


#: the keys of :meth:`Decision.record` (``dip.json``'s ``keputusan_ppid``), with their meaning
RECORD_MEANINGS = {
    "nomor": "Nomor keputusan",
    "tanggal": "Tanggal keputusan, seperti tertulis di halaman",
    "tanggal_iso": "Tanggal keputusan (ISO 8601, YYYY-MM-DD)",
    "menetapkan": "Yang ditetapkan keputusan itu: DIP, DIK, atau DIP dan DIK",
    "berkas": "Pindaian keputusan bertanda tangan di folder versi ini; kosong bila belum diarsipkan",
    "sha256": "SHA-256 pindaian itu; kosong bila belum diarsipkan",
}
#: ``dip.json``'s key for the year a list was published without a DIP decision of that year
FORCED_KEY = "tanpa_keputusan_tahun"


@dataclass(frozen=True)
class Decision:
    """One Keputusan PPID: its number, date, what it establishes, and its signed scan if
    registered (the scan's file name as given, and its SHA-256)."""

    number: str
    date: dt.date
    establishes: str  # one of schema.DECISION_CHOICES
    remarks: str = ""
    scan: str = ""
    scan_sha256: str = ""

    @property
    def date_text(self) -> str:
        return format_date(self.date)

    @property
    def covers_dip(self) -> bool:
        return self.establishes in (s.DECIDES_DIP, s.DECIDES_BOTH)

    @property
    def covers_dik(self) -> bool:
        return self.establishes in (s.DECIDES_DIK, s.DECIDES_BOTH)

    @property
    def scan_path(self) -> str:
        """Where the signed scan is in a version's files (``""``: none registered)."""
        return f"{SCAN_FOLDER}/{scan_name(self.number)}" if self.scan_sha256 else ""

    def record(self) -> dict[str, Any]:
        """As ``dip.json``'s ``keputusan_ppid`` and the manifest keep it (``tanggal`` as shown,
        as it always was; the ISO date beside it)."""
        return {"nomor": self.number, "tanggal": self.date_text, "tanggal_iso": self.date.isoformat(),
                "menetapkan": self.establishes, "berkas": self.scan_path, "sha256": self.scan_sha256}

    @classmethod
    def from_record(cls, data: object) -> Decision | None:
        """A decision as :meth:`record` wrote it; ``None`` for anything else (older versions kept
        only the number and the date's text)."""
        if not isinstance(data, Mapping):
            return None
        try:
            day = dt.date.fromisoformat(str(data.get("tanggal_iso")))
        except ValueError:
            return None
        number, establishes = str(data.get("nomor") or ""), str(data.get("menetapkan") or "")
        sha = str(data.get("sha256") or "")
        if not number or establishes not in s.DECISION_CHOICES or (sha and not _SHA256.match(sha)):
            return None
        return cls(number, day, establishes, scan_sha256=sha)


@dataclass(frozen=True)
class DecisionRow:
    """One row of the tab as read: ``index`` into the grid, the decision (``None`` when a finding
    keeps it out) and the findings for its ``Catatan Sinkron``."""

    index: int
    decision: Decision | None
    findings: tuple[Finding, ...]


def read_rows(grid: Grid | None) -> list[DecisionRow]:
    """Every row of the ``Keputusan`` tab that holds anything, checked: a full date, one of the
    choices, a number no other row has (of two rows with one number neither counts: which one is
    meant cannot be guessed). A register without the tab (before ``dip init``) has none."""
    if grid is None or not grid.rows:
        return []
    tab = s.TAB_BY_NAME[s.DECISION_TAB]
    columns = s.locate_columns(tab, grid.rows[0])

    def at(row: Sequence[Cell], header: str) -> Cell:
        index = columns[header]
        return row[index] if index < len(row) else None

    staff = [c.header for c in tab.columns if c.owner is not s.Role.SYSTEM]
    read: list[tuple[int, str, Decision | None, list[Finding]]] = []
    for index, row in enumerate(grid.rows[1:], start=1):
        if not any(visible(cell_text(at(row, h))) for h in staff):
            continue
        findings: list[Finding] = []
        number = " ".join(cell_text(at(row, s.DECISION_NUMBER)).split())
        if not visible(number):
            findings.append(Finding(s.DECISION_NUMBER, f"{s.DECISION_NUMBER}: wajib diisi.",
                                    f"{s.DECISION_NUMBER}: is required."))
        day: dt.date | None = None
        establishes: str | None = None
        try:
            day = parse_date(at(row, s.DECISION_DATE), s.DECISION_DATE)
        except Invalid as invalid:
            findings.append(invalid.finding)
        try:
            establishes = parse_choice(at(row, s.DECISION_ESTABLISHES), s.DECISION_ESTABLISHES,
                                       s.DECISION_CHOICES)
        except Invalid as invalid:
            findings.append(invalid.finding)
        decision = None
        if not findings and day is not None and establishes is not None:
            decision = Decision(number, day, establishes, " ".join(cell_text(at(row, s.REMARKS)).split()),
                                cell_text(at(row, s.DECISION_SCAN)),
                                cell_text(at(row, s.DECISION_SCAN_SHA256)).lower())
        read.append((index, number, decision, findings))
    counts: dict[str, int] = {}
    for _, number, _, _ in read:
        if number:
            counts[squash(number)] = counts.get(squash(number), 0) + 1
    result = []
    for index, number, decision, findings in read:
        if number and counts[squash(number)] > 1:
            findings.append(Finding(
                s.DECISION_NUMBER,
                f"{s.DECISION_NUMBER}: '{number}' dipakai di lebih dari satu baris; hapus atau perbaiki"
                " salah satunya (sampai itu, keduanya tidak dipakai).",
                f"{s.DECISION_NUMBER}: '{number}' is on more than one row; delete or fix one of them"
                " (until then, neither is used)."))
            decision = None
        result.append(DecisionRow(index, decision, tuple(findings)))
    return result


def valid(rows: Sequence[DecisionRow]) -> list[Decision]:
    return [r.decision for r in rows if r.decision is not None]


def decisions_in(snapshot: Snapshot) -> list[Decision]:
    """The register's valid decisions, in the tab's order."""
    return valid(read_rows(snapshot.tabs.get(s.DECISION_TAB)))


def version_fields(decisions: Sequence[Decision], day: dt.date) -> dict[str, Any]:
    """What a :class:`~dip_sheets.records.Version` published on ``day`` records of the decisions:
    the one it rests on (also as the number and date shown), the DIK's, and a year without one."""
    decision = rests_on(decisions, day)
    return {"decision_number": decision.number if decision else "",
            "decision_date": decision.date_text if decision else "", "decision": decision,
            "dik_decision": rests_on(decisions, day, dik=True),
            "without_decision_year": missing_year(decisions, day)}


def rests_on(decisions: Sequence[Decision], day: dt.date, *, dik: bool = False) -> Decision | None:
    """The decision a list published on ``day`` rests on: the latest establishing the DIP (the DIK
    with ``dik``) dated on or before ``day``; of two on one day, the one further down the tab."""
    chosen: Decision | None = None
    for decision in decisions:
        if (decision.covers_dik if dik else decision.covers_dip) and decision.date <= day and (
                chosen is None or decision.date >= chosen.date):
            chosen = decision
    return chosen


def missing_year(decisions: Sequence[Decision], day: dt.date) -> int:
    """The calendar year of ``day`` when no DIP decision dated in it (on or before ``day``)
    exists, else 0: publishing that year's list then needs ``--force``."""
    current = rests_on(decisions, day)
    return 0 if current is not None and current.date.year == day.year else day.year


def refuse_without_decision(decisions: Sequence[Decision], day: dt.date) -> None:
    """The year rule: no list published in a calendar year without a DIP decision of that year,
    unless ``--force`` (which the version records)."""
    year = missing_year(decisions, day)
    if year:
        raise ConfigError(
            f"Belum ada Keputusan PPID tahun {year} yang menetapkan DIP (tanggalnya paling lambat hari"
            f" ini). Isi tab '{s.DECISION_TAB}' (nomor, tanggal, {s.DECISION_ESTABLISHES}: DIP atau DIP"
            " dan DIK; 'dip init' membuat tab itu bila belum ada) lalu jalankan lagi; 'dip keputusan"
            " draf' membuat draf keputusannya. Untuk menerbitkan tanpa keputusan itu, gunakan --force"
            " (dicatat di riwayat). Tidak ada yang diunggah.",
            f"There is no PPID decision of {year} establishing the DIP (dated today at the latest)."
            f" Fill in the '{s.DECISION_TAB}' tab (number, date, {s.DECISION_ESTABLISHES}: DIP or DIP"
            " dan DIK; 'dip init' creates the tab if it is missing) and run again; 'dip keputusan"
            " draf' drafts the decision. To publish without it, use --force (recorded in the"
            " history). Nothing was uploaded.",
        )


_DIGITS = re.compile(r"\d+")


@dataclass(frozen=True)
class NextNumber:
    """The number proposed for a new decision of ``year`` (``None``: none could be), and the
    number it follows (``""``: the tab has no decision of that year)."""

    year: int
    number: str | None
    after: str = ""


def _running(number: str, year: int) -> tuple[str, int, int, str] | None:
    """``number`` split around its running number: (before, value, digits, after). Recognised
    when the number holds the year as a group of its own and the running number is either the
    digits it starts with (``12/PPID/2026``, ``1/PP.01-Kpt/2026``) or the only other digits
    (``PPID-12-2026``); ``None`` otherwise (which digits count up cannot be told)."""
    runs = list(_DIGITS.finditer(number))
    years = [r for r in runs if r.group() == str(year)]
    if not years:
        return None
    others = [r for r in runs if r is not years[-1]]
    leading = [r for r in others if r.start() == 0]
    chosen = leading or (others if len(others) == 1 else [])
    if not chosen:
        return None
    run = chosen[0]
    return number[:run.start()], int(run.group()), len(run.group()), number[run.end():]


def next_number(decisions: Sequence[Decision], year: int) -> NextNumber:
    """The number after the last decision of ``year`` in the tab (the latest by date; of two on one
    day, the one further down): its running number plus one, past every number of that year written
    the same way, zero padding kept (``012/…`` -> ``013/…``)."""
    of_year = sorted((d for d in decisions if d.date.year == year), key=lambda d: d.date)
    if not of_year:
        return NextNumber(year, None)
    last = of_year[-1].number
    shape = _running(last, year)
    if shape is None:
        return NextNumber(year, None, last)
    before, _, width, after = shape
    taken = [parts[1] for d in of_year
             if (parts := _running(d.number, year)) is not None and (parts[0], parts[3]) == (before, after)]
    padded = str(max(taken) + 1).zfill(width if last[len(before)] == "0" else 0)
    return NextNumber(year, f"{before}{padded}{after}", last)
