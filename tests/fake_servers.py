"""Fake Crossref and Semantic Scholar HTTP servers on 127.0.0.1, for end-to-end tests and benchmarks (I/O).

`FakeApis(world, ...)` serves a `FakeWorld` on the real paths with the real envelopes, error bodies and
headers, answers 429 beyond configured rate/concurrency limits, injects seeded faults (`FaultPlan`) and
counts what it sees. Crossref is served at the root of its own server, so its relative 301 Location
(`/works/<canonical>`) resolves exactly as on api.crossref.org; Semantic Scholar under `/graph/v1`.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import re
import socket
import threading
import time
import traceback
from collections import Counter, deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any, NamedTuple
from urllib.parse import parse_qs, unquote, urlsplit

try:  # imported as tests.fake_servers
    from .world import S2_EXTRA_FIELDS, S2_FIELDS, FakePaper, FakeWorld, to_crossref_item, to_s2_item
except ImportError:  # imported with tests/ on sys.path (pytest's default)
    from world import S2_EXTRA_FIELDS, S2_FIELDS, FakePaper, FakeWorld, to_crossref_item, to_s2_item

__all__ = [
    "CROSSREF",
    "FAULT_KINDS",
    "S2",
    "FakeApis",
    "FakePaper",
    "FakeWorld",
    "FaultPlan",
    "RequestLog",
    "RequestRecord",
]

CROSSREF = "crossref"
S2 = "semantic_scholar"
MAX_HANG = 5.0
FAULT_KINDS = (
    "500",
    "502",
    "503",
    "504",
    "429_retry_after",
    "429",
    "hang",
    "truncated_json",
    "malformed_json",
    "drop",
    "batch_wrong_length",
    "batch_extra_nulls",
    "batch_object",
    "redirect_loop",
)
_BATCH_FAULTS = frozenset({"batch_wrong_length", "batch_extra_nulls", "batch_object"})
# Real pool limits (API-NOTES §0/§1.6): advertised in headers when no limits are configured.
_CROSSREF_DEFAULTS = {True: (10, 3, 3), False: (5, 1, 1)}
_CROSSREF_SELECTABLE = frozenset(
    str.split(
        "abstract URL resource member posted score created degree update-policy short-title license ISSN "
        "container-title issued update-to issue prefix approved indexed article-number "
        "clinical-trial-number accepted author group-title DOI is-referenced-by-count updated-by event "
        "chair standards-body original-title funder translator archive published-print alternative-id "
        "subject subtitle published-online publisher-location content-domain reference title link type "
        "publisher volume references-count ISBN issn-type assertion deposited page content-created "
        "short-container-title relation editor published subtype aliases institution"
    )
)
_CROSSREF_FILTERS = frozenset({"doi", "prefix", "type", "from-pub-date", "until-pub-date"})
_CROSSREF_QUERIES = frozenset(
    {"query", "query.bibliographic", "query.title", "query.author", "query.container-title", "query.editor"}
)
_S2_429 = {
    "message": "Too Many Requests. Please wait and try again or apply for a key for higher rate limits. "
    "https://www.semanticscholar.org/product/api#api-key-form",
    "code": "429",
}
_NGINX = "<html>\r\n<head><title>{0}</title></head>\r\n<body>\r\n<center><h1>{0}</h1></center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n"  # noqa: E501
_CROSSREF_ERRORS = {
    429: "429 Too Many Requests",
    500: "500 Internal Server Error",
    502: "502 Bad Gateway",
    503: "503 Service Temporarily Unavailable",
    504: "504 Gateway Time-out",
}
_S2_ERRORS = {
    500: "Internal server error",
    502: "Bad Gateway",
    503: "Service Unavailable",
    504: "Endpoint request timed out",
}
_REASONS = {
    200: "OK",
    301: "Moved Permanently",
    400: "Bad Request",
    404: "Not Found",
    405: "Method Not Allowed",
    429: "Too Many Requests",
    500: "Internal Server Error",
    502: "Bad Gateway",
    503: "Service Unavailable",
    504: "Gateway Timeout",
}


# ---------------------------------------------------------------------------------------------------
# Faults
# ---------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class FaultPlan:
    """Deterministic fault injection.

    `rate`: share of eligible requests that get a fault; the draw hashes (seed, request, how many times this
    same request was seen), so it does not depend on thread timing and a retried request gets a fresh draw.
    `script`: {n: kind} faults the n-th eligible request (1-based; eligible = of `sources`/`endpoints`).
    A kind that cannot apply to a request (batch faults off /paper/batch, redirect loops on POST) is skipped:
    random draws pick among the applicable kinds only. `hang_seconds` is capped at MAX_HANG (5 s).
    """

    rate: float = 0.0
    kinds: tuple[str, ...] = FAULT_KINDS
    seed: int = 0
    script: Mapping[int, str] = field(default_factory=dict)
    sources: frozenset[str] = frozenset({CROSSREF, S2})
    endpoints: frozenset[str] | None = None
    hang_seconds: float = MAX_HANG
    retry_after: int = 1

    def __post_init__(self) -> None:
        unknown = (set(self.kinds) | set(self.script.values())) - set(FAULT_KINDS)
        if unknown:
            raise ValueError(f"unknown fault kinds: {sorted(unknown)}")


def _applicable(kind: str, source: str, endpoint: str, method: str) -> bool:
    if kind in _BATCH_FAULTS:
        return source == S2 and endpoint == "batch"
    if kind == "redirect_loop":
        return method == "GET"
    return True


@dataclass
class _FaultState:
    plan: FaultPlan
    eligible: int = 0
    seen: Counter[str] = field(default_factory=Counter)

    def decide(self, source: str, endpoint: str, method: str, identity: str) -> str | None:
        plan = self.plan
        if source not in plan.sources or (plan.endpoints is not None and endpoint not in plan.endpoints):
            return None
        self.eligible += 1
        if self.eligible in plan.script:
            kind = plan.script[self.eligible]
            return kind if _applicable(kind, source, endpoint, method) else None
        if plan.rate <= 0:
            return None
        occurrence = self.seen[identity]
        self.seen[identity] += 1
        digest = hashlib.blake2b(f"{plan.seed}\x1f{identity}\x1f{occurrence}".encode(), digest_size=16).digest()
        if int.from_bytes(digest[:8], "big") / 2**64 >= plan.rate:
            return None
        kinds = [k for k in plan.kinds if _applicable(k, source, endpoint, method)]
        return kinds[int.from_bytes(digest[8:], "big") % len(kinds)] if kinds else None


# ---------------------------------------------------------------------------------------------------
# Records
# ---------------------------------------------------------------------------------------------------


class RequestLog(NamedTuple):
    """One request as the brief's 7-tuple: (time, source, endpoint, method, path, query, status)."""

    time: float
    source: str
    endpoint: str
    method: str
    path: str
    query: str
    status: int


