"""The e-Monev self-check (``dip monev``): each monitoring item the tool can evidence, judged.

Every year the Komisi Informasi scores a public body from a self-assessment: one answer and one PDF
of evidence per item, and assessors try the links themselves. This module answers the DIP and DIK
items before they do, from what an assessor would see and what the register says:

* the register, read once and reviewed (read-only: nothing is written back);
* the live site over HTTP(S) at ``publish.base_url``: its ``manifest.json``, ``dip.json``, the DIK
  page; the live version is compared with the last publish, as the publish target holds it;
* the archive (``arsip/<version>/``, read through the publish target), for the list's last change
  and the previous year's list;
* the link checker (:mod:`dip_sheets.links`, with its cache) for every ``Tautan`` and for the
  addresses configured here (SOPs, forms), which the tool cannot judge beyond "it opens".

Each item is "memenuhi" or "belum" with a reason and what to do, in Indonesian and English. The
report is data: :meth:`MonevReport.summary` is the ``--json`` shape, :meth:`MonevReport.lines`
what a person reads. A "belum" is an answer, not a failure: the command exits 0 either way; only a
register or target it could not read raises (its own exit code). The judges are pure and live in
:mod:`dip_sheets.monev_items`; the evidence pack in :mod:`dip_sheets.evidence`.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .config_values import check_url, refuse, section
from .errors import ConfigError
from .messages import Message

if TYPE_CHECKING:  # config.py may hold a MonevSettings: no import cycle at run time
    from .config import Config

#: the two answers of the self-assessment
MEETS, NOT_YET = "memenuhi", "belum"

#: GET one address: its body, or None when it did not answer 2xx (or did not answer at all)
Fetch = Callable[[str], bytes | None]


@dataclass(frozen=True)
class MonevSettings:
    """The ``[monev]`` section of ``dip.toml``: what the self-check cannot read from the register."""

    #: the page of the main website whose PPID menu must link to the DIP and the DIK
    #: (empty: ``[office] website``)
    ppid_menu_page: str = ""
    #: where the SOP for consequence tests is posted
    sop_consequence_test: str = ""
    #: where the SOP for establishing and updating the DIP is posted
    sop_dip: str = ""
    #: the online request and objection forms (a page with a form, not a file to download)
    request_form: str = ""
    objection_form: str = ""
    #: the higher PPID's published ``dik.json`` (e.g. KPU RI's, for a Kabupaten/Kota)
    higher_dik_url: str = ""
    #: how the higher body is named in a DIK row's ``Nomor Keputusan`` that cites its decision
    higher_issuer: str = ""
    #: days into January during which last year's list still counts as current
    january_grace_days: int = 31
    #: a Berkala item older than this many months is stale (UU 14/2008: at least every 6 months)
    berkala_months: int = 6
    #: an exclusion ending within this many days is announced
    exclusion_warning_days: int = 30
    #: the monitoring asks for at least this many Setiap Saat documents
    min_setiap_saat: int = 20
    #: seconds to wait for each page of the live site
    timeout: float = 15.0

    @classmethod
    def from_toml(cls, mapping: Mapping[str, Any], where: str = "[monev]") -> MonevSettings:
        """Read the ``[monev]`` table (with the one section reader of ``dip.toml``); an unknown key
        or a wrong value is a :class:`ConfigError` naming the key."""
        settings: MonevSettings = section(cls, mapping, where, _check_section)
        return settings


def _check_section(where: str, values: dict[str, Any]) -> None:
    """The ``[monev]`` addresses are web addresses, its numbers in range, and a higher PPID's list
    comes with the name its decisions are cited by."""
    for key, value in values.items():
        if key.endswith(("_url", "_form", "_page")) or key.startswith("sop_"):
            check_url(where, key, value)
    if values.get("berkala_months", 1) < 1 or values.get("january_grace_days", 0) > 365:
        key = "berkala_months" if values.get("berkala_months", 1) < 1 else "january_grace_days"
        raise refuse(where, key, values[key], "di luar rentang yang masuk akal",
                     "out of a sensible range")
    if values.get("higher_dik_url") and not values.get("higher_issuer"):
        raise ConfigError(
            f"{where}: higher_dik_url diisi, tetapi higher_issuer belum: tulis nama penerbit"
            " keputusan atasan seperti tertulis di kolom Nomor Keputusan (mis. \"Keputusan KPU\").",
            f"{where}: higher_dik_url is set but higher_issuer is not: give the higher body's"
            " name as written in the Nomor Keputusan column (e.g. \"Keputusan KPU\").")


@dataclass(frozen=True)
class MonevItem:
    """One monitoring item, judged. ``evidence`` names the addresses an assessor would open."""

    key: str
    title: Message
    state: str  # MEETS or NOT_YET
    reason: Message
    todo: Message = field(default_factory=lambda: Message("", ""))
    evidence: tuple[str, ...] = ()

    @property
    def meets(self) -> bool:
        return self.state == MEETS

    def summary(self) -> dict[str, Any]:
        return {"item": self.key, "judul": self.title.id, "title": self.title.en, "hasil": self.state,
                "alasan": self.reason.id, "reason": self.reason.en, "tindakan": self.todo.id,
                "todo": self.todo.en, "bukti": list(self.evidence)}


def judged(key: str, title: Message, problems: list[Message], ok: Message, todo: Message,
           evidence: tuple[str, ...] = ()) -> MonevItem:
    """"memenuhi" with ``ok`` when there is no problem; else "belum", the problems and ``todo``."""
    if not problems:
        return MonevItem(key, title, MEETS, ok, evidence=evidence)
    reason = Message("; ".join(p.id for p in problems), "; ".join(p.en for p in problems))
    return MonevItem(key, title, NOT_YET, reason, todo, evidence)


@dataclass
class MonevReport:
    """The self-check's answer, plus what the evidence pack needs to print."""

    checked_at: dt.datetime
    office: str
    base_url: str
    items: list[MonevItem]
    #: the live version (None: no live site answered)
    live_version: str | None = None
    #: the archived version the previous year's list ended with, if any
    previous_year_version: str | None = None
    #: link-check results shown in the evidence: (url, ok, status or reason)
    links: list[tuple[str, bool, str]] = field(default_factory=list)
    #: DIK entries whose period ended: (id, information, end date, still in the DIK)
    expired: list[tuple[str, str, str, bool]] = field(default_factory=list)
    #: the evidence pack's files, when one was written (``dip monev --bukti DIR``)
    evidence: list[Path] = field(default_factory=list)

    def item(self, key: str) -> MonevItem:
        return next(i for i in self.items if i.key == key)

    def summary(self) -> dict[str, Any]:
        """The ``--json`` shape."""
        return {
            "diperiksa": self.checked_at.isoformat(),
            "badan_publik": self.office,
            "situs": self.base_url,
            "versi_live": self.live_version,
            "memenuhi": sum(i.meets for i in self.items),
            "belum": sum(not i.meets for i in self.items),
            "item": [i.summary() for i in self.items],
            "bukti": {p.name: p.stat().st_size for p in self.evidence},
        }

    def lines(self) -> list[Message]:
        """What ``dip monev`` prints, and what goes into the register's dashboard tab."""
        met = sum(i.meets for i in self.items)
        out = [Message(f"Swanilai e-Monev {self.office}: {met} dari {len(self.items)} item memenuhi.",
                       f"e-Monev self-check for {self.office}: {met} of {len(self.items)} items met.")]
        for item in self.items:
            mark = "✓" if item.meets else "✗"
            state_en = "met" if item.meets else "not yet"
            out.append(Message(f"{mark} {item.title.id}: {item.state}. {item.reason.id}",
                               f"{mark} {item.title.en}: {state_en}. {item.reason.en}"))
            if not item.meets and item.todo.id:
                out.append(Message(f"    Tindakan: {item.todo.id}", f"    To do: {item.todo.en}"))
        for path in self.evidence:
            size = f"{path.stat().st_size:,}".replace(",", ".")
            out.append(Message(f"Bukti: {path} ({size} bita)", f"Evidence: {path} ({size} bytes)"))
        return out

    def to_json(self) -> str:
        return json.dumps(self.summary(), ensure_ascii=False, indent=1)


def site_url(config: Config, name: str = "") -> str:
    """``name`` under the configured public address of the site ("" when none is configured)."""
    return site_url_of(config.publish.base_url, name)


def site_url_of(base: str, name: str = "") -> str:
    return f"{base.rstrip('/')}/{name}" if base else ""
