"""Last good data wins over an outage (pure): which records a run could not check, and what replaces them.

A link whose lookups could not be made (a source unreachable, its circuit open, offline, a fault that outlasted
the retries) keeps its last verified resolution, marked `stale` with the date it was last verified (`checked`).
Only a source that answered can change a verified result; the first night, with nothing verified, publishes
what the list says.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping, MutableSequence, Sequence
from dataclasses import dataclass, field

from avenrich.model import CROSSREF, LIST, SEMANTIC_SCHOLAR, Record

_SOURCE_NAMES = {CROSSREF: ("crossref",), SEMANTIC_SCHOLAR: ("semantic_scholar", "semantic scholar")}
# Methods of an unresolved resolution that no source decided (resolve.py: no source reachable, or offline).
UNDECIDED_METHODS = frozenset({"offline", "link-unconfirmed"})
# Reasons of an unresolved resolution that say only that the sources which answered did not know the paper.
_NOT_FOUND = ("no candidate found", "the link's identifier is in neither")


@dataclass(slots=True)
class Settled:
    """The records to publish, and what the state learns from them.

    `verified`: the positions in `records` of those a source verified this run (their `resolution.checked` is
    today); `answered`: links
    a source answered for with no paper (their old verified resolution goes); `carried`: how many records were
    carried over, by (date last verified, why).
    """

    records: MutableSequence[Record] = field(default_factory=list)
    verified: list[int] = field(default_factory=list)
    answered: list[str] = field(default_factory=list)
    carried: dict[tuple[str, str], int] = field(default_factory=dict)

    @property
    def carried_total(self) -> int:
        """How many records were carried over."""
        return sum(self.carried.values())


def unchecked_reason(record: Record) -> str | None:
    """Why this run could not check the record's link, or None when a source answered for it.

    The one place that decides "could not be checked": an unresolved paper link that no source decided (method
    offline / link-unconfirmed), or whose lookups or searches failed on some source (`record.failed`, from
    resolve's Outcome.failed).
    """
    res = record.resolution
    if res.status != "unresolved" or record.link.kind != "paper":
        return None
    if res.method in UNDECIDED_METHODS:
        return res.reason or res.method
    if record.failed:
        return res.reason or f"{', '.join(sorted(record.failed))} failed"
    return None


def settle(
    records: Sequence[Record],
    last_verified: Callable[[Record], Record | None],
    degraded: Mapping[str, str],
    today: str,
    into: MutableSequence[Record] | None = None,
) -> Settled:
    """Each record as published: verified now (dated today), carried over from its last verified resolution
    (stale), or as resolved. `last_verified(record)` reads the state; it is asked only about the records this
    run could not fully check. `degraded` holds the sources that could not be asked (name -> why). The settled
    records are appended to `into` (a new list by default)."""
    settled = Settled() if into is None else Settled(records=into)
    for record in records:
        why = unchecked_reason(record)
        if why is not None:
            previous = last_verified(record)
            if previous is not None:
                _carry(settled, previous, _unavailable(why, degraded))
            else:
                settled.records.append(record)
            continue
        if record.resolution.status != "resolved":
            previous = last_verified(record) if failed_could_have_found(record, degraded) else None
            if previous is not None and set(degraded) & record_sources(previous):
                _carry(settled, previous, _unavailable("", degraded))
                continue
            settled.records.append(record)
            if record.link.kind == "paper":
                settled.answered.append(record.link.url)
            continue
        missing = _missing_sources(record, degraded)
        if missing:
            previous = last_verified(record)
            if previous is not None and _same_paper(previous, record) and missing & record_sources(previous):
                _carry(settled, previous, _unavailable("", {name: degraded[name] for name in missing}))
                continue
        fresh = dataclasses.replace(record, resolution=dataclasses.replace(record.resolution, checked=today))
        settled.verified.append(len(settled.records))
        settled.records.append(fresh)
    return settled


def failed_could_have_found(record: Record, degraded: Mapping[str, str]) -> bool:
    """An unresolved paper that the answering sources did not find (no verdict against it) while another source
    failed: the failed source, which may be the one that verified it before, was not heard."""
    reason = record.resolution.reason
    return bool(degraded) and record.link.kind == "paper" and reason.startswith(_NOT_FOUND)


def carried_lines(carried: Mapping[tuple[str, str], int]) -> list[str]:
    """The report's lines: "N entries carried over from DATE: crossref unavailable", oldest date first."""
    return [
        f"{count} {'entry' if count == 1 else 'entries'} carried over from {date}: {why}"
        for (date, why), count in sorted(carried.items())
    ]


def _carry(settled: Settled, previous: Record, why: str) -> None:
    stale = dataclasses.replace(previous, resolution=dataclasses.replace(previous.resolution, stale=True))
    settled.records.append(stale)
    key = (previous.resolution.checked or "", why)
    settled.carried[key] = settled.carried.get(key, 0) + 1


def _unavailable(reason: str, degraded: Mapping[str, str]) -> str:
    """Which sources were unavailable, for the report ("crossref unavailable, semantic_scholar unavailable")."""
    names = set(degraded) | ({name for name in _SOURCE_NAMES if _mentions(reason, name)} if reason else set())
    if not names:
        return "offline" if reason.startswith("offline") else "lookups failed"
    return ", ".join(f"{name} unavailable" for name in sorted(names))


def _mentions(reason: str, source: str) -> bool:
    return any(spelling in reason.lower() for spelling in _SOURCE_NAMES[source])


def record_sources(record: Record) -> set[str]:
    """The sources whose data the record holds (its fields' provenance, its counts)."""
    found = {source for _field, source, _date in record.provenance if source != LIST}
    if record.citations.crossref is not None:
        found.add(CROSSREF)
    if record.citations.semantic_scholar is not None:
        found.add(SEMANTIC_SCHOLAR)
    return found


def _missing_sources(record: Record, degraded: Mapping[str, str]) -> set[str]:
    """The degraded sources a resolved record has nothing from (a partial result: they could not be asked)."""
    return {name for name in degraded if name in _SOURCE_NAMES} - record_sources(record) if degraded else set()


def _same_paper(a: Record, b: Record) -> bool:
    """The two records name the same paper: an identifier they both have agrees, and none disagrees."""
    pairs = [(getattr(a.ids, n), getattr(b.ids, n)) for n in ("doi", "arxiv", "s2")]
    shared = [(x, y) for x, y in pairs if x is not None and y is not None]
    return bool(shared) and all(x.lower() == y.lower() for x, y in shared)
