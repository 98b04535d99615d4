"""``dip.toml``: every wrong value is a ConfigError (exit 2) naming section, key and type, never a
traceback; URLs are http(s) only; register names are safe file-name parts; a refused secret is never
echoed; two registers sharing a register or a publish target are refused at load."""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from dataclasses import Field, fields
from pathlib import Path
from typing import Any

import pytest

from dip_sheets.cli import main
from dip_sheets.config import PublicBody, PublishSettings, RegisterSettings, load_configs
from dip_sheets.config_values import SECRET_KEYS
from dip_sheets.errors import ConfigError
from dip_sheets.targets.sftp import SftpSettings

SFTP_OK = {"host": "ppid.example.go.id", "username": "dip", "key_file": "kunci",
           "known_hosts": "known_hosts", "remote_dir": "/var/www/dip"}


def toml(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)  # inf and nan are TOML too
    if isinstance(value, list):
        return "[" + ", ".join(toml(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{ " + ", ".join(f"{k} = {toml(v)}" for k, v in value.items()) + " }"
    return json.dumps(value)


def write(path: Path, sections: Mapping[str, Mapping[str, object]], top: str = "") -> Path:
    lines = [top]
    for name, values in sections.items():
        lines.append(f"[{name}]")
        lines += [f"{key} = {toml(value)}" for key, value in values.items()]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def refused(path: Path) -> ConfigError:
    with pytest.raises(ConfigError) as caught:
        load_configs(path)
    assert caught.value.exit_code == 2
    return caught.value


# ---- every key, every wrong type: generated from the settings dataclasses ------------------------

SECTIONS: dict[str, type[Any]] = {
    "office": PublicBody, "register": RegisterSettings, "publish": PublishSettings,
    "publish.sftp": SftpSettings,
}
WRONG: dict[str, list[object]] = {
    "str": [1, True, ["a"], {"a": 1}, 2.5],
    "Path": [1, False, ["a"], {"a": 1}],
    "int": ["30", 1.5, True, [1], {"a": 1}, -1],
    "float": ["30", True, [1.0], {"a": 1}, -1, float("inf"), float("nan")],
    "Literal": [1, "lain", True, ["folder"]],
    "tuple[str, ...]": ["UU 14/2008", 1, True, [], [1], ["UU 14/2008", " "], {"a": 1}],
    "bool": ["true", 1, [True], {"a": 1}],
}
EXPECTED = {"str": "teks", "Path": "path", "int": "bilangan bulat", "float": "angka", "Literal": "salah satu",
            "tuple[str, ...]": "daftar teks", "bool": "true atau false"}


def kind(field: Field[Any]) -> str | None:
    annotation = str(field.type).replace(" | None", "")
    if annotation.startswith("Literal["):
        return "Literal"
    return annotation if annotation in WRONG else None


def cases() -> Iterator[tuple[str, str, str, object]]:
    for section, cls in SECTIONS.items():
        for field in fields(cls):
            if (k := kind(field)) is not None:
                for value in WRONG[k]:
                    yield section, field.name, k, value


def sections_with(section: str, key: str, value: object) -> dict[str, dict[str, object]]:
    chosen: dict[str, dict[str, object]] = {"publish": {"target": "sftp"}, "publish.sftp": dict(SFTP_OK)}
    chosen.setdefault(section, {})[key] = value
    return chosen


def test_the_generated_cases_cover_every_settings_field() -> None:
    covered = {(section, key) for section, key, _, _ in cases()}
    for section, cls in SECTIONS.items():
        for field in fields(cls):
            if field.name != "sftp":  # the [publish.sftp] table itself
                assert (section, field.name) in covered, (section, field.name)


@pytest.mark.parametrize(("section", "key", "kind_", "value"), list(cases()),
                         ids=[f"{c[0]}.{c[1]}={c[3]!r}" for c in cases()])
def test_every_key_with_a_wrong_type_is_a_config_error_naming_it(
    tmp_path: Path, section: str, key: str, kind_: str, value: object
) -> None:
    error = refused(write(tmp_path / "dip.toml", sections_with(section, key, value)))
    text, english = error.message("id"), error.message("en")
    assert f"[{section}] {key}:" in text and f"[{section}] {key}:" in english
    negative = isinstance(value, int | float) and not isinstance(value, bool) and value < 0
    if not negative and value == value and value not in (float("inf"),):
        assert EXPECTED[kind_] in text, text
    if key in SECRET_KEYS and isinstance(value, str):
        assert value not in text + english


@pytest.mark.parametrize(("section", "key", "value"), [
    ("register", "quota_per_window", 0), ("register", "timeout", 0), ("register", "timeout", -5),
    ("publish.sftp", "port", 0), ("publish.sftp", "port", 70000), ("publish.sftp", "retries", 0),
    ("publish.sftp", "keepalive", -1), ("publish.sftp", "connect_timeout", 0.0),
])
def test_numbers_out_of_range_are_refused(tmp_path: Path, section: str, key: str, value: object) -> None:
    error = refused(write(tmp_path / "dip.toml", sections_with(section, key, value)))
    assert f"[{section}] {key}:" in error.message("id") and "harus" in error.message("id")


@pytest.mark.parametrize("top", ['name = 1', 'timezone = 7', 'state_dir = ["a"]', 'name = ""',
                                 'timezone = "Mars/Olympus"', 'units = 5', 'roles = []'])
def test_top_level_values_with_a_wrong_type(tmp_path: Path, top: str) -> None:
    key = top.split()[0]
    assert key in refused(write(tmp_path / "dip.toml", {}, top)).message("id")


@pytest.mark.parametrize("entry", ['publish = ["x"]', 'office = "x"', 'register = 5'])
def test_a_list_or_text_where_a_table_belongs(tmp_path: Path, entry: str) -> None:
    path = tmp_path / "dip.toml"
    path.write_text(f'[[register]]\nname = "a"\n{entry}\n' if "register" not in entry else f"{entry}\n",
                    encoding="utf-8")
    assert "tabel" in refused(path).message("id")


# ---- names that become file names ---------------------------------------------------------------

@pytest.mark.parametrize("name", ["a/b", "..", "../luar", "a\\b", "", " ", "a\x1bb", "\x00", ".tersembunyi",
                                  "x" * 65, "a..b", "baris\nbaru"])
def test_unsafe_register_names_are_refused(tmp_path: Path, name: str) -> None:
    path = tmp_path / "dip.toml"
    path.write_text(f"[[register]]\nname = {json.dumps(name)}\npath = \"a.xlsx\"\n", encoding="utf-8")
    error = refused(path)
    assert "nama register" in error.message("id") and "register name" in error.message("en")
    assert not any(c in error.message("id") for c in "\x1b\x00\n")


@pytest.mark.parametrize("name", ["serang", "kab-serang_01", "Kab. Serang (2)", "Kota Cilegon"])
def test_ordinary_register_names_are_accepted(tmp_path: Path, name: str) -> None:
    path = tmp_path / "dip.toml"
    path.write_text(f"[[register]]\nname = {json.dumps(name)}\npath = \"a.xlsx\"\n", encoding="utf-8")
    assert [c.name for c in load_configs(path)] == [name]


# ---- URLs --------------------------------------------------------------------------------------

@pytest.mark.parametrize("url", ["javascript:alert(1)", "JaVaScRiPt:alert(1)", "data:text/html,x", "ftp://x.id",
                                 "//x.id/dip", "https://", "http://a b.id", "ppid.kpu.go.id", " https://x.id"])
@pytest.mark.parametrize(("section", "key"), [("publish", "base_url"), ("office", "website")])
def test_urls_from_the_configuration_are_http_only(tmp_path: Path, url: str, section: str, key: str) -> None:
    error = refused(write(tmp_path / "dip.toml", {section: {key: url}}))
    assert f"[{section}] {key}:" in error.message("id") and "http://" in error.message("id")


@pytest.mark.parametrize(("key", "value"), [("color", "red;}body{x"), ("color", "#12"),
                                            ("email", "a@b.id\" onclick=\"x"), ("email", "bukan email")])
def test_office_values_that_reach_a_page_are_checked(tmp_path: Path, key: str, value: str) -> None:
    assert f"[office] {key}:" in refused(write(tmp_path / "dip.toml", {"office": {key: value}})).message("id")


def test_good_values_load(tmp_path: Path) -> None:
    path = write(tmp_path / "dip.toml", {
        "office": {"website": "https://ppid.kpu-contohkab.go.id", "color": "#abc", "email": "ppid@x.go.id"},
        "publish": {"base_url": "http://localhost:8000/dip/", "target": "sftp"},
        "publish.sftp": {**SFTP_OK, "key_passphrase_env": "DIP_KEY_PASSPHRASE", "port": 2222},
        "register": {"timeout": 5, "quota_per_window": 1},
    })
    config = load_configs(path)[0]
    assert config.register.timeout == 5.0 and isinstance(config.register.timeout, float)
    assert config.publish.sftp is not None and config.publish.sftp.port == 2222


def test_the_example_configuration_loads() -> None:
    load_configs(Path(__file__).parents[1] / "dip.example.toml")


# ---- secrets typed into the wrong field ----------------------------------------------------------

KEY_TEXT = ("-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAABG5vbmU\n"
            "-----END OPENSSH PRIVATE KEY-----\n")
SERVICE_JSON = json.dumps({
    "type": "service_account", "private_key_id": "9f8e7d6c5b4a",
    "private_key": "-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBgkq\n-----END PRIVATE KEY-----\n",
})


@pytest.mark.parametrize(("section", "key", "secret"), [
    ("publish.sftp", "key_passphrase_env", "kuda lumping 2024!"),
    ("publish.sftp", "key_passphrase_env", "Rahasia#Sekali"),
    ("publish.sftp", "key_file", KEY_TEXT),
    ("register", "credentials", SERVICE_JSON),
    ("register", "credentials", '{"type": "service_account"}'),
    ("publish", "base_url", "ghp_Zq8Xk2LmN4pR7sT1vW3yA5bC9dE0fG"),
    ("office", "color", "s3cr3t-P4ssw0rd-th4t-is-l0ng"),
])
def test_a_refused_secret_is_never_echoed(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], section: str, key: str, secret: str
) -> None:
    path = write(tmp_path / "dip.toml", sections_with(section, key, secret))
    error = refused(path)
    said = error.message("id") + error.message("en")
    assert f"[{section}] {key}:" in said
    for part in [secret, *secret.split()]:
        if len(part) >= 6:
            assert part not in said and part.replace("\n", "\\n") not in said
    assert main(["sync", "--config", str(path)]) == 2
    err = capsys.readouterr().err
    assert all(part not in err for part in secret.split() if len(part) >= 6)
    assert "Traceback" not in err


# ---- two registers on one register or one publish target ---------------------------------------

def registers(*entries: str, top: str = "") -> str:
    return top + "".join(f'[[register]]\n{entry}\n' for entry in entries)


@pytest.mark.parametrize("text", [
    registers('name = "a"\npath = "r.xlsx"\npublish = { folder = "s1" }',
              'name = "b"\npath = "./sub/../r.xlsx"\npublish = { folder = "s2" }'),
    registers('name = "a"\nbackend = "sheets"\nspreadsheet_id = "1AbCdEfGhIjK"\npublish = { folder = "s1" }',
              'name = "b"\nbackend = "sheets"\nspreadsheet_id = "1AbCdEfGhIjK"\npublish = { folder = "s2" }'),
    registers('name = "a"\npath = "a.xlsx"', 'name = "b"\npath = "b.xlsx"',
              top='[publish]\nfolder = "situs"\n'),
    registers('name = "a"\npath = "a.xlsx"\npublish = { folder = "situs" }',
              'name = "b"\npath = "b.xlsx"\npublish = { folder = "situs/" }'),
    registers(
        'name = "a"\npath = "a.xlsx"\npublish = { target = "sftp", sftp = { host = "Web.Example.id",'
        ' username = "u", key_file = "k", known_hosts = "h", remote_dir = "/var/www/dip/" } }',
        'name = "b"\npath = "b.xlsx"\npublish = { target = "sftp", sftp = { host = "web.example.id",'
        ' port = 22, username = "v", key_file = "k", known_hosts = "h", remote_dir = "/var/www/./dip" } }'),
])
def test_two_registers_sharing_a_register_or_a_target_are_refused(tmp_path: Path, text: str) -> None:
    path = tmp_path / "dip.toml"
    path.write_text(text, encoding="utf-8")
    error = refused(path)
    assert "'a'" in error.message("id") and "'b'" in error.message("id")
    assert "saling menimpa" in error.message("id")


def test_registers_with_their_own_register_and_target_load(tmp_path: Path) -> None:
    path = tmp_path / "dip.toml"
    path.write_text(registers(
        'name = "a"\npath = "a.xlsx"\npublish = { folder = "s1" }',
        'name = "b"\npath = "b.xlsx"\npublish = { folder = "s2" }',
        'name = "c"\npath = "c.xlsx"\npublish = { target = "sftp", sftp = { host = "h", username = "u",'
        ' key_file = "k", known_hosts = "kh", remote_dir = "/a" } }',
        'name = "d"\npath = "d.xlsx"\npublish = { target = "sftp", sftp = { host = "h", port = 2222,'
        ' username = "u", key_file = "k", known_hosts = "kh", remote_dir = "/a" } }',
    ), encoding="utf-8")
    assert [c.name for c in load_configs(path)] == ["a", "b", "c", "d"]


def test_a_wrong_config_value_exits_2_through_the_cli(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write(tmp_path / "dip.toml", {"office": {"color": 1}})
    assert main(["sync", "--config", str(path)]) == 2
    err = capsys.readouterr().err
    assert "[office] color:" in err and err.count("\n") == 1
