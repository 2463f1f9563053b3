"""Tests of the fake Crossref / Semantic Scholar servers and their world, with plain httpx (not avenrich)."""

from __future__ import annotations

import contextlib
import json
import socket
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest

from fake_servers import CROSSREF, FAULT_KINDS, S2, FakeApis, FaultPlan
from world import ABSENT, Expected, FakePaper, FakeWorld, build_bundled_world, generate_list

BUNDLED = Path(__file__).resolve().parents[1] / "src" / "avenrich" / "data" / "awesome-audiovisual-learning.md"

# Key sets taken from the recorded real responses in the project's shared inputs (api-samples/crossref/
# work_*.json and works_*.json, api-samples/s2/*.json; origins in that folder's PROVENANCE.md). Only key
# names are copied here, no payloads.
CROSSREF_WORK_KEYS_ALWAYS = {
    "DOI", "URL", "author", "container-title", "content-domain", "created", "deposited", "indexed",
    "is-referenced-by-count", "issued", "link", "member", "original-title", "prefix", "publisher",
    "reference-count", "references-count", "relation", "resource", "score", "short-container-title",
    "short-title", "source", "subtitle", "title", "type",
}  # fmt: skip
CROSSREF_WORK_KEYS_SEEN = CROSSREF_WORK_KEYS_ALWAYS | {
    "ISBN", "ISSN", "abstract", "accepted", "aliases", "alternative-id", "archive", "article-number",
    "assertion", "editor", "event", "funder", "group-title", "institution", "isbn-type", "issn-type", "issue",
    "journal-issue", "language", "license", "page", "posted", "published", "published-online",
    "published-print", "publisher-location", "reference", "special_numbering", "subject", "subtype",
    "update-policy", "updated-by", "volume",
    "update-to",  # documented in the Crossref format (correction notices), not in the recordings
}  # fmt: skip
CROSSREF_AUTHOR_KEYS = {
    "ORCID",
    "affiliation",
    "authenticated-orcid",
    "family",
    "given",
    "role",
    "sequence",
    "name",
}
S2_BATCH_FIELDS = (
    "abstract,authors,citationCount,citationStyles,corpusId,externalIds,fieldsOfStudy,influentialCitationCount,"
    "isOpenAccess,journal,openAccessPdf,paperId,publicationDate,publicationTypes,publicationVenue,referenceCount,"
    "s2FieldsOfStudy,title,url,venue,year"
)
S2_BATCH_ITEM_KEYS = [
    "paperId", "externalIds", "corpusId", "publicationVenue", "url", "title", "abstract", "venue", "year",
    "referenceCount", "citationCount", "influentialCitationCount", "isOpenAccess", "openAccessPdf",
    "fieldsOfStudy", "s2FieldsOfStudy", "publicationTypes", "publicationDate", "journal", "citationStyles",
    "authors",
]  # fmt: skip
S2_PAPERQA_FIELDS = (
    "authors,citationCount,citationStyles,externalIds,influentialCitationCount,isOpenAccess,journal,"
    "openAccessPdf,publicationDate,publicationTypes,title,url,venue,year"
)
S2_MATCH_ITEM_KEYS = [
    "paperId", "externalIds", "url", "title", "venue", "year", "citationCount", "influentialCitationCount",
    "isOpenAccess", "openAccessPdf", "publicationTypes", "publicationDate", "journal", "citationStyles",
    "authors", "matchScore",
]  # fmt: skip
S2_EXTERNAL_ID_KEYS = {"DOI", "ArXiv", "DBLP", "MAG", "ACL", "PubMed", "PubMedCentral", "CorpusId"}


@pytest.fixture(scope="module")
def world() -> FakeWorld:
    return build_bundled_world(BUNDLED.read_text(encoding="utf-8")).prepare()


@pytest.fixture(scope="module")
def apis(world: FakeWorld) -> Iterator[FakeApis]:
    with FakeApis(world) as running:
        yield running
    assert running.internal_errors == []


@pytest.fixture(scope="module")
def client() -> Iterator[httpx.Client]:
    with httpx.Client(timeout=5) as c:
        yield c


