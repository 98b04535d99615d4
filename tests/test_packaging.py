"""Packaging: what a person gets from ``pip install``, a wheel, a zip or ``scripts/demo``.

The slow tests build and install dip-sheets into new virtual environments the way a user would
(pip reads the machine's package index, so they work offline here); they run in CI like the rest.
"""

from __future__ import annotations

import ast
import os
import re
import shutil
import subprocess
import sys
import tomllib
import zipfile
from importlib import metadata
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "dip_sheets"
TEMPLATES = sorted(p.name for p in (PACKAGE / "templates").iterdir() if p.suffix in (".j2", ".docx"))
PIP_OUTPUT = ("Collecting", "Requirement already", "Successfully installed", "Installing", "pip ")


def project() -> dict[str, object]:
    with (ROOT / "pyproject.toml").open("rb") as file:
        return tomllib.load(file)["project"]  # type: ignore[no-any-return]


def distribution(requirement: str) -> str:
    """The normalised distribution name of a requirement such as ``Jinja2>=3.1``."""
    name = re.split(r"[\s<>=!~;\[(]", requirement, maxsplit=1)[0]
    return re.sub(r"[-_.]+", "-", name).lower()


def copy_source(target: Path, *scripts: str) -> Path:
    """What a clean clone holds for building: pyproject.toml, README.md, the package, ``scripts``."""
    target.mkdir(parents=True)
    shutil.copy2(ROOT / "pyproject.toml", target)
    shutil.copy2(ROOT / "README.md", target)
    shutil.copytree(PACKAGE, target / "dip_sheets", ignore=shutil.ignore_patterns("__pycache__"))
    for script in scripts:
        (target / "scripts").mkdir(exist_ok=True)
        shutil.copy2(ROOT / "scripts" / script, target / "scripts" / script)
    return target


def clean_env(**extra: str) -> dict[str, str]:
    """The environment without this test run's virtual environment or import path."""
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV", "PYTHONHOME")}
    return {**env, **extra}


def run(args: list[str | Path], cwd: Path, env: dict[str, str] | None = None,
        timeout: float = 300) -> subprocess.CompletedProcess[str]:
    done = subprocess.run([str(a) for a in args], cwd=cwd, env=env or clean_env(), capture_output=True,
                          text=True, timeout=timeout, check=False)
    assert done.returncode == 0, f"{args}: {done.returncode}\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}"
    return done


def assert_demo_site(folder: Path) -> None:
    """The demo's published page exists and lists its established items."""
    page = (folder / "situs" / "index.html").read_text(encoding="utf-8")
    assert page.count('data-tahun="') >= 10
    assert "Profil KPU Kabupaten Contoh" in page
    assert "Daftar Informasi Publik" in page


# ---- dependencies ------------------------------------------------------------------------------


def runtime_imports() -> dict[str, list[str]]:
    """Top-level third-party modules the package imports, with the files importing each."""
    found: dict[str, list[str]] = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names = [node.module]
            else:
                continue
            for name in names:
                top = name.partition(".")[0]
                if top not in sys.stdlib_module_names and top not in ("dip_sheets", "__future__"):
                    found.setdefault(top, []).append(str(path.relative_to(ROOT)))
    return found


def test_every_runtime_import_is_a_declared_dependency_and_only_the_province_uses_pandas() -> None:
    declared = {distribution(r) for r in project()["dependencies"]}  # type: ignore[attr-defined]
    providers = metadata.packages_distributions()
    imports = runtime_imports()
    assert {"jinja2", "openpyxl", "paramiko", "gspread", "requests", "pandas"} <= set(imports)
    for module, files in imports.items():
        owners = {distribution(d) for d in providers.get(module, [])}
        assert owners & declared, f"{module} (imported by {files}) comes from {owners}, not declared"
    # the office's commands never load pandas: only the province's view (dip provinsi) does
    assert {Path(f).name for f in imports["pandas"]} <= {"province_render.py"}
    assert "numpy" not in imports


def test_pandas_is_a_runtime_dependency_and_the_test_extra_includes_the_benchmark_extra() -> None:
    assert "pandas" in {distribution(r) for r in project()["dependencies"]}  # type: ignore[attr-defined]
    assert "dip-sheets[bench]" in project()["optional-dependencies"]["test"]  # type: ignore[index]


# ---- the templates travel with the package -----------------------------------------------------


