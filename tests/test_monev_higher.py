"""The higher PPID's DIK, with two sites on loopback: KPU RI publishing its ``dik.json`` and a
Kabupaten whose DIK rows cite KPU RI's decisions; KPU RI revokes one, and the Kabupaten's row citing
it is flagged."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest

from dip_sheets import schema as s
from dip_sheets.config import Config, PublicBody
from dip_sheets.demo import RENDATIN
from dip_sheets.higher_dik import (
    FORMAT,
    cites,
    decision_number,
    read_higher,
    render_dik_json,
    render_inherited,
)
from dip_sheets.messages import Message
from dip_sheets.monev import MEETS, NOT_YET, MonevSettings
from dip_sheets.monev_check import self_check
from dip_sheets.publish import publish
from dip_sheets.records import Version
from dip_sheets.register import Cell
from dip_sheets.register.workbook import WorkbookRegister, append_rows
from dip_sheets.targets.folder import FolderTarget
from dip_sheets.validate import Exclusion
from tests.plugins.webservers import Reply, WebServer
from tests.test_monev import FAST, NOW, StaticSite, publish_demo, seed_links

KPU_RI = PublicBody(name="Komisi Pemilihan Umum Republik Indonesia", short_name="KPU RI")
RI_VERSION = Version("20260301-010000Z", "2026-03-01T08:00:00+07:00", "1 Maret 2026")
ISSUER = "Keputusan KPU"


def ri_exclusion(number: int, information: str) -> Exclusion:
    return Exclusion(
        id=f"DIK-{number:04d}", information=information, unit="Biro Teknis Penyelenggaraan Pemilu",
        legal_basis="UU 14/2008 Pasal 17 huruf h", if_opened="Membuka data pribadi.",
        if_closed="Data pribadi terlindungi.", period="Permanen", tested_on="1 Agustus 2025",
        decision=f"Keputusan KPU Nomor {number} Tahun 2025 tanggal 1 Agustus 2025", expires=None)


STANDING = ri_exclusion(700, "Salinan KTP-el calon anggota DPRD")
REVOKED = ri_exclusion(731, "Dokumen persyaratan calon presiden dan wakil presiden")


def cited_row(information: str, number: int) -> dict[str, Cell]:
    """A Kabupaten's DIK row applying KPU RI's decision instead of a local consequence test."""
    return {
        s.DIK_INFORMATION: information, s.UNIT: RENDATIN, s.DIK_LEGAL_BASIS: "UU 14/2008 Pasal 17 huruf h",
        s.DIK_IF_OPENED: "Membuka data pribadi.", s.DIK_IF_CLOSED: "Data pribadi terlindungi.",
        s.DIK_PERIOD: "Permanen", s.DIK_TEST_DATE: "1 Agustus 2025",
        s.DIK_DECISION: f"Keputusan KPU Nomor {number} Tahun 2025 tanggal 1 Agustus 2025",
    }


@pytest.fixture
def ri_site() -> Iterator[WebServer]:
    """KPU RI's site, publishing both decisions' entries as ``dik.json``."""
    with WebServer() as server:
        server.route("/dik.json", Reply(200, (("Content-Type", "application/json"),),
                                        render_dik_json([STANDING, REVOKED], KPU_RI, RI_VERSION)))
        yield server


@pytest.fixture
def kabupaten(tmp_path: Path) -> Iterator[Config]:
    """The demo Kabupaten, its DIK citing both of KPU RI's decisions, its site on loopback."""
    config = publish_demo(tmp_path / "kab")
    append_rows(config.register.path, s.DIK_TAB, [cited_row("Salinan KTP-el calon anggota DPRD", 700),
                                                  cited_row("Dokumen persyaratan calon bupati", 731)])
    site = StaticSite(config.publish.folder)
    config = replace(config, publish=replace(config.publish, base_url=site.url))
    seed_links(config)
    yield config
    site.close()


def test_a_revoked_higher_decision_is_flagged(kabupaten: Config, ri_site: WebServer) -> None:
    url = ri_site.url("/dik.json")
    settings = MonevSettings(higher_dik_url=url, higher_issuer=ISSUER)
    before = self_check(kabupaten, now=NOW, settings=settings, link_settings=FAST).item("dik_atasan")
    assert before.state == MEETS
    assert before.reason.id == "2 entri DIK atasan diwarisi; kutipan keputusannya masih berlaku"
    # days later KPU RI revokes decision 731: it leaves KPU RI's published DIK
    ri_site.route("/dik.json", Reply(200, body=render_dik_json([STANDING], KPU_RI, RI_VERSION)))
    after = self_check(kabupaten, now=NOW, settings=settings, link_settings=FAST).item("dik_atasan")
    assert after.state == NOT_YET
    assert after.reason.id == ("DIK-0005 mengutip Keputusan KPU Nomor 731 Tahun 2025 tanggal 1 Agustus 2025"
                               " yang tidak ada lagi di DIK atasan (dicabut?)")
    assert "DIK-0004" not in after.reason.id  # decision 700 still stands
    assert after.evidence == (url,)
    assert ri_site.hits("/dik.json") == 2


