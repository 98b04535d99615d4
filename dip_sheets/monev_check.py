"""``dip monev``: gather what an assessor would see, then judge every item (:mod:`monev_items`).

Read-only throughout: the register is read and reviewed but nothing is written back; the live site
is fetched over HTTP(S) like a visitor; the archive is read through the publish target; links go
through the link checker and its cache. What costs what: one register read, one archive scan (one
read per archived ``dip.json``), a handful of GETs to the live site, one link check per link not
fresh in the cache.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Mapping, Sequence
from html.parser import HTMLParser
from typing import Any
from urllib.parse import urljoin

from . import schema as s
from .config import Config
from .connect import open_register, open_target
from .dates import format_date
from .decisions import decisions_in, rests_on
from .higher_dik import HigherCheck, check_higher
from .history import PastVersion, moment
from .link_settings import LinkSettings
from .links import LinkResult, check_links, http_fetch
from .monev import Fetch, MonevReport, MonevSettings, site_url
from .monev_items import Observed, judge_all
from .register import Cell, Snapshot
from .site import ARCHIVE, MANIFEST, Manifest, Site, scan
from .staleness import last_updated
from .sync import Review, review
from .targets import Target
from .validate import Exclusion, validate_dik_row

#: a DIK row as the self-check reads it: its ID, its exclusion (None: unreadable), the sync's findings
DikRow = tuple[str, Exclusion | None, Sequence[Any]]


def self_check(config: Config, *, now: dt.datetime, settings: MonevSettings | None = None,
               fetch: Fetch | None = None, target: Target | None = None,
               link_settings: LinkSettings | None = None) -> MonevReport:
    """Judge every e-Monev item the tool can evidence. A "belum" is an answer; only a register or a
    target that cannot be read raises (a :class:`~dip_sheets.errors.DipError` with its exit code).

    Three steps: what the register, the publish target and the live site show (:func:`observe`),
    the judgement of each item (:func:`~dip_sheets.monev_items.judge_all`), and the report."""
    settings = settings or MonevSettings()
    link_settings = link_settings or LinkSettings()
    fetch = fetch or http_fetch(settings.timeout, link_settings.verify)
    observed, archive = observe(config, now, settings, fetch, target, link_settings)
    today = now.date()
    report = MonevReport(now, config.office.name, site_url(config), [], observed.live_version,
                         previous_year_version(archive, today.year))
    report.items = judge_all(observed, config, settings)
    report.links = [(url, r.ok, r.reason.id if r.reason else str(r.status))
                    for url, r in observed.links.items()]
    report.expired = expired(observed.dik_rows, today)
    return report


def observe(config: Config, now: dt.datetime, settings: MonevSettings, fetch: Fetch, target: Target | None,
            link_settings: LinkSettings) -> tuple[Observed, list[PastVersion]]:
    """What an assessor would see: the register reviewed, the archive on the publish target (opened
    here unless ``target`` is given), the live site fetched, the links checked."""
    snapshot = open_register(config).read()
    reviewed = review(snapshot, config.units, now)
    site, archive = _read_target(config, target)
    today = now.date()
    dik_rows = read_dik_rows(snapshot, reviewed, config.units)
    live_version, live = read_live(config, fetch)
    dik_page = _dik_page(config, fetch)
    links = _links(config, settings, reviewed, now, link_settings)
    higher = _higher(settings, dik_rows, fetch)
    menu_page = settings.ppid_menu_page or config.office.website
    observed = Observed(
        today=today, review=reviewed, berkala_updated=berkala_updated(snapshot, reviewed),
        dik_rows=dik_rows, live=live, live_version=live_version, recorded_version=last_publish(site),
        dik_page=dik_page, last_change=last_change(archive), decision_date=_decided(snapshot, today),
        links=links, menu_links=page_links(menu_page, fetch) if menu_page else None, higher=higher)
    return observed, archive


def _read_target(config: Config, target: Target | None) -> tuple[Site, list[PastVersion]]:
    """The site's layout and its archive, from ``target`` or from one opened (and closed) here."""
    owned = target is None
    target = target or open_target(config)
    try:
        site = scan(target)
        return site, read_archive(target, site)
    finally:
        if owned:
            target.close()


def _dik_page(config: Config, fetch: Fetch) -> str | None:
    """The live ``dik.html`` as a visitor gets it (None: no ``base_url``, or it does not open)."""
    page = fetch(site_url(config, "dik.html")) if config.publish.base_url else None
    return page.decode("utf-8", "replace") if page is not None else None


def _links(config: Config, settings: MonevSettings, reviewed: Review, now: dt.datetime,
           link_settings: LinkSettings) -> dict[str, LinkResult]:
    """Every published item's link and every document ``[monev]`` names, checked (or cached)."""
    configured = [u for u in (settings.sop_consequence_test, settings.sop_dip, settings.request_form,
                              settings.objection_form) if u]
    return check_links([*(i.link for i in reviewed.items if i.link), *configured],
                       state_dir=config.state_dir, now=now, settings=link_settings)


