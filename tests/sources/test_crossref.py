"""Tests for avenrich.sources.crossref: builders, parsers over every recorded sample, and CrossrefSource."""

from __future__ import annotations

import dataclasses
from typing import Any
from urllib.parse import unquote, urlsplit

import httpx
import pytest

from avenrich.cache import DAY, HOUR, MemoryJsonCache, key_for
from avenrich.errors import SourceError, SourceUnavailable
from avenrich.matching import parse_flags
from avenrich.model import Author
from avenrich.sources import SearchQuery
from avenrich.sources.crossref import (
    BATCH_SIZE,
    COUNTS_BATCH_SIZE,
    COUNTS_MAX_FILTER_CHARS,
    SELECTABLE,
    WORK_FIELDS,
    CrossrefSource,
    bibliographic_query,
    build_counts_params,
    build_filter_params,
    build_search_params,
    chunk_dois,
    is_not_found,
    normalise_orcid,
    parse_envelope,
    parse_list,
    parse_work,
    search_key,
    work_path,
)
from avenrich.sources.http import Reply
from fake_apis import (
    CROSSREF_FIXTURES,
    FakeCrossref,
    body_files,
    load_body,
    meta_of,
    synthetic_work,
    zero_wait_client,
)

BASE = "https://api.crossref.org"


class Clock:
    """Seconds for the cache and the ISO date for `today`, moved together."""

    def __init__(self) -> None:
        self.now = 1_780_000_000.0
        self.date = "2026-07-01"

    def __call__(self) -> float:
        return self.now

    def today(self) -> str:
        return self.date

    def advance(self, seconds: float, date: str) -> None:
        self.now += seconds
        self.date = date


def recorded(name: str) -> dict:
    """The `message` of a recorded single-work fixture."""
    return load_body(CROSSREF_FIXTURES / name)["message"]


def filter_dois(request: httpx.Request) -> list[str]:
    """The DOIs of a filter=doi:… request."""
    return [part.removeprefix("doi:") for part in request.url.params["filter"].split(",")]


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def cache(clock: Clock) -> MemoryJsonCache:
    return MemoryJsonCache(clock)


def source_for(fake, cache, clock, *, waits=None, unreachable_after=3) -> CrossrefSource:
    """A CrossrefSource talking to a fake through a zero-wait client."""
    client = zero_wait_client("crossref", BASE, fake, waits=waits, unreachable_after=unreachable_after)
    return CrossrefSource(client, cache, offline=False, today=clock.today)


# -- builders -------------------------------------------------------------------------------------------


def test_select_fields_are_legal_and_unique():
    """Every field we select is one Crossref accepts (an unknown one fails the whole request with 400)."""
    assert set(WORK_FIELDS) <= SELECTABLE
    assert len(WORK_FIELDS) == len(set(WORK_FIELDS))
    assert {"DOI", "title", "author", "issued", "is-referenced-by-count", "relation", "update-to"} <= set(WORK_FIELDS)
    assert "subtype" not in WORK_FIELDS and "abstract" not in WORK_FIELDS and "reference" not in WORK_FIELDS


def test_build_filter_params():
    """One filter name repeated per DOI (an OR), rows = batch size, only our fields."""
    params = build_filter_params(["10.1/a", "10.2/b"])
    assert params == {"filter": "doi:10.1/a,doi:10.2/b", "rows": 2, "select": ",".join(WORK_FIELDS)}


def test_build_counts_params_selects_only_counts():
    """A counts refresh fetches nothing but the DOI and the count."""
    assert build_counts_params(["10.1/a"]) == {
        "filter": "doi:10.1/a",
        "rows": 1,
        "select": "DOI,is-referenced-by-count",
    }


@pytest.mark.parametrize(
    ("dois", "batches"),
    [
        ([f"10.1109/cvpr52688.2022.{n:05d}" for n in range(BATCH_SIZE)], 1),
        ([f"10.18653/v1/2020.acl-main.{n}" for n in range(BATCH_SIZE)], 1),
        ([f"10.1145/{3448016 + n}.{3452841 + n}" for n in range(BATCH_SIZE)], 1),
        # Old Wiley SICI DOIs are ~90 characters once escaped: the length guard splits the batch.
        ([f"10.1002/(sici)1097-4636(199706)35:4<423::aid-jbm{n}>3.0.co;2-l" for n in range(BATCH_SIZE)], 2),
    ],
)
def test_batch_urls_stay_under_4_kb(dois, batches):
    """Forty ordinary DOIs fit in one URL well under 4 KB; long, punctuation-heavy ones are split."""
    chunks = chunk_dois(dois)
    assert len(chunks) == batches and sum(map(len, chunks)) == len(dois)
    for batch in chunks:
        assert len(str(httpx.URL(BASE + "/works", params=build_filter_params(batch)))) < 4096


@pytest.mark.parametrize(
    ("dois", "sizes"),
    [
        ([f"10.1109/cvpr.2019.{n:05d}" for n in range(250)], [100, 100, 50]),
        ([f"10.1007/978-3-030-01{n:03d}-5_{n}" for n in range(200)], [97, 95, 8]),
        ([f"10.1002/(sici)1097-4636(199706)35:4<423::aid-jbm{n}>3.0.co;2-l" for n in range(100)], [41, 41, 18]),
    ],
)
def test_counts_batches_fill_a_url_under_4_kb(dois, sizes):
    """A counts refresh packs up to 100 DOIs, fewer when they are long; every URL stays under 4 KB."""
    chunks = chunk_dois(dois, COUNTS_BATCH_SIZE, COUNTS_MAX_FILTER_CHARS)
    assert [len(b) for b in chunks] == sizes
    for batch in chunks:
        assert len(str(httpx.URL(BASE + "/works", params=build_counts_params(batch)))) < 4096


