"""Status: where every item stands in the SOP, per unit, and what blocks publication. Pure."""

from __future__ import annotations

from typing import Any

from .sync import Review
from .workflow import Stage


def status(review: Review) -> dict[str, Any]:
    """Counts per unit and SOP stage, rows that block publication, and DIK rows needing action."""
    per_unit: dict[str, dict[str, int]] = {}
    totals = {stage.value: 0 for stage in Stage}
    for row in review.dip:
        unit = str(row.values.get("Unit Penguasa Informasi") or "").strip() or "(tanpa unit)"
        counts = per_unit.setdefault(unit, {stage.value: 0 for stage in Stage})
        counts[row.stage.value] += 1
        totals[row.stage.value] += 1
    return {
        "per_unit": dict(sorted(per_unit.items())),
        "total": totals,
        "publishable": len(review.items),
        "blockers": [
            {"id": r.id, "row": r.row_number, "problems": [f.id for f in r.findings]}
            for r in review.blockers
        ],
        "dik_problems": [
            {"id": d.id, "row": d.anchor.row + 1, "problems": [f.id for f in d.findings]}
            for d in review.dik if d.findings
        ],
    }
