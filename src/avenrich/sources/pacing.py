"""Request pacing per source (pure-ish: injectable clock and sleep): rate per request kind, an overall
ceiling and a cap on requests in flight, tightened by Crossref's x-rate-limit-* / x-concurrency-limit headers.
"""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass

from avenrich.config import Limits

KINDS = ("single", "list")
TOTAL = "total"
# Start requests a little slower than the limit, so that network jitter never bunches two requests
# into one of the server's one-second windows.
DEFAULT_MARGIN = 0.05

_INTERVAL = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h)?\s*$")
_UNIT_SECONDS = {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0}


@dataclass(frozen=True, slots=True)
class RateHint:
    """What one response's headers say about the limits: for `scope` ("single", "list" or "total")."""

    scope: str
    rps: float | None = None
    concurrency: int | None = None


def parse_rate_headers(kind: str, headers: Mapping[str, str]) -> RateHint | None:
    """The limits announced by Crossref's response headers, or None when it announces none.

    Pools named `…-single` / `…-array` (July 2026 on) limit one kind of request; an unsuffixed pool
    (`public`, `polite`, `plus`) is shared by all kinds, so its limits apply to the total.
    """
    lower = {k.lower(): v for k, v in headers.items()}
    limit = _positive_float(lower.get("x-rate-limit-limit"))
    interval = _interval_seconds(lower.get("x-rate-limit-interval", "1s"))
    concurrency = _positive_float(lower.get("x-concurrency-limit"))
    if limit is None and concurrency is None:
        return None
    pool = lower.get("x-api-pool", "").strip().lower()
    if pool.endswith("-single"):
        scope = "single"
    elif pool.endswith(("-array", "-list")):
        scope = "list"
    elif pool:
        scope = TOTAL
    else:
        scope = kind
    rps = limit / interval if limit is not None and interval else None
    if rps is None and concurrency is None:
        return None
    return RateHint(scope, rps, int(concurrency) if concurrency is not None else None)


def _positive_float(raw: str | None) -> float | None:
    if raw is None:
        return None
    try:
        value = float(raw.strip())
    except ValueError:
        return None
    return value if value > 0 else None


def _interval_seconds(raw: str) -> float | None:
    match = _INTERVAL.match(raw)
    if not match:
        return None
    seconds = float(match.group(1)) * _UNIT_SECONDS[match.group(2) or "s"]
    return seconds if seconds > 0 else None


class Slot:
    """A place taken in a Pacer; `refund()` gives back the start time of a request that never reached
    the server (a refused connection), so a dead source is not paced like a live one.
    """

    def __init__(self, pacer: Pacer, previous: Mapping[str, float], booked: Mapping[str, float]) -> None:
        self._pacer = pacer
        self._previous = previous
        self._booked = booked

    def refund(self) -> None:
        """Release this request's share of the rate (not its place in flight)."""
        self._pacer._refund(self._previous, self._booked)


class Pacer:
    """Spaces request starts per kind and overall, and caps requests in flight; thread-safe.

    Configured limits are ceilings: headers can only tighten them (and relax back up to them).
    """

    def __init__(
        self,
        limits: Limits,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
        margin: float = DEFAULT_MARGIN,
    ) -> None:
        self._configured_rps: dict[str, float | None] = {
            "single": limits.single_rps,
            "list": limits.list_rps,
            TOTAL: limits.total_rps,
        }
        self._configured_cap: dict[str, int] = {k: max(1, limits.concurrency) for k in (*KINDS, TOTAL)}
        self._announced_rps: dict[str, float] = {}
        self._announced_cap: dict[str, int] = {}
        self._clock = clock
        self._sleep = sleep
        self._margin = margin
        self._next_start: dict[str, float] = {}
        self._in_flight: dict[str, int] = {k: 0 for k in (*KINDS, TOTAL)}
        self._lock = threading.Lock()
        self._free = threading.Condition(self._lock)

    def rps(self, scope: str) -> float | None:
        """The requests per second now allowed for a kind or the total (None: no ceiling)."""
        configured = self._configured_rps[scope]
        announced = self._announced_rps.get(scope)
        values = [v for v in (configured, announced) if v]
        return min(values) if values else None

    def concurrency(self, scope: str) -> int:
        """The number of requests allowed in flight for a kind or in total."""
        announced = self._announced_cap.get(scope)
        configured = self._configured_cap[scope]
        return min(configured, announced) if announced else configured

    def interval(self, scope: str) -> float:
        """The minimum time between two request starts for a kind or in total (seconds)."""
        rps = self.rps(scope)
        return (1.0 + self._margin) / rps if rps else 0.0

    @contextmanager
    def slot(self, kind: str) -> Iterator[Slot]:
        """Wait for a free place in flight and for this kind's (and the total's) next start time."""
        if kind not in KINDS:
            raise ValueError(f"unknown request kind {kind!r}; expected one of {KINDS}")
        with self._free:
            while self._full(kind):
                self._free.wait()
            self._in_flight[kind] += 1
            self._in_flight[TOTAL] += 1
            now = self._clock()
            previous = {k: self._next_start.get(k, now) for k in (kind, TOTAL)}
            start = max(now, *previous.values())
            booked = {kind: start + self.interval(kind), TOTAL: start + self.interval(TOTAL)}
            self._next_start.update(booked)
        try:
            if start > now:
                self._sleep(start - now)
            yield Slot(self, previous, booked)
        finally:
            with self._free:
                self._in_flight[kind] -= 1
                self._in_flight[TOTAL] -= 1
                self._free.notify_all()

    def _full(self, kind: str) -> bool:
        return self._in_flight[kind] >= self.concurrency(kind) or self._in_flight[TOTAL] >= self.concurrency(TOTAL)

    def _refund(self, previous: Mapping[str, float], booked: Mapping[str, float]) -> None:
        with self._free:
            for scope, when in booked.items():
                if self._next_start.get(scope) == when:  # nobody booked after us
                    self._next_start[scope] = previous[scope]

    def update_from_headers(self, kind: str, headers: Mapping[str, str]) -> None:
        """Adopt the limits a response announces, never beyond the configured ones."""
        hint = parse_rate_headers(kind, headers)
        if hint is None:
            return
        with self._free:
            if hint.rps is not None:
                self._announced_rps[hint.scope] = hint.rps
            if hint.concurrency is not None:
                self._announced_cap[hint.scope] = max(1, hint.concurrency)
            self._free.notify_all()
