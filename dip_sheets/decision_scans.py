"""The signed scans of the PPID's decisions: registered once, carried by every version resting on them.

``dip keputusan arsipkan NOMOR BERKAS.pdf`` checks that the file is a PDF, keeps a copy in the
office's ``state_dir`` and writes its name and SHA-256 into the decision's row (one write). A
publish then adds the copy to the version's files as ``keputusan/<name>.pdf``, so it is archived,
verified and listed in the manifest like every file. A copy that is missing or no longer matches
its SHA-256 never stops a publish: the version then goes out without the scan, and this says so.
"""

from __future__ import annotations

import dataclasses
import hashlib
import os
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from . import schema as s
from .config import Config
from .decisions import Decision, read_rows, scan_name
from .errors import ConfigError, LayoutError, PublishFailed
from .messages import Message
from .parsers import squash
from .records import Version
from .register import CellWrite, Changes, Register, RowAnchor, row_key
from .switch import Progress

#: a PDF starts with this (readers accept it within the first 1,024 bytes)
PDF_MAGIC = b"%PDF-"


def scan_folder(config: Config) -> Path:
    """Where this office's scans are kept (``state_dir`` may be shared by several offices)."""
    return config.state_dir / f"keputusan-{config.name}"


@dataclass(frozen=True)
class ScanResult:
    """A scan registered: for which decision, the file as given, its SHA-256, and the copy kept."""

    number: str
    name: str
    sha256: str
    copy: Path

    def lines(self) -> list[Message]:
        return [Message(
            f"Pindaian Keputusan {self.number} diarsipkan ({self.name}, SHA-256 {self.sha256}); ikut"
            " terbit pada 'dip publish' berikutnya.",
            f"Scan of decision {self.number} archived ({self.name}, SHA-256 {self.sha256}); it is"
            " published with the next 'dip publish'.")]

    def summary(self) -> dict[str, Any]:
        return {"status": "archived", "number": self.number, "file": self.name, "sha256": self.sha256,
                "copy": str(self.copy)}


