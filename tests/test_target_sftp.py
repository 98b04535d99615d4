"""The SFTP target against a real OpenSSH server (see tests/plugins/sshd.py).

Every failure the operator can meet is produced for real on the server side (a wrong host key, a
key the server does not know, a read-only SFTP account, an immutable folder, a full disk, a cut
connection) and must come back as one of our errors with a message saying what to do.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import replace
from pathlib import Path

import paramiko
import pytest

from dip_sheets.errors import BackendUnavailable, ConfigError, DipError, PublishFailed
from dip_sheets.targets.sftp import SftpSettings, SftpTarget, SftpWarning, connect
from tests.plugins.sshd import SshdServer, drop_during_upload, make_key


@pytest.fixture
def target(sftp_settings: SftpSettings) -> Iterator[SftpTarget]:
    t = connect(sftp_settings)
    yield t
    t.close()


def both(err: DipError) -> str:
    """Both languages of an error, for assertions about what the message says."""
    assert err.message("id") and err.message("en")
    assert err.message("id") != err.message("en")
    return err.message("id") + "\n" + err.message("en")


# -- the Target protocol -----------------------------------------------------------------------


def test_put_read_list_with_nested_folders(target: SftpTarget, sftp_root: Path) -> None:
    target.put("index.html", b"<h1>DIP</h1>")
    target.put("a/b/c/data.json", b"{}")
    assert target.read("index.html") == b"<h1>DIP</h1>"
    assert target.read("a/b/c/data.json") == b"{}"
    assert (sftp_root / "a/b/c/data.json").read_bytes() == b"{}"  # really on the server's disk
    assert target.list("") == ["a", "index.html"]
    assert target.list("a/b") == ["c"]
    assert target.list("a/b/c") == ["data.json"]


def test_missing_things(target: SftpTarget) -> None:
    assert target.read("nope.html") is None
    assert target.read("no/such/dir/file") is None
    assert target.list("no/such/dir") == []


def test_put_overwrites_and_handles_large_files(target: SftpTarget, sftp_root: Path) -> None:
    big = os.urandom(1_000_003)  # several SFTP chunks, odd size
    target.put("files/big.bin", b"old")
    target.put("files/big.bin", big)
    assert (sftp_root / "files/big.bin").read_bytes() == big
    assert target.read("files/big.bin") == big
    target.put("files/big.bin", b"")
    assert target.read("files/big.bin") == b""


def test_replace_overwrites_atomically(target: SftpTarget, sftp_root: Path) -> None:
    target.put("site/index.html", b"old")
    target.put("site/.index.html.tmp", b"new")
    target.replace("site/.index.html.tmp", "site/index.html")
    assert target.read("site/index.html") == b"new"
    assert target.list("site") == ["index.html"]
    assert target.atomic_replace
    target.put("fresh.tmp", b"1")
    target.replace("fresh.tmp", "fresh.html")  # destination did not exist
    assert (sftp_root / "fresh.html").read_bytes() == b"1"


def test_replace_falls_back_without_posix_rename(
    target: SftpTarget, sftp_root: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A server without posix-rename@openssh.com (OpenSSH has it, so we make paramiko see the
    SSH2_FX_OP_UNSUPPORTED reply such a server sends)."""
    calls: list[str] = []

    def unsupported(old: str, new: str) -> None:
        calls.append(old)
        raise OSError("Operation unsupported")

    monkeypatch.setattr(target._sftp, "posix_rename", unsupported)
    for round_ in (b"v1", b"v2"):
        target.put("page.tmp", round_)
        if round_ == b"v2":
            target.put("page.html", b"v1")
        target.replace("page.tmp", "page.html")
        assert target.read("page.html") == round_
    assert sorted(os.listdir(sftp_root)) == ["page.html"]  # no backup left behind
    assert calls == [f"{sftp_root}/page.tmp"]  # not tried again once known to be missing
    assert target.atomic_replace is False
    assert any("posix-rename" in w.text("en") for w in target.warnings)


def test_remove_takes_files_links_and_empty_folders_only(
    target: SftpTarget, sftp_root: Path, tmp_path: Path
) -> None:
    """A folder that still holds something is left whole: only the caller knows what is its own."""
    target.put("keep.html", b"k")
    target.put("old.html", b"o")
    target.put("tree/a/2.txt", b"2")
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "precious").write_text("x")
    os.symlink(outside, sftp_root / "tree/link")  # a link is removed, never followed
    target.remove("old.html")
    target.remove("tree")  # not empty: left as it is
    assert sorted(os.listdir(sftp_root / "tree")) == ["a", "link"]
    target.remove("tree/link")
    target.remove("tree/a/2.txt")
    target.remove("tree/a")
    target.remove("tree")
    target.remove("never/existed")
    assert sorted(os.listdir(sftp_root)) == ["keep.html"]
    assert (outside / "precious").exists()


