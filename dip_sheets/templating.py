"""The Jinja2 templates: the built-in ones shipped inside the package, an office's folder first.

The built-in templates are package data (``dip_sheets/templates/``), read through the package's
loader, so they are there however dip-sheets is installed: a wheel, pipx, a zip. An office's own
templates (``[publish] templates``) override them by file name. Every template runs in Jinja's
immutable sandbox: a template can show the data it is given, never reach Python's internals or
change that data. Whatever goes wrong in a template becomes a :class:`ConfigError` naming the file
and the line, in Indonesian first.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import pickle
import traceback
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any

import jinja2
from jinja2 import (
    BaseLoader,
    BytecodeCache,
    ChoiceLoader,
    Environment,
    FileSystemBytecodeCache,
    FileSystemLoader,
    PackageLoader,
    StrictUndefined,
    TemplateError,
    TemplateNotFound,
    TemplateSyntaxError,
    UndefinedError,
    select_autoescape,
)
from jinja2.bccache import Bucket
from jinja2.exceptions import SecurityError
from jinja2.sandbox import ImmutableSandboxedEnvironment
from markupsafe import Markup

from . import __version__
from .errors import ConfigError, DipError
from .records import safe_link

#: What every template error message ends with: the way out.
_NEXT = ("Perbaiki templat itu, atau hapus berkasnya dari folder [publish] templates agar templat"
         " bawaan yang dipakai.",
         "Fix that template, or remove the file from the [publish] templates folder so that the"
         " built-in one is used.")


#: the template of one row of the list
ROW = "_row.html.j2"


class _OfficeLoader(FileSystemLoader):
    """The office's folder; a file that cannot be read is named, not a traceback."""

    def get_source(self, environment: Environment, template: str) -> tuple[str, str, Any]:
        try:
            return super().get_source(environment, template)
        except TemplateNotFound:  # an OSError too: the built-in template is searched next
            raise
        except (OSError, UnicodeDecodeError) as exc:
            where = Path(self.searchpath[0]) / template
            raise ConfigError(
                f"Templat '{where}' tidak dapat dibaca ({exc}); simpan sebagai teks UTF-8. {_NEXT[0]}",
                f"Template '{where}' cannot be read ({exc}); save it as UTF-8 text. {_NEXT[1]}",
            ) from None


def template_folder(folder: Path | None) -> Path | None:
    """``folder`` when it is a folder; a configured folder that is not there is an error, never a
    silent fallback to the built-in templates."""
    if folder is not None and not folder.is_dir():
        state = ("bukan folder", "is not a folder") if folder.exists() else ("tidak ada", "does not exist")
        raise ConfigError(
            f"[publish] templates: folder templat '{folder}' {state[0]}. Perbaiki jalurnya (relatif"
            " terhadap dip.toml), atau hapus baris itu agar templat bawaan yang dipakai.",
            f"[publish] templates: template folder '{folder}' {state[1]}. Fix the path (relative to"
            " dip.toml), or remove the line so that the built-in templates are used.",
        )
    return folder


class _Sandbox(ImmutableSandboxedEnvironment):
    """Jinja's immutable sandbox, with its verdict on an attribute kept per (type, name).

    The sandbox checks every attribute a template reads (``item.title``, ``col.key``: several per
    row of the list) against a dozen ``isinstance`` tests; the verdict depends only on the object's
    type and the name (Jinja's ``is_internal_attribute`` and ``modifies_known_mutable``), so it is
    worked out once per pair. An object whose ``__class__`` is not its type is checked each time.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._verdicts: dict[tuple[type, str], bool] = {}

    def is_safe_attribute(self, obj: Any, attr: str, value: Any) -> bool:
        kind = type(obj)
        if obj.__class__ is not kind:
            return super().is_safe_attribute(obj, attr, value)
        verdict = self._verdicts.get((kind, attr))
        if verdict is None:
            verdict = self._verdicts[kind, attr] = super().is_safe_attribute(obj, attr, value)
        return verdict


@functools.lru_cache(maxsize=8)
def environment(override: Path | None = None) -> Environment:
    """The sandboxed Jinja2 environment, autoescaping; an office's template folder searched first.

    One environment per template folder, kept, so templates are compiled once per process (Jinja
    still reloads a template whose file changed).
    """
    builtin = PackageLoader("dip_sheets", "templates")
    loader: BaseLoader = ChoiceLoader([_OfficeLoader(str(override)), builtin]) if override else builtin
    return _configured(_Sandbox, loader, cached=override is None)


@functools.lru_cache(maxsize=1)
def _builtin_only() -> Environment:
    """The built-in templates outside the sandbox: only for the row macro, the one template run once per
    row (the sandbox checks every attribute it reads, which made it 2.5 times slower), and only when
    the office has no ``_row.html.j2`` of its own. dip-sheets' own templates are its own code."""
    return _configured(Environment, PackageLoader("dip_sheets", "templates"), cached=True)


