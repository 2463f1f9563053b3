"""Settings from the environment."""

from __future__ import annotations

import pytest

from avenrich.config import CROSSREF_URL, S2_URL, Settings
from avenrich.errors import InputError


def test_defaults_are_the_real_services() -> None:
    """An empty environment gives the real base URLs and no secrets."""
    settings = Settings.from_env({})
    assert (settings.crossref_url, settings.s2_url) == (CROSSREF_URL, S2_URL)
    assert settings.s2_api_key is None and settings.mailto is None


def test_environment_overrides_and_hides_the_key() -> None:
    """AVENRICH_* variables set every field; the key never shows in repr."""
    settings = Settings.from_env(
        {
            "AVENRICH_CROSSREF_URL": "http://127.0.0.1:1234/cr/",
            "AVENRICH_S2_URL": "http://127.0.0.1:1234/s2",
            "AVENRICH_MAILTO": "me@example.org",
            "AVENRICH_S2_API_KEY": "sentinel-secret-key",
            "AVENRICH_CACHE_DIR": "/tmp/c",
            "AVENRICH_CROSSREF_RPS": "2.5",
            "AVENRICH_S2_RPS": "0.5",
        }
    )
    assert settings.crossref_url == "http://127.0.0.1:1234/cr"
    assert settings.s2_api_key == "sentinel-secret-key"
    assert "sentinel-secret-key" not in repr(settings)
    assert settings.crossref_limits.total_rps == 2.5
    assert settings.crossref_limits.concurrency == 3  # polite pool: a mailto is set
    assert settings.s2_limits.single_rps == 0.5


def test_public_pool_without_mailto() -> None:
    """Without a mailto Crossref's public pool limits apply (5/s single, 1/s lists, 1 in flight)."""
    limits = Settings.from_env({}).crossref_limits
    assert (limits.single_rps, limits.list_rps, limits.concurrency) == (5.0, 1.0, 1)


@pytest.mark.parametrize("value", ["fast", "0", "-1"])
def test_bad_rate_is_an_input_error(value: str) -> None:
    """A rate that is not a positive number is refused with one clear message."""
    with pytest.raises(InputError, match="AVENRICH_S2_RPS"):
        Settings.from_env({"AVENRICH_S2_RPS": value})
