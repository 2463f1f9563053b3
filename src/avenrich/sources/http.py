"""The HTTP layer shared by every source (edge): the one place that touches httpx exceptions.

make_client() builds the httpx.Client; SourceClient paces, retries (tenacity), translates failures into
SourceError / SourceUnavailable (circuit breaker for a source that does not answer) and counts requests.
"""

from __future__ import annotations

import email.utils
import logging
import random
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import httpx
from tenacity import RetryCallState, Retrying, retry_if_exception_type

from avenrich import __version__
from avenrich.config import Settings
from avenrich.errors import RateLimited, SourceError, SourceUnavailable
from avenrich.sources.pacing import Pacer

log = logging.getLogger("avenrich.sources")

PROJECT_URL = "https://github.com/avenrich/avenrich"
MAX_REDIRECTS = 3
RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})
COUNTERS = ("requests", "retries", "rate_limited", "errors", "cache_hits", "skipped")
_REDACTED = "***"
_TEXT_LIMIT = 300

Params = Mapping[str, str | int]
Check = Callable[[Any], object] | None


def user_agent(mailto: str | None) -> str:
    """The User-Agent: project, version and contact (Crossref's polite pool reads the mailto here)."""
    contact = f"; mailto:{mailto}" if mailto else ""
    return f"avenrich/{__version__} ({PROJECT_URL}{contact})"


def make_client(settings: Settings, transport: httpx.BaseTransport | None = None) -> httpx.Client:
    """An httpx.Client with the project's timeouts, User-Agent and redirect policy."""
    return httpx.Client(
        timeout=httpx.Timeout(settings.read_timeout, connect=settings.connect_timeout),
        headers={"User-Agent": user_agent(settings.mailto)},
        # Crossref answers an aliased DOI with a 301 and a relative Location.
        follow_redirects=True,
        max_redirects=MAX_REDIRECTS,
        transport=transport,
    )


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """How often and how long to retry (seconds). `sleep` is injectable so tests wait for nothing.

    Backoff: base_wait * 2**(n-1) plus up to `jitter` seconds, capped at max_wait; a Retry-After is
    honoured instead (capped at max_wait). No retry starts once the waits would pass total_wait.
    Connection failures (the source does not answer at all) get `connect_attempts` tries `connect_wait`
    apart, so an offline machine gives up in moments; a timed-out request (each costs the read timeout)
    gets `timeout_attempts` tries.
    """

    max_attempts: int = 4
    base_wait: float = 1.0
    max_wait: float = 60.0
    total_wait: float = 120.0
    jitter: float = 1.0
    connect_attempts: int = 3
    connect_wait: float = 0.25
    timeout_attempts: int = 2
    sleep: Callable[[float], None] = field(default=time.sleep, compare=False, repr=False)
    random: Callable[[], float] = field(default=random.random, compare=False, repr=False)

    @classmethod
    def from_settings(cls, settings: Settings) -> RetryPolicy:
        """The policy the settings ask for."""
        return cls(
            max_attempts=settings.max_attempts,
            max_wait=settings.max_retry_wait,
            total_wait=2 * settings.max_retry_wait,
            connect_attempts=settings.unreachable_after,
        )

    def backoff(self, attempt: int, retry_after: float | None = None) -> float:
        """Seconds to wait after failed attempt number `attempt` (1-based)."""
        if retry_after is not None:
            return min(max(retry_after, 0.0), self.max_wait)
        wait = self.base_wait * 2.0 ** (attempt - 1) + self.jitter * self.random()
        return min(wait, self.max_wait)


def parse_retry_after(value: str | None, now: datetime) -> float | None:
    """Seconds to wait from a Retry-After header (delta-seconds or an HTTP date); None if absent or bad."""
    if value is None or not value.strip():
        return None
    text = value.strip()
    try:
        return max(float(text), 0.0)
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(text)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max((when - now).total_seconds(), 0.0)


def describe_connect_error(exc: Exception) -> str:
    """A short human reason for a failed connection: "connection refused", "DNS failure", …"""
    if isinstance(exc, httpx.ConnectTimeout):
        return "connect timeout"
    text = str(exc).lower()
    if "refused" in text:
        return "connection refused"
    if any(s in text for s in ("name or service", "nodename", "name resolution", "getaddrinfo", "no address")):
        return "DNS failure"
    if "unreachable" in text:
        return "network unreachable"
    return "cannot connect"


