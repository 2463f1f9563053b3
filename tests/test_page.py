"""The catalogue page's builder (pure): safe links, script-safe JSON, autoescaping, the CSP hashes, the data."""

from __future__ import annotations

import base64
import hashlib
import html
import json
import re
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from avenrich import bibtex, catalogue, keys, page
from avenrich.report import Changes, CountChange
from page_data import HOSTILE_TITLES, hostile_records, publish_nights, synthetic_records


def build(records=None, history=(), changes=None) -> str:
    records = synthetic_records(12) if records is None else records
    by_paper, _ = keys.assign_keys(records, {})
    entries = [catalogue.to_entry(r, keys.key_for(r, by_paper)) for r in records]
    bib = dict(bibtex.to_bibtex_entries(records, by_paper))
    return page.to_page(entries, bib, history, changes, name="demo", generated_at="2026-12-07T03:00:00Z")


def data_of(text: str) -> dict:
    """The page's one JSON block, parsed."""
    blocks = re.findall(r'<script type="application/json" id="page-data">(.*?)</script>', text, re.DOTALL)
    assert len(blocks) == 1
    return json.loads(blocks[0])


def outside_data(text: str) -> str:
    """The page without its JSON block and inline scripts (the markup the template wrote)."""
    return re.sub(r"<script\b[^>]*>.*?</script>", "", text, flags=re.DOTALL)


class TestSafeUrl:
    @pytest.mark.parametrize(
        "url",
        ["https://arxiv.org/abs/1901.00001", "http://example.org/a?b=c&d=e", "HTTPS://EXAMPLE.ORG/x"],
    )
    def test_http_urls_may_become_links(self, url: str) -> None:
        """http and https URLs are kept as they are."""
        assert page.safe_url(url) == url

    @pytest.mark.parametrize(
        "url",
        [
            "javascript:alert(1)",
            "JaVaScRiPt:alert(1)",
            " javascript:alert(1)",
            "data:text/html,<script>alert(1)</script>",
            "vbscript:msgbox(1)",
            "//example.org/protocol-relative",
            'https://example.org/"><script>alert(1)</script>',
            "https://example.org/a b",
            " https://example.org/padded",
            "ftp://example.org/file",
            "",
        ],
    )
    def test_anything_else_stays_text(self, url: str) -> None:
        """Other schemes, relative URLs and URLs with quotes, angle brackets or spaces never become links."""
        assert page.safe_url(url) is None


class TestScriptJson:
    @given(
        st.recursive(
            st.none() | st.booleans() | st.integers() | st.text(), lambda c: st.lists(c) | st.dictionaries(st.text(), c)
        )
    )
    def test_reads_back_and_cannot_end_its_block(self, value: object) -> None:
        """Any value reads back unchanged, and its text has no "<", ">" (so no "</script" or "<!--") or "&"."""
        text = page.to_script_json(value)
        assert json.loads(text) == value
        assert not set(text) & {"<", ">", "&", "\u2028", "\u2029"}

    def test_script_end_in_a_title_is_escaped(self) -> None:
        """The exact text that would end a script block appears escaped."""
        assert page.to_script_json("</script><!--") == '"\\u003c/script\\u003e\\u003c!--"'


class TestIdentifierLinks:
    def test_every_identifier_with_a_page_links_to_it(self) -> None:
        """DOI, arXiv and Semantic Scholar ids become their https pages; others are left out."""
        links = page.identifier_links(
            {"doi": "10.1109/cvpr.2019.00001", "arxiv": "1901.00001", "s2": "ab" * 20, "acl": "P19-1"}
        )
        assert links == [
            ["DOI", "https://doi.org/10.1109/cvpr.2019.00001"],
            ["arXiv", "https://arxiv.org/abs/1901.00001"],
            ["Semantic Scholar", "https://www.semanticscholar.org/paper/" + "ab" * 20],
        ]

    def test_a_hostile_doi_is_percent_encoded(self) -> None:
        """A DOI carrying quotes and markup stays inside its https link."""
        [[_label, url]] = page.identifier_links({"doi": '10.1/"><script>x</script>'})
        assert url.startswith("https://doi.org/10.1/") and page.safe_url(url) == url

    def test_no_identifiers_no_links(self) -> None:
        assert page.identifier_links({}) == []