def _configured(kind: type[Environment], loader: BaseLoader, cached: bool) -> Environment:
    """An environment of ``kind`` with the settings every template is written for; ``cached``: its
    compiled templates are kept between runs (:func:`_compiled`)."""
    env = kind(
        loader=loader,
        autoescape=select_autoescape(["html", "j2"], default=True),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters["safe_link"] = safe_link
    env.filters["angka"] = number
    if cached:
        env.bytecode_cache = _compiled(env)
    return env


class _CompiledTemplates(FileSystemBytecodeCache):
    """Jinja's compiled templates on disk, a cache only: a file that cannot be read or written is
    compiled again, never an error."""

    def load_bytecode(self, bucket: Bucket) -> None:
        try:
            super().load_bytecode(bucket)
        except (OSError, EOFError, ValueError, TypeError, pickle.UnpicklingError):
            bucket.reset()

    def dump_bytecode(self, bucket: Bucket) -> None:
        with contextlib.suppress(OSError):
            super().dump_bytecode(bucket)


def _compiled(env: Environment) -> BytecodeCache | None:
    """Where ``env`` keeps the built-in templates compiled: each publish is a new process, and
    compiling them was a third of rendering a list of 1,000 items. Jinja keeps them in the user's own
    folder in the temporary directory (it checks that nobody else may write there) and compiles a
    template again when its text changes. The file names carry the environment's kind (the sandbox
    compiles every call as a checked call: its templates must never be loaded by the other), the
    Jinja and dip-sheets versions and the settings that shape the compiled code. An office's own
    templates are not kept (:func:`environment` with a folder compiles them in the process)."""
    shape = (type(env).__name__, jinja2.__version__, __version__, env.trim_blocks, env.lstrip_blocks,
             env.keep_trailing_newline, env.newline_sequence, sorted(env.extensions))
    tag = hashlib.sha256(repr(shape).encode()).hexdigest()[:16]
    try:
        return _CompiledTemplates(pattern=f"dip-sheets-{tag}-%s.cache")
    except (OSError, RuntimeError):  # no private temporary folder: compiled in every process
        return None


class Rows:
    """``row(number, item)`` for the templates: the row macro of ``_row.html.j2`` (the one in the
    office's template folder when it has one, run in the sandbox), each row rendered once and shown
    again by every page that lists it (the list, the rest of a long list, the fragment, the print
    view). The macro sees the version's context, not a page's. It is called from inside a template,
    so a mistake in it is reported as one."""

    def __init__(self, office: Path | None, context: dict[str, Any]) -> None:
        self._office, self._context = office, context
        self._done: dict[tuple[int, int], Markup] = {}
        self._macro: Callable[[int, Any], Markup] | None = None

    def __call__(self, number: int, item: Any) -> Markup:
        key = (number, id(item))  # the items stay alive as long as the list that shows them
        shown = self._done.get(key)
        if shown is None:
            if self._macro is None:
                office = self._office
                own = office is not None and (office / ROW).is_file()
                env = environment(office) if own else _builtin_only()
                self._macro = env.get_template(ROW).make_module(self._context).row  # type: ignore[attr-defined]
            shown = self._done[key] = self._macro(number, item)
        return shown

    def all(self, rows: Iterable[tuple[int, Any]]) -> Markup:
        """Each of ``rows`` (``(number, item)`` pairs) as a call gives it, joined: one call from a
        template for a block of rows (every call from a sandboxed template is checked), not one per row."""
        return Markup("".join([self(number, item) for number, item in rows]))

    def forget(self) -> None:
        """Every page showing these rows is rendered: their markup is not needed any more."""
        self._done.clear()


def number(value: int) -> str:
    """A count as Indonesian writes it: ``10.000``."""
    return f"{value:,}".replace(",", ".")


def render_template(env: Environment, name: str, context: dict[str, Any], office: Path | None) -> str:
    """Template ``name`` rendered; a template's mistake becomes a :class:`ConfigError`.

    ``office`` is the office's template folder: an unexpected error raised inside one of its files
    is the office's mistake too; one inside a built-in template is a bug and propagates.
    """
    return "".join(template_pieces(env, name, context, office))


def template_pieces(env: Environment, name: str, context: dict[str, Any], office: Path | None
                    ) -> Iterator[str]:
    """:func:`render_template` in the pieces Jinja makes it in, for writing a long page as it is
    rendered; a mistake is raised (as a :class:`ConfigError`) while the pieces are taken."""
    try:
        yield from env.get_template(name).generate(context)
    except DipError:
        raise
    except TemplateSyntaxError as exc:
        raise _template_error(exc, office, exc.filename or exc.name or name, exc.lineno,
                              ("penulisannya tidak sah", "invalid syntax")) from None
    except TemplateNotFound as exc:
        where, line = _location(exc, name)
        raise ConfigError(
            f"Templat '{exc.name}' tidak ditemukan, baik di folder [publish] templates maupun di"
            f" templat bawaan (dipanggil dari {_shown(where, office)} baris {line}). {_NEXT[0]}",
            f"Template '{exc.name}' was found neither in the [publish] templates folder nor among the"
            f" built-in ones (used by {_shown(where, office, 'en')} line {line}). {_NEXT[1]}",
        ) from None
    except SecurityError as exc:
        raise _template_error(exc, office, *_location(exc, name), (
            "akses yang tidak diizinkan ditolak; templat hanya boleh menampilkan data, tidak"
            " menjalankan kode", "access denied; a template may only show data, never run code")) from None
    except UndefinedError as exc:
        raise _template_error(exc, office, *_location(exc, name), (
            "memakai nama atau nilai yang tidak ada", "uses a name or value that does not exist")) from None
    except TemplateError as exc:
        raise _template_error(exc, office, *_location(exc, name), ("gagal", "failed")) from None
    except Exception as exc:
        where, line = _location(exc, name)
        if office is None or not _inside(where, office):
            raise
        raise _template_error(exc, office, where, line, ("gagal", "failed")) from None


def _template_error(exc: Exception, office: Path | None, where: str, line: int | None,
                    what: tuple[str, str]) -> ConfigError:
    detail = getattr(exc, "message", None) or str(exc) or type(exc).__name__
    return ConfigError(
        f"Templat {_shown(where, office)} baris {line or '?'}: {what[0]} ({detail}). {_NEXT[0]}",
        f"Template {_shown(where, office, 'en')} line {line or '?'}: {what[1]} ({detail}). {_NEXT[1]}",
    )


def _location(exc: BaseException, name: str) -> tuple[str, int | None]:
    """The template file and line where ``exc`` arose: Jinja rewrites the traceback so that the
    frames of template code carry the template's file name and line."""
    for frame in reversed(traceback.extract_tb(exc.__traceback__)):
        if not frame.filename.endswith(".py"):
            return frame.filename, frame.lineno
    return name, None


def _inside(path: str, folder: Path) -> bool:
    return Path(path).resolve().is_relative_to(folder.resolve())


def _shown(path: str, office: Path | None, lang: str = "id") -> str:
    """An office template by its path; a built-in one by its name, marked as built-in."""
    if office is not None and _inside(path, office):
        return f"'{path}'"
    return f"'{Path(path).name}' ({'templat bawaan' if lang == 'id' else 'built-in'})"
