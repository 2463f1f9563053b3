"""Tests for avenrich.sources: the registry, the Source protocol and open_sources()."""

from __future__ import annotations

import dataclasses
import socket
import time

import httpx
import pytest

from avenrich.cache import MemoryJsonCache
from avenrich.config import Settings
from avenrich.errors import SourceUnavailable
from avenrich.sources import SOURCES, SearchQuery, Source, Sources, open_sources
from avenrich.sources.http import RetryPolicy
from fake_apis import FakeCrossref, FakeS2, route_by_host

SENTINEL = "OPEN-SOURCES-SENTINEL-KEY"
DOIS = ["10.1145/3448016.3452841", "10.1101/097196"]


def fakes() -> tuple[FakeCrossref, FakeS2, httpx.MockTransport]:
    crossref, s2 = FakeCrossref.with_recorded(), FakeS2.with_recorded()
    transport = httpx.MockTransport(route_by_host({"api.crossref.org": crossref, "api.semanticscholar.org": s2}))
    return crossref, s2, transport


def opened(settings: Settings, transport: httpx.BaseTransport | None, cache=None) -> Sources:
    """open_sources with zero waits."""
    waits: list[float] = []
    return open_sources(
        settings,
        cache if cache is not None else MemoryJsonCache(),
        transport=transport,
        today=lambda: "2026-07-01",
        policy=RetryPolicy(jitter=0.0, sleep=waits.append),
        sleep=lambda s: None,
    )


def test_registry_names_are_unique_and_match_the_model():
    """Each registered source has a unique name, the one Work.source carries."""
    assert [row.source.name for row in SOURCES] == ["crossref", "semantic_scholar"]


def test_every_source_satisfies_the_protocol():
    """Both sources provide name, lookup, search, errors and failures."""
    with opened(Settings(), httpx.MockTransport(lambda r: httpx.Response(500))) as sources:
        for source in sources.all():
            assert isinstance(source, Source)
            assert type(source) in {row.source for row in SOURCES}


def test_search_query_is_a_frozen_value():
    """SearchQuery is hashable and immutable."""
    query = SearchQuery("T", 2020, ("A B",), "CVPR")
    assert hash(query) == hash(SearchQuery("T", 2020, ("A B",), "CVPR"))
    with pytest.raises(dataclasses.FrozenInstanceError):
        query.title = "x"  # type: ignore[misc]


def test_headers_per_source():
    """Crossref gets the mailto User-Agent and never the key; S2 gets x-api-key; neither has it in a URL."""
    crossref, s2, transport = fakes()
    settings = Settings(mailto="team@example.org", s2_api_key=SENTINEL)
    with opened(settings, transport) as sources:
        assert all(sources["crossref"].lookup(DOIS).values())
        assert sources["semantic_scholar"].lookup(["ARXIV:2312.07559"])["ARXIV:2312.07559"]
    for request in crossref.requests:
        assert "mailto:team@example.org" in request.headers["user-agent"] and "x-api-key" not in request.headers
    for request in s2.requests:
        assert request.headers["x-api-key"] == SENTINEL
    assert all(SENTINEL not in str(r.url) for r in crossref.requests + s2.requests)


def test_no_key_means_no_header():
    """Without AVENRICH_S2_API_KEY no x-api-key header is sent."""
    _, s2, transport = fakes()
    with opened(Settings(), transport) as sources:
        sources["semantic_scholar"].lookup(["ARXIV:2312.07559"])
    assert "x-api-key" not in s2.requests[0].headers


def test_limits_come_from_the_settings():
    """Polite Crossref pacing with a mailto, public without; S2 at 1 req/s; AVENRICH_CROSSREF_RPS is one rate
    for every kind of request (DESIGN: "a ceiling on all requests to that source together, whatever their kind")."""
    with opened(Settings(mailto="a@b.c"), None) as polite, opened(Settings(crossref_rps=2.0), None) as public:
        assert polite.clients[0].pacer.rps("single") == 10.0 and polite.clients[0].pacer.rps("list") == 3.0
        assert polite.clients[0].pacer.concurrency("single") == 3
        assert public.clients[0].pacer.rps("list") == 2.0 and public.clients[0].pacer.rps("total") == 2.0
        assert public.clients[0].pacer.concurrency("total") == 1
        assert polite.clients[1].pacer.rps("total") == 1.0 and polite.clients[1].pacer.concurrency("single") == 1


