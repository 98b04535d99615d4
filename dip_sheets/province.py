"""The province's view (``dip provinsi``): every office's published list, one catalogue, one grid.

A province lists its offices in ``provinsi.toml`` (:mod:`dip_sheets.province_config`). A run fetches
each office's published files, a few offices at a time, asking only for what changed
(:mod:`dip_sheets.province_fetch`), judges each office (:mod:`dip_sheets.province_checks`), and
writes into the output folder::

    kepatuhan.html / .csv / .xlsx   the compliance grid: one row per office, one column per check
    katalog.html / .csv / .xlsx     every office's items, searchable, the office as a filter
    perubahan.txt                   what changed since the last run, one line per office

The state folder keeps each office's last copy and validators, and the index of the last run
(``terakhir.json``) from which the change digest is worked out. One run at a time (a lock in the
state folder). An unreachable office is a finding, not a failure: it has its row, with the error.
Only when no office answered at all does the run end with exit code 3 (the grid is still written).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import threading
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .dates import format_date
from .errors import BackendUnavailable
from .lock import run_lock
from .messages import Message
from .province_checks import GridRow, grid_rows
from .province_config import OfficeSource, ProvinceConfig, load_province_config
from .province_fetch import Http, OfficeFetch, fetch_office, load_state, save_state, write_atomic
from .province_render import catalogue_files, grid_files

Progress = Callable[[Message], None]
INDEX_FILE = "terakhir.json"
DIGEST_FILE = "perubahan.txt"
CATALOGUE_FILES = ("katalog.html", "katalog.csv", "katalog.xlsx")
#: how many titles a digest line names before it says "and N more"
_TITLES = 3


@dataclass
class ProvinceResult:
    province: str
    output: Path
    offices: int
    reachable: int
    items: int
    requests: int
    not_modified: int
    downloaded: int
    unreachable: list[tuple[str, str, Message]] = field(default_factory=list)  # code, name, error
    digest: list[str] = field(default_factory=list)
    files: list[str] = field(default_factory=list)  # written by this run (katalog.* only when changed)
    rows: list[GridRow] = field(default_factory=list)

    @property
    def exit_code(self) -> int:
        """0 when the grid was built from at least one office; 3 when no office answered."""
        return 3 if self.offices and not self.reachable else 0

    def summary(self, lang: str = "id") -> dict[str, Any]:
        return {
            "province": self.province, "output": str(self.output), "offices": self.offices,
            "reachable": self.reachable, "items": self.items, "requests": self.requests,
            "not_modified": self.not_modified, "bytes_downloaded": self.downloaded,
            "unreachable": [{"code": c, "name": n, "error": e.text(lang)} for c, n, e in self.unreachable],
            "changes": self.digest, "files": self.files,
            "grid": [{"code": r.code, "met": r.met, "checks": [c.text for c in r.checks]} for r in self.rows],
        }


def run_province(config_path: Path, *, now: dt.datetime | None = None,
                 progress: Progress = lambda _: None) -> ProvinceResult:
    """One run of the province's view; see the module. ``now`` defaults to the present in the
    configured time zone. Raises ConfigError (exit 2) for a bad configuration and AlreadyRunning
    (exit 4) while another run holds the state folder."""
    config = load_province_config(config_path)
    with run_lock(config.state_dir, "provinsi"):
        return _run(config, now or config.now(), progress)


def _run(config: ProvinceConfig, now: dt.datetime, progress: Progress) -> ProvinceResult:
    previous = _read_index(config.state_dir)
    outcomes = fetch_all(config, now, progress, previous.get("offices", {}))
    rows = grid_rows(outcomes, now)
    digest = change_digest(outcomes, previous)
    generated = f"{format_date(now.date())} {now:%H.%M}"
    files = grid_files(config.name, config.color, generated, rows, digest)
    files[DIGEST_FILE] = ("".join(f"{line}\n" for line in digest) or "Tidak ada perubahan.\n").encode()
    items = sum(len(o.state.records) for o in outcomes if o.state is not None)
    key = catalogue_key(outcomes)
    if key != previous.get("catalogue") or not all((config.output / n).is_file() for n in CATALOGUE_FILES):
        catalogue, items = catalogue_files(config.name, config.color, generated, outcomes)
        files.update(catalogue)
    config.output.mkdir(parents=True, exist_ok=True)
    for name, data in files.items():
        write_atomic(config.output / name, data)
    index = {**_index(outcomes, now), "catalogue": key}
    write_atomic(config.state_dir / INDEX_FILE, json.dumps(index, ensure_ascii=False, indent=1).encode())
    unreachable = [(o.source.code, o.source.name, o.error) for o in outcomes if o.error is not None]
    result = ProvinceResult(
        province=config.name, output=config.output, offices=len(outcomes),
        reachable=len(outcomes) - len(unreachable), items=items,
        requests=sum(o.requests for o in outcomes), not_modified=sum(o.not_modified for o in outcomes),
        downloaded=sum(o.downloaded for o in outcomes), unreachable=unreachable, digest=digest,
        files=sorted(files), rows=rows)
    progress(Message(
        f"{result.reachable} dari {result.offices} kantor terjangkau, {result.items} informasi;"
        f" {result.requests} permintaan ({result.not_modified} tidak berubah). Hasil: {config.output}",
        f"{result.reachable} of {result.offices} offices reachable, {result.items} items;"
        f" {result.requests} requests ({result.not_modified} not modified). Output: {config.output}"))
    return result


def catalogue_key(outcomes: list[OfficeFetch]) -> str:
    """What the catalogue is made of: each office's name, code and version held. The catalogue
    (150,000 rows nationally) is rebuilt only when this changes; the grid, which depends on the
    day, is rebuilt every run."""
    parts = [(o.source.code, o.source.name, o.state.version if o.state else None) for o in outcomes]
    return hashlib.sha256(json.dumps(parts, ensure_ascii=False).encode()).hexdigest()


def raise_if_all_unreachable(result: ProvinceResult) -> None:
    """For the CLI: exit 3 when not one office answered (the grid saying so is written already)."""
    if result.exit_code == 3:
        raise BackendUnavailable(
            f"Tidak satu pun dari {result.offices} situs kantor menjawab; periksa sambungan internet"
            f" mesin ini, lalu jalankan lagi. Kisi kepatuhan tetap ditulis di {result.output}.",
            f"None of the {result.offices} office sites answered; check this machine's internet"
            f" connection, then run again. The compliance grid was still written to {result.output}.")


def fetch_all(config: ProvinceConfig, now: dt.datetime, progress: Progress,
              known: dict[str, Any]) -> list[OfficeFetch]:
    """Every office, ``config.concurrency`` at a time, in the configuration's order."""
    http = Http(config.timeout, config.verify)
    now_text = now.isoformat(timespec="seconds")
    said = threading.Lock()

    def one(source: OfficeSource) -> OfficeFetch:
        held = load_state(config.state_dir, source.code)
        if held is not None:  # when the copy was last confirmed, not only last changed
            held.fetched_at = str(known.get(source.code, {}).get("confirmed_at") or held.fetched_at)
        outcome = fetch_office(source, held, http, now_text)
        if outcome.state is not None and outcome.how in ("feed", "feeds", "full"):
            save_state(config.state_dir, outcome.state)
        with said:
            progress(_line(outcome))
        return outcome

    with ThreadPoolExecutor(max_workers=config.concurrency) as pool:
        return list(pool.map(one, config.offices))


