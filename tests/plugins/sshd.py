"""pytest plugin: a real OpenSSH server on loopback for the SFTP tests.

Load it with ``pytest_plugins = ["tests.plugins.sshd"]`` (or ``pytest -p tests.plugins.sshd``).

One ``/usr/sbin/sshd`` is started per test session (starting it costs ~0.1 s, but keys and
config are made once); every test gets a fresh remote folder. Fixtures:

* ``sshd_server`` (session): the :class:`SshdServer`, started once.
* ``sshd`` (function): the same server, restarted first if an earlier test stopped it.
* ``sftp_root`` (function): a fresh, empty folder for the test to use as ``remote_dir``.
* ``sftp_settings`` (function): :class:`dip_sheets.targets.sftp.SftpSettings` for ``sftp_root``.

To break things on purpose: :meth:`SshdServer.stop` (server gone),
:meth:`SshdServer.drop_connections` / :meth:`SshdServer.drop_connection` (kill the server-side
processes of live connections, the listener stays up), :func:`drop_during_upload` (kill the
connection after N uploaded bytes), and ``readonly_port``, a second port on which the server's
SFTP refuses every write (``internal-sftp -R``), which works even as root, where file modes do not
stop anything; ``no_sftp_port`` accepts logins but offers no SFTP.

Missing ``/usr/sbin/sshd`` is a test failure, not a skip: the test command installs
``openssh-server``.
"""

from __future__ import annotations

import contextlib
import getpass
import itertools
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import paramiko
import pytest

if TYPE_CHECKING:
    from dip_sheets.targets.sftp import SftpSettings

SSHD = Path("/usr/sbin/sshd")
HOST = "127.0.0.1"
_START_TIMEOUT = 10.0


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((HOST, 0))
        return int(s.getsockname()[1])


def _ssh_keygen() -> str:
    exe = shutil.which("ssh-keygen")
    if exe is None:
        pytest.fail("ssh-keygen not found: install openssh-client (apt-get install openssh-server)")
    return exe


def make_key(path: Path, *, passphrase: str = "", kind: str = "ed25519") -> Path:
    """Generate a private key at ``path`` (mode 0600) and ``path.pub``; returns ``path``."""
    args = [_ssh_keygen(), "-q", "-t", kind, "-N", passphrase, "-C", "dip-test", "-f", str(path)]
    if kind == "rsa":
        args[4:4] = ["-b", "2048"]
    subprocess.run(args, check=True, capture_output=True)
    path.chmod(0o600)
    return path


def _children(pid: int) -> list[int]:
    """All descendants of ``pid`` (from /proc), deepest last."""
    parents: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            stat = Path(f"/proc/{entry}/stat").read_text()
        except OSError:
            continue
        ppid = int(stat.rpartition(")")[2].split()[1])
        parents.setdefault(ppid, []).append(int(entry))
    out: list[int] = []
    todo = [pid]
    while todo:
        kids = parents.get(todo.pop(), [])
        out.extend(kids)
        todo.extend(kids)
    return out


def _kill(pids: list[int], sig: signal.Signals = signal.SIGKILL) -> None:
    for pid in pids:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, sig)


def _socket_inodes(local_port: int, remote_port: int) -> set[str]:
    """Inodes of TCP sockets 127.0.0.1:local_port <-> 127.0.0.1:remote_port."""
    want_local = f"0100007F:{local_port:04X}"
    want_remote = f"0100007F:{remote_port:04X}"
    inodes: set[str] = set()
    with contextlib.suppress(OSError):
        for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
            cols = line.split()
            if cols[1] == want_local and cols[2] == want_remote:
                inodes.add(cols[9])
    return inodes


def _holds_socket(pid: int, inodes: set[str]) -> bool:
    targets = {f"socket:[{i}]" for i in inodes}
    try:
        fds = os.listdir(f"/proc/{pid}/fd")
    except OSError:
        return False
    for fd in fds:
        with contextlib.suppress(OSError):
            if os.readlink(f"/proc/{pid}/fd/{fd}") in targets:
                return True
    return False


