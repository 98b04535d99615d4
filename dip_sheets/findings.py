"""A finding: one problem in one row, said in Indonesian and English, for the person who owns the cell.

Kept apart from the rules so every rule module (dates, the row checks) raises the same type.
"""

from __future__ import annotations

from dataclasses import dataclass

from .messages import Message


@dataclass(frozen=True, init=False)
class Finding(Message):
    """One problem in one row (a :class:`Message`); ``column`` is the header it is about, if any."""

    column: str | None

    def __init__(self, column: str | None, id: str, en: str) -> None:
        super().__init__(id, en)
        object.__setattr__(self, "column", column)  # frozen: set as the dataclass itself would


class Invalid(ValueError):
    """A value that cannot be used; carries the finding to show."""

    def __init__(self, finding: Finding) -> None:
        super().__init__(finding.id)
        self.finding = finding


def bad(column: str, id: str, en: str) -> Invalid:
    """An :class:`Invalid` whose sentences start with the column's header."""
    return Invalid(Finding(column, f"{column}: {id}", f"{column}: {en}"))


def quoted(text: str, limit: int = 60) -> str:
    """What a person typed, shortened so a long cell does not drown the message."""
    return text if len(text) <= limit else text[: limit - 1] + "…"