def read_pdf(path: Path) -> bytes:
    """The file's bytes, refused unless it is a PDF (by its first bytes, not its name)."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise ConfigError(f"Berkas '{path}' tidak dapat dibaca: {exc.strerror or exc}.",
                          f"File '{path}' cannot be read: {exc.strerror or exc}.") from None
    if PDF_MAGIC not in data[:1024]:
        raise ConfigError(
            f"Berkas '{path.name}' bukan PDF. Pindai keputusan yang sudah ditandatangani sebagai PDF"
            " lalu jalankan lagi. Tidak ada yang diubah.",
            f"File '{path.name}' is not a PDF. Scan the signed decision as a PDF and run again."
            " Nothing was changed.")
    return data


def archive_scan(config: Config, register: Register, number: str, path: Path) -> ScanResult:
    """Register the signed scan of decision ``number``: a copy kept, name and SHA-256 in its row."""
    data = read_pdf(path)
    grid = register.read().tabs.get(s.DECISION_TAB)
    if grid is None or not grid.rows:
        raise LayoutError(
            f"Register belum memiliki tab '{s.DECISION_TAB}'. Jalankan 'dip init' lalu isi keputusannya.",
            f"The register has no '{s.DECISION_TAB}' tab. Run 'dip init', then enter the decision.")
    valid = [r for r in read_rows(grid) if r.decision is not None]
    rows = [r for r in valid if r.decision is not None and squash(r.decision.number) == squash(number)]
    if len(rows) != 1:
        known = ", ".join(r.decision.number for r in valid if r.decision is not None) or "(belum ada)"
        raise ConfigError(
            f"Keputusan '{number}' tidak ada (atau belum sah) di tab '{s.DECISION_TAB}'. Keputusan yang"
            f" tercatat: {known}. Isi barisnya dulu, jalankan 'dip sync', lalu ulangi.",
            f"Decision '{number}' is not in the '{s.DECISION_TAB}' tab (or not valid yet). Recorded:"
            f" {known}. Enter its row, run 'dip sync', then try again.")
    decision = rows[0].decision
    assert decision is not None
    sha256 = hashlib.sha256(data).hexdigest()
    copy = scan_folder(config) / scan_name(decision.number)
    _write_atomically(copy, data)
    tab = s.TAB_BY_NAME[s.DECISION_TAB]
    anchor = RowAnchor(s.DECISION_TAB, rows[0].index,
                       row_key(tab, s.locate_columns(tab, grid.rows[0]), grid.rows[rows[0].index]))
    applied = register.apply(Changes([CellWrite(anchor, s.DECISION_SCAN, path.name),
                                      CellWrite(anchor, s.DECISION_SCAN_SHA256, sha256)]))
    if applied.skipped:
        raise PublishFailed(
            f"Baris Keputusan {decision.number} berubah selama pencatatan; jalankan lagi.",
            f"The row of decision {decision.number} changed while it was being recorded; run again.")
    return ScanResult(decision.number, path.name, sha256, copy)


def adopt_configured(config: Config, register: Register) -> list[Message]:
    """``dip init``: a decision still configured (``[publish] decision_number``, as before the
    ``Keputusan`` tab) is copied into the tab once, while the tab is empty, as establishing the DIP
    (the page was all it was shown on); from then on only the tab counts, and the keys should go."""
    number = " ".join(config.publish.decision_number.split())
    if not number:
        return []
    remove = Message(
        f"Hapus decision_number dan decision_date dari [publish] di dip.toml: keputusan kini dicatat di"
        f" tab '{s.DECISION_TAB}' register, dan kunci itu tidak dibaca lagi.",
        f"Remove decision_number and decision_date from [publish] in dip.toml: decisions are now kept"
        f" in the register's '{s.DECISION_TAB}' tab, and those keys are no longer read.")
    if read_rows(register.read().tabs.get(s.DECISION_TAB)):
        return [remove]
    register.apply(Changes(appends={s.DECISION_TAB: [{
        s.DECISION_NUMBER: number, s.DECISION_DATE: config.publish.decision_date.strip(),
        s.DECISION_ESTABLISHES: s.DECIDES_DIP, s.DECISION_REMARKS: "disalin dari dip.toml oleh dip init"}]}))
    return [Message(
        f"Keputusan {number} dari dip.toml disalin ke tab '{s.DECISION_TAB}' (Menetapkan: DIP);"
        " periksa barisnya.",
        f"Decision {number} from dip.toml copied into the '{s.DECISION_TAB}' tab (establishes: DIP);"
        " check its row."), remove]


def checked_scans(config: Config, decisions: Sequence[Decision], progress: Progress
                  ) -> tuple[list[Decision], dict[str, bytes]]:
    """The decisions with only the scans that can be published, and those scans by their path in a
    version. A registered scan whose copy is missing or differs is left out, with a warning."""
    kept: list[Decision] = []
    scans: dict[str, bytes] = {}
    for decision in decisions:
        if decision.scan_sha256:
            copy = scan_folder(config) / scan_name(decision.number)
            try:
                data = copy.read_bytes()
            except OSError:
                data = b""
            if hashlib.sha256(data).hexdigest() == decision.scan_sha256:
                scans[decision.scan_path] = data
            else:
                progress(Message(
                    f"Peringatan: pindaian Keputusan {decision.number} tidak ada atau berbeda di {copy};"
                    " terbit tanpa pindaian. Jalankan 'dip keputusan arsipkan' lagi.",
                    f"Warning: the scan of decision {decision.number} is missing or differs at {copy};"
                    " published without it. Run 'dip keputusan arsipkan' again."))
                decision = dataclasses.replace(decision, scan="", scan_sha256="")
        kept.append(decision)
    return kept, scans


def scans_of(version: Version, scans: dict[str, bytes]) -> dict[str, bytes]:
    """The signed scans of the decisions ``version`` rests on, as files of the version."""
    wanted = {d.scan_path for d in (version.decision, version.dik_decision) if d is not None}
    return {path: data for path, data in scans.items() if path in wanted}


def _write_atomically(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(handle, "wb") as stream:
            stream.write(data)
        os.replace(temp, path)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise
