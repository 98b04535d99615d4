"""``dip check`` on a Google sheet: which of our protections have editors other than ``[roles]`` says.

A person with the right to share the sheet can add or remove editors of a protected range in the
Sheets menu; ``dip init`` and the sync only ever add the missing ones, so an editor added by hand
stays until someone notices. This lists, per protection of ours (the ``[dip-sheets:…]`` marker),
the range and the editors it has beyond or short of what the configuration says; and a protection
``dip init`` makes that is gone or was turned into a mere warning (anyone may then edit), e.g. on
the ``Petunjuk`` tab, whose text the sync's messages refer to. It only reads the metadata the
register already holds; it is a warning, never an error (the spreadsheet's owner may always edit and
may be listed).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from .. import schema as s
from ..errors import ConfigError
from ..guide_tab import GUIDE_TAB
from ..messages import Message
from . import Layout, plan
from .sheets_grid import Json, TabInfo, letter, quoted
from .sheets_protections import GROUP_PREFIX, ROWS_KEY, Editors, editors, key_of, role_editors
from .sheets_units import KEY as UNIT_KEY
from .sheets_units import unit_editors


@dataclass(frozen=True)
class Difference:
    """One protection whose editors differ from the configuration."""

    where: str  # the tab and range, in A1 notation
    key: str
    extra: tuple[str, ...]
    missing: tuple[str, ...]
    hidden: bool = False  # the service account is no editor, so Google does not show the editors
    #: the protection is not there at all
    absent: bool = False
    #: the protection only warns: anyone with edit access may go on and change the range
    warning_only: bool = False

    def message(self) -> Message:
        if self.absent or self.warning_only:
            state_id = ("tidak ada" if self.absent else
                        "hanya berupa peringatan (siapa pun yang dapat menyunting boleh melanjutkan)")
            state_en = "is missing" if self.absent else "only warns (anyone who can edit may go on)"
            return Message(
                f"{self.where} ({self.key}): perlindungan dip-sheets {state_id}, sehingga isinya dapat"
                " diubah siapa saja yang dapat menyunting spreadsheet; jalankan 'dip init' untuk"
                " memasangnya kembali.",
                f"{self.where} ({self.key}): the dip-sheets protection {state_en}, so anyone who can edit"
                " the spreadsheet can change it; run 'dip init' to put it back.")
        if self.hidden:
            return Message(
                f"{self.where} ({self.key}): akun layanan bukan editornya lagi, sehingga editornya"
                " tidak terlihat; jalankan 'dip init' atau minta pemilik spreadsheet memperbaikinya.",
                f"{self.where} ({self.key}): the service account is no longer one of its editors,"
                " so its editors cannot be seen; run 'dip init' or ask the spreadsheet's owner to fix"
                " it.")
        extra, missing = ", ".join(self.extra) or "-", ", ".join(self.missing) or "-"
        return Message(
            f"{self.where} ({self.key}): editor di luar [roles]: {extra}; editor [roles] yang tidak"
            f" ada: {missing}. Perbaiki di menu Data > Lindungi sheet dan rentang (pemilik"
            " spreadsheet selalu boleh mengubah).",
            f"{self.where} ({self.key}): editors not in [roles]: {extra}; [roles] editors missing:"
            f" {missing}. Fix it under Data > Protect sheets and ranges (the spreadsheet's owner may"
            " always edit).")


def differences(tabs: Mapping[str, TabInfo], roles: Mapping[s.Role, tuple[str, ...]],
                per_unit: Mapping[str, tuple[str, ...]], account: str) -> list[Difference]:
    """Every protection of ours whose editors are not exactly what the configuration gives."""
    try:
        who = role_editors(Layout(s.TABS, (), roles), account)
    except ConfigError:  # roles missing: the roles check says so
        return []
    ppid = editors(roles.get(s.Role.PPID, ()), account)
    found: list[Difference] = []
    for tab in (*s.TABS, s.DASHBOARD, s.Tab(GUIDE_TAB, ())):
        info = tabs.get(tab.name)
        if info is None:
            continue
        wanted: dict[str, Editors] = {p.key: who[p.owner] for p in plan.protections(tab)}
        present = {key_of(p) for p in info.protections}
        found += [Difference(quoted(tab.name), key, (), (), absent=True)
                  for key in wanted if key not in present]
        for protection in info.protections:
            key = key_of(protection)
            if key is None:
                continue
            if key == ROWS_KEY and roles.get(s.Role.PPID):
                expected: Editors | None = ppid
            elif key.startswith(UNIT_KEY):
                expected = unit_editors(key.removeprefix(UNIT_KEY), per_unit, roles, account)
            else:
                expected = wanted.get(key)
            if expected is None:
                continue
            where = f"{quoted(tab.name)}!{a1(protection['range'], info)}"
            if protection.get("warningOnly"):
                found.append(Difference(where, key, (), (), warning_only=True))
                continue
            if protection.get("requestingUserCanEdit") is False or "editors" not in protection:
                found.append(Difference(where, key, (), (), hidden=True))
                continue
            have, want = _entries(protection), _entries_of(expected)
            if have != want:
                found.append(Difference(where, key, tuple(sorted(have - want)),
                                        tuple(sorted(want - have))))
    return found


def _entries(protection: Json) -> set[str]:
    given = protection.get("editors") or {}
    return {*given.get("users", ()), *(GROUP_PREFIX + g for g in given.get("groups", ()))}


def _entries_of(who: Editors) -> set[str]:
    return {*who.users, *(GROUP_PREFIX + g for g in who.groups)}


def a1(area: Json, tab: TabInfo) -> str:
    """A GridRange as A1 (``B2:N7``; an open end as the column alone, ``P2:P``)."""
    r0, c0 = int(area.get("startRowIndex", 0)), int(area.get("startColumnIndex", 0))
    c1 = int(area.get("endColumnIndex", tab.col_count))
    end_row = str(area["endRowIndex"]) if "endRowIndex" in area else ""
    return f"{letter(c0)}{r0 + 1}:{letter(c1 - 1)}{end_row}"
