"""The JSON catalogue: contract field names, entry order, schema validation, stable formatting."""

from __future__ import annotations

import copy
import dataclasses
import json
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from jsonschema import Draft202012Validator

from avenrich import keys
from avenrich.catalogue import (
    SCHEMA_VERSION,
    read_schema,
    to_catalogue,
    to_json,
    to_json_chunks,
    to_section_tree,
    validate_catalogue,
)
from avenrich.model import Author, Citations, Finding, Ids, Link, Record, Resolution

GOLDEN = Path(__file__).resolve().parent / "fixtures" / "golden" / "sample.json"
OLD_1_0 = Path(__file__).resolve().parent / "fixtures" / "catalogues" / "sample-1.0.0.json"  # as 1.0.0 wrote it
DESIGN_ENTRY_FIELDS = (
    "url",
    "title",
    "year",
    "sections",
    "ids",
    "authors",
    "venue",
    "citations",
    "resolution",
)


# Entry fields added in schema 1.x: optional, so that `avenrich validate` keeps accepting 1.0 catalogues.


def make_doc(*records: Record, generated_at: str = "2025-01-01T00:00:00Z") -> dict[str, Any]:
    """The catalogue of the records, keys from an empty registry."""
    by_paper, _ = keys.assign_keys(records, {})
    return to_catalogue(records, by_paper, source={"input": "x.md"}, generated_at=generated_at)


def golden() -> dict[str, Any]:
    """The golden sample catalogue."""
    doc: dict[str, Any] = json.loads(GOLDEN.read_text(encoding="utf-8"))
    return doc


RECORD = Record(
    link=Link(
        "https://arxiv.org/abs/1812.04204",
        "2.5D Visual Sound",
        2019,
        (("Audio-Visual", "Spatial"), ("Audio-Visual", "Datasets")),
        venue_tag="CVPR-2019",
        authors=("Ruohan Gao",),
        line=7,
    ),
    ids=Ids(doi="10.1109/cvpr.2019.00041", arxiv="1812.04204"),
    resolution=Resolution("resolved", "link", 0.912345678, "ok", (("title", 1.0), ("year", 0.5)), ("doi:10.1/x",)),
    host="arxiv",
    title="2.5D Visual Sound",
    authors=(Author("Ruohan", "Gao", orcid="https://orcid.org/0000-0002-8283-6813"), Author(literal="Org")),
    year=2019,
    month=6,
    venue="CVPR",
    type="proceedings-article",
    citations=Citations(187, "2024-12-31", 301, "2024-12-30", 41),
    provenance=(("title", "crossref", "2024-12-30"), ("year", "list", None)),
    duplicates=("https://other",),
)


def test_design_fields_and_shapes() -> None:
    """The entry carries the DESIGN.md names with their shapes."""
    entry = make_doc(RECORD)["entries"][0]
    assert tuple(entry)[: len(DESIGN_ENTRY_FIELDS)] == DESIGN_ENTRY_FIELDS
    assert entry["sections"] == ["Audio-Visual", "Spatial", "Datasets"]
    assert entry["section_paths"] == [["Audio-Visual", "Spatial"], ["Audio-Visual", "Datasets"]]
    assert entry["ids"]["doi"] == "10.1109/cvpr.2019.00041" and entry["ids"]["s2"] is None
    assert entry["citations"] == {"crossref": 187, "semantic_scholar": 301}
    assert entry["resolution"] == {
        "status": "resolved",
        "method": "link",
        "confidence": 0.9123,
        "reason": "ok",
        "evidence": {"title": 1.0, "year": 0.5},
        "candidates": ["doi:10.1/x"],
        "checked": None,
        "stale": False,
    }


