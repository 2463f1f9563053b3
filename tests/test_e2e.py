"""End to end: the Prefect flow against fake Crossref and S2 servers on 127.0.0.1 (real HTTP all the way)."""

from __future__ import annotations

import asyncio
import dataclasses
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import bibtexparser
import pytest

from avenrich.catalogue import validate_catalogue
from avenrich.findings import KINDS
from fake_servers import FakeApis
from world import Expected, FakeWorld, build_sample_world

pytestmark = pytest.mark.prefect

SAMPLE = Path(__file__).parent / "fixtures" / "lists" / "sample.md"
STAMP = "2026-11-25T03:00:00Z"
CROSSREF_LIMITS = (10, 3, 3)
S2_LIMITS = (4, 1)


@pytest.fixture(scope="module")
def world() -> FakeWorld:
    return build_sample_world(SAMPLE.read_text(encoding="utf-8"), seed=7).prepare()


@pytest.fixture()
def apis(world: FakeWorld, monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeApis]:
    """Fake services enforcing the configured limits with 429s; the env points avenrich at them."""
    with FakeApis(world, latency=0.02, crossref_limits=CROSSREF_LIMITS, s2_limits=S2_LIMITS) as fake:
        for name, value in fake.env().items():
            monkeypatch.setenv(name, value)
        monkeypatch.setenv("AVENRICH_MAILTO", "tests@example.org")
        monkeypatch.setenv("AVENRICH_S2_RPS", str(S2_LIMITS[0]))
        yield fake


def run_flow(**params: Any) -> dict[str, Any]:
    from avenrich.prefect_env import prepare_prefect_env

    prepare_prefect_env()
    from avenrich.flow import enrich

    return enrich(**params)  # type: ignore[no-any-return]


def outputs(out: Path, name: str = "sample") -> dict[str, bytes]:
    return {suffix: (out / f"{name}.{suffix}").read_bytes() for suffix in ("bib", "json", "csl.json")}


def test_flow_resolves_the_sample_paces_and_serves_the_rerun_from_cache(
    prefect_harness: None, apis: FakeApis, world: FakeWorld, tmp_path: Path
) -> None:
    """Correct outputs, limits never exceeded, a rerun makes no request and writes identical bytes."""
    out, cache = tmp_path / "out", tmp_path / "cache"
    summary = run_flow(input=str(SAMPLE), out_dir=str(out), cache_dir=str(cache), generated_at=STAMP)
    doc = json.loads((out / "sample.json").read_text(encoding="utf-8"))
    assert validate_catalogue(doc) == []
    entries = {e["url"]: e for e in doc["entries"]}
    assert len(entries) == 12 == summary["entries"]
    wrong = []
    for url, entry in entries.items():
        expected = world.truth[url]
        if entry["resolution"]["status"] != "resolved":
            continue
        assert isinstance(expected, Expected), f"{url} resolved but absent from the world"
        doi = entry["ids"]["doi"]
        if (doi or expected.doi) and not expected.doi_ok(doi):
            wrong.append((url, doi, expected.doi))
    assert wrong == []
    findable = [u for u, e in world.truth.items() if e != "absent"]
    resolved = [u for u, e in entries.items() if e["resolution"]["status"] == "resolved"]
    assert sorted(resolved) == sorted(findable), "every findable sample paper is found"
    library = bibtexparser.parse_string((out / "sample.bib").read_text(encoding="utf-8"))
    assert library.failed_blocks == []
    assert len(library.entries) == 11  # the Deep CCA paper is listed under an IEEE and an arXiv link

    served = apis.summary()
    assert served["count_429"] == 0
    assert served["max_in_flight"]["crossref"] <= CROSSREF_LIMITS[2]
    assert served["max_in_flight"]["semantic_scholar"] <= S2_LIMITS[1]
    assert served["max_per_second"]["crossref"]["single"] <= CROSSREF_LIMITS[0]
    assert served["max_per_second"]["crossref"]["list"] <= CROSSREF_LIMITS[1]
    assert served["max_per_second"]["semantic_scholar"]["all"] <= S2_LIMITS[0]
    first = outputs(out)

    apis.reset_counters()
    again = run_flow(input=str(SAMPLE), out_dir=str(out), cache_dir=str(cache), generated_at=STAMP)
    assert apis.summary()["total"] == 0, "a second run right after the first is served from the cache"
    assert outputs(out) == first
    assert again["changes"] == {"added": [], "removed": [], "count_changes": 0}

    offline = run_flow(input=str(SAMPLE), out_dir=str(out), cache_dir=str(cache), generated_at=STAMP, offline=True)
    assert apis.summary()["total"] == 0
    now = outputs(out)
    assert (now["bib"], now["csl.json"]) == (first["bib"], first["csl.json"])
    assert json.loads(now["json"])["entries"] == json.loads(first["json"])["entries"]
    assert offline["resolved"] == summary["resolved"]
    assert set(offline["degraded"]) == {"crossref", "semantic_scholar"}, "offline is said in the summary"


