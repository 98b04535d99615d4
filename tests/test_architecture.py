"""The layers the README describes, checked from the imports, so the architecture cannot drift.

- core (pure: schema, rules, review, rendering) imports no backend, target, application or CLI module;
- backends (``register/``) and targets (``targets/``) import only the core and each other's
  package, never the application layer or the CLI;
- the application layer (``office``, ``publish``, ``check`` …) never imports the CLI.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "dip_sheets"

CORE = {
    "messages", "findings", "errors", "schema", "ids", "dates", "parsers", "validate", "workflow", "stages",
    "ledger", "states", "sync", "row_review", "review_table", "records", "opendata", "history", "feed",
    "dcat", "templating",
    "render", "status", "reports", "redact", "config", "config_values", "higher_dik", "linkreasons",
    "monev", "ringkasan", "link_settings", "register", "gc_pause", "staleness", "__version__", "guide_tab",
    "decisions", "decision_text", "tabs",
    "editions", "list_split", "json_text", "rendered", "scratch", "memo_results", "text_sheet",
}
APPLICATION = {"office", "publish", "switch", "site", "render_digest", "archive_history", "check", "demo",
               "restore", "redaction", "offices", "publish_plan",
               "monev_check", "monev_items",
               "evidence", "province", "province_checks", "province_config", "province_dik",
               "province_fetch", "province_render", "province_xlsx", "connect", "cron", "runlog",
               "lock", "links", "retry", "ratelimit", "notify", "row_watch", "published_state",
               "decision_scans", "decision_draft", "list_pdf", "run_memo"}
CLI = {"cli", "cli_parser", "output", "argparse_id", "error_handler", "__main__"}


#: the one import across layers the layering allows: the SFTP settings type lives with its target, so
#: that paramiko is imported only when a configuration names an SFTP target.
SETTINGS_OF_A_TARGET = {("config", "targets.sftp")}


def layer(module: str) -> str:
    top = module.split(".")[0]
    if module == "register":  # the register protocol and its plain data (Cell, Snapshot, Changes)
        return "core"
    if top in ("register", "targets"):
        return "backend"
    if top in CORE:
        return "core"
    if top in CLI:
        return "cli"
    if top in APPLICATION:
        return "application"
    return "unknown"


def imports(path: Path) -> set[str]:
    """The package-relative modules ``path`` imports (``from .x import``, ``from ..x import``)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    here = path.relative_to(PACKAGE).with_suffix("").parts
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.level:
            base = list(here[: len(here) - node.level])
            if node.module:
                found.add(".".join([*base, *node.module.split(".")]))
            else:
                found.update(".".join([*base, alias.name]) for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and (node.module or "").startswith("dip_sheets."):
            found.add(node.module.removeprefix("dip_sheets."))  # type: ignore[union-attr]
    return {m for m in found if m and m != "__init__"}


ALLOWED = {
    "core": {"core"},
    "backend": {"core", "backend", "application"},  # retry/ratelimit/lock are shared plumbing
    "application": {"core", "backend", "application"},
    "cli": {"core", "backend", "application", "cli"},
}
MODULES = sorted(p for p in PACKAGE.rglob("*.py"))


def test_every_module_belongs_to_a_layer() -> None:
    names = [".".join(p.relative_to(PACKAGE).with_suffix("").parts) for p in MODULES]
    assert [n for n in names if layer(n) == "unknown" and not n.endswith("__init__")] == []


@pytest.mark.parametrize("path", MODULES, ids=lambda p: str(p.relative_to(PACKAGE)))
def test_imports_follow_the_layers(path: Path) -> None:
    name = ".".join(path.relative_to(PACKAGE).with_suffix("").parts).removesuffix(".__init__")
    mine = "core" if name == "__init__" else layer(name)
    if name == "__init__":
        return  # the package's front door re-exports the application layer
    wrong = sorted(m for m in imports(path)
                   if layer(m) not in ALLOWED[mine] and (name, m) not in SETTINGS_OF_A_TARGET)
    assert wrong == [], f"{name} ({mine}) imports {wrong}"


@pytest.mark.parametrize("path", [p for p in MODULES if layer(
    ".".join(p.relative_to(PACKAGE).with_suffix("").parts)) in ("backend", "application")],
    ids=lambda p: str(p.relative_to(PACKAGE)))
def test_backends_and_the_application_never_import_the_cli(path: Path) -> None:
    assert not {m for m in imports(path) if layer(m) == "cli"}


#: "modules around 400 lines at most" (a new module rather than growing one past that)
LINES = 400
#: modules past the limit, being split in other work (name -> why it may be longer for now)
KNOWN_LONGER: dict[str, str] = {}


def test_modules_stay_around_400_lines() -> None:
    lines = {".".join(p.relative_to(PACKAGE).with_suffix("").parts):
             len(p.read_text(encoding="utf-8").splitlines()) for p in MODULES}
    assert {n: count for n, count in lines.items() if count > LINES and n not in KNOWN_LONGER} == {}
