"""The command line: help, version, validate, cache, and the main job with the services unreachable."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from avenrich import __version__
from avenrich.cli import build_parser, main

ROOT = Path(__file__).resolve().parent.parent
GOLDEN = Path(__file__).parent / "fixtures" / "golden" / "sample.json"


def run_help(*args: str) -> str:
    with pytest.raises(SystemExit) as exit_info:
        build_parser().parse_args([*args, "--help"])
    assert exit_info.value.code == 0
    return ""


def test_version(capsys: pytest.CaptureFixture[str]) -> None:
    """`avenrich --version` prints the package version."""
    with pytest.raises(SystemExit):
        main(["--version"])
    assert capsys.readouterr().out.strip() == f"avenrich {__version__}"


def test_run_help_documents_every_flag_and_the_readme_lists_them(capsys: pytest.CaptureFixture[str]) -> None:
    """Every `run` flag is in --help with a description and in the README's flag table."""
    run_help("run")
    text = capsys.readouterr().out
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    flags = [
        "--input",
        "--out",
        "--cache-dir",
        "--offline",
        "--name",
        "--overrides",
        "--in-place",
        "--fail-on-degraded",
    ]
    for flag in flags:
        assert flag in text
        assert f"`{flag}`" in readme, f"README's flag table lacks {flag}"
    assert "exit codes" in text and "examples:" in text


def test_usage_error_is_one_line_exit_2(capsys: pytest.CaptureFixture[str]) -> None:
    """An unknown flag is one line on stderr and exit 2, not argparse's usage dump."""
    with pytest.raises(SystemExit) as exit_info:
        main(["run", "--no-such-flag"])
    assert exit_info.value.code == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "no-such-flag" in err


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["run", "--input", "/nonexistent/list.md"], "no such file"),
        (["run", "--input", "/"], "is a directory"),
        (["validate", "/nonexistent.json"], "not found"),
    ],
)
def test_unusable_input_is_one_line_exit_2(args: list[str], message: str, capsys: pytest.CaptureFixture[str]) -> None:
    """Missing or unusable inputs fail before Prefect starts, with one line."""
    assert main(args) == 2
    err = capsys.readouterr().err
    assert message in err and err.count("\n") == 1 and "Traceback" not in err