def test_flow_run_is_recorded_with_its_artifacts(prefect_harness: None, apis: FakeApis, tmp_path: Path) -> None:
    """The run lands in Prefect's database as Completed, with the report, unresolved and list-health artifacts."""
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import ArtifactFilter, ArtifactFilterKey

    run_flow(input=str(SAMPLE), out_dir=str(tmp_path / "out"), cache_dir=str(tmp_path / "cache"), name="artefacts")

    async def read() -> tuple[list[Any], list[Any]]:
        async with get_client() as client:
            runs = await client.read_flow_runs()
            artifacts = await client.read_artifacts(
                artifact_filter=ArtifactFilter(key=ArtifactFilterKey(like_="artefacts-"))
            )
            return runs, artifacts

    runs, artifacts = asyncio.run(read())
    mine = [r for r in runs if r.name == "enrich-artefacts"]
    assert mine and mine[0].state is not None and mine[0].state.is_completed()
    assert {a.key for a in artifacts} == {"artefacts-report", "artefacts-unresolved", "artefacts-list-health"}
    report = next(a for a in artifacts if a.key == "artefacts-report")
    assert "Resolution by link kind" in str(report.data) and "## List health" in str(report.data)
    health = json.loads(str(next(a for a in artifacts if a.key == "artefacts-list-health").data))
    assert health and all(row["kind"] in (*KINDS, "(none)") for row in health)


def test_report_of_a_changed_list_names_exactly_what_changed(
    prefect_harness: None, world: FakeWorld, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Second night: one entry removed, one added, counts moved: the report and summary say exactly that."""
    text = SAMPLE.read_text(encoding="utf-8")
    removed = "https://dl.acm.org/doi/abs/10.1145/3126686.3126723"
    added_line = "* [Audio-Visual Segmentation](https://arxiv.org/abs/2207.05042), 2022\n"
    night1, night2 = tmp_path / "night1.md", tmp_path / "night2.md"
    night1.write_text(text, encoding="utf-8")
    night2.write_text(
        "\n".join(line for line in text.splitlines() if removed not in line) + "\n" + added_line,
        encoding="utf-8",
    )
    bigger = build_sample_world(night2.read_text(encoding="utf-8") + "\n" + text, seed=7).prepare()
    bumped = [
        dataclasses.replace(p, citation_count=(p.citation_count or 0) + 5)
        if p.role == "true" and p.title.startswith("Look, Listen")
        else p
        for p in bigger.papers
    ]
    bumped_world = FakeWorld(bumped, bigger.truth, links=bigger.links, link_hosts=bigger.link_hosts).prepare()
    out = tmp_path / "out"
    with FakeApis(bigger) as fake:
        for key, value in fake.env().items():
            monkeypatch.setenv(key, value)
        run_flow(input=str(night1), out_dir=str(out), cache_dir=str(tmp_path / "c1"), name="nightly")
    with FakeApis(bumped_world) as fake:
        for key, value in fake.env().items():
            monkeypatch.setenv(key, value)
        summary = run_flow(input=str(night2), out_dir=str(out), cache_dir=str(tmp_path / "c2"), name="nightly")
    assert summary["changes"]["added"] == ["https://arxiv.org/abs/2207.05042"]
    assert summary["changes"]["removed"] == [removed]
    report = (out / "nightly.report.md").read_text(encoding="utf-8")
    assert "Added (1):" in report and "- https://arxiv.org/abs/2207.05042" in report
    assert f"Removed (1):\n\n- {removed}" in report
    changed = [line for line in report.splitlines() if line.startswith("| Look, Listen and Learn |")]
    assert changed == [
        "| Look, Listen and Learn | semantic_scholar | "
        f"{changed[0].split('|')[3].strip()} | {int(changed[0].split('|')[3]) + 5} |"
    ]
    history = (out / "nightly.history.jsonl").read_text(encoding="utf-8").splitlines()
    assert history, "the citation history is written"
