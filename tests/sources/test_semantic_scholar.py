"""Tests for avenrich.sources.semantic_scholar: builders, parsers over every recorded sample, the source."""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping
from typing import Any

import httpx
import pytest

from avenrich.cache import DAY, HOUR, MemoryJsonCache
from avenrich.errors import SourceError, SourceUnavailable
from avenrich.model import Author, Ids
from avenrich.names import split_name
from avenrich.sources import SearchQuery
from avenrich.sources.semantic_scholar import (
    BATCH_SIZE,
    COUNT_FIELDS,
    FIELDS,
    MAX_SPLITS,
    SemanticScholarSource,
    build_batch_request,
    build_match_params,
    build_search_params,
    choose_venue,
    map_type,
    match_text,
    normalise_key,
    parse_batch,
    parse_match,
    parse_paper,
    parse_search,
)
from fake_apis import S2_FIXTURES, FakeS2, body_files, load_body, meta_of, zero_wait_client

BASE = "https://api.semanticscholar.org/graph/v1"
SENTINEL = "S2-SENTINEL-KEY-9f8e7d6c5b4a"
XGEN = "paper_by-doi_full-fields_10.1016-j.xgen.2025.100814.json"
ARXIV = "paper_by-doi_arxiv-doi_10.48550-arxiv.2312.07559.json"
ATTENTION = "search-match_attention-is-all-you-need.json"


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


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def cache(clock: Clock) -> MemoryJsonCache:
    return MemoryJsonCache(clock)


def source_for(fake, cache, clock, *, key: str | None = None, waits=None) -> SemanticScholarSource:
    """A SemanticScholarSource talking to a fake through a zero-wait client (with the key, if any)."""
    client = zero_wait_client(
        "semantic_scholar",
        BASE,
        fake,
        waits=waits,
        headers={"x-api-key": key} if key else None,
        secrets=(key,) if key else (),
    )
    return SemanticScholarSource(client, cache, offline=False, today=clock.today)


def batch_ids(request: httpx.Request) -> list[str]:
    return json.loads(request.content)["ids"]


# -- builders ---------------------------------------------------------------------------------------------


def test_fields_are_lean():
    """Only what we use: no abstracts, embeddings, citation lists or TLDRs (a batch must stay under 10 MB)."""
    fields = FIELDS.split(",")
    assert set(fields) == {
        "paperId", "corpusId", "externalIds", "title", "year", "venue", "publicationVenue", "journal",
        "authors", "publicationTypes", "publicationDate", "citationCount", "influentialCitationCount", "url",
    }  # fmt: skip
    assert COUNT_FIELDS == "citationCount,influentialCitationCount"


def test_build_batch_request():
    """fields goes in the query string, the ids in the JSON body; 500 at most."""
    assert build_batch_request(["DOI:10.1/a", "ARXIV:2106.01689"]) == (
        {"fields": FIELDS},
        {"ids": ["DOI:10.1/a", "ARXIV:2106.01689"]},
    )
    assert len(build_batch_request([f"CorpusId:{n}" for n in range(BATCH_SIZE)])[1]["ids"]) == 500
    with pytest.raises(ValueError, match="at most 500"):
        build_batch_request([f"CorpusId:{n}" for n in range(BATCH_SIZE + 1)])


@pytest.mark.parametrize(
    ("key", "expected"),
    [
        ("DOI:10.1016/J.XGEN.2025.100814", "DOI:10.1016/j.xgen.2025.100814"),
        ("doi:10.1/x", "DOI:10.1/x"),
        ("arxiv:2106.01689", "ARXIV:2106.01689"),
        ("ACL:P19-1239", "ACL:P19-1239"),
        ("PMCID:PMC7098709", "PMCID:7098709"),
        ("pmcid:7098709", "PMCID:7098709"),
        ("corpusid:470667", "CorpusId:470667"),
        ("204E3073870FAE3D05BCBC2F6A8E263D9B72E776", "204e3073870fae3d05bcbc2f6a8e263d9b72e776"),
        ("10.2139/SSRN.2250500", "10.2139/ssrn.2250500"),
        (" ARXIV:hep-th/9901001 ", "ARXIV:hep-th/9901001"),
        ("Something:else", "Something:else"),
    ],
)
def test_normalise_key(key, expected):
    """Prefixes take the documented spelling; DOIs and paper ids are lowercased; PMC digits only."""
    assert normalise_key(key) == expected


