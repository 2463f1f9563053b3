"""Publishing: stale temporary files of a killed run are cleaned up by the next one, and only its own."""

from __future__ import annotations

import tempfile
from pathlib import Path

from avenrich.inputs import InputText
from avenrich.publish import publish


def _temp(directory: Path, prefix: str) -> Path:
    """A temporary file named exactly as outputs.write_text names them."""
    handle, name = tempfile.mkstemp(dir=directory, prefix=prefix, suffix=".tmp")
    with open(handle, "w", encoding="utf-8") as file:
        file.write("partial")
    return Path(name)


def test_next_run_removes_temp_files_a_killed_run_left(tmp_path: Path) -> None:
    """`.demo.SUFFIX.*.tmp` left by a SIGKILL during writing disappear on the next publish of demo; the
    temporary files of other lists (another run may be writing them: "demo.b", "other") stay."""
    stale = [_temp(tmp_path, f".demo.{suffix}.") for suffix in ("json", "bib", "csl.json", "report.md")]
    others = [_temp(tmp_path, ".other.json."), _temp(tmp_path, ".demo.b.json."), _temp(tmp_path, ".demo.b.bib.")]
    summary = {"entries": 0, "papers": 0, "resolved": 0, "unresolved": 0, "by_host": {}, "degraded": {},
               "requests": {}, "overrides": 0}  # fmt: skip
    publish([], InputText(name="demo", text="# x\n", format="markdown", origin="demo.md"), tmp_path, summary,
            "2026-11-25T03:00:00Z")  # fmt: skip
    assert [p.exists() for p in stale] == [False] * len(stale)
    assert [p.exists() for p in others] == [True] * len(others)
    assert (tmp_path / "demo.json").is_file()
