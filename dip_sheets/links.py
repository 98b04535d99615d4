"""Links that work: every ``Tautan`` (and configured URL) opened over HTTP(S), politely, and cached.

Assessors in the e-Monev click the links themselves; a link that broke since it was entered must
show up in the row (a warning, never a block on publishing) and in ``dip status`` before they do.

* :func:`check_links` is the whole job: read the cache, check only what is due, write the cache.
* :func:`due` (pure) decides what is due: a link never checked, or whose last result is older than
  its interval (7 days when it worked, 1 day when it did not, by default).
* :func:`probe_links` is the network part: one GET per hop, redirects followed by hand (so each hop
  is paced and a loop is seen as a loop), at most ``concurrency`` links in flight and at most
  ``per_host_rate`` requests per second to any one host. Only the headers are read: a link to a
  50 MB PDF costs what a link to a page costs. GET rather than HEAD, because many sites answer HEAD
  wrongly and assessors click, which is a GET.
* The reasons (TLS, DNS, refused, timeout, redirects, 4xx/5xx) come from
  :mod:`dip_sheets.linkreasons`.

The cache is one JSON file (``cek-tautan.json``) in the state folder, replaced atomically; a damaged
file costs only a re-check. Results that are no longer fresh are dropped when it is written, so it
never grows past the links in use.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import tempfile
import threading
import time
from collections.abc import Callable, Iterable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urljoin, urlsplit

import requests

from dip_sheets import linkreasons as why
from dip_sheets.link_settings import LinkSettings
from dip_sheets.messages import Message

CACHE_FILE = "cek-tautan.json"
USER_AGENT = "dip-sheets (pemeriksa tautan Daftar Informasi Publik)"
_REDIRECTS = frozenset({301, 302, 303, 307, 308})
DEFAULT_SETTINGS = LinkSettings()


@dataclass(frozen=True)
class LinkResult:
    """One link's last check. ``final_url`` is where the redirects ended; ``status`` the last HTTP
    status (None when no answer came); ``reason`` why it does not work (None when ``ok``)."""

    url: str
    ok: bool
    checked_at: dt.datetime
    final_url: str = ""
    status: int | None = None
    reason: Message | None = None


def check_links(urls: Iterable[str], *, state_dir: Path, now: dt.datetime,
                settings: LinkSettings = DEFAULT_SETTINGS) -> dict[str, LinkResult]:
    """The result for each of ``urls``: from the cache when still fresh, otherwise checked now (and
    the cache updated). ``now`` is timezone-aware."""
    wanted = list(dict.fromkeys(urls))
    path = state_dir / CACHE_FILE
    cached = load_cache(path)
    fresh = probe_links(due(wanted, cached, now, settings), now=now, settings=settings)
    if fresh:  # read again: another run may have written results for other links meanwhile
        save_cache(path, {**load_cache(path), **fresh}, now, settings)
    return {url: fresh.get(url) or cached[url] for url in wanted}


def due(urls: Iterable[str], cached: Mapping[str, LinkResult], now: dt.datetime,
        settings: LinkSettings) -> list[str]:
    """The ``urls`` to check now, in order: never checked or no longer fresh."""
    return [url for url in dict.fromkeys(urls)
            if url not in cached or not is_fresh(cached[url], now, settings)]


def is_fresh(result: LinkResult, now: dt.datetime, settings: LinkSettings) -> bool:
    """Whether ``result`` may still stand at ``now`` (a check "from the future" never does)."""
    interval = settings.recheck_ok if result.ok else settings.recheck_broken
    return result.checked_at <= now < result.checked_at + interval


def link_warning(result: LinkResult) -> Message | None:
    """The row's warning for a link that does not work (None when it works)."""
    if result.ok or result.reason is None:
        return None
    day = result.checked_at.date().isoformat()
    return Message(f"Tautan tidak dapat dibuka (diperiksa {day}): {result.reason.id}. Periksa alamat di"
                   " kolom Tautan dan dokumennya di situs.",
                   f"The link does not open (checked {day}): {result.reason.en}. Check the address in"
                   " the Tautan column and the document on the site.")


# --- the cache -----------------------------------------------------------------------------------

def load_cache(path: Path) -> dict[str, LinkResult]:
    """The cached results by URL; empty when the file is missing or damaged."""
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
        entries = document["links"]
    except (OSError, ValueError, TypeError, KeyError):
        return {}
    results: dict[str, LinkResult] = {}
    for url, entry in entries.items() if isinstance(entries, dict) else ():
        result = _from_json(url, entry)
        if result is not None:
            results[url] = result
    return results


def save_cache(path: Path, results: Mapping[str, LinkResult], now: dt.datetime,
               settings: LinkSettings) -> None:
    """Write the still-fresh ``results`` to ``path`` atomically (temporary file, fsync, rename)."""
    links = {url: _to_json(r) for url, r in sorted(results.items()) if is_fresh(r, now, settings)}
    body = json.dumps({"version": 1, "links": links}, ensure_ascii=False, indent=1) + "\n"
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as stream:
            stream.write(body)
            stream.flush()
            os.fsync(stream.fileno())
        os.replace(temp, path)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise


def _to_json(result: LinkResult) -> dict[str, Any]:
    entry = asdict(result)
    del entry["url"]
    entry["checked_at"] = result.checked_at.isoformat()
    return entry


