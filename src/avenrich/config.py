"""Settings: one frozen value built from the environment and CLI flags (pure; nothing read at import).

Defaults are the real services and their documented limits (shared API notes, Dec 2025 Crossref limits):
Crossref polite pool 10 single-record req/s and 3 list req/s with 3 requests in flight (public pool, no
mailto: 5/s, 1/s, 1 in flight); Semantic Scholar 1 req/s with a key (cumulative across endpoints), and the
same pace without one, since the anonymous pool is shared by everyone and throttles hard.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from avenrich.errors import InputError

CROSSREF_URL = "https://api.crossref.org"
S2_URL = "https://api.semanticscholar.org/graph/v1"


@dataclass(frozen=True, slots=True)
class Limits:
    """Pacing for one source: requests per second by request kind, and requests in flight."""

    single_rps: float
    list_rps: float
    concurrency: int
    total_rps: float | None = None


def crossref_limits(polite: bool, rps: float | None) -> Limits:
    """Crossref's documented limits for the pool we land in; AVENRICH_CROSSREF_RPS replaces the per-kind
    rates with one rate for all requests together (e.g. for Metadata Plus), under the same concurrency cap."""
    base = Limits(10.0, 3.0, 3) if polite else Limits(5.0, 1.0, 1)
    return dataclasses.replace(base, single_rps=rps, list_rps=rps, total_rps=rps) if rps else base


def s2_limits(rps: float | None) -> Limits:
    """Semantic Scholar: 1 req/s cumulative for keyed clients; we keep the same pace without a key."""
    pace = rps or 1.0
    return Limits(pace, pace, 1, total_rps=pace)


@dataclass(frozen=True, slots=True)
class Settings:
    """Everything a run needs to know about the outside world. Secrets are hidden from repr."""

    crossref_url: str = CROSSREF_URL
    s2_url: str = S2_URL
    mailto: str | None = None
    s2_api_key: str | None = field(default=None, repr=False)
    cache_dir: Path = Path("cache")
    crossref_rps: float | None = None
    s2_rps: float | None = None
    offline: bool = False
    connect_timeout: float = 3.0
    read_timeout: float = 30.0
    max_attempts: int = 4
    max_retry_wait: float = 60.0
    unreachable_after: int = 3

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> Settings:
        """Settings from a mapping of environment variables (AVENRICH_*); unset or empty means default."""

        def get(name: str) -> str | None:
            value = env.get(name, "").strip()
            return value or None

        return cls(
            crossref_url=(get("AVENRICH_CROSSREF_URL") or CROSSREF_URL).rstrip("/"),
            s2_url=(get("AVENRICH_S2_URL") or S2_URL).rstrip("/"),
            mailto=get("AVENRICH_MAILTO"),
            s2_api_key=_header_value(get("AVENRICH_S2_API_KEY"), "AVENRICH_S2_API_KEY"),
            cache_dir=Path(get("AVENRICH_CACHE_DIR") or "cache"),
            crossref_rps=_positive(get("AVENRICH_CROSSREF_RPS"), "AVENRICH_CROSSREF_RPS"),
            s2_rps=_positive(get("AVENRICH_S2_RPS"), "AVENRICH_S2_RPS"),
        )

    @property
    def crossref_limits(self) -> Limits:
        """Crossref pacing: polite pool when a mailto is configured."""
        return crossref_limits(self.mailto is not None, self.crossref_rps)

    @property
    def s2_limits(self) -> Limits:
        """Semantic Scholar pacing."""
        return s2_limits(self.s2_rps)

    def secrets(self) -> tuple[str, ...]:
        """The secret values, for redaction."""
        return tuple(s for s in (self.s2_api_key,) if s)


def _header_value(raw: str | None, name: str) -> str | None:
    """A secret sent as an HTTP header: printable ASCII, or an InputError that does not show it."""
    if raw is not None and not (raw.isascii() and raw.isprintable()):
        raise InputError(f"{name} must be printable ASCII (a pasted key may carry a stray character)")
    return raw


def _positive(raw: str | None, name: str) -> float | None:
    if raw is None:
        return None
    try:
        value = float(raw)
    except ValueError:
        raise InputError(f"{name} must be a number of requests per second, not {raw!r}") from None
    if not value > 0:
        raise InputError(f"{name} must be greater than 0, not {raw!r}")
    return value
