"""The README's "Nightly runs" section, followed command by command on a fresh PREFECT_HOME, works end to end.

The only change to the commands: port 4200 becomes a free port (other servers may run on this machine). With
no internet here, the night's upstream list cannot be fetched (so the bundled snapshot stands in, the first
night) and both services are unreachable (so, with --fail-on-degraded, the flow run ends Failed).
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import shlex
import signal
import subprocess
import time
from pathlib import Path

import httpx
import pytest
import yaml

from helpers import PREFECT, ROOT, base_env, free_port

pytestmark = pytest.mark.prefect


def readme_commands(heading: str) -> list[str]:
    """The commands of the first ```sh block under `heading` in the README, comments dropped."""
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    section = text[text.index(heading) :]
    block = re.search(r"```sh\n(.*?)```", section, re.DOTALL)
    assert block is not None
    return [line.split("  #")[0].strip() for line in block.group(1).splitlines() if line.strip()]


def wait_for(what: str, check: object, timeout: float = 300) -> object:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with contextlib.suppress(httpx.HTTPError):
            value = check()  # type: ignore[operator]
            if value:
                return value
        time.sleep(0.5)
    pytest.fail(f"{what} did not happen within {timeout:g} s")


def test_the_readme_nightly_section_works_end_to_end(tmp_path: Path) -> None:
    """Server in the background, `avenrich serve` registering avenrich/nightly, a run triggered by hand: the
    run publishes the bundled list's 187 entries (upstream unreachable, no copy yet), warns, ends Failed
    (--fail-on-degraded with both sources unreachable), and `prefect flow-run ls` says so."""
    commands = readme_commands("## Nightly runs")
    assert [c.split()[:3] for c in commands] == [
        ["prefect", "server", "start"],
        ["export", "PREFECT_API_URL=http://127.0.0.1:4200/api"],
        ["avenrich", "serve", "--cron"],
        ["prefect", "deployment", "run"],
        ["prefect", "flow-run", "ls"],
    ]
    port = free_port()
    env = base_env(
        tmp_path / "prefect-home",
        AVENRICH_CROSSREF_URL="http://127.0.0.1:9",
        AVENRICH_S2_URL="http://127.0.0.1:9/graph/v1",
        PREFECT_SERVER_API_PORT=str(port),  # where `prefect server start` listens (the README's 4200)
        PREFECT_RUNNER_POLL_FREQUENCY="1",  # the served process looks for the triggered run every second
        PREFECT_UI_ENABLED="false",
    )
    api = f"http://127.0.0.1:{port}/api"
    serve: subprocess.Popen[bytes] | None = None
    try:
        for command in (c.replace("4200", str(port)) for c in commands):
            if command.startswith("export "):
                key, value = command.removeprefix("export ").split("=", 1)
                env[key] = value
                continue
            argv = shlex.split(command.rstrip("&"))
            if command.endswith("&"):
                serve = subprocess.Popen(
                    argv,
                    env=env,
                    cwd=tmp_path,
                    stdout=subprocess.DEVNULL,
                    stderr=subprocess.PIPE,
                    start_new_session=True,
                )
                wait_for(
                    "registering avenrich/nightly",
                    lambda: httpx.get(f"{api}/deployments/name/avenrich/nightly", timeout=5).status_code == 200,
                )
                continue
            done = subprocess.run(
                argv, env={**env, "COLUMNS": "300"}, cwd=tmp_path, capture_output=True, text=True, timeout=300
            )
            assert done.returncode == 0, f"{command}: {done.stdout[-800:]} {done.stderr[-800:]}"
            if argv[:3] == ["prefect", "server", "start"]:
                wait_for(
                    "the server", lambda: httpx.get(f"http://127.0.0.1:{port}/api/health", timeout=5).status_code == 200
                )
            if argv[:3] == ["prefect", "deployment", "run"]:

                def final() -> list[dict[str, object]]:
                    runs = httpx.post(f"{api}/flow_runs/filter", json={}, timeout=5).json()
                    return [r for r in runs if r["state_type"] in ("COMPLETED", "FAILED", "CRASHED", "CANCELLED")]

                (run,) = wait_for("the triggered flow run", final)  # type: ignore[misc]
            if argv[:3] == ["prefect", "flow-run", "ls"]:
                listing = done.stdout
        assert env["PREFECT_API_URL"] == api
        assert "enrich-awesome-audiovisual-learning" in listing and "FAILED" in listing, listing
        assert run["state_type"] == "FAILED" and "degraded run" in str(run["state"]["message"]), run
        logs = httpx.post(
            f"{env['PREFECT_API_URL']}/logs/filter", json={"logs": {"flow_run_id": {"any_": [run["id"]]}}}, timeout=5
        ).json()
        warnings = [log["message"] for log in logs if log["level"] == 30]
        assert any("bundled snapshot" in w for w in warnings) and any("degraded run" in w for w in warnings), logs
        assert not any("Traceback" in log["message"] for log in logs)
        doc = json.loads((tmp_path / "outputs" / "awesome-audiovisual-learning.json").read_text(encoding="utf-8"))
        assert len(doc["entries"]) == 187 and doc["source"]["input"].startswith("bundled snapshot")
    finally:
        if serve is not None and serve.poll() is None:
            os.killpg(serve.pid, signal.SIGINT)
            try:
                serve.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(serve.pid, signal.SIGKILL)
                serve.wait(timeout=10)
        subprocess.run([PREFECT, "server", "stop"], env=env, capture_output=True, timeout=60, check=False)


def test_the_documented_automation_is_a_valid_prefect_automation() -> None:
    """prefect-automation.yaml (with a block id filled in) is what `prefect automation create` accepts, and it
    fires on Failed and Crashed flow runs of the avenrich flow."""
    from prefect.events.schemas.automations import AutomationCore

    data = yaml.safe_load((ROOT / "prefect-automation.yaml").read_text(encoding="utf-8"))
    automation = AutomationCore.model_validate(data)
    assert set(automation.trigger.expect) == {"prefect.flow-run.Failed", "prefect.flow-run.Crashed"}  # type: ignore[union-attr]
    assert automation.actions[0].type == "send-notification"
    assert "prefect automation create --from-file prefect-automation.yaml" in (ROOT / "README.md").read_text(
        encoding="utf-8"
    )
