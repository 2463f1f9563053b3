"""The run report and the citation-count history (pure): what changed since the previous catalogue.

Works on catalogue entries reduced to what the report reads (`Entry.of(catalogue_entry)`), and on the previous
catalogue's counts by URL, so the previous night's file is all it needs.
"""

from __future__ import annotations

import heapq
import json
import re
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping, Sequence
from collections.abc import Set as AbstractSet
from dataclasses import dataclass
from typing import Any, NamedTuple

from avenrich.findings import KINDS
from avenrich.model import Finding

COUNT_SOURCES = ("crossref", "semantic_scholar")
# The report names the largest citation-count changes only: on a nightly run nearly every paper's count moves
# (100k links: ~170k changes, tens of MB of report), and the dated history keeps every count.
SHOWN_COUNT_CHANGES = 100


class Entry(NamedTuple):
    """The fields of one catalogue entry that the report and the history read (a tuple: 100k of them are
    held at once, where the entries' dicts took ~1 KB each)."""

    url: str
    title: str = ""
    key: str | None = None
    host: str = ""
    kind: str = "paper"
    doi: str | None = None
    status: str = "unresolved"
    reason: str = ""
    crossref: int | None = None
    semantic_scholar: int | None = None

    @classmethod
    def of(cls, entry: Mapping[str, Any]) -> Entry:
        """The report's view of a catalogue entry (as NAME.json holds it)."""
        citations = entry.get("citations") or {}
        resolution = entry.get("resolution") or {}
        return cls(
            url=entry["url"],
            title=entry.get("title") or "",
            key=entry.get("key"),
            host=entry.get("host") or "",
            kind=entry.get("kind") or "paper",
            doi=(entry.get("ids") or {}).get("doi"),
            status=resolution.get("status") or "unresolved",
            reason=resolution.get("reason") or "",
            crossref=citations.get("crossref"),
            semantic_scholar=citations.get("semantic_scholar"),
        )

    def counts(self) -> tuple[int | None, int | None]:
        """The citation counts, in COUNT_SOURCES order."""
        return self.crossref, self.semantic_scholar


Counts = tuple[Any, Any]  # a previous catalogue's counts of one URL, COUNT_SOURCES order (as the file had them)


@dataclass(frozen=True, slots=True)
class CountChange:
    """One paper's citation count from one source, before and after."""

    url: str
    title: str
    source: str
    before: int | None
    after: int | None


@dataclass(frozen=True, slots=True)
class Changes:
    """Entries added and removed since the previous catalogue, and citation-count changes.

    `counts` holds the largest count changes (at most `shown` of them), `count_total` how many there are.
    """

    added: tuple[str, ...]
    removed: tuple[str, ...]
    counts: tuple[CountChange, ...]
    count_total: int = 0


def diff_catalogues(
    previous: Mapping[str, Counts] | None, current: Sequence[Entry], shown: int = SHOWN_COUNT_CHANGES
) -> Changes:
    """What changed since the previous catalogue (its counts by URL; None on the first run), in the current
    (then previous) entry order.

    Count changes: every change of a source's count to a known value is counted; the `shown` largest
    (by how much the count moved, a first count by its value) are kept, in entry order.
    """
    if previous is None:
        return Changes((), (), ())
    urls = {e.url for e in current}
    added = tuple(e.url for e in current if e.url not in previous)
    removed = tuple(url for url in previous if url not in urls)
    total = 0

    def changed() -> Iterator[tuple[int, int, CountChange]]:
        nonlocal total
        for index, entry in enumerate(current):
            old = previous.get(entry.url)
            if old is None:
                continue
            for source, was, now in zip(COUNT_SOURCES, old, entry.counts(), strict=True):
                if was != now and now is not None:
                    total += 1
                    yield _moved(was, now), -index, CountChange(entry.url, entry.title, source, was, now)

    largest = heapq.nlargest(shown, changed(), key=lambda ranked: ranked[:2])
    counts = tuple(change for *_, change in sorted(largest, key=lambda ranked: -ranked[1]))
    return Changes(added, removed, counts, total)


def _moved(was: Any, now: Any) -> int:
    """How far a count moved (a first count: its value); 0 for what is not a count (a hand-edited file)."""
    if not isinstance(now, int):
        return 0
    return abs(now - was) if isinstance(was, int) else abs(now)


def unresolved_rows(current: Iterable[Entry]) -> list[dict[str, str]]:
    """One row per unresolved paper link: title, link, kind of link and the reason."""
    return [
        {"title": e.title, "url": e.url, "host": e.host, "reason": e.reason}
        for e in current
        if e.status == "unresolved" and e.kind == "paper"
    ]


