"""A night costs what changed (decisions.py), and changes nothing: an incremental night's outputs equal a full
`--recheck` night's, byte for byte, over generated lists with edits between nights (added, removed, retitled and
re-yeared links, changed citation counts). The Prefect flow against fake servers on 127.0.0.1.

Each night starts from the same outputs folder and cache, copied twice: one copy runs as a nightly run does
(kept decisions), the other with recheck=True; the same generated_at. The report's "Sources" section (request
and cache-hit counters, how many links were kept) is the run's own bookkeeping and is left out of the comparison.
"""

from __future__ import annotations

import json
import re
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

import fake_servers
from avenrich import decisions, spool
from avenrich.store import Store
from fake_servers import FakeApis
from helpers import expire_counts
from world import Rng, generate_list

pytestmark = pytest.mark.prefect

NAME = "nights"
STAMPS = ("2026-12-01T03:00:00Z", "2026-12-02T03:00:00Z", "2026-12-03T03:00:00Z", "2026-12-04T03:00:00Z")
_BULLET = re.compile(r"^\* \[(?P<title>[^\]]+)\]\((?P<url>[^)]+)\)(?P<year>, \d{4})?$")


def run_flow(**params: Any) -> dict[str, Any]:
    from avenrich.prefect_env import prepare_prefect_env

    prepare_prefect_env()
    from avenrich.flow import enrich

    return enrich(**params)  # type: ignore[no-any-return]


@pytest.fixture()
def counts_shift(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[int]]:
    """While shift[0] is n > 0, the fake servers answer about 5% of papers' citation counts + n (a paper's
    share decided by its title, so both copies of a night see the same counts)."""
    shift = [0]
    originals = fake_servers.to_crossref_item, fake_servers.to_s2_item

    def moved(title: Any) -> int:
        return shift[0] if shift[0] and sum(map(ord, str(title))) % 20 == shift[0] % 20 else 0

    def crossref_item(paper: Any, **options: Any) -> dict[str, Any]:
        item = originals[0](paper, **options)
        if isinstance(item.get("is-referenced-by-count"), int):
            item["is-referenced-by-count"] += moved(item.get("title"))
        return item

    def s2_item(paper: Any, *args: Any, **options: Any) -> dict[str, Any]:
        item = originals[1](paper, *args, **options)
        if isinstance(item.get("citationCount"), int):
            item["citationCount"] += moved(item.get("title") or paper)
        return item

    monkeypatch.setattr(fake_servers, "to_crossref_item", crossref_item)
    monkeypatch.setattr(fake_servers, "to_s2_item", s2_item)
    yield shift


def edit(markdown: str, held_back: list[str], rng: Rng, *, add: int, remove: int, retitle: int, reyear: int) -> str:
    """The list with `add` bullets from `held_back` put back, `remove` bullets dropped, `retitle` titles changed
    (a word dropped: some still match their paper, some no longer do) and `reyear` years moved by one."""
    lines = markdown.split("\n")
    bullets = [i for i, line in enumerate(lines) if _BULLET.match(line)]
    picked = sorted(bullets, key=lambda _i: rng.random())[: remove + retitle + reyear]
    gone = set(picked[:remove])
    for i in picked[remove : remove + retitle]:
        m = _BULLET.match(lines[i])
        assert m is not None
        words = m["title"].split(" ")
        title = " ".join(words[:-1] if len(words) > 3 else [*words, "Revisited"])
        lines[i] = f"* [{title}]({m['url']}){m['year'] or ''}"
    for i in picked[remove + retitle :]:
        m = _BULLET.match(lines[i])
        assert m is not None
        year = f", {int(m['year'][2:]) + 1}" if m["year"] else ", 2020"
        lines[i] = f"* [{m['title']}]({m['url']}){year}"
    kept = [line for i, line in enumerate(lines) if i not in gone]
    back, held_back[:] = held_back[:add], held_back[add:]
    return "\n".join([*kept, "", "## Added tonight", "", *back, ""])


def outputs(out: Path) -> dict[str, str]:
    """Every published file's text, the report without its Sources section (the run's own counters)."""
    texts = {}
    for path in sorted(out.glob(f"{NAME}.*")):
        if path.suffix in (".sqlite", ".lock") or path.name.endswith((".sqlite-wal", ".sqlite-shm")):
            continue
        text = path.read_text(encoding="utf-8")
        if path.name.endswith(".report.md"):
            text = re.sub(r"\n## Sources\n.*?\n## ", "\n## ", text, flags=re.DOTALL)
        texts[path.name] = text
    return texts


