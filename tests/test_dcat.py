"""The DCAT catalogue (``dcat.jsonld``): valid against the official DCAT-AP 3.0.1 shapes, and saying
what a harvester needs (publisher, themes, dates, identifiers, distributions) about every item.

The shapes are read from the shared folder: ``$DIP_SHARED`` when set, else ``../shared`` next to the
repository (the checkout layout; CI has it).
"""

from __future__ import annotations

import dataclasses
import json
import os
from pathlib import Path
from typing import Any

import pytest
from pyshacl import validate
from rdflib import RDF, Graph, Literal, Namespace, URIRef

from dip_sheets import json_text
from dip_sheets.dcat import render_dcat
from dip_sheets.history import PastVersion
from dip_sheets.records import Version, item_record, sort_items
from tests.test_render import OFFICE, item, version

SHAPES = Path("standards") / "dcat-ap-3.0.1" / "dcat-ap-SHACL.ttl"
# open namespaces: rdflib's closed ones warn when pytest looks through this module's names
SH = Namespace("http://www.w3.org/ns/shacl#")
DCAT = Namespace("http://www.w3.org/ns/dcat#")
DCTERMS = Namespace("http://purl.org/dc/terms/")
FOAF = Namespace("http://xmlns.com/foaf/0.1/")
SKOS = Namespace("http://www.w3.org/2004/02/skos/core#")
XSD = Namespace("http://www.w3.org/2001/XMLSchema#")
SITE = "https://ppid.kpu-serangkab.go.id/dip/"
DOC = SITE + "dcat.jsonld"


def shape_candidates() -> list[Path]:
    shared = os.environ.get("DIP_SHARED")
    checkout = Path(__file__).resolve().parents[1].parent / "shared"
    return [*([Path(shared) / SHAPES] if shared else []), checkout / SHAPES]


@pytest.fixture(scope="module")
def shapes() -> Graph:
    for path in shape_candidates():
        if path.is_file():
            return Graph().parse(path, format="turtle")
    tried = ", ".join(str(p) for p in shape_candidates())
    pytest.skip(f"DCAT-AP 3.0.1 SHACL shapes not found (tried {tried}); set DIP_SHARED to the shared folder")


def violations(data: bytes, shapes: Graph) -> tuple[int, str]:
    """The number of sh:Violation results, and pySHACL's report to show when there are any."""
    graph = Graph().parse(data=data, format="json-ld", publicID=DOC)
    _, results, text = validate(graph, shacl_graph=shapes)
    assert isinstance(results, Graph)
    return len(list(results.subjects(SH.resultSeverity, SH.Violation))), str(text)


def items_of_every_kind() -> list[dict[str, Any]]:
    """Every category, with and without a link and a sub-category, dates written every way."""
    variants = [item(1), item(2), item(3, link=""), item(4, subcategory=""),
                item(5, created="Februari 2022", year=2022), item(6, created="2020–2024", year=2024),
                item(7, created="2019", year=2019), item(8, link='https://x.go.id/a"b<c> d.pdf')]
    return [item_record(i) for i in sort_items(variants)]


def at(site_url: str = SITE) -> Version:
    return dataclasses.replace(version(), site_url=site_url)


def graph_of(data: bytes) -> Graph:
    return Graph().parse(data=data, format="json-ld", publicID=DOC)


@pytest.mark.parametrize("site_url", [SITE, ""], ids=["with-base-url", "relative"])
def test_the_catalogue_conforms_to_dcat_ap_3_0_1_with_no_violation(shapes: Graph, site_url: str) -> None:
    history = [PastVersion("20261001-100000", "2026-10-01T10:00:00+07:00",
                           records=tuple(items_of_every_kind()[:3]))]
    data = render_dcat(items_of_every_kind(), OFFICE, at(site_url), history)
    count, report = violations(data, shapes)
    assert count == 0, report