def test_chunk_dois_by_count_and_by_length():
    """Batches hold 40 DOIs at most, and fewer when the DOIs are very long."""
    assert [len(b) for b in chunk_dois([f"10.1/{n}" for n in range(85)])] == [40, 40, 5]
    huge = [f"10.5555/{'x' * 180}{n}" for n in range(40)]
    batches = chunk_dois(huge)
    assert len(batches) > 1 and sum(map(len, batches)) == 40
    for batch in batches:
        assert len(str(httpx.URL(BASE + "/works", params=build_filter_params(batch)))) < 4096
    assert chunk_dois([]) == []


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        (SearchQuery("Audio-Visual Scene Analysis"), "Audio-Visual Scene Analysis"),
        (
            SearchQuery("Audio-Visual  Scene\nAnalysis", 2018, ("Andrew Owens", "Efros, Alexei A.")),
            "Audio-Visual Scene Analysis Owens Efros 2018",
        ),
        (SearchQuery("T", None, ("A. Owens", "B. C", "D E", "F G")), "T Owens C E"),
        (SearchQuery("Title", 2020, (), "CVPR"), "Title 2020"),
    ],
)
def test_bibliographic_query(query, expected):
    """Title, up to three family names and the year, like a pasted citation."""
    assert bibliographic_query(query) == expected


def test_build_search_params_has_no_date_filter():
    """A search asks for scored candidates and filters nothing: a wrong year must not hide the paper."""
    params = build_search_params(SearchQuery("Some Title", 2019), rows=7)
    assert params["rows"] == 7 and "filter" not in params
    assert params["select"].split(",")[-1] == "score"
    assert set(params["select"].split(",")) <= SELECTABLE


@pytest.mark.parametrize(
    ("doi", "path"),
    [
        ("10.1145/3448016.3452841", "/works/10.1145/3448016.3452841"),
        ("10.1002/(sici)1097-4636(199706)35:4<423::aid-jbm2>3.0.co;2-l",
         "/works/10.1002/(sici)1097-4636(199706)35:4%3C423::aid-jbm2%3E3.0.co;2-l"),
        ("10.1000/a#b?c", "/works/10.1000/a%23b%3Fc"),
        ("10.1000/with space", "/works/10.1000/with%20space"),
    ],
)  # fmt: skip
def test_work_path_keeps_slashes_and_escapes_the_rest(doi, path):
    """The DOI goes into the path as is, except characters that would end or break the path."""
    assert work_path(doi) == path
    assert unquote(urlsplit(BASE + path).path) == f"/works/{doi}"


# -- parsers over every recorded sample ------------------------------------------------------------------

REJECTED = {
    "error_400_field-query-on-singleton-route.json": "parameter-not-allowed",
    "error_400_sample-over-100.json": "integer-not-valid",
    "error_404_invalid-cursor.json": "cursor-invalid",
    "error_404_unknown-doi_10.1371-notarealdoi.txt": "non-JSON body: 'Resource not found.'",
    "error_404_arxiv-datacite-doi_10.48550-arxiv.2312.07559.txt": "non-JSON body: 'Resource not found.'",
}


@pytest.mark.parametrize("path", body_files(CROSSREF_FIXTURES), ids=lambda p: p.name)
def test_every_recorded_sample_parses_or_is_rejected_with_a_reason(path):
    """Works parse to the DOI asked for, lists to one Work per item, error bodies to a clear ValueError."""
    body = load_body(path)
    meta = meta_of(path)
    if path.name in REJECTED:
        with pytest.raises(ValueError, match=REJECTED[path.name].replace("(", r"\(")) as caught:
            parse_envelope(body, "work")
        assert meta["status"] >= 400 and "crossref" in str(caught.value)
        return
    assert meta["status"] == 200
    if body["message-type"] == "work":
        work = parse_work(parse_envelope(body, "work"))
        asked = unquote(urlsplit(meta["request"]["url"]).path).removeprefix("/works/").lower()
        assert work.ids.doi == asked and work.source == "crossref"
        assert work.citation_count is not None and work.citation_count >= 0
    else:
        works = parse_list(body)
        assert len(works) == len(body["message"]["items"])
        assert all(w.ids.doi for w in works)
        with pytest.raises(ValueError, match="'work-list' message where a 'work'"):
            parse_envelope(body, "work")


def test_every_error_sample_is_classified():
    """The rejection table covers exactly the recorded error bodies (a new sample needs a decision)."""
    errors = {p.name for p in body_files(CROSSREF_FIXTURES) if meta_of(p)["status"] >= 400}
    assert errors == set(REJECTED)


@pytest.mark.parametrize(
    ("payload", "reason"),
    [
        ([1, 2], "JSON list, not an envelope"),
        ({"status": "ok", "message-type": "work", "message": "x"}, "where a 'work-list'"),
        ({"status": "failed", "message-type": "validation-failure", "message": []}, "validation-failure"),
    ],
)
def test_parse_envelope_rejects_odd_shapes(payload, reason):
    """Anything but an ok envelope of the right type is refused with a reason."""
    with pytest.raises(ValueError, match=reason):
        parse_envelope(payload, "work-list")


def test_zero_results_is_an_empty_list():
    """HTTP 200 with total-results 0 is "no candidates", not an error."""
    assert parse_list(load_body(CROSSREF_FIXTURES / "works_query-title_zero-results.json")) == []


