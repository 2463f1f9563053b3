"""The Prefect flow (edge): read → parse → identifiers → lookups → search and verify → merge → write.

Tasks are one-line wrappers over pipeline/resolve functions and work at batch granularity. Retrying lives in
the HTTP layer (tenacity) and caching in diskcache, so tasks have retries=0 and NO_CACHE. Flow parameters
are plain, non-secret values; the flow builds Settings (with the S2 key) from the environment itself.
Import this module only after `prefect_env.prepare_prefect_env()`.
"""

from __future__ import annotations

import dataclasses
import os
import re
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar, cast

from prefect import flow, get_run_logger, task
from prefect.artifacts import create_markdown_artifact, create_table_artifact
from prefect.cache_policies import NO_CACHE
from prefect.client.schemas.objects import State
from prefect.states import Failed
from prefect.utilities.annotations import quote

from avenrich import __version__, inputs, memory, pipeline, preflight, resolve
from avenrich.cache import DiskJsonCache
from avenrich.config import Settings
from avenrich.errors import InputError
from avenrich.inputs import InputText
from avenrich.model import Link, Record
from avenrich.overrides import Overrides
from avenrich.progress import current_progress, deliver
from avenrich.publish import RunLock, open_state, publish
from avenrich.resolve import Item, Ledger, Outcome
from avenrich.sources import Sources, open_sources
from avenrich.spool import Spool
from avenrich.store import Store

T = TypeVar("T")


def _opaque(value: T) -> T:
    """The value in Prefect's quote(): the task gets it as is, and Prefect does not walk every element looking
    for futures (which made a 100k-link list spend minutes between the stages; the UI loses the task edges)."""
    return cast(T, quote(value))


@task(name="read", retries=0, cache_policy=NO_CACHE)
def read_task(source: str | None, out_dir: str, name: str | None, offline: bool) -> InputText | InputError:
    """The input (as the CLI already read it, or read now); an unusable input is returned, not raised, so the
    flow run ends Failed with one line in its log instead of a traceback."""
    try:
        handed = preflight.take(source, out_dir, name, offline)
        return handed or preflight.read_run_input(source, Path(out_dir), name, offline=offline)
    except InputError as exc:
        return exc


@task(name="parse", retries=0, cache_policy=NO_CACHE)
def parse_task(text: InputText) -> list[Link]:
    return pipeline.parse(text)


@task(name="identifiers", retries=0, cache_policy=NO_CACHE)
def identify_task(links: Sequence[Link], overrides: Overrides) -> list[Item]:
    return pipeline.identify(links, overrides)


@task(name="kept", retries=0, cache_policy=NO_CACHE)
def keep_task(
    items: Sequence[Item], state: Store, sources: Sources, overrides: Overrides, recheck: bool
) -> dict[str, Outcome]:
    return pipeline.keep(items, state, sources, overrides, recheck)


@task(name="lookups", retries=0, cache_policy=NO_CACHE)
def lookup_task(items: Sequence[Item], sources: Sources) -> Ledger:
    return resolve.lookup(items, sources, current_progress())


@task(name="search-and-verify", retries=0, cache_policy=NO_CACHE)
def search_task(
    items: Sequence[Item],
    ledger: Ledger,
    sources: Sources,
    overrides: Overrides,
    kept: dict[str, Outcome],
    state: Store,
) -> dict[str, Outcome]:
    """Search and verify (the kept outcomes move into the result), then keep tonight's new decisions."""
    urls = frozenset(kept)
    outcomes = resolve.search_and_verify(items, ledger, sources, overrides, current_progress(), kept)
    failures = bool(ledger.failures or sources.degraded())
    pipeline.remember(items, outcomes, urls, state, sources, overrides, failures)
    return outcomes


@task(name="merge", retries=0, cache_policy=NO_CACHE)
def merge_task(
    items: Sequence[Item], outcomes: Mapping[str, Outcome], duplicates: Mapping[str, tuple[str, ...]]
) -> list[Record]:
    return pipeline.merge_records(items, outcomes, duplicates)


