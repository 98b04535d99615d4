"""Fetching an office's published files for the province's view: conditional, bounded, cached.

Each office is asked first for its change feed (``perubahan.json``) with the validators of the last
answer (``If-None-Match`` / ``If-Modified-Since``): a 304 means nothing was published since, and the
run costs that one request. A new feed that follows the version held is applied to the cached list
(:func:`dip_sheets.feed.apply_feed`); one further ahead is caught up by walking its archived
predecessors and replaying them; anything that does not apply exactly (a gap, a damaged cache, a
site without a feed) falls back to the full ``dip.json``. Only when the version changed are the
office's other files asked for, each conditionally: ``dik.html``, and the link-check results
(``cek-tautan.json``) and self-check (``monev.json``) when the office publishes them.

An office whose site does not answer keeps its last copy, and its error (in Indonesian and English)
is reported: it is never silently dropped. The cache is one JSON file per office in the state
folder, rewritten only when something about the office changed.
"""

from __future__ import annotations

import json
import os
import tempfile
import threading
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any
from urllib.parse import urljoin

import requests

from .feed import FEED_FILE, SNAPSHOT_FILE, Feed, FeedError, parse_feed, replay
from .history import PastVersion, diff
from .linkreasons import error_reason, status_reason
from .messages import Message
from .province_config import MAX_BYTES, OfficeSource
from .province_dik import LINKS_FILE, SELFCHECK_FILE, parse_dik, parse_links, parse_selfcheck

DIK_FILE = "dik.html"
USER_AGENT = "dip-sheets (tampilan provinsi Daftar Informasi Publik)"
#: how many archived feeds a consumer walks back before it loads the full list instead.
MAX_CHAIN = 12


@dataclass
class OfficeState:
    """What the province holds of one office: its last copy and the validators of each file."""

    code: str
    version: str | None = None
    published_at: str = ""
    decision_number: str = ""
    decision_date: str = ""
    year: int = 0
    records: list[dict[str, Any]] = field(default_factory=list)
    dik: dict[str, Any] | None = None  # province_dik.parse_dik; None: the office publishes no DIK
    links: dict[str, int] | None = None  # {"checked", "broken"}; None: not published
    selfcheck: str | None = None  # the self-check summary; None: not published
    fetched_at: str = ""  # when the copy was last confirmed current
    validators: dict[str, dict[str, str]] = field(default_factory=dict)  # file -> etag, last_modified


@dataclass(frozen=True)
class ItemChanges:
    added: tuple[str, ...] = ()  # titles
    changed: tuple[str, ...] = ()
    removed: tuple[str, ...] = ()


@dataclass
class OfficeFetch:
    """The outcome for one office in one run."""

    source: OfficeSource
    state: OfficeState | None  # the copy shown: new, or the last one when the site did not answer
    error: Message | None = None
    how: str = ""  # "unchanged" | "feed" | "feeds" | "full" | "" (failed)
    requests: int = 0
    not_modified: int = 0
    downloaded: int = 0
    changes: ItemChanges = ItemChanges()


class FetchFailed(Exception):
    def __init__(self, url: str, reason: Message) -> None:
        super().__init__(reason.id)
        self.message = Message(f"{url}: {reason.id}", f"{url}: {reason.en}")


@dataclass(frozen=True)
class Answer:
    status: int  # 200, 304 or 404
    body: bytes = b""
    validators: dict[str, str] = field(default_factory=dict)


