"""A whole year of a PPID (issue 13's "Must show"), on both register backends: the workbook and the
Sheets API emulator (gspread's real HTTP path), each driven through the application layer
(:class:`~dip_sheets.office.Office`, what the ``dip`` command calls) as a person would, with the
office's clock (``Config.now``) moved through 2025 into 2026.

2025: the PPID's decision, items established and published; a correction that keeps the old content
public until the PPID approves it in one step ("Diubah" in riwayat.html); a rejected correction; an
established row deleted (the ``Riwayat`` tab and riwayat.html say so); the draft decision whose
lampiran is exactly the published list; the signed scan archived with its SHA-256 and linked.
2026: publishing without a decision of the year refused (exit code 2); the year's decision entered
and the list published; ``tahun-2025.html`` holds 2025's last list; a rollback recorded in steps 4
and 5 and in riwayat.html; a redaction after which the item's words are in no file of the site
(``dip.xlsx`` unzipped), recorded in the ``Riwayat`` tab without a later sync misreading it.

The PDF of the draft (LibreOffice, several seconds) is made on the workbook only, in a test of its
own marked slow; the story runs with a PATH without LibreOffice for the draft.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from pathlib import Path
from zoneinfo import ZoneInfo

import docx
import pytest

from dip_sheets import schema as s
from dip_sheets.cli import main
from dip_sheets.config import Config
from dip_sheets.connect import open_register
from dip_sheets.decisions import scan_name
from dip_sheets.errors import ConfigError, PublishFailed
from dip_sheets.ledger import EVENT_ESTABLISHED, EVENT_REDACTED, history_row, read_records, step3_note
from dip_sheets.office import Office
from dip_sheets.register import Cell, cell_text
from dip_sheets.register.workbook import WorkbookRegister
from dip_sheets.sync import review
from tests.conftest import UNITS, add_rows, established
from tests.memory_register import decisions_of_the_year
from tests.test_corrections import delete_row
from tests.test_decision_draft import HAS_SOFFICE, attachments, column_edges, pdf_rows
from tests.test_end_to_end import BACKENDS, _workbook_office, office_on
from tests.test_end_to_end import Office as Backend
from tests.test_redaction import naming

JAKARTA = ZoneInfo("Asia/Jakarta")
#: the word only the item withdrawn in 2026 has (title and summary)
WORD = "Zirkonium"
SECRET = f"Denah Gudang Logistik {WORD}"
REASON = "Dikecualikan menurut uji konsekuensi Nomor 3/PPID/2026"
SCAN = b"%PDF-1.4\n% Keputusan PPID 2/PPID/2025 bertanda tangan\n1 0 obj << >> endobj\n%%EOF\n"
TITLES_2025 = ["Profil Badan Publik", "Laporan Keuangan 2024", "Rencana Kerja 2025", SECRET,
               "Daftar Sementara"]


def decision(number: str, date: str) -> dict[str, Cell]:
    return {s.DECISION_NUMBER: number, s.DECISION_DATE: date, s.DECISION_ESTABLISHES: s.DECIDES_BOTH}


def events(backend: Backend, item_id: str) -> list[tuple[str, str]]:
    """``(Peristiwa, Kolom Berubah)`` of an item's rows in the ``Riwayat`` tab, oldest first."""
    grid = open_register(backend.config).read().tabs[s.HISTORY_TAB].rows
    header = [cell_text(h) for h in grid[0]]

    def at(row: list[Cell], name: str) -> str:
        index = header.index(name)
        return cell_text(row[index]) if index < len(row) else ""

    return [(at(r, s.HISTORY_EVENT), at(r, s.HISTORY_CHANGED)) for r in grid[1:] if at(r, s.ID) == item_id]


