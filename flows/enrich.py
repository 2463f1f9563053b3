"""Prefect entry point of the nightly deployment (no logic here: it lives in avenrich.deployment).

    python flows/enrich.py                      # serve the nightly deployment (needs PREFECT_API_URL)
    prefect deploy --all                        # or deploy it to a process work pool (prefect.yaml)

Environment: AVENRICH_CRON (default "0 3 * * *"), AVENRICH_TIMEZONE (default UTC), AVENRICH_INPUT_URL
(default: the live upstream README of the list), AVENRICH_OUT (default outputs), AVENRICH_NAME,
AVENRICH_CACHE_DIR, AVENRICH_FAIL_ON_DEGRADED (1/true: a degraded night ends the flow run Failed).
"""

from __future__ import annotations

import os

from avenrich.prefect_env import prepare_prefect_env

prepare_prefect_env()

from avenrich.cli import UPSTREAM  # noqa: E402  (Prefect settings must be in the environment first)
from avenrich.deployment import serve_nightly  # noqa: E402
from avenrich.flow import enrich  # noqa: E402, F401  (the entrypoint prefect.yaml names)

if __name__ == "__main__":
    serve_nightly(
        input=os.environ.get("AVENRICH_INPUT_URL", UPSTREAM),
        out_dir=os.environ.get("AVENRICH_OUT", "outputs"),
        name=os.environ.get("AVENRICH_NAME", "awesome-audiovisual-learning"),
        cron=os.environ.get("AVENRICH_CRON", "0 3 * * *"),
        timezone=os.environ.get("AVENRICH_TIMEZONE", "UTC"),
        cache_dir=os.environ.get("AVENRICH_CACHE_DIR") or None,
        fail_on_degraded=os.environ.get("AVENRICH_FAIL_ON_DEGRADED", "").lower() in ("1", "true", "yes"),
        recheck=os.environ.get("AVENRICH_RECHECK", "").lower() in ("1", "true", "yes"),
    )
