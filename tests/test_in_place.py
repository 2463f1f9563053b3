"""`avenrich run --input refs.bib --in-place` end to end (Prefect flow, real HTTP to fake services on 127.0.0.1)."""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from avenrich.catalogue import validate_catalogue
from avenrich.cli import main
from fake_servers import FakeApis
from world import FakePaper, FakeWorld

pytestmark = pytest.mark.prefect

ENRICH = Path(__file__).parent / "fixtures" / "lists" / "enrich.bib"
# The three resolvable papers of enrich.bib as the fake services know them; the other two entries are in no index.
PAPERS = (
    FakePaper(
        title="2.5D Visual Sound", year=2019, authors=(("Ruohan", "Gao"), ("Kristen", "Grauman")),
        doi="10.1109/CVPR.2019.00041", arxiv="1812.04204", paper_id="7d3bd1e4d5c9f7d0a1b7a5e2c6f9e8d7c6b5a4f3",
        corpus_id=1, month=6, venue="2019 IEEE/CVF Conference on Computer Vision and Pattern Recognition (CVPR)",
        type="proceedings-article", publisher="IEEE", pages="324-333",
    ),
    FakePaper(
        title="Deep Audio-Visual Speech Recognition", year=2018,
        authors=(("Triantafyllos", "Afouras"), ("Joon Son", "Chung"), ("Andrew", "Senior"), ("Oriol", "Vinyals"),
                 ("Andrew", "Zisserman")),
        doi="10.1109/TPAMI.2018.2889052", paper_id="1" * 40, corpus_id=2, month=12,
        venue="IEEE Transactions on Pattern Analysis and Machine Intelligence", type="journal-article",
        publisher="IEEE", volume="44", issue="12", pages="8717-8727",
    ),
    FakePaper(
        title="Audio-Visual Scene Analysis with Self-Supervised Multisensory Features", year=2018,
        authors=(("Andrew", "Owens"), ("Alexei A.", "Efros")), doi="10.1007/978-3-030-01231-1_39",
        arxiv="1804.03641", paper_id="2" * 40, corpus_id=3, venue="Computer Vision – ECCV 2018", type="book-chapter",
        publisher="Springer International Publishing", pages="639-658",
    ),
)  # fmt: skip


@pytest.fixture()
def apis(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeApis]:
    with FakeApis(FakeWorld(PAPERS).prepare()) as fake:
        for name, value in fake.env().items():
            monkeypatch.setenv(name, value)
        monkeypatch.setenv("AVENRICH_MAILTO", "tests@example.org")
        yield fake


def test_in_place_round_trip(
    prefect_harness: None, apis: FakeApis, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The input becomes its enriched self (= NAME.bib), the old bytes stay in .bak; the next night, with nothing
    new to say, leaves the file and its .bak alone."""
    refs = tmp_path / "refs.bib"
    shutil.copyfile(ENRICH, refs)
    with refs.open("a", encoding="utf-8") as handle:
        handle.write("\n@misc{smith2020notes, title = {A repeated key}}\n")  # unusable: left out of NAME.bib only
    original = refs.read_bytes()
    args = ["run", "--input", str(refs), "--in-place", "--out", str(tmp_path / "out"), "-q"]
    args += ["--cache-dir", str(tmp_path / "cache")]
    assert main(args) == 0
    enriched = refs.read_text(encoding="utf-8")
    published = (tmp_path / "out" / "refs.bib").read_text(encoding="utf-8")
    assert enriched != original.decode("utf-8") and "A repeated key" in enriched and "A repeated key" not in published
    assert enriched.replace("@misc{smith2020notes, title = {A repeated key}}", "") == published
    assert (tmp_path / "refs.bib.bak").read_bytes() == original
    assert "@incollection{owens2018audio," in enriched and "doi           = {10.1007/978-3-030-01231-1_39}" in enriched
    tail = original.decode("utf-8")[original.decode("utf-8").index("@inproceedings{nobody2019poster") :]
    assert enriched.endswith(tail)  # the unresolved entries, as they went in
    doc = json.loads((tmp_path / "out" / "refs.json").read_text(encoding="utf-8"))
    assert validate_catalogue(doc) == []
    assert [e["key"] for e in doc["entries"]] == [
        "gao2019visual", "afouras2018deep", "owens2018audio", "nobody2019poster", "smith2020notes"
    ]  # fmt: skip
    assert main([a for a in args if a != "-q"]) == 0
    assert f"{refs}: nothing to change, left as it was" in capsys.readouterr().out
    assert refs.read_text(encoding="utf-8") == enriched
    assert (tmp_path / "refs.bib.bak").read_bytes() == original
    report = (tmp_path / "out" / "refs.report.md").read_text(encoding="utf-8")
    assert "## Key changes (0)" in report
