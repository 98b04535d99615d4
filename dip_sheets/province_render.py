"""The province's files: the catalogue and the compliance grid as pages, CSV and XLSX, built with pandas.

The catalogue is one table of every office's items (the office's code and name first, then the
open-data fields of ``dip.json``); the grid is one row per office. pandas does the joining and the
CSV; the XLSX is streamed with openpyxl's write-only workbook, so a national catalogue (150,000
rows) does not need a gigabyte of cell objects. Every text an office published is untrusted: the
pages escape it (Jinja2's sandbox, autoescaping), links pass :func:`~dip_sheets.records.safe_link`,
and no CSV field or XLSX cell can open as a formula.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from typing import Any

import pandas as pd
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Font
from openpyxl.worksheet._write_only import WriteOnlyWorksheet

from .province_checks import COLUMNS, GridRow
from .province_fetch import OfficeFetch
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
    book = Workbook(write_only=True)
    sheet: WriteOnlyWorksheet = book.create_sheet(title[:31])
    sheet.freeze_panes = "A2"
    header = []
    for column in frame.columns:
        cell = WriteOnlyCell(sheet, value=labels.get(str(column), str(column)))
        cell.font = Font(bold=True)
        header.append(cell)
    sheet.append(header)
    for row in frame.itertuples(index=False, name=None):
        sheet.append([_cell(sheet, value) for value in row])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _cell(sheet: WriteOnlyWorksheet, value: Any) -> Any:
    if not isinstance(value, str):
        return value.item() if hasattr(value, "item") else value  # numpy scalars to Python
    cell = WriteOnlyCell(sheet, value=ILLEGAL_CHARACTERS_RE.sub("", value))
    cell.data_type = "s"  # '=…' stays text
    return cell


def render_pages(province: str, color: str, generated: str, catalogue: pd.DataFrame,
                 rows: Sequence[GridRow], digest: Sequence[str]) -> dict[str, bytes]:
    """``katalog.html`` and ``kepatuhan.html``, in the package's sandboxed Jinja2 environment."""
    env = environment(None)
    offices = [(r.code, r.name) for r in rows]
    columns = ["kode_kantor", "kantor", "kategori", "judul", "ringkasan", "unit_penguasa",
               "waktu_pembuatan", "tahun", "bentuk", "tautan", "id"]
    items = [
        (*row[:-2], safe_link(str(row[-2])), row[-1])
        for row in catalogue[columns].itertuples(index=False, name=None)
    ] if len(catalogue) else []
    years = sorted({int(y) for y in catalogue["tahun"] if y}, reverse=True) if len(catalogue) else []
    base = {"province": province, "colors": colors(color), "generated": generated, "offices": offices}
    counts = {state: sum(1 for r in rows for c in r.checks if c.state == state)
              for state in ("memenuhi", "belum", "tidak dapat dinilai")}
    return {
        "katalog.html": render_template(env, "provinsi_katalog.html.j2", {
            **base, "page": "katalog", "items": items, "years": years,
            "categories": sorted(set(catalogue["kategori"])) if len(catalogue) else []}, None).encode(),
        "kepatuhan.html": render_template(env, "provinsi_kepatuhan.html.j2", {
            **base, "page": "kepatuhan", "rows": rows, "columns": COLUMNS, "digest": digest,
            "counts": counts, "reachable": sum(1 for r in rows if r.checks[0].state == "memenuhi")},
            None).encode(),
    }
