"""What a sync tells a person, as bilingual messages (``dip sync``, ``dip publish``, ``dip demo``).

Kept apart from the CLI so every command that syncs says it the same way, and so an application
object can hand the same lines to another front end.
"""

from __future__ import annotations

from . import schema as s
from .messages import Message
from .sync import SyncResult


def sync_lines(result: SyncResult) -> list[Message]:
    data = result.summary()
    lines = [Message(
        f"Dibaca {data['rows_read']} baris DIP dan {data['dik_rows_read']} baris DIK;"
        f" {data['publishable']} informasi siap terbit.",
        f"Read {data['rows_read']} DIP rows and {data['dik_rows_read']} DIK rows;"
        f" {data['publishable']} items ready to publish.",
    )]
    if data["ids_assigned"]:
        ids = ", ".join(data["ids_assigned"])
        lines.append(Message(f"ID baru: {ids}", f"New IDs: {ids}"))
    if data["newly_established"]:
        ids = ", ".join(data["newly_established"])
        lines.append(Message(f"Baru ditetapkan dan dikunci: {ids}", f"Newly established and locked: {ids}"))
    for key, text in (("corrections_approved", Message("Koreksi disetujui PPID dan ditetapkan",
                                                       "Corrections approved by the PPID and established")),
                      ("corrections_waiting", Message(
                          "Koreksi menunggu persetujuan PPID (versi yang ditetapkan tetap diterbitkan)",
                          "Corrections waiting for the PPID (the established version stays published)")),
                      ("corrections_rejected", Message(
                          "Koreksi ditolak PPID (unit mengembalikan nilai yang ditetapkan)",
                          "Corrections rejected by the PPID (the unit types the established values back)"))):
        if data[key]:
            ids = ", ".join(data[key])
            lines.append(Message(f"{text.id}: {ids}", f"{text.en}: {ids}"))
    if data["held"]:
        ids = ", ".join(data["held"])
        lines.append(Message(
            f"Ditahan (mirip item yang pernah ditetapkan; PPID memilih 'Perlu Revisi' lalu"
            f" 'Ditetapkan' untuk menetapkannya): {ids}",
            f"Held (resembles an item established before; the PPID chooses 'Perlu Revisi' then"
            f" 'Ditetapkan' to establish it): {ids}"))
    if data["removed"]:
        ids = ", ".join(data["removed"])
        lines.append(Message(
            f"PERHATIAN: item yang sudah ditetapkan hilang dari register (dicatat di tab Riwayat): {ids}",
            f"WARNING: established items are gone from the register (recorded in the Riwayat tab): {ids}"))
    problems = [(r.id, r.anchor.row + 1, r.findings) for r in result.review.problem_rows()]
    if problems:
        lines.append(Message(f"Masalah pada {len(problems)} baris (lihat kolom '{s.NOTE}'):",
                             f"Problems in {len(problems)} rows (see the '{s.NOTE}' column):"))
        for item_id, row, findings in problems:
            lines += [Message(f"  {item_id} (baris {row}): {finding.id}",
                              f"  {item_id} (row {row}): {finding.en}") for finding in findings]
    decisions = result.review.decision_problems
    if decisions:
        lines.append(Message(
            f"Masalah pada {len(decisions)} baris tab '{s.DECISION_TAB}' (baris itu tidak dipakai sebagai"
            f" dasar penerbitan; lihat kolom '{s.NOTE}' di tab itu):",
            f"Problems in {len(decisions)} rows of the '{s.DECISION_TAB}' tab (those rows are not used"
            f" as the basis of a publish; see the '{s.NOTE}' column there):"))
        for decision in decisions:
            lines += [Message(f"  {s.DECISION_TAB} (baris {decision.index + 1}): {finding.id}",
                              f"  {s.DECISION_TAB} (row {decision.index + 1}): {finding.en}")
                      for finding in decision.findings]
    warned = [(r.id, r.anchor.row + 1, r.warnings) for r in result.review.warned_rows()]
    if warned:
        lines.append(Message(
            f"Peringatan pada {len(warned)} baris (tidak menghambat penerbitan; lihat kolom '{s.NOTE}'):",
            f"Warnings in {len(warned)} rows (they do not block publishing; see the '{s.NOTE}' column):"))
        for item_id, row, warnings in warned:
            lines += [Message(f"  {item_id} (baris {row}): {warning.id}",
                              f"  {item_id} (row {row}): {warning.en}") for warning in warnings]
    if result.dry_run:
        lines.append(Message(
            f"Uji coba: {data['cells_to_write']} sel dan {data['rows_to_append']} baris baru"
            " (tab Riwayat/Sistem) akan ditulis; tidak ada yang ditulis.",
            f"Dry run: {data['cells_to_write']} cells and {data['rows_to_append']} new rows"
            " (Riwayat/Sistem tabs) would be written; nothing was written.",
        ))
    elif result.applied is None:
        lines.append(Message("Tidak ada yang berubah; register tidak ditulis.",
                             "Nothing changed; nothing written."))
    else:
        lines.append(Message(
            f"Ditulis {data['cells_written']} sel dan {data['rows_appended']} baris baru di tab"
            " Riwayat/Sistem.",
            f"Wrote {data['cells_written']} cells and {data['rows_appended']} new rows in the"
            " Riwayat/Sistem tabs.",
        ))
        lines += result.applied.notices
        if data["writes_skipped"]:
            lines.append(Message(
                f"{data['writes_skipped']} tulisan dilewati karena baris dipindah selama"
                " sinkronisasi; akan diulang pada sinkronisasi berikutnya.",
                f"{data['writes_skipped']} writes skipped because rows moved during the sync;"
                " the next sync redoes them.",
            ))
    return lines