def first(world: FakeWorld, **wanted: object) -> FakePaper:
    """The first Crossref record with the given field values."""
    return next(p for p in world.crossref_papers if all(getattr(p, k) == v for k, v in wanted.items()))


def expected_links(world: FakeWorld) -> dict[str, Expected]:
    return {url: e for url, e in world.truth.items() if isinstance(e, Expected)}


# ---------------------------------------------------------------------------------------------------
# The world
# ---------------------------------------------------------------------------------------------------


class TestWorld:
    def test_every_bundled_link_has_a_truth(self, world: FakeWorld):
        """All 187 distinct links of the bundled list get expected ids or "absent" (3-5 absent)."""
        assert len(world.truth) == 187
        absent = [url for url, e in world.truth.items() if e == ABSENT]
        assert 3 <= len(absent) <= 5
        assert any("drive.google.com" in url for url in absent)

    def test_expected_ids_are_served(self, world: FakeWorld):
        """Each expected DOI is a Crossref record and each expected S2 id an S2 record, of one same paper."""
        for url, expected in expected_links(world).items():
            if expected.doi:
                record = world.crossref_get(expected.doi)
                assert isinstance(record, FakePaper) and record.role == "true", url
            if expected.s2:
                paper = world.s2_get(expected.s2)
                assert paper is not None and paper.role == "true", url
                assert expected.doi is None or paper.doi_lower == expected.doi
            assert expected.doi or expected.s2, url

    @pytest.mark.parametrize(
        ("fixed", "typo"),
        [
            ("MakeItTalk: Speaker-Aware", "Makelttalk"),
            ("Multimodal Sparse Transformer Network for Audio-Visual", "V\\v"),
        ],
    )
    def test_index_holds_real_titles(self, world: FakeWorld, fixed: str, typo: str):
        """The list's typos are fixed in the index: the fixed title is there, the typo is not."""
        titles = [p.title for p in world.papers]
        assert any(t.startswith(fixed) for t in titles)
        assert not any(typo in t for t in titles)

    def test_hostile_decoys_surround_true_papers(self, world: FakeWorld):
        """Every decoy kind is present, and some decoys carry exactly a true paper's title."""
        roles = world.summary()
        for role in (
            "preprint",
            "correction",
            "supplement",
            "other_authors",
            "near_miss",
            "peer_review",
            "alias",
        ):
            assert roles.get(role, 0) > 0, role
        true_titles = {p.title for p in world.papers if p.role == "true"}
        same_title = [p for p in world.papers if p.role in {"other_authors", "peer_review"} and p.title in true_titles]
        assert same_title
        assert any(p.title.startswith(("Correction to: ", "Corrections to ")) for p in world.papers)

    def test_arxiv_links_with_published_versions(self, world: FakeWorld):
        """About half the arXiv links also have a venue DOI, which Crossref links with has-preprint."""
        arxiv = [e for e in expected_links(world).values() if e.host == "arxiv"]
        published = [e for e in arxiv if e.doi]
        assert 0.25 <= len(published) / len(arxiv) <= 0.75
        record = world.crossref_get(published[0].doi or "")
        assert isinstance(record, FakePaper)
        assert ("has-preprint", f"10.48550/arXiv.{published[0].arxiv}") in record.relations

    def test_arxiv_only_doi_rule(self):
        """An arXiv-only paper accepts None or its DataCite DOI; a venue DOI must match exactly."""
        arxiv_only = Expected(None, "2106.01689", "a" * 40)
        assert arxiv_only.doi_ok(None) and arxiv_only.doi_ok("10.48550/ARXIV.2106.01689")
        assert not arxiv_only.doi_ok("10.1109/cvpr.2021.00001")
        venue = Expected("10.1109/cvpr.2021.00001", "2106.01689", "a" * 40)
        assert venue.doi_ok("10.1109/CVPR.2021.00001") and not venue.doi_ok(None)

    def test_generated_list_is_deterministic_and_mixed(self):
        """generate_list: same list and truth for a seed, another list for another seed, all link kinds."""
        markdown, generated = generate_list(400, seed=3)
        again, generated_again = generate_list(400, seed=3)
        other, _ = generate_list(400, seed=4)
        assert markdown == again and generated.truth == generated_again.truth
        assert markdown != other
        assert len(generated.truth) == 400
        hosts = set(generated.link_hosts.values())
        assert {"arxiv", "cvf", "ieee", "neurips", "other"} <= hosts
        assert markdown.count("\n## ") >= 1 and markdown.count("\n#### ") >= 10


