"""Publishing a run (edge): the output files, the list's state (store.py), the report, the run lock.

Every file of one run is written to a temporary file (the big ones piece by piece as they are made), and only
when all are complete renamed, so readers and a crash never see a partial file; the catalogue is renamed last.
"""

from __future__ import annotations

import contextlib
import fcntl
import glob
import os
import re
import time
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from types import TracebackType
from typing import Any

from avenrich import bib_update, bibtex, catalogue, csl, inputs, keys, lastgood, page, patch, report, store
from avenrich.errors import OutputError
from avenrich.inputs import InputText
from avenrich.json_text import dumps
from avenrich.keys import Registry
from avenrich.model import Finding, Record
from avenrich.outputs import read_json_items, read_lines, rewrite_in_place, write_outputs
from avenrich.spool import Spool, Texts, TextSpool
from avenrich.store import CountRow, RunSummary, Store

LAST_GOOD_SUFFIX = "input.txt"
PATCH_SUFFIX = "fixes.patch"
_BIB_KEY = re.compile(r"@\w+\{([^,\s]+),")


class RunLock:
    """An exclusive lock on one list's outputs (NAME.* in out_dir), so two runs never interleave their writes.

    A second run of the same list waits for the first (up to `timeout` seconds), then fails with one clear
    line; runs of other lists into the same directory go ahead (workers sharing one out_dir). An flock: on NFS
    it needs NFSv4 (or lockd) on the clients.
    """

    def __init__(self, out_dir: Path, name: str, timeout: float = 1800.0) -> None:
        self.path = out_dir / f".{name}.lock"
        self.timeout = timeout
        self._fd: int | None = None

    def __enter__(self) -> RunLock:
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        except OSError as exc:
            raise OutputError(f"cannot use output directory {self.path.parent}: {exc.strerror}") from None
        deadline = time.monotonic() + self.timeout
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() > deadline:
                    os.close(fd)
                    raise OutputError(f"another avenrich run holds {self.path}; gave up waiting") from None
                time.sleep(0.2)
        self._fd = fd
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        if self._fd is not None:
            fcntl.flock(self._fd, fcntl.LOCK_UN)
            os.close(self._fd)
            self._fd = None


@dataclass(frozen=True, slots=True)
class Streams:
    """Every output file (by suffix) as pieces of text made as they are read (once), the citation key of each
    paper (keys.assign_keys) and the key registry to keep for the next run."""

    files: Mapping[str, Iterable[str]]
    keys: Mapping[str, str]
    registry: Registry


def render_streams(
    records: Sequence[Record],
    registry: Mapping[str, str],
    *,
    source: Mapping[str, Any],
    generated_at: str,
    summary: Mapping[str, Any],
    pins: Mapping[str, str] | None = None,
    input_bibtex: str | None = None,
) -> Streams:
    """The .bib, catalogue and CSL-JSON as pieces made while they are written (no output exists whole in
    memory), with stable keys taken from (and added to) the registry.

    `pins` are the curator's keys (link URL -> key); a .bib input's entries keep their own keys too, and with
    `input_bibtex` (the text of a .bib input) NAME.bib is that file enriched in place (bib_update)."""
    by_paper, new_registry = keys.assign_keys(records, registry, pins, own_keys=True)
    return stream_files(
        records,
        by_paper,
        new_registry,
        source=source,
        generated_at=generated_at,
        summary=summary,
        input_bibtex=input_bibtex,
    )


def stream_files(
    records: Sequence[Record],
    by_paper: Mapping[str, str],
    registry: Registry,
    *,
    source: Mapping[str, Any],
    generated_at: str,
    summary: Mapping[str, Any],
    input_bibtex: str | None = None,
    key_of: Sequence[str] | None = None,
    sections: list[dict[str, Any]] | None = None,
    entry_texts: Iterable[str] | None = None,
) -> Streams:
    """`render_streams` with the keys assigned (keys.assign_keys' result). What the caller has made already, so
    that the writers need not walk the records for it: `key_of`, each record's key (keys.group_by_key);
    `sections`, the section tree (catalogue.SectionTree); `entry_texts`, the catalogue's entries as JSON texts
    (catalogue.to_json_chunks)."""
    files = {
        "bib": (
            bibtex.to_bibtex_chunks(records, by_paper, key_of)
            if input_bibtex is None
            else iter([bib_update.to_enriched_bibtex(input_bibtex, records, keep_failed=False)])
        ),
        "json": catalogue.to_json_chunks(
            records,
            by_paper,
            source=source,
            generated_at=generated_at,
            summary=summary,
            sections=sections,
            entry_texts=entry_texts,
        ),
        "csl.json": csl.to_csl_json_chunks(records, by_paper, key_of),
    }
    return Streams(files=files, keys=by_paper, registry=registry)


