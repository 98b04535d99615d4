"""What the province's view costs at national scale: 514 offices of 300 items on loopback HTTP servers.

Every office publishes what dip-sheets publishes for it (``dip.json``, ``perubahan.json``,
``dik.html``, made by the package's own renderers), served from files by a few HTTP server
processes that answer like a static web server (``ETag`` from mtime and size, ``Last-Modified``,
``304`` to either validator) and count every answer by status. Three runs of ``dip provinsi``, each
in a fresh interpreter so its peak memory is its own: the first (nothing cached), a re-run with
nothing changed, and a re-run after 5 offices published a new version. Run standalone::

    .venv/bin/python benchmarks/bench_province.py [--offices 514] [--items 300] [--servers 4]

Results: ``benchmarks/results/province.json`` (every figure) and ``province.md`` (the table).
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime as dt
import json
import multiprocessing
import os
import platform
import resource
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from email.utils import formatdate, parsedate_to_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # run as a script: make `tests` (the sample items) importable
    sys.path.insert(0, str(ROOT))

from dip_sheets.config import PublicBody  # noqa: E402
from dip_sheets.dates import format_date  # noqa: E402
from dip_sheets.feed import render_feed  # noqa: E402
from dip_sheets.history import PastVersion  # noqa: E402
from dip_sheets.opendata import render_json  # noqa: E402
from dip_sheets.records import Version, item_record, sort_items  # noqa: E402
from dip_sheets.render import render_site  # noqa: E402
from dip_sheets.validate import Item  # noqa: E402
from tests.test_render import EXCLUDED, item  # noqa: E402

WIB = ZoneInfo("Asia/Jakarta")
RESULTS = ROOT / "benchmarks" / "results"
NOW = dt.datetime(2026, 11, 25, 10, 0, tzinfo=WIB)


# ---- the offices' sites -------------------------------------------------------------------------


class _Handler(BaseHTTPRequestHandler):
    server: _Server

    def do_GET(self) -> None:
        if self.path == "/_stats":
            self._send(200, json.dumps(self.server.answers).encode())
            return
        if self.path == "/_reset":
            self.server.answers.clear()
            self._send(200, b"{}")
            return
        file = self.server.root / self.path.lstrip("/")
        try:
            stat = file.stat()
        except OSError:
            self._count(404)
            self._send(404, b"not found\n")
            return
        etag = f'"{stat.st_mtime_ns:x}-{stat.st_size:x}"'
        modified = formatdate(stat.st_mtime, usegmt=True)
        since = self.headers.get("If-Modified-Since")
        fresh = self.headers.get("If-None-Match") == etag if "If-None-Match" in self.headers else bool(
            since and parsedate_to_datetime(since).timestamp() >= int(stat.st_mtime))
        if fresh:
            self._count(304)
            self._send(304, b"", (("ETag", etag), ("Last-Modified", modified)))
            return
        self._count(200, stat.st_size)
        self._send(200, file.read_bytes(), (("ETag", etag), ("Last-Modified", modified)))

    def _count(self, status: int, size: int = 0) -> None:
        with self.server.lock:
            self.server.answers[str(status)] = self.server.answers.get(str(status), 0) + 1
            self.server.answers["bytes"] = self.server.answers.get("bytes", 0) + size

    def _send(self, status: int, body: bytes, headers: tuple[tuple[str, str], ...] = ()) -> None:
        self.send_response(status)
        for name, value in headers:
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if status != 304:
            self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet."""


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    root: Path
    answers: dict[str, int]
    lock: threading.Lock


def _serve(root: Path, ports: Any, index: int) -> None:
    server = _Server(("127.0.0.1", 0), _Handler)
    server.root, server.answers, server.lock = root, {}, threading.Lock()
    ports[index] = server.server_address[1]
    server.serve_forever(0.05)


def _get(port: int, path: str) -> dict[str, int]:
    import urllib.request
    with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=10) as answer:
        result: dict[str, int] = json.loads(answer.read())
        return result


def office_items(code: int, count: int, generation: int = 0) -> list[Item]:
    """``count`` realistic items; a later generation adds two, changes one and removes one."""
    items = [item(n, title=f"Informasi {n} KPU {code}") for n in range(1, count + 1)]
    if generation:
        items = items[1:]
        items[0] = dataclasses.replace(items[0], summary=f"Diperbarui generasi {generation}")
        items += [item(count + 2 * generation + k, title=f"Baru {generation}.{k}") for k in range(2)]
    return items


def publish(folder: Path, code: int, count: int, at: dt.datetime, previous: PastVersion | None,
            generation: int = 0) -> PastVersion:
    """What a province reads of one office's version: dip.json, the feed (also archived), dik.html."""
    office = PublicBody(name=f"KPU Kabupaten {code}", short_name=f"KPU Kabupaten {code}")
    version = Version(id=at.strftime("%Y%m%d-%H%M%S"), published_at=at.isoformat(),
                      date_text=format_date(at.date()), decision_number=f"{code}/PPID/2026",
                      decision_date="2 Januari 2026", year=at.year)
    items = office_items(code, count, generation)
    current = PastVersion(version.id, version.published_at, version.decision_number, version.decision_date,
                          tuple(item_record(i) for i in sort_items(items)))
    site = folder / str(code)
    (site / "arsip" / version.id).mkdir(parents=True, exist_ok=True)
    feed = render_feed(current, previous)
    files = {"dip.json": render_json(current.records, office, version), "perubahan.json": feed,
             f"arsip/{version.id}/perubahan.json": feed,
             "dik.html": render_site(items[:1], [EXCLUDED], office, version)["dik.html"]}
    for name, data in files.items():
        (site / name).write_bytes(data)
        os.utime(site / name, (at.timestamp(), at.timestamp()))
    return current


