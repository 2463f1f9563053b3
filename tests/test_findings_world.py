"""List health on the bundled list with planted defects, against the hostile fake world (real HTTP on loopback).

The world is built from the clean list (the indexes hold the real papers); the pipeline reads a copy with wrong
years, swapped letters in titles, tracking parameters, an arXiv paper repeated under its pdf link in another
section and removed years. Every finding, planted or not, is checked against the world's ground truth.
"""

from __future__ import annotations

import random
import re
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

import pytest

from avenrich import pipeline, resolve
from avenrich.cache import MemoryJsonCache
from avenrich.config import Settings
from avenrich.findings import SAFE_KINDS, clean_link
from avenrich.inputs import InputText
from avenrich.model import Finding, Record
from avenrich.overrides import Overrides
from avenrich.patch import apply_fixes, to_patch
from avenrich.sources import open_sources
from fake_servers import FakeApis
from world import Expected, FakePaper, FakeWorld, build_bundled_world

BUNDLED = Path(__file__).resolve().parent.parent / "src" / "avenrich" / "data" / "awesome-audiovisual-learning.md"
FILE = "awesome-audiovisual-learning.md"
_ENTRY = re.compile(r"^\* \[(?P<title>[^\]]+)\]\((?P<url>https?://[^)\s]+)\)(?P<tail>, (?P<year>\d{4}))?[ \t]*$")
_ARXIV_ABS = re.compile(r"^https://arxiv\.org/abs/(\d{4}\.\d{4,5})$")


@dataclass(frozen=True)
class Planted:
    """One planted defect: the kind a finding must have, the link as planted and the link in the clean list."""

    kind: str
    url: str
    clean_url: str
    line: int


@dataclass
class Run:
    clean: str
    text: str
    world: FakeWorld
    records: list[Record]
    planted: list[Planted]
    findings: list[Finding]


def plant(clean: str, seed: int = 17) -> tuple[str, list[Planted]]:
    """The clean list with defects planted at random single-link entries (one defect per entry)."""
    lines = clean.split("\n")
    rng = random.Random(seed)
    entries = [i for i, line in enumerate(lines) if (m := _ENTRY.match(line)) and "?" not in m.group("url")]
    rng.shuffle(entries)
    chosen = iter(entries)
    planted: list[tuple[str, int, str]] = []  # kind, line index, clean url
    added: list[tuple[int, str, str]] = []  # insert before index: line, clean url

    def take(want: str = "") -> tuple[int, re.Match[str]]:
        for index in chosen:
            match = _ENTRY.match(lines[index])
            if (
                match
                and (want != "year" or match.group("year"))
                and (want != "arxiv" or _ARXIV_ABS.match(match["url"]))
            ):
                return index, match
        raise AssertionError("not enough entries to plant in")

    for n in range(8):  # wrong years: one year early or late (a search verifies a year one off, not two)
        index, m = take("year")
        year = int(m["year"]) + (-1 if n % 2 else 1)
        lines[index] = lines[index].replace(f", {m['year']}", f", {year}")
        planted.append(("year", index, m["url"]))
    for _ in range(8):  # two neighbouring letters swapped in the title's longest word
        index, m = take()
        title = m["title"]
        word = max(re.findall(r"[a-z]{6,}", title) or [""], key=len)
        if not word:
            continue
        k = len(word) // 2
        typo = word[: k - 1] + word[k] + word[k - 1] + word[k + 1 :]
        lines[index] = lines[index].replace(f"[{title}]", f"[{title.replace(word, typo, 1)}]")
        planted.append(("title", index, m["url"]))
    suffixes = ("?utm_source=twitter&utm_medium=social", "?ref=https://githubhelp.com", "?fbclid=IwAR3xYz", "?gclid=x1")
    for n in range(6):  # tracking parameters
        index, m = take()
        lines[index] = lines[index].replace(f"({m['url']})", f"({m['url']}{suffixes[n % len(suffixes)]})")
        planted.append(("tracking", index, m["url"]))
    for _ in range(6):  # years removed
        index, m = take("year")
        lines[index] = lines[index].replace(f", {m['year']}", "")
        planted.append(("missing-year", index, m["url"]))
    headings = [i for i, line in enumerate(lines) if line.startswith(("#### ", "### "))]
    for _ in range(3):  # the same arXiv paper under its pdf link, in another section
        index, m = take("arxiv")
        arxiv = _ARXIV_ABS.match(m["url"])
        assert arxiv is not None
        elsewhere = next(h for h in reversed(headings) if abs(h - index) > 30)
        pdf = f"https://arxiv.org/pdf/{arxiv.group(1)}.pdf"
        added.append((elsewhere + 2, f"* [{m['title']}]({pdf}){m['tail'] or ''}", m["url"]))
        planted.append(("duplicate", index, m["url"]))
    # Insert the pdf lines (bottom up, so earlier indexes stay valid), then number every planted line.
    marks = {index: (kind, url) for kind, index, url in planted}
    tagged = [(line, marks.get(i)) for i, line in enumerate(lines)]
    for at, line, clean_url in sorted(added, reverse=True):
        tagged.insert(at, (line, ("duplicate", clean_url)))
    result: list[Planted] = []
    for number, (line, mark) in enumerate(tagged, start=1):
        match = _ENTRY.match(line) if mark is not None else None
        if mark is not None and match and ("arxiv.org/pdf/" in match["url"] or mark[0] != "duplicate"):
            result.append(Planted(mark[0], match["url"], mark[1], number))
    return "\n".join(line for line, _ in tagged), result