def open_state(out_dir: Path, name: str) -> Store:
    """The list's state database, DIR/NAME.sqlite; on its first run it takes in the key registry and the
    history an existing outputs folder holds (NAME.keys.json, NAME.history.jsonl), so no key changes."""

    def take_in(state: Store) -> None:
        registry = keys.read_registry(out_dir / f"{name}.keys.json")
        state.import_legacy(registry, read_lines(out_dir / f"{name}.history.jsonl"), registry.provisional)

    return Store.open(store.path_for(out_dir, name), on_create=take_in)


def publish(
    records: Sequence[Record],
    text: InputText,
    out_dir: Path,
    summary: dict[str, Any],
    generated_at: str,
    state: Store | None = None,
    run_id: int | None = None,
    pins: Mapping[str, str] | None = None,
    in_place: Path | None = None,
) -> dict[str, Any]:
    """Settle the records against the last verified ones (lastgood), record the night in the state, and write
    NAME.{bib,csl.json,json,report.md,history.jsonl,html} (and NAME.fixes.patch when the list has safe fixes);
    returns the summary.

    The state commits before any file is renamed: a published key is always in the registry. `in_place`: the
    local .bib input, rewritten as its enriched self once every output is written (with a .bak).
    """
    if state is None:
        with open_state(out_dir, text.name) as opened:
            return publish(records, text, out_dir, summary, generated_at, opened, run_id, pins, in_place)
    # The settled records go to a spool (past spool.IN_MEMORY, to disk), read back by each part of the write; the
    # catalogue entries' texts and the .bib entries' texts the write keeps go to disk too (closed with it).
    folder = state.path.parent
    with Spool(directory=folder) as spooled, TextSpool(folder) as entry_texts, Texts(folder) as bib_by_key:
        spools = _Spools(spooled, entry_texts, bib_by_key)
        return _publish(records, spools, text, out_dir, summary, generated_at, state, run_id, pins, in_place)


@dataclass(frozen=True, slots=True)
class _Spools:
    """What the write stage keeps on disk: the settled records, the catalogue's entries as JSON texts (the page
    makes them, the catalogue writes them), and the .bib entries' texts by key (the page copies them)."""

    records: Spool
    entry_texts: TextSpool
    bib_by_key: Texts