def test_not_found_reply_is_recognised_only_by_its_body():
    """Only Crossref's own "Resource not found." 404 means not-found; other 404s are not trusted."""
    text = (CROSSREF_FIXTURES / "error_404_unknown-doi_10.1371-notarealdoi.txt").read_text()
    assert is_not_found(Reply(404, None, BASE, text))
    assert not is_not_found(Reply(404, None, BASE, "<html>nginx</html>"))
    assert not is_not_found(Reply(200, None, BASE, text))


class TestParseWork:
    """Field by field, on the recorded records."""

    def test_jats_markup_and_newlines_are_cleaned(self):
        """Title tags and hard newlines disappear; the short container title is not used as venue."""
        work = parse_work(recorded("work_journal-article_jats-markup-title_10.1098-rspb.2017.0132.json"))
        assert work.title == (
            "Sexual conflict and correlated evolution between male persistence and female resistance traits"
            " in the seed beetle Callosobruchus maculatus"
        )
        assert work.venue == "Proceedings of the Royal Society B: Biological Sciences"
        assert work.type == "journal-article" and work.flags == ()

    def test_acm_proceedings_article(self):
        """Container title as venue, event acronym, issued year/month, ordered authors."""
        work = parse_work(recorded("work_proceedings-article_acm-sigmod2021_10.1145-3448016.3452841.json"))
        assert work.venue == "Proceedings of the 2021 International Conference on Management of Data"
        assert work.venue_acronym == "SIGMOD/PODS '21"
        assert (work.year, work.month, work.type) == (2021, 6, "proceedings-article")
        assert work.authors[0] == Author(given="Prashant", family="Pandey")
        assert work.publisher and work.pages

    def test_acl_event_and_container_newlines(self):
        """The ACL record's container title loses its newline runs."""
        body = load_body(CROSSREF_FIXTURES / "works_query-title-author_rows1_wrong-top-hit.json")
        (work,) = parse_list(body)
        assert work.ids.doi == "10.18653/v1/n18-2074"
        assert "\n" not in work.venue and work.venue.startswith("Proceedings of the 2018 Conference of the North")
        assert work.year == 2018 and work.month is None

    def test_component_has_no_title_no_date_and_is_flagged(self):
        """A figure DOI: empty title list, issued [[null]], flagged supplementary."""
        work = parse_work(recorded("work_component_plos-figure_10.1371-journal.pmed.0030277.g001.json"))
        assert (work.title, work.year, work.month, work.authors) == (None, None, None, ())
        assert work.flags == ("supplementary",) and work.relations == ()

    def test_preprint_relations_and_orcids(self):
        """bioRxiv: posted-content/preprint, is-preprint-of the journal DOI, bare ORCIDs, no venue."""
        work = parse_work(recorded("work_posted-content_biorxiv_is-preprint-of_10.1101-097196.json"))
        assert (work.type, work.subtype, work.venue) == ("posted-content", "preprint", None)
        assert work.relations == (("is-preprint-of", "10.1038/s41597-019-0031-8"),)
        assert work.authors[0].orcid == "0000-0003-1419-2405" and work.type == "posted-content"
        assert work.year == 2016

    def test_chemrxiv_record_reached_through_the_alias(self):
        """The target of the 301: a v5 preprint whose relation points at the journal article."""
        work = parse_work(recorded("work_posted-content_chemrxiv_after-redirect_10.26434-chemrxiv.5406907.v5.json"))
        assert work.ids.doi == "10.26434/chemrxiv.5406907.v5"
        assert work.relations == (("is-preprint-of", "10.1021/acs.jpcb.7b11820"),)
        assert work.authors[-1] == Author(given="David", family="Mobley", orcid="0000-0002-1083-5533")

    def test_corrected_article_is_not_itself_a_notice(self):
        """`updated-by` (this paper was corrected) is not `update-to` (this is the correction)."""
        work = parse_work(recorded("work_journal-article_plos-one_10.1371-journal.pone.0033693.json"))
        assert work.flags == ()
        assert work.volume and work.issue and work.citation_count is not None

    def test_book_chapter(self):
        """The book is the venue; a year-only date has no month."""
        work = parse_work(recorded("work_book-chapter_springer_10.1007-978-3-662-46370-3_13.json"))
        assert work.type == "book-chapter" and work.venue and work.month is None and work.year

    def test_organisation_author_and_missing_given(self):
        """An organisation's `name` is a literal; an author without `given` keeps the family name."""
        item = synthetic_work(
            "10.1/org",
            author=[{"name": "Climate Editorial Office", "sequence": "first"}, {"family": "Curie"}, {"x": 1}],
        )
        work = parse_work(item)
        assert work.authors == (Author(literal="Climate Editorial Office"), Author(family="Curie"))

    @pytest.mark.parametrize(
        ("dates", "expected"),
        [
            ({"issued": {"date-parts": [[2019, 13, 1]]}}, (2019, None)),
            (
                {"issued": {"date-parts": [[None]]}, "published-online": {"date-parts": [[2018, 2]]}},
                (2018, 2),
            ),
            ({"issued": {"date-parts": [["2017", "3"]]}}, (2017, 3)),
            ({"issued": {"date-parts": []}}, (None, None)),
            ({"issued": "2019"}, (None, None)),
            ({"posted": {"date-parts": [[2021, 4, 1]]}}, (2021, 4)),
        ],
    )
    def test_dates(self, dates, expected):
        """Year and month come from the first usable date; nonsense months are dropped."""
        item = {k: v for k, v in synthetic_work("10.1/d").items() if k != "issued"} | dates
        work = parse_work(item)
        assert (work.year, work.month) == expected

    def test_relations_keep_only_doi_targets(self):
        """Relations with non-DOI ids are dropped; DOI targets are lowercased and de-prefixed."""
        item = synthetic_work(
            "10.1/r",
            relation={
                "has-preprint": [{"id-type": "doi", "id": "10.1101/ABC", "asserted-by": "object"}],
                "is-supplemented-by": [{"id-type": "uri", "id": "https://x.org"}],
                "is-version-of": [{"id-type": "doi", "id": "https://doi.org/10.5/V"}],
            },
        )
        assert parse_work(item).relations == (("has-preprint", "10.1101/abc"), ("is-version-of", "10.5/v"))

    def test_ieee_record_carries_its_document_number(self):
        """The recorded IEEE record's resource URL (ieeexplore.ieee.org/document/1203662/) gives its number."""
        work = parse_work(recorded("work_proceedings-article_ieee-2003_10.1109-icdcsw.2003.1203662.json"))
        assert (work.ids.doi, work.ids.ieee) == ("10.1109/icdcsw.2003.1203662", "1203662")

    @pytest.mark.parametrize(
        ("resource", "number"),
        [
            ({"primary": {"URL": "https://ieeexplore.ieee.org/document/8894565/"}}, "8894565"),
            ({"primary": {"URL": "http://ieeexplore.ieee.org/stamp/stamp.jsp?arnumber=8894565"}}, "8894565"),
            ({"primary": {"URL": "https://ieeexplore.ieee.org/xpl/conhome/8576498/proceeding"}}, None),
            ({"primary": {"URL": "https://link.springer.com/10.1007/978-3-030-01246-5_35"}}, None),
            ({"primary": {"URL": 8894565}}, None),
            ({"primary": "https://ieeexplore.ieee.org/document/8894565/"}, None),
            (None, None),
        ],
    )
    def test_ieee_number_only_from_an_ieee_document_resource(self, resource, number):
        """Only a landing page that is an IEEE Xplore document gives a number; anything else gives none."""
        item = synthetic_work("10.1109/x.1", **({"resource": resource} if resource is not None else {}))
        assert parse_work(item).ids.ieee == number

    @pytest.mark.parametrize("item", [{}, {"DOI": ""}, {"DOI": None, "title": ["x"]}, ["10.1/x"]])
    def test_a_record_without_doi_is_refused(self, item):
        """No DOI, no Work."""
        with pytest.raises(ValueError):
            parse_work(item)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("http://orcid.org/0000-0003-1419-2405", "0000-0003-1419-2405"),
        ("https://orcid.org/0000-0002-1825-009x", "0000-0002-1825-009X"),
        ("0000-0002-1825-0097", "0000-0002-1825-0097"),
        ("https://orcid.org/", None),
        (None, None),
        (12, None),
    ],
)
def test_normalise_orcid(value, expected):
    """ORCIDs are kept in their bare form."""
    assert normalise_orcid(value) == expected


