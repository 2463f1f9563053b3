"""Crossref REST API (mixed): pure request builders and parse_work(); CrossrefSource does batched, cached
lookups by DOI (`filter=doi:A,doi:B…`), nightly citation-count refreshes and bibliographic searches.
"""

from __future__ import annotations

import dataclasses
import logging
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from avenrich.cache import (
    COUNTS_TTL,
    METADATA_TTL,
    NO_HIT_SEARCH_TTL,
    NOT_FOUND_TTL,
    SEARCH_TTL,
    JsonCache,
    key_for,
)
from avenrich.errors import SourceError, SourceUnavailable
from avenrich.identifiers import match_link
from avenrich.model import CROSSREF, Author, Ids, Work
from avenrich.sources.http import OnBatch, Reply, RequestStats, SourceClient
from avenrich.text import clean_markup

if TYPE_CHECKING:
    from avenrich.sources import SearchQuery

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
OFFLINE_REASON = "offline: not in the cache"

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
    parts += [family for family in (_family_name(a) for a in query.authors[:3]) if family]
    if query.year:
        parts.append(str(query.year))
    return " ".join(p for p in parts if p)


def _family_name(name: str) -> str:
    if "," in name:
        return name.split(",", 1)[0].strip()
    tokens = name.replace(".", ". ").split()
    return tokens[-1].strip(".") if tokens else ""


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


# Notices about another paper: the title says so (Crossref types them as ordinary articles). Only the
# wordings of notices count: "Correction of motion blur" or "Retraction of the tongue" are papers.
_NOTICE_TITLES = (
    (re.compile(r"^corrections?(\s+(to|notice)\b|\s*:|$)"), "correction"),
    (re.compile(r"^(editorial\s+)?expressions?\s+of\s+concern\b"), "correction"),
    (re.compile(r"^(erratum|errata|corrigendum|corrigenda)\b"), "erratum"),
    (re.compile(r"^(retraction|retracted)(\s+(note|notice|statement|to)\b|\s*[:.]|$)"), "retraction"),
    (re.compile(r"^(notice\s+of\s+retraction|\[retracted\])"), "retraction"),
)
# Crossmark update types (update-to[].type) of a notice; new_version / new_edition are not notices.
_UPDATE_FLAGS = {
    "correction": "correction", "addendum": "correction", "clarification": "correction",
    "expression_of_concern": "correction", "erratum": "erratum", "corrigendum": "erratum",
    "retraction": "retraction", "partial_retraction": "retraction", "withdrawal": "retraction",
    "removal": "retraction",
}  # fmt: skip
_SUPPLEMENT_TITLE = re.compile(
    r"^((supplementary|supplemental)\s+(materials?|information|data|files?|figures?|tables?|text|videos?|"
    r"appendix|appendices|notes?)\b|supporting\s+information(\s+(for|to)\b|\s*:|$)|additional\s+file\s+\d+\b)"
)
_FRONT_MATTER_TITLE = re.compile(
    r"^\[?(front\s*matter|back\s*matter|title\s+page|table\s+of\s+contents|contents|preface|foreword|index|"
    r"author\s+index|subject\s+index|editorial\s+board|copyright(\s+(page|notice))?|(front\s+|back\s+)?cover)"
    r"\]?(\s+[ivxlc\d]+)?\s*\.?$"
)


def parse_flags(title: str | None, kind: str | None, update_types: Iterable[str] = ()) -> tuple[str, ...]:
    """Markers of records that are not the paper itself: notices, supplements, front matter, reviews."""
    flags: list[str] = []
    text = (title or "").strip().lower()
    for pattern, flag in _NOTICE_TITLES:
        if pattern.search(text):
            flags.append(flag)
    flags += [_UPDATE_FLAGS[t] for t in update_types if t in _UPDATE_FLAGS]
    if kind == "component" or _SUPPLEMENT_TITLE.search(text):
        flags.append("supplementary")
    if _FRONT_MATTER_TITLE.match(text):
        flags.append("front-matter")
    if kind == "peer-review":
        flags.append("peer-review")
    return tuple(dict.fromkeys(flags))


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


