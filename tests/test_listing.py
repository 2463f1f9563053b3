"""Tests for avenrich.listing: the Markdown and BibTeX list readers and likely duplicates."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings

from avenrich.findings import likely_duplicates as likely_duplicates_of
from avenrich.identifiers import match_link
from avenrich.inputs import read_input
from avenrich.listing import (
    parse_bibtex,
    parse_bibtex_report,
    parse_markdown,
)
from avenrich.model import Link
from avenrich.names import split_names
from avenrich.text import parse_venue_tag
from strategies import bibtex_documents, markdown_documents

LISTS = Path(__file__).resolve().parent / "fixtures" / "lists"


def _read(name: str) -> str:
    return (LISTS / name).read_text(encoding="utf-8")


def _by_url(links: list[Link]) -> dict[str, Link]:
    return {link.url: link for link in links}


def likely_duplicates(links: list[Link]) -> dict[str, tuple[str, ...]]:
    """findings.likely_duplicates of parsed links, with the ids of their URLs (as the pipeline's items carry)."""
    return likely_duplicates_of([(link, match_link(link.url).ids) for link in links])


# --- the bundled list ------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def bundled() -> list[Link]:
    """The links of the bundled snapshot."""
    return parse_markdown(read_input(None).text)


class TestBundledList:
    def test_distinct_links(self, bundled: list[Link]) -> None:
        """190 bullet entries give 187 distinct links, in order of first appearance."""
        assert len(bundled) == 187
        assert len({link.url for link in bundled}) == 187
        assert sum(len(link.sections) for link in bundled) == 190
        assert bundled[0].url == "https://link.springer.com/article/10.1007/s10489-014-0629-7"
        assert bundled[-1].url == "https://ieeexplore.ieee.org/abstract/document/9746481"
        lines = [link.line or 0 for link in bundled]
        assert lines == sorted(lines)

    def test_links_listed_twice(self, bundled: list[Link]) -> None:
        """The three links listed twice carry both heading paths."""
        twice = {link.title: link.sections for link in bundled if len(link.sections) > 1}
        separation = ("Boosting Single Modality Learning", "Uni-modal Enhancement", "Object Sound Separation")
        localization = (
            "Audio-visual Collaborative Learning",
            "Audio-visual Localization",
            "Sound Localization in Videos",
        )
        assert twice == {
            "The Sound of Pixels": (separation, localization),
            "Self-supervised Audio-visual Co-segmentation": (separation, localization),
            "The Sound of Motions": (separation, localization),
        }

    def test_no_datasets_or_tags(self, bundled: list[Link]) -> None:
        """The snapshot's datasets table has no links, and it predates venue tags and author lines."""
        assert {link.kind for link in bundled} == {"paper"}
        assert all(link.venue_tag is None and not link.authors for link in bundled)

    def test_sections_leave_out_title_and_contents(self, bundled: list[Link]) -> None:
        """Paths start at the level-2 headings: no document title, no table of contents."""
        tops = Counter(path[0] for link in bundled for path in link.sections)
        assert set(tops) == {
            "Boosting Single Modality Learning",
            "Cross-modal Perception",
            "Audio-visual Collaborative Learning",
        }
        assert max(len(path) for link in bundled for path in link.sections) == 4

    def test_titles_as_written(self, bundled: list[Link]) -> None:
        """Titles keep the list's own spelling, stray backslash included."""
        titles = {link.title for link in bundled}
        assert "Robust Self-Supervised Audio-V\\visual Speech Recognition" in titles
        assert "Deep Cross-Modal Image–Voice Retrieval in Remote Sensing" in titles
        assert "Scene-aware audio for 360° videos" in titles

    def test_years(self, bundled: list[Link]) -> None:
        """Every entry has its year except the one written without."""
        assert [link.title for link in bundled if link.year is None] == [
            "A Transformer-based joint-encoding for Emotion Recognition and Sentiment Analysis"
        ]
        assert {link.year for link in bundled} - {None} == set(range(2015, 2023))

    def test_urls_exactly_as_written(self, bundled: list[Link]) -> None:
        """Query strings and trailing slashes are kept: the url is the link as written."""
        urls = {link.url for link in bundled}
        assert "https://aclanthology.org/P19-1239/?ref=https://githubhelp.com" in urls
        assert "https://ieeexplore.ieee.org/abstract/document/9053730/" in urls
        text = read_input(None).text
        assert all(f"]({url})" in text for url in urls)

    def test_likely_duplicates(self, bundled: list[Link]) -> None:
        """The IEEE and arXiv versions of the Deep CCA retrieval paper are the one likely duplicate."""
        ieee = "https://ieeexplore.ieee.org/abstract/document/8603275/"
        arxiv = "https://arxiv.org/abs/1908.03744"
        assert likely_duplicates(bundled) == {ieee: (arxiv,), arxiv: (ieee,)}

    def test_hosts(self, bundled: list[Link]) -> None:
        """Host kinds of the bundled list's links (reported to the lead)."""
        counts = Counter(match_link(link.url).host for link in bundled)
        assert sum(counts.values()) == 187
        assert counts["cvf"] == 66 and counts["ieee"] == 40 and counts["arxiv"] == 30


# --- the test samples ------------------------------------------------------------------------------


class TestSample:
    """tests/fixtures/lists/sample.md: the classic format, for end-to-end and golden tests."""

    @pytest.fixture(scope="class")
    def links(self) -> list[Link]:
        return parse_markdown(_read("sample.md"))

    def test_entries(self, links: list[Link]) -> None:
        """13 bullet entries give 12 distinct links; anchors of the table of contents are skipped."""
        assert len(links) == 12
        assert all(link.url.startswith("https://") for link in links)
        assert sum(len(link.sections) for link in links) == 13

    def test_hosts(self, links: list[Link]) -> None:
        """The sample covers every major host kind."""
        hosts = Counter(match_link(link.url).host for link in links)
        assert hosts == {"doi": 1, "arxiv": 2, "cvf": 3, "ieee": 2, "acl": 2, "acm": 1, "neurips": 1}

    def test_duplicate_and_missing_year(self, links: list[Link]) -> None:
        """The duplicate link has two paths; the challengehml entry has no year."""
        found = _by_url(links)
        pixels = found[
            "https://openaccess.thecvf.com/content_ECCV_2018/html/Hang_Zhao_The_Sound_of_ECCV_2018_paper.html"
        ]
        assert pixels.sections == (
            ("Audio-visual Recognition", "Object Sound Separation"),
            ("Audio-visual Localization", "Sound Localization in Videos"),
        )
        assert found["https://aclanthology.org/2020.challengehml-1.1/"].year is None
        music = found["https://dl.acm.org/doi/abs/10.1145/3126686.3126723"]
        assert music.sections == (("Cross-modal Perception", "Audio-visual Generation", "Music"),)

    def test_titles_are_in_the_bundled_list(self, links: list[Link], bundled: list[Link]) -> None:
        """Every title of the sample is a paper of the bundled list, with the same year."""
        bundled_years = {link.title: link.year for link in bundled}
        assert all(bundled_years[link.title] == link.year for link in links)

    def test_same_paper_two_links(self, links: list[Link]) -> None:
        """The IEEE and arXiv links of one paper are noted as likely duplicates."""
        assert likely_duplicates(links) == {
            "https://ieeexplore.ieee.org/abstract/document/8603275/": ("https://arxiv.org/abs/1908.03744",),
            "https://arxiv.org/abs/1908.03744": ("https://ieeexplore.ieee.org/abstract/document/8603275/",),
        }


class TestUpstreamSample:
    """tests/fixtures/lists/upstream_sample.md: the later upstream format (paragraph entries, tables)."""

    @pytest.fixture(scope="class")
    def links(self) -> dict[str, Link]:
        return _by_url(parse_markdown(_read("upstream_sample.md")))

    def test_skipped(self, links: dict[str, Link]) -> None:
        """Badges, images, anchors and the table of contents give no links."""
        assert not [url for url in links if "awesome.re" in url or "teaser" in url or url.startswith("#")]
        assert len(links) == 11

    def test_tagged_entry(self, links: dict[str, Link]) -> None:
        """A tag line, linked title, authors and institution make one entry."""
        link = links["https://link.springer.com/article/10.1007/s10489-014-0629-7"]
        assert link.title == "Audio-visual Speech Recognition Using Deep Learning"
        assert link.venue_tag == "Applied Intelligence-2015"
        assert link.year == 2015
        assert link.authors == (
            "Kuniaki Noda",
            "Yuki Yamaguchi",
            "Kazuhiro Nakadai",
            "Hiroshi G. Okuno",
            "Tetsuya Ogata",
        )
        assert link.institution == "Waseda University; Kyoto University; Honda Research Institute Japan Co., Ltd."
        assert link.sections == (("Audio-visual Boosting", "Audio-visual Recognition", "Speech Recognition"),)
        assert link.line == 26

    def test_venue_tags(self, links: dict[str, Link]) -> None:
        """Tags are kept as written; a year-only tag gives the year and no venue."""
        tags = {link.title[:20]: (link.venue_tag, link.year) for link in links.values() if link.kind == "paper"}
        assert tags["Temporal Multimodal "] == ("CVPR-2016", 2016)
        assert tags["Explicit Sparse Tran"] == (None, 2019)
        assert tags["FSMS: An Enhanced Po"] == ("ITOEC-2022", 2022)
        assert tags["DialogMCF: Multimodal"[:20]] == ("IEEE/ACM TASLP-2023", 2023)

    def test_semicolon_authors_and_wrapped_title(self, links: dict[str, Link]) -> None:
        """Authors split on semicolons too; a title wrapped over two lines is joined."""
        assert links["https://ieeexplore.ieee.org/document/9734622"].authors == (
            "Chenghan Li",
            "Yuxin Zhang",
            "Huaichang Du",
        )
        dialog = links["https://ieeexplore.ieee.org/document/10147255"]
        assert dialog.title == "DialogMCF: Multimodal Context Flow for Audio Visual Scene-Aware Dialog"
        assert dialog.line == 73

    def test_secondary_link_takes_no_entry_data(self, links: dict[str, Link]) -> None:
        """A [code] link after the title link gets neither the tag nor the authors."""
        code = links["https://github.com/OpenNLPLab/AVSBench"]
        assert (code.title, code.venue_tag, code.authors, code.year) == ("[code]", None, (), None)
        paper = links["https://arxiv.org/abs/2207.05042"]
        assert paper.venue_tag == "ECCV-2022" and len(paper.authors) == 10

    def test_datasets_table(self, links: dict[str, Link]) -> None:
        """Table links are datasets with the row's year; a URL also listed as a paper stays a paper."""
        datasets = {link.title: link.year for link in links.values() if link.kind == "dataset"}
        assert datasets == {"LRW, LRS2 and LRS3": None, "VGGSound": 2020}
        paper = links["https://arxiv.org/abs/2207.05042"]
        assert paper.kind == "paper" and paper.title == "Audio-Visual Segmentation"
        assert paper.sections == (("Audio-visual Collaboration", "Audio-visual Localization"), ("Datasets",))

    def test_front_matter_links_are_kept(self, links: dict[str, Link]) -> None:
        """A link in the overview paragraph is an entry of its own, under the "Overview" heading."""
        survey = links["https://arxiv.org/abs/2208.09579"]
        assert (survey.title, survey.sections) == ("[survey on arXiv]", (("Overview",),))


# --- Markdown details ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("markdown", "expected"),
    [
        ("* [A](https://x.org/a), 2019", [("https://x.org/a", "A", 2019)]),
        ("* [A](https://x.org/a) (CVPR 2019)", [("https://x.org/a", "A", 2019)]),
        ("* [A](https://x.org/a), 2018-2019", [("https://x.org/a", "A", None)]),
        ("* [A](https://x.org/a), in 360 videos", [("https://x.org/a", "A", None)]),
        ("* [A](https://x.org/a), 1850", [("https://x.org/a", "A", None)]),
        ("* [The 2018 Challenge](https://x.org/a)", [("https://x.org/a", "The 2018 Challenge", None)]),
        ("* [A](https://x.org/a)\n  2019", [("https://x.org/a", "A", None)]),
        ("[A](https://x.org/a\\_b), 2019", [("https://x.org/a\\_b", "A", 2019)]),
        ("[A](<https://x.org/a b>)", [("https://x.org/a b", "A", None)]),
        ('[A](https://x.org/a "Title"), 2019', [("https://x.org/a", "A", 2019)]),
        ("[A](https://x.org/(a))", [("https://x.org/(a)", "A", None)]),
        ("[A](https://x.org/a?b=1&amp;c=2)", [("https://x.org/a?b=1&amp;c=2", "A", None)]),
        ("[A][r], 2019\n\n[r]: https://x.org/a\\_b", [("https://x.org/a\\_b", "A", 2019)]),
        ("[A][]\n\n[a]: <https://x.org/a>", [("https://x.org/a", "A", None)]),
        ("<https://x.org/auto>", [("https://x.org/auto", "", None)]),
        (
            "[A **bold** `code` <i>it</i> &amp; more](https://x.org/a)",
            [("https://x.org/a", "A bold code it & more", None)],
        ),
        ("[Audio-V\\visual](https://x.org/a)", [("https://x.org/a", "Audio-V\\visual", None)]),
        ("[Audio\\-Visual](https://x.org/a)", [("https://x.org/a", "Audio-Visual", None)]),
        (
            "[A](https://x.org/a) [B](https://x.org/b), 2020",
            [("https://x.org/a", "A", None), ("https://x.org/b", "B", 2020)],
        ),
        ("> * [Q](https://x.org/q), 2001", [("https://x.org/q", "Q", 2001)]),
        ("1. [N](http://x.org/n), 2001", [("http://x.org/n", "N", 2001)]),
        ("[M](mailto:a@b.org) [J](javascript:alert(1)) [F](ftp://x.org/f) [R](./r.md) [H](#h)", []),
        ("[![badge](https://x.org/b.svg)](https://x.org/page)", []),
        ("[S](https://img.shields.io/badge/x) ![i](https://x.org/i.png)", []),
        ('<a href="https://x.org/html">H</a>', []),
        ("https://x.org/bare", []),
        ("    [indented code](https://x.org/c)", []),
        ("```\n[fenced](https://x.org/f)\n```", []),
        ("", []),
    ],
)
def test_parse_markdown_links(markdown: str, expected: list[tuple[str, str, int | None]]) -> None:
    """Which links become entries, with their url as written, title and year."""
    assert [(link.url, link.title, link.year) for link in parse_markdown(markdown)] == expected