@dataclass(frozen=True, slots=True)
class RequestRecord:
    """Everything recorded about one request. `key_present` says whether an x-api-key header came (never
    its value); `limited` is "rate"/"concurrency" for the limiter's own 429s; `ids` is the batch size or the
    number of DOIs in a filter; `polite` whether Crossref saw a mailto (None for S2)."""

    time: float
    source: str
    endpoint: str
    method: str
    path: str
    query: str
    status: int
    kind: str
    key_present: bool
    polite: bool | None
    fault: str | None
    limited: str | None
    ids: int
    duration: float


@dataclass(slots=True)
class _Reply:
    status: int
    body: bytes = b""
    content_type: str | None = "application/json"
    headers: list[tuple[str, str]] = field(default_factory=list)
    drop: bool = False


def _crossref_json(payload: Any) -> bytes:
    # Crossref escapes "/" in its JSON (see the recorded work-list samples).
    return json.dumps(payload, ensure_ascii=False, separators=(",", ":")).replace("/", "\\/").encode()


def _s2_json(payload: Any) -> bytes:
    return json.dumps(payload, ensure_ascii=False).encode()


def _s2_error(status: int, message: str) -> _Reply:
    return _Reply(status, json.dumps({"error": message}, separators=(",", ":")).encode())


def _crossref_failure(status: int, kind: str, value: str, message: str, message_type: str) -> _Reply:
    payload = {
        "status": "failed",
        "message-type": message_type,
        "message": [{"type": kind, "value": value, "message": message}],
    }
    return _Reply(status, _crossref_json(payload), "application/json;charset=utf-8")


def _parse_year_filter(text: str) -> Callable[[FakePaper], bool] | None:
    match = re.fullmatch(r"(\d{4})?(-)?(\d{4})?", text.strip())
    if not match or not (match.group(1) or match.group(3)):
        return None
    low = int(match.group(1)) if match.group(1) else None
    high = int(match.group(3)) if match.group(3) else None
    if match.group(2) is None:
        high = low
    return lambda p: p.year is not None and (low is None or p.year >= low) and (high is None or p.year <= high)


def _date_bound(text: str) -> int | None:
    match = re.match(r"(\d{4})", text)
    return int(match.group(1)) if match else None


# ---------------------------------------------------------------------------------------------------
# The servers
# ---------------------------------------------------------------------------------------------------


