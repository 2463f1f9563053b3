"""Tests for avenrich.matching: scores, not-the-paper rules, check, choose and confirm."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from avenrich import matching
from avenrich.matching import (
    Check,
    Expectation,
    author_score,
    check,
    choose,
    confirm,
    expectation_from,
    is_not_the_paper,
    title_score,
    venue_score,
    year_score,
)
from avenrich.model import CROSSREF, SEMANTIC_SCHOLAR, Author, Ids, Link, LinkMatch, Work
from avenrich.sources.crossref import parse_work
from avenrich.sources.semantic_scholar import parse_paper
from avenrich.text import normalise_title

FIXTURES = Path(__file__).parent / "fixtures" / "matching"


def load(name: str) -> Any:
    return json.loads((FIXTURES / name).read_text(encoding="utf-8"))


def people(*names: str) -> tuple[Author, ...]:
    """Authors from "Given Family" strings, split as Crossref would."""
    return tuple(Author(given=" ".join(n.split()[:-1]) or None, family=n.split()[-1]) for n in names)


def work(source: str = CROSSREF, **fields: Any) -> Work:
    return Work(source=source, ids=fields.pop("ids", Ids()), **fields)


# Real values of a CVPR 2019 paper and its arXiv preprint, used across the check/choose tables.
TITLE = "Deep Audio-Visual Speech Recognition with Learned Lip Dynamics"
AUTHORS = ("Triantafyllos Afouras", "Joon Son Chung", "Andrew Zisserman")
VOR = work(
    CROSSREF,
    ids=Ids(doi="10.1109/cvpr.2019.00001"),
    title=TITLE,
    authors=people(*AUTHORS),
    year=2019,
    venue="2019 IEEE/CVF Conference on Computer Vision and Pattern Recognition (CVPR)",
    type="proceedings-article",
)
PREPRINT = work(
    SEMANTIC_SCHOLAR,
    ids=Ids(arxiv="1809.00001", s2="a" * 40),
    title=TITLE,
    authors=people(*AUTHORS),
    year=2018,
    venue="arXiv.org",
    type="posted-content",
)


# -- title ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("listed", "found"),
    [
        (
            "Makelttalk: Speaker-Aware Talking-Head Animation",
            "MakeItTalk: Speaker-Aware Talking-Head Animation",
        ),
        (
            "Robust Self-Supervised Audio-V\\visual Speech Recognition",
            "Robust Self-Supervised Audio-Visual Speech Recognition",
        ),
        (
            "Audio-Visual Embedding for Cross-Modal MusicVideo Retrieval through Supervised Deep CCA",
            "Audio-Visual Embedding for Cross-Modal Music Video Retrieval through Supervised Deep CCA",
        ),
        (
            "Pano-AVQA: Grounded Audio-Visual Question Answering on 360deg Videos",
            "Pano-AVQA: Grounded Audio-Visual Question Answering on 360° Videos",
        ),
        ("End-To-End Audiovisual Fusion With LSTMs", "End-to-End Audiovisual Fusion with LSTMs"),
        (
            "Learning to Localize Sound Source in Visual Scenes",
            "Learning to Localize Sound Sources in Visual Scenes",
        ),
        (
            "Seeing Voices and Hearing Faces: Cross-modal Biometric Matching",
            "Seeing Voices and Hearing Faces",
        ),
        (
            "Audio-Visual Scene Analysis",
            "Audio-Visual Scene Analysis: With Self-Supervised Multisensory Features",
        ),
        (
            "Sexual conflict and correlated evolution between male persistence and female resistance traits "
            "in the seed beetle Callosobruchus maculatus",
            "Sexual conflict and correlated evolution between male persistence and female resistance traits "
            "in the seed beetle\n            <i>Callosobruchus maculatus</i>",
        ),
        ("Localization of Sound Sources", "Localisation of Sound Sources"),
    ],
)
def test_title_score_tolerates_typos_and_forms(listed: str, found: str) -> None:
    """The list's typos, joined words, degree signs, markup and a dropped subtitle still pass."""
    assert title_score(listed, found) >= matching.TITLE_PASS


@pytest.mark.parametrize(
    ("listed", "found"),
    [
        ("The Sound of Pixels", "The Sound of Pixels and Motions"),
        ("The Sound of Pixels", "The Sound of Motions"),
        ("The Sound of Pixels: Audio-Visual Separation", "The Sound of Pixels"),
        (
            "Learning to Separate Object Sounds by Watching Unlabeled Video",
            "Learning to Separate Object Sounds by Watching Unlabeled Images",
        ),
        ("Co-Separating Sounds of Visual Objects", "Separating Sounds of Visual Objects"),
        ("Deep Audio-visual Speech Recognition", "Audio-visual Speech Recognition"),
        ("Localizing Visual Sounds the Hard Way", "Localizing Visual Sounds the Easy Way"),
        (
            "Overview of the DCASE 2019 Challenge on Sound Event Detection",
            "Overview of the DCASE 2020 Challenge on Sound Event Detection",
        ),
        ("Lip Reading in Profile Part II", "Lip Reading in Profile Part III"),
        ("VoxCeleb2: Deep Speaker Recognition", "VoxCeleb: A Large-Scale Speaker Identification Dataset"),
        ("Attention is All you Need", "Self-Attention with Relative Position Representations"),
        (
            "Robust Unsupervised Audio-Visual Speech Enhancement Using a Mixture of Variational Autoencoders",
            "Robust Supervised Audio-Visual Speech Enhancement Using a Mixture of Variational Autoencoders",
        ),
        (
            "Asymmetric Cross-Modal Attention for Sound Localization",
            "Symmetric Cross-Modal Attention for Sound Localization",
        ),
        (
            "Nonlinear Audio-Visual Fusion for Speaker Diarization",
            "Linear Audio-Visual Fusion for Speaker Diarization",
        ),
        (
            "Self-Supervised Learning of Audio-Visual Objects from Video",
            "Self-Supervised Learning of Audio-Visual Representations from Video",
        ),
        # The prefixed opposite right before another word must not pass as "two words joined" ("supervisedlip").
        (
            "Tivfennutiv: Unsupervised Lip Reading with Contrastive Pretraining",
            "Tivfennutiv: Supervised Lip Reading with Contrastive Pretraining",
        ),
        # A word used twice needs two counterparts: the second "Audio" is not matched by the first.
        (
            "Audio- Binaural Audio Synthesis for Hearing-Aid Videos via Masked Autoencoders",
            "Audio- Binaural Video Synthesis for Hearing-Aid Videos via Masked Autoencoders",
        ),
        ("Audio Audio Fusion for Speaker Diarization", "Audio Visual Fusion for Speaker Diarization"),
    ],
)
def test_title_score_rejects_near_misses(listed: str, found: str) -> None:
    """Other papers with similar titles (extra words, another word, another number) stay below the bar."""
    assert title_score(listed, found) < matching.TITLE_PASS


@pytest.mark.parametrize(("listed", "found"), [("", "A Title"), ("A Title", ""), ("?!", "...")])
def test_title_score_is_zero_for_empty_titles(listed: str, found: str) -> None:
    """Nothing to compare scores 0.0, never a pass."""
    assert title_score(listed, found) == 0.0


@given(st.text(max_size=80))
def test_normalise_title_is_idempotent(title: str) -> None:
    """Normalising twice changes nothing."""
    assert normalise_title(normalise_title(title)) == normalise_title(title)


titles = st.text(st.characters(codec="utf-8", categories=("L", "N", "P", "Zs")), min_size=1, max_size=80)