@pytest.mark.parametrize(
    ("markdown", "sections"),
    [
        ("# Title\n## A\n### B\n* [x](https://x.org/x)", [(("A", "B"),)]),
        ("# A\n# B\n* [x](https://x.org/x)", [(("B",),)]),  # two level-1 headings: sections, not a title
        ("## A\n### B\n## C\n* [x](https://x.org/x)", [(("C",),)]),
        ("# T\n## A *emph* `code`\n* [x](https://x.org/x)", [(("A emph code",),)]),
        ("Title\n=====\n\nA\n---\n* [x](https://x.org/x)", [(("A",),)]),
        ("* [x](https://x.org/x)\n# T\n## A", [((),)]),
        ("# T\n# Contents\n* [A](#a)\n## A\n* [x](https://x.org/x)", [(("A",),)]),
        ("# T\n## A\n### [P](https://x.org/p)\n* [x](https://x.org/x)", [(("A",),), (("A", "P"),)]),
        ("# T\n## A\n* [x](https://x.org/x)\n* [x](https://x.org/x)", [(("A",),)]),
    ],
)
def test_parse_markdown_sections(markdown: str, sections: list[tuple[tuple[str, ...], ...]]) -> None:
    """Heading paths: all levels, markup stripped, document title and contents left out."""
    assert [link.sections for link in parse_markdown(markdown)] == sections


