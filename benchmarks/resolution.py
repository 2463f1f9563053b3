"""Resolution quality on the hostile fake world: precision, recall and F0.5 by link kind, requests per entry.

    python benchmarks/resolution.py [--seeds 3] [--latency 0]

Runs the pipeline's stages (parse → identifiers → lookups → search and verify → merge, without Prefect)
against fake Crossref/S2 servers on 127.0.0.1 serving tests/world.py's world for the bundled list: each
true paper surrounded by same-titled preprints, corrections, supplementary components, same-titled papers by
other authors, near-miss titles, and papers missing from both indexes.

A resolved link is *correct* when its DOI is the expected version of record (or, for papers without a
DOI, its arXiv id / S2 paper id agree), a *version mistake* when it names another version of the same work,
and *wrong* otherwise. Precision = correct / resolved; recall = correct / findable.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

from avenrich import identifiers, listing, resolve  # noqa: E402
from avenrich.cache import DiskJsonCache  # noqa: E402
from avenrich.config import Settings  # noqa: E402
from avenrich.model import Ids  # noqa: E402
from avenrich.overrides import Overrides  # noqa: E402
from avenrich.sources import open_sources  # noqa: E402
from fake_servers import FakeApis  # noqa: E402
from world import Expected, FakeWorld, build_bundled_world  # noqa: E402

BUNDLED = ROOT / "src" / "avenrich" / "data" / "awesome-audiovisual-learning.md"


@dataclass
class Tally:
    resolved: int = 0
    correct: int = 0
    version: int = 0
    wrong: int = 0
    findable: int = 0
    absent_resolved: int = 0

    def add(self, other: Tally) -> None:
        for name in self.__dataclass_fields__:
            setattr(self, name, getattr(self, name) + getattr(other, name))

    @property
    def precision(self) -> float:
        return self.correct / self.resolved if self.resolved else 1.0

    @property
    def recall(self) -> float:
        return self.correct / self.findable if self.findable else 1.0

    @property
    def f05(self) -> float:
        p, r = self.precision, self.recall
        return 1.25 * p * r / (0.25 * p + r) if p + r else 0.0


def judge(ids: Ids, expected: Expected | str) -> str:
    """'correct', 'version' or 'wrong' for a resolved link."""
    if expected == "absent":
        return "wrong"
    assert isinstance(expected, Expected)
    found = [v for v in (ids.doi, ids.arxiv and f"arxiv:{ids.arxiv}", ids.s2) if v]
    if ids.doi and not expected.doi_ok(ids.doi):
        return "version" if ids.doi.lower() in {s.lower() for s in expected.same_work} else "wrong"
    if expected.doi and not ids.doi:
        # resolved without the version-of-record DOI: right paper only if the other ids agree
        agree = (expected.s2 and ids.s2 == expected.s2) or (expected.arxiv and ids.arxiv == expected.arxiv)
        return "version" if agree else "wrong"
    if expected.s2 and ids.s2 and ids.s2 != expected.s2:
        return "version" if ids.s2 in expected.same_work else "wrong"
    return "correct" if found else "wrong"


def run_once(world: FakeWorld, latency: float, cache_dir: Path) -> dict[str, Any]:
    links = listing.parse_markdown(BUNDLED.read_text(encoding="utf-8"))
    items = resolve.prepare(links, [identifiers.match_link(link.url) for link in links], Overrides())
    with FakeApis(world, latency=latency, crossref_limits=(10, 3, 3), s2_limits=(1, 1)) as apis:
        settings = Settings.from_env({**apis.env(), "AVENRICH_MAILTO": "bench@example.org"})
        started = time.monotonic()
        with DiskJsonCache(cache_dir) as cache:
            sources = open_sources(settings, cache)
            ledger = resolve.lookup(items, sources)
            outcomes = resolve.search_and_verify(items, ledger, sources)
            sources.close()
        wall = time.monotonic() - started
        served = apis.summary()
    by_host: dict[str, Tally] = {}
    mistakes = []
    for item in items:
        url = item.link.url
        expected = world.truth.get(url, "absent")
        outcome = outcomes[url]
        tally = by_host.setdefault(item.match.host, Tally())
        if expected != "absent":
            tally.findable += 1
        if outcome.choice.resolution.status != "resolved":
            continue
        tally.resolved += 1
        verdict = judge(outcome.ids, expected)
        if expected == "absent":
            tally.absent_resolved += 1
        setattr(tally, verdict, getattr(tally, verdict) + 1)
        if verdict != "correct":
            mistakes.append((verdict, url, outcome.ids, expected, outcome.choice.resolution.method))
    return {"by_host": by_host, "wall": wall, "served": served, "entries": len(items), "mistakes": mistakes}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--latency", type=float, default=0.0)
    parser.add_argument("--show-mistakes", action="store_true")
    args = parser.parse_args()
    total_by_host: dict[str, Tally] = {}
    requests = Counter[str]()
    entries = 0
    for seed in range(args.seeds):
        world = build_bundled_world(BUNDLED.read_text(encoding="utf-8"), seed=seed).prepare()
        with tempfile.TemporaryDirectory() as tmp:
            result = run_once(world, args.latency, Path(tmp) / "cache")
        for host, tally in result["by_host"].items():
            total_by_host.setdefault(host, Tally()).add(tally)
        requests.update(result["served"]["requests"])
        entries += result["entries"]
        print(
            f"seed {seed}: {result['served']['total']} requests, 429s {result['served']['count_429']}, "
            f"wall {result['wall']:.1f} s",
            flush=True,
        )
        if args.show_mistakes:
            for mistake in result["mistakes"]:
                print("   ", *mistake)
    overall = Tally()
    print(
        f"\n{'link kind':<10} {'findable':>8} {'resolved':>8} {'correct':>7} {'version':>7} {'wrong':>5} "
        f"{'precision':>9} {'recall':>6} {'F0.5':>5}"
    )
    for host, tally in sorted(total_by_host.items()):
        overall.add(tally)
        print(
            f"{host:<10} {tally.findable:>8} {tally.resolved:>8} {tally.correct:>7} {tally.version:>7} "
            f"{tally.wrong:>5} {tally.precision:>9.3f} {tally.recall:>6.3f} {tally.f05:>5.3f}"
        )
    print(
        f"{'all':<10} {overall.findable:>8} {overall.resolved:>8} {overall.correct:>7} {overall.version:>7} "
        f"{overall.wrong:>5} {overall.precision:>9.3f} {overall.recall:>6.3f} {overall.f05:>5.3f}"
    )
    print(
        f"\nrequests per entry (cold, {args.seeds} seed(s), {entries} entries): {sum(requests.values()) / entries:.3f}"
    )
    for endpoint, n in sorted(requests.items()):
        print(f"  {endpoint:<28} {n / entries:.3f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
