"""What the ``dip`` command prints: every line in the chosen language, safe for a terminal.

Every line goes through :func:`~dip_sheets.messages.printable`, so a cell, a file name or an
argument can never send control sequences (ESC, OSC, BEL, bidirectional overrides) to the
reader's terminal; JSON documents escape the same characters as ``\\uXXXX``.
"""

from __future__ import annotations

import json
import shutil
import sys
from collections.abc import Iterable
from typing import Any

from .messages import Message, printable


def same(text: str) -> Message:
    """A line that reads the same in both languages (a location, an ID, a table of numbers)."""
    return Message(text, text)


def json_text(document: Any, indent: int | None = 1) -> str:
    """``document`` as JSON in which every non-printable character is a ``\\u`` escape.

    ``json.dumps`` escapes C0 controls itself; C1 controls and format characters (bidirectional
    overrides) only occur inside strings, so escaping them afterwards keeps the JSON valid.
    """
    text = json.dumps(document, ensure_ascii=False, indent=indent, default=str)
    return "".join(ch if ch.isprintable() or ch in "\n " else _json_escape(ch) for ch in text)


def _json_escape(ch: str) -> str:
    code = ord(ch)
    if code < 0x10000:
        return f"\\u{code:04x}"
    code -= 0x10000
    return f"\\u{0xD800 + (code >> 10):04x}\\u{0xDC00 + (code & 0x3FF):04x}"


class Output:
    """Prints for people in the chosen language, or collects a JSON document with ``--json``."""

    def __init__(self, lang: str, as_json: bool, quiet: bool = False) -> None:
        self.lang, self.as_json, self.quiet = lang, as_json, quiet
        #: on a terminal, per-file steps redraw one status line; under cron every step is a line.
        self.live = sys.stdout.isatty()
        self._drawn = False
        self._steps = 0
        #: printed before the next line, if a line comes (``== name`` with several registers), so
        #: a register with nothing to say under cron prints nothing at all.
        self.heading: Message | None = None

    def say(self, message: Message) -> None:
        if not self.as_json and not self.quiet:
            if self._drawn:
                print()
                self._drawn = False
            if self.heading is not None:
                heading, self.heading = self.heading, None
                self.say(heading)
            print(printable(message.text(self.lang)))

    def say_all(self, messages: Iterable[Message]) -> None:
        for message in messages:
            self.say(message)

    def print_raw(self, text: str) -> None:
        """Text in a machine format (CSV): printed as it is, only made terminal-safe."""
        print(printable(text), end="")

    def progress(self, message: Message) -> None:
        """A publish step: on a terminal the per-file steps (indented) redraw one status line."""
        if self.live and message.id.startswith("  ") and not (self.as_json or self.quiet):
            self._steps += 1
            text = printable(f"[{self._steps}] {message.text(self.lang).strip()}")
            sys.stdout.write(f"\r\x1b[K{text[: shutil.get_terminal_size().columns - 1]}")
            sys.stdout.flush()
            self._drawn = True
            return
        self.say(message)

    def warn(self, message: Message) -> None:
        """A line on stderr (warnings and errors), in the chosen language, terminal-safe."""
        print(printable(message.text(self.lang)), file=sys.stderr)
