"""Helpers for the reliability tests: the pipeline's stages against the fake servers, one shared
`prefect server` for CLI subprocesses, a small input-URL server, and named checks on outputs and caches.
"""

from __future__ import annotations

import atexit
import contextlib
import dataclasses
import json
import os
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import bibtexparser
import httpx

from avenrich import pipeline, resolve
from avenrich.cache import DiskJsonCache, MemoryJsonCache
from avenrich.catalogue import validate_catalogue
from avenrich.config import Settings
from avenrich.inputs import InputText, read_input
from avenrich.model import Ids, Record
from avenrich.overrides import Overrides
from avenrich.resolve import Item, Outcome
from avenrich.sources import open_sources
from avenrich.sources.http import RetryPolicy

ROOT = Path(__file__).resolve().parent.parent
SAMPLE = ROOT / "tests" / "fixtures" / "lists" / "sample.md"
BUNDLED = ROOT / "src" / "avenrich" / "data" / "awesome-audiovisual-learning.md"
STAMP = "2026-11-25T03:00:00Z"
TODAY = "2026-11-25"
STABLE = ("bib", "csl.json")  # outputs that carry no run timestamp: byte-comparable across runs
AVENRICH = str(Path(sys.executable).with_name("avenrich"))
PREFECT = str(Path(sys.executable).with_name("prefect"))


# -- the stages, without Prefect ---------------------------------------------------------------------


def items_of(path: Path | None) -> tuple[InputText, list[Item]]:
    """The input (None: the bundled list) and its items, as the flow's first three tasks make them."""
    text = read_input(None if path is None else str(path))
    return text, pipeline.identify(pipeline.parse(text), Overrides())


@dataclass
class StageRun:
    """What one run of the stages produced: outcomes by link URL, records, rendered files, degraded sources."""

    outcomes: dict[str, Outcome]
    records: list[Record]
    files: Mapping[str, str]
    degraded: dict[str, str]
    requests: dict[str, Any] = field(default_factory=dict)


def zero_wait_policy(settings: Settings, sleeps: list[float] | None = None) -> RetryPolicy:
    """The settings' retry policy with waits recorded in `sleeps` instead of slept."""
    record = sleeps.append if sleeps is not None else (lambda _seconds: None)
    return dataclasses.replace(RetryPolicy.from_settings(settings), sleep=record)


def fake_settings(env: Mapping[str, str], **changes: Any) -> Settings:
    """Settings pointing at the fake servers (env from FakeApis.env()), polite pool, with `changes`."""
    settings = Settings.from_env({**env, "AVENRICH_MAILTO": "tests@example.org"})
    return dataclasses.replace(settings, **changes)


def run_stages(
    items: Sequence[Item],
    settings: Settings,
    cache: Any,
    *,
    policy: RetryPolicy | None = None,
    pace: bool = False,
) -> StageRun:
    """lookups → search and verify → merge → render (empty key registry, fixed stamp), like the flow's tasks.

    Without `pace` the pacer does not sleep either, so only the fake servers' own latency costs time.
    """
    sleep: Callable[[float], None] = time.sleep if pace else (lambda _seconds: None)
    with open_sources(settings, cache, policy=policy, sleep=sleep, today=lambda: TODAY) as sources:
        ledger = resolve.lookup(items, sources)
        outcomes = resolve.search_and_verify(items, ledger, sources)
        degraded = sources.degraded()
        requests = sources.stats.as_dict()
    records = pipeline.build_records(items, outcomes)
    summary = pipeline.summarise(records, requests={}, degraded=degraded, overrides=0)
    stable = {k: summary[k] for k in ("entries", "papers", "resolved", "unresolved", "by_host", "degraded")}
    rendered = pipeline.render(records, {}, source={"input": "test"}, generated_at=STAMP, summary=stable)
    return StageRun(outcomes, records, rendered.files, degraded, requests)


def entries_of(files: Mapping[str, str]) -> list[dict[str, Any]]:
    """The catalogue entries of rendered files."""
    entries: list[dict[str, Any]] = json.loads(files["json"])["entries"]
    return entries


# -- what a run may and may not have produced --------------------------------------------------------


def disagreeing_ids(found: Ids, truth: Ids) -> list[str]:
    """The Ids fields where `found` has a value that differs from `truth` (missing values are fine)."""
    return [
        name
        for name in Ids.__slots__
        if getattr(found, name) is not None and getattr(found, name) != getattr(truth, name)
    ]