def enrich(text: str, world: FakeWorld) -> list[Record]:
    links = pipeline.parse(InputText(name="list", text=text, format="markdown", origin=FILE))
    items = pipeline.identify(links, Overrides())
    with FakeApis(world, crossref_limits=(1000, 1000, 8), s2_limits=(1000, 4)) as apis:
        env = {**apis.env(), "AVENRICH_MAILTO": "t@example.org", "AVENRICH_CROSSREF_RPS": "1000"}
        with open_sources(Settings.from_env({**env, "AVENRICH_S2_RPS": "1000"}), MemoryJsonCache()) as sources:
            outcomes = resolve.search_and_verify(items, resolve.lookup(items, sources), sources)
    return pipeline.build_records(items, outcomes)


@pytest.fixture(scope="module", params=[0, 1, 2], ids=lambda seed: f"world{seed}")
def run(request: pytest.FixtureRequest) -> Run:
    clean = BUNDLED.read_text(encoding="utf-8")
    world = build_bundled_world(clean, seed=request.param).prepare()
    text, planted = plant(clean)
    records = enrich(text, world)
    return Run(clean, text, world, records, planted, [f for r in records for f in r.issues])


def paper_of(world: FakeWorld, url: str) -> FakePaper | None:
    """The true paper a link of the clean list points to (None when it is in no index)."""
    expected = world.truth.get(url)
    if not isinstance(expected, Expected):
        return None
    for paper in world.papers:
        if paper.role == "true" and (
            (expected.s2 and paper.paper_id == expected.s2)
            or (expected.doi and paper.doi_lower == expected.doi)
            or (expected.arxiv and paper.arxiv == expected.arxiv and not expected.s2)
        ):
            return paper
    return None


def clean_url_of(run: Run, url: str) -> str:
    """The clean list's link for a link of the planted copy (tracking parameters off, pdf -> abs)."""
    for p in run.planted:
        if p.url == url:
            return p.clean_url
    return clean_link(url)


def is_true(run: Run, finding: Finding) -> bool:
    """Whether the world's ground truth bears the finding out."""
    paper = paper_of(run.world, clean_url_of(run, finding.url))
    if finding.kind == "tracking":
        return finding.fix == clean_url_of(run, finding.url)
    if finding.kind == "unverified":
        return paper is None or True  # not a claim about the list: what could not be checked
    if paper is None:
        return False
    if finding.kind in ("year", "missing-year"):
        return finding.found == str(paper.year) and finding.listed != finding.found
    if finding.kind == "title":
        return bool(finding.fix) and paper.title.lower().startswith((finding.fix or "").lower())
    if finding.kind == "published-version":
        return paper.type != "posted-content" and finding.found == f"https://doi.org/{paper.doi_lower}"
    if finding.kind == "duplicate":
        return all(paper_of(run.world, clean_url_of(run, other)) == paper for other in finding.others)
    return False


def test_planted_defects_are_found_with_their_kind(run: Run) -> None:
    """At least 90% of the planted defects are found, each with the right kind, at the planted line."""
    assert len(run.planted) >= 30
    by_url = {(f.url, f.kind): f for f in run.findings}
    missed = [p for p in run.planted if (p.url, p.kind) not in by_url]
    found = len(run.planted) - len(missed)
    assert found / len(run.planted) >= 0.9, missed
    assert all(by_url[(p.url, p.kind)].line == p.line for p in run.planted if p not in missed)


