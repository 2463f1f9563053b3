"""Progress reporting seam (edge): the CLI installs a reporter; stages call it with (stage, advance).

Not a flow parameter, because Prefect records parameters and a display object is not a parameter. The flow
also delivers its published summary here for the CLI in the same process.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

Reporter = Callable[[str, int], None]

_lock = threading.Lock()
_current: list[Reporter] = []
_totals: list[Reporter] = []


def _silent(_stage: str, _advance: int) -> None:
    return None


def current_progress() -> Reporter:
    """The installed reporter, or one that does nothing."""
    with _lock:
        return _current[-1] if _current else _silent


def expect(stage: str, total: int) -> None:
    """Tell the installed display how many units a stage will report, before it starts (its bar's total)."""
    with _lock:
        announce = _totals[-1] if _totals else _silent
    announce(stage, total)


@contextmanager
def reporting(reporter: Reporter, totals: Reporter = _silent) -> Iterator[None]:
    """Install a reporter (stage, advance), and what takes each stage's total, for the duration of a run."""
    with _lock:
        _current.append(reporter)
        _totals.append(totals)
    try:
        yield
    finally:
        with _lock:
            _current.remove(reporter)
            _totals.remove(totals)


_delivered: list[dict[str, Any]] = []


def deliver(summary: dict[str, Any]) -> None:
    """Hand the published summary of a flow run to the CLI that started it in this process (a flow run that
    ends Failed on purpose, --fail-on-degraded, has no return value to carry it)."""
    with _lock:
        _delivered[:] = [summary]


def take_delivered() -> dict[str, Any] | None:
    """The summary the last flow run in this process delivered (once), or None."""
    with _lock:
        return _delivered.pop() if _delivered else None