class Year:
    """One office through the year: its register as a person edits it, its ``Office``, its clock."""

    def __init__(self, backend: Backend, monkeypatch: pytest.MonkeyPatch) -> None:
        self.backend, self.monkeypatch = backend, monkeypatch
        self.office = Office(backend.config)
        self.site = backend.config.publish.folder
        self.clock = dt.datetime(2025, 1, 10, 9, tzinfo=JAKARTA)
        monkeypatch.setattr(Config, "now", lambda _config: self.clock)

    def at(self, month: int, day: int, year: int = 2025, hour: int = 9) -> None:
        self.clock = dt.datetime(year, month, day, hour, tzinfo=JAKARTA)

    def live(self) -> dict[str, dict[str, str]]:
        """The published items by title, as dip.json has them."""
        return {i["judul"]: i for i in json.loads((self.site / "dip.json").read_bytes())["item"]}

    def page(self, name: str) -> str:
        return (self.site / name).read_text(encoding="utf-8")

    def manifest(self) -> dict[str, object]:
        document: dict[str, object] = json.loads((self.site / "manifest.json").read_bytes())
        return document

    def ids(self) -> dict[str, str]:
        return {title: item["id"] for title, item in self.live().items()}

    def steps(self) -> dict[str, tuple[str, str]]:
        """Title -> (step 4, step 5) as the register holds them."""
        rows = review(open_register(self.backend.config).read(), UNITS, self.clock).dip
        return {cell_text(r.values[s.TITLE]): (cell_text(r.values.get(s.STEP4)),
                                               cell_text(r.values.get(s.STEP5))) for r in rows}

    # ---- the chapters ------------------------------------------------------------------------

    def establish_2025(self) -> None:
        self.office.init()
        self.backend.type_rows([decision("1/PPID/2025", "6 Januari 2025")], s.DECISION_TAB)
        self.backend.type_rows([established(t, **({s.SUMMARY: f"Letak gudang {WORD} dan kuncinya"}
                                                  if t == SECRET else {})) for t in TITLES_2025])
        assert self.office.sync().review.newly_established == [f"DIP-000{n}" for n in range(1, 6)]
        first = self.office.publish(by="Ibu Ketua PPID")
        assert first.status == "published"
        assert list(self.live()) == TITLES_2025
        assert json.loads((self.site / "dip.json").read_bytes())["keputusan_ppid"]["nomor"] == "1/PPID/2025"
        assert "Nomor 1/PPID/2025 tanggal 6 Januari 2025" in self.page("riwayat.html")

    def correct_and_approve(self) -> None:
        self.at(3, 3)
        self.backend.set_cell("Profil Badan Publik", s.SUMMARY, "Profil yang dikoreksi unit")
        waiting = self.office.sync()
        assert waiting.summary()["corrections_waiting"] == ["DIP-0001"]
        assert self.office.publish().status in ("published", "unchanged")  # no --force, no refusal
        assert self.live()["Profil Badan Publik"]["ringkasan"] == "Ringkasan Profil Badan Publik"
        assert "Dihapus" not in self.page("riwayat.html")

        self.backend.set_cell("Profil Badan Publik", s.STEP3, s.APPROVE_CORRECTION)  # one action
        assert self.office.sync().summary()["corrections_approved"] == ["DIP-0001"]  # one sync
        assert self.office.publish().status == "published"
        assert self.live()["Profil Badan Publik"]["ringkasan"] == "Profil yang dikoreksi unit"
        history = self.page("riwayat.html")
        assert "Diubah (1)" in history and "(berubah: Ringkasan Isi Informasi)" in history
        assert "Ditambahkan" not in history and "Dihapus" not in history

    def reject_a_correction(self) -> None:
        self.at(4, 7)
        self.backend.set_cell("Laporan Keuangan 2024", s.SUMMARY, "Ringkasan yang salah")
        self.backend.set_cell("Laporan Keuangan 2024", s.STEP3, s.REJECT_CORRECTION)
        assert self.office.sync().summary()["corrections_rejected"] == ["DIP-0002"]
        assert self.office.publish().status == "unchanged"
        assert self.live()["Laporan Keuangan 2024"]["ringkasan"] == "Ringkasan Laporan Keuangan 2024"
        assert events(self.backend, "DIP-0002")[-1][0] == "Koreksi ditolak: Langkah 3 = Tolak Koreksi"

    def delete_an_item(self) -> None:
        self.at(6, 2)
        delete_row(self.backend, "DIP-0005")
        assert self.office.sync().review.removed == ["DIP-0005"]
        assert events(self.backend, "DIP-0005")[-1][0].startswith("Hilang dari register")
        assert self.office.publish().status == "published"
        assert "Daftar Sementara" not in self.live() and "Dihapus (1)" in self.page("riwayat.html")

    def draft_the_decision(self, tmp_path: Path) -> Path:
        """The draft of decision 2/PPID/2025 (DOCX only: no LibreOffice on the PATH)."""
        self.at(11, 28)
        empty = tmp_path / "bin-tanpa-soffice"
        empty.mkdir(exist_ok=True)
        with self.monkeypatch.context() as patch:
            patch.setenv("PATH", str(empty))
            draft = self.office.draft_decision("dip", number="2/PPID/2025", day=dt.date(2025, 12, 1),
                                               folder=tmp_path / "draf")
        assert draft.pdf is None and draft.items == len(self.live())
        lampiran = attachments(docx.Document(str(draft.docx)))["dip"]
        assert [row[2] for row in lampiran] == list(self.live())
        return draft.docx

    def archive_the_signed_scan(self, tmp_path: Path) -> None:
        self.at(12, 2)
        self.backend.type_rows([decision("2/PPID/2025", "1 Desember 2025")], s.DECISION_TAB)
        scan = tmp_path / "SK 2-PPID-2025 bertanda tangan.pdf"
        scan.write_bytes(SCAN)
        archived = self.office.archive_decision("2/PPID/2025", scan)
        assert archived.sha256 == hashlib.sha256(SCAN).hexdigest()
        published = self.office.publish(by="Ibu Ketua PPID")
        assert published.status == "published"
        path = f"keputusan/{scan_name('2/PPID/2025')}"
        files = self.manifest()["files"]
        assert isinstance(files, dict) and files[path]["sha256"] == archived.sha256
        assert (self.site / "arsip" / published.version / path).read_bytes() == SCAN
        for page in ("index.html", "riwayat.html"):
            assert f"arsip/{published.version}/{path}" in self.page(page), page

    def enter_2026(self) -> str:
        """Returns the version 2025 ended with."""
        last_2025 = str(self.manifest()["version"])
        self.at(1, 5, 2026)
        self.backend.type_rows([established("Rencana Kerja 2026")])
        self.office.sync()
        with pytest.raises(ConfigError, match="Keputusan PPID tahun 2026") as refused:
            self.office.publish()
        assert refused.value.exit_code == 2
        assert self.manifest()["version"] == last_2025  # nothing uploaded
        self.backend.type_rows([decision("1/PPID/2026", "5 Januari 2026")], s.DECISION_TAB)
        assert self.office.publish().status == "published"
        assert json.loads((self.site / "dip.json").read_bytes())["keputusan_ppid"]["nomor"] == "1/PPID/2026"
        year = self.page("tahun-2025.html")
        for title in ("Profil Badan Publik", "Laporan Keuangan 2024", "Rencana Kerja 2025", SECRET):
            assert title in year, title
        assert "Profil yang dikoreksi unit" in year and "Rencana Kerja 2026" not in year
        assert "Daftar Sementara" not in year and last_2025 in year and "2/PPID/2025" in year
        assert '<a href="tahun-2025.html">DIP Tahun 2025</a>' in self.page("index.html")
        return last_2025

    def roll_back(self) -> None:
        self.at(2, 9, 2026)
        before = str(self.manifest()["version"])
        self.backend.type_rows([established("Informasi Diunggah Keliru")])
        wrong = self.office.publish().version
        back = self.office.rollback(by="Ibu Ketua PPID", reason="Informasi diunggah sebelum waktunya")
        assert back.version == before and back.live not in (before, wrong)
        recorded = self.steps()
        ordered, uploaded = recorded["Rencana Kerja 2026"]
        assert f"dikembalikan ke versi {before}" in ordered and f"versi {back.live}" in uploaded
        assert recorded["Informasi Diunggah Keliru"] == ("", "")
        history = self.page("riwayat.html")
        assert f"Dikembalikan ke versi {before} (dari {wrong})" in history
        assert "Informasi diunggah sebelum waktunya" in history
        assert self.office.sync().review.changes.writes == []  # steps 4/5 and stages as a sync has them
        # the PPID takes the row back for revision, so the next publish does not put it live again
        self.backend.set_cell("Informasi Diunggah Keliru", s.STEP3, s.NEEDS_REVISION)
        self.office.sync()

    def redact(self) -> None:
        self.at(3, 16, 2026)
        secret = self.ids()[SECRET]
        assert naming(self.site)  # in the live list, the year page and every archived version
        done = self.office.redact(secret, REASON, by="Ibu Ketua PPID")
        assert done.live and done.rewritten
        assert naming(self.site) == []  # no file of the site, dip.xlsx unzipped, names it
        history = self.page("riwayat.html")
        assert f"informasi {secret} dari daftar yang tayang" in history and REASON in history
        assert SECRET not in self.live() and self.steps()[SECRET] == ("", "")
        # the register's Riwayat tab records it, without the content; a later sync reads it as a
        # note: nothing to write, the item still established (no publish puts it back)
        [(event, changed)] = [e for e in events(self.backend, secret) if e[0].startswith(EVENT_REDACTED)]
        assert event == f"{EVENT_REDACTED}: {REASON} (oleh Ibu Ketua PPID)" and changed == ""
        later = self.office.sync()  # (it brings the Ringkasan tab up to date, as after any publish)
        assert later.review.changes.writes == [] and not any(later.review.changes.appends.values())
        assert later.review.removed == [] and later.review.withdrawn == []
        assert self.office.sync().applied is None
        assert secret in [i.id for i in later.review.items]
        with pytest.raises(PublishFailed, match=secret):
            self.office.publish()
        assert naming(self.site) == []


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest, tmp_path: Path) -> Backend:
    return office_on(request, tmp_path)