@given(titles)
def test_title_score_of_a_title_with_itself_is_one(title: str) -> None:
    """A title compared with itself scores 1.0 (or 0.0 when nothing comparable is left)."""
    expected = 1.0 if normalise_title(title) else 0.0
    assert title_score(title, title) == expected


@settings(max_examples=60)
@given(titles, titles)
def test_title_score_is_symmetric_and_bounded(a: str, b: str) -> None:
    """Order does not matter and the score stays in [0, 1]."""
    assert title_score(a, b) == title_score(b, a)
    assert 0.0 <= title_score(a, b) <= 1.0


@settings(max_examples=60)
@given(titles, st.integers(1950, 2030))
def test_check_of_identical_title_and_year(title: str, year: int) -> None:
    """Same title and year, nothing else known: passes with 1.0, or SHORT_TITLE_CAP for short titles; a title
    that names a notice ("Erratum") is not a paper, whatever it matches."""
    record = work(title=title, year=year)
    result = check(Expectation(title, year), record)
    words = [w for w in normalise_title(title).split() if w not in matching.STOPWORDS]
    if not normalise_title(title) or matching.is_not_the_paper(record):
        assert not result.passed
    elif len(words) >= matching.SHORT_TITLE_MIN_WORDS:
        assert (result.passed, result.confidence) == (True, 1.0)
    else:
        assert (result.passed, result.confidence) == (True, matching.SHORT_TITLE_CAP)


# -- year, venue, authors --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("listed", "found", "expected"),
    [
        (2019, 2019, 1.0),
        (2019, 2018, 0.8),
        (2019, 2020, 0.8),
        (2019, 2017, 0.0),
        (2019, 2021, 0.0),
        (None, 2019, None),
        (2019, None, None),
    ],
)
def test_year_score(listed: int | None, found: int | None, expected: float | None) -> None:
    """Same year 1.0, one apart 0.8, further 0.0, unknown None."""
    assert year_score(listed, found) == expected


@pytest.mark.parametrize(
    ("listed", "venue", "acronym", "expected"),
    [
        ("CVPR", "2019 IEEE/CVF Conference on Computer Vision and Pattern Recognition (CVPR)", None, 1.0),
        ("CVPR", "Computer Vision and Pattern Recognition", None, 1.0),
        ("CVPR", "Some Proceedings", "CVPR", 1.0),
        ("ICCV", "2019 IEEE/CVF International Conference on Computer Vision (ICCV)", None, 1.0),
        (
            "ICCV Workshops",
            "2019 IEEE/CVF International Conference on Computer Vision Workshop (ICCVW)",
            None,
            1.0,
        ),
        ("ICCV Workshops", "2019 IEEE/CVF International Conference on Computer Vision (ICCV)", None, 0.5),
        (
            "CVPR",
            "2020 IEEE/CVF Conference on Computer Vision and Pattern Recognition Workshops (CVPRW)",
            None,
            0.5,
        ),
        ("ECCV", "Computer Vision – ECCV 2018", None, 1.0),
        ("NeurIPS", "Neural Information Processing Systems", None, 1.0),
        ("NIPS", "Advances in Neural Information Processing Systems 30", None, 1.0),
        ("Interspeech", "Interspeech 2019", None, 1.0),
        ("AAAI", "Proceedings of the AAAI Conference on Artificial Intelligence", None, 1.0),
        ("ACM MM", "Proceedings of the 28th ACM International Conference on Multimedia", None, 1.0),
        (
            "ICASSP",
            "ICASSP 2019 - 2019 IEEE International Conference on Acoustics, Speech and Signal Processing (ICASSP)",
            None,
            1.0,
        ),
        ("WACV", "2020 IEEE Winter Conference on Applications of Computer Vision (WACV)", None, 1.0),
        ("TPAMI", "IEEE Transactions on Pattern Analysis and Machine Intelligence", None, 1.0),
        ("SIGGRAPH", "ACM Transactions on Graphics", None, 1.0),
        ("TMM", "IEEE Transactions on Multimedia", None, 1.0),
        (
            "NAACL",
            "Proceedings of the 2018 Conference of the North American Chapter of the Association for "
            "Computational Linguistics",
            None,
            1.0,
        ),
        # contradictions
        ("CVPR", "Reactions weekly", None, 0.0),
        ("ICCV", "2019 IEEE/CVF Conference on Computer Vision and Pattern Recognition (CVPR)", None, 0.0),
        (
            "NeurIPS",
            "Proceedings of the 2018 Conference of the North American Chapter of the Association for "
            "Computational Linguistics",
            None,
            0.0,
        ),
        ("TMM", "ACM Transactions on Multimedia Computing, Communications, and Applications", None, 0.0),
        ("ICME", "Proceedings of the 28th ACM International Conference on Multimedia", None, 0.0),
        # neutral: unknown listed venue, no venue, preprint servers, book series
        ("Some Workshop Nobody Knows", "Reactions weekly", None, None),
        (None, "Reactions weekly", None, None),
        ("CVPR", None, None, None),
        ("CVPR", "arXiv.org", None, None),
        ("CVPR", "ArXiv", None, None),
        ("ECCV", "Lecture Notes in Computer Science", None, None),
    ],
)
def test_venue_score(listed: str | None, venue: str | None, acronym: str | None, expected: float | None) -> None:
    """Known venues agree, differ by track, contradict, or are neutral when they cannot be judged."""
    assert venue_score(listed, work(venue=venue, venue_acronym=acronym)) == expected


def test_venue_score_is_neutral_for_preprints() -> None:
    """A preprint record names no venue of its own, whatever its venue field says."""
    assert venue_score("CVPR", PREPRINT) is None


@pytest.mark.parametrize(
    ("listed", "found", "expected"),
    [
        (AUTHORS, people(*AUTHORS), 1.0),
        (("T. Afouras", "J. S. Chung"), people(*AUTHORS), 1.0),
        (("Afouras, Triantafyllos",), people(*AUTHORS), 1.0),
        (("Afouras et al.",), people(*AUTHORS), 1.0),
        (("Triantafyllos Afouras and Joon Son Chung",), people(*AUTHORS), 1.0),
        (("AFOURAS",), people(*AUTHORS), 1.0),
        (("Göran Arnqvist",), people("Goran Arnqvist"), 1.0),
        (("Aaron van den Oord",), (Author(given="Aäron", family="van den Oord"),), 1.0),
        (("Yann Le Cun",), (Author(given="Yann", family="LeCun"),), 1.0),
        (("Zhang Wei",), people("Wei Zhang"), 1.0),
        (("Ashish Vaswani",), (Author(literal="Ashish Vaswani"),), 1.0),
        (("Afouras", "Somebody Else"), people(*AUTHORS), 0.5),
        (("Jane Doe", "John Roe"), people(*AUTHORS), 0.0),
        ((), people(*AUTHORS), None),
        (AUTHORS, (), None),
    ],
)
def test_author_score(listed: tuple[str, ...], found: tuple[Author, ...], expected: float | None) -> None:
    """Family names overlap whatever the name order, initials, accents or case; nothing listed is None."""
    assert author_score(listed, found) == expected


