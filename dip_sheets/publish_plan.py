"""Choosing what a publish puts live, before anything is written (see :mod:`dip_sheets.publish`).

A publish is refused while a row the PPID established cannot go live, the year has no decision,
the list would empty the site, or an item withdrawn from an archived version comes back (each of
these but the last can be overridden with ``--force``). Else the version is chosen, in this order:
the live one when the register renders to it (nothing to upload), an archived one not live yet
(a run stopped before or while switching), the live one whose switch was cut short, or a new one.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from .archive_history import past_versions, refuse_withdrawn, version_notes
from .config import Config
from .dates import format_date
from .decision_scans import scans_of
from .decisions import Decision, refuse_without_decision, version_fields
from .errors import PublishFailed
from .higher_dik import Inherited, read_higher
from .history import PastVersion, summary, version_order
from .links import http_fetch
from .list_pdf import PDF_FILE, list_pdf, printer
from .messages import Message
from .published_state import archived_extras, extra_files, list_files
from .render import Version, render_site
from .render_digest import RegisterPart, register_digest, render_digest
from .rendered import Rendered
from .site import ARCHIVE, MANIFEST, Manifest, Site, file_table, guard, scan
from .switch import Progress, links_possible
from .sync import Review
from .targets import Target


@dataclass(frozen=True)
class Plan:
    """What a publish will put live, decided before anything is written."""

    site: Site
    manifest: Manifest
    files: Mapping[str, bytes]
    items: int
    #: whether the host can make links (see :func:`~dip_sheets.switch.switch_live`)
    links: bool
    #: the version is whole in the archive already (or is the live one, its switch cut short)
    resumed: bool
    #: the version is live and settled: nothing to upload or switch
    unchanged: bool = False


def plan(config: Config, target: Target, current: Review, now: dt.datetime, progress: Progress, *,
         force: bool, adopt: bool, dry_run: bool, decisions: Sequence[Decision] = (),
         scans: dict[str, bytes] | None = None) -> Plan:
    """Refuse what must not go live; else choose the version: the live one, an archived one not yet
    live, or a new one. ``scans`` are the signed decisions' scans by their path in a version."""
    if not force:  # before the site is even read
        _refuse_blocked(current)
        refuse_without_decision(decisions, now.date())
    site = scan(target)
    if not force:
        _refuse_emptying(current, site.live)
    refuse_withdrawn((i.id for i in current.items), site.complete)
    render = _Renderer(config, target, current, site.complete, now, progress, decisions, scans or {})
    live = site.live
    same, live_files = _live(render, live)
    guard(target, site, {*(live.files if same and live is not None else live_files or {}), MANIFEST},
          adopt=adopt)
    links = site.current is not None if dry_run else links_possible(target, site)
    items = len(current.items)
    if live is not None and (same or live_files is not None) and site.settled(links):
        return Plan(site, live, live_files or {}, items, links, resumed=True, unchanged=True)
    manifest, files, resumed = _choose(render, site, same, live_files)
    guard(target, site, {*files, MANIFEST}, adopt=adopt)
    return Plan(site, manifest, files, items, links, resumed)


def _live(render: _Renderer, live: Manifest | None) -> tuple[bool, Rendered | None]:
    """Whether the live version's recorded inputs are the register's (it is what the register
    renders to, known without rendering it); else its files when the register renders to them."""
    same = live is not None and bool(live.digest) and live.digest == render.digest_of(render.version_of(live))
    if same or live is None or (live.register_digest and live.register_digest != render.register_digest):
        return same, None  # the same inputs, or the register's list itself changed: nothing to compare
    return same, render.renders_as(live)


def _choose(render: _Renderer, site: Site, same: bool, live_files: Rendered | None
            ) -> tuple[Manifest, Rendered, bool]:
    """The version to put live when the live one is not settled: its manifest, files and whether
    it is whole on the site already."""
    live = site.live
    if same and live is not None:  # its switch was cut short: the files are needed after all
        live_files = render.files_for(render.version_of(live))
    newer = [m for m in site.complete if live is None or m.order > live.order]
    reusable = render.renders_as(newer[-1]) if newer else None
    if reusable is not None:  # archived whole by a run that stopped before or while going live
        return newer[-1], reusable, True
    if live is not None and live_files is not None:  # the live version, its switch cut short
        return live, live_files, True
    manifest, files = render.new_version(site)
    return manifest, files, False


def _refuse_blocked(current: Review) -> None:
    """Without ``--force``, no publish while a row the PPID established cannot go live."""
    def blockers(lang: str, row: str) -> str:
        return "; ".join(
            f"{r.id} ({row} {r.row_number}): {r.findings[0].text(lang).rstrip('.') if r.findings else ''}"
            for r in current.blockers[:20]
        )

    if current.blockers:
        raise PublishFailed(
            f"{len(current.blockers)} baris yang ditetapkan PPID belum dapat diterbitkan:"
            f" {blockers('id', 'baris')}. Perbaiki baris itu, atau terbitkan tanpa baris itu dengan"
            " --force.",
            f"{len(current.blockers)} rows established by the PPID cannot be published:"
            f" {blockers('en', 'row')}. Fix them, or publish without them using --force.",
        )


def _refuse_emptying(current: Review, live: Manifest | None) -> None:
    """Without ``--force``, no publish that would empty the published list."""
    if not current.items and live is not None and live.items:
        raise PublishFailed(
            "Tidak ada satu pun informasi yang siap terbit, sedangkan situs memuat"
            f" {live.items} informasi. Penerbitan dibatalkan agar daftar di situs tidak kosong;"
            " gunakan --force bila memang disengaja.",
            f"No item is ready to publish while the site lists {live.items}. Cancelled so the"
            " published list is not emptied; use --force if this is intended.",
        )


