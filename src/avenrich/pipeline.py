"""The stages behind the flow's tasks, as plain functions (pure except `load_overrides` and warnings logged).

Each Prefect task in flow.py calls exactly one of these, so the whole pipeline is testable without Prefect.
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Collection, Iterable, Iterator, Mapping, MutableSequence, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from avenrich import decisions, findings, identifiers, listing, merging
from avenrich.errors import InputError
from avenrich.inputs import InputText
from avenrich.json_text import loads
from avenrich.model import Link, Record
from avenrich.overrides import Overrides, parse_overrides
from avenrich.publish import render_streams, tally
from avenrich.resolve import Item, Outcome, prepare
from avenrich.sources import Sources
from avenrich.store import Store

log = logging.getLogger("avenrich.pipeline")
R = TypeVar("R", bound=MutableSequence[Record])

# Links resolved at once (kept → lookups → search and verify → merge): what those stages hold (outcomes, the
# sources' records) grows with this, not with the list. A multiple of S2's 500-id batch and Crossref's 100 DOIs.
BATCH = 5_000


@dataclass(frozen=True, slots=True)
class Rendered:
    """The text of every output file (by suffix) and the key registry to keep for the next run."""

    files: Mapping[str, str]
    registry: Mapping[str, str]


def parse(text: InputText) -> list[Link]:
    """The distinct links of the input, Markdown or BibTeX.

    BibTeX blocks that cannot be used are logged as warnings (the operator sees what was left out); a file
    where no entry at all is usable is an InputError, so it never replaces the previous outputs.
    """
    if text.format == "bibtex":
        links, problems = listing.parse_bibtex_report(text.text)
        if problems and not links:
            raise InputError(f"{text.origin}: no usable BibTeX entry ({len(problems)} broken; first: {problems[0]})")
        for problem in problems:
            log.warning("%s: skipped a BibTeX block: %s", text.name, problem)
        return links
    return listing.parse_markdown(text.text)


def identify(links: Sequence[Link], overrides: Overrides) -> list[Item]:
    """Identifiers from every link (curator pins applied)."""
    return prepare(links, [identifiers.match_link(link.url) for link in links], overrides)


def keep(
    items: Sequence[Item], state: Store, sources: Sources, overrides: Overrides, recheck: bool = False
) -> dict[str, Outcome]:
    """The outcomes of links decided on an earlier night that still hold (decisions.py): same inputs, same rule
    book, within their validity, every record still cached. None with `recheck` (the full path for every link)."""
    if recheck:
        return {}
    names, today = [source.name for source in sources.all()], sources.today()
    papers = {item.link.url: item for item in items if item.link.kind == "paper"}
    kept: dict[str, Outcome] = {}
    for decision in state.decisions(papers):
        if not decisions.still_holds(decision, decisions.inputs_of(papers[decision.url], overrides, names), today):
            continue
        outcome = decisions.outcome_from_json(loads(decision.outcome))
        if all(sources[work.source].holds(work) for work in outcome.works):  # its sources are in its inputs
            kept[decision.url] = outcome
    return kept


def remember(
    items: Sequence[Item],
    outcomes: Mapping[str, Outcome],
    kept: Collection[str],
    state: Store,
    sources: Sources,
    overrides: Overrides,
    failures: bool = False,
) -> None:
    """Keep a batch's new decisions (complete outcomes of papers decided anew; `kept` are the URLs whose earlier
    decision was kept; after a batch with `failures`, resolved ones only), in one transaction. The decisions of
    links no longer listed go once the whole list is resolved (`forget_unlisted`)."""
    names, today = [source.name for source in sources.all()], sources.today()
    with state.transaction():
        state.save_decisions(
            decisions.decide(item, outcomes[item.link.url], overrides, names, today)
            for item in items
            if item.link.url not in kept and decisions.keepable(item, outcomes[item.link.url], unresolved=not failures)
        )


def forget_unlisted(items: Sequence[Item], state: Store) -> None:
    """Drop the decisions of links the list no longer holds."""
    with state.transaction():
        state.drop_decisions({item.link.url for item in items})


def batches(items: Sequence[Item], size: int = BATCH) -> Iterator[list[Item]]:
    """The items in runs of `size` (at least 1), in input order, each a new list (the caller may empty it)."""
    size = max(1, size)
    for start in range(0, len(items), size):
        yield list(items[start : start + size])


def load_overrides(path: str | None, input_source: str | None) -> Overrides:
    """The curator's overrides: the given file, else `overrides.toml` next to a local input, else none."""
    if path is None and input_source and "://" not in input_source:
        beside = Path(input_source).expanduser().parent / "overrides.toml"
        path = str(beside) if beside.is_file() else None
    if path is None:
        return Overrides()
    try:
        text = Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"cannot read overrides {path}: {exc.__class__.__name__}") from None
    return parse_overrides(text, origin=path)


