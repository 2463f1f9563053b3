"""The fault matrix: every fault the fake servers inject, once (retried away) and forever (outlasting the
retries), asserted on the outputs and on the cache; a mixed fault rate over the bundled list; and the
operator's view of degraded sources (summary line, exit 4 with --fail-on-degraded).

The stages run without Prefect against real HTTP on 127.0.0.1 (tests/fake_servers.py), with retry waits
recorded instead of slept and a 0.3 s read timeout, so the whole matrix takes seconds.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from avenrich.cache import MemoryJsonCache
from avenrich.inputs import read_input
from avenrich.resolve import Item
from fake_servers import CROSSREF, FAULT_KINDS, S2, FakeApis, FaultPlan
from helpers import (
    SAMPLE,
    StageRun,
    cache_contents,
    entries_of,
    fake_settings,
    foreign_cache_values,
    in_process_cli,
    items_of,
    lost,
    run_stages,
    wrongly_resolved,
    zero_wait_policy,
)
from world import FakeWorld, build_bundled_world, build_sample_world

READ_TIMEOUT = 0.3
HANG = 1.0  # the fake holds a "hang" this long: past the read timeout, short enough for the tests
BATCH_KINDS = ("batch_wrong_length", "batch_extra_nulls", "batch_object")
# What an entry's reason must say when the fault outlasted the retries.
REASONS = {
    "500": "HTTP 500",
    "502": "HTTP 502",
    "503": "HTTP 503",
    "504": "HTTP 504",
    "429_retry_after": "HTTP 429",
    "429": "HTTP 429",
    "hang": "timed out",
    "truncated_json": "not valid JSON",
    "malformed_json": "not valid JSON",
    "drop": "transport error",
    "batch_wrong_length": "does not fit",
    "batch_extra_nulls": "does not fit",
    "batch_object": "does not fit",
    "redirect_loop": "too many redirects",
}
# Any reason naming a failed request (as opposed to "not found" or "did not pass verification").
FAILURE = re.compile(r"HTTP \d{3}|timed out|transport error|does not fit|redirect|keeps failing|unreachable")


def test_every_fault_kind_of_the_fake_is_in_the_matrix() -> None:
    """The matrix covers every kind the fake server can inject."""
    assert set(REASONS) == set(FAULT_KINDS)


# -- the sample list ---------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def sample_world() -> FakeWorld:
    return build_sample_world(SAMPLE.read_text(encoding="utf-8"), seed=7).prepare()


@pytest.fixture(scope="module")
def sample_items() -> list[Item]:
    return items_of(SAMPLE)[1]


@pytest.fixture(scope="module")
def sample_apis(sample_world: FakeWorld) -> Iterator[FakeApis]:
    with FakeApis(sample_world) as apis:
        yield apis


@pytest.fixture()
def apis(sample_apis: FakeApis) -> Iterator[FakeApis]:
    """The sample's fake services, without faults and with fresh counters for each test."""
    sample_apis.faults = None
    sample_apis.reset_counters()
    yield sample_apis
    sample_apis.faults = None
    assert sample_apis.internal_errors == []


def stages(apis: FakeApis, items: list[Item], cache: MemoryJsonCache, sleeps: list[float] | None = None) -> StageRun:
    settings = fake_settings(apis.env(), read_timeout=READ_TIMEOUT)
    return run_stages(items, settings, cache, policy=zero_wait_policy(settings, sleeps))


@pytest.fixture(scope="module")
def clean(sample_apis: FakeApis, sample_items: list[Item]) -> tuple[StageRun, dict[str, Any]]:
    """The sample resolved without faults, and what that run cached."""
    sample_apis.faults = None
    cache = MemoryJsonCache()
    run = stages(sample_apis, sample_items, cache)
    assert run.degraded == {}
    assert sum(o.choice.resolution.status == "resolved" for o in run.outcomes.values()) == 12
    return run, cache_contents(cache)


def transient_plan(kind: str, source: str) -> FaultPlan:
    """The first one or two requests to `source` that the fault applies to get it; every later one is fine."""
    if kind in BATCH_KINDS:
        return FaultPlan(script={1: kind, 2: kind}, sources=frozenset({S2}), endpoints=frozenset({"batch"}))
    # A hang costs a timed-out attempt, and a request gets two of those: one hang, then the answer.
    script = {1: kind} if kind == "hang" else {1: kind, 2: kind}
    return FaultPlan(script=script, sources=frozenset({source}), hang_seconds=HANG, retry_after=7)