def test_an_unreachable_higher_list_revokes_nothing(kabupaten: Config) -> None:
    settings = MonevSettings(higher_dik_url="http://127.0.0.1:9/dik.json", higher_issuer=ISSUER)
    item = self_check(kabupaten, now=NOW, settings=settings, link_settings=FAST).item("dik_atasan")
    assert item.state == NOT_YET
    assert item.reason.id == "DIK atasan tidak terbaca di http://127.0.0.1:9/dik.json"
    assert "mengutip" not in item.reason.id


def test_inherited_entries_are_shown_read_only() -> None:
    entries = read_higher(render_dik_json([STANDING, ri_exclusion(800, "<b>Data</b> saksi")], KPU_RI,
                                          RI_VERSION))
    assert entries is not None
    html = render_inherited(entries, "https://jdih.kpu.go.id/dik.json", "KPU RI")
    assert "Informasi yang dikecualikan berdasarkan keputusan KPU RI" in html
    assert "Salinan KTP-el calon anggota DPRD" in html and "Keputusan KPU Nomor 700 Tahun 2025" in html
    assert "&lt;b&gt;Data&lt;/b&gt; saksi" in html  # the higher body's text is escaped
    assert 'href="https://jdih.kpu.go.id/dik.json"' in html
    assert "<form" not in html and "<input" not in html
    assert html.count('class="warisan"') == 2


def test_the_office_dik_json_is_deterministic_data_without_the_information_itself() -> None:
    data = render_dik_json([REVOKED, STANDING], KPU_RI, RI_VERSION)
    assert data == render_dik_json([STANDING, REVOKED], KPU_RI, RI_VERSION)
    document = json.loads(data)
    assert (document["format"], document["jumlah"], document["versi"]) == (FORMAT, 2, RI_VERSION.id)
    first = document["item"][0]
    assert first["nomor_keputusan"] == "700 tahun 2025" and first["berakhir"] is None
    assert set(first) == {"id", "informasi", "unit", "dasar_hukum", "konsekuensi_bila_dibuka",
                          "konsekuensi_bila_ditutup", "jangka_waktu", "berakhir", "tanggal_uji_konsekuensi",
                          "keputusan", "nomor_keputusan"}
    dated = render_dik_json([replace(STANDING, expires=dt.date(2030, 1, 1))], KPU_RI, RI_VERSION)
    assert json.loads(dated)["item"][0]["berakhir"] == "2030-01-01"


@pytest.mark.parametrize(("text", "number"), [
    ("Keputusan KPU Nomor 731 Tahun 2025 tanggal 3 Maret 2025", "731 tahun 2025"),
    ("Keputusan PPID Nomor 12/PP.06-Kpt/2023", "12/pp.06-kpt/2023"),
    ("SK No. 5/PP.06-Kpt/2024, 2 Mei 2024", "5/pp.06-kpt/2024"),
    ("Keputusan KPU nomor: 731  tahun   2025", "731 tahun 2025"),
    ("tanpa nomor", ""),
])
def test_decision_numbers_are_read_for_comparison(text: str, number: str) -> None:
    assert decision_number(text) == number


def test_a_row_cites_the_higher_body_only_when_it_names_it() -> None:
    assert cites("Keputusan  KPU Nomor 731 Tahun 2025", "keputusan kpu")
    assert not cites("Keputusan PPID Nomor 12/PP.06-Kpt/2023", ISSUER)
    assert not cites("Keputusan KPU Nomor 731 Tahun 2025", "")


@pytest.mark.parametrize("data", [b"", b"[]", b'{"item": []}', b"\xff\xfe",
                                  json.dumps({"format": FORMAT, "item": [{}]}).encode()])
def test_what_is_not_a_dik_json_is_refused(data: bytes) -> None:
    assert read_higher(data) is None


def test_a_publish_shows_the_higher_dik_read_only_and_its_own_dik_json(
    kabupaten: Config, ri_site: WebServer
) -> None:
    config = replace(kabupaten, monev=MonevSettings(higher_dik_url=ri_site.url("/dik.json"),
                                                    higher_issuer=ISSUER))
    publish(config, WorkbookRegister(config.register.path), FolderTarget(config.publish.folder),
            now=NOW + dt.timedelta(hours=1), force=True)
    page = (config.publish.folder / "dik.html").read_text(encoding="utf-8")
    assert STANDING.information in page and REVOKED.information in page
    own = json.loads((config.publish.folder / "dik.json").read_bytes())
    assert own["format"] == "dip-sheets/dik/1" and ri_site.hits("/dik.json") == 1


def test_an_unreachable_higher_dik_never_stops_a_publish(kabupaten: Config) -> None:
    config = replace(kabupaten, monev=MonevSettings(higher_dik_url="http://127.0.0.1:9/dik.json",
                                                    higher_issuer=ISSUER, timeout=2.0))
    said: list[Message] = []
    result = publish(config, WorkbookRegister(config.register.path), FolderTarget(config.publish.folder),
                     now=NOW + dt.timedelta(hours=1), force=True, progress=said.append)
    assert result.status == "published"
    assert any("tidak dapat dibaca" in m.id for m in said)
