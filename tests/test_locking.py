"""Two runs at once on the same outputs and cache: the run lock (publish.RunLock) makes the second wait for
the first, so both succeed, the outputs are those of a single run, and the second is served from the cache.
"""

from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest

from avenrich.errors import OutputError
from avenrich.publish import RunLock
from fake_servers import FakeApis
from helpers import (
    SAMPLE,
    PrefectServer,
    assert_outputs_valid,
    cli_env,
    shared_prefect_server,
    stable_view,
    start_run,
    stray_files,
)
from world import build_sample_world


def test_a_second_lock_waits_then_gives_up_with_one_line(tmp_path: Path) -> None:
    """While one run holds the output directory, another waits up to its timeout, then fails clearly."""
    with RunLock(tmp_path / "out", "list"):
        started = time.monotonic()
        with (
            pytest.raises(OutputError, match="another avenrich run holds"),
            RunLock(tmp_path / "out", "list", timeout=0.5),
        ):
            pass
        assert 0.5 <= time.monotonic() - started < 5
    with RunLock(tmp_path / "out", "list", timeout=0.5):  # released: free again at once
        pass


def test_a_waiting_lock_gets_the_directory_when_the_holder_releases_it(tmp_path: Path) -> None:
    """The second holder enters only after the first has left."""
    events: list[str] = []
    first = RunLock(tmp_path, "list")
    first.__enter__()

    def second() -> None:
        with RunLock(tmp_path, "list", timeout=10):
            events.append("second in")

    thread = threading.Thread(target=second)
    thread.start()
    time.sleep(0.5)
    events.append("first out")
    first.__exit__(None, None, None)
    thread.join(timeout=10)
    assert events == ["first out", "second in"]


def test_other_lists_in_the_same_directory_are_not_locked_out(tmp_path: Path) -> None:
    """The lock is per list name: workers writing other lists into one shared out_dir go ahead at once."""
    with RunLock(tmp_path, "list-a"):
        started = time.monotonic()
        with RunLock(tmp_path, "list-b", timeout=0.5), RunLock(tmp_path, "list-a.b", timeout=0.5):
            pass
        assert time.monotonic() - started < 0.5
        with pytest.raises(OutputError, match="another avenrich run holds"), RunLock(tmp_path, "list-a", timeout=0.3):
            pass


def test_a_lock_on_an_unusable_directory_is_an_output_error(tmp_path: Path) -> None:
    """An output directory under a regular file cannot be locked: OutputError, not a traceback."""
    (tmp_path / "file").write_text("x", encoding="utf-8")
    with pytest.raises(OutputError, match="cannot use output directory"), RunLock(tmp_path / "file" / "out", "list"):
        pass


@pytest.mark.prefect
def test_two_runs_started_at_once_both_succeed_with_the_outputs_of_one(tmp_path: Path) -> None:
    """Two `avenrich run` on the same --out and --cache-dir at the same moment: both exit 0, the outputs are
    valid and equal to a single run's, and together they asked the services no more than one run does."""
    server: PrefectServer = shared_prefect_server()
    world = build_sample_world(SAMPLE.read_text(encoding="utf-8"), seed=3).prepare()
    with FakeApis(world, latency=0.05) as apis:
        env = cli_env(server, tmp_path / "home", apis.env())

        def args(out: Path, cache: Path) -> list[str]:
            return ["--input", str(SAMPLE), "--out", str(out), "--cache-dir", str(cache), "-q"]

        single = start_run(args(tmp_path / "single", tmp_path / "single-cache"), env, tmp_path)
        _, err = single.communicate(timeout=120)
        assert single.returncode == 0, err
        one_run = apis.count()
        reference = stable_view(tmp_path / "single", "sample")

        apis.reset_counters()
        out, cache = tmp_path / "out", tmp_path / "cache"
        both = [start_run(args(out, cache), env, tmp_path) for _ in range(2)]
        results = [process.communicate(timeout=180) for process in both]
        assert [process.returncode for process in both] == [0, 0], [err for _, err in results]
        assert all("Traceback" not in err for _, err in results)
        assert apis.count() == one_run, "the second run waited for the first and was served from the cache"
    assert_outputs_valid(out, "sample")
    assert stable_view(out, "sample") == reference
    assert stray_files(out, "sample") == []