@pytest.mark.parametrize(
    ("title", "expected"),
    [
        ("Audio-Visual Scene Analysis", "Audio Visual Scene Analysis"),
        ("Look, Listen and Learn — a study", "Look, Listen and Learn a study"),
        ("Self-Supervised  <i>Audio</i>\nLearning", "Self Supervised Audio Learning"),
        ("Plain", "Plain"),
    ],
)
def test_match_text_replaces_hyphens(title, expected):
    """Hyphenated terms match nothing in S2's plain-text search, so hyphens become spaces."""
    assert match_text(title) == expected


def test_match_and_search_params():
    """Title match and search ask for our fields; search has a limit; no year filter."""
    query = SearchQuery("Audio-Visual Scene Analysis", 2018, ("Andrew Owens",), "ECCV")
    assert build_match_params(query) == {"query": "Audio Visual Scene Analysis", "fields": FIELDS}
    assert build_search_params(query, 7) == {
        "query": "Audio Visual Scene Analysis",
        "fields": FIELDS,
        "limit": 7,
    }


# -- parsers ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("Noam M. Shazeer", ("Noam M.", "Shazeer")),
        ("Ludwig van Beethoven", ("Ludwig", "van Beethoven")),
        ("Jean de la Fontaine", ("Jean", "de la Fontaine")),
        ("Martin Luther King Jr.", ("Martin Luther", "King")),
        ("Plato", (None, "Plato")),
        ("Shazeer, Noam", ("Noam", "Shazeer")),
        ("Van Morrison", ("Van", "Morrison")),
        ("Jakub L'ala", ("Jakub", "L'ala")),
        ("E. Duflo", ("E.", "Duflo")),
        ("Henry Ford III", ("Henry", "Ford")),
        ("van Gogh", ("van", "Gogh")),
    ],
)
def test_split_name(name, expected):
    """The last word is the family name, with its lowercase particles and without a Jr./III."""
    assert split_name(name) == expected


@pytest.mark.parametrize(
    ("names", "expected"),
    [
        (["Neural Information Processing Systems", "NeurIPS", None], "Neural Information Processing Systems"),
        ([None, "", "Reactions Weekly"], "Reactions Weekly"),
        ([None, "bioRxiv", "Cell Genomics"], "Cell Genomics"),
        ([None, "arXiv.org", "ArXiv"], None),
        (["arXiv.org", "", "Journal of Tests"], "Journal of Tests"),
        ([None, "bioRxiv", None], "bioRxiv"),
        ([None, None, None], None),
    ],
)
def test_choose_venue(names, expected):
    """publicationVenue, venue, then journal; arXiv is no venue; a preprint server yields to a journal."""
    assert choose_venue(names) == expected


@pytest.mark.parametrize(
    ("types", "journal", "arxiv_only", "expected"),
    [
        (["JournalArticle", "Conference"], None, False, "proceedings-article"),
        (["JournalArticle"], "Cell Genomics", False, "journal-article"),
        (["BookSection"], None, False, "book-chapter"),
        (["Book"], None, False, "book"),
        (["Dataset"], None, False, "dataset"),
        (["Review"], "Experimental & Empirical Studies eJournal", False, "journal-article"),
        (["Review"], None, False, None),
        (["Editorial"], "ArXiv", False, None),
        ([], "Reactions Weekly", False, None),
        (["JournalArticle"], "ArXiv", True, "posted-content"),
    ],
)
def test_map_type(types, journal, arxiv_only, expected):
    """S2 types map onto Crossref's vocabulary; vague ones need a journal; arXiv-only is a preprint."""
    assert map_type(types, journal, arxiv_only) == expected