def to_report_markdown(
    summary: Mapping[str, Any], changes: Changes, current: Iterable[Entry], generated_at: str = ""
) -> str:
    """The Markdown run report: totals, per-kind table, changes, degraded sources, requests, unresolved."""
    name = summary.get("name", "")
    lines = [f"# avenrich run report: {name}".rstrip(), ""]
    lines += [
        f"- generated: {generated_at}",
        f"- input: {summary.get('origin', '')}",
        f"- entries: {summary['entries']} ({summary['papers']} papers)",
        f"- resolved: {summary['resolved']}, unresolved: {summary['unresolved']}",
        f"- overrides applied: {summary.get('overrides', 0)}",
    ]
    if summary.get("input_note"):
        lines.append(f"- note: {summary['input_note']}")
    lines += [f"- {line}" for line in summary.get("carried_over") or ()]
    lines += [
        "",
        "## Resolution by link kind",
        "",
        "| link kind | resolved | unresolved |",
        "| --- | ---: | ---: |",
    ]
    for host, row in summary["by_host"].items():
        lines.append(f"| {host} | {row['resolved']} | {row['unresolved']} |")
    lines += ["", "## Sources", ""]
    degraded = summary.get("degraded") or {}
    if degraded:
        lines += [f"- **degraded** {name_}: {reason}" for name_, reason in degraded.items()]
    else:
        lines.append("- all sources answered")
    lines += [
        "",
        "| source | endpoint | requests | retries | 429 | errors | cache hits |",
        "| --- | --- | ---: | ---: | ---: | ---: | ---: |",
    ]
    for source, endpoints in sorted((summary.get("requests") or {}).items()):
        for endpoint, c in sorted(endpoints.items()):
            lines.append(
                f"| {source} | {endpoint} | {c.get('requests', 0)} | {c.get('retries', 0)} | "
                f"{c.get('status_429', 0)} | {c.get('errors', 0)} | {c.get('cache_hits', 0)} |"
            )
    if "kept" in summary:
        lines += [
            "",
            f"Kept from earlier nights: {summary['kept']} of {summary['papers']} papers (their listing and records "
            "unchanged: counts refreshed, not matched again; `--recheck` matches every link again).",
        ]
    lines += ["", "## Changes since the previous run", ""]
    lines += _listing("Added", changes.added) + _listing("Removed", changes.removed)
    if changes.counts:
        total = max(changes.count_total, len(changes.counts))
        if total > len(changes.counts):
            lines += [
                f"Citation-count changes: {total}; the {len(changes.counts)} largest are below, every count is in "
                f"{name}.history.jsonl.",
                "",
            ]
        else:
            lines += [f"Citation-count changes ({total}):", ""]
        lines += ["| paper | source | before | after |", "| --- | --- | ---: | ---: |"]
        for c in changes.counts:
            lines.append(f"| {_cell(c.title)} | {c.source} | {_num(c.before)} | {_num(c.after)} |")
    else:
        lines.append("No citation-count changes.")
    lines += _key_changes(summary.get("key_changes") or ())
    rows = unresolved_rows(current)
    lines += ["", f"## Unresolved ({len(rows)})", ""]
    if rows:
        lines += ["| title | link | kind | reason |", "| --- | --- | --- | --- |"]
        lines += [f"| {_cell(r['title'])} | {_cell(r['url'])} | {r['host']} | {_cell(r['reason'])} |" for r in rows]
    else:
        lines.append("None.")
    return "\n".join(lines) + "\n"


def _key_changes(changes: Sequence[Mapping[str, str]]) -> list[str]:
    """Every citation key that changed this run, and why (a key changes only when it was provisional, when the
    curator pins one, or when two papers turn out to be one)."""
    lines = ["", f"## Key changes ({len(changes)})", ""]
    if not changes:
        return [*lines, "None: every paper kept its key."]
    lines += ["| old key | new key | link | why |", "| --- | --- | --- | --- |"]
    lines += [f"| {_cell(c['old'])} | {_cell(c['new'])} | {_cell(c['url'])} | {_cell(c['reason'])} |" for c in changes]
    return lines


def _listing(label: str, urls: Sequence[str]) -> list[str]:
    if not urls:
        return [f"{label}: none.", ""]
    return [f"{label} ({len(urls)}):", "", *[f"- {u}" for u in urls], ""]


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def _num(value: int | None) -> str:
    return "–" if value is None else str(value)


def history_lines(current: Iterable[Entry], date: str) -> Iterator[str]:
    """One JSON line per paper with counts, for the dated citation history."""
    for e in current:
        if e.crossref is None and e.semantic_scholar is None:
            continue
        row: dict[str, Any] = {"date": date, "url": e.url, "key": e.key, "doi": e.doi}
        row.update(zip(COUNT_SOURCES, e.counts(), strict=True))
        yield json.dumps(row, ensure_ascii=False, sort_keys=True)


