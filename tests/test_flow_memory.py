"""The flow empties each stage's result once no later stage needs it (Prefect keeps task results to the end)."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from avenrich import pipeline, resolve

pytestmark = pytest.mark.prefect

SAMPLE = Path(__file__).parent / "fixtures" / "lists" / "sample.md"


def test_stage_results_are_emptied_and_outputs_unchanged(
    prefect_harness: None, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """After the run the ledger, items, outcomes and records the tasks returned or were handed (each batch's; one
    batch here) are empty, and the records' spool is closed; the outputs still hold every link (they were written
    before the records were let go)."""
    from avenrich.prefect_env import prepare_prefect_env

    prepare_prefect_env()
    from avenrich.flow import enrich

    kept: dict[str, Any] = {}
    arguments: dict[str, Any] = {}  # what each task was handed first: Prefect holds it too

    def keeping(name: str, fn: Callable[..., Any]) -> Callable[..., Any]:
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            arguments[name] = args[0]
            kept[name] = fn(*args, **kwargs)
            if name == "lookup":  # offline, nothing is found: an answer "unknown" for an id no link has
                kept[name].of("semantic_scholar")["arXiv:0000.00000"] = None
            return kept[name]

        return wrapper

    for module, name in ((pipeline, "identify"), (resolve, "lookup"), (resolve, "search_and_verify"),
                         (pipeline, "merge_records"), (pipeline, "note_issues")):  # fmt: skip
        monkeypatch.setattr(module, name, keeping(name, getattr(module, name)))
    out = tmp_path / "out"
    summary = enrich(input=str(SAMPLE), out_dir=str(out), cache_dir=str(tmp_path / "cache"), offline=True)
    assert sorted(kept) == ["identify", "lookup", "merge_records", "note_issues", "search_and_verify"]
    ledger = kept["lookup"]
    assert ledger.records and all(not records for records in ledger.records.values())
    assert kept["identify"] == [] and kept["search_and_verify"] == {}
    # the merged records went to a spool on disk (spool.py), closed with the run
    assert kept["merge_records"] == [] and len(kept["note_issues"]) == 0 and kept["note_issues"].closed
    # the items each batch's tasks were handed (the batch, the links to look up) are emptied as well
    assert arguments["lookup"] == [] and arguments["merge_records"] == [] and arguments["search_and_verify"] == []
    doc = json.loads((out / "sample.json").read_text(encoding="utf-8"))
    assert len(doc["entries"]) == summary["entries"] == 12