class TestParsePaper:
    """The recorded papers, field by field."""

    def test_journal_paper_with_merged_preprint(self):
        """Cell Genomics: ids from externalIds, the journal (not "bioRxiv") as venue, month from the date."""
        work = parse_paper(load_body(S2_FIXTURES / XGEN))
        assert work.ids == Ids(
            doi="10.1016/j.xgen.2025.100814",
            s2="7e5d4466c8b85f93775fe183e1a318a3e65ac8e4",
            corpus_id=268890006,
            pmcid="PMC12008803",
            pmid="40120586",
        )
        assert (work.venue, work.type, work.year, work.month) == ("Cell Genomics", "journal-article", 2024, 4)
        assert (work.citation_count, work.influential_citation_count, work.volume) == (5, 0, "5")
        assert work.authors[1] == Author(given="Christina M.", family="Kajba", s2_id="2163800172")
        assert work.source == "semantic_scholar" and work.score is None

    def test_arxiv_only_paper(self):
        """arXiv's DataCite DOI stays out of ids.doi; the record is a preprint with no venue or volume."""
        work = parse_paper(load_body(S2_FIXTURES / ARXIV))
        assert work.ids.doi is None and work.ids.arxiv == "2312.07559"
        assert work.ids.dblp == "journals/corr/abs-2312-07559"
        assert (work.type, work.venue, work.volume) == ("posted-content", None, None)
        assert work.type == "posted-content" and work.month == 12

    def test_conference_paper_without_doi(self):
        """Attention: no DOI, arXiv id kept, conference venue, pages from the journal object."""
        item = load_body(S2_FIXTURES / ATTENTION)["data"][0]
        work = parse_paper(item)
        assert work.ids.doi is None and work.ids.arxiv == "1706.03762"
        assert (work.type, work.venue, work.pages) == (
            "proceedings-article",
            "Neural Information Processing Systems",
            "5998-6008",
        )
        assert work.authors[-1] == Author(given="I.", family="Polosukhin", s2_id="3443442")

    def test_batch_entries(self):
        """Nulls, null journals, null publicationTypes and Review types all parse."""
        items = parse_batch(load_body(S2_FIXTURES / "batch_full-fields_with-null-for-unknown-id.json"), 4)
        assert items[0] is None
        works = [parse_paper(i) for i in items[1:]]
        assert [w.ids.doi for w in works] == [
            "10.2139/ssrn.288970",
            "10.2139/ssrn.2250500",
            "10.1257/rct.1355",
        ]
        assert [w.type for w in works] == ["journal-article", None, None]
        assert works[2].venue is None and works[2].month is None and works[0].ids.corpus_id == 470667

    def test_title_only_paper(self):
        """A paper asked with fields=title has only its id and title."""
        work = parse_paper(load_body(S2_FIXTURES / "paper_by-bare-doi-in-path_fields-title.json"))
        assert work.title == "Computing Machinery and Intelligence"
        assert work.ids == Ids(s2="2d5673caa9e6af3a7b82a43f19ee920992db07ad")

    @pytest.mark.parametrize(
        ("item", "reason"),
        [
            ({"error": "Paper with id 0 not found"}, "Paper with id 0 not found"),
            ({"message": "Forbidden"}, "Forbidden"),
            ({"title": "no id"}, "without a paperId"),
            (None, "JSON object"),
        ],
    )
    def test_error_bodies_are_refused(self, item, reason):
        """Error bodies and id-less objects are not papers."""
        with pytest.raises(ValueError, match=reason):
            parse_paper(item)


# Which parser answers each recorded sample, and what it must say.
SAMPLES = {
    "batch_full-fields_with-null-for-unknown-id.json": ("batch", 3),
    "paper_by-bare-doi-in-path_fields-title.json": ("paper", 1),
    "paper_by-doi_arxiv-doi_10.48550-arxiv.2312.07559.json": ("paper", 1),
    "paper_by-doi_full-fields_10.1016-j.xgen.2025.100814.json": ("paper", 1),
    "search-match_200_empty-data.json": ("match", 0),
    "search-match_404_title-match-not-found.json": ("match", 0),
    "search-match_attention-is-all-you-need.json": ("match", 1),
    "search-match_same-title-different-doi.json": ("match", 1),
    "search_turing_limit100_fields-title.json": ("search", 100),
    "search_zero-results_no-data-key.json": ("search", 0),
    "error_400_unsupported-fields.json": ("reject", "Unrecognized or unsupported fields"),
    "error_403_forbidden_with-x-api-key.json": ("reject", "Forbidden"),
    "error_404_paper-doi-not-found.json": ("reject", "Paper with id DOI:10.1101/2024.04.01.587366 not found"),
    "error_404_paper-id-0.json": ("reject", "Paper with id 0 not found"),
}


def test_every_sample_has_an_expectation():
    """The table covers exactly the recorded samples (a new sample needs a decision)."""
    assert {p.name for p in body_files(S2_FIXTURES)} == set(SAMPLES)


