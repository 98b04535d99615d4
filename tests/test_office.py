"""The application layer as a library: one ``Office`` per register, and a run over many offices.

Everything here goes through :mod:`dip_sheets.office` without the command line, on real workbooks
and a real folder target.
"""

from __future__ import annotations

import ast
import json
import subprocess
import sys
from pathlib import Path

import pytest

import dip_sheets
from dip_sheets import Message, Office, load_configs, run_offices
from dip_sheets import office as application
from dip_sheets import schema as s
from dip_sheets.errors import AlreadyRunning, BackendUnavailable, ConfigError, DipError
from dip_sheets.findings import Finding
from dip_sheets.lock import run_lock
from dip_sheets.register.workbook import WorkbookRegister
from dip_sheets.sync import SyncResult
from tests.conftest import add_rows, established, good_row
from tests.memory_register import decisions_of_the_year

#: the README's library example, run exactly as written.
SNIPPET = """\
from pathlib import Path
from dip_sheets import Office, load_configs

office = Office(load_configs(Path("dip.toml"))[0])
print(office.sync().summary())
"""


def write_config(folder: Path, names: tuple[str, ...] = ()) -> Path:
    config = folder / "dip.toml"
    if names:
        config.write_text('state_dir = "kerja"\n' + "".join(
            f'[[register]]\nname = "{n}"\npath = "{n}.xlsx"\npublish = {{ folder = "situs-{n}" }}\n'
            for n in names), encoding="utf-8")
    else:
        config.write_text('state_dir = "kerja"\n[register]\npath = "register.xlsx"\n'
                          '[publish]\nfolder = "situs"\n', encoding="utf-8")
    return config


@pytest.fixture
def office(tmp_path: Path) -> Office:
    """An office whose register was made by ``Office.init`` and holds an established row and a draft."""
    made = Office(load_configs(write_config(tmp_path))[0])
    made.init()
    add_rows(WorkbookRegister(made.config.register.path), [established("A"), good_row("B")])
    add_rows(WorkbookRegister(made.config.register.path), decisions_of_the_year(), s.DECISION_TAB)
    return made


def test_the_readme_snippet_runs_as_written(office: Office, tmp_path: Path) -> None:
    done = subprocess.run([sys.executable, "-c", SNIPPET], cwd=tmp_path, capture_output=True,
                          text=True, check=True)
    summary = ast.literal_eval(done.stdout)
    assert summary["ids_assigned"] == ["DIP-0001", "DIP-0002"] and summary["cells_written"] > 0
    assert done.stderr == ""


def test_init_reports_each_change_in_both_languages_then_nothing(tmp_path: Path) -> None:
    office = Office(load_configs(write_config(tmp_path))[0])
    first = office.init()
    assert first.location == str(tmp_path / "register.xlsx")
    assert first.done and all(isinstance(line, Message) and line.id != line.en for line in first.done)
    assert first.summary("en")["done"] == [line.en for line in first.done]
    again = office.init()
    assert again.done == [] and again.summary() == {"location": first.location, "done": []}
    assert again.lines() == [Message("Register sudah lengkap; tidak ada yang diubah.",
                                     "The register is complete; nothing was changed.")]


def test_sync_status_publish_rollback_and_check_return_results_with_a_summary(office: Office) -> None:
    assert office.sync(dry_run=True).summary()["cells_written"] == 0
    synced = office.sync()
    assert isinstance(synced, SyncResult) and synced.summary()["publishable"] == 1
    report = office.status(days=14).summary()
    assert report["publishable"] == 1 and report["total"]["1 Draf unit"] == 1
    assert office.status().csv("utama").startswith("register,unit,tahap,jumlah\n")
    said: list[Message] = []
    first = office.publish(by="Ibu PPID", progress=said.append)
    assert first.status == "published" and all(isinstance(m, Message) for m in said) and said
    add_rows(WorkbookRegister(office.config.register.path), [established("C")])
    assert office.publish().status == "published"
    back = office.rollback(progress=said.append)
    assert back.version == first.version and back.summary() == {
        "status": "rolled-back", "version": first.version, "live": back.live,
        "stamps_written": back.stamps_written}
    assert back.stamps_written > 0  # the register says which list is live (tests/test_rollback_recorded.py)
    assert back.live not in (first.version, "")
    checks = office.check()
    assert checks.failure() is None and len(checks.summary()["checks"]) == 9  # 9: with the list PDF line
    assert all(line.id.startswith("ok") and line.en.startswith("ok") for line in checks.lines())


def test_publish_refuses_a_bad_by_before_opening_anything(office: Office) -> None:
    with pytest.raises(ConfigError, match="--by"):
        office.publish(by="Ibu\x1b[31m PPID")
    assert not office.config.publish.folder.exists()