def _higher(settings: MonevSettings, dik_rows: Sequence[DikRow], fetch: Fetch) -> HigherCheck | None:
    """The higher PPID's DIK checked against the decisions our exclusions cite (when configured)."""
    if not settings.higher_dik_url:
        return None
    rows = [(row_id, x.decision) for row_id, x, _ in dik_rows if x is not None]
    return check_higher(settings.higher_dik_url, settings.higher_issuer, rows, fetch)


def expired(dik_rows: Sequence[DikRow], today: dt.date) -> list[tuple[str, str, str, bool]]:
    """The exclusions whose period ended before ``today``, for the report."""
    return [(row_id, x.information, format_date(x.expires), True) for row_id, x, _ in dik_rows
            if x is not None and x.expires is not None and x.expires < today]


def read_live(config: Config, fetch: Fetch) -> tuple[str | None, Mapping[str, Any] | None]:
    """The live manifest's version and the live ``dip.json``, as a visitor gets them."""
    if not config.publish.base_url:
        return None, None
    manifest = Manifest.parse(fetch(site_url(config, MANIFEST)))
    data = fetch(site_url(config, "dip.json"))
    try:
        document = json.loads(data.decode("utf-8-sig")) if data is not None else None
    except (UnicodeDecodeError, ValueError):
        document = None
    live = document if isinstance(document, dict) else None
    return (manifest.version if manifest else None), live


def last_publish(site: Site) -> str | None:
    """The version ``dip publish`` last made live, as the publish target holds it: what the live
    site should show (a stale web cache or a ``base_url`` pointing elsewhere shows something else)."""
    if site.live is not None:
        return site.live.version
    return site.complete[-1].version if site.complete else None


def read_archive(target: Target, site: Site) -> list[PastVersion]:
    """Every complete archived version's list, oldest first (a damaged one is left out)."""
    versions = []
    for manifest in site.complete:
        data = target.read(f"{ARCHIVE}/{manifest.version}/dip.json")
        if data is None:
            continue
        try:
            versions.append(PastVersion.from_dip_json(data))
        except ValueError:
            continue
    return versions


def last_change(archive: Sequence[PastVersion]) -> dt.date | None:
    """The day of the newest archived version whose items differ from the version before it."""
    changed: dt.date | None = None
    before: Sequence[Any] | None = None
    for version in archive:
        if version.records != before:
            changed = version.moment.date()
        before = version.records
    return changed


def previous_year_version(archive: Sequence[PastVersion], year: int) -> str | None:
    """The version the previous year's list ended with: what the coming e-Monev round assesses."""
    last = [v.id for v in archive if moment(v.published_at).year == year - 1]
    return last[-1] if last else None


def _rows(snapshot: Snapshot, tab: str) -> tuple[list[list[Cell]], dict[str, int]]:
    grid = snapshot.tabs[tab]
    return grid.rows, {s.normalize_header(h): i for i, h in enumerate(grid.rows[0])}


def _cell(row: Sequence[Cell], index: int | None) -> Cell:
    return row[index] if index is not None and index < len(row) else None


def berkala_updated(snapshot: Snapshot, reviewed: Review) -> dict[str, dt.date]:
    """Published Berkala items: the day each was last updated (:func:`~dip_sheets.staleness.last_updated`,
    the rule the sync's row warning uses)."""
    rows, headers = _rows(snapshot, s.DIP_TAB)
    column = headers.get(s.normalize_header(s.LAST_UPDATED))
    found: dict[str, dt.date] = {}
    for state in reviewed.dip:
        if not state.publishable or state.item is None or state.item.category != "Berkala":
            continue
        day = last_updated(_cell(rows[state.anchor.row], column), state.values.get(s.CREATED))
        if day is not None:
            found[state.id] = day
    return found


def read_dik_rows(snapshot: Snapshot, reviewed: Review, units: Sequence[str]) -> list[DikRow]:
    """Every DIK row with its exclusion read as if today were the first day of the calendar, so an
    exclusion whose period ended still shows its end date; findings are the sync's."""
    rows, headers = _rows(snapshot, s.DIK_TAB)
    out: list[DikRow] = []
    for state in reviewed.dik:
        row = rows[state.anchor.row]
        values = {h: _cell(row, headers.get(s.normalize_header(h))) for h in s.DIK_CONTENT_HEADERS}
        exclusion, _ = validate_dik_row(values, units, dt.date.min, state.id)
        out.append((state.id, exclusion, list(state.findings)))
    return out


class _Anchors(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.hrefs: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "a":
            self.hrefs += [v for k, v in attrs if k == "href" and v]


def page_links(url: str, fetch: Fetch) -> frozenset[str] | None:
    """The absolute addresses ``url``'s page links to (None: it does not open)."""
    data = fetch(url)
    if data is None:
        return None
    parser = _Anchors()
    parser.feed(data.decode("utf-8", "replace"))
    return frozenset(urljoin(url, href) for href in parser.hrefs)


def _decided(snapshot: Snapshot, today: dt.date) -> dt.date | None:
    """The date of the PPID decision the list rests on today (the register's ``Keputusan`` tab)."""
    decision = rests_on(decisions_in(snapshot), today)
    return decision.date if decision is not None else None