@pytest.mark.parametrize("path", body_files(S2_FIXTURES), ids=lambda p: p.name)
def test_every_recorded_sample_parses_or_is_rejected_with_a_reason(path):
    """Papers, batches, matches and search pages parse; every parser refuses error bodies, saying why."""
    body = load_body(path)
    kind, expected = SAMPLES[path.name]
    if kind == "reject":
        assert meta_of(path)["status"] >= 400
        for parse in (parse_paper, parse_match, lambda b: parse_batch(b, 1), parse_search):
            with pytest.raises(ValueError, match=expected):
                parse(body)
    elif kind == "paper":
        assert parse_paper(body).ids.s2 == body["paperId"]
    elif kind == "batch":
        items = parse_batch(body, len(body))
        assert sum(1 for i in items if i is not None) == expected
    elif kind == "match":
        item = parse_match(body)
        assert (item is not None) == bool(expected)
        if item is not None:
            assert parse_paper(item).title and item["matchScore"] > 100
    else:
        pages = parse_search(body)
        assert len(pages) == expected and all(parse_paper(i).title for i in pages)


def test_parse_batch_checks_alignment():
    """A batch answer must be a list as long as the ids sent."""
    with pytest.raises(ValueError, match="1 entries for 2 ids"):
        parse_batch([None], 2)
    with pytest.raises(ValueError, match="batch error"):
        parse_batch({"data": []}, 1)


# -- SemanticScholarSource ----------------------------------------------------------------------------------

KNOWN = {
    "DOI:10.1016/J.XGEN.2025.100814": "7e5d4466c8b85f93775fe183e1a318a3e65ac8e4",
    "ARXIV:2312.07559": "7e55d8701785818776323b4147cb13354c820469",
    "PMCID:12008803": "7e5d4466c8b85f93775fe183e1a318a3e65ac8e4",
    "CorpusId:470667": "c31c87c591a25c64fbaa82e8ac6a81831b6ac7ce",
}