# -- not the paper ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("fields", "why"),
    [
        ({"title": "Correction to: Deep Audio-Visual Speech Recognition"}, "correction notice"),
        ({"title": "Correction: Deep Audio-Visual Speech Recognition"}, "correction notice"),
        ({"title": "Corrigendum to “Deep Audio-Visual Speech Recognition”"}, "correction notice"),
        ({"title": "Erratum to: Deep Audio-Visual Speech Recognition"}, "correction notice"),
        ({"title": "Erratum"}, "erratum"),
        ({"title": "Retraction Note: Deep Audio-Visual Speech Recognition"}, "retraction notice"),
        ({"title": "RETRACTED: Deep Audio-Visual Speech Recognition"}, "retraction notice"),
        ({"title": "Retracted article: Deep Audio-Visual Speech Recognition"}, "retraction notice"),
        ({"title": "Notice of Retraction: Deep Audio-Visual Speech Recognition"}, "retraction notice"),
        ({"title": "Retraction"}, "retraction notice"),
        (
            {"title": "Correction for Afouras et al., Deep Audio-Visual Speech Recognition"},
            "correction notice",
        ),
        ({"title": "Expression of Concern: Deep Audio-Visual Speech Recognition"}, "expression of concern"),
        (
            {"title": "Supplementary Material for Deep Audio-Visual Speech Recognition"},
            "supplementary material",
        ),
        ({"title": "Deep Audio-Visual Speech Recognition: Supplementary Material"}, "supplementary material"),
        ({"title": "Supplementary Information"}, "supplementary material"),
        ({"title": "Front Matter"}, "front matter"),
        ({"title": "Back matter"}, "front matter"),
        ({"title": "Table of Contents"}, "table of contents"),
        ({"title": "Title Page"}, "title page"),
        ({"title": "Preface"}, "preface"),
        ({"title": "Author Index"}, "index"),
        ({"title": "Index"}, "index"),
        ({"title": "Message from the General Chairs"}, "front matter"),
        ({"title": TITLE, "type": "peer-review"}, "peer review"),
        ({"title": TITLE, "type": "component"}, "figure/table component"),
        ({"title": TITLE, "type": "proceedings"}, "record of type proceedings"),
        ({"title": TITLE, "flags": ("correction",)}, "correction notice"),
        ({"title": TITLE, "flags": ("retraction",)}, "retraction notice"),
        ({"title": TITLE, "flags": ("supplementary",)}, "supplementary material"),
        ({"title": TITLE, "flags": ("peer-review",)}, "peer review"),
        ({"title": TITLE, "ids": Ids(doi="10.1371/journal.pone.0033693.g001")}, "figure/table component"),
        ({"title": TITLE, "ids": Ids(doi="10.1371/journal.pone.0033693.t002")}, "figure/table component"),
        ({"title": TITLE, "ids": Ids(doi="10.1371/journal.pone.0033693.s001")}, "figure/table component"),
    ],
)
def test_is_not_the_paper_rejects(fields: dict[str, Any], why: str) -> None:
    """Notices, components, reviews and book parts are not the paper."""
    assert is_not_the_paper(work(**fields)) == why


@pytest.mark.parametrize(
    "fields",
    [
        {"title": "Correction of Motion Artifacts in Audio-Visual Recordings"},
        {"title": "Correction for Multiple Testing in Sound Event Detection Benchmarks"},
        {"title": "Indexing Audio-Visual Archives with Deep Features"},
        {"title": "Index Coding for Audio Streams"},
        {"title": "Retraction of the Tongue During Speech: An Articulatory Study"},
        {"title": "Supplementary Motor Area Activity During Audiovisual Speech"},
        {"title": "Contents-Aware Video Retrieval"},
        {"title": "Erraticity of Sound Sources"},
        {"title": "Retraction for Robust Grasping: A Robot Study"},
        {"title": "Addendum Learning for Audio Tagging"},
        {"title": TITLE, "ids": Ids(doi="10.1109/cvpr.2019.00482")},
        {"title": TITLE, "ids": Ids(doi="10.1371/journal.pone.0033693")},
        {"title": TITLE, "ids": Ids(doi="10.1016/j.cell.2020.01.001")},
        {"title": TITLE, "ids": Ids(doi="10.1007/s40278-023-33114-1")},
        {"title": TITLE, "type": "posted-content"},
        {"title": TITLE, "type": "book-chapter"},
    ],
)
def test_is_not_the_paper_keeps_real_papers(fields: dict[str, Any]) -> None:
    """Real papers whose title or DOI merely resembles a notice are kept."""
    assert is_not_the_paper(work(**fields)) is None


def test_component_sample_is_not_the_paper() -> None:
    """The recorded PLOS figure record (type component, empty title) is rejected, also by check()."""
    component = parse_work(
        load("crossref_work_component_plos-figure_10.1371-journal.pmed.0030277.g001.json")["message"]
    )
    assert is_not_the_paper(component) is not None
    result = check(Expectation("A Title of Some Real Paper", 2006), component)
    assert not result.passed
    assert result.reason.startswith("not the paper: ")


# -- expectation -----------------------------------------------------------------------------------------


def test_expectation_from_prefers_link_year_then_tag_then_hint() -> None:
    """Year: the link's, else the tag's, else the URL's; venue: the tag's, else the URL hint."""
    ids = Ids(cvf="Stem_CVPR_2019_paper")
    match = LinkMatch(host="cvf", ids=ids, venue_hint="ICCV Workshops", year_hint=2017)
    tagged = Link(url="u", title="T", year=None, venue_tag="CVPR-2019", authors=("A B",))
    assert expectation_from(tagged, match) == Expectation("T", 2019, "CVPR", ("A B",), ids, "cvf")
    plain = Link(url="u", title="T", year=2018)
    assert expectation_from(plain, match) == Expectation("T", 2018, "ICCV Workshops", (), ids, "cvf")
    bare = Link(url="u", title="T")
    assert expectation_from(bare, match).year == 2017


# -- check -----------------------------------------------------------------------------------------------

EXPECT = Expectation(TITLE, 2019, "CVPR", AUTHORS, Ids(), "cvf")


@pytest.mark.parametrize(
    ("expect", "candidate", "reason_part"),
    [
        (EXPECT, VOR, ""),
        (Expectation(TITLE, 2019), VOR, ""),
        (Expectation(TITLE.replace("Lip", "Lipp"), 2019), VOR, ""),
        (Expectation(TITLE, 2020), VOR, "year 2019 vs listed 2020"),
        (Expectation(TITLE, 2019, "CVPR Workshops", AUTHORS), VOR, "venue"),
        (Expectation(TITLE, 2019, "ICCV", AUTHORS), VOR, "venue"),
        (Expectation(TITLE, 2019, None, ("Afouras",)), work(title=TITLE, year=2019), "no authors"),
        (Expectation(TITLE, 2019, ids=Ids(doi="10.1109/CVPR.2019.00001")), VOR, ""),
        # No year in the list, but something else to compare: authors, a known venue, an identifier.
        (Expectation(TITLE, None, None, ("Afouras",)), VOR, ""),
        (Expectation(TITLE, None, "CVPR"), VOR, ""),
        (Expectation(TITLE, None, ids=Ids(doi="10.1109/CVPR.2019.00001")), VOR, ""),
    ],
)
def test_check_passes(expect: Expectation, candidate: Work, reason_part: str) -> None:
    """Records that agree pass; soft disagreements are noted in the reason."""
    result = check(expect, candidate)
    assert result.passed, result.reason
    assert 0.0 < result.confidence <= 1.0
    assert reason_part in result.reason
    assert (reason_part == "") == (result.reason == "")