def _publish(
    merged: Sequence[Record],
    spools: _Spools,
    text: InputText,
    out_dir: Path,
    summary: dict[str, Any],
    generated_at: str,
    state: Store,
    run_id: int | None,
    pins: Mapping[str, str] | None,
    in_place: Path | None,
) -> dict[str, Any]:
    """`publish`, with what it keeps on disk (`spools`)."""
    records, entry_texts, bib_by_key = spools.records, spools.entry_texts, spools.bib_by_key
    name = text.name
    date = generated_at[:10]
    if run_id is None:
        run_id = state.start_run(generated_at, text.origin, str(summary.get("version", "")))
    failed = summary.get("failed") or summary.get("degraded") or {}
    settled = lastgood.settle(merged, state.last_verified, failed, date, into=records)
    registry = Registry(state.read_registry(), state.provisional_keys())
    by_paper, new_registry = keys.assign_keys(records, registry, pins, own_keys=True)
    current: list[report.Entry] = []  # the report's view of each entry, in list order
    key_of: list[str] = []
    health: list[Finding] = []
    sections = catalogue.SectionTree()
    for record in records:  # one walk for what needs every record (each walk reads the spool back)
        key_of.append(keys.key_for(record, by_paper))
        current.append(_reported(record, key_of[-1]))
        health.extend(record.issues)
        sections.add(record.link.sections)
    counts = count_entries((e.host, e.status, e.kind) for e in current)
    summary = {**counts, **summary, **counts}  # the counts first, as published (lastgood carried some over)
    summary |= {"name": name, "origin": text.origin, "carried_over": lastgood.carried_lines(settled.carried)}
    if "last good copy" in text.origin:
        summary["input_note"] = "the input URL could not be fetched; used the last good copy of the list"
    source = {"input": text.origin, "format": text.format, "name": name}
    # Only what the same inputs and cache reproduce goes into the catalogue; request counts go to the report.
    stable = {k: summary[k] for k in ("entries", "papers", "resolved", "unresolved", "by_host", "degraded")}
    streams = stream_files(
        records,
        by_paper,
        new_registry,
        source=source,
        generated_at=generated_at,
        summary=stable,
        input_bibtex=text.text if text.format == "bibtex" else None,
        key_of=key_of,
        sections=sections.roots,
        # The page makes the catalogue's entries first (it is written before): their texts are kept for it.
        entry_texts=_written(entry_texts, len(records)),
    )
    del by_paper, new_registry
    summary["key_changes"] = [
        {"old": c.old, "new": c.new, "url": c.url, "reason": c.reason} for c in streams.registry.changes
    ]
    previous = state.previous_counts()
    if previous is None:  # the first run with a state: the previous catalogue, if there is one
        previous = _previous_counts(out_dir / f"{name}.json")
    changes = report.diff_catalogues(previous, current)
    del previous
    summary["changes"] = {
        "added": list(changes.added),
        "removed": list(changes.removed),
        "count_changes": changes.count_total,
    }
    markdown = report.to_report_markdown(summary, changes, current, generated_at)
    fixes = health_files(text, health)
    previous_issues = state.previous_issues()
    if previous_issues is None:  # no list kept in the state yet: the previous catalogue's, if there is one
        previous_issues = _previous_issues(out_dir / f"{name}.json")
    markdown += report.list_health_markdown(
        health, previous_issues, name=name, origin=text.origin, patch_file=fixes.get("file")
    )
    with state.transaction():
        state.save_links((record.link for record in records), _kinds_by_url(health))
        state.save_verified((records[number] for number in settled.verified), run_id)
        state.forget_verified(settled.answered)
        state.save_registry(registry, streams.registry.updates, streams.registry.provisional)
        state.record_counts(_count_row(entry, date) for entry in current)
    carried = settled.carried_total
    del registry, settled
    # The big files are made while they are written (streams): none of them is ever whole in memory.
    files: dict[str, str | Iterable[str]] = {
        "history.jsonl": (row.to_json() + "\n" for row in state.count_history()),
        "report.md": markdown,
        "bib": _keeping_entries(streams.files["bib"], bib_by_key),
        "csl.json": streams.files["csl.json"],
        # The page after the .bib (whose entries it copies, kept as they were written) and the other files it offers
        # for download; the catalogue stays the last renamed.
        "html": _page(
            _keeping_texts((catalogue.to_entry(r, key) for r, key in zip(records, key_of, strict=True)), entry_texts),
            bib_by_key,
            read_history_rows(state),
            changes,
            current,
            name,
            generated_at,
        ),
        "json": streams.files["json"],
    }
    if "://" in text.origin.split(" ")[0] and "last good copy" not in text.origin:
        files[LAST_GOOD_SUFFIX] = text.text
    if "patch" in fixes:
        files[PATCH_SUFFIX] = fixes["patch"]
    _remove_stale_temps(out_dir, name, files)
    written = write_outputs(out_dir, name, files)
    del key_of
    if "patch" not in fixes:  # nothing to fix tonight: last night's patch no longer applies to the list
        with contextlib.suppress(FileNotFoundError):
            (out_dir / f"{name}.{PATCH_SUFFIX}").unlink()
    with state.transaction():
        state.finish_run(run_id, _now(), _run_summary(summary, carried))
    summary["health_rows"] = [
        {"line": f.line, "kind": f.kind, "url": f.url, "message": f.message, "fix": f.fix or ""} for f in health
    ]
    summary["outputs"] = [str(p) for p in written] + [str(state.path)]
    if in_place is not None:
        # NAME.bib leaves out the blocks that could not be parsed; the user's own file keeps every line.
        enriched = bib_update.to_enriched_bibtex(text.text, records, keep_failed=True)
        backup = rewrite_in_place(in_place, enriched, text.text)
        summary["in_place"] = {"input": str(in_place), "backup": str(backup) if backup else None}
    summary["unresolved_rows"] = report.unresolved_rows(current)
    summary["report_markdown"] = markdown
    return summary


