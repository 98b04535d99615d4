"""The e-Monev evidence pack (``dip monev --bukti DIR``): one PDF per item, each at most 2 MB.

The questionnaire takes one PDF per item, 2 MB at most. No new PDF stack: the published pages
already have a print rendering (the signature block appears only on paper), so the live pages are
printed as they are by Debian's headless Chromium (``--print-to-pdf``), over HTTP(S) like an
assessor would open them. What has no page of its own (the self-check's answers, the expired
exclusions, the link-check results, the screenshots) is rendered into one small HTML page
(``monev_bukti.html.j2``) and printed the same way.

Files, named by item::

    01-hasil-swanilai.pdf          the self-check: every item, its answer, reason and what to do
    02-dip-daring.pdf              the established list as published (decision and signature block)
    03-dik.pdf                     the DIK with its consequence tests, as published
    04-pengecualian-berakhir.pdf   exclusions whose period ended (to be reopened)
    05-cek-tautan.pdf              the link-check results
    06-tangkapan-layar.pdf         screenshots of the live pages
    07-dip-tahun-<year>.pdf        the previous year's list from the archive, when there is one
"""

from __future__ import annotations

import base64
import os
import shutil
import subprocess
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from . import scratch
from .errors import ConfigError, DipError
from .monev import MonevReport, site_url_of
from .templating import environment, render_template

#: the questionnaire's limit per uploaded file
MAX_BYTES = 2 * 1000 * 1000
#: pages of the live site shown as screenshots
SCREENSHOT_PAGES = ("index.html", "dik.html", "riwayat.html")
_FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
          "--disable-component-update", "--disable-sync", "--hide-scrollbars")
_TIMEOUT = 90.0


class EvidenceTooLarge(DipError):
    """A PDF of the pack is over the questionnaire's limit: it could not be uploaded."""


@dataclass(frozen=True)
class Chromium:
    """Debian's headless Chromium, one process per page, each with a throw-away profile."""

    executable: str
    #: seconds one page may take (a long list printed to PDF takes longer: see list_pdf)
    timeout: float = _TIMEOUT

    @classmethod
    def find(cls) -> Chromium:
        found = shutil.which("chromium") or shutil.which("chromium-browser")
        if found is None:
            raise ConfigError(
                "Chromium tidak terpasang; berkas bukti dicetak dengannya. Pasang dengan"
                " `sudo apt-get install chromium`, lalu jalankan lagi.",
                "Chromium is not installed; the evidence is printed with it. Install it with"
                " `sudo apt-get install chromium`, then run again.")
        return cls(found)

    def _run(self, url: str, *args: str) -> None:
        with scratch.folder("dip-chromium-") as profile:
            try:
                done = subprocess.run([self.executable, *_FLAGS, f"--user-data-dir={profile}", *args, url],
                                      capture_output=True, timeout=self.timeout, check=False)
            except (OSError, subprocess.TimeoutExpired) as exc:
                raise DipError(f"Chromium gagal membuka {url}: {exc}.",
                               f"Chromium failed to open {url}: {exc}.") from None
        if done.returncode != 0:
            raise DipError(f"Chromium gagal membuka {url} (kode {done.returncode}).",
                           f"Chromium failed to open {url} (code {done.returncode}).")

    def pdf(self, url: str, out: Path) -> None:
        self._run(url, "--no-pdf-header-footer", f"--print-to-pdf={out}")

    def screenshot(self, url: str, out: Path, width: int = 1280, height: int = 1400) -> None:
        self._run(url, f"--window-size={width},{height}", f"--screenshot={out}")


