"""Nights through the state database: an outage night publishes the last good night's data, marked stale; nights
with no count change add nothing to the history. The Prefect flow against fake servers on 127.0.0.1."""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import bibtexparser
import pytest

from avenrich.catalogue import validate_catalogue
from avenrich.store import Store
from fake_servers import FakeApis
from helpers import state_integrity
from world import FakeWorld, build_sample_world

pytestmark = pytest.mark.prefect

SAMPLE = Path(__file__).parent / "fixtures" / "lists" / "sample.md"
NIGHTS = ("2026-11-24T03:00:00Z", "2026-11-25T03:00:00Z", "2026-11-26T03:00:00Z")
CLOSED = {"AVENRICH_CROSSREF_URL": "http://127.0.0.1:9/crossref", "AVENRICH_S2_URL": "http://127.0.0.1:9/s2"}


@pytest.fixture(scope="module")
def world() -> FakeWorld:
    return build_sample_world(SAMPLE.read_text(encoding="utf-8"), seed=7).prepare()


@pytest.fixture()
def apis(world: FakeWorld, monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeApis]:
    with FakeApis(world) as fake:
        for name, value in fake.env().items():
            monkeypatch.setenv(name, value)
        yield fake


def run_flow(**params: Any) -> dict[str, Any]:
    from avenrich.prefect_env import prepare_prefect_env

    prepare_prefect_env()
    from avenrich.flow import enrich

    return enrich(**params)  # type: ignore[no-any-return]


def catalogue(out: Path) -> dict[str, Any]:
    doc: dict[str, Any] = json.loads((out / "sample.json").read_text(encoding="utf-8"))
    assert validate_catalogue(doc) == []
    return doc


def identifiers(doc: dict[str, Any]) -> dict[str, tuple[str, dict[str, Any], str]]:
    return {e["url"]: (e["resolution"]["status"], e["ids"], e["key"]) for e in doc["entries"]}


def bib_entries(out: Path) -> dict[str, tuple[str, dict[str, str]]]:
    library = bibtexparser.parse_string((out / "sample.bib").read_text(encoding="utf-8"))
    assert library.failed_blocks == []
    return {e.key: (e.entry_type, {f.key: f.value for f in e.fields}) for e in library.entries}


@pytest.mark.parametrize("batch", [5_000, 3])
def test_an_outage_night_publishes_the_last_good_night_marked_stale(
    prefect_harness: None, apis: FakeApis, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, batch: int
) -> None:
    """Good night; then the cache is gone and both services are down: the catalogue and .bib have exactly the
    good night's identifiers, keys and resolved count, each carried entry marked stale with the good night's
    date, and the report says how many were carried over and why. The services back: nothing is stale. In one
    batch and in batches of 3 links (the sources fail in the first, stay unavailable in the others)."""
    out, cache = tmp_path / "out", tmp_path / "cache"
    good = run_flow(input=str(SAMPLE), out_dir=str(out), cache_dir=str(cache), generated_at=NIGHTS[0], batch_size=batch)
    good_doc, good_bib = catalogue(out), bib_entries(out)
    assert good["resolved"] > 0
    assert {e["resolution"]["checked"] for e in good_doc["entries"] if e["resolution"]["status"] == "resolved"} == {
        "2026-11-24"
    }

    shutil.rmtree(cache)
    for name, value in CLOSED.items():
        monkeypatch.setenv(name, value)
    outage = run_flow(
        input=str(SAMPLE), out_dir=str(out), cache_dir=str(cache), generated_at=NIGHTS[1], batch_size=batch
    )
    doc = catalogue(out)
    assert set(outage["degraded"]) == {"crossref", "semantic_scholar"}
    assert identifiers(doc) == identifiers(good_doc)
    assert outage["resolved"] == good["resolved"] and doc["summary"]["resolved"] == good["resolved"]
    carried = [e for e in doc["entries"] if e["resolution"]["stale"]]
    resolved = [e for e in doc["entries"] if e["resolution"]["status"] == "resolved"]
    assert carried == resolved and len(carried) == good["resolved"]
    assert {e["resolution"]["checked"] for e in carried} == {"2026-11-24"}
    assert bib_entries(out) == good_bib, "the .bib of the outage night is the good night's"
    report = (out / "sample.report.md").read_text(encoding="utf-8")
    line = (
        f"{good['resolved']} entries carried over from 2026-11-24: crossref unavailable, semantic_scholar unavailable"
    )
    assert f"- {line}" in report
    assert outage["carried_over"] == [line]
    with Store.open(out / "sample.sqlite") as state:
        runs = state.runs()
    assert [r["carried_over"] for r in runs] == [0, good["resolved"]]
    assert all(r["finished"] for r in runs)

    for name in CLOSED:
        monkeypatch.setenv(name, apis.env()[name])
    back = run_flow(input=str(SAMPLE), out_dir=str(out), cache_dir=str(cache), generated_at=NIGHTS[2], batch_size=batch)
    doc = catalogue(out)
    assert back["carried_over"] == [] and not any(e["resolution"]["stale"] for e in doc["entries"])
    assert identifiers(doc) == identifiers(good_doc)
    assert {e["resolution"]["checked"] for e in doc["entries"] if e["resolution"]["status"] == "resolved"} == {
        "2026-11-26"
    }
    assert state_integrity(out, "sample") == "ok"


def test_three_nights_without_a_count_change_do_not_grow_the_history(
    prefect_harness: None, apis: FakeApis, tmp_path: Path
) -> None:
    """Three nights, same counts: the history table and NAME.history.jsonl hold the first night's rows only,
    the file being the table exported line by line."""
    out, cache = tmp_path / "out", tmp_path / "cache"
    sizes = []
    for night in NIGHTS:
        run_flow(input=str(SAMPLE), out_dir=str(out), cache_dir=str(cache), generated_at=night)
        lines = (out / "sample.history.jsonl").read_text(encoding="utf-8").splitlines()
        with Store.open(out / "sample.sqlite") as state:
            exported = [row.to_json() for row in state.count_history()]
        assert lines == exported
        sizes.append(len(lines))
    assert sizes[0] > 0 and sizes == [sizes[0]] * len(NIGHTS)
    assert {json.loads(line)["date"] for line in lines} == {"2026-11-24"}
