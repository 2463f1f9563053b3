"""The SOURCES registry drives resolution: a third source is one CachedSource subclass and one registry row,
and resolve.py asks it like the others (nothing in resolve.py names a source)."""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any, ClassVar

import pytest

import avenrich.sources
from avenrich import resolve
from avenrich.cache import MemoryJsonCache
from avenrich.model import Ids, Work
from avenrich.sources import SOURCES, CachedSource, Registered
from avenrich.sources.http import SourceClient
from fake_servers import FakeApis
from helpers import SAMPLE, StageRun, fake_settings, items_of, run_stages, zero_wait_policy
from world import build_sample_world

ROOT = Path(__file__).resolve().parent.parent


class ThirdSource(CachedSource):
    """A made-up third source for the test: lookups by DOI answered from ITEMS (no HTTP), no search."""

    name = "third"
    LABEL = "Third"
    RECORD_KIND = "record"
    LOOKUP_ENDPOINT = "records"
    ITEMS: ClassVar[dict[str, dict[str, Any]]] = {}
    asked: ClassVar[list[str]] = []

    @staticmethod
    def normalise_key(key: str) -> str:
        return key.strip().lower()

    @staticmethod
    def lookup_keys(ids: Ids) -> tuple[str, ...]:
        return (ids.doi,) if ids.doi else ()

    @staticmethod
    def record_key(ids: Ids) -> str | None:
        return ids.doi

    @staticmethod
    def count_key(work: Work) -> str:
        return work.ids.doi or ""

    @staticmethod
    def parse_item(item: Mapping[str, Any]) -> Work:
        return Work(source="third", ids=Ids(doi=item["doi"]), title=item["title"], citation_count=item["count"])

    @staticmethod
    def cached_item(item: Mapping[str, Any]) -> dict[str, Any]:
        return dict(item)

    @staticmethod
    def counts_entry(work: Work) -> dict[str, Any]:
        return {"count": work.citation_count}

    @staticmethod
    def with_counts(work: Work, counts: Mapping[str, Any] | None) -> Work:
        return work if counts is None else dataclasses.replace(work, citation_count=counts.get("count"))

    def fetch(self, client: SourceClient, keys: list[str]) -> dict[str, Work | None]:
        self.asked.extend(keys)
        today = self.today()
        return {key: self.store(key, self.ITEMS[key], today) if key in self.ITEMS else None for key in keys}

    def counts_batches(self, keys: list[str]) -> list[list[str]]:
        return [keys]

    def fetch_counts(self, client: SourceClient, batch: list[str]) -> dict[str, dict[str, Any]]:
        return {}


@pytest.fixture()
def sample() -> Iterator[tuple[FakeApis, list[resolve.Item]]]:
    world = build_sample_world(SAMPLE.read_text(encoding="utf-8"), seed=7).prepare()
    with FakeApis(world) as apis:
        yield apis, items_of(SAMPLE)[1]


def stages(apis: FakeApis, items: list[resolve.Item]) -> StageRun:
    settings = fake_settings(apis.env())
    return run_stages(items, settings, MemoryJsonCache(), policy=zero_wait_policy(settings))


def test_a_third_source_is_one_class_and_one_registry_row(
    sample: tuple[FakeApis, list[resolve.Item]], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Registered beside Crossref and S2, the third source is asked for every link's DOI in the same batch
    stage, and its record of a resolved paper joins that paper's works; every identifier stays as before."""
    apis, items = sample
    clean = stages(apis, items)
    url, outcome = next(
        (u, o) for u, o in clean.outcomes.items() if o.choice.work is not None and o.ids.doi and o.works
    )
    doi = outcome.ids.doi
    assert doi is not None and outcome.choice.work is not None
    monkeypatch.setattr(ThirdSource, "ITEMS", {doi: {"doi": doi, "title": outcome.choice.work.title, "count": 5}})
    monkeypatch.setattr(ThirdSource, "asked", [])
    row = Registered(ThirdSource, lambda s: s.crossref_url, lambda s: s.crossref_limits)
    monkeypatch.setattr(avenrich.sources, "SOURCES", (*SOURCES, row))

    run = stages(apis, items)

    assert doi in ThirdSource.asked
    assert [(w.source, w.citation_count) for w in run.outcomes[url].works if w.source == "third"] == [("third", 5)]
    assert {u: o.ids for u, o in run.outcomes.items()} == {u: o.ids for u, o in clean.outcomes.items()}
    assert all(o.complete for o in run.outcomes.values())


def test_resolve_names_no_source() -> None:
    """resolve.py reaches sources only through the registry: no source name or source module in its code."""
    code = (ROOT / "src" / "avenrich" / "resolve.py").read_text(encoding="utf-8")
    assert not re.search(r"crossref|semantic_scholar|\bs2\b|CROSSREF|SEMANTIC_SCHOLAR", _code_only(code))


def test_the_readme_names_the_files_a_source_touches() -> None:
    """The README's "Adding a source" paragraph names files that exist (the module to add aside)."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    paragraph = readme[readme.index("Adding a source") :].split("\n\n")[0]
    named = set(re.findall(r"`((?:src|tests)/[\w/<>.]+)`", paragraph))
    assert {"src/avenrich/sources/<name>.py", "src/avenrich/sources/__init__.py", "src/avenrich/config.py"} <= named
    for path in named:
        if "<name>" not in path:
            assert (ROOT / path).exists(), path


def _code_only(source: str) -> str:
    """The code without comments and docstrings/strings (examples there may name a source)."""
    source = re.sub(r'"""[\s\S]*?"""', "", source)
    source = re.sub(r'"[^"\n]*"', '""', source)
    return re.sub(r"#.*", "", source)
