"""Performance of whole `avenrich run`s (the Prefect flow, in a subprocess) against fake Crossref/S2 servers.

    python benchmarks/run.py                                  # bundled list + 2k, 20k, 100k generated lists
    python benchmarks/run.py --sizes bundled --latency 0.2    # the bundled list only
    python benchmarks/run.py --sizes 2000,20000 --skip-100k --modes cold,warm
    python benchmarks/run.py --profile 20000                  # cProfile of the stages (no Prefect), 20k list

Each run is `avenrich run -q --input LIST --out DIR --cache-dir DIR` in a child process, exactly as a user runs
it, with the fake servers (tests/fake_servers.py) in this process on 127.0.0.1, so their memory and CPU are
not counted. The child wraps the functions behind the flow's tasks with timers (benchmark-side only;
nothing in src knows about it) and reports its own CPU time and peak RSS (VmHWM, see peak_rss_kb); Prefect's
temporary server is its subprocess and is reported apart.

Lists: `bundled` is the bundled awesome-audiovisual-learning snapshot over world.build_bundled_world, served
at the REAL limits (Crossref polite pool 10 single/3 list req/s, 3 in flight, with AVENRICH_MAILTO set; S2 1
req/s) with --latency per response; N is world.generate_list(N), served at --big-rps with --big-latency so the
run measures avenrich's own overhead (AVENRICH_CROSSREF_RPS and AVENRICH_S2_RPS are set to --big-rps).

Modes: `cold` (empty cache), `warm` (same cache, immediate rerun), `nightly` (same cache with every counts
entry deleted, as 20 h after the last run when COUNTS_TTL has expired; the fake servers then answer every
citation count +1000, and the run is checked to publish the new counts), `recheck` (a warm rerun with
`--recheck`: every link matched again, as every warm run did before decisions were kept), `changed` (nightly,
with 1% of the links edited first: half retitled, half re-yeared).

Printed per run: requests per entry by source and endpoint, 429s, wall time, the rate floor (requests ÷ the
servers' permitted rate, per kind for Crossref; the max over sources, which run in parallel), wall ÷ floor,
CPU time and peak RSS of the avenrich process, stage timings, and the time outside the stages (interpreter
and Prefect start, the temporary Prefect server, task orchestration, artifacts) as Prefect's share of wall.
"""

from __future__ import annotations

import argparse
import cProfile
import functools
import json
import os
import platform
import pstats
import resource
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Future
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

BUNDLED = ROOT / "src" / "avenrich" / "data" / "awesome-audiovisual-learning.md"
REAL_CROSSREF = (10, 3, 3)  # polite pool: single req/s, list req/s, in flight (API-NOTES §0)
REAL_S2 = (1, 1)  # req/s across endpoints, in flight
BUMP = 1000  # what the fake servers add to every citation count for the nightly run
STAGES = ("read", "parse", "identifiers", "kept", "lookups", "search", "merge", "findings", "write")


def _status_kb(field_name: str) -> int | None:
    try:
        for line in Path("/proc/self/status").read_text(encoding="ascii").splitlines():
            if line.startswith(field_name + ":"):
                return int(line.split()[1])
    except (OSError, ValueError, IndexError):
        pass
    return None


def peak_rss_kb() -> int:
    """This process's own peak resident set (kB) since the start or the last reset_peak_rss(): VmHWM.

    Not getrusage's ru_maxrss: on Linux a child started by fork/vfork + exec inherits in ru_maxrss the RSS of
    the process it was forked from (exec records the old address space's high-water mark), so a run spawned
    by this benchmark, which holds a 100k-link world, reported the benchmark's memory, not its own.
    """
    found = _status_kb("VmHWM")
    return found if found is not None else resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


def rss_kb() -> int:
    """This process's resident set now (kB)."""
    return _status_kb("VmRSS") or 0


def reset_peak_rss() -> bool:
    """Set VmHWM to the current RSS (Linux ≥ 4.0: write 5 to /proc/self/clear_refs); False where it cannot."""
    try:
        Path("/proc/self/clear_refs").write_text("5", encoding="ascii")
    except OSError:
        return False
    return True


# ---------------------------------------------------------------------------------------------------
# The child: `avenrich run` with timers around the task bodies
# ---------------------------------------------------------------------------------------------------


