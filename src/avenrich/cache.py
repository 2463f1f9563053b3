"""The response cache (edge): JsonCache protocol, DiskJsonCache on diskcache, MemoryJsonCache; pure key_for().

Values are JSON documents stored as JSON text (never pickled), so two processes can share one directory
(diskcache is SQLite-transactional). None means "miss": store dicts, never None itself. Secrets never go in.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import sqlite3
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, Protocol

import diskcache

from avenrich.errors import OutputError

KEY_VERSION = "v1"
_MAX_PART = 200

HOUR = 3600.0
DAY = 24 * HOUR
# Metadata and identifier lookups change rarely; citation counts are refreshed by every nightly run
# (20 h < 24 h, so a run at the same hour the next day always finds them stale).
METADATA_TTL = 30 * DAY
COUNTS_TTL = 20 * HOUR
NOT_FOUND_TTL = 7 * DAY
SEARCH_TTL = 30 * DAY
NO_HIT_SEARCH_TTL = 7 * DAY


class JsonCache(Protocol):
    """A key → JSON document store with per-entry time-to-live (seconds; None = no expiry)."""

    def get(self, key: str) -> Any | None:
        """The stored value, or None on a miss (absent or expired)."""
        ...

    def set(self, key: str, value: Any, ttl: float | None) -> None:
        """Store a JSON-able value (not None) for `ttl` seconds."""
        ...

    def has(self, key: str) -> bool:
        """True when a live (unexpired) entry is stored under the key; nothing is read or counted."""
        ...

    def close(self) -> None:
        """Release the underlying resources."""
        ...

    def stats(self) -> dict[str, int]:
        """Counters for users: entries, bytes, hits, misses, and entries per "source/kind"."""
        ...

    def clear(self) -> int:
        """Remove every entry; return how many were removed."""
        ...


def key_for(source: str, kind: str, *parts: str) -> str:
    """The cache key of one question: "v1/<source>/<kind>/<part>/…"; parts over 200 chars are hashed.

    >>> key_for("crossref", "work", "10.1145/123")
    'v1/crossref/work/10.1145/123'
    """
    for name in (source, kind):
        if not name or "/" in name:
            raise ValueError(f"cache key source/kind must be a non-empty word without '/': {name!r}")
    shown = [_short(part) for part in parts]
    return "/".join([KEY_VERSION, source, kind, *shown])


def _short(part: str) -> str:
    if len(part) <= _MAX_PART:
        return part
    return "sha256:" + hashlib.sha256(part.encode("utf-8")).hexdigest()


def to_json_text(value: Any) -> str:
    """The canonical JSON text of a cache value; refuses None and values JSON cannot hold."""
    if value is None:
        raise ValueError("None cannot be cached (it means 'miss'); wrap the value in a dict")
    return json.dumps(value, ensure_ascii=False, sort_keys=True, separators=(",", ":"), allow_nan=False)


def _kind_of(key: str) -> str | None:
    parts = key.split("/")
    if len(parts) >= 3 and parts[0] == KEY_VERSION:
        return f"{parts[1]}/{parts[2]}"
    return None


# diskcache's defaults cap a cache at 1 GB and then evict the oldest entries (one 100k-link list fills ~0.75 GB,
# so a second one would make the next night refetch), and give every thread's SQLite connection a 32 MB page
# cache and a 64 MB memory map (with the search threads, hundreds of MB of RSS). Entries leave by their TTL;
# a 4 MB page cache and no memory map read as fast here.
# Where a run notes its hits and misses for `avenrich cache stats` (outside key_for's "v1/…" space).
LAST_RUN_KEY = "avenrich/last-run"
_DISK_SETTINGS: dict[str, Any] = {"size_limit": 2**40, "sqlite_cache_size": 1024, "sqlite_mmap_size": 0}


class DiskJsonCache:
    """A JsonCache in a diskcache directory (created when missing); safe for several processes."""

    def __init__(self, directory: Path) -> None:
        self.directory = Path(directory)
        try:
            self._cache = diskcache.Cache(str(self.directory), **_DISK_SETTINGS)
        except (OSError, sqlite3.Error) as exc:
            why = os.strerror(exc.errno) if isinstance(exc, OSError) and exc.errno else str(exc)
            raise OutputError(f"cannot use cache directory {self.directory}: {why}") from None
        self._hits = 0
        self._misses = 0
        self._lock = threading.Lock()

    def get(self, key: str) -> Any | None:
        raw = self._cache.get(key, default=None)
        with self._lock:
            if raw is None:
                self._misses += 1
            else:
                self._hits += 1
        if raw is None:
            return None
        return json.loads(raw)

    def set(self, key: str, value: Any, ttl: float | None) -> None:
        self._cache.set(key, to_json_text(value), expire=ttl)

    def has(self, key: str) -> bool:
        return key in self._cache  # diskcache leaves out expired entries

    def close(self) -> None:
        """Close the cache, first noting this process's hits and misses (if it read anything) for `cache stats`."""
        with self._lock:
            hits, misses = self._hits, self._misses
        if hits + misses:
            note = {"hits": hits, "misses": misses, "at": time.time()}
            with contextlib.suppress(diskcache.Timeout, sqlite3.Error):  # a statistic never fails a run
                self._cache.set(LAST_RUN_KEY, to_json_text(note), expire=None)
        self._cache.close()

    def last_run(self) -> dict[str, float] | None:
        """The reads of the last run that closed this cache ({"hits", "misses", "at"}), or None."""
        raw = self._cache.get(LAST_RUN_KEY, default=None)
        doc = json.loads(raw) if isinstance(raw, str) else None
        if not isinstance(doc, dict) or not all(isinstance(doc.get(k), int | float) for k in ("hits", "misses", "at")):
            return None
        return {k: doc[k] for k in ("hits", "misses", "at")}

    def stats(self) -> dict[str, int]:
        self._cache.expire()
        counts: dict[str, int] = {}
        total = 0
        for key in self._cache.iterkeys():
            if key == LAST_RUN_KEY:
                continue
            total += 1
            kind = _kind_of(str(key))
            if kind:
                counts[kind] = counts.get(kind, 0) + 1
        with self._lock:
            hits, misses = self._hits, self._misses
        return {
            "entries": total,
            "bytes": int(self._cache.volume()),
            "hits": hits,
            "misses": misses,
            **counts,
        }

    def clear(self) -> int:
        noted = LAST_RUN_KEY in self._cache  # the last run's note goes too, but is not an entry
        return int(self._cache.clear()) - int(noted)

    def __enter__(self) -> DiskJsonCache:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class MemoryJsonCache:
    """A JsonCache in a dict, with TTLs measured on an injectable clock (seconds)."""

    def __init__(self, clock: Callable[[], float] = time.time) -> None:
        self._clock = clock
        self._entries: dict[str, tuple[str, float | None]] = {}
        self._hits = 0
        self._misses = 0
        self._lock = threading.Lock()

    def get(self, key: str) -> Any | None:
        with self._lock:
            entry = self._entries.get(key)
            if entry is not None and entry[1] is not None and entry[1] <= self._clock():
                del self._entries[key]
                entry = None
            if entry is None:
                self._misses += 1
                return None
            self._hits += 1
        return json.loads(entry[0])

    def set(self, key: str, value: Any, ttl: float | None) -> None:
        text = to_json_text(value)
        with self._lock:
            self._entries[key] = (text, None if ttl is None else self._clock() + ttl)

    def has(self, key: str) -> bool:
        with self._lock:
            entry = self._entries.get(key)
            return entry is not None and (entry[1] is None or entry[1] > self._clock())

    def close(self) -> None:
        """Nothing to release."""

    def keys(self) -> list[str]:
        """The keys of the live entries (for tests and diagnostics)."""
        now = self._clock()
        with self._lock:
            return [k for k, (_, exp) in self._entries.items() if exp is None or exp > now]

    def stats(self) -> dict[str, int]:
        live = self.keys()
        counts: dict[str, int] = {}
        for key in live:
            kind = _kind_of(key)
            if kind:
                counts[kind] = counts.get(kind, 0) + 1
        with self._lock:
            size = sum(len(self._entries[k][0].encode("utf-8")) for k in live if k in self._entries)
            hits, misses = self._hits, self._misses
        return {"entries": len(live), "bytes": size, "hits": hits, "misses": misses, **counts}

    def clear(self) -> int:
        with self._lock:
            removed = len(self._entries)
            self._entries.clear()
        return removed
