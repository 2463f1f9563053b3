"""Publishing: stale temporary files of a killed run are cleaned up by the next one, and only its own."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest

from avenrich.inputs import InputText
from avenrich.model import Finding, Ids, Link, Record, Resolution
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


SUMMARY = {"entries": 1, "papers": 1, "resolved": 1, "unresolved": 0, "by_host": {}, "degraded": {}, "requests": {},
           "overrides": 0}  # fmt: skip
LIST = "# L\n\n* [Paper](https://x.org/a?utm_source=t), 2019\n"
URL = "https://x.org/a?utm_source=t"


def _night(out: Path, *issues: Finding, origin: str = "/lists/papers.md") -> dict[str, object]:
    link = Link(URL, "Paper", 2019, (("L",),), line=3)
    record = Record(link, Ids(), Resolution("resolved", "link", 1.0), title="Paper", year=2020, issues=issues)
    text = InputText(name="papers", text=LIST, format="markdown", origin=origin)
    return publish([record], text, out, dict(SUMMARY), "2026-11-25T03:00:00Z")


YEAR = Finding("year", URL, 3, "listed year 2019 differs from the published year 2020", "2019", "2020", "2020")
TRACKING = Finding("tracking", URL, 3, "tracking parameters", URL, "https://x.org/a", "https://x.org/a")


def test_list_health_patch_and_new_since_last_night(tmp_path: Path) -> None:
    """Night 1 writes NAME.fixes.patch and a List health section; night 2 marks only the finding that is new;
    a night with nothing to fix removes the stale patch."""
    first = _night(tmp_path, YEAR)
    report = (tmp_path / "papers.report.md").read_text(encoding="utf-8")
    assert "## List health (1)" in report and "| 3 | year | https://x.org/a?utm_source=t |" in report
    assert "none marked new" in report
    patch = (tmp_path / "papers.fixes.patch").read_text(encoding="utf-8")
    assert patch.startswith("--- a/papers.md\n+++ b/papers.md\n") and "+* [Paper](" in patch and "2020\n" in patch
    assert first["health_rows"] == [{"line": 3, "kind": "year", "url": URL, "message": YEAR.message, "fix": "2020"}]
    assert json.loads((tmp_path / "papers.json").read_text())["entries"][0]["issues"][0]["kind"] == "year"

    _night(tmp_path, YEAR, TRACKING)
    report = (tmp_path / "papers.report.md").read_text(encoding="utf-8")
    assert "| year | 1 | 0 |" in report and "| tracking | 1 | 1 |" in report
    assert re.search(r"\| 3 \| tracking \| .* \| new \|", report) and not re.search(r"\| year \|.*\| new \|", report)
    assert "https://x.org/a), 2020" in (tmp_path / "papers.fixes.patch").read_text(encoding="utf-8")

    _night(tmp_path)
    assert not (tmp_path / "papers.fixes.patch").exists()
    assert "The list has no finding" in (tmp_path / "papers.report.md").read_text(encoding="utf-8")


def test_patch_paths_use_the_input_file_name(tmp_path: Path) -> None:
    """The diff's paths are the input's own file name, also in a folder with spaces (quoted as git does)."""
    _night(tmp_path, YEAR, origin="/home/me/My Lists/papers list.md")
    diff = (tmp_path / "papers.fixes.patch").read_text(encoding="utf-8")
    assert diff.startswith('--- "a/papers list.md"\n+++ "b/papers list.md"\n')
    if shutil.which("patch") and shutil.which("git"):
        (tmp_path / "papers list.md").write_text(LIST, encoding="utf-8")
        subprocess.run(["git", "apply", "--check", "papers.fixes.patch"], cwd=tmp_path, check=True)
        subprocess.run(["patch", "-p1", "--quiet", "-i", "papers.fixes.patch"], cwd=tmp_path, check=True)
        assert "), 2020\n" in (tmp_path / "papers list.md").read_text(encoding="utf-8")


def test_github_hosted_list_says_how_to_make_a_pull_request(tmp_path: Path) -> None:
    """A list read from GitHub: the report gives the commands that turn the patch into a pull request."""
    _night(tmp_path, YEAR, origin="https://raw.githubusercontent.com/owner/repo/main/lists/papers.md")
    report = (tmp_path / "papers.report.md").read_text(encoding="utf-8")
    assert "gh repo fork owner/repo --clone" in report
    assert "git apply --directory=lists /path/to/papers.fixes.patch" in report
    assert "gh pr create" in report


def test_cli_summary_names_the_findings_and_the_patch(tmp_path: Path) -> None:
    """The run's last lines say how many findings of which kinds, and where the safe fixes are."""
    from avenrich.display import _health_line

    summary = _night(tmp_path, YEAR, TRACKING)
    line = _health_line(summary)
    assert line.startswith("list health: 2 findings (year 1, tracking 1); safe fixes in ")
    assert line.endswith("papers.fixes.patch (see the report)")


def test_the_catalogue_takes_the_entry_texts_only_once_the_page_made_them_all(tmp_path: Path) -> None:
    """publish writes the page before the catalogue: kept texts short of the list's entries are an error, not a
    catalogue missing entries."""
    from avenrich.publish import _written
    from avenrich.spool import TextSpool

    with TextSpool(tmp_path) as texts:
        texts.append('{"url": "a"}')
        assert list(_written(texts, 1)) == ['{"url": "a"}']
        with pytest.raises(RuntimeError, match="1 of 2"):
            list(_written(texts, 2))