def wrongly_resolved(run: StageRun, clean: StageRun) -> list[tuple[str, list[str]]]:
    """Links resolved in `run` that the clean run did not resolve, or resolved to other identifiers."""
    wrong = []
    for url, outcome in run.outcomes.items():
        if outcome.choice.resolution.status != "resolved":
            continue
        truth = clean.outcomes[url]
        bad = disagreeing_ids(outcome.ids, truth.ids)
        if bad or truth.choice.resolution.status != "resolved":
            wrong.append((url, bad or ["not resolved in the clean run"]))
    return wrong


def lost(run: StageRun, clean: StageRun) -> dict[str, str]:
    """Links the clean run resolved that `run` left unresolved: URL → the reason given."""
    return {
        url: outcome.choice.resolution.reason
        for url, outcome in run.outcomes.items()
        if outcome.choice.resolution.status != "resolved" and clean.outcomes[url].choice.resolution.status == "resolved"
    }


def cache_contents(cache: MemoryJsonCache | DiskJsonCache) -> dict[str, Any]:
    """Every live key of a cache with its (JSON-decoded) value."""
    keys = cache.keys() if isinstance(cache, MemoryJsonCache) else [str(k) for k in cache._cache.iterkeys()]
    return {key: cache.get(key) for key in keys}


def foreign_cache_values(cache: Mapping[str, Any], clean: Mapping[str, Any]) -> list[str]:
    """Keys whose value differs from the clean run's value for the same key (a fault cached as an answer)."""
    return sorted(key for key, value in cache.items() if key in clean and clean[key] != value)


def check_disk_cache(directory: Path) -> int:
    """Open a diskcache directory as avenrich does, read every value, run SQLite's and diskcache's own
    integrity checks; the number of entries. AssertionError on any problem."""
    database = directory / "cache.db"
    if database.exists():
        with contextlib.closing(sqlite3.connect(database)) as connection:
            assert connection.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    with DiskJsonCache(directory) as cache:
        warnings = cache._cache.check()
        assert not warnings, f"diskcache check: {warnings}"
        contents = cache_contents(cache)
        assert all(isinstance(value, dict) for value in contents.values()), "every cached value is a JSON object"
        probe = "v1/tests/probe/after-crash"
        cache.set(probe, {"ok": True}, ttl=60)
        assert cache.get(probe) == {"ok": True}
        cache._cache.delete(probe)
    return len(contents)


# Every output file a run may write beside NAME (fixes.patch only when the list has safe fixes).
OUTPUT_SUFFIXES = ("bib", "json", "csl.json", "report.md", "history.jsonl", "fixes.patch", "html")


def read_outputs(out: Path, name: str) -> dict[str, bytes]:
    """Every output file of NAME in `out`, by suffix (missing ones left out)."""
    return {s: (out / f"{name}.{s}").read_bytes() for s in OUTPUT_SUFFIXES if (out / f"{name}.{s}").exists()}


def stable_view(out: Path, name: str) -> dict[str, Any]:
    """What must be identical between two runs over the same inputs: .bib and .csl.json bytes and the
    catalogue's entries (the catalogue itself carries the run time)."""
    view: dict[str, Any] = {s: (out / f"{name}.{s}").read_bytes() for s in STABLE}
    view["entries"] = json.loads((out / f"{name}.json").read_text(encoding="utf-8"))["entries"]
    return view


def assert_outputs_valid(out: Path, name: str) -> dict[str, Any]:
    """Every output of NAME parses (JSON Schema for the catalogue, bibtexparser for the .bib); the catalogue."""
    doc = json.loads((out / f"{name}.json").read_text(encoding="utf-8"))
    assert validate_catalogue(doc) == [], "the catalogue matches its schema"
    library = bibtexparser.parse_string((out / f"{name}.bib").read_text(encoding="utf-8"))
    assert library.failed_blocks == [], "the .bib parses back without failed blocks"
    assert isinstance(json.loads((out / f"{name}.csl.json").read_text(encoding="utf-8")), list)
    assert state_integrity(out, name) == "ok"
    for line in (out / f"{name}.history.jsonl").read_text(encoding="utf-8").splitlines():
        json.loads(line)
    assert (out / f"{name}.report.md").read_text(encoding="utf-8").strip()
    return dict(doc)


# The list's state database and SQLite's WAL files beside it (present while a connection is open or after a kill).
STATE_FILES = ("sqlite", "sqlite-wal", "sqlite-shm")


