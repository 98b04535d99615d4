"""The list as a PDF to download (``dip.pdf``): the page's own print view, printed by headless Chromium.

Not a second layout: the PDF is what a browser prints from the list's page (``@media print``: the A4
landscape table, headers on every page, the PPID's signature block beside the last rows), from the
whole list on one page (:func:`dip_sheets.render.list_page`, never split). Chromium is the one the
e-Monev evidence pack prints with (:class:`dip_sheets.evidence.Chromium`); scripts run, network is
not needed (every page is self-contained).

Chromium stamps the time into a PDF, so its bytes never repeat: it rides along with a version like
the other extra files (:mod:`dip_sheets.published_state`). It is made only with a new version (an
unchanged publish renders nothing, see :mod:`dip_sheets.render_digest`, and keeps the PDF archived
with the live version), listed in the manifest and verified like every file. The index links it only
when it was made: without Chromium, or when printing fails, the page goes out without a PDF link (never
a broken one) and the publish says so in one line. ``[publish] pdf = false`` turns it off, as does
``DIP_PDF=0`` in the environment for one run (the test suite does, but for the PDF's own tests).
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import replace

from .config import Config
from .errors import ConfigError, DipError
from .evidence import Chromium
from .messages import Message
from .records import Version
from .render import PDF_FILE, list_page
from .scratch import folder
from .switch import Progress
from .validate import Item

__all__ = ["PDF_FILE", "list_pdf", "printer", "switched_off"]

#: Chromium prints about 60 items a second on a shared 2-core machine; this leaves it room
SECONDS = 90.0
SECONDS_PER_ITEM = 0.05


def switched_off(config: Config) -> Message | None:
    """Why no PDF is made for ``config`` (``[publish] pdf = false``, or ``DIP_PDF=0`` for this run),
    or None when it is wanted."""
    if not config.publish.pdf:
        return Message("dimatikan ([publish] pdf = false)", "turned off ([publish] pdf = false)")
    if os.environ.get("DIP_PDF", "1").strip() == "0":
        return Message("dimatikan untuk proses ini (DIP_PDF=0)", "turned off for this run (DIP_PDF=0)")
    return None


def printer(config: Config, progress: Progress) -> Chromium | None:
    """The Chromium to print the list with, or None: the PDF is turned off (silently), or Chromium is
    not installed (said in one line; the page then has no PDF link)."""
    if switched_off(config) is not None:
        return None
    try:
        return Chromium.find()
    except ConfigError:
        progress(Message(
            "PDF daftar (dip.pdf) tidak dibuat karena Chromium tidak terpasang; halaman terbit tanpa"
            " tautan PDF. Pasang dengan `sudo apt-get install chromium`, atau tulis pdf = false di"
            " [publish].",
            "The list's PDF (dip.pdf) was not made because Chromium is not installed; the page is"
            " published without a PDF link. Install it with `sudo apt-get install chromium`, or set"
            " pdf = false in [publish]."))
        return None


def list_pdf(chromium: Chromium, config: Config, items: Sequence[Item], version: Version,
             progress: Progress) -> bytes | None:
    """``dip.pdf`` of ``items`` as ``version``, or None when Chromium could not print it (said)."""
    page = list_page(items, config.office, version, config.publish.templates)
    timeout = SECONDS + SECONDS_PER_ITEM * len(items)
    with folder("dip-pdf-") as scratch:
        source, out = scratch / "index.html", scratch / PDF_FILE
        source.write_bytes(page)
        try:
            replace(chromium, timeout=timeout).pdf(source.as_uri(), out)
            data = out.read_bytes()
        except (DipError, OSError) as problem:
            reason = problem.msg if isinstance(problem, DipError) else Message(str(problem), str(problem))
            data = b""
        else:
            reason = Message("hasilnya bukan PDF", "its output is not a PDF")
    if data.startswith(b"%PDF-"):
        return data
    progress(Message(
        f"PDF daftar (dip.pdf) tidak dibuat ({reason.id.rstrip('.')}); halaman terbit tanpa tautan PDF.",
        f"The list's PDF (dip.pdf) was not made ({reason.en.rstrip('.')}); the page is published without"
        " a PDF link."))
    return None
