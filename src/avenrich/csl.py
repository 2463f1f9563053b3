"""CSL-JSON export (pure) for pandoc, Zotero and other citeproc users: one item per distinct paper.

Items carry the same citation keys as the BibTeX file and come in the same order (by key).
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from avenrich.json_text import to_array_chunks
from avenrich.keys import group_by_key
from avenrich.model import Author, Record
from avenrich.text import clean_text, heading_names

# Crossref type -> CSL type (https://docs.citationstyles.org/en/stable/specification.html#appendix-iii-types).
CSL_TYPES: Mapping[str, str] = {
    "proceedings-article": "paper-conference",
    "journal-article": "article-journal",
    "book-chapter": "chapter",
    "book-section": "chapter",
    "book-part": "chapter",
    "reference-entry": "entry",
    "book": "book",
    "monograph": "book",
    "edited-book": "book",
    "reference-book": "book",
    "report": "report",
    "dissertation": "thesis",
    "posted-content": "article",
    "dataset": "dataset",
}
_DASHES = re.compile(r"\s*[-‐‑‒–—―]+\s*")


def to_csl_json(records: Sequence[Record], keys: Mapping[str, str]) -> list[dict[str, Any]]:
    """CSL-JSON items, one per distinct paper (records sharing a key merge), ordered by key."""
    return [to_item(key, group) for key, group in group_by_key(records, keys)]


def to_csl_json_text(records: Sequence[Record], keys: Mapping[str, str]) -> str:
    """The CSL-JSON file: a UTF-8 JSON array, 2-space indent, final newline."""
    return "".join(to_csl_json_chunks(records, keys))


def to_csl_json_chunks(
    records: Sequence[Record], keys: Mapping[str, str], key_of: Sequence[str] | None = None
) -> Iterator[str]:
    """The CSL-JSON file an item at a time, each item built only when its text is wanted (`key_of`: each
    record's key, when the caller has them: keys.group_by_key)."""
    return to_array_chunks(to_item(key, group) for key, group in group_by_key(records, keys, key_of))


def to_item(key: str, records: Sequence[Record]) -> dict[str, Any]:
    """The CSL item of one paper from its records (one per link listing it, in input order)."""
    record = next((r for r in records if r.resolution.status == "resolved"), records[0])
    resolved = record.resolution.status == "resolved"
    item: dict[str, Any] = {"id": key, "type": _type(record)}
    title = clean_text(record.title)
    if title:
        item["title"] = title
    authors = [a for a in (_name(author) for author in record.authors) if a]
    if authors:
        item["author"] = authors
    if record.year:
        parts = [record.year, record.month] if record.month and 1 <= record.month <= 12 else [record.year]
        item["issued"] = {"date-parts": [parts]}
    if resolved:
        item.update(_details(record, item["type"]))
    if record.ids.doi:
        item["DOI"] = record.ids.doi
    item["URL"] = records[0].link.url
    keywords = _keywords(records)
    if keywords:
        item["keyword"] = keywords
    return item  # never a run diagnostic in `note` (styles print it): the JSON and the report say why


def _type(record: Record) -> str:
    if record.resolution.status == "resolved" and record.type and record.type in CSL_TYPES:
        return CSL_TYPES[record.type]
    if record.link.kind == "dataset":
        return "dataset"
    return "article" if record.ids.arxiv else "document"


def _details(record: Record, csl_type: str) -> dict[str, Any]:
    """Container, volume, issue, pages, publisher; arXiv preprints as Zotero writes them (arXiv, arXiv:ID)."""
    item: dict[str, Any] = {}
    venue = clean_text(record.venue or "")
    if venue and csl_type not in ("book", "article", "report", "thesis"):
        item["container-title"] = venue
    for name, value in (("volume", record.volume), ("issue", record.issue), ("publisher", record.publisher)):
        if value and clean_text(value):
            item[name] = clean_text(value)
    if record.pages and clean_text(record.pages):
        item["page"] = _DASHES.sub("-", clean_text(record.pages))
    if csl_type == "article" and record.ids.arxiv:
        item.setdefault("publisher", "arXiv")
        item["number"] = f"arXiv:{record.ids.arxiv}"
    elif csl_type == "article" and venue:
        item.setdefault("publisher", venue)
    return item


def _name(author: Author) -> dict[str, str] | None:
    if author.literal or not author.family:
        literal = clean_text(author.literal or author.given or author.family or "")
        return {"literal": literal} if literal else None
    name = {"family": clean_text(author.family)}
    if author.given and clean_text(author.given):
        name["given"] = clean_text(author.given)
    return name


def _keywords(records: Sequence[Record]) -> str:
    return ", ".join(heading_names(path for record in records for path in record.link.sections))
