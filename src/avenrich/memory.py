"""Memory workarounds for very long lists (edge: process memory), confined to this module.

Each one is kept because it pays at 100k links; what each saves, and how it was measured, is in
benchmarks/RESULTS.md (`benchmarks/run.py` prints the figures). Nothing else in the package frees memory by hand.

    share / share_texts   one copy of equal small immutable values (provenance, evidence, names, venues)
    release               empty what a finished Prefect task returned (Prefect keeps task results referenced)
    give_back             collect cycles and return freed heap pages to the system (glibc malloc_trim)
    compacted             copy a stage's lasting values out of the arenas its temporaries fragmented
"""

from __future__ import annotations

import ctypes
import functools
import gc
import pickle
import sys
from collections.abc import Iterable
from typing import Any, Protocol, TypeVar, cast

T = TypeVar("T")

_SHARED: dict[str, object] = {}
COMPACT_CHUNK = 5_000


class Clearable(Protocol):
    def clear(self) -> None: ...


def share(value: T) -> T:
    """One copy of an immutable value that repeats across records, such as a provenance entry
    ("title", "crossref", "2026-12-06") or an evidence score ("year", 1.0). Keyed by repr, not ==, so
    ("year", 1) and ("year", 1.0) stay apart."""
    return cast(T, _SHARED.setdefault(repr(value), value))


def share_texts(value: object, names: Iterable[str]) -> None:
    """Replace each text field of a frozen dataclass by its interned copy (the same characters): names, venues,
    publishers, types and dates repeat across thousands of records, each a new string from its JSON."""
    for name in names:
        text = getattr(value, name)
        if type(text) is str:
            object.__setattr__(value, name, sys.intern(text))


def release(*values: Clearable) -> None:
    """Empty what a task returned once the flow is done with it, then give the memory back.

    Prefect (3.9) keeps every task's return value referenced until the flow run ends (the task's transaction
    holds its result record), so dropping the flow's own name for it frees nothing; emptying it does.
    """
    for value in values:
        value.clear()
    give_back()


def give_back() -> None:
    """Collect cycles and return the freed heap to the system (glibc's malloc_trim; nothing elsewhere): glibc
    keeps much of a finished stage's memory in its heaps, and the next stage's peak then comes on top."""
    gc.collect()
    trim = _malloc_trim()
    if trim is not None:
        trim(0)


@functools.cache
def _malloc_trim() -> Any:
    try:
        return ctypes.CDLL("libc.so.6").malloc_trim
    except (OSError, AttributeError):  # not glibc
        return None


def compacted(values: list[T]) -> list[T]:
    """The same values, copied into fresh memory once the originals' memory has been given back.

    A stage's lasting results are allocated among its temporaries (the parser's tokens), and CPython's small-
    object allocator can return an arena to the system only when every object in it is gone. Pickled in chunks
    (the pickler's memo stays small), freed, and unpickled into the emptied heap. Objects shared between chunks
    are copied once per chunk; the values must be picklable.
    """
    chunks = range(0, len(values), COMPACT_CHUNK)
    blobs = [pickle.dumps(values[i : i + COMPACT_CHUNK], pickle.HIGHEST_PROTOCOL) for i in chunks]
    values.clear()
    give_back()
    for blob in blobs:
        values.extend(pickle.loads(blob))
    return values