@task(name="findings", retries=0, cache_policy=NO_CACHE)
def findings_task(records: Spool, items: Sequence[Item], overrides: Overrides) -> Spool:
    return pipeline.note_issues(records, items, overrides)


@task(name="write", retries=0, cache_policy=NO_CACHE)
def write_task(
    records: Sequence[Record],
    text: InputText,
    out_dir: str,
    summary: dict[str, Any],
    generated_at: str,
    state: Store,
    run_id: int,
    pins: Mapping[str, str],
    in_place: str | None,
) -> dict[str, Any]:
    path = Path(in_place) if in_place else None
    return publish(records, text, Path(out_dir), summary, generated_at, state, run_id, pins, path)


def run_name() -> str:
    """The flow run's name: enrich-NAME, NAME being the output stem the run will use."""
    from prefect.runtime import flow_run

    params = flow_run.parameters
    return f"enrich-{params.get('name') or inputs.default_name(params.get('input'))}"


@flow(name="avenrich", flow_run_name=run_name, validate_parameters=False)
def enrich(
    input: str | None = None,
    out_dir: str = "outputs",
    name: str | None = None,
    cache_dir: str | None = None,
    offline: bool = False,
    overrides: str | None = None,
    generated_at: str | None = None,
    in_place: bool = False,
    fail_on_degraded: bool = False,
    recheck: bool = False,
    batch_size: int = pipeline.BATCH,
) -> dict[str, Any] | State[Any]:
    """Enrich one paper list into NAME.bib, NAME.json, NAME.csl.json and NAME.report.md in out_dir; with
    in_place, a local .bib input is also rewritten as its enriched self (the old file kept as .bak).

    A run with a source unavailable logs a WARNING; with `fail_on_degraded` it ends Failed after publishing.
    A link decided on an earlier night whose inputs and records have not changed keeps its outcome
    (decisions.py) and only its counts are refreshed; `recheck` takes every link through the full path.

    Links are resolved `batch_size` at a time (kept → lookups → search-and-verify → merge, each batch's
    decisions committed to the state as it ends): those stages hold one batch's outcomes and records, never
    the whole list's. The outputs do not depend on the batch size.
    """
    logger = get_run_logger()
    settings = Settings.from_env(os.environ)
    settings = dataclasses.replace(
        settings, offline=offline, cache_dir=Path(cache_dir) if cache_dir else settings.cache_dir
    )
    stamp = generated_at or datetime.now(UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")
    curated = pipeline.load_overrides(overrides, input)
    stem = name or inputs.default_name(input)
    with (
        RunLock(Path(out_dir), stem),
        open_state(Path(out_dir), stem) as state,
        DiskJsonCache(settings.cache_dir) as cache,
        # Each batch's merged records go to a spool as it ends: past spool.IN_MEMORY records, to disk, read back
        # one at a time by findings and the write stage, so no stage holds a long list's records.
        Spool(directory=state.path.parent) as records,
    ):
        run_id = state.start_run(stamp, input or "(bundled list)", __version__)
        sources = open_sources(settings, cache)
        try:
            text = read_task(input, out_dir, name, offline)
            if isinstance(text, InputError):
                logger.error("%s", text)
                return Failed(message=str(text))
            if note := preflight.input_note(text.origin):
                logger.warning("%s", note)
            links = parse_task(_opaque(text))
            items = identify_task(_opaque(links), _opaque(curated))
            memory.release(links)
            duplicates = pipeline.duplicates_of(items)
            failed: dict[str, str] = {}  # sources that failed for some requests (retries exhausted), first why
            kept_count = 0
            for batch in pipeline.batches(items, batch_size):
                kept = keep_task(_opaque(batch), _opaque(state), _opaque(sources), _opaque(curated), recheck)
                kept_count += len(kept)
                fresh = [item for item in batch if item.link.url not in kept]
                ledger = lookup_task(_opaque(fresh), _opaque(sources))
                outcomes = search_task(
                    _opaque(batch), _opaque(ledger), _opaque(sources), _opaque(curated), _opaque(kept), _opaque(state)
                )
                for source, why in ledger.failures.items():
                    failed.setdefault(source, why)
                sources.forget()  # what the sources memoised: the outcomes hold what is published
                merged = merge_task(_opaque(batch), _opaque(outcomes), _opaque(duplicates))
                records.extend(merged)
                # Prefect holds every task's arguments and result to the end of the flow run: emptied, a batch's
                # items and outcomes go when nothing else holds them.
                memory.release(ledger, outcomes, merged, fresh, batch)
            pipeline.forget_unlisted(items, state)
            records = findings_task(_opaque(records), _opaque(items), _opaque(curated))
            # The entry counts are publish's, from the records as published (lastgood may carry some over).
            summary = pipeline.run_numbers(
                requests=sources.stats.as_dict(), degraded=sources.degraded(), overrides=len(curated)
            )
            summary["version"] = __version__
            summary["kept"] = kept_count
            # Sources that failed for some requests (retries exhausted) or could not be asked: what they would
            # have said cannot replace a verified result (lastgood).
            summary["failed"] = {**failed, **sources.degraded()}
            memory.release(items, duplicates)
            published: dict[str, Any] = write_task(
                _opaque(records),
                _opaque(text),
                out_dir,
                _opaque(summary),
                stamp,
                _opaque(state),
                run_id,
                _opaque(curated.keys),
                pipeline.in_place_target(input, text) if in_place else None,
            )
        finally:
            sources.close()
    publish_artifacts(published)
    deliver(published)
    if degraded := published.get("degraded"):
        message = "degraded run: " + "; ".join(f"{source}: {why}" for source, why in degraded.items())
        logger.warning("%s", message)
        if fail_on_degraded:
            return Failed(message=message)
    return published


# Prefect's server refuses events of many MB (a 100k-link list's report is ~20 MB): artifacts are capped,
# and the full report stays in NAME.report.md.
ARTIFACT_MAX_CHARS = 500_000
ARTIFACT_MAX_ROWS = 2_000


def publish_artifacts(summary: Mapping[str, Any]) -> None:
    """The run report as a Markdown artifact; the unresolved entries and the list-health findings as table artifacts
    (Prefect UI)."""
    slug = re.sub(r"[^a-z0-9]+", "-", str(summary.get("name", "list")).lower()).strip("-") or "list"
    markdown = str(summary["report_markdown"])
    if len(markdown) > ARTIFACT_MAX_CHARS:
        cut = markdown.rfind("\n", 0, ARTIFACT_MAX_CHARS)
        markdown = markdown[:cut] + f"\n\n… truncated: the full report is {summary.get('name')}.report.md\n"
    degraded = ", ".join(summary.get("degraded") or {})
    if degraded:
        lead = f"> **Degraded run**: {degraded} unavailable; entries they would have resolved stay unresolved."
        markdown = f"{lead}\n\n{markdown}"
    description = f"avenrich run report (DEGRADED: {degraded} unavailable)" if degraded else "avenrich run report"
    create_markdown_artifact(markdown=markdown, key=f"{slug}-report", description=description)
    rows = list(summary["unresolved_rows"])[:ARTIFACT_MAX_ROWS] or [
        {"title": "(none)", "url": "", "host": "", "reason": ""}
    ]
    create_table_artifact(
        table=rows,
        key=f"{slug}-unresolved",
        description=f"Unresolved entries and why (first {ARTIFACT_MAX_ROWS})",
    )
    health = list(summary.get("health_rows") or [])[:ARTIFACT_MAX_ROWS] or [
        {"line": "", "kind": "(none)", "url": "", "message": "", "fix": ""}
    ]
    create_table_artifact(
        table=health,
        key=f"{slug}-list-health",
        description=f"List health: what the list itself gets wrong, by line (first {ARTIFACT_MAX_ROWS})",
    )
