"""Crossref REST API (mixed): pure request builders and parse_work(); CrossrefSource does batched, cached
lookups by DOI (`filter=doi:A,doi:B…`), nightly citation-count refreshes and bibliographic searches.
"""

from __future__ import annotations

import contextlib
import dataclasses
import logging
import re
from collections.abc import Mapping, Sequence
from typing import Any
from urllib.parse import quote

from avenrich.cache import NOT_FOUND_TTL, key_for
from avenrich.errors import SourceError, SourceUnavailable
from avenrich.identifiers import acl_doi_candidate, match_link
from avenrich.matching import parse_flags
from avenrich.model import CROSSREF, Author, Ids, Work
from avenrich.names import family_name
from avenrich.sources.base import CachedSource, SearchQuery
from avenrich.sources.http import Reply, SourceClient
from avenrich.text import clean_markup

log = logging.getLogger("avenrich.sources")

NAME = CROSSREF
# ~40 DOIs keep a filter URL near 2 KB (well under the ~4-8 KB that proxies and servers accept); one list
# request then replaces 40 single ones. MAX_FILTER_CHARS guards batches of unusually long DOIs.
BATCH_SIZE = 40
MAX_FILTER_CHARS = 3000
# A counts refresh selects two short fields, so its answer stays small whatever the batch: only the URL
# budget bounds it (~110 DOIs of usual length in COUNTS_MAX_FILTER_CHARS, the whole URL under 4 KB), which
# more than halves the nightly run's requests.
COUNTS_BATCH_SIZE = 100
COUNTS_MAX_FILTER_CHARS = 3800
SEARCH_ROWS = 5

# The fields `select` accepts on /works (Crossref's validation message lists them). `subtype` and
# `institution` are not selectable, so the parser must not depend on them.
SELECTABLE = frozenset(
    """abstract URL resource member posted score created degree update-policy short-title license ISSN
    container-title issued update-to issue prefix approved indexed article-number clinical-trial-number
    accepted author group-title DOI is-referenced-by-count updated-by event chair standards-body
    original-title funder translator published archive published-print alternative-id subject subtitle
    published-online publisher-location content-domain reference title link type publisher volume
    references-count ISBN issn-type assertion deposited page content-created short-container-title
    relation editor""".split()  # noqa: SIM905
)
WORK_FIELDS = (
    "DOI", "title", "subtitle", "author", "container-title", "short-container-title", "event", "issued",
    "published-print", "published-online", "posted", "type", "publisher", "page", "volume", "issue",
    "is-referenced-by-count", "relation", "URL", "update-to", "resource",
)  # fmt: skip
COUNTS_FIELDS = ("DOI", "is-referenced-by-count")
# Kept from a full /works/{doi} record besides WORK_FIELDS, so cached items look alike whatever the route.
_EXTRA_KEPT = ("subtype",)

# DataCite prefixes: Crossref answers 404 for these, so asking is a wasted request (arXiv, Zenodo, figshare).
DATACITE_PREFIXES = ("10.48550/", "10.5281/", "10.6084/")

# -- pure builders -----------------------------------------------------------------------------------


def chunk_dois(dois: Sequence[str], size: int = BATCH_SIZE, max_chars: int = MAX_FILTER_CHARS) -> list[list[str]]:
    """The DOIs in batches of at most `size`, each with a filter value of at most ~max_chars."""
    batches: list[list[str]] = []
    current: list[str] = []
    length = 0
    for doi in dois:
        cost = len(quote(doi, safe="")) + 9  # "doi%3A" and the encoded comma "%2C"
        if current and (len(current) >= size or length + cost > max_chars):
            batches.append(current)
            current, length = [], 0
        current.append(doi)
        length += cost
    if current:
        batches.append(current)
    return batches


def build_filter_params(dois: Sequence[str]) -> dict[str, str | int]:
    """Params of one `/works` request that fetches these DOIs (a repeated filter name is an OR)."""
    return {
        "filter": ",".join(f"doi:{doi}" for doi in dois),
        "rows": len(dois),
        "select": ",".join(WORK_FIELDS),
    }


