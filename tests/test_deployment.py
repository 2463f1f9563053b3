"""The nightly deployment on a real Prefect server started by the test on 127.0.0.1."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

pytestmark = pytest.mark.prefect


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGINT)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=10)


@pytest.fixture()
def prefect_server(tmp_path: Path) -> Iterator[tuple[str, dict[str, str]]]:
    """`prefect server start` on a free loopback port with its own PREFECT_HOME; stopped afterwards."""
    port = _free_port()
    env = {
        **os.environ,
        "PREFECT_HOME": str(tmp_path / "prefect"),
        "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
        "DO_NOT_TRACK": "1",
        "PREFECT_API_URL": f"http://127.0.0.1:{port}/api",
        "NO_PROXY": "127.0.0.1,localhost",
    }
    prefect = Path(sys.executable).with_name("prefect")
    server = subprocess.Popen(
        [str(prefect), "server", "start", "--host", "127.0.0.1", "--port", str(port), "--no-ui"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    api = env["PREFECT_API_URL"]
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"{api}/health", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert server.poll() is None, "prefect server exited early"
            time.sleep(0.5)
        else:
            pytest.fail("prefect server did not start within 120 s")
        yield api, env
    finally:
        _stop(server)


def test_serve_registers_the_nightly_cron_deployment(
    prefect_server: tuple[str, dict[str, str]], tmp_path: Path
) -> None:
    """`avenrich serve` registers avenrich/nightly with its cron schedule and plain, secret-free parameters,
    run's options among them."""
    api, env = prefect_server
    env = {**env, "AVENRICH_S2_API_KEY": "sentinel-key-never-in-parameters"}
    avenrich = Path(sys.executable).with_name("avenrich")
    serve = subprocess.Popen(
        [
            str(avenrich),
            "serve",
            "--cron",
            "15 4 * * *",
            "--timezone",
            "Europe/Berlin",
            "--input",
            "http://127.0.0.1:9/list.md",
            "--out",
            str(tmp_path / "out"),
            "--cache-dir",
            str(tmp_path / "cache"),
            "--fail-on-degraded",
        ],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        start_new_session=True,
    )
    try:
        deployment = None
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline and deployment is None:
            assert serve.poll() is None, f"avenrich serve exited: {serve.stderr.read() if serve.stderr else ''}"
            reply = httpx.post(f"{api}/deployments/filter", json={"limit": 10}, timeout=5)
            found = [d for d in reply.json() if d["name"] == "nightly"]
            deployment = found[0] if found else None
            if deployment is None:
                time.sleep(0.5)
        assert deployment is not None, "the nightly deployment was not registered within 90 s"
        schedules = deployment["schedules"]
        assert [(s["schedule"]["cron"], s["schedule"]["timezone"]) for s in schedules] == [
            ("15 4 * * *", "Europe/Berlin")
        ]
        assert deployment["parameters"] == {
            "input": "http://127.0.0.1:9/list.md",
            "out_dir": str(tmp_path / "out"),
            "name": "awesome-audiovisual-learning",
            "cache_dir": str(tmp_path / "cache"),
            "fail_on_degraded": True,
            "recheck": False,
        }
        assert "sentinel-key" not in reply.text
    finally:
        _stop(serve)


ROOT = Path(__file__).resolve().parent.parent
BUNDLED = ROOT / "src" / "avenrich" / "data" / "awesome-audiovisual-learning.md"


def test_prefect_yaml_deploys_and_workers_run_one_flow_per_list(
    prefect_server: tuple[str, dict[str, str]], tmp_path: Path
) -> None:
    """`prefect deploy --all` registers nightly (cron) and list; a process worker runs two lists, one flow run
    each, into one shared out_dir, with the outputs of both lists and no secret among the parameters."""
    api, env = prefect_server
    env = {
        **env,
        "AVENRICH_CACHE_DIR": str(tmp_path / "cache"),
        "AVENRICH_S2_API_KEY": "sentinel-key-never-in-parameters",
    }
    prefect = str(Path(sys.executable).with_name("prefect"))

    def cli(*args: str, timeout: float = 120) -> str:
        done = subprocess.run(
            [prefect, *args], env=env, cwd=ROOT, capture_output=True, text=True, timeout=timeout, check=False
        )
        assert done.returncode == 0, f"prefect {' '.join(args)}: {done.stdout[-800:]} {done.stderr[-800:]}"
        return done.stdout

    cli("work-pool", "create", "avenrich-process", "--type", "process")
    cli("--no-prompt", "deploy", "--all")
    lines = BUNDLED.read_text(encoding="utf-8").splitlines()
    out = tmp_path / "shared-out"
    for number, part in enumerate((lines[55:95], lines[95:140]), start=1):
        (tmp_path / f"list{number}.md").write_text("\n".join(part), encoding="utf-8")
        cli(
            "deployment", "run", "avenrich/list",
            "-p", f"input={tmp_path / f'list{number}.md'}", "-p", f"name=list{number}",
            "-p", f"out_dir={out}", "-p", "offline=true",
        )  # fmt: skip
    cli("worker", "start", "--pool", "avenrich-process", "--run-once", "--limit", "2", timeout=240)

    deployments = httpx.post(f"{api}/deployments/filter", json={"limit": 10}, timeout=5).json()
    by_name = {d["name"]: d for d in deployments}
    assert set(by_name) == {"nightly", "list"}
    assert [s["schedule"]["cron"] for s in by_name["nightly"]["schedules"]] == ["0 3 * * *"]
    runs = httpx.post(
        f"{api}/flow_runs/filter",
        json={"flow_runs": {"deployment_id": {"any_": [by_name["list"]["id"]]}}, "limit": 10},
        timeout=5,
    ).json()
    assert sorted((r["name"], r["state_type"]) for r in runs) == [
        ("enrich-list1", "COMPLETED"),
        ("enrich-list2", "COMPLETED"),
    ]
    assert all("sentinel-key" not in str(r["parameters"]) for r in runs)
    for name in ("list1", "list2"):
        catalogue = json.loads((out / f"{name}.json").read_text(encoding="utf-8"))
        assert catalogue["entries"], f"{name}.json has no entries"
        assert (out / f"{name}.bib").stat().st_size > 0