class TestLookup:
    """Batched lookups by id."""

    def test_one_batch_with_nulls_in_place(self, cache, clock):
        """All keys go in one POST with our fields; an unknown id is None; keys stay as given."""
        fake = FakeS2.with_recorded()
        source = source_for(fake, cache, clock)
        result = source.lookup([*KNOWN, "ACL:P99-9999"])
        assert {k: (w.ids.s2 if w else None) for k, w in result.items()} == {**KNOWN, "ACL:P99-9999": None}
        (request,) = fake.requests
        assert request.method == "POST" and request.url.path == "/graph/v1/paper/batch"
        assert request.url.params["fields"] == FIELDS
        assert batch_ids(request) == [normalise_key(k) for k in [*KNOWN, "ACL:P99-9999"]]
        work = result["ARXIV:2312.07559"]
        assert (work.fetched, work.counts_fetched, work.citation_count) == ("2026-07-01", "2026-07-01", 111)
        assert source.failures == {}

    def test_batches_of_five_hundred(self, cache, clock):
        """1200 ids cost three POSTs of 500, 500 and 200."""
        fake = FakeS2()
        result = source_for(fake, cache, clock).lookup([f"CorpusId:{n}" for n in range(1200)])
        assert len(result) == 1200 and set(result.values()) == {None}
        assert [len(batch_ids(r)) for r in fake.requests] == [500, 500, 200]

    def test_same_paper_under_two_spellings_is_asked_once(self, cache, clock):
        """Two spellings of one key are one id in the batch; both input keys get the answer."""
        fake = FakeS2.with_recorded()
        result = source_for(fake, cache, clock).lookup(
            ["doi:10.1016/j.xgen.2025.100814", "DOI:10.1016/J.XGEN.2025.100814"]
        )
        assert len(result) == 2 and len({w.ids.s2 for w in result.values()}) == 1
        assert batch_ids(fake.requests[0]) == ["DOI:10.1016/j.xgen.2025.100814"]

    def test_cached_by_key_and_by_paper_id(self, cache, clock):
        """A next run asks nothing, also when it asks by the paperId learned in the first."""
        fake = FakeS2.with_recorded()
        first = source_for(fake, cache, clock).lookup([*KNOWN, "ACL:P99-9999"])
        source = source_for(fake, cache, clock)
        again = source.lookup([*KNOWN, "ACL:P99-9999", KNOWN["ARXIV:2312.07559"]])
        assert {k: again[k] for k in first} == first
        assert again[KNOWN["ARXIV:2312.07559"]] == first["ARXIV:2312.07559"]
        assert len(fake.requests) == 1
        assert source.stats.as_dict()["semantic_scholar"]["paper/batch"]["cache_hits"] == 6

    def test_bad_request_is_split_to_isolate_the_bad_id(self, cache, clock):
        """A 400 on a batch halves it until the malformed id is alone; the others are answered."""
        fake = FakeS2.with_recorded()
        source = source_for(fake, cache, clock)
        result = source.lookup([*KNOWN, "DOI:malformed"])
        assert set(result) == set(KNOWN)
        assert "HTTP 400" in source.failures["DOI:malformed"] and "Invalid paper id" in source.failures["DOI:malformed"]
        assert len(fake.requests) <= 7

    def test_splitting_is_bounded(self, cache, clock):
        """A source that refuses every batch costs a bounded number of requests, not one per id."""
        source = source_for(lambda r: httpx.Response(400, json={"error": "No valid paper ids given"}), cache, clock)
        calls = source.client.stats
        result = source.lookup([f"CorpusId:{n}" for n in range(500)])
        assert result == {} and len(source.failures) == 500
        assert calls.totals()["semantic_scholar"]["requests"] == 1 + 2 * MAX_SPLITS

    def test_failures_are_reported_and_never_cached(self, cache, clock):
        """A batch that keeps failing: keys absent with the reason, nothing cached, asked again next run."""
        fake = FakeS2.with_recorded()
        fake.script += [503] * 4
        source = source_for(fake, cache, clock)
        assert source.lookup(list(KNOWN)) == {}
        assert set(source.failures) == set(KNOWN) and "HTTP 503" in source.errors[0]
        assert cache.keys() == []
        assert len(source_for(fake, cache, clock).lookup(list(KNOWN))) == 4

    def test_misaligned_answer_is_an_error(self, cache, clock):
        """A batch answer of the wrong length cannot be matched to the ids: failure, not a guess."""
        source = source_for(lambda r: httpx.Response(200, json=[None]), cache, clock)
        assert source.lookup(["CorpusId:1", "CorpusId:2"]) == {}
        assert "1 entries for 2 ids" in source.failures["CorpusId:1"]

    def test_counts_refresh_is_one_lean_post_per_500(self, cache, clock):
        """The next night: stale counts cost one POST asking only for the counts."""
        fake = FakeS2.with_recorded()
        source_for(fake, cache, clock).lookup(list(KNOWN))
        for item in fake.papers.values():
            item["citationCount"] = 999
        clock.advance(21 * HOUR, "2026-07-02")
        source = source_for(fake, cache, clock)
        result = source.lookup(list(KNOWN))
        (refresh,) = fake.requests[1:]
        assert refresh.url.params["fields"] == COUNT_FIELDS
        assert sorted(batch_ids(refresh)) == sorted(set(KNOWN.values()))
        work = result["ARXIV:2312.07559"]
        assert (work.citation_count, work.counts_fetched, work.fetched) == (999, "2026-07-02", "2026-07-01")
        assert source.stats.as_dict()["semantic_scholar"]["paper/batch-counts"]["requests"] == 1

    def test_deferred_counts_wait_for_one_refresh_of_the_asked_papers(self, cache, clock):
        """refresh_counts=False returns last night's counts at no cost; refresh_counts(paperIds) then asks for
        just those papers in one lean POST, and never twice."""
        fake = FakeS2.with_recorded()
        source_for(fake, cache, clock).lookup(list(KNOWN))
        for item in fake.papers.values():
            item["citationCount"] = 999
        clock.advance(21 * HOUR, "2026-07-02")
        source = source_for(fake, cache, clock)
        waiting = source.lookup(list(KNOWN), refresh_counts=False)
        assert len(fake.requests) == 1
        old = waiting["ARXIV:2312.07559"]
        assert old.citation_count != 999 and old.counts_fetched == "2026-07-01"
        batches: list[Mapping[str, Any]] = []
        fresh = source.refresh_counts([old.ids.s2, "0" * 40], batches.append)
        (refresh,) = fake.requests[1:]
        assert batches == [fresh]
        assert refresh.url.params["fields"] == COUNT_FIELDS and batch_ids(refresh) == [old.ids.s2]
        assert set(fresh) == {old.ids.s2}
        assert (fresh[old.ids.s2].citation_count, fresh[old.ids.s2].counts_fetched) == (999, "2026-07-02")
        assert source.refresh_counts([old.ids.s2]) == {} and len(fake.requests) == 2

    def test_not_found_expires_after_a_week(self, cache, clock):
        """A null is remembered for NOT_FOUND_TTL, then asked again."""
        fake = FakeS2()
        source_for(fake, cache, clock).lookup(["ACL:P99-9999"])
        clock.advance(6 * DAY, "2026-07-07")
        source_for(fake, cache, clock).lookup(["ACL:P99-9999"])
        assert len(fake.requests) == 1
        clock.advance(2 * DAY, "2026-07-09")
        source_for(fake, cache, clock).lookup(["ACL:P99-9999"])
        assert len(fake.requests) == 2

    def test_offline_reads_only_the_cache(self, cache, clock):
        """Offline: cached papers and nulls answer, misses are absent with the reason, search refuses."""
        source_for(FakeS2.with_recorded(), cache, clock).lookup(["ARXIV:2312.07559", "ACL:P99-9999"])
        offline = SemanticScholarSource(None, cache, offline=True, today=clock.today)
        result = offline.lookup(["ARXIV:2312.07559", "ACL:P99-9999", "ARXIV:1706.03762"])
        assert result["ARXIV:2312.07559"].ids.arxiv == "2312.07559" and result["ACL:P99-9999"] is None
        assert offline.failures == {"ARXIV:1706.03762": "offline: not in the cache"}
        with pytest.raises(SourceUnavailable, match="offline"):
            offline.match(SearchQuery("Attention is All you Need"))

    def test_unreachable_s2_is_given_up_at_once(self, cache, clock):
        """Connection refused: lookups and matches stop after three connection attempts in all."""
        fake = FakeS2.with_recorded()
        fake.down = httpx.ConnectError("[Errno 111] Connection refused")
        source = source_for(fake, cache, clock)
        assert source.lookup(["ARXIV:2312.07559"]) == {}
        for _ in range(5):
            with pytest.raises(SourceError):
                source.match(SearchQuery("Attention is All you Need"))
        assert len(fake.requests) == 3
        assert source.client.unavailable_reason.startswith("semantic_scholar unreachable (connection refused)")