def build_counts_params(dois: Sequence[str]) -> dict[str, str | int]:
    """Params of one `/works` request that fetches only the citation counts of these DOIs."""
    return {
        "filter": ",".join(f"doi:{doi}" for doi in dois),
        "rows": len(dois),
        "select": ",".join(COUNTS_FIELDS),
    }


def bibliographic_query(query: SearchQuery) -> str:
    """The citation-like text a user would paste: title, up to three family names, year.

    No date filter: a wrong year in the list would hide the paper; the verifier judges the year.
    """
    parts = [" ".join(query.title.split())]
    parts += [family for family in (family_name(a) for a in query.authors[:3]) if family]
    if query.year:
        parts.append(str(query.year))
    return " ".join(p for p in parts if p)


def build_search_params(query: SearchQuery, rows: int = SEARCH_ROWS) -> dict[str, str | int]:
    """Params of a `/works` bibliographic search (relevance-sorted, with `score`)."""
    return {
        "query.bibliographic": bibliographic_query(query),
        "rows": rows,
        "select": ",".join((*WORK_FIELDS, "score")),
    }


def search_key(query: SearchQuery, rows: int = SEARCH_ROWS) -> str:
    """The cache key of a search's answer: the title asked and the rows, not what the list adds around it.

    The authors and year sent along only help the ranking; a list that later gives a title's authors or venue
    (the upstream list's move to `**[VENUE-YEAR]**` paragraphs) re-checks the cached candidates against that
    evidence instead of searching again (issue 14).
    """
    return key_for(NAME, "search", f"rows={rows}", " ".join(query.title.split()))


def work_path(doi: str) -> str:
    """The path of one work: the DOI unencoded except for characters a path cannot carry."""
    return "/works/" + quote(doi, safe="/:;()[]@!$&'*+=,-._~")


# -- pure parsers -------------------------------------------------------------------------------------


def parse_envelope(payload: Any, message_type: str) -> Mapping[str, Any]:
    """The `message` of an "ok" envelope of the expected type; ValueError with the reason otherwise."""
    if isinstance(payload, str):
        raise ValueError(f"crossref answered with a non-JSON body: {payload.strip()[:100]!r}")
    if not isinstance(payload, Mapping):
        raise ValueError(f"crossref answered with a JSON {type(payload).__name__}, not an envelope")
    status = payload.get("status")
    kind = payload.get("message-type")
    message = payload.get("message")
    if status != "ok":
        details = "; ".join(f"{m.get('type')}: {m.get('message')}" for m in message or [] if isinstance(m, Mapping))
        raise ValueError(f"crossref {kind or 'error'} ({status}): {details or message!r}")
    if kind != message_type or not isinstance(message, Mapping):
        raise ValueError(f"crossref answered a {kind!r} message where a {message_type!r} was expected")
    return message


def parse_list(payload: Any) -> list[Work]:
    """The works of a work-list envelope (items without a DOI are skipped); ValueError for error bodies."""
    message = parse_envelope(payload, "work-list")
    works: list[Work] = []
    for item in message.get("items") or []:
        try:
            works.append(parse_work(item))
        except ValueError:
            log.debug("crossref: skipped a list item without a DOI")
    return works


