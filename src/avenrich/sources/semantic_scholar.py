"""Semantic Scholar Graph API (mixed): pure request builders and parse_paper(); SemanticScholarSource does
batched, cached lookups (`POST /paper/batch`, ≤500 ids), count refreshes, title match and search.
"""

from __future__ import annotations

import dataclasses
import logging
import re
from collections.abc import Callable, Mapping, Sequence
from typing import Any, TypeVar

from avenrich.cache import NOT_FOUND_TTL, key_for
from avenrich.errors import SourceError, SourceUnavailable
from avenrich.matching import is_preprint_venue
from avenrich.model import SEMANTIC_SCHOLAR, Author, Ids, Work
from avenrich.names import split_name
from avenrich.sources.base import CachedSource, SearchQuery
from avenrich.sources.http import Params, Reply, SourceClient
from avenrich.text import clean_markup

log = logging.getLogger("avenrich.sources")

T = TypeVar("T")
NAME = SEMANTIC_SCHOLAR
BATCH_SIZE = 500
SEARCH_LIMIT = 5
# The search steps (SEARCH_STEPS): the single best title match, then the relevance search's hits.
MATCH, SEARCH = "match", "search"
# Lean on purpose: a batch answer must stay under 10 MB (no abstracts, embeddings or citation lists).
FIELDS = (
    "paperId,corpusId,externalIds,title,year,venue,publicationVenue,journal,authors,publicationTypes,"
    "publicationDate,citationCount,influentialCitationCount,url"
)
COUNT_FIELDS = "citationCount,influentialCitationCount"
# How many times one lookup may halve a batch refused with 400 (at 1 req/s each split costs a second).
MAX_SPLITS = 16

# The id prefixes of the Graph API, spelled as its documentation spells them.
_PREFIXES = {p.lower(): p for p in ("DOI", "ARXIV", "ACL", "PMCID", "PMID", "MAG", "CorpusId", "URL")}
_ARXIV_VERSION = re.compile(r"v\d+$")
_ARXIV_NAMES = frozenset({"arxiv", "arxiv.org", "arxiv (cornell university)"})
# S2 publicationTypes → Crossref's vocabulary, in order of preference (S2 often gives both
# JournalArticle and Conference for a conference paper).
_TYPE_ORDER = (
    ("Conference", "proceedings-article"),
    ("JournalArticle", "journal-article"),
    ("BookSection", "book-chapter"),
    ("Book", "book"),
    ("Dataset", "dataset"),
)
_HYPHENS = re.compile(r"[-‐‑‒–—―]+")

# -- pure builders -----------------------------------------------------------------------------------


def normalise_key(key: str) -> str:
    """The canonical spelling of a paper id: documented prefix case, DOIs and paper ids lowercased."""
    key = key.strip()
    prefix, sep, rest = key.partition(":")
    if sep and prefix.lower() in _PREFIXES:
        canonical = _PREFIXES[prefix.lower()]
        rest = rest.strip()
        if canonical in ("DOI", "ARXIV"):
            rest = rest.lower()
        if canonical == "PMCID":
            rest = re.sub(r"^pmc", "", rest, flags=re.IGNORECASE)
        return f"{canonical}:{rest}"
    if re.fullmatch(r"[0-9a-fA-F]{40}", key) or key.startswith("10."):
        return key.lower()
    return key


def build_batch_request(keys: Sequence[str], fields: str = FIELDS) -> tuple[dict[str, str], dict[str, list[str]]]:
    """(params, body) of one POST /paper/batch; at most 500 ids."""
    if len(keys) > BATCH_SIZE:
        raise ValueError(f"a Semantic Scholar batch takes at most {BATCH_SIZE} ids, not {len(keys)}")
    return {"fields": fields}, {"ids": list(keys)}


def match_text(title: str) -> str:
    """A title as S2's plain-text search wants it: hyphens (which match nothing) turned into spaces."""
    return " ".join(_HYPHENS.sub(" ", clean_markup(title)).split())


def build_match_params(query: SearchQuery) -> dict[str, str | int]:
    """Params of GET /paper/search/match (one best title match; no year filter: the verifier judges)."""
    return {"query": match_text(query.title), "fields": FIELDS}