def test_front_end_fields() -> None:
    """Key, ORCIDs (bare), counts' dates, influential, duplicates and provenance are all there."""
    entry = make_doc(RECORD)["entries"][0]
    assert entry["key"] == "gao2019visual"
    assert entry["authors"][0] == {
        "given": "Ruohan", "family": "Gao", "literal": None, "orcid": "0000-0002-8283-6813", "s2_id": None
    }  # fmt: skip
    assert entry["authors"][1]["literal"] == "Org"
    assert entry["citations_detail"] == {
        "crossref_date": "2024-12-31", "semantic_scholar_date": "2024-12-30", "influential": 41
    }  # fmt: skip
    assert entry["provenance"] == {
        "title": {"source": "crossref", "fetched": "2024-12-30"},
        "year": {"source": "list", "fetched": None},
    }
    assert (entry["kind"], entry["host"], entry["venue_tag"], entry["line"]) == (
        "paper",
        "arxiv",
        "CVPR-2019",
        7,
    )
    assert entry["listed_authors"] == ["Ruohan Gao"] and entry["duplicates"] == ["https://other"]


def test_links_are_resolvable_urls() -> None:
    """doi -> doi.org (characters a URL cannot hold %-encoded), arxiv -> abs page, s2 -> paper page, listed url."""
    entry = make_doc(RECORD)["entries"][0]
    assert entry["links"] == {
        "doi": "https://doi.org/10.1109/cvpr.2019.00041",
        "arxiv": "https://arxiv.org/abs/1812.04204",
        "s2": None,
        "url": "https://arxiv.org/abs/1812.04204",
    }
    odd = replace(
        RECORD, link=Link("bibtex:gao2019", "T"), ids=Ids(doi="10.1002/(sici)1<1::aid>3.0.co;2-#", s2="a" * 40)
    )
    links = make_doc(odd)["entries"][0]["links"]
    assert links["doi"] == "https://doi.org/10.1002/(sici)1%3C1::aid%3E3.0.co;2-%23"
    assert links["s2"] == "https://www.semanticscholar.org/paper/" + "a" * 40
    assert links["url"] is None  # a .bib entry without a web address


@pytest.mark.parametrize(
    ("venue", "year", "status", "short"),
    [
        ("2019 IEEE/CVF Conference on Computer Vision and Pattern Recognition (CVPR)", 2019, "resolved", "CVPR 2019"),
        ("Neural Information Processing Systems", 2020, "resolved", "NeurIPS 2020"),
        ("Interspeech 2018", 2018, "resolved", "Interspeech 2018"),
        (
            "2019 IEEE/CVF Conference on Computer Vision and Pattern Recognition Workshops (CVPRW)",
            2019,
            "resolved",
            "CVPR Workshops 2019",
        ),
        ("IEEE Transactions on Pattern Analysis and Machine Intelligence", None, "resolved", "TPAMI"),
        ("ACM Transactions on Graphics", 2018, "resolved", "ACM TOG 2018"),
        ("arXiv.org", 2020, "resolved", None),
        ("Sensors", 2021, "resolved", None),
        ("ICASSP 2019 and Interspeech 2019", 2019, "resolved", None),
        ("Interspeech 2018", 2018, "unresolved", None),
        (None, 2018, "resolved", None),
    ],
)
def test_venue_short(venue: str | None, year: int | None, status: str, short: str | None) -> None:
    """A known venue's short name and the year; None for unknown, ambiguous, preprint or unverified venues."""
    rec = replace(RECORD, venue=venue, year=year, resolution=Resolution(status, "link", 1.0))  # type: ignore[arg-type]
    assert make_doc(rec)["entries"][0]["venue_short"] == short


def test_reason_is_null_not_empty() -> None:
    """A resolution with nothing to say has reason null; an unresolved one keeps its reason."""
    quiet = replace(RECORD, resolution=Resolution("resolved", "link", 1.0, ""))
    unresolved = replace(RECORD, link=Link("https://c", "C"), resolution=Resolution("unresolved", "none", 0.0, "why"))
    entries = make_doc(quiet, unresolved)["entries"]
    assert [e["resolution"]["reason"] for e in entries] == [None, "why"]