# ---------------------------------------------------------------------------------------------------
# Crossref
# ---------------------------------------------------------------------------------------------------


class TestCrossref:
    @pytest.mark.parametrize("kind", ["journal-article", "proceedings-article", "book-chapter", "posted-content"])
    def test_work_shape_matches_recordings(self, world: FakeWorld, apis: FakeApis, client: httpx.Client, kind: str):
        """GET /works/{doi}: the envelope and keys of the recorded works, DOI lowercased, title a list."""
        paper = first(world, type=kind)
        answer = client.get(f"{apis.crossref_url}/works/{paper.doi}")
        assert answer.status_code == 200
        body = answer.json()
        assert set(body) == {"status", "message-type", "message-version", "message"}
        assert body["message-type"] == "work"
        message = body["message"]
        assert CROSSREF_WORK_KEYS_ALWAYS <= set(message) <= CROSSREF_WORK_KEYS_SEEN
        assert message["DOI"] == (paper.doi or "").lower()
        assert isinstance(message["title"], list) and isinstance(message["container-title"], list)
        assert isinstance(message["issued"]["date-parts"][0], list)
        for author in message["author"]:
            assert set(author) <= CROSSREF_AUTHOR_KEYS and author["sequence"] in {"first", "additional"}

    @pytest.mark.parametrize("kind", ["component", "peer-review"])
    def test_non_papers_keep_recorded_keys(self, world: FakeWorld, apis: FakeApis, client: httpx.Client, kind: str):
        """Components and peer reviews are served with keys the real API uses, and their own type."""
        paper = first(world, type=kind)
        message = client.get(f"{apis.crossref_url}/works/{paper.doi}").json()["message"]
        assert set(message) <= CROSSREF_WORK_KEYS_SEEN and message["type"] == kind

    def test_doi_encoded_or_upper_case(self, world: FakeWorld, apis: FakeApis, client: httpx.Client):
        """A %2F-encoded or upper-cased DOI finds the same work."""
        doi = first(world, type="proceedings-article").doi or ""
        encoded = client.get(f"{apis.crossref_url}/works/{doi.upper().replace('/', '%2F')}")
        assert encoded.status_code == 200 and encoded.json()["message"]["DOI"] == doi.lower()

    @pytest.mark.parametrize("doi", ["10.1371/notarealdoi", "10.48550/arXiv.1709.04343"])
    def test_unknown_doi_is_plain_text_404(self, apis: FakeApis, client: httpx.Client, doi: str):
        """Unknown and DataCite (arXiv) DOIs answer 404 text/plain "Resource not found.", not JSON."""
        answer = client.get(f"{apis.crossref_url}/works/{doi}")
        assert answer.status_code == 404
        assert answer.headers["content-type"] == "text/plain" and answer.text == "Resource not found."

    def test_alias_answers_relative_301(self, world: FakeWorld, apis: FakeApis, client: httpx.Client):
        """An aliased DOI answers 301, relative Location, no body; following it gives the canonical work."""
        alias = next(p for p in world.papers if p.alias_of)
        answer = client.get(f"{apis.crossref_url}/works/{alias.doi}")
        assert answer.status_code == 301 and answer.content == b""
        assert answer.headers["location"] == f"/works/{alias.alias_of}"
        followed = client.get(f"{apis.crossref_url}/works/{alias.doi}", follow_redirects=True)
        assert followed.json()["message"]["DOI"] == alias.alias_of
        assert followed.json()["message"]["aliases"] == [(alias.doi or "").lower()]

    def test_field_query_on_single_route_is_400(self, world: FakeWorld, apis: FakeApis, client: httpx.Client):
        """Field queries are refused on /works/{doi}, with the recorded validation-failure envelope."""
        doi = first(world, type="journal-article").doi
        answer = client.get(f"{apis.crossref_url}/works/{doi}", params={"query.author": "x"})
        assert answer.status_code == 400
        assert answer.json()["message"][0]["type"] == "parameter-not-allowed"

    @pytest.mark.parametrize(
        ("user_agent", "params", "path", "pool", "limit"),
        [
            ("avenrich/0.1 (mailto:a@b.org)", {}, "/works/10.1/x", "polite-single", "10"),
            ("avenrich/0.1", {"mailto": "a@b.org"}, "/works?filter=doi:10.1/x", "polite-array", "3"),
            ("avenrich/0.1", {}, "/works/10.1/x", "public-single", "5"),
            ("avenrich/0.1", {}, "/works?query.bibliographic=sound", "public-array", "1"),
        ],
    )
    def test_pool_headers(self, apis: FakeApis, client: httpx.Client, user_agent, params, path, pool, limit):
        """x-api-pool follows the mailto (User-Agent or parameter) and the route kind; limits as documented"""
        answer = client.get(f"{apis.crossref_url}{path}", params=params, headers={"User-Agent": user_agent})
        assert answer.headers["x-api-pool"] == pool
        assert answer.headers["x-rate-limit-limit"] == limit
        assert answer.headers["x-rate-limit-interval"] == "1s"
        assert answer.headers["x-concurrency-limit"] in {"1", "3"}

    def test_doi_filter_is_or_in_foreign_order(self, world: FakeWorld, apis: FakeApis, client: httpx.Client):
        """filter=doi:A,doi:B,... returns the known DOIs (OR), unknown ones absent, not in the asked order."""
        dois = [(p.doi or "").lower() for p in world.crossref_papers if p.role == "true"][:12]
        asked = [*dois, "10.9999/unknown"]
        answer = client.get(
            f"{apis.crossref_url}/works",
            params={"filter": ",".join(f"doi:{d}" for d in asked), "rows": 20, "select": "DOI,title"},
        )
        message = answer.json()["message"]
        got = [item["DOI"] for item in message["items"]]
        assert sorted(got) == sorted(dois) and message["total-results"] == 12
        assert got != dois
        assert all(set(item) == {"DOI", "title"} for item in message["items"])
        assert apis.records[-1].endpoint == "filter" and apis.records[-1].ids == 13

    def test_query_always_answers_even_for_absent_papers(self, world: FakeWorld, apis: FakeApis, client: httpx.Client):
        """query.bibliographic for a paper no index holds still returns ranked items, all of them wrong."""
        url = next(u for u, e in world.truth.items() if e == ABSENT and "drive.google" not in u)
        title = next(t for u, t, _ in world.links if u == url)
        answer = client.get(f"{apis.crossref_url}/works", params={"query.bibliographic": title, "rows": 5})
        message = answer.json()["message"]
        assert set(message) == {"facets", "total-results", "items", "items-per-page", "query"}
        assert message["query"] == {"start-index": 0, "search-terms": None}
        assert 1 <= len(message["items"]) <= 5 and message["total-results"] >= len(message["items"])
        scores = [item["score"] for item in message["items"]]
        assert scores == sorted(scores, reverse=True)
        roles = {world.crossref_by_doi[item["DOI"]].role for item in message["items"]}
        assert "true" not in roles or len(roles) > 1

    def test_query_finds_true_paper_among_decoys(self, world: FakeWorld, apis: FakeApis, client: httpx.Client):
        """A title+year query ranks the true paper in the first rows (decoys may come first)."""
        paper = next(p for p in world.crossref_papers if p.role == "true" and p.type == "proceedings-article")
        answer = client.get(
            f"{apis.crossref_url}/works",
            params={"query.bibliographic": f"{paper.title} {paper.year}", "rows": 5, "select": "DOI,score"},
        )
        assert (paper.doi or "").lower() in [item["DOI"] for item in answer.json()["message"]["items"]]

    @pytest.mark.parametrize(
        ("params", "kind"),
        [
            ({"rows": "1001"}, "integer-not-valid"),
            ({"rows": "ten"}, "integer-not-valid"),
            ({"filter": "colour:blue"}, "filter-not-available"),
            ({"select": "DOI,nonsense"}, "select-field-invalid"),
        ],
    )
    def test_list_validation_failures(self, apis: FakeApis, client: httpx.Client, params, kind):
        """Bad list parameters answer 400 with a validation-failure message, as the real API does."""
        answer = client.get(f"{apis.crossref_url}/works", params=params)
        assert answer.status_code == 400 and answer.json()["message"][0]["type"] == kind