@pytest.mark.parametrize(
    ("expect", "candidate", "failed", "reason"),
    [
        (
            Expectation("The Sound of Pixels", 2018),
            work(title="The Sound of Pixels and Motions", year=2018),
            ("title",),
            "title 0.68 < 0.90",
        ),
        (Expectation(TITLE, 2021), VOR, ("year",), "year 2019 vs listed 2021"),
        (Expectation(TITLE, 2017), VOR, ("year",), "year 2019 vs listed 2017"),
        (
            Expectation(TITLE, 2019, None, ("Jane Doe", "John Roe")),
            VOR,
            ("authors",),
            "authors do not overlap",
        ),
        (
            Expectation(TITLE, 2019, "ICCV"),
            VOR,
            ("venue",),
            "venue '2019 IEEE/CVF Conference on Computer Vision and Pattern Recognition (CVPR)' "
            "vs listed ICCV, with no author or identifier evidence",
        ),
        (
            Expectation(TITLE, 2019, ids=Ids(doi="10.1109/cvpr.2019.00002")),
            VOR,
            ("ids",),
            "DOI 10.1109/cvpr.2019.00001 differs from the link's 10.1109/cvpr.2019.00002",
        ),
        (
            Expectation(TITLE, 2019, ids=Ids(arxiv="1809.99999")),
            PREPRINT,
            ("ids",),
            "arXiv id 1809.00001 differs from the link's 1809.99999",
        ),
        (
            Expectation(TITLE, 2019),
            work(title=f"Correction to: {TITLE}", year=2019),
            ("paper",),
            "not the paper: correction notice",
        ),
        (
            Expectation(TITLE, 2019),
            work(title=TITLE, year=2019, type="peer-review"),
            ("paper",),
            "not the paper: peer review",
        ),
        (Expectation(TITLE, 2019), work(title=None, year=2019), ("title",), "record has no title"),
        # Nothing but a title to compare: a same-titled paper by other people would pass just the same.
        (Expectation(TITLE), VOR, ("evidence",), "only the title could be checked"),
        (Expectation(TITLE, None, "Some Workshop"), VOR, ("evidence",), "only the title could be checked"),
        (
            Expectation(TITLE),
            work(title=TITLE, year=2019, venue="arXiv"),
            ("evidence",),
            "only the title could be checked",
        ),
        (
            Expectation("Deep Audio-Visual Speech Recognition", 2017, None, ("Jane Doe",)),
            VOR,
            ("title", "year", "authors"),
            "title",
        ),
    ],
)
def test_check_fails(expect: Expectation, candidate: Work, failed: tuple[str, ...], reason: str) -> None:
    """Each hard rule fails the check with confidence 0.0 and says why."""
    result = check(expect, candidate)
    assert not result.passed
    assert result.confidence == 0.0
    assert result.failed == failed
    assert result.reason.startswith(reason)


def test_check_same_title_other_authors_is_rejected_when_the_list_gives_authors() -> None:
    """A same-titled paper of the same year by other people is not the listed paper."""
    other = work(title=TITLE, year=2019, authors=people("Jane Doe", "John Roe"), ids=Ids(doi="10.1/other"))
    assert check(EXPECT, VOR).passed
    assert not check(EXPECT, other).passed


@pytest.mark.parametrize("gap", [-3, -2, 2, 3])
def test_check_same_title_two_or_more_years_apart_is_rejected(gap: int) -> None:
    """A same-titled record two or more years from the listed year fails."""
    moved = work(title=TITLE, year=2019 + gap, authors=people(*AUTHORS))
    result = check(EXPECT, moved)
    assert (result.passed, result.failed) == (False, ("year",))


def test_check_venue_contradiction_is_outweighed_by_authors_or_ids() -> None:
    """A listed venue that the record contradicts only lowers confidence when authors or ids agree."""
    listed_iccv = Expectation(TITLE, 2019, "ICCV", AUTHORS)
    with_authors = check(listed_iccv, VOR)
    assert with_authors.passed
    assert with_authors.confidence < check(EXPECT, VOR).confidence
    with_ids = check(Expectation(TITLE, 2019, "ICCV", ids=Ids(doi="10.1109/cvpr.2019.00001")), VOR)
    assert with_ids.passed


def test_check_confidence_orders_the_evidence() -> None:
    """Exact agreement beats an off-by-one year, which beats a dropped subtitle plus a typo."""
    exact = check(EXPECT, VOR)
    off_by_one = check(Expectation(TITLE, 2020, "CVPR", AUTHORS), VOR)
    assert exact.confidence == 1.0
    assert off_by_one.passed and off_by_one.confidence < exact.confidence
    assert dict(exact.evidence) == {"title": 1.0, "year": 1.0, "authors": 1.0, "venue": 1.0}


def test_check_short_title_is_capped_unless_corroborated() -> None:
    """A two-word title alone gives at most SHORT_TITLE_CAP; matching authors lift the cap."""
    short = work(title="Visual Speech", year=2018, authors=people("Aviv Gabbay"))
    assert check(Expectation("Visual Speech", 2018), short).confidence == matching.SHORT_TITLE_CAP
    assert check(Expectation("Visual Speech", 2018, authors=("Aviv Gabbay",)), short).confidence == 1.0


def test_check_crossref_subtitle_field_is_used() -> None:
    """Crossref keeps subtitles apart; the listed "Title: Subtitle" matches title + subtitle."""
    split = work(title="MakeItTalk", subtitle="Speaker-Aware Talking-Head Animation", year=2020)
    assert check(Expectation("Makelttalk: Speaker-Aware Talking-Head Animation", 2020), split).passed


# -- recorded samples --------------------------------------------------------------------------------------

CONVALESCENT = "Convalescent-anti-sars-cov-2-plasma/immune-globulin"
# The record paper-qa expects for this title (its test_doi_search): same title and journal, no authors.
CONVALESCENT_CROSSREF = work(
    CROSSREF,
    ids=Ids(doi="10.1007/s40278-023-41815-2"),
    title=CONVALESCENT,
    year=2023,
    month=6,
    venue="Reactions Weekly",
    volume="1962",
    pages="145-145",
    type="journal-article",
)


def s2_same_title_other_doi() -> Work:
    return parse_paper(load("s2_search-match_same-title-different-doi.json")["data"][0])


@pytest.mark.parametrize(
    ("expect", "failed"),
    [
        (Expectation(CONVALESCENT, 2023, ids=Ids(doi="10.1007/s40278-023-41815-2")), ("ids",)),
        (Expectation(CONVALESCENT, 2021), ("year",)),
        (Expectation(CONVALESCENT, 2021, None, ("Jane Doe",)), ("year",)),
        (Expectation(CONVALESCENT, 2023, "CVPR"), ("venue",)),
    ],
)
def test_s2_match_240_same_title_other_doi_is_not_accepted(expect: Expectation, failed: tuple[str, ...]) -> None:
    """S2's matchScore-240 answer (DOI …33114-1) is not the paper listed with another DOI, year or venue."""
    result = check(expect, s2_same_title_other_doi())
    assert not result.passed
    assert result.failed == failed


def test_s2_match_240_and_crossref_disagree_leaves_it_ambiguous() -> None:
    """The title alone cannot tell two same-titled 2023 records with different DOIs apart: both recorded."""
    choice = choose(Expectation(CONVALESCENT, 2023), [CONVALESCENT_CROSSREF, s2_same_title_other_doi()])
    assert choice.work is None
    res = choice.resolution
    assert res.status == "unresolved"
    assert res.reason.startswith("ambiguous: two different works pass: ")
    assert set(res.candidates) == {"doi:10.1007/s40278-023-41815-2", "doi:10.1007/s40278-023-33114-1"}
    assert res.method == "search:both"


def test_s2_match_240_is_not_chosen_for_the_paper_with_the_other_doi() -> None:
    """With the listed DOI known, the Crossref record is chosen and the S2 one recorded as rejected."""
    expect = Expectation(CONVALESCENT, 2023, ids=Ids(doi="10.1007/s40278-023-41815-2"))
    choice = choose(expect, [s2_same_title_other_doi(), CONVALESCENT_CROSSREF])
    assert choice.work == CONVALESCENT_CROSSREF
    assert choice.resolution.candidates == ("doi:10.1007/s40278-023-33114-1",)


