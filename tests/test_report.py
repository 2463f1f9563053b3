"""The run report: changes between catalogues, unresolved table, history."""

from __future__ import annotations

import json
from typing import Any

from avenrich.report import (
    Counts,
    Entry,
    diff_catalogues,
    history_lines,
    merge_history,
    to_report_markdown,
    unresolved_rows,
)


def entry(url: str, cr: Any = None, s2: Any = None, status: str = "resolved") -> dict[str, Any]:
    """A catalogue entry as NAME.json holds it (the fields the report reads, and some it does not)."""
    return {
        "url": url,
        "title": f"Paper {url[-1]}",
        "host": "arxiv",
        "kind": "paper",
        "key": f"k{url[-1]}",
        "ids": {"doi": None},
        "citations": {"crossref": cr, "semantic_scholar": s2},
        "resolution": {"status": status, "reason": "" if status == "resolved" else "no candidate passed"},
    }


def entries(*catalogue_entries: dict[str, Any]) -> list[Entry]:
    return [Entry.of(e) for e in catalogue_entries]


def counts(*catalogue_entries: dict[str, Any]) -> dict[str, Counts]:
    """A previous catalogue's counts by URL, as publish reads them from the file."""
    return {e["url"]: Entry.of(e).counts() for e in catalogue_entries}


SUMMARY = {
    "name": "demo",
    "origin": "demo.md",
    "entries": 3,
    "papers": 3,
    "resolved": 2,
    "unresolved": 1,
    "by_host": {"arxiv": {"resolved": 2, "unresolved": 1}},
    "requests": {"crossref": {"works": {"requests": 2, "retries": 1, "status_429": 0, "errors": 0, "cache_hits": 5}}},
    "degraded": {"semantic_scholar": "unreachable (connection refused)"},
}


def test_diff_names_exactly_the_added_removed_and_changed() -> None:
    """Added and removed links and every count change per source are reported, nothing else."""
    before = counts(entry("u1", 1, 2), entry("u2", 5, 5), entry("u3"))
    after = entries(entry("u1", 1, 3), entry("u2", 5, 5), entry("u4", 1, 1))
    changes = diff_catalogues(before, after)
    assert changes.added == ("u4",)
    assert changes.removed == ("u3",)
    assert [(c.url, c.source, c.before, c.after) for c in changes.counts] == [("u1", "semantic_scholar", 2, 3)]


def test_first_run_has_no_changes() -> None:
    """Without a previous catalogue nothing is 'added': the report says it is the first run's list."""
    changes = diff_catalogues(None, entries(entry("u1", 1)))
    assert changes.added == () and changes.removed == () and changes.counts == ()


def test_report_markdown_names_everything() -> None:
    """The report shows totals, per-kind rows, degraded sources, requests, changes and the unresolved table."""
    current = entries(entry("u1", 1), entry("u2", status="unresolved"))
    changes = diff_catalogues(counts(entry("u1", 0)), current)
    text = to_report_markdown(SUMMARY, changes, current, "2026-11-25T03:00:00Z")
    assert "- generated: 2026-11-25T03:00:00Z" in text
    assert "| arxiv | 2 | 1 |" in text
    assert "**degraded** semantic_scholar: unreachable" in text
    assert "| crossref | works | 2 | 1 | 0 | 0 | 5 |" in text
    assert "Added (1):" in text and "- u2" in text
    assert "| Paper 1 | crossref | 0 | 1 |" in text
    assert "| Paper 2 | u2 | arxiv | no candidate passed |" in text


def test_report_lists_every_key_change_and_why() -> None:
    """Each key change of the run is one row (old, new, link, why); a run without any says so."""
    current = entries(entry("u1", 1))
    moved = {"old": "audio2018visual", "new": "gao2019visual", "url": "u1", "reason": "earned: verified"}
    text = to_report_markdown({**SUMMARY, "key_changes": [moved]}, diff_catalogues(None, current), current)
    assert "## Key changes (1)" in text and "| audio2018visual | gao2019visual | u1 | earned: verified |" in text
    quiet = to_report_markdown(SUMMARY, diff_catalogues(None, current), current)
    assert "## Key changes (0)" in quiet and "None: every paper kept its key." in quiet


def test_unresolved_rows_skip_resolved_and_datasets() -> None:
    """Only unresolved paper links are listed."""
    dataset = entry("u3", status="unresolved") | {"kind": "dataset"}
    rows = unresolved_rows(entries(entry("u1"), entry("u2", status="unresolved"), dataset))
    assert [r["url"] for r in rows] == ["u2"]


def test_history_replaces_the_same_day_and_keeps_older_days() -> None:
    """A second run on the same day replaces that day's lines; earlier days stay."""
    doc = entries(entry("u1", 3, 4), entry("u2"))
    day1 = "".join(merge_history([], history_lines(doc, "2026-11-24"), "2026-11-24"))
    day2 = "".join(merge_history(day1.splitlines(True), history_lines(doc, "2026-11-25"), "2026-11-25"))
    later = history_lines(entries(entry("u1", 9, 9)), "2026-11-25")
    again = "".join(merge_history(day2.splitlines(True), later, "2026-11-25"))
    rows = [json.loads(line) for line in again.splitlines()]
    assert [(r["date"], r["crossref"]) for r in rows] == [("2026-11-24", 3), ("2026-11-25", 9)]


def test_report_names_the_largest_count_changes_and_counts_them_all() -> None:
    """Past `shown` changes the report keeps the largest moves (a first count by its value; ties: the earlier
    entry), in entry order, and still counts every change."""
    before = counts(entry("u1", 10), entry("u2", 10), entry("u3", None, 5), entry("u4", 10), entry("u5", 10))
    after = entries(entry("u1", 11), entry("u2", 40), entry("u3", 7, 5), entry("u4", 13), entry("u5", 7))
    changes = diff_catalogues(before, after, shown=3)
    assert changes.count_total == 5
    assert [(c.url, c.before, c.after) for c in changes.counts] == [("u2", 10, 40), ("u3", None, 7), ("u4", 10, 13)]
    text = to_report_markdown(SUMMARY, changes, after)
    assert "Citation-count changes: 5; the 3 largest are below, every count is in demo.history.jsonl." in text
    rows = [line for line in text.splitlines() if line.startswith("| Paper ")]
    assert rows == [
        "| Paper 2 | crossref | 10 | 40 |",
        "| Paper 3 | crossref | – | 7 |",
        "| Paper 4 | crossref | 10 | 13 |",
    ]

    everything = diff_catalogues(before, after)
    assert everything.count_total == 5 and len(everything.counts) == 5
    assert "Citation-count changes (5):" in to_report_markdown(SUMMARY, everything, after)


def test_count_changes_survive_a_hand_edited_previous_catalogue() -> None:
    """A count that is not a number in the previous file still makes a change (ranked as no move), no error."""
    before = counts(entry("u1", "many"), entry("u2", 1))
    after = entries(entry("u1", 3), entry("u2", 2))
    changes = diff_catalogues(before, after, shown=1)
    assert changes.count_total == 2
    assert [(c.url, c.after) for c in changes.counts] == [("u1", 3)]
