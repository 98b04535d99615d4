"""The ``dip`` command end to end on the embedded default, through the CLI as a person runs it."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from dip_sheets import demo
from dip_sheets import schema as s
from dip_sheets.cli import main
from tests.conftest import add_rows, established

ROOT = Path(__file__).resolve().parent.parent

def demo_published(folder: Path) -> set[str]:
    """The sample rows that are established and valid (see dip_sheets/demo.py for the mistakes), by
    their place in the sample as the demo in ``folder`` dates it."""
    rows = demo.sample_dip(demo.demo_config(folder).now().date())
    return {str(rows[i][s.TITLE]) for i in (0, 1, 2, 3, 4, 5, 7, 8, 10, 11, 12)}


def run_json(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, dict[str, object]]:
    code = main([*argv, "--json"])
    out = capsys.readouterr().out
    return code, json.loads(out)


def test_demo_publishes_exactly_the_established_valid_rows(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, summary = run_json(capsys, "demo", "--folder", str(tmp_path / "demo"))
    assert code == 0
    site = tmp_path / "demo" / "situs"
    published = json.loads((site / "dip.json").read_text(encoding="utf-8"))
    expected = demo_published(tmp_path / "demo")
    assert {i["judul"] for i in published["item"]} == expected and len(expected) == 11
    assert "Profil KPU Kabupaten Contoh" in expected and "Daftar Barang Milik Negara (BMN)" in expected
    index = (site / "index.html").read_text(encoding="utf-8")
    for title in expected:
        assert title in index or title.replace("&", "&amp;") in index
    for not_published in ("Data Pribadi Anggota KPPS", "Agenda Surat Masuk", "Materi Sosialisasi",
                          "Rekapitulasi Daftar Pemilih Tetap", "Dokumen Pengadaan Logistik",
                          "Laporan Realisasi Anggaran"):
        assert not_published not in index
    sync = summary["sync"]
    assert isinstance(sync, dict) and sync["rows_read"] == 20 and len(sync["problems"]) == 7
    # running the demo again reuses the register: nothing changes, nothing is uploaded
    code, again = run_json(capsys, "demo", "--folder", str(tmp_path / "demo"))
    assert code == 0
    assert again["publish"]["status"] == "unchanged"  # type: ignore[index]
    assert again["sync"]["cells_written"] == 0  # type: ignore[index]


def write_config(tmp_path: Path, extra: str = "") -> Path:
    path = tmp_path / "dip.toml"
    path.write_text(
        '[register]\npath = "register.xlsx"\n[publish]\nfolder = "situs"\n' + extra, encoding="utf-8")
    return path


def test_init_sync_status_publish_through_the_cli(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    config = write_config(tmp_path)
    assert main(["init", "--local", str(tmp_path / "register.xlsx"), "--config", str(config)]) == 0
    from dip_sheets.register.workbook import WorkbookRegister

    register = WorkbookRegister(tmp_path / "register.xlsx")
    add_rows(register, [established("A"), established("B", **{s.LINK: ""})])
    capsys.readouterr()
    code, dry = run_json(capsys, "sync", "--config", str(config), "--dry-run")
    assert code == 0 and dry["dry_run"] is True and dry["cells_written"] == 0
    code, done = run_json(capsys, "sync", "--config", str(config))
    assert code == 0 and done["ids_assigned"] == ["DIP-0001", "DIP-0002"]
    assert list(done["problems"]) == ["DIP-0002"]  # type: ignore[call-overload]
    code, report = run_json(capsys, "status", "--config", str(config))
    assert code == 0 and [b["id"] for b in report["blockers"]] == ["DIP-0002"]  # type: ignore[attr-defined]
    code, refused = run_json(capsys, "publish", "--config", str(config))
    assert code == 1 and "--force" in str(refused["error"])
    code, published = run_json(capsys, "publish", "--config", str(config), "--force", "--by", "Ibu PPID")
    assert code == 0 and published["status"] == "published"
    assert (tmp_path / "situs" / "index.html").exists()
    code, rolled = run_json(capsys, "publish", "--config", str(config), "--rollback")
    assert code == 1 and "sebelumnya" in str(rolled["error"])


def test_exit_code_2_for_configuration_and_layout(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["sync", "--config", str(tmp_path / "none.toml")]) == 2
    assert main(["sync", "--config", str(write_config(tmp_path, "[tidak_dikenal]\nx = 1\n"))]) == 2
    bad = tmp_path / "bad.toml"
    bad.write_text("[register\n", encoding="utf-8")
    assert main(["sync", "--config", str(bad)]) == 2
    err = capsys.readouterr().err
    assert "tidak ditemukan" in err and "bagian tidak dikenal" in err and "bukan TOML" in err
    config = write_config(tmp_path)
    assert main(["init", "--local", str(tmp_path / "register.xlsx"), "--config", str(config)]) == 0
    import openpyxl

    book = openpyxl.load_workbook(tmp_path / "register.xlsx")
    book[s.DIP_TAB].cell(1, 4).value = "Judul"
    book.save(tmp_path / "register.xlsx")
    capsys.readouterr()
    assert main(["sync", "--config", str(config), "--lang", "en"]) == 2
    assert "column 'Judul Informasi' not found" in capsys.readouterr().err


def test_exit_code_3_while_the_workbook_is_open(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    config = write_config(tmp_path)
    assert main(["init", "--local", str(tmp_path / "register.xlsx"), "--config", str(config)]) == 0
    (tmp_path / ".~lock.register.xlsx#").write_text("x")
    assert main(["sync", "--config", str(config)]) == 3
    assert "sedang dibuka" in capsys.readouterr().err


def test_several_registers_need_a_choice(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "dip.toml"
    path.write_text('[[register]]\nname = "a"\npath = "a.xlsx"\npublish = { folder = "situs-a" }\n'
                    '[[register]]\nname = "b"\npath = "b.xlsx"\npublish = { folder = "situs-b" }\n',
                    encoding="utf-8")
    assert main(["sync", "--config", str(path)]) == 2
    assert "--register" in capsys.readouterr().err
    assert main(["init", "--config", str(path), "--register", "a"]) == 0
    capsys.readouterr()
    code = main(["sync", "--config", str(path), "--all", "--json"])
    out = json.loads(capsys.readouterr().out)
    assert code == 2  # b has no workbook yet: reported, and a still ran
    assert [r["register"] for r in out["registers"]] == ["a", "b"]
    assert "error" not in out["registers"][0] and out["registers"][1]["exit_code"] == 2


def test_python_dash_m_and_version() -> None:
    done = subprocess.run([sys.executable, "-m", "dip_sheets", "--version"], capture_output=True, text=True,
                          check=True)
    assert done.stdout.startswith("dip-sheets ")


def readme_commands() -> list[str]:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    return re.findall(r"^\s*(scripts/\S+.*)$", text, flags=re.MULTILINE)


def test_readme_starts_with_the_two_commands_and_ci_runs_the_test_one() -> None:
    commands = readme_commands()
    assert commands[:2] == ["scripts/demo", "scripts/test"]
    assert "bash scripts/test" in (ROOT / ".ci" / "run").read_text(encoding="utf-8")


def test_readme_demo_command_works(tmp_path: Path) -> None:
    """Runs the README's first command as written (reusing the installed venv)."""
    env = {**os.environ, "PYTHON": sys.executable}
    done = subprocess.run(["bash", str(ROOT / "scripts" / "demo"), "--folder", str(tmp_path / "d")],
                          capture_output=True, text=True, env=env, cwd=tmp_path, timeout=300)
    assert done.returncode == 0, done.stderr
    assert "index.html" in done.stdout
    assert (tmp_path / "d" / "situs" / "index.html").exists()


