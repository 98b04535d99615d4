"""``dip keputusan draf``: the draft Keputusan PPID as DOCX (the main product) and as PDF.

The lists attached are exactly what a publish would put online now (the review's ``items`` and
``exclusions``, in the published order), so the decision the PPID signs establishes the list the
site shows. The words come from :mod:`dip_sheets.decision_text`; they are put into a DOCX template
with docxtpl: the built-in ``templates/keputusan.docx`` (made by
``scripts/make_decision_template.py``), or ``keputusan.docx`` in the office's ``[publish] templates``
folder, which overrides it as the office's Jinja templates override the page's. The template runs in
Jinja's immutable sandbox, like the page's templates.

The PDF is converted from that DOCX by LibreOffice (``soffice --headless --convert-to pdf``) with a
throw-away profile, so a LibreOffice the PPID has open is neither used nor disturbed, and with a time
limit after which the whole process group is killed. Without LibreOffice the DOCX is still written
and the result says how to get the PDF: the draft is edited in Word or LibreOffice before signing
anyway.

Without ``--nomor`` the number is proposed from the ``Keputusan`` tab: the one after the year's last
decision (:func:`dip_sheets.decisions.next_number`), or left blank when the tab has no decision of
that year or its number has no running number to count on; the result says which, and why.

Files are named by kind and year (``keputusan-dip-2026.docx``; a register named in ``[[register]]``
adds its name, as offices may share a working folder) and never overwritten (a draft may carry the
PPID's own edits): a second draft of the same kind and year gets ``-2``, ``-3`` … in its name.
"""

from __future__ import annotations

import io
import os
import shutil
import signal
import subprocess
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from importlib import resources
from pathlib import Path
from typing import Any

from docx.image.exceptions import UnrecognizedImageError
from docx.image.image import Image
from docx.opc.exceptions import PackageNotFoundError
from docx.shared import Mm
from docxtpl import DocxTemplate, InlineImage
from jinja2 import StrictUndefined, TemplateError
from jinja2.sandbox import ImmutableSandboxedEnvironment

from . import schema as s
from .config import Config
from .decision_text import DraftDecision, context
from .decisions import Decision, next_number
from .errors import ConfigError, DraftFailed
from .messages import Message
from .scratch import folder
from .sync import Review
from .templating import template_folder

TEMPLATE = "keputusan.docx"
#: seconds LibreOffice may take to convert one draft (its first start with a new profile is slow)
CONVERT_TIMEOUT = 180.0
#: the default folder for drafts, inside the office's working folder (``state_dir``); never the
#: website's folder, where a file dip-sheets did not publish would stop the next publish
FOLDER = "keputusan"
_STEM = {"dip": "keputusan-dip", "dik": "keputusan-dik", "keduanya": "keputusan-dip-dik"}


@dataclass(frozen=True)
class DraftResult:
    """The files written, what they hold, and what the PPID should know."""

    decision: DraftDecision
    docx: Path
    pdf: Path | None
    template: str
    items: int
    exclusions: int
    notices: list[Message] = field(default_factory=list)
    #: where the number came from: ``option`` (``--nomor``), ``tab`` (the ``Keputusan`` tab) or ``blank``
    number_from: str = "option"
    #: which number, and why (see :func:`numbered`)
    numbering: Message = field(default_factory=lambda: Message("", ""))

    def lines(self) -> list[Message]:
        counts = []
        if self.decision.dip:
            counts.append((f"{self.items} informasi publik", f"{self.items} public items"))
        if self.decision.dik:
            counts.append((f"{self.exclusions} informasi yang dikecualikan",
                           f"{self.exclusions} excluded items"))
        what_id, what_en = " dan ".join(c[0] for c in counts), " and ".join(c[1] for c in counts)
        lines = [Message(f"Draf keputusan (DOCX, lampiran {what_id}): {self.docx}",
                         f"Draft decision (DOCX, attachment of {what_en}): {self.docx}")]
        if self.pdf is not None:
            lines.append(Message(f"Draf keputusan (PDF): {self.pdf}", f"Draft decision (PDF): {self.pdf}"))
        lines += self.notices
        if self.numbering.id:
            lines.append(self.numbering)
        return lines

    def summary(self, lang: str = "id") -> dict[str, Any]:
        return {
            "kind": self.decision.kind, "year": self.decision.year, "number": self.decision.number,
            "number_from": self.number_from, "number_why": self.numbering.text(lang),
            "date": self.decision.day.isoformat() if self.decision.day else None,
            "docx": str(self.docx), "pdf": str(self.pdf) if self.pdf else None,
            "template": self.template, "items": self.items, "exclusions": self.exclusions,
            "notices": [n.text(lang) for n in self.notices],
        }


