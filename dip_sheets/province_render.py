"""The province's files: the catalogue and the compliance grid as pages, CSV and XLSX, built with pandas.

The catalogue is one table of every office's items (the office's code and name first, then the
open-data fields of ``dip.json``); the grid is one row per office. pandas does the joining and the
CSV; the XLSX is written as SpreadsheetML directly (:mod:`dip_sheets.province_xlsx`), so a national
catalogue (150,000 rows) takes seconds, not minutes. Every text an office published is untrusted: the
pages escape it (Jinja2's sandbox, autoescaping), links pass :func:`~dip_sheets.records.safe_link`,
and no CSV field or XLSX cell can open as a formula.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pandas as pd

from . import schema as s
from .province_checks import COLUMNS, MET, NOT_YET, UNKNOWN, GridRow
from .province_fetch import OfficeFetch
from .province_xlsx import xlsx_bytes
from .records import FIELDS, neutralize_formula, safe_link
from .render import colors
from .templating import environment, render_template

OFFICE_COLUMNS = (("kode_kantor", "Kode Kantor"), ("kantor", "Kantor"))
GRID_FIXED = (("kode_kantor", "Kode Kantor"), ("kantor", "Kantor"), ("alamat", "Alamat Situs"),
              ("versi", "Versi"), ("jumlah", "Jumlah Informasi"), ("data_per", "Data Per"))


def catalogue_frame(outcomes: Sequence[OfficeFetch]) -> pd.DataFrame:
    """Every item of every office held, one row each, offices in the configuration's order."""
    keys = [key for key, _, _ in FIELDS]
    frames = []
    for outcome in outcomes:
        if outcome.state is None or not outcome.state.records:
            continue
        frame = pd.DataFrame.from_records(outcome.state.records).reindex(columns=keys)
        frame.insert(0, "kantor", outcome.source.name)
        frame.insert(0, "kode_kantor", outcome.source.code)
        frames.append(frame)
    if not frames:
        return pd.DataFrame(columns=[*(k for k, _ in OFFICE_COLUMNS), *keys])
    result = pd.concat(frames, ignore_index=True)
    result["tahun"] = pd.to_numeric(result["tahun"], errors="coerce").fillna(0).astype("int64")
    text = [c for c in result.columns if c != "tahun"]
    result[text] = result[text].fillna("").astype(str)
    return result


def grid_frame(rows: Sequence[GridRow]) -> pd.DataFrame:
    records = [
        {"kode_kantor": r.code, "kantor": r.name, "alamat": r.url, "versi": r.version, "jumlah": r.items,
         "data_per": r.fetched_at,
         **{column: check.text for column, check in zip(COLUMNS, r.checks, strict=True)},
         "memenuhi": r.met}
        for r in rows
    ]
    return pd.DataFrame.from_records(
        records, columns=[*(k for k, _ in GRID_FIXED), *COLUMNS, "memenuhi"])


def catalogue_labels() -> dict[str, str]:
    return {**dict(OFFICE_COLUMNS), **{key: label for key, label, _ in FIELDS}}


def grid_labels() -> dict[str, str]:
    return {**dict(GRID_FIXED), "memenuhi": "Jumlah Memenuhi"}


def to_csv(frame: pd.DataFrame, labels: dict[str, str]) -> bytes:
    """UTF-8 with a BOM (Excel opens it right on a double click); formula starts neutralised."""
    safe = frame.copy()
    for column in safe.columns:
        if not pd.api.types.is_numeric_dtype(safe[column]):
            safe[column] = safe[column].map(lambda v: neutralize_formula(str(v)))
    text = safe.rename(columns=labels).to_csv(index=False, lineterminator="\r\n")
    return b"\xef\xbb\xbf" + text.encode("utf-8")


def to_xlsx(frame: pd.DataFrame, labels: dict[str, str], title: str) -> bytes:
    """One sheet, header bold and frozen, every text stored as text (never a formula)."""
    header = [labels.get(str(c), str(c)) for c in frame.columns]
    widths = [min(60.0, max(10.0, len(h) * 0.9)) for h in header]
    return xlsx_bytes(title, header, frame.itertuples(index=False, name=None), widths)


def _base(province: str, color: str, generated: str, offices: list[tuple[str, str]]) -> dict[str, Any]:
    # the office page's shared styles (_table.css.j2) label the list's columns from the field table
    return {"province": province, "colors": colors(color), "generated": generated, "offices": offices,
            "columns": s.PAGE_COLUMNS}


def catalogue_files(province: str, color: str, generated: str,
                    outcomes: Sequence[OfficeFetch]) -> tuple[dict[str, bytes], int]:
    """``katalog.html``, ``.csv`` and ``.xlsx``, and the number of items in them."""
    frame = catalogue_frame(outcomes)
    columns = ["kode_kantor", "kantor", "kategori", "judul", "ringkasan", "unit_penguasa",
               "waktu_pembuatan", "tahun", "bentuk", "tautan"]
    items = [(*row[:-1], safe_link(str(row[-1])))
             for row in frame[columns].itertuples(index=False, name=None)]
    found = set(frame["kategori"])
    context = {
        **_base(province, color, generated, [(o.source.code, o.source.name) for o in outcomes]),
        "page": "katalog", "items": items, "labels": catalogue_labels(),
        "years": sorted({int(y) for y in frame["tahun"] if y}, reverse=True),
        "categories": [*(c for c in s.CATEGORIES if c in found), *sorted(found - set(s.CATEGORIES))],
    }
    page = render_template(environment(None), "provinsi_katalog.html.j2", context, None).encode()
    return {"katalog.html": page, "katalog.csv": to_csv(frame, catalogue_labels()),
            "katalog.xlsx": to_xlsx(frame, catalogue_labels(), "Katalog")}, len(frame)


def grid_files(province: str, color: str, generated: str, rows: Sequence[GridRow],
               digest: Sequence[str]) -> dict[str, bytes]:
    """``kepatuhan.html``, ``.csv`` and ``.xlsx``."""
    counts = {state: sum(1 for r in rows for c in r.checks if c.state == state)
              for state in (MET, NOT_YET, UNKNOWN)}
    context = {
        **_base(province, color, generated, [(r.code, r.name) for r in rows]),
        "page": "kepatuhan", "rows": rows, "grid_columns": COLUMNS, "digest": digest, "counts": counts,
        "reachable": sum(1 for r in rows if r.checks[0].state == MET),
    }
    frame = grid_frame(rows)
    return {"kepatuhan.html": render_template(environment(None), "provinsi_kepatuhan.html.j2", context,
                                              None).encode(),
            "kepatuhan.csv": to_csv(frame, grid_labels()),
            "kepatuhan.xlsx": to_xlsx(frame, grid_labels(), "Kepatuhan")}