class TestMatch:
    """Title match: one best candidate or None."""

    def test_match_returns_the_candidate_with_its_score(self, cache, clock):
        """A match is a Work with score = matchScore; the request carries our fields and a plain query."""
        fake = FakeS2.with_recorded()
        work = source_for(fake, cache, clock).match(SearchQuery("Attention is All you Need", 2017))
        assert work.ids.arxiv == "1706.03762" and work.score == pytest.approx(133.32033)
        (request,) = fake.requests
        assert request.url.path == "/graph/v1/paper/search/match"
        assert request.url.params["query"] == "Attention is All you Need"
        assert request.url.params["fields"] == FIELDS and "year" not in request.url.params

    def test_hyphens_are_sent_as_spaces(self, cache, clock):
        """A hyphenated title still matches (the fake, like S2, finds nothing for hyphenated terms)."""
        fake = FakeS2.with_recorded()
        item = load_body(S2_FIXTURES / ATTENTION)["data"][0]
        fake.add_match("Self Supervised Audio Visual Learning", item)
        assert source_for(fake, cache, clock).match(SearchQuery("Self-Supervised Audio-Visual Learning"))
        assert fake.requests[0].url.params["query"] == "Self Supervised Audio Visual Learning"

    @pytest.mark.parametrize(
        "answer",
        [
            httpx.Response(404, json=load_body(S2_FIXTURES / "search-match_404_title-match-not-found.json")),
            httpx.Response(200, json=load_body(S2_FIXTURES / "search-match_200_empty-data.json")),
        ],
        ids=["404", "200-empty"],
    )
    def test_both_no_match_shapes_are_none_and_cached(self, answer, cache, clock):
        """404 "Title match not found" and 200 {"data": []} both mean no match, remembered for a week."""
        calls = []

        def handler(request: httpx.Request) -> httpx.Response:
            calls.append(request)
            return answer

        assert source_for(handler, cache, clock).match(SearchQuery("abs12032jsdafn")) is None
        assert source_for(handler, cache, clock).match(SearchQuery("abs12032jsdafn")) is None
        assert len(calls) == 1
        clock.advance(8 * DAY, "2026-07-09")
        source_for(handler, cache, clock).match(SearchQuery("abs12032jsdafn"))
        assert len(calls) == 2

    def test_a_match_is_cached_and_seeds_lookups(self, cache, clock):
        """The same match again, and a lookup by the matched paperId, cost nothing."""
        fake = FakeS2.with_recorded()
        work = source_for(fake, cache, clock).match(SearchQuery("Attention is All you Need"))
        source = source_for(fake, cache, clock)
        assert source.match(SearchQuery("Attention is All you Need")) == work
        looked_up = source.lookup([work.ids.s2])[work.ids.s2]
        assert looked_up.title == work.title and looked_up.score is None
        assert len(fake.requests) == 1

    def test_other_404s_are_errors(self, cache, clock):
        """A 404 that is not S2's "Title match not found" (wrong URL) raises and is not cached."""
        source = source_for(
            lambda r: httpx.Response(404, json={"message": "Missing Authentication Token"}), cache, clock
        )
        with pytest.raises(SourceError, match="Missing Authentication Token"):
            source.match(SearchQuery("Anything"))
        assert cache.keys() == []

    def test_errors_raise_and_are_not_cached(self, cache, clock):
        """A 503 storm raises SourceError; the next run asks again."""
        fake = FakeS2.with_recorded()
        fake.script += [503] * 4
        with pytest.raises(SourceError, match="HTTP 503"):
            source_for(fake, cache, clock).match(SearchQuery("Attention is All you Need"))
        assert cache.keys() == []
        assert source_for(fake, cache, clock).match(SearchQuery("Attention is All you Need"))