def test_templates_load_when_the_package_is_imported_from_a_zip(tmp_path: Path) -> None:
    archive = tmp_path / "dip_sheets.zip"
    with zipfile.ZipFile(archive, "w") as zipped:
        for path in sorted(PACKAGE.rglob("*")):
            if path.is_file() and "__pycache__" not in path.parts:
                zipped.write(path, path.relative_to(ROOT).as_posix())
    code = (
        "import dip_sheets, sys\n"
        f"assert dip_sheets.__file__.startswith({str(archive)!r}), dip_sheets.__file__\n"
        "from tests.test_render import EXCLUDED, OFFICE, item, version\n"
        "from dip_sheets.render import render_site\n"
        "files = render_site([item(1)], [EXCLUDED], OFFICE, version())\n"
        "sys.stdout.write(files['index.html'].decode())\n"
    )
    # the zip first on the path, then the tests (for their sample items), never the source package
    tests = tmp_path / "t"
    shutil.copytree(ROOT / "tests", tests / "tests", ignore=shutil.ignore_patterns("__pycache__"))
    env = clean_env(PYTHONPATH=os.pathsep.join([str(archive), str(tests)]))
    page = run([sys.executable, "-c", code], cwd=tmp_path, env=env).stdout
    assert 'id="DIP-0001"' in page and "<style>" in page and "Langsung ke isi" in page


@pytest.mark.slow
def test_a_built_wheel_installed_into_a_new_venv_publishes_the_demo(tmp_path: Path) -> None:
    source = copy_source(tmp_path / "src")
    run([sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "-w", tmp_path / "wheel", source],
        cwd=tmp_path)
    [wheel] = (tmp_path / "wheel").glob("dip_sheets-*.whl")
    with zipfile.ZipFile(wheel) as archive:
        shipped = {Path(n).name for n in archive.namelist() if n.startswith("dip_sheets/templates/")}
    assert shipped == set(TEMPLATES)

    venv = tmp_path / "venv"
    run([sys.executable, "-m", "venv", venv], cwd=tmp_path)
    run([venv / "bin" / "python", "-m", "pip", "install", "-q", wheel], cwd=tmp_path)
    shutil.rmtree(source)  # nothing may come from a source tree
    where = run([venv / "bin" / "python", "-c", "import dip_sheets, importlib.util;"
                 " print(dip_sheets.__file__); print(importlib.util.find_spec('pandas'))"],
                cwd=tmp_path).stdout.split()
    assert where[0].startswith(str(venv)) and where[1] != "None"  # installed, with pandas (dip provinsi)

    run([venv / "bin" / "dip", "demo", "--folder", tmp_path / "demo"], cwd=tmp_path)
    assert_demo_site(tmp_path / "demo")


# ---- scripts/demo ------------------------------------------------------------------------------


@pytest.mark.slow
def test_scripts_demo_a_second_time_starts_without_pip(tmp_path: Path) -> None:
    repo = copy_source(tmp_path / "repo", "demo", "python-check")
    first = run(["bash", repo / "scripts" / "demo", "--folder", tmp_path / "eins"], cwd=tmp_path)
    assert_demo_site(tmp_path / "eins")
    assert "Halaman DIP" in first.stdout

    # offline, no index, no configuration, and a `pip` that fails loudly if anything runs it
    fake = tmp_path / "fake"
    (fake / "pip").mkdir(parents=True)
    (fake / "pip" / "__init__.py").write_text("")
    (fake / "pip" / "__main__.py").write_text("raise SystemExit('pip dipanggil')\n")
    (tmp_path / "kosong").mkdir()
    offline = clean_env(PIP_NO_INDEX="1", PIP_FIND_LINKS=str(tmp_path / "kosong"),
                        PIP_CONFIG_FILE=os.devnull, PYTHONPATH=str(fake))
    second = run(["bash", repo / "scripts" / "demo", "--folder", tmp_path / "zwei"], cwd=tmp_path,
                 env=offline, timeout=60)
    assert_demo_site(tmp_path / "zwei")
    output = second.stdout + second.stderr
    assert "pip dipanggil" not in output
    assert not [word for word in PIP_OUTPUT if word in output], output

    # a changed pyproject.toml installs again (here: fails, as pip is unusable), it is not ignored
    with (repo / "pyproject.toml").open("a") as file:
        file.write("\n# changed\n")
    again = subprocess.run(["bash", str(repo / "scripts" / "demo"), "--folder", str(tmp_path / "drei")],
                           cwd=tmp_path, env=offline, capture_output=True, text=True, timeout=60, check=False)
    assert again.returncode != 0 and "pip dipanggil" in again.stderr
