"""Merging: field precedence, fields that travel together, list fallback, ids, counts and provenance."""

from __future__ import annotations

import pytest

from avenrich.merging import FOLLOWERS, PRECEDENCE, merge
from avenrich.model import CROSSREF, LIST, SEMANTIC_SCHOLAR, Author, Ids, Link, Resolution, Work
from avenrich.names import parse_listed_name

RESOLVED = Resolution("resolved", "link", 1.0)
UNRESOLVED = Resolution("unresolved", "offline", 0.0, "offline and not cached")
LINK = Link("https://arxiv.org/abs/1812.04204", "listed title", 2018, (("Audio",),), authors=("Jane Doe",))
IDS = Ids(doi="10.1109/cvpr.2019.00041")


def cr(**fields: object) -> Work:
    """A Crossref record fetched on 2024-12-30."""
    fields.setdefault("ids", IDS)
    return Work(source=CROSSREF, fetched="2024-12-30", **fields)  # type: ignore[arg-type]


def s2(**fields: object) -> Work:
    """A Semantic Scholar record fetched on 2024-12-29."""
    fields.setdefault("ids", IDS)
    return Work(source=SEMANTIC_SCHOLAR, fetched="2024-12-29", **fields)  # type: ignore[arg-type]


def provenance(record_provenance: tuple[tuple[str, str, str | None], ...]) -> dict[str, str]:
    """field -> source."""
    return {name: source for name, source, _date in record_provenance}


def test_precedence_table_names_known_sources() -> None:
    """Every row of the table names known sources and every follower follows a row."""
    names = {name for name, _ in PRECEDENCE}
    assert all(set(sources) <= {CROSSREF, SEMANTIC_SCHOLAR, LIST} for _, sources in PRECEDENCE)
    assert all(leader in names for _, leader in FOLLOWERS)


@pytest.mark.parametrize(
    ("works", "field", "value", "source"),
    [
        ((cr(title="CR Title"), s2(title="S2 Title")), "title", "CR Title", CROSSREF),
        ((s2(title="S2 Title"), cr(title="CR Title")), "title", "CR Title", CROSSREF),
        ((cr(title=None), s2(title="S2 Title")), "title", "S2 Title", SEMANTIC_SCHOLAR),
        ((), "title", "listed title", LIST),
        ((cr(title="Main", subtitle="A Subtitle"),), "title", "Main: A Subtitle", CROSSREF),
        ((cr(title="Main: A Subtitle", subtitle="A Subtitle"),), "title", "Main: A Subtitle", CROSSREF),
        ((cr(title="Why?", subtitle="Because"),), "title", "Why? Because", CROSSREF),
        ((cr(year=2019), s2(year=2018)), "year", 2019, CROSSREF),
        ((s2(year=2018),), "year", 2018, SEMANTIC_SCHOLAR),
        ((), "year", 2018, LIST),
        (
            (cr(venue="CVPR", type="proceedings-article"), s2(venue="Computer Vision")),
            "venue",
            "CVPR",
            CROSSREF,
        ),
        ((s2(venue="NeurIPS", type="proceedings-article"),), "venue", "NeurIPS", SEMANTIC_SCHOLAR),
        ((cr(type="journal-article"), s2(type="proceedings-article")), "type", "journal-article", CROSSREF),
        ((cr(year=0), s2(year=2018)), "year", 2018, SEMANTIC_SCHOLAR),
        ((cr(year=2019, month=13),), "month", None, None),
        ((cr(year=2019, month=2),), "month", 2, CROSSREF),
    ],
)
def test_field_precedence(works: tuple[Work, ...], field: str, value: object, source: str | None) -> None:
    """Each field comes from the first source of its row that has a plausible value, else the list."""
    record = merge(LINK, "arxiv", IDS, RESOLVED, works)
    assert getattr(record, field) == value
    assert provenance(record.provenance).get(field) == source


def test_version_of_record_beats_preprint_whatever_the_source() -> None:
    """A Crossref preprint record loses to the S2 conference record for title, year, venue and type."""
    preprint = cr(ids=Ids(doi="10.48550/arxiv.1812.04204"), title="Preprint Title", year=2018,
                  type="posted-content", venue="arXiv", publisher="arXiv")  # fmt: skip
    published = s2(title="Published Title", year=2019, type="proceedings-article", venue="CVPR")
    record = merge(LINK, "arxiv", Ids(), RESOLVED, (preprint, published))
    assert (record.title, record.year, record.type, record.venue) == (
        "Published Title", 2019, "proceedings-article", "CVPR"
    )  # fmt: skip
    assert record.publisher is None, "the preprint's publisher must not be given to the published version"
    assert record.ids.doi == IDS.doi, "a missing DOI is taken from the version of record first"


def test_only_preprints_give_preprint_fields() -> None:
    """Without a version of record, the preprint's fields are used."""
    preprint = s2(ids=Ids(arxiv="1812.04204"), type="posted-content", venue="arXiv.org", year=2018)
    record = merge(LINK, "arxiv", Ids(arxiv="1812.04204"), RESOLVED, (preprint,))
    assert (record.type, record.venue, record.year) == ("posted-content", "arXiv.org", 2018)


def test_followers_come_from_the_leaders_record() -> None:
    """Month goes with the year's record, pages/volume/issue with the venue's: never mixed across sources."""
    works = (
        cr(year=2019, venue=None, type="proceedings-article", publisher="IEEE"),
        s2(
            year=2018,
            month=7,
            venue="CVPR",
            pages="1-10",
            volume="abs/1812.04204",
            type="proceedings-article",
        ),
    )
    record = merge(LINK, "arxiv", IDS, RESOLVED, works)
    assert record.year == 2019 and record.month is None
    assert (record.venue, record.pages, record.volume) == ("CVPR", "1-10", "abs/1812.04204")
    assert record.publisher is None
    assert provenance(record.provenance)["pages"] == SEMANTIC_SCHOLAR