def draft(config: Config, review: Review, decision: DraftDecision, folder: Path | None = None,
          decisions: Sequence[Decision] = ()) -> DraftResult:
    """Write the draft of ``decision`` for the lists ``review`` would publish, into ``folder``
    (default: ``keputusan/`` in the office's working folder); without a number, the one after the
    year's last of ``decisions`` (the ``Keputusan`` tab) is proposed."""
    decision, number_from, numbering = numbered(decision, decisions)
    items = review.items if decision.dip else []
    exclusions = review.exclusions if decision.dik else []
    _refuse_empty(decision, len(items), len(exclusions))
    notices = [_left_out(review)] if decision.dip and review.blockers else []
    site = config.publish.base_url or config.office.website
    template = _template(config.publish.templates)
    logo, refused = _logo(config.office.logo)
    notices += [refused] if refused is not None else []
    data = fill(template, context(decision, config.office, items, exclusions, site=site), logo=logo)
    out = _folder(folder or config.state_dir / FOLDER)
    # several offices may share a working folder: a named register's drafts carry its name
    named = f"-{config.name}" if config.name != Config().name else ""
    stem = _free_stem(out, f"{_STEM[decision.kind]}-{decision.year}{named}")
    docx = out / f"{stem}.docx"
    _write(docx, data)
    pdf, failure = to_pdf(docx)
    if failure is not None:
        notices.append(failure)
    shown = str(template) if template is not None else f"{TEMPLATE} (templat bawaan)"
    return DraftResult(decision, docx, pdf, shown, len(items), len(exclusions), notices, number_from,
                       numbering)


def numbered(decision: DraftDecision, decisions: Sequence[Decision]) -> tuple[DraftDecision, str, Message]:
    """``decision`` with its number (given, proposed from the tab, or left blank), where it came
    from, and the line that says so."""
    if decision.number is not None:
        return decision, "option", Message(f"Nomor keputusan: {decision.number} (dari --nomor).",
                                           f"Decision number: {decision.number} (from --nomor).")
    proposed, year, tab = next_number(decisions, decision.year), decision.year, s.DECISION_TAB
    if proposed.number is not None:
        return replace(decision, number=proposed.number), "tab", Message(
            f"Nomor keputusan: {proposed.number}, nomor berikutnya setelah {proposed.after} (keputusan"
            f" terakhir tahun {year} di tab '{tab}'). Periksa sebelum ditandatangani; nomor lain:"
            " buat ulang dengan --nomor.",
            f"Decision number: {proposed.number}, the next after {proposed.after} (the last decision of"
            f" {year} in the '{tab}' tab). Check it before signing; for another number, draft again"
            " with --nomor.")
    why = ((f"nomor keputusan terakhir tahun {year} di tab '{tab}' ({proposed.after}) tidak memiliki nomor"
            f" urut yang dikenali, mis. 12/PPID/{year}",
            f"the last decision number of {year} in the '{tab}' tab ({proposed.after}) has no running"
            f" number that can be recognised, e.g. 12/PPID/{year}") if proposed.after else
           (f"tab '{tab}' belum memuat keputusan tahun {year}",
            f"the '{tab}' tab holds no decision of {year}"))
    return decision, "blank", Message(
        f"Nomor keputusan dibiarkan kosong (……) karena {why[0]}; isi sebelum ditandatangani, atau buat"
        " ulang dengan --nomor.",
        f"The decision number is left blank (……) because {why[1]}; fill it in before signing, or draft"
        " again with --nomor.")


