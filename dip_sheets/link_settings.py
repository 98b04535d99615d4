"""How the ``Tautan`` of the rows are checked: the ``[links]`` section of ``dip.toml`` and the link
checker's settings (:mod:`dip_sheets.links`) are one dataclass.

No link is fetched by ``dip sync`` unless the configuration has this section (the example
configuration does); in it, ``check`` is on unless it says ``check = false``.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from .config_values import refuse


@dataclass(frozen=True)
class LinkSettings:
    #: fetch the links due for a re-check during ``dip sync`` (a dry run never fetches)
    check: bool = False
    #: seconds for connecting and for each read
    timeout: float = 10.0
    #: days before a link that opened is checked again, and one that did not
    recheck_ok_days: float = 7.0
    recheck_broken_days: float = 1.0
    #: requests per second to any one host, and links in flight at once
    per_host_rate: float = 2.0
    concurrency: int = 8
    max_redirects: int = 5
    #: True (the system's CAs), False (no check: never in production) or the path of a CA bundle to
    #: trust instead; not a key of ``dip.toml``
    verify: bool | str = field(default=True, metadata={"toml": False})

    def __post_init__(self) -> None:
        """A guard for the code that builds settings; the config reader reports bad values itself."""
        if self.timeout <= 0 or self.max_redirects < 0 or self.concurrency < 1 or self.per_host_rate <= 0:
            raise ValueError(f"invalid link-check settings: {self}")

    @property
    def recheck_ok(self) -> dt.timedelta:
        return dt.timedelta(days=self.recheck_ok_days)

    @property
    def recheck_broken(self) -> dt.timedelta:
        return dt.timedelta(days=self.recheck_broken_days)


def check_links_section(where: str, values: dict[str, Any]) -> None:
    """The ``[links]`` numbers in a sensible range (the types were checked already)."""
    for key in ("timeout", "recheck_ok_days", "recheck_broken_days", "per_host_rate", "concurrency"):
        if key in values and values[key] <= 0:
            raise refuse(where, key, values[key], "harus lebih dari 0", "must be above 0")
    for key, most in (("concurrency", 64), ("max_redirects", 30)):
        if values.get(key, 0) > most:
            raise refuse(where, key, values[key], "di luar rentang yang masuk akal",
                         "out of a sensible range")