def test_no_false_alarm(run: Run) -> None:
    """Every finding is borne out by the world; none at all on the unplanted entries is wrong (at most one)."""
    planted = {p.url for p in run.planted}
    wrong = [f for f in run.findings if not is_true(run, f)]
    unplanted_wrong = [f for f in wrong if f.url not in planted]
    assert len(unplanted_wrong) <= 1, unplanted_wrong
    assert len(wrong) <= 1, wrong


def test_published_version_names_venue_and_doi(run: Run) -> None:
    """Each arXiv link whose paper has a proceedings or journal DOI gets a published-version finding."""
    expected = []
    for record in run.records:
        paper = paper_of(run.world, clean_url_of(run, record.link.url))
        is_arxiv = "arxiv.org/" in record.link.url
        if is_arxiv and paper is not None and paper.type != "posted-content" and paper.doi and paper.venue:
            expected.append((record.link.url, paper))
    assert len(expected) >= 10
    found = {f.url: f for f in run.findings if f.kind == "published-version"}
    for url, paper in expected:
        assert url in found, url
        assert f"https://doi.org/{paper.doi_lower}" in found[url].message
        assert (paper.venue or "") in found[url].message


def test_patch_applies_and_repairs_every_planted_year_typo_and_link(run: Run, tmp_path: Path) -> None:
    """`git apply` and `patch -p1` take the patch in the list's folder; every planted year, typo and link is
    repaired, and no other line changes than those with a safe finding."""
    diff = to_patch(run.text, run.findings, FILE)
    assert diff.startswith(f"--- a/{FILE}\n+++ b/{FILE}\n")
    expected = apply_fixes(run.text, run.findings)
    for tool in (["git", "apply", "fixes.patch"], ["patch", "-p1", "--quiet", "-i", "fixes.patch"]):
        if shutil.which(tool[0]) is None:
            pytest.skip(f"{tool[0]} is not installed")
        folder = tmp_path / tool[0]
        folder.mkdir()
        (folder / FILE).write_bytes(run.text.encode("utf-8"))
        (folder / "fixes.patch").write_bytes(diff.encode("utf-8"))
        if tool[0] == "git":
            subprocess.run(["git", "apply", "--check", "fixes.patch"], cwd=folder, check=True)
        subprocess.run(tool, cwd=folder, check=True)
        assert (folder / FILE).read_bytes().decode("utf-8") == expected
    fixed = expected.split("\n")
    original = run.text.split("\n")
    safe_lines = {f.line for f in run.findings if f.kind in SAFE_KINDS and f.fix}
    changed = {i + 1 for i, (a, b) in enumerate(zip(original, fixed, strict=True)) if a != b}
    assert changed <= safe_lines
    for p in run.planted:
        if p.kind not in SAFE_KINDS:
            continue
        match = _ENTRY.match(fixed[p.line - 1])
        assert match is not None, fixed[p.line - 1]
        paper = paper_of(run.world, p.clean_url)
        if p.kind == "tracking":
            assert match["url"] == p.clean_url
        elif p.kind == "title":
            clean_line = next(line for line in run.clean.split("\n") if f"({p.clean_url})" in line)
            clean_title = _ENTRY.match(clean_line)
            assert clean_title is not None and match["title"] == clean_title["title"]
        elif paper is not None:
            assert match["year"] == str(paper.year), (p, fixed[p.line - 1])


def test_patch_keeps_crlf_line_endings(run: Run, tmp_path: Path) -> None:
    """The same list with CRLF line endings: the patch keeps them and `git apply` takes it."""
    crlf = run.text.replace("\n", "\r\n")
    diff = to_patch(crlf, run.findings, FILE)
    assert diff and "\r\n" in diff
    (tmp_path / FILE).write_bytes(crlf.encode("utf-8"))
    (tmp_path / "fixes.patch").write_bytes(diff.encode("utf-8"))
    subprocess.run(["git", "apply", "fixes.patch"], cwd=tmp_path, check=True)
    patched = (tmp_path / FILE).read_bytes().decode("utf-8")
    assert patched == apply_fixes(crlf, run.findings)
    assert patched.count("\r\n") == crlf.count("\r\n") and "\n" not in patched.replace("\r\n", "")
