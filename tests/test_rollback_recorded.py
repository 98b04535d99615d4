"""A rollback is recorded: the register's steps 4 and 5 say which list is live, and the public
history says "Dikembalikan ke versi v1 (dari v2)" with when, who and why; the archive is untouched.

On both register backends: the workbook, and the Sheets API emulator (gspread's real HTTP path).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from dip_sheets import schema as s
from dip_sheets.connect import open_register
from dip_sheets.errors import PublishFailed
from dip_sheets.office import Office
from dip_sheets.register import cell_text
from dip_sheets.site import ARCHIVE, MANIFEST
from dip_sheets.sync import review
from tests.conftest import NOW, UNITS, established, site_files
from tests.reliability.conftest import assert_fully_live, complete_versions
from tests.test_end_to_end import Office as Backend
from tests.test_end_to_end import _sheets_office, _workbook_office


@pytest.fixture(params=["workbook", "sheets"])
def backend(request: pytest.FixtureRequest, tmp_path: Path) -> Backend:
    if request.param == "workbook":
        return _workbook_office(tmp_path)
    return _sheets_office(tmp_path, request.getfixturevalue("sheets_emulator"),
                          request.getfixturevalue("sheets_account"))


def steps(office: Office) -> dict[str, tuple[str, str]]:
    """Title -> (step 4, step 5) as the register holds them."""
    rows = review(open_register(office.config).read(), UNITS, NOW).dip
    return {cell_text(r.values[s.TITLE]): (cell_text(r.values.get(s.STEP4)), cell_text(r.values.get(s.STEP5)))
            for r in rows}


def two_versions(backend: Backend) -> tuple[Office, str, str]:
    """v1 with two items, v2 with a third one; returns the office and both version ids."""
    office = Office(backend.config)
    office.init()
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
