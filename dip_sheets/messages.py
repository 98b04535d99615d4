"""One bilingual message type for everything a person reads.

Indonesian is shown by default; English with ``--lang en``. Errors, findings, warnings, progress
lines, init results and check names all carry a :class:`Message`, so a text is never separated from
its translation and the CLI prints every line in the chosen language.
"""

from __future__ import annotations

from dataclasses import dataclass

LANGS = ("id", "en")


@dataclass(frozen=True)
class Message:
    """A sentence in Indonesian (``id``) and English (``en``)."""

    id: str
    en: str

    def text(self, lang: str = "id") -> str:
        return self.en if lang == "en" and self.en else self.id


def printable(text: str) -> str:
    """``text`` safe for a terminal: control characters (ESC, BEL, OSC …) shown as ``\\x1b``-style
    escapes, newlines and tabs kept, so a cell's content can never drive the reader's terminal."""
    return "".join(ch if ch in "\n\t" or ch.isprintable() else _escape(ch) for ch in text)


def _escape(ch: str) -> str:
    """Control and format characters (C0, C1, bidirectional overrides) as visible escapes."""
    return f"\\x{ord(ch):02x}" if ord(ch) < 0x100 else f"\\u{ord(ch):04x}"
