"""List health at scale: find_issues, to_patch and the report section on N synthetic records.

    python benchmarks/list_health.py [N ...]      (default: 2000 20000 100000)

Each record is a resolved paper link of a `* [Title](url), year` list; one in ten has a wrong year, one in ten a
swapped pair of letters in its title, one in twenty a tracking parameter, one in twenty no year, one in five is an
arXiv link with a published version. Prints the seconds each step takes and the findings and patch size.
"""

from __future__ import annotations

import random
import sys
import time

from avenrich import findings, patch, report
from avenrich.identifiers import match_link
from avenrich.model import CROSSREF, Ids, Link, Record, Resolution

WORDS = ("audio", "visual", "sound", "speech", "video", "learning", "separation", "network", "deep", "model")


def synthetic(n: int, seed: int = 0) -> tuple[str, list[Record]]:
    rng = random.Random(seed)
    lines = ["# List", ""]
    records = []
    for i in range(n):
        title = " ".join(rng.choice(WORDS).capitalize() for _ in range(6)) + f" {i:x}"
        year = 2015 + i % 8
        listed_title, listed_year = title, year
        url = f"https://arxiv.org/abs/{2000 + i % 100:04d}.{i:05d}" if i % 5 == 0 else f"https://x.org/p/{i}"
        if i % 10 == 1:
            listed_year = year - 1
        if i % 10 == 2:
            k = title.index(" ") + 3
            listed_title = title[: k - 1] + title[k] + title[k - 1] + title[k + 1 :]
        if i % 20 == 3:
            url += "?utm_source=twitter"
        if i % 20 == 4:
            listed_year = None
        lines.append(f"* [{listed_title}]({url})" + (f", {listed_year}" if listed_year else ""))
        link = Link(url, listed_title, listed_year, (("List",),), line=len(lines))
        provenance = (("title", CROSSREF, None), ("year", CROSSREF, None))
        ids = Ids(doi=f"10.1109/x.{i}", arxiv=match_link(url).ids.arxiv)
        records.append(
            Record(
                link,
                ids,
                Resolution("resolved", "link", 1.0),
                host=match_link(url).host,
                title=title,
                year=year,
                venue="IEEE Transactions on Multimedia",
                type="journal-article",
                provenance=provenance,
            )
        )
    return "\n".join(lines) + "\n", records


def main(sizes: list[int]) -> None:
    print("| links | find_issues s | to_patch s | report section s | findings | patch KB |")
    print("| ---: | ---: | ---: | ---: | ---: | ---: |")
    for n in sizes:
        text, records = synthetic(n)
        link_ids = {r.link.url: match_link(r.link.url).ids for r in records}
        started = time.perf_counter()
        found = findings.find_issues(records, link_ids)
        found_s = time.perf_counter() - started
        flat = [f for fs in found.values() for f in fs]
        started = time.perf_counter()
        diff = patch.to_patch(text, flat, "list.md")
        patch_s = time.perf_counter() - started
        started = time.perf_counter()
        report.list_health_markdown(flat, set(), name="list", origin="list.md", patch_file="list.md")
        report_s = time.perf_counter() - started
        print(f"| {n} | {found_s:.2f} | {patch_s:.2f} | {report_s:.2f} | {len(flat)} | {len(diff) // 1024} |")


if __name__ == "__main__":
    main([int(a) for a in sys.argv[1:]] or [2000, 20000, 100000])
