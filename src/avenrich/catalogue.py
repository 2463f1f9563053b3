"""The JSON catalogue (pure): one entry per link of the input, in input order, described by a JSON Schema.

The schema ships beside this module (catalogue.schema.json); `validate_catalogue` checks a document against
it. `generated_at` is the only run timestamp, so the same inputs and cache give byte-identical entries.
"""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Iterator, Mapping, Sequence
from importlib import resources
from typing import Any

from jsonschema import Draft202012Validator

from avenrich.json_text import object_chunks, to_json_text
from avenrich.keys import key_for
from avenrich.model import ID_FIELDS, Author, Record

SCHEMA_VERSION = "1.1.0"
SCHEMA_FILE = "catalogue.schema.json"

_ORCID = re.compile(r"[0-9]{4}-[0-9]{4}-[0-9]{4}-[0-9]{3}[0-9X]")


def to_catalogue(
    records: Sequence[Record],
    keys: Mapping[str, str],
    *,
    source: Mapping[str, Any],
    generated_at: str,
    summary: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """The catalogue document: header, optional run summary, and one entry per record in input order."""
    doc: dict[str, Any] = {
        "schema_version": SCHEMA_VERSION,
        "generated_at": generated_at,
        "source": dict(source),
    }
    if summary is not None:
        doc["summary"] = dict(summary)
    doc["entries"] = [to_entry(record, key_for(record, keys)) for record in records]
    return doc


def to_entry(record: Record, key: str) -> dict[str, Any]:
    """One catalogue entry: the names fixed in DESIGN.md first, then what front ends use."""
    link, res, cites = record.link, record.resolution, record.citations
    return {
        "url": link.url,
        "title": record.title,
        "year": record.year,
        "sections": _headings(link.sections),
        "ids": {name: getattr(record.ids, name) for name in ID_FIELDS},
        "authors": [_author(a) for a in record.authors],
        "venue": record.venue,
        "citations": {"crossref": cites.crossref, "semantic_scholar": cites.semantic_scholar},
        "resolution": {
            "status": res.status,
            "method": res.method,
            "confidence": _score(res.confidence),
            "reason": res.reason,
            "evidence": {check: _score(score) for check, score in res.evidence},
            "candidates": list(res.candidates),
        },
        "key": key,
        "type": record.type,
        "kind": link.kind,
        "host": record.host,
        "month": record.month,
        "publisher": record.publisher,
        "volume": record.volume,
        "issue": record.issue,
        "pages": record.pages,
        "section_paths": [list(path) for path in link.sections],
        "citations_detail": {
            "crossref_date": cites.crossref_date,
            "semantic_scholar_date": cites.semantic_scholar_date,
            "influential": cites.influential,
        },
        "duplicates": list(record.duplicates),
        "listed_title": link.title,
        "listed_year": link.year,
        "listed_authors": list(link.authors),
        "venue_tag": link.venue_tag,
        "institution": link.institution,
        "line": link.line,
        "listed_key": link.bibtex_key,
        "provenance": {name: {"source": src, "fetched": date} for name, src, date in record.provenance},
        "issues": [
            {"kind": f.kind, "message": f.message, "listed": f.listed, "found": f.found, "fix": f.fix}
            for f in record.issues
        ],
    }


def _headings(paths: Sequence[Sequence[str]]) -> list[str]:
    """The distinct headings of every section path, in order: ["heading", "sub-heading", "other heading"]."""
    seen: list[str] = []
    for path in paths:
        for heading in path:
            if heading not in seen:
                seen.append(heading)
    return seen


def _author(author: Author) -> dict[str, str | None]:
    return {
        "given": author.given,
        "family": author.family,
        "literal": author.literal,
        "orcid": _orcid(author.orcid),
        "s2_id": author.s2_id,
    }


def _orcid(value: str | None) -> str | None:
    """The bare ORCID iD (0000-0002-1825-0097), also from its https://orcid.org/… form."""
    match = _ORCID.search(value or "")
    return match.group(0) if match else None


def _score(value: float) -> float:
    """Scores rounded to 4 places, so float noise never changes the file."""
    return round(float(value), 4)


@functools.cache
def read_schema() -> dict[str, Any]:
    """The catalogue's JSON Schema (draft 2020-12), shipped in the package."""
    text = resources.files("avenrich").joinpath(SCHEMA_FILE).read_text(encoding="utf-8")
    schema: dict[str, Any] = json.loads(text)
    return schema


def validate_catalogue(doc: Any) -> list[str]:
    """Every way the document departs from the schema, one line each ("entries/3/year: …"); empty if valid."""
    validator = Draft202012Validator(read_schema())
    problems = sorted(validator.iter_errors(doc), key=lambda e: [str(p) for p in e.absolute_path])
    return [f"{'/'.join(str(p) for p in e.absolute_path) or '(document)'}: {e.message}" for e in problems]


def to_json(doc: Mapping[str, Any]) -> str:
    """The document as UTF-8 JSON text: keys in insertion order, 2-space indent, final newline."""
    return to_json_text(doc)


def to_json_chunks(
    records: Sequence[Record],
    keys: Mapping[str, str],
    *,
    source: Mapping[str, Any],
    generated_at: str,
    summary: Mapping[str, Any] | None = None,
) -> Iterator[str]:
    """`to_json(to_catalogue(...))` a piece at a time, each entry built only when its text is wanted: the
    catalogue is written without its document or its whole text in memory (each is ~1 GB at 100k links)."""
    head = to_catalogue((), keys, source=source, generated_at=generated_at, summary=summary)
    del head["entries"]
    return object_chunks(head, "entries", (to_entry(record, key_for(record, keys)) for record in records))
