"""A local folder as the website: the embedded default, and what a web server's docroot can be."""

from __future__ import annotations

import os
import shutil
from pathlib import Path


class FolderTarget:
    """:class:`~dip_sheets.targets.Target` on a local folder; ``replace`` is ``os.replace``."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.location = str(root)

    def _path(self, path: str) -> Path:
        resolved = (self.root / path).resolve()
        if not resolved.is_relative_to(self.root.resolve()):
            raise ValueError(f"path escapes the target: {path}")
        return resolved

    def read(self, path: str) -> bytes | None:
        try:
            return self._path(path).read_bytes()
        except (FileNotFoundError, IsADirectoryError, NotADirectoryError):
            return None

    def list(self, path: str) -> list[str]:
        try:
            return sorted(os.listdir(self._path(path)))
        except (FileNotFoundError, NotADirectoryError):
            return []

    def put(self, path: str, data: bytes) -> None:
        target = self._path(path)
        target.parent.mkdir(parents=True, exist_ok=True)
        with open(target, "wb") as stream:
            stream.write(data)
            stream.flush()
            os.fsync(stream.fileno())
        if target.stat().st_size != len(data):
            raise OSError(f"size mismatch after writing {path}")

    def replace(self, src: str, dst: str) -> None:
        os.replace(self._path(src), self._path(dst))

    def remove(self, path: str) -> None:
        target = self._path(path)
        if target.is_dir() and not target.is_symlink():
            shutil.rmtree(target)
        else:
            target.unlink(missing_ok=True)

    def close(self) -> None:
        """Nothing to release."""