def test_followers_without_a_leader_follow_the_rows_order() -> None:
    """A book without a container still gets its publisher and pages from its own record."""
    record = merge(LINK, "doi", IDS, RESOLVED, (cr(type="book", publisher="MIT Press", pages="300"),))
    assert (record.publisher, record.pages) == ("MIT Press", "300")


def test_unresolved_ignores_works_and_uses_the_list() -> None:
    """An unresolved link publishes what the list says, whatever candidates were passed."""
    record = merge(LINK, "other", Ids(arxiv="1812.04204"), UNRESOLVED, (cr(title="Wrong Paper", year=1999),))
    assert (record.title, record.year) == ("listed title", 2018)
    assert record.authors == (Author("Jane", "Doe"),)
    assert record.venue is None and record.type is None
    assert record.ids == Ids(arxiv="1812.04204")
    assert set(provenance(record.provenance).values()) == {LIST}
    assert record.citations.crossref is None


def test_dataset_link_without_type_is_a_dataset() -> None:
    """A link listed as a dataset gets type dataset from the list when no source gives a type."""
    link = Link("https://zenodo.org/record/1", "Corpus", kind="dataset")
    record = merge(link, "other", Ids(), UNRESOLVED, ())
    assert record.type == "dataset"
    assert provenance(record.provenance)["type"] == LIST


def test_ids_filled_from_works_never_replaced() -> None:
    """Missing ids come from the works (with provenance); the caller's ids always stand."""
    works = (
        cr(ids=Ids(doi="10.1/other", pmid="123")),
        s2(ids=Ids(doi="10.1/s2", s2="ab" * 20, arxiv="1812.04204")),
    )
    record = merge(LINK, "doi", IDS, RESOLVED, works)
    assert record.ids == Ids(doi=IDS.doi, pmid="123", s2="ab" * 20, arxiv="1812.04204")
    assert provenance(record.provenance)["ids.s2"] == SEMANTIC_SCHOLAR
    assert "ids.doi" not in provenance(record.provenance)


def test_counts_kept_per_source_with_dates() -> None:
    """Counts and dates kept per source; influential from S2; Crossref's from the paper's own DOI."""
    works = (
        cr(
            ids=Ids(doi="10.48550/arxiv.1"),
            citation_count=3,
            type="posted-content",
            counts_fetched="2024-12-31",
        ),
        cr(citation_count=187, counts_fetched="2024-12-31"),
        s2(citation_count=301, influential_citation_count=41),
    )
    c = merge(LINK, "doi", IDS, RESOLVED, works).citations
    assert (c.crossref, c.crossref_date) == (187, "2024-12-31")
    assert (c.semantic_scholar, c.semantic_scholar_date, c.influential) == (301, "2024-12-29", 41)


def test_provenance_sorted_with_dates() -> None:
    """Provenance is (field, source, fetched) sorted by field; list fields carry no date."""
    record = merge(LINK, "doi", IDS, RESOLVED, (s2(title="T", year=2019, venue="V", type="proceedings-article"),))
    names = [p[0] for p in record.provenance]
    assert names == sorted(names)
    assert ("title", SEMANTIC_SCHOLAR, "2024-12-29") in record.provenance
    assert ("authors", LIST, None) in record.provenance


def test_passes_link_host_and_duplicates_through() -> None:
    """The record keeps its link, host and duplicate links."""
    record = merge(LINK, "arxiv", IDS, RESOLVED, (), ("https://other",))
    assert (record.link, record.host, record.duplicates) == (LINK, "arxiv", ("https://other",))


@pytest.mark.parametrize(
    ("name", "author"),
    [
        ("Ruohan Gao", Author("Ruohan", "Gao")),
        ("Joon Son Chung", Author("Joon Son", "Chung")),
        ("Ludwig van Beethoven", Author("Ludwig", "van Beethoven")),
        ("Zisserman, Andrew", Author("Andrew", "Zisserman")),
        ("van der Berg, Zoë", Author("Zoë", "van der Berg")),
        ("Plato", Author(None, "Plato")),
        ("  Kristen   Grauman ", Author("Kristen", "Grauman")),
        ("de Souza", Author(None, "de Souza")),
    ],
)
def test_parse_listed_name(name: str, author: Author) -> None:
    """List names split the way BibTeX splits them: "Last, First", else First von Last."""
    assert parse_listed_name(name) == author


def test_shared_values_are_one_copy_but_never_across_types() -> None:
    """Repeated provenance entries and evidence scores become one object; equal values of other types
    (1 and 1.0, True and 1) stay apart, so sharing can never change what a record says."""
    from avenrich.memory import share as shared

    a, b = shared(("title", "crossref", "2026-12-06")), shared(("title", "crossref", "2026-12-0" + "6"))
    assert a is b
    whole = shared((("year", 1.0), ("title", 0.95)))
    assert shared((("year", 1.0), ("title", 0.95))) is whole
    for one, other in [(("year", 1), ("year", 1.0)), (("x", True), ("x", 1)), ((("y", 1),), (("y", 1.0),))]:
        first, second = shared(one), shared(other)
        assert first == second and first is not second
        assert repr(second) == repr(other), "the shared copy says exactly what was asked for"
