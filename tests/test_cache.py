"""Tests for avenrich.cache: key_for, MemoryJsonCache, DiskJsonCache and the TTL constants."""

from __future__ import annotations

import json
import math
import subprocess
import sys
import textwrap
from pathlib import Path

import diskcache
import pytest

from avenrich.cache import (
    COUNTS_TTL,
    DAY,
    METADATA_TTL,
    NO_HIT_SEARCH_TTL,
    NOT_FOUND_TTL,
    SEARCH_TTL,
    DiskJsonCache,
    JsonCache,
    MemoryJsonCache,
    key_for,
)


class Clock:
    """A settable clock (seconds)."""

    def __init__(self, now: float = 1_000_000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (("crossref", "work", "10.1145/123"), "v1/crossref/work/10.1145/123"),
        (("semantic_scholar", "paper", "DOI:10.1/x"), "v1/semantic_scholar/paper/DOI:10.1/x"),
        (("crossref", "search", "rows=5", "q"), "v1/crossref/search/rows=5/q"),
        (("crossref", "stats"), "v1/crossref/stats"),
    ],
)
def test_key_for_joins_source_kind_and_parts(args, expected):
    """A key reads as version/source/kind/parts."""
    assert key_for(*args) == expected


def test_key_for_hashes_long_parts_stably():
    """A part over 200 characters becomes a sha256 digest: short, stable, and distinct per input."""
    long_a, long_b = "a" * 500, "a" * 499 + "b"
    key = key_for("crossref", "search", long_a)
    assert key == key_for("crossref", "search", long_a)
    assert key != key_for("crossref", "search", long_b)
    assert key.startswith("v1/crossref/search/sha256:") and len(key) < 100
    assert key_for("crossref", "search", "a" * 200).endswith("a" * 200)


@pytest.mark.parametrize(("source", "kind"), [("", "work"), ("crossref", ""), ("cross/ref", "work"), ("x", "a/b")])
def test_key_for_rejects_malformed_source_or_kind(source, kind):
    """Source and kind are single non-empty words, so keys cannot collide across sources."""
    with pytest.raises(ValueError):
        key_for(source, kind, "x")


def test_ttls_fit_a_nightly_schedule():
    """Counts expire within a day (nightly runs refresh them); not-found and no-hit answers expire first."""
    assert COUNTS_TTL < DAY
    assert NOT_FOUND_TTL < METADATA_TTL and NO_HIT_SEARCH_TTL < SEARCH_TTL
    assert METADATA_TTL == 30 * DAY


def make_cache(which: str, tmp_path: Path) -> JsonCache:
    return MemoryJsonCache() if which == "memory" else DiskJsonCache(tmp_path / "cache")


@pytest.mark.parametrize("which", ["memory", "disk"])
class TestBothCaches:
    """Behaviour every JsonCache shares."""

    def test_round_trip_of_json_values(self, tmp_path, which):
        """A stored dict comes back equal, including unicode and nesting."""
        cache = make_cache(which, tmp_path)
        value = {
            "item": {"title": ["Über Audio–Visual"], "n": 3, "ok": True, "none": None},
            "fetched": "2026-01-01",
        }
        cache.set("v1/crossref/work/10.1/x", value, None)
        assert cache.get("v1/crossref/work/10.1/x") == value
        assert cache.get("v1/crossref/work/10.1/other") is None
        cache.close()

    def test_returned_values_are_copies(self, tmp_path, which):
        """Mutating what get() returned does not change the stored value."""
        cache = make_cache(which, tmp_path)
        cache.set("k", {"a": [1]}, None)
        got = cache.get("k")
        got["a"].append(2)
        assert cache.get("k") == {"a": [1]}
        cache.close()

    @pytest.mark.parametrize("bad", [None, {1, 2}, {"x": object()}, {"x": math.nan}])
    def test_refuses_none_and_non_json(self, tmp_path, which, bad):
        """None (which means miss), sets, objects and NaN cannot be stored."""
        cache = make_cache(which, tmp_path)
        with pytest.raises((TypeError, ValueError)):
            cache.set("k", bad, None)
        assert cache.get("k") is None
        cache.close()

    def test_stats_and_clear(self, tmp_path, which):
        """stats() counts entries per source/kind and hits/misses; clear() empties and says how many."""
        cache = make_cache(which, tmp_path)
        cache.set(key_for("crossref", "work", "a"), {"x": 1}, None)
        cache.set(key_for("crossref", "work", "b"), {"x": 2}, None)
        cache.set(key_for("semantic_scholar", "paper", "c"), {"x": 3}, None)
        cache.get(key_for("crossref", "work", "a"))
        cache.get(key_for("crossref", "work", "zzz"))
        stats = cache.stats()
        assert stats["entries"] == 3 and stats["crossref/work"] == 2 and stats["semantic_scholar/paper"] == 1
        assert stats["hits"] == 1 and stats["misses"] == 1 and stats["bytes"] > 0
        assert cache.clear() == 3
        assert cache.stats()["entries"] == 0
        cache.close()


