"""The JSON catalogue (pure): one entry per link of the input, in input order, described by a JSON Schema.

The schema ships beside this module (catalogue.schema.json); `validate_catalogue` checks a document against
it. `generated_at` is the only run timestamp, so the same inputs and cache give byte-identical entries.
"""

from __future__ import annotations

import dataclasses
import functools
import json
import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from importlib import resources
from typing import Any

from jsonschema import Draft202012Validator

from avenrich.keys import key_for
from avenrich.model import Author, Ids, Record

SCHEMA_VERSION = "1.1.0"
SCHEMA_FILE = "catalogue.schema.json"

_ID_FIELDS = tuple(f.name for f in dataclasses.fields(Ids))
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
        "ids": {name: getattr(record.ids, name) for name in _ID_FIELDS},
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
            "checked": res.checked,
            "stale": res.stale,
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
    return _json_chunks(head, "entries", (to_entry(record, key_for(record, keys)) for record in records))


def to_json_text(value: Any) -> str:
    """`json.dumps(value, indent=2, ensure_ascii=False)` and a final newline, encoded item by item when the
    value is a list or a dict ending in one (the entries): the same text, without the list of every token of
    the whole document that one json.dumps call builds first (several times the text: gigabytes at 100k links).
    """
    return "".join(to_text_chunks(value))  # one join: no intermediate copy of the body


def to_text_chunks(value: Any) -> Iterator[str]:
    """The pieces of `to_json_text(value)`: the head, then one piece per item of the list."""
    if isinstance(value, list):
        return to_array_chunks(value)
    if isinstance(value, dict) and value:
        *keys, last = value
        if isinstance(last, str) and isinstance(value[last], list):
            return _json_chunks({k: value[k] for k in keys}, last, value[last])
    return iter([_dumps(value) + "\n"])


def to_array_chunks(items: Iterable[Any]) -> Iterator[str]:
    """`to_json_text(list(items))` a piece per item, each item taken only when its text is wanted."""
    return _json_chunks(None, None, items)


def _json_chunks(head: Mapping[str, Any] | None, name: str | None, items: Iterable[Any]) -> Iterator[str]:
    """A list (name None) or an object of `head` then `name: items`, as json.dumps(indent=2) pieces."""
    if name is None:
        indent, start, empty, end = "  ", "[\n", "[]\n", "\n]\n"
    else:
        indent, end = "    ", "\n  ]\n}\n"
        start = (_dumps(head)[:-2] + ",\n" if head else "{\n") + "  " + _dumps(name) + ": [\n"
        empty = _dumps({**(head or {}), name: []}) + "\n"
    separator = start
    for item in items:
        yield separator + indent + _dumps(item).replace("\n", "\n" + indent)
        separator = ",\n"
    yield end if separator != start else empty


def _dumps(value: Any) -> str:
    return json.dumps(value, indent=2, ensure_ascii=False)
