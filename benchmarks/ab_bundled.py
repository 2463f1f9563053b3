"""Two checkouts of avenrich on the bundled list, turn about: wall time of a cold and a warm `avenrich run` each.

    git worktree add /tmp/before <commit>
    python benchmarks/ab_bundled.py --a src --b /tmp/before/src --rounds 3

The bundled list over its test world (tests/world.build_bundled_world), served by the fake servers of
tests/fake_servers.py at the REAL limits (Crossref 10 single + 3 list req/s, 3 in flight; S2 1 req/s) with 0.2 s per
response, as `benchmarks/run.py --sizes bundled` does. Each checkout runs as `python -m avenrich run` with its `src`
first on PYTHONPATH and its own PREFECT_HOME (warmed by one run that is not counted), with no Prefect server running
(each run starts its temporary one). The checkouts alternate, A B then B A, so that a drift of the machine's speed
falls on both. Prints every run's wall and the medians.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))
BUNDLED = ROOT / "src" / "avenrich" / "data" / "awesome-audiovisual-learning.md"
MODES = ("cold", "warm")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--a", required=True, help="checkout A's src directory")
    parser.add_argument("--b", required=True, help="checkout B's src directory")
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    from fake_servers import FakeApis
    from world import build_bundled_world

    world = build_bundled_world(BUNDLED.read_text(encoding="utf-8"), seed=0).prepare()
    sources = {"A": str(Path(args.a).resolve()), "B": str(Path(args.b).resolve())}
    root = Path(tempfile.mkdtemp(prefix="avenrich-ab-"))
    walls: dict[tuple[str, str], list[float]] = {(label, mode): [] for label in sources for mode in MODES}
    with FakeApis(world, latency=0.2, crossref_limits=(10, 3, 3), s2_limits=(1, 1)) as apis:

        def run(label: str, folder: Path) -> tuple[float, int]:
            env = {k: v for k, v in os.environ.items() if not k.startswith(("AVENRICH_", "PREFECT_"))}
            env.update(apis.env())
            env.update(
                {
                    "PYTHONPATH": sources[label],
                    "PREFECT_HOME": str(root / f"home-{label}"),
                    "AVENRICH_MAILTO": "bench@example.org",
                    "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
                    "DO_NOT_TRACK": "1",
                    "NO_PROXY": "127.0.0.1,localhost",
                    "PREFECT_SERVER_API_PORT": "9",  # no running server is found: each run starts its own
                }
            )
            command = [sys.executable, "-m", "avenrich", "run", "-q", "--out", str(folder / "out")]
            started = time.monotonic()
            done = subprocess.run([*command, "--cache-dir", str(folder / "cache")], env=env, capture_output=True)
            return time.monotonic() - started, done.returncode

        for label in sources:
            wall, code = run(label, root / f"warm-up-{label}")
            print(f"warm-up {label}: {wall:.1f} s, exit {code}", flush=True)
        for number in range(args.rounds):
            for label in ("A", "B") if number % 2 == 0 else ("B", "A"):
                for mode in MODES:
                    apis.reset_counters()
                    wall, code = run(label, root / f"{label}-{number}")
                    walls[(label, mode)].append(wall)
                    print(f"round {number} {label} {mode}: {wall:.2f} s, exit {code}", flush=True)
    for mode in MODES:
        a, b = statistics.median(walls[("A", mode)]), statistics.median(walls[("B", mode)])
        print(f"{mode}: A median {a:.2f} s, B median {b:.2f} s, A/B {a / b:.3f}")


if __name__ == "__main__":
    main()