@dataclass
class SshdServer:
    """A running ``sshd`` and everything a client needs to reach it."""

    host: str
    port: int
    #: Second port of the same server where SFTP is read-only (every write is refused).
    readonly_port: int
    #: Third port where logins work but there is no SFTP (``ForceCommand /bin/false``).
    no_sftp_port: int
    username: str
    #: Ed25519 private key (0600, no passphrase) listed in ``authorized_keys``.
    client_key: Path
    #: known_hosts with the server's key under ``[127.0.0.1]:<port>`` for each of its ports.
    known_hosts: Path
    #: The server's public host key line (``ssh-ed25519 AAAA...``).
    host_public_key: str
    authorized_keys: Path
    workdir: Path
    config: Path
    log_file: Path
    _proc: subprocess.Popen[bytes] | None = field(default=None, repr=False)
    _names: Iterator[int] = field(default_factory=itertools.count, repr=False)

    # -- life cycle ------------------------------------------------------------------------

    @property
    def pid(self) -> int | None:
        return self._proc.pid if self._proc is not None else None

    def is_running(self) -> bool:
        return self._proc is not None and self._proc.poll() is None

    def log(self) -> str:
        """What sshd wrote to stderr (``-e``): the first place to look when a login fails."""
        try:
            return self.log_file.read_text(errors="replace")
        except OSError:
            return ""

    def start(self) -> None:
        """Start sshd (after ``sshd -t``) and wait until it sends its SSH banner."""
        if self.is_running():
            return
        with contextlib.suppress(OSError):
            os.makedirs("/run/sshd", mode=0o755, exist_ok=True)
        check = subprocess.run(
            [str(SSHD), "-t", "-f", str(self.config)], capture_output=True, text=True
        )
        if check.returncode != 0:
            pytest.fail(f"sshd -t rejected the test config {self.config}:\n{check.stderr}")
        with self.log_file.open("ab") as log:
            self._proc = subprocess.Popen(
                [str(SSHD), "-D", "-e", "-f", str(self.config)],
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        deadline = time.monotonic() + _START_TIMEOUT
        while time.monotonic() < deadline:
            if self._proc.poll() is not None:
                pytest.fail(f"sshd exited with {self._proc.returncode}:\n{self.log()}")
            if self._banner_ok():
                return
            time.sleep(0.02)
        self.stop()
        pytest.fail(f"sshd did not answer on {self.host}:{self.port} in time:\n{self.log()}")

    def _banner_ok(self) -> bool:
        try:
            with socket.create_connection((self.host, self.port), timeout=1) as s:
                return s.recv(8).startswith(b"SSH-")
        except OSError:
            return False

    def stop(self, *, drop_connections: bool = True) -> None:
        """Stop the listener (SIGTERM, then SIGKILL) and, by default, every live connection."""
        if self._proc is None:
            return
        kids = _children(self._proc.pid) if drop_connections else []
        if self._proc.poll() is None:
            self._proc.terminate()
            try:
                self._proc.wait(5)
            except subprocess.TimeoutExpired:
                self._proc.kill()
                self._proc.wait(5)
        _kill(kids)
        self._proc = None

    def kill(self) -> None:
        """SIGKILL the listener and all connections at once (a crash, not a shutdown)."""
        if self._proc is None:
            return
        kids = _children(self._proc.pid)
        self._proc.kill()
        _kill(kids)
        self._proc.wait(5)
        self._proc = None

    # -- breaking connections --------------------------------------------------------------

    def connection_pids(self) -> list[int]:
        """Server-side processes serving connections (children of the listener)."""
        return _children(self._proc.pid) if self._proc is not None else []

    def drop_connections(self) -> int:
        """SIGKILL the processes serving every live connection; the listener keeps running.

        The client then sees its connection dropped (EOF / reset), as with a network cut or a
        server restart. Returns how many processes were killed.
        """
        pids = self.connection_pids()
        _kill(pids)
        return len(pids)

    def drop_connection(self, client_port: int) -> bool:
        """Kill only the server processes holding the TCP connection from ``client_port``.

        ``client_port`` is the client's local port (``SftpTarget.local_port``, or
        ``transport.sock.getsockname()[1]``). Returns whether anything was killed.
        """
        inodes: set[str] = set()
        for port in (self.port, self.readonly_port, self.no_sftp_port):
            inodes |= _socket_inodes(port, client_port)
        if not inodes:
            return False
        victims: list[int] = []
        for pid in self.connection_pids():
            if _holds_socket(pid, inodes):
                victims.append(pid)
                victims.extend(_children(pid))
        _kill(victims)
        return bool(victims)

    # -- material for tests ----------------------------------------------------------------

    def new_remote_dir(self, prefix: str = "root-") -> Path:
        """A fresh empty folder the server can write (use as ``remote_dir``)."""
        base = self.workdir / "remote"
        base.mkdir(exist_ok=True)
        return Path(tempfile.mkdtemp(prefix=prefix, dir=base))

    def new_client_key(
        self, *, passphrase: str = "", kind: str = "ed25519", authorize: bool = True
    ) -> Path:
        """A new private key (0600); listed in ``authorized_keys`` unless ``authorize=False``."""
        keys = self.workdir / "keys"
        keys.mkdir(exist_ok=True)
        path = make_key(keys / f"{kind}-{next(self._names)}", passphrase=passphrase, kind=kind)
        if authorize:
            self.authorize(path.with_name(path.name + ".pub"))
        return path

    def authorize(self, public_key: Path) -> None:
        with self.authorized_keys.open("a") as f:
            f.write(public_key.read_text().strip() + "\n")

    def known_hosts_line(self, public_key: str | None = None, port: int | None = None) -> str:
        """A known_hosts line for this server (or for ``public_key`` under its name)."""
        key = public_key if public_key is not None else self.host_public_key
        return f"[{self.host}]:{port or self.port} {key}\n"

    def sftp_settings(self, remote_dir: Path | str, **overrides: Any) -> SftpSettings:
        """Settings that reach this server with fast timeouts and a single attempt."""
        from dip_sheets.targets.sftp import SftpSettings

        values: dict[str, Any] = {
            "host": self.host,
            "port": self.port,
            "username": self.username,
            "key_file": self.client_key,
            "known_hosts": self.known_hosts,
            "remote_dir": str(remote_dir),
            "connect_timeout": 5.0,
            "io_timeout": 10.0,
            "retries": 1,
            "retry_backoff": 0.05,
        }
        values.update(overrides)
        return SftpSettings(**values)


def _config(workdir: Path, ports: list[int], user: str) -> str:
    port, readonly_port, no_sftp_port = ports
    return f"""\
Port {port}
Port {readonly_port}
Port {no_sftp_port}
ListenAddress {HOST}
HostKey {workdir}/host_ed25519
PidFile {workdir}/sshd.pid
AuthorizedKeysFile {workdir}/authorized_keys
AllowUsers {user}
PermitRootLogin prohibit-password
PubkeyAuthentication yes
PasswordAuthentication no
KbdInteractiveAuthentication no
UsePAM yes
StrictModes no
UseDNS no
PrintMotd no
X11Forwarding no
AllowTcpForwarding no
LoginGraceTime 30
MaxStartups 100
MaxSessions 50
LogLevel VERBOSE
Subsystem sftp internal-sftp
Match LocalPort {readonly_port}
    ForceCommand internal-sftp -R
Match LocalPort {no_sftp_port}
    ForceCommand /bin/false
"""


def start_sshd(workdir: Path) -> SshdServer:
    """Create keys and config in ``workdir`` and start a server (fails the test if it cannot)."""
    if not SSHD.exists():
        pytest.fail(
            f"{SSHD} is missing: the SFTP tests need a real OpenSSH server; install it with "
            "`apt-get install -y openssh-server`"
        )
    workdir.mkdir(parents=True, exist_ok=True)
    user = getpass.getuser()
    make_key(workdir / "host_ed25519")
    host_public_key = (workdir / "host_ed25519.pub").read_text().split()
    host_key_line = " ".join(host_public_key[:2])
    client_key = make_key(workdir / "client_ed25519")
    authorized = workdir / "authorized_keys"
    authorized.write_text((workdir / "client_ed25519.pub").read_text())
    last_error: BaseException | None = None
    for _ in range(3):  # a free port may be taken between probing and binding: try again
        ports = [_free_port() for _ in range(3)]
        if len(set(ports)) < len(ports):
            continue
        config = workdir / "sshd_config"
        config.write_text(_config(workdir, ports, user))
        known_hosts = workdir / "known_hosts"
        known_hosts.write_text("".join(f"[{HOST}]:{p} {host_key_line}\n" for p in ports))
        server = SshdServer(
            host=HOST,
            port=ports[0],
            readonly_port=ports[1],
            no_sftp_port=ports[2],
            username=user,
            client_key=client_key,
            known_hosts=known_hosts,
            host_public_key=host_key_line,
            authorized_keys=authorized,
            workdir=workdir,
            config=config,
            log_file=workdir / "sshd.log",
        )
        try:
            server.start()
            return server
        except pytest.fail.Exception as exc:
            last_error = exc
            if "Bind to port" not in server.log() and "Address already" not in server.log():
                raise
            server.log_file.unlink(missing_ok=True)
    raise AssertionError(f"could not start sshd: {last_error}")


@pytest.fixture(scope="session")
def sshd_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SshdServer]:
    server = start_sshd(tmp_path_factory.mktemp("sshd"))
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def sshd(sshd_server: SshdServer) -> SshdServer:
    """The session's server, restarted if a previous test stopped or killed it."""
    sshd_server.start()
    return sshd_server


