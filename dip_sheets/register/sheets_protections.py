"""Protected ranges on the Google sheet: who may edit, ours versus people's, and row locks.

Protections created here are recognised by a marker at the start of their description,
``[dip-sheets:<what>]``; protections without it belong to people and are never touched.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from .. import schema as s
from ..errors import ConfigError
from ..messages import Message
from . import Layout, plan
from .sheets_grid import Json, TabInfo

#: an editor entry written ``group:ppid@example.go.id`` is a Google Group, not an account.
GROUP_PREFIX = "group:"
MARK = "dip-sheets"
ROWS_KEY = "rows"
_MARK_RE = re.compile(r"\[" + MARK + r":([^\]]+)\]")


@dataclass(frozen=True)
class Editors:
    users: tuple[str, ...]
    groups: tuple[str, ...] = ()

    def as_api(self) -> Json:
        return {"users": list(self.users), "groups": list(self.groups)}

    def missing_from(self, protection: Json) -> bool:
        editors = protection.get("editors") or {}
        return (not set(self.users) <= set(editors.get("users") or ())
                or not set(self.groups) <= set(editors.get("groups") or ()))

    def union(self, protection: Json) -> Editors:
        editors = protection.get("editors") or {}
        return Editors(tuple(dict.fromkeys((*editors.get("users", ()), *self.users))),
                       tuple(dict.fromkeys((*editors.get("groups", ()), *self.groups))))


def editors(entries: Iterable[str], account: str) -> Editors:
    """Configured entries (``group:`` marks a group) plus the service account itself."""
    entries = list(dict.fromkeys(entries))
    users = [e for e in entries if not e.startswith(GROUP_PREFIX)]
    groups = [e.removeprefix(GROUP_PREFIX) for e in entries if e.startswith(GROUP_PREFIX)]
    return Editors(tuple(dict.fromkeys([*users, account])), tuple(groups))


def role_editors(layout: Layout, account: str) -> dict[s.Role, Editors]:
    """Who may edit each role's columns; refuses roles without anyone in them."""
    unset = plan.roles_needed(layout)
    if unset:
        names = ", ".join(r.value for r in unset)
        raise ConfigError(
            f"Peran {names} belum diberi alamat email di bagian [roles] dip.toml; tanpa itu"
            " kolomnya hanya dapat diisi akun layanan. Tidak ada yang diubah.",
            f"Role {names} has no email address in the [roles] section of dip.toml; without"
            " it only the service account could fill its columns. Nothing was changed.",
        )
    ppid = layout.roles.get(s.Role.PPID, ())
    return {
        s.Role.SYSTEM: editors((), account),
        s.Role.PPID: editors(ppid, account),
        s.Role.DESK: editors((*layout.roles.get(s.Role.DESK, ()), *ppid), account),
    }


def lock_editors(roles: Mapping[s.Role, tuple[str, ...]], tabs: Mapping[str, TabInfo],
                 account: str) -> Editors:
    """Who may edit an established row: the PPID and the service account (when no PPID is
    configured, the editors of the PPID column's protection that ``dip init`` wrote).

    Google shows a protection's editors only to its editors: if a person removed the service
    account from the PPID column's protection, its editor list is invisible here and copying it
    would lock the PPID out of every established row, so that is refused with the fix.
    """
    ppid = roles.get(s.Role.PPID, ())
    if ppid:
        return editors(ppid, account)
    dip = tabs.get(s.DIP_TAB)
    column = next((p for p in (dip.protections if dip else ()) if key_of(p) == f"col:{s.STEP3}"),
                  None)
    if column is None:  # no 'dip init' yet: nothing to copy, nor any PPID to lock out
        return editors((), account)
    if account in ((column.get("editors") or {}).get("users") or ()):
        return Editors((account,)).union(column)
    raise ConfigError(
        f"Baris yang sudah ditetapkan tidak dikunci: akun layanan {account} tidak lagi menjadi"
        f" editor perlindungan kolom '{s.STEP3}', sehingga penguncian akan"
        " mengunci PPID sendiri. Isi alamat email PPID di 'ppid' bagian [roles] dip.toml (atau"
        f" minta pemilik spreadsheet menambahkan {account} kembali sebagai editor perlindungan"
        " itu, lalu jalankan 'dip init'). Tidak ada perlindungan yang diubah.",
        f"Established rows were not locked: the service account {account} is no longer an"
        f" editor of the protection of column '{s.STEP3}', so locking would lock the PPID"
        " out. Put the PPID's email address in 'ppid' in the [roles] section of dip.toml (or ask the"
        f" spreadsheet's owner to add {account} back as an editor of that protection, then run"
        " 'dip init'). No protection was changed.",
    )


def describe(key: str, text: str) -> str:
    return f"[{MARK}:{key}] {text}"


def key_of(protection: Json) -> str | None:
    match = _MARK_RE.match(str(protection.get("description") or ""))
    return match[1] if match else None


def locked_rows(tab: TabInfo) -> set[int]:
    rows: set[int] = set()
    for protection in tab.protections:
        if key_of(protection) == ROWS_KEY:
            area = protection["range"]
            rows.update(range(int(area.get("startRowIndex", 0)),
                              int(area.get("endRowIndex", tab.row_count))))
    return rows