def test_merging_fills_missing_fields_from_later_occurrences() -> None:
    """A link listed twice takes its title and line from the first place, a missing year from the next."""
    links = parse_markdown("## A\n* [First](https://x.org/a)\n## B\n* [Second](https://x.org/a), 2020\n")
    assert [(link.title, link.year, link.line, link.sections) for link in links] == [
        ("First", 2020, 2, (("A",), ("B",)))
    ]


def test_table_without_year_column() -> None:
    """A table without a Year column gives datasets without a year."""
    links = parse_markdown("| Name | Size |\n| --- | --- |\n| [D](https://x.org/d) | 2019 |\n")
    assert [(link.kind, link.year) for link in links] == [("dataset", None)]


@pytest.mark.parametrize(
    ("tag", "expected"),
    [
        ("CVPR-2019", ("CVPR", 2019)),
        ("IEEE TPAMI-2018", ("IEEE TPAMI", 2018)),
        ("IEEE/ACM TASLP-2023", ("IEEE/ACM TASLP", 2023)),
        ("NeurIPS 2022", ("NeurIPS", 2022)),
        ("2019", (None, 2019)),
        ("arXiv", ("arXiv", None)),
        ("CVPR-19", ("CVPR-19", None)),
        ("", (None, None)),
    ],
)
def test_parse_venue_tag(tag: str, expected: tuple[str | None, int | None]) -> None:
    """Venue and year of a list tag."""
    assert parse_venue_tag(tag) == expected


