"""End to end on the embedded default (workbook register, local folder), next to the floors of the
libraries underneath, all measured in the same run so the ratios hold on a noisy machine.

For each size a realistic register (:func:`realistic_rows`: 90% established, the rest spread over
the SOP steps) is made by ``dip init`` and typed in, then, each in a fresh interpreter, through
:class:`dip_sheets.office.Office` as the CLI calls it: a first sync, unchanged syncs, everyday syncs
(a few rows edited by a unit just before), a first publish, unchanged publishes, everyday publishes
(a few rows established by the PPID and synced just before: a new version), the render alone and the
upload alone (the rendered version sent to an empty local folder). An unchanged run is measured
three ways: the first one after the run that wrote reviews in full the snapshot that write kept
(:mod:`dip_sheets.register.workbook_cache`) and records the run memo (:mod:`dip_sheets.run_memo`), the
later ones are answered by the memo (each figure says which it was, ``memo``), and one without
either reads the workbook and reviews it in full (as after staff saved the file again). The floors:
python-calamine reading every tab's values of the same workbook, openpyxl
``load_workbook`` + ``save`` of it, a minimal Jinja2 table of the published rows and xlsxwriter
writing the same rows. Each figure is CPU seconds (``time.process_time``) of its own process and its
peak RSS; repeated runs keep the median. Run ``scripts/bench e2e [--sizes 1000,10000]`` or
``.venv/bin/python -m benchmarks.bench_e2e``; results go to ``benchmarks/results/e2e.json`` and
``e2e.md``. The list's PDF (``dip.pdf``, Chromium printing the page) is left out (``DIP_PDF=0``,
unless set otherwise): it is Chromium's time, not dip-sheets', and grows with the printed pages.
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime as dt
import importlib
import io
import json
import os
import platform
import shutil
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from dip_sheets import schema as s
from dip_sheets.config import Config, default_config
from dip_sheets.memo_results import RecalledSync
from dip_sheets.office import Office
from dip_sheets.publish import make_version
from dip_sheets.register import Cell, CellWrite, Changes, Layout
from dip_sheets.register.workbook import WorkbookRegister, append_rows
from dip_sheets.render import render_site
from dip_sheets.run_memo import memo_path
from dip_sheets.site import Manifest, file_table, scan
from dip_sheets.switch import links_possible, switch_live, upload_version
from dip_sheets.sync import review
from dip_sheets.targets.folder import FolderTarget
from tests.conftest import UNITS, established, good_row

#: the process isolation and measuring of the sync benchmark (imported by name: mypy checks
#: benchmarks/ as top-level modules, ``python -m`` runs them as ``benchmarks.*``)
_bench_sync = importlib.import_module("benchmarks.bench_sync")
isolated, measured = _bench_sync.isolated, _bench_sync.measured

RESULTS = Path(__file__).resolve().parent / "results"
SIZES = (1_000, 10_000)
#: runs of an unchanged sync or publish answered by the run memo: a few milliseconds each, where a
#: process's CPU time moves by a tenth from one run to the next, so more runs than the other steps
MEMO_REPEATS = 21
#: rows a unit edits before an everyday sync, and rows the PPID establishes before an everyday publish
EVERYDAY_EDITS = 5


def realistic_rows(count: int) -> list[dict[str, Cell]]:
    """``count`` DIP rows of an office that has run the SOP for a while: 90% established by the
    PPID; of the rest, in turn: typed but not handed over, handed over, verified, sent back for
    revision, rejected, and typed without a Penanggung Jawab (the sync writes a note)."""
    steps: list[dict[str, Cell]] = [
        {}, {s.STEP1: s.HANDED_OVER}, {s.STEP1: s.HANDED_OVER, s.STEP2: "Sudah"},
        {s.STEP1: s.HANDED_OVER, s.STEP2: "Sudah", s.STEP3: s.NEEDS_REVISION},
        {s.STEP1: s.HANDED_OVER, s.STEP2: "Sudah", s.STEP3: s.REJECTED}, {s.RESPONSIBLE: ""},
    ]
    rows = []
    for n in range(count):
        title = f"Informasi nomor {n + 1}"
        content: dict[str, Cell] = {
            s.CATEGORY: s.CATEGORIES[n % 3], s.UNIT: UNITS[n % len(UNITS)],
            s.SUMMARY: f"Ringkasan informasi nomor {n + 1}: laporan, data dan dokumen unit kerja.",
            s.LINK: f"https://ppid.example.go.id/dokumen/{n + 1}.pdf"}
        if n % 10:
            rows.append(established(title, **content))
        else:
            rows.append(good_row(title, **content, **steps[(n // 10) % len(steps)]))
    return rows


def office_config(base: str) -> Config:
    config = default_config(Path(base))
    return dataclasses.replace(config, publish=dataclasses.replace(
        config.publish, base_url="https://ppid.example.go.id/dip/", decision_number="1/PPID/2026"))


# ---- the measured steps (each called in a fresh interpreter) ---------------------------------------


def make_register(base: str, rows: int) -> None:
    config = office_config(base)
    WorkbookRegister(config.register.path).init(Layout(s.TABS, UNITS))
    append_rows(config.register.path, s.DIP_TAB, realistic_rows(rows))


def unit_edits(base: str, round_: int) -> None:
    """A unit corrects the summary of a few rows it has not handed over yet (not measured)."""
    register = WorkbookRegister(office_config(base).register.path)
    now = dt.datetime.now(dt.UTC)
    rows = [r for r in review(register.read(), UNITS, now).dip if not r.values.get(s.STEP1)]
    writes = [CellWrite(r.anchor, s.SUMMARY, f"Ringkasan diperbaiki, putaran {round_}")
              for r in rows[round_ * EVERYDAY_EDITS:(round_ + 1) * EVERYDAY_EDITS]]
    register.apply(Changes(writes))


def ppid_establishes(base: str) -> None:
    """The PPID establishes a few rows that wait for it or for the Desk (not measured)."""
    register = WorkbookRegister(office_config(base).register.path)
    rows = [r for r in review(register.read(), UNITS, dt.datetime.now(dt.UTC)).dip
            if r.values.get(s.STEP1) and not r.values.get(s.STEP3) and r.item is not None]
    writes = [CellWrite(r.anchor, header, value) for r in rows[:EVERYDAY_EDITS]
              for header, value in ((s.STEP2, "Sudah"), (s.STEP3, s.ESTABLISHED))]
    register.apply(Changes(writes))


def run_sync(base: str) -> dict[str, Any]:
    office = Office(office_config(base))
    with measured() as timing:
        result = office.sync()
    return {**_figures(timing), "cells": result.summary()["cells_written"],
            "memo": isinstance(result, RecalledSync)}


def run_publish(base: str) -> dict[str, Any]:
    office = Office(office_config(base))
    with measured() as timing:
        result = office.publish(force=True)
    return {**_figures(timing), "status": result.status, "bytes": result.bytes_uploaded,
            "memo": isinstance(result.sync, RecalledSync)}


def run_render(base: str) -> dict[str, Any]:
    """``render_site`` alone, of what the register publishes (read and reviewed first, unmeasured)."""
    config = office_config(base)
    current = review(WorkbookRegister(config.register.path).read(), UNITS, dt.datetime.now(dt.UTC))
    version = make_version(config, dt.datetime.now(dt.UTC))
    with measured() as timing:
        render_site(current.items, current.exclusions, config.office, version)
    return _figures(timing)


def run_upload(base: str) -> dict[str, Any]:
    """The upload alone: what the register publishes, rendered (unmeasured), sent to an empty local
    folder as a publish sends a new version (into the archive, each file verified, then made live)."""
    config = office_config(base)
    current = review(WorkbookRegister(config.register.path).read(), UNITS, dt.datetime.now(dt.UTC))
    version = make_version(config, dt.datetime.now(dt.UTC))
    files = render_site(current.items, current.exclusions, config.office, version)
    manifest = Manifest(version.id, version.published_at, file_table(files), len(current.items))
    with tempfile.TemporaryDirectory(prefix="dip-upload-") as folder:
        target = FolderTarget(Path(folder))
        with measured() as timing:
            site = scan(target)
            upload_version(target, manifest, files, _quiet)
            switch_live(target, site, manifest, files, _quiet, links=links_possible(target, site))
    return _figures(timing)


def _quiet(_: object) -> None:
    """The upload's progress, not shown."""


