"""The command line as an operator meets it: refusals before Prefect starts, Ctrl-C and SIGTERM, visible
degraded runs, and --offline with a URL input. Real `avenrich` subprocesses against loopback servers.

Times are measured in benchmarks/run.py (`--operator`), never asserted here; waits are generous, so only a
hang fails a test.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler
from pathlib import Path

import pytest

from helpers import (
    PREFECT,
    SAMPLE,
    InputServer,
    _QuietServer,
    base_env,
    cli_env,
    free_port,
    kill_group,
    shared_prefect_server,
    start_run,
)

PROBE = """
import json, sys
from avenrich.cli import main
code = main(sys.argv[1:])
print(json.dumps({"code": code, "prefect imported": "prefect" in sys.modules}))
"""


def refuse(args: list[str], cwd: Path, **env: str) -> tuple[int, bool, str]:
    """`avenrich ARGS` in a fresh interpreter: (exit code, whether Prefect was imported, stderr)."""
    done = subprocess.run(
        [sys.executable, "-c", PROBE, *args],
        env=base_env(cwd / "prefect-home", PREFECT_SERVER_API_PORT=str(free_port()), **env),
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=120,
    )
    if done.stdout.strip():
        result = json.loads(done.stdout.strip().splitlines()[-1])
        return int(result["code"]), bool(result["prefect imported"]), done.stderr
    return done.returncode, False, done.stderr  # argparse's own exit (usage errors)


def tree(root: Path) -> list[str]:
    return sorted(str(p.relative_to(root)) for p in root.rglob("*"))


def one_line(stderr: str) -> str:
    lines = [line for line in stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("avenrich: ") and "Traceback" not in stderr, stderr
    return lines[0]


def _setup_regular_file(tmp: Path) -> None:
    (tmp / "a-file").write_text("not a directory\n", encoding="utf-8")


def _setup_inputs(tmp: Path) -> None:
    (tmp / "empty.md").write_bytes(b"")
    (tmp / "image.md").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)) * 8)


REFUSALS: list[tuple[str, list[str], int, str]] = [
    ("no command", [], 2, "a command is required"),
    ("unknown flag", ["run", "--no-such-flag"], 2, "no-such-flag"),
    ("missing input", ["run", "--input", "no-such-list.md"], 2, "no such file"),
    ("empty input", ["run", "--input", "empty.md"], 2, "empty"),
    ("binary input", ["run", "--input", "image.md"], 2, "binary"),
    ("unreachable URL", ["run", "--input", "http://127.0.0.1:9/list.md"], 2, "127.0.0.1:9/list.md"),
    ("name with a space", ["run", "--name", "my list"], 2, "--name 'my list'"),
    ("name with a path", ["run", "--name", "../elsewhere"], 2, "--name '../elsewhere'"),
    ("name with a slash", ["run", "--name", "a/b"], 2, "--name 'a/b'"),
    ("out dir under a file", ["run", "--out", "a-file/out"], 3, "a-file/out"),
    ("cache dir under a file", ["run", "--cache-dir", "a-file/cache"], 3, "a-file/cache"),
    ("offline URL, no copy", ["run", "--offline", "--input", "http://127.0.0.1:9/list.md"], 2, "--offline"),
    ("bad rate setting", ["run", "--input", "empty.md"], 2, "AVENRICH_CROSSREF_RPS"),
    ("serve without a server", ["serve"], 2, "needs a Prefect server that stays up"),
    ("serve with a bad name", ["serve", "--name", "a b"], 2, "--name 'a b'"),
]


@pytest.mark.parametrize(("args", "code", "message"), [pytest.param(a, c, m, id=i) for i, a, c, m in REFUSALS])
def test_refusals_come_before_prefect_starts_and_create_nothing(
    args: list[str], code: int, message: str, tmp_path: Path
) -> None:
    """Each refusal: its exit code, one line naming the problem (and the path), Prefect never imported nor
    its home created, and not a file created (no outputs/, cache/, lock or Prefect database)."""
    _setup_regular_file(tmp_path)
    _setup_inputs(tmp_path)
    before = tree(tmp_path)
    extra = {"AVENRICH_CROSSREF_RPS": "lots"} if message == "AVENRICH_CROSSREF_RPS" else {}
    got, prefect_imported, stderr = refuse(args, tmp_path, **extra)
    assert got == code, stderr
    if not args:  # `avenrich` alone shows the usage line first
        usage, stderr = stderr.split("\n", 1)
        assert usage.startswith("usage: avenrich")
    assert message in one_line(stderr)
    assert not prefect_imported
    assert tree(tmp_path) == before, "nothing created"


# -- Ctrl-C and SIGTERM mid-lookup -------------------------------------------------------------------


class StallingApis:
    """Crossref and Semantic Scholar as one loopback server that accepts every request and never answers
    (until closed): a run that reaches its lookups stays there."""

    def __init__(self) -> None:
        self.requests = 0
        self.first = threading.Event()
        self.stop = threading.Event()
        outer = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def _stall(self) -> None:
                outer.requests += 1
                outer.first.set()
                outer.stop.wait(120)

            do_GET = do_POST = _stall

            def log_message(self, format: str, *args: object) -> None:
                """Silent."""

        self._server = _QuietServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}"
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)

    def __enter__(self) -> StallingApis:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop.set()
        self._server.shutdown()
        self._server.server_close()


def processes_with(marker: str) -> list[str]:
    """The live processes whose environment holds `marker` (this test's PREFECT_HOME): avenrich, anything it
    started, Prefect's temporary server included."""
    found = []
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            if marker.encode() in (proc / "environ").read_bytes():
                state = (proc / "stat").read_text().rsplit(")", 1)[1].split()[0]
                if state != "Z":
                    command = (proc / "cmdline").read_bytes().replace(b"\0", b" ")[:200]
                    found.append(f"{proc.name}: {command!r}")
        except OSError:
            continue
    return found


def flow_run_states(prefect_home: Path) -> list[tuple[str, str]]:
    """(name, state) of every flow run in PREFECT_HOME's database (what `prefect flow-run ls` lists)."""
    with sqlite3.connect(prefect_home / "prefect.db") as db:
        return sorted(db.execute("SELECT name, state_type FROM flow_run").fetchall())


@pytest.fixture()
def stalling() -> Iterator[StallingApis]:
    with StallingApis() as apis:
        yield apis


@pytest.mark.prefect
@pytest.mark.parametrize(("signum", "code"), [(signal.SIGINT, 130), (signal.SIGTERM, 143)])
def test_one_signal_to_the_process_group_mid_lookup_cancels_the_run_and_leaves_nothing(
    signum: int, code: int, stalling: StallingApis, tmp_path: Path
) -> None:
    """SIGINT (as a terminal's Ctrl-C sends it, to the whole process group) or SIGTERM while the lookups wait on
    a server that never answers: the exit code, one line, the previous outputs byte for byte, no process left
    (Prefect's temporary server included), and the flow run recorded as Cancelled."""
    home, out = tmp_path / "prefect-home", tmp_path / "out"
    out.mkdir()
    previous = {f"sample.{suffix}": f"previous {suffix}\n".encode() for suffix in ("bib", "json", "report.md")}
    for file_name, data in previous.items():
        (out / file_name).write_bytes(data)
    env = base_env(
        home,
        AVENRICH_CROSSREF_URL=stalling.url,
        AVENRICH_S2_URL=f"{stalling.url}/graph/v1",
        PREFECT_SERVER_API_PORT=str(free_port()),  # no running server to reuse: the temporary one is tested
        PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS="300",
    )
    run = start_run(
        ["--input", str(SAMPLE), "--out", str(out), "--cache-dir", str(tmp_path / "c"), "-q"], env, tmp_path
    )
    try:
        assert stalling.first.wait(300), f"the run never reached its lookups: {run.stderr.read() if run.stderr else ''}"
        time.sleep(0.5)
        assert processes_with(str(home)), "avenrich and its server run"
        os.killpg(run.pid, signum)
        _stdout, stderr = run.communicate(timeout=120)
    finally:
        if run.poll() is None:
            kill_group(run)
    assert run.returncode == code, stderr
    line = one_line(stderr)
    assert "cancelled" in line and "previous outputs are unchanged" in line
    published = {p.name: p.read_bytes() for p in out.iterdir() if not p.name.startswith((".", "sample.sqlite"))}
    assert published == previous
    # The state database may record the interrupted run's start (its `runs` row); it stays consistent.
    with contextlib.closing(sqlite3.connect(out / "sample.sqlite")) as db:
        assert db.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    deadline = time.monotonic() + 30  # the server reaps itself after avenrich's SIGTERM; allow it a moment
    while processes_with(str(home)) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert processes_with(str(home)) == []
    assert flow_run_states(home) == [("enrich-sample", "CANCELLED")]


# -- degraded runs: a WARNING, and Failed with --fail-on-degraded -------------------------------------


def flow_run_ls(env: dict[str, str]) -> str:
    done = subprocess.run(
        [PREFECT, "flow-run", "ls", "--limit", "100"],
        env={**env, "COLUMNS": "300"},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


@pytest.mark.prefect
def test_a_degraded_run_warns_and_with_fail_on_degraded_ends_failed_with_exit_4(tmp_path: Path) -> None:
    """Both services unreachable: without the flag, exit 0, a Completed flow run with a WARNING log line
    naming the sources; with it, the outputs are still published, exit 4, and `prefect flow-run ls` shows
    the flow run Failed."""
    server = shared_prefect_server()
    unreachable = {"AVENRICH_CROSSREF_URL": "http://127.0.0.1:9", "AVENRICH_S2_URL": "http://127.0.0.1:9/s2"}
    env = cli_env(server, tmp_path / "home", unreachable)
    name = f"degraded-{os.getpid()}-{time.time_ns()}"
    common = ["--input", str(SAMPLE), "--out", str(tmp_path / "out"), "--cache-dir", str(tmp_path / "c"), "-q"]

    plain = start_run([*common, "--name", f"{name}-warn"], env, tmp_path)
    _, stderr = plain.communicate(timeout=300)
    assert plain.returncode == 0, stderr
    (run,) = server.post("/flow_runs/filter", {"flow_runs": {"name": {"any_": [f"enrich-{name}-warn"]}}})
    assert run["state_type"] == "COMPLETED"
    logs = server.post("/logs/filter", {"logs": {"flow_run_id": {"any_": [run["id"]]}}, "limit": 200})
    warnings = [log["message"] for log in logs if log["level"] == 30 and "degraded run" in log["message"]]
    assert len(warnings) == 1 and "crossref" in warnings[0] and "semantic_scholar" in warnings[0], logs

    failing = start_run([*common, "--name", f"{name}-fail", "--fail-on-degraded"], env, tmp_path)
    _, stderr = failing.communicate(timeout=300)
    assert failing.returncode == 4, stderr
    assert "Traceback" not in stderr
    assert json.loads((tmp_path / "out" / f"{name}-fail.json").read_text(encoding="utf-8"))["entries"]
    rows = [line for line in flow_run_ls(env).splitlines() if f"enrich-{name}-" in line]
    assert any(f"enrich-{name}-fail" in row and "FAILED" in row for row in rows), rows
    assert any(f"enrich-{name}-warn" in row and "COMPLETED" in row for row in rows), rows
    artifacts = server.post("/artifacts/filter", {"artifacts": {"flow_run_id": {"any_": [run["id"]]}}})
    assert any("Degraded run" in str(a.get("data")) for a in artifacts), "the report artifact says so"


# -- --offline with a URL input ---------------------------------------------------------------------


@pytest.fixture()
def counting_list() -> Iterator[InputServer]:
    """A loopback server of the sample list that counts the requests it gets (in `.routes["count"]`)."""
    hits: list[str] = []

    def serve(handler: BaseHTTPRequestHandler) -> None:
        hits.append(handler.path)
        body = SAMPLE.read_bytes()
        handler.send_response(200)
        handler.send_header("Content-Type", "text/markdown")
        handler.send_header("Content-Length", str(len(body)))
        handler.end_headers()
        handler.wfile.write(body)

    with InputServer({"/list.md": serve}) as server:
        server.hits = hits  # type: ignore[attr-defined]
        yield server


@pytest.mark.prefect
def test_offline_with_a_url_input_makes_no_request(counting_list: InputServer, tmp_path: Path) -> None:
    """--offline with a URL: refused in one line while no copy is kept, and no request; after one online run
    keeps a copy, an offline run uses it, again without a request."""
    hits: list[str] = counting_list.hits  # type: ignore[attr-defined]
    url = counting_list.url("/list.md")
    server = shared_prefect_server()
    unreachable = {"AVENRICH_CROSSREF_URL": "http://127.0.0.1:9", "AVENRICH_S2_URL": "http://127.0.0.1:9/s2"}
    env = cli_env(server, tmp_path / "home", unreachable)
    common = ["--input", url, "--out", str(tmp_path / "out"), "--cache-dir", str(tmp_path / "c"), "-q"]

    refused = start_run([*common, "--offline"], env, tmp_path)
    _, stderr = refused.communicate(timeout=120)
    assert refused.returncode == 2 and "--offline" in one_line(stderr)
    assert hits == []

    online = start_run(common, env, tmp_path)
    _, stderr = online.communicate(timeout=300)
    assert online.returncode == 0, stderr
    assert hits == ["/list.md"], "the online run fetched the list once"
    assert (tmp_path / "out" / "list.input.txt").read_bytes() == SAMPLE.read_bytes()

    offline = start_run([*common, "--offline"], env, tmp_path)
    _, stderr = offline.communicate(timeout=300)
    assert offline.returncode == 0, stderr
    assert hits == ["/list.md"], "the offline run made no request"
    assert "last good copy" in stderr
    doc = json.loads((tmp_path / "out" / "list.json").read_text(encoding="utf-8"))
    assert len(doc["entries"]) == 12


def test_the_last_good_copy_is_read_where_publish_writes_it() -> None:
    """preflight reads NAME.input.txt, the file publish keeps for an input URL (one suffix, two modules)."""
    from avenrich import inputs, publish

    assert publish.LAST_GOOD_SUFFIX == inputs.LAST_GOOD_SUFFIX


@pytest.mark.prefect
def test_a_deployment_run_whose_url_cannot_be_read_ends_failed_in_one_line(
    prefect_harness: None, tmp_path: Path
) -> None:
    """The flow as a deployment runs it (no CLI before it): an input URL that cannot be fetched, no copy kept,
    not the bundled list's upstream: the flow run ends Failed with the reason as its message, and an ERROR
    line without a traceback in its log."""
    import asyncio

    from prefect.client.orchestration import get_client

    from avenrich.flow import enrich

    url = "http://127.0.0.1:9/lists/gone.md"
    state = enrich(input=url, out_dir=str(tmp_path / "out"), cache_dir=str(tmp_path / "c"), return_state=True)
    assert state.is_failed() and url in str(state.message) and "Connection refused" in str(state.message)

    async def logs() -> list[tuple[int, str]]:
        from prefect.client.schemas.filters import LogFilter, LogFilterFlowRunId

        async with get_client() as client:
            found = await client.read_logs(
                log_filter=LogFilter(flow_run_id=LogFilterFlowRunId(any_=[state.state_details.flow_run_id]))
            )
        return [(log.level, log.message) for log in found]

    deadline = time.monotonic() + 60
    records = asyncio.run(logs())  # the log worker sends in batches: wait for the ERROR line to arrive
    while not any(level == 40 for level, _ in records) and time.monotonic() < deadline:
        time.sleep(0.5)
        records = asyncio.run(logs())
    assert any(level == 40 and url in message for level, message in records), records
    assert not any("Traceback" in message for _, message in records)
    assert not (tmp_path / "out" / "gone.json").exists()