# ---------------------------------------------------------------------------------------------------
# Semantic Scholar
# ---------------------------------------------------------------------------------------------------


class TestSemanticScholar:
    def test_batch_keys_and_order_match_recording(self, world: FakeWorld, apis: FakeApis, client: httpx.Client):
        """POST /paper/batch with the recorded field list returns the recorded keys in the recorded order."""
        paper_id = next(e.s2 for e in expected_links(world).values() if e.s2)
        answer = client.post(f"{apis.s2_url}/paper/batch", params={"fields": S2_BATCH_FIELDS}, json={"ids": [paper_id]})
        item = answer.json()[0]
        assert list(item) == S2_BATCH_ITEM_KEYS
        assert set(item["externalIds"]) <= S2_EXTERNAL_ID_KEYS
        assert all(set(a) == {"authorId", "name"} for a in item["authors"])

    def test_batch_aligned_with_nulls(self, world: FakeWorld, apis: FakeApis, client: httpx.Client):
        """Every id form resolves in place; unknown ids come back as null at their position."""
        acl = next(p for p in world.s2_papers if p.acl and p.role == "true")
        pmc = next(p for p in world.s2_papers if p.pmcid)
        arxiv = next(p for p in world.s2_papers if p.arxiv and p.role == "true")
        doi = next(p for p in world.s2_papers if p.doi and p.role == "true")
        ids = [
            "DOI:10.9999/unknown", acl.paper_id, f"DOI:{doi.doi}", doi.doi or "", f"ARXIV:{arxiv.arxiv}",
            f"ACL:{acl.acl}", f"PMCID:{(pmc.pmcid or '').removeprefix('PMC')}", f"CorpusId:{arxiv.corpus_id}",
            "ARXIV:0000.00000",
        ]  # fmt: skip
        answer = client.post(f"{apis.s2_url}/paper/batch", params={"fields": "externalIds"}, json={"ids": ids})
        got = [item and item["paperId"] for item in answer.json()]
        wanted = [None, acl.paper_id, doi.paper_id, doi.paper_id, arxiv.paper_id, acl.paper_id, pmc.paper_id]
        assert got == [*wanted, arxiv.paper_id, None]

    @pytest.mark.parametrize(
        ("body", "params", "fragment"),
        [
            ({"ids": ["x"] * 501}, {}, "500"),
            ({"paper_ids": []}, {}, "ids"),
            ({"ids": ["x"]}, {"fields": "title,unknown"}, "Unrecognized or unsupported fields: [unknown]"),
        ],
    )
    def test_batch_refusals(self, apis: FakeApis, client: httpx.Client, body, params, fragment):
        """Over 500 ids, a body without ids, and unknown fields answer 400 {"error": ...}."""
        answer = client.post(f"{apis.s2_url}/paper/batch", params=params, json=body)
        assert answer.status_code == 400 and fragment in answer.json()["error"]

    def test_paper_by_bare_doi_and_404(self, world: FakeWorld, apis: FakeApis, client: httpx.Client):
        """GET /paper/{id} takes a bare DOI in the path; unknown ids answer the recorded 404 body."""
        paper = next(p for p in world.s2_papers if p.doi and p.role == "true")
        found = client.get(f"{apis.s2_url}/paper/{paper.doi}", params={"fields": "title"})
        assert found.json() == {"paperId": paper.paper_id, "title": paper.title}
        missing = client.get(f"{apis.s2_url}/paper/DOI:10.1101/2024.04.01.587366")
        assert missing.status_code == 404
        assert missing.json() == {"error": "Paper with id DOI:10.1101/2024.04.01.587366 not found"}

    def test_match_shape_matches_recording(self, world: FakeWorld, apis: FakeApis, client: httpx.Client):
        """search/match returns {"data": [one item]} with the recorded keys and matchScore last."""
        paper = next(p for p in world.s2_papers if p.role == "true" and "-" in p.title)
        answer = client.get(
            f"{apis.s2_url}/paper/search/match", params={"query": paper.title, "fields": S2_PAPERQA_FIELDS}
        )
        item = answer.json()["data"][0]
        assert list(item) == S2_MATCH_ITEM_KEYS and item["matchScore"] > 0
        assert item["title"] == paper.title  # the true paper or a same-titled decoy

    def test_match_returns_a_decoy_when_the_paper_is_absent(
        self, world: FakeWorld, apis: FakeApis, client: httpx.Client
    ):
        """For a paper S2 does not hold, match still answers with a look-alike (near-miss or same title)."""
        url = next(u for u, e in world.truth.items() if e == ABSENT and "drive.google" not in u)
        title = next(t for u, t, _ in world.links if u == url)
        answer = client.get(f"{apis.s2_url}/paper/search/match", params={"query": title})
        assert answer.status_code == 200
        match = world.s2_get(answer.json()["data"][0]["paperId"])
        assert match is not None and match.role != "true"

    def test_match_not_found(self, apis: FakeApis, client: httpx.Client):
        """Nothing remotely similar: 404 {"error":"Title match not found"}."""
        answer = client.get(f"{apis.s2_url}/paper/search/match", params={"query": "abs12032jsdafn"})
        assert answer.status_code == 404 and answer.json() == {"error": "Title match not found"}

    @pytest.mark.parametrize(
        ("query", "empty"),
        [("audio visual speech", False), ("n0 r3sult s3arch t3rm", True), ("audio-visual speech", True)],
    )
    def test_search_shapes(self, apis: FakeApis, client: httpx.Client, query: str, empty: bool):
        """/paper/search pages {total, offset, next, data}; no hit or hyphenated term: {total:0, offset:0}"""
        answer = client.get(f"{apis.s2_url}/paper/search", params={"query": query, "fields": "title", "limit": 3})
        body = answer.json()
        if empty:
            assert body == {"total": 0, "offset": 0}
        else:
            assert set(body) == {"total", "offset", "next", "data"} and len(body["data"]) == 3

    def test_api_key_recorded_only_as_presence(self, apis: FakeApis, client: httpx.Client):
        """x-api-key is recorded as "present", and its value appears nowhere in the counters."""
        sentinel = "SENTINEL-KEY-0123456789"
        client.get(f"{apis.s2_url}/paper/search/match", params={"query": "sound"}, headers={"x-api-key": sentinel})
        client.get(f"{apis.s2_url}/paper/search/match", params={"query": "sound"})
        assert [r.key_present for r in apis.records[-2:]] == [True, False]
        assert sentinel not in repr(apis.records) + repr(apis.summary()) + repr(apis.requests)


