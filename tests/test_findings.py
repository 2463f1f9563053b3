"""List-health findings (pure): tracking parameters, title typos, and the findings of hand-made records."""

from __future__ import annotations

import pytest

from avenrich.errors import InputError
from avenrich.findings import KINDS, clean_link, find_issues, likely_duplicates, title_fix, tracking_parameters
from avenrich.identifiers import match_link
from avenrich.model import CROSSREF, LIST, Finding, Ids, Link, Record, Resolution
from avenrich.overrides import parse_overrides

RESOLVED = Resolution("resolved", "link", 0.98)


@pytest.mark.parametrize(
    ("url", "clean", "names"),
    [
        (
            "https://aclanthology.org/P19-1239/?ref=https://githubhelp.com",
            "https://aclanthology.org/P19-1239/",
            ("ref",),
        ),
        ("https://x.org/p?utm_source=tw&utm_medium=social", "https://x.org/p", ("utm_source", "utm_medium")),
        ("https://x.org/p?id=5&utm_campaign=a#sec", "https://x.org/p?id=5#sec", ("utm_campaign",)),
        ("https://x.org/p?fbclid=IwAR0&page=2", "https://x.org/p?page=2", ("fbclid",)),
        ("https://x.org/p?UTM_Source=a", "https://x.org/p", ("UTM_Source",)),
        ("https://x.org/p?gclid=1&msclkid=2", "https://x.org/p", ("gclid", "msclkid")),
        # negatives: ordinary parameters, a git ref on GitHub, no query, a fragment that looks like a query
        ("https://ieeexplore.ieee.org/stamp/stamp.jsp?arnumber=8585066", None, ()),
        ("https://github.com/a/b/blob/x?ref=main", None, ()),
        ("https://arxiv.org/abs/2106.01689", None, ()),
        ("https://x.org/p#utm_source=a", None, ()),
        ("https://x.org/p?reference=3", None, ()),
    ],
)
def test_tracking(url: str, clean: str | None, names: tuple[str, ...]) -> None:
    """Tracking and referral parameters are named and dropped; every other character stays as written."""
    assert tracking_parameters(url) == names
    assert clean_link(url) == (clean or url)


@pytest.mark.parametrize(
    ("listed", "verified", "fix"),
    [
        ("Makelttalk: Speaker-Aware Talking-Head Animation", "MakeItTalk: Speaker-Aware Talking-Head Animation",
         "MakeItTalk: Speaker-Aware Talking-Head Animation"),
        ("Robust Self-Supervised Audio-V\\visual Speech Recognition", "Robust Self-Supervised Audio-Visual Speech "
         "Recognition", "Robust Self-Supervised Audio-Visual Speech Recognition"),
        ("Learning to Seperate Object Sounds", "Learning to Separate Object Sounds",
         "Learning to Separate Object Sounds"),
        ("Lip Reading Setnences in the Wild", "Lip reading sentences in the wild", "Lip Reading Sentences in the Wild"),
        ("The Sound of Pixles in Motion", "The Sound of Pixels in Motion: Self-Supervised Learning",
         "The Sound of Pixels in Motion"),
        ("Audio-Visuav Saliency Prediction for Videos", "Audio-Visual Saliency Prediction for Videos",
         "Audio-Visual Saliency Prediction for Videos"),
        # negatives: case style, subtitle, spelling style, meaning, numbers, other words
        ("VISUALECHOES: Spatial Image Representation", "VisualEchoes: Spatial Image Representation", None),
        ("Looking to Listen at the Cocktail Party", "Looking to Listen at the Cocktail Party: A Speaker-Independent "
         "Audio-Visual Model", None),
        ("Audio Visual Scene-Aware Dialog", "Audio-Visual Scene-Aware Dialog", None),
        ("MusicVideo Retrieval With Emotion", "Music Video Retrieval With Emotion", None),
        ("360deg Video Saliency With Spatial Audio", "360° Video Saliency With Spatial Audio", None),
        ("Supervised Learning of Audio Features", "Unsupervised Learning of Audio Features", None),
        ("Results of DCASE 2019 Challenge Task", "Results of DCASE 2020 Challenge Task", None),
        ("Learning to Hear Objects in Videos", "Learning to Hear Voices in Videos", None),
        ("Deep Audio-Visual Speech Recognition", "Deep Audio-Visual Speech Recognition", None),
        ("", "Anything", None),
    ],
)  # fmt: skip
def test_title_fix(listed: str, verified: str, fix: str | None) -> None:
    """Typos are corrected (the list's case kept where the letters agree); style and other words are not typos."""
    assert title_fix(listed, verified) == fix


