"""The sources of metadata (core seam): the Source protocol, the SOURCES registry, and open_sources(), which
builds every registered source with its own paced, retried client and one shared RequestStats.

Adding a source: a module beside this one with a CachedSource subclass, and one row in SOURCES.
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
from avenrich.sources.base import OFFLINE_REASON, CachedSource, OnBatch, SearchQuery
from avenrich.sources.crossref import CrossrefSource
from avenrich.sources.http import RequestStats, RetryPolicy, SourceClient, make_client
from avenrich.sources.pacing import Pacer
from avenrich.sources.semantic_scholar import SemanticScholarSource

__all__ = [
    "OFFLINE_REASON",
    "SOURCES",
    "CachedSource",
    "OnBatch",
    "Registered",
    "SearchQuery",
    "Source",
    "Sources",
    "open_sources",
    "today_iso",
]


@runtime_checkable
class Source(Protocol):
    """A metadata source: lookups by identifier (batched, cached), counts refreshes and title search.

    `lookup` maps each input key to a Work, None (the source has no such record) or leaves it out
    (unknown: the reason is in `failures[key]`); it never raises SourceError. `search_step` raises
    SourceError / SourceUnavailable when it cannot answer. CachedSource (sources/base.py) implements it.
    """

    name: str
    errors: list[str]
    failures: dict[str, str]
    counts_failed: set[str]

    def lookup(self, keys: Sequence[str], *, refresh_counts: bool = True) -> dict[str, Work | None]: ...

    def forget(self) -> None: ...

    def refresh_counts(self, ids: Iterable[str], on_batch: OnBatch | None = None) -> dict[str, Work]: ...

    def search_step(self, step: str, query: SearchQuery) -> list[Work]: ...


@dataclass(frozen=True, slots=True)
class Registered:
    """One row of the registry: a source class and where its settings say to reach it."""

    source: type[CachedSource]
    url: Callable[[Settings], str]
    limits: Callable[[Settings], Limits]
    headers: Callable[[Settings], dict[str, str]] = lambda _settings: {}


# Every source, in order of precedence (resolution asks them in this order, the first that answers leads).
SOURCES: tuple[Registered, ...] = (
    Registered(CrossrefSource, lambda s: s.crossref_url, lambda s: s.crossref_limits),
    Registered(
        SemanticScholarSource,
        lambda s: s.s2_url,
        lambda s: s.s2_limits,
        lambda s: {"x-api-key": s.s2_api_key} if s.s2_api_key else {},
    ),
)


def today_iso() -> str:
    """Today's date, ISO (YYYY-MM-DD), in UTC."""
    return datetime.datetime.now(datetime.UTC).date().isoformat()


@dataclass
class Sources:
    """The sources of one run (registry order), their shared request counters, and the HTTP clients to close."""

    sources: tuple[CachedSource, ...]
    stats: RequestStats
    offline: bool = False
    clients: tuple[SourceClient, ...] = field(default=(), repr=False)

    def all(self) -> tuple[CachedSource, ...]:
        """Every source, in registry order."""
        return self.sources

    def __getitem__(self, name: str) -> CachedSource:
        """The source of this name."""
        for source in self.sources:
            if source.name == name:
                return source
        raise KeyError(name)

    def today(self) -> str:
        """Today's date (ISO) on the sources' clock, the one their cache entries are dated by."""
        return self.sources[0].today() if self.sources else today_iso()

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
    """Every registered source for one run. With settings.offline there are no clients: all comes from the cache.

    `policy`, `clock` and `sleep` exist for tests (zero waits); production passes none of them.
    """
    stats = RequestStats()
    if settings.offline:
        offline = tuple(row.source(None, cache, offline=True, today=today, stats=stats) for row in SOURCES)
        return Sources(offline, stats, offline=True)
    retry = policy or RetryPolicy.from_settings(settings)
    clients = tuple(
        SourceClient(
            row.source.name,
            row.url(settings),
            make_client(settings, transport),
            Pacer(row.limits(settings), clock=clock, sleep=sleep),
            retry,
            stats,
            row.headers(settings),
            settings.secrets(),
            unreachable_after=settings.unreachable_after,
        )
        for row in SOURCES
    )
    sources = tuple(
        row.source(client, cache, offline=False, today=today, stats=stats)
        for row, client in zip(SOURCES, clients, strict=True)
    )
    return Sources(sources, stats, clients=clients)
