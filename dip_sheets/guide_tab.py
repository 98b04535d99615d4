"""The content of the register's ``Petunjuk`` tab, generated so it never drifts from the code.

What to type in each column comes from the schema (owner, choices, help texts); what each kind of
``Catatan Sinkron`` message means comes from the findings the rules can raise, read from the
package's own source the way ``scripts/error_catalog.py`` reads the errors. The backends only lay
these rows out (the workbook patches them into a tab; nothing here does I/O beyond reading the
package's source).
"""

from __future__ import annotations

import ast
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from . import schema as s
from .stages import Stage

GUIDE_TAB = "Petunjuk"
PACKAGE = Path(__file__).resolve().parent
#: the modules whose findings end up in ``Catatan Sinkron`` (the row rules and the SOP's memory).
FINDING_MODULES = ("validate.py", "parsers.py", "dates.py", "workflow.py", "ledger.py")

ROLE_NAMES = {
    s.Role.UNIT: "Unit (Penyedia Informasi / Tim Penghubung Sub Bagian)",
    s.Role.DESK: "Desk Pelayanan Informasi",
    s.Role.PPID: "PPID",
    s.Role.SYSTEM: "Sinkronisasi (dip-sheets)",
}
ROLE_COLOURS = {s.Role.SYSTEM: "D9D9D9", s.Role.UNIT: "DDEBF7", s.Role.DESK: "FFF2CC", s.Role.PPID: "E2EFDA"}
#: the shade of a row already established (its staff cells are locked).
LOCKED_COLOUR = "EDEDED"
#: the shade of a row with a finding in ``Catatan Sinkron``.
FINDING_COLOUR = "FCE4D6"
#: the shade of a section heading in the Petunjuk and Ringkasan tabs
HEADING_COLOUR = "BDD7EE"
#: the sans-serif font of headers and of the text tabs (on every office computer and in Google)
FONT = "Arial"
#: column widths in characters: the Petunjuk tab, and the Ringkasan tab (labels and units first,
#: then the counts of each SOP stage)
GUIDE_WIDTHS = (34, 46, 62, 62)
DASHBOARD_WIDTHS = (44, *(16,) * 12)

STEPS = (
    (s.STEP1, s.Role.UNIT, "Unit mengisi baris (kolom biru) lalu memilih 'Ya' bila informasi"
     " sudah lengkap dan diserahkan."),
    (s.STEP2, s.Role.DESK, "Desk memeriksa dan mengklasifikasi: 'Sudah' bila benar, 'Perlu Perbaikan'"
     " bila unit harus memperbaiki (tulis alasannya di Keterangan)."),
    (s.STEP3, s.Role.PPID, f"PPID menetapkan: '{s.ESTABLISHED}', '{s.REJECTED}', atau '{s.NEEDS_REVISION}'"
     f" (mencabut penetapan); untuk baris yang diubah setelah ditetapkan: '{s.APPROVE_CORRECTION}' atau"
     f" '{s.REJECT_CORRECTION}'."),
    (s.STEP4, s.Role.SYSTEM, "Diisi sinkronisasi saat item yang ditetapkan siap diunggah."),
    (s.STEP5, s.Role.SYSTEM, "Diisi saat daftar terbit di situs (versi dan tanggal)."),
)


#: how a correction of an established row goes, for the tab's last section
CORRECTION_STEPS = (
    f"Baris yang sudah '{s.ESTABLISHED}' terkunci (abu-abu): di Google Sheet hanya PPID yang dapat"
    " mengubahnya, di workbook proteksinya dapat dilepas. Koreksi diketik langsung di baris itu.",
    f"Sinkronisasi berikut mencatat koreksi di tab '{s.HISTORY_TAB}' (nilai lama tetap tersimpan),"
    f" menyebut kolom yang berubah di '{s.NOTE}', dan '{s.STAGE}' menjadi"
    f" '{Stage.CORRECTION_PENDING.value}'. Selama itu versi yang ditetapkan tetap diterbitkan.",
    f"Menyetujui: PPID memilih '{s.APPROVE_CORRECTION}' di kolom '{s.STEP3}' (atau '{s.ESTABLISHED}' bila"
    f" kolom itu masih berisi '{s.APPROVE_CORRECTION}' dari persetujuan sebelumnya; '{s.NOTE}' selalu"
    " menyebut nilai yang harus dipilih). Satu sinkronisasi menetapkan isi yang baru; penerbitan"
    " berikutnya memuatnya, dan riwayat di situs menyebutnya 'Diubah'.",
    f"Menolak: PPID memilih '{s.REJECT_CORRECTION}'. Versi yang ditetapkan tetap diterbitkan; '{s.NOTE}'"
    f" menyebut nilai yang ditetapkan untuk diketik kembali oleh unit (nilai lengkapnya di tab"
    f" '{s.HISTORY_TAB}'). Setelah nilainya kembali, baris itu ditetapkan seperti semula.",
    f"'{s.NEEDS_REVISION}' mencabut penetapan: item keluar dari daftar yang diterbitkan sampai PPID"
    f" memilih '{s.ESTABLISHED}' lagi.",
)