def test_writing_actions_take_the_run_lock_sync_does_not_wait(
    office: Office, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(application, "MANUAL_WAIT", 0.3)
    with run_lock(office.config.state_dir, office.name):
        for action in (office.init, office.sync, office.publish, office.rollback):
            with pytest.raises(AlreadyRunning):
                action()
        assert office.status().summary()["total"]  # reading needs no lock
    assert office.sync().applied is not None


def test_a_check_that_fails_ends_with_the_most_serious_kind(tmp_path: Path) -> None:
    config = load_configs(write_config(tmp_path))[0]
    result = Office(config).check()  # the workbook was never made
    failure = result.failure()
    assert isinstance(failure, ConfigError) and failure.msg == Message("1 pemeriksaan gagal.",
                                                                      "1 checks failed.")
    assert [line.id.split(":")[0] for line in result.lines()][1] == "GAGAL register dapat dibuka"


# ---- many offices ---------------------------------------------------------------------------------


def offices(tmp_path: Path, names: tuple[str, ...]) -> list[Office]:
    made = [Office(config) for config in load_configs(write_config(tmp_path, names))]
    for one in made:
        one.init()
        add_rows(WorkbookRegister(one.config.register.path), [established("A")])
    return made


def test_one_failing_office_never_stops_the_others_and_the_worst_code_wins(tmp_path: Path) -> None:
    a, b, c = offices(tmp_path, ("a", "b", "c"))
    (tmp_path / ".~lock.b.xlsx#").write_text("x")  # someone keeps b open: busy (3)
    started: list[str] = []
    seen: list[str] = []
    run = run_offices([a, b, c], lambda office: office.sync(), command="sync",
                      on_start=lambda office: started.append(office.name),
                      on_done=lambda outcome: seen.append(outcome.office.name))
    assert started == seen == ["a", "b", "c"]
    assert [o.result is not None for o in run.outcomes] == [True, False, True]
    assert isinstance(run.outcomes[1].error, BackendUnavailable) and run.exit_code == 3
    log = (tmp_path / "kerja" / "dip.log").read_text(encoding="utf-8").splitlines()
    assert ["sync a: 1 baris" in log[0], "WARNING sync b: Register" in log[1],
            "sync c: 1 baris" in log[2]] == [True] * 3

    def config_broken(office: Office) -> SyncResult:
        if office.name == "a":
            raise ConfigError("rusak", "broken")
        return office.sync()

    assert run_offices([a, b, c], config_broken, command="sync").exit_code == 3  # 3 beats 2
    (tmp_path / ".~lock.b.xlsx#").unlink()
    assert run_offices([a, b, c], config_broken, command="sync").exit_code == 2


def test_an_unexpected_error_is_not_swallowed(tmp_path: Path) -> None:
    (a,) = offices(tmp_path, ("a",))

    def bug(_: Office) -> SyncResult:
        raise RuntimeError("bug")

    with pytest.raises(RuntimeError):
        run_offices([a], bug, command="sync")


def test_under_cron_a_held_lock_is_silent_and_a_busy_register_is_said_once(tmp_path: Path) -> None:
    (a,) = offices(tmp_path, ("a",))
    with run_lock(a.config.state_dir, "a"):
        held = run_offices([a], lambda office: office.sync(), command="sync", cron_run=True)
    assert held.exit_code == 4 and not held.outcomes[0].reported
    busy = tmp_path / ".~lock.a.xlsx#"
    busy.write_text("x")
    reports = [run_offices([a], lambda office: office.sync(), command="sync", cron_run=True)
               for _ in range(3)]
    assert [r.exit_code for r in reports] == [3, 3, 3]
    assert [r.outcomes[0].reported for r in reports] == [True, False, False]
    assert run_offices([a], lambda office: office.sync(), command="sync").outcomes[0].reported  # by hand
    busy.unlink()
    again = run_offices([a], lambda office: office.sync(), command="sync", cron_run=True)
    assert again.exit_code == 0 and len(again.outcomes[0].notices) == 1
    assert "dapat diproses lagi" in again.outcomes[0].notices[0].id
    assert run_offices([a], lambda office: office.sync(), command="sync",
                       cron_run=True).outcomes[0].notices == []


def test_read_only_commands_leave_no_run_log_line(tmp_path: Path) -> None:
    (a,) = offices(tmp_path, ("a",))
    log = tmp_path / "kerja" / "dip.log"
    before = log.read_text(encoding="utf-8") if log.exists() else ""
    assert run_offices([a], lambda office: office.status(), command="status").exit_code == 0
    assert (log.read_text(encoding="utf-8") if log.exists() else "") == before


# ---- one message type -----------------------------------------------------------------------------


def test_errors_findings_and_the_package_share_one_message_type() -> None:
    error = ConfigError("salah", "wrong")
    assert error.msg == Message("salah", "wrong") and error.message("en") == "wrong"
    assert not hasattr(error, "texts")
    finding = Finding("Judul", "Judul: wajib diisi.", "Judul: required.")
    assert isinstance(finding, Message) and finding.column == "Judul"
    assert finding.text("en") == "Judul: required." and finding != Finding(None, finding.id, finding.en)
    assert issubclass(AlreadyRunning, DipError) and AlreadyRunning.exit_code == 4
    assert AlreadyRunning.__module__ == "dip_sheets.errors"
    assert {"Office", "run_offices", "load_configs", "Message"} <= set(dip_sheets.__all__)


def test_the_catalogue_takes_exit_codes_and_meanings_from_the_error_classes(
    monkeypatch: pytest.MonkeyPatch
) -> None:
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "scripts"))
    import error_catalog

    assert error_catalog.ERRORS["AlreadyRunning"] == (4, AlreadyRunning.meaning.id)
    assert json.dumps(sorted(error_catalog.ERRORS)) == json.dumps(
        ["AlreadyRunning", "BackendUnavailable", "ConfigError", "DraftFailed", "LayoutError",
         "PublishFailed"])
    assert "## Kode 4: AlreadyRunning" in error_catalog.catalogue()


def test_the_readme_shows_exactly_the_snippet_these_tests_run() -> None:
    readme = (Path(__file__).resolve().parent.parent / "README.md").read_text(encoding="utf-8")
    assert f"```python\n{SNIPPET}```" in readme