@pytest.mark.parametrize(
    ("title", "kind", "updates", "expected"),
    [
        ("Correction to: Deep audio-visual learning", "journal-article", (), ("correction",)),
        ("Correction", "journal-article", (), ("correction",)),
        ("Erratum: Look, listen and learn", None, (), ("erratum",)),
        ("Corrigendum to “Sound of pixels”", None, (), ("erratum",)),
        ("Retraction Note to: A paper", None, (), ("retraction",)),
        ("Retracted: Some IEEE paper", "proceedings-article", (), ("retraction",)),
        ("Notice of Retraction: Something", None, (), ("retraction",)),
        ("Expression of Concern: A study", None, (), ("correction",)),
        ("A quiet title", "journal-article", ("correction",), ("correction",)),
        ("A quiet title", "journal-article", ("retraction",), ("retraction",)),
        ("A quiet title", "journal-article", ("new_version",), ()),
        ("Supplementary Material for Audio-Visual Event Localization", None, (), ("supplementary",)),
        ("Supporting Information for X", None, (), ("supplementary",)),
        ("Additional file 1: Table S1", None, (), ("supplementary",)),
        (None, "component", (), ("supplementary",)),
        ("Front Matter", "book-chapter", (), ("front-matter",)),
        ("Title Page i", "proceedings-article", (), ("front-matter",)),
        ("[Front cover]", "proceedings-article", (), ("front-matter",)),
        ("Table of Contents", None, (), ("front-matter",)),
        ("Preface", "book-chapter", (), ("front-matter",)),
        ("Index", "book-chapter", (), ("front-matter",)),
        ("Review of: A paper", "peer-review", (), ("peer-review",)),
        # Negatives: real papers whose titles start with the same words.
        ("Correction of motion blur in video", "journal-article", (), ()),
        ("Correcting audio-visual synchrony", None, (), ()),
        ("Retraction of the tongue during speech", None, (), ()),
        ("Supplementary motor area activity during listening", None, (), ()),
        ("Supporting information retrieval with audio-visual cues", None, (), ()),
        ("Index coding with side information", None, (), ()),
        ("Contents-aware video summarisation", None, (), ()),
        ("Preface to a theory of audio-visual speech", None, (), ()),
        ("Erratic motion in videos", None, (), ()),
    ],
)
def test_parse_flags(title, kind, updates, expected):
    """Notices, supplements, front matter and reviews are flagged; papers with look-alike titles are not."""
    assert parse_flags(title, kind, updates) == expected


# -- CrossrefSource ---------------------------------------------------------------------------------------

