"""Crash safety: `avenrich run` killed with SIGKILL at seeded random points (and once while it writes) keeps
the previous outputs intact and the cache usable, and the next run resumes from the cache and finishes with
the outputs of an uninterrupted run, byte for byte.

The runs are real subprocesses against fake Crossref/S2 servers with some latency and one shared
`prefect server` (helpers.shared_prefect_server), so each costs ~3 s instead of Prefect's temporary server.
"""

from __future__ import annotations

import random
import shutil
import time
from pathlib import Path
from typing import Any

import pytest

from avenrich.store import Store
from fake_servers import FakeApis
from helpers import (
    SAMPLE,
    PrefectServer,
    assert_outputs_valid,
    check_disk_cache,
    cli_env,
    hidden_temps,
    kill_group,
    read_outputs,
    shared_prefect_server,
    stable_view,
    start_run,
    state_integrity,
    stray_files,
)
from world import FakeWorld, build_sample_world

pytestmark = pytest.mark.prefect

SEED = 7
# Where each run dies: at a request in flight, at a random moment, and at its first temporary output file.
KILL_POINTS = ("request", "request", "timer", "request", "timer", "timer", "write")
NAME = "sample"
LATENCY = 0.15  # per request, so the network phase lasts a few seconds and the kills land inside it


@pytest.fixture(scope="module")
def server() -> PrefectServer:
    return shared_prefect_server()


@pytest.fixture(scope="module")
def world() -> FakeWorld:
    return build_sample_world(SAMPLE.read_text(encoding="utf-8"), seed=SEED).prepare()


def args(out: Path, cache: Path) -> list[str]:
    return ["--input", str(SAMPLE), "--out", str(out), "--cache-dir", str(cache), "-q"]


def check_after(out: Path, cache: Path, reference: dict[str, Any]) -> tuple[int, list[str]]:
    """The state a crash may leave: exactly NAME's outputs visible, each complete and parseable with the
    uninterrupted run's content, and a cache that opens, reads and writes. (entries in the cache, temps)"""
    assert stray_files(out, NAME) == [], "nothing but the outputs is visible"
    written = set(read_outputs(out, NAME)) - {"fixes.patch"}  # the patch exists only when the list has safe fixes
    assert written == {"bib", "json", "csl.json", "report.md", "history.jsonl", "html"}
    assert_outputs_valid(out, NAME)
    assert state_integrity(out, NAME) == "ok", "the state database is consistent (its last commit)"
    assert stable_view(out, NAME) == reference
    return check_disk_cache(cache), hidden_temps(out)


def test_sigkill_at_random_points_keeps_outputs_and_cache_and_the_next_run_resumes(
    server: PrefectServer, world: FakeWorld, tmp_path: Path
) -> None:
    """Seven SIGKILLs (requests in flight, seeded random moments, the first temporary output file):
    after each the previous outputs are intact (stable parts byte-identical), no partial file is visible, the
    cache passes SQLite's and diskcache's checks and only grows; the final run makes fewer requests than a
    cold one and ends with byte-identical .bib/.csl.json and the same catalogue entries."""
    with FakeApis(world, latency=LATENCY) as apis:
        env = cli_env(server, tmp_path / "home", apis.env())

        # An uninterrupted run: the reference outputs, its request count and when its requests happened.
        ref_out, ref_cache = tmp_path / "ref-out", tmp_path / "ref-cache"
        started = time.monotonic()
        done = start_run(args(ref_out, ref_cache), env, tmp_path)
        _, err = done.communicate(timeout=120)
        assert done.returncode == 0, err
        reference = stable_view(ref_out, NAME)
        cold_requests = len(apis.records)
        first = min(r.time for r in apis.records) - started

        # The previous good outputs the kills must not harm.
        out, cache = tmp_path / "out", tmp_path / "cache"
        out.mkdir()
        for path in ref_out.iterdir():
            if not path.name.startswith("."):
                shutil.copy2(path, out / path.name)
        previous = read_outputs(out, NAME)

        rng = random.Random(SEED)
        killed, completed, entries, temps = 0, 0, [0], []
        for point in KILL_POINTS:
            base = apis.count()
            process = start_run(args(out, cache), env, tmp_path)
            deadline = time.monotonic() + 60
            if point == "request":  # while the k-th request of this run is in flight at the fake server
                wanted = base + rng.randint(1, 3)
                while process.poll() is None and apis.count() < wanted and time.monotonic() < deadline:
                    time.sleep(0.005)
                time.sleep(rng.uniform(0.0, LATENCY))
            elif point == "timer":  # anywhere in the run: start-up, stages, writing, artifacts
                time.sleep(rng.uniform(first * 0.5, first + 1.0))
            else:  # at the first temporary output file it creates
                while process.poll() is None and not hidden_temps(out) and time.monotonic() < deadline:
                    time.sleep(0.001)
            if process.poll() is None:
                kill_group(process)
                killed += 1
            else:
                process.communicate(timeout=30)
                assert process.returncode == 0
                completed += 1
            count, left = check_after(out, cache, reference)
            assert count >= entries[-1], "the cache only grows: what a killed run fetched stays"
            entries.append(count)
            temps = left
            now = read_outputs(out, NAME)
            changed = {s for s in now if now[s] != previous[s]}
            assert not changed & {"bib", "csl.json"}, "the .bib and .csl.json never change: same inputs, same bytes"
            previous = now

        assert killed >= len(KILL_POINTS) - 2, f"the kills landed inside the runs ({killed} killed, {completed} done)"
        assert entries[-1] > 0, "the killed runs left answers in the cache"

        # The next run resumes from the cache and finishes like an uninterrupted run.
        apis.reset_counters()
        done = start_run(args(out, cache), env, tmp_path)
        _, err = done.communicate(timeout=120)
        assert done.returncode == 0, err
        assert "Traceback" not in err
        assert len(apis.records) < cold_requests, "the run resumed from what the killed runs cached"
        assert_outputs_valid(out, NAME)
        assert stable_view(out, NAME) == reference
        assert stray_files(out, NAME) == []
        assert len(temps) <= len(KILL_POINTS), "temporary files are hidden and few"
        assert state_integrity(out, NAME) == "ok"
        with Store.open(out / f"{NAME}.sqlite") as state:
            runs = state.runs()
        assert runs[-1]["finished"] and runs[-1]["entries"] == len(reference["entries"]), "the rerun is recorded"
        assert apis.internal_errors == []
