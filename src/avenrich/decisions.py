"""A night costs what changed (pure): when a link's last verified resolution may be kept without re-matching.

A decision is the outcome resolution reached for one link (resolve.Outcome: the resolution, the ids, the
works it was merged from), kept in the state (`decisions` table) with what it was decided on:

- `inputs`: the link as read (URL, title, year, venue tag, authors, institution, kind, its BibTeX fields), what its URL
  says, the curator's pin and rejections for it, and the sources asked;
- `rules`: the rule book's version (RULES_VERSION: avenrich's version and a digest of the code of the modules
  that decide, RULE_MODULES): new rules, or a release, decide everything anew;
- `valid_until`: the last date the records it rests on are certain to be the ones a full run would read from
  the cache. A record's metadata is cached METADATA_TTL; a source's "no such record" and a search without
  hits NOT_FOUND_TTL / NO_HIT_SEARCH_TTL. So a decision lasts until a day before the first of its records'
  metadata expires, and at most REUSE_DAYS after it was made: every link goes the full path at least weekly,
  where a source that did not know the paper is asked again.

Only a paper's complete outcome is kept: resolved, or unresolved by sources that all answered (an outcome a
failure shaped goes the full path every night, and on a night with any failure no unresolved one is kept: its
reason may name that failure). A kept outcome is reused when its inputs and rules are unchanged, the date is
within `valid_until`, every one of its records is still in the cache, and `--recheck` was not given; its
citation counts are then refreshed like any other (resolve.search_and_verify).
"""

from __future__ import annotations

import dataclasses
import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from avenrich import __version__, lastgood
from avenrich.cache import DAY, METADATA_TTL, NO_HIT_SEARCH_TTL, NOT_FOUND_TTL
from avenrich.json_text import dumps_compact
from avenrich.matching import Choice
from avenrich.model import Author, Ids, Resolution, Work
from avenrich.overrides import Overrides
from avenrich.resolve import Item, Outcome

# The modules whose code decides a link's outcome from its inputs and records: matching, resolution, what a
# URL says, text folding, names, and the sources' parsers. Any change to them is a new rule book.
RULE_MODULES = (
    "matching.py",
    "resolve.py",
    "identifiers.py",
    "text.py",
    "names.py",
    "model.py",
    "decisions.py",
    "sources/base.py",
    "sources/crossref.py",
    "sources/semantic_scholar.py",
)


def rules_version() -> str:
    """The rule book's version: avenrich's version and a digest of the rule modules' code, so that any change to
    the rules (a release, or a developer's edit) decides every link anew; the version alone where the code cannot
    be read (a zipped install)."""
    digest = hashlib.sha256()
    root = Path(__file__).resolve().parent
    try:
        for name in RULE_MODULES:
            digest.update((root / name).read_bytes())
    except OSError:
        return __version__
    return f"{__version__}/{digest.hexdigest()[:16]}"


RULES_VERSION = rules_version()

