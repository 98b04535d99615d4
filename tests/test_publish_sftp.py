"""Publishing over SFTP to a real OpenSSH server (tests/plugins/sshd.py), end to end.

The remote folder is on this machine, so every check reads what the server really holds: the live
files must always be whole files of one complete archived version, whatever breaks on the way.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import subprocess
import time
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import paramiko
import pytest

from dip_sheets import schema as s
from dip_sheets.cli import main
from dip_sheets.config import Config, PublishSettings, default_config
from dip_sheets.connect import open_target
from dip_sheets.errors import BackendUnavailable, ConfigError, PublishFailed
from dip_sheets.messages import Message
from dip_sheets.publish import ARCHIVE, MANIFEST, PublishResult, publish
from dip_sheets.register import cell_text
from dip_sheets.register.workbook import WorkbookRegister
from dip_sheets.restore import rollback
from dip_sheets.site import CURRENT
from dip_sheets.sync import review
from dip_sheets.targets.sftp import SftpSettings, SftpTarget, SftpWarning
from tests.conftest import NOW, UNITS, add_rows, established, good_row, readable_parts, site_files
from tests.plugins.sshd import SshdServer, drop_during_upload, make_key

LATER = NOW + dt.timedelta(hours=1)
URL = "https://ppid.example.go.id/dip/"
#: text that only rows which must never be published carry
SECRETS = (b"RAHASIA-7391", b"DRAF-5521", b"DITOLAK-8812")


@pytest.fixture
def register(workbook: WorkbookRegister) -> WorkbookRegister:
    add_rows(workbook, [
        established("Profil Badan Publik"),
        established("Laporan Keuangan", **{s.CATEGORY: "Setiap Saat"}),
        established("Data Pribadi Pegawai", **{s.CATEGORY: "Dikecualikan", s.SUMMARY: "RAHASIA-7391"}),
        good_row("Draf Unit", **{s.SUMMARY: "DRAF-5521"}),
        good_row("Ditolak PPID", **{s.STEP1: "Ya", s.STEP2: "Sudah", s.STEP3: "Ditolak",
                                    s.SUMMARY: "DITOLAK-8812"}),
    ])
    return workbook


def sftp_config(sshd: SshdServer, remote: Path, **overrides: Any) -> SftpSettings:
    """Fast timeouts; no reconnection unless a test asks for it."""
    values: dict[str, Any] = {
        "host": sshd.host, "port": sshd.port, "username": sshd.username, "key_file": sshd.client_key,
        "known_hosts": sshd.known_hosts, "remote_dir": str(remote), "connect_timeout": 5.0,
        "io_timeout": 10.0, "retries": 1, "retry_backoff": 0.05, "reconnects": 0, **overrides,
    }
    return SftpSettings(**values)


@pytest.fixture
def config(tmp_path: Path, register: WorkbookRegister, sshd: SshdServer, sftp_root: Path) -> Config:
    base = default_config(tmp_path)
    return replace(
        base,
        register=replace(base.register, path=register.path),
        publish=PublishSettings(target="sftp", base_url=URL, by="PPID Contoh",
                                sftp=sftp_config(sshd, sftp_root)),
    )


def with_sftp(config: Config, **overrides: Any) -> Config:
    assert config.publish.sftp is not None
    return replace(config, publish=replace(config.publish, sftp=replace(config.publish.sftp, **overrides)))


def publish_sftp(config: Config, register: WorkbookRegister, now: dt.datetime,
                 warnings: list[SftpWarning] | None = None,
                 progress: list[Message] | None = None) -> PublishResult:
    target = open_target(config, on_warning=(warnings if warnings is not None else []).append)
    try:
        return publish(config, register, target, now=now, force=True,
                       progress=(progress if progress is not None else []).append)
    finally:
        target.close()


def live_version(root: Path) -> str:
    """The live version, after checking that every live file is that archived version's file."""
    manifest = json.loads((root / MANIFEST).read_bytes())
    version = manifest["version"]
    assert (root / ARCHIVE / version / MANIFEST).read_bytes() == (root / MANIFEST).read_bytes()
    live = {p.name for p in root.iterdir() if p.is_file()}
    assert live == {*manifest["files"], MANIFEST}, "leftovers or missing files in the live folder"
    for name, meta in manifest["files"].items():
        body = (root / name).read_bytes()
        assert body == (root / ARCHIVE / version / name).read_bytes(), name
        assert hashlib.sha256(body).hexdigest() == meta["sha256"], name
    return str(version)


