"""Size of a list's state database (NAME.sqlite) after many nights, and the time each night's state work takes.

    python benchmarks/state_size.py                          # 20k links, 30 nights, 5% of counts changing
    python benchmarks/state_size.py --links 100000 --nights 10 --changing 0.05

Each night does to the state exactly what a published run does (publish.py): the links as read, every resolved
record as its last verified resolution (dated that night), the key registry, the citation counts (changes only)
and the run's row, in the same transactions, through store.py. The records are synthetic but shaped like real
ones (ids, three authors, venue, provenance, evidence); 95% of the links resolve. Prints one line per night and
the file's size (with its WAL checkpointed) at the end.
"""

from __future__ import annotations

import argparse
import dataclasses
import random
import sys
import tempfile
import time
from pathlib import Path

from avenrich import keys
from avenrich.model import Author, Citations, Ids, Link, Record, Resolution
from avenrich.store import CountRow, RunSummary, Store

WORDS = ("audio", "visual", "sound", "speech", "video", "learning", "network", "deep", "neural", "separation")


def make_records(n: int, rng: random.Random) -> list[Record]:
    """n records, 95% resolved with a DOI, an arXiv id and an S2 id; the rest unresolved."""
    records = []
    for i in range(n):
        title = " ".join(rng.choice(WORDS).capitalize() for _ in range(6))
        link = Link(url=f"https://arxiv.org/abs/{2000 + i // 10000}.{i % 10000:05d}", title=title, year=2020)
        if rng.random() < 0.05:
            unresolved = Resolution("unresolved", "none", 0.0, "no candidate found")
            records.append(Record(link=link, ids=Ids(arxiv=link.url[-10:]), resolution=unresolved, title=title))
            continue
        fetched = "2026-11-01"
        records.append(
            Record(
                link=link,
                ids=Ids(doi=f"10.1109/cvpr.{i}", arxiv=link.url[-10:], s2=f"{i:040x}", corpus_id=i),
                resolution=Resolution(
                    "resolved", "link", 0.97, "", (("title", 1.0), ("year", 1.0), ("agreement", 1.0))
                ),
                host="arxiv",
                title=title,
                authors=tuple(Author(given=f"Given{j}", family=f"Family{(i + j) % 997}") for j in range(3)),
                year=2020,
                month=6,
                venue="IEEE/CVF Conference on Computer Vision and Pattern Recognition",
                type="proceedings-article",
                publisher="IEEE",
                pages=f"{i % 900}-{i % 900 + 9}",
                citations=Citations(rng.randrange(500), fetched, rng.randrange(800), fetched, rng.randrange(50)),
                provenance=tuple((f, "crossref", fetched) for f in ("title", "authors", "year", "venue", "doi")),
            )
        )
    return records


def with_changed_counts(records: list[Record], share: float, rng: random.Random) -> list[Record]:
    """The records with `share` of the resolved ones' counts moved up."""
    out = []
    for record in records:
        if record.resolution.status == "resolved" and rng.random() < share:
            c = record.citations
            moved = dataclasses.replace(
                c, crossref=(c.crossref or 0) + 1, semantic_scholar=(c.semantic_scholar or 0) + 2
            )
            record = dataclasses.replace(record, citations=moved)
        out.append(record)
    return out


def night(state: Store, records: list[Record], date: str) -> int:
    """What publish does to the state on one night; the history rows it added."""
    run_id = state.start_run(f"{date}T03:00:00Z", "bench", "bench")
    dated = [dataclasses.replace(r, resolution=dataclasses.replace(r.resolution, checked=date)) for r in records]
    registry = state.read_registry()
    by_paper, new_registry = keys.assign_keys(dated, registry)
    with state.transaction():
        state.save_links(r.link for r in dated)
        state.save_verified((r for r in dated if r.resolution.status == "resolved"), run_id)
        state.save_registry(registry, new_registry)
        added = state.record_counts(
            CountRow(date, r.link.url, keys.key_for(r, by_paper), r.ids.doi, r.citations.crossref,
                     r.citations.semantic_scholar)
            for r in dated
        )  # fmt: skip
    with state.transaction():
        resolved = sum(r.resolution.status == "resolved" for r in dated)
        state.finish_run(
            run_id, f"{date}T03:10:00Z", RunSummary(len(dated), resolved, len(dated) - resolved, 0, {}, {})
        )
    return added


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--links", type=int, default=20_000)
    parser.add_argument("--nights", type=int, default=30)
    parser.add_argument("--changing", type=float, default=0.05, help="share of papers whose counts change nightly")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    rng = random.Random(args.seed)
    records = make_records(args.links, rng)
    with tempfile.TemporaryDirectory(prefix="avenrich-state-") as tmp:
        path = Path(tmp) / "bench.sqlite"
        with Store.open(path) as state:
            for n in range(args.nights):
                date = f"2026-{10 + n // 28:02d}-{n % 28 + 1:02d}"
                if n:
                    records = with_changed_counts(records, args.changing, rng)
                started = time.perf_counter()
                added = night(state, records, date)
                took = time.perf_counter() - started
                print(f"night {n + 1:2d} {date}: {added:6d} history rows added, {took:5.2f} s")
            rows = state.count_rows()
        size = path.stat().st_size
        print(
            f"{args.links} links, {args.nights} nights, {args.changing:.0%} of counts changing per night: "
            f"{size / 1e6:.1f} MB ({rows} history rows)"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
