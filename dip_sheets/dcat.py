"""The DCAT catalogue (``dcat.jsonld``): the list described so open-data portals can harvest it. Pure.

A portal running CKAN with ckanext-dcat (docs/CKAN.md) reads an RDF file of ``dcat:Dataset``
descriptions and keeps its own copy in step, deleting what disappeared. Here the office is the
publisher, every DIP item is a dataset (its category is the theme, its link the distribution when it
is online) and the list itself is one more dataset whose distributions are this version's
``dip.json``, ``dip.csv`` and ``dip.xlsx``. The shape follows DCAT-AP 3.0.1; the tests validate it
against the profile's official SHACL shapes.

Written with the ``json`` module only: JSON-LD is plain JSON with a context, and nothing RDF is
needed at runtime. Identifiers: with the site's public address (``[publish] base_url``) every IRI is
absolute and stable across versions, which a harvester needs (CKAN identifies a harvested dataset
by its IRI); without it the IRIs are relative and resolve against wherever the file is read from.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterator, Sequence
from typing import Any
from urllib.parse import quote

from . import schema as s
from .config import PublicBody
from .feed import ARCHIVE
from .history import PastVersion, Record, VersionChanges, timeline
from .json_text import pieces
from .records import Version, category_slug, safe_link
from .validate import MONTHS_ID, Invalid, parse_when

DCAT_FILE = "dcat.jsonld"
CONTEXT = {
    "dcat": "http://www.w3.org/ns/dcat#",
    "dct": "http://purl.org/dc/terms/",
    "foaf": "http://xmlns.com/foaf/0.1/",
    "skos": "http://www.w3.org/2004/02/skos/core#",
    "vcard": "http://www.w3.org/2006/vcard/ns#",
    "xsd": "http://www.w3.org/2001/XMLSchema#",
}
LANGUAGE = "http://publications.europa.eu/resource/authority/language/IND"
#: the list's own files: (name, title, IANA media type, EU file type)
LIST_FILES = (
    ("dip.json", "data terbuka JSON, kolomnya dijelaskan dip.schema.json", "application/json", "JSON"),
    ("dip.csv", "CSV UTF-8, dapat dibuka di Excel", "text/csv", "CSV"),
    ("dip.xlsx", "buku kerja Excel dengan lembar keterangan kolom",
     "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "XLSX"),
)
SCHEMA_FILE = "dip.schema.json"
#: what each legal category means, for the concept scheme (UU 14/2008 Pasal 9, 10, 11)
CATEGORY_DEFINITIONS = {
    "Berkala": "Informasi yang wajib disediakan dan diumumkan secara berkala (UU 14/2008 Pasal 9).",
    "Serta Merta": "Informasi yang wajib diumumkan secara serta merta (UU 14/2008 Pasal 10).",
    "Setiap Saat": "Informasi yang wajib tersedia setiap saat (UU 14/2008 Pasal 11).",
}
_IRI_SAFE = ":/?#[]@!$&'()*+,;=%~"
#: what ``quote`` leaves as it is (letters, digits, ``_.-~`` and the characters it is told are safe):
#: a text made of these alone is returned without being encoded and decoded again
_PLAIN_IRI = re.compile(r"[A-Za-z0-9_.~" + re.escape(_IRI_SAFE) + "-]*")
_PLAIN_FRAGMENT = re.compile(r"[A-Za-z0-9_.~/-]*")


def render_dcat(records: Sequence[Record], office: PublicBody, version: Version,
                history: Sequence[PastVersion] = ()) -> bytes:
    """``dcat.jsonld`` for ``records`` (the ``dip.json`` item records of ``version``, in the list's
    order), published by ``office``.

    ``history`` (the archived versions, as for ``render_site``) dates each item: ``dct:modified`` is
    when its record last changed and the catalogue's ``dct:issued`` its first publication; without
    it everything dates from this version. Deterministic: the same input gives the same bytes.
    """
    return "".join(dcat_pieces(records, office, version, history)).encode("utf-8")


def dcat_pieces(records: Sequence[Record], office: PublicBody, version: Version,
                history: Sequence[PastVersion] = (), changes: Sequence[VersionChanges] | None = None
                ) -> Iterator[str]:
    """:func:`render_dcat` in pieces, a node each: the nodes are made as they are written, never
    all at once. ``changes``: ``timeline(history, current)`` when the caller has it already."""
    yield from pieces({"@context": CONTEXT,
                       "@graph": catalogue_graph(records, office, version, history, changes)}, sort_keys=True)
    yield "\n"


def catalogue_graph(records: Sequence[Record], office: PublicBody, version: Version,
                    history: Sequence[PastVersion] = (), changes: Sequence[VersionChanges] | None = None
                    ) -> Iterator[dict[str, Any]]:
    """The JSON-LD nodes: catalogue, publisher, contact, themes, the list, and one dataset per item
    (each made when the one before has been taken)."""
    base = version.site_url + DCAT_FILE + "#"
    current = PastVersion(version.id, version.published_at, records=tuple(records))
    first, modified = _dates(changes if changes is not None else timeline(history, current))
    publisher, contact = {"@id": base + "penerbit"}, {"@id": base + "kontak"}
    scheme = {"@id": base + "kategori"}
    categories = [*s.CATEGORIES, *sorted({str(r.get("kategori") or "") for r in records}
                                        - set(s.CATEGORIES) - {""})]
    concepts = {name: base + "kategori-" + category_slug(name).removeprefix("kategori-")
                for name in categories}
    homepage = safe_link(office.website)
    title = f"Daftar Informasi Publik {office.name}"
    list_id, record_id = base + "dip", base + "catatan-dip"

    agent: dict[str, Any] = {"@id": publisher["@id"], "@type": "foaf:Agent", "foaf:name": office.name}
    if homepage:
        agent["foaf:homepage"] = _document(homepage)
    if office.email:
        agent["foaf:mbox"] = {"@id": "mailto:" + _iri(office.email)}
    kind: dict[str, Any] = {"@id": contact["@id"], "@type": ["vcard:Kind", "vcard:Organization"],
                            "vcard:fn": office.ppid_title or office.name}
    if office.email:
        kind["vcard:hasEmail"] = {"@id": "mailto:" + _iri(office.email)}

    listing = _list_dataset(list_id, office, version, first, publisher, contact)
    catalog: dict[str, Any] = {
        "@id": base + "katalog",
        "@type": "dcat:Catalog",
        "dct:title": _text(title),
        "dct:description": _text(
            f"Daftar Informasi Publik (UU 14/2008 Pasal 11 ayat (1) huruf a) {office.name}, tahun"
            f" {version.year}: setiap informasi publik sebagai dataset, dan daftarnya sendiri."),
        "dct:publisher": publisher,
        "dct:issued": _moment(first),
        "dct:modified": _moment(version.published_at),
        "dct:language": {"@id": LANGUAGE},
        "dcat:themeTaxonomy": scheme,
        "dcat:dataset": [{"@id": list_id}, *({"@id": base + str(r["id"])} for r in records)],
        "dcat:record": {"@id": record_id},
    }
    if homepage:
        catalog["foaf:homepage"] = _document(homepage)
    record = {
        "@id": record_id,
        "@type": "dcat:CatalogRecord",
        "foaf:primaryTopic": {"@id": list_id},
        "dct:issued": _moment(first),
        "dct:modified": _moment(version.published_at),
    }
    themes: list[dict[str, Any]] = [{
        "@id": scheme["@id"], "@type": "skos:ConceptScheme",
        "dct:title": _text("Kategori informasi publik menurut UU 14/2008"),
    }]
    for name, iri in concepts.items():
        concept = {"@id": iri, "@type": "skos:Concept", "skos:prefLabel": _text(name),
                   "skos:inScheme": scheme}
        if name in CATEGORY_DEFINITIONS:
            concept["skos:definition"] = _text(CATEGORY_DEFINITIONS[name])
        themes.append(concept)
    language = {"@id": LANGUAGE, "@type": "dct:LinguisticSystem"}
    yield catalog
    del catalog  # it names every dataset: let it go before the datasets are made
    yield from (record, agent, kind, language, *themes)
    yield from _flatten(listing)
    for item in records:
        yield from _flatten(_item_dataset(item, version.site_url, base, (first, modified), publisher, contact,
                                          concepts))


def _list_dataset(iri: str, office: PublicBody, version: Version, first: str,
                  publisher: dict[str, str], contact: dict[str, str]) -> dict[str, Any]:
    """The list itself, its distributions being this version's files (archived under ``arsip/``
    when the site's address is known, so each version's catalogue keeps pointing at its own)."""
    folder = f"{version.site_url}{ARCHIVE}/{version.id}/" if version.site_url else ""
    distributions = []
    for name, label, media, file_type in LIST_FILES:
        url = {"@id": folder + name}
        distribution: dict[str, Any] = {
            "@id": f"{iri}-{name.rpartition('.')[2]}", "@type": "dcat:Distribution",
            "dct:title": _text(f"{name}: {label}"), "dcat:accessURL": url, "dcat:downloadURL": url,
            "dcat:mediaType": {"@id": "https://www.iana.org/assignments/media-types/" + media,
                               "@type": "dct:MediaType"},
            "dct:format": {"@id": "http://publications.europa.eu/resource/authority/file-type/" + file_type,
                           "@type": "dct:MediaTypeOrExtent"},
            "dct:modified": _moment(version.published_at),
        }
        if name == "dip.json":
            distribution["dct:conformsTo"] = {"@id": folder + SCHEMA_FILE, "@type": "dct:Standard"}
        distributions.append(distribution)
    decision = " tanggal ".join(p for p in (version.decision_number, version.decision_date) if p)
    return {
        "@id": iri,
        "@type": ["dcat:Dataset", "dcat:Resource"],  # the record's primary topic must be a Resource
        "dct:title": _text(f"Daftar Informasi Publik {office.short_name} Tahun {version.year}"),
        "dct:description": _text(
            f"Seluruh informasi publik {office.name} yang ditetapkan PPID"
            + (f" (Keputusan PPID {decision})" if decision else "")
            + "; informasi yang dikecualikan tidak termasuk. Versi " + version.id + "."),
        "dct:publisher": publisher,
        "dcat:contactPoint": contact,
        "dct:issued": _moment(first),
        "dct:modified": _moment(version.published_at),
        "dcat:version": version.id,
        "dcat:landingPage": _document(version.site_url + "index.html"),
        "dcat:distribution": distributions,
    }


def _item_dataset(record: Record, site_url: str, base: str, modified: tuple[str, dict[str, str]],
                  publisher: dict[str, str], contact: dict[str, str],
                  concepts: dict[str, str]) -> dict[str, Any]:
    item_id = str(record["id"])
    title = str(record.get("judul") or item_id)
    dataset: dict[str, Any] = {
        "@id": base + item_id,
        "@type": "dcat:Dataset",
        "dct:identifier": item_id,
        "dct:title": _text(title),
        "dct:description": _text(str(record.get("ringkasan") or title)),
        "dct:publisher": publisher,
        "dcat:contactPoint": contact,
        "dct:modified": _moment(modified[1].get(item_id, modified[0])),
        "dcat:landingPage": _document(f"{site_url}index.html#{_fragment(item_id)}"),
    }
    category = str(record.get("kategori") or "")
    if category:
        dataset["dcat:theme"] = {"@id": concepts[category]}
    # the category is a keyword too: theme IRIs are each office's own, but a portal's tag facet
    # ("Berkala") then groups the items of every office it harvests
    keywords = [k for k in (str(record.get("sub_kategori") or ""), category) if k]
    if keywords:
        dataset["dcat:keyword"] = [_text(k) for k in dict.fromkeys(keywords)]
    issued = _issued(record)
    if issued:
        dataset["dct:issued"] = issued
    link = safe_link(str(record.get("tautan") or ""))
    if link:
        dataset["dcat:distribution"] = [{
            "@id": f"{base}{item_id}-tautan", "@type": "dcat:Distribution",
            "dct:title": _text(title), "dcat:accessURL": {"@id": _iri(link)},
        }]
    return dataset


def _dates(changes: Sequence[VersionChanges]) -> tuple[str, dict[str, str]]:
    """When the list was first published, and when each current item's record last changed after
    that (an item not named here has not changed since the first version: the first version's own
    records are never read, so the archive's oldest list stays where it is); ``changes``: the
    timeline, newest first."""
    versions = changes[::-1]  # oldest first
    changed: dict[str, str] = {}
    for entry in versions[1:]:
        for change in (*entry.added, *entry.changed):
            changed[change.id] = entry.version.published_at
    return versions[0].version.published_at, changed


def _issued(record: Record) -> dict[str, str] | None:
    """The item's time of creation as typed as it was written: a date, a month, or a year."""
    return _issued_of(str(record.get("waktu_pembuatan") or ""), record.get("tahun"))


@functools.lru_cache(maxsize=4096)
def _issued_of(text: str, year: Any) -> dict[str, str] | None:
    """:func:`_issued` of a record's ``waktu_pembuatan`` and ``tahun``: a register repeats the same
    dates, months and years, each parsed once (the node is only ever written, never changed)."""
    try:
        when = parse_when(text)
    except Invalid:
        when = None
    if when is not None and when.date is not None:
        return {"@value": when.date.isoformat(), "@type": "xsd:date"}
    words = text.split()
    if len(words) == 2 and words[0] in MONTHS_ID and re.fullmatch(r"\d{4}", words[1]):
        return {"@value": f"{words[1]}-{MONTHS_ID.index(words[0]) + 1:02d}", "@type": "xsd:gYearMonth"}
    if isinstance(year, int) and 0 < year < 10000:
        return {"@value": f"{year:04d}", "@type": "xsd:gYear"}
    return None


def _flatten(dataset: dict[str, Any]) -> list[dict[str, Any]]:
    """A dataset followed by its distributions as nodes of their own (referenced by IRI)."""
    distributions = dataset.pop("dcat:distribution", [])
    if distributions:
        dataset["dcat:distribution"] = [{"@id": d["@id"]} for d in distributions]
    return [dataset, *distributions]


def _text(value: str) -> dict[str, str]:
    return {"@value": value, "@language": "id"}


def _moment(iso: str) -> dict[str, str]:
    return {"@value": iso, "@type": "xsd:dateTime"}


def _document(url: str) -> dict[str, str]:
    return {"@id": _iri(url), "@type": "foaf:Document"}


def _iri(url: str) -> str:
    """A link as a valid IRI: characters an IRI may not hold (quotes, angle brackets, spaces,
    braces, non-ASCII) percent-encoded; reserved characters and existing escapes kept as written."""
    return url if _PLAIN_IRI.fullmatch(url) else quote(url, safe=_IRI_SAFE)


def _fragment(item_id: str) -> str:
    """An item's ID as the fragment of its row's address (``quote`` of it)."""
    return item_id if _PLAIN_FRAGMENT.fullmatch(item_id) else quote(item_id)