def test_put_checks_the_size_on_the_server(target: SftpTarget, monkeypatch: pytest.MonkeyPatch) -> None:
    real_stat = target._sftp.stat

    def short(path: str) -> paramiko.SFTPAttributes:
        attrs = real_stat(path)
        attrs.st_size = (attrs.st_size or 0) - 1
        return attrs

    monkeypatch.setattr(target._sftp, "stat", short)
    with pytest.raises(PublishFailed) as info:
        target.put("page.html", b"12345")
    assert "4" in both(info.value) and "5" in both(info.value)


def test_location_and_path_checks(target: SftpTarget, sshd: SshdServer, sftp_root: Path) -> None:
    assert target.location == f"sftp://{sshd.username}@127.0.0.1:{sshd.port}{sftp_root}"
    for bad in ("../escape", "/etc/passwd", "a/../../b", ""):
        with pytest.raises(ValueError):
            target.put(bad, b"x")


def test_close_twice_and_context_manager(sftp_settings: SftpSettings) -> None:
    with connect(sftp_settings) as t:
        t.put("x", b"1")
    t.close()


def test_account_without_sftp(sshd: SshdServer, sftp_root: Path) -> None:
    with pytest.raises(ConfigError) as info:
        connect(sshd.sftp_settings(sftp_root, port=sshd.no_sftp_port))
    assert "SFTP" in both(info.value)


def test_missing_remote_dir_is_a_config_error(sshd: SshdServer, sftp_root: Path) -> None:
    with pytest.raises(ConfigError) as info:
        connect(sshd.sftp_settings(sftp_root / "typo"))
    assert "remote_dir" in both(info.value)


# -- host keys ---------------------------------------------------------------------------------


def test_changed_host_key_is_refused(sshd: SshdServer, sftp_root: Path, tmp_path: Path) -> None:
    make_key(tmp_path / "other_host")
    other_line = " ".join((tmp_path / "other_host.pub").read_text().split()[:2])
    kh = tmp_path / "known_hosts"
    kh.write_text(sshd.known_hosts_line(other_line))
    with pytest.raises(ConfigError) as info:
        connect(sshd.sftp_settings(sftp_root, known_hosts=kh))
    text = both(info.value)
    assert info.value.exit_code == 2
    assert "known_hosts" in text and "ssh-keygen -R" in text
    assert "attack" in text and "serangan" in text and "PERINGATAN" in text
    assert kh.read_text() == sshd.known_hosts_line(other_line)  # nothing was rewritten


def test_unknown_host_is_refused_and_not_added(sshd: SshdServer, sftp_root: Path, tmp_path: Path) -> None:
    kh = tmp_path / "known_hosts"
    kh.write_text("")
    with pytest.raises(ConfigError) as info:
        connect(sshd.sftp_settings(sftp_root, known_hosts=kh))
    text = both(info.value)
    assert f"ssh-keyscan -p {sshd.port} 127.0.0.1 >> {kh}" in text
    assert "SHA256:" in text  # the fingerprint to compare with the web host
    assert kh.read_text() == ""