# ---- one run, in its own interpreter ------------------------------------------------------------


def one_run(config: Path, now: str) -> None:
    """The child: one province run, then its figures as one JSON line."""
    from dip_sheets.province import run_province
    from dip_sheets.province_config import load_province_config
    state = load_province_config(config).state_dir
    started, cpu = time.perf_counter(), time.process_time()
    result = run_province(config, now=dt.datetime.fromisoformat(now))
    out = result.output
    print(json.dumps({
        "wall_s": round(time.perf_counter() - started, 2), "cpu_s": round(time.process_time() - cpu, 2),
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
        "offices": result.offices, "reachable": result.reachable, "items": result.items,
        "requests": result.requests, "not_modified": result.not_modified, "downloaded": result.downloaded,
        "digest_lines": len(result.digest),
        "sizes": {p.name: p.stat().st_size for p in sorted(out.iterdir())},
        "state_bytes": sum(p.stat().st_size for p in state.rglob("*") if p.is_file()),
        # other processes share the machine: the 1-minute load average says how much wall time is theirs
        "load_1m": round(os.getloadavg()[0], 1),
    }))


def measure(config: Path, now: dt.datetime, ports: list[int]) -> dict[str, Any]:
    for port in ports:
        _get(port, "/_reset")
    done = subprocess.run([sys.executable, __file__, "--run", str(config), now.isoformat()],
                          capture_output=True, text=True, check=True, cwd=ROOT)
    figures: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    served: Counter[str] = Counter()
    for port in ports:
        served.update(_get(port, "/_stats"))
    figures["served"] = dict(served)
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--offices", type=int, default=514)
    parser.add_argument("--items", type=int, default=300)
    parser.add_argument("--servers", type=int, default=4)
    parser.add_argument("--changed", type=int, default=5)
    parser.add_argument("--run", nargs=2, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.run:
        one_run(Path(args.run[0]), args.run[1])
        return
    with tempfile.TemporaryDirectory(prefix="bench-provinsi-") as temp:
        work = Path(temp)
        started = time.perf_counter()
        versions = {code: publish(work / "situs", code, args.items, NOW - dt.timedelta(days=3), None)
                    for code in range(1, args.offices + 1)}
        generated = time.perf_counter() - started
        ports_shared = multiprocessing.Manager().dict()
        servers = [multiprocessing.Process(target=_serve, args=(work / "situs", ports_shared, i), daemon=True)
                   for i in range(args.servers)]
        for server in servers:
            server.start()
        while len(ports_shared) < args.servers:
            time.sleep(0.05)
        ports = [int(ports_shared[i]) for i in range(args.servers)]
        lines = ["[province]", 'name = "Indonesia (uji skala)"', f'output = "{work / "keluaran"}"',
                 f'state_dir = "{work / "data"}"', "concurrency = 8"]
        for code in versions:
            lines += ["[[office]]", f'name = "KPU Kabupaten {code}"', f'code = "{code}"',
                      f'url = "http://127.0.0.1:{ports[code % len(ports)]}/{code}/"']
        config = work / "provinsi.toml"
        config.write_text("\n".join(lines) + "\n", encoding="utf-8")
        try:
            runs = {"first": measure(config, NOW, ports),
                    "unchanged": measure(config, NOW + dt.timedelta(hours=1), ports)}
            changed = list(versions)[:: max(1, args.offices // args.changed)][: args.changed]
            for code in changed:
                publish(work / "situs", code, args.items, NOW + dt.timedelta(hours=1, minutes=30),
                        versions[code], generation=1)
            runs["changed"] = measure(config, NOW + dt.timedelta(hours=2), ports)
        finally:
            for server in servers:
                server.kill()
    report = {
        "measured": dt.datetime.now().isoformat(timespec="seconds"), "machine": platform.machine(),
        "cpus": os.cpu_count(), "python": platform.python_version(), "offices": args.offices,
        "items_per_office": args.items, "server_processes": args.servers, "changed_offices": args.changed,
        "concurrency": 8, "generate_s": round(generated, 1), "runs": runs,
    }
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "province.json").write_text(json.dumps(report, indent=1) + "\n", encoding="utf-8")
    (RESULTS / "province.md").write_text(table(report), encoding="utf-8")
    print(table(report))


def table(report: dict[str, Any]) -> str:
    head = (f"Measured {report['measured']} on {report['machine']}, {report['cpus']} CPUs, Python"
            f" {report['python']}: {report['offices']} offices x {report['items_per_office']} items on"
            f" {report['server_processes']} loopback HTTP server processes, {report['concurrency']} offices"
            " fetched at once, each run in a fresh interpreter.\n\n")
    rows = ["| run | wall s | CPU s | load (1 min) | peak RSS MB | requests | 304 | 200 | downloaded MB"
            " | items |",
            "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for name, r in report["runs"].items():
        rows.append(f"| {name} | {r['wall_s']} | {r['cpu_s']} | {r['load_1m']} | {r['peak_rss_mb']} |"
                    f" {r['requests']:,} |"
                    f" {r['served'].get('304', 0):,} | {r['served'].get('200', 0):,} |"
                    f" {r['downloaded'] / 1e6:.1f} | {r['items']:,} |")
    sizes = report["runs"]["first"]["sizes"]
    tail = ("\n\nOutput of a run: " + ", ".join(f"{n} {s / 1e6:.1f} MB" for n, s in sizes.items())
            + "; the state folder (every office's last copy)"
            f" {report['runs']['first']['state_bytes'] / 1e6:.1f} MB.\n")
    return head + "\n".join(rows) + tail


if __name__ == "__main__":
    main()