RECORDED_DOIS = [
    "10.1109/ICDCSW.2003.1203662",
    "10.1145/3448016.3452841",
    "10.1101/097196",
]


class TestLookup:
    """Batched lookups by DOI against the fake."""

    def test_one_filter_request_then_one_single_for_the_missing(self, cache, clock):
        """Known DOIs come in one list request; the unknown one gets one single GET (404 → None)."""
        fake = FakeCrossref.with_recorded()
        source = source_for(fake, cache, clock)
        result = source.lookup([*RECORDED_DOIS, "10.1371/notarealdoi"])
        assert set(result) == {d.lower() for d in RECORDED_DOIS} | {"10.1371/notarealdoi"}
        assert result["10.1371/notarealdoi"] is None
        work = result["10.1109/icdcsw.2003.1203662"]
        assert work.ids.doi == "10.1109/icdcsw.2003.1203662"
        assert (work.fetched, work.counts_fetched) == ("2026-07-01", "2026-07-01")
        (filtered,) = fake.calls("GET", "/works")[:1]
        assert filtered.url.path == "/works" and filtered.url.params["rows"] == "4"
        assert sorted(filter_dois(filtered)) == sorted(d.lower() for d in [*RECORDED_DOIS, "10.1371/notarealdoi"])
        assert filtered.url.params["select"] == ",".join(WORK_FIELDS)
        assert [r.url.path for r in fake.requests] == ["/works", "/works/10.1371/notarealdoi"]
        assert source.failures == {} and source.errors == []
        stats = source.stats.as_dict()["crossref"]
        assert stats["works/filter"]["requests"] == 1 and stats["works/doi"]["requests"] == 1

    def test_batches_of_forty(self, cache, clock):
        """85 DOIs cost three list requests of 40, 40 and 5, each with rows = its batch size."""
        fake = FakeCrossref()
        dois = [f"10.5555/test.{n}" for n in range(85)]
        for doi in dois:
            fake.add(synthetic_work(doi, count=1))
        result = source_for(fake, cache, clock).lookup(dois)
        assert len(result) == 85 and all(result.values())
        sizes = [len(filter_dois(r)) for r in fake.requests]
        assert sizes == [40, 40, 5]
        assert [r.url.params["rows"] for r in fake.requests] == ["40", "40", "5"]
        assert all(len(str(r.url)) < 4096 for r in fake.requests)

    def test_keys_are_the_lowercased_input_and_duplicates_are_asked_once(self, cache, clock):
        """Upper-case and repeated inputs become one lowercased key and one DOI in the filter."""
        fake = FakeCrossref.with_recorded()
        result = source_for(fake, cache, clock).lookup(
            ["10.1145/3448016.3452841", " 10.1145/3448016.3452841 ", "10.1109/ICDCSW.2003.1203662"]
        )
        assert set(result) == {"10.1145/3448016.3452841", "10.1109/icdcsw.2003.1203662"}
        assert len(filter_dois(fake.requests[0])) == 2

    def test_second_lookup_is_free(self, cache, clock):
        """The same source answers again from memory; a new source (next run) from the cache."""
        fake = FakeCrossref.with_recorded()
        first = source_for(fake, cache, clock)
        expected = first.lookup([*RECORDED_DOIS, "10.1371/notarealdoi"])
        calls = len(fake.requests)
        assert first.lookup([*RECORDED_DOIS, "10.1371/notarealdoi"]) == expected
        second = source_for(fake, cache, clock)
        assert second.lookup([*RECORDED_DOIS, "10.1371/notarealdoi"]) == expected
        assert len(fake.requests) == calls
        assert second.stats.as_dict()["crossref"]["works/filter"]["cache_hits"] == 4

    def test_not_found_is_remembered_for_a_week(self, cache, clock):
        """A 404 is cached: asked again only once NOT_FOUND_TTL has passed."""
        fake = FakeCrossref()
        source_for(fake, cache, clock).lookup(["10.1/missing"])
        assert len(fake.requests) == 2  # filter, then the single GET
        clock.advance(6 * DAY, "2026-07-07")
        assert source_for(fake, cache, clock).lookup(["10.1/missing"]) == {"10.1/missing": None}
        assert len(fake.requests) == 2
        clock.advance(2 * DAY, "2026-07-09")
        source_for(fake, cache, clock).lookup(["10.1/missing"])
        assert len(fake.requests) == 4

    def test_aliased_doi_follows_the_301(self, cache, clock):
        """An alias is absent from the filter answer; its single GET follows the relative 301."""
        fake = FakeCrossref.with_recorded()
        result = source_for(fake, cache, clock).lookup(["10.26434/chemrxiv.5406907"])
        work = result["10.26434/chemrxiv.5406907"]
        assert work.ids.doi == "10.26434/chemrxiv.5406907.v5"
        assert [r.url.path for r in fake.requests] == [
            "/works",
            "/works/10.26434/chemrxiv.5406907",
            "/works/10.26434/chemrxiv.5406907.v5",
        ]
        again = source_for(fake, cache, clock).lookup(["10.26434/chemrxiv.5406907", "10.26434/chemrxiv.5406907.v5"])
        assert again["10.26434/chemrxiv.5406907.v5"].ids.doi == "10.26434/chemrxiv.5406907.v5"
        assert len(fake.requests) == 3

    def test_datacite_dois_are_not_asked(self, cache, clock):
        """arXiv's DataCite DOIs are never in Crossref: None without a request."""
        fake = FakeCrossref()
        assert source_for(fake, cache, clock).lookup(["10.48550/arXiv.2312.07559"]) == {
            "10.48550/arxiv.2312.07559": None
        }
        assert fake.requests == []

    def test_dois_with_commas_are_asked_alone(self, cache, clock):
        """A comma would split the filter value, so such a DOI gets a single GET."""
        fake = FakeCrossref()
        fake.add(synthetic_work("10.1/a,b"))
        fake.add(synthetic_work("10.1/plain"))
        result = source_for(fake, cache, clock).lookup(["10.1/a,b", "10.1/plain"])
        assert result["10.1/a,b"].ids.doi == "10.1/a,b" and result["10.1/plain"]
        assert filter_dois(fake.requests[0]) == ["10.1/plain"]
        assert fake.requests[1].url.path == "/works/10.1/a,b"

    def test_a_rejected_filter_falls_back_to_single_lookups(self, cache, clock):
        """A 400 on a batch (one malformed DOI spoils it) is not the end: each DOI is asked alone."""
        fake = FakeCrossref.with_recorded()
        fake.script.append(FakeCrossref._invalid("filter-not-valid", "doi:bad"))
        result = source_for(fake, cache, clock).lookup(RECORDED_DOIS)
        assert all(result[d.lower()] for d in RECORDED_DOIS)
        assert [r.url.path for r in fake.requests][1:] == [f"/works/{d.lower()}" for d in RECORDED_DOIS]

    def test_retried_errors_then_success(self, cache, clock):
        """A 429 and a 503 on the batch are retried; the answer is used and cached."""
        fake = FakeCrossref.with_recorded()
        fake.script += [429, 503]
        waits: list[float] = []
        source = source_for(fake, cache, clock, waits=waits)
        assert all(source.lookup(RECORDED_DOIS).values())
        assert waits == [1.0, 2.0]
        row = source.stats.as_dict()["crossref"]["works/filter"]
        assert (row["requests"], row["retries"], row["rate_limited"]) == (3, 2, 1)

    @pytest.mark.parametrize("status", [429, 500, 503])
    def test_failures_are_reported_and_never_cached(self, cache, clock, status):
        """A batch that keeps failing leaves its DOIs out, with the reason, and caches nothing."""
        fake = FakeCrossref.with_recorded()
        fake.script += [status] * 4
        source = source_for(fake, cache, clock)
        result = source.lookup(RECORDED_DOIS)
        assert result == {}
        assert set(source.failures) == {d.lower() for d in RECORDED_DOIS}
        assert f"HTTP {status}" in source.failures["10.1101/097196"] and len(source.errors) == 1
        assert cache.keys() == []
        assert source.lookup(RECORDED_DOIS) == {}  # not asked twice in one run
        assert len(fake.requests) == 4
        assert len(source_for(fake, cache, clock).lookup(RECORDED_DOIS)) == 3  # the next run asks again

    def test_unexpected_404_is_an_error_not_a_not_found(self, cache, clock):
        """A 404 that is not Crossref's own (wrong base URL, proxy page) is not cached as "not found"."""

        def handler(request: httpx.Request) -> httpx.Response:
            if request.url.path == "/works":
                return FakeCrossref._list([], 1)
            return httpx.Response(404, text="<html>Not Found</html>")

        source = source_for(handler, cache, clock)
        assert source.lookup(["10.1/x"]) == {}
        assert "unexpected 404" in source.failures["10.1/x"]
        assert cache.keys() == []

    def test_unreachable_crossref_is_given_up_at_once(self, cache, clock):
        """Connection refused: a hundred DOIs cost three connection attempts and one clear reason."""
        fake = FakeCrossref.with_recorded()
        fake.down = httpx.ConnectError("[Errno 111] Connection refused")
        source = source_for(fake, cache, clock)
        dois = [f"10.1/{n}" for n in range(100)]
        assert source.lookup(dois) == {}
        assert len(fake.requests) == 3
        reasons = set(source.failures.values())
        assert len(source.failures) == 100
        assert "crossref unreachable (connection refused): skipped for the rest of this run" in reasons
        assert source.client.unavailable_reason
        with pytest.raises(SourceUnavailable):
            source.search(SearchQuery("Anything"))
        assert len(fake.requests) == 3