def _refuse_empty(decision: DraftDecision, items: int, exclusions: int) -> None:
    """A decision establishing an empty list is not drafted."""
    if decision.dip and not items:
        raise DraftFailed(
            "Belum ada informasi yang siap terbit (ditetapkan PPID dan valid), jadi tidak ada daftar"
            " untuk dilampirkan. Jalankan 'dip status' untuk melihat posisi setiap informasi.",
            "No item is ready to publish (established by the PPID and valid), so there is no list to"
            " attach. Run 'dip status' to see where every item stands.")
    if decision.dik and not exclusions:
        raise DraftFailed(
            "Tab DIK belum memuat informasi yang dikecualikan dengan uji konsekuensi lengkap, jadi"
            " tidak ada daftar untuk dilampirkan. Lengkapi tab DIK, atau buat draf DIP saja dengan"
            " --jenis dip.",
            "The DIK tab holds no excluded item with a complete consequence test, so there is no list"
            " to attach. Complete the DIK tab, or draft the DIP only with --jenis dip.")


def _left_out(review: Review) -> Message:
    blocked = review.blockers
    ids = ", ".join(r.id for r in blocked[:10]) + (" …" if len(blocked) > 10 else "")
    return Message(
        f"{len(blocked)} baris yang ditetapkan PPID tetapi bermasalah tidak ikut dilampirkan ({ids});"
        " perbaiki barisnya lalu buat draf lagi agar ikut ditetapkan.",
        f"{len(blocked)} rows established by the PPID but with problems are not attached ({ids});"
        " fix them and draft again so that they are established too.")


def _template(folder: Path | None) -> Path | None:
    """The office's ``keputusan.docx`` when its template folder has one, else None (built-in)."""
    office = template_folder(folder)
    if office is not None and (office / TEMPLATE).is_file():
        return office / TEMPLATE
    return None


#: the image types a DOCX can show (an SVG or WebP logo is fine on the page, not in Word)
LOGO_TYPES = (".png", ".jpg", ".jpeg", ".gif", ".bmp")
LOGO_HEIGHT = Mm(22)


def _logo(path: str) -> tuple[Path | None, Message | None]:
    """The office's logo for the letterhead, or none and a notice why (the draft is made anyway)."""
    if not path:
        return None, None
    logo = Path(path)
    if logo.suffix.lower() in LOGO_TYPES:
        try:
            Image.from_file(str(logo))  # what python-docx will read: refused here, not mid-render
            return logo, None
        except (OSError, UnrecognizedImageError):
            pass
    return None, Message(
        f"Logo '{logo}' tidak dipasang di kop draf (DOCX hanya menerima berkas PNG, JPG, GIF atau BMP"
        " yang dapat dibaca); kop dibuat tanpa logo. Tambahkan logonya di Word/LibreOffice, atau"
        " simpan logo PNG dan tulis jalurnya di [office] logo.",
        f"Logo '{logo}' is not put into the draft's letterhead (a DOCX takes a readable PNG, JPG, GIF"
        " or BMP file only); the letterhead has no logo. Add it in Word/LibreOffice, or save the logo as"
        " PNG and give its path in [office] logo.")


def fill(template: Path | None, values: dict[str, Any], *, logo: Path | None = None) -> bytes:
    """The template (``None``: the built-in one, read as package data so a zip install works too)
    filled with ``values`` and ``logo``, as DOCX bytes. An office template's mistake becomes a
    :class:`ConfigError` naming the file; a mistake in the built-in one is a bug and propagates."""
    env = ImmutableSandboxedEnvironment(undefined=StrictUndefined, autoescape=True)
    source = template or io.BytesIO((resources.files("dip_sheets") / "templates" / TEMPLATE).read_bytes())
    try:
        document = DocxTemplate(source)
        if logo is not None:
            values = {**values, "logo": InlineImage(document, str(logo), height=LOGO_HEIGHT)}
        document.render(values, jinja_env=env, autoescape=True)
        buffer = io.BytesIO()
        document.save(buffer)
        return buffer.getvalue()
    except (TemplateError, PackageNotFoundError, zipfile.BadZipFile, KeyError, ValueError) as exc:
        if template is None:
            raise
        detail = getattr(exc, "message", None) or str(exc) or type(exc).__name__
        raise ConfigError(
            f"Templat keputusan '{template}' tidak dapat diisi ({detail}). Perbaiki templat itu (berkas"
            " DOCX dengan tanda {{ … }} dan {% … %}), atau hapus berkasnya dari folder [publish]"
            " templates agar templat bawaan yang dipakai.",
            f"The decision template '{template}' cannot be filled ({detail}). Fix that template (a DOCX"
            " file with {{ … }} and {% … %} tags), or remove it from the [publish] templates folder so"
            " that the built-in one is used.") from None


