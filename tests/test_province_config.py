"""``provinsi.toml``: the example loads; every mistake is a ConfigError (exit 2) saying what to fix."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from dip_sheets.errors import ConfigError
from dip_sheets.province_config import load_province_config

ROOT = Path(__file__).resolve().parent.parent
GOOD = """
[province]
name = "KPU Provinsi Contoh"
output = "keluaran"

[[office]]
name = "KPU Kabupaten Contoh"
code = "3201"
url = "https://ppid.kpu-contohkab.go.id/dip"
"""


def load(tmp_path: Path, text: str) -> None:
    path = tmp_path / "provinsi.toml"
    path.write_text(text, encoding="utf-8")
    load_province_config(path)


def test_the_example_loads_with_paths_relative_to_the_file() -> None:
    config = load_province_config(ROOT / "provinsi.example.toml")
    assert config.output == ROOT / "provinsi-situs" and len(config.offices) >= 2
    assert all(o.url.endswith("/") for o in config.offices)


def test_defaults_and_the_url_given_without_its_last_slash(tmp_path: Path) -> None:
    path = tmp_path / "provinsi.toml"
    path.write_text(GOOD, encoding="utf-8")
    config = load_province_config(path)
    assert config.offices[0].url == "https://ppid.kpu-contohkab.go.id/dip/"
    assert (config.timeout, config.concurrency, config.verify) == (20.0, 8, True)
    assert config.state_dir == tmp_path / ".keluaran-data"
    assert config.now().utcoffset() == dt.timedelta(hours=7)  # WIB unless [province] timezone says


@pytest.mark.parametrize(("text", "says"), [
    (GOOD.replace('output = "keluaran"', 'output = "keluaran"\nwaktu = 3'),
     "kunci waktu di [province] tidak dikenal"),
    (GOOD.replace("https://ppid.kpu-contohkab.go.id/dip", "javascript:alert(1)"), "harus alamat http:// atau https://"),
    (GOOD.replace('code = "3201"', 'code = "../32"'), "code '../32' hanya boleh huruf"),
    (GOOD + GOOD[GOOD.index("[[office]]"):], "code '3201' dipakai dua kantor"),
    (GOOD[:GOOD.index("[[office]]")], "belum ada kantor"),
    (GOOD.replace('name = "KPU Provinsi Contoh"\n', ""), "[province] name wajib diisi"),
    (GOOD.replace('output = "keluaran"', 'output = "keluaran"\nconcurrency = 2.5'),
     "concurrency harus bilangan bulat antara 1 dan 64"),
    (GOOD.replace('output = "keluaran"', 'output = "keluaran"\ntimeout = 0'),
     "timeout harus angka antara 1 dan 300"),
    (GOOD.replace('output = "keluaran"', 'output = "keluaran"\nca_bundle = "tidak-ada.pem"'),
     "ca_bundle 'tidak-ada.pem' tidak ada"),
    ("[province\n", "bukan TOML yang sah"),
    (GOOD.replace('output = "keluaran"', 'output = "keluaran"\ntimezone = "Asia/Bandung"'),
     "timezone 'Asia/Bandung' tidak dikenal"),
])
def test_mistakes_are_named_in_indonesian_with_exit_code_2(tmp_path: Path, text: str, says: str) -> None:
    with pytest.raises(ConfigError) as caught:
        load(tmp_path, text)
    assert says in caught.value.message("id")
    assert caught.value.message("en") != caught.value.message("id")
    assert caught.value.exit_code == 2


def test_a_missing_file_says_to_copy_the_example(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"salin provinsi\.example\.toml"):
        load_province_config(tmp_path / "provinsi.toml")