def build_records(
    items: Sequence[Item], outcomes: Mapping[str, Outcome], overrides: Overrides | None = None
) -> list[Record]:
    """One merged record per link, in input order, with likely duplicates and list-health findings noted
    (findings the curator silenced in the overrides left out): `merge_records` then `note_issues`, for a list
    resolved in one batch."""
    return note_issues(merge_records(items, outcomes, duplicates_of(items)), items, overrides)


def duplicates_of(items: Sequence[Item]) -> dict[str, tuple[str, ...]]:
    """url -> the other links of the whole list that are likely the same paper (findings.likely_duplicates)."""
    return findings.likely_duplicates([(item.link, item.match.ids) for item in items])


def merge_records(
    items: Sequence[Item], outcomes: Mapping[str, Outcome], duplicates: Mapping[str, tuple[str, ...]]
) -> list[Record]:
    """One merged record per link of a batch, in input order; `duplicates` are the whole list's (duplicates_of)."""
    records = []
    for item in items:
        outcome = outcomes[item.link.url]
        record = merging.merge(
            item.link,
            item.match.host,
            outcome.ids,
            outcome.choice.resolution,
            outcome.works,
            duplicates.get(item.link.url, ()),
        )
        records.append(dataclasses.replace(record, failed=outcome.failed) if outcome.failed else record)
    return records


def note_issues(records: R, items: Sequence[Item], overrides: Overrides | None = None) -> R:
    """The whole list's records (a list, or a spool.Spool on disk), one per item in the items' order, with their
    list-health findings (findings.find_issues), replaced in place: only the records with findings are read
    again."""
    link_ids = {item.link.url: item.match.ids for item in items}
    issues = findings.find_issues(records, link_ids, overrides.ignores if overrides else ())
    for number, item in enumerate(items):
        if item.link.url in issues:
            record = records[number]
            if record.link.url != item.link.url:
                raise ValueError(f"record {number} is {record.link.url}, not the item's {item.link.url}")
            records[number] = dataclasses.replace(record, issues=issues[item.link.url])
    return records


def render(records: Sequence[Record], registry: Mapping[str, str], **options: Any) -> Rendered:
    """BibTeX, JSON catalogue and CSL-JSON text, with stable keys taken from (and added to) the registry
    (publish.render_streams' pieces joined; `options` as it takes them)."""
    streams = render_streams(records, registry, **options)
    return Rendered({suffix: "".join(pieces) for suffix, pieces in streams.files.items()}, streams.registry)


def in_place_target(source: str | None, text: InputText) -> str:
    """The file `--in-place` rewrites: the local .bib input; an InputError for any other input."""
    if source is None or "://" in text.origin or text.format != "bibtex":
        raise InputError(f"--in-place rewrites a local BibTeX input; {source or 'the bundled list'} is not one")
    return source


def summarise(
    records: Iterable[Record],
    *,
    requests: Mapping[str, Any],
    degraded: Mapping[str, str],
    overrides: int,
) -> dict[str, Any]:
    """The run's numbers: entries, resolved/unresolved overall and by link kind (publish.tally), then
    `run_numbers`."""
    return {**tally(records), **run_numbers(requests=requests, degraded=degraded, overrides=overrides)}


def run_numbers(*, requests: Mapping[str, Any], degraded: Mapping[str, str], overrides: int) -> dict[str, Any]:
    """The run's numbers besides its entries' (which publish counts as published): requests, degraded sources,
    overrides."""
    return {"requests": dict(requests), "degraded": dict(sorted(degraded.items())), "overrides": overrides}