def health_files(text: InputText, health: Sequence[Finding]) -> dict[str, str]:
    """The input's file name ("file") and the fixes patch ("patch", only when it fixes something).

    Only a UTF-8 Markdown input gets a patch: the diff is UTF-8 text against the file's lines as written.
    """
    if text.origin == inputs.BUNDLED_ORIGIN:
        filename = inputs.BUNDLED_RESOURCE[1]
    elif "://" in text.origin:  # a URL, maybe followed by " (last good copy: …)"
        url = text.origin.split(" ")[0].split("?")[0].split("#")[0]
        filename = url.rstrip("/").rsplit("/", 1)[-1] or f"{text.name}.md"
    else:
        filename = Path(text.origin).name
    if text.format != "markdown" or text.encoding != "utf-8":
        return {"file": filename}
    diff = patch.to_patch(text.text, health, filename)
    return {"file": filename, "patch": diff} if diff else {"file": filename}


def _previous_issues(path: Path) -> set[tuple[str, str]] | None:
    """The (url, kind) of every finding in the previous catalogue; None when it recorded none (first run, 1.0)."""
    entries = read_json_items(path, "entries", _issues_of)
    if entries is None or all(e is None for e in entries):
        return None
    return {pair for e in entries if e for pair in e}


def _issues_of(entry: Any) -> list[tuple[str, str]] | None:
    if not isinstance(entry, dict) or not isinstance(entry.get("url"), str) or "issues" not in entry:
        return None
    issues = entry["issues"] if isinstance(entry["issues"], list) else []
    return [(entry["url"], i["kind"]) for i in issues if isinstance(i, dict) and isinstance(i.get("kind"), str)]


def _page(
    entries: Iterable[Mapping[str, Any]],
    bib_by_key: Mapping[str, str],
    history_rows: Iterable[Mapping[str, Any]],
    changes: report.Changes,
    current: Sequence[report.Entry],
    name: str,
    generated_at: str,
) -> Iterator[str]:
    """The catalogue page (NAME.html) from the entries (catalogue.to_entry's, in list order), BibTeX and history
    this run publishes, made as it is written (after the files before it: their text and this page's are never
    in memory together)."""
    added = set(changes.added)
    yield from page.to_page_chunks(
        entries,
        bib_by_key,
        history_rows,
        changes,
        name=name,
        generated_at=generated_at,
        downloads={".bib": f"{name}.bib", "JSON": f"{name}.json", "CSL-JSON": f"{name}.csl.json"},
        titles={e.url: e.title for e in current if e.url in added},
    )


def _keeping_texts(entries: Iterable[dict[str, Any]], kept: TextSpool) -> Iterator[dict[str, Any]]:
    """The catalogue's entries as the page takes them, each one's JSON text also kept for the catalogue:
    making them twice took a fifth of the write stage."""
    for entry in entries:
        kept.append(dumps(entry))
        yield entry


def _written(texts: TextSpool, count: int) -> Iterator[str]:
    """The kept entry texts, once all `count` are kept (the page was written first)."""
    if len(texts) != count:
        raise RuntimeError(f"the catalogue's entries were read before the page made them ({len(texts)} of {count})")
    yield from texts


def _keeping_entries(chunks: Iterable[str], kept: Texts) -> Iterator[str]:
    """The .bib's pieces (one entry each, bibtex.to_bibtex_chunks) as they are written, each entry's text also
    kept by its key for the page: rendering them twice took half the page's time."""
    for number, chunk in enumerate(chunks):
        text = chunk[1:] if number and chunk.startswith("\n") else chunk
        match = _BIB_KEY.match(text)
        if match:
            kept.add(match.group(1), text)
        yield chunk


