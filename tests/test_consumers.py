"""Real consumers accept the BibTeX output: bibtex, biber, pdflatex (each skipped when absent), pybtex.

CI installs the tools with:
    apt-get install -y --no-install-recommends texlive-binaries texlive-base texlive-latex-base biber
"""

from __future__ import annotations

import io
import os
import re
import shutil
import subprocess
from pathlib import Path

import bibtexparser
import pytest
from pybtex.database.input import bibtex as pybtex_bibtex

from avenrich import keys
from avenrich.bibtex import LATEX_CHARS, to_bibtex, unescape_latex
from avenrich.model import Author, Ids, Link, Record, Resolution

GOLDEN_BIB = Path(__file__).resolve().parent / "fixtures" / "golden" / "sample.bib"
TIMEOUT = 120


SPECIALS = "".join(sorted(LATEX_CHARS))
LATIN_TITLES = (
    f"All {SPECIALS} at once",
    "ÉCOLE of Dvořák, Żółć & Søren: 100% “Quoted” — ‘Really’ ≤ 360° ΔNet",
    "--- `` '' !` ?` ,, -- edge ligatures {} with ế ǖ İ",
)
# Scripts without a LaTeX spelling stay UTF-8: fine for bibtex and biber; LaTeX needs fonts for them.
OTHER_SCRIPTS_TITLE = "漢字 кириллица and Ελληνικά x\u0301"


def stress_bib(titles: tuple[str, ...]) -> str:
    """Entries whose titles, names and venues hold every character the escaper maps, and more."""
    records = [
        Record(
            link=Link(f"https://example.org/{i}_{{x}}", title, sections=(("Sound, Vision", "A & B"),)),
            ids=Ids(doi=f"10.5555/stress-{i}"),
            resolution=Resolution("resolved", "link", 1.0),
            title=title,
            authors=(
                Author("Zoë", "van der Berg"),
                Author(literal="Org & Co {Ltd}"),
                Author("Ann and Bo", "Ng"),
            ),
            year=2020,
            month=i + 1,
            venue=f"Proc. of {SPECIALS}",
            type="proceedings-article",
            publisher="O’Reilly & Sons",
            pages="1–10",
        )
        for i, title in enumerate(titles)
    ]
    by_paper, _ = keys.assign_keys(records, {})
    return to_bibtex(records, by_paper)


BIBS = {
    "golden": GOLDEN_BIB.read_text(encoding="utf-8"),
    "stress": stress_bib((*LATIN_TITLES, OTHER_SCRIPTS_TITLE)),
}
LATIN_BIBS = {"golden": BIBS["golden"], "stress": stress_bib(LATIN_TITLES)}


def entry_keys(text: str) -> list[str]:
    """The entry keys of a .bib text, in order."""
    return re.findall(r"^@\w+\{([^,]+),$", text, flags=re.MULTILINE)


def run(args: list[str], cwd: Path) -> subprocess.CompletedProcess[str]:
    """Run a tool in cwd with a private TeX cache; output captured as text."""
    env = {**os.environ, "TEXMFVAR": str(cwd / "texmf-var"), "HOME": str(cwd)}
    return subprocess.run(
        args, cwd=cwd, env=env, capture_output=True, text=True, encoding="utf-8", errors="replace",
        timeout=TIMEOUT, check=False,
    )  # fmt: skip


def require(tool: str) -> None:
    """Skip the test, saying how to install the tool, when it is not on PATH."""
    if shutil.which(tool) is None:
        pytest.skip(
            f"{tool} is not installed (apt-get install --no-install-recommends texlive-binaries texlive-base "
            "texlive-latex-base biber)"
        )