TRANSIENT = [
    pytest.param(kind, source, id=f"{kind}-{source}")
    for kind in FAULT_KINDS
    for source in ((S2,) if kind in BATCH_KINDS else (CROSSREF,) if kind == "redirect_loop" else (CROSSREF, S2))
]


@pytest.mark.parametrize(("kind", "source"), TRANSIENT)
def test_a_fault_that_passes_is_retried_to_exactly_the_clean_outputs_and_cache(
    kind: str,
    source: str,
    apis: FakeApis,
    sample_items: list[Item],
    clean: tuple[StageRun, dict[str, Any]],
) -> None:
    """A fault on the first requests is retried: the outputs and every cache entry equal a clean run's."""
    clean_run, clean_cache = clean
    apis.faults = transient_plan(kind, source)
    cache = MemoryJsonCache()
    sleeps: list[float] = []
    run = stages(apis, sample_items, cache, sleeps)
    assert apis.fault_counts[kind] >= 1, "the fault was injected"
    assert run.files == clean_run.files
    assert cache_contents(cache) == clean_cache
    assert run.degraded == {}
    if kind == "429_retry_after":
        assert 7.0 in sleeps, "Retry-After is honoured"
    elif kind in {"500", "502", "503", "504", "429", "truncated_json", "malformed_json", "drop", *BATCH_KINDS}:
        assert sleeps and 1.0 <= sleeps[0] <= 2.0, "exponential backoff with jitter: 1 s + up to 1 s"


@pytest.mark.parametrize("kind", FAULT_KINDS)
def test_a_fault_that_outlasts_the_retries_loses_nothing_resolves_nothing_wrong_and_caches_nothing(
    kind: str,
    apis: FakeApis,
    sample_items: list[Item],
    clean: tuple[StageRun, dict[str, Any]],
) -> None:
    """Every request the fault applies to gets it: every entry is still there, entries that needed those
    requests are unresolved with a reason naming the fault, nothing is resolved wrongly, the cache holds only
    answers a clean run also caches, and once the fault clears the next run's outputs equal a clean run's."""
    clean_run, clean_cache = clean
    apis.faults = FaultPlan(rate=1.0, kinds=(kind,), hang_seconds=HANG)
    cache = MemoryJsonCache()
    run = stages(apis, sample_items, cache)

    assert [e["url"] for e in entries_of(run.files)] == [e["url"] for e in entries_of(clean_run.files)]
    assert wrongly_resolved(run, clean_run) == []
    losses = lost(run, clean_run)
    assert losses, "the fault cost some entries their resolution"
    assert {url: REASONS[kind] in reason for url, reason in losses.items()} == dict.fromkeys(losses, True)
    contents = cache_contents(cache)
    assert foreign_cache_values(contents, clean_cache) == []
    assert set(contents) <= set(clean_cache), "nothing is cached that a clean run would not cache"
    if kind not in {*BATCH_KINDS, "redirect_loop"}:  # these spare some endpoints; the others spare none
        assert set(run.degraded) == {"crossref", "semantic_scholar"}, "both sources reported as degraded"

    apis.faults = None
    assert stages(apis, sample_items, cache).files == clean_run.files


def test_a_failed_search_is_named_even_when_the_other_source_offers_candidates(
    apis: FakeApis, sample_items: list[Item], clean: tuple[StageRun, dict[str, Any]]
) -> None:
    """S2's searches fail; links searched there first fall back to Crossref, whose candidates do not pass:
    the reason still says that S2 could not be asked (regression: it only gave the best failing candidate)."""
    clean_run, _ = clean
    apis.faults = FaultPlan(rate=1.0, kinds=("500",), sources=frozenset({S2}), endpoints=frozenset({"match", "search"}))
    run = stages(apis, sample_items, MemoryJsonCache())
    losses = lost(run, clean_run)
    assert losses
    assert all("semantic_scholar" in reason and "HTTP 500" in reason for reason in losses.values()), losses
    assert any(reason.startswith("no candidate passed") for reason in losses.values()), (
        "a case where Crossref offered candidates that failed verification is covered"
    )
    assert wrongly_resolved(run, clean_run) == []