@pytest.mark.parametrize(
    ("line", "names"),
    [
        ("Di Hu, Xuelong Li, Xiaoqiang Lu", ("Di Hu", "Xuelong Li", "Xiaoqiang Lu")),
        ("Chenghan Li; Yuxin Zhang; Huaichang Du", ("Chenghan Li", "Yuxin Zhang", "Huaichang Du")),
        ("Muchao Ye;Quanzeng You;Fenglong Ma", ("Muchao Ye", "Quanzeng You", "Fenglong Ma")),
        ("A. Smith and B. Jones", ("A. Smith", "B. Jones")),
        ("A. Smith, B. Jones, et al.", ("A. Smith", "B. Jones")),
        ("Alexandra Anderson", ("Alexandra Anderson",)),
        ("", ()),
    ],
)
def test_split_names(line: str, names: tuple[str, ...]) -> None:
    """Author lines split on commas, semicolons and "and", without "et al."."""
    assert split_names(line) == names


# --- likely duplicates -----------------------------------------------------------------------------


def _paper(url: str, title: str, kind: str = "paper") -> Link:
    return Link(url=url, title=title, kind=kind)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("links", "expected"),
    [
        (
            [
                _paper("https://a.org/1", "Look, Listen and Learn"),
                _paper("https://b.org/2", "Look Listen and Learn"),
            ],
            [["https://b.org/2"], ["https://a.org/1"]],
        ),
        (
            [
                _paper("https://arxiv.org/abs/2106.01689", "X"),
                _paper("https://arxiv.org/pdf/2106.01689v2.pdf", "Y"),
            ],
            [["https://arxiv.org/pdf/2106.01689v2.pdf"], ["https://arxiv.org/abs/2106.01689"]],
        ),
        ([_paper("https://a.org/1", "[code]"), _paper("https://b.org/2", "[code]")], [[], []]),
        (
            [
                _paper("https://a.org/1", "Objects that Sound"),
                _paper("https://b.org/2", "Objects that Sound", "dataset"),
            ],
            [[], []],
        ),
        (
            [
                _paper("https://a.org/1", "A different paper title"),
                _paper("https://b.org/2", "Another paper title here"),
            ],
            [[], []],
        ),
        (
            [
                _paper("https://arxiv.org/abs/1908.03744", "Cross-Modal MusicVideo Retrieval"),
                _paper("https://c.org/3", "Cross-Modal Music Video Retrieval"),
                _paper("https://arxiv.org/pdf/1908.03744", "pdf"),
            ],
            [
                ["https://c.org/3", "https://arxiv.org/pdf/1908.03744"],
                ["https://arxiv.org/abs/1908.03744", "https://arxiv.org/pdf/1908.03744"],
                ["https://arxiv.org/abs/1908.03744", "https://c.org/3"],
            ],
        ),
    ],
)
def test_likely_duplicates(links: list[Link], expected: list[list[str]]) -> None:
    """Same squashed title (3+ words) or same identifier, closed transitively; datasets never group."""
    found = likely_duplicates(links)
    assert [list(found.get(link.url, ())) for link in links] == expected