def record(
    url: str = "https://arxiv.org/abs/2001.00001",
    title: str = "Sounds of Silent Videos Explained",
    *,
    year: int | None = 2020,
    listed_year: int | None = 2020,
    listed_title: str | None = None,
    venue: str | None = "2020 IEEE/CVF Conference on Computer Vision and Pattern Recognition (CVPR)",
    kind: str = "proceedings-article",
    doi: str | None = "10.1109/cvpr42600.2020.00001",
    resolution: Resolution = RESOLVED,
    venue_tag: str | None = None,
    line: int = 10,
    link_kind: str = "paper",
) -> Record:
    link = Link(url, listed_title if listed_title is not None else title, listed_year, (("A",),), venue_tag,
                kind=link_kind, line=line)  # type: ignore[arg-type]  # fmt: skip
    match = match_link(url)
    provenance = (("title", CROSSREF, "2026-01-01"), ("year", CROSSREF if year else LIST, None))
    ids = Ids(doi=doi, arxiv=match.ids.arxiv)
    return Record(link, ids, resolution, host=match.host, title=title, year=year, venue=venue, type=kind,
                  provenance=provenance)  # fmt: skip


def kinds(records: list[Record], ignored: tuple[tuple[str, str], ...] = ()) -> dict[str, list[str]]:
    found = find_issues(records, {r.link.url: match_link(r.link.url).ids for r in records}, ignored)
    return {url: [f.kind for f in issues] for url, issues in found.items()}


