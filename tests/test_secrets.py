"""The S2 key never leaves the x-api-key header: a sentinel key is grepped for in everything a run writes
(outputs, cache files and values, both Prefect homes and the server's database, the API's records of the
run, stdout/stderr, DEBUG log records) and in every error raised while it is configured.
"""

from __future__ import annotations

import json
import logging
import pickle
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from avenrich.cache import DiskJsonCache, MemoryJsonCache
from avenrich.errors import SourceError
from avenrich.sources import SearchQuery, open_sources
from fake_servers import CROSSREF, S2, FakeApis, FaultPlan
from helpers import (
    SAMPLE,
    PrefectServer,
    cache_contents,
    cli_env,
    fake_settings,
    shared_prefect_server,
    start_run,
    zero_wait_policy,
)
from world import FakeWorld, build_sample_world

SENTINEL = "sk-SENTINEL-7f3a9c2e51d04b8a-never-anywhere"


def files_containing(root: Path, needle: bytes) -> list[str]:
    """Every file under `root` whose bytes contain `needle` (also checks that there were files to read)."""
    files = [p for p in root.rglob("*") if p.is_file()]
    assert files, f"nothing was written under {root}"
    return [str(p) for p in files if needle in p.read_bytes()]


@pytest.fixture(scope="module")
def world() -> FakeWorld:
    return build_sample_world(SAMPLE.read_text(encoding="utf-8"), seed=7).prepare()


@pytest.mark.prefect
def test_a_cli_run_sends_the_key_but_writes_it_nowhere(world: FakeWorld, tmp_path: Path) -> None:
    """A verbose CLI run with the key, Prefect at DEBUG with result persistence on and some S2 faults (a 429,
    redirect loops on searches): the key reached S2 (and only S2), and no byte of anything written, printed
    or recorded by Prefect contains it."""
    server: PrefectServer = shared_prefect_server()
    faults = FaultPlan(
        rate=1.0,
        kinds=("redirect_loop",),
        script={1: "429_retry_after"},
        retry_after=0,
        sources=frozenset({S2}),
        endpoints=frozenset({"match", "search"}),
    )
    home, out, cache = tmp_path / "home", tmp_path / "out", tmp_path / "cache"
    with FakeApis(world, faults=faults) as apis:
        env = cli_env(
            server,
            home,
            apis.env(),
            AVENRICH_S2_API_KEY=SENTINEL,
            PREFECT_LOGGING_LEVEL="DEBUG",
            PREFECT_LOGGING_EXTRA_LOGGERS="avenrich,httpx,httpcore",
            PREFECT_RESULTS_PERSIST_BY_DEFAULT="true",
            AVENRICH_S2_RPS="20",  # the fake does not limit: no need to wait 1 s between S2 requests
            AVENRICH_CROSSREF_RPS="20",
        )
        args = ["--input", str(SAMPLE), "--out", str(out), "--cache-dir", str(cache), "--name", "secrets", "-v"]
        run = start_run(args, env, tmp_path)
        stdout, stderr = run.communicate(timeout=180)
        assert run.returncode == 0, stderr
        records = list(apis.records)
    assert {r.key_present for r in records if r.source == S2} == {True}, "the key was sent to S2"
    assert {r.key_present for r in records if r.source == CROSSREF} == {False}, "and never to Crossref"
    assert any(r.fault == "redirect_loop" for r in records), "error paths were exercised"

    assert SENTINEL not in stdout and SENTINEL not in stderr
    assert "DEBUG" in stderr and "semantic_scholar POST" in stderr, "the verbose log was captured"
    needle = SENTINEL.encode()
    assert files_containing(out, needle) == []
    assert files_containing(cache, needle) == []
    with DiskJsonCache(cache) as opened:
        values = cache_contents(opened)
    assert values and SENTINEL not in json.dumps(values) and all(SENTINEL not in key for key in values)
    assert files_containing(home, needle) == [], "client-side Prefect home (results, storage, settings)"

    recorded = wait_for_records(server, "enrich-secrets")
    assert recorded["logs"], "the run's logs reached the Prefect server"
    assert recorded["task_runs"] and recorded["artifacts"]
    assert SENTINEL not in json.dumps(recorded)
    assert files_containing(server.home, needle) == [], "the Prefect server's database"
    assert files_containing(server.home, b"enrich-secrets"), "(the database is plain bytes a leak would show in)"


