"""How long publishing takes, and how many bytes it moves, over SFTP to a real local OpenSSH server.

For each size the register (in memory, already synced as cron would have left it) is published
twice: the first publish uploads a whole version and reads every file back, the second finds the
live version byte-identical and uploads nothing. Times cover all of ``publish()`` (sync, render,
upload, verify, steps 4 and 5). Run standalone (``.venv/bin/python benchmarks/bench_publish.py
[ROWS ...]``) or call :func:`run` from a combined benchmark.
"""

from __future__ import annotations

import builtins
import dataclasses
import datetime as dt
import os
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # run as a script: make `tests` (the register and sshd helpers) importable
    sys.path.insert(0, str(ROOT))

from dip_sheets import schema as s  # noqa: E402
from dip_sheets.config import Config, PublishSettings, default_config  # noqa: E402
from dip_sheets.connect import open_target  # noqa: E402
from dip_sheets.publish import make_version, publish  # noqa: E402
from dip_sheets.render import render_site  # noqa: E402
from dip_sheets.sync import review  # noqa: E402
from dip_sheets.sync import run as sync  # noqa: E402
from dip_sheets.targets import Entry, Target  # noqa: E402
from dip_sheets.targets.sftp import SftpSettings  # noqa: E402
from tests.conftest import NOW, UNITS, established  # noqa: E402
from tests.memory_register import MemoryRegister, memory_register  # noqa: E402
from tests.plugins.sshd import SshdServer, start_sshd  # noqa: E402

SIZES = (1_000, 10_000)
CATEGORIES = ("Berkala", "Serta Merta", "Setiap Saat")


class Counting:
    """A target that counts the bytes going each way, to report what a publish costs the link."""

    def __init__(self, target: Target) -> None:
        self.target, self.location = target, target.location
        self.sent = self.received = self.puts = 0

    def read(self, path: str) -> bytes | None:
        data = self.target.read(path)
        self.received += len(data or b"")
        return data

    @property
    def atomic_replace(self) -> bool:
        return self.target.atomic_replace

    def list(self, path: str) -> list[str]:
        return self.target.list(path)

    def entries(self, path: str) -> builtins.list[Entry]:
        return self.target.entries(path)

    def symlink(self, link: str, path: str) -> None:
        self.target.symlink(link, path)

    def put(self, path: str, data: bytes) -> None:
        self.puts += 1
        self.sent += len(data)
        self.target.put(path, data)

    def replace(self, src: str, dst: str) -> None:
        self.target.replace(src, dst)

    def remove(self, path: str) -> None:
        self.target.remove(path)

    def close(self) -> None:
        self.target.close()


def register_with(rows: int) -> MemoryRegister:
    """``rows`` established, valid items across the units and categories, synced once."""
    register = memory_register()
    for n in range(rows):
        register.add(s.DIP_TAB, established(
            f"Informasi nomor {n + 1}",
            **{s.CATEGORY: CATEGORIES[n % 3], s.UNIT: UNITS[n % len(UNITS)],
               s.SUMMARY: f"Ringkasan informasi nomor {n + 1} untuk pengukuran kinerja penerbitan.",
               s.LINK: f"https://ppid.example.go.id/dokumen/{n + 1}.pdf"},
        ))
    sync(register, UNITS, NOW)
    return register


def config_for(server: SshdServer, work: Path) -> Config:
    remote = server.new_remote_dir()
    sftp = SftpSettings(host=server.host, port=server.port, username=server.username,
                      key_file=server.client_key, known_hosts=server.known_hosts, remote_dir=str(remote))
    base = default_config(work)
    return dataclasses.replace(base, publish=PublishSettings(target="sftp", sftp=sftp,
                                                             base_url="https://ppid.example.go.id/dip/"))


def measure(config: Config, register: MemoryRegister, now: dt.datetime) -> dict[str, Any]:
    target = Counting(open_target(config))
    started = time.perf_counter()
    try:
        result = publish(config, register, target, now=now)
    finally:
        target.close()
    return {"status": result.status, "seconds": time.perf_counter() - started,
            "sent": target.sent, "received": target.received, "puts": target.puts}


def measure_render(register: MemoryRegister) -> dict[str, Any]:
    """Rendering alone (every file of a version), and the weight of the page with its assets."""
    config = default_config(Path(tempfile.gettempdir()))
    current = review(register.read(), UNITS, NOW)
    render_site(current.items, current.exclusions, config.office, make_version(config, NOW))  # warm up
    started = time.perf_counter()
    files = render_site(current.items, current.exclusions, config.office, make_version(config, NOW))
    return {"seconds": time.perf_counter() - started, "index_bytes": len(files["index.html"]),
            "all_bytes": sum(len(f) for f in files.values())}


def run(sizes: tuple[int, ...] | list[int] = SIZES) -> list[dict[str, Any]]:
    """Publish each size first and unchanged (without the list's PDF, Chromium's time: ``DIP_PDF=0``
    unless set otherwise), on a fresh sshd; one dict per size:
    ``{"rows", "render", "first", "unchanged"}``, each run as ``{"status", "seconds", "sent",
    "received", "puts"}`` (bytes are file contents sent and read back, without SSH overhead);
    ``render`` times rendering alone (``{"seconds", "index_bytes", "all_bytes"}``)."""
    os.environ.setdefault("DIP_PDF", "0")
    results = []
    with tempfile.TemporaryDirectory(prefix="bench-publish-") as tmp:
        server = start_sshd(Path(tmp) / "sshd")
        try:
            for rows in sizes:
                config = config_for(server, Path(tmp))
                register = register_with(rows)
                rendered = measure_render(register)
                first = measure(config, register, NOW)
                unchanged = measure(config, register, NOW + dt.timedelta(hours=1))
                assert (first["status"], unchanged["status"]) == ("published", "unchanged")
                results.append({"rows": rows, "render": rendered, "first": first, "unchanged": unchanged})
        finally:
            server.stop()
    return results


def table(results: list[dict[str, Any]]) -> str:
    lines = [
        "| rows | render: s | index.html | first: s | first: bytes sent / read | unchanged: s"
        " | unchanged: bytes sent / read |",
        "|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in results:
        first, same, rendered = r["first"], r["unchanged"], r["render"]
        lines.append(
            f"| {r['rows']:,} | {rendered['seconds']:.2f} | {rendered['index_bytes']:,} B"
            f" | {first['seconds']:.2f} | {first['sent']:,} / {first['received']:,}"
            f" | {same['seconds']:.2f} | {same['sent']:,} / {same['received']:,} |"
        )
    return "\n".join(lines)


if __name__ == "__main__":
    print(table(run([int(a) for a in sys.argv[1:]] or SIZES)))
