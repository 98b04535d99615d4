"""Office templates: sandboxed, an error when their folder is missing, mistakes named by file and line."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import pytest

from dip_sheets.errors import ConfigError
from dip_sheets.records import LABELS
from dip_sheets.render import render_site
from tests.test_render import EXCLUDED, OFFICE, item, version


def render_with(folder: Path) -> Mapping[str, bytes]:
    return render_site([item(1)], [EXCLUDED], OFFICE, version(), folder)


def office_template(tmp_path: Path, body: str, name: str = "_signature.html.j2") -> Path:
    folder = tmp_path / "templat-kantor"
    folder.mkdir(exist_ok=True)
    (folder / name).write_text(body, encoding="utf-8")
    return folder


@pytest.mark.parametrize("payload", [
    "{{ ''.__class__.__mro__ }}",
    "{{ ''.__class__.__mro__[1].__subclasses__() }}",
    "{{ cycler.__init__.__globals__.os.system('touch {marker}') }}",
    "{{ lipsum.__globals__['os'].system('touch {marker}') }}",
    "{% for c in ().__class__.__base__.__subclasses__() %}{{ c }}{% endfor %}",
    "{{ '{0.__class__}'.format(office) }}",
    "{{ office.__class__.__init__.__globals__ }}",
    "{{ version.__reduce_ex__(2) }}",
    "{{ labels.clear() }}{{ labels.update({'judul': 'x'}) }}",
    "{{ categories.append(1) }}",
])
def test_a_template_cannot_run_code_or_change_data(tmp_path: Path, payload: str) -> None:
    marker = tmp_path / "dijalankan"
    labels = dict(LABELS)
    folder = office_template(tmp_path, "<p>ttd</p>\n" + payload.replace("{marker}", str(marker)) + "\n")
    with pytest.raises(ConfigError) as caught:
        render_with(folder)
    message = caught.value.message("id")
    assert str(folder / "_signature.html.j2") in message and "baris 2" in message
    assert "tidak diizinkan" in message and "Perbaiki templat" in message
    assert "line 2" in caught.value.message("en")
    assert caught.value.exit_code == 2
    assert not marker.exists()
    # nothing shared was changed: the built-in templates still render the same list afterwards
    page = render_site([item(1)], [], OFFICE, version())["index.html"].decode()
    assert "Laporan Realisasi" in page and labels == LABELS


def test_the_built_in_templates_render_in_the_sandbox_and_an_office_may_extend_them(tmp_path: Path) -> None:
    folder = office_template(tmp_path, '{% extends "base.html.j2" %}{% block heading %}DIP'
                             " {{ office.short_name|upper }} ({{ count }}){% endblock %}"
                             "{% block content %}{% include '_table.html.j2' %}{% endblock %}\n",
                             "index.html.j2")
    page = render_with(folder)["index.html"].decode()
    assert "<h1>DIP KPU KABUPATEN SERANG (1)</h1>" in page and 'id="DIP-0001"' in page


@pytest.mark.parametrize("make", ["missing", "file"])
def test_a_template_folder_that_is_not_there_is_an_error_naming_it(tmp_path: Path, make: str) -> None:
    folder = tmp_path / "templat-kantor"
    if make == "file":
        folder.write_text("bukan folder")
    with pytest.raises(ConfigError) as caught:
        render_with(folder)
    assert str(folder) in caught.value.message("id") and "[publish] templates" in caught.value.message("id")
    assert ("tidak ada" if make == "missing" else "bukan folder") in caught.value.message("id")
    assert str(folder) in caught.value.message("en")
    assert caught.value.exit_code == 2


@pytest.mark.parametrize(("body", "line", "says"), [
    ("<p>\n{% if %}\n</p>\n", 2, "penulisannya tidak sah"),
    ("<p>\n{% for x in categories %}\n", 2, "penulisannya tidak sah"),
    ("<p>\n\n{{ tidak_ada.nama }}\n", 3, "tidak ada"),
    ("<p>{{ office.nama_kepala }}</p>\n", 1, "tidak ada"),
    ("<p>\n{% include '_kop.html.j2' %}\n", 2, "'_kop.html.j2' tidak ditemukan"),
    ("<p>\n\n\n{{ count / 0 }}\n", 4, "gagal"),
    ("{{ range(10**9)|list }}\n", 1, "gagal"),
])
def test_template_mistakes_name_the_file_and_the_line(tmp_path: Path, body: str, line: int,
                                                      says: str) -> None:
    folder = office_template(tmp_path, body)
    with pytest.raises(ConfigError) as caught:
        render_with(folder)
    message = caught.value.message("id")
    assert str(folder / "_signature.html.j2") in message, message
    assert f"baris {line}" in message and says in message, message
    assert f"line {line}" in caught.value.message("en")


def test_a_mistake_in_an_included_office_template_names_that_file(tmp_path: Path) -> None:
    folder = office_template(tmp_path, "<p>\n{% include '_kop.html.j2' %}\n")
    (folder / "_kop.html.j2").write_text("a\nb\n{% endif %}\n", encoding="utf-8")
    with pytest.raises(ConfigError) as caught:
        render_with(folder)
    assert f"'{folder / '_kop.html.j2'}' baris 3" in caught.value.message("id")


def test_a_template_that_is_not_utf8_text_is_named(tmp_path: Path) -> None:
    folder = office_template(tmp_path, "")
    (folder / "_signature.html.j2").write_bytes("<p>Tanda tangan</p>".encode("utf-16"))
    with pytest.raises(ConfigError) as caught:
        render_with(folder)
    assert str(folder / "_signature.html.j2") in caught.value.message("id")
    assert "UTF-8" in caught.value.message("id")