def test_an_s2_batch_of_the_wrong_shape_is_retried_not_taken_as_the_answer(
    apis: FakeApis, sample_items: list[Item], clean: tuple[StageRun, dict[str, Any]]
) -> None:
    """One batch answer with a missing element, then good ones: the arXiv entries are resolved as in a clean
    run (regression: a wrong-shaped batch was never retried and cost every id in it)."""
    clean_run, _ = clean
    apis.faults = FaultPlan(script={1: "batch_wrong_length"}, sources=frozenset({S2}), endpoints=frozenset({"batch"}))
    run = stages(apis, sample_items, MemoryJsonCache())
    assert apis.fault_counts["batch_wrong_length"] == 1
    assert lost(run, clean_run) == {}
    assert run.requests["semantic_scholar"]["paper/batch"]["retries"] == 1


def ids_and_counts(run: StageRun) -> dict[str, tuple[Any, ...]]:
    """Every entry's identifiers, status and citation counts."""
    return {
        url: (o.ids, o.choice.resolution.status, sorted((w.source, w.citation_count) for w in o.works))
        for url, o in run.outcomes.items()
    }


@pytest.mark.parametrize(
    ("kind", "source", "endpoints"),
    [
        ("500", S2, None),
        ("500", CROSSREF, None),
        ("batch_wrong_length", S2, frozenset({"batch"})),
        ("500", S2, frozenset({"match", "search"})),
    ],
)
def test_an_outcome_a_failure_shaped_is_incomplete_and_the_next_run_checks_it_again(
    kind: str,
    source: str,
    endpoints: frozenset[str] | None,
    apis: FakeApis,
    sample_items: list[Item],
    clean: tuple[StageRun, dict[str, Any]],
) -> None:
    """One source fails (every request, its batches only, or its searches only): entries it shaped, every one
    that lost its resolution among them, are marked incomplete, naming only that source; a clean rerun on the
    same cache completes every entry with the identifiers and counts of a clean run (nothing the failure
    shaped was kept as final)."""
    clean_run, _ = clean
    assert all(o.complete for o in clean_run.outcomes.values())
    apis.faults = FaultPlan(rate=1.0, kinds=(kind,), sources=frozenset({source}), endpoints=endpoints)
    cache = MemoryJsonCache()
    run = stages(apis, sample_items, cache)
    incomplete = {url for url, o in run.outcomes.items() if not o.complete}
    assert incomplete, "the failure shaped some entries (a resolution lost, or a source's record missing)"
    assert set(lost(run, clean_run)) <= incomplete
    assert {name for url in incomplete for name in run.outcomes[url].failed} == {source}
    apis.faults = None
    rerun = stages(apis, sample_items, cache)
    assert all(o.complete for o in rerun.outcomes.values())
    assert ids_and_counts(rerun) == ids_and_counts(clean_run)
    assert rerun.files == clean_run.files


# -- a mixed fault rate over the bundled list ----------------------------------------------------------


@pytest.fixture(scope="module")
def bundled() -> Iterator[tuple[FakeApis, list[Item], StageRun, dict[str, Any]]]:
    """Fake services for the bundled list, its items, and a clean run with its cache."""
    text = read_input(None)
    world = build_bundled_world(text.text, seed=1).prepare()
    items = items_of(None)[1]
    with FakeApis(world) as apis:
        cache = MemoryJsonCache()
        yield apis, items, stages(apis, items, cache), cache_contents(cache)


