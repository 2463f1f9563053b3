"""What every cached source shares (mixed): the search question, the offline reason, and CachedSource.

CachedSource holds the run's memo of records, the records whose counts wait for one refresh pass, the
cache-then-stale lookup, the counts-refresh loop, the search-answer cache and the failure notes. A source
subclass (`crossref.py`, `semantic_scholar.py`) supplies only what differs: its request builders and payload
parsers, its batch fetch, and its count fields (the hooks below, each marked "a source supplies").
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar

from avenrich.cache import COUNTS_TTL, METADATA_TTL, NO_HIT_SEARCH_TTL, SEARCH_TTL, JsonCache, key_for
from avenrich.errors import SourceError, SourceUnavailable
from avenrich.model import Ids, Work
from avenrich.sources.http import RequestStats, SourceClient

# What a lookup of a record that is not in the cache says when the run may not ask the network.
OFFLINE_REASON = "offline: not in the cache"

# What a source's refresh_counts calls with each batch of refreshed Works (by their count key).
OnBatch = Callable[[Mapping[str, Work]], None]


@dataclass(frozen=True, slots=True)
class SearchQuery:
    """What the list says of a paper that has no usable identifier: the question for a title search."""

    title: str
    year: int | None = None
    authors: tuple[str, ...] = ()
    venue: str | None = None


class CachedSource:
    """A source's batched, cached lookups by identifier, counts refreshes and cached searches.

    Failures are data: `lookup` never raises SourceError. A key missing from its result is unknown and
    `failures[key]` says why (source failed or unavailable, offline cache miss); None means the source does
    not have it. `search` raises SourceError / SourceUnavailable (offline cache miss included), since one
    question has one answer. `errors` lists each distinct failure message once; `counts_failed` holds the
    count keys whose counts could not be refreshed (their last counts stand, and the outcome is incomplete).
    """

    name: ClassVar[str]
    # The cache kind of a record ("work", "paper") and the endpoint a cache hit is counted under.
    RECORD_KIND: ClassVar[str]
    LOOKUP_ENDPOINT: ClassVar[str]
    # Link kinds (identifiers.PATTERNS row names) this source is searched first for; None: every other kind.
    SEARCH_FIRST: ClassVar[frozenset[str] | None] = None
    # The title-search requests this source can make for one link, in order (`search_step`); none: no search.
    # Resolution decides how far along them a link goes (resolve.SearchSchedule.next_search).
    SEARCH_STEPS: ClassVar[tuple[str, ...]] = ()
    # True for a source of versions of record (DOIs): it is also asked for the DOIs other sources report.
    VERSION_OF_RECORD: ClassVar[bool] = False
    # The name a reason gives the source ("Crossref").
    LABEL: ClassVar[str]

    def __init__(
        self,
        client: SourceClient | None,
        cache: JsonCache,
        *,
        offline: bool,
        today: Callable[[], str],
        stats: RequestStats | None = None,
    ) -> None:
        self.client = client
        self.cache = cache
        self.offline = offline or client is None
        self.today = today
        self.stats = stats or (client.stats if client else RequestStats())
        self.errors: list[str] = []
        self.failures: dict[str, str] = {}  # by the key the caller gave
        self.counts_failed: set[str] = set()  # count keys whose refresh failed
        self._failed: dict[str, str] = {}  # by normalised key
        self._memo: dict[str, Work | None] = {}
        self._pending: dict[str, Work] = {}  # key → cached Work (also in _memo) whose counts wait for refresh_counts

    # -- what a source supplies ---------------------------------------------------------------------------

    @staticmethod
    def normalise_key(key: str) -> str:
        """The canonical spelling of a lookup key (a source supplies)."""
        raise NotImplementedError

    @staticmethod
    def lookup_keys(ids: Ids) -> tuple[str, ...]:
        """The keys this source's batch lookup takes for a link's identifiers, best first (a source supplies)."""
        raise NotImplementedError

    @staticmethod
    def record_key(ids: Ids) -> str | None:
        """The key a resolved paper's own record is looked up under, or None (a source supplies)."""
        raise NotImplementedError

    @staticmethod
    def count_key(work: Work) -> str:
        """The key this source's record is cached and its counts refreshed under ("" when none; a source supplies)."""
        raise NotImplementedError

    @staticmethod
    def parse_item(item: Mapping[str, Any]) -> Work:
        """One record of a payload as a Work; ValueError when unusable (a source supplies)."""
        raise NotImplementedError

    @staticmethod
    def cached_item(item: Mapping[str, Any]) -> dict[str, Any]:
        """The part of a payload record the cache keeps (a source supplies)."""
        raise NotImplementedError

    @staticmethod
    def counts_entry(work: Work) -> dict[str, Any]:
        """The counts of a Work as the counts cache entry holds them, without "fetched" (a source supplies)."""
        raise NotImplementedError

    @staticmethod
    def with_counts(work: Work, counts: Mapping[str, Any] | None) -> Work:
        """The Work with the counts of a counts entry, or as it is when there is none (a source supplies)."""
        raise NotImplementedError

    def fetch(self, client: SourceClient, keys: list[str]) -> dict[str, Work | None]:
        """Fetch these normalised keys in batches; each record goes through `store` (a source supplies)."""
        raise NotImplementedError

    def counts_batches(self, keys: list[str]) -> list[list[str]]:
        """The count keys in batches of one counts request each (a source supplies)."""
        raise NotImplementedError

    def fetch_counts(self, client: SourceClient, batch: list[str]) -> dict[str, dict[str, Any]]:
        """The counts entries (without "fetched") of one batch, by count key; raises SourceError (a source
        supplies)."""
        raise NotImplementedError

    def search_step(self, step: str, query: SearchQuery) -> list[Work]:
        """The candidates one of SEARCH_STEPS answers for a title (one request, or none when cached); raises
        SourceError / SourceUnavailable (a source with SEARCH_STEPS supplies)."""
        raise NotImplementedError

    def answer_key(self, key: str, norm: str) -> str:
        """The key a lookup answers under: the caller's (the default) or its normalised form."""
        return key

    def known_missing(self, norm: str) -> bool:
        """True for a key the source is known not to have, so asking would waste a request."""
        return False

    # -- run memory ---------------------------------------------------------------------------------------

    def forget(self) -> None:
        """Drop the Works memoised during the run (the run has what it publishes; on a long list they are
        hundreds of MB); later calls ask the cache again."""
        self._memo.clear()
        self._pending.clear()

    # -- lookup -------------------------------------------------------------------------------------------

    def lookup(self, keys: Sequence[str], *, refresh_counts: bool = True) -> dict[str, Work | None]:
        """Works by key: Work, None (the source has no such record), or absent (unknown: see `failures`).

        A cached record whose counts have expired gets them refreshed in counts-only batches; with
        refresh_counts=False it comes back with its last counts and waits for `refresh_counts(ids)`, so a
        run refreshes only the papers it publishes, all in one pass.
        """
        by_norm: dict[str, list[str]] = {}
        for key in dict.fromkeys(k for k in keys if k and k.strip()):
            norm = self.normalise_key(key)
            answer = self.answer_key(key, norm)
            originals = by_norm.setdefault(norm, [])
            if answer not in originals:
                originals.append(answer)
        to_fetch: list[str] = []
        stale: list[tuple[str, Work]] = []
        resolved: dict[str, Work | None] = {}
        for norm in by_norm:
            if norm in self._memo:
                resolved[norm] = self._memo[norm]
            elif norm in self._failed:
                continue
            elif self.known_missing(norm):
                resolved[norm] = self._memo[norm] = None
            else:
                self._from_cache(norm, resolved, to_fetch, stale)
        if self.offline or self.client is None:
            self._fail(to_fetch, OFFLINE_REASON)
            for norm, work in stale:
                resolved[norm] = self._memo[norm] = work
        else:
            resolved.update(self.fetch(self.client, to_fetch))
            if refresh_counts:
                resolved.update(self._refresh_counts(self.client, stale))
            else:
                for norm, work in stale:
                    resolved[norm] = self._memo[norm] = self._pending[norm] = work
        result: dict[str, Work | None] = {}
        for norm, originals in by_norm.items():
            for key in originals:
                if norm in resolved:
                    result[key] = resolved[norm]
                elif norm in self._failed:
                    self.failures[key] = self._failed[norm]
        return result

    def refresh_counts(self, ids: Iterable[str], on_batch: OnBatch | None = None) -> dict[str, Work]:
        """Refresh the counts that `lookup(..., refresh_counts=False)` left waiting, for these count keys.

        The refreshed Works by count key, each batch's also given to `on_batch` as soon as it is in (so a
        caller can let go of the Works they replace). A failure keeps the last counts (the Works lookup
        returned stand) and puts their keys in `counts_failed`.
        """
        wanted = {self.normalise_key(i) for i in ids}
        todo = [(k, w) for k, w in self._pending.items() if k in wanted or (self.count_key(w) or k) in wanted]
        for key, _work in todo:
            del self._pending[key]
        if not todo or self.offline or self.client is None:
            return {}
        refreshed = self._refresh_counts(self.client, todo, on_batch)
        return {self.count_key(work) or key: work for key, work in refreshed.items() if work is not None}

    def holds(self, work: Work) -> bool:
        """True when this source's record of the work is still cached (unexpired), so a full run would read it
        from the cache, not fetch it anew (decisions.py)."""
        key = self.count_key(work)
        return bool(key) and self.cache.has(key_for(self.name, self.RECORD_KIND, key))  # as `store` keys it

    def current(self, work: Work) -> Work:
        """A kept work with its citation counts as the cache holds them now (as `lookup` gives a cached record);
        expired counts wait, with the work's last counts, for `refresh_counts`."""
        key = self.count_key(work)
        counts = self.cache.get(key_for(self.name, "counts", key)) if key else None
        if isinstance(counts, Mapping):
            fresh = self.with_counts(work, counts)
            return work if fresh == work else fresh  # one object when nothing moved (a warm rerun)
        if key:
            self._pending[key] = work
        return work

    def _from_cache(
        self,
        norm: str,
        resolved: dict[str, Work | None],
        to_fetch: list[str],
        stale: list[tuple[str, Work]],
    ) -> None:
        entry = self.cache.get(key_for(self.name, self.RECORD_KIND, norm))
        if not isinstance(entry, Mapping) or not ("item" in entry or entry.get("missing")):
            to_fetch.append(norm)
            return
        self.stats.add(self.name, self.LOOKUP_ENDPOINT, "cache_hits")
        if entry.get("missing"):
            resolved[norm] = self._memo[norm] = None
            return
        try:
            work = self._cached_work(entry)
        except ValueError:
            to_fetch.append(norm)
            return
        counts = self.cache.get(key_for(self.name, "counts", self.count_key(work) or norm))
        if isinstance(counts, Mapping):
            resolved[norm] = self._memo[norm] = self.with_counts(work, counts)
        else:
            stale.append((norm, work))

    def _cached_work(self, entry: Mapping[str, Any]) -> Work:
        """The Work of a cached entry, with the counts its item had when fetched (a counts entry updates them)."""
        fetched = str(entry.get("fetched") or "") or None
        return dataclasses.replace(self.parse_item(entry["item"]), fetched=fetched, counts_fetched=fetched)

    def store(self, asked: str | None, item: Mapping[str, Any], today: str, *, memo: bool = True) -> Work:
        """Cache a fetched record under the asked key and its own key, with its counts; ValueError if unusable."""
        work = self.parse_item(item)
        own = self.count_key(work) or asked or ""
        entry = {"item": self.cached_item(item), "fetched": today}
        stored = dataclasses.replace(work, fetched=today, counts_fetched=today)
        for key in dict.fromkeys(k for k in (asked, own) if k):
            self.cache.set(key_for(self.name, self.RECORD_KIND, key), entry, METADATA_TTL)
            if memo:
                self._memo[key] = stored  # one Work for both keys and the caller (it is frozen)
        self.cache.set(key_for(self.name, "counts", own), {**self.counts_entry(work), "fetched": today}, COUNTS_TTL)
        return stored

    def store_missing(self, norm: str, ttl: float) -> None:
        """Cache and memoise that the source has no record under this key."""
        self.cache.set(key_for(self.name, self.RECORD_KIND, norm), {"missing": True, "fetched": self.today()}, ttl)
        self._memo[norm] = None

    def _refresh_counts(
        self, client: SourceClient, stale: list[tuple[str, Work]], on_batch: OnBatch | None = None
    ) -> dict[str, Work | None]:
        """`stale` is emptied: each stale Work is let go once its batch is refreshed."""
        by_id: dict[str, list[tuple[str, Work]]] = {}
        for key, work in stale:
            by_id.setdefault(self.count_key(work) or key, []).append((key, work))
        stale.clear()
        refreshed: dict[str, Work | None] = {}
        for batch in self.counts_batches(list(by_id)):
            try:
                answered = self.fetch_counts(client, batch)
            except SourceUnavailable as exc:  # keep the counts we have; the metadata is still good
                self._note(exc.message)
                break
            except (SourceError, ValueError) as exc:
                self._note(str(exc))
                continue
            today = self.today()
            batch_fresh: dict[str, Work] = {}
            for count_id, fields in answered.items():
                if count_id not in by_id:
                    continue
                counts = {**fields, "fetched": today}
                self.cache.set(key_for(self.name, "counts", count_id), counts, COUNTS_TTL)
                for key, work in by_id.pop(count_id):
                    new = refreshed[key] = self._memo[key] = self.with_counts(work, counts)
                    batch_fresh[self.count_key(new) or key] = new
            if on_batch is not None and batch_fresh:
                on_batch(batch_fresh)
        for count_id, works in by_id.items():  # not refreshed: their last counts stand
            self.counts_failed.add(count_id)
            for key, work in works:
                refreshed[key] = self._memo[key] = work
        return refreshed

    # -- cached search answers ----------------------------------------------------------------------------

    def cached_answer(self, key: str, endpoint: str, field: str) -> tuple[Any, str | None] | None:
        """A cached search answer (the `field` value and its date), or None; offline, a miss raises."""
        cached = self.cache.get(key)
        if isinstance(cached, Mapping) and field in cached and (field == "item" or isinstance(cached[field], list)):
            self.stats.add(self.name, endpoint, "cache_hits")
            return cached[field], str(cached.get("fetched") or "") or None
        if self.offline or self.client is None:
            raise SourceUnavailable(self.name, "", None, OFFLINE_REASON)
        return None

    def remember_answer(self, key: str, field: str, value: Any, today: str) -> None:
        """Cache a complete search answer; one that found nothing is kept for a shorter time."""
        self.cache.set(key, {field: value, "fetched": today}, SEARCH_TTL if value else NO_HIT_SEARCH_TTL)

    def answered_works(self, items: Iterable[Any], fetched: str | None, score: str | None = None) -> list[Work]:
        """The Works of a search answer's items (unusable ones left out), dated, each with the engine's own
        score from the item's `score` field when it names one."""
        works: list[Work] = []
        for item in items:
            try:
                work = self.parse_item(item)
            except ValueError:
                continue
            value = item.get(score) if score else None
            works.append(
                dataclasses.replace(
                    work,
                    score=float(value) if isinstance(value, int | float) else work.score,
                    fetched=fetched,
                    counts_fetched=fetched,
                )
            )
        return works

    # -- failures -----------------------------------------------------------------------------------------

    def _fail(self, keys: Iterable[str], reason: str) -> None:
        keys = list(keys)
        if not keys:
            return
        for key in keys:
            self._failed[key] = reason
        self._note(reason)

    def _note(self, reason: str) -> None:
        if reason not in self.errors:
            self.errors.append(reason)