class TestFindIssues:
    def test_year_and_published_version(self) -> None:
        """An arXiv link listed a year before its CVPR version: a year finding and the published version."""
        found = find_issues([record(listed_year=2019)], {})
        url = "https://arxiv.org/abs/2001.00001"
        year, published = found[url]
        assert (year.kind, year.listed, year.found, year.fix, year.line) == ("year", "2019", "2020", "2020", 10)
        assert published.kind == "published-version" and published.fix is None
        assert published.found == "https://doi.org/10.1109/cvpr42600.2020.00001"
        assert "Computer Vision and Pattern Recognition" in published.message

    def test_no_finding_for_a_correct_entry(self) -> None:
        """A CVF link with the verified year and title has nothing to report."""
        assert kinds([record("https://openaccess.thecvf.com/content/CVPR2020/html/X_CVPR_2020_paper.html")]) == {}

    @pytest.mark.parametrize(("listed", "flagged"), [(2018, True), (2021, False), (2020, False)])
    def test_preprint_only_year(self, listed: int, flagged: bool) -> None:
        """A preprint-only paper: only a year before the preprint existed is surely wrong."""
        r = record(listed_year=listed, venue="arXiv.org", kind="posted-content", doi="10.48550/arxiv.2001.00001")
        assert ("year" in kinds([r]).get(r.link.url, [])) is flagged
        assert "published-version" not in kinds([r]).get(r.link.url, [])

    def test_missing_year(self) -> None:
        """No year listed, a verified year known: missing-year with the year as the fix."""
        (finding,) = [
            f for f in find_issues([record(listed_year=None)], {})[record().link.url] if f.kind != "published-version"
        ]
        assert (finding.kind, finding.fix) == ("missing-year", "2020")

    def test_unverified_records_ground_nothing(self) -> None:
        """An unresolved link: one unverified finding with the reason; no year, title or venue finding."""
        r = record(listed_year=1999, listed_title="Sounds of Silnet Videos Explained",
                   resolution=Resolution("unresolved", "search:both", 0.0, "no candidate passed"))  # fmt: skip
        (finding,) = find_issues([r], {})[r.link.url]
        assert finding.kind == "unverified" and "no candidate passed" in finding.message
        unconfirmed = record(listed_year=1999, resolution=Resolution("resolved", "link-unconfirmed", 0.5))
        assert kinds([unconfirmed]) == {}
        dataset = record(link_kind="dataset", resolution=Resolution("unresolved", "none", 0.0, "x"))
        assert kinds([dataset]) == {}

    def test_title_typo(self) -> None:
        """Swapped letters in the listed title: the fix is the corrected title."""
        r = record(listed_title="Sounds of Silent Vidoes Explained")
        (title,) = [f for f in find_issues([r], {})[r.link.url] if f.kind == "title"]
        assert (title.listed, title.found, title.fix) == (r.link.title, r.title, "Sounds of Silent Videos Explained")

    @pytest.mark.parametrize(
        ("tag", "flagged"), [("ICCV-2020", True), ("CVPR-2020", False), ("MyWorkshop-2020", False)]
    )
    def test_venue_tag(self, tag: str, flagged: bool) -> None:
        """A known venue tag that names another venue than the verified one; unknown tags are not judged."""
        r = record("https://ieeexplore.ieee.org/document/9157001", venue_tag=tag)
        assert ("venue" in kinds([r]).get(r.link.url, [])) is flagged

    def test_tracking_even_when_unverified(self) -> None:
        """Tracking parameters are a fact of the link itself."""
        r = record("https://x.org/p?utm_source=a", resolution=Resolution("unresolved", "none", 0.0, "no id"))
        assert kinds([r]) == {"https://x.org/p?utm_source=a": ["tracking", "unverified"]}

    def test_duplicates(self) -> None:
        """The pdf form of an arXiv link elsewhere, and the published version's link, name each other; links on one
        line are one entry's links, not duplicates."""
        abs_ = record(line=10)
        pdf = record("https://arxiv.org/pdf/2001.00001.pdf", line=50)
        ieee = record("https://ieeexplore.ieee.org/document/9157001", line=80)
        same_line = record("https://arxiv.org/abs/2001.00001v2", line=80)
        found = find_issues(
            [abs_, pdf, ieee, same_line], {r.link.url: match_link(r.link.url).ids for r in (abs_, pdf, ieee, same_line)}
        )
        dup = {url: next(f for f in fs if f.kind == "duplicate") for url, fs in found.items()}
        assert dup[pdf.link.url].others == (abs_.link.url, ieee.link.url, same_line.link.url)
        assert "line 10" in dup[pdf.link.url].message
        assert dup[ieee.link.url].others == (abs_.link.url, pdf.link.url)

    def test_ignored(self) -> None:
        """A curator's [[ignore]] silences that finding of that link only."""
        r = record(listed_year=2019)
        assert kinds([r], ((r.link.url, "year"),)) == {r.link.url: ["published-version"]}

    def test_order_and_identity(self) -> None:
        """Findings come in KINDS order; the same input gives the same findings (identity: url and kind)."""
        r = record(
            "https://arxiv.org/abs/2001.00001?utm_source=x",
            listed_year=2019,
            listed_title="Sounds of Silent Vidoes Explained",
        )
        first = find_issues([r], {})
        assert [f.kind for f in first[r.link.url]] == ["year", "title", "tracking", "published-version"]
        assert find_issues([r], {}) == first
        assert all(isinstance(f, Finding) and f.kind in KINDS for f in first[r.link.url])


def test_likely_duplicates_use_the_given_ids() -> None:
    """likely_duplicates groups by the ids it is given (not by re-reading URLs) and by squashed titles."""
    a = Link("https://a.org/1", "One Paper About Sound")
    b = Link("https://b.org/2", "Another")
    c = Link("https://c.org/3", "one paper about-sound")
    found = likely_duplicates([(a, Ids(doi="10.1/x")), (b, Ids(doi="10.1/x")), (c, Ids())])
    assert found == {a.url: (b.url, c.url), b.url: (a.url, c.url), c.url: (a.url, b.url)}


class TestIgnoreOverrides:
    def test_parsed(self) -> None:
        """[[ignore]] rows become (url, kind) pairs and count as overrides."""
        parsed = parse_overrides('[[ignore]]\nurl = " https://x.org/a "\nkind = "year"\n')
        assert parsed.ignores == frozenset({("https://x.org/a", "year")}) and len(parsed) == 1

    @pytest.mark.parametrize(
        "row", ['url = "https://x.org/a"\nkind = "typo"', 'kind = "year"', 'url = "https://x.org/a"']
    )
    def test_refused(self, row: str) -> None:
        """An unknown kind or a missing url is one clear InputError."""
        with pytest.raises(InputError, match="ignore #1"):
            parse_overrides(f"[[ignore]]\n{row}\n")