def test_section_tree() -> None:
    """Headings as a tree in order of first appearance; each counts the entries under it or below, once."""

    def rec(url: str, *paths: tuple[str, ...]) -> Record:
        return Record(Link(url, "T", sections=paths), Ids(), Resolution("unresolved", "none", 0.0, "x"), title="T")

    records = [rec("https://1", ("A", "B")), rec("https://2", ("A",), ("C",)), rec("https://3", ("A", "B"), ("A", "D"))]
    assert to_section_tree(records) == [
        {"heading": "A", "path": ["A"], "order": 0, "entries": 3, "children": [
            {"heading": "B", "path": ["A", "B"], "order": 1, "entries": 2, "children": []},
            {"heading": "D", "path": ["A", "D"], "order": 3, "entries": 1, "children": []},
        ]},
        {"heading": "C", "path": ["C"], "order": 2, "entries": 1, "children": []},
    ]  # fmt: skip
    assert to_section_tree([rec("https://0")]) == []
    by_paper, _ = keys.assign_keys(records, {})
    streamed = json.loads("".join(to_json_chunks(records, by_paper, source={}, generated_at="2025-01-01T00:00")))
    assert streamed["sections"] == to_section_tree(records)


def test_header_and_generated_at_only_timestamp() -> None:
    """Two documents differing only in generated_at have byte-identical entries."""
    a, b = make_doc(RECORD), make_doc(RECORD, generated_at="2030-06-01T12:00:00Z")
    assert a["schema_version"] == SCHEMA_VERSION
    assert list(a) == ["schema_version", "generated_at", "source", "sections", "entries"]
    assert json.dumps(a["entries"]) == json.dumps(b["entries"])


def test_summary_goes_before_entries() -> None:
    """An optional summary sits in the header."""
    by_paper, _ = keys.assign_keys([RECORD], {})
    doc = to_catalogue([RECORD], by_paper, source={}, generated_at="2025-01-01T00:00:00Z", summary={"n": 1})
    assert list(doc) == ["schema_version", "generated_at", "source", "summary", "sections", "entries"]
    assert validate_catalogue(doc) == []


def test_every_record_once_in_input_order() -> None:
    """Entries follow the records one to one, in order, duplicates of one paper included."""
    other = Record(Link("https://b", "B"), Ids(doi="10.1109/cvpr.2019.00041"), Resolution("resolved", "link", 1.0))
    unresolved = Record(Link("https://c", "C"), Ids(), Resolution("unresolved", "none", 0.0, "why"), title="C")
    doc = make_doc(unresolved, RECORD, other)
    assert [e["url"] for e in doc["entries"]] == ["https://c", RECORD.link.url, "https://b"]
    assert doc["entries"][1]["key"] == doc["entries"][2]["key"]
    assert validate_catalogue(doc) == []


def test_to_json_format() -> None:
    """Insertion order, two-space indent, UTF-8 characters as such, one final newline."""
    text = to_json({"b": "é", "a": [1]})
    assert text == '{\n  "b": "é",\n  "a": [\n    1\n  ]\n}\n'


