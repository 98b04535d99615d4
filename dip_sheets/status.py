"""Status: where every item stands in the SOP, per unit, for how long, and what blocks publication.

Pure: it reads a :class:`~dip_sheets.sync.Review`. The day an item entered its stage comes from the
``Posisi SOP`` column that the sync maintains.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from typing import Any

from . import schema as s
from .register import cell_text
from .sync import Review
from .workflow import Stage

#: stages where an item waits for somebody; items longer than the threshold are called out.
WAITING = (Stage.DRAFT, Stage.AWAITING_DESK, Stage.NEEDS_FIX, Stage.AWAITING_PPID, Stage.NEEDS_REVISION,
           Stage.BLOCKED, Stage.ESTABLISHED)


def status(review: Review, today: dt.date, overdue_days: int = 14) -> dict[str, Any]:
    """Counts per unit and SOP stage, overdue items, blockers, and DIK rows needing action."""
    per_unit: dict[str, dict[str, int]] = {}
    totals = {stage.value: 0 for stage in Stage}
    overdue = []
    for row in review.dip:
        unit = cell_text(row.values.get(s.UNIT)) or "(tanpa unit)"
        counts = per_unit.setdefault(unit, {stage.value: 0 for stage in Stage})
        counts[row.stage.value] += 1
        totals[row.stage.value] += 1
        days = (today - row.since).days
        if row.stage in WAITING and days > overdue_days:
            overdue.append({"id": row.id, "row": row.row_number, "unit": unit, "stage": row.stage.value,
                            "days": days, "title": cell_text(row.values.get(s.TITLE))})
    return {
        "per_unit": dict(sorted(per_unit.items())),
        "total": totals,
        "publishable": len(review.items),
        "overdue_days": overdue_days,
        "overdue": sorted(overdue, key=lambda o: -int(o["days"])),
        "blockers": [
            {"id": r.id, "row": r.row_number, "problems": [f.id for f in r.findings]}
            for r in review.blockers
        ],
        "dik_problems": [
            {"id": d.id, "row": d.anchor.row + 1, "problems": [f.id for f in d.findings]}
            for d in review.dik if d.findings
        ],
    }


def status_csv(report: dict[str, Any], register: str) -> str:
    """One line per register, unit and stage: easy to paste into a spreadsheet or monitoring."""
    stream = io.StringIO()
    writer = csv.writer(stream, lineterminator="\n")
    writer.writerow(["register", "unit", "tahap", "jumlah"])
    for unit, counts in report["per_unit"].items():
        for stage, count in counts.items():
            if count:
                writer.writerow([register, unit, stage, count])
    return stream.getvalue()


def status_table(report: dict[str, Any], lang: str = "id") -> str:
    """A plain-text table for people: units as rows, SOP stages as columns."""
    stages = [stage for stage in Stage if report["total"][stage.value]]
    labels = [stage.value if lang == "id" else stage.label_en for stage in stages]
    units = list(report["per_unit"])
    width = max([len("Unit"), *(len(u) for u in units)]) if units else 4
    lines = ["  ".join(["Unit".ljust(width), *labels])]
    for unit in units:
        counts = report["per_unit"][unit]
        cells = [str(counts[stage.value]).rjust(len(label))
                 for stage, label in zip(stages, labels, strict=True)]
        lines.append("  ".join([unit.ljust(width), *cells]))
    total_cells = [str(report["total"][stage.value]).rjust(len(label))
                   for stage, label in zip(stages, labels, strict=True)]
    lines.append("  ".join(["Jumlah".ljust(width), *total_cells]))
    return "\n".join(lines)