def test_the_shapes_are_looked_for_in_dip_shared_first_then_next_to_the_checkout(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path,
) -> None:
    checkout = Path(__file__).resolve().parents[1].parent / "shared" / SHAPES
    monkeypatch.delenv("DIP_SHARED", raising=False)
    assert shape_candidates() == [checkout]
    monkeypatch.setenv("DIP_SHARED", str(tmp_path))
    assert shape_candidates() == [tmp_path / SHAPES, checkout]


def test_a_full_size_list_conforms_too(shapes: Graph) -> None:
    records = [item_record(i) for i in sort_items([item(n) for n in range(1, 301)])]
    count, report = violations(render_dcat(records, OFFICE, at()), shapes)
    assert count == 0, report


def test_an_office_without_website_or_email_and_an_empty_list_still_conform(shapes: Graph) -> None:
    bare = dataclasses.replace(OFFICE, website="", email="", ppid_title="")
    count, report = violations(render_dcat([], bare, at()), shapes)
    assert count == 0, report


def test_the_shapes_do_catch_a_catalogue_that_breaks_the_profile(shapes: Graph) -> None:
    """The check is real: without the publisher's name and the items' descriptions it fails."""
    document = json.loads(render_dcat(items_of_every_kind(), OFFICE, at()))
    for node in document["@graph"]:
        node.pop("foaf:name", None)
        if node.get("dct:identifier"):
            node.pop("dct:description")
    count, _ = violations(json.dumps(document).encode(), shapes)
    assert count == 1 + len(items_of_every_kind())


def test_every_item_is_a_dataset_with_publisher_theme_identifier_and_keyword() -> None:
    records = items_of_every_kind()
    graph = graph_of(render_dcat(records, OFFICE, at()))
    publisher = URIRef(DOC + "#penerbit")
    assert graph.value(publisher, FOAF.name) == Literal(OFFICE.name)
    assert (publisher, RDF.type, FOAF.Agent) in graph
    for record in records:
        dataset = URIRef(DOC + "#" + record["id"])
        assert (dataset, RDF.type, DCAT.Dataset) in graph
        assert graph.value(dataset, DCTERMS.identifier) == Literal(record["id"])
        assert graph.value(dataset, DCTERMS.title) == Literal(record["judul"], lang="id")
        assert graph.value(dataset, DCTERMS.description) == Literal(record["ringkasan"], lang="id")
        assert graph.value(dataset, DCTERMS.publisher) == publisher
        theme = graph.value(dataset, DCAT.theme)
        assert graph.value(theme, SKOS.prefLabel) == Literal(record["kategori"], lang="id")
        assert graph.value(theme, SKOS.inScheme) == URIRef(DOC + "#kategori")
        keywords = {str(k) for k in graph.objects(dataset, DCAT.keyword)}
        assert keywords == {record["kategori"], *([record["sub_kategori"]] if record["sub_kategori"] else [])}
        assert graph.value(dataset, DCAT.landingPage) == URIRef(f"{SITE}index.html#{record['id']}")
    catalog = URIRef(DOC + "#katalog")
    assert set(graph.objects(catalog, DCAT.dataset)) == {
        URIRef(DOC + "#dip"), *(URIRef(DOC + "#" + r["id"]) for r in records)}
    scheme = graph.value(catalog, DCAT.themeTaxonomy)
    assert {str(graph.value(c, SKOS.prefLabel)) for c in graph.subjects(SKOS.inScheme, scheme)} == {
        "Berkala", "Serta Merta", "Setiap Saat"}


def test_the_link_is_a_distribution_only_when_the_item_is_online() -> None:
    records = items_of_every_kind()
    graph = graph_of(render_dcat(records, OFFICE, at()))
    for record in records:
        distributions = list(graph.objects(URIRef(DOC + "#" + record["id"]), DCAT.distribution))
        if not record["tautan"]:
            assert distributions == []
            continue
        [distribution] = distributions
        url = str(graph.value(distribution, DCAT.accessURL))
        assert url == record["tautan"].replace('"', "%22").replace("<", "%3C").replace(">", "%3E") \
            .replace(" ", "%20")