def child(stats_path: str, argv: list[str]) -> int:
    """Run the avenrich CLI in this process; write stage timings and resource usage to stats_path."""
    started = time.monotonic()
    from avenrich.prefect_env import prepare_prefect_env

    # What cli._run does before importing the flow (the flow is imported here to wrap its stage functions).
    prepare_prefect_env(verbose=False)
    os.environ["PREFECT_LOGGING_HANDLERS_CONSOLE_LEVEL"] = "CRITICAL"
    from avenrich import prefect_server

    server = prefect_server.choose_api()  # as cli._run_flow: a running server, or the temporary one
    if server is not None:
        server.wait_ready(180)
    from avenrich import cli, flow, pipeline, preflight, resolve

    timings: list[dict[str, Any]] = []
    high = [0]  # the process's peak RSS (kB) before the last reset

    def timed(stage: str, fn: Callable[..., Any]) -> Callable[..., Any]:
        @functools.wraps(fn)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            high[0] = max(high[0], peak_rss_kb())
            at_start = rss_kb()
            own = reset_peak_rss()  # so that VmHWM at the end is this stage's own peak
            wall, cpu = time.monotonic(), time.thread_time()
            try:
                return fn(*args, **kwargs)
            finally:
                peak = peak_rss_kb()
                timings.append(
                    {
                        "stage": stage,
                        "start": wall - started,
                        "wall": time.monotonic() - wall,
                        "thread_cpu": time.thread_time() - cpu,
                        "peak_mb": max(high[0], peak) / 1024,
                        "start_mb": at_start / 1024,
                        "own_peak_mb": peak / 1024 if own else None,
                    }
                )

        return wrapper

    preflight.read_run_input = timed("read", preflight.read_run_input)  # type: ignore[assignment]
    pipeline.parse = timed("parse", pipeline.parse)  # type: ignore[assignment]
    pipeline.identify = timed("identifiers", pipeline.identify)  # type: ignore[assignment]
    pipeline.keep = timed("kept", pipeline.keep)  # type: ignore[assignment]
    resolve.lookup = timed("lookups", resolve.lookup)  # type: ignore[assignment]
    resolve.search_and_verify = timed("search", resolve.search_and_verify)  # type: ignore[assignment]
    pipeline.merge_records = timed("merge", pipeline.merge_records)  # type: ignore[assignment]
    pipeline.note_issues = timed("findings", pipeline.note_issues)  # type: ignore[assignment]
    flow.publish = timed("write", flow.publish)  # type: ignore[assignment]
    imported = time.monotonic() - started
    code = cli.main(argv)
    done = time.monotonic() - started
    own = resource.getrusage(resource.RUSAGE_SELF)
    Path(stats_path).write_text(
        json.dumps(
            {
                "code": code,
                "imported": imported,
                "main_done": done,
                "timings": timings,
                "cpu_user": own.ru_utime,
                "cpu_sys": own.ru_stime,
                "maxrss_kb": max(high[0], peak_rss_kb()),
            }
        )
    )
    return code


# ---------------------------------------------------------------------------------------------------
# The parent: fake servers, runs, figures
# ---------------------------------------------------------------------------------------------------


@dataclass
class Run:
    """The figures of one `avenrich run`."""

    label: str
    mode: str
    entries: int
    requests: Counter[str]
    status_429: int
    wall: float
    floor: float
    floors: dict[str, float]
    cpu: float
    total_cpu: float
    rss_mb: float
    stages: dict[str, tuple[float, float]]  # stage → (wall, thread cpu)
    peaks: dict[str, float]  # stage → the process's peak RSS (MB) when the stage ended
    own: dict[str, tuple[float, float]]  # stage → (RSS at its start, its own peak RSS) in MB
    outside: float
    resolved: int
    papers: int
    wrong: int
    real_floor: float = 0.0
    fresh_counts: str = ""
    exit_code: int = 0
    notes: list[str] = field(default_factory=list)

    @property
    def total_requests(self) -> int:
        return sum(self.requests.values())


def classify(record: Any) -> str:
    """source/endpoint of one fake-server request, with the count refreshes told apart."""
    params = parse_qs(record.query)
    if record.source == "crossref":
        select = ",".join(params.get("select", []))
        if record.endpoint == "filter" and "title" not in select.split(","):
            return "crossref/filter-counts"
        return f"crossref/{record.endpoint}"
    fields = ",".join(params.get("fields", []))
    if record.endpoint == "batch" and "title" not in fields.split(","):
        return "s2/batch-counts"
    return f"s2/{record.endpoint}"


def rate_floor(
    records: Sequence[Any], crossref: tuple[float, float, float], s2: tuple[float, float]
) -> dict[str, float]:
    """Seconds each source needs at its permitted rate: Crossref per kind (single, list), S2 overall."""
    kinds = Counter((r.source, r.kind) for r in records)
    return {
        "crossref single": kinds[("crossref", "single")] / crossref[0],
        "crossref list": kinds[("crossref", "list")] / crossref[1],
        "s2": sum(n for (source, _), n in kinds.items() if source == "semantic_scholar") / s2[0],
    }


def judge(doc: dict[str, Any], world: Any, bumped: bool) -> tuple[int, int, int, str]:
    """(resolved, papers, wrong, fresh counts) of a catalogue against the world's truth."""
    from world import Expected, s2_key

    resolved = papers = wrong = 0
    fresh = checked = 0
    bump = BUMP if bumped else 0
    for entry in doc["entries"]:
        expected = world.truth.get(entry["url"], "absent")
        papers += 1
        if entry["resolution"]["status"] != "resolved":
            continue
        resolved += 1
        doi = entry["ids"].get("doi")
        version = doi is not None and doi.lower() in {s.lower() for s in getattr(expected, "same_work", ())}
        if not isinstance(expected, Expected) or (doi and not expected.doi_ok(doi) and not version):
            wrong += 1
        counts = entry.get("citations") or {}
        if doi and counts.get("crossref") is not None:
            paper = world.crossref_by_doi.get(doi.lower())
            if paper is not None:
                checked += 1
                fresh += counts["crossref"] == paper.is_referenced_by_count + bump
        s2 = entry["ids"].get("s2")
        if s2 and counts.get("semantic_scholar") is not None:
            paper = world.s2_by_key.get(s2_key(s2))
            if paper is not None:
                checked += 1
                fresh += counts["semantic_scholar"] == paper.citation_count + bump
    return resolved, papers, wrong, f"{fresh}/{checked}"