class _Renderer:
    """The register's list rendered as one version or another, with what every version shares: the
    archived versions' history (read once, when first needed), the higher PPID's DIK and the PDF
    printer."""

    def __init__(self, config: Config, target: Target, current: Review, archived: list[Manifest],
                 now: dt.datetime, progress: Progress, decisions: Sequence[Decision],
                 scans: dict[str, bytes]) -> None:
        self.config, self.target, self.current, self.archived = config, target, current, archived
        self.now, self.progress, self.decisions, self.scans = now, progress, decisions, scans
        self.inherited = inherited_dik(config, progress)
        self.history: list[PastVersion] = []
        self.chromium = printer(config, progress)  # the list's PDF (dip.pdf), when it can be printed
        self.register = RegisterPart.of(current.items, current.exclusions)
        self.register_digest = register_digest(self.register)

    def files_for(self, version: Version, pdf: bool | None = None) -> Rendered:
        if not self.history and self.archived:
            self.history.extend(past_versions(self.target, self.archived, self.progress))
        config, current = self.config, self.current
        files = render_site(current.items, current.exclusions, config.office, version,
                            config.publish.templates, self.history, self.inherited,
                            version_notes(self.archived),
                            pdf=self.chromium is not None if pdf is None else pdf)
        files.update(scans_of(version, self.scans))
        return files

    def digest_of(self, version: Version) -> str:
        """A PDF tried and failed is not tried again unchanged."""
        order = version_order(version.id, version.published_at)
        config = self.config
        return render_digest(self.register, config.office, version, config.publish.templates,
                             [(m.version, m.published_at) for m in self.archived if m.order < order],
                             self.inherited, pdf=self.chromium is not None)

    def version_of(self, known: Manifest) -> Version:
        return make_version(self.config, dt.datetime.fromisoformat(known.published_at), known.version,
                            self.decisions, self.now.date())

    def renders_as(self, known: Manifest) -> Rendered | None:
        """The files of ``known`` if the register renders to exactly its list's files (with the
        extra files it was published with, see :mod:`.published_state`), else None."""
        files = self.files_for(self.version_of(known))
        if file_table(files) != list_files(known.files):
            return None
        extras = archived_extras(self.target, known)
        if extras is None:
            return None
        files.update(extras)
        return files

    def new_version(self, site: Site) -> tuple[Manifest, Rendered]:
        """A version never published: its id, files (with ``dip.pdf`` when printed) and manifest."""
        config, items, now = self.config, self.current.items, self.now
        foreign = [path.removeprefix(f"{ARCHIVE}/").rstrip("/") for path in site.foreign]
        version = make_version(config, now, new_version_id(now, [*self.archived, *site.pending, *foreign]),
                               self.decisions)
        pdf = list_pdf(self.chromium, config, items, version, self.progress) if self.chromium else None
        files = self.files_for(version, pdf is not None)
        if pdf:
            files[PDF_FILE] = pdf
        files.update(extra_files(config, (i.link for i in items if i.link)))
        assert files.changes is not None  # render_site sets it
        return Manifest(version.id, version.published_at, file_table(files), len(items),
                        self.digest_of(version), summary(files.changes),
                        register_digest=self.register_digest), files


def make_version(config: Config, now: dt.datetime, version_id: str | None = None,
                 decisions: Sequence[Decision] = (), on: dt.date | None = None) -> Version:
    """The version published at ``now``, resting on the decisions in force ``on`` that day (by
    default ``now``'s: a live version is compared as it would be published today, so a new
    decision makes a new version)."""
    return Version(
        id=version_id or new_version_id(now, ()),
        published_at=now.isoformat(),
        date_text=format_date(now.date()),
        year=now.year,
        site_url=config.publish.base_url.rstrip("/") + "/" if config.publish.base_url else "",
        **version_fields(decisions, on or now.date()),
    )


def new_version_id(now: dt.datetime, taken: Sequence[Manifest | str]) -> str:
    """The UTC time of the run (``20261125-030000Z``), with a suffix when that second is taken.

    UTC, so a change of the office's timezone never makes a later version look older; the suffix
    (``-2``, ``-3``, …) keeps two publishes of the same second apart.
    """
    base = now.astimezone(dt.UTC).strftime("%Y%m%d-%H%M%SZ")
    names = {t.version if isinstance(t, Manifest) else t for t in taken}
    version_id, suffix = base, 1
    while version_id in names:
        suffix += 1
        version_id = f"{base}-{suffix}"
    return version_id


def inherited_dik(config: Config, progress: Progress) -> Inherited | None:
    """The higher PPID's DIK entries (``[monev] higher_dik_url``), shown read-only on the DIK page.

    An unreachable list never stops a publish: the page then goes out without it, and this says so.
    """
    url = config.monev.higher_dik_url
    if not url:
        return None
    data = http_fetch(config.monev.timeout)(url)
    entries = read_higher(data) if data is not None else None
    if entries is None:
        progress(Message(
            f"DIK PPID atasan ({url}) tidak dapat dibaca; halaman DIK terbit tanpa daftar itu.",
            f"The higher PPID's DIK ({url}) could not be read; the DIK page is published without it."))
        return None
    return Inherited(entries, url, config.monev.higher_issuer)
