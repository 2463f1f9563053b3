"""The fixes patch (pure): golden diffs, fixes that cannot be placed, and property tests over generated lists."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from avenrich.listing import parse_markdown
from avenrich.model import Finding
from avenrich.patch import apply_fixes, to_patch

LIST = """# A list

## Speech

* [Lip Reading Setnences in the Wild](https://arxiv.org/abs/1611.05358?utm_source=tw), 2016
* [Looking to Listen](https://x.org/looking), 2017\u0020\u0020
* [The Sound of Pixels](https://x.org/pixels)

## Music

* [Music Gesture](https://x.org/gesture), 2020
"""


def finding(kind: str, url: str, line: int, listed: str | None, fix: str | None) -> Finding:
    return Finding(kind, url, line, f"{kind} finding", listed=listed, found=fix, fix=fix)


FINDINGS = [
    finding("title", "https://arxiv.org/abs/1611.05358?utm_source=tw", 5, "Lip Reading Setnences in the Wild",
            "Lip Reading Sentences in the Wild"),
    finding("year", "https://arxiv.org/abs/1611.05358?utm_source=tw", 5, "2016", "2017"),
    finding("tracking", "https://arxiv.org/abs/1611.05358?utm_source=tw", 5, None, "https://arxiv.org/abs/1611.05358"),
    finding("missing-year", "https://x.org/pixels", 7, None, "2018"),
    finding("published-version", "https://x.org/looking", 6, None, "https://doi.org/10.1/x"),
    finding("year", "https://x.org/gesture", 11, "2020", "2021"),
]  # fmt: skip

GOLDEN = """--- a/list.md
+++ b/list.md
@@ -2,10 +2,10 @@
\u0020
 ## Speech
\u0020
-* [Lip Reading Setnences in the Wild](https://arxiv.org/abs/1611.05358?utm_source=tw), 2016
+* [Lip Reading Sentences in the Wild](https://arxiv.org/abs/1611.05358), 2017
 * [Looking to Listen](https://x.org/looking), 2017\u0020\u0020
-* [The Sound of Pixels](https://x.org/pixels)
+* [The Sound of Pixels](https://x.org/pixels), 2018
\u0020
 ## Music
\u0020
-* [Music Gesture](https://x.org/gesture), 2020
+* [Music Gesture](https://x.org/gesture), 2021
"""


def test_golden_diff() -> None:
    """Title typo, year, tracking and missing year fixed in place; the other finding and bytes untouched."""
    assert to_patch(LIST, FINDINGS, "list.md") == GOLDEN


def test_nothing_to_fix_is_no_patch() -> None:
    """No safe finding, or none that can be placed: the patch is empty."""
    assert to_patch(LIST, FINDINGS[4:5], "list.md") == ""
    assert to_patch(LIST, [], "list.md") == ""


@pytest.mark.parametrize(
    ("line", "found"),
    [
        ("* [Paper](https://x.org/a), 2019 (extended 2019)\n", finding("year", "https://x.org/a", 1, "2019", "2020")),
        ("* [Pa-\n", finding("title", "https://x.org/a", 1, "Pa- per", "Pa- pre")),
        ("* [Paper](https://x.org/a) and more\n", finding("missing-year", "https://x.org/a", 1, None, "2020")),
        ("* [Paper](https://x.org/a), 2019\n", finding("year", "https://x.org/a", 9, "2019", "2020")),
        ("* [A **Papre** A Papre](https://x.org/a)\n",
         finding("title", "https://x.org/a", 1, "A Papre A Papre", "A Paper A Papre")),
    ],
)  # fmt: skip
def test_fixes_that_cannot_be_placed_are_left_out(line: str, found: Finding) -> None:
    """A year written twice, a link split over lines, text after a yearless link, a wrong line number, a word
    that occurs twice: no guess, no change."""
    text = "* [Other](https://x.org/b), 2018\n" + line if found.kind == "missing-year" else line
    assert to_patch(text, [found], "l.md") == ""


def test_markup_in_the_label_keeps_its_markup() -> None:
    """A title with markup: only the misspelt word is replaced inside the label."""
    text = "* [**Sonud** of `Pixels`](https://x.org/a), 2018\n"
    fixed = apply_fixes(text, [finding("title", "https://x.org/a", 1, "Sonud of Pixels", "Sound of Pixels")])
    assert fixed == "* [**Sound** of `Pixels`](https://x.org/a), 2018\n"


def test_venue_tag_year_and_reference_links() -> None:
    """A year in a venue tag before the link is fixed there; a tracking link is cleaned in its reference too."""
    text = "**[CVPR-2019]** [Paper](https://x.org/a?ref=gh)\n\n[r]: https://x.org/a?ref=gh\n"
    fixed = apply_fixes(
        text,
        [
            finding("year", "https://x.org/a?ref=gh", 1, "2019", "2020"),
            finding("tracking", "https://x.org/a?ref=gh", 1, None, "https://x.org/a"),
        ],
    )
    assert fixed == "**[CVPR-2020]** [Paper](https://x.org/a)\n\n[r]: https://x.org/a\n"


def test_no_newline_at_end_and_git_apply(tmp_path: Path) -> None:
    """A last line without a newline stays without one; `git apply` and `patch -p1` take the diff."""
    text = LIST.rstrip("\n")
    diff = to_patch(text, FINDINGS, "list.md")
    assert diff.endswith("+* [Music Gesture](https://x.org/gesture), 2021\n\\ No newline at end of file\n")
    for tool in (["git", "apply", "fixes.patch"], ["patch", "-p1", "--quiet", "-i", "fixes.patch"]):
        if shutil.which(tool[0]) is None:
            pytest.skip(f"{tool[0]} is not installed")
        folder = tmp_path / tool[0]
        folder.mkdir()
        (folder / "list.md").write_bytes(text.encode())
        (folder / "fixes.patch").write_bytes(diff.encode())
        subprocess.run(tool, cwd=folder, check=True)
        assert (folder / "list.md").read_bytes().decode() == apply_fixes(text, FINDINGS)


def test_lone_carriage_returns_get_no_patch() -> None:
    """Old Mac line endings: the parser's lines and the patch tools' lines differ, so no patch is made."""
    assert to_patch(LIST.replace("\n", "\r"), FINDINGS, "list.md") == ""


# --- property tests --------------------------------------------------------------------------------

_WORD = st.text("abcdefghijklmnopqrstuvwxyz", min_size=3, max_size=8)
_TRACKING = ("", "", "?utm_source=x", "?ref=https://githubhelp.com", "?id=3&fbclid=Iw")


@st.composite
def lists_with_findings(draw: st.DrawFn) -> tuple[str, list[Finding]]:
    """A Markdown list (LF or CRLF, trailing spaces, maybe no final newline) and findings about its entries."""
    newline = draw(st.sampled_from(["\n", "\r\n"]))
    lines: list[str] = ["# Title", "", "* [Seed](https://seed.org/0), 2000", ""]  # the list writes ", YEAR"
    found: list[Finding] = []
    for number in range(draw(st.integers(1, 12))):
        if draw(st.booleans()):
            lines += [f"## Section {number}", ""]
        words = draw(st.lists(_WORD, min_size=2, max_size=6))
        title = " ".join(w.capitalize() for w in words)
        suffix = draw(st.sampled_from(_TRACKING))
        url = f"https://ex{number}.org/p/{number}{suffix}"
        year = draw(st.none() | st.integers(1990, 2030))
        bullet = draw(st.sampled_from(["*", "-"]))
        spaces = draw(st.sampled_from(["", " ", "  "]))
        lines.append(f"{bullet} [{title}]({url})" + (f", {year}" if year else "") + spaces)
        line = len(lines)
        choice = draw(st.sampled_from(["none", "year", "title", "tracking", "other"]))
        if choice == "year":
            new_year = str(draw(st.integers(1990, 2030)))
            kind = "year" if year else "missing-year"
            found.append(finding(kind, url, line, str(year) if year else None, new_year))
        elif choice == "title":
            k = draw(st.integers(0, len(words) - 1))
            fixed = [*words[:k], words[k][::-1] + "x", *words[k + 1 :]]
            found.append(finding("title", url, line, title, " ".join(w.capitalize() for w in fixed)))
        elif choice == "tracking" and suffix:
            clean = url.replace("?id=3&fbclid=Iw", "?id=3") if "id=3" in suffix else url.split("?")[0]
            found.append(finding("tracking", url, line, None, clean))
        elif choice == "other":
            found.append(finding("published-version", url, line, None, "https://doi.org/10.1/x"))
    text = newline.join(lines) + draw(st.sampled_from([newline, ""]))
    return text, found


def apply_unified_diff(text: str, diff: str) -> str:
    """A small, strict `patch -p1`: every context and removed line must match exactly."""
    old = text.split("\n")
    old = [line + "\n" for line in old[:-1]] + ([old[-1]] if old[-1] else [])
    rows = diff.split("\n")
    rows = [row + "\n" for row in rows[:-1]]
    out: list[str] = []
    cursor, i = 0, 2
    while i < len(rows):
        header = re.match(r"@@ -(\d+)(?:,(\d+))? \+\d+(?:,\d+)? @@\n$", rows[i])
        assert header, rows[i]
        start = int(header.group(1)) - 1
        out += old[cursor:start]
        cursor = start
        i += 1
        while i < len(rows) and not rows[i].startswith("@@"):
            row = rows[i]
            if row.startswith("\\"):  # "\ No newline at end of file": about the row before
                if rows[i - 1][0] in " +":
                    out[-1] = out[-1].removesuffix("\n")
                i += 1
                continue
            if row[0] in " -":
                expect = old[cursor]
                got = row[1:]
                if i + 1 < len(rows) and rows[i + 1].startswith("\\"):
                    got = got.removesuffix("\n")
                assert got == expect, (got, expect)
                cursor += 1
            if row[0] in " +":
                out.append(row[1:])
            i += 1
    out += old[cursor:]
    return "".join(out)


@given(lists_with_findings())
def test_patch_applies_and_changes_only_the_fixed_fields(case: tuple[str, list[Finding]]) -> None:
    """Applying the patch and reading the list again gives the same links, sections and entries, except the
    fixed fields (year, title, link), which now hold the fix."""
    text, found = case
    diff = to_patch(text, found, "list.md")
    fixed = apply_unified_diff(text, diff) if diff else text
    assert fixed == apply_fixes(text, found)
    before, after = parse_markdown(text), parse_markdown(fixed)
    assert len(before) == len(after)
    by_url = {f.url: f for f in found}
    for old, new in zip(before, after, strict=True):
        fixes = {f.kind: f.fix for f in found if f.url == old.url}
        assert new.sections == old.sections and new.line == old.line and new.kind == old.kind
        assert new.url == fixes.get("tracking", old.url)
        assert new.title == fixes.get("title", old.title)
        year = fixes.get("year") or fixes.get("missing-year")
        assert new.year == (int(year) if year else old.year)
        assert old.url in by_url or new == old
    # Every line without a safe fix keeps its bytes.
    fixed_lines = {f.line for f in found if f.kind != "published-version"}
    for number, (a, b) in enumerate(zip(text.split("\n"), fixed.split("\n"), strict=True), start=1):
        assert a == b or number in fixed_lines