def test_memory_cache_honours_ttl_on_its_clock():
    """An entry lives exactly ttl seconds on the injected clock; ttl None never expires."""
    clock = Clock()
    cache = MemoryJsonCache(clock)
    cache.set("short", {"v": 1}, 10)
    cache.set("forever", {"v": 2}, None)
    clock.now += 9.9
    assert cache.get("short") == {"v": 1}
    clock.now += 0.2
    assert cache.get("short") is None
    clock.now += 10 * 365 * DAY
    assert cache.get("forever") == {"v": 2}
    assert cache.keys() == ["forever"]


def test_disk_cache_expires_entries(tmp_path):
    """An entry whose ttl has passed is a miss (diskcache's own clock)."""
    cache = DiskJsonCache(tmp_path)
    cache.set("gone", {"v": 1}, -1)
    cache.set("kept", {"v": 2}, 60)
    assert cache.get("gone") is None
    assert cache.get("kept") == {"v": 2}
    assert cache.stats()["entries"] == 1
    cache.close()


def test_disk_cache_stores_json_text_not_pickles(tmp_path):
    """The raw diskcache value is the JSON text, so nothing is ever unpickled from the cache directory."""
    with DiskJsonCache(tmp_path) as cache:
        cache.set("k", {"title": "x"}, None)
    raw = diskcache.Cache(str(tmp_path))
    try:
        assert isinstance(raw.get("k"), str)
        assert json.loads(raw.get("k")) == {"title": "x"}
    finally:
        raw.close()


def test_disk_cache_persists_and_is_shared(tmp_path):
    """Two open caches on one directory see each other's writes, and a reopened cache still has them."""
    first, second = DiskJsonCache(tmp_path), DiskJsonCache(tmp_path)
    first.set("a", {"v": 1}, None)
    assert second.get("a") == {"v": 1}
    second.set("b", {"v": 2}, None)
    first.close()
    second.close()
    with DiskJsonCache(tmp_path) as reopened:
        assert reopened.get("a") == {"v": 1} and reopened.get("b") == {"v": 2}


def test_disk_cache_shared_with_another_process(tmp_path):
    """A value written by a second process is read here (diskcache is SQLite-transactional)."""
    code = textwrap.dedent(
        f"""
        from pathlib import Path
        from avenrich.cache import DiskJsonCache
        cache = DiskJsonCache(Path({str(tmp_path)!r}))
        cache.set("from-child", {{"pid": "child"}}, None)
        cache.close()
        """
    )
    with DiskJsonCache(tmp_path) as cache:
        cache.set("from-parent", {"pid": "parent"}, None)
        subprocess.run([sys.executable, "-c", code], check=True, timeout=60)
        assert cache.get("from-child") == {"pid": "child"}
        assert cache.get("from-parent") == {"pid": "parent"}
