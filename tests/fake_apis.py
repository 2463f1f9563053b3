"""Fake Crossref and Semantic Scholar for tests: httpx.MockTransport handlers that route on (method, path).

Each fake serves the recorded fixtures (tests/fixtures/{crossref,semantic_scholar}) plus records added by
a test, answers like the real service (Crossref's text/plain 404 and relative 301, S2's null-in-place batch
entries and two "no match" shapes), records every request, counts requests in flight, and can be scripted
to fail (`script`: statuses, responses or exceptions served before normal routing; `down`: an exception
raised for every request). `route_by_host` joins several fakes into one transport handler.
"""

from __future__ import annotations

import copy
import json
import threading
import time
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import Any
from urllib.parse import unquote

import httpx

FIXTURES = Path(__file__).resolve().parent / "fixtures"
CROSSREF_FIXTURES = FIXTURES / "crossref"
S2_FIXTURES = FIXTURES / "semantic_scholar"

Scripted = int | httpx.Response | Exception | Callable[[httpx.Request], httpx.Response]


def load_body(path: Path) -> Any:
    """A fixture body: parsed JSON for .json files, the text otherwise."""
    text = path.read_text(encoding="utf-8")
    return json.loads(text) if path.suffix == ".json" else text


def body_files(folder: Path) -> list[Path]:
    """The response bodies of a fixture folder (not the .meta.json sidecars or PROVENANCE.md)."""
    return sorted(p for p in folder.iterdir() if p.suffix in (".json", ".txt") and not p.name.endswith(".meta.json"))


def meta_of(body: Path) -> dict[str, Any]:
    """The sidecar of a fixture body."""
    meta: dict[str, Any] = json.loads(body.with_name(body.name.rsplit(".", 1)[0] + ".meta.json").read_text())
    return meta


def split_path(request: httpx.Request, first: str) -> tuple[str, str]:
    """(base path, route) of a request: the route starts at `first`, whatever the base URL's path."""
    path = request.url.path
    index = path.find(first)
    return (path[:index], path[index:]) if index >= 0 else ("", path)


class _Fake:
    """What both fakes share: request log, in-flight counter, scripted failures, latency."""

    def __init__(self, *, latency: float = 0.0, headers: Mapping[str, str] | None = None) -> None:
        self.requests: list[httpx.Request] = []
        self.script: list[Scripted] = []
        self.down: Exception | None = None
        self.latency = latency
        self.headers = dict(headers or {})
        self.in_flight = 0
        self.max_in_flight = 0
        self.starts: list[float] = []
        self._lock = threading.Lock()

    def __call__(self, request: httpx.Request) -> httpx.Response:
        with self._lock:
            self.requests.append(request)
            self.starts.append(time.monotonic())
            self.in_flight += 1
            self.max_in_flight = max(self.max_in_flight, self.in_flight)
            scripted = self.script.pop(0) if self.script else None
        try:
            if self.latency:
                time.sleep(self.latency)
            if self.down is not None:
                raise self.down
            if scripted is not None:
                return self._scripted(scripted, request)
            response = self.route(request)
            response.headers.update({k: v for k, v in self.headers.items() if k not in response.headers})
            return response
        finally:
            with self._lock:
                self.in_flight -= 1

    def route(self, request: httpx.Request) -> httpx.Response:
        raise NotImplementedError

    @staticmethod
    def _scripted(scripted: Scripted, request: httpx.Request) -> httpx.Response:
        if isinstance(scripted, Exception):
            raise scripted
        if isinstance(scripted, httpx.Response):
            return scripted
        if isinstance(scripted, int):
            if scripted == 429:
                return httpx.Response(429, text="<h1>429 Too Many Requests</h1>", headers={"content-type": "text/html"})
            return httpx.Response(scripted, json={"status": "failed", "message": f"scripted {scripted}"})
        return scripted(request)

    def calls(self, method: str | None = None, path_contains: str = "") -> list[httpx.Request]:
        """The recorded requests, optionally filtered by method and a substring of the path."""
        return [r for r in self.requests if (method is None or r.method == method) and path_contains in r.url.path]


# -- Crossref ------------------------------------------------------------------------------------------


