"""Shared fixtures. Prefect's settings are fixed here, before anything imports Prefect."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from pathlib import Path

_PREFECT_HOME = tempfile.mkdtemp(prefix="avenrich-prefect-")
os.environ.setdefault("PREFECT_HOME", _PREFECT_HOME)
os.environ["PREFECT_SERVER_ANALYTICS_ENABLED"] = "false"
os.environ["DO_NOT_TRACK"] = "1"
os.environ.setdefault("PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS", "120")
os.environ["PREFECT_LOGGING_HANDLERS_CONSOLE_LEVEL"] = "CRITICAL"
# `avenrich run` reuses a Prefect server running on this machine (127.0.0.1:4200 by default): tests must not
# record into someone else's. Port 9 is discard, where nothing listens.
os.environ["PREFECT_SERVER_API_PORT"] = "9"
# No test may reach the real services: point the defaults at a port where nothing listens.
os.environ["AVENRICH_CROSSREF_URL"] = "http://127.0.0.1:9/crossref"
os.environ["AVENRICH_S2_URL"] = "http://127.0.0.1:9/s2"
os.environ.pop("AVENRICH_S2_API_KEY", None)

import pytest  # noqa: E402
from hypothesis import HealthCheck, settings  # noqa: E402

# Timing-based checks flake on a busy 2-core machine; CI runs the same examples every time.
settings.register_profile(
    "avenrich",
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
    derandomize=bool(os.environ.get("CI")),
)
settings.load_profile("avenrich")

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = Path(__file__).resolve().parent / "fixtures"


@pytest.fixture(scope="session")
def prefect_harness() -> Iterator[None]:
    """One temporary Prefect server for the whole session (opt-in: only flow tests use it)."""
    from prefect.testing.utilities import prefect_test_harness

    with prefect_test_harness(server_startup_timeout=120):
        yield