ATTENTION = Expectation(
    "Attention is All you Need",
    2017,
    "NeurIPS",
    (
        "Ashish Vaswani",
        "Noam Shazeer",
        "Niki Parmar",
        "Jakob Uszkoreit",
        "Llion Jones",
        "Aidan N. Gomez",
        "Lukasz Kaiser",
        "Illia Polosukhin",
    ),
    Ids(neurips="3f5ee243547dee91fbd053c1c4a845aa"),
    "neurips",
)


def crossref_wrong_top_hit() -> Work:
    return parse_work(load("crossref_works_query-title-author_rows1_wrong-top-hit.json")["message"]["items"][0])


def test_crossref_wrong_top_hit_is_rejected() -> None:
    """Crossref's only hit for "Attention is All you Need" (ACL N18-2074) fails on the title."""
    result = check(ATTENTION, crossref_wrong_top_hit())
    assert not result.passed
    assert "title" in result.failed
    choice = choose(ATTENTION, [crossref_wrong_top_hit()])
    assert choice.work is None
    assert choice.resolution.reason.startswith(
        "no candidate passed: best was doi:10.18653/v1/n18-2074 'Self-Attention with Relative Position "
        "Representations', title 0.00 < 0.90"
    )
    assert choice.resolution.method == "search:crossref"


def test_s2_right_answer_wins_over_crossref_wrong_top_hit() -> None:
    """With S2's NeurIPS record among the candidates, it is chosen (no DOI), Crossref's hit recorded."""
    s2_hit = parse_paper(load("s2_search-match_attention-is-all-you-need.json")["data"][0])
    choice = choose(ATTENTION, [crossref_wrong_top_hit(), s2_hit])
    assert choice.work == s2_hit
    res = choice.resolution
    assert (res.status, res.method, res.confidence) == ("resolved", "search:semantic_scholar", 1.0)
    assert res.candidates == ("doi:10.18653/v1/n18-2074",)
    assert dict(res.evidence) == {"title": 1.0, "year": 1.0, "authors": 1.0, "venue": 1.0}


def test_biorxiv_preprint_and_its_version_of_record() -> None:
    """Crossref's bioRxiv preprint (is-preprint-of) and S2's journal record are one work; the journal wins."""
    preprint = parse_work(
        load("crossref_work_posted-content_biorxiv_is-preprint-of_10.1101-2024.04.01.587366.json")["message"]
    )
    journal = parse_paper(load("s2_paper_by-doi_full-fields_10.1016-j.xgen.2025.100814.json"))
    expect = Expectation(
        "High-throughput screening of human genetic variants by pooled prime editing",
        2024,
        authors=("Michael Herger", "Gregory M. Findlay"),
    )
    choice = choose(expect, [preprint, journal])
    assert choice.work == journal
    assert choice.others == (preprint,)
    assert choice.resolution.method == "search:both"
    assert choice.resolution.confidence == 1.0


def test_jats_markup_title_matches_plain_listed_title() -> None:
    """A Crossref title with a newline, indentation and <i> markup matches the plain title."""
    record = parse_work(load("crossref_work_journal-article_jats-markup-title_10.1098-rspb.2017.0132.json")["message"])
    expect = Expectation(
        "Sexual conflict and correlated evolution between male persistence and female resistance traits "
        "in the seed beetle Callosobruchus maculatus",
        2017,
        authors=("Dougherty", "Simmons"),
    )
    assert check(expect, record) == Check(True, 1.0, (("title", 1.0), ("year", 1.0), ("authors", 1.0)), "", ())


# -- choose ------------------------------------------------------------------------------------------------

S2_OF_VOR = work(
    SEMANTIC_SCHOLAR,
    ids=Ids(doi="10.1109/CVPR.2019.00001", arxiv="1809.00001", s2="b" * 40),
    title=TITLE,
    authors=people(*AUTHORS),
    year=2019,
    venue="Computer Vision and Pattern Recognition",
    type="proceedings-article",
)


def test_choose_version_of_record_over_preprint_sharing_ids() -> None:
    """S2's record carries both the DOI and the arXiv id, tying the preprint to the version of record."""
    choice = choose(EXPECT, [PREPRINT, S2_OF_VOR, VOR])
    assert choice.work == VOR
    assert set(choice.others) == {PREPRINT, S2_OF_VOR}
    assert choice.resolution.method == "search:both"
    assert choice.resolution.status == "resolved"


def test_choose_version_of_record_over_preprint_by_relation() -> None:
    """A Crossref has-preprint relation ties a posted-content record to its journal version."""
    preprint = work(
        CROSSREF,
        ids=Ids(doi="10.36227/techrxiv.1"),
        title=TITLE,
        year=2018,
        authors=people(*AUTHORS),
        type="posted-content",
    )
    vor = work(
        CROSSREF,
        ids=Ids(doi="10.1109/tmm.2019.1"),
        title=TITLE,
        year=2019,
        authors=people(*AUTHORS),
        type="journal-article",
        relations=(("has-preprint", "10.36227/techrxiv.1"),),
    )
    choice = choose(Expectation(TITLE, 2019), [preprint, vor])
    assert (choice.work, choice.others) == (vor, (preprint,))


def test_choose_preprint_without_shared_id_joins_by_authors() -> None:
    """An arXiv-only record with the same title and authors is the same work as the DOI record."""
    arxiv_only = work(
        SEMANTIC_SCHOLAR,
        ids=Ids(arxiv="1809.00001"),
        title=TITLE,
        year=2018,
        authors=people(*AUTHORS),
        type="posted-content",
    )
    choice = choose(Expectation(TITLE, 2019), [arxiv_only, VOR])
    assert (choice.work, choice.others) == (VOR, (arxiv_only,))
    assert choice.resolution.method == "search:both"


def test_choose_preprint_years_before_listed_year_is_kept_only_as_a_tied_version() -> None:
    """A preprint three years early fails alone, but joins the version of record that shares its arXiv id."""
    early = work(SEMANTIC_SCHOLAR, ids=Ids(arxiv="1809.00001"), title=TITLE, year=2016, type="posted-content")
    alone = choose(Expectation(TITLE, 2019), [early])
    assert alone.work is None
    assert "year 2016 vs listed 2019" in alone.resolution.reason
    tied = work(
        SEMANTIC_SCHOLAR,
        ids=Ids(arxiv="1809.00001", doi="10.1109/cvpr.2019.00001"),
        title=TITLE,
        year=2019,
        type="proceedings-article",
    )
    choice = choose(Expectation(TITLE, 2019), [early, tied, VOR])
    assert choice.work == VOR
    assert early in choice.others


def test_choose_two_different_same_titled_works_is_ambiguous() -> None:
    """Two DOIs, no relation, same title and year, no authors listed: unresolved, both recorded."""
    other = work(
        CROSSREF,
        ids=Ids(doi="10.1000/other.2019.7"),
        title=TITLE,
        year=2019,
        authors=people("Jane Doe", "John Roe"),
        type="journal-article",
    )
    choice = choose(Expectation(TITLE, 2019), [VOR, other])
    assert choice.work is None
    assert choice.resolution.status == "unresolved"
    assert choice.resolution.reason.startswith("ambiguous: two different works pass: doi:10.1109/cvpr.2019.00001")
    assert set(choice.resolution.candidates) == {"doi:10.1109/cvpr.2019.00001", "doi:10.1000/other.2019.7"}


def test_choose_authors_separate_same_titled_works() -> None:
    """When the list gives authors, the same-titled paper by other people fails and the right one wins."""
    other = work(
        CROSSREF,
        ids=Ids(doi="10.1000/other.2019.7"),
        title=TITLE,
        year=2019,
        authors=people("Jane Doe", "John Roe"),
        type="journal-article",
    )
    choice = choose(EXPECT, [other, VOR])
    assert choice.work == VOR
    assert choice.resolution.candidates == ("doi:10.1000/other.2019.7",)


