"""A local folder as the website: the embedded default, and what a web server's docroot can be.

Every operating-system error becomes one of the project's errors with a sentence that says what to
do (a full disk, a folder the user may not write, a missing parent folder), and nothing is written
or removed through a symbolic link (see :mod:`dip_sheets.targets`).
"""

from __future__ import annotations

import builtins
import contextlib
import errno
import os
from collections.abc import Iterator
from pathlib import Path

from ..errors import ConfigError, DipError, PublishFailed
from . import Entry, Kind, LinksUnsupported, link_refused, shown

#: errors that mean "this filesystem cannot hold symbolic links" (FAT, some network shares)
_NO_LINKS = {errno.EPERM, errno.ENOTSUP, errno.EOPNOTSUPP, errno.ENOSYS}
_FULL = {errno.ENOSPC, errno.EDQUOT}
_DENIED = {errno.EACCES, errno.EPERM, errno.EROFS}


class FolderTarget:
    """:class:`~dip_sheets.targets.Target` on a local folder; ``replace`` is ``os.replace``."""

    atomic_replace = True

    def __init__(self, root: Path) -> None:
        self.root = root
        self.location = str(root)

    # -- helpers ---------------------------------------------------------------------------

    def _path(self, path: str) -> Path:
        parts = [p for p in path.split("/") if p not in ("", ".")]
        if path.startswith("/") or ".." in parts:
            raise ValueError(f"path must be relative and stay inside the root: {path!r}")
        return self.root.joinpath(*parts)

    def _writable(self, path: str) -> Path:
        """``path`` under the root, after checking that none of its folders is a link."""
        target = self._path(path)
        current = self.root
        for part in target.relative_to(self.root).parts[:-1]:
            current = current / part
            with contextlib.suppress(FileNotFoundError):
                if current.is_symlink():
                    raise link_refused(str(current), os.readlink(current))
        return target

    @contextlib.contextmanager
    def _errors(self, doing_id: str, doing_en: str, path: Path) -> Iterator[None]:
        """Operating-system errors as the project's errors, naming the file and the way out."""
        try:
            yield
        except OSError as exc:
            raise self._error(exc, doing_id, doing_en, path) from None

    def _error(self, exc: OSError, doing_id: str, doing_en: str, path: Path) -> DipError:
        where = shown(str(path))
        why = exc.strerror or type(exc).__name__
        if exc.errno in _FULL:
            return PublishFailed(
                f"Disk penuh saat {doing_id} {where}: kosongkan ruang di disk itu, lalu jalankan"
                " lagi. Situs yang tayang tidak berubah.",
                f"The disk is full while {doing_en} {where}: free some space on it, then run"
                " again. The live site is unchanged.",
            )
        if exc.errno in _DENIED:
            return ConfigError(
                f"Folder situs {shown(str(self.root))} tidak dapat ditulis ({why}) saat"
                f" {doing_id} {where}: beri pengguna yang menjalankan dip hak tulis, atau"
                " perbaiki publish.folder di dip.toml.",
                f"The site folder {shown(str(self.root))} cannot be written ({why}) while"
                f" {doing_en} {where}: give the user running dip write access, or fix"
                " publish.folder in dip.toml.",
            )
        return PublishFailed(
            f"Gagal {doing_id} {where} ({why}): periksa folder itu, lalu jalankan lagi.",
            f"Failed {doing_en} {where} ({why}): check that folder, then run again.",
        )

    def _make_root(self) -> None:
        """Create the site folder itself, but never its parents: a typo must not build a tree."""
        if self.root.is_dir():
            return
        if not self.root.parent.is_dir():
            raise ConfigError(
                f"Folder induk {shown(str(self.root.parent))} untuk situs tidak ada: perbaiki"
                " publish.folder di dip.toml, atau buat folder induknya bila memang benar.",
                f"The parent folder {shown(str(self.root.parent))} of the site does not exist: fix"
                " publish.folder in dip.toml, or create that folder if it is the right one.",
            )
        with self._errors("membuat folder", "creating the folder", self.root):
            self.root.mkdir(exist_ok=True)

    def _mkdirs(self, folder: Path) -> None:
        self._make_root()
        with self._errors("membuat folder", "creating the folder", folder):
            folder.mkdir(parents=True, exist_ok=True)

    # -- the Target protocol ---------------------------------------------------------------

    def read(self, path: str) -> bytes | None:
        target = self._path(path)
        try:
            return target.read_bytes()
        except (FileNotFoundError, IsADirectoryError, NotADirectoryError):
            return None
        except OSError as exc:
            raise self._error(exc, "membaca", "reading", target) from None

    def list(self, path: str) -> list[str]:
        return [entry.name for entry in self.entries(path)]

    def entries(self, path: str) -> builtins.list[Entry]:
        folder = self._path(path)
        found = []
        with self._errors("membaca isi folder", "listing", folder):
            try:
                scanned = list(os.scandir(folder))
            except (FileNotFoundError, NotADirectoryError):
                return []
            for item in scanned:
                kind: Kind = ("link" if item.is_symlink() else "dir" if item.is_dir(follow_symlinks=False)
                              else "file" if item.is_file(follow_symlinks=False) else "other")
                found.append(Entry(item.name, kind, os.readlink(item.path) if kind == "link" else None))
        return sorted(found, key=lambda e: e.name)

    def put(self, path: str, data: bytes) -> None:
        target = self._writable(path)
        self._mkdirs(target.parent)
        with self._errors("menulis", "writing", target):
            try:
                fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_NOFOLLOW, 0o644)
            except OSError as exc:
                if exc.errno == errno.ELOOP:
                    raise link_refused(str(target), os.readlink(target)) from None
                raise
            with open(fd, "wb") as stream:
                stream.write(data)
                stream.flush()
                os.fsync(stream.fileno())
            size = target.lstat().st_size
        if size != len(data):
            raise PublishFailed(
                f"Ukuran {shown(str(target))} ({size} bita) tidak sama dengan yang ditulis ({len(data)}"
                " bita), mungkin disk penuh: periksa ruang disk, lalu jalankan lagi.",
                f"The size of {shown(str(target))} ({size} bytes) differs from what was written"
                f" ({len(data)} bytes), maybe the disk is full: check the space, then run again.",
            )

    def symlink(self, link: str, path: str) -> None:
        target = self._writable(path)
        self._mkdirs(target.parent)
        with self._errors("membuat tautan", "creating the link", target):
            try:
                os.symlink(link, target)
            except OSError as exc:
                if exc.errno in _NO_LINKS:
                    raise LinksUnsupported(
                        f"Folder {shown(str(self.root))} tidak dapat memuat tautan simbolik"
                        f" ({exc.strerror}).",
                        f"The folder {shown(str(self.root))} cannot hold symbolic links"
                        f" ({exc.strerror}).",
                    ) from None
                raise

    def replace(self, src: str, dst: str) -> None:
        source, destination = self._writable(src), self._writable(dst)
        with self._errors("mengganti", "replacing", destination):
            os.replace(source, destination)

    def remove(self, path: str) -> None:
        target = self._writable(path)
        with self._errors("menghapus", "removing", target):
            try:
                if target.is_dir() and not target.is_symlink():
                    target.rmdir()
                else:
                    target.unlink()
            except FileNotFoundError:
                pass
            except OSError as exc:
                if exc.errno not in (errno.ENOTEMPTY, errno.EEXIST):
                    raise

    def close(self) -> None:
        """Nothing to release."""