def live_list(root: Path) -> str:
    """The version whose list is live: the live version, or the one a rollback restored."""
    live_version(root)
    manifest = json.loads((root / MANIFEST).read_bytes())
    return str(manifest.get("list_of") or manifest["version"])


def archived(root: Path) -> list[str]:
    return sorted(p.name for p in (root / ARCHIVE).iterdir())


def steps(register: WorkbookRegister) -> dict[str, tuple[str, str]]:
    """Title -> (step 4, step 5) as written in the register."""
    return {
        cell_text(r.values[s.TITLE]): (cell_text(r.values.get(s.STEP4)), cell_text(r.values.get(s.STEP5)))
        for r in review(register.read(), UNITS, NOW).dip
    }


def assert_no_secrets(root: Path) -> None:
    files = site_files(root)
    assert files
    for name, body in files.items():
        for part in readable_parts(body):
            for secret in SECRETS:
                assert secret not in part, (name, secret)


@pytest.fixture
def puts(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, int]]:
    """Every SftpTarget.put as (path, size)."""
    calls: list[tuple[str, int]] = []
    original = SftpTarget.put

    def put(self: SftpTarget, path: str, data: bytes) -> None:
        calls.append((path, len(data)))
        original(self, path, data)

    monkeypatch.setattr(SftpTarget, "put", put)
    return calls


# -- through the CLI ---------------------------------------------------------------------------


def write_toml(path: Path, config: Config) -> Path:
    sftp = config.publish.sftp
    assert sftp is not None

    def q(value: object) -> str:
        return json.dumps(str(value))

    path.write_text(f"""\
[register]
path = {q(config.register.path)}

[publish]
target = "sftp"
base_url = {q(URL)}
by = "PPID Contoh"

[publish.sftp]
host = {q(sftp.host)}
port = {sftp.port}
username = {q(sftp.username)}
key_file = {q(sftp.key_file)}
known_hosts = {q(sftp.known_hosts)}
remote_dir = {q(sftp.remote_dir)}
connect_timeout = 5
io_timeout = 10
retries = 1
retry_backoff = 0.05
reconnects = 2
""")
    return path


