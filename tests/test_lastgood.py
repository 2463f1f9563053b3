"""Last good data wins over an outage (lastgood.py): which records a run could not check, and the carry-over."""

from __future__ import annotations

import pytest

from avenrich.lastgood import carried_lines, settle, unchecked_reason
from avenrich.model import Citations, Ids, Link, Record, Resolution

TODAY = "2026-11-26"
CROSSREF_DOWN = {"crossref": "crossref unreachable (connection refused): skipped for the rest of this run"}


CR, S2 = frozenset({"crossref"}), frozenset({"semantic_scholar"})


def record(
    status: str = "resolved",
    method: str = "link",
    reason: str = "",
    *,
    url: str = "https://doi.org/10.1/a",
    kind: str = "paper",
    ids: Ids | None = None,
    provenance: tuple[tuple[str, str, str | None], ...] = (("title", "crossref", "2026-11-24"),),
    citations: Citations | None = None,
    checked: str | None = None,
    failed: frozenset[str] = frozenset(),
) -> Record:
    return Record(
        link=Link(url=url, title="A Title", kind=kind),  # type: ignore[arg-type]
        ids=ids if ids is not None else Ids(doi="10.1/a"),
        resolution=Resolution(status, method, 0.9 if status == "resolved" else 0.0, reason, checked=checked),  # type: ignore[arg-type]
        title="A Title",
        provenance=provenance,
        citations=citations or Citations(),
        failed=failed,
    )


@pytest.mark.parametrize(
    ("rec", "unchecked"),
    [
        (record(), False),
        (record("unresolved", "offline", "offline: not in the cache"), True),
        (record("unresolved", "link-unconfirmed", "crossref unreachable (…)"), True),
        (record("unresolved", "none", "no candidate found (crossref unreachable: skipped)", failed=CR), True),
        (record("unresolved", "search:crossref", "title 0.41 < 0.90 (semantic_scholar: HTTP 503)", failed=S2), True),
        (record("unresolved", "none", "", failed=S2), True),
        # Negatives: a source answered.
        (record("unresolved", "none", "no candidate found"), False),
        # A reason that only reads like a failure: no source failed for this link.
        (record("unresolved", "none", "no candidate found (crossref: HTTP 503)"), False),
        (record("unresolved", "link", "the link's identifier is in neither Crossref nor Semantic Scholar"), False),
        (record("unresolved", "search:crossref", "not the paper: title 0.41 (a different paper)"), False),
        (record("unresolved", "offline", "offline", kind="dataset"), False),
    ],
)
def test_unchecked_reason(rec: Record, unchecked: bool) -> None:
    """Unresolved paper links that no source decided, or whose searches failed, could not be checked."""
    assert (unchecked_reason(rec) is not None) == unchecked


def test_an_unchecked_entry_keeps_its_last_verified_resolution_marked_stale() -> None:
    """The outage night publishes the last verified record, stale, dated when it was verified; counted by date
    and which sources were unavailable."""
    good = record(checked="2026-11-24")
    down = record("unresolved", "link-unconfirmed", "crossref unreachable (connection refused)")
    settled = settle([down], lambda r: good, CROSSREF_DOWN, TODAY)
    (published,) = settled.records
    assert published.ids == good.ids and published.resolution.status == "resolved"
    assert published.resolution.stale and published.resolution.checked == "2026-11-24"
    assert settled.verified == [] and settled.answered == []
    assert carried_lines(settled.carried) == ["1 entry carried over from 2026-11-24: crossref unavailable"]


def test_first_night_with_no_state_publishes_what_the_list_says() -> None:
    """Nothing verified yet: the unresolved record is published as it is; nothing is carried."""
    down = record("unresolved", "offline", "offline: not in the cache")
    settled = settle([down], lambda r: None, CROSSREF_DOWN, TODAY)
    assert settled.records == [down] and settled.carried == {}


def test_a_verified_record_is_dated_today_and_an_answered_miss_drops_the_old_one() -> None:
    """Resolved now: published with checked = today and stored; a source answered "no paper": forgotten."""
    asked: list[str] = []

    def last(r: Record) -> Record | None:
        asked.append(r.link.url)
        return record(checked="2026-11-24")

    fresh = record()
    miss = record("unresolved", "none", "no candidate found", url="https://x")
    settled = settle([fresh, miss], last, {}, TODAY)
    assert [r.resolution.checked for r in settled.records] == [TODAY, None]
    assert not settled.records[0].resolution.stale
    assert settled.verified == [0] and settled.answered == ["https://x"]
    assert asked == [], "the state is read only for records that could not be fully checked"


def test_a_partial_result_of_a_degraded_source_keeps_the_fuller_verified_record() -> None:
    """S2 down: a record resolved from Crossref alone does not replace one verified with both sources' data;
    a record of another paper does (the answering source changed the result)."""
    both = record(
        ids=Ids(doi="10.1/a", s2="a" * 40),
        provenance=(("title", "crossref", "d"), ("venue", "semantic_scholar", "d")),
        citations=Citations(crossref=5, semantic_scholar=7),
        checked="2026-11-24",
    )
    s2_down = {"semantic_scholar": "semantic_scholar unreachable"}
    partial = record(citations=Citations(crossref=6))
    settled = settle([partial], lambda r: both, s2_down, TODAY)
    assert settled.records[0].ids == both.ids and settled.records[0].resolution.stale
    assert carried_lines(settled.carried) == ["1 entry carried over from 2026-11-24: semantic_scholar unavailable"]
    other = record(ids=Ids(doi="10.1/zzz"))
    assert settle([other], lambda r: both, s2_down, TODAY).records[0].ids == other.ids


def test_a_miss_while_the_verifying_source_failed_keeps_the_verified_record() -> None:
    """S2 failed and Crossref does not know the DOI: the record S2 verified stays (stale); with no failure the
    miss is an answer and the verified record goes; a rejection ("not the paper") is an answer either way."""
    by_s2 = record(provenance=(("title", "semantic_scholar", "d"),), checked="2026-11-24")
    s2_failed = {"semantic_scholar": "HTTP 503 after 4 attempts"}
    miss = record("unresolved", "link", "the link's identifier is in neither Crossref nor Semantic Scholar")
    settled = settle([miss], lambda r: by_s2, s2_failed, TODAY)
    assert settled.records[0].resolution.stale and settled.answered == []
    assert settle([miss], lambda r: by_s2, {}, TODAY).answered == [miss.link.url]
    rejected = record("unresolved", "search:crossref", "not the paper: title 0.41")
    assert settle([rejected], lambda r: by_s2, s2_failed, TODAY).records == [rejected]
    by_crossref = record(checked="2026-11-24")
    assert settle([miss], lambda r: by_crossref, s2_failed, TODAY).records == [miss], "only the failed source's"