def run_in(folder: Path, listing: Path, stamp: str, **params: Any) -> dict[str, Any]:
    """The flow on `listing` with `folder`'s out/ and cache/ (every counts entry expired first), as of `stamp`."""
    expire_counts(folder / "cache")
    return run_flow(
        input=str(listing),
        out_dir=str(folder / "out"),
        name=NAME,
        cache_dir=str(folder / "cache"),
        generated_at=stamp,
        **params,
    )


def night(base: Path, listing: Path, stamp: str, shift: list[int], n: int) -> tuple[dict[str, Any], dict[str, Any]]:
    """Tonight from `base` (out/ and cache/) twice: as a nightly run (in `base`) and with recheck (in a copy);
    counts moved by n and every counts entry expired first. Their summaries; their outputs must be equal."""
    full = base.parent / f"{base.name}-recheck"
    shutil.rmtree(full, ignore_errors=True)
    shutil.copytree(base, full)
    shift[0] = n
    results = []
    for folder, recheck in ((base, False), (full, True)):
        results.append(run_in(folder, listing, stamp, recheck=recheck))
    incremental, rechecked = outputs(base / "out"), outputs(full / "out")
    assert sorted(incremental) == sorted(rechecked)
    for name, text in incremental.items():
        assert text == rechecked[name], f"{name} differs between the incremental and the --recheck night"
    return results[0], results[1]


@pytest.mark.parametrize("seed", [3, 11])
def test_an_incremental_night_equals_a_recheck_night_byte_for_byte(
    prefect_harness: None, counts_shift: list[int], tmp_path: Path, monkeypatch: pytest.MonkeyPatch, seed: int
) -> None:
    """Night 1 cold; night 2 only counts move; nights 3 and 4 add, remove, retitle and re-year links and move
    counts. Each incremental night equals its --recheck twin, and it kept what had not changed."""
    markdown, world = generate_list(130, seed=seed)
    rng = Rng(seed)
    bullets = [line for line in markdown.split("\n") if _BULLET.match(line)]
    held_back = bullets[-30:]
    markdown = "\n".join(line for line in markdown.split("\n") if line not in set(held_back))
    base, listing = tmp_path / "nightly", tmp_path / f"{NAME}.md"
    listing.write_text(markdown, encoding="utf-8")
    with FakeApis(world.prepare(), crossref_limits=(10**6, 10**6, 3), s2_limits=(10**6, 1)) as apis:
        for key, value in {**apis.env(), "AVENRICH_CROSSREF_RPS": "1000000", "AVENRICH_S2_RPS": "1000000"}.items():
            monkeypatch.setenv(key, value)
        first = run_in(base, listing, STAMPS[0])
        assert first["kept"] == 0 and first["resolved"] > 80

        counts_only, full = night(base, listing, STAMPS[1], counts_shift, 3)
        assert counts_only["resolved"] == full["resolved"] == first["resolved"]
        assert full["kept"] == 0
        # every verified, unchanged paper, and the unresolved ones whose sources all answered
        assert counts_only["kept"] > first["resolved"]
        changes = json.loads((base / "out" / f"{NAME}.json").read_text(encoding="utf-8"))["entries"]
        assert any(e["citations"]["crossref"] is not None for e in changes)

        for stamp, n in ((STAMPS[2], 7), (STAMPS[3], 13)):
            markdown = edit(markdown, held_back, rng, add=10, remove=6, retitle=6, reyear=6)
            listing.write_text(markdown, encoding="utf-8")
            edited, _full = night(base, listing, stamp, counts_shift, n)
            assert 0 < edited["kept"] < edited["papers"]

        with Store.open(base / "out" / f"{NAME}.sqlite") as state:
            listed = set(state.link_urls())
            assert state.decision_count() <= len(listed)
            assert state.integrity() == "ok"


def test_a_decision_holds_only_for_the_same_inputs_rules_and_dates() -> None:
    """still_holds: table of the conditions (the cache check is the caller's)."""
    base = decisions.Decision("u", '{"title":"A"}', decisions.RULES_VERSION, "2026-12-01", "2026-12-07", "{}")
    rows: list[tuple[Callable[[decisions.Decision], decisions.Decision], str, str, bool]] = [
        (lambda d: d, '{"title":"A"}', "2026-12-01", True),
        (lambda d: d, '{"title":"A"}', "2026-12-07", True),
        (lambda d: d, '{"title":"A"}', "2026-12-08", False),  # past its validity
        (lambda d: d, '{"title":"B"}', "2026-12-02", False),  # the listing changed
        (lambda d: _with(d, rules="0.0.0/rules-0"), '{"title":"A"}', "2026-12-02", False),  # new rule book
    ]
    for change, inputs, today, holds in rows:
        assert decisions.still_holds(change(base), inputs, today) is holds, (inputs, today)


