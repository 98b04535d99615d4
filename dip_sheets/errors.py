"""Every error a person may see, with its exit code.

Each error carries a :class:`~dip_sheets.messages.Message`: the Indonesian text (shown by default)
and the English one (``--lang en``), written side by side where it is raised, so a message is never
separated from its translation. :mod:`dip_sheets.error_handler` turns these into one sentence and an
exit code; anything else is a bug and exits 1 with its traceback in ``dip.log``.

Each class names its exit code and what it means for the person reading it; the error catalogue
(``scripts/error_catalog.py`` → ``docs/PESAN.md``) reads both from here.
"""

from __future__ import annotations

from typing import ClassVar

from .messages import Message


class DipError(Exception):
    """Base of all expected failures. ``exit_code`` follows the README's table."""

    exit_code: ClassVar[int] = 1
    #: what an error of this kind means and what to do, for the catalogue.
    meaning: ClassVar[Message] = Message("galat lain", "another error")

    def __init__(self, id: str, en: str) -> None:
        super().__init__(id)
        self.msg = Message(id, en)

    def message(self, lang: str = "id") -> str:
        return self.msg.text(lang)


class ConfigError(DipError):
    """The configuration (``dip.toml``, key files, options) is wrong: fix the setting."""

    exit_code = 2
    meaning = Message("konfigurasi, kunci atau izin salah: perbaiki pengaturannya lalu jalankan lagi",
                      "the configuration, a key or a permission is wrong: fix the setting and run"
                      " again")


class LayoutError(DipError):
    """The register's layout is wrong: a header is missing, renamed or duplicated."""

    exit_code = 2
    meaning = Message("tata letak register salah: perbaiki baris judul atau jalankan `dip init`",
                      "the register's layout is wrong: fix the header row or run `dip init`")


class BackendUnavailable(DipError):
    """The register or the website cannot be reached or is busy right now: try again later."""

    exit_code = 3
    meaning = Message("register atau situs tidak terjangkau atau sedang sibuk: coba lagi nanti",
                      "the register or the site is unreachable or busy: try again later")


class AlreadyRunning(DipError):
    """Another run holds this register's lock (:mod:`dip_sheets.lock`); under cron the second run
    just exits."""

    exit_code = 4
    meaning = Message("proses lain sedang memegang register: tunggu sampai selesai",
                      "another run holds the register: wait until it is done")


class PublishFailed(DipError):
    """Publication did not happen; the live site is unchanged."""

    exit_code = 1
    meaning = Message("penerbitan tidak terjadi; situs yang tayang tidak berubah",
                      "publication did not happen; the live site is unchanged")


class DraftFailed(DipError):
    """No draft decision was written (``dip keputusan draf``): there is nothing to establish yet."""

    exit_code = 1
    meaning = Message("draf keputusan tidak dibuat: belum ada daftar untuk dilampirkan",
                      "no draft decision was made: there is no list to attach yet")
