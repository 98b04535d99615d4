"""A rollback is recorded: the register's steps 4 and 5 say which list is live, and the public
history says "Dikembalikan ke versi v1 (dari v2)" with when, who and why; the archive is untouched.

On both register backends: the workbook, and the Sheets API emulator (gspread's real HTTP path).
"""

from __future__ import annotations

import json
import random
import signal
from pathlib import Path

import pytest

from dip_sheets import schema as s
from dip_sheets.archive_history import version_notes
from dip_sheets.cli import main
from dip_sheets.connect import open_register
from dip_sheets.errors import PublishFailed
from dip_sheets.office import Office
from dip_sheets.register import cell_text
from dip_sheets.site import ARCHIVE, MANIFEST, Manifest
from dip_sheets.sync import review
from tests.conftest import NOW, UNITS, established, site_files
from tests.memory_register import decisions_of_the_year
from tests.reliability.conftest import assert_fully_live, complete_versions
from tests.reliability.test_kills import Office as Harness
from tests.reliability.test_kills import SiteCopy, assert_one_manifest, new_office, site_operations
from tests.test_end_to_end import BACKENDS, office_on
from tests.test_end_to_end import Office as Backend


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest, tmp_path: Path) -> Backend:
    return office_on(request, tmp_path)


def steps(office: Office) -> dict[str, tuple[str, str]]:
    """Title -> (step 4, step 5) as the register holds them."""
    rows = review(open_register(office.config).read(), UNITS, NOW).dip
    return {cell_text(r.values[s.TITLE]): (cell_text(r.values.get(s.STEP4)), cell_text(r.values.get(s.STEP5)))
            for r in rows}


def two_versions(backend: Backend) -> tuple[Office, str, str]:
    """v1 with two items, v2 with a third one; returns the office and both version ids."""
    office = Office(backend.config)
    office.init()
    backend.type_rows(decisions_of_the_year(), s.DECISION_TAB)  # the year rule lets it publish
    backend.type_rows([established("Profil Badan Publik"), established("Laporan Keuangan")])
    office.sync()
    first = office.publish(by="Ibu PPID").version
    backend.type_rows([established("Informasi Diunggah Keliru")])
    second = office.publish(by="Ibu PPID").version
    assert steps(office)["Informasi Diunggah Keliru"][1].split("versi ")[1].startswith(second)
    return office, first, second


def test_rollback_writes_steps_4_and_5_of_the_live_list_and_the_history_says_so(backend: Backend) -> None:
    office, first, second = two_versions(backend)
    site = office.config.publish.folder
    archived = {name: body for name, body in site_files(site).items() if name.startswith(f"{ARCHIVE}/")}

    back = office.rollback(by="Ibu Ketua PPID", reason="Informasi ketiga diunggah sebelum waktunya")

    live = back.live
    assert back.version == first and live not in (first, second)
    recorded = steps(office)
    for title in ("Profil Badan Publik", "Laporan Keuangan"):
        ordered, uploaded = recorded[title]
        assert f"versi {live}" in ordered and f"dikembalikan ke versi {first}" in ordered
        assert "oleh Ibu Ketua PPID" in ordered and f"versi {live}" in uploaded
    assert recorded["Informasi Diunggah Keliru"] == ("", "")  # not live any more: not shown as uploaded

    history = (site / "riwayat.html").read_text(encoding="utf-8")
    assert f"Dikembalikan ke versi {first} (dari {second})" in history
    assert "oleh Ibu Ketua PPID" in history and "Informasi ketiga diunggah sebelum waktunya" in history
    assert f"versi {live} (berlaku)" in history
    assert f"Dikembalikan ke versi {first} (dari {second})" in (site / "feed.xml").read_text(encoding="utf-8")
    changes = json.loads((site / "perubahan.json").read_bytes())
    assert (changes["versi"], changes["versi_sebelumnya"]) == (live, second)
    assert changes["catatan"][0].startswith(f"Dikembalikan ke versi {first} (dari {second})")
    # the restored list is v1's, byte for byte; the archive holds every version as it was published
    for name in ("index.html", "dip.csv", "dip.json", "dip.xlsx"):
        assert (site / name).read_bytes() == (site / ARCHIVE / first / name).read_bytes(), name
    assert {n: b for n, b in site_files(site).items() if n in archived} == archived
    assert set(complete_versions(site)) == {first, second, live}
    assert assert_fully_live(site) == live
    manifest = json.loads((site / MANIFEST).read_bytes())
    assert manifest["list_of"] == first and manifest["event"]["alasan"].startswith("Informasi ketiga")

    # the list before v1 does not exist; v2 can be put back by name, and the register follows
    with pytest.raises(PublishFailed, match="sebelumnya"):
        office.rollback()
    again = office.rollback(second)
    assert f"versi {again.live}" in steps(office)["Informasi Diunggah Keliru"][1]
    # a later publish keeps the rollbacks in the history
    backend.type_rows([established("Informasi Berikutnya")])
    assert office.publish().status == "published"
    history = (site / "riwayat.html").read_text(encoding="utf-8")
    assert f"Dikembalikan ke versi {first} (dari {second})" in history
    assert f"Dikembalikan ke versi {second} (dari {live})" in history