def floor_calamine(base: str) -> dict[str, Any]:
    from python_calamine import CalamineWorkbook
    path = office_config(base).register.path
    with measured() as timing:
        book = CalamineWorkbook.from_path(str(path))
        for name in book.sheet_names:
            book.get_sheet_by_name(name).to_python()
    return _figures(timing)


def floor_openpyxl(base: str) -> dict[str, Any]:
    import openpyxl
    path = office_config(base).register.path
    with measured() as timing:
        openpyxl.load_workbook(path).save(path.with_suffix(".copy.xlsx"))
    return _figures(timing)


def _published_rows(base: str) -> list[list[str]]:
    data = json.loads((office_config(base).publish.folder / "dip.json").read_bytes())
    return [[str(v) for v in record.values()] for record in data["item"]]


def floor_jinja(base: str) -> dict[str, Any]:
    """A minimal Jinja2 table of the published rows (autoescaped, one cell per field)."""
    import jinja2
    rows = _published_rows(base)
    template = jinja2.Environment(autoescape=True).from_string(
        "<table>{% for row in rows %}<tr>{% for cell in row %}<td>{{ cell }}</td>{% endfor %}</tr>"
        "{% endfor %}</table>")
    with measured() as timing:
        template.render(rows=rows).encode()
    return _figures(timing)