class Http:
    """GET with timeouts, validators and a size cap; one ``requests`` session per worker thread."""

    def __init__(self, timeout: float, verify: bool | str) -> None:
        self.timeout, self.verify = timeout, verify
        self._local = threading.local()

    def _session(self) -> requests.Session:
        session: requests.Session | None = getattr(self._local, "session", None)
        if session is None:
            session = self._local.session = requests.Session()
            session.headers["User-Agent"] = USER_AGENT
        return session

    def get(self, url: str, validators: dict[str, str] | None, outcome: OfficeFetch) -> Answer:
        headers = {}
        if validators and validators.get("etag"):
            headers["If-None-Match"] = validators["etag"]
        if validators and validators.get("last_modified"):
            headers["If-Modified-Since"] = validators["last_modified"]
        outcome.requests += 1
        try:
            with self._session().get(url, headers=headers, timeout=self.timeout, verify=self.verify,
                                     stream=True, allow_redirects=True) as response:
                if response.status_code == 304:
                    outcome.not_modified += 1
                    return Answer(304, validators=dict(validators or {}))
                if response.status_code in (404, 410):
                    return Answer(404)
                if response.status_code != 200:
                    raise FetchFailed(url, status_reason(response.status_code))
                body = _read_capped(response, url)
                outcome.downloaded += len(body)
                found = {"etag": response.headers.get("ETag", ""),
                         "last_modified": response.headers.get("Last-Modified", "")}
                return Answer(200, body, {k: v for k, v in found.items() if v})
        except requests.RequestException as exc:
            raise FetchFailed(url, error_reason(exc, self.timeout)) from None


def _read_capped(response: requests.Response, url: str) -> bytes:
    chunks, size = [], 0
    for chunk in response.iter_content(1 << 16):
        size += len(chunk)
        if size > MAX_BYTES:
            raise FetchFailed(url, Message(f"berkas lebih besar dari {MAX_BYTES // 2**20} MB",
                                           f"file larger than {MAX_BYTES // 2**20} MB"))
        chunks.append(chunk)
    return b"".join(chunks)


# ---- the cache ----------------------------------------------------------------------------------


def cache_path(state_dir: Path, code: str) -> Path:
    return state_dir / "kantor" / f"{code}.json"


def load_state(state_dir: Path, code: str) -> OfficeState | None:
    """The cached copy, or None (never fetched, or a damaged file: that costs only a full fetch)."""
    try:
        document = json.loads(cache_path(state_dir, code).read_bytes())
        return OfficeState(**document) if document.get("code") == code else None
    except (OSError, ValueError, TypeError):
        return None


def save_state(state_dir: Path, state: OfficeState) -> None:
    write_atomic(cache_path(state_dir, state.code),
                 json.dumps(asdict(state), ensure_ascii=False, separators=(",", ":")).encode())


def write_atomic(path: Path, data: bytes) -> None:
    """A temporary file renamed over ``path``: a run killed while writing leaves the previous file,
    and a page being read is never half-written."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(handle, "wb") as out:
            out.write(data)
        os.chmod(temp, 0o644)
        os.replace(temp, path)
    finally:
        Path(temp).unlink(missing_ok=True)


# ---- one office ---------------------------------------------------------------------------------


def fetch_office(source: OfficeSource, held: OfficeState | None, http: Http, now_text: str) -> OfficeFetch:
    """Bring ``held`` (the cached copy, or None) up to the office's live version."""
    outcome = OfficeFetch(source, held)
    try:
        _update(outcome, held, http, now_text)
    except FetchFailed as failure:
        outcome.error, outcome.how = failure.message, ""
    return outcome