def test_a_rollback_reason_with_control_characters_is_refused_before_anything_changes(
    backend: Backend,
) -> None:
    office, _, second = two_versions(backend)
    before = site_files(office.config.publish.folder)
    with pytest.raises(Exception, match="--alasan"):
        office.rollback(reason="salah\x1b[31m")
    assert site_files(office.config.publish.folder) == before
    assert json.loads((office.config.publish.folder / MANIFEST).read_bytes())["version"] == second


class RollingBack(Harness):
    to = ""

    def arguments(self, name: str) -> list[str]:
        if name != "rollback":
            return super().arguments(name)
        return ["publish", "--rollback", self.to, "--alasan", "Salah unggah", "--config", str(self.toml)]


def test_a_rollback_killed_at_any_step_serves_one_version_and_a_rerun_finishes(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    office = RollingBack(**vars(new_office(tmp_path, {"folder": "situs"})))
    office.to = assert_fully_live(office.site)
    office.change(random.Random(13))
    assert main(office.arguments("publish")) == 0
    newer = assert_fully_live(office.site)
    start = SiteCopy.take(office, tmp_path / "awal")
    trace = office.folder / "jejak.txt"
    operations = site_operations(office, "rollback", trace, timeout=120)
    served: set[str] = set()
    chosen = sorted({1, 2, operations // 2, operations - 2, operations - 1, operations})
    for step, after in [*((n, "0") for n in chosen), (operations, "1")]:  # "1": just after the switch
        start.restore(office)
        process, _ = office.start("rollback", trace, DIP_KILL_AT=str(step), DIP_KILL_AFTER=after)
        assert process.wait(timeout=120) == -signal.SIGKILL, step
        served.add(assert_one_manifest(office.site))  # one whole version, whatever the moment
        assert main(office.arguments("rollback")) == 0, capsys.readouterr().err
        live = json.loads((office.site / MANIFEST).read_bytes())
        assert assert_fully_live(office.site) == live["version"] and live["list_of"] == office.to
        restores = [v for v, d in complete_versions(office.site).items() if "event" in d]
        assert len(restores) == 1, step  # the re-run finished the cut run's version, made no other
        history = (office.site / "riwayat.html").read_text(encoding="utf-8")
        assert f"Dikembalikan ke versi {office.to} (dari {newer})" in history
    assert newer in served and len(served) == 2  # kills landed before and after the switch


def test_history_notes_say_what_happened_and_survive_a_time_that_is_not_one() -> None:
    rolled = Manifest("20261202-040000Z", "2026-12-02T11:00:00+07:00", {}, list_of="v3",
                      event={"jenis": "pemulihan", "ke": "v3", "dari": "v4", "waktu": "kemarin", "oleh": "",
                             "alasan": ""})
    cut = Manifest("v3", "2026-11-25T10:00:00+07:00", {},
                   redactions=({"id": "DIP-0007", "waktu": "2026-12-02T11:00:00+07:00", "alasan": "DIK"},))
    notes = version_notes([rolled, cut, Manifest("v4", "2026-11-26T10:00:00+07:00", {})])
    assert notes == {
        "20261202-040000Z": ["Dikembalikan ke versi v3 (dari v4) pada kemarin."],
        "v3": ["Informasi DIP-0007 ditarik dari versi ini setelah terbit, pada 2 Desember 2026 pukul"
               " 11.00 (UTC+0700). Alasan: DIK."],
    }
    assert Manifest.parse(rolled.to_bytes()) == rolled and Manifest.parse(cut.to_bytes()) == cut


def test_a_rollback_is_never_a_dry_run_and_a_reason_belongs_to_a_rollback(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    toml = tmp_path / "dip.toml"
    toml.write_text('[register]\npath = "register.xlsx"\n[publish]\nfolder = "situs"\n', encoding="utf-8")
    assert main(["publish", "--rollback", "--dry-run", "--config", str(toml)]) == 2
    assert main(["publish", "--alasan", "salah", "--config", str(toml)]) == 2
    assert "--dry-run" in capsys.readouterr().err
    assert not (tmp_path / "situs").exists()
