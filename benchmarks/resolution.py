"""Resolution quality on the hostile fake world: precision, recall and F0.5 by link kind and by class, requests.

    python benchmarks/resolution.py [--seeds 3] [--latency 0] [--absent 200] [--show-mistakes]

Runs the pipeline's stages (parse → identifiers → lookups → search and verify, without Prefect) against fake
Crossref/S2 servers on 127.0.0.1 at the real limits, serving tests/world.py's worlds:

1. the bundled list plus a generated section of the hostile classes (`world.HOSTILE_CLASSES`: journal extensions
   a year later with a subtitle, alone or beside the conference paper, same-year subtitle variants, symbols an
   index drops, links whose IEEE number contradicts the same-titled record), each true paper surrounded by
   same-titled preprints, corrections, supplementary components, same-titled papers by other authors, near-miss
   titles, and papers missing from both indexes. Figures by link kind and by class ("list" = the bundled list).
2. the same list rewritten into the upstream paragraph format (`**[VENUE-YEAR]**`, authors), rerun on the first
   run's cache: the search requests it makes (titles already searched should cost none).
3. a generated list of `--absent` links, ~40% of them in neither index: requests per link, cold.

A resolved link is *correct* when its DOI is the expected version of record (or, for papers without a
DOI, its arXiv id / S2 paper id agree), a *version mistake* when it names another version of the same work,
and *wrong* otherwise. Precision = correct / resolved; recall = correct / findable. "link id clash" counts
entries that carry an identifier of their link next to a record with another identifier of that kind.
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
from world import (  # noqa: E402
    HOSTILE_CLASSES,
    Expected,
    FakeWorld,
    build_hostile_world,
    generate_absent_list,
    to_paragraph_format,
)

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


SEARCH_ENDPOINTS = ("crossref/query", "semantic_scholar/match", "semantic_scholar/search")


def link_id_clashes(outcome: resolve.Outcome, link_ids: Ids) -> list[str]:
    """Identifiers of the link that the entry publishes next to a record carrying another of that kind."""
    clashes = []
    for name in ("doi", "arxiv", "acl", "pmcid", "ieee", "s2"):
        mine = getattr(link_ids, name)
        if mine is None or str(getattr(outcome.ids, name) or "").lower() != str(mine).lower():
            continue
        works = [*outcome.works, *([outcome.choice.work] if outcome.choice.work is not None else [])]
        others = {str(getattr(w.ids, name)).lower() for w in works if getattr(w.ids, name) is not None}
        if others - {str(mine).lower()}:
            clashes.append(f"{name}: link {mine}, record {sorted(others)}")
    return clashes


REAL_LIMITS = {"crossref_limits": (10, 3, 3), "s2_limits": (1, 1)}
FAST_LIMITS = {"crossref_limits": (1000, 1000, 8), "s2_limits": (1000, 4)}
FAST_RPS = {"AVENRICH_CROSSREF_RPS": "1000", "AVENRICH_S2_RPS": "1000"}


def run_once(markdown: str, world: FakeWorld, latency: float, cache_dir: Path, fast: bool = False) -> dict[str, Any]:
    links = listing.parse_markdown(markdown)
    items = resolve.prepare(links, [identifiers.match_link(link.url) for link in links], Overrides())
    with FakeApis(world, latency=latency, **(FAST_LIMITS if fast else REAL_LIMITS)) as apis:  # type: ignore[arg-type]
        env = {**apis.env(), "AVENRICH_MAILTO": "bench@example.org", **(FAST_RPS if fast else {})}
        settings = Settings.from_env(env)
        started = time.monotonic()
        with DiskJsonCache(cache_dir) as cache:
            sources = open_sources(settings, cache)
            ledger = resolve.lookup(items, sources)
            outcomes = resolve.search_and_verify(items, ledger, sources)
            sources.close()
        wall = time.monotonic() - started
        served = apis.summary()
    by_host: dict[str, Tally] = {}
    by_class: dict[str, Tally] = {}
    mistakes = []
    clashes = 0
    for item in items:
        url = item.link.url
        expected = world.truth.get(url, "absent")
        outcome = outcomes[url]
        clashes += bool(link_id_clashes(outcome, item.match.ids))
        tallies = (
            by_host.setdefault(item.match.host, Tally()),
            by_class.setdefault(world.link_classes.get(url, "list"), Tally()),
        )
        for tally in tallies:
            tally.findable += expected != "absent"
        if outcome.choice.resolution.status != "resolved":
            continue
        verdict = judge(outcome.ids, expected)
        for tally in tallies:
            tally.resolved += 1
            tally.absent_resolved += expected == "absent"
            setattr(tally, verdict, getattr(tally, verdict) + 1)
        if verdict != "correct":
            mistakes.append((verdict, url, outcome.ids, expected, outcome.choice.resolution.method))
    return {
        "by_host": by_host,
        "by_class": by_class,
        "wall": wall,
        "served": served,
        "entries": len(items),
        "mistakes": mistakes,
        "clashes": clashes,
    }


def print_table(title: str, tallies: dict[str, Tally], order: list[str] | None = None) -> None:
    print(
        f"\n{title:<28} {'findable':>8} {'resolved':>8} {'correct':>7} {'version':>7} {'wrong':>5} "
        f"{'precision':>9} {'recall':>6} {'F0.5':>5}"
    )
    overall = Tally()
    for name in order or sorted(tallies):
        tally = tallies.get(name, Tally())
        overall.add(tally)
        print(
            f"{name:<28} {tally.findable:>8} {tally.resolved:>8} {tally.correct:>7} {tally.version:>7} "
            f"{tally.wrong:>5} {tally.precision:>9.3f} {tally.recall:>6.3f} {tally.f05:>5.3f}"
        )
    print(
        f"{'all':<28} {overall.findable:>8} {overall.resolved:>8} {overall.correct:>7} {overall.version:>7} "
        f"{overall.wrong:>5} {overall.precision:>9.3f} {overall.recall:>6.3f} {overall.f05:>5.3f}"
    )


def print_requests(label: str, requests: Counter[str], entries: int) -> None:
    print(f"\nrequests per entry ({label}, {entries} entries): {sum(requests.values()) / entries:.3f}")
    for endpoint, n in sorted(requests.items()):
        print(f"  {endpoint:<28} {n / entries:.3f}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--latency", type=float, default=0.0)
    parser.add_argument("--absent", type=int, default=200, help="links of the ~40%%-absent list (0: skip it)")
    parser.add_argument("--show-mistakes", action="store_true")
    parser.add_argument("--fast", action="store_true", help="serve at 1000 requests/s (same requests, less wall)")
    args = parser.parse_args()
    by_host: dict[str, Tally] = {}
    by_class: dict[str, Tally] = {}
    absent_tally: dict[str, Tally] = {}
    requests, rewrite_requests, absent_requests = Counter[str](), Counter[str](), Counter[str]()
    entries = absent_entries = clashes = count_429 = absent_429 = 0
    bundled = BUNDLED.read_text(encoding="utf-8")
    for seed in range(args.seeds):
        markdown, world = build_hostile_world(bundled, seed=seed)
        world.prepare()
        with tempfile.TemporaryDirectory() as tmp:
            result = run_once(markdown, world, args.latency, Path(tmp) / "cache", args.fast)
            rewritten = run_once(
                to_paragraph_format(markdown, world), world, args.latency, Path(tmp) / "cache", args.fast
            )
        for name, tally in result["by_host"].items():
            by_host.setdefault(name, Tally()).add(tally)
        for name, tally in result["by_class"].items():
            by_class.setdefault(name, Tally()).add(tally)
        requests.update(result["served"]["requests"])
        rewrite_requests.update(rewritten["served"]["requests"])
        entries += result["entries"]
        clashes += result["clashes"] + rewritten["clashes"]
        count_429 += result["served"]["count_429"]
        searches = sum(rewritten["served"]["requests"].get(e, 0) for e in SEARCH_ENDPOINTS)
        print(
            f"seed {seed}: {result['served']['total']} requests, 429s {result['served']['count_429']} "
            f"{result['served']['rate_limited'] or ''}, "
            f"wall {result['wall']:.1f} s; paragraph-format rerun: {rewritten['served']['total']} requests "
            f"({searches} searches)",
            flush=True,
        )
        if args.show_mistakes:
            for mistake in result["mistakes"] + rewritten["mistakes"]:
                print("   ", *mistake)
        if args.absent:
            absent_md, absent_world = generate_absent_list(args.absent, seed)
            absent_world.prepare()
            with tempfile.TemporaryDirectory() as tmp:
                absent = run_once(absent_md, absent_world, args.latency, Path(tmp) / "cache", args.fast)
            for name, tally in absent["by_host"].items():
                absent_tally.setdefault(name, Tally()).add(tally)
            absent_requests.update(absent["served"]["requests"])
            absent_entries += absent["entries"]
            absent_429 += absent["served"]["count_429"]
            clashes += absent["clashes"]
            share = absent_world.summary()["absent_links"] / absent["entries"]
            print(
                f"seed {seed}: absent list ({share:.0%} absent): {absent['served']['total']} requests for "
                f"{absent['entries']} links, 429s {absent['served']['count_429']} "
                f"{absent['served']['rate_limited'] or ''}, wall {absent['wall']:.1f} s",
                flush=True,
            )
            if args.show_mistakes:
                for mistake in absent["mistakes"]:
                    print("   ", *mistake)
    print_table("link kind", by_host)
    print_table("class", by_class, ["list", *HOSTILE_CLASSES])
    print_requests(f"cold, {args.seeds} seed(s), 429s {count_429}", requests, entries)
    print_requests("paragraph-format rerun on the same cache", rewrite_requests, entries)
    if args.absent:
        print_table("absent list: link kind", absent_tally)
        print_requests(f"absent list, cold, 429s {absent_429}", absent_requests, absent_entries)
    print(f"\nentries with a link identifier next to a record that contradicts it: {clashes}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