class TestCounts:
    """Citation counts are refreshed nightly with cheap select requests."""

    def test_cold_run_writes_counts_without_extra_requests(self, cache, clock):
        """Metadata fetched now also fills the counts entry: a rerun the same day costs nothing."""
        fake = FakeCrossref()
        dois = [f"10.5555/c.{n}" for n in range(80)]
        for n, doi in enumerate(dois):
            fake.add(synthetic_work(doi, count=n))
        first = source_for(fake, cache, clock).lookup(dois)
        assert len(fake.requests) == 2
        clock.advance(19 * HOUR, "2026-07-01")
        again = source_for(fake, cache, clock).lookup(dois)
        assert again == first and len(fake.requests) == 2

    def test_stale_counts_cost_one_select_request_per_hundred_dois(self, cache, clock):
        """The next night: one counts-only request per 100 DOIs (metadata batches hold 40); metadata keeps its
        fetch date."""
        fake = FakeCrossref()
        dois = [f"10.5555/c.{n}" for n in range(150)]
        for doi in dois:
            fake.add(synthetic_work(doi, count=1))
        source_for(fake, cache, clock).lookup(dois)
        assert len(fake.requests) == 4
        for doi in dois:
            fake.works[doi]["is-referenced-by-count"] = 7
        clock.advance(21 * HOUR, "2026-07-02")
        source = source_for(fake, cache, clock)
        result = source.lookup(dois)
        refresh = fake.requests[4:]
        assert len(refresh) == 2
        assert all(r.url.params["select"] == "DOI,is-referenced-by-count" for r in refresh)
        assert [r.url.params["rows"] for r in refresh] == ["100", "50"]
        work = result["10.5555/c.3"]
        assert (work.citation_count, work.counts_fetched, work.fetched) == (7, "2026-07-02", "2026-07-01")
        assert work.title  # metadata came from the cache
        assert source.stats.as_dict()["crossref"]["works/counts"]["requests"] == 2

    def test_failed_refresh_keeps_the_old_counts(self, cache, clock):
        """If the counts request fails the work is still returned, with the count and date it had."""
        fake = FakeCrossref.with_recorded()
        source_for(fake, cache, clock).lookup(RECORDED_DOIS)
        clock.advance(DAY, "2026-07-02")
        fake.script += [500] * 4
        source = source_for(fake, cache, clock)
        result = source.lookup(RECORDED_DOIS)
        assert all(w and w.counts_fetched == "2026-07-01" for w in result.values())
        assert source.failures == {} and "HTTP 500" in source.errors[0]
        assert source.counts_failed == {w.ids.doi for w in result.values() if w}, "the outcome is not complete"

    def test_deferred_counts_are_refreshed_once_for_the_asked_dois_only(self, cache, clock):
        """refresh_counts=False returns last night's counts at no cost; refresh_counts() then asks only for
        the DOIs it is given (by canonical DOI), once, and a second call costs nothing."""
        fake = FakeCrossref()
        dois = [f"10.5555/d.{n}" for n in range(150)]
        for doi in dois:
            fake.add(synthetic_work(doi, count=1))
        source_for(fake, cache, clock).lookup(dois)
        for doi in dois:
            fake.works[doi]["is-referenced-by-count"] = 7
        clock.advance(21 * HOUR, "2026-07-02")
        source = source_for(fake, cache, clock)
        asked = len(fake.requests)
        waiting = source.lookup(dois, refresh_counts=False)
        again = source.lookup(dois[:10], refresh_counts=False)
        assert len(fake.requests) == asked
        assert waiting["10.5555/d.3"].citation_count == 1 and waiting["10.5555/d.3"].counts_fetched == "2026-07-01"
        assert again["10.5555/d.3"] == waiting["10.5555/d.3"]
        batches: list[dict[str, Any]] = []
        fresh = source.refresh_counts(
            [d.upper() for d in dois[:120]] + ["10.9999/never-looked-up"], lambda batch: batches.append(dict(batch))
        )
        refresh = fake.requests[asked:]
        assert [r.url.params["rows"] for r in refresh] == ["100", "20"]
        assert set(fresh) == set(dois[:120])
        assert [len(b) for b in batches] == [100, 20] and {**batches[0], **batches[1]} == fresh  # as each came
        assert (fresh["10.5555/d.3"].citation_count, fresh["10.5555/d.3"].counts_fetched) == (7, "2026-07-02")
        assert source.refresh_counts(dois) != {} and len(fake.requests) == asked + 3  # the 30 left, once
        assert source.refresh_counts(dois) == {} and len(fake.requests) == asked + 3
        assert source.lookup(["10.5555/d.3"])["10.5555/d.3"].citation_count == 7  # the memo holds the new counts

    def test_deferred_refresh_offline_or_fresh_costs_nothing(self, cache, clock):
        """Nothing waits when the counts are fresh; offline, refresh_counts answers nothing and asks nothing."""
        fake = FakeCrossref.with_recorded()
        source = source_for(fake, cache, clock)
        source.lookup(RECORDED_DOIS, refresh_counts=False)
        assert source.refresh_counts(RECORDED_DOIS) == {} and len(fake.requests) == 1
        clock.advance(DAY, "2026-07-02")
        offline = CrossrefSource(None, cache, offline=True, today=clock.today)
        assert all(w is not None for w in offline.lookup(RECORDED_DOIS, refresh_counts=False).values())
        assert offline.refresh_counts(RECORDED_DOIS) == {}

    def test_expired_metadata_is_fetched_again(self, cache, clock):
        """After METADATA_TTL the full record is fetched again."""
        fake = FakeCrossref.with_recorded()
        source_for(fake, cache, clock).lookup(RECORDED_DOIS)
        clock.advance(31 * DAY, "2026-08-01")
        result = source_for(fake, cache, clock).lookup(RECORDED_DOIS)
        assert fake.requests[-1].url.params["select"] == ",".join(WORK_FIELDS)
        assert all(w.fetched == "2026-08-01" for w in result.values())