def build_search_params(query: SearchQuery, limit: int = SEARCH_LIMIT) -> dict[str, str | int]:
    """Params of GET /paper/search (relevance-ranked)."""
    return {"query": match_text(query.title), "fields": FIELDS, "limit": limit}


# -- pure parsers -------------------------------------------------------------------------------------


def parse_paper(item: Mapping[str, Any]) -> Work:
    """One S2 paper as a Work (source "semantic_scholar"); ValueError when it has no paperId."""
    if not isinstance(item, Mapping):
        raise ValueError("a semantic_scholar paper must be a JSON object")
    paper_id = item.get("paperId")
    if not isinstance(paper_id, str) or not paper_id.strip():
        if "error" in item or "message" in item:
            raise ValueError(f"semantic_scholar error: {_error_text(item)}")
        raise ValueError("semantic_scholar paper without a paperId")
    ids = parse_external_ids(item.get("externalIds"), paper_id.strip(), item.get("corpusId"))
    journal: Mapping[str, Any] = item["journal"] if isinstance(item.get("journal"), Mapping) else {}
    venue_obj: Mapping[str, Any] = item["publicationVenue"] if isinstance(item.get("publicationVenue"), Mapping) else {}
    names = [_text(venue_obj.get("name")), _text(item.get("venue")), _text(journal.get("name"))]
    arxiv_journal = (_text(journal.get("name")) or "").lower() in _ARXIV_NAMES
    arxiv_only = bool(ids.arxiv) and not ids.doi and not any(n and not _is_arxiv(n) for n in names)
    types = [t for t in item.get("publicationTypes") or [] if isinstance(t, str)]
    year = item.get("year")
    count = item.get("citationCount")
    influential = item.get("influentialCitationCount")
    return Work(
        source=NAME,
        ids=ids,
        title=_text(item.get("title")),
        authors=tuple(a for a in (parse_author(x) for x in item.get("authors") or []) if a),
        year=year if _is_int(year) else None,
        month=_month(item.get("publicationDate")),
        venue=choose_venue(names),
        type=map_type(types, _text(journal.get("name")), arxiv_only),
        pages=None if arxiv_journal else _text(journal.get("pages")),
        volume=None if arxiv_journal else _text(journal.get("volume")),
        citation_count=count if _is_int(count) else None,
        influential_citation_count=influential if _is_int(influential) else None,
        url=_text(item.get("url")),
    )


def parse_external_ids(raw: Any, paper_id: str, corpus_id: Any = None) -> Ids:
    """Ids from `externalIds`; arXiv's DataCite DOIs (10.48550/…) stay out of `doi` (the arXiv id is kept)."""
    ext = raw if isinstance(raw, Mapping) else {}
    doi = _text(ext.get("DOI"))
    doi = doi.lower() if doi and not doi.lower().startswith("10.48550/") else None
    arxiv = _text(ext.get("ArXiv"))
    pmc = _text(ext.get("PubMedCentral"))
    corpus = ext.get("CorpusId", corpus_id)
    return Ids(
        doi=doi,
        arxiv=_ARXIV_VERSION.sub("", arxiv) if arxiv else None,
        s2=paper_id,
        corpus_id=int(corpus) if _is_int(corpus) or (isinstance(corpus, str) and corpus.isdigit()) else None,
        acl=_text(ext.get("ACL")),
        pmcid=f"PMC{pmc.upper().removeprefix('PMC')}" if pmc else None,
        pmid=_text(ext.get("PubMed")),
        dblp=_text(ext.get("DBLP")),
    )


def parse_author(raw: Any) -> Author | None:
    """One author from {authorId, name}; None when nameless."""
    if not isinstance(raw, Mapping):
        return None
    name = _text(raw.get("name"))
    if not name:
        return None
    given, family = split_name(name)
    author_id = raw.get("authorId")
    return Author(given=given, family=family, s2_id=str(author_id) if author_id else None)