def test_stats_are_shared_and_per_source():
    """One RequestStats counts both sources by endpoint."""
    _, _, transport = fakes()
    with opened(Settings(), transport) as sources:
        sources["crossref"].lookup(DOIS)
        sources["semantic_scholar"].lookup(["ARXIV:2312.07559"])
        totals = sources.stats.totals()
    assert totals["crossref"]["requests"] == 1 and totals["semantic_scholar"]["requests"] == 1


def test_forget_drops_the_memoised_works_and_the_cache_still_answers():
    """After forget() the sources hold no Work of the run (the flow calls it once the search stage is done);
    asking again is served from the cache, not the network."""
    _, _, transport = fakes()
    with opened(Settings(), transport) as sources:
        first = sources["crossref"].lookup(DOIS)
        s2_first = sources["semantic_scholar"].lookup(["ARXIV:2312.07559"])
        memos = [source._memo for source in sources.all()]
        assert all(memos)
        sources.forget()
        assert memos == [{}, {}] and [s._pending for s in sources.all()] == [{}, {}]
        assert sources["crossref"].lookup(DOIS) == first
        assert sources["semantic_scholar"].lookup(["ARXIV:2312.07559"]) == s2_first
        assert sources.stats.totals()["crossref"]["requests"] == 1
        assert sources.stats.totals()["semantic_scholar"]["requests"] == 1


def test_degraded_names_the_unreachable_source():
    """A source that stops answering is reported once, with its reason; the other is not."""
    crossref, _, transport = fakes()
    crossref.down = httpx.ConnectError("[Errno 111] Connection refused")
    with opened(Settings(), transport) as sources:
        assert sources.degraded() == {}
        sources["crossref"].lookup(DOIS)
        assert sources["semantic_scholar"].lookup(["ARXIV:2312.07559"])
        assert sources.degraded() == {
            "crossref": "crossref unreachable (connection refused): skipped for the rest of this run"
        }


def test_offline_has_no_clients_and_reads_the_cache():
    """--offline: nothing is sent anywhere; cached answers still come back; both sources are degraded."""
    _, _, transport = fakes()
    cache = MemoryJsonCache()
    with opened(Settings(), transport, cache) as online:
        online["crossref"].lookup(DOIS)
    with opened(Settings(offline=True), transport, cache) as offline:
        assert offline.clients == ()
        assert set(offline["crossref"].lookup([*DOIS, "10.1/unseen"])) == set(DOIS)
        assert offline["crossref"].failures == {"10.1/unseen": "offline: not in the cache"}
        assert set(offline.degraded()) == {"crossref", "semantic_scholar"}
        with pytest.raises(SourceUnavailable):
            offline["semantic_scholar"].match(SearchQuery("Attention is All you Need"))


def closed_port() -> int:
    """A local port with nothing listening."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_real_connection_refused_is_given_up_in_moments():
    """Against a closed local port (a machine without the services), many lookups finish in about a second."""
    port = closed_port()
    settings = Settings(crossref_url=f"http://127.0.0.1:{port}", s2_url=f"http://127.0.0.1:{port}/graph/v1")
    started = time.monotonic()
    with open_sources(settings, MemoryJsonCache()) as sources:
        assert sources["crossref"].lookup([f"10.1/{n}" for n in range(200)]) == {}
        assert sources["semantic_scholar"].lookup([f"CorpusId:{n}" for n in range(200)]) == {}
        for _ in range(20):
            with pytest.raises(SourceUnavailable):
                sources["crossref"].search(SearchQuery("A title"))
        degraded = sources.degraded()
    assert time.monotonic() - started < 5.0
    assert degraded["crossref"].startswith("crossref unreachable (connection refused)")
    assert degraded["semantic_scholar"].startswith("semantic_scholar unreachable (connection refused)")
    assert sources.stats.totals()["crossref"]["requests"] == 3