# --- BibTeX ----------------------------------------------------------------------------------------


class TestBibtex:
    @pytest.fixture(scope="class")
    def report(self) -> tuple[list[Link], list[str]]:
        return parse_bibtex_report(_read("sample.bib"))

    def test_entries_and_failure(self, report: tuple[list[Link], list[str]]) -> None:
        """Seven entries parse; the one with an unclosed brace is reported, not raised."""
        links, failures = report
        assert [link.bibtex_key for link in links] == [
            "chung2017lip", "noda2015audio", "petridis2017end", "afouras2018deep",
            "ghosal2018contextual", "oneata2022improving", "li2018scene",
        ]  # fmt: skip
        assert len(failures) == 1
        assert failures[0].startswith("line 30: '@inproceedings{broken2019speakerbeam,")
        assert "\n" not in failures[0]

    def test_urls(self, report: tuple[list[Link], list[str]]) -> None:
        """url field, else doi, else arXiv eprint, else an arXiv id in the journal, else bibtex:<key>."""
        assert [link.url for link in report[0]] == [
            "https://openaccess.thecvf.com/content_cvpr_2017/html/Chung_Lip_Reading_Sentences_CVPR_2017_paper.html",
            "https://doi.org/10.1007/s10489-014-0629-7",
            "https://arxiv.org/abs/1709.04343",
            "bibtex:afouras2018deep",
            "https://aclanthology.org/D18-1382/",
            "https://arxiv.org/abs/2204.13206",
            "https://doi.org/10.1145/3197517.3201391",
        ]

    def test_fields(self, report: tuple[list[Link], list[str]]) -> None:
        """Title, authors and venue are LaTeX-decoded; the raw fields are kept as written."""
        links = {link.bibtex_key: link for link in report[0]}
        petridis = links["petridis2017end"]
        assert petridis.title == "End-To-End Audiovisual Fusion With LSTMs"
        assert petridis.authors == ("Petridis, Stavros", "Wang, Yujiang", "Li, Zuwei", "Pantic, Maja")
        assert (petridis.year, petridis.sections, petridis.line, petridis.kind) == (
            2017,
            (("BibTeX", "misc"),),
            22,
            "paper",
        )
        assert ("title", "End-To-End Audiovisual Fusion With {LSTMs}") in petridis.bibtex
        assert links["oneata2022improving"].authors == ("Oneţă, Dan", "Cucu, Horia")
        assert links["li2018scene"].title == "Scene-aware audio for 360° videos & VR"
        assert links["afouras2018deep"].venue_tag == "IEEE Transactions on Pattern Analysis and Machine Intelligence"
        assert links["noda2015audio"].year == 2015
        assert links["chung2017lip"].venue_tag == (
            "Proceedings of the IEEE Conference on Computer Vision and Pattern Recognition (CVPR)"
        )

    @pytest.mark.parametrize(
        ("bibtex", "url"),
        [
            ("@misc{k, url = {https://x.org/a b}}", "https://x.org/a"),
            ("@misc{k, doi = {https://doi.org/10.1/abc}}", "https://doi.org/10.1/abc"),
            ("@misc{k, eprint = {1709.04343}, eprinttype = {arxiv}}", "https://arxiv.org/abs/1709.04343"),
            ("@misc{k, eprint = {1709.04343}}", "bibtex:k"),
            ("@misc{k, note = {arXiv: 1709.04343v2}}", "https://arxiv.org/abs/1709.04343v2"),
            ("@misc{k, title = {No link}}", "bibtex:k"),
        ],
    )
    def test_url_rules(self, bibtex: str, url: str) -> None:
        """Where an entry's link comes from."""
        assert [link.url for link in parse_bibtex(bibtex)] == [url]

    def test_duplicates_are_reported(self) -> None:
        """A repeated key or a repeated link is a message; the first entry is kept."""
        links, failures = parse_bibtex_report(
            "@misc{a, url={https://x.org/1}}\n@misc{a, url={https://x.org/2}}\n@misc{b, url={https://x.org/1}}\n"
        )
        assert [link.bibtex_key for link in links] == ["a"]
        assert len(failures) == 2
        assert "Duplicate entry key 'a'" in failures[0]
        assert "repeats the link of 'a'" in failures[1]

    def test_dataset_entries(self) -> None:
        """@dataset entries are datasets."""
        assert parse_bibtex("@dataset{d, title={AudioSet}, url={https://x.org/d}}")[0].kind == "dataset"


# --- properties ------------------------------------------------------------------------------------


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(markdown_documents())
def test_parse_markdown_never_raises_and_urls_are_verbatim(document: str) -> None:
    """On any text the reader returns links whose urls occur verbatim in the input, each once."""
    links = parse_markdown(document)
    assert all(link.url in document for link in links)
    assert len({link.url for link in links}) == len(links)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(bibtex_documents())
def test_parse_bibtex_never_raises(document: str) -> None:
    """On any text the BibTeX reader returns links and messages, never an exception."""
    links, failures = parse_bibtex_report(document)
    assert all(isinstance(message, str) and "\n" not in message for message in failures)
    assert len({link.url for link in links}) == len(links)
