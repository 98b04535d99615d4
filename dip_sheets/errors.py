"""Every error a person may see, with its exit code.

Each error carries its message in Indonesian (shown by default) and English (``--lang en``), written
side by side where it is raised, so a message is never separated from its translation. The CLI turns
these into one clear sentence and an exit code; anything else is a bug and exits 1 with a traceback
hidden behind ``--debug``.
"""

from __future__ import annotations

from typing import ClassVar


class DipError(Exception):
    """Base of all expected failures. ``exit_code`` follows the README's table."""

    exit_code: ClassVar[int] = 1

    def __init__(self, id: str, en: str) -> None:
        super().__init__(id)
        self.texts = {"id": id, "en": en}

    def message(self, lang: str = "id") -> str:
        return self.texts.get(lang, self.texts["id"])


class ConfigError(DipError):
    """The configuration (``dip.toml``, key files, options) is wrong: fix the setting."""

    exit_code = 2


class LayoutError(DipError):
    """The register's layout is wrong: a header is missing, renamed or duplicated."""

    exit_code = 2


class BackendUnavailable(DipError):
    """The register or the website cannot be reached or is busy right now: try again later."""

    exit_code = 3


class PublishFailed(DipError):
    """Publication did not happen; the live site is unchanged."""

    exit_code = 1