def _with(decision: decisions.Decision, **changes: str) -> decisions.Decision:
    import dataclasses

    return dataclasses.replace(decision, **changes)


# -- the stages, without Prefect ------------------------------------------------------------------------------

SAMPLE = Path(__file__).parent / "fixtures" / "lists" / "sample.md"


@pytest.fixture(scope="module")
def sample_night() -> Iterator[tuple[FakeApis, list[Any], dict[str, Any]]]:
    """The sample list resolved once against fake services: (apis, items, outcomes by URL)."""
    from avenrich import resolve
    from avenrich.cache import MemoryJsonCache
    from avenrich.sources import open_sources
    from helpers import fake_settings, items_of
    from world import build_sample_world

    world = build_sample_world(SAMPLE.read_text(encoding="utf-8"), seed=7).prepare()
    items = items_of(SAMPLE)[1]
    with FakeApis(world) as apis:
        cache = MemoryJsonCache()
        with open_sources(fake_settings(apis.env()), cache, sleep=lambda _s: None) as sources:
            outcomes = resolve.search_and_verify(items, resolve.lookup(items, sources), sources)
        yield apis, items, {"outcomes": outcomes, "cache": cache}


def test_a_kept_outcome_reads_back_as_it_was(sample_night: tuple[FakeApis, list[Any], dict[str, Any]]) -> None:
    """Every keepable outcome of a real night survives the state's JSON: equal resolution, ids and works (every
    field), the chosen work the very object among the works."""
    from avenrich.json_text import loads

    _apis, items, night = sample_night
    kept = [(item, night["outcomes"][item.link.url]) for item in items]
    kept = [(item, o) for item, o in kept if decisions.keepable(item, o)]
    assert len(kept) >= 10
    for _item, outcome in kept:
        back = decisions.outcome_from_json(loads(decisions.dumps_compact(decisions.outcome_to_json(outcome))))
        assert back.works == outcome.works and back.ids == outcome.ids and back.complete
        assert back.choice.resolution == outcome.choice.resolution and back.choice.work == outcome.choice.work
        assert back.choice.work is None or any(back.choice.work is work for work in back.works)


def test_keep_takes_only_what_still_holds(
    sample_night: tuple[FakeApis, list[Any], dict[str, Any]], tmp_path: Path
) -> None:
    """pipeline.keep against a real state and cache: everything decided is kept; a retitled link, a record gone
    from the cache, a curator's new rejection, or --recheck each send their links the full path."""
    import dataclasses

    from avenrich import cache as cache_module
    from avenrich import pipeline
    from avenrich.overrides import Overrides
    from avenrich.sources import open_sources
    from helpers import fake_settings

    apis, items, night = sample_night
    outcomes, cache = night["outcomes"], night["cache"]
    with Store.open(tmp_path / "s.sqlite") as state, open_sources(fake_settings(apis.env()), cache) as sources:
        pipeline.remember(items, outcomes, (), state, sources, Overrides())
        keepable = {i.link.url for i in items if decisions.keepable(i, outcomes[i.link.url])}
        assert set(pipeline.keep(items, state, sources, Overrides())) == keepable
        assert pipeline.keep(items, state, sources, Overrides(), recheck=True) == {}

        resolved = sorted(url for url in keepable if outcomes[url].works)
        first, second, third = resolved[:3]
        retitled = [
            dataclasses.replace(i, link=dataclasses.replace(i.link, title=i.link.title + " II"))
            if i.link.url == first
            else i
            for i in items
        ]
        assert set(pipeline.keep(retitled, state, sources, Overrides())) == keepable - {first}

        work = outcomes[second].works[0]
        source = sources[work.source]
        gone = cache_module.key_for(source.name, source.RECORD_KIND, source.count_key(work))
        cache._entries.pop(gone)  # the record's metadata expired
        held = set(pipeline.keep(items, state, sources, Overrides()))
        assert second not in held and first in held

        doi = outcomes[third].ids.doi or ""
        rejecting = Overrides(rejects={third: frozenset({f"doi:{doi}"})})
        assert third not in pipeline.keep(items, state, sources, rejecting)


def test_the_rule_book_is_the_code_that_decides() -> None:
    """Every rule module exists (a renamed one would silently leave the digest), and the version carries the
    digest: an edit to any of them decides every link anew."""
    root = Path(decisions.__file__).resolve().parent
    assert all((root / name).is_file() for name in decisions.RULE_MODULES)
    assert decisions.RULES_VERSION.startswith(decisions.__version__ + "/")
    assert decisions.rules_version() == decisions.RULES_VERSION


