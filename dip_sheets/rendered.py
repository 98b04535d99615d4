"""The files of a rendered version, kept on disk until they are uploaded, not all in memory at once.

At 100,000 items a version's files weigh hundreds of megabytes (the list, its rest, the fragment, the
open data, the catalogue), and building each as one string and then bytes held two or three copies
of each. :class:`Rendered` is the ``{name: bytes}`` mapping every step of a publish takes (file table,
upload, switch), with each file written to a private temporary folder as it is rendered, piece by
piece, and read back only when a step asks for it: one file in memory at a time. The folder goes
when the mapping does. The first :data:`HELD` bytes of a version stay in memory instead: a list of a
thousand items never touches the disk (writing, reading back and removing each file cost more than
rendering some of them), a long list's files still go there. A folder a killed publish left is
removed by the next one that needs one (:mod:`dip_sheets.scratch`).
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterable, Iterator, Mapping, MutableMapping
from typing import TYPE_CHECKING

from .scratch import Folder

if TYPE_CHECKING:
    from .history import VersionChanges

#: characters of text gathered before they are encoded and written
BLOCK = 1 << 16
#: bytes of a version's files kept in memory (the rest go to disk)
HELD = 2 << 20


def _blocks(pieces: Iterable[str | bytes]) -> Iterator[bytes]:
    """``pieces`` as bytes, consecutive texts joined into blocks of at least :data:`BLOCK` characters
    (the last one shorter)."""
    texts: list[str] = []
    length = 0
    for piece in pieces:
        if isinstance(piece, str):
            texts.append(piece)
            length += len(piece)
            if length < BLOCK:
                continue
        if texts:
            yield "".join(texts).encode("utf-8")
            texts, length = [], 0
        if isinstance(piece, bytes):
            yield piece
    if texts:
        yield "".join(texts).encode("utf-8")


class Rendered(MutableMapping[str, bytes]):
    """``{file name: bytes}``, the bytes in memory or on disk; names keep the order they were added in.

    Names are the version's relative paths (``index.html``, ``keputusan/…``); each is stored under a
    number, so a name never becomes a path of its own here.
    """

    def __init__(self, files: Mapping[str, bytes] | None = None) -> None:
        self._folder: Folder | None = None
        #: each file's bytes, or the path of the file holding them
        self._files: dict[str, bytes | str] = {}
        self._sums: dict[str, tuple[int, str]] = {}
        self._held = 0
        self._count = 0
        #: what the version changed since the one before it, as its history page shows it (set by
        #: :func:`~dip_sheets.render.render_site`): a publish keeps it in the manifest without
        #: working it out again
        self.changes: VersionChanges | None = None
        for name, data in (files or {}).items():
            self[name] = data

    def _new_path(self) -> str:
        if self._folder is None:
            self._folder = Folder("dip-render-")
        self._count += 1
        return os.path.join(self._folder.path, str(self._count))

    def write(self, name: str, pieces: Iterable[str | bytes]) -> None:
        """File ``name`` from ``pieces`` (text is written as UTF-8), written as they come, gathered in
        blocks of about :data:`BLOCK` characters: a template yields a piece per tag and value, and
        encoding, writing and hashing each alone cost more than rendering it. Kept in memory while
        the version's files held there stay within :data:`HELD` bytes, else on disk."""
        digest, size = hashlib.sha256(), 0
        held: list[bytes] = []
        path, stream = "", None
        try:
            for data in _blocks(pieces):
                digest.update(data)
                size += len(data)
                if stream is not None:
                    stream.write(data)
                    continue
                held.append(data)
                if self._held + size > HELD:  # too much to hold: this file goes to disk
                    path = self._new_path()
                    stream = open(path, "wb")  # noqa: SIM115 (closed below, whatever happens)
                    stream.writelines(held)
                    held = []
        finally:
            if stream is not None:
                stream.close()
        self._forget(name)
        if path:
            self._files[name] = path
        else:
            self._files[name] = b"".join(held)
            self._held += size
        self._sums[name] = size, digest.hexdigest()

    def __setitem__(self, name: str, data: bytes) -> None:
        self.write(name, (data,))

    def __getitem__(self, name: str) -> bytes:
        where = self._files[name]
        if isinstance(where, bytes):
            return where
        with open(where, "rb") as stream:
            return stream.read()

    def __delitem__(self, name: str) -> None:
        if name not in self._files:
            raise KeyError(name)
        self._forget(name)

    def _forget(self, name: str) -> None:
        self._sums.pop(name, None)
        where = self._files.pop(name, None)
        if isinstance(where, bytes):
            self._held -= len(where)
        elif where is not None:
            os.remove(where)

    def __iter__(self) -> Iterator[str]:
        return iter(list(self._files))

    def __len__(self) -> int:
        return len(self._files)

    def __contains__(self, name: object) -> bool:
        return name in self._files

    def __ior__(self, other: Mapping[str, bytes]) -> Rendered:
        """``files |= {...}``, as on a dict."""
        self.update(other)
        return self

    def fingerprint(self, name: str) -> tuple[int, str]:
        """The file's size and SHA-256 (hex), taken as it was written: known without reading it."""
        return self._sums[name]

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Mapping) or set(self) != set(other):
            return False
        return all(self[name] == other[name] for name in self)

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return f"Rendered({sorted(self._files)!r})"

