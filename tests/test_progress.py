"""Progress as the display sees it: each stage announces its total before it starts, then reports exactly that
many units (one bar per stage, no `60/?`)."""

from __future__ import annotations

from typing import Any

from avenrich import resolve
from avenrich.cache import MemoryJsonCache
from avenrich.progress import current_progress, reporting
from avenrich.sources import open_sources
from fake_servers import FakeApis
from helpers import SAMPLE, fake_settings, items_of, zero_wait_policy
from world import build_sample_world


def test_every_stage_announces_its_total_first_and_reports_exactly_it() -> None:
    """The lookups and the searches over the sample: a total per stage, announced before its first advance, and
    advances summing to it (a link searched on both sources counts once)."""
    world = build_sample_world(SAMPLE.read_text(encoding="utf-8"), seed=7).prepare()
    items = items_of(SAMPLE)[1]
    events: list[tuple[str, str, int]] = []

    def advance(stage: str, n: int) -> None:
        events.append(("advance", stage, n))

    def total(stage: str, n: int) -> None:
        events.append(("total", stage, n))

    with FakeApis(world) as apis, reporting(advance, total):
        settings = fake_settings(apis.env())
        policy = zero_wait_policy(settings)
        with open_sources(settings, MemoryJsonCache(), policy=policy, sleep=lambda _s: None) as sources:
            ledger = resolve.lookup(items, sources, current_progress())
            resolve.search_and_verify(items, ledger, sources, None, current_progress())

    totals: dict[str, Any] = {stage: n for kind, stage, n in events if kind == "total"}
    assert set(totals) == {"lookup", "search"} and all(n > 0 for n in totals.values())
    for stage, expected in totals.items():
        first_total = events.index(("total", stage, expected))
        advances = [(i, n) for i, (kind, s, n) in enumerate(events) if kind == "advance" and s == stage]
        assert advances and all(i > first_total for i, _ in advances), stage
        assert sum(n for _, n in advances) == expected, stage


def test_the_display_adds_each_batchs_total_to_its_stages_bar() -> None:
    """The flow resolves the list in batches, each announcing its own total: one bar per stage whose total is
    their sum (not the last batch's), whatever the order of the stages."""
    from avenrich.display import Display
    from avenrich.progress import expect

    display = Display(quiet=True, verbose=False)
    with display.running():
        for stage, n in [("lookup", 40), ("search", 7), ("lookup", 25), ("search", 0), ("lookup", 1)]:
            expect(stage, n)
        bars = {task.description: task.total for task in display._progress.tasks}
    assert len(bars) == 2 and sorted(bars.values()) == [7, 66]
