"""Status: where every item stands in the SOP, per unit, for how long, and what blocks publication.

Pure: it reads a :class:`~dip_sheets.sync.Review`. The day an item entered its stage comes from the
``Posisi SOP`` column that the sync maintains. The report is data (``--json``); :func:`status_lines`
turns it into what a person reads, in both languages, and :func:`status_csv` into CSV whose text
fields can never open as a formula. :class:`StatusResult` holds the three together for
:meth:`dip_sheets.office.Office.status`.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from dataclasses import dataclass
from typing import Any

from . import schema as s
from .messages import Message
from .register import cell_text
from .render import neutralize_formula
from .stages import Stage
from .sync import Review, RowState

#: stages where an item waits for somebody; items longer than the threshold are called out.
WAITING = (Stage.DRAFT, Stage.AWAITING_DESK, Stage.NEEDS_FIX, Stage.AWAITING_PPID, Stage.NEEDS_REVISION,
           Stage.BLOCKED, Stage.CORRECTION_PENDING, Stage.CORRECTION_REJECTED, Stage.ESTABLISHED)
#: each stage's name (an enum member's ``value`` is a property: looked up once, not per row)
STAGE_NAMES = {stage: stage.value for stage in Stage}
#: the unit of rows whose unit cell is empty.
NO_UNIT = Message("(tanpa unit)", "(no unit)")


def status(review: Review, today: dt.date, overdue_days: int = 14) -> dict[str, Any]:
    """Counts per unit and SOP stage, overdue items, blockers, and DIK rows needing action."""
    per_unit: dict[str, dict[str, int]] = {}
    totals = {stage.value: 0 for stage in Stage}
    overdue = []
    waiting = frozenset(WAITING)
    for row in review.dip:
        unit = cell_text(row.values.get(s.UNIT)) or NO_UNIT.id
        counts = per_unit.get(unit)
        if counts is None:
            counts = per_unit[unit] = dict.fromkeys(totals, 0)
        where = row.position
        name = STAGE_NAMES[where.stage]
        counts[name] += 1
        totals[name] += 1
        if where.stage in waiting and (days := (today - where.since).days) > overdue_days:
            overdue.append({"id": row.id, "row": row.row_number, "unit": unit, "stage": name,
                            "days": days, "title": cell_text(row.values.get(s.TITLE))})
    return {
        "per_unit": dict(sorted(per_unit.items())),
        "total": totals,
        "publishable": len(review.items),
        "overdue_days": overdue_days,
        "overdue": sorted(overdue, key=lambda o: -int(o["days"])),
        "blockers": [
            {"id": r.id, "row": r.row_number, "problems": [f.id for f in r.findings],
             "problems_en": [f.en for f in r.findings]}
            for r in review.blockers
        ],
        "corrections": corrections(review),
        "dik_problems": [
            {"id": d.id, "row": d.anchor.row + 1, "problems": [f.id for f in d.findings],
             "problems_en": [f.en for f in d.findings]}
            for d in review.dik if d.findings
        ],
        **warnings(review),
    }


def corrections(review: Review) -> list[dict[str, Any]]:
    """Corrections of established items waiting for the PPID (their established version stays
    live): which item, whose, since when, what changed, and the step-3 value that approves it."""
    return [{"id": r.id, "row": r.row_number, "unit": cell_text(r.values.get(s.UNIT)) or NO_UNIT.id,
             "since": r.since.isoformat(), "changed": list(r.correction.changed),
             "approve": r.correction.approve}
            for r in review.corrections() if r.correction is not None]


def warnings(review: Review) -> dict[str, list[dict[str, Any]]]:
    """Links that do not open (as the link cache last saw them) and stale items (a Berkala item not
    updated in time, an exclusion ending soon): what blocks nothing but an assessor would see."""
    broken, stale = [], []
    for row in review.warned_rows():
        tab = s.DIP_TAB if isinstance(row, RowState) else s.DIK_TAB
        for warning in row.warnings:
            entry = {"id": row.id, "tab": tab, "row": row.anchor.row + 1, "warning": warning.id,
                     "warning_en": warning.en}
            if warning.column == s.LINK and isinstance(row, RowState):
                broken.append({**entry, "url": cell_text(row.values.get(s.LINK)).strip()})
            else:
                stale.append(entry)
    return {"broken_links": broken, "stale": stale}


def status_csv(report: dict[str, Any], register: str) -> str:
    """One line per register, unit and stage: easy to paste into a spreadsheet or monitoring.

    Unit and register names are typed by people: each text field is neutralised so that it opens
    as text, not as a formula, in Excel and LibreOffice.
    """
    stream = io.StringIO()
    writer = csv.writer(stream, lineterminator="\n")
    writer.writerow(["register", "unit", "tahap", "jumlah"])
    for unit, counts in report["per_unit"].items():
        for stage, count in counts.items():
            if count:
                writer.writerow([*map(neutralize_formula, (register, unit, stage)), count])
    return stream.getvalue()


def status_table(report: dict[str, Any], lang: str = "id") -> str:
    """A plain-text table for people: units as rows, SOP stages as columns."""
    stages = [stage for stage in Stage if report["total"][stage.value]]
    labels = [stage.value if lang == "id" else stage.label_en for stage in stages]
    units = list(report["per_unit"])
    names = [NO_UNIT.text(lang) if unit == NO_UNIT.id else unit for unit in units]
    total = "Jumlah" if lang == "id" else "Total"
    width = max([len("Unit"), len(total), *(len(n) for n in names)])
    lines = ["  ".join(["Unit".ljust(width), *labels])]
    for unit, name in zip(units, names, strict=True):
        counts = report["per_unit"][unit]
        cells = [str(counts[stage.value]).rjust(len(label))
                 for stage, label in zip(stages, labels, strict=True)]
        lines.append("  ".join([name.ljust(width), *cells]))
    total_cells = [str(report["total"][stage.value]).rjust(len(label))
                   for stage, label in zip(stages, labels, strict=True)]
    lines.append("  ".join([total.ljust(width), *total_cells]))
    return "\n".join(lines)


def status_lines(report: dict[str, Any]) -> list[Message]:
    """What ``dip status`` prints after the register's location: the table, the count ready to
    publish, items waiting too long, and what blocks publication."""
    lines = [Message(status_table(report, "id"), status_table(report, "en")),
             Message(f"Siap terbit: {report['publishable']}",
                     f"Ready to publish: {report['publishable']}")]
    days = report["overdue_days"]
    if report["overdue"]:
        lines.append(Message(f"Menunggu lebih dari {days} hari:", f"Waiting more than {days} days:"))
    for item in report["overdue"]:
        unit = NO_UNIT.en if item["unit"] == NO_UNIT.id else item["unit"]
        lines.append(Message(
            f"  {item['id']} (baris {item['row']}, {item['unit']}): {item['stage']},"
            f" {item['days']} hari",
            f"  {item['id']} (row {item['row']}, {unit}): {Stage(item['stage']).label_en},"
            f" {item['days']} days"))
    if report["blockers"]:
        lines.append(Message("Menghambat penerbitan:", "Blocking publication:"))
    for blocker in report["blockers"]:
        lines.append(Message(f"  {blocker['id']} (baris {blocker['row']}): {'; '.join(blocker['problems'])}",
                             f"  {blocker['id']} (row {blocker['row']}):"
                             f" {'; '.join(blocker['problems_en'])}"))
    for problem in report["dik_problems"]:
        lines.append(Message(
            f"  DIK {problem['id']} (baris {problem['row']}): {'; '.join(problem['problems'])}",
            f"  DIK {problem['id']} (row {problem['row']}): {'; '.join(problem['problems_en'])}"))
    if report["corrections"]:
        lines.append(Message(f"Koreksi menunggu persetujuan PPID ({len(report['corrections'])}; versi yang"
                             " ditetapkan tetap diterbitkan):",
                             f"Corrections waiting for the PPID ({len(report['corrections'])}; the"
                             " established version stays published):"))
    for fix in report["corrections"]:
        unit = NO_UNIT.en if fix["unit"] == NO_UNIT.id else fix["unit"]
        changed = ", ".join(fix["changed"]) or "-"
        lines.append(Message(
            f"  {fix['id']} (baris {fix['row']}, {fix['unit']}) sejak {fix['since']}: berubah {changed};"
            f" pilih '{fix['approve']}' untuk menyetujui",
            f"  {fix['id']} (row {fix['row']}, {unit}) since {fix['since']}: changed {changed};"
            f" choose '{fix['approve']}' to approve"))
    for key, heading in (("broken_links", Message("Tautan yang tidak dapat dibuka (pemeriksaan terakhir):",
                                                  "Links that do not open (last check):")),
                         ("stale", Message("Perlu diperbarui:", "Needs updating:"))):
        if report[key]:
            lines.append(heading)
        lines += [Message(f"  {w['id']} (baris {w['row']}): {w['warning']}",
                          f"  {w['id']} (row {w['row']}): {w['warning_en']}") for w in report[key]]
    return lines


@dataclass(frozen=True)
class StatusResult:
    """What :meth:`~dip_sheets.office.Office.status` returns: the report and its two readings."""

    report: dict[str, Any]

    def summary(self) -> dict[str, Any]:
        return self.report

    def lines(self) -> list[Message]:
        return status_lines(self.report)

    def csv(self, register: str) -> str:
        return status_csv(self.report, register)
