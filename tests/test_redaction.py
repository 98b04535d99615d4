"""Withdrawing an item (``dip tarik``): afterwards its text is in no file of the site, live or
archived, compressed or not, on a local folder and on a real OpenSSH server; every version still
verifies against its manifest; the history says that, when and why, without the content; a run
killed at any step leaves one whole version live, and running it again finishes the job."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import os
import signal
from pathlib import Path

import pytest

from dip_sheets import office as application
from dip_sheets import schema as s
from dip_sheets.cli import main
from dip_sheets.config import Config, PublishSettings, default_config
from dip_sheets.errors import AlreadyRunning, ConfigError, PublishFailed
from dip_sheets.ledger import EVENT_REDACTED, event_name
from dip_sheets.lock import run_lock
from dip_sheets.messages import Message
from dip_sheets.office import Office
from dip_sheets.publish import publish
from dip_sheets.redaction import redact
from dip_sheets.register import Cell, cell_text
from dip_sheets.register.workbook import WorkbookRegister
from dip_sheets.site import ARCHIVE, MANIFEST
from dip_sheets.sync import review
from tests.conftest import NOW, UNITS, add_rows, established, readable_parts
from tests.plugins.sshd import SshdServer
from tests.reliability.conftest import assert_fully_live, complete_versions
from tests.reliability.test_kills import Office as Harness
from tests.reliability.test_kills import SiteCopy, assert_one_manifest, new_office, site_operations
from tests.test_publish_safety import NoLinks
from tests.test_publish_sftp import sftp_config

#: in the withdrawn item's title and summary only
WORD = "Zirkonium"
REASON = "Dikecualikan menurut uji konsekuensi Nomor 3/PPID/2026"


def secret() -> dict[str, Cell]:
    return established(f"Denah Gudang {WORD}", **{s.SUMMARY: f"Letak brankas {WORD} dan kodenya"})


def every_file(root: Path) -> dict[str, bytes]:
    """Every file of the site, archive included (links to files read through, never followed to
    folders, so each archived file is read once)."""
    found = {}
    for folder, _, names in os.walk(root):
        for name in names:
            path = Path(folder) / name
            if path.is_file():
                found[path.relative_to(root).as_posix()] = path.read_bytes()
    return found


def naming(root: Path, word: str = WORD) -> list[str]:
    return [name for name, body in every_file(root).items()
            if any(word.encode() in part for part in readable_parts(body))]


def item_id(root: Path) -> str:
    records = json.loads((root / "dip.json").read_bytes())["item"]
    return str(next(r["id"] for r in records if WORD in r["judul"]))


def steps(config: Config) -> dict[str, tuple[str, str]]:
    rows = review(WorkbookRegister(config.register.path).read(), UNITS, NOW).dip
    return {cell_text(r.values[s.TITLE]): (cell_text(r.values.get(s.STEP4)), cell_text(r.values.get(s.STEP5)))
            for r in rows}


def redaction_rows(config: Config | Path, identifier: str) -> list[str]:
    """The ``Riwayat`` rows recording the item's redaction (in the workbook of ``config`` or at a
    path): their times."""
    path = config if isinstance(config, Path) else config.register.path
    grid = WorkbookRegister(path).read().tabs[s.HISTORY_TAB]
    columns = s.locate_columns(s.TAB_BY_NAME[s.HISTORY_TAB], grid.rows[0])
    return [cell_text(row[columns[s.HISTORY_TIME]]) for row in grid.rows[1:]
            if cell_text(row[columns[s.ID]]) == identifier
            and event_name(row[columns[s.HISTORY_EVENT]]) == EVENT_REDACTED]


def three_versions(config: Config, root: Path) -> Office:
    """v1 with the item, v2 with one more, v3 with another: the item is in all, named in each history."""
    office = Office(config)
    register = WorkbookRegister(config.register.path)
    add_rows(register, [established("Profil Badan Publik"), secret()])
    assert office.publish(force=True).status == "published"
    for title in ("Laporan Keuangan", "Rencana Kerja"):
        add_rows(register, [established(title)])
        assert office.publish(force=True).status == "published"
    assert len(complete_versions(root)) == 3 and naming(root)
    return office


def check_withdrawn(office: Office, root: Path, identifier: str) -> None:
    assert naming(root) == []
    # the ID stays only where the redaction itself is recorded: manifests, the history and the feeds
    recorded_in = (MANIFEST, "riwayat.html", "feed.xml", "perubahan.json")
    assert all(name.endswith(recorded_in) for name in naming(root, identifier)), naming(root, identifier)
    assert set(complete_versions(root)) == {p.name for p in (root / ARCHIVE).iterdir()}  # all verify
    assert_fully_live(root)
    history = (root / "riwayat.html").read_text(encoding="utf-8")
    assert f"informasi {identifier} dari daftar yang tayang" in history and REASON in history
    for version in (root / ARCHIVE).iterdir():
        document = json.loads((version / MANIFEST).read_bytes())
        taken = document.get("redactions", []) + ([document["event"]] if "event" in document else [])
        assert [(t["id"], t["alasan"]) for t in taken] == [(identifier, REASON)], version.name
        assert f"Informasi {identifier} ditarik dari versi ini" in (version / "riwayat.html").read_text(
            encoding="utf-8") or "event" in document
    live = json.loads((root / "dip.json").read_bytes())["item"]
    assert [r["judul"] for r in live] == ["Profil Badan Publik", "Laporan Keuangan", "Rencana Kerja"]
    recorded = steps(office.config)
    assert recorded[f"Denah Gudang {WORD}"] == ("", "")
    assert all(recorded[t][1] for t in ("Profil Badan Publik", "Laporan Keuangan", "Rencana Kerja"))


@pytest.fixture
def folder_config(publish_config: Config) -> Config:
    return publish_config


def test_a_redaction_leaves_no_trace_of_the_item_in_a_folder_site(folder_config: Config) -> None:
    root = folder_config.publish.folder
    office = three_versions(folder_config, root)
    identifier = item_id(root)
    before = every_file(root)
    with pytest.raises(ConfigError, match="DIP-9999"):
        office.redact("DIP-9999", REASON)
    assert every_file(root) == before  # an unknown ID changes nothing

    done = office.redact(identifier, REASON, by="Ibu Ketua PPID")

    assert done.live and len(done.rewritten) == 3 and done.stamps_written > 0
    check_withdrawn(office, root, identifier)
    assert "Ibu Ketua PPID" in (root / "riwayat.html").read_text(encoding="utf-8")
    # again: nothing left to do, nothing written
    after = every_file(root)
    assert office.redact(identifier, REASON).summary()["status"] == "unchanged"
    assert every_file(root) == after
    # the item is still established in the register: no publish may put it back
    add_rows(WorkbookRegister(folder_config.register.path), [established("Informasi Baru")])
    with pytest.raises(PublishFailed, match=identifier):
        office.publish(force=True)
    assert naming(root) == []


def test_a_redaction_waits_for_the_run_lock_and_changes_nothing_without_it(
    folder_config: Config, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = folder_config.publish.folder
    office = three_versions(folder_config, root)
    before = every_file(root)
    monkeypatch.setattr(application, "MANUAL_WAIT", 0.3)
    with run_lock(folder_config.state_dir, folder_config.name), pytest.raises(AlreadyRunning):
        office.redact(item_id(root), REASON)
    assert every_file(root) == before


def test_a_redaction_through_the_command_line_needs_a_reason(folder_config: Config, tmp_path: Path,
                                                             capsys: pytest.CaptureFixture[str]) -> None:
    root = folder_config.publish.folder
    three_versions(folder_config, root)
    toml = tmp_path / "dip.toml"
    toml.write_text(f'[register]\npath = "{folder_config.register.path}"\n[publish]\nfolder = "{root}"\n'
                    'base_url = "https://ppid.example.go.id/dip/"\n', encoding="utf-8")
    assert main(["tarik", item_id(root), "--config", str(toml)]) == 2  # --alasan is required
    assert main(["redaksi", "DIP-9999", "--alasan", REASON, "--config", str(toml)]) == 2
    assert "DIP-9999" in capsys.readouterr().err
    assert main(["tarik", item_id(root), "--alasan", REASON, "--config", str(toml)]) == 0
    assert "ditarik dari 3 versi" in capsys.readouterr().out
    assert naming(root) == []


def test_a_redaction_leaves_no_trace_of_the_item_on_a_real_sftp_server(
    tmp_path: Path, workbook: WorkbookRegister, sshd: SshdServer, sftp_root: Path
) -> None:
    base = default_config(tmp_path)
    config = dataclasses.replace(
        base, register=dataclasses.replace(base.register, path=workbook.path),
        publish=PublishSettings(target="sftp", base_url="https://ppid.example.go.id/dip/", by="PPID Contoh",
                                sftp=sftp_config(sshd, sftp_root)))
    office = three_versions(config, sftp_root)
    identifier = item_id(sftp_root)
    done = office.redact(identifier, REASON)
    assert done.live and len(done.rewritten) == 3
    check_withdrawn(office, sftp_root, identifier)


class Withdrawing(Harness):
    def arguments(self, name: str) -> list[str]:
        if name != "tarik":
            return super().arguments(name)
        return ["tarik", self.item, "--alasan", REASON, "--config", str(self.toml)]

    item = ""


def test_a_redaction_killed_at_any_step_serves_one_version_and_a_rerun_finishes(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    office = Withdrawing(**vars(new_office(tmp_path, {"folder": "situs"})))
    before_it = assert_fully_live(office.site)  # published before the item existed: stays as it was
    untouched = every_file(office.site / ARCHIVE / before_it)
    add_rows(office.register, [secret()])
    assert main(office.arguments("publish")) == 0
    add_rows(office.register, [established("Laporan Keuangan")])
    assert main(office.arguments("publish")) == 0
    office.item = item_id(office.site)
    start = SiteCopy.take(office, tmp_path / "awal")
    original = assert_fully_live(office.site)
    trace = office.folder / "jejak.txt"
    operations = site_operations(office, "tarik", trace, timeout=120)
    assert operations > 10 and naming(office.site) == []
    served: set[bool] = set()
    chosen = sorted({1, 2, operations // 3, operations // 2, operations // 2 + 1, 2 * operations // 3,
                     operations - 1, operations})
    for step in chosen:
        start.restore(office)
        process, _ = office.start("tarik", trace, DIP_KILL_AT=str(step))
        assert process.wait(timeout=120) == -signal.SIGKILL, step
        served.add(assert_one_manifest(office.site) == original)  # one whole version, whatever the moment
        live = (office.site / "dip.json").read_bytes()
        assert WORD.encode() not in live or json.loads(live)["versi"] in complete_versions(office.site)
        assert main(office.arguments("tarik")) == 0, capsys.readouterr().err
        assert naming(office.site) == [], step
        assert len(redaction_rows(office.register.path, office.item)) == 1, step  # recorded, once
        assert set(complete_versions(office.site)) == {p.name for p in (office.site / ARCHIVE).iterdir()}
        assert_fully_live(office.site)
    assert every_file(office.site / ARCHIVE / before_it) == untouched
    assert served == {True, False}  # kills landed before and after the clean list went live


def test_a_redaction_on_a_host_without_links_switches_file_by_file(folder_config: Config) -> None:
    root = folder_config.publish.folder
    register = WorkbookRegister(folder_config.register.path)
    add_rows(register, [established("Profil Badan Publik"), secret()])
    publish(folder_config, register, NoLinks(root), now=NOW, force=True)
    add_rows(register, [established("Laporan Keuangan")])
    publish(folder_config, register, NoLinks(root), now=NOW + dt.timedelta(hours=1), force=True)
    said: list[Message] = []
    done = redact(folder_config, NoLinks(root), item_id(root), REASON, said.append)
    assert done.live and not (root / "index.html").is_symlink()
    assert any("tautan simbolik" in m.id for m in said)
    assert naming(root) == [] and assert_fully_live(root) == done.live
    assert set(complete_versions(root)) == {p.name for p in (root / ARCHIVE).iterdir()}