@pytest.mark.parametrize(("rate", "seed"), [(0.05, 1), (0.10, 2)])
def test_mixed_faults_over_the_bundled_list(
    rate: float, seed: int, bundled: tuple[FakeApis, list[Item], StageRun, dict[str, Any]]
) -> None:
    """5-10% of requests faulted (every kind, seeded): the run completes with all 187 entries, nothing is
    resolved wrongly, every entry it lost says which request failed, no fault is cached as an answer, and
    the next run with the faults gone equals a clean run (identifiers and counts of every entry, each complete)."""
    apis, items, clean_run, clean_cache = bundled
    apis.reset_counters()
    apis.faults = FaultPlan(rate=rate, seed=seed, hang_seconds=HANG)
    cache = MemoryJsonCache()
    try:
        run = stages(apis, items, cache)
        faults = sum(apis.fault_counts.values())
    finally:
        apis.faults = None
    assert faults >= 5, "faults were injected"
    assert len(entries_of(run.files)) == len(entries_of(clean_run.files)) == 187
    assert wrongly_resolved(run, clean_run) == []
    assert {url: bool(FAILURE.search(reason)) for url, reason in lost(run, clean_run).items()} == dict.fromkeys(
        lost(run, clean_run), True
    )
    assert set(lost(run, clean_run)) <= {url for url, o in run.outcomes.items() if not o.complete}
    assert foreign_cache_values(cache_contents(cache), clean_cache) == []
    rerun = stages(apis, items, cache)
    assert rerun.files == clean_run.files
    assert ids_and_counts(rerun) == ids_and_counts(clean_run) and all(o.complete for o in rerun.outcomes.values())
    assert apis.internal_errors == []


# -- the operator's view: the degraded line and exit 4 -------------------------------------------------


@pytest.fixture()
def cli(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> Iterator[Any]:
    with in_process_cli(monkeypatch.setenv, lambda: capsys.readouterr().err) as run:
        yield run


def degraded_lines(stderr: str) -> list[str]:
    return [line for line in stderr.splitlines() if "degraded" in line]


@pytest.mark.prefect
def test_unreachable_services_give_exit_4_with_fail_on_degraded_and_name_both(
    prefect_harness: None, cli: Any, tmp_path: Path
) -> None:
    """Both services unreachable (conftest points them at a closed port): outputs are written, one line
    names both sources; exit 4 with --fail-on-degraded, 0 without."""
    out, cache = tmp_path / "out", tmp_path / "cache"
    code, err = cli("--input", str(SAMPLE), "--out", str(out), "--cache-dir", str(cache), "-q", "--fail-on-degraded")
    assert code == 4, err
    (line,) = degraded_lines(err)
    assert "crossref unreachable" in line and "semantic_scholar unreachable" in line
    assert "Traceback" not in err
    doc = json.loads((out / "sample.json").read_text(encoding="utf-8"))
    assert len(doc["entries"]) == 12 and set(doc["summary"]["degraded"]) == {"crossref", "semantic_scholar"}
    report = (out / "sample.report.md").read_text(encoding="utf-8")
    assert "**degraded** crossref" in report and "**degraded** semantic_scholar" in report
    code, err = cli("--input", str(SAMPLE), "--out", str(out), "--cache-dir", str(cache), "-q")
    assert code == 0 and len(degraded_lines(err)) == 1


@pytest.mark.prefect
def test_one_degraded_source_is_named_alone(
    prefect_harness: None, cli: Any, sample_world: FakeWorld, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Crossref answers, S2 is unreachable: exit 4 names semantic_scholar and only it."""
    with FakeApis(sample_world, crossref_limits=(100, 100, 3)) as fast:
        monkeypatch.setenv("AVENRICH_CROSSREF_URL", fast.crossref_url)
        monkeypatch.setenv("AVENRICH_CROSSREF_RPS", "100")  # no pacing waits: the fake allows it
        code, err = cli(
            "--input",
            str(SAMPLE),
            "--out",
            str(tmp_path / "out"),
            "--cache-dir",
            str(tmp_path / "c"),
            "-q",
            "--fail-on-degraded",
        )
        assert fast.count(CROSSREF) > 0
    assert code == 4
    (line,) = degraded_lines(err)
    assert "semantic_scholar unreachable" in line and "crossref" not in line


@pytest.mark.prefect
def test_offline_names_every_source_it_did_not_ask(prefect_harness: None, cli: Any, tmp_path: Path) -> None:
    """--offline: the degraded line names both sources once each (regression: it said "offline" twice and
    named neither)."""
    code, err = cli(
        "--input", str(SAMPLE), "--out", str(tmp_path / "out"), "--cache-dir", str(tmp_path / "c"), "-q", "--offline"
    )
    assert code == 0
    (line,) = degraded_lines(err)
    assert "crossref" in line and "semantic_scholar" in line and line.count("offline") == 1