def choose_venue(names: Sequence[str | None]) -> str | None:
    """The first of (publicationVenue.name, venue, journal.name) that is not arXiv; a preprint server
    gives way to a later journal name (S2 merges a preprint with its journal version).
    """
    usable = [n for n in names if n and not _is_arxiv(n)]
    if not usable:
        return None
    if is_preprint_venue(usable[0]):
        for name in usable[1:]:
            if not is_preprint_venue(name):
                return name
    return usable[0]


def map_type(types: Sequence[str], journal_name: str | None, arxiv_only: bool) -> str | None:
    """Crossref's type for S2 publicationTypes; posted-content for an arXiv-only record.

    Other S2 types (Review, Editorial, LettersAndComments, …) count as journal-article only when the
    record names a journal; otherwise the type stays unknown.
    """
    if arxiv_only:
        return "posted-content"
    for s2_type, crossref_type in _TYPE_ORDER:
        if s2_type in types:
            return crossref_type
    if types and journal_name and not _is_arxiv(journal_name):
        return "journal-article"
    return None


def parse_batch(payload: Any, expected: int) -> list[Mapping[str, Any] | None]:
    """The items of a batch answer (None for unknown ids); ValueError unless it is a list of `expected`."""
    if isinstance(payload, Mapping):
        if not any(isinstance(payload.get(key), str) for key in ("error", "message")):
            keys = ", ".join(map(str, payload))[:60]
            raise ValueError(f"semantic_scholar batch error: an object ({keys}) where a list was expected")
        raise ValueError(f"semantic_scholar batch error: {_error_text(payload)}")
    if not isinstance(payload, list) or len(payload) != expected:
        size = len(payload) if isinstance(payload, list) else type(payload).__name__
        raise ValueError(f"semantic_scholar batch answer has {size} entries for {expected} ids")
    return [item if isinstance(item, Mapping) else None for item in payload]


def parse_match(payload: Any) -> Mapping[str, Any] | None:
    """The item of a search/match answer, or None for "no match" (`{"data": []}` or a 404 error body).

    ValueError for any other error body.
    """
    if isinstance(payload, Mapping) and "data" in payload:
        data = payload.get("data") or []
        if not isinstance(data, list):
            raise ValueError("semantic_scholar match answer with a non-list `data`")
        return data[0] if data and isinstance(data[0], Mapping) else None
    if isinstance(payload, Mapping) and "title match not found" in _error_text(payload).lower():
        return None
    raise ValueError(f"semantic_scholar match error: {_error_text(payload)}")


def parse_search(payload: Any) -> list[Mapping[str, Any]]:
    """The items of a search page; `{"total": 0}` without `data` is an empty page. ValueError for errors."""
    if not isinstance(payload, Mapping) or ("data" not in payload and "total" not in payload):
        raise ValueError(f"semantic_scholar search error: {_error_text(payload)}")
    data = payload.get("data") or []
    if not isinstance(data, list):
        raise ValueError("semantic_scholar search answer with a non-list `data`")
    return [item for item in data if isinstance(item, Mapping)]


def _error_text(payload: Any) -> str:
    if isinstance(payload, Mapping):
        for key in ("error", "message"):
            if isinstance(payload.get(key), str):
                return str(payload[key])
    return repr(payload)[:100]


def _is_arxiv(name: str) -> bool:
    return name.strip().lower() in _ARXIV_NAMES


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _text(value: Any) -> str | None:
    if isinstance(value, str):
        return clean_markup(value) or None
    if _is_int(value):
        return str(value)
    return None


def _month(date: Any) -> int | None:
    if isinstance(date, str):
        match = re.match(r"^\d{4}-(\d{2})", date)
        if match and 1 <= int(match.group(1)) <= 12:
            return int(match.group(1))
    return None


# -- the source ---------------------------------------------------------------------------------------