_HOW = {"unchanged": ("tidak berubah", "unchanged"),
        "feed": ("diperbarui dari perubahan.json", "updated from the feed"),
        "feeds": ("disusul dari beberapa perubahan.json", "caught up through several feeds"),
        "full": ("diambil lengkap (dip.json)", "fetched in full (dip.json)")}


def _line(outcome: OfficeFetch) -> Message:
    who = f"  {outcome.source.code} {outcome.source.name}"
    if outcome.error is not None:
        return Message(f"{who}: TIDAK TERJANGKAU, {outcome.error.id}",
                       f"{who}: UNREACHABLE, {outcome.error.en}")
    how = _HOW[outcome.how]
    return Message(f"{who}: {how[0]}", f"{who}: {how[1]}")


def _titles(titles: Iterable[str]) -> str:
    names = list(titles)
    shown = ", ".join(f"'{t}'" for t in names[:_TITLES])
    return shown + (f" dan {len(names) - _TITLES} lainnya" if len(names) > _TITLES else "")


def change_digest(outcomes: list[OfficeFetch], previous: dict[str, Any]) -> list[str]:
    """What changed since the last run, in Indonesian, one line per office that changed."""
    before: dict[str, Any] = previous.get("offices", {})
    if not before:
        items = sum(len(o.state.records) for o in outcomes if o.state is not None)
        return [f"Pengambilan pertama: {len(outcomes)} kantor, {items} informasi."]
    lines = []
    for o in outcomes:
        name, old = o.source.name, before.get(o.source.code)
        if old is None:
            lines.append(f"{name}: mulai dipantau.")
        if o.error is not None and (old is None or not old.get("error")):
            lines.append(f"{name}: situs tidak terjangkau ({o.error.id}).")
        elif o.error is None and old is not None and old.get("error"):
            lines.append(f"{name}: situs terjangkau kembali.")
        if o.how in ("feed", "feeds", "full") and old is not None and o.state is not None:
            c = o.changes
            parts = [f"{len(t)} {w} ({_titles(t)})" for t, w in
                     ((c.added, "ditambah"), (c.changed, "diubah"), (c.removed, "dihapus")) if t]
            lines.append(f"{name}: versi baru {o.state.version}" + (f": {'; '.join(parts)}." if parts else
                                                                     ", isi daftar tidak berubah."))
    current = {o.source.code for o in outcomes}
    lines += [f"{old.get('name', code)}: tidak lagi dipantau."
              for code, old in before.items() if code not in current]
    return lines


def _index(outcomes: list[OfficeFetch], now: dt.datetime) -> dict[str, Any]:
    offices = {}
    for o in outcomes:
        state = o.state
        offices[o.source.code] = {
            "name": o.source.name, "version": state.version if state else None,
            "error": o.error.id if o.error else "",
            "confirmed_at": state.fetched_at if state else "",
        }
    return {"at": now.isoformat(timespec="seconds"), "offices": offices}


def _read_index(state_dir: Path) -> dict[str, Any]:
    try:
        document = json.loads((state_dir / INDEX_FILE).read_bytes())
    except (OSError, ValueError):
        return {}
    return document if isinstance(document, dict) and isinstance(document.get("offices"), dict) else {}
