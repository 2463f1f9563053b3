"""Terminal display (edge): rich progress while a run works, a summary table when it ends.

Logs of avenrich go through the same rich console, so they print above the progress bars instead of
tearing them. Progress and tables go to stderr; stdout stays free for the final one-line result.
"""

from __future__ import annotations

import logging
import sys
import threading
from collections import Counter
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any

from rich.console import Console
from rich.logging import RichHandler
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    SpinnerColumn,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)
from rich.table import Table

from avenrich import preflight
from avenrich.progress import reporting

STAGES = {"lookup": "links looked up by identifier", "search": "links searched and verified"}


class Display:
    """Progress bars, log lines and the final summary of one CLI run."""

    def __init__(self, *, quiet: bool, verbose: bool) -> None:
        self.quiet = quiet
        self.console = Console(stderr=True)
        self._tasks: dict[str, Any] = {}
        self._totals: dict[str, int] = {}
        self._lock = threading.Lock()
        handler = RichHandler(console=self.console, show_path=False, show_time=False, markup=False)
        logger = logging.getLogger("avenrich")
        logger.handlers[:] = [handler]
        logger.setLevel(logging.DEBUG if verbose else logging.WARNING)
        logger.propagate = False
        # bibtexparser logs a multi-line warning per broken block; the list reader already reports them.
        logging.getLogger("bibtexparser").setLevel(logging.DEBUG if verbose else logging.CRITICAL)
        self._progress = Progress(
            SpinnerColumn(),
            TextColumn("{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            TimeRemainingColumn(),
            console=self.console,
            transient=True,
            disable=quiet or not self.console.is_terminal,
        )

    def _task(self, stage: str) -> Any:
        """The one bar of `stage` (created on first use)."""
        with self._lock:
            if stage not in self._tasks:
                self._tasks[stage] = self._progress.add_task(STAGES.get(stage, stage), total=None)
            return self._tasks[stage]

    def _report(self, stage: str, advance: int) -> None:
        self._progress.advance(self._task(stage), advance)

    def _total(self, stage: str, total: int) -> None:
        """A batch's units join its stage's total (the list is resolved in batches: one bar per stage)."""
        task = self._task(stage)
        with self._lock:
            self._totals[stage] = self._totals.get(stage, 0) + total
            total = self._totals[stage]
        self._progress.update(task, total=total)

    def note(self, text: str) -> None:
        """One line for the operator before the run starts (not when quiet)."""
        if not self.quiet:
            self.console.print(f"avenrich: {text}", style="dim", highlight=False, soft_wrap=True, markup=False)

    def stop(self) -> None:
        """Take the progress bars off the terminal (from any thread; an interrupted run calls it)."""
        self._progress.stop()

    @contextmanager
    def running(self) -> Iterator[None]:
        """Show progress for the duration of the run."""
        with self._progress, reporting(self._report, self._total):
            yield

    def _warn(self, text: str) -> None:
        """One yellow "avenrich: …" line, printed as it is (no markup, no highlighting)."""
        self.console.print(f"avenrich: {text}", style="yellow", highlight=False, soft_wrap=True, markup=False)

    def finish(self, summary: Mapping[str, Any], seconds: float) -> None:
        """Print the summary table (unless quiet) and the degraded sources (always)."""
        degraded = summary.get("degraded") or {}
        if degraded:
            by_reason: dict[str, list[str]] = {}
            for source, reason in degraded.items():
                by_reason.setdefault(str(reason).split(": skipped")[0], []).append(str(source))
            # Every degraded source is named, also when its reason does not say it ("offline: …").
            reasons = "; ".join(
                text if all(name in text for name in names) else f"{', '.join(names)}: {text}"
                for text, names in by_reason.items()
            )
            self._warn(f"sources degraded ({reasons}): entries they would have resolved stay unresolved")
        input_note = summary.get("input_note") or preflight.input_note(str(summary.get("origin", "")))
        if input_note:
            self._warn(str(input_note))
        if not self.quiet:
            self.console.print(_table(summary))
            self.console.print(_requests_line(summary), highlight=False, soft_wrap=True, markup=False)
            if summary.get("health_rows"):
                self.console.print(_health_line(summary), highlight=False, soft_wrap=True, markup=False)
        outputs = list(summary.get("outputs", []))  # every file publish wrote, in its order
        line = (
            f"{summary['entries']} entries: {summary['resolved']} resolved, {summary['unresolved']} unresolved "
            f"in {seconds:.1f} s -> {', '.join(outputs)}"
        )
        if not self.quiet:
            print(line, file=sys.stdout)
            if summary.get("in_place"):
                print(_in_place_line(summary["in_place"]), file=sys.stdout)


def _in_place_line(in_place: Mapping[str, Any]) -> str:
    """What --in-place did to the input file."""
    if in_place.get("backup") is None:
        return f"{in_place['input']}: nothing to change, left as it was"
    return f"{in_place['input']}: rewritten in place (the previous file is {in_place['backup']})"


def _table(summary: Mapping[str, Any]) -> Table:
    table = Table(title=str(summary.get("name", "")), title_justify="left")
    table.add_column("link kind")
    table.add_column("resolved", justify="right")
    table.add_column("unresolved", justify="right")
    for host, row in summary["by_host"].items():
        table.add_row(host, str(row["resolved"]), str(row["unresolved"]))
    table.add_row("total", str(summary["resolved"]), str(summary["unresolved"]), style="bold")
    return table


def _requests_line(summary: Mapping[str, Any]) -> str:
    """'requests: crossref 3 (0 cache hits), semantic_scholar 3 (12 cache hits)' — one line, never wrapped into
    the table's width."""
    parts = []
    for source, endpoints in sorted((summary.get("requests") or {}).items()):
        sent = sum(c.get("requests", 0) for c in endpoints.values())
        hits = sum(c.get("cache_hits", 0) for c in endpoints.values())
        parts.append(f"{source} {sent} ({hits} cache hits)")
    return "requests: " + (", ".join(parts) if parts else "none")


def _health_line(summary: Mapping[str, Any]) -> str:
    """'list health: 3 findings (year 1, tracking 2); safe fixes in out/NAME.fixes.patch' — one line."""
    counts = Counter(str(row.get("kind")) for row in summary.get("health_rows") or [])
    kinds = ", ".join(f"{kind} {n}" for kind, n in counts.items())
    patch = next((p for p in summary.get("outputs", []) if p.endswith(".fixes.patch")), None)
    where = f"; safe fixes in {patch}" if patch else "; nothing to fix automatically"
    return f"list health: {sum(counts.values())} findings ({kinds}){where} (see the report)"