CHANGED_SHARE = 0.01  # `changed` mode: the share of links edited since the last night


def edit_listing(listing: Path, share: float, seed: int) -> str:
    """Edit `share` of the list's links in place, as a curator's day does: half retitled (two letters of the title's
    longest word swapped: a typo, still the same paper, which the indexes' fuzzy search finds), half re-yeared (+1).
    What was done, for the run's notes. (Dropping a word instead made some titles exactly another paper's.)"""
    import re

    from world import Rng

    bullet = re.compile(r"^(\* \[)(?P<title>[^\]]+)(\]\([^)]+\))(?:, (?P<year>\d{4}))?$")
    lines = listing.read_text(encoding="utf-8").split("\n")
    rng = Rng(seed + 1)
    picked = [i for i, line in enumerate(lines) if bullet.match(line) and rng.random() < share]
    for n, i in enumerate(picked):
        m = bullet.match(lines[i])
        assert m is not None
        if n % 2 == 0:
            words = m["title"].split(" ")
            longest = max(range(len(words)), key=lambda k: len(words[k]))
            word = words[longest]
            if len(word) > 3:
                words[longest] = word[0] + word[2] + word[1] + word[3:]
            lines[i] = f"{m[1]}{' '.join(words)}{m[3]}" + (f", {m['year']}" if m["year"] else "")
        else:
            lines[i] = f"{m[1]}{m['title']}{m[3]}, {int(m['year'] or 2019) + 1}"
    listing.write_text("\n".join(lines), encoding="utf-8")
    return f"{len(picked)} links edited ({(len(picked) + 1) // 2} retitled, {len(picked) // 2} re-yeared)"


@contextmanager
def bumped_counts(active: list[bool]) -> Iterator[None]:
    """While active[0], the fake servers answer every citation count +BUMP."""
    import fake_servers

    originals = fake_servers.to_crossref_item, fake_servers.to_s2_item

    def crossref_item(paper: Any, *, score: float = 1) -> dict[str, Any]:
        item = originals[0](paper, score=score)
        if active[0] and isinstance(item.get("is-referenced-by-count"), int):
            item["is-referenced-by-count"] += BUMP
        return item

    def s2_item(paper: Any, fields: Sequence[str] | None = None) -> dict[str, Any]:
        item = originals[1](paper, fields)
        if active[0] and isinstance(item.get("citationCount"), int):
            item["citationCount"] += BUMP
        return item

    fake_servers.to_crossref_item, fake_servers.to_s2_item = crossref_item, s2_item  # type: ignore[assignment]
    try:
        yield
    finally:
        fake_servers.to_crossref_item, fake_servers.to_s2_item = originals  # type: ignore[assignment]


def spawn(
    argv: list[str], env: dict[str, str], stats: Path, timeout: float
) -> tuple[int, float, float, dict[str, Any]]:
    """(exit code, wall, CPU of the child and its waited-for children, child stats) of one child run."""
    command = [sys.executable, str(Path(__file__).resolve()), "--child", str(stats), "--", *argv]
    started = time.monotonic()
    proc = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    deadline = started + timeout
    while True:
        pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
        if pid:
            break
        if time.monotonic() > deadline:
            proc.kill()
            pid, status, usage = os.wait4(proc.pid, 0)
            break
        time.sleep(0.05)
    wall = time.monotonic() - started
    proc.returncode = os.waitstatus_to_exitcode(status)
    out, err = proc.communicate()
    data = json.loads(stats.read_text()) if stats.exists() else {}
    if proc.returncode != 0 or not data:
        sys.stderr.write(f"child failed ({proc.returncode}):\n{out.decode()[-2000:]}\n{err.decode()[-4000:]}\n")
    return proc.returncode, wall, usage.ru_utime + usage.ru_stime, data