@pytest.fixture
def sftp_root(sshd: SshdServer) -> Iterator[Path]:
    root = sshd.new_remote_dir()
    yield root
    shutil.rmtree(root, ignore_errors=True)


@pytest.fixture
def sftp_settings(sshd: SshdServer, sftp_root: Path) -> SftpSettings:
    return sshd.sftp_settings(sftp_root)


@dataclass
class DropState:
    """What :func:`drop_during_upload` did: bytes seen, and whether the connection was cut."""

    written: int = 0
    dropped: bool = False


@contextlib.contextmanager
def drop_during_upload(
    server: SshdServer, *, after_bytes: int = 1, client_port: int | None = None
) -> Iterator[DropState]:
    """Cut the connection once a client has uploaded ``after_bytes`` over SFTP.

    Wraps :meth:`paramiko.SFTPFile.write` for the duration of the block: when the running total
    reaches ``after_bytes``, the server side of the connection (``client_port``'s, or all of
    them) is SIGKILLed before the write goes out, so the upload fails half-way, as with a
    network cut. Use it around a publish to check that the live site is left untouched.
    """
    state = DropState()
    original = paramiko.SFTPFile.write

    def write(self: paramiko.SFTPFile, data: bytes) -> None:
        state.written += len(data)
        if not state.dropped and state.written >= after_bytes:
            state.dropped = True
            if client_port is None:
                server.drop_connections()
            else:
                server.drop_connection(client_port)
            time.sleep(0.05)  # let the kernel close the socket before we write into it
        original(self, data)

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(paramiko.SFTPFile, "write", write)
        yield state
