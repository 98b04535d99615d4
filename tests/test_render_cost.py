"""What a render costs: each row rendered once for every page that shows it (an office's own row
template included, still sandboxed) and asked for a block at a time, the built-in templates compiled
once across processes, the workbook's ZIP stamped without being deflated again, the JSON files'
layout, and memory in proportion to the rows."""

from __future__ import annotations

import hashlib
import io
import json
import random
import tracemalloc
import zipfile
from pathlib import Path
from typing import Any

import pytest
from jinja2 import Environment, FileSystemBytecodeCache
from jinja2.runtime import Macro

from dip_sheets import feed as feed_module
from dip_sheets import history as history_module
from dip_sheets import json_text, opendata
from dip_sheets import rendered as rendered_module
from dip_sheets.errors import ConfigError
from dip_sheets.history import PastVersion
from dip_sheets.list_split import SPLIT_ABOVE
from dip_sheets.opendata import _stamped
from dip_sheets.records import item_record
from dip_sheets.render import render_site
from dip_sheets.rendered import Rendered
from dip_sheets.site import file_table
from dip_sheets.templating import Rows, _builtin_only, _Sandbox, environment
from tests.test_render import EXCLUDED, OFFICE, item, version

LONG = SPLIT_ABOVE + 50  # a list long enough to be split: index.html, index-lanjutan.js and the fragment


