"""Which Prefect API a CLI run records to (edge: environment, loopback HTTP, one subprocess).

In order: the API the user configured (PREFECT_API_URL, in the environment or the active profile); a Prefect
server already running on this machine (`prefect server start --background`, found at its configured host and
port, 127.0.0.1:4200 by default), which saves ~7 s a run; else a temporary server for this run only.

The temporary server is Prefect's own (the same uvicorn app its ephemeral mode starts), but started here in its
own session: a Ctrl-C in the terminal reaches avenrich, which then records the flow run as Cancelled on it and
stops it, instead of the server dying first under the flow run. It also dies with avenrich (PR_SET_PDEATHSIG),
so no server outlives a killed run. Call before `import prefect`, after `prefect_env.prepare_prefect_env()`.
"""

from __future__ import annotations

import atexit
import contextlib
import ctypes
import os
import signal
import socket
import subprocess
import sys
import time
import tomllib
from collections.abc import Callable, Mapping, MutableMapping
from pathlib import Path
from typing import Any

import httpx

from avenrich.errors import AvenrichError

START_HINT = "prefect server start --background"


def configured_api_url(env: Mapping[str, str]) -> str | None:
    """PREFECT_API_URL from the environment, else from the active profile of PREFECT_HOME's profiles.toml."""
    if env.get("PREFECT_API_URL", "").strip():
        return env["PREFECT_API_URL"].strip()
    home = Path(env.get("PREFECT_HOME") or Path.home() / ".prefect").expanduser()
    path = Path(env.get("PREFECT_PROFILES_PATH") or home / "profiles.toml").expanduser()
    try:
        profiles = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError):
        return None
    active = env.get("PREFECT_PROFILE") or profiles.get("active") or "ephemeral"
    value = profiles.get("profiles", {}).get(active, {}).get("PREFECT_API_URL")
    return str(value) if value else None


def local_server_url(env: Mapping[str, str]) -> str:
    """Where `prefect server start` listens with these settings."""
    host = env.get("PREFECT_SERVER_API_HOST") or "127.0.0.1"
    host = "127.0.0.1" if host in ("0.0.0.0", "::", "") else host
    return f"http://{host}:{env.get('PREFECT_SERVER_API_PORT') or 4200}/api"


def is_healthy(api_url: str, timeout: float = 0.5) -> bool:
    """Whether a Prefect API answers its health check at `api_url` (refused at once when nothing listens)."""
    try:
        return httpx.get(f"{api_url}/health", timeout=timeout, trust_env=False).status_code == 200
    except httpx.HTTPError:
        return False


class TemporaryServer:
    """Prefect's server app for the duration of one run, on a free loopback port, in its own session."""

    def __init__(self, env: Mapping[str, str]) -> None:
        self.port = _free_port()
        self.api_url = f"http://127.0.0.1:{self.port}/api"
        self._env = {
            **env,
            "PREFECT_UI_ENABLED": "0",
            "PREFECT__SERVER_EPHEMERAL": "1",
            "PREFECT__SERVER_FINAL": "1",
        }
        self._env.pop("PREFECT_API_URL", None)
        self._process: subprocess.Popen[bytes] | None = None

    def spawn(self) -> None:
        """Start the server process (returns at once; `wait_ready` waits for it)."""
        command = [sys.executable, "-m", "uvicorn", "--factory", "prefect.server.api.server:create_app"]
        command += ["--host", "127.0.0.1", "--port", str(self.port), "--log-level", "error", "--lifespan", "on"]
        self._process = subprocess.Popen(
            command,
            env=self._env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            start_new_session=True,  # the terminal's Ctrl-C goes to avenrich, which stops the server itself
            preexec_fn=_die_with_parent(),
        )
        atexit.register(self.stop)  # registered before Prefect's own exit hooks, so it runs after them

    def wait_ready(self, timeout: float) -> None:
        """Wait until the server answers; AvenrichError (one line) when it exits or does not answer in time."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self._process is None or self._process.poll() is not None:
                code = None if self._process is None else self._process.returncode
                raise AvenrichError(f"Prefect's temporary server exited during start-up (exit code {code})")
            if is_healthy(self.api_url, timeout=2.0):
                return
            time.sleep(0.1)
        self.stop()
        raise AvenrichError(
            f"Prefect's temporary server did not answer within {timeout:g} s "
            f"(PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS; or start one: {START_HINT})"
        )

    def stop(self) -> None:
        """Stop the server (SIGTERM, then SIGKILL after 5 s) and reap it; does nothing the second time."""
        process, self._process = self._process, None
        if process is None:
            return
        if process.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                process.terminate()
            try:
                process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    process.kill()
                process.wait(timeout=5)

    @property
    def pid(self) -> int | None:
        """The server's process id while it runs."""
        return None if self._process is None else self._process.pid


def choose_api(env: MutableMapping[str, str] | None = None) -> TemporaryServer | None:
    """Point Prefect at an API before it is imported: the configured one, a running local server (sets
    PREFECT_API_URL), or a temporary server started here (spawned, not yet ready: call `wait_ready`)."""
    env = os.environ if env is None else env
    if "prefect" in sys.modules or configured_api_url(env):
        return None  # already configured (or Prefect was imported with its settings: tests' harness)
    local = local_server_url(env)
    if is_healthy(local):
        env["PREFECT_API_URL"] = local
        return None
    server = TemporaryServer(env)
    server.spawn()
    env["PREFECT_API_URL"] = server.api_url
    return server


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _die_with_parent() -> Callable[[], None] | None:
    """A preexec function that makes the child get SIGTERM when avenrich dies (Linux), with the signals
    avenrich blocks for its interrupt handler unblocked again."""
    try:
        prctl = ctypes.CDLL(None, use_errno=True).prctl
    except (OSError, AttributeError):
        return None
    pr_set_pdeathsig = 1

    def setup() -> None:
        signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT, signal.SIGTERM})
        prctl(pr_set_pdeathsig, int(signal.SIGTERM))

    return setup


def cancel_flow_run(flow_run_id: Any, message: str) -> None:
    """Record the flow run, and its task runs still pending or running, as Cancelled (Prefect must be imported
    and pointed at its API already)."""
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import (
        FlowRunFilter,
        FlowRunFilterId,
        TaskRunFilter,
        TaskRunFilterState,
        TaskRunFilterStateType,
    )
    from prefect.client.schemas.objects import StateType
    from prefect.states import Cancelled

    with get_client(sync_client=True) as client:
        client.set_flow_run_state(flow_run_id, Cancelled(message=message), force=True)
        unfinished = client.read_task_runs(
            flow_run_filter=FlowRunFilter(id=FlowRunFilterId(any_=[flow_run_id])),
            task_run_filter=TaskRunFilter(
                state=TaskRunFilterState(type=TaskRunFilterStateType(any_=[StateType.RUNNING, StateType.PENDING]))
            ),
        )
        for task_run in unfinished:
            client.set_task_run_state(task_run.id, Cancelled(message=message), force=True)
