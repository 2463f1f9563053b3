"""Merge what the list, Crossref and Semantic Scholar say about one link into a Record (pure).

Precedence per field is the PRECEDENCE table; FOLLOWERS keep fields that belong together (month with
year; pages, volume, issue, publisher with venue) from one source record. Each field carries its provenance.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence

from avenrich.matching import is_preprint_record
from avenrich.memory import share as shared
from avenrich.model import (
    CROSSREF,
    ID_FIELDS,
    LIST,
    SEMANTIC_SCHOLAR,
    Author,
    Citations,
    Ids,
    Link,
    Record,
    Resolution,
    Work,
)
from avenrich.names import parse_listed_name

# (field, sources in order of trust). Within a row, versions of record come before preprints
# (matching.is_preprint_record), whatever their source, so a CVPR record beats the arXiv record of the same
# paper; then the row's order decides: Crossref is the registration agency of the DOI (titles and authors
# as deposited by the publisher), Semantic Scholar covers DOI-less proceedings (NeurIPS, CVF, ACL), and the
# list is the fallback.
PRECEDENCE: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("title", (CROSSREF, SEMANTIC_SCHOLAR, LIST)),
    ("authors", (CROSSREF, SEMANTIC_SCHOLAR, LIST)),
    ("year", (CROSSREF, SEMANTIC_SCHOLAR, LIST)),
    ("type", (CROSSREF, SEMANTIC_SCHOLAR, LIST)),
    ("venue", (CROSSREF, SEMANTIC_SCHOLAR)),
)

# (field, leader): the field is taken from the record that gave the leader, so a month never belongs to
# another version's year and pages never belong to another venue. Without a leader from a source record,
# the field follows the leader's precedence on its own.
FOLLOWERS: tuple[tuple[str, str], ...] = (
    ("month", "year"),
    ("publisher", "venue"),
    ("pages", "venue"),
    ("volume", "venue"),
    ("issue", "venue"),
)

# Publication years we believe; anything else is treated as missing.
YEARS = (1600, 2100)

# Ids a source record may add to the ids the caller resolved (never replacing one): version-of-record first.


def merge(
    link: Link,
    host: str,
    ids: Ids,
    resolution: Resolution,
    works: Sequence[Work],
    duplicates: tuple[str, ...] = (),
) -> Record:
    """The published record of one link: the fields of the best source for each, with provenance.

    `works` are the chosen paper's records from each source (a preprint version may be among them);
    they are ignored when the link is unresolved, since nothing confirmed they are this paper.
    """
    usable = _ranked(works) if resolution.status == "resolved" else []
    values: dict[str, object] = {}
    provenance: dict[str, tuple[str, str | None]] = {}
    chosen: dict[str, Work | None] = {}
    for name, sources in PRECEDENCE:
        work, value = _pick(name, sources, usable)
        if work is not None:
            values[name], provenance[name] = value, (work.source, work.fetched)
        elif LIST in sources and (listed := _listed(name, link)) is not None:
            values[name], provenance[name] = listed, (LIST, None)
        chosen[name] = work
    for name, leader in FOLLOWERS:
        lead = chosen[leader]
        pool = [lead] if lead is not None else [w for w in usable if not is_preprint_record(w)] or usable
        work, value = _pick(name, dict(PRECEDENCE)[leader], pool)
        if work is not None:
            values[name], provenance[name] = value, (work.source, work.fetched)
    merged_ids, id_provenance = _fill_ids(ids, usable)
    provenance.update(id_provenance)
    return Record(
        link=link,
        ids=merged_ids,
        resolution=resolution,
        host=host,
        title=_str(values.get("title")) or link.title,
        authors=_authors(values.get("authors")),
        year=_int(values.get("year")),
        month=_int(values.get("month")),
        venue=_str(values.get("venue")),
        type=_str(values.get("type")),
        publisher=_str(values.get("publisher")),
        pages=_str(values.get("pages")),
        volume=_str(values.get("volume")),
        issue=_str(values.get("issue")),
        citations=_citations(usable, merged_ids),
        provenance=shared(tuple(sorted(shared((name, src, date)) for name, (src, date) in provenance.items()))),
        duplicates=duplicates,
    )


def _ranked(works: Sequence[Work]) -> list[Work]:
    """Versions of record first, then preprints; otherwise in the given order (stable)."""
    return sorted(works, key=lambda w: is_preprint_record(w))


def _pick(name: str, sources: Sequence[str], works: Sequence[Work]) -> tuple[Work | None, object]:
    """The first work, by (version of record, source order), that has a value for the field."""
    order = {source: rank for rank, source in enumerate(sources)}
    candidates = sorted((w for w in works if w.source in order), key=lambda w: (is_preprint_record(w), order[w.source]))
    for work in candidates:
        value = _work_value(work, name)
        if value not in (None, "", ()):
            return work, value
    return None, None


def _work_value(work: Work, name: str) -> object:
    if name == "title":
        return _full_title(work)
    return _plausible(name, getattr(work, name))


def _plausible(name: str, value: object) -> object:
    """The value, or None for a year or month no calendar has (a source's placeholder, a typo)."""
    if name == "year" and isinstance(value, int) and not YEARS[0] <= value <= YEARS[1]:
        return None
    if name == "month" and isinstance(value, int) and not 1 <= value <= 12:
        return None
    return value


def _full_title(work: Work) -> str | None:
    """Title and subtitle ("Title: Subtitle"), unless the title already holds the subtitle."""
    title = (work.title or "").strip()
    subtitle = (work.subtitle or "").strip()
    if not title:
        return None
    if subtitle and subtitle.casefold() not in title.casefold():
        separator = " " if title.endswith((":", "?", "!", ".")) else ": "
        return f"{title}{separator}{subtitle}"
    return title


def _listed(name: str, link: Link) -> object:
    """What the list itself says about a field, if anything."""
    if name == "title":
        return link.title.strip() or None
    if name == "year":
        return _plausible("year", link.year)
    if name == "authors":
        return tuple(parse_listed_name(a) for a in link.authors if a.strip()) or None
    if name == "type":
        return "dataset" if link.kind == "dataset" else None
    return None


def _fill_ids(ids: Ids, works: Sequence[Work]) -> tuple[Ids, dict[str, tuple[str, str | None]]]:
    """The caller's ids, with each missing one taken from the first work that has it."""
    filled: dict[str, object] = {}
    provenance: dict[str, tuple[str, str | None]] = {}
    for name in ID_FIELDS:
        if getattr(ids, name) is not None:
            continue
        for work in works:
            value = getattr(work.ids, name)
            if value is not None:
                filled[name] = value
                provenance[f"ids.{name}"] = (work.source, work.fetched)
                break
    return (dataclasses.replace(ids, **filled) if filled else ids), provenance  # type: ignore[arg-type]


def _citations(works: Sequence[Work], ids: Ids) -> Citations:
    """Each source's count kept apart; Crossref's from the record of the paper's own DOI when present."""
    crossref = sorted(
        (w for w in works if w.source == CROSSREF and w.citation_count is not None),
        key=lambda w: (w.ids.doi != ids.doi, is_preprint_record(w)),
    )
    s2 = [w for w in works if w.source == SEMANTIC_SCHOLAR and w.citation_count is not None]
    cr, ss = (crossref[0] if crossref else None), (s2[0] if s2 else None)
    return Citations(
        crossref=cr.citation_count if cr else None,
        crossref_date=(cr.counts_fetched or cr.fetched) if cr else None,
        semantic_scholar=ss.citation_count if ss else None,
        semantic_scholar_date=(ss.counts_fetched or ss.fetched) if ss else None,
        influential=ss.influential_citation_count if ss else None,
    )


def _str(value: object) -> str | None:
    return value.strip() or None if isinstance(value, str) else None


def _int(value: object) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _authors(value: object) -> tuple[Author, ...]:
    if isinstance(value, tuple):
        return tuple(a for a in value if isinstance(a, Author))
    return ()