def _from_json(url: str, entry: Any) -> LinkResult | None:
    """One cached entry, or None when it is not what :func:`_to_json` writes (it is then re-checked)."""
    try:
        checked_at = dt.datetime.fromisoformat(entry["checked_at"])
        reason = entry.get("reason")
        status = entry.get("status")
        if checked_at.tzinfo is None or not (status is None or isinstance(status, int)):
            return None
        return LinkResult(
            url=url, ok=entry["ok"] is True, checked_at=checked_at, final_url=str(entry.get("final_url", "")),
            status=status, reason=Message(str(reason["id"]), str(reason["en"])) if reason else None)
    except (TypeError, KeyError, ValueError, AttributeError):
        return None


# --- the network ---------------------------------------------------------------------------------

class HostPacer:
    """At most ``rate`` request starts per second to each host, across threads: each host's next
    slot is handed out under a lock and the caller sleeps until it, outside the lock."""

    def __init__(self, rate: float, clock: Callable[[], float] = time.monotonic,
                 sleep: Callable[[float], None] = time.sleep) -> None:
        if rate <= 0:
            raise ValueError("rate must be positive")
        self.spacing, self.clock, self.sleep = 1.0 / rate, clock, sleep
        self._next: dict[str, float] = {}
        self._lock = threading.Lock()

    def wait(self, host: str) -> float:
        """Block until a request to ``host`` may start; return the seconds waited."""
        with self._lock:
            now = self.clock()
            slot = max(now, self._next.get(host, now))
            self._next[host] = slot + self.spacing
        if slot > now:
            self.sleep(slot - now)
        return slot - now


def probe_links(urls: Iterable[str], *, now: dt.datetime, settings: LinkSettings,
                pacer: HostPacer | None = None) -> dict[str, LinkResult]:
    """Check each of ``urls`` over the network now (no cache), ``settings.concurrency`` at a time."""
    pacer = pacer or HostPacer(settings.per_host_rate)
    ordered = interleave_by_host(dict.fromkeys(urls))
    if not ordered:
        return {}
    with ThreadPoolExecutor(max_workers=max(1, settings.concurrency), thread_name_prefix="tautan") as pool:
        results = pool.map(lambda url: probe(url, now=now, settings=settings, pacer=pacer), ordered)
        return {result.url: result for result in results}


def interleave_by_host(urls: Iterable[str]) -> list[str]:
    """``urls`` taken from each host in turn, so workers waiting on one slow or paced host do not
    hold up every other host."""
    by_host: dict[str, list[str]] = {}
    for url in urls:
        by_host.setdefault(_host(url), []).append(url)
    queues = list(by_host.values())
    return [queue[i] for i in range(max(map(len, queues), default=0)) for queue in queues if i < len(queue)]


def probe(url: str, *, now: dt.datetime, settings: LinkSettings, pacer: HostPacer) -> LinkResult:
    """Open ``url``, following up to ``settings.max_redirects`` redirects by hand.

    A loop is a URL visited again with the same cookies: a site that sets a cookie and redirects to
    the same page (a common "cookie check") is not a loop.
    """
    def failed(at: str, reason: Message, status: int | None = None) -> LinkResult:
        return LinkResult(url, False, now, at, status, reason)

    if not _is_http(url):
        return failed(url, why.NOT_HTTP)
    current = url
    with requests.Session() as session:
        session.headers.update({"User-Agent": USER_AGENT, "Accept": "*/*"})
        visited: set[tuple[str, frozenset[tuple[str, str, str, str | None]]]] = set()
        for _hop in range(settings.max_redirects + 1):
            visited.add((current, _cookies(session)))
            pacer.wait(_host(current))
            try:
                with session.get(current, timeout=settings.timeout, allow_redirects=False, stream=True,
                                 verify=settings.verify) as response:
                    status, location = response.status_code, response.headers.get("Location")
            except (requests.RequestException, ValueError, OSError) as error:
                return failed(current, why.error_reason(error, settings.timeout))
            if 200 <= status < 300:
                return LinkResult(url, True, now, current, status)
            if status not in _REDIRECTS or not location:
                return failed(current, why.status_reason(status), status)
            target = urljoin(current, location)
            if not _is_http(target):
                return failed(target, why.REDIRECT_NOT_HTTP, status)
            if (target, _cookies(session)) in visited:
                return failed(target, why.REDIRECT_LOOP, status)
            current = target
    return failed(current, why.too_many_redirects(settings.max_redirects), status)


def _cookies(session: requests.Session) -> frozenset[tuple[str, str, str, str | None]]:
    return frozenset((c.domain, c.path, c.name, c.value) for c in session.cookies)


def _is_http(url: str) -> bool:
    try:
        parts = urlsplit(url)
        return parts.scheme.lower() in ("http", "https") and bool(parts.hostname)
    except ValueError:
        return False


def _host(url: str) -> str:
    try:
        return (urlsplit(url).hostname or "").lower()
    except ValueError:
        return ""


def http_fetch(timeout: float, verify: bool | str = True) -> Callable[[str], bytes | None]:
    """A page fetcher for the self-check and the higher PPID's DIK (``monev.Fetch``): a GET with
    redirects, ``timeout`` seconds per step; None for anything but a 2xx answer."""
    def fetch(url: str) -> bytes | None:
        try:
            response = requests.get(url, timeout=timeout, verify=verify,
                                    headers={"User-Agent": "dip-sheets (swanilai e-Monev)"})
        except (requests.RequestException, ValueError, OSError):
            return None
        return response.content if 200 <= response.status_code < 300 else None

    return fetch