class _Server(ThreadingHTTPServer):
    daemon_threads = False  # server_close() joins the handler threads
    block_on_close = True
    allow_reuse_address = True
    request_queue_size = 128  # bursts of new connections must not overflow the listen backlog

    def __init__(self, apis: FakeApis, source: str) -> None:
        self.apis = apis
        self.source = source
        self.connections: set[socket.socket] = set()
        self.connections_lock = threading.Lock()
        super().__init__(("127.0.0.1", 0), _Handler)

    def handle_error(self, request: Any, client_address: Any) -> None:
        """Clients hanging up (timeouts, dropped connections) are normal here; anything else is recorded."""
        error = traceback.format_exc()
        if not re.search(r"(ConnectionResetError|BrokenPipeError|ConnectionAbortedError|TimeoutError|OSError)", error):
            with self.apis._lock:
                self.apis.internal_errors.append(error)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    timeout = 120  # an idle keep-alive connection is closed after this (close() ends them at once)
    disable_nagle_algorithm = True
    server: _Server

    def setup(self) -> None:
        super().setup()
        with self.server.connections_lock:
            self.server.connections.add(self.connection)
        if self.server.apis._stop.is_set():  # accepted while closing
            self.close_connection = True
            self.connection.shutdown(socket.SHUT_RDWR)

    def finish(self) -> None:
        with self.server.connections_lock:
            self.server.connections.discard(self.connection)
        with contextlib.suppress(OSError):
            super().finish()

    def log_message(self, format: str, *args: Any) -> None:
        """Silent: the counters are the log."""

    def do_GET(self) -> None:
        self.server.apis._serve(self, "GET")

    def do_POST(self) -> None:
        self.server.apis._serve(self, "POST")

    def do_PUT(self) -> None:
        self.server.apis._serve(self, "PUT")

    def do_DELETE(self) -> None:
        self.server.apis._serve(self, "DELETE")