class TestSearch:
    """Relevance search."""

    def test_zero_results_without_data_key(self, cache, clock):
        """{"total": 0, "offset": 0} is an empty result."""
        fake = FakeS2()
        assert source_for(fake, cache, clock).search(SearchQuery("n0 r3sult s3arch t3rm")) == []
        (request,) = fake.requests
        assert request.url.path == "/graph/v1/paper/search" and request.url.params["limit"] == "5"

    def test_results_are_works_and_cached(self, cache, clock):
        """Search hits become Works (no score), cached with the query."""
        fake = FakeS2.with_recorded()
        fake.searches["attention is all you need"] = [load_body(S2_FIXTURES / ATTENTION)["data"][0]]
        first = source_for(fake, cache, clock).search(SearchQuery("Attention is All you Need"), limit=3)
        assert [w.ids.arxiv for w in first] == ["1706.03762"] and first[0].score is None
        assert source_for(fake, cache, clock).search(SearchQuery("Attention is All you Need"), limit=3) == first
        assert len(fake.requests) == 1


class TestKey:
    """The API key: sent where it belongs, nowhere else."""

    def test_key_only_in_the_header(self, cache, clock):
        """With a key: x-api-key on every request, never in a URL; the fake refuses requests without it."""
        fake = FakeS2.with_recorded(api_key=SENTINEL)
        source = source_for(fake, cache, clock, key=SENTINEL)
        source.lookup(["ARXIV:2312.07559"])
        source.match(SearchQuery("Attention is All you Need"))
        assert all(r.headers["x-api-key"] == SENTINEL for r in fake.requests)
        assert all(SENTINEL not in str(r.url) for r in fake.requests)

    def test_no_key_no_header(self, cache, clock):
        """Without a key no x-api-key header is sent at all."""
        fake = FakeS2.with_recorded()
        source_for(fake, cache, clock).lookup(["ARXIV:2312.07559"])
        assert "x-api-key" not in fake.requests[0].headers

    def test_key_never_reaches_cache_errors_stats_or_logs(self, cache, clock, caplog):
        """A sentinel key leaves no trace in cache keys or values, exception texts, stats or log lines."""
        caplog.set_level(logging.DEBUG, logger="avenrich.sources")
        fake = FakeS2.with_recorded()
        source = source_for(fake, cache, clock, key=SENTINEL)
        source.lookup([*KNOWN, "ACL:P99-9999"])
        source.match(SearchQuery("Attention is All you Need"))
        source.search(SearchQuery("nothing here"))
        fake.script.append(httpx.Response(403, json={"message": f"Forbidden for key {SENTINEL}"}))
        with pytest.raises(SourceError) as caught:
            source.match(SearchQuery("Another title"))
        texts = [
            f"{caught.value} {caught.value!r} {caught.value.url}",
            json.dumps(source.stats.as_dict()),
            caplog.text,
            " ".join(source.errors),
            json.dumps(source.failures),
        ]
        stored = cache.keys()
        texts += stored + [json.dumps(cache.get(k)) for k in stored]
        assert len(stored) > 5
        assert not [t for t in texts if SENTINEL in t]
