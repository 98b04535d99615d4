"""The digest of everything a render reads, kept in the manifest so an unchanged publish skips rendering.

Rendering is deterministic (:mod:`dip_sheets.render`): equal inputs give byte-identical files. So a
publish first hashes the inputs it would render the live version from and compares that with the
digest the live manifest recorded; only when they differ (or the manifest has none, as before 0.x)
does it render and compare bytes, as it always did. The inputs are: the items and exclusions (their
normalised content, not row numbers), the office settings and the logo's bytes, the version's
metadata except its own id and timestamp (those are the live version's by construction), the
archived versions older than it (their ids and times: archives never change once complete), the
higher PPID's entries, the office's template folder, and dip-sheets' own templates and version, so
a new release or an edited template re-renders. Not the package's code itself: a digest that changed
with every edit of any module would make every unchanged publish after an upgrade render again, until
the register changes; a release that renders differently has a new version number.
"""

from __future__ import annotations

import dataclasses
import functools
import hashlib
import operator
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Any

from . import __version__
from .config import PublicBody
from .higher_dik import Inherited
from .records import Version
from .validate import Exclusion, Item

PACKAGE = Path(__file__).resolve().parent


@dataclasses.dataclass(frozen=True)
class RegisterPart:
    """The register's part of a render's inputs (its items and exclusions, normalised), written out
    once per publish: both digests below hash it, and a publish takes one or two of each."""

    items: str
    exclusions: str

    @classmethod
    def of(cls, items: Sequence[Item], exclusions: Sequence[Exclusion]) -> RegisterPart:
        return cls(repr(sorted(map(_fields(Item), items))), repr(sorted(map(_fields(Exclusion), exclusions))))


def render_digest(register: RegisterPart, office: PublicBody, version: Version, templates: Path | None,
                  older: Iterable[tuple[str, str]], inherited: Inherited | None, *, pdf: bool = False) -> str:
    """SHA-256 (hex) of the render's inputs; ``older`` is ``(id, published_at)`` of each archived
    version published before ``version``; ``pdf``: the version goes with a ``dip.pdf`` (its page links
    it), so a publish that can print again after one that could not makes a new version."""
    digest = hashlib.sha256()

    def add(label: str, value: object) -> None:
        digest.update(f"{label}\0{value!r}\0".encode())

    def add_text(label: str, text: str) -> None:  # ``text``: a value's repr already
        digest.update(f"{label}\0{text}\0".encode())

    add("dip-sheets", (__version__, _builtin_templates()))
    add("templates", folder_digest(templates) if templates is not None else "")
    add_text("items", register.items)
    add_text("exclusions", register.exclusions)
    add("office", dataclasses.astuple(office))
    add("logo", _file_digest(Path(office.logo)) if office.logo else "")
    add("version", dataclasses.replace(version, id="", published_at=""))
    add("older", sorted(older))
    add("inherited", tuple(inherited) if inherited is not None else None)
    if pdf:  # added only when true: a site published without a PDF keeps its digest
        add("pdf", pdf)
    return digest.hexdigest()


def register_digest(register: RegisterPart) -> str:
    """SHA-256 (hex) of the register's part of the inputs alone: the items and exclusions. When it
    differs from the live version's, the list itself changed and the live version cannot be what the
    register renders to: a publish then renders the new version only, never the live one again to
    compare (only a change around the list, such as a new release or template, is compared so)."""
    return hashlib.sha256(f"{register.items}\0{register.exclusions}".encode()).hexdigest()


def _fields(kind: type[Any]) -> Callable[[Any], tuple[Any, ...]]:
    """A flat tuple of a plain dataclass's fields (``dataclasses.astuple`` copies deeply: 3x slower)."""
    getter = operator.attrgetter(*(f.name for f in dataclasses.fields(kind)))
    return lambda value: tuple(getter(value))


@functools.lru_cache(maxsize=1)
def _builtin_templates() -> str:
    """dip-sheets' own templates (read once per process)."""
    return folder_digest(PACKAGE / "templates")


def folder_digest(folder: Path) -> str:
    """Every file's relative path and bytes, in path order (a missing folder hashes as empty:
    rendering reports it)."""
    digest = hashlib.sha256()
    if folder.is_dir():
        for path in sorted(p for p in folder.rglob("*") if p.is_file() and "__pycache__" not in p.parts):
            digest.update(f"{path.relative_to(folder).as_posix()}\0".encode())
            digest.update(hashlib.sha256(path.read_bytes()).digest())
    return digest.hexdigest()


def _file_digest(path: Path) -> str:
    try:
        return hashlib.sha256(path.read_bytes()).hexdigest()
    except OSError:
        return "unreadable"  # rendering reports it
