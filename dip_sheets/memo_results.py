"""What a run memo (:mod:`dip_sheets.run_memo`) keeps of a sync's result, and that result recalled.

A review of 10,000 rows takes a second to compute and half a second to unpickle, so the memo keeps
only what the sync's report shows: the ``--json`` summary, and the rows with findings or warnings
and the ``Keputusan`` rows with findings (``dip_sheets.reports.sync_lines`` prints them). A recalled
:class:`RecalledSync` prints and summarises exactly as the full sync did; its ``review`` holds no
rows (``dip``, ``dik`` and ``items`` are empty), so a caller that needs the rows reviews the
register itself (``Office.status`` does).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from .decisions import DecisionRow
from .findings import Finding
from .register import Changes, RowAnchor
from .states import DikState, Review, RowState, SyncResult

#: one row the report lists as kept: tab, row, key, ID, indexes into what is said
Listed = list[Any]


class RecalledReview(Review):
    """A review as a memo keeps it: the rows the report lists, without their content (built when
    the report asks for them)."""

    def __init__(self, said: list[Finding], problems: list[Listed], warned: list[Listed],
                 decision_problems: list[DecisionRow]) -> None:
        super().__init__([], [], Changes(), decision_problems=decision_problems)
        self._said, self._problems, self._warned = said, problems, warned

    def problem_rows(self) -> list[RowState | DikState]:
        return [DikState(RowAnchor(tab, row, key), row_id, None, [self._said[n] for n in refs])
                for tab, row, key, row_id, refs in self._problems]

    def warned_rows(self) -> list[RowState | DikState]:
        return [DikState(RowAnchor(tab, row, key), row_id, None, [], [self._said[n] for n in refs])
                for tab, row, key, row_id, refs in self._warned]


@dataclass(frozen=True)
class RecalledSync(SyncResult):
    """A sync answered from the memo: nothing was read, reviewed or written; ``summary()`` is the
    full sync's, as recorded."""

    recorded: dict[str, Any] = field(default_factory=dict)

    def summary(self, *, rows: bool = True) -> dict[str, Any]:
        return dict(self.recorded)


#: the summary's entries rebuilt from the rows kept (so the memo holds each text once)
FROM_ROWS = ("problems", "warnings")


def kept(result: SyncResult) -> dict[str, Any]:
    """What the memo stores of ``result`` (JSON): the summary, and each row the report lists with
    indexes into one table of what is said (3,000 rows may share one staleness warning)."""
    review = result.review
    said: dict[tuple[str | None, str, str], int] = {}

    def refs(findings: Sequence[Finding]) -> list[int]:
        return [said.setdefault((f.column, f.id, f.en), len(said)) for f in findings]

    return {
        "summary": result.summary(rows=False),
        "problems": [[r.anchor.tab, r.anchor.row, r.anchor.key, r.id, refs(r.findings)]
                     for r in review.problem_rows()],
        "warnings": [[r.anchor.tab, r.anchor.row, r.anchor.key, r.id, refs(r.warnings)]
                     for r in review.warned_rows()],
        "decisions": [[d.index, refs(d.findings)] for d in review.decision_problems],
        "said": [list(entry) for entry in said],
    }


def recalled(document: dict[str, Any]) -> RecalledSync:
    """The result :func:`kept` stored; raises ``KeyError``, ``IndexError``, ``TypeError`` or
    ``ValueError`` on a document it did not write (the caller then runs in full)."""
    said = [Finding(None if column is None else str(column), str(text_id), str(text_en))
            for column, text_id, text_en in document["said"]]

    def rows(entries: list[Listed]) -> list[Listed]:
        """``entries`` as :func:`kept` wrote them (each the right types, each index in the table)."""
        if not all(len(e) == 5 and type(e[1]) is int and type(e[3]) is str and type(e[4]) is list
                   for e in entries):
            raise TypeError("rows")
        used = {n for e in entries for n in e[4]}
        if used and not (all(type(n) is int for n in used) and 0 <= min(used) <= max(used) < len(said)):
            raise IndexError("said")
        return entries

    problems, warned = rows(document["problems"]), rows(document["warnings"])
    decisions = [DecisionRow(int(index), None, tuple(said[n] for n in refs))
                 for index, refs in document["decisions"]]
    summary = dict(document["summary"])
    if any(k not in summary for k in FROM_ROWS):
        raise KeyError(FROM_ROWS)
    ids: dict[tuple[int, ...], list[str]] = {}  # rows that say the same share one list

    def texts(refs: list[int]) -> list[str]:
        key = tuple(refs)
        if key not in ids:
            ids[key] = [said[n].id for n in refs]
        return ids[key]

    summary["problems"] = {row_id: texts(refs) for *_, row_id, refs in problems}
    summary["warnings"] = {row_id: texts(refs) for *_, row_id, refs in warned}
    return RecalledSync(RecalledReview(said, problems, warned, decisions), None, False, summary)
