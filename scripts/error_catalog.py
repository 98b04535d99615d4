"""Print the catalogue of every message dip-sheets can stop with, as Markdown (docs/PESAN.md).

The messages are read from the source (each ``raise`` of an error type with its Indonesian text),
and each type's exit code and meaning from its class in ``dip_sheets/errors.py``, so the catalogue
cannot drift from the code: ``tests/test_docs.py`` regenerates it and compares.
Run: ``.venv/bin/python scripts/error_catalog.py > docs/PESAN.md``
"""

from __future__ import annotations

import ast
from pathlib import Path

from dip_sheets import errors

ROOT = Path(__file__).resolve().parent.parent
#: the error types of ``dip_sheets.errors`` (not their base): name -> (exit code, meaning).
ERRORS = {
    name: (kind.exit_code, kind.meaning.id)
    for name, kind in vars(errors).items()
    if isinstance(kind, type) and issubclass(kind, errors.DipError) and kind is not errors.DipError
}
HEADER = """# Pesan galat dip-sheets

Setiap pesan yang dapat menghentikan `dip`, dikelompokkan menurut kode keluarnya. Bagian `{...}`
diisi saat pesan muncul (nama berkas, baris, alamat). Pesan itu sendiri menyebut apa yang harus
dilakukan; tabel ini membantu menemukannya. Berkas ini dibuat oleh `scripts/error_catalog.py`
dari kode sumber (pengujian memastikan isinya sama dengan kode).

Temuan per baris register (kolom `Catatan Sinkron`) bukan galat: sinkronisasi tetap selesai dengan
kode 0 dan menuliskan temuan itu di barisnya.
"""


def _text(node: ast.expr) -> str:
    """The message with each placeholder shown as ``{...}``."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if isinstance(node, ast.JoinedStr):
        return "".join(_text(v) if isinstance(v, ast.Constant) else "{...}" for v in node.values)
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
        return _text(node.left) + _text(node.right)
    return "{...}"


def messages() -> list[tuple[str, str, str]]:
    """``(error type, module, Indonesian message)`` for every raise site, in source order."""
    found = []
    for path in sorted((ROOT / "dip_sheets").rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if (isinstance(node, ast.Call) and isinstance(node.func, ast.Name)
                    and node.func.id in ERRORS and node.args):
                module = str(path.relative_to(ROOT / "dip_sheets").with_suffix("")).replace("/", ".")
                found.append((node.func.id, module, " ".join(_text(node.args[0]).split())))
    return sorted(set(found), key=lambda m: (ERRORS[m[0]][0], m[1], m[2]))


def catalogue() -> str:
    lines = [HEADER]
    for kind, (code, meaning) in sorted(ERRORS.items(), key=lambda e: (e[1][0], e[0])):
        rows = [m for m in messages() if m[0] == kind]
        if not rows:
            continue
        lines += [f"\n## Kode {code}: {kind}\n", f"Artinya: {meaning}.\n", "| dari | pesan |", "|---|---|"]
        lines += [f"| `{module}` | {text.replace('|', '/')} |" for _, module, text in rows]
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    print(catalogue(), end="")