def test_choose_clear_lead_wins_with_the_runner_up_recorded() -> None:
    """A rival that agrees less (workshop version) loses by more than AMBIGUITY_MARGIN and is recorded."""
    workshop = work(
        CROSSREF,
        ids=Ids(doi="10.1109/cvprw.2019.9"),
        title=TITLE,
        year=2019,
        authors=people(*AUTHORS),
        venue="2019 IEEE/CVF Conference on Computer Vision and Pattern Recognition Workshops (CVPRW)",
    )
    choice = choose(EXPECT, [workshop, VOR])
    assert choice.work == VOR
    assert "preferred over doi:10.1109/cvprw.2019.9" in choice.resolution.reason
    assert "doi:10.1109/cvprw.2019.9" in choice.resolution.candidates


def test_choose_cross_source_agreement_raises_confidence() -> None:
    """The same DOI from both sources: method search:both and half the remaining doubt removed."""
    listed = Expectation(TITLE, 2020)
    one = choose(listed, [VOR])
    both = choose(listed, [VOR, S2_OF_VOR])
    assert one.resolution.method == "search:crossref"
    assert both.resolution.method == "search:both"
    gain = one.resolution.confidence + (1 - one.resolution.confidence) * matching.AGREEMENT_GAIN
    assert both.resolution.confidence == pytest.approx(gain, abs=1e-3)
    assert both.work == VOR and both.others == (S2_OF_VOR,)


def test_choose_sources_disagreeing_on_doi_with_authors_resolved_by_rules() -> None:
    """Crossref says DOI A, S2 says DOI B: the one whose authors match wins, the other is recorded."""
    s2_other = work(
        SEMANTIC_SCHOLAR,
        ids=Ids(doi="10.5555/elsewhere.1"),
        title=TITLE,
        year=2019,
        authors=people("Jane Doe"),
        type="journal-article",
    )
    choice = choose(EXPECT, [VOR, s2_other])
    assert choice.work == VOR
    assert choice.resolution.method == "search:crossref"
    assert choice.resolution.candidates == ("doi:10.5555/elsewhere.1",)


def test_choose_nothing_passes_keeps_the_best_failure() -> None:
    """With only failures, the reason names the closest candidate and why it failed."""
    near = work(CROSSREF, ids=Ids(doi="10.1/near"), title="The Sound of Pixels and Motions", year=2018)
    far = work(SEMANTIC_SCHOLAR, ids=Ids(s2="c" * 40), title="Something Else Entirely", year=2018)
    correction = work(CROSSREF, ids=Ids(doi="10.1/fix"), title="Correction to: The Sound of Pixels", year=2018)
    choice = choose(Expectation("The Sound of Pixels", 2018), [far, correction, near])
    res = choice.resolution
    assert (res.status, res.confidence, choice.work) == ("unresolved", 0.0, None)
    assert (
        res.reason == "no candidate passed: best was doi:10.1/near 'The Sound of Pixels and Motions', title 0.68 < 0.90"
    )
    assert res.method == "search:both"
    assert set(res.candidates) == {"doi:10.1/near", f"s2:{'c' * 40}", "doi:10.1/fix"}


def test_choose_best_failure_on_year_names_the_title_score() -> None:
    """A failure on another check than the title still reports the title score."""
    choice = choose(Expectation(TITLE, 2015), [VOR])
    assert choice.resolution.reason == (
        f"no candidate passed: best was doi:10.1109/cvpr.2019.00001 '{TITLE}', title 1.00, year 2019 vs listed 2015"
    )


def test_choose_without_candidates() -> None:
    """No candidates: unresolved, method none."""
    assert choose(EXPECT, []).resolution == matching.Resolution("unresolved", "none", 0.0, "no candidate found")


def test_choose_correction_notice_next_to_the_paper() -> None:
    """A correction notice with the same title is dropped; the paper itself resolves."""
    fix = work(
        CROSSREF,
        ids=Ids(doi="10.1109/cvpr.2019.99999"),
        title=f"Correction to: {TITLE}",
        year=2019,
        authors=people(*AUTHORS),
    )
    choice = choose(EXPECT, [fix, VOR])
    assert choice.work == VOR
    assert choice.resolution.candidates == ("doi:10.1109/cvpr.2019.99999",)


# -- confirm -----------------------------------------------------------------------------------------------


def test_confirm_accepts_the_linked_record() -> None:
    """A record fetched by the link's DOI that agrees: resolved via link, ids in the evidence."""
    choice = confirm(Expectation(TITLE, 2019, ids=Ids(doi="10.1109/cvpr.2019.00001")), VOR, "link")
    res = choice.resolution
    assert (res.status, res.method, res.confidence, res.reason) == ("resolved", "link", 1.0, "")
    assert dict(res.evidence) == {"ids": 1.0, "title": 1.0, "year": 1.0}
    assert choice.work == VOR


def test_confirm_keeps_a_typo_title_and_notes_a_different_one() -> None:
    """A listed typo is fine; a different title is noted, and a wholly different one caps confidence."""
    typo = confirm(Expectation("Deep Audio-Visual Speech Recognition with Learnd Lip Dynamics", 2019), VOR)
    assert typo.resolution.reason == "" and typo.resolution.confidence > 0.95
    partly = confirm(Expectation("Deep Audio-Visual Speech Recognition", 2019), VOR)
    assert partly.resolution.status == "resolved"
    assert partly.resolution.reason.startswith("title differs from the list: listed 'Deep Audio-Visual Speech")
    assert matching.LINK_TITLE_CAP < partly.resolution.confidence < 1.0
    wrong = confirm(Expectation("Attention is All you Need", 2017, authors=("Vaswani",)), VOR, "override")
    res = wrong.resolution
    assert (res.status, res.method) == ("resolved", "override")
    assert res.confidence <= matching.LINK_TITLE_CAP
    assert "title differs from the list" in res.reason
    assert "year 2019 vs listed 2017" in res.reason
    assert "authors do not overlap" in res.reason


def test_confirm_generic_link_text_is_not_a_title() -> None:
    """Link text such as "PDF" says nothing about the title; the identifier carries the match."""
    choice = confirm(Expectation("PDF", 2019), VOR)
    assert choice.resolution.reason == ""
    assert "title" not in dict(choice.resolution.evidence)


def test_confirm_rejects_what_is_not_the_paper() -> None:
    """A link pointing at a correction notice or a figure component leaves the link unresolved."""
    fix = work(CROSSREF, ids=Ids(doi="10.1/fix"), title=f"Correction to: {TITLE}", year=2019)
    choice = confirm(Expectation(TITLE, 2019), fix)
    assert choice.work is None
    assert choice.resolution == matching.Resolution(
        "unresolved", "link", 0.0, "not the paper: correction notice", (), ("doi:10.1/fix",)
    )
    component = parse_work(
        load("crossref_work_component_plos-figure_10.1371-journal.pmed.0030277.g001.json")["message"]
    )
    assert confirm(Expectation("Anything", 2006), component).resolution.status == "unresolved"