def test_issued_is_typed_as_the_time_of_creation_was_written_and_modified_comes_from_the_history() -> None:
    records = items_of_every_kind()
    older = PastVersion("20261001-100000", "2026-10-01T10:00:00+07:00", records=tuple(records))
    changed = [dict(r, judul="Judul baru") if r["id"] == "DIP-0002" else r for r in records]
    graph = graph_of(render_dcat(changed, OFFICE, at(), [older]))

    def issued(item_id: str) -> Literal | None:
        value = graph.value(URIRef(DOC + "#" + item_id), DCTERMS.issued)
        assert value is None or isinstance(value, Literal)
        return value

    assert issued("DIP-0001") == Literal("2022-02-07", datatype=XSD.date)
    assert issued("DIP-0005") == Literal("2022-02", datatype=XSD.gYearMonth)
    assert issued("DIP-0006") == Literal("2024", datatype=XSD.gYear)  # a span: its last year
    assert issued("DIP-0007") == Literal("2019", datatype=XSD.gYear)
    modified = {r["id"]: str(graph.value(URIRef(DOC + "#" + r["id"]), DCTERMS.modified)) for r in records}
    assert modified.pop("DIP-0002") == "2026-11-25T10:00:00+07:00"
    assert set(modified.values()) == {"2026-10-01T10:00:00+07:00"}  # unchanged since the older version
    catalog = URIRef(DOC + "#katalog")
    assert str(graph.value(catalog, DCTERMS.issued)) == "2026-10-01T10:00:00+07:00"
    assert str(graph.value(catalog, DCTERMS.modified)) == "2026-11-25T10:00:00+07:00"


def test_the_list_itself_is_a_dataset_with_this_versions_files_and_the_catalogues_record() -> None:
    v = at()
    graph = graph_of(render_dcat(items_of_every_kind(), OFFICE, v))
    listing = URIRef(DOC + "#dip")
    record = graph.value(URIRef(DOC + "#katalog"), DCAT.record)
    assert graph.value(record, FOAF.primaryTopic) == listing
    assert str(graph.value(record, DCTERMS.modified)) == v.published_at
    files = {str(graph.value(d, DCAT.downloadURL)): str(graph.value(d, DCAT.mediaType))
             for d in graph.objects(listing, DCAT.distribution)}
    folder = f"{SITE}arsip/{v.id}/"
    iana = "https://www.iana.org/assignments/media-types/"
    assert files == {
        folder + "dip.json": iana + "application/json",
        folder + "dip.csv": iana + "text/csv",
        folder + "dip.xlsx": iana + "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    }
    relative = graph_of(render_dcat([], OFFICE, at("")))  # no base URL: the files are the siblings
    assert {str(o) for d in relative.objects(listing, DCAT.distribution)
            for o in relative.objects(d, DCAT.downloadURL)} == {
        SITE + "dip.json", SITE + "dip.csv", SITE + "dip.xlsx"}


def test_the_catalogue_is_deterministic_json_ld_with_sorted_keys() -> None:
    records = items_of_every_kind()
    data = render_dcat(records, OFFICE, at())
    assert data == render_dcat([dict(r) for r in records], OFFICE, at())
    document = json.loads(data)
    assert data == (json_text.dumps(document, sort_keys=True) + "\n").encode()
    assert set(document) == {"@context", "@graph"}


def test_parsed_as_ckanext_dcat_parses_it_every_dataset_has_an_absolute_iri_under_the_office_site() -> None:
    """ckanext-dcat's harvester parses the file without a base IRI and identifies each harvested
    dataset by its IRI across the whole portal, so with ``base_url`` set the IRIs must be absolute,
    unique, and under the office's own address (docs/CKAN.md)."""
    records = items_of_every_kind()
    graph = Graph().parse(data=render_dcat(records, OFFICE, at()).decode(), format="json-ld")
    datasets = {str(d) for d in graph.subjects(RDF.type, DCAT.Dataset)}
    assert datasets == {DOC + "#dip", *(DOC + "#" + r["id"] for r in records)}
    assert all(str(s).startswith(("https://", "http://", "mailto:")) for s in graph.all_nodes()
               if isinstance(s, URIRef))