def redact(text: str, secrets: tuple[str, ...]) -> str:
    """The text with every secret value replaced by ***."""
    for secret in secrets:
        if secret:
            text = text.replace(secret, _REDACTED)
    return text


@dataclass(frozen=True, slots=True)
class Reply:
    """A usable answer: 2xx with its JSON, or 404 (not-found is data) with its JSON or None.

    `text` holds the start of a body that is not JSON (Crossref's 404 "Resource not found.").
    """

    status: int
    data: Any | None
    url: str
    text: str = ""


class RequestStats:
    """Thread-safe request counters per (source, endpoint)."""

    def __init__(self) -> None:
        self._counts: dict[tuple[str, str], dict[str, int]] = {}
        self._lock = threading.Lock()

    def add(self, source: str, endpoint: str, counter: str, n: int = 1) -> None:
        """Add n to one counter (one of COUNTERS)."""
        if counter not in COUNTERS:
            raise ValueError(f"unknown counter {counter!r}")
        with self._lock:
            row = self._counts.setdefault((source, endpoint), dict.fromkeys(COUNTERS, 0))
            row[counter] += n

    def as_dict(self) -> dict[str, dict[str, dict[str, int]]]:
        """{source: {endpoint: {counter: n}}}, sorted by name."""
        with self._lock:
            rows = {key: dict(value) for key, value in self._counts.items()}
        result: dict[str, dict[str, dict[str, int]]] = {}
        for (source, endpoint), row in sorted(rows.items()):
            result.setdefault(source, {})[endpoint] = row
        return result

    def totals(self) -> dict[str, dict[str, int]]:
        """{source: {counter: n}} summed over endpoints."""
        result: dict[str, dict[str, int]] = {}
        for source, endpoints in self.as_dict().items():
            total = dict.fromkeys(COUNTERS, 0)
            for row in endpoints.values():
                for counter, n in row.items():
                    total[counter] += n
            result[source] = total
        return result