class TestSchema:
    def test_schema_is_valid_draft_2020_12(self) -> None:
        """The shipped schema is itself a valid JSON Schema 2020-12."""
        schema = read_schema()
        Draft202012Validator.check_schema(schema)
        assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"

    def test_schema_requires_every_field_the_writer_emits(self) -> None:
        """Every field of an entry is declared and required (no undocumented output)."""
        schema = read_schema()
        entry_schema = schema["$defs"]["entry"]
        since_1_1 = schema["allOf"][0]["else"]["properties"]["entries"]["items"]["required"]
        entry = make_doc(RECORD)["entries"][0]
        assert {*entry_schema["required"], *since_1_1} == set(entry) == set(entry_schema["properties"])
        assert set(schema["properties"]) - {"summary"} == set(make_doc(RECORD))

    def test_old_1_0_catalogues_still_validate(self) -> None:
        """A 1.0 catalogue (no links, venue_short or section tree; reason "") is still valid; a 1.1 one
        without the 1.1 fields is not."""
        old = json.loads(OLD_1_0.read_text(encoding="utf-8"))
        assert old["schema_version"] == "1.0.0" and "links" not in old["entries"][0]
        assert validate_catalogue(old) == []
        claimed = {**old, "schema_version": "1.1.0"}
        problems = validate_catalogue(claimed)
        assert "(document): 'sections' is a required property" in problems
        assert "entries/0: 'links' is a required property" in problems

    def test_issues_validate(self) -> None:
        """List-health findings are entries' `issues`, each {kind, message, listed, found, fix}; kinds are checked."""
        finding = Finding("year", RECORD.link.url, 3, "listed 2019", listed="2019", found="2020", fix="2020")
        doc = make_doc(dataclasses.replace(RECORD, issues=(finding,)))
        assert doc["entries"][0]["issues"] == [
            {"kind": "year", "message": "listed 2019", "listed": "2019", "found": "2020", "fix": "2020"}
        ]
        assert validate_catalogue(doc) == []
        doc["entries"][0]["issues"][0]["kind"] = "spelling"
        assert validate_catalogue(doc)

    def test_golden_catalogue_validates(self) -> None:
        """The golden sample catalogue is valid."""
        assert validate_catalogue(golden()) == []

    @pytest.mark.parametrize(
        ("path", "value", "problem"),
        [
            (
                ("entries", 0, "resolution", "status"),
                "maybe",
                "entries/0/resolution/status: 'maybe' is not one of",
            ),
            (("entries", 0, "year"), "2019", "entries/0/year: '2019' is not of type"),
            (
                ("entries", 0, "resolution", "confidence"),
                1.5,
                "entries/0/resolution/confidence: 1.5 is greater",
            ),
            (
                ("entries", 0, "ids", "doi"),
                "https://doi.org/10.1/x",
                "entries/0/ids/doi: 'https://doi.org/10.1/x'",
            ),
            (
                ("entries", 0, "ids", "arxiv"),
                "1812.04204v2",
                "entries/0/ids/arxiv: '1812.04204v2' does not match",
            ),
            (("entries", 0, "kind"), "tool", "entries/0/kind: 'tool' is not one of"),
            (("entries", 0, "surprise"), 1, "entries/0: Additional properties are not allowed"),
            (("entries", 0, "provenance", "title", "source"), "wiki", "entries/0/provenance/title/source"),
            (("schema_version",), "2.0.0", "schema_version: '2.0.0' does not match"),
        ],
    )
    def test_invalid_documents_are_reported(self, path: tuple[Any, ...], value: object, problem: str) -> None:
        """Wrong types, enums, ranges, id forms and unknown fields are each reported with their path."""
        doc = copy.deepcopy(golden())
        target: Any = doc
        for step in path[:-1]:
            target = target[step]
        target[path[-1]] = value
        problems = validate_catalogue(doc)
        assert any(p.startswith(problem) for p in problems), problems

    def test_missing_required_field(self) -> None:
        """A missing contract field is reported."""
        doc = copy.deepcopy(golden())
        del doc["entries"][2]["url"]
        assert validate_catalogue(doc) == ["entries/2: 'url' is a required property"]

    def test_not_an_object(self) -> None:
        """A document that is not an object gets one problem at the root."""
        assert validate_catalogue([]) == ["(document): [] is not of type 'object'"]


TEXT = st.text(max_size=30)
AUTHORS = st.lists(
    st.builds(Author, given=st.none() | TEXT, family=st.none() | TEXT, literal=st.none() | TEXT), max_size=3
)
RECORDS = st.lists(
    st.builds(
        lambda n, title, year, status, score, authors, doi: Record(
            link=Link(f"https://e.org/{n}", title, year, (("A", title),)),
            ids=Ids(doi=f"10.1234/{doi}" if doi else None),
            resolution=Resolution(status, "link", score, title, (("title", score),)),
            title=title,
            year=year,
            authors=tuple(authors),
        ),
        st.integers(0, 10**6),
        TEXT,
        st.none() | st.integers(1600, 2100),
        st.sampled_from(["resolved", "unresolved"]),
        st.floats(0.0, 1.0),
        AUTHORS,
        st.none() | st.text("abc123", min_size=1, max_size=5),
    ),
    unique_by=lambda r: r.link.url,
    max_size=6,
)


@settings(max_examples=100, deadline=None)
@given(RECORDS)
def test_any_records_give_a_valid_catalogue(records: list[Record]) -> None:
    """Property: the catalogue of any records validates and has one entry per record, in order."""
    doc = make_doc(*records)
    assert validate_catalogue(doc) == []
    assert [e["url"] for e in doc["entries"]] == [r.link.url for r in records]
    assert json.loads(to_json(doc)) == doc
