"""What a run memo (:mod:`dip_sheets.run_memo`) keeps of a sync's result, and that result recalled.

A review of 10,000 rows takes a second to compute and half a second to unpickle, so the memo keeps
only what the sync's report shows: the ``--json`` summary, and the rows with findings or warnings
and the ``Keputusan`` rows with findings (``dip_sheets.reports.sync_lines`` prints them). A recalled
:class:`RecalledSync` prints and summarises exactly as the full sync did; its ``review`` holds no
rows (``dip``, ``dik`` and ``items`` are empty), so a caller that needs the rows reviews the
register itself (``Office.status`` does).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from .decisions import DecisionRow
from .findings import Finding
from .register import Changes, RowAnchor
from .states import DikState, Review, RowState, SyncResult


class RecalledReview(Review):
    """A review as a memo keeps it: the rows the report lists, without their content."""

    def __init__(self, problems: list[DikState], warned: list[DikState],
                 decision_problems: list[DecisionRow]) -> None:
        super().__init__([], [], Changes(), decision_problems=decision_problems)
        self._problems, self._warned = problems, warned

    def problem_rows(self) -> list[RowState | DikState]:
        return list(self._problems)

    def warned_rows(self) -> list[RowState | DikState]:
        return list(self._warned)


@dataclass(frozen=True)
class RecalledSync(SyncResult):
    """A sync answered from the memo: nothing was read, reviewed or written; ``summary()`` is the
    full sync's, as recorded."""

    recorded: dict[str, Any] = field(default_factory=dict)

    def summary(self) -> dict[str, Any]:
        return dict(self.recorded)


def kept(result: SyncResult) -> dict[str, Any]:
    """What the memo stores of ``result`` (JSON)."""
    review = result.review
    return {
        "summary": result.summary(),
        "problems": [_row(r.anchor, r.id, r.findings) for r in review.problem_rows()],
        "warnings": [_row(r.anchor, r.id, r.warnings) for r in review.warned_rows()],
        "decisions": [{"index": d.index, "findings": [_finding(f) for f in d.findings]}
                      for d in review.decision_problems],
    }


def recalled(document: dict[str, Any]) -> RecalledSync:
    """The result :func:`kept` stored; raises ``KeyError``, ``TypeError`` or ``ValueError`` on a
    document it did not write (the caller then runs in full)."""
    def rows(entries: list[dict[str, Any]], warnings: bool) -> list[DikState]:
        found = []
        for entry in entries:
            anchor = RowAnchor(str(entry["tab"]), int(entry["row"]), str(entry["key"]))
            said = [_from(f) for f in entry["said"]]
            found.append(DikState(anchor, str(entry["id"]), None, [] if warnings else said,
                                  said if warnings else []))
        return found

    decisions = [DecisionRow(int(d["index"]), None, tuple(_from(f) for f in d["findings"]))
                 for d in document["decisions"]]
    summary = document["summary"]
    if not isinstance(summary, dict):
        raise TypeError("summary")
    review = RecalledReview(rows(document["problems"], False), rows(document["warnings"], True), decisions)
    return RecalledSync(review, None, False, summary)


def _row(anchor: RowAnchor, row_id: str, said: list[Finding]) -> dict[str, Any]:
    return {"tab": anchor.tab, "row": anchor.row, "key": anchor.key, "id": row_id,
            "said": [_finding(f) for f in said]}


def _finding(finding: Finding) -> list[str | None]:
    return [finding.column, finding.id, finding.en]


def _from(entry: list[Any]) -> Finding:
    column, text_id, text_en = entry
    return Finding(None if column is None else str(column), str(text_id), str(text_en))