class CrossrefSource:
    """Crossref lookups by DOI and bibliographic searches, cached; offline reads only the cache.

    Failures are data: `lookup` never raises SourceError. A DOI missing from its result is unknown and
    `failures[doi]` says why (source failed or unavailable, offline cache miss); None means Crossref does
    not have it. `search` raises SourceError / SourceUnavailable (offline cache miss included), since one
    question has one answer. `errors` lists each distinct failure message once.
    """

    name = NAME

    def __init__(
        self,
        client: SourceClient | None,
        cache: JsonCache,
        *,
        offline: bool,
        today: Callable[[], str],
        stats: RequestStats | None = None,
    ) -> None:
        self.client = client
        self.cache = cache
        self.offline = offline or client is None
        self.today = today
        self.stats = stats or (client.stats if client else RequestStats())
        self.errors: list[str] = []
        self.failures: dict[str, str] = {}
        self._memo: dict[str, Work | None] = {}
        self._pending: dict[str, Work] = {}  # DOI → cached Work (also in _memo) whose counts wait for refresh_counts

    def forget(self) -> None:
        """Drop the Works memoised during the run (the run has what it publishes; at 100k links they are
        hundreds of MB); later calls ask the cache again."""
        self._memo.clear()
        self._pending.clear()

    # -- lookup ---------------------------------------------------------------------------------------

    def lookup(self, dois: Sequence[str], *, refresh_counts: bool = True) -> dict[str, Work | None]:
        """Works by lowercased DOI: Work, None (Crossref has no such DOI), or absent (unknown).

        A cached record whose counts have expired gets them refreshed in counts-only batches; with
        refresh_counts=False it comes back with its last counts and waits for `refresh_counts(dois)`, so a
        run refreshes only the papers it publishes, all in one pass.
        """
        result: dict[str, Work | None] = {}
        to_fetch: list[str] = []
        stale: list[tuple[str, Work]] = []
        for doi in dict.fromkeys(d.strip().lower() for d in dois if d and d.strip()):
            if doi in self._memo:
                result[doi] = self._memo[doi]
            elif doi in self.failures:
                continue
            elif doi.startswith(DATACITE_PREFIXES):
                result[doi] = self._memo[doi] = None
            else:
                self._from_cache(doi, result, to_fetch, stale)
        if self.offline or self.client is None:
            for doi in to_fetch:
                self._fail([doi], OFFLINE_REASON)
            for doi, work in stale:
                result[doi] = self._memo[doi] = work
            return result
        result.update(self._fetch(self.client, to_fetch))
        if refresh_counts:
            result.update(self._refresh_counts(self.client, stale))
        else:
            for doi, work in stale:
                result[doi] = self._memo[doi] = self._pending[doi] = work
        return result

    def refresh_counts(self, dois: Iterable[str], on_batch: OnBatch | None = None) -> dict[str, Work]:
        """Refresh the counts that `lookup(..., refresh_counts=False)` left waiting, for these (canonical) DOIs.

        Counts-only batches of COUNTS_BATCH_SIZE; the refreshed Works by canonical DOI, each batch's also given
        to `on_batch` as soon as it is in (so a caller can let go of the Works they replace). A failure keeps
        the last counts (the Works lookup returned stand).
        """
        wanted = {d.lower() for d in dois}
        todo = [(doi, work) for doi, work in self._pending.items() if doi in wanted or (work.ids.doi or doi) in wanted]
        for doi, _work in todo:
            del self._pending[doi]
        if not todo or self.offline or self.client is None:
            return {}
        refreshed = self._refresh_counts(self.client, todo, on_batch)
        return {work.ids.doi or doi: work for doi, work in refreshed.items() if work is not None}

    def _from_cache(
        self,
        doi: str,
        result: dict[str, Work | None],
        to_fetch: list[str],
        stale: list[tuple[str, Work]],
    ) -> None:
        entry = self.cache.get(key_for(NAME, "work", doi))
        if not isinstance(entry, Mapping) or not ("item" in entry or entry.get("missing")):
            to_fetch.append(doi)
            return
        self.stats.add(NAME, "works/filter", "cache_hits")
        if entry.get("missing"):
            result[doi] = self._memo[doi] = None
            return
        try:
            work = self._work(entry)
        except ValueError:
            to_fetch.append(doi)
            return
        counts = self.cache.get(key_for(NAME, "counts", work.ids.doi or doi))
        if isinstance(counts, Mapping):
            result[doi] = self._memo[doi] = _with_counts(work, counts)
        else:
            stale.append((doi, work))

    def _fetch(self, client: SourceClient, dois: list[str]) -> dict[str, Work | None]:
        found: dict[str, Work | None] = {}
        singles = [d for d in dois if "," in d]  # a comma would split the filter value
        batches = chunk_dois([d for d in dois if "," not in d])
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
            for doi in batch:
                if doi in by_doi:
                    found[doi] = self._store(doi, by_doi[doi])
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
            self.cache.set(key_for(NAME, "work", doi), {"missing": True, "fetched": self.today()}, NOT_FOUND_TTL)
            self._memo[doi] = None
            return None
        if reply.status == 404:
            raise SourceError(NAME, reply.url, 404, f"unexpected 404 answer for {doi}: {reply.text[:100]!r}")
        try:
            return self._store(doi, parse_envelope(reply.data, "work"))
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

    def _store(self, doi: str, item: Mapping[str, Any]) -> Work:
        """Cache a fetched item under the asked DOI and its canonical DOI, with its counts."""
        work = parse_work(item)
        today = self.today()
        entry = {"item": prune_item(item), "fetched": today}
        canonical = work.ids.doi or doi
        counts = {"count": work.citation_count, "fetched": today}
        for key in dict.fromkeys((doi, canonical)):
            self.cache.set(key_for(NAME, "work", key), entry, METADATA_TTL)
        self.cache.set(key_for(NAME, "counts", canonical), counts, COUNTS_TTL)
        result = dataclasses.replace(work, fetched=today, counts_fetched=today)
        self._memo[doi] = self._memo[canonical] = result
        return result

    def _refresh_counts(
        self, client: SourceClient, stale: list[tuple[str, Work]], on_batch: OnBatch | None = None
    ) -> dict[str, Work | None]:
        """`stale` is emptied: each stale Work is let go once its batch is refreshed."""
        refreshed: dict[str, Work | None] = {}
        by_canonical: dict[str, list[tuple[str, Work]]] = {}
        for doi, work in stale:
            by_canonical.setdefault(work.ids.doi or doi, []).append((doi, work))
        stale.clear()
        for batch in chunk_dois([d for d in by_canonical if "," not in d], COUNTS_BATCH_SIZE, COUNTS_MAX_FILTER_CHARS):
            try:
                reply = client.get("/works", build_counts_params(batch), kind="list", endpoint="works/counts")
                items = self._items(reply)
            except SourceError as exc:  # keep the counts we have; the metadata is still good
                self._note(str(exc) if not isinstance(exc, SourceUnavailable) else exc.message)
                if isinstance(exc, SourceUnavailable):
                    break
                continue
            today = self.today()
            batch_fresh: dict[str, Work] = {}
            for item in items:
                if not isinstance(item, Mapping):
                    continue
                doi = str(item.get("DOI", "")).lower()
                value = item.get("is-referenced-by-count")
                if doi in by_canonical and isinstance(value, int):
                    counts = {"count": value, "fetched": today}
                    self.cache.set(key_for(NAME, "counts", doi), counts, COUNTS_TTL)
                    for asked, work in by_canonical.pop(doi):
                        new = refreshed[asked] = self._memo[asked] = _with_counts(work, counts)
                        batch_fresh[new.ids.doi or asked] = new
            if on_batch is not None and batch_fresh:
                on_batch(batch_fresh)
        for works in by_canonical.values():  # not refreshed: their last counts stand
            for asked, work in works:
                refreshed[asked] = self._memo[asked] = work
        return refreshed

    @staticmethod
    def _work(entry: Mapping[str, Any]) -> Work:
        """The Work of a cached entry, with the counts its item had when fetched (a counts entry updates them)."""
        fetched = str(entry.get("fetched") or "") or None
        return dataclasses.replace(parse_work(entry["item"]), fetched=fetched, counts_fetched=fetched)

    # -- search ---------------------------------------------------------------------------------------

    def search(self, query: SearchQuery, rows: int = SEARCH_ROWS) -> list[Work]:
        """Candidates for a title (relevance order, each with Crossref's unbounded `score`)."""
        params = build_search_params(query, rows)
        key = search_key(query, rows)
        cached = self.cache.get(key)
        if isinstance(cached, Mapping) and isinstance(cached.get("items"), list):
            self.stats.add(NAME, "works/query", "cache_hits")
            return self._search_works(cached["items"], str(cached.get("fetched") or "") or None)
        if self.offline or self.client is None:
            raise SourceUnavailable(NAME, "", None, OFFLINE_REASON)
        reply = self.client.get("/works", params, kind="list", endpoint="works/query")
        items = [prune_item(item, ("score",)) for item in self._items(reply) if isinstance(item, Mapping)]
        today = self.today()
        self.cache.set(key, {"items": items, "fetched": today}, SEARCH_TTL if items else NO_HIT_SEARCH_TTL)
        for item in items:  # a later lookup of a chosen candidate then costs nothing
            try:
                doi = parse_work(item).ids.doi
            except ValueError:
                continue
            if doi:
                self.cache.set(key_for(NAME, "work", doi), {"item": prune_item(item), "fetched": today}, METADATA_TTL)
                count = item.get("is-referenced-by-count")
                self.cache.set(
                    key_for(NAME, "counts", doi),
                    {"count": count if isinstance(count, int) else None, "fetched": today},
                    COUNTS_TTL,
                )
        return self._search_works(items, today)

    @staticmethod
    def _search_works(items: list[Any], fetched: str | None) -> list[Work]:
        works: list[Work] = []
        for item in items:
            try:
                work = parse_work(item)
            except ValueError:
                continue
            score = item.get("score")
            works.append(
                dataclasses.replace(
                    work,
                    score=float(score) if isinstance(score, int | float) else None,
                    fetched=fetched,
                    counts_fetched=fetched,
                )
            )
        return works

    # -- failures -------------------------------------------------------------------------------------

    def _fail(self, dois: Iterable[str], reason: str) -> None:
        dois = list(dois)
        if not dois:
            return
        for doi in dois:
            self.failures[doi] = reason
        self._note(reason)

    def _note(self, reason: str) -> None:
        if reason not in self.errors:
            self.errors.append(reason)


def _with_counts(work: Work, counts: Mapping[str, Any] | None) -> Work:
    """The Work with the counts of a counts entry ({"count", "fetched"}), or as it is when there is none."""
    if counts is None:
        return work
    count = counts.get("count")
    return dataclasses.replace(
        work,
        citation_count=count if isinstance(count, int) else None,
        counts_fetched=str(counts.get("fetched") or "") or None,
    )