class TestOffline:
    """With --offline everything comes from the cache."""

    def test_offline_reads_the_cache_and_reports_misses(self, cache, clock):
        """Cached works and not-founds are answered; misses are absent with the offline reason."""
        fake = FakeCrossref.with_recorded()
        source_for(fake, cache, clock).lookup([*RECORDED_DOIS, "10.1371/notarealdoi"])
        clock.advance(2 * DAY, "2026-07-03")  # counts are stale, but offline keeps what it has
        offline = CrossrefSource(None, cache, offline=True, today=clock.today)
        result = offline.lookup([*RECORDED_DOIS, "10.1371/notarealdoi", "10.1/never-seen"])
        assert result["10.1371/notarealdoi"] is None
        assert result["10.1101/097196"].counts_fetched == "2026-07-01"
        assert "10.1/never-seen" not in result
        assert offline.failures == {"10.1/never-seen": "offline: not in the cache"}
        with pytest.raises(SourceUnavailable, match="offline"):
            offline.search(SearchQuery("Self-Attention with Relative Position Representations"))


class TestSearch:
    """Bibliographic search, cached by its parameters."""

    @pytest.fixture
    def fake(self) -> FakeCrossref:
        fake = FakeCrossref()
        items = load_body(CROSSREF_FIXTURES / "works_query-title-author_rows1_wrong-top-hit.json")["message"]["items"]
        fake.add_search("self-attention with relative position", items)
        return fake

    def test_search_returns_scored_candidates(self, fake, cache, clock):
        """One list request with query.bibliographic; each Work carries Crossref's score."""
        query = SearchQuery("Self-Attention with Relative Position Representations", 2018, ("Peter Shaw",))
        (work,) = source_for(fake, cache, clock).search(query)
        assert work.ids.doi == "10.18653/v1/n18-2074" and work.score == pytest.approx(53.94458)
        (request,) = fake.requests
        assert request.url.params["query.bibliographic"] == (
            "Self-Attention with Relative Position Representations Shaw 2018"
        )
        assert request.url.params["rows"] == "5" and "score" in request.url.params["select"]
        assert "mailto:tests@example.org" in request.headers["user-agent"]
        assert "x-api-key" not in request.headers

    def test_search_is_cached_and_seeds_lookups(self, fake, cache, clock):
        """The same search again, and a lookup of a hit's DOI, cost no request."""
        query = SearchQuery("Self-Attention with Relative Position Representations")
        first = source_for(fake, cache, clock).search(query)
        source = source_for(fake, cache, clock)
        assert source.search(query) == first
        assert source.lookup(["10.18653/v1/n18-2074"])["10.18653/v1/n18-2074"].title == first[0].title
        assert len(fake.requests) == 1

    def test_search_is_cached_by_title_not_by_what_the_list_adds(self, fake, cache, clock):
        """The list giving the title's authors, year or venue later asks the cache, not Crossref (issue 14)."""
        bare = SearchQuery("Self-Attention with Relative Position Representations")
        first = source_for(fake, cache, clock).search(bare)
        richer = SearchQuery(
            "Self-Attention  with Relative Position Representations", 2018, ("Peter Shaw", "Jakob Uszkoreit"), "NAACL"
        )
        assert source_for(fake, cache, clock).search(richer) == first
        assert len(fake.requests) == 1
        assert search_key(bare) == search_key(richer) != search_key(SearchQuery("Self-Attention"))
        assert search_key(bare, rows=5) != search_key(bare, rows=10)

    def test_no_hits_are_cached_for_a_shorter_time(self, fake, cache, clock):
        """An empty answer is remembered for a week, a hit for a month."""
        hit = SearchQuery("Self-Attention with Relative Position Representations")
        miss = SearchQuery("askldjrq3rjaw938h")
        source_for(fake, cache, clock).search(hit)
        assert source_for(fake, cache, clock).search(miss) == []
        clock.advance(8 * DAY, "2026-07-09")
        source_for(fake, cache, clock).search(hit)
        source_for(fake, cache, clock).search(miss)
        assert [r.url.params["query.bibliographic"] for r in fake.requests] == [
            hit.title,
            miss.title,
            miss.title,
        ]

    def test_search_errors_raise_and_are_not_cached(self, fake, cache, clock):
        """A failing search raises SourceError and leaves nothing in the cache."""
        fake.script += [503] * 4
        query = SearchQuery("Self-Attention with Relative Position Representations")
        with pytest.raises(SourceError, match="HTTP 503"):
            source_for(fake, cache, clock).search(query)
        assert cache.keys() == []
        assert source_for(fake, cache, clock).search(query)

    def test_search_error_body_is_a_source_error(self, cache, clock):
        """A 400 validation failure surfaces as SourceError with Crossref's reason."""
        body = load_body(CROSSREF_FIXTURES / "error_400_sample-over-100.json")
        source = source_for(lambda r: httpx.Response(400, json=body), cache, clock)
        with pytest.raises(SourceError, match="integer-not-valid"):
            source.search(SearchQuery("x"))