class Bench:
    """One benchmark session: a Prefect home used by every run, temporary directories, the results."""

    def __init__(self, args: argparse.Namespace) -> None:
        self.args = args
        self.tmp = Path(tempfile.mkdtemp(prefix="avenrich-bench-"))
        self.prefect_home = self.tmp / "prefect-home"
        self.runs: list[Run] = []
        self.api_url = ""
        self.baseline: dict[str, float] = {}

    def env(self, apis: Any | None, *, rps: float | None) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("AVENRICH_", "PREFECT_"))}
        env.update(
            {
                "PREFECT_HOME": str(self.prefect_home),
                "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
                "DO_NOT_TRACK": "1",
                "PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS": "180",
                "AVENRICH_MAILTO": "bench@example.org",
                "NO_PROXY": "127.0.0.1,localhost",
            }
        )
        if apis is not None:
            env.update(apis.env())
        else:
            env.update({"AVENRICH_CROSSREF_URL": "http://127.0.0.1:9", "AVENRICH_S2_URL": "http://127.0.0.1:9"})
        if rps is not None:
            env["AVENRICH_CROSSREF_RPS"] = env["AVENRICH_S2_RPS"] = str(rps)
        # No PREFECT_API_URL: avenrich finds the running server itself, where `prefect server start` listens;
        # without one, nothing listens on port 9 and each run starts its temporary server.
        env["PREFECT_SERVER_API_PORT"] = self.api_url.split(":")[-1].split("/")[0] if self.api_url else "9"
        return env

    @contextmanager
    def prefect_server(self) -> Iterator[None]:
        """With --prefect-server: a `prefect server start` for the runs (as the deployment's workers use)."""
        if not self.args.prefect_server:
            yield
            return
        import socket
        import urllib.request

        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            port = probe.getsockname()[1]
        env = {**self.env(None, rps=None), "PREFECT_UI_ENABLED": "false"}
        command = [str(Path(sys.executable).parent / "prefect"), "server", "start", "--host", "127.0.0.1",
                   "--port", str(port)]  # fmt: skip
        log = (self.tmp / "prefect-server.log").open("wb")
        server = subprocess.Popen(command, env=env, stdout=log, stderr=subprocess.STDOUT)
        started = time.monotonic()
        try:
            while True:
                try:
                    with urllib.request.urlopen(f"http://127.0.0.1:{port}/api/health", timeout=2):
                        break
                except OSError:
                    if server.poll() is not None or time.monotonic() - started > 180:
                        raise RuntimeError(f"prefect server did not start; see {log.name}") from None
                    time.sleep(0.5)
            print(f"prefect server started in {time.monotonic() - started:.1f} s on port {port}", flush=True)
            self.api_url = f"http://127.0.0.1:{port}/api"
            yield
        finally:
            self.api_url = ""
            server.terminate()
            try:
                server.wait(timeout=30)
            except subprocess.TimeoutExpired:
                server.kill()
                server.wait()
            log.close()

    def measure_baseline(self, labels: Sequence[str] = ("first (new PREFECT_HOME)", "used PREFECT_HOME")) -> None:
        """A trivial run (one entry, --offline) per label: Prefect's fixed cost (new home, used home, server)."""
        folder = self.tmp / "baseline"
        folder.mkdir(exist_ok=True)
        listing = folder / "one.md"
        listing.write_text("# one\n\n* [A Trivial Paper](https://example.org/paper.pdf), 2020\n", encoding="utf-8")
        for label in labels:
            argv = [
                "run",
                "-q",
                "--offline",
                "--input",
                str(listing),
                "--out",
                str(folder / "out"),
                "--cache-dir",
                str(folder / "cache"),
            ]
            code, wall, total_cpu, data = spawn(argv, self.env(None, rps=None), folder / "stats.json", 600)
            stages = sum(t["wall"] for t in data.get("timings", []))
            self.baseline[label] = wall
            print(
                f"trivial run, {label}: wall {wall:.1f} s (stages {stages:.2f} s, exit {code}), "
                f"avenrich CPU {data.get('cpu_user', 0) + data.get('cpu_sys', 0):.1f} s, "
                f"with Prefect's server {total_cpu:.1f} s, RSS {data.get('maxrss_kb', 0) / 1024:.0f} MB",
                flush=True,
            )

    def run_list(self, label: str, markdown: str, world: Any, *, bundled: bool) -> None:
        from fake_servers import FakeApis
        from helpers import expire_counts

        args = self.args
        folder = self.tmp / label
        folder.mkdir()
        listing = folder / f"{label}.md"
        listing.write_text(markdown, encoding="utf-8")
        if bundled:
            crossref, s2, latency, rps = REAL_CROSSREF, REAL_S2, args.latency, None
        else:
            big = args.big_rps
            crossref, s2, latency, rps = (big, big, 3), (big, 1), args.big_latency, float(big)
        bump = [False]
        with bumped_counts(bump), FakeApis(world, latency=latency, crossref_limits=crossref, s2_limits=s2) as apis:
            env = self.env(apis, rps=rps)
            for mode in args.modes:
                note = ""
                if mode in ("nightly", "changed"):
                    removed = expire_counts(folder / "cache")
                    bump[0] = True
                    note = f"{removed} counts entries expired; counts +{BUMP}"
                if mode == "changed":
                    note += "; " + edit_listing(listing, CHANGED_SHARE, args.seed)
                apis.reset_counters()
                argv = [
                    "run",
                    "-q",
                    "--input",
                    str(listing),
                    "--out",
                    str(folder / "out"),
                    "--cache-dir",
                    str(folder / "cache"),
                    *(["--recheck"] if mode == "recheck" else []),
                ]
                code, wall, total_cpu, data = spawn(argv, env, folder / f"stats-{mode}.json", args.timeout)
                records = list(apis.records)
                summary = apis.summary()
                run = self.figures(
                    label, mode, world, folder, records, summary, crossref, s2, code, wall, total_cpu, data, bump[0]
                )
                if note:
                    run.notes.append(note)
                if summary["internal_errors"]:
                    run.notes.append(f"{summary['internal_errors']} fake-server errors")
                self.runs.append(run)
                print_run(run, crossref, s2, latency)

    def figures(
        self,
        label: str,
        mode: str,
        world: Any,
        folder: Path,
        records: list[Any],
        summary: dict[str, Any],
        crossref: tuple[float, float, float],
        s2: tuple[float, float],
        code: int,
        wall: float,
        total_cpu: float,
        data: dict[str, Any],
        bumped: bool,
    ) -> Run:
        requests = Counter(classify(r) for r in records)
        floors = rate_floor(records, crossref, s2)
        stages: dict[str, tuple[float, float]] = {}
        peaks: dict[str, float] = {}
        own: dict[str, tuple[float, float]] = {}
        for t in data.get("timings", []):
            w, c = stages.get(t["stage"], (0.0, 0.0))
            stages[t["stage"]] = (w + t["wall"], c + t["thread_cpu"])
            peaks[t["stage"]] = max(peaks.get(t["stage"], 0.0), t.get("peak_mb", 0.0))
            # a stage run once per batch: the batch with the highest own peak
            if t.get("own_peak_mb") is not None and t["own_peak_mb"] > own.get(t["stage"], (0.0, -1.0))[1]:
                own[t["stage"]] = (t["start_mb"], t["own_peak_mb"])
        catalogue = folder / "out" / f"{label}.json"
        doc = json.loads(catalogue.read_text(encoding="utf-8")) if catalogue.exists() else {"entries": []}
        resolved, papers, wrong, fresh = judge(doc, world, bumped)
        cpu = data.get("cpu_user", 0.0) + data.get("cpu_sys", 0.0)
        return Run(
            label=label,
            mode=mode,
            entries=len(doc["entries"]),
            requests=requests,
            status_429=summary["count_429"],
            wall=wall,
            floor=max(floors.values()),
            floors=floors,
            cpu=cpu,
            total_cpu=total_cpu,
            rss_mb=data.get("maxrss_kb", 0) / 1024,
            stages=stages,
            peaks=peaks,
            own=own,
            outside=wall - sum(w for w, _ in stages.values()),
            resolved=resolved,
            papers=papers,
            wrong=wrong,
            real_floor=max(rate_floor(records, REAL_CROSSREF, REAL_S2).values(), default=0.0),
            fresh_counts=fresh,
            exit_code=code,
        )