def test_cli_publishes_over_sftp_and_records_steps_4_and_5(
    config: Config, register: WorkbookRegister, sftp_root: Path, tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    toml = write_toml(tmp_path / "dip.toml", config)

    assert main(["publish", "--config", str(toml), "--by", "Ibu Ketua PPID"]) == 1  # a blocker
    out = capsys.readouterr()
    assert out.err.startswith("1 baris yang ditetapkan PPID belum dapat diterbitkan: DIP-0003 (baris 4):")
    assert "--force" in out.err and ".." not in out.err
    assert list(sftp_root.iterdir()) == []  # refused before anything was sent

    assert main(["publish", "--config", str(toml), "--by", "Ibu Ketua PPID", "--force"]) == 0
    out = capsys.readouterr()
    assert out.err == ""
    assert "diunggah dan diperiksa: arsip/" in out.out and "kB)" in out.out
    assert "kini tayang" in out.out and "Terbit: versi" in out.out
    version = live_version(sftp_root)
    assert_no_secrets(sftp_root)
    recorded = steps(register)
    for title in ("Profil Badan Publik", "Laporan Keuangan"):
        step4, step5 = recorded[title]
        assert version in step4 and "oleh Ibu Ketua PPID" in step4
        assert version in step5 and URL in step5
    for title in ("Data Pribadi Pegawai", "Draf Unit", "Ditolak PPID"):
        assert recorded[title] == ("", "")

    add_rows(register, [established("Informasi Baru")])
    assert main(["publish", "--config", str(toml), "--force", "--quiet"]) == 0
    out = capsys.readouterr()
    assert out.out == "" and out.err == ""  # --quiet: no progress at all
    assert live_version(sftp_root) != version
    assert b"Informasi Baru" in (sftp_root / "index.html").read_bytes()

    assert main(["publish", "--config", str(toml), "--rollback"]) == 0
    assert live_list(sftp_root) == version


def test_scripts_publish_is_the_one_command(
    config: Config, register: WorkbookRegister, sftp_root: Path, tmp_path: Path
) -> None:
    toml = write_toml(tmp_path / "dip.toml", config)
    script = Path(__file__).resolve().parent.parent / "scripts" / "publish"
    done = subprocess.run([str(script), "--config", str(toml), "--by", "Ibu Ketua PPID", "--force", "--json"],
                          capture_output=True, text=True, cwd=tmp_path, timeout=60)
    assert done.returncode == 0, done.stderr
    summary = json.loads(done.stdout)
    assert summary["status"] == "published" and summary["url"] == URL
    assert live_version(sftp_root) == summary["version"]
    assert "oleh Ibu Ketua PPID" in steps(register)["Profil Badan Publik"][0]


def test_cli_refuses_a_wrong_host_key_before_sending_anything(
    config: Config, register: WorkbookRegister, sftp_root: Path, tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    make_key(tmp_path / "impostor")
    impostor = " ".join((tmp_path / "impostor.pub").read_text().split()[:2])
    known_hosts = tmp_path / "known_hosts"
    assert config.publish.sftp is not None
    known_hosts.write_text(f"[{config.publish.sftp.host}]:{config.publish.sftp.port} {impostor}\n")
    before = register.path.read_bytes()
    toml = write_toml(tmp_path / "dip.toml", with_sftp(config, known_hosts=known_hosts))

    assert main(["publish", "--config", str(toml), "--force"]) == 2
    err = capsys.readouterr().err
    assert "PERINGATAN" in err and "serangan" in err and "ssh-keygen -R" in err
    assert list(sftp_root.iterdir()) == []
    assert register.path.read_bytes() == before  # the register is not even opened

    assert main(["publish", "--config", str(toml), "--force", "--lang", "en"]) == 2
    assert "attack" in capsys.readouterr().err


def test_cli_refuses_a_key_the_server_does_not_know(
    config: Config, sshd: SshdServer, sftp_root: Path, tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    stranger = sshd.new_client_key(authorize=False)
    toml = write_toml(tmp_path / "dip.toml", with_sftp(config, key_file=stranger))
    assert main(["publish", "--config", str(toml), "--force"]) == 2
    err = capsys.readouterr().err
    assert "authorized_keys" in err and f"{stranger}.pub" in err
    assert stranger.read_text() not in err
    assert list(sftp_root.iterdir()) == []


def test_cli_prints_warnings_on_stderr(
    config: Config, sshd: SshdServer, sftp_root: Path, tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    loose = sshd.new_client_key()
    loose.chmod(0o644)
    toml = write_toml(tmp_path / "dip.toml", with_sftp(config, key_file=loose))
    assert main(["publish", "--config", str(toml), "--force"]) == 0
    err = capsys.readouterr().err
    assert err.count(f"chmod 600 {loose}") == 1 and "Peringatan" in err
    live_version(sftp_root)


# -- versions, unchanged, rollback -------------------------------------------------------------


def test_unchanged_republish_uploads_nothing(
    config: Config, register: WorkbookRegister, sftp_root: Path, puts: list[tuple[str, int]]
) -> None:
    first = publish_sftp(config, register, NOW)
    assert first.status == "published" and first.bytes_uploaded == sum(size for _, size in puts)
    before = {p: (p.read_bytes(), p.stat().st_mtime_ns) for p in sftp_root.rglob("*") if p.is_file()}
    puts.clear()
    progress: list[Message] = []
    again = publish_sftp(config, register, LATER, progress=progress)
    assert (again.status, again.version, again.bytes_uploaded) == ("unchanged", first.version, 0)
    assert puts == []
    assert [m.id for m in progress] == [
        f"Tidak ada perubahan sejak versi {first.version}; tidak ada yang diunggah."]
    assert {p: (p.read_bytes(), p.stat().st_mtime_ns) for p in sftp_root.rglob("*") if p.is_file()} == before


def test_changed_publish_then_rollback_to_previous_and_named_version(
    config: Config, register: WorkbookRegister, sftp_root: Path
) -> None:
    first = publish_sftp(config, register, NOW)
    add_rows(register, [established("Informasi Baru")])
    second = publish_sftp(config, register, LATER)
    assert second.status == "published" and second.version != first.version
    assert live_version(sftp_root) == second.version
    assert archived(sftp_root) == [first.version, second.version]
    assert b"Informasi Baru" in (sftp_root / "index.html").read_bytes()
    assert version_in(steps(register)["Informasi Baru"][1]) == second.version
    assert version_in(steps(register)["Profil Badan Publik"][1]) == first.version  # went live then

    published = {p: p.read_bytes() for p in (sftp_root / ARCHIVE).rglob("*") if p.is_file()}
    target = open_target(config)
    try:
        assert rollback(config, target, None, lambda _: None).version == first.version
        assert live_list(sftp_root) == first.version
        assert b"Informasi Baru" not in (sftp_root / "index.html").read_bytes()
        assert rollback(config, target, second.version, lambda _: None).version == second.version
        assert live_list(sftp_root) == second.version
        with pytest.raises(PublishFailed, match="tidak ada di arsip"):
            rollback(config, target, "19990101-000000", lambda _: None)
    finally:
        target.close()
    # each rollback is a new version; the versions published before stay exactly as they were
    assert archived(sftp_root)[:2] == [first.version, second.version] and len(archived(sftp_root)) == 4
    assert {p: p.read_bytes() for p in published} == published


def version_in(stamp: str) -> str:
    return stamp.split("versi ")[1].split(" ")[0]


# -- the connection drops ----------------------------------------------------------------------


def archive_bytes(config: Config, register: WorkbookRegister, now: dt.datetime) -> int:
    """What the next publish will upload into the archive (a dry run over SFTP)."""
    target = open_target(config)
    try:
        result = publish(config, register, target, now=now, force=True, dry_run=True)
    finally:
        target.close()
    return sum(size for _, size in result.files)


def test_connection_killed_mid_upload_leaves_the_live_site_whole_and_a_rerun_completes(
    config: Config, register: WorkbookRegister, sshd: SshdServer, sftp_root: Path
) -> None:
    first = publish_sftp(config, register, NOW)
    add_rows(register, [established("Informasi Baru")])
    half = archive_bytes(config, register, LATER) // 2
    with drop_during_upload(sshd, after_bytes=half) as drop, pytest.raises(BackendUnavailable) as info:
        publish_sftp(config, register, LATER)
    assert drop.dropped and info.value.exit_code == 3
    assert "terputus" in info.value.message("id") and "lost" in info.value.message("en")
    assert live_version(sftp_root) == first.version  # every live file is the previous version's
    assert b"Informasi Baru" not in (sftp_root / "index.html").read_bytes()
    assert not steps(register)["Informasi Baru"][1]  # step 5: nothing recorded as uploaded
    assert len(archived(sftp_root)) == 2  # the half-uploaded version, without its manifest

    progress: list[Message] = []
    rerun = publish_sftp(config, register, LATER + dt.timedelta(minutes=5), progress=progress)
    assert rerun.status == "published" and live_version(sftp_root) == rerun.version
    assert any("versi tidak lengkap dihapus" in line for line in (m.id for m in progress))
    assert archived(sftp_root) == [first.version, rerun.version]
    assert version_in(steps(register)["Informasi Baru"][1]) == rerun.version
    assert_no_secrets(sftp_root)


def test_connection_killed_during_the_switch_is_finished_without_uploading_again(
    config: Config, register: WorkbookRegister, sshd: SshdServer, sftp_root: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Cut just before ``current`` is renamed: the new version is archived whole, the live names
    already link into ``current``, and every live file is still the previous version's."""
    first = publish_sftp(config, register, NOW)
    add_rows(register, [established("Informasi Baru")])
    original = SftpTarget.replace

    def cut_before_the_switch(self: SftpTarget, src: str, dst: str) -> None:
        if dst == CURRENT:
            sshd.drop_connections()
            time.sleep(0.05)
        original(self, src, dst)

    monkeypatch.setattr(SftpTarget, "replace", cut_before_the_switch)
    with pytest.raises(BackendUnavailable):
        publish_sftp(config, register, LATER)
    monkeypatch.undo()
    assert live_version(sftp_root) == first.version
    second = [v for v in archived(sftp_root) if v != first.version]
    assert len(second) == 1 and (sftp_root / ARCHIVE / second[0] / MANIFEST).exists()
    assert any(p.name.endswith(".tmp") for p in sftp_root.iterdir())  # the sign of a cut switch

    progress: list[Message] = []
    rerun = publish_sftp(config, register, LATER + dt.timedelta(minutes=5), progress=progress)
    assert rerun.version == second[0]  # the archived version, not a duplicate
    assert any("tanpa diunggah ulang" in line for line in (m.id for m in progress))
    assert not any("diunggah dan diperiksa" in line for line in (m.id for m in progress))
    assert live_version(sftp_root) == second[0]
    assert archived(sftp_root) == [first.version, second[0]]
    assert version_in(steps(register)["Informasi Baru"][1]) == second[0]
    assert not any(p.name.endswith(".tmp") for p in sftp_root.iterdir())


def test_a_dropped_connection_is_reopened_and_the_publish_carries_on(
    config: Config, register: WorkbookRegister, sshd: SshdServer, sftp_root: Path
) -> None:
    config = with_sftp(config, reconnects=2)
    first = publish_sftp(config, register, NOW)
    add_rows(register, [established("Informasi Baru")])
    warnings: list[SftpWarning] = []
    with drop_during_upload(sshd, after_bytes=archive_bytes(config, register, LATER) // 2) as drop:
        second = publish_sftp(config, register, LATER, warnings=warnings)
    assert drop.dropped and second.status == "published"
    assert [w.text("id") for w in warnings] == [
        f"Sambungan ke {sshd.host} terputus; menyambung ulang (1 dari paling banyak 2 kali) dan"
        " melanjutkan dari berkas yang sedang dikerjakan."
    ]
    assert live_version(sftp_root) == second.version
    assert archived(sftp_root) == [first.version, second.version]
    assert version_in(steps(register)["Informasi Baru"][1]) == second.version


def test_reconnections_are_bounded(
    config: Config, register: WorkbookRegister, sshd: SshdServer, sftp_root: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    first = publish_sftp(config, register, NOW)
    add_rows(register, [established("Informasi Baru")])
    original = paramiko.SFTPFile.write

    def always_dropping(self: paramiko.SFTPFile, data: bytes) -> None:
        sshd.drop_connections()
        original(self, data)

    monkeypatch.setattr(paramiko.SFTPFile, "write", always_dropping)
    warnings: list[SftpWarning] = []
    with pytest.raises(BackendUnavailable) as info:
        publish_sftp(with_sftp(config, reconnects=2), register, LATER, warnings=warnings)
    assert len(warnings) == 2
    assert "2 kali disambung ulang" in info.value.message("id")
    assert "reopened 2 times" in info.value.message("en")
    assert live_version(sftp_root) == first.version
    assert not steps(register)["Informasi Baru"][1]


# -- the server refuses ------------------------------------------------------------------------


def test_read_only_account_fails_clearly_and_leaves_the_site(
    config: Config, register: WorkbookRegister, sshd: SshdServer, sftp_root: Path
) -> None:
    first = publish_sftp(config, register, NOW)
    add_rows(register, [established("Informasi Baru")])
    before = site_files(sftp_root)
    with pytest.raises(PublishFailed) as info:
        publish_sftp(with_sftp(config, port=sshd.readonly_port), register, LATER)
    assert "izin" in info.value.message("id") and "permission" in info.value.message("en")
    assert info.value.exit_code == 1
    assert site_files(sftp_root) == before and live_version(sftp_root) == first.version
    assert not steps(register)["Informasi Baru"][1]


@pytest.fixture
def small_disk(sftp_root: Path) -> Iterator[Path]:
    """A 512 KiB tmpfs as the remote folder: writes really hit ENOSPC on the server."""
    mount = sftp_root / "small"
    mount.mkdir()
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=512k", "tmpfs", str(mount)],
                          capture_output=True, text=True)
    if done.returncode != 0:
        pytest.skip(f"mounting a tmpfs is not permitted here: {done.stderr.strip()}")
    yield mount
    subprocess.run(["umount", "-l", str(mount)], check=True)


def test_full_remote_disk_fails_clearly_and_leaves_the_site(
    config: Config, register: WorkbookRegister, small_disk: Path
) -> None:
    config = with_sftp(config, remote_dir=str(small_disk))
    first = publish_sftp(config, register, NOW)
    add_rows(register, [established("Informasi Baru")])
    free = os.statvfs(small_disk)
    (small_disk / "lain").mkdir()  # another site's files, filling the disk
    filler = small_disk / "lain" / "filler.bin"
    filler.write_bytes(b"\0" * (free.f_bavail * free.f_frsize - 24_000))  # room for a file or two
    before = {name: body for name, body in site_files(small_disk).items() if name != "lain/filler.bin"}
    with pytest.raises(PublishFailed) as info:
        publish_sftp(config, register, LATER)
    assert "penuh" in info.value.message("id") and "full" in info.value.message("en")
    after = site_files(small_disk)
    assert {name: after[name] for name in before} == before
    assert live_version(small_disk) == first.version
    assert not steps(register)["Informasi Baru"][1]

    filler.unlink()
    rerun = publish_sftp(config, register, LATER + dt.timedelta(minutes=5))
    assert live_version(small_disk) == rerun.version
    assert archived(small_disk) == [first.version, rerun.version]


# -- configuration and warnings ----------------------------------------------------------------


def test_missing_remote_dir_is_refused_not_created(config: Config, sftp_root: Path) -> None:
    typo = sftp_root / "dpi"
    with pytest.raises(ConfigError) as info:
        open_target(with_sftp(config, remote_dir=str(typo)))
    assert "salah ketik" in info.value.message("id") and "typo" in info.value.message("en")
    assert not typo.exists()


def test_non_atomic_server_is_reported_once_and_still_publishes(
    config: Config, register: WorkbookRegister, sftp_root: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def unsupported(self: paramiko.SFTPClient, old: str, new: str) -> None:
        raise OSError("Operation unsupported")

    monkeypatch.setattr(paramiko.SFTPClient, "posix_rename", unsupported)
    warnings: list[SftpWarning] = []
    publish_sftp(config, register, NOW, warnings=warnings)
    assert warnings == []  # a first publish replaces nothing: each rename goes to a new name
    add_rows(register, [established("Informasi Baru")])
    publish_sftp(config, register, LATER, warnings=warnings)
    assert len(warnings) == 1  # said once, when `current` had to be replaced
    assert "posix-rename" in warnings[0].text("en") and "atomik" in warnings[0].text("id")
    live_version(sftp_root)