def parse_work(item: Mapping[str, Any]) -> Work:
    """One Crossref work record as a Work (source "crossref"); ValueError when it has no DOI."""
    if not isinstance(item, Mapping):
        raise ValueError("a crossref work must be a JSON object")
    doi = item.get("DOI")
    if not isinstance(doi, str) or not doi.strip():
        raise ValueError("crossref work without a DOI")
    title = _first_text(item.get("title"))
    kind = _text(item.get("type"))
    event: Mapping[str, Any] = item["event"] if isinstance(item.get("event"), Mapping) else {}
    venue = _first_text(item.get("container-title")) or _text(event.get("name"))
    year, month = parse_date(item)
    count = item.get("is-referenced-by-count")
    update_types = tuple(str(u.get("type", "")).lower() for u in item.get("update-to") or [] if isinstance(u, Mapping))
    return Work(
        source=NAME,
        ids=Ids(doi=doi.strip().lower(), ieee=parse_ieee_number(item.get("resource"))),
        title=title,
        subtitle=_first_text(item.get("subtitle")),
        authors=tuple(a for a in (parse_author(x) for x in item.get("author") or []) if a),
        year=year,
        month=month,
        venue=venue,
        venue_acronym=_text(event.get("acronym")),
        type=kind,
        subtype=_text(item.get("subtype")),
        publisher=_text(item.get("publisher")),
        pages=_text(item.get("page")),
        volume=_text(item.get("volume")),
        issue=_text(item.get("issue")),
        citation_count=count if isinstance(count, int) and not isinstance(count, bool) else None,
        url=_text(item.get("URL")),
        relations=parse_relations(item.get("relation")),
        flags=parse_flags(title, kind, update_types),
    )


def parse_ieee_number(resource: Any) -> str | None:
    """The IEEE Xplore document number of a record whose resource (landing page) is on IEEE Xplore, else None.

    It is evidence against a link: an IEEE link's number that differs from the record's is another document.
    """
    primary = resource.get("primary") if isinstance(resource, Mapping) else None
    url = primary.get("URL") if isinstance(primary, Mapping) else None
    if not isinstance(url, str):
        return None
    found = match_link(url)
    return found.ids.ieee if found.host == "ieee" else None


def parse_author(raw: Any) -> Author | None:
    """One author: given/family, or an organisation's `name` as a literal; None when nameless."""
    if not isinstance(raw, Mapping):
        return None
    family = _text(raw.get("family"))
    given = _text(raw.get("given"))
    orcid = normalise_orcid(raw.get("ORCID"))
    if family:
        return Author(given=given, family=family, orcid=orcid)
    literal = _text(raw.get("name")) or given
    return Author(literal=literal, orcid=orcid) if literal else None


_ORCID = re.compile(r"(\d{4}-\d{4}-\d{4}-\d{3}[\dXx])")


def normalise_orcid(value: Any) -> str | None:
    """The bare ORCID (0000-0002-1825-0097) from a URL or bare form; None when there is none."""
    if not isinstance(value, str):
        return None
    match = _ORCID.search(value)
    return match.group(1).upper() if match else None


_DATE_FIELDS = ("issued", "published", "published-print", "published-online", "posted")


def parse_date(item: Mapping[str, Any]) -> tuple[int | None, int | None]:
    """(year, month) from `issued`, else the first other publication date; guards `[[null]]`."""
    for name in _DATE_FIELDS:
        value = item.get(name)
        parts = value.get("date-parts") if isinstance(value, Mapping) else None
        if not parts or not isinstance(parts, list) or not isinstance(parts[0], list):
            continue
        numbers = [_int(p) for p in parts[0]]
        year = numbers[0] if numbers else None
        if year is None or not 1000 <= year <= 2999:
            continue
        month = numbers[1] if len(numbers) > 1 else None
        return year, month if month is not None and 1 <= month <= 12 else None
    return None, None


def parse_relations(raw: Any) -> tuple[tuple[str, str], ...]:
    """(relation-name, lowercased DOI) pairs for the DOI-typed entries of `relation`."""
    if not isinstance(raw, Mapping):
        return ()
    pairs: list[tuple[str, str]] = []
    for name, entries in raw.items():
        for entry in entries if isinstance(entries, list) else []:
            if not isinstance(entry, Mapping) or str(entry.get("id-type", "")).lower() != "doi":
                continue
            target = _text(entry.get("id"))
            if target:
                target = re.sub(r"^(https?://(dx\.)?doi\.org/|doi:)", "", target, flags=re.IGNORECASE)
                pair = (str(name), target.lower())
                if pair not in pairs:
                    pairs.append(pair)
    return tuple(pairs)