# ---------------------------------------------------------------------------------------------------
# Rate limits
# ---------------------------------------------------------------------------------------------------


class TestLimits:
    def test_rate_burst_gets_429(self, world: FakeWorld):
        """Beyond the per-second rate of a kind, Crossref answers HTML 429s; the counters show the burst."""
        with FakeApis(world, crossref_limits=(5, 100, 100)) as apis, httpx.Client() as c:
            statuses = [c.get(f"{apis.crossref_url}/works/10.1/x{i}").status_code for i in range(10)]
            listed = c.get(f"{apis.crossref_url}/works", params={"filter": "doi:10.1/x"})
        assert statuses == [404] * 5 + [429] * 5
        assert listed.status_code == 200  # lists have their own ceiling
        assert apis.count_429 == 5 and apis.rate_limited[CROSSREF] == 5
        assert apis.max_per_second[CROSSREF]["single"] == 10 and apis.max_per_second[CROSSREF]["list"] == 1
        assert apis.counts[(CROSSREF, "work")] == 10

    def test_concurrency_cap_gets_429(self, world: FakeWorld):
        """Requests beyond the concurrency cap answer S2's JSON 429 while the first ones hold their slots."""
        with FakeApis(world, s2_limits=(100, 2), latency=0.8) as apis, httpx.Client() as c:
            barrier = threading.Barrier(5)

            def call(i: int) -> httpx.Response:
                barrier.wait()
                return c.get(f"{apis.s2_url}/paper/CorpusId:{i}")

            with ThreadPoolExecutor(5) as pool:
                answers = list(pool.map(call, range(5)))
        limited = [a for a in answers if a.status_code == 429]
        assert len(limited) == 3 and limited[0].json()["code"] == "429"
        assert apis.max_in_flight[S2] >= 3 and apis.rate_limited[S2] == 3

    def test_paced_client_sees_no_429(self, world: FakeWorld):
        """A client spacing its requests at exactly the permitted rate is never refused."""
        with FakeApis(world, s2_limits=(4, 1)) as apis, httpx.Client() as c:
            start = time.monotonic()
            for i in range(7):
                time.sleep(max(0.0, start + i * 0.25 - time.monotonic()))
                c.get(f"{apis.s2_url}/paper/CorpusId:{i}")
        assert apis.count_429 == 0 and apis.max_per_second[S2]["all"] <= 4 and apis.max_in_flight[S2] == 1