def state_integrity(out: Path, name: str) -> str:
    """SQLite's integrity check of NAME.sqlite, opened as a reader would (after a crash: recovering its WAL)."""
    with contextlib.closing(sqlite3.connect(out / f"{name}.sqlite")) as db:
        return str(db.execute("PRAGMA integrity_check").fetchone()[0])


def stray_files(out: Path, name: str) -> list[str]:
    """Files in `out` that are neither NAME's outputs, the run lock, nor a hidden temporary file."""
    allowed = {f"{name}.{s}" for s in (*OUTPUT_SUFFIXES, *STATE_FILES)}
    allowed.add(f".{name}.lock")
    return sorted(
        p.name
        for p in out.iterdir()
        if p.name not in allowed and not (p.name.startswith(f".{name}.") and p.name.endswith(".tmp"))
    )


def hidden_temps(out: Path) -> list[str]:
    """Temporary files a killed writer left behind (hidden: dot-prefixed, `.tmp`)."""
    return sorted(p.name for p in out.iterdir() if p.name.startswith(".") and p.name.endswith(".tmp"))


# -- the CLI in a subprocess, against one shared Prefect server ----------------------------------------


def free_port() -> int:
    """A free TCP port on 127.0.0.1."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class PrefectServer:
    """`prefect server start` on a free loopback port with its own PREFECT_HOME (the database to inspect)."""

    def __init__(self, home: Path) -> None:
        self.home = home
        self.port = free_port()
        self.api_url = f"http://127.0.0.1:{self.port}/api"
        self._process: subprocess.Popen[bytes] | None = None

    def start(self, timeout: float = 120.0) -> PrefectServer:
        """Start and wait until /health answers."""
        env = {**base_env(self.home), "PREFECT_API_URL": self.api_url}
        self._process = subprocess.Popen(
            [PREFECT, "server", "start", "--host", "127.0.0.1", "--port", str(self.port), "--no-ui"],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with contextlib.suppress(httpx.TransportError):
                if httpx.get(f"{self.api_url}/health", timeout=2).status_code == 200:
                    return self
            if self._process.poll() is not None:
                raise RuntimeError("prefect server exited during start-up")
            time.sleep(0.3)
        self.stop()
        raise RuntimeError(f"prefect server did not start within {timeout:g} s")

    def stop(self) -> None:
        """Stop the server (SIGINT to its process group, then SIGKILL)."""
        process, self._process = self._process, None
        if process is None or process.poll() is not None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGINT)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=10)

    def post(self, path: str, body: Mapping[str, Any]) -> Any:
        """POST to the server's API; the decoded JSON answer."""
        reply = httpx.post(f"{self.api_url}{path}", json=dict(body), timeout=30)
        reply.raise_for_status()
        return reply.json()


_SHARED: dict[str, PrefectServer] = {}
_SHARED_LOCK = threading.Lock()


def shared_prefect_server() -> PrefectServer:
    """One `prefect server` for every subprocess test of the session (started on first use, stopped at exit):
    a CLI run against it costs ~3 s instead of ~10 s for Prefect's temporary server."""
    with _SHARED_LOCK:
        if "server" not in _SHARED:
            home = Path(tempfile.mkdtemp(prefix="avenrich-prefect-server-"))
            server = PrefectServer(home).start()
            atexit.register(server.stop)
            _SHARED["server"] = server
        return _SHARED["server"]


def base_env(prefect_home: Path, **extra: str) -> dict[str, str]:
    """The environment of a subprocess: this one's, with Prefect quiet and local, and `extra` on top."""
    env = {
        **os.environ,
        "PREFECT_HOME": str(prefect_home),
        "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
        "DO_NOT_TRACK": "1",
        "NO_PROXY": "127.0.0.1,localhost",
        "no_proxy": "127.0.0.1,localhost",
        "COLUMNS": "200",
    }
    env.pop("AVENRICH_S2_API_KEY", None)
    env.pop("PREFECT_API_URL", None)
    env.update(extra)
    return env


def cli_env(server: PrefectServer, prefect_home: Path, services: Mapping[str, str], **extra: str) -> dict[str, str]:
    """The environment of an `avenrich run` subprocess against `server` and the fake `services`."""
    return base_env(
        prefect_home,
        PREFECT_API_URL=server.api_url,
        AVENRICH_MAILTO="tests@example.org",
        **dict(services),
        **extra,
    )