def test_missing_known_hosts_file(sshd: SshdServer, sftp_root: Path, tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as info:
        connect(sshd.sftp_settings(sftp_root, known_hosts=tmp_path / "nope"))
    assert "ssh-keyscan" in both(info.value)


# -- client keys -------------------------------------------------------------------------------


def test_key_not_in_authorized_keys(sshd: SshdServer, sftp_root: Path) -> None:
    stranger = sshd.new_client_key(authorize=False)
    started = time.monotonic()
    with pytest.raises(ConfigError) as info:
        connect(sshd.sftp_settings(sftp_root, key_file=stranger, retries=3, retry_backoff=5))
    assert time.monotonic() - started < 4  # authentication failures are not retried
    text = both(info.value)
    assert "authorized_keys" in text and f"{stranger}.pub" in text
    assert stranger.read_text().splitlines()[1] not in text


def test_missing_or_garbage_key_file(sshd: SshdServer, sftp_root: Path, tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as info:
        connect(sshd.sftp_settings(sftp_root, key_file=tmp_path / "id_missing"))
    assert "key_file" in both(info.value)
    garbage = tmp_path / "id_garbage"
    garbage.write_text("not a key\n")
    garbage.chmod(0o600)
    with pytest.raises(ConfigError) as info:
        connect(sshd.sftp_settings(sftp_root, key_file=garbage))
    assert "ssh-keygen -t ed25519" in both(info.value)


def test_passphrase_from_environment(
    sshd: SshdServer, sftp_root: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    secret = "rahasia-sekali-123"
    key = sshd.new_client_key(passphrase=secret)
    settings = sshd.sftp_settings(sftp_root, key_file=key, key_passphrase_env="DIP_TEST_KEY_PASS")

    monkeypatch.delenv("DIP_TEST_KEY_PASS", raising=False)
    with pytest.raises(ConfigError) as info:
        connect(settings)
    assert "DIP_TEST_KEY_PASS" in both(info.value)

    monkeypatch.setenv("DIP_TEST_KEY_PASS", "salah")
    with pytest.raises(ConfigError) as info:
        connect(settings)
    assert "DIP_TEST_KEY_PASS" in both(info.value) and "salah" not in both(info.value)

    with pytest.raises(ConfigError) as info:
        connect(replace(settings, key_passphrase_env=None))
    assert "key_passphrase_env" in both(info.value)

    monkeypatch.setenv("DIP_TEST_KEY_PASS", secret)
    with connect(settings) as t:
        t.put("ok.txt", b"ok")
    assert (sftp_root / "ok.txt").read_bytes() == b"ok"


def test_rsa_key_works(sshd: SshdServer, sftp_root: Path) -> None:
    key = sshd.new_client_key(kind="rsa")
    with connect(sshd.sftp_settings(sftp_root, key_file=key)) as t:
        assert t.list("") == []


def test_world_readable_key_warns_but_connects(
    sshd: SshdServer, sftp_root: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    key = sshd.new_client_key()
    key.chmod(0o644)
    seen: list[SftpWarning] = []
    with connect(sshd.sftp_settings(sftp_root, key_file=key), on_warning=seen.append) as t:
        t.put("x", b"1")
        assert t.warnings == seen
    assert len(seen) == 1
    assert f"chmod 600 {key}" in seen[0].text("en") and "644" in seen[0].text("id")
    assert capfd.readouterr().err == ""  # the caller prints it, in the user's language


# -- the network -------------------------------------------------------------------------------


def test_connection_refused_is_unavailable_and_retried(sshd: SshdServer, sftp_root: Path) -> None:
    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        closed = s.getsockname()[1]
    started = time.monotonic()
    with pytest.raises(BackendUnavailable) as info:
        connect(sshd.sftp_settings(sftp_root, port=closed, retries=2, retry_backoff=0.01))
    assert time.monotonic() - started < 2
    assert info.value.exit_code == 3
    text = both(info.value)
    assert "refused" in text and "2 attempts" in text and "dicoba 2 kali" in text


def test_silent_server_times_out(sshd: SshdServer, sftp_root: Path) -> None:
    with socket.socket() as silent:  # accepts TCP (backlog) but never sends a banner
        silent.bind(("127.0.0.1", 0))
        silent.listen(8)
        port = silent.getsockname()[1]
        started = time.monotonic()
        with pytest.raises(BackendUnavailable) as info:
            connect(sshd.sftp_settings(sftp_root, port=port, connect_timeout=0.3))
        assert time.monotonic() - started < 3
    assert "0.3" in both(info.value)


def test_unknown_host_name(sshd: SshdServer, sftp_root: Path) -> None:
    with pytest.raises(BackendUnavailable) as info:
        connect(sshd.sftp_settings(sftp_root, host="dip-test.invalid", retries=3))
    assert "DNS" in both(info.value)


def test_retry_reaches_a_server_that_comes_back(sshd: SshdServer, sftp_root: Path) -> None:
    sshd.stop()
    restart = threading.Timer(0.3, sshd.start)
    restart.start()
    try:
        with connect(sshd.sftp_settings(sftp_root, retries=8, retry_backoff=0.1)) as t:
            t.put("back.txt", b"1")
    finally:
        restart.join()


def test_server_gone_mid_session(target: SftpTarget, sshd: SshdServer) -> None:
    target.put("a.txt", b"1")
    sshd.stop()
    with pytest.raises(BackendUnavailable) as info:
        target.read("a.txt")
    assert "lost" in both(info.value)


def test_connection_dropped_mid_upload(sshd: SshdServer, sftp_root: Path) -> None:
    with connect(sshd.sftp_settings(sftp_root)) as first:
        first.put("index.html", b"live")
        port = first.local_port
        assert port is not None
        with (
            drop_during_upload(sshd, after_bytes=100_000, client_port=port) as drop,
            pytest.raises(BackendUnavailable),
        ):
            first.put(".index.html.tmp", os.urandom(1_000_000))
        assert drop.dropped
    assert (sftp_root / "index.html").read_bytes() == b"live"
    assert sshd.is_running()  # only that connection died: a new one works
    with connect(sshd.sftp_settings(sftp_root)) as second:
        assert second.read("index.html") == b"live"


def test_drop_connection_leaves_other_connections(sshd: SshdServer, sftp_root: Path) -> None:
    with (
        connect(sshd.sftp_settings(sftp_root)) as a,
        connect(sshd.sftp_settings(sftp_root)) as b,
    ):
        assert a.local_port is not None
        assert sshd.drop_connection(a.local_port)
        with pytest.raises(BackendUnavailable):
            a.list("")
        assert b.list("") == []


def test_io_timeout_when_server_hangs(sshd: SshdServer, sftp_root: Path) -> None:
    with connect(sshd.sftp_settings(sftp_root, io_timeout=0.5)) as t:
        pids = sshd.connection_pids()
        for pid in pids:
            os.kill(pid, signal.SIGSTOP)
        try:
            with pytest.raises(BackendUnavailable) as info:
                t.read("x")
            assert "0.5" in both(info.value)
        finally:
            for pid in pids:
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGKILL)


# -- the server refuses to write ---------------------------------------------------------------


def test_read_only_account_cannot_publish(sshd: SshdServer, sftp_root: Path) -> None:
    """Root ignores file modes, so the server itself refuses: this port runs
    ``internal-sftp -R``, which answers SSH2_FX_PERMISSION_DENIED to every write."""
    (sftp_root / "old.html").write_bytes(b"old")
    with connect(sshd.sftp_settings(sftp_root, port=sshd.readonly_port)) as t:
        assert t.read("old.html") == b"old"
        attempts: list[Callable[[], None]] = [
            lambda: t.put("new.html", b"x"),
            lambda: t.put("sub/new.html", b"x"),
            lambda: t.remove("old.html"),
        ]
        for attempt in attempts:
            with pytest.raises(PublishFailed) as info:
                attempt()
            assert info.value.exit_code == 1
            assert "permission" in both(info.value) and "izin" in both(info.value)
    assert sorted(os.listdir(sftp_root)) == ["old.html"]


@pytest.fixture
def immutable_dir(sftp_root: Path) -> Iterator[Path]:
    """A folder with the immutable attribute: even root's sshd gets EPERM writing into it."""
    locked = sftp_root / "locked"
    locked.mkdir()
    done = subprocess.run(["chattr", "+i", str(locked)], capture_output=True, text=True)
    if done.returncode != 0:
        pytest.skip(f"chattr +i not permitted here: {done.stderr.strip()}")
    yield locked
    subprocess.run(["chattr", "-i", str(locked)], check=True)


def test_permission_denied_in_one_folder(target: SftpTarget, immutable_dir: Path) -> None:
    with pytest.raises(PublishFailed) as info:
        target.put("locked/index.html", b"x")
    assert "permission" in both(info.value) and "locked/index.html" in both(info.value)
    with pytest.raises(PublishFailed):
        target.put("locked/sub/index.html", b"x")
    assert os.listdir(immutable_dir) == []


def test_file_in_the_way_of_a_folder(target: SftpTarget) -> None:
    target.put("assets", b"a file where a folder should be")
    with pytest.raises(PublishFailed) as info:
        target.put("assets/css/site.css", b"x")
    assert "in the way" in both(info.value)


@pytest.fixture
def small_disk(sftp_root: Path) -> Iterator[Path]:
    """A 256 KiB tmpfs inside the remote folder: writes really hit ENOSPC on the server."""
    mount = sftp_root / "small"
    mount.mkdir()
    done = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=256k", "tmpfs", str(mount)],
        capture_output=True,
        text=True,
    )
    if done.returncode != 0:
        pytest.skip(f"mounting a tmpfs is not permitted here: {done.stderr.strip()}")
    yield mount
    subprocess.run(["umount", "-l", str(mount)], check=True)


def test_disk_full(target: SftpTarget, small_disk: Path) -> None:
    target.put("small/ok.html", b"fits")
    with pytest.raises(PublishFailed) as info:
        target.put("small/huge.bin", os.urandom(1_000_000))
    assert info.value.exit_code == 1
    text = both(info.value)
    assert "full" in text and "penuh" in text
    assert target.read("small/ok.html") == b"fits"


def test_paramiko_exceptions_do_not_escape(target: SftpTarget, monkeypatch: pytest.MonkeyPatch) -> None:
    def boom(*args: object, **kwargs: object) -> None:
        raise paramiko.SSHException("Server connection dropped: ")

    monkeypatch.setattr(target._sftp, "entries_raw", boom)
    with pytest.raises(BackendUnavailable):
        target.list("")
