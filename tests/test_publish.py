"""Publishing: stale temporary files of a killed run are cleaned up by the next one."""

from __future__ import annotations

from pathlib import Path

from avenrich.inputs import InputText
from avenrich.publish import publish


def test_next_run_removes_temp_files_a_killed_run_left(tmp_path: Path) -> None:
    """A `.NAME.*.tmp` left by a SIGKILL during writing disappears on the next publish; others stay."""
    stale = tmp_path / ".demo.json.abc123.tmp"
    stale.write_text("partial", encoding="utf-8")
    other = tmp_path / ".other.json.x.tmp"
    other.write_text("not ours", encoding="utf-8")
    summary = {"entries": 0, "papers": 0, "resolved": 0, "unresolved": 0, "by_host": {}, "degraded": {},
               "requests": {}, "overrides": 0}
    publish([], InputText(name="demo", text="# x\n", format="markdown", origin="demo.md"), tmp_path, summary,
            "2026-11-25T03:00:00Z")
    assert not stale.exists() and other.exists()
    assert (tmp_path / "demo.json").is_file()