@pytest.mark.parametrize("name", sorted(BIBS))
def test_bibtex_accepts_the_file(tmp_path: Path, name: str) -> None:
    """bibtex with plain.bst on a \\nocite{*} document: exit 0, no warning or error, every entry formatted."""
    require("bibtex")
    (tmp_path / "refs.bib").write_text(BIBS[name], encoding="utf-8")
    (tmp_path / "doc.aux").write_text("\\relax\n\\citation{*}\n\\bibstyle{plain}\n\\bibdata{refs}\n")
    result = run(["bibtex", "doc"], tmp_path)
    log = (tmp_path / "doc.blg").read_text(encoding="utf-8", errors="replace")
    assert result.returncode == 0, result.stdout + log
    assert "Warning--" not in log and "error message" not in log, log
    bbl = (tmp_path / "doc.bbl").read_text(encoding="utf-8", errors="replace")
    assert sorted(re.findall(r"\\bibitem\{([^}]+)\}", bbl)) == sorted(entry_keys(BIBS[name]))


@pytest.mark.parametrize("name", sorted(BIBS))
def test_biber_tool_accepts_the_file(tmp_path: Path, name: str) -> None:
    """biber --tool reads the file without a warning or error and writes back every entry."""
    require("biber")
    (tmp_path / "refs.bib").write_text(BIBS[name], encoding="utf-8")
    result = run(["biber", "--tool", "--output-file", str(tmp_path / "out.bib"), "refs.bib"], tmp_path)
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    assert not re.search(r"^(WARN|ERROR)", output, flags=re.MULTILINE), output
    written = (tmp_path / "out.bib").read_text(encoding="utf-8")
    assert sorted(k.lower() for k in entry_keys(written)) == sorted(entry_keys(BIBS[name]))


@pytest.mark.parametrize("name", sorted(BIBS))
def test_biber_data_model_knows_every_field(tmp_path: Path, name: str) -> None:
    """biber's data-model check finds no field invalid for its entry type.

    The one complaint allowed is a missing editor of an @incollection: the sources do not give editors.
    """
    require("biber")
    (tmp_path / "refs.bib").write_text(BIBS[name], encoding="utf-8")
    result = run(
        ["biber", "--tool", "--validate-datamodel", "--output-file", str(tmp_path / "out.bib"), "refs.bib"],
        tmp_path,
    )
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    problems = [
        line
        for line in output.splitlines()
        if line.startswith(("WARN", "ERROR"))
        and "Missing mandatory field 'editor'" not in line
        and not line.startswith("WARN - WARNINGS")
    ]
    assert problems == [], output


@pytest.mark.parametrize("name", sorted(LATIN_BIBS))
def test_pdflatex_typesets_the_bibliography(tmp_path: Path, name: str) -> None:
    """pdflatex + bibtex + pdflatex on a \\nocite{*} document: no LaTeX error, no undefined command."""
    require("pdflatex")
    require("bibtex")
    (tmp_path / "refs.bib").write_text(LATIN_BIBS[name], encoding="utf-8")
    (tmp_path / "doc.tex").write_text(
        "\\documentclass{article}\n\\begin{document}\n\\nocite{*}\n"
        "\\bibliographystyle{plain}\n\\bibliography{refs}\n\\end{document}\n"
    )
    latex = ["pdflatex", "-interaction=nonstopmode", "-halt-on-error", "doc.tex"]
    assert run(latex, tmp_path).returncode == 0
    assert run(["bibtex", "doc"], tmp_path).returncode == 0
    result = run(latex, tmp_path)
    log = (tmp_path / "doc.log").read_text(encoding="utf-8", errors="replace")
    assert result.returncode == 0, log[-3000:]
    assert "Undefined control sequence" not in log and "not set up for use with LaTeX" not in log


@pytest.mark.parametrize("name", sorted(BIBS))
def test_parsers_read_back_the_same_keys_and_titles(name: str) -> None:
    """bibtexparser and pybtex read every entry, with the same keys and the same (decoded) titles."""
    text = BIBS[name]
    library = bibtexparser.parse_string(text)
    assert not library.failed_blocks
    data = pybtex_bibtex.Parser().parse_stream(io.StringIO(text))
    assert [e.key for e in library.entries] == entry_keys(text) == list(data.entries)
    for entry in library.entries:
        assert data.entries[entry.key].fields["title"] == entry["title"]
        assert unescape_latex(entry["title"]).strip()