class _Retryable(Exception):
    """One attempt failed in a way worth another try."""

    def __init__(self, reason: str, status: int | None, retry_after: float | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.status = status
        self.retry_after = retry_after


class _ConnectFailed(_Retryable):
    """The source did not answer at all (connection refused, DNS, connect timeout)."""


class _TimedOut(_Retryable):
    """The source accepted the request but did not answer in time."""


@dataclass(frozen=True, slots=True)
class _Call:
    """One request as the retry loop repeats it."""

    method: str
    url: str
    params: Params | None
    json_body: Any
    kind: str
    endpoint: str
    check: Check = None


class SourceClient:
    """Requests to one source: paced, retried, translated into Reply / SourceError, counted.

    After `unreachable_after` consecutive connection failures, or `failing_after` consecutive calls that
    still failed after their retries (5xx, 429, timeouts: an outage), the source is marked unavailable and
    every later call raises SourceUnavailable at once. The secrets never appear in messages, logs or stats.
    """

    def __init__(
        self,
        name: str,
        base_url: str,
        client: httpx.Client,
        pacer: Pacer,
        policy: RetryPolicy,
        stats: RequestStats,
        headers: Mapping[str, str] | None = None,
        secrets: tuple[str, ...] = (),
        *,
        unreachable_after: int = 3,
        failing_after: int = 3,
    ) -> None:
        self.name = name
        self.base_url = base_url.rstrip("/")
        self.client = client
        self.pacer = pacer
        self.policy = policy
        self.stats = stats
        self._headers = dict(headers or {})
        self._secrets = tuple(s for s in secrets if s)
        self._unreachable_after = max(1, unreachable_after)
        self._connect_failures = 0
        self._failing_after = max(1, failing_after)
        self._failed_calls = 0
        self._unavailable: str | None = None
        self._lock = threading.Lock()

    @property
    def unavailable_reason(self) -> str | None:
        """Why the source is skipped for the rest of the run, or None while it answers."""
        return self._unavailable

    def get(self, path: str, params: Params | None = None, *, kind: str, endpoint: str) -> Reply:
        """GET base_url + path."""
        return self._request("GET", path, params, None, kind, endpoint)

    def post(
        self, path: str, params: Params | None, json_body: Any, *, kind: str, endpoint: str, check: Check = None
    ) -> Reply:
        """POST a JSON body to base_url + path. `check(data)` raising ValueError on a 2xx answer means the
        answer does not fit (a batch of the wrong length): retried like a body that is not JSON."""
        return self._request("POST", path, params, json_body, kind, endpoint, check)

    def _request(
        self,
        method: str,
        path: str,
        params: Params | None,
        json_body: Any,
        kind: str,
        endpoint: str,
        check: Check = None,
    ) -> Reply:
        url = self.base_url + path
        shown = self._safe(str(httpx.URL(url, params=dict(params or {}))))
        if self._unavailable is not None:
            self.stats.add(self.name, endpoint, "skipped")
            raise SourceUnavailable(self.name, shown, None, self._unavailable)
        retrying = Retrying(
            stop=self._stop,
            wait=self._wait,
            retry=retry_if_exception_type(_Retryable),
            sleep=self.policy.sleep,
            before_sleep=lambda state: self._before_sleep(state, endpoint, shown),
            reraise=True,
        )
        try:
            reply = retrying(self._attempt, _Call(method, url, params, json_body, kind, endpoint, check))
        except _Retryable as exc:
            self.stats.add(self.name, endpoint, "errors")
            if self._unavailable is not None:
                raise SourceUnavailable(self.name, shown, None, self._unavailable) from None
            attempts = int(retrying.statistics.get("attempt_number", 1))
            after = f" after {attempts} attempts" if attempts > 1 else ""
            message = self._safe(f"{method} {shown} failed{after}: {exc.reason}")
            log.info("%s: %s", self.name, message)
            if self._call_failed(exc.reason):
                raise SourceUnavailable(self.name, shown, exc.status, str(self._unavailable)) from None
            error = RateLimited if exc.status == 429 else SourceError
            raise error(self.name, shown, exc.status, message) from None
        except SourceError as exc:
            self.stats.add(self.name, endpoint, "errors")
            if not isinstance(exc, SourceUnavailable):
                self._call_answered()  # a 4xx is an answer: the source is up
            raise
        self._call_answered()
        return reply

    # -- one attempt ---------------------------------------------------------------------------------

    def _attempt(self, call: _Call) -> Reply:
        method, url, kind, endpoint = call.method, call.url, call.kind, call.endpoint
        response = self._send(method, url, call.params, call.json_body, kind, endpoint)
        # Redirects are followed here, one paced request per hop, and only within the source's own host
        # (Crossref's 301 for an aliased DOI has a relative Location).
        for _ in range(MAX_REDIRECTS):
            if not (response.has_redirect_location and method == "GET"):
                break
            target = response.url.join(response.headers["location"])
            if (target.scheme, target.host, target.port) != (
                response.url.scheme,
                response.url.host,
                response.url.port,
            ):
                shown = self._safe(str(target))
                raise SourceError(self.name, shown, response.status_code, f"redirect to another host: {shown}")
            response = self._send("GET", str(target), None, None, kind, endpoint)
        else:
            if response.has_redirect_location:
                shown = self._safe(str(response.url))
                raise SourceError(self.name, shown, response.status_code, f"too many redirects from {url}")
        reply = self._classify(method, response, endpoint)
        if call.check is not None and 200 <= reply.status < 300:
            try:
                call.check(reply.data)
            except ValueError as exc:
                reason = f"HTTP {reply.status} with an answer that does not fit ({self._safe(str(exc))})"
                raise _Retryable(reason, reply.status) from None
        return reply

    def _send(
        self, method: str, url: str, params: Params | None, json_body: Any, kind: str, endpoint: str
    ) -> httpx.Response:
        """One paced HTTP request; transport failures become _Retryable or SourceError."""
        if self._unavailable is not None:
            raise SourceUnavailable(self.name, self._safe(url), None, self._unavailable)
        with self.pacer.slot(kind) as slot:
            self.stats.add(self.name, endpoint, "requests")
            try:
                response = self.client.request(
                    method, url, params=params, json=json_body, headers=self._headers, follow_redirects=False
                )
            except (httpx.ConnectError, httpx.ConnectTimeout) as exc:
                slot.refund()  # the request never reached the server
                self._connection_failed(exc)
                raise _ConnectFailed(describe_connect_error(exc), None) from None
            except httpx.TimeoutException:
                raise _TimedOut("timed out", None) from None
            except (httpx.UnsupportedProtocol, httpx.LocalProtocolError) as exc:
                shown = self._safe(url)
                raise SourceError(self.name, shown, None, f"{method} {shown}: {self._safe(str(exc))}") from None
            except (httpx.TransportError, httpx.DecodingError) as exc:
                raise _Retryable(f"transport error ({type(exc).__name__})", None) from None
            except httpx.HTTPError as exc:
                shown = self._safe(url)
                raise SourceError(self.name, shown, None, f"{method} {shown}: {self._safe(str(exc))}") from None
        with self._lock:
            self._connect_failures = 0
        self.pacer.update_from_headers(kind, response.headers)
        return response

    def _classify(self, method: str, response: httpx.Response, endpoint: str) -> Reply:
        status = response.status_code
        shown = self._safe(str(response.url))
        log.debug("%s %s %s -> %d", self.name, method, shown, status)
        if 200 <= status < 300:
            try:
                data = response.json()
            except ValueError:
                raise _Retryable(f"HTTP {status} with a body that is not valid JSON", status) from None
            return Reply(status, data, shown)
        if status == 404:
            try:
                data = response.json()
                text = ""
            except ValueError:
                data = None
                text = self._safe(response.text[:_TEXT_LIMIT])
            return Reply(status, data, shown, text)
        if status in RETRY_STATUSES:
            if status == 429:
                self.stats.add(self.name, endpoint, "rate_limited")
            retry_after = parse_retry_after(response.headers.get("retry-after"), datetime.now(UTC))
            raise _Retryable(f"HTTP {status}", status, retry_after)
        detail = self._safe(" ".join(response.text[:_TEXT_LIMIT].split()))
        raise SourceError(self.name, shown, status, f"{method} {shown}: HTTP {status}: {detail}".rstrip(": "))

    def _call_answered(self) -> None:
        with self._lock:
            self._failed_calls = 0

    def _call_failed(self, reason: str) -> bool:
        """Count a call that failed after its retries; True when that opens the circuit."""
        with self._lock:
            self._failed_calls += 1
            if self._failed_calls >= self._failing_after and self._unavailable is None:
                self._unavailable = (
                    f"{self.name} keeps failing ({reason} on {self._failed_calls} requests in a row): "
                    "skipped for the rest of this run"
                )
                log.info("%s", self._unavailable)
            return self._unavailable is not None

    def _connection_failed(self, exc: Exception) -> None:
        with self._lock:
            self._connect_failures += 1
            if self._connect_failures >= self._unreachable_after and self._unavailable is None:
                reason = describe_connect_error(exc)
                self._unavailable = f"{self.name} unreachable ({reason}): skipped for the rest of this run"
                log.info("%s", self._unavailable)

    # -- tenacity hooks ------------------------------------------------------------------------------

    def _wait(self, state: RetryCallState) -> float:
        exc = state.outcome.exception() if state.outcome else None
        if isinstance(exc, _ConnectFailed):
            return self.policy.connect_wait
        retry_after = exc.retry_after if isinstance(exc, _Retryable) else None
        return self.policy.backoff(state.attempt_number, retry_after)

    def _stop(self, state: RetryCallState) -> bool:
        if self._unavailable is not None:
            return True
        exc = state.outcome.exception() if state.outcome else None
        if isinstance(exc, _ConnectFailed):
            return state.attempt_number >= self.policy.connect_attempts
        if isinstance(exc, _TimedOut) and state.attempt_number >= self.policy.timeout_attempts:
            return True
        if state.attempt_number >= self.policy.max_attempts:
            return True
        return state.idle_for + state.upcoming_sleep > self.policy.total_wait

    def _before_sleep(self, state: RetryCallState, endpoint: str, shown: str) -> None:
        self.stats.add(self.name, endpoint, "retries")
        exc = state.outcome.exception() if state.outcome else None
        reason = exc.reason if isinstance(exc, _Retryable) else "error"
        log.info(
            "%s: %s on %s; retry %d in %.1f s",
            self.name,
            reason,
            shown,
            state.attempt_number,
            state.upcoming_sleep,
        )

    def _safe(self, text: str) -> str:
        return redact(text, self._secrets)
