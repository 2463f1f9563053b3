"""Stress: the bundled list against fake Crossref/S2 servers injecting faults at increasing rates.

    python benchmarks/stress.py [--rates 0,0.02,0.05,0.1,0.2] [--seed 1] [--read-timeout 3]

Each rate runs the pipeline's stages (lookups → search and verify → merge → render, without Prefect) with a
cold cache, the real retry policy (RetryPolicy.from_settings: backoff 1, 2, 4 s + jitter, Retry-After
honoured, 4 attempts, circuit breaker) and real pacing, against fake servers that allow 50 req/s, so the
waits come from the faults. Every fault kind of tests/fake_servers.py is drawn (500/502/503/504, 429 with
and without Retry-After, hangs of 5 s past a --read-timeout of 3 s, truncated and malformed JSON, dropped
connections, wrong-shaped S2 batches, redirect loops). Per rate it prints: whether the run completed,
entries lost from the outputs (must be 0), the unresolved share, entries a clean run resolves that the
faults left unresolved, wrong resolutions (must be 0), requests, 429s, retries, wall time, and whether a
rerun on the same cache with the faults gone gives exactly a clean run's outputs.
"""

from __future__ import annotations

import argparse
import sys
import time
import traceback
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

from avenrich.cache import MemoryJsonCache  # noqa: E402
from avenrich.inputs import read_input  # noqa: E402
from avenrich.resolve import Item  # noqa: E402
from avenrich.sources.http import RetryPolicy  # noqa: E402
from fake_servers import FakeApis, FaultPlan  # noqa: E402
from helpers import (  # noqa: E402
    StageRun,
    entries_of,
    fake_settings,
    items_of,
    lost,
    run_stages,
    wrongly_resolved,
)
from world import build_bundled_world  # noqa: E402

LIMITS = {"AVENRICH_CROSSREF_RPS": "50", "AVENRICH_S2_RPS": "50"}


def run(apis: FakeApis, items: list[Item], cache: MemoryJsonCache, read_timeout: float) -> StageRun:
    settings = fake_settings({**apis.env(), **LIMITS}, read_timeout=read_timeout)
    return run_stages(items, settings, cache, policy=RetryPolicy.from_settings(settings), pace=True)


def retries(stage: StageRun) -> int:
    return sum(row["retries"] for endpoints in stage.requests.values() for row in endpoints.values())


def one_rate(
    apis: FakeApis, items: list[Item], clean: StageRun, rate: float, seed: int, read_timeout: float
) -> dict[str, Any]:
    apis.reset_counters()
    apis.faults = FaultPlan(rate=rate, seed=seed) if rate > 0 else None
    cache = MemoryJsonCache()
    started = time.monotonic()
    try:
        stage = run(apis, items, cache, read_timeout)
    except Exception:  # a crash is the finding: report it in the table
        traceback.print_exc()
        return {"rate": rate, "completed": False, "wall": time.monotonic() - started}
    finally:
        apis.faults = None
    wall = time.monotonic() - started
    served = apis.summary()
    entries = entries_of(stage.files)
    unresolved = sum(1 for o in stage.outcomes.values() if o.choice.resolution.status != "resolved")
    recovered = run(apis, items, cache, read_timeout).files == clean.files
    return {
        "rate": rate,
        "completed": True,
        "lost": len(items) - len(entries),
        "unresolved": unresolved / len(items),
        "faulted": len(lost(stage, clean)),
        "wrong": len(wrongly_resolved(stage, clean)),
        "requests": served["total"],
        "faults": sum(served["faults"].values()),
        "429s": served["count_429"],
        "retries": retries(stage),
        "degraded": ",".join(sorted(stage.degraded)) or "-",
        "wall": wall,
        "recovered": recovered,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rates", default="0,0.02,0.05,0.1,0.2")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--read-timeout", type=float, default=3.0)
    args = parser.parse_args()
    text = read_input(None)
    items = items_of(None)[1]
    world = build_bundled_world(text.text, seed=args.seed).prepare()
    rows = []
    with FakeApis(world, crossref_limits=(50, 50, 10), s2_limits=(50, 10)) as apis:
        clean = run(apis, items, MemoryJsonCache(), args.read_timeout)
        for rate in (float(r) for r in args.rates.split(",")):
            rows.append(one_rate(apis, items, clean, rate, args.seed, args.read_timeout))
            print(f"rate {rate:.0%} done in {rows[-1]['wall']:.1f} s", file=sys.stderr, flush=True)
        internal = len(apis.internal_errors)
    print(f"\nbundled list: {len(items)} entries; seed {args.seed}; read timeout {args.read_timeout:g} s\n")
    head = (
        f"{'fault rate':>10} {'completed':>9} {'lost':>4} {'unresolved':>10} {'by faults':>9} {'wrong':>5} "
        f"{'requests':>8} {'faults':>6} {'429s':>5} {'retries':>7} {'wall s':>7} {'rerun=clean':>11}  degraded"
    )
    print(head)
    print("-" * len(head))
    for row in rows:
        if not row["completed"]:
            print(f"{row['rate']:>10.0%} {'NO':>9}")
            continue
        print(
            f"{row['rate']:>10.0%} {'yes':>9} {row['lost']:>4} {row['unresolved']:>10.1%} {row['faulted']:>9} "
            f"{row['wrong']:>5} {row['requests']:>8} {row['faults']:>6} {row['429s']:>5} {row['retries']:>7} "
            f"{row['wall']:>7.1f} {'yes' if row['recovered'] else 'NO':>11}  {row['degraded']}"
        )
    if internal:
        print(f"\nfake server internal errors: {internal}")
    ok = all(r["completed"] and r["lost"] == 0 and r["wrong"] == 0 and r["recovered"] for r in rows)
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