# ---------------------------------------------------------------------------------------------------
# Faults
# ---------------------------------------------------------------------------------------------------


def _batch(c: httpx.Client, apis: FakeApis, world: FakeWorld, **kwargs: object) -> httpx.Response:
    ids = [p.paper_id for p in world.s2_papers[:3]]
    return c.post(f"{apis.s2_url}/paper/batch", params={"fields": "title"}, json={"ids": ids}, **kwargs)  # type: ignore[arg-type]


class TestFaults:
    @pytest.mark.parametrize("status", [500, 502, 503, 504])
    def test_server_errors(self, world: FakeWorld, status: int):
        """Scripted 5xx answer with that status (Crossref HTML, S2 JSON); the next request is clean."""
        plan = FaultPlan(script={1: str(status), 2: str(status)})
        with FakeApis(world, faults=plan) as apis, httpx.Client() as c:
            crossref = c.get(f"{apis.crossref_url}/works/10.1/x")
            s2 = c.get(f"{apis.s2_url}/paper/CorpusId:1")
            clean = c.get(f"{apis.s2_url}/paper/CorpusId:1")
        assert crossref.status_code == s2.status_code == status
        assert crossref.headers["content-type"] == "text/html" and "message" in s2.json()
        assert clean.status_code == 404 and apis.fault_counts[str(status)] == 2

    @pytest.mark.parametrize(("kind", "retry_after"), [("429_retry_after", "2"), ("429", None)])
    def test_spurious_429(self, world: FakeWorld, kind: str, retry_after: str | None):
        """A fault 429 comes with or without Retry-After and counts in count_429, not in rate_limited."""
        with FakeApis(world, faults=FaultPlan(script={1: kind}, retry_after=2)) as apis, httpx.Client() as c:
            answer = c.get(f"{apis.s2_url}/paper/CorpusId:1")
        assert answer.status_code == 429 and answer.headers.get("retry-after") == retry_after
        assert apis.count_429 == 1 and not apis.rate_limited

    def test_hang_outlasts_client_timeout_but_not_shutdown(self, world: FakeWorld):
        """A hang makes the client time out; closing the servers does not wait for it."""
        with httpx.Client(timeout=0.2) as c:
            apis = FakeApis(world, faults=FaultPlan(script={1: "hang"}, hang_seconds=30)).start()
            with pytest.raises(httpx.ReadTimeout):
                c.get(f"{apis.crossref_url}/works/10.1/x")
            started = time.monotonic()
            apis.close()
        assert time.monotonic() - started < 2.0

    @pytest.mark.parametrize("kind", ["truncated_json", "malformed_json"])
    def test_broken_json_with_200(self, world: FakeWorld, kind: str):
        """Truncated or malformed JSON arrives with status 200."""
        with FakeApis(world, faults=FaultPlan(script={1: kind})) as apis, httpx.Client() as c:
            answer = _batch(c, apis, world)
        assert answer.status_code == 200
        with pytest.raises(json.JSONDecodeError):
            json.loads(answer.content)

    def test_connection_dropped_mid_response(self, world: FakeWorld):
        """Headers and part of the body arrive, then the connection closes."""
        with FakeApis(world, faults=FaultPlan(script={1: "drop"})) as apis, httpx.Client() as c:
            with pytest.raises(httpx.RemoteProtocolError):
                _batch(c, apis, world)
            assert _batch(c, apis, world).status_code == 200

    @pytest.mark.parametrize(
        ("kind", "check"),
        [
            ("batch_wrong_length", lambda body: isinstance(body, list) and len(body) == 2),
            ("batch_extra_nulls", lambda body: len(body) == 5 and body[3:] == [None, None]),
            ("batch_object", lambda body: isinstance(body, dict) and len(body["data"]) == 3),
        ],
    )
    def test_batch_answers_that_do_not_fit(self, world: FakeWorld, kind: str, check):
        """Batch faults change the length or the shape of an otherwise valid answer."""
        with FakeApis(world, faults=FaultPlan(script={1: kind})) as apis, httpx.Client() as c:
            assert check(_batch(c, apis, world).json())

    def test_batch_fault_skipped_off_batch(self, world: FakeWorld):
        """A batch fault scripted on a request that is not a batch is not applied."""
        with FakeApis(world, faults=FaultPlan(script={1: "batch_object"})) as apis, httpx.Client() as c:
            assert c.get(f"{apis.s2_url}/paper/CorpusId:1").status_code == 404
        assert not apis.fault_counts

    def test_redirect_loop(self, world: FakeWorld):
        """A redirect loop answers 301 to the same URL until the client gives up."""
        plan = FaultPlan(rate=1.0, kinds=("redirect_loop",))
        with FakeApis(world, faults=plan) as apis, httpx.Client(max_redirects=4) as c:
            first_hop = c.get(f"{apis.crossref_url}/works/10.1%2Fx?mailto=a@b.org")
            assert first_hop.status_code == 301
            assert first_hop.headers["location"] == "/works/10.1%2Fx?mailto=a@b.org"
            with pytest.raises(httpx.TooManyRedirects):
                c.get(f"{apis.crossref_url}/works/10.1/x", follow_redirects=True)

    def test_seeded_rate_is_reproducible_and_switchable(self, world: FakeWorld):
        """The same seed faults the same requests (even concurrently); faults can be switched off."""
        kinds = tuple(k for k in FAULT_KINDS if k != "hang")

        def call(c: httpx.Client, url: str) -> None:
            with contextlib.suppress(httpx.HTTPError):  # dropped connections
                c.get(url)

        def run(seed: int) -> list[str | None]:
            with FakeApis(world, faults=FaultPlan(rate=0.3, seed=seed, kinds=kinds)) as apis:
                with httpx.Client() as c, ThreadPoolExecutor(4) as pool:
                    list(pool.map(lambda i: call(c, f"{apis.s2_url}/paper/CorpusId:{i % 10}"), range(40)))
                faults = sorted((r.query, r.path, r.fault or "") for r in apis.records)
                apis.faults = None
                with httpx.Client() as c:
                    clean = [c.get(f"{apis.s2_url}/paper/CorpusId:{i}").status_code for i in range(5)]
                assert clean == [404] * 5
            return [f[2] or None for f in sorted(faults)]

        first_run, second_run, other_seed = run(7), run(7), run(8)
        assert first_run == second_run and first_run != other_seed
        assert 4 <= sum(1 for f in first_run if f) <= 22

    def test_unknown_fault_kind_is_refused(self):
        """A FaultPlan with an unknown kind fails at construction."""
        with pytest.raises(ValueError, match="unknown fault kinds"):
            FaultPlan(kinds=("500", "teapot"))
        assert len(FAULT_KINDS) == 14


# ---------------------------------------------------------------------------------------------------
# Lifecycle
# ---------------------------------------------------------------------------------------------------


def test_quick_start_and_clean_shutdown(world: FakeWorld):
    """Both servers start in under 0.2 s; closing with a keep-alive connection open leaves no thread/port."""
    threads_before = threading.active_count()
    started = time.monotonic()
    apis = FakeApis(world).start()
    assert time.monotonic() - started < 0.2
    client = httpx.Client()
    assert client.get(f"{apis.s2_url}/paper/CorpusId:1").status_code == 404  # connection kept alive
    port = int(apis.crossref_url.rsplit(":", 1)[1])
    closing = time.monotonic()
    apis.close()
    assert time.monotonic() - closing < 1.0
    client.close()
    assert threading.active_count() == threads_before
    with pytest.raises(OSError), socket.create_connection(("127.0.0.1", port), timeout=0.5):
        pass
    assert apis.internal_errors == []