# -- identifiers -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("listed", "record", "score"),
    [
        (Ids(doi="10.1109/CVPR.2019.00001"), Ids(doi="10.1109/cvpr.2019.00001"), 1.0),
        (Ids(doi="10.48550/arXiv.1809.00001"), Ids(arxiv="1809.00001"), 1.0),
        (Ids(arxiv="1809.00001v2"), Ids(doi="10.48550/arxiv.1809.00001"), 1.0),
        (Ids(acl="P19-1239"), Ids(doi="10.18653/v1/p19-1239"), 1.0),
        (Ids(pmcid="PMC7098709"), Ids(pmcid="7098709"), 1.0),
        (Ids(doi="10.36227/techrxiv.1"), Ids(doi="10.1109/tmm.2019.1"), 1.0),  # has-preprint relation
        (Ids(doi="10.1109/cvpr.2019.00001", arxiv="1809.00001"), Ids(doi="10.1/x", arxiv="1809.00001"), 0.5),
        (Ids(doi="10.1109/cvpr.2019.00001"), Ids(doi="10.1109/cvpr.2019.00002"), 0.0),
        (Ids(arxiv="1809.00001"), Ids(arxiv="1809.00002"), 0.0),
        (Ids(cvf="Stem_CVPR_2019_paper"), Ids(doi="10.1109/cvpr.2019.00001"), None),
        (Ids(), Ids(doi="10.1109/cvpr.2019.00001"), None),
    ],
)
def test_ids_evidence(listed: Ids, record: Ids, score: float | None) -> None:
    """Shared identifiers agree (arXiv/ACL DOIs, PMC forms, version relations folded); others clash."""
    relations = (("has-preprint", "10.36227/techrxiv.1"),) if record.doi == "10.1109/tmm.2019.1" else ()
    result = check(Expectation(TITLE, 2019, ids=listed), work(title=TITLE, year=2019, ids=record, relations=relations))
    assert dict(result.evidence).get("ids") == score
    assert result.passed is (score != 0.0)


def test_identity_keys_fold_arxiv_dois_and_version_relations() -> None:
    """Identity keys join an arXiv DOI with the arXiv id and a preprint with the DOI it is a preprint of."""
    preprint = work(
        ids=Ids(doi="10.48550/arXiv.1809.00001v1"),
        relations=(("is-preprint-of", "10.1109/X.1"), ("references", "10.1/unrelated")),
    )
    assert matching.identity_keys(preprint) == {("arxiv", "1809.00001"), ("doi", "10.1109/x.1")}


def test_choose_exact_title_beats_the_main_title_alone() -> None:
    """Listed "Main: Subtitle": the record with the full title wins over another record titled "Main"."""
    listed = "Audio-Visual Speech Recognition in the Wild: A Benchmark"
    full = work(CROSSREF, ids=Ids(doi="10.1/full"), title=listed, year=2021)
    main_only = work(CROSSREF, ids=Ids(doi="10.1/main"), title="Audio-Visual Speech Recognition in the Wild", year=2021)
    assert check(Expectation(listed, 2021), main_only).passed
    choice = choose(Expectation(listed, 2021), [main_only, full])
    assert choice.work == full
    assert choice.resolution.candidates == ("doi:10.1/main",)


def test_choose_preprint_server_doi_joins_the_published_doi_by_authors() -> None:
    """A posted-content record with its own DOI, same title and authors, is the preprint of the paper."""
    preprint = work(
        CROSSREF,
        ids=Ids(doi="10.21203/rs.3.rs-1/v1"),
        title=TITLE,
        year=2018,
        authors=people(*AUTHORS),
        type="posted-content",
    )
    choice = choose(Expectation(TITLE, 2019), [preprint, VOR])
    assert (choice.work, choice.others) == (VOR, (preprint,))
    stranger = work(
        CROSSREF,
        ids=Ids(doi="10.21203/rs.3.rs-2/v1"),
        title=TITLE,
        year=2019,
        authors=people("Jane Doe"),
        type="posted-content",
    )
    assert choose(Expectation(TITLE, 2019), [stranger, VOR]).resolution.reason.startswith("ambiguous: ")


def test_choose_ignores_duplicate_candidates() -> None:
    """The same record returned twice counts once."""
    choice = choose(EXPECT, [VOR, VOR])
    assert (choice.work, choice.others, choice.resolution.method) == (VOR, (), "search:crossref")


@pytest.mark.parametrize(
    ("fields", "expected"),
    [
        ({"type": "posted-content"}, True),
        ({"ids": Ids(doi="10.36227/techrxiv.13193731.v1")}, True),
        ({"ids": Ids(doi="10.21203/rs.3.rs-1/v1")}, True),
        ({"ids": Ids(doi="10.1101/2024.04.01.587366")}, True),
        ({"ids": Ids(doi="10.1101/097196")}, True),
        ({"ids": Ids(doi="10.48550/arxiv.1706.03762")}, True),
        ({"venue": "TechRxiv"}, True),
        ({"venue": "arXiv.org"}, True),
        ({"ids": Ids(doi="10.1101/gr.277615.122"), "type": "journal-article"}, False),
        ({"ids": Ids(doi="10.1109/cvpr.2019.00001"), "type": "proceedings-article"}, False),
        ({"venue": "Neural Information Processing Systems"}, False),
        ({"venue": "Preprints of the IFAC World Congress", "venue_acronym": "ICASSP"}, False),
        ({}, False),
    ],
)
def test_is_preprint_record(fields: dict[str, Any], expected: bool) -> None:
    """Preprints by type, preprint-server DOI prefix or venue; journals of the same prefix are not."""
    assert matching.is_preprint_record(work(**fields)) is expected


def test_choose_lone_preprint_from_another_year_stays_unresolved() -> None:
    """Only a preprint a year before the listed year passed: the listed version was not found."""
    preprint = work(CROSSREF, ids=Ids(doi="10.36227/techrxiv.1"), title=TITLE, year=2018, type="posted-content")
    choice = choose(Expectation(TITLE, 2019), [preprint])
    assert choice.work is None
    assert choice.resolution.reason == (
        f"only a preprint passed: doi:10.36227/techrxiv.1 '{TITLE}' (2018), not the version listed for 2019"
    )
    assert choose(Expectation(TITLE, 2018), [preprint]).work == preprint


def test_choose_s2_record_of_a_preprint_server_joins_the_published_paper() -> None:
    """S2's TechRxiv record (no type) and Crossref's posted-content are the published paper's preprint."""
    doi = "10.36227/techrxiv.12068988.v1"
    cr_pre = work(CROSSREF, ids=Ids(doi=doi), title=TITLE, year=2018, authors=people(*AUTHORS), type="posted-content")
    s2_pre = work(
        SEMANTIC_SCHOLAR,
        ids=Ids(doi=doi, s2="d" * 40),
        title=TITLE,
        year=2018,
        authors=people(*AUTHORS),
        venue="TechRxiv",
    )
    choice = choose(Expectation(TITLE, 2019), [cr_pre, s2_pre, VOR])
    assert choice.work == VOR
    assert set(choice.others) == {cr_pre, s2_pre}


# -- symbols, journal extensions, identifiers of the link (issue 14) ---------------------------------------


@pytest.mark.parametrize(
    ("listed", "found"),
    [
        (
            "Self-Supervised Generation of Spatial Audio for 360° Video",
            "Self-Supervised Generation of Spatial Audio for 360 Video",
        ),
        (
            "Self-Supervised Generation of Spatial Audio for 360° Video",
            "Self-Supervised Generation of Spatial Audio for 360deg Video",
        ),
        ("Gesture Recognition with Kinect™ Sensors", "Gesture Recognition with Kinect Sensors"),
        ("AudioSet®: An Ontology for Audio Events", "AudioSet: An Ontology for Audio Events"),
        ("Deep Sound Separation† with Attention*", "Deep Sound Separation with Attention"),
        ("🎵 Music Transformer: Long-Term Structure", "Music Transformer: Long-Term Structure"),
    ],
)
def test_title_score_symbols_an_index_drops_cost_nothing(listed: str, found: str) -> None:
    """Degree, trade mark and registered signs, daggers, asterisks and emoji cost no word: the titles are equal."""
    assert title_score(listed, found) == 1.0