class TestPage:
    def test_data_holds_every_link_once_in_list_order(self) -> None:
        """One row per entry, in list order, with its BibTeX once per key."""
        records = synthetic_records(12)
        data = data_of(build(records))
        assert [row["url"] for row in data["entries"]] == [r.link.url for r in records]
        assert sorted(data["bib"]) == sorted({row["key"] for row in data["entries"]})
        assert all(text.startswith("@") for text in data["bib"].values())

    def test_rows_carry_what_the_page_shows(self) -> None:
        """Title, authors, venue, year, section, status with reason, counts and the larger count."""
        records = synthetic_records(3)
        row = data_of(build(records))["entries"][1]
        assert row["title"] == records[1].title and row["authors"] == ["Ada Lovelace1", "Alan Turing"]
        assert (row["venue"], row["year"], row["section"]) == ("ICCV", 2013, "Papers › Sound localisation")
        assert (row["status"], row["counts"], row["cited"]) == (
            "resolved",
            {"crossref": 37, "semantic_scholar": 40},
            40,
        )
        unresolved = data_of(build(synthetic_records(3)))["entries"][0]
        assert (unresolved["status"], unresolved["reason"]) == ("unresolved", "no source knows this arXiv id")

    def test_list_health_findings_are_carried_when_present(self) -> None:
        """entries[].issues (from the list-health check) reach the page; entries without them have none."""
        entry = catalogue.to_entry(synthetic_records(2)[1], "k")
        finding = {
            "kind": "year",
            "message": "listed 2019, published 2020",
            "listed": "2019",
            "found": "2020",
            "fix": "2020",
        }
        with_issue = page.page_row({**entry, "issues": [finding]})
        assert with_issue["issues"] == [finding]
        assert page.page_row(entry)["issues"] == []

    def test_history_becomes_one_series_per_link_over_the_nights(self) -> None:
        """Each link's counts by night (the larger source), aligned on the sorted dates; gaps are null."""
        records = synthetic_records(3)
        rows = [
            {"date": "2026-11-02", "url": records[1].link.url, "crossref": 5, "semantic_scholar": 7},
            {"date": "2026-11-01", "url": records[1].link.url, "crossref": 4, "semantic_scholar": None},
            {"date": "2026-11-01", "url": records[2].link.url, "crossref": 9, "semantic_scholar": None},
            {"date": "2026-11-03", "url": "https://gone.example/", "crossref": None, "semantic_scholar": None},
        ]
        data = data_of(build(records, history=rows))
        assert data["dates"] == ["2026-11-01", "2026-11-02"]
        assert [row.get("history") for row in data["entries"]] == [None, [4, 7], [9, None]]

    def test_history_keeps_the_last_nights_only(self) -> None:
        """Only the last MAX_NIGHTS dates are embedded."""
        records = synthetic_records(2)
        rows = [{"date": f"2026-{m:02d}-{d:02d}", "url": records[1].link.url, "crossref": d, "semantic_scholar": None}
                for m in range(1, 13) for d in range(1, 29)]  # fmt: skip
        data = data_of(build(records, history=rows))
        assert len(data["dates"]) == page.MAX_NIGHTS and data["dates"][-1] == "2026-12-28"

    def test_hostile_text_never_becomes_markup(self) -> None:
        """Titles, authors, venues, sections and links from the list appear only escaped or inside the JSON."""
        text = build(hostile_records())
        markup = outside_data(text)
        assert "<script>window" not in markup and "&lt;script&gt;window.__pwned = 1&lt;/script&gt;" not in markup
        assert "<img" not in markup and "<b>" not in markup
        assert text.count("</script>") == 3  # the data block, uPlot, the page's script
        data = data_of(text)
        assert [row["title"] for row in data["entries"]] == list(HOSTILE_TITLES)
        assert all(row["href"] is None or row["href"].startswith("https://") for row in data["entries"])

    def test_changes_are_escaped_and_listed_largest_first(self) -> None:
        """Added and removed links and count moves appear, their text escaped, moves largest first."""
        changes = Changes(
            added=("javascript:alert(1)", "https://example.org/new"),
            removed=("https://example.org/<b>old</b>",),
            counts=(
                CountChange("https://a.example/", "<i>Small</i>", "crossref", 10, 11),
                CountChange("https://b.example/", "Big {{ x }}", "semantic_scholar", 10, 50),
            ),
            count_total=2,
        )
        markup = outside_data(build(hostile_records(), changes=changes))
        section = markup[markup.index('class="changes"') : markup.index('class="plots"')]
        assert 'href="javascript' not in section and "javascript:alert(1)" in section
        assert "&lt;b&gt;old&lt;/b&gt;" in section and "&lt;i&gt;Small&lt;/i&gt;" in section
        assert section.index("Big {{ x }}") < section.index("&lt;i&gt;Small")

    def test_csp_allows_exactly_the_inline_script_and_style(self) -> None:
        """The CSP lists the hash of each inline script and the style, forbids everything else by default."""
        text = build()
        csp = html.unescape(re.search(r'http-equiv="Content-Security-Policy" content="([^"]*)"', text).group(1))
        scripts = re.findall(r"<script>(.*?)</script>", text, re.DOTALL)
        [style] = re.findall(r"<style>(.*?)</style>", text, re.DOTALL)

        def digest(body: str) -> str:
            return "'sha256-" + base64.b64encode(hashlib.sha256(body.encode()).digest()).decode() + "'"

        directives = dict(d.strip().split(" ", 1) for d in csp.split(";"))
        assert directives["default-src"] == "'none'"
        assert directives["script-src"].split() == [digest(s) for s in scripts]
        assert directives["style-src"] == digest(style)
        assert "unsafe-inline" not in csp and "unsafe-eval" not in csp and "http" not in csp