def _update(outcome: OfficeFetch, held: OfficeState | None, http: Http, now_text: str) -> None:
    source = outcome.source
    old_validators = held.validators if held else {}
    feed_answer = http.get(source.url + FEED_FILE, old_validators.get(FEED_FILE), outcome)
    feed: Feed | None = None
    if feed_answer.status == 200:
        try:
            feed = parse_feed(feed_answer.body)
        except FeedError:
            feed = None  # a feed that cannot be read: the full list says everything
    if held is not None and held.version is not None and (
            feed_answer.status == 304 or (feed is not None and feed.version == held.version)):
        outcome.how, outcome.state = "unchanged", replace(
            held, fetched_at=now_text,
            validators={**held.validators, FEED_FILE: feed_answer.validators or
                        held.validators.get(FEED_FILE, {})})
        return
    new = OfficeState(code=source.code)
    new.validators = {FEED_FILE: feed_answer.validators} if feed_answer.status == 200 else {}
    if feed is not None and held is not None and held.version is not None and feed.decision is not None:
        caught_up = _catch_up(held, feed, source.url, http, outcome)
        if caught_up is not None:
            new.records, new.version, new.published_at = caught_up, feed.version, feed.published_at
            new.decision_number, new.decision_date = feed.decision
            new.year = _year(feed.published_at)
    if new.version is None:
        list_answer = http.get(source.url + SNAPSHOT_FILE,
                               old_validators.get(SNAPSHOT_FILE) if feed is None else None, outcome)
        if list_answer.status == 404:
            raise FetchFailed(source.url + SNAPSHOT_FILE, status_reason(404))
        if list_answer.status == 304 and held is not None:  # a site without a feed, unchanged
            outcome.how, outcome.state = "unchanged", replace(held, fetched_at=now_text)
            return
        _read_snapshot(new, list_answer.body, source.url + SNAPSHOT_FILE)
        new.validators[SNAPSHOT_FILE] = list_answer.validators
        outcome.how = "full"
    _fetch_extras(new, held, http, outcome)
    new.fetched_at = now_text
    if held is not None:
        added, removed, changed = diff(held.records, new.records)
        outcome.changes = ItemChanges(tuple(c.title for c in added), tuple(c.title for c in changed),
                                      tuple(c.title for c in removed))
    outcome.state = new


def _catch_up(held: OfficeState, live: Feed, base: str, http: Http,
              outcome: OfficeFetch) -> list[dict[str, Any]] | None:
    """The list at ``live``'s version from the held copy and the feeds between, or None when they do
    not lead there exactly (then the caller loads ``dip.json``)."""
    chain, feed = [live], live
    try:
        while feed.previous_version != held.version:
            if feed.previous_feed is None or len(chain) >= MAX_CHAIN:
                return None
            answer = http.get(urljoin(base, feed.previous_feed), None, outcome)
            if answer.status != 200:
                return None
            feed = parse_feed(answer.body)
            chain.append(feed)
        records = replay(held.records, held.version, chain)
    except FeedError:
        return None
    outcome.how = "feed" if len(chain) == 1 else "feeds"
    return records


def _read_snapshot(state: OfficeState, data: bytes, url: str) -> None:
    try:
        version = PastVersion.from_dip_json(data)
        year = json.loads(data.decode("utf-8-sig")).get("tahun")
    except ValueError as exc:
        raise FetchFailed(url, Message(f"bukan dip.json yang sah ({exc})", f"not a valid dip.json ({exc})"),
                          ) from None
    state.version, state.published_at = version.id, version.published_at
    state.decision_number, state.decision_date = version.decision_number, version.decision_date
    state.records = [dict(r) for r in version.records]
    state.year = year if isinstance(year, int) and not isinstance(year, bool) else _year(version.published_at)


def _year(published_at: str) -> int:
    return int(published_at[:4]) if published_at[:4].isdigit() else 0


def _fetch_extras(new: OfficeState, held: OfficeState | None, http: Http, outcome: OfficeFetch) -> None:
    """``dik.html``, the link-check results and the self-check, each asked for conditionally; a 304
    keeps what the held copy read from it. A missing file means the office does not publish it."""
    base, old = outcome.source.url, (held.validators if held else {})
    for name, parse, attribute in ((DIK_FILE, parse_dik, "dik"), (LINKS_FILE, parse_links, "links"),
                                   (SELFCHECK_FILE, parse_selfcheck, "selfcheck")):
        answer = http.get(base + name, old.get(name), outcome)
        if answer.status == 304 and held is not None:
            setattr(new, attribute, getattr(held, attribute))
            new.validators[name] = answer.validators
        elif answer.status == 200:
            setattr(new, attribute, parse(answer.body))
            new.validators[name] = answer.validators