def crossref_work_items() -> list[dict[str, Any]]:
    """The `message` of every recorded single-work fixture."""
    items = []
    for path in body_files(CROSSREF_FIXTURES):
        body = load_body(path)
        if isinstance(body, dict) and body.get("message-type") == "work":
            items.append(body["message"])
    return items


def synthetic_work(doi: str, title: str | None = None, count: int = 0, **extra: Any) -> dict[str, Any]:
    """A plausible Crossref work item for tests that need many DOIs."""
    item: dict[str, Any] = {
        "DOI": doi,
        "title": [title or f"A study numbered {doi.rsplit('.', 1)[-1]}"],
        "author": [{"given": "Ada", "family": "Lovelace", "sequence": "first", "affiliation": []}],
        "container-title": ["Journal of Tests"],
        "issued": {"date-parts": [[2020, 5]]},
        "type": "journal-article",
        "publisher": "Test Press",
        "is-referenced-by-count": count,
        "URL": f"https://doi.org/{doi}",
        "relation": {},
        "reference": [{"key": "r1"}],  # a field select leaves out
    }
    item.update(extra)
    return item


class FakeCrossref(_Fake):
    """Crossref's /works routes: single DOI (404 text, 301 for aliases), filter=doi:…, query.bibliographic."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault(
            "headers",
            {
                "x-api-pool": "polite",
                "x-rate-limit-limit": "10",
                "x-rate-limit-interval": "1s",
                "x-concurrency-limit": "3",
            },
        )
        super().__init__(**kwargs)
        self.works: dict[str, dict[str, Any]] = {}
        self.aliases: dict[str, str] = {}
        self.searches: list[tuple[str, list[dict[str, Any]]]] = []

    @classmethod
    def with_recorded(cls, **kwargs: Any) -> FakeCrossref:
        """A fake that knows every recorded work, and the recorded chemRxiv alias."""
        fake = cls(**kwargs)
        for item in crossref_work_items():
            fake.add(item)
        fake.aliases["10.26434/chemrxiv.5406907"] = "10.26434/chemrxiv.5406907.v5"
        return fake

    def add(self, item: Mapping[str, Any]) -> None:
        """Know one work item (keyed by its lowercased DOI)."""
        self.works[str(item["DOI"]).lower()] = copy.deepcopy(dict(item))

    def add_search(self, needle: str, items: Iterable[Mapping[str, Any]]) -> None:
        """Answer bibliographic queries containing `needle` (case-insensitive) with these scored items."""
        self.searches.append((needle.lower(), [dict(i) for i in items]))

    def route(self, request: httpx.Request) -> httpx.Response:
        prefix, path = split_path(request, "/works")
        if request.method != "GET":
            return httpx.Response(405, text="method not allowed")
        if path.startswith("/works/"):
            return self._single(unquote(path[len("/works/") :]).lower(), prefix)
        if path == "/works":
            params = request.url.params
            if "filter" in params:
                return self._filter(params)
            if "query.bibliographic" in params:
                return self._query(params)
        return httpx.Response(404, text="no such route in FakeCrossref", headers={"content-type": "text/plain"})

    def _single(self, doi: str, prefix: str) -> httpx.Response:
        if doi in self.aliases:  # like Crossref: a relative Location
            return httpx.Response(301, headers={"location": f"{prefix}/works/{self.aliases[doi]}"})
        if doi not in self.works:
            return httpx.Response(404, text="Resource not found.", headers={"content-type": "text/plain"})
        return httpx.Response(
            200,
            json={
                "status": "ok",
                "message-type": "work",
                "message-version": "1.0.0",
                "message": self.works[doi],
            },
        )

    def _filter(self, params: httpx.QueryParams) -> httpx.Response:
        wanted = []
        for part in params["filter"].split(","):
            name, _, value = part.partition(":")
            if name != "doi":
                return self._invalid("filter-not-valid", part)
            wanted.append(value.lower())
        found = sorted((self.works[d] for d in set(wanted) if d in self.works), key=lambda i: i["DOI"])
        rows = int(params.get("rows", "20"))
        return self._list([self._select(i, params.get("select")) for i in found][:rows], rows)

    def _query(self, params: httpx.QueryParams) -> httpx.Response:
        text = params["query.bibliographic"].lower()
        rows = int(params.get("rows", "20"))
        for needle, items in self.searches:
            if needle in text:
                return self._list([self._select(i, params.get("select")) for i in items][:rows], rows)
        return self._list([], rows)

    @staticmethod
    def _select(item: Mapping[str, Any], select: str | None) -> dict[str, Any]:
        if not select:
            return dict(item)
        fields = select.split(",")
        return {k: v for k, v in item.items() if k in fields}

    @staticmethod
    def _list(items: list[dict[str, Any]], rows: int) -> httpx.Response:
        message = {
            "facets": {},
            "total-results": len(items),
            "items": items,
            "items-per-page": rows,
            "query": {"start-index": 0, "search-terms": None},
        }
        return httpx.Response(
            200,
            json={
                "status": "ok",
                "message-type": "work-list",
                "message-version": "1.0.0",
                "message": message,
            },
        )

    @staticmethod
    def _invalid(kind: str, value: str) -> httpx.Response:
        return httpx.Response(
            400,
            json={
                "status": "failed",
                "message-type": "validation-failure",
                "message": [{"type": kind, "value": value, "message": f"{kind}: {value}"}],
            },
        )


# -- Semantic Scholar ----------------------------------------------------------------------------------


def s2_paper_items() -> list[dict[str, Any]]:
    """Every recorded full S2 paper (single papers, batch entries, match hits; not the title-only ones)."""
    items: list[dict[str, Any]] = []
    for path in body_files(S2_FIXTURES):
        body = load_body(path)
        if isinstance(body, list):
            items += [i for i in body if isinstance(i, dict)]
        elif isinstance(body, dict) and "externalIds" in body:
            items.append(body)
        elif isinstance(body, dict) and body.get("data") and "matchScore" in body["data"][0]:
            items += [{k: v for k, v in i.items() if k != "matchScore"} for i in body["data"]]
    return items


def s2_keys_of(item: Mapping[str, Any]) -> list[str]:
    """Every id under which S2 would find this paper (as the fake normalises them)."""
    ext = item.get("externalIds") or {}
    keys = [str(item["paperId"]).lower()]
    if ext.get("DOI"):
        keys += [f"doi:{ext['DOI'].lower()}", ext["DOI"].lower()]
    if ext.get("ArXiv"):
        keys.append(f"arxiv:{ext['ArXiv'].lower()}")
    if ext.get("ACL"):
        keys.append(f"acl:{ext['ACL'].lower()}")
    if ext.get("PubMedCentral"):
        keys.append(f"pmcid:{ext['PubMedCentral']}")
    corpus = ext.get("CorpusId", item.get("corpusId"))
    if corpus is not None:
        keys.append(f"corpusid:{corpus}")
    return keys


def _fake_key(key: str) -> str:
    prefix, sep, rest = key.strip().partition(":")
    if sep and prefix.lower() in {"doi", "arxiv", "acl", "pmcid", "pmid", "corpusid", "mag", "url"}:
        return f"{prefix.lower()}:{rest.lower()}"
    return key.strip().lower()


class FakeS2(_Fake):
    """S2's Graph API routes: POST /paper/batch, GET /paper/search/match, /paper/search, /paper/{id}."""

    def __init__(self, *, api_key: str | None = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.api_key = api_key
        self.papers: dict[str, dict[str, Any]] = {}
        self.matches: dict[str, dict[str, Any]] = {}
        self.searches: dict[str, list[dict[str, Any]]] = {}

    @classmethod
    def with_recorded(cls, **kwargs: Any) -> FakeS2:
        """A fake that knows every recorded paper and the recorded title match."""
        fake = cls(**kwargs)
        for item in s2_paper_items():
            fake.add(item)
        hit = load_body(S2_FIXTURES / "search-match_attention-is-all-you-need.json")["data"][0]
        fake.add_match(hit["title"], hit)
        return fake

    def add(self, item: Mapping[str, Any]) -> None:
        """Know one paper under all its ids."""
        for key in s2_keys_of(item):
            self.papers[key] = copy.deepcopy(dict(item))

    def add_match(self, title: str, item: Mapping[str, Any]) -> None:
        """Answer search/match for this exact title (case-insensitive) with the item."""
        self.matches[title.lower()] = dict(item)

    def route(self, request: httpx.Request) -> httpx.Response:
        if self.api_key is not None and request.headers.get("x-api-key") != self.api_key:
            return httpx.Response(403, json={"message": "Forbidden"})
        _, path = split_path(request, "/paper")
        fields = [f for f in request.url.params.get("fields", "").split(",") if f]
        if request.method == "POST" and path == "/paper/batch":
            return self._batch(json.loads(request.content), fields)
        if request.method == "GET" and path == "/paper/search/match":
            return self._match(request.url.params.get("query", ""), fields)
        if request.method == "GET" and path == "/paper/search":
            return self._search(request.url.params, fields)
        if request.method == "GET" and path.startswith("/paper/"):
            paper_id = unquote(path[len("/paper/") :])
            item = self.papers.get(_fake_key(paper_id))
            if item is None:
                return httpx.Response(404, json={"error": f"Paper with id {paper_id} not found"})
            return httpx.Response(200, json=self._project(item, fields))
        return httpx.Response(404, json={"message": "Missing Authentication Token"})

    def _batch(self, body: Mapping[str, Any], fields: list[str]) -> httpx.Response:
        ids = body.get("ids")
        if not isinstance(ids, list) or not ids:
            return httpx.Response(400, json={"error": "No valid paper ids given"})
        if len(ids) > 500:
            return httpx.Response(400, json={"error": "Cannot process more than 500 ids at once"})
        if any("malformed" in str(i) for i in ids):
            return httpx.Response(400, json={"error": "Invalid paper id"})
        items = [self.papers.get(_fake_key(str(i))) for i in ids]
        return httpx.Response(200, json=[self._project(i, fields) if i else None for i in items])

    def _match(self, query: str, fields: list[str]) -> httpx.Response:
        # S2 documents that hyphenated query terms match nothing.
        item = None if "-" in query else self.matches.get(" ".join(query.lower().split()))
        if item is None:
            return httpx.Response(404, json={"error": "Title match not found"})
        projected = self._project(item, fields)
        projected["matchScore"] = item.get("matchScore", 100.0)
        return httpx.Response(200, json={"data": [projected]})

    def _search(self, params: httpx.QueryParams, fields: list[str]) -> httpx.Response:
        items = self.searches.get(" ".join(params.get("query", "").lower().split()), [])
        limit = int(params.get("limit", "100"))
        if not items:
            return httpx.Response(200, json={"total": 0, "offset": 0})
        return httpx.Response(
            200,
            json={
                "total": len(items),
                "offset": 0,
                "data": [self._project(i, fields) for i in items[:limit]],
            },
        )

    @staticmethod
    def _project(item: Mapping[str, Any], fields: list[str]) -> dict[str, Any]:
        if not fields:
            return {"paperId": item["paperId"], "title": item.get("title")}
        return {k: v for k, v in item.items() if k == "paperId" or k in fields}


def route_by_host(
    fakes: Mapping[str, Callable[[httpx.Request], httpx.Response]],
) -> Callable[[httpx.Request], httpx.Response]:
    """One handler that sends each request to the fake registered for its host."""

    def handler(request: httpx.Request) -> httpx.Response:
        fake = fakes.get(request.url.host)
        if fake is None:
            raise httpx.ConnectError(f"no fake for host {request.url.host}", request=request)
        return fake(request)

    return handler


def zero_wait_client(
    name: str,
    base_url: str,
    handler: Callable[[httpx.Request], httpx.Response],
    *,
    waits: list[float] | None = None,
    settings: Any = None,
    unreachable_after: int = 3,
    headers: Mapping[str, str] | None = None,
    secrets: tuple[str, ...] = (),
    stats: Any = None,
) -> Any:
    """A SourceClient over a MockTransport that never sleeps (retry waits are appended to `waits`)."""
    from avenrich.config import Limits, Settings
    from avenrich.sources.http import RequestStats, RetryPolicy, SourceClient, make_client
    from avenrich.sources.pacing import Pacer

    recorded = waits if waits is not None else []
    return SourceClient(
        name,
        base_url,
        make_client(settings or Settings(mailto="tests@example.org"), httpx.MockTransport(handler)),
        Pacer(Limits(1000.0, 1000.0, 3)),
        RetryPolicy(jitter=0.0, sleep=recorded.append),
        stats or RequestStats(),
        headers,
        secrets,
        unreachable_after=unreachable_after,
    )
