"""Where an item sits in the SOP: the stages ``Posisi SOP`` names, in the order reports list them.

The rules that put a row in one (:func:`dip_sheets.workflow.stage`) live with the rest of the SOP's
rules in :mod:`dip_sheets.workflow`; the stages themselves are read by every report (status,
``Ringkasan``, notices, the guide tab), which need none of those rules.
"""

from __future__ import annotations

from enum import StrEnum


class Stage(StrEnum):
    """Where an item sits in the SOP, in the order the status report lists them."""

    DRAFT = "1 Draf unit"
    AWAITING_DESK = "2 Menunggu klasifikasi Desk"
    NEEDS_FIX = "2 Perlu perbaikan"
    AWAITING_PPID = "3 Menunggu penetapan PPID"
    NEEDS_REVISION = "3 Perlu revisi"
    REJECTED = "3 Ditolak"
    BLOCKED = "3 Ditetapkan tetapi bermasalah"
    CORRECTION_PENDING = "3 Koreksi menunggu PPID"
    CORRECTION_REJECTED = "3 Koreksi ditolak, menunggu unit"
    ESTABLISHED = "4 Ditetapkan, belum diunggah"
    PUBLISHED = "5 Diunggah"

    @property
    def label_en(self) -> str:
        return _STAGE_EN[self]


_STAGE_EN = {
    Stage.DRAFT: "1 Unit draft",
    Stage.AWAITING_DESK: "2 Awaiting Desk classification",
    Stage.NEEDS_FIX: "2 Needs fixing",
    Stage.AWAITING_PPID: "3 Awaiting PPID decision",
    Stage.NEEDS_REVISION: "3 Needs revision",
    Stage.REJECTED: "3 Rejected",
    Stage.BLOCKED: "3 Established but blocked",
    Stage.CORRECTION_PENDING: "3 Correction awaiting the PPID",
    Stage.CORRECTION_REJECTED: "3 Correction rejected, awaiting the unit",
    Stage.ESTABLISHED: "4 Established, not yet uploaded",
    Stage.PUBLISHED: "5 Uploaded",
}