@pytest.fixture
def year(backend: Backend, monkeypatch: pytest.MonkeyPatch) -> Year:
    return Year(backend, monkeypatch)


def test_a_whole_year_of_the_ppid(year: Year, tmp_path: Path) -> None:
    # 2025
    year.establish_2025()
    year.correct_and_approve()
    year.reject_a_correction()
    year.delete_an_item()
    year.draft_the_decision(tmp_path)
    year.archive_the_signed_scan(tmp_path)
    # 2026
    year.enter_2026()
    year.roll_back()
    year.redact()


@pytest.mark.slow
@pytest.mark.skipif(not HAS_SOFFICE, reason="needs LibreOffice Writer and poppler-utils (scripts/test)")
def test_the_draft_decisions_pdf_has_one_row_per_published_item(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    year = Year(_workbook_office(tmp_path), monkeypatch)
    year.establish_2025()
    year.delete_an_item()
    draft = year.office.draft_decision("dip", number="2/PPID/2025", day=dt.date(2025, 12, 1),
                                       folder=tmp_path / "draf")
    assert draft.pdf is not None and draft.pdf.read_bytes().startswith(b"%PDF")
    titles = list(year.live())
    document = docx.Document(str(draft.docx))
    in_pdf = pdf_rows(draft.pdf, "Kategori", column_edges(document, "dip"), 2)
    assert ["".join(t.split()) for t in in_pdf] == ["".join(t.split()) for t in titles]
    assert len(in_pdf) == draft.items == 4


# ---- what the sync and the help say about the year -----------------------------------------------


def test_dip_sync_lists_the_keputusan_tabs_findings(
        tmp_path: Path, workbook: WorkbookRegister, capsys: pytest.CaptureFixture[str]) -> None:
    add_rows(workbook, [{s.DECISION_NUMBER: "2/PPID/2026", s.DECISION_DATE: "31 Juni 2026",
                         s.DECISION_ESTABLISHES: s.DECIDES_DIP}], s.DECISION_TAB)
    toml = tmp_path / "dip.toml"
    toml.write_text(f'[register]\npath = "{workbook.path}"\n[publish]\nfolder = "situs"\n', encoding="utf-8")
    assert main(["sync", "--config", str(toml)]) == 0
    out = capsys.readouterr().out
    row = len(decisions_of_the_year()) + 2  # under the header and the conftest's decisions
    assert f"Masalah pada 1 baris tab '{s.DECISION_TAB}'" in out
    assert f"  {s.DECISION_TAB} (baris {row}): {s.DECISION_DATE}: " in out
    assert main(["sync", "--config", str(toml), "--lang", "en"]) == 0  # said again, as DIP rows are
    assert f"  {s.DECISION_TAB} (row {row}): {s.DECISION_DATE}: " in capsys.readouterr().out


def test_publish_help_says_force_also_passes_the_year_rule(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["publish", "--help"]) == 0
    text = " ".join(capsys.readouterr().out.split())
    assert "belum ada Keputusan PPID tahun ini yang menetapkan DIP" in text


def test_a_redaction_row_in_riwayat_is_a_note_to_the_ledger() -> None:
    """Established, then withdrawn from the site: what the records know of the item is unchanged."""
    values = established("Denah Gudang", **{s.FINGERPRINT: "abc"})
    rows = [history_row("2026-01-05 09:00:00", "DIP-0007", EVENT_ESTABLISHED, "abc", [], values,
                        step3_note(s.ESTABLISHED))]
    before = read_records(rows)
    rows.append(history_row("2026-03-16 09:00:00", "DIP-0007", EVENT_REDACTED, "", [], {},
                            f"Langkah 3 = {s.REJECTED}: {REASON}"))  # a reason that looks like a note
    after = read_records(rows)
    assert after.lifecycle == before.lifecycle and after.seen == before.seen
    assert after.established == before.established and after.digest("DIP-0007") == "abc"
    assert after.on_record() == {"DIP-0007"} and not after.removed("DIP-0007")