def test_publish_writes_the_page_beside_the_other_outputs(tmp_path: Path) -> None:
    """A run writes NAME.html, whose data holds every link and the history of both nights."""
    path = publish_nights(tmp_path, "demo", [synthetic_records(9, night=0), synthetic_records(9, night=1)])
    data = data_of(path.read_text(encoding="utf-8"))
    assert len(data["entries"]) == 9
    assert data["dates"] == ["2026-11-20", "2026-11-21"]
    moved = [row for row in data["entries"] if row.get("history") and row["history"][0] != row["history"][1]]
    assert moved
    bib = (tmp_path / "demo.bib").read_text(encoding="utf-8")
    assert sorted(data["bib"]) == sorted({row["key"] for row in data["entries"]})
    assert "\n".join(data["bib"][key] for key in sorted(data["bib"])) == bib  # each entry exactly as in the .bib


def test_the_page_is_the_same_whole_or_in_pieces() -> None:
    """to_page is to_page_chunks joined; a title carrying the template's internal data marker changes nothing."""
    records = synthetic_records(5)
    by_paper, _ = keys.assign_keys(records, {})
    entries = [catalogue.to_entry(r, keys.key_for(r, by_paper)) for r in records]
    bib = dict(bibtex.to_bibtex_entries(records, by_paper))
    url = records[0].link.url
    changes = Changes(added=(url,), removed=(), counts=())
    marker = {url: "a \x00avenrich-page-data\x00 title"}
    args = (entries, bib, [], changes)
    whole = page.to_page(*args, name="demo", generated_at="t", titles=marker)
    assert whole == "".join(page.to_page_chunks(*args, name="demo", generated_at="t", titles=marker))
    assert [row["url"] for row in data_of(whole)["entries"]] == [r.link.url for r in records]
