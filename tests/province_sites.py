"""Offices for the province tests: real dip-sheets sites, published with ``render_site`` and served
over HTTP on loopback by the ``WebServer`` of ``tests/plugins/webservers.py``.

Each :class:`OfficeSite` lives under ``/<code>/`` of a server (several offices may share one server)
and answers like a static web server: ``ETag`` and ``Last-Modified`` on every file, ``304`` to a
matching ``If-None-Match`` or a not-older ``If-Modified-Since``. Every answer is counted by status,
so a test can say from the server side what a run cost.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections import Counter
from collections.abc import Sequence
from email.utils import formatdate, parsedate_to_datetime
from zoneinfo import ZoneInfo

from dip_sheets.config import PublicBody
from dip_sheets.dates import format_date
from dip_sheets.history import PastVersion
from dip_sheets.records import Version
from dip_sheets.render import render_site
from dip_sheets.validate import Exclusion, Item
from tests.plugins.webservers import Reply, Request, Route, WebServer

WIB = ZoneInfo("Asia/Jakarta")
#: what a province reads; the rest of a version (pages, xlsx) is published too but not needed here
SERVED = ("dip.json", "perubahan.json", "dik.html", "index.html", "manifest.json")
OPTIONAL = ("cek-tautan.json", "monev.json")


class OfficeSite:
    def __init__(self, server: WebServer, code: str, name: str) -> None:
        self.server, self.code, self.name = server, code, name
        self.prefix = f"/{code}/"
        self.url = server.url(self.prefix)
        self.files: dict[str, tuple[bytes, float]] = {}  # path under the site -> (bytes, mtime)
        self.history: list[PastVersion] = []
        self.answers: Counter[tuple[str, int]] = Counter()  # (file, status)
        self.down: int = 0  # a status to answer everything with (an office whose site is broken)
        self.delay: float = 0.0
        for name in (*SERVED, *OPTIONAL):  # answered (404 when absent) and counted from the start
            self.server.route(self.prefix + name, self._route(name))

    @property
    def office(self) -> PublicBody:
        return PublicBody(name=self.name, short_name=self.name, ppid_title=f"PPID {self.name}")

    def publish(self, items: Sequence[Item], exclusions: Sequence[Exclusion] = (), *,
                at: dt.datetime, decision: tuple[str, str] = ("12/PPID/2026", "2 Januari 2026"),
                feed: bool = True, dik: bool = True, extra: dict[str, bytes] | None = None) -> str:
        """One version, as ``dip publish`` would put it live; returns its id."""
        version = Version(id=at.strftime("%Y%m%d-%H%M%S"), published_at=at.isoformat(),
                          date_text=format_date(at.date()), decision_number=decision[0],
                          decision_date=decision[1], year=at.year, site_url=self.url)
        files = render_site(items, exclusions, self.office, version, history=self.history)
        stamp = at.timestamp()
        for name in SERVED:
            if name in files and (feed or name != "perubahan.json") and (dik or name != "dik.html"):
                self.put(name, files[name], stamp)
                if name in ("perubahan.json", "dip.json"):
                    self.put(f"arsip/{version.id}/{name}", files[name], stamp)
            else:
                self.files.pop(name, None)
        for name, data in (extra or {}).items():
            self.put(name, data, stamp)
        self.history.append(PastVersion.from_dip_json(files["dip.json"]))
        return version.id

    def put(self, name: str, data: bytes, mtime: float) -> None:
        self.files[name] = (data, mtime)
        self.server.route(self.prefix + name, self._route(name))

    def _route(self, name: str) -> Route:
        return lambda request: self._answer(name, request)

    def remove(self, name: str) -> None:
        self.files.pop(name, None)

    def _answer(self, name: str, request: Request) -> Reply:
        if self.down:
            self.answers[(name, self.down)] += 1
            return Reply(self.down, body=b"rusak\n", delay=self.delay)
        found = self.files.get(name)
        if found is None:
            self.answers[(name, 404)] += 1
            return Reply(404, body=b"not found\n", delay=self.delay)
        data, mtime = found
        etag = '"' + hashlib.sha256(data).hexdigest()[:20] + '"'
        modified = formatdate(mtime, usegmt=True)
        headers = (("ETag", etag), ("Last-Modified", modified))
        since = request.headers.get("If-Modified-Since")
        if request.headers.get("If-None-Match") == etag or (
                "If-None-Match" not in request.headers and since
                and parsedate_to_datetime(since).timestamp() >= int(mtime)):
            self.answers[(name, 304)] += 1
            return Reply(304, headers, b"", delay=self.delay)
        self.answers[(name, 200)] += 1
        return Reply(200, (*headers, ("Content-Type", "application/octet-stream")), data, delay=self.delay)

    def count(self, status: int | None = None, name: str | None = None) -> int:
        return sum(n for (file, code), n in self.answers.items()
                   if (status is None or code == status) and (name is None or file == name))

    def reset(self) -> None:
        self.answers.clear()


def toml(name: str, sites: Sequence[tuple[str, str, str]], output: str = "keluaran", **extra: object) -> str:
    """A ``provinsi.toml`` for ``(code, name, url)`` offices (a JSON string is a TOML string)."""
    lines = ["[province]", f"name = {json.dumps(name)}", f"output = {json.dumps(output)}"]
    lines += [f"{key} = {json.dumps(value)}" for key, value in extra.items()]
    for code, office, url in sites:
        lines += ["", "[[office]]", *(f"{k} = {json.dumps(v)}" for k, v in
                                      (("name", office), ("code", code), ("url", url)))]
    return "\n".join(lines) + "\n"