def prune_item(item: Mapping[str, Any], extra: Sequence[str] = ()) -> dict[str, Any]:
    """The item reduced to the fields the parser reads (what the cache keeps)."""
    keep = (*WORK_FIELDS, *_EXTRA_KEPT, *extra)
    return {key: item[key] for key in keep if key in item}


def _text(value: Any) -> str | None:
    if isinstance(value, str):
        cleaned = clean_markup(value)
        return cleaned or None
    if isinstance(value, int | float) and not isinstance(value, bool):
        return str(value)
    return None


def _first_text(value: Any) -> str | None:
    if isinstance(value, str):
        return _text(value)
    if isinstance(value, list):
        for entry in value:
            text = _text(entry)
            if text:
                return text
    return None


def _int(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.strip().isdigit():
        return int(value)
    return None


def is_not_found(reply: Reply) -> bool:
    """True for Crossref's answer to an unknown DOI: 404 with the text body "Resource not found."."""
    return reply.status == 404 and reply.text.strip().lower().startswith("resource not found")


# -- the source ---------------------------------------------------------------------------------------


class CrossrefSource(CachedSource):
    """Crossref lookups by DOI (`filter=doi:A,doi:B…`, then `/works/{doi}` for the rest) and bibliographic
    searches, cached; offline reads only the cache. The shared behaviour is CachedSource's."""

    name = NAME
    LABEL = "Crossref"
    RECORD_KIND = "work"
    LOOKUP_ENDPOINT = "works/filter"
    # Crossref indexes the publishers' versions of record (IEEE for CVF papers, Springer for ECCV, ACM, AAAI,
    # ISCA) and allows 3 list requests/s: search it first for these link kinds.
    SEARCH_FIRST = frozenset({"ieee", "cvf", "ecva", "aaai", "acm", "springer", "wiley", "isca", "doi", "acl", "pmc"})
    VERSION_OF_RECORD = True
    SEARCH_STEPS = ("search",)

    @staticmethod
    def normalise_key(key: str) -> str:
        return key.strip().lower()

    @staticmethod
    def lookup_keys(ids: Ids) -> tuple[str, ...]:
        """The link's DOI, or the DOI the ACL Anthology gives its id."""
        if ids.doi:
            return (ids.doi,)
        candidate = acl_doi_candidate(ids.acl) if ids.acl else None
        return (candidate,) if candidate else ()

    @staticmethod
    def record_key(ids: Ids) -> str | None:
        return ids.doi

    @staticmethod
    def count_key(work: Work) -> str:
        return (work.ids.doi or "").lower()

    parse_item = staticmethod(parse_work)
    cached_item = staticmethod(prune_item)

    @staticmethod
    def counts_entry(work: Work) -> dict[str, Any]:
        return {"count": work.citation_count}

    @staticmethod
    def with_counts(work: Work, counts: Mapping[str, Any] | None) -> Work:
        """The Work with the counts of a counts entry ({"count", "fetched"}), or as it is when there is none."""
        if counts is None:
            return work
        count = counts.get("count")
        return dataclasses.replace(
            work,
            citation_count=count if isinstance(count, int) else None,
            counts_fetched=str(counts.get("fetched") or "") or None,
        )

    def answer_key(self, key: str, norm: str) -> str:
        return norm  # Works by lowercased DOI

    def known_missing(self, norm: str) -> bool:
        return norm.startswith(DATACITE_PREFIXES)

    # -- lookup ---------------------------------------------------------------------------------------

    def fetch(self, client: SourceClient, keys: list[str]) -> dict[str, Work | None]:
        found: dict[str, Work | None] = {}
        singles = [d for d in keys if "," in d]  # a comma would split the filter value
        batches = chunk_dois([d for d in keys if "," not in d])
        for index, batch in enumerate(batches):
            try:
                reply = client.get("/works", build_filter_params(batch), kind="list", endpoint="works/filter")
                items = self._items(reply)
            except SourceUnavailable as exc:
                self._fail([d for b in batches[index:] for d in b] + singles, exc.message)
                return found
            except SourceError as exc:
                if exc.status == 400:  # one malformed DOI spoils the filter: ask each one alone
                    singles.extend(batch)
                else:
                    self._fail(batch, str(exc))
                continue
            by_doi = {str(item.get("DOI", "")).lower(): item for item in items if isinstance(item, Mapping)}
            today = self.today()
            for doi in batch:
                if doi in by_doi:
                    found[doi] = self.store(doi, by_doi[doi], today)
                else:  # unknown, or an alias: the single route answers 404 or follows the 301
                    singles.append(doi)
        for index, doi in enumerate(singles):
            try:
                found[doi] = self._fetch_one(client, doi)
            except SourceUnavailable as exc:
                self._fail(singles[index:], exc.message)
                break
            except SourceError as exc:
                self._fail([doi], str(exc))
        return found

    def _fetch_one(self, client: SourceClient, doi: str) -> Work | None:
        reply = client.get(work_path(doi), None, kind="single", endpoint="works/doi")
        if is_not_found(reply):
            self.store_missing(doi, NOT_FOUND_TTL)
            return None
        if reply.status == 404:
            raise SourceError(NAME, reply.url, 404, f"unexpected 404 answer for {doi}: {reply.text[:100]!r}")
        try:
            return self.store(doi, parse_envelope(reply.data, "work"), self.today())
        except ValueError as exc:
            raise SourceError(NAME, reply.url, reply.status, str(exc)) from None

    def _items(self, reply: Reply) -> list[Any]:
        if reply.status != 200:
            raise SourceError(NAME, reply.url, reply.status, f"unexpected HTTP {reply.status} for a list")
        try:
            message = parse_envelope(reply.data, "work-list")
        except ValueError as exc:
            raise SourceError(NAME, reply.url, reply.status, str(exc)) from None
        items = message.get("items")
        return items if isinstance(items, list) else []

    def counts_batches(self, keys: list[str]) -> list[list[str]]:
        return chunk_dois([d for d in keys if "," not in d], COUNTS_BATCH_SIZE, COUNTS_MAX_FILTER_CHARS)

    def fetch_counts(self, client: SourceClient, batch: list[str]) -> dict[str, dict[str, Any]]:
        reply = client.get("/works", build_counts_params(batch), kind="list", endpoint="works/counts")
        answered: dict[str, dict[str, Any]] = {}
        for item in self._items(reply):
            if isinstance(item, Mapping) and isinstance(value := item.get("is-referenced-by-count"), int):
                answered.setdefault(str(item.get("DOI", "")).lower(), {"count": value})
        return answered

    # -- search ---------------------------------------------------------------------------------------

    def search_step(self, step: str, query: SearchQuery) -> list[Work]:
        """The bibliographic search's candidates (Crossref answers with several ranked ones at once)."""
        return self.search(query)

    def search(self, query: SearchQuery, rows: int = SEARCH_ROWS) -> list[Work]:
        """Candidates for a title (relevance order, each with Crossref's unbounded `score`)."""
        params = build_search_params(query, rows)
        key = search_key(query, rows)
        cached = self.cached_answer(key, "works/query", "items")
        if cached is not None:
            return self.answered_works(*cached, score="score")
        assert self.client is not None  # cached_answer raised when offline
        reply = self.client.get("/works", params, kind="list", endpoint="works/query")
        items = [prune_item(item, ("score",)) for item in self._items(reply) if isinstance(item, Mapping)]
        today = self.today()
        self.remember_answer(key, "items", items, today)
        for item in items:  # a later lookup of a chosen candidate then costs nothing
            with contextlib.suppress(ValueError):
                self.store(None, item, today, memo=False)
        return self.answered_works(items, today, score="score")
