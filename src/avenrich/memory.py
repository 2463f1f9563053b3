"""Memory for very long lists (edge: process memory), confined to this module.

    share / share_texts   one copy of equal small immutable values (provenance, evidence, names, venues)
    release               empty what a finished Prefect task returned or was handed (Prefect keeps both referenced)

Nothing else in the package frees memory by hand; past a budget, the run's merged records live on disk from
merge to the write (spool.py), so no stage holds a long list's records. The earlier workarounds (glibc's
malloc_trim after each stage, the parse result pickled and unpickled to compact it) are gone: with tonight's
unchanged links kept (decisions.py) and the state written in batches, a 100k-link list stays under 1 GB without
them (benchmarks/RESULTS.md).
"""

from __future__ import annotations

import sys
from collections.abc import Iterable
from typing import Protocol, TypeVar, cast

T = TypeVar("T")

_SHARED: dict[str, object] = {}


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
    """Empty what a task returned once the flow is done with it.

    Prefect (3.9) keeps every task's return value and arguments referenced until the flow run ends (the task's
    transaction holds its result record), so dropping the flow's own name for it frees nothing; emptying it does.
    """
    for value in values:
        value.clear()