#: the Keputusan tab: who fills it and the year rule (see ``decisions.py``)
DECISION_RULES = (
    f"Tab '{s.DECISION_TAB}' diisi oleh PPID saja, satu baris per Keputusan PPID (nomor, tanggal,"
    f" dan yang ditetapkan: {', '.join(s.DECISION_CHOICES)}). Di Google Sheet tab ini dilindungi untuk"
    " PPID; di workbook tidak ada akun, jadi yang lain cukup tidak mengubahnya. Keputusan lama jangan"
    " dihapus: setiap versi yang pernah terbit bersandar pada salah satunya.",
    "Setiap versi daftar yang diterbitkan mencatat keputusan yang menjadi dasarnya: keputusan terakhir"
    " yang menetapkan DIP dengan tanggal paling lambat hari terbit (halaman DIK: yang menetapkan DIK).",
    "Aturan tahunan: daftar yang diterbitkan dalam satu tahun kalender memerlukan Keputusan PPID tahun"
    " itu yang menetapkan DIP. Tanpa keputusan itu 'dip publish' menolak, kecuali dengan '--force', dan"
    " versi itu mencatat bahwa keputusan tahun berjalan belum ada. Karena itu PPID menetapkan DIP"
    " sedikitnya sekali setahun ('dip keputusan draf' menyiapkan drafnya).",
    f"Pindaian keputusan yang sudah ditandatangani dicatat dengan 'dip keputusan arsipkan': kolom"
    f" '{s.DECISION_SCAN}' dan '{s.DECISION_SCAN_SHA256}' diisi olehnya dan pindaian itu ikut terbit.",
)

#: what the Ringkasan tab shows
DASHBOARD_TEXT = (
    f"Tab '{s.DASHBOARD_TAB}' ditulis ulang oleh setiap sinkronisasi yang mengubah isinya; isinya sama"
    " dengan laporan 'dip status'. Jangan diubah: perubahan akan ditimpa.",
    "Isinya: jumlah item per unit dan per langkah SOP beserta yang menunggu paling lama, baris yang"
    " menghambat penerbitan, yang menunggu Desk dan PPID, sinkronisasi dan penerbitan terakhir (waktu,"
    " versi, alamat), dan kesiapan e-Monev bila pemeriksaan itu pernah dijalankan.",
)


@dataclass(frozen=True)
class Line:
    """One row of the tab: ``kind`` is ``title``, ``heading``, ``head`` (a table's header) or ``row``;
    ``colour`` (RGB) shades the first cell (the legend)."""

    kind: str
    cells: tuple[str, ...]
    colour: str = ""


def column_help(column: s.Column) -> str:
    """What to type in a column: its help text, else its choices, else who fills it."""
    if column.help:
        return column.help
    if column.choices:
        return "Pilih dari daftar: " + ", ".join(column.choices)
    if column.header == s.UNIT:
        return "Pilih unit dari daftar (diatur di konfigurasi)."
    if column.owner is s.Role.SYSTEM:
        return "Diisi oleh sinkronisasi; jangan diubah."
    return column.field.meaning if column.field else "Teks bebas."


def _text(node: ast.expr) -> str:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if isinstance(node, ast.JoinedStr):
        return "".join(_text(v) if isinstance(v, ast.Constant) else "…" for v in node.values)
    if isinstance(node, ast.FormattedValue):
        return _column(node.value) or "…"
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
        return _text(node.left) + _text(node.right)
    return "…"