# The longest a decision is kept: a day less than the shortest TTL of an answer it may rest on ("no such
# record", a search without hits), so that a full run would still read the same answers.
REUSE_DAYS = int(min(NOT_FOUND_TTL, NO_HIT_SEARCH_TTL) // DAY) - 1
# A decision ends a day before its first record's metadata expires (dates are whole days).
METADATA_DAYS = int(METADATA_TTL // DAY) - 1


@dataclass(frozen=True, slots=True)
class Decision:
    """A kept outcome as the state holds it: what it was decided on, until when, and the outcome (JSON text)."""

    url: str
    inputs: str
    rules: str
    decided: str
    valid_until: str
    outcome: str


def inputs_of(item: Item, overrides: Overrides, sources: Sequence[str]) -> str:
    """What a link's outcome is decided on, as JSON text (equal text, equal inputs)."""
    link, url = item.link, item.link.url
    pin = overrides.pins.get(url)
    return dumps_compact(
        {
            "url": url,
            "title": link.title,
            "year": link.year,
            "venue": link.venue_tag,
            "authors": list(link.authors),
            "kind": link.kind,
            "institution": link.institution,
            "bibtex": [list(pair) for pair in link.bibtex],
            "host": item.match.host,
            "ids": ids_to_json(item.match.ids),
            "pin": ids_to_json(pin) if pin is not None else None,
            "rejects": sorted(overrides.rejects.get(url, ())),
            "sources": list(sources),
        }
    )


def keepable(item: Item, outcome: Outcome, *, unresolved: bool = True) -> bool:
    """An outcome worth keeping: a paper's, complete (no failure shaped it), and either resolved from dated
    records or, with `unresolved`, unresolved by the sources that answered (not for want of an answer)."""
    if item.link.kind != "paper" or not outcome.complete:
        return False
    res = outcome.choice.resolution
    if res.status == "resolved":
        return outcome.choice.work is not None and bool(outcome.works) and all(w.fetched for w in outcome.works)
    return unresolved and res.method not in lastgood.UNDECIDED_METHODS


def valid_until(outcome: Outcome, today: str) -> str:
    """The last date the outcome may be reused (see the module's docstring)."""
    limit = date.fromisoformat(today) + timedelta(days=REUSE_DAYS)
    for work in outcome.works:
        fetched = date.fromisoformat(str(work.fetched)[:10])
        limit = min(limit, fetched + timedelta(days=METADATA_DAYS))
    return limit.isoformat()


def decide(item: Item, outcome: Outcome, overrides: Overrides, sources: Sequence[str], today: str) -> Decision:
    """The decision to keep for a keepable outcome."""
    return Decision(
        url=item.link.url,
        inputs=inputs_of(item, overrides, sources),
        rules=RULES_VERSION,
        decided=today,
        valid_until=valid_until(outcome, today),
        outcome=dumps_compact(outcome_to_json(outcome)),
    )


def still_holds(decision: Decision, inputs: str, today: str) -> bool:
    """The decision may be reused tonight for a link read with these inputs (its records' presence in the cache
    is for the caller to check)."""
    return decision.rules == RULES_VERSION and decision.inputs == inputs and today <= decision.valid_until


# -- outcomes as JSON ----------------------------------------------------------------------------------------


def outcome_to_json(outcome: Outcome) -> dict[str, Any]:
    """Everything a complete outcome holds that the run uses: resolution, ids, works, which work was chosen."""
    chosen = next((i for i, work in enumerate(outcome.works) if work is outcome.choice.work), None)
    return {
        "resolution": resolution_to_json(outcome.choice.resolution),
        "ids": ids_to_json(outcome.ids),
        "works": [_work(work) for work in outcome.works],
        "chosen": chosen,
        "work": _work(outcome.choice.work) if chosen is None and outcome.choice.work is not None else None,
    }


def outcome_from_json(data: Mapping[str, Any]) -> Outcome:
    """The outcome `outcome_to_json` kept (the chosen work is the very object among the works)."""
    works = tuple(_work_from(w) for w in data["works"])
    chosen = data.get("chosen")
    work = works[chosen] if isinstance(chosen, int) else (_work_from(data["work"]) if data.get("work") else None)
    resolution = resolution_from_json(data["resolution"])
    return Outcome(Choice(resolution, work, ()), Ids(**data["ids"]), works)


def resolution_from_json(res: Mapping[str, Any], checked: str | None = None) -> Resolution:
    """The resolution `resolution_to_json` kept (scores as they were written: 1 stays 1, 0.5 stays 0.5)."""
    return Resolution(
        status=res["status"],
        method=res["method"],
        confidence=res["confidence"],
        reason=res["reason"],
        evidence=tuple((str(name), score) for name, score in res["evidence"]),
        candidates=tuple(res["candidates"]),
        checked=checked,
    )


def resolution_to_json(res: Resolution) -> dict[str, Any]:
    """A resolution as the state keeps it (with its outcome, or with a verified record), its date apart."""
    return {
        "status": res.status,
        "method": res.method,
        "confidence": res.confidence,
        "reason": res.reason,
        "evidence": [list(pair) for pair in res.evidence],
        "candidates": list(res.candidates),
    }


def ids_to_json(ids: Ids) -> dict[str, str]:
    """The ids the state keeps: the fields that are set."""
    return {name: value for name in Ids.__slots__ if (value := getattr(ids, name)) is not None}


_WORK_TUPLES = ("relations", "flags")


def _work(work: Work) -> dict[str, Any]:
    data: dict[str, Any] = {}
    for field in dataclasses.fields(Work):
        value = getattr(work, field.name)
        if field.name == "ids":
            data["ids"] = ids_to_json(value)
        elif field.name == "authors":
            data["authors"] = [author_to_json(a) for a in value]
        elif field.name in _WORK_TUPLES:
            if value:
                data[field.name] = [list(v) if isinstance(v, tuple) else v for v in value]
        elif value is not None:
            data[field.name] = value
    return data


def _work_from(data: Mapping[str, Any]) -> Work:
    fields: dict[str, Any] = dict(data)
    fields["ids"] = Ids(**data["ids"])
    fields["authors"] = tuple(Author(**a) for a in data.get("authors", ()))
    if "relations" in data:
        fields["relations"] = tuple((str(r), str(d)) for r, d in data["relations"])
    if "flags" in data:
        fields["flags"] = tuple(data["flags"])
    return Work(**fields)


def author_to_json(author: Author) -> dict[str, str]:
    """An author as the state keeps it: the fields that are set."""
    return {name: value for name in Author.__slots__ if (value := getattr(author, name)) is not None}
