"""The JSON catalogue (pure): one entry per link of the input, in input order, described by a JSON Schema.

The schema ships beside this module (catalogue.schema.json); `validate_catalogue` checks a document against
it. `generated_at` is the only run timestamp, so the same inputs and cache give byte-identical entries.
"""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from importlib import resources
from typing import Any
from urllib.parse import quote

from jsonschema import Draft202012Validator

from avenrich.bib_update import plan_entry
from avenrich.json_text import object_chunks, to_json_text
from avenrich.keys import key_for
from avenrich.matching import recognise_venue
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
    doc["sections"] = to_section_tree(records)
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
            "reason": res.reason or None,  # null, never "", when there is nothing to say
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
        "provenance": _provenance(record),
        "issues": [
            {"kind": f.kind, "message": f.message, "listed": f.listed, "found": f.found, "fix": f.fix}
            for f in record.issues
        ],
        "links": to_links(record),
        "venue_short": venue_short(record),
    }


def _provenance(record: Record) -> dict[str, dict[str, str | None]]:
    """Field -> source and date; for a .bib input, `bibtex.FIELD` entries keep each input value that verified data
    replaced ("replaced"), with where the new value came from."""
    provenance: dict[str, dict[str, str | None]] = {
        name: {"source": src, "fetched": date} for name, src, date in record.provenance
    }
    plan = plan_entry(record) if record.link.bibtex_key else None
    for change in plan.replaced if plan else ():
        provenance[f"bibtex.{change.field.lower()}"] = {
            "source": change.source,
            "fetched": change.fetched,
            "replaced": change.old,
        }
    return provenance


def to_links(record: Record) -> dict[str, str | None]:
    """Resolvable URLs of the paper: its DOI, arXiv abstract page, Semantic Scholar page, and the listed link
    (None when the listing gave no web address, as for a .bib entry without url)."""
    ids, listed = record.ids, record.link.url
    return {
        "doi": f"https://doi.org/{quote(ids.doi, safe='/:;()')}" if ids.doi else None,
        "arxiv": f"https://arxiv.org/abs/{ids.arxiv}" if ids.arxiv else None,
        "s2": f"https://www.semanticscholar.org/paper/{ids.s2}" if ids.s2 else None,
        "url": listed if listed.lower().startswith(("https://", "http://")) else None,
    }


def venue_short(record: Record) -> str | None:
    """The verified venue as a front end shows it ("CVPR 2019", "NeurIPS 2020", "CVPR Workshops 2019"), or None
    when the venue is not one matching.ACRONYMS knows, names several, or is unverified."""
    if record.resolution.status != "resolved" or not record.venue:
        return None
    found = recognise_venue(record.venue)
    if len({name for name, _ in found}) != 1:
        return None
    name, workshop = min(found)
    if name == "SIGGRAPH" and "siggraph" not in record.venue.lower():
        name = "ACM TOG"  # the journal SIGGRAPH papers appear in, not every paper of which is a SIGGRAPH paper
    label = f"{name} Workshops" if workshop else name
    return f"{label} {record.year}" if record.year else label


def to_section_tree(records: Iterable[Record]) -> list[dict[str, Any]]:
    """The list's headings as a tree, in the order they first appear, each with how many entries are listed
    under it or its sub-headings: [{"heading", "path", "order", "entries", "children": [...]}, …]."""
    tree = SectionTree()
    for record in records:
        tree.add(record.link.sections)
    return tree.roots


class SectionTree:
    """`to_section_tree` built an entry at a time (`add` each entry's section paths, in list order; `roots`)."""

    def __init__(self) -> None:
        self.roots: list[dict[str, Any]] = []
        self._nodes: dict[tuple[str, ...], dict[str, Any]] = {}
        self._last: dict[tuple[str, ...], int] = {}  # the last entry counted under each heading (each counts once)
        self._index = 0

    def add(self, sections: Iterable[Sequence[str]]) -> None:
        """The next entry's section paths."""
        nodes, index = self._nodes, self._index
        for path in sections:
            for depth in range(1, len(path) + 1):
                prefix = tuple(path[:depth])
                if prefix not in nodes:
                    nodes[prefix] = {"heading": prefix[-1], "path": list(prefix), "order": len(nodes), "entries": 0}
                    nodes[prefix]["children"] = []
                    (nodes[prefix[:-1]]["children"] if depth > 1 else self.roots).append(nodes[prefix])
                if self._last.get(prefix) != index:
                    self._last[prefix] = index
                    nodes[prefix]["entries"] += 1
        self._index += 1


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
    sections: list[dict[str, Any]] | None = None,
    entry_texts: Iterable[str] | None = None,
) -> Iterator[str]:
    """`to_json(to_catalogue(...))` a piece at a time, each entry built only when its text is wanted: the
    catalogue is written without its document or its whole text in memory (each is ~1 GB at 100k links).

    What the caller has made already, so that the records need not be walked for it: `sections`, the records'
    `to_section_tree` (a SectionTree's roots); `entry_texts`, each record's entry as its `json_text.dumps`
    text, in order (the page makes the same entries)."""
    head = to_catalogue((), keys, source=source, generated_at=generated_at, summary=summary)
    del head["entries"]
    head["sections"] = to_section_tree(records) if sections is None else sections
    if entry_texts is not None:
        return object_chunks(head, "entries", entry_texts, dumped=True)
    return object_chunks(head, "entries", (to_entry(record, key_for(record, keys)) for record in records))