def _column(node: ast.expr) -> str:
    """A column named as ``s.TITLE`` (resolved through the schema), else empty."""
    if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id == "s":
        value = getattr(s, node.attr, "")
        return value if isinstance(value, str) else ""
    return ""


@cache
def finding_messages() -> tuple[tuple[str, str], ...]:
    """``(column or "", Indonesian message)`` for every finding the rules can write, ``…`` for the
    parts filled in when it appears."""
    found: list[tuple[str, str]] = []
    for name in FINDING_MODULES:
        for node in ast.walk(ast.parse((PACKAGE / name).read_text(encoding="utf-8"))):
            if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Name)):
                continue
            if node.func.id == "Finding" and len(node.args) >= 2:
                column, text = _column(node.args[0]), _text(node.args[1])
            elif node.func.id in ("bad", "_bad") and len(node.args) >= 2:
                column = _column(node.args[0])
                text = f"{column or '…'}: {_text(node.args[1])}"
            else:
                continue
            found.append((column, " ".join(text.split())))
    return tuple(sorted(set(found), key=lambda m: (m[0] == "", m[0], m[1])))


def _fix(column: str) -> str:
    """How to fix a finding about ``column``: who changes which cell."""
    owners = [t.column(column).owner for t in s.TABS if column in t.headers]
    if not owners:
        return "Yang mengisi kolom yang disebut pesan memperbaikinya; pesan menyebut langkah berikutnya."
    return f"{ROLE_NAMES[owners[0]]} memperbaiki kolom '{column}' di baris itu; sinkronisasi berikut" \
        " menghapus catatan bila sudah benar."


def lines() -> list[Line]:
    """The whole tab, top to bottom."""
    out = [Line("title", ("Petunjuk Register Daftar Informasi Publik",)),
           Line("row", ("Tab ini ditulis ulang oleh 'dip init'; perubahan di sini tidak disimpan.",)),
           Line("heading", ("Lima langkah SOP",)),
           Line("head", ("Kolom", "Siapa", "Apa yang dilakukan"))]
    out += [Line("row", (header, ROLE_NAMES[role], what), ROLE_COLOURS[role])
            for header, role, what in STEPS]
    out += [Line("heading", ("Warna judul kolom: siapa mengisi",)),
            *(Line("row", (ROLE_NAMES[r], "Judul kolom berwarna ini diisi oleh peran tersebut."),
                   ROLE_COLOURS[r]) for r in s.Role),
            Line("row", ("Baris abu-abu", "Sudah ditetapkan PPID: sel unit terkunci."), LOCKED_COLOUR),
            Line("row", ("Baris jingga", f"Ada temuan di '{s.NOTE}': perbaiki lalu tunggu sinkronisasi."),
                 FINDING_COLOUR)]
    for tab in (s.TAB_BY_NAME[s.DIP_TAB], s.TAB_BY_NAME[s.DIK_TAB], s.TAB_BY_NAME[s.DECISION_TAB]):
        out += [Line("heading", (f"Kolom tab '{tab.name}'",)),
                Line("head", ("Kolom", "Diisi oleh", "Wajib", "Apa yang diketik"))]
        out += [Line("row", (c.header, ROLE_NAMES[c.owner], "ya" if c.required else "",
                             column_help(c)), ROLE_COLOURS[c.owner]) for c in tab.columns]
    out += [Line("heading", (f"Tab '{s.DECISION_TAB}' dan aturan tahunan",)),
            *(Line("row", (str(n), text)) for n, text in enumerate(DECISION_RULES, start=1)),
            Line("heading", (f"Tab '{s.DASHBOARD_TAB}'",)),
            *(Line("row", (str(n), text)) for n, text in enumerate(DASHBOARD_TEXT, start=1))]
    out += [Line("heading", (f"Arti pesan di '{s.NOTE}' dan cara memperbaikinya",)),
            Line("head", ("Kolom", "Pesan (… diisi saat muncul)", "Cara memperbaiki"))]
    out += [Line("row", (column or "(kolom yang disebut)", text, _fix(column)))
            for column, text in finding_messages()]
    out += [Line("heading", ("Koreksi dan persetujuannya",)),
            *(Line("row", (str(n), text)) for n, text in enumerate(CORRECTION_STEPS, start=1))]
    return out
