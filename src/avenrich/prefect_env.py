"""Prefect settings that must be in the environment before `import prefect` (edge: writes os.environ).

Measured on these machines (PREFECT-NOTES): analytics on means every run tries to reach the internet
(an ERROR line and a ~10 s hang behind a silent firewall); the temporary server's 20 s start-up timeout is
too tight on a busy 2-core machine; console INFO logs fight the progress display.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import MutableMapping
from pathlib import Path


def prepare_prefect_env(env: MutableMapping[str, str] | None = None, *, verbose: bool = False) -> None:
    """Set Prefect's defaults for avenrich unless the user already set them."""
    env = os.environ if env is None else env
    home = env.get("PREFECT_HOME")
    if home:
        # Prefect creates its home but not missing parents, and then cannot start its temporary server.
        with contextlib.suppress(OSError):
            Path(home).expanduser().mkdir(parents=True, exist_ok=True)
    env.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
    env.setdefault("DO_NOT_TRACK", "1")
    env.setdefault("PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS", "120")
    env.setdefault("PREFECT_LOGGING_HANDLERS_CONSOLE_LEVEL", "INFO" if verbose else "WARNING")
    env.setdefault("PREFECT_TASK_RUNNER_THREAD_POOL_MAX_WORKERS", "8")
    # The temporary server listens on 127.0.0.1: keep it out of any proxy.
    for name in ("NO_PROXY", "no_proxy"):
        current = env.get(name, "")
        if current and "127.0.0.1" not in current:
            env[name] = f"{current},127.0.0.1,localhost"
