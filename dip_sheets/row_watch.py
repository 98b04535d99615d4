"""What the review warns about in the rows, gathered for one office: link results and staleness rules.

A sync under cron runs every few minutes, so only links due for a re-check are fetched (the cache in
``state_dir`` answers the rest) and a network or cache failure never fails the sync: the rows then
carry what the cache last said. Everything else that reviews the register (a dry run, the publish,
``dip status``) reads the cache only, so the warnings written into the rows do not flip between a
sync and a publish, and nothing but ``dip sync`` (and ``dip monev``) opens a link.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable

from .config import Config
from .link_settings import LinkSettings
from .links import CACHE_FILE, LinkResult, check_links, link_warning, load_cache
from .messages import Message
from .register import Snapshot
from .sync import Watch, links_in

log = logging.getLogger(__name__)


def link_settings(config: Config) -> LinkSettings:
    """The link checker's settings: the ``[links]`` section."""
    return config.links


def cached(config: Config) -> dict[str, LinkResult]:
    """The last result of every link in the cache, however old (never the network)."""
    return load_cache(config.state_dir / CACHE_FILE)


def results(config: Config, urls: list[str], now: dt.datetime, *, network: bool) -> dict[str, LinkResult]:
    """The result of each of ``urls`` that has one: checked when due and ``network`` allows, else
    from the cache. A failure of the checker is logged and the cache stands in for it."""
    if network and config.links.check and urls:
        try:
            return check_links(urls, state_dir=config.state_dir, now=now, settings=link_settings(config))
        except Exception as error:  # a link check must never fail the sync
            log.warning("link check failed, using the cache: %s", error)
    known = cached(config)
    return {url: known[url] for url in urls if url in known}


def watch(config: Config, snapshot: Snapshot, now: dt.datetime, *, network: bool = False,
          noted: list[str] | None = None) -> Watch:
    """The review's :class:`~dip_sheets.staleness.Watch` for ``snapshot``; its links are also kept
    in ``noted`` (the run memo needs them, and finding them is a pass over every row)."""
    urls = links_in(snapshot)
    if noted is not None:
        noted.extend(urls)
    found = results(config, urls, now, network=network)
    broken: dict[str, Message] = {}
    for url, result in found.items():
        warning = link_warning(result)
        if warning is not None:
            broken[url] = warning
    return Watch(broken, config.monev.berkala_months, config.monev.exclusion_warning_days)


def watcher(config: Config, now: dt.datetime, *, network: bool = False,
            noted: list[str] | None = None) -> Callable[[Snapshot], Watch]:
    """:func:`watch` for :func:`dip_sheets.sync.run`, which asks once it has read the register."""
    return lambda snapshot: watch(config, snapshot, now, network=network, noted=noted)
