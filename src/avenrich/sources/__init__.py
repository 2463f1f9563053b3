"""The sources of metadata (core seam): SearchQuery, the Source protocol, the SOURCES registry, and
open_sources(), which builds every source with its own paced, retried client and one shared RequestStats.
"""

from __future__ import annotations

import datetime
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Protocol, runtime_checkable

import httpx

from avenrich.cache import JsonCache
from avenrich.config import Limits, Settings
from avenrich.model import Work

# The source modules import SearchQuery only for type checking, so importing them here is not circular.
from avenrich.sources.crossref import CrossrefSource
from avenrich.sources.http import OnBatch, RequestStats, RetryPolicy, SourceClient, make_client
from avenrich.sources.pacing import Pacer
from avenrich.sources.semantic_scholar import SemanticScholarSource


@dataclass(frozen=True, slots=True)
class SearchQuery:
    """What the list says of a paper that has no usable identifier: the question for a title search."""

    title: str
    year: int | None = None
    authors: tuple[str, ...] = ()
    venue: str | None = None


@runtime_checkable
class Source(Protocol):
    """A metadata source: lookups by identifier (batched, cached) and title search.

    `lookup` maps each input key to a Work, None (the source has no such record) or leaves it out
    (unknown: the reason is in `failures[key]`); it never raises SourceError. `search` raises
    SourceError / SourceUnavailable when it cannot answer.
    """

    name: str
    errors: list[str]
    failures: dict[str, str]

    def lookup(self, keys: Sequence[str], *, refresh_counts: bool = True) -> dict[str, Work | None]: ...

    def forget(self) -> None: ...

    def refresh_counts(self, ids: Iterable[str], on_batch: OnBatch | None = None) -> dict[str, Work]: ...

    def search(self, query: SearchQuery) -> list[Work]: ...


SOURCES: tuple[type[CrossrefSource] | type[SemanticScholarSource], ...] = (
    CrossrefSource,
    SemanticScholarSource,
)

OFFLINE_REASON = "offline: answers come from the cache only"


def today_iso() -> str:
    """Today's date, ISO (YYYY-MM-DD), in UTC."""
    return datetime.datetime.now(datetime.UTC).date().isoformat()


@dataclass
class Sources:
    """The sources of one run, their shared request counters, and the HTTP clients to close."""

    crossref: CrossrefSource
    semantic_scholar: SemanticScholarSource
    stats: RequestStats
    offline: bool = False
    clients: tuple[SourceClient, ...] = field(default=(), repr=False)

    def all(self) -> tuple[CrossrefSource | SemanticScholarSource, ...]:
        """Every source, in registry order."""
        return (self.crossref, self.semantic_scholar)

    def degraded(self) -> dict[str, str]:
        """Source name → why it could not be asked during the run (unreachable, or offline)."""
        if self.offline:
            return {source.name: OFFLINE_REASON for source in self.all()}
        return {c.name: c.unavailable_reason for c in self.clients if c.unavailable_reason is not None}

    def forget(self) -> None:
        """Drop what the sources memoised during the run, once no stage will ask them again."""
        for source in self.all():
            source.forget()

    def close(self) -> None:
        """Close the HTTP clients (the cache belongs to the caller)."""
        for client in self.clients:
            client.client.close()

    def __enter__(self) -> Sources:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def open_sources(
    settings: Settings,
    cache: JsonCache,
    *,
    transport: httpx.BaseTransport | None = None,
    today: Callable[[], str] = today_iso,
    policy: RetryPolicy | None = None,
    clock: Callable[[], float] = time.monotonic,
    sleep: Callable[[float], None] = time.sleep,
) -> Sources:
    """Both sources for one run. With settings.offline there are no clients: everything comes from the cache.

    `policy`, `clock` and `sleep` exist for tests (zero waits); production passes none of them.
    """
    stats = RequestStats()
    if settings.offline:
        return Sources(
            crossref=CrossrefSource(None, cache, offline=True, today=today, stats=stats),
            semantic_scholar=SemanticScholarSource(None, cache, offline=True, today=today, stats=stats),
            stats=stats,
            offline=True,
        )
    retry = policy or RetryPolicy.from_settings(settings)

    def client(name: str, url: str, limits: Limits, headers: dict[str, str]) -> SourceClient:
        return SourceClient(
            name,
            url,
            make_client(settings, transport),
            Pacer(limits, clock=clock, sleep=sleep),
            retry,
            stats,
            headers,
            settings.secrets(),
            unreachable_after=settings.unreachable_after,
        )

    s2_headers = {"x-api-key": settings.s2_api_key} if settings.s2_api_key else {}
    crossref = client(CrossrefSource.name, settings.crossref_url, settings.crossref_limits, {})
    s2 = client(SemanticScholarSource.name, settings.s2_url, settings.s2_limits, s2_headers)
    return Sources(
        crossref=CrossrefSource(crossref, cache, offline=False, today=today, stats=stats),
        semantic_scholar=SemanticScholarSource(s2, cache, offline=False, today=today, stats=stats),
        stats=stats,
        clients=(crossref, s2),
    )