def test_cache_keys_name_what_was_asked(cache, clock):
    """Entries are keyed by DOI (work, counts) and by the search parameters."""
    fake = FakeCrossref.with_recorded()
    source_for(fake, cache, clock).lookup(["10.1101/097196"])
    assert sorted(cache.keys()) == [
        key_for("crossref", "counts", "10.1101/097196"),
        key_for("crossref", "work", "10.1101/097196"),
    ]
    entry = cache.get(key_for("crossref", "work", "10.1101/097196"))
    assert set(entry["item"]) <= set(WORK_FIELDS) | {"subtype"} and entry["fetched"] == "2026-07-01"
    assert "reference" not in entry["item"]


def test_fake_filter_answers_in_its_own_order(cache, clock):
    """Results are matched on DOI, not position (Crossref sorts lists by its own order)."""
    fake = FakeCrossref.with_recorded()
    result = source_for(fake, cache, clock).lookup(list(reversed(RECORDED_DOIS)))
    assert {k: v.ids.doi for k, v in result.items()} == {d.lower(): d.lower() for d in RECORDED_DOIS}


def test_work_fields_survive_the_cache(cache, clock):
    """A Work rebuilt from the cache equals the one built from the answer (apart from nothing)."""
    fake = FakeCrossref.with_recorded()
    fresh = source_for(fake, cache, clock).lookup(RECORDED_DOIS)
    cached = source_for(fake, cache, clock).lookup(RECORDED_DOIS)
    for doi, work in fresh.items():
        assert dataclasses.asdict(cached[doi]) == dataclasses.asdict(work)