def test_the_example_configuration_is_valid() -> None:
    from dip_sheets.config import load_configs

    [config] = load_configs(ROOT / "dip.example.toml")
    assert config.register.backend == "workbook" and len(config.units) == 5


def test_every_documented_key_in_the_example_is_understood(tmp_path: Path) -> None:
    """Uncomment the optional keys of dip.example.toml: each must be a key the reader knows."""
    from dip_sheets.config import load_configs

    text = (ROOT / "dip.example.toml").read_text(encoding="utf-8")
    single, _, _multi = text.partition("# Beberapa kantor")
    uncommented = re.sub(r"^# (\[publish\.sftp\]|\[roles\]|[a-z_]+ = )", r"\1", single, flags=re.MULTILINE)
    assert uncommented.count("\n[") >= single.count("\n[") + 2
    path = tmp_path / "dip.toml"
    path.write_text(uncommented.replace('target = "folder"', 'target = "sftp"'), encoding="utf-8")
    [config] = load_configs(path)
    assert config.publish.sftp is not None and config.publish.sftp.reconnects == 3
    assert config.register.quota_per_window == 60 and config.roles


def test_demo_never_touches_a_folder_it_did_not_make(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = tmp_path / "dokumen"
    folder.mkdir()
    (folder / "surat.docx").write_bytes(b"milik staf")
    for fresh in (["--fresh"], []):
        assert main(["demo", "--folder", str(folder), *fresh]) == 2
        assert "bukan folder contoh" in capsys.readouterr().err
    assert [p.name for p in folder.iterdir()] == ["surat.docx"]
    assert (folder / "surat.docx").read_bytes() == b"milik staf"


def test_demo_fresh_removes_only_the_demo_files(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    folder = tmp_path / "demo"
    assert main(["demo", "--folder", str(folder)]) == 0
    (folder / "catatan-saya.txt").write_text("jangan dihapus")
    elsewhere = tmp_path / "situs-lain"
    elsewhere.mkdir()
    (elsewhere / "index.html").write_text("situs kantor")
    site = folder / "situs"
    shutil.rmtree(site)
    site.symlink_to(elsewhere)  # a link where the demo's site was: removed as a link, not followed
    capsys.readouterr()
    code, summary = run_json(capsys, "demo", "--folder", str(folder), "--fresh")
    assert code == 0 and summary["sync"]["ids_assigned"]  # type: ignore[index]  # a new register
    assert (folder / "catatan-saya.txt").read_text() == "jangan dihapus"
    assert (elsewhere / "index.html").read_text() == "situs kantor"
    assert not site.is_symlink() and (site / "index.html").exists()