def print_run(run: Run, crossref: Sequence[float], s2: Sequence[float], latency: float) -> None:
    """The figures of one run, as printed lines."""
    n = max(run.entries, 1)
    ratio = f"{run.wall / run.floor:.2f}" if run.floor > 0 else "-"
    print(
        f"\n== {run.label} / {run.mode}: {run.entries} entries; servers permit Crossref {crossref[0]:g} single + "
        f"{crossref[1]:g} list req/s, {crossref[2]:g} in flight, S2 {s2[0]:g} req/s; latency {latency:g} s"
    )
    print(
        f"requests {run.total_requests} = {run.total_requests / n:.3f} per entry; 429s {run.status_429}; "
        f"exit {run.exit_code}"
    )
    for name, count in sorted(run.requests.items()):
        print(f"    {name:<24} {count:>7}  {count / n:.4f}/entry")
    floors = ", ".join(f"{k} {v:.1f} s" for k, v in run.floors.items())
    print(f"rate floor {run.floor:.1f} s ({floors}); wall {run.wall:.1f} s; wall/floor {ratio}")
    if tuple(crossref) != REAL_CROSSREF or tuple(s2) != REAL_S2:
        print(
            f"    at the real limits (Crossref 10 single + 3 list req/s, S2 1 req/s) these requests need "
            f"at least {_duration(run.real_floor)}"
        )
    net = sum(run.stages.get(s, (0.0, 0.0))[0] for s in ("lookups", "search"))
    if run.floor > 0:
        print(f"    network stages (lookups+search) {net:.1f} s = {net / run.floor:.2f} x floor")
    print(
        f"CPU avenrich {run.cpu:.1f} s ({1000 * run.cpu / n:.2f} ms/entry); "
        f"with Prefect's server {run.total_cpu:.1f} s; peak RSS {run.rss_mb:.0f} MB"
    )
    cells = []
    for stage in STAGES:
        w, c = run.stages.get(stage, (0.0, 0.0))
        cells.append(f"{stage} {w:.2f}s/{1000 * c / n:.3f}ms")
    print("stages (wall / thread CPU per entry): " + ", ".join(cells))
    if run.peaks:
        peaks = ", ".join(f"{s} {run.peaks[s]:.0f}" for s in STAGES if s in run.peaks)
        print(f"peak RSS when each stage ended: {peaks} MB")
    if run.own:
        own = ", ".join(f"{s} {run.own[s][0]:.0f}→{run.own[s][1]:.0f}" for s in STAGES if s in run.own)
        print(f"RSS at each stage's start → the stage's own peak: {own} MB")
    share = run.outside / run.wall if run.wall else 0.0
    print(
        f"outside the stages (interpreter, Prefect start, server, orchestration): {run.outside:.1f} s "
        f"= {100 * share:.0f}% of wall"
    )
    extra = f"; counts fresh {run.fresh_counts}" if run.fresh_counts else ""
    print(
        f"resolved {run.resolved}/{run.papers}, wrong {run.wrong}{extra}"
        + ("".join(f"; {note}" for note in run.notes)),
        flush=True,
    )