class FakeApis:
    """Fake Crossref + Semantic Scholar over real HTTP on 127.0.0.1; a context manager.

    Args:
        world: the papers served.
        latency: seconds every admitted response waits before it is sent (holding its concurrency slot).
        crossref_limits: (single_rps, list_rps, concurrency) enforced with 429s and advertised in the
            x-rate-limit-* / x-concurrency-limit headers; None: nothing enforced, the real pool values
            advertised (polite 10/3/3, public 5/1/1).
        s2_limits: (rps, concurrency) across all S2 endpoints; None: nothing enforced.
        faults: a FaultPlan, or None; replaceable at run time (`apis.faults = None`).
        rate_slack: the rate windows span 1 s minus this (seconds), so a client pacing exactly at the limit is
            not punished for thread-scheduling jitter; `max_per_second` uses the same window.

    Counters: `requests` (RequestLog 7-tuples), `records` (RequestRecord), `counts[(source, endpoint)]`,
    `max_in_flight[source]`, `max_per_second[source][kind]` (crossref kinds "single", "list", "all";
    S2 "all"), `max_per_second_by_endpoint[source][endpoint]`, `count_429` (all 429 answers),
    `rate_limited[source]` (the limiter's own 429s), `fault_counts[kind]`, `internal_errors` (tracebacks
    of bugs in the fake; should stay empty).
    Sources are "crossref" and "semantic_scholar"; endpoints: crossref "work", "filter", "query", "works",
    "other"; S2 "batch", "paper", "match", "search", "other".
    """

    def __init__(
        self,
        world: FakeWorld,
        *,
        latency: float = 0.0,
        crossref_limits: tuple[int, int, int] | None = None,
        s2_limits: tuple[int, int] | None = None,
        faults: FaultPlan | None = None,
        rate_slack: float = 0.05,
    ) -> None:
        self.world = world
        self.latency = latency
        self.crossref_limits = crossref_limits
        self.s2_limits = s2_limits
        self.rate_window = 1.0 - rate_slack
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._servers: list[_Server] = []
        self._threads: list[threading.Thread] = []
        self._fault_state: _FaultState | None = _FaultState(faults) if faults else None
        self.crossref_url = ""
        self.s2_url = ""
        self.reset_counters()

    # -- lifecycle --------------------------------------------------------------------------------

    def __enter__(self) -> FakeApis:
        self.start()
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    def start(self) -> FakeApis:
        """Bind both servers to free ports on 127.0.0.1 and serve them in background threads."""
        self.world.prepare()
        self._stop.clear()
        for source in (CROSSREF, S2):
            server = _Server(self, source)
            thread = threading.Thread(
                target=server.serve_forever,
                kwargs={"poll_interval": 0.05},
                name=f"fake-{source}",
                daemon=True,
            )
            thread.start()
            self._servers.append(server)
            self._threads.append(thread)
        crossref_port = self._servers[0].server_address[1]
        s2_port = self._servers[1].server_address[1]
        self.crossref_url = f"http://127.0.0.1:{crossref_port}"
        self.s2_url = f"http://127.0.0.1:{s2_port}/graph/v1"
        return self

    def close(self) -> None:
        """Stop serving: interrupt waits, close open connections, join every thread."""
        self._stop.set()
        for server in self._servers:
            server.shutdown()
            with server.connections_lock:
                open_connections = list(server.connections)
            for connection in open_connections:
                with contextlib.suppress(OSError):
                    connection.shutdown(socket.SHUT_RDWR)
            server.server_close()
        for thread in self._threads:
            thread.join(timeout=10)
        self._servers.clear()
        self._threads.clear()

    def env(self) -> dict[str, str]:
        """The environment variables that point avenrich at these servers."""
        return {"AVENRICH_CROSSREF_URL": self.crossref_url, "AVENRICH_S2_URL": self.s2_url}

    # -- configuration at run time ------------------------------------------------------------------

    @property
    def faults(self) -> FaultPlan | None:
        """The active fault plan; assigning one restarts its request numbering and draws."""
        return self._fault_state.plan if self._fault_state else None

    @faults.setter
    def faults(self, plan: FaultPlan | None) -> None:
        with self._lock:
            self._fault_state = _FaultState(plan) if plan else None

    # -- counters ---------------------------------------------------------------------------------

    def reset_counters(self) -> None:
        """Forget every request seen so far (limits and faults keep their state)."""
        with self._lock:
            self.records: list[RequestRecord] = []
            self.counts: Counter[tuple[str, str]] = Counter()
            self.max_in_flight: dict[str, int] = {CROSSREF: 0, S2: 0}
            self.max_per_second: dict[str, dict[str, int]] = {
                CROSSREF: {"single": 0, "list": 0, "all": 0},
                S2: {"all": 0},
            }
            self.max_per_second_by_endpoint: dict[str, dict[str, int]] = {CROSSREF: {}, S2: {}}
            self.count_429 = 0
            self.rate_limited: Counter[str] = Counter()
            self.fault_counts: Counter[str] = Counter()
            self.internal_errors: list[str] = []
            self._in_flight = {CROSSREF: 0, S2: 0}
            self._admitted = {CROSSREF: 0, S2: 0}
            self._seen: dict[tuple[str, str], deque[float]] = {}
            self._accepted: dict[tuple[str, str], deque[float]] = {}

    @property
    def requests(self) -> list[RequestLog]:
        """Every request as (time, source, endpoint, method, path, query, status), in completion order."""
        with self._lock:
            return [RequestLog(r.time, r.source, r.endpoint, r.method, r.path, r.query, r.status) for r in self.records]

    def count(self, source: str | None = None, endpoint: str | None = None) -> int:
        """How many requests came (to a source, an endpoint)."""
        with self._lock:
            return sum(
                n for (s, e), n in self.counts.items() if (source is None or s == source) and endpoint in (None, e)
            )

    def summary(self) -> dict[str, Any]:
        """The counters as plain data (for benchmark output)."""
        with self._lock:
            return {
                "requests": {f"{s}/{e}": n for (s, e), n in sorted(self.counts.items())},
                "total": sum(self.counts.values()),
                "max_in_flight": dict(self.max_in_flight),
                "max_per_second": {s: dict(k) for s, k in self.max_per_second.items()},
                "count_429": self.count_429,
                "rate_limited": dict(self.rate_limited),
                "faults": dict(self.fault_counts),
                "internal_errors": len(self.internal_errors),
            }

    # -- request handling -------------------------------------------------------------------------

    def _limits(self, source: str) -> tuple[dict[str, int], int | None] | None:
        if source == CROSSREF and self.crossref_limits:
            single, listed, concurrency = self.crossref_limits
            return {"single": single, "list": listed}, concurrency
        if source == S2 and self.s2_limits:
            rps, concurrency = self.s2_limits
            return {"all": rps}, concurrency
        return None

    def _observe(self, key: tuple[str, str], now: float) -> int:
        window = self._seen.setdefault(key, deque())
        window.append(now)
        while window[0] <= now - self.rate_window:
            window.popleft()
        return len(window)

    def _arrive(
        self, source: str, endpoint: str, kind: str, method: str, identity: str
    ) -> tuple[str | None, str | None]:
        """Under the lock: count the arrival, apply the limits, draw a fault. Returns (limited, fault)."""
        now = time.monotonic()
        self.counts[(source, endpoint)] += 1
        self._in_flight[source] += 1
        self.max_in_flight[source] = max(self.max_in_flight[source], self._in_flight[source])
        per_second = self.max_per_second[source]
        for name in {kind, "all"}:
            per_second[name] = max(per_second.get(name, 0), self._observe((source, name), now))
        by_endpoint = self.max_per_second_by_endpoint[source]
        by_endpoint[endpoint] = max(by_endpoint.get(endpoint, 0), self._observe((source, "@" + endpoint), now))
        limits = self._limits(source)
        if limits is not None:
            rates, concurrency = limits
            if concurrency is not None and self._admitted[source] >= concurrency:
                return "concurrency", None
            rate = rates.get(kind)
            if rate is not None:
                accepted = self._accepted.setdefault((source, kind), deque())
                while accepted and accepted[0] <= now - self.rate_window:
                    accepted.popleft()
                if len(accepted) >= rate:
                    return "rate", None
                accepted.append(now)
        self._admitted[source] += 1
        fault = self._fault_state.decide(source, endpoint, method, identity) if self._fault_state else None
        return None, fault

    def _serve(self, handler: _Handler, method: str) -> None:
        started = time.monotonic()
        source = handler.server.source
        split = urlsplit(handler.path)
        length = int(handler.headers.get("Content-Length") or 0)
        body = handler.rfile.read(length) if length > 0 else b""
        path = unquote(split.path)
        params = parse_qs(split.query, keep_blank_values=True)
        user_agent = handler.headers.get("User-Agent") or ""
        polite = ("mailto:" in user_agent.lower() or "mailto" in params) if source == CROSSREF else None
        endpoint, kind = self._route(source, method, path, params)
        identity = f"{source}\x1f{method}\x1f{handler.path}\x1f{hashlib.sha1(body).hexdigest()}"
        with self._lock:
            limited, fault = self._arrive(source, endpoint, kind, method, identity)
            if fault:
                self.fault_counts[fault] += 1
        ids = 0
        try:
            if limited:
                reply = self._too_many(source)
            else:
                if self.latency > 0:
                    self._stop.wait(self.latency)
                if fault == "hang":
                    plan = self.faults
                    self._stop.wait(min(plan.hang_seconds if plan else MAX_HANG, MAX_HANG))
                try:
                    if source == CROSSREF:
                        reply, ids = self._crossref(method, split.path, path, params)
                    else:
                        reply, ids = self._s2(method, path, params, body)
                except Exception:  # a bug in the fake: answer 500 and keep the traceback for the test
                    with self._lock:
                        self.internal_errors.append(traceback.format_exc())
                    reply = _Reply(500, b'{"message":"fake server error"}')
                if fault:
                    reply = self._inject(fault, reply, source, handler.path)
        finally:
            with self._lock:
                self._in_flight[source] -= 1
                if not limited:
                    self._admitted[source] -= 1
        if source == CROSSREF:
            reply.headers.extend(self._crossref_headers(kind, bool(polite)))
        else:
            reply.headers.append(("x-cache", "Miss from cloudfront"))
        record = RequestRecord(
            time=started,
            source=source,
            endpoint=endpoint,
            method=method,
            path=path,
            query=split.query,
            status=reply.status,
            kind=kind,
            key_present="x-api-key" in handler.headers,
            polite=polite,
            fault=fault,
            limited=limited,
            ids=ids,
            duration=time.monotonic() - started,
        )
        with self._lock:
            self.records.append(record)
            if reply.status == 429:
                self.count_429 += 1
                if limited:
                    self.rate_limited[source] += 1
        # Recorded before the answer leaves, so a client that got its answer finds its request counted.
        self._write(handler, reply)

    def _write(self, handler: _Handler, reply: _Reply) -> None:
        lines = [f"HTTP/1.1 {reply.status} {_REASONS.get(reply.status, 'Unknown')}"]
        if reply.content_type:
            lines.append(f"Content-Type: {reply.content_type}")
        lines.append(f"Content-Length: {len(reply.body)}")
        lines.append(f"Date: {time.strftime('%a, %d %b %Y %H:%M:%S GMT', time.gmtime())}")
        lines += [f"{name}: {value}" for name, value in reply.headers]
        if handler.close_connection or reply.drop:
            lines.append("Connection: close")
            handler.close_connection = True
        head = ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")
        try:
            if reply.drop:
                handler.wfile.write(head + reply.body[: max(1, len(reply.body) // 2)])
                handler.connection.shutdown(socket.SHUT_RDWR)
            else:
                handler.wfile.write(head + reply.body)
        except OSError:  # the client gave up (e.g. timed out during a hang)
            handler.close_connection = True

    # -- routing ----------------------------------------------------------------------------------

    @staticmethod
    def _route(source: str, method: str, path: str, params: Mapping[str, list[str]]) -> tuple[str, str]:
        if source == CROSSREF:
            if path.startswith("/works/"):
                return "work", "single"
            if path.rstrip("/") == "/works":
                if any(name in params for name in _CROSSREF_QUERIES):
                    return "query", "list"
                filters = ",".join(params.get("filter", []))
                if re.search(r"(^|,)\s*doi:", filters):
                    return "filter", "list"
                return "works", "list"
            return "other", "list"
        rest = path.removeprefix("/graph/v1")
        if rest == "/paper/batch" and method == "POST":
            return "batch", "all"
        if rest == "/paper/search/match":
            return "match", "all"
        if rest == "/paper/search":
            return "search", "all"
        if rest.startswith("/paper/") and method == "GET":
            return "paper", "all"
        return "other", "all"

    # -- Crossref -------------------------------------------------------------------------------------

    def _crossref_headers(self, kind: str, polite: bool) -> list[tuple[str, str]]:
        if self.crossref_limits:
            single, listed, concurrency = self.crossref_limits
        else:
            single, listed, concurrency = _CROSSREF_DEFAULTS[polite]
        pool = ("polite" if polite else "public") + ("-single" if kind == "single" else "-array")
        return [
            ("access-control-allow-origin", "*"),
            ("x-rate-limit-limit", str(single if kind == "single" else listed)),
            ("x-rate-limit-interval", "1s"),
            ("x-concurrency-limit", str(concurrency)),
            ("x-api-pool", pool),
        ]

    def _crossref(self, method: str, raw_path: str, path: str, params: dict[str, list[str]]) -> tuple[_Reply, int]:
        if method != "GET":
            return _Reply(405, b"Method Not Allowed", "text/plain"), 0
        if path.startswith("/works/"):
            if any(name.startswith("query") for name in params):
                return _crossref_failure(
                    400,
                    "parameter-not-allowed",
                    "query.*",
                    "This route does not support field query parameters",
                    "validation-failure",
                ), 0
            doi = path.removeprefix("/works/")
            found = self.world.crossref_get(doi)
            if isinstance(found, str):
                # Aliased DOI: 301 with a relative Location and an empty body, as api.crossref.org does.
                return _Reply(301, b"", None, [("Location", f"/works/{found}")]), 1
            if found is None:
                return _Reply(404, b"Resource not found.", "text/plain"), 1
            envelope = {
                "status": "ok",
                "message-type": "work",
                "message-version": "1.0.0",
                "message": to_crossref_item(found),
            }
            return _Reply(200, _crossref_json(envelope)), 1
        if path.rstrip("/") != "/works":
            return _Reply(404, b"Resource not found.", "text/plain"), 0
        return self._crossref_list(params)

    def _crossref_list(self, params: dict[str, list[str]]) -> tuple[_Reply, int]:
        def number(name: str, default: int, high: int) -> int | _Reply:
            text = (params.get(name) or [str(default)])[-1]
            if not text.isdigit() or int(text) > high:
                return _crossref_failure(
                    400,
                    "integer-not-valid",
                    text,
                    f"Integer specified as {text} but must be a positive integer less than or equal to {high}. ",
                    "validation-failure",
                )
            return int(text)

        rows = number("rows", 20, 1000)
        if isinstance(rows, _Reply):
            return rows, 0
        offset = number("offset", 0, 10000)
        if isinstance(offset, _Reply):
            return offset, 0
        for name in params:
            if name.startswith("query") and name not in _CROSSREF_QUERIES:
                return _crossref_failure(
                    400,
                    "unknown-parameter",
                    name,
                    f"Parameter {name} is not a known field query",
                    "validation-failure",
                ), 0
        select: list[str] | None = None
        if "select" in params:
            select = [s.strip() for s in ",".join(params["select"]).split(",") if s.strip()]
            bad = [s for s in select if s not in _CROSSREF_SELECTABLE]
            if bad:
                return _crossref_failure(
                    400,
                    "select-field-invalid",
                    bad[0],
                    f"Field {bad[0]} specified in select is not valid",
                    "validation-failure",
                ), 0
        dois: set[str] = set()
        # Values of one filter name are ORed, different names ANDed (API-NOTES §1.1).
        by_name: dict[str, list[Callable[[FakePaper], bool]]] = {}
        for clause in ",".join(params.get("filter", [])).split(","):
            if not clause.strip():
                continue
            name, _, value = clause.strip().partition(":")
            if name not in _CROSSREF_FILTERS:
                return _crossref_failure(
                    400,
                    "filter-not-available",
                    name,
                    f"Filter {name} specified but there is no such filter for this route. Valid filters for "
                    f"this route are: {', '.join(sorted(_CROSSREF_FILTERS))}",
                    "validation-failure",
                ), 0
            by_name.setdefault(name, []).append(_crossref_filter(name, value))
            if name == "doi":
                dois.add(value.strip().lower())

        def accepted(paper: FakePaper) -> bool:
            return all(any(test(paper) for test in group) for group in by_name.values())

        query_text = " ".join(v for name in sorted(_CROSSREF_QUERIES) for v in params.get(name, []))
        scored: list[tuple[float, FakePaper]]
        if query_text.strip():
            scored, total = self.world.crossref_search(
                query_text, limit=offset + rows, accept=accepted if by_name else None
            )
        else:
            if dois:
                pool = [p for d in dois if isinstance(p := self.world.crossref_by_doi.get(d), FakePaper)]
            else:
                pool = self.world.crossref_papers
            # Without a query Crossref sorts by update date: never the order the DOIs were asked in.
            chosen = sorted((p for p in pool if accepted(p)), key=lambda p: p.paper_id[::-1])
            scored = [(1.0, paper) for paper in chosen]
            total = len(scored)
        items = []
        for score, paper in scored[offset : offset + rows]:
            item = to_crossref_item(paper, score=score)
            if select is not None:
                item = {k: v for k, v in item.items() if k in select}
            items.append(item)
        message = {
            "facets": {},
            "total-results": total,
            "items": items,
            "items-per-page": rows,
            "query": {
                "start-index": offset,
                "search-terms": params["query"][-1] if "query" in params else None,
            },
        }
        envelope = {
            "status": "ok",
            "message-type": "work-list",
            "message-version": "1.0.0",
            "message": message,
        }
        return _Reply(200, _crossref_json(envelope)), len(dois)

    # -- Semantic Scholar -----------------------------------------------------------------------------

    @staticmethod
    def _s2_fields(params: Mapping[str, list[str]], *, match: bool = False) -> list[str] | _Reply:
        text = ",".join(params.get("fields", []))
        fields = [f.strip() for f in text.split(",") if f.strip()]
        known = set(S2_FIELDS) | set(S2_EXTRA_FIELDS)
        bad = [f for f in fields if f.split(".", 1)[0] not in known or (match and f == "matchScore")]
        if bad:
            return _s2_error(400, f"Unrecognized or unsupported fields: [{', '.join(bad)}]")
        return fields or ["title"]

    def _s2(self, method: str, path: str, params: dict[str, list[str]], body: bytes) -> tuple[_Reply, int]:
        rest = path.removeprefix("/graph/v1")
        if not path.startswith("/graph/v1/"):
            return _Reply(404, b'{"message":"Not Found"}'), 0
        if rest == "/paper/batch":
            if method != "POST":
                return _Reply(405, b'{"message":"Method Not Allowed"}'), 0
            return self._s2_batch(params, body)
        if method != "GET":
            return _Reply(405, b'{"message":"Method Not Allowed"}'), 0
        fields = self._s2_fields(params, match=rest == "/paper/search/match")
        if isinstance(fields, _Reply):
            return fields, 0
        year_test = None
        if params.get("year"):
            year_test = _parse_year_filter(params["year"][-1])
            if year_test is None:
                return _s2_error(400, f"Invalid year filter: {params['year'][-1]}"), 0
        if rest in {"/paper/search/match", "/paper/search"}:
            query = (params.get("query") or [""])[-1]
            if not query.strip():
                return _s2_error(400, "Missing required parameter: 'query'"), 0
            if rest == "/paper/search/match":
                found = self.world.s2_match(query, year_test)
                if found is None:
                    return _s2_error(404, "Title match not found"), 0
                score, paper = found
                return _Reply(200, _s2_json({"data": [{**to_s2_item(paper, fields), "matchScore": score}]})), 0
            return self._s2_search(query, fields, params, year_test)
        if rest.startswith("/paper/"):
            paper_id = rest.removeprefix("/paper/")
            paper = self.world.s2_get(paper_id)
            if paper is None:
                return _s2_error(404, f"Paper with id {paper_id} not found"), 1
            return _Reply(200, _s2_json(to_s2_item(paper, fields))), 1
        return _Reply(404, b'{"message":"Not Found"}'), 0

    def _s2_batch(self, params: dict[str, list[str]], body: bytes) -> tuple[_Reply, int]:
        fields = self._s2_fields(params)
        if isinstance(fields, _Reply):
            return fields, 0
        try:
            payload = json.loads(body or b"null")
        except ValueError:
            return _s2_error(400, "Unacceptable JSON body"), 0
        ids = payload.get("ids") if isinstance(payload, dict) else None
        if not isinstance(ids, list) or not all(isinstance(i, str) for i in ids):
            return _s2_error(400, 'Body must be a JSON object with a list of string ids: {"ids": [...]}'), 0
        if len(ids) > 500:
            return _s2_error(400, "Cannot process more than 500 ids per request"), len(ids)
        answer = [None if (p := self.world.s2_get(i)) is None else to_s2_item(p, fields) for i in ids]
        return _Reply(200, _s2_json(answer)), len(ids)

    def _s2_search(
        self,
        query: str,
        fields: list[str],
        params: dict[str, list[str]],
        year_test: Callable[[FakePaper], bool] | None,
    ) -> tuple[_Reply, int]:
        limit_text = (params.get("limit") or ["100"])[-1]
        offset_text = (params.get("offset") or ["0"])[-1]
        if not limit_text.isdigit() or not offset_text.isdigit():
            return _s2_error(400, "limit and offset must be non-negative integers"), 0
        limit, offset = int(limit_text), int(offset_text)
        if limit > 100:
            return _s2_error(400, f"Requested limit {limit} exceeds the maximum of 100"), 0
        if offset + limit > 1000:
            return _s2_error(400, "offset + limit must be <= 1000"), 0
        # S2 documents that hyphenated query terms yield no matches (API-NOTES §2.1).
        if re.search(r"\w-\w", query):
            return _Reply(200, _s2_json({"total": 0, "offset": 0})), 0
        found, total = self.world.s2_search(query, limit=offset + limit, accept=year_test)
        if not total:
            return _Reply(200, _s2_json({"total": 0, "offset": 0})), 0
        page = found[offset : offset + limit]
        answer: dict[str, Any] = {"total": total, "offset": offset}
        if offset + limit < min(total, 1000):
            answer["next"] = offset + limit
        answer["data"] = [to_s2_item(p, fields) for p in page]
        return _Reply(200, _s2_json(answer)), 0

    # -- errors and faults ----------------------------------------------------------------------------

    @staticmethod
    def _too_many(source: str, retry_after: int | None = None) -> _Reply:
        headers = [("Retry-After", str(retry_after))] if retry_after is not None else []
        if source == CROSSREF:
            return _Reply(429, _NGINX.format(_CROSSREF_ERRORS[429]).encode(), "text/html", headers)
        return _Reply(429, json.dumps(_S2_429).encode(), "application/json", headers)

    def _inject(self, fault: str, reply: _Reply, source: str, raw_target: str) -> _Reply:
        if fault in {"500", "502", "503", "504"}:
            status = int(fault)
            if source == CROSSREF:
                return _Reply(status, _NGINX.format(_CROSSREF_ERRORS[status]).encode(), "text/html")
            return _Reply(status, json.dumps({"message": _S2_ERRORS[status]}).encode())
        if fault == "429_retry_after":
            plan = self.faults
            return self._too_many(source, plan.retry_after if plan else 1)
        if fault == "429":
            return self._too_many(source)
        if fault == "truncated_json":
            return _Reply(200, reply.body[: max(1, len(reply.body) // 2)], "application/json")
        if fault == "malformed_json":
            text = reply.body if reply.body.startswith((b"{", b"[")) else b'{"status":"ok"}'
            return _Reply(200, text.replace(b'"', b"", 1), "application/json")
        if fault == "drop":
            reply.drop = True
            return reply
        if fault == "redirect_loop":
            return _Reply(301, b"", None, [("Location", raw_target)])
        if fault in _BATCH_FAULTS and reply.status == 200:
            items = json.loads(reply.body)
            if fault == "batch_wrong_length":
                items = items[:-1] if len(items) > 1 else [*items, *items, None]
            elif fault == "batch_extra_nulls":
                items = [*items, None, None]
            else:
                items = {"data": items}
            return _Reply(200, _s2_json(items))
        return reply


def _crossref_filter(name: str, value: str) -> Callable[[FakePaper], bool]:
    value = value.strip()
    if name == "doi":
        wanted = value.lower()
        return lambda p: p.doi_lower == wanted
    if name == "prefix":
        return lambda p: (p.doi_lower or "").startswith(value.lower() + "/")
    if name == "type":
        return lambda p: p.type == value
    bound = _date_bound(value)
    if name == "from-pub-date":
        return lambda p: bound is None or (p.year is not None and p.year >= bound)
    return lambda p: bound is None or (p.year is not None and p.year <= bound)
