"""The run memo (:mod:`dip_sheets.run_memo`): an unchanged sync or publish reviews nothing, and any
input changed on its own makes the next run a full one again.

Each test settles a real workbook office first (a sync that writes, then one that finds nothing to
do and records the memo), then changes exactly one input. Whether a run was full is seen by a spy
on ``review`` (the sync's and the publish's); what it returned is compared too.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import json
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import openpyxl
import pytest

from dip_sheets import publish as publish_module
from dip_sheets import row_watch, run_memo
from dip_sheets import schema as s
from dip_sheets import sync as sync_module
from dip_sheets.cli import main
from dip_sheets.config import Config, load_configs
from dip_sheets.errors import BackendUnavailable, ConfigError, DipError, PublishFailed
from dip_sheets.links import CACHE_FILE, LinkResult
from dip_sheets.memo_results import RecalledSync
from dip_sheets.messages import Message
from dip_sheets.notify import SENT_FILE
from dip_sheets.office import Office
from dip_sheets.published_state import selfcheck_path
from dip_sheets.register.workbook import WorkbookRegister
from dip_sheets.render_digest import folder_digest
from dip_sheets.reports import sync_lines
from tests.conftest import NOW, add_rows, established, good_row
from tests.memory_register import decisions_of_the_year

LINK = "https://ppid.example.go.id/doc.pdf"


class Clock:
    """The office's clock (``Config.now``), moved by the tests."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.now = NOW
        monkeypatch.setattr(Config, "now", lambda _config: self.now)


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    return Clock(monkeypatch)


