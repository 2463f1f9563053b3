"""The nightly deployment (edge): serve the flow on a Prefect server with a cron schedule.

Import only after `prefect_env.prepare_prefect_env()`. `flows/enrich.py` and `avenrich serve` call this;
`prefect.yaml` describes the same deployment for `prefect deploy` with a process work pool.
"""

from __future__ import annotations

from typing import Any

from prefect.schedules import Cron

from avenrich.flow import enrich


def nightly_parameters(
    input: str,
    out_dir: str,
    name: str,
    *,
    cache_dir: str | None = None,
    overrides: str | None = None,
    fail_on_degraded: bool = False,
    recheck: bool = False,
) -> dict[str, Any]:
    """The flow parameters of the nightly run: plain values only, never a secret (options left unset are left
    out, so the flow's defaults apply)."""
    optional = {"cache_dir": cache_dir, "overrides": overrides}
    return {
        "input": input,
        "out_dir": out_dir,
        "name": name,
        **{key: value for key, value in optional.items() if value is not None},
        "fail_on_degraded": fail_on_degraded,
        "recheck": recheck,
    }


def serve_nightly(
    *,
    input: str,
    out_dir: str,
    name: str,
    cron: str = "0 3 * * *",
    timezone: str = "UTC",
    deployment: str = "nightly",
    cache_dir: str | None = None,
    overrides: str | None = None,
    fail_on_degraded: bool = False,
    recheck: bool = False,
) -> None:
    """Register the nightly deployment and run its scheduled flow runs in this process until stopped."""
    parameters = nightly_parameters(
        input,
        out_dir,
        name,
        cache_dir=cache_dir,
        overrides=overrides,
        fail_on_degraded=fail_on_degraded,
        recheck=recheck,
    )
    enrich.serve(
        name=deployment,
        schedules=[Cron(cron, timezone=timezone)],
        parameters=parameters,
        description="Nightly enrichment of the paper list into BibTeX, JSON and CSL-JSON.",
        tags=["avenrich", "nightly"],
        global_limit=1,
    )