def merge_history(existing: Iterable[str], new_lines: Iterable[str], date: str) -> Iterator[str]:
    """The history file, line by line, with today's lines replacing any earlier lines of the same date.

    `existing` is the old file's lines as they are read: the history grows every night, so it is never whole
    in memory.
    """
    marker = f'"date": "{date}"'
    for line in existing:
        if line.strip() and marker not in line:
            yield line.rstrip("\r\n") + "\n"
    for line in new_lines:
        yield line + "\n"


# --- list health ---------------------------------------------------------------------------------------

_GITHUB_FILE = re.compile(
    r"^https?://(?:raw\.githubusercontent\.com/(?P<o1>[^/]+)/(?P<r1>[^/]+)/(?:refs/heads/)?(?P<b1>[^/]+)/(?P<p1>[^?#]+)"
    r"|(?:www\.)?github\.com/(?P<o2>[^/]+)/(?P<r2>[^/]+)/(?:blob|raw)/(?P<b2>[^/]+)/(?P<p2>[^?#]+))"
)


def github_file(origin: str) -> tuple[str, str, str, str] | None:
    """(owner, repo, branch, path) of a list read from GitHub (raw or blob URL), else None."""
    match = _GITHUB_FILE.match(origin.split(" ")[0])
    if match is None:
        return None
    groups = match.groupdict()
    key = "1" if groups["o1"] else "2"
    return groups["o" + key], groups["r" + key], groups["b" + key], groups["p" + key]


def list_health_markdown(
    findings: Sequence[Finding],
    previous: AbstractSet[tuple[str, str]] | None,
    *,
    name: str,
    origin: str,
    patch_file: str | None,
) -> str:
    """The report's "List health" section: counts by kind, what is new since the previous catalogue (`previous`:
    its (url, kind) pairs; None when it had no findings recorded), each finding with its line, and the patch."""
    lines = ["", f"## List health ({len(findings)})", ""]
    if not findings:
        return "\n".join([*lines, "The list has no finding: nothing to fix.", ""])
    counts = Counter(f.kind for f in findings)
    lines += ["| kind | findings | new since last night |", "| --- | ---: | ---: |"]
    new = [f for f in findings if previous is not None and (f.url, f.kind) not in previous]
    for kind in KINDS:
        if counts[kind]:
            fresh = "–" if previous is None else str(sum(1 for f in new if f.kind == kind))
            lines.append(f"| {kind} | {counts[kind]} | {fresh} |")
    if previous is None:
        lines += ["", "No previous findings to compare with: every finding is reported, none marked new."]
    lines += ["", "| line | kind | link | finding | new |", "| ---: | --- | --- | --- | --- |"]
    fresh_keys = {(f.url, f.kind) for f in new}
    for f in sorted(findings, key=lambda f: (f.line or 0, KINDS.index(f.kind))):
        mark = "new" if (f.url, f.kind) in fresh_keys else ""
        lines.append(f"| {f.line or ''} | {f.kind} | {_cell(f.url)} | {_cell(f.message)} | {mark} |")
    lines.append("")
    lines += _patch_advice(name, origin, patch_file)
    lines.append(
        'Silence a finding in overrides.toml: `[[ignore]]` with `url = "the link as listed"` and `kind = "year"`.'
    )
    return "\n".join(lines) + "\n"


def _patch_advice(name: str, origin: str, patch_file: str | None) -> list[str]:
    if patch_file is None:
        return ["No safe fix to apply: nothing in the list is changed automatically.", ""]
    lines = [
        f"`{name}.fixes.patch` carries the safe fixes (years, title typos, tracking parameters, missing years); "
        f"apply it in the folder of `{patch_file}` with `git apply {name}.fixes.patch` or `patch -p1 < "
        f"{name}.fixes.patch`.",
        "",
    ]
    hosted = github_file(origin)
    if hosted is not None:
        owner, repo, branch, path = hosted
        folder = path.rpartition("/")[0]
        directory = f" --directory={folder}" if folder else ""
        lines += [
            f"The list is on GitHub ({owner}/{repo}, `{path}`). To propose the fixes as a pull request:",
            "",
            "```",
            f"gh repo fork {owner}/{repo} --clone && cd {repo}",
            f"git checkout -b list-health origin/{branch}",
            f"git apply{directory} /path/to/{name}.fixes.patch",
            'git commit -am "Fix years, title typos and tracking links (found by avenrich)"',
            "git push -u origin list-health && gh pr create --fill",
            "```",
            "",
        ]
    return lines