def start_run(args: Sequence[str], env: Mapping[str, str], cwd: Path) -> subprocess.Popen[str]:
    """`avenrich run ARGS` as a subprocess in its own process group (so a kill takes all of it)."""
    return subprocess.Popen(
        [AVENRICH, "run", *args],
        env=dict(env),
        cwd=cwd,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )


def kill_group(process: subprocess.Popen[str]) -> None:
    """SIGKILL the process group of `process` and reap it."""
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGKILL)
    process.communicate(timeout=30)


# -- the CLI in this process --------------------------------------------------------------------------


@contextlib.contextmanager
def in_process_cli(
    setenv: Callable[[str, str], None], read_stderr: Callable[[], str]
) -> Iterator[Callable[..., tuple[int, str]]]:
    """`avenrich.cli.main(["run", …])` in this process (flow runs need the session's Prefect harness); calls
    return (exit code, stderr). `setenv` (monkeypatch.setenv) restores what the CLI sets in os.environ, and
    the logger set-up the CLI's display changes is put back afterwards."""
    import logging

    from avenrich.cli import main

    setenv("PREFECT_TASK_RUNNER_THREAD_POOL_MAX_WORKERS", "8")
    names = ("avenrich", "bibtexparser")
    saved = [(lg, lg.handlers[:], lg.level, lg.propagate) for lg in map(logging.getLogger, names)]

    def run(*args: str) -> tuple[int, str]:
        read_stderr()
        code = main(["run", *args])
        return code, read_stderr()

    try:
        yield run
    finally:
        for logger, handlers, level, propagate in saved:
            logger.handlers[:] = handlers
            logger.setLevel(level)
            logger.propagate = propagate


# -- an input URL server -----------------------------------------------------------------------------


Route = Callable[[BaseHTTPRequestHandler], None]


class _QuietServer(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request: Any, client_address: Any) -> None:
        """Clients hanging up on purpose (size caps, deadlines) are the point here: print nothing."""


class InputServer:
    """A loopback HTTP server answering GET paths with handlers (`routes[path](handler)`); a context manager."""

    def __init__(self, routes: Mapping[str, Route]) -> None:
        self.routes = dict(routes)
        self.stop = threading.Event()
        outer = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_GET(self) -> None:
                route = outer.routes.get(self.path.split("?")[0])
                if route is None:
                    send(self, 404, b"Not Found", "text/plain")
                    return
                with contextlib.suppress(OSError):
                    route(self)

            def log_message(self, format: str, *args: Any) -> None:
                """Silent."""

        self._server = _QuietServer(("127.0.0.1", 0), Handler)
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)

    def url(self, path: str) -> str:
        """The URL of `path` on this server."""
        return f"http://127.0.0.1:{self._server.server_address[1]}{path}"

    def __enter__(self) -> InputServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop.set()
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=10)


def send(handler: BaseHTTPRequestHandler, status: int, body: bytes, content_type: str) -> None:
    """One complete response."""
    handler.send_response(status)
    handler.send_header("Content-Type", content_type)
    handler.send_header("Content-Length", str(len(body)))
    handler.end_headers()
    handler.wfile.write(body)


def trickle(stop: threading.Event, interval: float = 0.05) -> Route:
    """A route that answers 200 and then sends one byte of Markdown every `interval` seconds, forever."""

    def route(handler: BaseHTTPRequestHandler) -> None:
        handler.send_response(200)
        handler.send_header("Content-Type", "text/markdown")
        handler.send_header("Transfer-Encoding", "chunked")
        handler.end_headers()
        handler.wfile.write(b"2\r\n# \r\n")
        handler.wfile.flush()
        while not stop.wait(interval):
            handler.wfile.write(b"1\r\nx\r\n")
            handler.wfile.flush()

    return route


@contextlib.contextmanager
def timed() -> Iterator[list[float]]:
    """`with timed() as t:` … `t[0]` is the elapsed wall time in seconds."""
    elapsed: list[float] = []
    started = time.monotonic()
    try:
        yield elapsed
    finally:
        elapsed.append(time.monotonic() - started)


def expire_counts(cache_dir: Path) -> int:
    """Delete every counts entry (what COUNTS_TTL does 20 h after a run); how many were deleted."""
    import diskcache

    removed = 0
    with diskcache.Cache(str(cache_dir)) as cache:
        for key in list(cache.iterkeys()):
            parts = str(key).split("/")
            if len(parts) > 2 and parts[2] == "counts":
                removed += bool(cache.delete(key))
    return removed