def test_title_score_a_dropped_symbol_does_not_make_numbers_agree() -> None:
    """Dropping the degree sign keeps the number: "360°" is still not "180°"."""
    assert title_score("Spatial Audio for 360° Video", "Spatial Audio for 180° Video") < matching.TITLE_PASS


CONF_TITLE = "Learning to Localize Sound Source in Visual Scenes"
EXTENDED_TITLE = "Learning to Localize Sound Sources in Visual Scenes: Analysis and Applications"
CONFERENCE = work(
    CROSSREF,
    ids=Ids(doi="10.1109/cvpr.2018.00458", ieee="8578560"),
    title=CONF_TITLE,
    authors=people("Arda Senocak", "Tae-Hyun Oh", "Junsik Kim"),
    year=2018,
    venue="2018 IEEE/CVF Conference on Computer Vision and Pattern Recognition",
    type="proceedings-article",
)
JOURNAL = work(
    CROSSREF,
    ids=Ids(doi="10.1109/tpami.2019.2952095", ieee="8894565"),
    title=EXTENDED_TITLE,
    authors=CONFERENCE.authors,
    year=2019,
    venue="IEEE Transactions on Pattern Analysis and Machine Intelligence",
    type="journal-article",
)


@pytest.mark.parametrize(
    ("expect", "candidate"),
    [
        # The case: the extension listed a year later, the index holding only the conference paper.
        (Expectation(EXTENDED_TITLE, 2019, host="ieee"), CONFERENCE),
        (Expectation(EXTENDED_TITLE, 2019, authors=("Arda Senocak",)), CONFERENCE),
        # Same year, but the listed venue (a journal) is not the record's (a conference).
        (Expectation(EXTENDED_TITLE, 2018, "TPAMI", ("Arda Senocak",)), CONFERENCE),
        # The other way round: the conference paper listed, only the extension indexed.
        (Expectation(CONF_TITLE, 2018, "CVPR"), JOURNAL),
        (Expectation(CONF_TITLE, 2018), JOURNAL),
    ],
)
def test_check_subtitle_one_side_lacks_with_year_or_venue_apart_is_another_paper(
    expect: Expectation, candidate: Work
) -> None:
    """A subtitle one side lacks, with a year or venue that disagrees, is an extended version: it fails."""
    result = check(expect, candidate)
    assert not result.passed
    assert "extension" in result.failed
    assert "an extended version is another paper" in result.reason


@pytest.mark.parametrize(
    ("expect", "candidate"),
    [
        (Expectation(EXTENDED_TITLE, 2018), CONFERENCE),
        (Expectation(EXTENDED_TITLE, 2018, "CVPR", ("Arda Senocak",)), CONFERENCE),
        (Expectation(CONF_TITLE, 2019, "TPAMI"), JOURNAL),
        # An identifier the link shares with the record overrides the year.
        (Expectation(EXTENDED_TITLE, 2019, ids=Ids(doi="10.1109/cvpr.2018.00458")), CONFERENCE),
        # Without a subtitle difference a year off stays a note, as before.
        (Expectation(CONF_TITLE, 2019), CONFERENCE),
    ],
)
def test_check_same_year_subtitle_variant_is_the_same_paper(expect: Expectation, candidate: Work) -> None:
    """A subtitle difference in the same year and venue (or tied by an identifier) is still the same paper."""
    assert check(expect, candidate).passed


def test_choose_extension_names_the_conference_version_as_related() -> None:
    """The listed extension is not in the index: unresolved, the conference paper named as related."""
    choice = choose(Expectation(EXTENDED_TITLE, 2019, host="ieee"), [CONFERENCE])
    assert choice.work is None
    assert choice.resolution.reason.startswith(
        "no candidate passed; related but another paper: doi:10.1109/cvpr.2018.00458 "
        f"'{CONF_TITLE}' (2018): the listed title adds the subtitle 'Analysis and Applications'"
    )


def test_choose_extension_and_conference_version_both_indexed() -> None:
    """Both versions in the index: each listing resolves to its own paper."""
    assert choose(Expectation(EXTENDED_TITLE, 2019), [CONFERENCE, JOURNAL]).work == JOURNAL
    assert choose(Expectation(CONF_TITLE, 2018), [JOURNAL, CONFERENCE]).work == CONFERENCE


@pytest.mark.parametrize(
    ("listed", "record", "score"),
    [
        (Ids(ieee="8894565"), Ids(doi="10.1109/tpami.2019.2952095", ieee="8894565"), 1.0),
        (Ids(ieee="08894565"), Ids(ieee="8894565"), 1.0),
        (Ids(ieee="8894565"), Ids(doi="10.1109/cvpr.2018.00458", ieee="8578560"), 0.0),
        (Ids(ieee="8894565"), Ids(doi="10.1109/cvpr.2018.00458"), None),
    ],
)
def test_ids_evidence_ieee_document_number(listed: Ids, record: Ids, score: float | None) -> None:
    """An IEEE link's document number agrees with or contradicts the record's (from its resource URL)."""
    result = check(Expectation(CONF_TITLE, 2018, ids=listed), work(title=CONF_TITLE, year=2018, ids=record))
    assert dict(result.evidence).get("ids") == score
    assert result.passed is (score != 0.0)


def test_choose_one_record_contradicting_the_link_fails_the_whole_work() -> None:
    """The S2 record (no IEEE number) of a paper whose Crossref record has another IEEE number is not taken."""
    s2_copy = work(
        SEMANTIC_SCHOLAR,
        ids=Ids(doi="10.1109/cvpr.2018.00458", s2="b" * 40),
        title=CONF_TITLE,
        authors=CONFERENCE.authors,
        year=2018,
        venue="CVPR",
    )
    expect = Expectation(CONF_TITLE, 2018, ids=Ids(ieee="8894565"), host="ieee")
    assert check(expect, s2_copy).passed
    choice = choose(expect, [s2_copy, CONFERENCE])
    assert choice.work is None
    assert "IEEE document number 8578560 differs from the link's 8894565" in choice.resolution.reason
    # Without the contradicting record the S2 one is taken, and the link's number may stand beside it.
    assert choose(expect, [s2_copy]).work == s2_copy


@pytest.mark.parametrize(
    ("link", "records", "kept"),
    [
        (Ids(ieee="8894565"), [JOURNAL], Ids(ieee="8894565")),
        (Ids(ieee="8894565"), [CONFERENCE], Ids()),
        (Ids(ieee="8894565"), [work(ids=Ids(doi="10.1109/cvpr.2018.00458"))], Ids(ieee="8894565")),
        (Ids(ieee="8894565", cvf="Stem_CVPR_2018_paper"), [CONFERENCE], Ids(cvf="Stem_CVPR_2018_paper")),
        (Ids(acl="P19-1239"), [work(ids=Ids(doi="10.18653/v1/p19-1240"))], Ids()),
        (
            Ids(doi="10.36227/techrxiv.1"),
            [work(ids=Ids(doi="10.1109/tmm.2019.1"), relations=(("has-preprint", "10.36227/techrxiv.1"),))],
            Ids(doi="10.36227/techrxiv.1"),
        ),
        (Ids(), [CONFERENCE], Ids()),
    ],
)
def test_link_ids_for_keeps_only_what_no_record_contradicts(link: Ids, records: list[Work], kept: Ids) -> None:
    """A link's identifier goes beside the records only when one carries it or none has another of its kind."""
    assert matching.link_ids_for(link, records) == kept
    assert bool(matching.link_contradiction(link, records)) is (kept != link)