def read_history_rows(state: Store) -> Iterator[dict[str, Any]]:
    """The count history as rows ({"date", "url", "key", "doi", "crossref", "semantic_scholar"}), tonight's
    included: the one place the page reads the history from (the state's change-only rows)."""
    for row in state.count_history():
        yield row.as_dict()


def _kinds_by_url(health: Iterable[Finding]) -> dict[str, list[str]]:
    """The kinds of the findings about each link that has any, in order."""
    kinds: dict[str, list[str]] = {}
    for finding in health:
        kinds.setdefault(finding.url, []).append(finding.kind)
    return kinds


def _reported(record: Record, key: str) -> report.Entry:
    """The report's view of the catalogue entry the run writes for the record."""
    res, cites = record.resolution, record.citations
    return report.Entry(
        url=record.link.url,
        title=record.title,
        key=key,
        host=record.host,
        kind=record.link.kind,
        doi=record.ids.doi,
        status=res.status,
        reason=res.reason,
        crossref=cites.crossref,
        semantic_scholar=cites.semantic_scholar,
    )


def _count_row(entry: report.Entry, date: str) -> CountRow:
    return CountRow(date, entry.url, entry.key, entry.doi, entry.crossref, entry.semantic_scholar)


def _run_summary(summary: Mapping[str, Any], carried: int) -> RunSummary:
    return RunSummary(
        entries=summary["entries"],
        resolved=summary["resolved"],
        unresolved=summary["unresolved"],
        carried_over=carried,
        requests=summary.get("requests") or {},
        degraded=summary.get("degraded") or {},
    )


def _now() -> str:
    return datetime.now(UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")


def tally(records: Iterable[Record]) -> dict[str, Any]:
    """The run's entry counts as published (carried-over records count as what they carry)."""
    return count_entries((record.host, record.resolution.status, record.link.kind) for record in records)


def count_entries(entries: Iterable[tuple[str, str, str]]) -> dict[str, Any]:
    """The counts of entries given as (host, status, link kind): entries, papers, resolved, unresolved, and
    resolved/unresolved by host."""
    by_host: dict[str, dict[str, int]] = {}
    entries_total = papers = 0
    for host, status, kind in entries:
        row = by_host.setdefault(host, {"resolved": 0, "unresolved": 0})
        row[status] += 1
        entries_total += 1
        papers += kind == "paper"
    resolved = sum(row["resolved"] for row in by_host.values())
    return {
        "entries": entries_total,
        "papers": papers,
        "resolved": resolved,
        "unresolved": entries_total - resolved,
        "by_host": dict(sorted(by_host.items())),
    }


def _remove_stale_temps(out_dir: Path, name: str, suffixes: Iterable[str]) -> None:
    """Temporary files a killed run of this list left behind (we hold its lock, so no run is writing them).

    Exactly outputs.write_text's temporary names (".NAME.SUFFIX.<8 random>.tmp"): list "a" must not take
    list "a.b"'s files, which another run may be writing.
    """
    for suffix in suffixes:
        for stale in out_dir.glob(f".{glob.escape(name)}.{glob.escape(suffix)}.{'?' * 8}.tmp"):
            with contextlib.suppress(OSError):
                stale.unlink()


def _previous_counts(path: Path) -> dict[str, report.Counts] | None:
    """The previous catalogue's citation counts by URL (what report.diff_catalogues reads), parsed as a stream;
    None on the first run (no file, or no entries array)."""
    entries = read_json_items(path, "entries", _counts_of)
    if entries is None:
        return None
    return dict(e for e in entries if e is not None)


def _counts_of(entry: Any) -> tuple[str, report.Counts] | None:
    if not isinstance(entry, dict) or not isinstance(entry.get("url"), str):
        return None
    citations = entry.get("citations")
    citations = citations if isinstance(citations, dict) else {}
    return entry["url"], (citations.get("crossref"), citations.get("semantic_scholar"))


def outputs_of(out_dir: Path, name: str) -> Mapping[str, Path]:
    """The paths a run writes, by suffix."""
    suffixes = ("bib", "json", "csl.json", "report.md", "history.jsonl", "html", store.SUFFIX)
    return {s: out_dir / f"{name}.{s}" for s in suffixes}