def test_the_outputs_do_not_depend_on_the_batch_size(
    prefect_harness: None, counts_shift: list[int], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The list resolved 9 links at a time (kept, fresh, duplicates and the same paper split across batches),
    with all but the first 10 records on disk (spool.IN_MEMORY), publishes the same bytes as in one batch with
    every record in memory, cold and on an edited night with kept decisions, and keeps as many decisions."""
    markdown, world = generate_list(120, seed=5)
    rng = Rng(5)
    first = next(m for line in markdown.split("\n") if (m := _BULLET.match(line)))
    # the first paper listed again at the end (another batch): a likely duplicate, and one paper in two batches
    markdown += f"\n\n## Again\n\n* [{first['title']}]({first['url']}?utm_source=again)\n"
    listing = tmp_path / f"{NAME}.md"
    listing.write_text(markdown, encoding="utf-8")
    with FakeApis(world.prepare(), crossref_limits=(10**6, 10**6, 3), s2_limits=(10**6, 1)) as apis:
        for key, value in {**apis.env(), "AVENRICH_CROSSREF_RPS": "1000000", "AVENRICH_S2_RPS": "1000000"}.items():
            monkeypatch.setenv(key, value)
        summaries: dict[int, list[dict[str, Any]]] = {}
        texts: dict[int, list[dict[str, str]]] = {}
        edited = edit(markdown, [], rng, add=0, remove=4, retitle=5, reyear=5)
        on_disk: dict[int, list[int]] = {}
        closing = spool.Spool.close

        def counting(self: spool.Spool) -> None:
            on_disk.setdefault(size, []).append(self.on_disk)
            closing(self)

        monkeypatch.setattr(spool.Spool, "close", counting)
        for size in (9, 10_000):
            monkeypatch.setattr(spool, "IN_MEMORY", 10 if size == 9 else 10**6)
            folder = tmp_path / f"batch-{size}"
            for number, (text, stamp) in enumerate(((markdown, STAMPS[0]), (edited, STAMPS[1]))):
                listing.write_text(text, encoding="utf-8")
                counts_shift[0] = 3 * number
                summary = run_in(folder, listing, stamp, batch_size=size)
                summaries.setdefault(size, []).append(summary)
                texts.setdefault(size, []).append(outputs(folder / "out"))
    assert min(on_disk[9]) > 100 and max(on_disk[10_000]) == 0  # the merged and the settled records, each night
    assert summaries[9][1]["kept"] == summaries[10_000][1]["kept"] > 0
    assert "the same paper is also listed as" in texts[9][0][f"{NAME}.json"]
    for night_number in (0, 1):
        small, whole = texts[9][night_number], texts[10_000][night_number]
        assert sorted(small) == sorted(whole)
        for name, text in small.items():
            assert text == whole[name], f"night {night_number + 1}: {name} differs between batch sizes 9 and 10000"


def test_a_run_that_dies_midway_resumes_from_its_committed_batches(
    prefect_harness: None, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Each batch's decisions are committed when it ends: a run that dies in its third batch publishes nothing,
    and the rerun keeps every decision the first two committed (no lookup or search for them) and publishes what
    a clean run publishes, byte for byte."""
    from avenrich import resolve

    markdown, world = generate_list(60, seed=9)
    listing = tmp_path / f"{NAME}.md"
    listing.write_text(markdown, encoding="utf-8")
    resumed, clean = tmp_path / "resumed", tmp_path / "clean"
    with FakeApis(world.prepare(), crossref_limits=(10**6, 10**6, 3), s2_limits=(10**6, 1)) as apis:
        for key, value in {**apis.env(), "AVENRICH_CROSSREF_RPS": "1000000", "AVENRICH_S2_RPS": "1000000"}.items():
            monkeypatch.setenv(key, value)
        real, calls = resolve.search_and_verify, [0]

        def dying(*args: Any, **kwargs: Any) -> Any:
            calls[0] += 1
            if calls[0] == 3:
                raise RuntimeError("the machine went down")
            return real(*args, **kwargs)

        monkeypatch.setattr(resolve, "search_and_verify", dying)
        with pytest.raises(RuntimeError, match="went down"):
            run_in(resumed, listing, STAMPS[0], batch_size=20)
        assert not list((resumed / "out").glob(f"{NAME}.json"))
        with Store.open(resumed / "out" / f"{NAME}.sqlite") as state:
            committed = state.decision_count()
            assert state.integrity() == "ok"
        assert 0 < committed <= 40

        monkeypatch.setattr(resolve, "search_and_verify", real)
        again = run_in(resumed, listing, STAMPS[0], batch_size=20)
        run_in(clean, listing, STAMPS[0], batch_size=20)
    assert again["kept"] == committed
    assert outputs(resumed / "out") == outputs(clean / "out")