@pytest.fixture
def reviews(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Every review a run made, by who made it (the sync or the publish)."""
    calls: list[str] = []
    for module, name in ((sync_module, "sync"), (publish_module, "publish")):
        real = module.review

        def counted(*args: Any, _real: Any = real, _name: str = name, **kwargs: Any) -> Any:
            calls.append(_name)
            return _real(*args, **kwargs)

        monkeypatch.setattr(module, "review", counted)
    return calls


def config_file(folder: Path) -> Path:
    path = folder / "dip.toml"
    path.write_text('state_dir = "kerja"\n[register]\npath = "register.xlsx"\n'
                    '[publish]\nfolder = "situs"\nbase_url = "https://ppid.example.go.id/dip/"\n',
                    encoding="utf-8")
    return path


@pytest.fixture
def office(tmp_path: Path, clock: Clock) -> Office:
    """Two established rows and one a unit has not finished (a finding every sync reports)."""
    made = Office(load_configs(config_file(tmp_path))[0])
    made.init()
    register = WorkbookRegister(made.config.register.path)
    add_rows(register, [established("A"), established("B"), good_row("C", **{s.RESPONSIBLE: ""})])
    add_rows(register, decisions_of_the_year(), s.DECISION_TAB)
    return made


def settled(office: Office, reviews: list[str]) -> None:
    """Sync until a full sync writes nothing (that one records the memo), and check it did."""
    office.sync()
    assert office.sync().applied is None
    assert run_memo.memo_path(office.config, "sync").is_file()
    reviews.clear()


def full(reviews: list[str]) -> bool:
    done = bool(reviews)
    reviews.clear()
    return done


# ---- the sync ------------------------------------------------------------------------------------


def test_an_unchanged_second_sync_reviews_nothing(office: Office, reviews: list[str]) -> None:
    office.sync()
    second = office.sync()  # full: the first one wrote IDs and notes
    assert second.applied is None and reviews == ["sync", "sync"]
    third = office.sync()
    assert reviews == ["sync", "sync"]  # nothing read, nothing reviewed
    assert isinstance(third, RecalledSync) and third.applied is None
    assert third.summary() == second.summary()
    assert [line.text("id") for line in sync_lines(third)] == [line.text("id") for line in sync_lines(second)]
    assert third.summary()["problems"]  # row C's finding is still reported


def test_the_memo_path_prints_and_reports_what_the_full_path_did(
        tmp_path: Path, office: Office, reviews: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    config = str(tmp_path / "dip.toml")
    assert main(["sync", "--config", config]) == 0
    capsys.readouterr()
    outputs = []
    for _ in range(2):  # the full run that records the memo, then the memo's
        assert main(["sync", "--config", config]) == 0
        text = capsys.readouterr().out
        assert main(["sync", "--config", config, "--json"]) == 0
        outputs.append((text, json.loads(capsys.readouterr().out)))
    assert reviews.count("sync") == 2  # the first sync and the one that recorded the memo
    assert outputs[0] == outputs[1]
    assert "Penanggung Jawab" in outputs[1][0]


def _edit_register(office: Office) -> Office:
    """A unit types a new row; the file keeps its modification time (a digest of the bytes sees it)."""
    path = office.config.register.path
    before = path.stat()
    add_rows(WorkbookRegister(path), [good_row("D")])
    os.utime(path, ns=(before.st_atime_ns, before.st_mtime_ns))
    return office


def _edit_config(office: Office) -> Office:
    config = office.config
    return Office(dataclasses.replace(config, publish=dataclasses.replace(config.publish, by="Sekretaris")))


def _state_file(name: Callable[[Config], Path], content: dict[str, Any]) -> Callable[[Office], Office]:
    def write(office: Office) -> Office:
        name(office.config).write_text(json.dumps(content), encoding="utf-8")
        return office
    return write


BROKEN = {"version": 1, "links": {LINK: {
    "ok": False, "checked_at": NOW.isoformat(), "final_url": LINK, "status": 404,
    "reason": {"id": "halaman tidak ditemukan (404)", "en": "page not found (404)"}}}}
SELFCHECK = {"ringkasan": "3 dari 4 butir memenuhi", "diperiksa": NOW.isoformat(), "butir": []}


@pytest.mark.parametrize("change", [
    pytest.param(_edit_register, id="register bytes"),
    pytest.param(_edit_config, id="configuration"),
    pytest.param(_state_file(lambda c: c.state_dir / CACHE_FILE, BROKEN), id="link results"),
    pytest.param(_state_file(selfcheck_path, SELFCHECK), id="self-check"),
    pytest.param(_state_file(lambda c: c.state_dir / SENT_FILE, {"desk": "0123"}), id="notices sent"),
])
def test_any_input_changed_alone_makes_a_full_sync(
        office: Office, reviews: list[str], change: Callable[[Office], Office]) -> None:
    settled(office, reviews)
    office.sync()
    assert not full(reviews)  # the memo answers while nothing changes
    changed = change(office)
    changed.sync()
    assert full(reviews)


def test_a_new_day_makes_a_full_sync(office: Office, reviews: list[str], clock: Clock) -> None:
    settled(office, reviews)
    clock.now += dt.timedelta(hours=1)
    office.sync()
    assert not full(reviews)  # the same day
    clock.now += dt.timedelta(days=1)
    office.sync()
    assert full(reviews)


def test_the_environment_and_an_upgrade_make_a_full_sync(
        office: Office, reviews: list[str], monkeypatch: pytest.MonkeyPatch) -> None:
    settled(office, reviews)
    monkeypatch.setenv("DIP_REGISTER_LINK", r"\\server\dip\register.xlsx")
    office.sync()
    assert full(reviews)
    office.sync()
    assert not full(reviews)
    monkeypatch.setenv("DIP_SMTP_PASSWORD", "never kept")  # not an input: nothing it decides
    office.sync()
    assert not full(reviews)
    monkeypatch.setattr(run_memo, "source_digest", lambda _state_dir: "another dip-sheets")
    office.sync()
    assert full(reviews)


def test_the_link_results_shown_come_back_from_the_memo(office: Office, reviews: list[str]) -> None:
    (office.config.state_dir / CACHE_FILE).parent.mkdir(parents=True, exist_ok=True)
    (office.config.state_dir / CACHE_FILE).write_text(json.dumps(BROKEN), encoding="utf-8")
    settled(office, reviews)
    recalled = office.sync()
    assert not full(reviews) and isinstance(recalled, RecalledSync)
    shown = [w.id for r in recalled.review.warned_rows() for w in r.warnings]
    assert recalled.summary()["warnings"] and shown


def test_a_link_due_for_its_recheck_makes_a_full_sync(
        office: Office, reviews: list[str], clock: Clock, monkeypatch: pytest.MonkeyPatch) -> None:
    """With ``[links] check`` the memo lasts until the first link is due (checked here without a
    network: the probe answers that the link works)."""
    probed: list[str] = []

    def probe(urls: Any, *, now: dt.datetime, **_: Any) -> dict[str, LinkResult]:
        probed.extend(urls)
        return {url: LinkResult(url, True, now, url, 200) for url in urls}

    monkeypatch.setattr("dip_sheets.links.probe_links", probe)
    checking = Office(dataclasses.replace(office.config, links=dataclasses.replace(
        office.config.links, check=True, recheck_ok_days=0.25)))
    checking.sync()
    assert probed == [LINK]
    settled(checking, reviews)  # the cache was written by the first sync: the next ones settle
    clock.now += dt.timedelta(hours=1)
    checking.sync()
    assert not full(reviews) and probed == [LINK]
    clock.now += dt.timedelta(hours=5)  # 6 hours after the check, the same day
    checking.sync()
    assert full(reviews) and probed == [LINK, LINK]


def test_a_full_sync_finds_the_registers_links_once(
        office: Office, reviews: list[str], monkeypatch: pytest.MonkeyPatch) -> None:
    """The memo's link expiry and the link check share one pass over the rows."""
    passes: list[int] = []
    real = sync_module.links_in

    def counted(snapshot: Any) -> list[str]:
        passes.append(1)
        return real(snapshot)

    for module in (row_watch, run_memo):  # whoever looks for them (the memo once did, too)
        monkeypatch.setattr(module, "links_in", counted, raising=False)
    office.sync()
    assert full(reviews) and len(passes) == 1


def test_a_dry_run_neither_uses_nor_writes_the_memo(office: Office, reviews: list[str]) -> None:
    settled(office, reviews)
    office.sync(dry_run=True)
    assert full(reviews)
    memo = run_memo.memo_path(office.config, "sync")
    memo.unlink()
    office.sync(dry_run=True)
    office.sync(dry_run=True)
    assert not memo.exists()


def _resealed(data: bytes, **changes: Any) -> bytes:
    """The memo with its body changed and the header's checksum made to match again."""
    head, _, body = data.partition(b"\n")
    document = json.loads(body)
    if "said" in changes:
        document["result"]["said"] = changes.pop("said")
    document.update(changes)
    fresh = json.dumps(document).encode()
    header = {**json.loads(head), "sha256": hashlib.sha256(fresh).hexdigest()}
    return json.dumps(header).encode() + b"\n" + fresh


@pytest.mark.parametrize("damage", [
    pytest.param(lambda data: data[: len(data) // 2], id="torn"),
    pytest.param(lambda data: b"\x00" * len(data), id="garbage"),
    pytest.param(lambda data: data.replace(b"\"rows_read\":3", b"\"rows_read\":4"), id="edited"),
    pytest.param(lambda data: json.dumps({"format": "something else", "body": {}}).encode(), id="foreign"),
    pytest.param(lambda data: b"", id="empty"),
    pytest.param(lambda data: _resealed(data, said=[]), id="whole but inconsistent"),
    pytest.param(lambda data: _resealed(data, result=None), id="whole but not a result"),
])
def test_a_damaged_memo_means_a_full_sync(
        office: Office, reviews: list[str], damage: Callable[[bytes], bytes]) -> None:
    settled(office, reviews)
    memo = run_memo.memo_path(office.config, "sync")
    memo.write_bytes(damage(memo.read_bytes()))
    again = office.sync()
    assert full(reviews) and not isinstance(again, RecalledSync)
    assert again.summary()["rows_read"] == 3
    office.sync()  # the full run recorded a whole memo again
    assert not full(reviews)


def test_a_memo_that_cannot_be_written_never_fails_the_sync(
        office: Office, reviews: list[str], monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(path: Path, data: bytes) -> None:
        raise PermissionError(13, "Permission denied", str(path))

    monkeypatch.setattr(run_memo, "write_atomic", refuse)
    office.sync()
    assert office.sync().applied is None
    assert not run_memo.memo_path(office.config, "sync").exists()


def test_a_workbook_open_in_excel_is_refused_on_the_memo_path_too(office: Office, reviews: list[str]) -> None:
    settled(office, reviews)
    owner = office.config.register.path.parent / f"~${office.config.register.path.name}"
    owner.write_bytes(b"\x04Budi" + b"\x00" * 60)
    with pytest.raises(BackendUnavailable):
        office.sync()


def test_a_google_sheet_has_no_memo(office: Office) -> None:
    config = office.config
    sheet = dataclasses.replace(config, register=dataclasses.replace(config.register, backend="sheets"))
    assert run_memo.inputs(sheet, NOW) is None and run_memo.inputs(config, NOW) is not None


def test_the_source_digest_covers_the_templates_and_the_version(
        monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    before = run_memo.source_digest(tmp_path)
    run_memo.source_digest.cache_clear()
    monkeypatch.setattr(run_memo, "__version__", "99.0")
    try:
        assert run_memo.source_digest(tmp_path) != before
    finally:
        run_memo.source_digest.cache_clear()


def test_the_package_is_hashed_again_whenever_a_file_of_it_may_have_changed(
        monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """The package's digest is kept by its files' listing; an edit of the same size with the old
    modification time put back is still seen (its change time and the racy rule), a file just
    written is never trusted by its listing, and a damaged kept file is ignored."""
    package, kept = tmp_path / "paket", tmp_path / "kerja" / run_memo.SOURCE_FILE
    (package / "sub").mkdir(parents=True)
    (package / "a.py").write_text("satu", encoding="utf-8")
    (package / "sub" / "b.j2").write_text("dua", encoding="utf-8")
    hashed: list[Path] = []
    real = folder_digest

    def counted(folder: Path) -> str:
        hashed.append(folder)
        return real(folder)

    monkeypatch.setattr(run_memo, "folder_digest", counted)
    first = run_memo.package_digest(package, kept)
    assert first == real(package) and not kept.exists()  # just written: not kept
    old = (1_700_000_000, 1_700_000_000)
    for path in (package / "a.py", package / "sub" / "b.j2"):
        os.utime(path, old)
    assert run_memo.package_digest(package, kept) == first and kept.is_file()
    assert run_memo.package_digest(package, kept) == first and len(hashed) == 2  # from the kept file
    (package / "a.py").write_text("SATU", encoding="utf-8")
    os.utime(package / "a.py", old)
    assert run_memo.package_digest(package, kept) == real(package) != first and len(hashed) == 3
    kept.write_text("{", encoding="utf-8")
    assert run_memo.package_digest(package, kept) == real(package) and len(hashed) == 4


# ---- notices -------------------------------------------------------------------------------------

from tests.test_notify import Inbox, certificate, smtp  # noqa: E402  (fixtures of the SMTP server)

__all__ = ["certificate", "smtp"]


@pytest.mark.parametrize("smtp", ["starttls"], indirect=True)
def test_notices_are_sent_exactly_as_without_the_memo(
        smtp: tuple[Inbox, dict[str, str]], office: Office, reviews: list[str],
        monkeypatch: pytest.MonkeyPatch) -> None:
    inbox, env = smtp
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    monkeypatch.setenv("DIP_SMTP_PASSWORD", "wrong")
    roles = {s.Role.DESK: ("desk@kantor.example",), s.Role.PPID: ("ppid@kantor.example",),
             s.Role.UNIT: ("unit@kantor.example",)}
    office = Office(dataclasses.replace(office.config, roles=roles))
    office.sync()
    office.sync()  # nothing to write, but the notices failed: no memo, the next sync tries again
    assert inbox.mails == [] and not run_memo.memo_path(office.config, "sync").exists()
    monkeypatch.setenv("DIP_SMTP_PASSWORD", env["DIP_SMTP_PASSWORD"])
    office.sync()
    sent = len(inbox.mails)
    assert sent and not run_memo.memo_path(office.config, "sync").exists()  # the memory changed
    office.sync()  # full: nothing new to send, the memo is recorded
    office.sync()
    assert len(inbox.mails) == sent and reviews.count("sync") == 4
    (office.config.state_dir / SENT_FILE).unlink()  # the memory lost: everything is sent again
    office.sync()
    assert len(inbox.mails) == 2 * sent and reviews.count("sync") == 5


# ---- the publish ---------------------------------------------------------------------------------


@pytest.fixture
def published(office: Office, reviews: list[str]) -> tuple[Office, list[Message]]:
    """The office published, then published again unchanged (that run records the memo)."""
    office.publish()
    said: list[Message] = []
    assert office.publish(progress=said.append).status == "unchanged"
    assert run_memo.memo_path(office.config, "publish").is_file()
    reviews.clear()
    return office, said


def test_an_unchanged_publish_reviews_and_renders_nothing(
        published: tuple[Office, list[Message]], reviews: list[str], monkeypatch: pytest.MonkeyPatch) -> None:
    office, said = published
    full_run = office.publish()
    rendered: list[int] = []
    monkeypatch.setattr("dip_sheets.publish_plan.render_digest", lambda *a, **k: rendered.append(1))
    heard: list[Message] = []
    again = office.publish(progress=heard.append)
    assert not full(reviews) and not rendered
    assert again.summary() == full_run.summary() and heard == said
    assert again.status == "unchanged" and again.sync is not None
    assert sync_lines(again.sync) == sync_lines(full_run.sync)  # type: ignore[arg-type]


def test_a_site_changed_behind_its_back_makes_a_full_publish(
        published: tuple[Office, list[Message]], reviews: list[str]) -> None:
    office, _ = published
    site = office.config.publish.folder
    (site / "dip.json").unlink()  # someone removed a live file
    result = office.publish()
    assert full(reviews) and result.status == "published"


def test_a_foreign_file_beside_the_list_makes_a_full_publish(
        published: tuple[Office, list[Message]], reviews: list[str]) -> None:
    office, _ = published
    (office.config.publish.folder / "pengumuman.html").write_text("<p>bukan dari dip-sheets</p>")
    assert office.publish().status == "unchanged" and full(reviews)


def test_the_templates_are_an_input_of_the_publish(
        published: tuple[Office, list[Message]], reviews: list[str], tmp_path: Path) -> None:
    office, _ = published
    templates = tmp_path / "templat"
    templates.mkdir()
    (templates / "catatan.txt").write_text("satu", encoding="utf-8")
    config = office.config
    custom = Office(dataclasses.replace(
        config, publish=dataclasses.replace(config.publish, templates=templates)))
    custom.publish()
    custom.publish()
    reviews.clear()
    custom.publish()
    assert not full(reviews)
    (templates / "catatan.txt").write_text("dua", encoding="utf-8")
    custom.publish()
    assert full(reviews)


def _without_decisions(office: Office, clock: Clock) -> None:
    clock.now = NOW.replace(year=dt.date.today().year + 1, month=1, day=5)


def _blocked_row(office: Office, clock: Clock) -> None:
    """A row arrives established by the PPID but without its link: it cannot go live as it is."""
    add_rows(WorkbookRegister(office.config.register.path), [established("E", **{s.LINK: ""})])


def _foreign_file(office: Office, clock: Clock) -> None:
    """Someone put their own page where the list's page is published."""
    page = office.config.publish.folder / "index.html"
    page.unlink()
    page.write_text("<p>bukan dari dip-sheets</p>", encoding="utf-8")


def _emptied(office: Office, clock: Clock) -> None:
    """Every established row sent back for revision: nothing left to publish."""
    _edit_cells(office, lambda row: row[s.STEP3] == s.ESTABLISHED, {s.STEP3: s.NEEDS_REVISION})


def _edit_cells(office: Office, which: Callable[[dict[str, Any]], bool], cells: dict[str, Any]) -> None:
    path = office.config.register.path
    book = openpyxl.load_workbook(path)
    sheet = book[s.DIP_TAB]
    header = [c.value for c in sheet[1]]
    for row in sheet.iter_rows(min_row=2):
        values = dict(zip(header, (c.value for c in row), strict=False))
        if values.get(s.TITLE) and which(values):
            for name, value in cells.items():
                row[header.index(name)].value = value
    book.save(path)


@pytest.mark.parametrize(("change", "refusal"), [
    pytest.param(_without_decisions, ConfigError, id="year without a Keputusan"),
    pytest.param(_blocked_row, PublishFailed, id="blocked row"),
    pytest.param(_foreign_file, ConfigError, id="foreign file"),
    pytest.param(_emptied, PublishFailed, id="emptying the list"),
])
def test_what_a_publish_refuses_is_still_refused_after_a_memo(
        published: tuple[Office, list[Message]], reviews: list[str], clock: Clock,
        change: Callable[[Office, Clock], None], refusal: type[DipError]) -> None:
    office, _ = published
    assert office.publish().status == "unchanged" and not full(reviews)
    change(office, clock)
    with pytest.raises(refusal):
        office.publish()
    assert run_memo.memo_path(office.config, "publish").is_file()  # kept, but it did not answer


def test_a_dry_run_publish_neither_uses_nor_writes_the_memo(
        published: tuple[Office, list[Message]], reviews: list[str]) -> None:
    office, _ = published
    memo = run_memo.memo_path(office.config, "publish")
    memo.unlink()
    assert office.publish(dry_run=True).status == "unchanged"
    assert full(reviews) and not memo.exists()


def test_the_digests_are_the_same_in_every_interpreter(
        published: tuple[Office, list[Message]], tmp_path: Path) -> None:
    """Each ``dip`` run is a new interpreter with its own hash seed: a set's order must not count."""
    script = ("import sys; from dip_sheets import run_memo; from dip_sheets.config import load_configs;"
              " from dip_sheets.connect import open_target; from tests.conftest import NOW;"
              " c = load_configs(__import__('pathlib').Path(sys.argv[1]))[0];"
              " print(run_memo.inputs(c, NOW), run_memo.site_digest(open_target(c)))")
    seen = {subprocess.run([sys.executable, "-c", script, str(tmp_path / "dip.toml")], check=True,
                           capture_output=True, text=True, cwd=Path(__file__).parent.parent,
                           env={**os.environ, "PYTHONHASHSEED": seed}).stdout
            for seed in ("1", "2", "3")}
    assert len(seen) == 1 and "None" not in next(iter(seen))


KILLED_WHILE_RECORDING = """
import os, signal, sys
from pathlib import Path
from dip_sheets import row_watch, run_memo
from dip_sheets.config import load_configs
from dip_sheets.office import Office
real = run_memo.write_atomic

def dying(path, data):  # the memo's temporary file is written whole, the rename never happens
    os.replace = lambda *args: os.kill(os.getpid(), signal.SIGKILL)
    real(path, data)

run_memo.write_atomic = dying
office = Office(load_configs(Path(sys.argv[1]))[0])
office.sync()
office.sync()
"""


def test_a_run_killed_while_recording_the_memo_leaves_a_full_run_next(
        office: Office, reviews: list[str], tmp_path: Path) -> None:
    settled(office, reviews)
    memo = run_memo.memo_path(office.config, "sync")
    before = memo.read_bytes()
    _edit_register(office)
    done = subprocess.run([sys.executable, "-c", KILLED_WHILE_RECORDING, str(tmp_path / "dip.toml")],
                          cwd=Path(__file__).parent.parent, capture_output=True, check=False)
    assert done.returncode == -9 and memo.read_bytes() == before  # the old memo, whole
    again = office.sync()  # the old memo is of other inputs: a full sync, which records a new one
    assert full(reviews) and again.applied is None and again.summary()["rows_read"] == 4
    assert memo.read_bytes() != before
    assert office.sync().summary() == again.summary() and not full(reviews)