def floor_xlsxwriter(base: str) -> dict[str, Any]:
    import xlsxwriter
    rows = _published_rows(base)
    with measured() as timing:
        out = io.BytesIO()
        book = xlsxwriter.Workbook(out, {"in_memory": True, "strings_to_formulas": False,
                                         "strings_to_urls": False})
        sheet = book.add_worksheet("DIP")
        for r, row in enumerate(rows):
            sheet.write_row(r, 0, row)
        book.close()
    return _figures(timing)


def _figures(timing: Any) -> dict[str, Any]:
    return {"cpu_s": timing.cpu_s, "wall_s": timing.wall_s, "peak_mb": timing.peak_rss_mb}


# ---- one size -------------------------------------------------------------------------------------


def median_of(runs: Sequence[dict[str, Any]]) -> dict[str, Any]:
    """The run of median CPU time (its memory and extras with it), plus every CPU figure."""
    ordered = sorted(runs, key=lambda r: r["cpu_s"])
    return {**ordered[len(ordered) // 2], "runs_cpu_s": [round(r["cpu_s"], 3) for r in runs]}


#: from this size on only the first and unchanged sync and publish and the calamine read run, once
#: each (the rest scales as at 10,000 rows; the point there is time and peak memory)
BIG = 100_000


def measure_size(rows: int, repeats: int, log: Callable[[str], None]) -> dict[str, Any]:
    """Every step at ``rows``, each repeated ``repeats`` times (median kept); a first run and the
    full review after it are repeated on fresh copies of the register (or of the office before its
    first publish), so that every figure is a median, not one run."""
    if rows >= BIG:
        return measure_big(rows, log)
    figures: dict[str, Any] = {"rows": rows}
    with tempfile.TemporaryDirectory(prefix="dip-e2e-") as folder:
        fresh = os.path.join(folder, "register")
        os.mkdir(fresh)
        isolated(make_register, fresh, rows)
        log(f"{rows:,} rows: register made ({os.path.getsize(office_config(fresh).register.path):,} bytes)")
        base = _first_and_full(fresh, repeats, run_sync, "sync", figures)
        figures["sync_unchanged"] = median_of([isolated(run_sync, base) for _ in range(MEMO_REPEATS)])
        everyday = []
        for round_ in range(repeats):
            isolated(unit_edits, base, round_)
            everyday.append(isolated(run_sync, base))
        figures["sync_everyday"] = median_of(everyday)
        log(f"{rows:,} rows: syncs done")
        base = _first_and_full(base, repeats, run_publish, "publish", figures)
        figures["publish_unchanged"] = median_of([isolated(run_publish, base) for _ in range(MEMO_REPEATS)])
        everyday = []
        for _ in range(repeats):
            isolated(ppid_establishes, base)
            isolated(run_sync, base)
            everyday.append(isolated(run_publish, base))
        figures["publish_everyday"] = median_of(everyday)
        figures["render"] = median_of([isolated(run_render, base) for _ in range(repeats)])
        figures["upload"] = median_of([isolated(run_upload, base) for _ in range(repeats)])
        log(f"{rows:,} rows: publishes done")
        for name, floor in (("calamine_read", floor_calamine), ("openpyxl_load_save", floor_openpyxl),
                            ("jinja_table", floor_jinja), ("xlsxwriter", floor_xlsxwriter)):
            figures[name] = median_of([isolated(floor, base) for _ in range(repeats)])
        log(f"{rows:,} rows: floors done")
    return figures


def _first_and_full(source: str, repeats: int, step: Callable[[str], dict[str, Any]], name: str,
                    figures: dict[str, Any]) -> str:
    """``step`` run first on a copy of ``source``, then again (the full review after the write), on
    a fresh copy each time; returns the last copy, where the office goes on."""
    first, full, read = [], [], []
    for run in range(repeats):
        copy = f"{source}-{name}-{run}"
        shutil.copytree(source, copy, symlinks=True)
        first.append(isolated(step, copy))
        full.append(isolated(step, copy))  # reviews the kept snapshot in full, records the memo
        if name == "sync":
            read.append(isolated(_read_in_full, copy))
    figures[f"{name}_first"], figures[f"{name}_unchanged_full"] = median_of(first), median_of(full)
    if read:
        figures["sync_unchanged_read"] = median_of(read)
    return copy


def forget(base: str) -> None:
    """Remove the office's run memos and register snapshot: the next run reads the workbook."""
    config = office_config(base)
    for kind in ("sync", "publish", "register"):
        memo_path(config, kind).unlink(missing_ok=True)


def _read_in_full(base: str) -> dict[str, Any]:
    """An unchanged sync without the snapshot (as after staff saved the file again): read, review."""
    forget(base)
    return run_sync(base)


def measure_big(rows: int, log: Callable[[str], None]) -> dict[str, Any]:
    figures: dict[str, Any] = {"rows": rows}
    with tempfile.TemporaryDirectory(prefix="dip-e2e-") as base:
        isolated(make_register, base, rows)
        log(f"{rows:,} rows: register made ({os.path.getsize(office_config(base).register.path):,} bytes)")
        figures["sync_first"] = isolated(run_sync, base)
        figures["sync_unchanged_full"] = isolated(run_sync, base)
        figures["sync_unchanged"] = isolated(run_sync, base)
        figures["sync_unchanged_read"] = isolated(_read_in_full, base)
        log(f"{rows:,} rows: syncs done")
        figures["publish_first"] = isolated(run_publish, base)
        figures["publish_unchanged_full"] = isolated(run_publish, base)
        figures["publish_unchanged"] = isolated(run_publish, base)
        log(f"{rows:,} rows: publishes done")
        figures["calamine_read"] = isolated(floor_calamine, base)
    return figures


def targets(figures: dict[str, Any]) -> list[dict[str, Any]]:
    """The issue's targets as measured / floor = ratio against the limit."""
    cpu = {name: value["cpu_s"] for name, value in figures.items() if isinstance(value, dict)}
    def cost(*names: str) -> float | None:  # None: a step not run at this size
        return sum(cpu[n] for n in names) if all(n in cpu for n in names) else None

    entries = [
        ("unchanged sync / calamine read", cost("sync_unchanged"), cost("calamine_read"), 2.0),
        ("unchanged sync, first after its own write (full review of the kept snapshot) / calamine read",
         cost("sync_unchanged_full"), cost("calamine_read"), 2.0),
        ("unchanged sync, read in full (no snapshot: as after staff saved the file again) / calamine"
         " read", cost("sync_unchanged_read"), cost("calamine_read"), None),
        ("everyday sync / calamine read", cost("sync_everyday"), cost("calamine_read"), 3.0),
        ("unchanged publish / unchanged sync", cost("publish_unchanged"), cost("sync_unchanged"), 1.2),
        ("unchanged publish / unchanged sync, both first after a change (full review)",
         cost("publish_unchanged_full"), cost("sync_unchanged_full"), 1.2),
        ("render / (Jinja2 table + xlsxwriter)", cost("render"), cost("jinja_table", "xlsxwriter"), 1.5),
        # the "a changed publish at most sync + render + upload"; the step 4/5 register write
        # is left out of the floors: an everyday publish stamps a few rows, a first one every
        # established row (as much as the first sync writes: the last line is the target, the one
        # before it, without any write in its floor, is shown for reference)
        ("everyday publish / (everyday sync + render alone + upload alone)", cost("publish_everyday"),
         cost("sync_everyday", "render", "upload"), 1.0),
        ("first publish / (unchanged sync + render alone)", cost("publish_first"),
         cost("sync_unchanged_full", "render"), None),
        ("first publish / (first sync + render alone)", cost("publish_first"),
         cost("sync_first", "render"), 1.0),
    ]
    result = [{"target": name, "measured_s": value, "floor_s": floor, "ratio": value / floor,
               "limit": limit, "met": None if limit is None else value / floor <= limit}
              for name, value, floor, limit in entries if value is not None and floor is not None]
    if figures["rows"] >= 100_000:
        for name, limit in (("sync_first", 600), ("sync_unchanged_full", 600), ("sync_unchanged_read", 600),
                            ("publish_first", 1000), ("publish_unchanged_full", 1000)):
            peak = figures[name]["peak_mb"]
            result.append({"target": f"peak memory {name} (MB)", "measured_s": peak, "floor_s": limit,
                           "ratio": peak / limit, "limit": 1.0, "met": peak <= limit})
    return result


# ---- output ---------------------------------------------------------------------------------------

COLUMNS = (("sync first", "sync_first"),
           ("sync unchanged, first after its own write (full review of the kept snapshot)",
            "sync_unchanged_full"),
           ("sync unchanged, read in full (no snapshot)", "sync_unchanged_read"),
           ("sync unchanged (run memo)", "sync_unchanged"),
           ("sync everyday", "sync_everyday"), ("publish first", "publish_first"),
           ("publish unchanged, first after its own write (full review of the kept snapshot)",
            "publish_unchanged_full"),
           ("publish unchanged (run memo)", "publish_unchanged"),
           ("publish everyday (a new version)", "publish_everyday"), ("render alone", "render"),
           ("upload alone (local folder)", "upload"),
           ("calamine read", "calamine_read"), ("openpyxl load+save", "openpyxl_load_save"),
           ("Jinja2 table", "jinja_table"), ("xlsxwriter", "xlsxwriter"))


def markdown(sizes: Sequence[dict[str, Any]]) -> str:
    lines = ["| step | " + " | ".join(f"{f['rows']:,} rows: CPU s (peak MB)" for f in sizes) + " |",
             "|---|" + "---:|" * len(sizes)]
    for label, key in COLUMNS:
        lines.append(f"| {label} | " + " | ".join(
            f"{f[key]['cpu_s']:.2f} ({f[key]['peak_mb']:.0f})" if key in f else "–" for f in sizes) + " |")
    lines.append("")
    for figures in sizes:
        for entry in figures["targets"]:
            verdict = ("(for reference, not a target)" if entry["met"] is None else
                       f"(limit {entry['limit']}x): {'met' if entry['met'] else 'NOT met'}")
            lines.append(f"- {figures['rows']:,} rows, {entry['target']}: {entry['measured_s']:.2f} /"
                         f" {entry['floor_s']:.2f} = {entry['ratio']:.2f}x {verdict}")
    return "\n".join(lines) + "\n"


def repeats_for(rows: int, asked: int | None) -> int:
    """Runs of each repeated step at ``rows``: ``--repeats`` if given; a 100,000-row step runs once."""
    if rows >= BIG:
        return 1
    return asked if asked is not None else 7 if rows < 10_000 else 3


def main(argv: Sequence[str] | None = None) -> int:
    os.environ.setdefault("DIP_PDF", "0")  # the steps' interpreters inherit it
    parser = argparse.ArgumentParser(prog="scripts/bench e2e", description=(__doc__ or "").split("\n")[0])
    parser.add_argument("--sizes", default=",".join(map(str, SIZES)),
                        help="comma-separated row counts (default: %(default)s; 100000 takes long)")
    parser.add_argument("--repeats", type=int, default=None, help=(
        "runs of each repeated step, median kept (default: 7 under 10,000 rows, where a single figure"
        " moves by 15%% from run to run, else 3)"))
    parser.add_argument("--out", type=Path, default=RESULTS, help="results folder")
    args, _ = parser.parse_known_args(argv)  # scripts/bench passes bench_sync's options too
    started = time.perf_counter()

    def log(message: str) -> None:
        print(f"[{time.perf_counter() - started:6.1f} s] {message}", file=sys.stderr, flush=True)

    sizes, repeats = [], {}
    for rows in sorted({int(n) for n in args.sizes.split(",") if n.strip()}):
        repeats[rows] = repeats_for(rows, args.repeats)
        figures = measure_size(rows, repeats[rows], log)
        figures["targets"] = targets(figures)
        sizes.append(figures)
    meta = {"date": dt.datetime.now().isoformat(timespec="seconds"), "python": platform.python_version(),
            "machine": f"{platform.machine()}, {len(os.sched_getaffinity(0))} CPUs",
            "repeats": repeats, "seconds_total": round(time.perf_counter() - started, 1)}
    repeated = ", ".join(f"{n} at {rows:,} rows" for rows, n in repeats.items())
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "e2e.json").write_text(json.dumps({"meta": meta, "sizes": sizes}, indent=1) + "\n")
    text = (f"Measured {meta['date']} on {meta['machine']}, Python {meta['python']},"
            f" {meta['seconds_total']:,} s in all; CPU seconds of each step's own process (median of"
            f" {repeated} where repeated; of {MEMO_REPEATS} for the runs the memo answers), peak RSS in"
            " MB.\n\n" + markdown(sizes))
    (args.out / "e2e.md").write_text(text)
    print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
