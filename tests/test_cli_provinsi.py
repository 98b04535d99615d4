"""`dip provinsi` from the command line: the province's grid is written even when no office answers,
and that case exits 3 with an Indonesian line per unreachable office."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from dip_sheets.cli import main


def config(tmp_path: Path) -> Path:
    path = tmp_path / "provinsi.toml"
    path.write_text('[province]\nname = "KPU Provinsi Uji"\noutput = "hasil"\ntimeout = 2\n\n'
                    '[[office]]\nname = "KPU Kabupaten Sunyi"\ncode = "3299"\n'
                    'url = "http://127.0.0.1:9/dip/"\n', encoding="utf-8")
    return path


def test_no_office_answering_exits_3_and_still_writes_the_grid(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["provinsi", "--config", str(config(tmp_path))]) == 3
    captured = capsys.readouterr()
    assert "3299 KPU Kabupaten Sunyi: tidak terjangkau" in captured.err
    assert (tmp_path / "hasil" / "kepatuhan.html").exists()
    assert "KPU Kabupaten Sunyi" in (tmp_path / "hasil" / "kepatuhan.csv").read_text(encoding="utf-8-sig")


def test_options_before_the_command_and_json_in_english(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["--lang", "en", "--json", "--config", str(config(tmp_path)), "provinsi"]) == 3
    captured = capsys.readouterr()
    assert "unreachable" in captured.err
    assert json.loads(captured.out)["exit_code"] == 3
