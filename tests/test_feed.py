"""The change feed (``perubahan.json``): what an aggregator needs to follow an office's list.

The properties the issue asks for are checked over generated histories: a feed is never empty when
two versions differ, a removal is always in it (OpenSID's feed lost deletions), and replaying the
feeds from the first version rebuilds the current list exactly, order included.
"""

from __future__ import annotations

import dataclasses
import json
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dip_sheets import json_text
from dip_sheets.feed import (
    FEED_FILE,
    FeedError,
    apply_feed,
    feed_path,
    list_digest,
    parse_feed,
    render_feed,
    replay,
)
from dip_sheets.history import PastVersion, timeline
from dip_sheets.records import FIELDS, item_record, sort_items
from tests.test_render import item

KEYS = [key for key, _, _ in FIELDS if key != "id"]


def version(number: int, records: list[dict[str, Any]]) -> PastVersion:
    return PastVersion(f"2026110{number % 10}-{number:06d}", f"2026-11-0{number % 9 + 1}T10:00:00+07:00",
                       records=tuple(records))


def feeds_of(versions: list[PastVersion], site_url: str = "") -> list[bytes]:
    return [render_feed(v, versions[i - 1] if i else None, site_url) for i, v in enumerate(versions)]


# A list is a few records with unique IDs; values are short texts or small numbers (tahun), some
# with characters JSON must escape, so serialisation is part of what is tested.
values = st.one_of(st.text(alphabet="ab é\"\\\n", max_size=4), st.integers(0, 3000))
record_bodies = st.dictionaries(st.sampled_from(KEYS[:4]), values, max_size=4)
lists = st.dictionaries(st.sampled_from([f"DIP-{n:04d}" for n in range(1, 13)]), record_bodies,
                        max_size=8).flatmap(
    lambda found: st.permutations(sorted(found)).map(
        lambda ids: [{"id": i, **found[i]} for i in ids]))


@settings(max_examples=200, deadline=None)
@given(st.lists(lists, min_size=1, max_size=6))
def test_replaying_every_feed_from_the_first_version_rebuilds_each_list_exactly(
    history: list[list[dict[str, Any]]],
) -> None:
    versions = [version(n, records) for n, records in enumerate(history)]
    feeds = [parse_feed(data) for data in feeds_of(versions)]
    assert feeds[0].previous_version is None
    held: list[dict[str, Any]] = []
    held_version: str | None = None
    for past, feed in zip(versions, feeds, strict=True):
        held = apply_feed(held, held_version, feed)
        held_version = feed.version
        assert held == list(past.records)  # same records, same values, same order
    assert replay([], None, feeds) == history[-1]
    assert replay([], None, list(reversed(feeds))) == history[-1]  # the chain, not the input order


@settings(max_examples=200, deadline=None)
@given(lists, lists)
def test_a_feed_is_never_empty_when_the_versions_differ_and_always_names_each_removal(
    old: list[dict[str, Any]], new: list[dict[str, Any]],
) -> None:
    feed = parse_feed(render_feed(version(2, new), version(1, old)))
    by_id = {r["id"]: r for r in old}, {r["id"]: r for r in new}
    assert feed.empty == (by_id[0] == by_id[1])
    assert set(feed.removed) == set(by_id[0]) - set(by_id[1])
    assert {r["id"] for r in feed.added} == set(by_id[1]) - set(by_id[0])
    assert apply_feed(old, version(1, old).id, feed) == new


def test_a_removed_item_is_in_the_feed_and_leaves_the_consumers_copy() -> None:
    """OpenSID's village feed lost deletions for months; here a removal is a first-class entry."""
    first = [item_record(item(n)) for n in (1, 2, 3)]
    second = [r for r in first if r["id"] != "DIP-0002"]
    v1, v2 = version(1, first), version(2, second)
    document = json.loads(render_feed(v2, v1))
    assert document["dihapus"] == [{"id": "DIP-0002", "judul": first[1]["judul"]}]
    assert document["ditambah"] == [] and document["diubah"] == []
    assert document["jumlah"] == 2
    held = apply_feed(first, v1.id, parse_feed(render_feed(v2, v1)))
    assert [r["id"] for r in held] == ["DIP-0001", "DIP-0003"]