def print_table(runs: Sequence[Run], baseline: dict[str, float]) -> None:
    """The summary tables (Markdown): the figures of every run, then requests per entry by endpoint."""
    print(
        "\n| list | run | entries | requests | req/entry | 429s | wall s | floor s | wall/floor | network stages/floor"
        " | outside stages s (share) | CPU s | CPU ms/entry | parse+write CPU ms/entry | peak RSS MB | resolved |"
        " wrong | counts fresh | floor at real limits |"
    )
    print("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for run in runs:
        n = max(run.entries, 1)
        cheap = sum(
            run.stages.get(s, (0.0, 0.0))[1] for s in ("read", "parse", "identifiers", "merge", "findings", "write")
        )
        net = sum(run.stages.get(s, (0.0, 0.0))[0] for s in ("lookups", "search"))
        at_floor = run.floor >= 1.0  # below a second the ratio says nothing: the servers were told to be fast
        ratio = f"{run.wall / run.floor:.2f}" if at_floor else "-"
        net_ratio = f"{net / run.floor:.2f}" if at_floor else "-"
        print(
            f"| {run.label} | {run.mode} | {run.entries} | {run.total_requests} | {run.total_requests / n:.3f} | "
            f"{run.status_429} | {run.wall:.1f} | {run.floor:.1f} | {ratio} | {net_ratio} | "
            f"{run.outside:.1f} ({100 * run.outside / run.wall:.0f}%) | {run.cpu:.1f} | {1000 * run.cpu / n:.2f} | "
            f"{1000 * cheap / n:.3f} | {run.rss_mb:.0f} | {run.resolved}/{run.papers} | {run.wrong} | "
            f"{run.fresh_counts} | {_duration(run.real_floor)} |"
        )
    endpoints = sorted({name for run in runs for name in run.requests})
    print("\nrequests per entry by endpoint\n")
    print("| list | run | " + " | ".join(endpoints) + " |")
    print("|---|---|" + "---:|" * len(endpoints))
    for run in runs:
        n = max(run.entries, 1)
        cells = " | ".join(f"{run.requests.get(e, 0) / n:.4f}" if run.requests.get(e) else "0" for e in endpoints)
        print(f"| {run.label} | {run.mode} | {cells} |")
    for label, wall in baseline.items():
        print(f"\ntrivial 1-entry offline run, {label}: {wall:.1f} s")


def _duration(seconds: float) -> str:
    if seconds >= 3600:
        return f"{seconds / 3600:.1f} h"
    if seconds >= 60:
        return f"{seconds / 60:.1f} min"
    return f"{seconds:.1f} s"


# ---------------------------------------------------------------------------------------------------
# Profiling: the stages in this process, without Prefect
# ---------------------------------------------------------------------------------------------------


class _Inline:
    """A stand-in for ThreadPoolExecutor that runs each job at once in the calling thread (for cProfile)."""

    def __init__(self, *_args: Any, **_kwargs: Any) -> None:
        pass

    def submit(self, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Future[Any]:
        future: Future[Any] = Future()
        try:
            future.set_result(fn(*args, **kwargs))
        except Exception as exc:
            future.set_exception(exc)
        return future

    def shutdown(self, *_args: Any, **_kwargs: Any) -> None:
        pass

    def __enter__(self) -> _Inline:
        return self

    def __exit__(self, *_exc: object) -> None:
        pass


def _profile_summary(state: dict[str, Any]) -> dict[str, Any]:
    from avenrich import pipeline

    return pipeline.summarise(state["merge"], requests={}, degraded={}, overrides=0)


def _profile_round(text: Any, sources: Any) -> tuple[cProfile.Profile, dict[str, float]]:
    """One pass of the stages under cProfile; their wall times."""
    from avenrich import pipeline, resolve
    from avenrich.overrides import Overrides
    from avenrich.publish import publish

    profiler = cProfile.Profile()
    out = Path(tempfile.mkdtemp(prefix="avenrich-profile-"))
    timings: dict[str, float] = {}
    state: dict[str, Any] = {}
    stages: list[tuple[str, Callable[[], Any]]] = [
        ("parse", lambda: pipeline.parse(text)),
        ("identifiers", lambda: pipeline.identify(state["parse"], Overrides())),
        ("lookups", lambda: resolve.lookup(state["identifiers"], sources)),
        ("search", lambda: resolve.search_and_verify(state["identifiers"], state["lookups"], sources)),
        ("merge", lambda: pipeline.build_records(state["identifiers"], state["search"])),
        ("write", lambda: publish(state["merge"], text, out, _profile_summary(state), "2026-01-01T00:00:00Z")),
    ]
    profiler.enable()
    for stage, call in stages:
        started = time.monotonic()
        state[stage] = call()
        timings[stage] = time.monotonic() - started
    profiler.disable()
    return profiler, timings


def profile(n: int, seed: int, top: int) -> None:
    """cProfile of parse → identifiers → lookups → search → merge → write (publish, into a temporary directory)
    on an n-entry generated list.

    resolve's thread pools are replaced by inline execution, so that the verification done in the search
    threads shows in the profile (requests then go one at a time: compare CPU, not wall).
    """
    from avenrich import config, resolve
    from avenrich.cache import DiskJsonCache
    from avenrich.inputs import InputText
    from avenrich.sources import open_sources
    from fake_servers import FakeApis
    from world import generate_list

    resolve.ThreadPoolExecutor = _Inline  # type: ignore[assignment,misc]
    markdown, world = generate_list(n, seed=seed)
    text = InputText(name="profile", text=markdown, format="markdown", origin="generated")
    with (
        tempfile.TemporaryDirectory() as tmp,
        FakeApis(world, crossref_limits=(10**6, 10**6, 3), s2_limits=(10**6, 1)) as apis,
    ):
        settings = config.Settings.from_env(
            {
                **apis.env(),
                "AVENRICH_MAILTO": "bench@example.org",
                "AVENRICH_S2_RPS": "1000000",
                "AVENRICH_CROSSREF_RPS": "1000000",
            }
        )
        with DiskJsonCache(Path(tmp) / "cache") as cache:
            sources = open_sources(settings, cache)
            for label in ("cold", "warm"):
                profiler, timings = _profile_round(text, sources)
                print(
                    f"\n{label}: {n} entries, {apis.summary()['total']} requests; "
                    + ", ".join(f"{k} {v:.2f} s" for k, v in timings.items())
                )
                apis.reset_counters()
                sources.close()
                sources = open_sources(settings, cache)
                stats = pstats.Stats(profiler)
                stats.sort_stats("cumulative").print_stats(top)
                stats.sort_stats("tottime").print_stats(top)
            sources.close()


# ---------------------------------------------------------------------------------------------------


def parse_args(argv: Sequence[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument(
        "--sizes",
        default="bundled,2000,20000,100000",
        help="comma-separated: 'bundled' and/or generated list sizes (default: %(default)s)",
    )
    parser.add_argument("--skip-100k", action="store_true", help="drop 100000 from --sizes")
    parser.add_argument(
        "--modes",
        default="cold,warm,nightly",
        help="comma-separated, run in order on one cache: cold, warm, recheck (warm with --recheck), nightly, "
        "changed (nightly with 1%% of links edited)",
    )
    parser.add_argument("--latency", type=float, default=0.2, help="bundled list: seconds per response (0.2)")
    parser.add_argument("--big-latency", type=float, default=0.0, help="generated lists: seconds per response (0)")
    parser.add_argument(
        "--big-rps",
        type=int,
        default=100_000,
        help="generated lists: req/s the servers permit and avenrich paces at (100000)",
    )
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--timeout", type=float, default=3600.0, help="seconds before a run is killed")
    parser.add_argument("--no-baseline", action="store_true", help="skip the trivial 1-entry runs")
    parser.add_argument(
        "--prefect-server",
        action="store_true",
        help="run against a `prefect server start` (PREFECT_API_URL), as deployment workers do, "
        "instead of the temporary server each `avenrich run` starts",
    )
    parser.add_argument(
        "--operator",
        action="store_true",
        help="only the operator's figures: each refusal's time, and how long one SIGINT/SIGTERM takes to end a "
        "run stalled mid-lookup",
    )
    parser.add_argument("--repeat", type=int, default=3, help="--operator: runs per figure (median shown)")
    parser.add_argument("--keep", action="store_true", help="keep the temporary directory")
    parser.add_argument("--profile", type=int, metavar="N", help="profile the stages on an N-entry list instead")
    parser.add_argument("--top", type=int, default=30, help="--profile: functions shown")
    args = parser.parse_args(argv)
    sizes = [s.strip() for s in args.sizes.split(",") if s.strip()]
    if args.skip_100k:
        sizes = [s for s in sizes if s != "100000"]
    args.sizes = sizes
    args.modes = [m.strip() for m in args.modes.split(",") if m.strip()]
    unknown = set(args.modes) - {"cold", "warm", "recheck", "nightly", "changed"}
    if unknown or not args.modes or args.modes[0] != "cold":
        parser.error("--modes: cold first, then warm, recheck, nightly and/or changed")
    return args


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv[:1] == ["--child"]:
        return child(argv[1], argv[3:])
    args = parse_args(argv)
    if args.profile:
        profile(args.profile, args.seed, args.top)
        return 0

    print(
        f"avenrich benchmark, {datetime.now(UTC):%Y-%m-%d %H:%M} UTC; {platform.platform()}; "
        f"{os.cpu_count()} cores; Python {platform.python_version()}"
    )
    print("command: python benchmarks/run.py " + " ".join(argv), flush=True)
    bench = Bench(args)
    try:
        if args.operator:
            operator_figures(bench)
            return 0
        if not args.no_baseline and not args.prefect_server:  # with a server: only the trivial run against it
            bench.measure_baseline()
        with bench.prefect_server():
            run_all(bench, args)
        print_table(bench.runs, bench.baseline)
    finally:
        if args.keep:
            print(f"kept {bench.tmp}")
        else:
            shutil.rmtree(bench.tmp, ignore_errors=True)
    return 0


def run_all(bench: Bench, args: argparse.Namespace) -> None:
    """Every list of --sizes, each with its own fake servers and world."""
    from world import build_bundled_world, generate_list

    if args.prefect_server and not args.no_baseline:
        bench.measure_baseline(labels=("against the running server",))
    for size in args.sizes:
        if size == "bundled":
            markdown = BUNDLED.read_text(encoding="utf-8")
            world = build_bundled_world(markdown, seed=args.seed).prepare()
            bench.run_list("awesome-audiovisual-learning", markdown, world, bundled=True)
        else:
            started = time.monotonic()
            markdown, world = generate_list(int(size), seed=args.seed)
            world.prepare()
            print(f"\ngenerated {size}-entry list and its world in {time.monotonic() - started:.1f} s", flush=True)
            bench.run_list(f"generated-{size}", markdown, world, bundled=False)
            del markdown, world


# ---------------------------------------------------------------------------------------------------
# The operator's figures: refusals, and one signal ending a run
# ---------------------------------------------------------------------------------------------------

AVENRICH = str(Path(sys.executable).with_name("avenrich"))


def operator_figures(bench: Bench) -> None:
    """Each refusal's wall time (`avenrich` exits before Prefect starts), and the time from one SIGINT or
    SIGTERM to the process group of a run stalled in its lookups until the run has exited."""
    import statistics

    folder = bench.tmp / "operator"
    folder.mkdir()
    (folder / "empty.md").write_bytes(b"")
    (folder / "image.md").write_bytes(b"\x89PNG\r\n\x1a\n\x00" + bytes(range(256)) * 8)
    (folder / "a-file").write_text("x\n", encoding="utf-8")
    env = {**bench.env(None, rps=None), "PREFECT_HOME": str(folder / "never-created")}
    cases = {
        "no command": [],
        "missing input": ["run", "--input", "missing.md"],
        "empty input": ["run", "--input", "empty.md"],
        "binary input": ["run", "--input", "image.md"],
        "unreachable URL": ["run", "--input", "http://127.0.0.1:9/list.md"],
        "bad --name": ["run", "--name", "my list"],
        "unwritable --out": ["run", "--out", "a-file/out"],
        "--offline URL, no copy": ["run", "--offline", "--input", "http://127.0.0.1:9/list.md"],
    }
    print(f"refusals (median of {bench.args.repeat}; Prefect's home never created):", flush=True)
    for label, argv in cases.items():
        walls, codes = [], set()
        for _ in range(bench.args.repeat):
            started = time.monotonic()
            done = subprocess.run([AVENRICH, *argv], env=env, cwd=folder, capture_output=True, timeout=120)
            walls.append(time.monotonic() - started)
            codes.add(done.returncode)
        created = (folder / "never-created").exists()
        print(f"  {label:24} exit {sorted(codes)}  {statistics.median(walls):.2f} s  (max {max(walls):.2f} s)"
              f"{'  PREFECT_HOME CREATED' if created else ''}", flush=True)  # fmt: skip
    for signum in (signal.SIGINT, signal.SIGTERM):
        walls, codes = [], set()
        for attempt in range(bench.args.repeat):
            code, wall = _signal_run(folder / f"{signum.name}-{attempt}", env, signum)
            walls.append(wall)
            codes.add(code)
        print(f"{signum.name} to the process group mid-lookup: exit {sorted(codes)}, "
              f"{statistics.median(walls):.2f} s to exit (max {max(walls):.2f} s)", flush=True)  # fmt: skip


def _signal_run(folder: Path, env: dict[str, str], signum: signal.Signals) -> tuple[int, float]:
    """(exit code, seconds from the signal to the exit) of a run whose lookups never get an answer."""
    import threading
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    reached, stop = threading.Event(), threading.Event()

    class Stall(BaseHTTPRequestHandler):
        def _stall(self) -> None:
            reached.set()
            stop.wait(300)

        do_GET = do_POST = _stall

        def log_message(self, *_args: Any) -> None:
            """Silent."""

    server = ThreadingHTTPServer(("127.0.0.1", 0), Stall)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{server.server_address[1]}"
    env = {**env, "PREFECT_HOME": str(folder / "prefect-home"), "AVENRICH_CROSSREF_URL": url,
           "AVENRICH_S2_URL": f"{url}/graph/v1"}  # fmt: skip
    folder.mkdir()
    argv = [AVENRICH, "run", "-q", "--out", str(folder / "out"), "--cache-dir", str(folder / "cache")]
    run = subprocess.Popen(argv, env=env, cwd=folder, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                           start_new_session=True)  # fmt: skip
    try:
        if not reached.wait(600):
            raise RuntimeError("the run never reached its lookups")
        time.sleep(0.5)
        started = time.monotonic()
        os.killpg(run.pid, signum)
        run.wait(timeout=120)
        return run.returncode, time.monotonic() - started
    finally:
        if run.poll() is None:
            os.killpg(run.pid, signal.SIGKILL)
            run.wait()
        stop.set()
        server.shutdown()
        server.server_close()


if __name__ == "__main__":
    raise SystemExit(main())