class SemanticScholarSource(CachedSource):
    """Semantic Scholar lookups by id (`POST /paper/batch`), title match and search, cached; offline reads only
    the cache. The shared behaviour is CachedSource's; the API key travels only in the x-api-key header set on
    the client."""

    name = NAME
    LABEL = "Semantic Scholar"
    RECORD_KIND = "paper"
    LOOKUP_ENDPOINT = "paper/batch"
    SEARCH_STEPS = (MATCH, SEARCH)

    normalise_key = staticmethod(normalise_key)
    parse_item = staticmethod(parse_paper)

    @staticmethod
    def lookup_keys(ids: Ids) -> tuple[str, ...]:
        """The keys the batch endpoint accepts for this paper, best first."""
        keys: list[str] = []
        if ids.s2:
            keys.append(ids.s2)
        if ids.doi:
            keys.append(f"DOI:{ids.doi}")
        if ids.arxiv:
            keys.append(f"ARXIV:{ids.arxiv}")
        if ids.acl:
            keys.append(f"ACL:{ids.acl}")
        if ids.pmcid:
            keys.append(f"PMCID:{ids.pmcid.removeprefix('PMC')}")
        if ids.corpus_id is not None:
            keys.append(f"CorpusId:{ids.corpus_id}")
        return tuple(keys)

    @staticmethod
    def record_key(ids: Ids) -> str | None:
        keys = SemanticScholarSource.lookup_keys(ids)
        return keys[0] if keys else None

    @staticmethod
    def count_key(work: Work) -> str:
        return work.ids.s2 or ""

    @staticmethod
    def cached_item(item: Mapping[str, Any]) -> dict[str, Any]:
        return {k: v for k, v in item.items() if k != "matchScore"}

    @staticmethod
    def counts_entry(work: Work) -> dict[str, Any]:
        return {"citationCount": work.citation_count, "influentialCitationCount": work.influential_citation_count}

    @staticmethod
    def with_counts(work: Work, counts: Mapping[str, Any] | None) -> Work:
        """The Work with the counts of a counts entry ({"citationCount", "influentialCitationCount", "fetched"}),
        or as it is when there is none."""
        if counts is None:
            return work
        count = counts.get("citationCount")
        influential = counts.get("influentialCitationCount")
        return dataclasses.replace(
            work,
            citation_count=count if _is_int(count) else None,
            influential_citation_count=influential if _is_int(influential) else None,
            counts_fetched=str(counts.get("fetched") or "") or None,
        )

    # -- lookup ---------------------------------------------------------------------------------------

    def fetch(self, client: SourceClient, keys: list[str]) -> dict[str, Work | None]:
        found: dict[str, Work | None] = {}
        splits = [MAX_SPLITS]
        for batch in _chunks(keys, BATCH_SIZE):
            found.update(self._fetch_batch(client, batch, splits))
        return found

    def _fetch_batch(self, client: SourceClient, batch: list[str], splits: list[int]) -> dict[str, Work | None]:
        """One batch; a 400 (a malformed id, or an answer over 10 MB) splits it in halves, a few times."""
        found: dict[str, Work | None] = {}
        params, body = build_batch_request(batch)
        try:
            reply = client.post(
                "/paper/batch", params, body, kind="list", endpoint="paper/batch", check=_batch_check(len(batch))
            )
            items = parse_batch(self._data(reply), len(batch))
        except SourceUnavailable as exc:
            self._fail(batch, exc.message)
            return found
        except SourceError as exc:
            if exc.status == 400 and len(batch) > 1 and splits[0] > 0:
                splits[0] -= 1
                half = len(batch) // 2
                return {
                    **self._fetch_batch(client, batch[:half], splits),
                    **self._fetch_batch(client, batch[half:], splits),
                }
            self._fail(batch, str(exc))
            return found
        except ValueError as exc:
            self._fail(batch, str(exc))
            return found
        today = self.today()
        for norm, item in zip(batch, items, strict=True):
            if item is None:
                self.store_missing(norm, NOT_FOUND_TTL)
                found[norm] = None
                continue
            try:
                found[norm] = self.store(norm, item, today)
            except ValueError as exc:
                self._fail([norm], f"{NAME}: unusable record for {norm}: {exc}")
        return found

    def _data(self, reply: Reply) -> Any:
        if reply.status != 200:
            detail = _error_text(reply.data) if reply.data is not None else reply.text[:100]
            raise SourceError(NAME, reply.url, reply.status, f"unexpected HTTP {reply.status}: {detail}")
        return reply.data

    def counts_batches(self, keys: list[str]) -> list[list[str]]:
        return _chunks(keys, BATCH_SIZE)

    def fetch_counts(self, client: SourceClient, batch: list[str]) -> dict[str, dict[str, Any]]:
        params, body = build_batch_request(batch, COUNT_FIELDS)
        reply = client.post(
            "/paper/batch", params, body, kind="list", endpoint="paper/batch-counts", check=_batch_check(len(batch))
        )
        items = parse_batch(self._data(reply), len(batch))
        return {
            paper_id: {
                "citationCount": item.get("citationCount"),
                "influentialCitationCount": item.get("influentialCitationCount"),
            }
            for paper_id, item in zip(batch, items, strict=True)
            if item is not None
        }

    # -- match and search ------------------------------------------------------------------------------

    def search_step(self, step: str, query: SearchQuery) -> list[Work]:
        """MATCH: the single best title match; SEARCH: the relevance search's hits.

        search/match answers with its single best title: often a same-titled other paper, or the preprint of
        a paper whose version of record exists; then the relevance search's hits hold it (resolution asks for
        them only then).
        """
        if step == MATCH:
            match = self.match(query)
            return [match] if match is not None else []
        return self.search(query, limit=SEARCH_LIMIT)

    def match(self, query: SearchQuery) -> Work | None:
        """S2's single best title match (Work.score = matchScore, unbounded), or None when there is none."""
        params = build_match_params(query)
        if not params["query"]:
            return None
        key = key_for(NAME, "match", str(params["query"]))
        cached = self.cached_answer(key, "paper/search/match", "item")
        if cached is not None:
            return self._scored(*cached)
        item, reply = self._ask(
            "/paper/search/match", params, lambda r: parse_match(r.data if r.data is not None else r.text)
        )
        if reply.status == 404 and item is not None:
            raise SourceError(NAME, reply.url, 404, "unexpected 404 answer with data")
        today = self.today()
        if item is not None:
            try:
                self.store(None, item, today)
            except ValueError as exc:
                raise SourceError(NAME, reply.url, reply.status, f"unusable match: {exc}") from None
        self.remember_answer(key, "item", item, today)
        return self._scored(item, today)

    def _ask(self, path: str, params: Params, parse: Callable[[Reply], T]) -> tuple[T, Reply]:
        """One search request's parsed answer (an answer that does not parse is a SourceError) and the reply."""
        assert self.client is not None  # cached_answer raised when offline
        reply = self.client.get(path, params, kind="single", endpoint=path.removeprefix("/"))
        try:
            return parse(reply), reply
        except ValueError as exc:
            raise SourceError(NAME, reply.url, reply.status, str(exc)) from None

    def _scored(self, item: Mapping[str, Any] | None, fetched: str | None) -> Work | None:
        """The Work of a match answer's item, with its matchScore; None for no (usable) match."""
        works = self.answered_works([item], fetched, score="matchScore") if item is not None else []
        return works[0] if works else None

    def search(self, query: SearchQuery, limit: int = SEARCH_LIMIT) -> list[Work]:
        """Relevance-ranked candidates for a title (S2 gives no score)."""
        params = build_search_params(query, limit)
        if not params["query"]:
            return []
        key = key_for(NAME, "search", f"limit={limit}", str(params["query"]))
        cached = self.cached_answer(key, "paper/search", "items")
        if cached is not None:
            return self.answered_works(*cached)
        items, _reply = self._ask("/paper/search", params, lambda r: parse_search(self._data(r)))
        today = self.today()
        kept = []
        for item in items:
            try:
                self.store(None, item, today)
            except ValueError:
                continue
            kept.append(dict(item))
        self.remember_answer(key, "items", kept, today)
        return self.answered_works(kept, today)


def _batch_check(expected: int) -> Callable[[Any], object]:
    """A check for SourceClient.post: a batch answer that does not fit is retried, never cached."""
    return lambda data: parse_batch(data, expected)


def _chunks(items: list[str], size: int) -> list[list[str]]:
    return [items[i : i + size] for i in range(0, len(items), size)]
