"""The words of a draft Keputusan PPID establishing the DIP, the DIK or both. Pure.

A Keputusan follows the usual structure of an Indonesian decision: heading (``KEPUTUSAN … NOMOR …
TENTANG …``), ``DENGAN RAHMAT TUHAN YANG MAHA ESA``, the official's title, *Menimbang* (why),
*Mengingat* (the legal bases, from ``[office] legal_bases``), ``MEMUTUSKAN``, *Menetapkan* and the
numbered dictums (``KESATU``, ``KEDUA`` …), place and date, the signature, then the lists as
attachments (``LAMPIRAN``), each repeating the decision's number and date. Everything about the
office comes from the configuration; a number or date not known yet is a dotted blank to fill in
by hand before signing.

This module decides the text and the rows; :mod:`dip_sheets.decision_draft` puts them into the
DOCX template and converts it to PDF.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

from .config import PublicBody
from .dates import format_date
from .ids import id_sort
from .records import sort_items
from .validate import Exclusion, Item

Kind = Literal["dip", "dik", "keduanya"]
KINDS: tuple[Kind, ...] = ("dip", "dik", "keduanya")
#: a blank to fill in by hand (a number or a date not known when the draft is made)
BLANK = "……………………"
DICTUMS = ("KESATU", "KEDUA", "KETIGA", "KEEMPAT", "KELIMA", "KEENAM")
_LAW = "Undang-Undang Nomor 14 Tahun 2008 tentang Keterbukaan Informasi Publik"
#: characters XML 1.0 cannot hold (C0 controls but tab and line ends), dropped from cell text
_NOT_XML = dict.fromkeys(c for c in range(32) if c not in (9, 10, 13))


@dataclass(frozen=True)
class DraftDecision:
    """What is drafted: which lists, under which number and date (``None``: left blank)."""

    kind: Kind
    year: int
    number: str | None = None
    day: dt.date | None = None

    @property
    def dip(self) -> bool:
        return self.kind in ("dip", "keduanya")

    @property
    def dik(self) -> bool:
        return self.kind in ("dik", "keduanya")


def lists_name(decision: DraftDecision) -> str:
    """``Daftar Informasi Publik`` / ``Daftar Informasi yang Dikecualikan`` / both."""
    names = [n for n, wanted in (("Daftar Informasi Publik", decision.dip),
                                 ("Daftar Informasi yang Dikecualikan", decision.dik)) if wanted]
    return " dan ".join(names)


def _clean(text: str) -> str:
    return text.translate(_NOT_XML)


def item_rows(items: Sequence[Item]) -> list[dict[str, str]]:
    """The DIP attachment's rows: the published items in the published list's order."""
    return [{
        "no": str(number), "category": item.category, "title": item.title, "summary": item.summary,
        "unit": item.unit, "responsible": item.responsible,
        "made": ", ".join(part for part in (item.created, item.place) if part),
        "form": item.form, "retention": item.retention,
    } for number, item in enumerate(sort_items(items), start=1)]


def exclusion_rows(exclusions: Sequence[Exclusion]) -> list[dict[str, str]]:
    """The DIK attachment's rows, in the DIK page's order (by ID)."""
    ordered = sorted(exclusions, key=lambda x: id_sort(x.id))
    return [{
        "no": str(number), "information": x.information, "unit": x.unit, "legal_basis": x.legal_basis,
        "if_opened": x.if_opened, "if_closed": x.if_closed, "period": x.period, "tested_on": x.tested_on,
    } for number, x in enumerate(ordered, start=1)]


def _reasons(decision: DraftDecision, office: PublicBody, about: str) -> list[str]:
    reasons = []
    if decision.dip:
        reasons.append(
            f"bahwa berdasarkan Pasal 11 ayat (1) huruf a {_LAW}, Badan Publik wajib menyediakan"
            " Informasi Publik setiap saat yang meliputi daftar seluruh Informasi Publik yang berada di"
            " bawah penguasaannya, tidak termasuk informasi yang dikecualikan;")
    if decision.dik:
        reasons.append(
            f"bahwa berdasarkan Pasal 19 {_LAW}, Pejabat Pengelola Informasi dan Dokumentasi wajib"
            " melakukan pengujian tentang konsekuensi sebagaimana dimaksud dalam Pasal 17 dengan"
            " saksama dan penuh ketelitian sebelum menyatakan Informasi Publik tertentu dikecualikan;")
    letters = " dan huruf ".join("ab"[: len(reasons)])
    reasons.append(f"bahwa berdasarkan pertimbangan sebagaimana dimaksud dalam huruf {letters}, perlu"
                   f" menetapkan Keputusan {office.ppid_title} tentang {about};")
    return reasons


def _dictums(decision: DraftDecision, office: PublicBody, site: str, labels: dict[str, str]) -> list[str]:
    year, name = decision.year, office.name
    dictums = []
    if decision.dip:
        dictums.append(f"Menetapkan Daftar Informasi Publik {name} Tahun {year} sebagaimana tercantum"
                       f" dalam {labels['dip']} yang merupakan bagian tidak terpisahkan dari"
                       " Keputusan ini.")
    if decision.dik:
        dictums.append(f"Menetapkan Daftar Informasi yang Dikecualikan {name} Tahun {year} berdasarkan"
                       f" hasil uji konsekuensi sebagaimana tercantum dalam {labels['dik']} yang"
                       " merupakan bagian tidak terpisahkan dari Keputusan ini.")
        dictums.append(
            "Informasi yang dikecualikan sebagaimana dimaksud dalam Diktum"
            f" {DICTUMS[len(dictums) - 1]} tertutup bagi publik selama jangka waktu pengecualiannya"
            " dan, setelah jangka waktu itu berakhir, menjadi Informasi Publik yang dimasukkan ke dalam"
            " Daftar Informasi Publik.")
    established = "KESATU dan Diktum KEDUA" if decision.kind == "keduanya" else "KESATU"
    dictums.append(f"{lists_name(decision)} sebagaimana dimaksud dalam Diktum {established} diumumkan"
                   f" melalui {site} dan dimutakhirkan setiap terjadi perubahan, paling sedikit satu"
                   " kali dalam satu tahun.")
    dictums.append("Keputusan ini mulai berlaku pada tanggal ditetapkan.")
    return dictums


def context(decision: DraftDecision, office: PublicBody, items: Sequence[Item],
            exclusions: Sequence[Exclusion], *, site: str) -> dict[str, Any]:
    """Everything the template shows, as plain text (``site``: where the lists are published)."""
    about = f"Penetapan {lists_name(decision)} {office.name} Tahun {decision.year}"
    both = decision.kind == "keduanya"
    labels = {"dip": "Lampiran I" if both else "Lampiran", "dik": "Lampiran II" if both else "Lampiran"}
    where = f"laman {site}" if site else f"laman PPID {office.short_name or office.name}"
    letterhead = [office.address, f"Laman: {office.website}" if office.website else "",
                  f"Pos-el: {office.email}" if office.email else ""]
    upper_name = office.name.upper()
    values: dict[str, Any] = {
        "office": {"name": office.name, "short_name": office.short_name, "city": office.city or BLANK},
        "office_upper": upper_name,
        "logo": "",  # the office's logo as an image, put in when the template is filled
        "letterhead_line": " · ".join(part for part in letterhead if part),
        "ppid_title": office.ppid_title,
        "ppid_title_upper": office.ppid_title.upper(),
        "ppid_name": office.ppid_name or BLANK,
        "ppid_nip": office.ppid_nip,
        "number": decision.number or BLANK,
        "date_text": format_date(decision.day) if decision.day else f"{BLANK} {decision.year}",
        "year": str(decision.year),
        "about": about,
        "about_upper": about.upper(),
        "menimbang": [{"mark": f"{letter}.", "text": text}
                      for letter, text in zip("abc", _reasons(decision, office, about), strict=False)],
        "mengingat": [{"mark": f"{number}.", "text": basis.rstrip(";. ") + ";"}
                      for number, basis in enumerate(office.legal_bases, start=1)],
        "diktum": [{"label": label, "text": text}
                   for label, text in zip(DICTUMS, _dictums(decision, office, where, labels), strict=False)],
        "dip": {"label": labels["dip"].upper(),
                "title": f"DAFTAR INFORMASI PUBLIK {upper_name} TAHUN {decision.year}"}
        if decision.dip else None,
        "dik": {"label": labels["dik"].upper(),
                "title": f"DAFTAR INFORMASI YANG DIKECUALIKAN {upper_name} TAHUN {decision.year}"}
        if decision.dik else None,
        "items": item_rows(items) if decision.dip else [],
        "exclusions": exclusion_rows(exclusions) if decision.dik else [],
    }
    cleaned: dict[str, Any] = _cleaned(values)
    return cleaned


def _cleaned(value: Any) -> Any:
    """Every text made safe for XML (a cell may carry a control character the page never shows)."""
    if isinstance(value, str):
        return _clean(value)
    if isinstance(value, dict):
        return {k: _cleaned(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_cleaned(v) for v in value]
    return value