def wait_for_records(server: PrefectServer, name: str) -> dict[str, Any]:
    """The flow run called `name` and its task runs, logs and artifacts, once the log count stops growing."""
    (flow_run,) = server.post("/flow_runs/filter", {"flow_runs": {"name": {"any_": [name]}}})
    ids = {"any_": [flow_run["id"]]}
    logs: list[Any] = []
    for _ in range(20):
        latest = server.post("/logs/filter", {"logs": {"flow_run_id": ids}, "limit": 200})
        if latest and len(latest) == len(logs):
            break
        logs = latest
        time.sleep(0.25)
    return {
        "flow_run": flow_run,
        "logs": logs,
        "task_runs": server.post("/task_runs/filter", {"flow_runs": {"id": ids}}),
        "artifacts": server.post("/artifacts/filter", {"artifacts": {"flow_run_id": ids}}),
    }


class Everything(logging.Handler):
    """Keeps every record at every level."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


@pytest.fixture()
def all_logs() -> Iterator[Everything]:
    """Every log record at DEBUG from the root, avenrich, httpx and httpcore loggers during the test."""
    handler = Everything()
    names = ["", "avenrich", "httpx", "httpcore"]
    saved = [(logging.getLogger(n), logging.getLogger(n).level) for n in names]
    for logger, _ in saved:
        logger.addHandler(handler)
        logger.setLevel(logging.DEBUG)
    yield handler
    for logger, level in saved:
        logger.removeHandler(handler)
        logger.setLevel(level)


@pytest.mark.parametrize("kind", ["500", "429", "hang", "truncated_json", "drop", "redirect_loop", "batch_object"])
def test_errors_raised_and_logged_with_the_key_configured_never_show_it(
    kind: str, world: FakeWorld, all_logs: Everything
) -> None:
    """Every way an S2 request can fail, with the key configured: the SourceErrors (str, repr, url, pickled),
    the per-key failure reasons, the request counters and every DEBUG log record are free of the key."""
    settings = fake_settings({}, s2_api_key=SENTINEL, read_timeout=0.3)
    assert SENTINEL not in repr(settings)
    plan = FaultPlan(rate=1.0, kinds=(kind,), sources=frozenset({S2}), hang_seconds=1.0)
    errors: list[SourceError] = []
    with FakeApis(world, faults=plan) as apis:
        settings = fake_settings(apis.env(), s2_api_key=SENTINEL, read_timeout=0.3)
        cache = MemoryJsonCache()
        with open_sources(settings, cache, policy=zero_wait_policy(settings), sleep=lambda _s: None) as sources:
            s2 = sources["semantic_scholar"]
            found = s2.lookup(["ARXIV:1709.04343", "DOI:10.1007/s10489-014-0629-7"])
            for title in ("Lip Reading Sentences in the Wild", "The Sound of Pixels", "Look, Listen and Learn"):
                for call in (s2.match, s2.search):
                    try:
                        call(SearchQuery(title, 2017))
                    except SourceError as exc:
                        errors.append(exc)
            shown = [s2.failures, s2.errors, sources.stats.as_dict(), sources.degraded(), cache_contents(cache)]
        assert {r.key_present for r in apis.records if r.source == S2} == {True}
    # Batch faults only touch the lookup, redirect loops only the searches (GET); the others both.
    assert (found == {} and bool(s2.failures)) is (kind != "redirect_loop"), "the lookup failed, with reasons"
    assert bool(errors) is (kind != "batch_object"), "the searches raised SourceError"
    for error in errors:
        for text in (str(error), repr(error), error.url, error.message, repr(error.args)):
            assert SENTINEL not in text
        assert SENTINEL.encode() not in pickle.dumps(error)
    assert SENTINEL not in json.dumps(shown, default=str)
    assert all_logs.records, "log records were captured"
    for record in all_logs.records:
        assert SENTINEL not in record.getMessage() and SENTINEL not in repr(record.args), record.name


@pytest.mark.parametrize("key", ["sk-SENTINEL-caf\u00e9", "sk-SENTINEL\u00a0pasted", "sk-SENTINEL\x07bell"])
def test_a_key_that_cannot_be_a_header_is_one_line_that_does_not_show_it(
    key: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """A key with a non-ASCII or control character fails before anything runs, exit 2, one line naming the
    variable and not the key (regression: an internal UnicodeEncodeError from deep in the first request)."""
    from avenrich.cli import main

    monkeypatch.setenv("AVENRICH_S2_API_KEY", key)
    assert main(["run", "--input", str(SAMPLE), "--offline"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "AVENRICH_S2_API_KEY" in err and "SENTINEL" not in err
