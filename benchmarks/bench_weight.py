"""What a visitor downloads: the list's page with all its assets, compressed, at 1,000 and 10,000 items.

Every page is self-contained (styles, script and logo inlined), so ``index.html`` is everything the
first screen needs. Up to 1,000 items it is the whole list; above, it carries the first rows and the
rest loads from ``index-lanjutan.js`` when needed (:mod:`dip_sheets.list_split`). For each size this
reports the page raw and compressed (gzip level 6, what a web server typically sends), the rest file,
the whole list as one page (what the first screen needed before the split), and the render time.
Items are the tests' realistic rows (:func:`tests.test_render.item`: KPU wording and lengths).

Run: ``scripts/bench weight [--sizes 1000,10000] [--out DIR]``; writes ``weight.json`` and
``weight.md`` into ``benchmarks/results/`` (or DIR).
"""

from __future__ import annotations

import argparse
import gzip
import json
import platform
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # run as a script: make `tests` importable
    sys.path.insert(0, str(ROOT))

from dip_sheets.list_split import FIRST_ROWS, SPLIT_ABOVE  # noqa: E402
from dip_sheets.render import list_page, render_site  # noqa: E402
from tests.test_render import OFFICE, item, version  # noqa: E402

SIZES = (1_000, 10_000)
LEVEL = 6


def packed(data: bytes) -> int:
    return len(gzip.compress(data, LEVEL, mtime=0))


def measure(size: int) -> dict[str, Any]:
    items = [item(n) for n in range(1, size + 1)]
    started = time.perf_counter()
    files = render_site(items, [], OFFICE, version())
    seconds = time.perf_counter() - started
    page, rest = files["index.html"], files.get("index-lanjutan.js", b"")
    whole = list_page(items, OFFICE, version())
    return {
        "items": size,
        "rows_in_page": page.count(b'data-tahun="'),
        "page_bytes": len(page), "page_gzip": packed(page),
        "rest_bytes": len(rest), "rest_gzip": packed(rest) if rest else 0,
        "one_page_bytes": len(whole), "one_page_gzip": packed(whole),
        "render_seconds": round(seconds, 2),
    }


def table(results: list[dict[str, Any]]) -> str:
    lines = ["| items | rows in index.html | first screen: index.html (gzip) | rest: index-lanjutan.js (gzip)"
             " | whole list as one page (gzip) | render s |", "|---:|---:|---:|---:|---:|---:|"]
    for r in results:
        rest = f"{r['rest_bytes']:,} B ({r['rest_gzip']:,} B)" if r["rest_bytes"] else "none"
        page = f"{r['page_bytes']:,} B ({r['page_gzip']:,} B)"
        whole = f"{r['one_page_bytes']:,} B ({r['one_page_gzip']:,} B)"
        lines.append(f"| {r['items']:,} | {r['rows_in_page']:,} | {page} | {rest} | {whole}"
                     f" | {r['render_seconds']:.2f} |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default=",".join(map(str, SIZES)))
    parser.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "results")
    parser.add_argument("--repeats", type=int, default=1, help="ignored (for scripts/bench's arguments)")
    parser.add_argument("--no-publish", action="store_true", help="ignored (for scripts/bench's arguments)")
    args = parser.parse_args(argv)
    results = [measure(int(size)) for size in args.sizes.split(",") if size]
    note = (f"Measured {time.strftime('%Y-%m-%dT%H:%M:%S')} on {platform.machine()}, Python"
            f" {platform.python_version()}; gzip level {LEVEL}; lists above {SPLIT_ABOVE:,} items carry"
            f" their first {FIRST_ROWS} rows in index.html.")
    text = f"{note}\n\n{table(results)}\n"
    print(text)
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "weight.md").write_text(text, encoding="utf-8")
    (args.out / "weight.json").write_text(json.dumps({"note": note, "results": results}, indent=1) + "\n",
                                          encoding="utf-8")


if __name__ == "__main__":
    main()
