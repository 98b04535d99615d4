"""What an office publishes beside its list for the province (:mod:`dip_sheets.province_fetch`):
its link-check results (``cek-tautan.json``) and its last self-check (``monev.json``).

Neither is part of the list's content. They ride along in each new version (listed in its manifest,
archived with it, so the archive also says what the checks found at each publish), but they never
make a version by themselves: whether a publish is "unchanged" is decided on the list's own files
only, and an unchanged (or resumed) version keeps the copies archived with it. A province therefore
sees the results as of the office's last change to its list; a daily link re-check does not pile up
versions in the archive.

* ``cek-tautan.json`` is the link cache (:mod:`dip_sheets.links`, its own format) restricted to the
  published items' links; it is published once a check has run (``dip sync`` with ``[links]``, or
  ``dip monev``).
* ``monev.json`` is the summary :meth:`dip_sheets.office.Office.monev` stored in ``state_dir``
  (``ringkasan`` plus ``butir``, each with its ``status``); published once ``dip monev`` has run.
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Iterable, Mapping
from pathlib import Path

from .config import Config
from .links import CACHE_FILE
from .monev import MonevReport
from .province_dik import LINKS_FILE, SELFCHECK_FILE
from .render import PDF_FILE
from .site import ARCHIVE, Manifest, file_table
from .targets import Target

#: the published files that are not the list's content (and the list's PDF, whose bytes Chromium
#: never repeats: see :mod:`dip_sheets.list_pdf`)
EXTRA_FILES = (LINKS_FILE, SELFCHECK_FILE, PDF_FILE)


def selfcheck_path(config: Config) -> Path:
    """Where the last self-check's summary of this office is kept (``state_dir`` may be shared)."""
    return config.state_dir / f"monev-{config.name}.json"


def save_selfcheck(config: Config, report: MonevReport) -> None:
    """Keep ``report``'s summary for the next publish, replaced atomically."""
    met = sum(i.meets for i in report.items)
    document = {
        "ringkasan": f"{met} dari {len(report.items)} butir memenuhi",
        "diperiksa": report.checked_at.isoformat(),
        "badan_publik": report.office,
        "butir": [{"item": i.key, "judul": i.title.id, "status": i.state, "alasan": i.reason.id}
                  for i in report.items],
    }
    path = selfcheck_path(config)
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as stream:
            stream.write(json.dumps(document, ensure_ascii=False, indent=1) + "\n")
        os.replace(temp, path)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise


def extra_files(config: Config, links: Iterable[str]) -> dict[str, bytes]:
    """The files to publish beside a new version: the cache's results for ``links`` (the published
    items' links) and the last self-check, each only when there is one."""
    files: dict[str, bytes] = {}
    cache = _read_json(config.state_dir / CACHE_FILE)
    if isinstance(cache, dict) and isinstance(cache.get("links"), dict):
        wanted = set(links)
        entries = {url: entry for url, entry in sorted(cache["links"].items()) if url in wanted}
        files[LINKS_FILE] = _dump({"version": cache.get("version", 1), "links": entries})
    selfcheck = _read_json(selfcheck_path(config))
    if isinstance(selfcheck, dict):
        files[SELFCHECK_FILE] = _dump(selfcheck)
    return files


def list_files(table: Mapping[str, object]) -> dict[str, object]:
    """``table`` (a manifest's files) without the extra files: what "unchanged" compares."""
    return {name: entry for name, entry in table.items() if name not in EXTRA_FILES}


def archived_extras(target: Target, known: Manifest) -> dict[str, bytes] | None:
    """The extra files ``known`` was published with, as its archive holds them (None: one of them
    is missing or not what its manifest lists, so the version cannot be reused)."""
    names = [name for name in EXTRA_FILES if name in known.files]
    files: dict[str, bytes] = {}
    for name in names:
        data = target.read(f"{ARCHIVE}/{known.version}/{name}")
        if data is None:
            return None
        files[name] = data
    return files if file_table(files) == {n: known.files[n] for n in names} else None


def _read_json(path: Path) -> object:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def _dump(document: object) -> bytes:
    return (json.dumps(document, ensure_ascii=False, indent=1) + "\n").encode("utf-8")
