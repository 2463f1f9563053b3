"""Benchmark: the catalogue page (NAME.html) for 2,000 and 20,000 links, built and opened in headless Chromium.

Prints, per size: the page's size; the time Python takes to build and write it and how far that raised the
process's peak memory (records, keys, BibTeX entries and history rows excluded: publish has them anyway); in
Debian's chromium (Playwright, file://) the time to interactive (navigation start → first screen rendered, the
URL's filters applied, plots drawn, controls live) and until every entry is rendered; then the time one search
takes and one sort.

    python benchmarks/page.py [--sizes 2000 20000] [--nights 30] [--runs 3]
    python benchmarks/page.py --sizes 100000 --no-browser     # build time and memory only
"""

from __future__ import annotations

import argparse
import json
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

from avenrich import bibtex, catalogue, keys, page  # noqa: E402
from avenrich.outputs import write_outputs  # noqa: E402
from avenrich.report import Changes  # noqa: E402
from page_data import chromium_path, synthetic_records  # noqa: E402


def build(n: int, nights: int, target: Path) -> dict[str, float]:
    """Write the page of `n` synthetic links with `nights` nights of history to `target` as publish does (in
    pieces); seconds to build and write it, and how far the process's peak memory rose meanwhile (MB)."""
    records = synthetic_records(n, night=nights - 1)
    by_paper, _registry = keys.assign_keys(records, {})

    def rows() -> Iterator[dict[str, Any]]:
        for night in range(nights):
            for i, record in enumerate(records):
                count = synthetic_records_count(i, night)
                if count is not None:
                    date = f"2026-{1 + night // 28:02d}-{1 + night % 28:02d}"
                    yield {"date": date, "url": record.link.url, "crossref": count, "semantic_scholar": None}

    # publish keeps the .bib's entries as that file is written: the page does not render them.
    bib_by_key = dict(bibtex.to_bibtex_entries(records, by_paper))
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    started = time.perf_counter()
    pieces = page.to_page_chunks(
        (catalogue.to_entry(record, keys.key_for(record, by_paper)) for record in records),
        bib_by_key,
        rows(),
        Changes((), (), ()),
        name="bench",
        generated_at="2026-12-07T03:00:00Z",
    )
    write_outputs(target.parent, target.name.removesuffix(".html"), {"html": pieces})
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return {"build": time.perf_counter() - started, "rise": peak - before}


def synthetic_records_count(i: int, night: int) -> int | None:
    """A count that grows night by night (every third link has none, like synthetic_records' unresolved)."""
    return None if i % 3 == 0 else (i * 37) % 500 + night * (i % 11)


def measure(browser: Any, path: Path) -> dict[str, float]:
    """Milliseconds since navigation start: interactive (first screen rendered, filters applied, plots drawn,
    controls live) and ready (every entry rendered); then one search and one sort, each until re-filtered."""
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    tab = context.new_page()
    tab.goto(path.as_uri())
    tab.wait_for_selector("html[data-ready]", timeout=120_000)
    interactive, ready = tab.evaluate("[window.avenrichInteractiveAt, window.avenrichReadyAt]")
    search = tab.evaluate(
        """() => { const q = document.getElementById('q'); const t = performance.now();
                   q.value = 'lip reading'; q.form.dispatchEvent(new Event('change'));
                   return performance.now() - t; }"""
    )
    sort = tab.evaluate(
        """() => { const s = document.getElementById('sort'); const t = performance.now();
                   s.value = 'citations'; s.form.dispatchEvent(new Event('change'));
                   return performance.now() - t; }"""
    )
    context.close()
    return {"interactive": interactive, "ready": ready, "search": search, "sort": sort}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[2000, 20000])
    parser.add_argument("--nights", type=int, default=30)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--build-only", type=int, help="build one page of this size into --to and print JSON")
    parser.add_argument("--to", type=Path)
    parser.add_argument("--no-browser", action="store_true", help="build only (page size, time, memory)")
    args = parser.parse_args()
    if args.build_only:
        print(json.dumps(build(args.build_only, args.nights, args.to)))
        return
    executable = chromium_path()
    if executable is None and not args.no_browser:
        sys.exit("benchmark: Debian's chromium is not installed (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    print(
        f"{'links':>7} {'nights':>6} {'page MB':>8} {'build s':>8} {'build MB':>8} {'interactive ms':>14}"
        f" {'all rendered ms':>15} {'search ms':>9} {'sort ms':>8}"
    )
    with sync_playwright() as p, tempfile.TemporaryDirectory() as tmp:
        browser = None if args.no_browser else p.chromium.launch(executable_path=executable)
        for n in args.sizes:
            path = Path(tmp) / f"bench-{n}.html"
            # A process per page, so that its peak memory is the page's own.
            command = [
                sys.executable,
                __file__,
                "--build-only",
                str(n),
                "--nights",
                str(args.nights),
                "--to",
                str(path),
            ]
            built = json.loads(subprocess.run(command, check=True, capture_output=True, text=True).stdout)
            median = {"interactive": float("nan"), "ready": float("nan"), "search": float("nan"), "sort": float("nan")}
            if browser is not None:
                runs = [measure(browser, path) for _ in range(args.runs)]
                median = {k: statistics.median(r[k] for r in runs) for k in runs[0]}
            print(
                f"{n:>7} {args.nights:>6} {path.stat().st_size / 1e6:>8.1f} {built['build']:>8.2f}"
                f" {built['rise']:>8.0f} {median['interactive']:>14.0f} {median['ready']:>15.0f}"
                f" {median['search']:>9.0f} {median['sort']:>8.0f}"
            )
            path.unlink()
        if browser is not None:
            browser.close()


if __name__ == "__main__":
    main()