@pytest.mark.parametrize("given", [None, "lists/sample.md", "https://example.org/refs.bib"])
def test_in_place_needs_a_local_bib_input(
    given: str | None, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """--in-place with the bundled list, a Markdown file or a URL: exit 2, one line, nothing written."""
    source = str(Path(__file__).parent / "fixtures" / given) if given and "://" not in given else given
    out = tmp_path / "out"
    args = ["run", "--in-place", "--out", str(out), *(["--input", source] if source else [])]
    assert main(args) == 2
    err = capsys.readouterr().err
    assert "--in-place rewrites a local BibTeX --input" in err and err.count("\n") == 1
    assert not out.exists()


def test_bad_rate_setting_is_one_line(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    """A malformed AVENRICH_* value is reported in one line."""
    monkeypatch.setenv("AVENRICH_CROSSREF_RPS", "lots")
    assert main(["run"]) == 2
    assert "AVENRICH_CROSSREF_RPS" in capsys.readouterr().err


def test_validate_accepts_the_golden_catalogue_and_rejects_a_broken_one(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """`avenrich validate` passes a valid catalogue and names the problems of an invalid one."""
    assert main(["validate", str(GOLDEN)]) == 0
    assert "valid catalogue" in capsys.readouterr().out
    broken = json.loads(GOLDEN.read_text(encoding="utf-8"))
    broken["entries"][0]["resolution"]["status"] = "maybe"
    del broken["schema_version"]
    path = tmp_path / "broken.json"
    path.write_text(json.dumps(broken), encoding="utf-8")
    assert main(["validate", str(path)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "(document): 'schema_version' is a required property" in err
    assert "and 1 more" in err
    assert main(["validate", "--all", str(path)]) == 2
    err = capsys.readouterr().err
    assert "maybe" in err and "schema_version" in err
    path.write_text("{not json", encoding="utf-8")
    assert main(["validate", str(path)]) == 2


def test_validate_accepts_an_old_1_0_catalogue(capsys: pytest.CaptureFixture[str]) -> None:
    """A catalogue written by schema 1.0.0 still validates after the 1.1 additions."""
    old = Path(__file__).resolve().parent / "fixtures" / "catalogues" / "sample-1.0.0.json"
    assert main(["validate", str(old)]) == 0
    assert "valid catalogue (schema 1.0.0" in capsys.readouterr().out


def test_validate_on_a_wrong_file_is_one_short_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A big JSON file that is not a catalogue (a CSL-JSON list): one line naming the first problem and the
    file, not the document jsonschema quotes."""
    path = tmp_path / "refs.csl.json"
    path.write_text(json.dumps([{"id": f"p{i}", "title": "x" * 500} for i in range(200)]), encoding="utf-8")
    assert main(["validate", str(path)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and str(path) in err and len(err) < 400, err
    assert "(document): " in err and "is not of type 'object'" in err


def test_cache_stats_and_clear(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """`avenrich cache stats` counts entries by source and kind, their size and the last run's hit rate (not
    this process's, always 0); `clear` empties the cache."""
    from avenrich.cache import DiskJsonCache, key_for

    with DiskJsonCache(tmp_path / "c") as cache:
        cache.set(key_for("crossref", "work", "10.1/x"), {"item": {"DOI": "10.1/x"}}, ttl=60)
        cache.set(key_for("semantic_scholar", "paper", "DOI:10.1/x"), {"item": None}, ttl=60)
    assert main(["cache", "stats", "--cache-dir", str(tmp_path / "c")]) == 0
    out = capsys.readouterr().out
    assert re.search(r": 2 entries, \d+(\.\d)? (bytes|KB)\b", out) and "crossref/work: 1" in out
    assert "no run has read this cache yet" in out
    with DiskJsonCache(tmp_path / "c") as cache:  # a run: three reads, two found
        cache.get(key_for("crossref", "work", "10.1/x"))
        cache.get(key_for("crossref", "work", "10.1/x"))
        cache.get(key_for("crossref", "work", "10.1/missing"))
    assert main(["cache", "stats", "--cache-dir", str(tmp_path / "c")]) == 0
    out = capsys.readouterr().out
    assert re.search(r"last run \(\d{4}-\d\d-\d\d \d\d:\d\d UTC\): 2 hits, 1 misses, hit rate 66\.7%", out), out
    assert main(["cache", "stats", "--cache-dir", str(tmp_path / "c")]) == 0
    assert "2 hits, 1 misses" in capsys.readouterr().out, "stats itself is not a run"
    assert main(["cache", "clear", "--cache-dir", str(tmp_path / "c")]) == 0
    assert "removed 2 entries" in capsys.readouterr().out
    assert main(["cache", "stats", "--cache-dir", str(tmp_path / "missing")]) == 0
    assert "empty" in capsys.readouterr().out


@pytest.mark.prefect
def test_run_with_services_unreachable_completes_and_is_recorded(tmp_path: Path) -> None:
    """The README's main job with no service reachable: exit 0, 187 entries, one summary line, a closing
    line naming every file written, and a completed flow run in the local Prefect database (its time is
    measured in benchmarks/run.py)."""
    env = {
        **os.environ,
        "PREFECT_HOME": str(tmp_path / "prefect"),
        "AVENRICH_CROSSREF_URL": "http://127.0.0.1:9",
        "AVENRICH_S2_URL": "http://127.0.0.1:9/graph/v1",
    }
    env.pop("PREFECT_API_URL", None)
    avenrich = Path(sys.executable).with_name("avenrich")
    done = subprocess.run(
        [str(avenrich), "run", "--out", str(tmp_path / "out"), "--cache-dir", str(tmp_path / "cache")],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        cwd=tmp_path,
    )
    assert done.returncode == 0, done.stderr
    written = sorted(p.name for p in (tmp_path / "out").iterdir() if not p.name.startswith("."))
    (closing,) = done.stdout.splitlines()
    assert written and all(f"out/{name}" in closing for name in written), (closing, written)
    doc = json.loads((tmp_path / "out" / "awesome-audiovisual-learning.json").read_text(encoding="utf-8"))
    assert len(doc["entries"]) == 187
    assert {e["resolution"]["status"] for e in doc["entries"]} == {"unresolved"}
    assert sum(1 for e in doc["entries"] if e["ids"]["arxiv"]) == 30, "identifiers from links are kept"
    degraded = [line for line in done.stderr.splitlines() if "sources degraded" in line]
    assert len(degraded) == 1 and "crossref" in degraded[0] and "semantic_scholar" in degraded[0]
    assert "Traceback" not in done.stderr
    requests = [line for line in done.stderr.splitlines() if line.startswith("requests: ")]
    assert len(requests) == 1 and "crossref" in requests[0] and "semantic_scholar" in requests[0], done.stderr
    listing = subprocess.run(
        [str(Path(sys.executable).with_name("prefect")), "flow-run", "ls"],
        env={**env, "COLUMNS": "300"},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert "enrich-awesome-audiovisual-learning" in listing.stdout
    assert "COMPLETED" in listing.stdout