def _folder(folder: Path) -> Path:
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ConfigError(
            f"Folder draf keputusan '{folder}' tidak dapat dibuat ({exc.strerror}); pilih folder lain"
            " dengan --folder.",
            f"The draft decision folder '{folder}' cannot be created ({exc.strerror}); choose another"
            " with --folder.") from None
    return folder


def _free_stem(folder: Path, stem: str) -> str:
    """``stem``, or ``stem-2``, ``stem-3`` … when a draft (DOCX or PDF) of that name exists."""
    candidate, number = stem, 1
    while any((folder / f"{candidate}{ext}").exists() for ext in (".docx", ".pdf")):
        number += 1
        candidate = f"{stem}-{number}"
    return candidate


def _write(path: Path, data: bytes) -> None:
    """Written whole or not at all (a temporary name, then renamed)."""
    temporary = path.with_name(f".{path.name}.tmp")
    try:
        temporary.write_bytes(data)
        os.replace(temporary, path)
    except OSError as exc:
        temporary.unlink(missing_ok=True)
        raise ConfigError(
            f"Draf keputusan '{path}' tidak dapat ditulis ({exc.strerror}); pilih folder lain dengan"
            " --folder.",
            f"The draft decision '{path}' cannot be written ({exc.strerror}); choose another folder"
            " with --folder.") from None


_HOW = ("Buka berkas DOCX dengan Word atau LibreOffice lalu simpan sebagai PDF, atau pasang"
        " LibreOffice Writer (Debian/Ubuntu: sudo apt-get install libreoffice-writer-nogui) lalu"
        " jalankan perintah ini lagi.",
        "Open the DOCX in Word or LibreOffice and save it as PDF, or install LibreOffice Writer"
        " (Debian/Ubuntu: sudo apt-get install libreoffice-writer-nogui) and run this command again.")


def soffice() -> str | None:
    """LibreOffice's command, when it is installed."""
    return shutil.which("soffice") or shutil.which("libreoffice")


def to_pdf(docx: Path, timeout: float = CONVERT_TIMEOUT) -> tuple[Path | None, Message | None]:
    """``docx`` converted to a PDF beside it; or no PDF and a notice saying why and what to do."""
    command = soffice()
    if command is None:
        return None, Message(f"PDF tidak dibuat: LibreOffice (soffice) tidak ditemukan. {_HOW[0]}",
                             f"No PDF was made: LibreOffice (soffice) was not found. {_HOW[1]}")
    with folder("dip-keputusan-") as work:
        profile, out = work / "profil", work / "pdf"
        args = [command, f"-env:UserInstallation={profile.as_uri()}", "--headless", "--norestore",
                "--nolockcheck", "--convert-to", "pdf", "--outdir", str(out), str(docx)]
        with subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                              stdin=subprocess.DEVNULL, start_new_session=True) as process:
            try:
                _, err = process.communicate(timeout=timeout)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.communicate()
                return None, Message(
                    f"PDF tidak dibuat: LibreOffice tidak selesai dalam {timeout:.0f} detik. {_HOW[0]}",
                    f"No PDF was made: LibreOffice did not finish within {timeout:.0f} seconds. {_HOW[1]}")
        made = out / f"{docx.stem}.pdf"
        if not made.is_file():
            said = " ".join(err.decode("utf-8", "replace").split())[-300:]
            return None, Message(
                f"PDF tidak dibuat: LibreOffice gagal ({said or f'kode {process.returncode}'}). {_HOW[0]}",
                f"No PDF was made: LibreOffice failed ({said or f'code {process.returncode}'}). {_HOW[1]}")
        pdf = docx.with_suffix(".pdf")
        _write(pdf, made.read_bytes())
        return pdf, None


#: longest ``--nomor``: a decision number, not a paragraph
MAX_NUMBER = 100


def check_number(number: str) -> str:
    """``--nomor`` goes into the decision: one line of at most 100 characters."""
    number = " ".join(number.split())
    if not number or len(number) > MAX_NUMBER or not number.isprintable():
        raise ConfigError(
            f"Nomor keputusan (--nomor) ditulis sebagai satu baris, 1 sampai {MAX_NUMBER} karakter"
            " tanpa karakter kendali, mis. 1/PP.01-Kpt/2026.",
            f"The decision number (--nomor) is one line of 1 to {MAX_NUMBER} characters without"
            " control characters, e.g. 1/PP.01-Kpt/2026.")
    return number