def count_rows(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Every call of a template macro named ``row``, by the id of the item it shows."""
    calls: list[str] = []
    invoke = Macro._invoke

    def counted(self: Macro, arguments: list[Any], autoescape: bool) -> Any:
        if self.name == "row":
            calls.append(arguments[1].id)
        return invoke(self, arguments, autoescape)
    monkeypatch.setattr(Macro, "_invoke", counted)
    return calls


def test_each_row_is_rendered_once_though_the_list_the_rest_and_the_fragment_show_it(
        monkeypatch: pytest.MonkeyPatch) -> None:
    calls = count_rows(monkeypatch)
    files = render_site([item(n) for n in range(1, LONG + 1)], [EXCLUDED], OFFICE, version())
    assert sorted(calls) == sorted(f"DIP-{n:04d}" for n in range(1, LONG + 1))
    shown = files["index.html"].decode() + files["index-lanjutan.js"].decode()
    fragment = files["dip-fragment.html"].decode()
    for n in (1, LONG):  # the first row is on the page, the last in the rest; both in the fragment
        assert f'id="DIP-{n:04d}"' in shown.replace('\\"', '"') and f'id="DIP-{n:04d}"' in fragment


def test_a_block_of_rows_is_one_call_from_a_sandboxed_template(monkeypatch: pytest.MonkeyPatch) -> None:
    """The sandbox checks each call a template makes: the list, its rest and the fragment ask for their
    rows a block at a time (``row.all``), so those checks do not grow with the rows."""
    calls: list[object] = []
    call = _Sandbox.call

    def counted(self: _Sandbox, context: Any, obj: Any, *args: Any, **kwargs: Any) -> Any:
        if isinstance(obj, Rows) or isinstance(getattr(obj, "__self__", None), Rows):
            calls.append(obj)
        return call(self, context, obj, *args, **kwargs)
    monkeypatch.setattr(_Sandbox, "call", counted)
    render_site([item(n) for n in range(1, LONG + 1)], [EXCLUDED], OFFICE, version())
    groups = len({(i.category, i.subcategory) for i in (item(n) for n in range(1, LONG + 1))})
    assert 0 < len(calls) <= 4 * groups + LONG // 500 + 2, len(calls)  # a row each was LONG * 2


def test_the_built_in_templates_are_compiled_once_for_every_later_process(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """A publish is a new process: the built-in templates' compiled code is kept on disk (a cache,
    per kind of environment: the sandbox's code never runs outside it, nor the other's inside it)."""
    compiled: list[str] = []
    compile_ = Environment.compile

    def counted(self: Environment, source: str, name: str | None = None, *args: Any, **kwargs: Any) -> Any:
        compiled.append(str(name))
        return compile_(self, source, name, *args, **kwargs)
    monkeypatch.setattr(Environment, "compile", counted)
    for _ in range(2):  # as two processes: new environments, nothing held in memory
        environment.cache_clear()
        _builtin_only.cache_clear()
        render_site([item(n) for n in range(1, 5)], [EXCLUDED], OFFICE, version())
    assert compiled == [] or len(compiled) == len(set(compiled)), compiled  # the first run may compile
    sandboxed, plain = environment(None).bytecode_cache, _builtin_only().bytecode_cache
    assert isinstance(sandboxed, FileSystemBytecodeCache) and isinstance(plain, FileSystemBytecodeCache)
    assert sandboxed.pattern != plain.pattern
    assert environment(Path(__file__).parent).bytecode_cache is None  # an office's templates: not kept


def test_dip_xlsx_entries_are_stamped_as_a_rewritten_zip_would_be() -> None:
    """The workbook's ZIP gets the version's time in place, byte for byte what writing every entry
    again with that time gave (the unchanged check compares bytes)."""
    def archive(stamp: tuple[int, int, int, int, int, int], mode: int) -> bytes:
        out = io.BytesIO()
        with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
            for n in range(3):
                entry = zipfile.ZipInfo(f"xl/bagian{n}.xml", date_time=stamp)
                entry.compress_type, entry.external_attr = zipfile.ZIP_DEFLATED, mode << 16
                target.writestr(entry, f"<isi>{n}</isi>".encode() * (n * 500 + 1))
        return out.getvalue()
    stamp = (2026, 11, 25, 3, 4, 59)
    assert _stamped(archive((1980, 1, 31, 0, 0, 0), 0o100644), stamp) == archive(stamp, 0o600)


def test_dip_xlsx_is_the_same_put_together_in_memory_or_in_temporary_files(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """A short list's workbook is put together in memory, a long one's part by part on disk: the
    same bytes either way (the unchanged check compares them)."""
    records = [item_record(i) for i in [item(n) for n in range(1, 60)]]
    in_memory = opendata.render_xlsx(records, OFFICE, version())
    monkeypatch.setattr(opendata, "IN_MEMORY_ROWS", 10)
    assert opendata.render_xlsx(records, OFFICE, version()) == in_memory


def test_the_changes_since_the_previous_version_are_worked_out_once(monkeypatch: pytest.MonkeyPatch) -> None:
    """The history page, the change feed and the DCAT dates all need the changes since the previous
    version: compared once, not once each (the same files as comparing for each)."""
    items = [item(n) for n in range(1, 40)]
    history = [PastVersion("20260101-090000", "2026-01-01T09:00:00+07:00", "1/PPID/2026", "",
                           tuple(item_record(i) for i in items[5:30]))]
    expected = render_site(items, [EXCLUDED], OFFICE, version(), history=history)
    diffs: list[int] = []
    compare = history_module.diff

    def counted(*args: Any) -> Any:
        diffs.append(1)
        return compare(*args)
    monkeypatch.setattr(history_module, "diff", counted)
    monkeypatch.setattr(feed_module, "diff", counted)
    files = render_site(items, [EXCLUDED], OFFICE, version(), history=history)
    assert len(diffs) == 1
    assert files == expected


def office_row(tmp_path: Path, body: str) -> Path:
    folder = tmp_path / "templat-kantor"
    folder.mkdir()
    (folder / "_row.html.j2").write_text(body, encoding="utf-8")
    return folder


def test_an_office_row_template_shows_on_every_page_of_the_list_rendered_once_per_row(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    folder = office_row(tmp_path, '{% macro row(number, item) %}<tr id="{{ item.id }}"><td>{{ number }}'
                                  "<td>KANTOR {{ item.title|upper }}\n{% endmacro %}\n")
    calls = count_rows(monkeypatch)
    files = render_site([item(n) for n in range(1, LONG + 1)], [EXCLUDED], OFFICE, version(), folder)
    assert len(calls) == LONG
    assert "KANTOR LAPORAN" in files["index.html"].decode()
    assert "KANTOR LAPORAN" in files["dip-fragment.html"].decode()
    assert "KANTOR LAPORAN" in files["index-lanjutan.js"].decode()


def test_an_office_row_template_stays_in_the_sandbox(tmp_path: Path) -> None:
    marker = tmp_path / "dijalankan"
    folder = office_row(tmp_path, "{% macro row(number, item) %}<tr>\n"
                                  f"{{{{ cycler.__init__.__globals__.os.system('touch {marker}') }}}}"
                                  "\n{% endmacro %}\n")
    with pytest.raises(ConfigError) as caught:
        render_site([item(1)], [EXCLUDED], OFFICE, version(), folder)
    assert str(folder / "_row.html.j2") in caught.value.message("id")
    assert "tidak diizinkan" in caught.value.message("id")
    assert not marker.exists()


# ---- the JSON files' layout -------------------------------------------------------------------


def random_json(rnd: random.Random, depth: int = 0) -> Any:
    roll = rnd.random()
    if depth > 4 or roll < 0.3:
        return rnd.choice([0, -7, 2.5, "teks \"kutip\" \\ baris\nbaru", "é\u2028", None, True, False, ""])
    if roll < 0.65:
        return {rnd.choice("abcdefg"): random_json(rnd, depth + 1) for _ in range(rnd.randrange(4))}
    return [random_json(rnd, depth + 1) for _ in range(rnd.randrange(4))]


def test_json_text_lays_out_the_outer_levels_as_indent_1_and_the_rest_compact() -> None:
    rnd = random.Random(19)
    for _ in range(500):
        value = random_json(rnd)
        for sort_keys in (False, True):
            assert json_text.dumps(value, sort_keys=sort_keys, levels=99) == json.dumps(
                value, indent=1, sort_keys=sort_keys, ensure_ascii=False)
            assert json_text.dumps(value, sort_keys=sort_keys, levels=0) == json.dumps(
                value, sort_keys=sort_keys, ensure_ascii=False)
            assert json.loads(json_text.dumps(value, sort_keys=sort_keys)) == value


def test_each_record_of_dip_json_is_one_line() -> None:
    files = render_site([item(n) for n in range(1, 6)], [EXCLUDED], OFFICE, version())
    lines = files["dip.json"].decode().splitlines()
    records = [json.loads(line.strip().rstrip(",")) for line in lines if line.startswith("  {")]
    assert sorted(r["id"] for r in records) == [f"DIP-{n:04d}" for n in range(1, 6)]
    assert json.loads(files["dip.json"])["item"] == records
    with pytest.raises(TypeError):
        json_text.dumps({1: "kunci bukan teks"})


# ---- memory ------------------------------------------------------------------------------------


def test_a_render_allocates_in_proportion_to_its_rows_never_holding_every_file() -> None:
    """Under 6 KB per item at its peak, while the files weigh about 3.4 KB per item: beyond their first
    2 MB (``rendered.HELD``) they go to disk as they are written, the row markup is dropped once its
    pages are written, the catalogue's nodes are made one at a time (before: about 13 KB per item,
    every file held as bytes at once)."""
    render_site([item(n) for n in range(1, 20)], [EXCLUDED], OFFICE, version())  # templates compiled
    items = [item(n) for n in range(1, 1501)]
    tracemalloc.start()
    try:
        files = render_site(items, [EXCLUDED], OFFICE, version())
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 6_000 * len(items), peak
    assert sum(len(files[name]) for name in files) > 3_000 * len(items)  # what the bound is measured against


@pytest.mark.parametrize("on_disk", [False, True])
def test_rendered_files_are_a_mapping_kept_with_their_fingerprints(monkeypatch: pytest.MonkeyPatch,
                                                                    on_disk: bool) -> None:
    """In memory up to ``HELD`` bytes in all, on disk beyond (the same mapping either way)."""
    if on_disk:
        monkeypatch.setattr(rendered_module, "HELD", 12)
    files = Rendered({"a.txt": b"satu"})
    files.write("b.html", iter(["<p>", "dua", "</p>"]))
    files |= {"a.txt": b"satu lagi"}
    assert dict(files) == {"a.txt": b"satu lagi", "b.html": b"<p>dua</p>"}
    assert files.fingerprint("b.html") == (10, hashlib.sha256(b"<p>dua</p>").hexdigest())
    assert file_table(files) == file_table(dict(files))
    del files["a.txt"]
    assert list(files) == ["b.html"] and files == {"b.html": b"<p>dua</p>"}
    pieces: list[str | bytes] = ["x" * 5, b"y" * 5, "z" * 5]
    files.write("c.txt", iter(pieces))
    assert files["c.txt"] == b"xxxxxyyyyyzzzzz" and files.fingerprint("c.txt")[0] == 15
    assert (files._folder is not None) == on_disk