def test_a_change_names_each_field_with_its_old_and_new_value() -> None:
    before = item(7)
    after = dataclasses.replace(before, link="https://ppid.example.go.id/baru.pdf", summary="Diperbarui.")
    v1, v2 = version(1, [item_record(before)]), version(2, [item_record(after)])
    document = json.loads(render_feed(v2, v1))
    assert document["diubah"] == [{
        "id": "DIP-0007", "judul": before.title,
        "kolom": {"ringkasan": {"lama": before.summary, "baru": "Diperbarui."},
                  "tautan": {"lama": before.link, "baru": "https://ppid.example.go.id/baru.pdf"}},
    }]


def test_the_feed_names_the_previous_version_and_points_at_its_snapshot_and_the_previous_feed() -> None:
    v1, v2 = version(1, [item_record(item(1))]), version(2, [item_record(item(2))])
    first = json.loads(render_feed(v1, None))
    assert first["versi_sebelumnya"] is None and first["perubahan_sebelumnya"] is None
    assert [r["id"] for r in first["ditambah"]] == ["DIP-0001"]
    second = json.loads(render_feed(v2, v1))
    assert second["versi"] == v2.id and second["diterbitkan"] == v2.published_at
    assert second["versi_sebelumnya"] == v1.id
    assert second["daftar_lengkap"] == "dip.json"  # a sibling: right in the live folder and the archive
    assert second["perubahan_sebelumnya"] == f"arsip/{v1.id}/{FEED_FILE}" == feed_path(v1.id)
    site = json.loads(render_feed(v2, v1, "https://ppid.example.go.id/dip/"))
    assert site["perubahan_sebelumnya"] == f"https://ppid.example.go.id/dip/arsip/{v1.id}/perubahan.json"


def test_the_feed_as_render_site_would_build_it_is_deterministic_and_in_id_order() -> None:
    """Numbers compared as numbers (DIP-9 before DIP-10); the bytes do not depend on input order."""
    items = [item(n) for n in (10, 9, 3, 11)]
    old = PastVersion("20261101-100000", "2026-11-01T10:00:00+07:00", records=())
    current = PastVersion("20261125-100000", "2026-11-25T10:00:00+07:00",
                          records=tuple(item_record(i) for i in sort_items(items)))
    previous = timeline([old], current)[0].previous
    data = render_feed(current, previous)
    assert data == render_feed(current, previous)
    document = json.loads(data)
    assert [r["id"] for r in document["ditambah"]] == ["DIP-0003", "DIP-0009", "DIP-0010", "DIP-0011"]
    assert document["urutan"] == [r["id"] for r in current.records]
    assert document["sidik"] == list_digest(list(reversed(current.records)))
    assert data == (json_text.dumps(document, sort_keys=True) + "\n").encode()


def test_a_feed_that_does_not_follow_the_version_held_is_refused() -> None:
    v1, v2, v3 = (version(n, [item_record(item(n))]) for n in (1, 2, 3))
    feed3 = parse_feed(render_feed(v3, v2))
    with pytest.raises(FeedError, match="bukan versi yang dipegang"):
        apply_feed(list(v1.records), v1.id, feed3)
    with pytest.raises(FeedError, match="terputus"):  # v2's feed is missing from the chain
        replay([], None, [parse_feed(render_feed(v1, None)), feed3])


def test_a_copy_that_drifted_is_detected_instead_of_drifting_further() -> None:
    v1 = version(1, [item_record(item(1)), item_record(item(2))])
    changed = dataclasses.replace(item(1), title="Judul baru")
    v2 = version(2, [item_record(changed), item_record(item(2))])
    feed = parse_feed(render_feed(v2, v1))
    wrong_old = [dict(v1.records[0], judul="Disunting di tempat"), dict(v1.records[1])]
    with pytest.raises(FeedError, match="nilai lama"):
        apply_feed(wrong_old, v1.id, feed)
    other_field = [dict(v1.records[0]), dict(v1.records[1], ringkasan="Berbeda")]
    with pytest.raises(FeedError, match="sidik"):
        apply_feed(other_field, v1.id, feed)
    with pytest.raises(FeedError, match="sudah ada"):
        apply_feed(list(v1.records), None, parse_feed(render_feed(v1, None)))
    with pytest.raises(FeedError, match="tidak ada"):
        apply_feed([v1.records[1]], v1.id, feed)


@pytest.mark.parametrize("data", [b"", b"[]", b'{"format": "lain"}', b"\xff",
                                  b'{"format": "dip-sheets/perubahan/1", "versi": 3}'])
def test_what_is_not_a_feed_is_refused_with_a_reason(data: bytes) -> None:
    with pytest.raises(FeedError, match=r"perubahan\.json"):
        parse_feed(data)
