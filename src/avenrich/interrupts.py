"""Ctrl-C and SIGTERM during a run (edge: signals, process exit).

One signal ends the run within seconds, whatever the run is doing: SIGINT and SIGTERM are blocked in every
thread and taken by one watcher thread (`sigtimedwait`), so no stalled request, thread join or Prefect
exit hook stands in the way. The watcher runs the CLI's clean-up (record the flow run as Cancelled, stop the
temporary server, print one line) under a deadline, then ends the process with 128 + the signal number.
Outputs are never half-replaced by this: they are renamed into place only once complete, and a killed run's
temporary files are removed by the next run.
"""

from __future__ import annotations

import contextlib
import os
import signal
import sys
import threading
from collections.abc import Callable, Iterator

SIGNALS = frozenset({signal.SIGINT, signal.SIGTERM})
CLEANUP_DEADLINE = 15.0  # seconds the clean-up may take before the process ends anyway


def exit_code(signum: int) -> int:
    """The shell's code for a process ended by `signum`: 130 for SIGINT, 143 for SIGTERM."""
    return 128 + signum


def signal_name(signum: int) -> str:
    """SIGINT, SIGTERM, …"""
    try:
        return signal.Signals(signum).name
    except ValueError:
        return f"signal {signum}"


@contextlib.contextmanager
def ending_on_signal(cleanup: Callable[[int], None]) -> Iterator[None]:
    """For the duration of the block, the first SIGINT or SIGTERM runs `cleanup(signum)` on a watcher thread
    (at most CLEANUP_DEADLINE seconds) and ends the process with `exit_code(signum)`; later signals are
    ignored. Outside the main thread, or where signals cannot be blocked, the block runs unchanged."""
    if threading.current_thread() is not threading.main_thread() or not hasattr(signal, "sigtimedwait"):
        yield
        return
    previous = signal.pthread_sigmask(signal.SIG_BLOCK, SIGNALS)
    done = threading.Event()

    def watch() -> None:
        while not done.is_set():
            info = signal.sigtimedwait(SIGNALS, 0.2)
            if info is not None and not done.is_set():
                _end(info.si_signo, cleanup)

    watcher = threading.Thread(target=watch, name="avenrich-signals", daemon=True)
    watcher.start()
    try:
        yield
    finally:
        done.set()
        watcher.join()
        # A signal that came after the watcher stopped is still pending: unblocking delivers it the usual way.
        signal.pthread_sigmask(signal.SIG_SETMASK, previous)


def _end(signum: int, cleanup: Callable[[int], None]) -> None:
    code = exit_code(signum)
    timer = threading.Timer(CLEANUP_DEADLINE, os._exit, args=(code,))
    timer.daemon = True
    timer.start()
    try:
        cleanup(signum)
    except BaseException as exc:  # the process ends next whatever happened; say what did not work
        with contextlib.suppress(Exception):
            sys.stderr.write(f"avenrich: clean-up after {signal_name(signum)} incomplete: {exc!r}\n")
    finally:
        with contextlib.suppress(Exception):
            sys.stdout.flush()
            sys.stderr.flush()
        # Not sys.exit: threads may sit in stalled requests, and Prefect's exit hooks would wait on them.
        os._exit(code)
