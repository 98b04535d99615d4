"""argparse's own messages (usage, unknown option, missing argument, invalid choice) in Indonesian,
and never a raw control character from the command line in them (:class:`Parser`).

argparse looks every message up through its module-level ``_`` and ``ngettext`` at the moment it
uses it, so the catalogue is switched in only while the parser is built and parses, and switched
back afterwards. ``--lang en`` keeps argparse's English. Messages of other Python versions that
are not in the catalogue stay English rather than fail.
"""

from __future__ import annotations

import argparse
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import NoReturn

from .messages import LANGS, printable

INDONESIAN = {
    "usage: ": "pemakaian: ",
    "positional arguments": "argumen posisi",
    "options": "opsi",
    "optional arguments": "opsi",
    "show this help message and exit": "tampilkan bantuan ini lalu keluar",
    "%(prog)s: error: %(message)s\n": "%(prog)s: galat: %(message)s\n",
    "argument %(argument_name)s: %(message)s": "argumen %(argument_name)s: %(message)s",
    "unrecognized arguments: %s": "argumen tidak dikenal: %s",
    "the following arguments are required: %s": "argumen berikut wajib diisi: %s",
    "one of the arguments %s is required": "salah satu argumen %s wajib diisi",
    "not allowed with argument %s": "tidak boleh dipakai bersama argumen %s",
    "ignored explicit argument %r": "nilai %r diabaikan: opsi ini tidak menerima nilai",
    "expected one argument": "perlu satu nilai",
    "expected at most one argument": "paling banyak satu nilai",
    "expected at least one argument": "perlu paling sedikit satu nilai",
    "expected %s argument": "perlu %s nilai",
    "expected %s arguments": "perlu %s nilai",
    "ambiguous option: %(option)s could match %(matches)s":
        "opsi %(option)s ambigu, bisa berarti %(matches)s",
    "unexpected option string: %s": "opsi tidak terduga: %s",
    "invalid %(type)s value: %(value)r": "nilai %(type)s tidak sah: %(value)r",
    "invalid choice: %(value)r (choose from %(choices)s)":
        "pilihan tidak sah: %(value)r (pilih dari %(choices)s)",
    "invalid choice: %(value)r, maybe you meant %(closest)r? (choose from %(choices)s)":
        "pilihan tidak sah: %(value)r, maksudnya %(closest)r? (pilih dari %(choices)s)",
    "unknown parser %(parser_name)r (choices: %(choices)s)":
        "perintah %(parser_name)r tidak dikenal (pilihan: %(choices)s)",
    "can't open '%(filename)s': %(error)s": "'%(filename)s' tidak dapat dibuka: %(error)s",
}


class Parser(argparse.ArgumentParser):
    """An ArgumentParser whose error messages, which quote what was typed, are terminal-safe."""

    def error(self, message: str) -> NoReturn:
        super().error(printable(message))


def requested_lang(argv: Sequence[str]) -> str:
    """The ``--lang`` value in ``argv`` (``--lang en``, ``--lang=en``, ``--la en``), before parsing,
    so argparse's own messages about the rest of the line are already in that language."""
    for index, word in enumerate(argv):
        if word == "--":
            break
        option, equals, value = word.partition("=")
        if len(option) < 4 or not "--lang".startswith(option):
            continue
        if not equals:
            value = argv[index + 1] if index + 1 < len(argv) else ""
        if value in LANGS:
            return value
    return "id"


@contextmanager
def argparse_language(lang: str) -> Iterator[None]:
    """Within the block argparse speaks ``lang`` (Indonesian unless ``en``)."""
    if lang == "en":
        yield
        return
    saved = argparse._, argparse.ngettext  # type: ignore[attr-defined]
    argparse._ = _gettext  # type: ignore[attr-defined]
    argparse.ngettext = _ngettext  # type: ignore[attr-defined]
    try:
        yield
    finally:
        argparse._, argparse.ngettext = saved  # type: ignore[attr-defined]


def _gettext(text: str) -> str:
    return INDONESIAN.get(text, text)


def _ngettext(one: str, many: str, count: int) -> str:
    return _gettext(one if count == 1 else many)