def write_evidence(report: MonevReport, folder: Path, *, chromium: Chromium | None = None) -> list[Path]:
    """Write the pack into ``folder`` (created when missing); the files written, in order. The live
    pages are printed only when the self-check found a live version, the previous year only when
    the archive holds one."""
    chrome = chromium or Chromium.find()
    folder.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    with scratch.folder("dip-bukti-") as work:

        def page(name: str, title: str, **context: Any) -> None:
            html = work / f"{name}.html"
            html.write_text(_render(report, title, context), encoding="utf-8")
            _print(chrome, html.as_uri(), folder / f"{name}.pdf", written)

        page("01-hasil-swanilai", "Hasil swanilai e-Monev: Daftar Informasi Publik dan DIK",
             headers=("Item", "Hasil", "Alasan", "Tindakan"),
             rows=[(i.title.id, i.state, i.reason.id, "" if i.meets else i.todo.id) for i in report.items])
        if report.live_version is not None:
            _print(chrome, site_url_of(report.base_url, "index.html"), folder / "02-dip-daring.pdf", written)
            _print(chrome, site_url_of(report.base_url, "dik.html"), folder / "03-dik.pdf", written)
        page("04-pengecualian-berakhir", "Informasi dikecualikan yang masa pengecualiannya berakhir",
             intro="Informasi berikut wajib diklasifikasikan kembali ke dalam Daftar Informasi Publik.",
             headers=("ID", "Informasi", "Berakhir", "Keadaan"),
             rows=[(i, info, end, "masih di DIK" if still else "sudah dibuka")
                   for i, info, end, still in report.expired],
             empty="Tidak ada informasi dikecualikan yang masa pengecualiannya berakhir.")
        page("05-cek-tautan", "Hasil pemeriksaan tautan", headers=("Tautan", "Hasil", "Keterangan"),
             rows=[(url, "terbuka" if ok else "tidak terbuka", note) for url, ok, note in report.links],
             empty="Tidak ada tautan.")
        if report.live_version is not None:
            shots = _screenshots(chrome, report.base_url, work)
            page("06-tangkapan-layar", "Tangkapan layar halaman yang tayang", shots=shots)
        if report.previous_year_version is not None:
            year = report.checked_at.year - 1
            url = site_url_of(report.base_url, f"arsip/{report.previous_year_version}/index.html")
            _print(chrome, url, folder / f"07-dip-tahun-{year}.pdf", written)
    return written


def _render(report: MonevReport, title: str, context: dict[str, Any]) -> str:
    base = {"title": title, "office": report.office, "checked": report.checked_at.strftime("%Y-%m-%d %H:%M"),
            "site": report.base_url, "intro": "", "headers": (), "rows": [], "empty": "", "shots": []}
    return render_template(environment(None), "monev_bukti.html.j2", {**base, **context}, None)


def _screenshots(chrome: Chromium, base_url: str, work: Path) -> list[dict[str, str]]:
    shots = []
    for name in SCREENSHOT_PAGES:
        url = site_url_of(base_url, name)
        png = work / f"layar-{name}.png"
        chrome.screenshot(url, png)
        data = base64.b64encode(png.read_bytes()).decode("ascii")
        shots.append({"url": url, "data": f"data:image/png;base64,{data}"})
    return shots


def _print(chrome: Chromium, url: str, out: Path, written: list[Path]) -> None:
    """Print ``url`` to ``out`` and refuse a result over :data:`MAX_BYTES` (it would be rejected)."""
    temp = out.with_name(f".{out.name}.tmp")
    chrome.pdf(url, temp)
    size = temp.stat().st_size
    if size > MAX_BYTES:
        temp.unlink()
        raise EvidenceTooLarge(
            f"Berkas bukti {out.name} berukuran {size:,} bita, melebihi batas {MAX_BYTES:,} bita"
            " e-Monev; perkecil logo atau halamannya, lalu jalankan lagi.",
            f"Evidence file {out.name} is {size:,} bytes, over the e-Monev limit of {MAX_BYTES:,}"
            " bytes; shrink the logo or the page, then run again.")
    os.replace(temp, out)
    written.append(out)


def sizes(paths: Sequence[Path]) -> dict[str, int]:
    """Each written file's size, for the command's ``--json`` output."""
    return {p.name: p.stat().st_size for p in paths}