def normal_range(area: Json, tab: TabInfo) -> tuple[int, int, int, int, int]:
    """A GridRange with Google's omitted zeros and open ends filled in, for comparison."""
    return (int(area.get("sheetId", 0)),
            int(area.get("startRowIndex", 0)), int(area.get("endRowIndex", tab.row_count)),
            int(area.get("startColumnIndex", 0)), int(area.get("endColumnIndex", tab.col_count)))


def runs(rows: Iterable[int]) -> list[tuple[int, int]]:
    """Row indexes -> coalesced end-exclusive ranges: {3, 4, 5, 9} -> [(3, 6), (9, 10)]."""
    result: list[tuple[int, int]] = []
    for row in sorted(set(rows)):
        if result and result[-1][1] == row:
            result[-1] = (result[-1][0], row + 1)
        else:
            result.append((row, row + 1))
    return result


def lock_requests(locks: Mapping[str, frozenset[int]], tabs: Mapping[str, TabInfo],
                  who: Editors) -> list[Json]:
    """The protection changes that make the locked rows of each tab exactly ``locks``; locked
    ranges already right are kept."""
    requests_: list[Json] = []
    for name, rows in locks.items():
        wanted = set(runs(rows))
        kept: set[tuple[int, int]] = set()
        tab = tabs[name]
        for protection in tab.protections:
            if key_of(protection) != ROWS_KEY:
                continue
            area = protection["range"]
            span = (int(area.get("startRowIndex", 0)), int(area.get("endRowIndex", -1)))
            whole_width = "startColumnIndex" not in area and "endColumnIndex" not in area
            if (span in wanted and span not in kept and whole_width
                    and not protection.get("warningOnly") and not who.missing_from(protection)):
                kept.add(span)
                continue
            requests_.append({"deleteProtectedRange": {
                "protectedRangeId": protection["protectedRangeId"]}})
        for start, end in sorted(wanted - kept):
            requests_.append({"addProtectedRange": {"protectedRange": {
                "range": {"sheetId": tab.sheet_id, "startRowIndex": start, "endRowIndex": end},
                "description": describe(ROWS_KEY, "Baris yang sudah ditetapkan PPID: hanya"
                                                  " PPID yang boleh mengubahnya."),
                "warningOnly": False,
                "editors": who.as_api()}}})
    return requests_


def forget_replaced(tabs: Mapping[str, TabInfo], sent: list[Json], reply: Json) -> None:
    """Keep the cached protections in step with a ``:batchUpdate`` that deleted and added some."""
    deleted = {r["deleteProtectedRange"]["protectedRangeId"]
               for r in sent if "deleteProtectedRange" in r}
    added = [r["addProtectedRange"]["protectedRange"]
             for r in reply.get("replies", []) if "addProtectedRange" in (r or {})]
    for tab in tabs.values():
        tab.protections = [p for p in tab.protections if p["protectedRangeId"] not in deleted]
        tab.protections += [p for p in added if int(p["range"].get("sheetId", 0)) == tab.sheet_id]


def layout_requests(tab: s.Tab, info: TabInfo, columns: Mapping[str, int],
                    who: Mapping[s.Role, Editors]) -> tuple[list[Json], list[Message]]:
    """Add the plan's missing protections; repair ours that lost an editor or only warn.

    Editors a person added are kept: Google may also list the owner, who can always edit.
    """
    requests_: list[Json] = []
    done: list[Message] = []
    for wanted in plan.protections(tab):
        area: Json = {"sheetId": info.sheet_id}
        if wanted.column is not None:
            index = columns[wanted.column]
            area |= {"startRowIndex": 1, "startColumnIndex": index, "endColumnIndex": index + 1}
        elif not wanted.whole_tab:
            area |= {"startRowIndex": 0, "endRowIndex": 1}
        allowed = who[wanted.owner]
        existing = next((p for p in info.protections if key_of(p) == wanted.key), None)
        if existing is None:
            requests_.append({"addProtectedRange": {"protectedRange": {
                "range": area, "description": describe(wanted.key, wanted.text.id),
                "warningOnly": False, "editors": allowed.as_api()}}})
            done.append(Message(f"Tab '{tab.name}': perlindungan dipasang: {wanted.text.id}",
                                f"Tab '{tab.name}': protection added: {wanted.text.en}"))
            continue
        fields = []
        if normal_range(existing["range"], info) != normal_range(area, info):
            fields.append("range")
        if existing.get("warningOnly") or allowed.missing_from(existing):
            fields += ["warningOnly", "editors"]
        if fields:
            requests_.append({"updateProtectedRange": {"protectedRange": {
                "protectedRangeId": existing["protectedRangeId"], "range": area,
                "warningOnly": False, "editors": allowed.union(existing).as_api()},
                "fields": ",".join(fields)}})
            done.append(Message(f"Tab '{tab.name}': perlindungan diperbaiki: {wanted.text.id}",
                                f"Tab '{tab.name}': protection repaired: {wanted.text.en}"))
    return requests_, done
