"""Verification of candidate records against what the list says of a paper, and the choice among them (pure).

Curators: this docstring is the rule book. A link stays unresolved rather than get a wrong identifier.

What is compared (`check`), each check giving a score in [0, 1] or nothing when it cannot be made:
  title    `title_score` of the listed title and the record's title (with its subtitle, if separate).
           Must be >= TITLE_PASS (0.90). Titles are compared in `text.normalise_title` form, then:
           - symbols that indexes drop or respell cost nothing: degree, trade mark, registered and copyright
             signs, daggers, asterisks, emoji ("360° Video" = "360 Video" = "360deg Video", "Kinect™" =
             "Kinect");
           - equal once spaces are removed ("MusicVideo" = "Music Video") -> 1.0;
           - otherwise the character similarity (rapidfuzz ratio, space-free), minus WORD_PENALTY (0.08)
             for every content word of either title with no counterpart in the other (a counterpart may
             carry a typo: word similarity >= WORD_MATCH (0.80), so "Makelttalk" ~ "MakeItTalk" and
             "Audio-V\\visual" ~ "Audio-Visual", or be two words joined: "musicvideo" ~ "music video";
             a word and its prefixed opposite are not counterparts: "Unsupervised" is not "Supervised");
           - numbers must agree ("DCASE 2019" is not "DCASE 2020", "Part II" is not "Part III"): if not,
             the score is at most NUMBER_MISMATCH_CAP (0.80);
           - a subtitle one side lacks ("Title: Subtitle" vs "Title") counts at SUBTITLE_FACTOR (0.92)
             times the similarity of the main titles, and only when the main title has at least
             SUBTITLE_MIN_MAIN_WORDS (4) content words: "The Sound of Pixels" is too short to stand
             for "The Sound of Pixels: …", and "The Sound of Pixels and Motions" is another paper.
  extension  a title that passes only through that subtitle rule, with a year or a known venue that
           disagree, fails ("extension"): "Title: Analysis and Applications" (2019, a journal) is the
           extended version of "Title" (2018, CVPR), another paper with another DOI. The link stays
           unresolved and its reason names the record as related. Same year and no venue contradiction: the
           same paper (a subtitle dropped by the list or the index). An identifier shared with the link wins.
  year     1.0 same year, 0.8 one year apart, 0.0 further. Must be within YEAR_TOLERANCE (1) when
           both are known. `choose` accepts a preprint or published version up to PREPRINT_LAG_YEARS (3)
           away from the listed year, but only when an identifier ties it to a version that passed.
  venue    when the list names a venue the ACRONYMS table knows (CVPR, NeurIPS, Interspeech, …):
           1.0 the record names it, 0.5 the same conference but workshop vs main track, 0.0 another
           venue. Unknown listed venues, records without a venue and preprint servers (arXiv, bioRxiv,
           …) or book series (LNCS, PMLR) are neutral. A venue of 0.0 fails the check unless the
           authors (>= AUTHOR_CORROBORATION, 0.5) or an identifier corroborate the record: an
           uncorroborated same-titled paper from another venue is more often another paper than a
           mislabelled list entry.
  authors  when the list gives authors: the share of listed names whose family name (accents and case
           folded; "Last, First", "First Last", initials and "et al." handled) occurs among the record's
           authors, out of the shorter of the two lists. Below AUTHOR_MIN_OVERLAP (0.30) fails. A record
           without authors cannot be checked: 0.5, noted.
  ids      identifiers the link carries (DOI, arXiv, ACL, PMC, S2, IEEE document number, …) against the
           record's: one shared and none contradicting 1.0; a contradiction (another DOI, another arXiv id,
           another IEEE number: a Crossref record's IEEE Xplore resource URL carries its number) fails; both
           0.5. A contradiction in one record of a work fails every record of it (`choose`), and an
           identifier taken from the link is published only next to a record that carries it or that
           nothing contradicts (`link_ids_for`): it belongs to the link, not to whatever was found.
  evidence a search hit needs more than its title: when the list gives no year, and neither authors, a known
           venue nor an identifier could be compared, the record fails (TITLE_ONLY). Same-titled papers
           by other people exist, and with nothing else to compare a wrong one cannot be told from the
           right one; adding the year to the list (or a pin in overrides.toml) resolves it.
  not the paper (`is_not_the_paper`): corrections, errata, retractions, supplementary material,
           figure/table components (PLOS-style DOIs ending ".g001", ".t001", ".s001"), peer reviews,
           front/back matter, tables of contents and indexes are rejected outright.

Confidence. For a passing check, confidence is the weighted mean of the scores of the checks that could
be made (WEIGHTS: title 4, ids 4, authors 2, year 1, venue 1; checks that could not be made count neither
way), so it measures how well the
record agrees with everything the list says, not how much the list says: the `evidence` pairs show what
was compared. A title of fewer than SHORT_TITLE_MIN_WORDS (3) content words identifies little, so without
author or identifier evidence its confidence is capped at SHORT_TITLE_CAP (0.80). A failed check has
confidence 0.0 and a `reason`; a passing one may carry caveats in `reason` ("year 2018 vs listed 2019").

Choosing (`choose`) among search candidates from several sources:
  1. candidates sharing an identifier (DOI, arXiv id, S2 id, …, or a Crossref `is-preprint-of` /
     `has-preprint` relation) are one work; failing candidates are dropped;
  2. two passing works are also one work when their titles agree, the two records' authors overlap and
     at most one has a DOI or one is only a preprint (an arXiv-only S2 record, or a preprint server's
     DOI, next to the proceedings DOI of the same paper);
  3. one work left: resolved; within it the version of record (journal/proceedings) wins over a preprint,
     a DOI over none, Crossref's record over S2's; the rest go to `others`. Several sources agreeing
     raise confidence: the remaining doubt is halved (AGREEMENT_GAIN 0.5) -> method "search:both".
     But when that work is only preprints (posted-content, or arXiv/TechRxiv/bioRxiv/… by venue or DOI
     prefix: `is_preprint_record`) and none is from the listed year, it stays unresolved: the listed
     year is the published version's, and a preprint a year off may be an older look-alike;
  4. several works left: the best wins only if its confidence leads by AMBIGUITY_MARGIN (0.05);
     otherwise unresolved, "ambiguous: …", with the candidates recorded;
  5. none passed: unresolved, "no candidate passed: best was <id> '<title>', <why>"; a record that failed only as
     another version of the paper (`extension`) is named first: "no candidate passed; related but another
     paper: <id> '<title>' (<year>): <why>".
`confirm` handles a record fetched by the link's own identifier: it is resolved even when the title
differs (the curator pointed at it; the difference is recorded and, below LINK_TITLE_MIN (0.50), the
confidence capped at LINK_TITLE_CAP (0.50)), but never when the record is not the paper itself.
"""

from __future__ import annotations

import functools
import re
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from rapidfuzz import fuzz
from rapidfuzz.distance import Levenshtein

from avenrich.grouping import connected
from avenrich.memory import share as shared
from avenrich.model import (
    ID_FIELDS,
    ID_LABELS,
    NOT_A_PAPER_TYPES,
    PREPRINT_TYPES,
    Author,
    Ids,
    Link,
    LinkMatch,
    Resolution,
    Work,
)
from avenrich.names import author_family_keys, family_keys, split_joined
from avenrich.text import clean_markup, normalise_title, parse_venue_tag, strip_accents

# -- thresholds (see the module docstring) -----------------------------------------------------------

TITLE_PASS = 0.90
WORD_MATCH = 0.80
WORD_PENALTY = 0.08
JOINED_MIN_CHARS = 6
NUMBER_MISMATCH_CAP = 0.80
SUBTITLE_FACTOR = 0.92
SUBTITLE_MIN_MAIN_WORDS = 4
YEAR_TOLERANCE = 1
YEAR_OFF_BY_ONE = 0.8
PREPRINT_LAG_YEARS = 3
VENUE_WORKSHOP = 0.5
AUTHOR_MIN_OVERLAP = 0.30
AUTHOR_CORROBORATION = 0.5
AUTHORS_UNVERIFIABLE = 0.5
SHORT_TITLE_MIN_WORDS = 3
SHORT_TITLE_CAP = 0.80
AGREEMENT_GAIN = 0.5
AMBIGUITY_MARGIN = 0.05
LINK_TITLE_MIN = 0.50
LINK_TITLE_CAP = 0.50
TITLE_ONLY = "only the title could be checked: the list gives no year, authors or venue for it"
WEIGHTS = {"title": 4.0, "year": 1.0, "venue": 1.0, "authors": 2.0, "ids": 4.0}

STOPWORDS = frozenset(
    {
        "a",
        "an",
        "the",
        "of",
        "in",
        "on",
        "for",
        "to",
        "and",
        "or",
        "with",
        "by",
        "from",
        "at",
        "via",
        "as",
        "is",
        "are",
        "its",
        "into",
        "using",
    }
)


@dataclass(frozen=True, slots=True)
class Expectation:
    """What the list tells about a paper: the facts every candidate record is checked against."""

    title: str
    year: int | None = None
    venue: str | None = None
    authors: tuple[str, ...] = ()
    ids: Ids = field(default_factory=Ids)
    host: str = "other"


@dataclass(frozen=True, slots=True)
class Check:
    """The verdict on one record: passed or not, confidence, one score per check made, and why.

    `failed` names the checks that failed ("title", "year", "venue", "authors", "ids", "paper").
    """

    passed: bool
    confidence: float
    evidence: tuple[tuple[str, float], ...] = ()
    reason: str = ""
    failed: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Choice:
    """The outcome for one link: its resolution, the chosen record, and other records of the same work."""

    resolution: Resolution
    work: Work | None = None
    others: tuple[Work, ...] = ()


# -- expectation -------------------------------------------------------------------------------------


def expectation_from(link: Link, match: LinkMatch) -> Expectation:
    """The expectation for a link: its title, year, venue (tag, URL hint or BibTeX field) and ids."""
    tag_venue, tag_year = parse_venue_tag(link.venue_tag) if link.venue_tag else (None, None)
    fields = dict(link.bibtex)
    bib_venue = fields.get("booktitle") or fields.get("journal")
    return Expectation(
        title=link.title,
        year=link.year or tag_year or match.year_hint,
        venue=tag_venue or match.venue_hint or bib_venue,
        authors=link.authors,
        ids=match.ids,
        host=match.host,
    )


# -- title -------------------------------------------------------------------------------------------

_NUMBER = re.compile(r"\d+|(?<=\bpart )[ivx]+\b")
_SUBTITLE_SPLIT = re.compile(r"\s*:\s+|\s+[-–—]\s+")


def _numbers(norm: str) -> frozenset[str]:
    return frozenset(m.lstrip("0") or "0" for m in _NUMBER.findall(norm))


def _content_words(norm: str) -> list[str]:
    return [w for w in norm.split() if w not in STOPWORDS]


# Prefixes that make another word, not a typo: "Unsupervised" is not "Supervised".
# fmt: off
WORD_PREFIXES = (
    "un", "non", "in", "im", "ir", "il", "dis", "a", "anti", "de", "re", "pre", "semi", "multi", "uni", "co",
    "counter", "over", "under", "super", "sub", "mis", "self", "cross", "inter", "intra", "trans",
)
# fmt: on


def _close(a: str, b: str) -> bool:
    """The same word, allowing a typo; never a word and its prefixed opposite."""
    if a == b:
        return True
    short, long = sorted((a, b), key=len)
    if long.endswith(short) and long[: len(long) - len(short)] in WORD_PREFIXES:
        return False
    return fuzz.ratio(a, b) >= WORD_MATCH * 100


def _joined_counterpart(i: int, words: Sequence[str], other: Sequence[str]) -> bool:
    """Whether words[i] is two words of `other` written as one ("musicvideo" ~ "music video"), or joined with
    its neighbour is one word of `other`, up to one typo. Strict: "unsupervised" is not "supervised lip"."""
    word = words[i]
    pairs = [other[j] + other[j + 1] for j in range(len(other) - 1)]
    joined = [words[i - 1] + word] if i > 0 else []
    joined += [word + words[i + 1]] if i + 1 < len(words) else []
    return any(_near(word, p) for p in pairs) or any(_near(j, x) for j in joined for x in other)


def _near(a: str, b: str) -> bool:
    return len(a) >= JOINED_MIN_CHARS and Levenshtein.distance(a, b) <= 1


def _unmatched(words: Sequence[str], other: Sequence[str]) -> int:
    """Content words of `words` without a counterpart of their own in `other`, matched one to one: exact
    matches first, then typos, then words split or joined differently. A word used twice needs two."""
    content = [i for i, w in enumerate(words) if w not in STOPWORDS and not w.isdigit()]
    free = Counter(other)
    inexact = []
    for i in content:
        if free[words[i]] > 0:
            free[words[i]] -= 1
        else:
            inexact.append(i)
    unmatched = 0
    for i in inexact:
        typo = next((x for x, n in free.items() if n > 0 and _close(words[i], x)), None)
        if typo is not None:
            free[typo] -= 1
        elif not _joined_counterpart(i, words, other):
            unmatched += 1
    return unmatched


def _similarity(a: str, b: str) -> float:
    """Similarity of two non-empty normalised titles (see the module docstring)."""
    sa, sb = a.replace(" ", ""), b.replace(" ", "")
    if sa == sb:
        return 1.0
    wa, wb = a.split(), b.split()
    score = fuzz.ratio(sa, sb) / 100 - WORD_PENALTY * (_unmatched(wa, wb) + _unmatched(wb, wa))
    if _numbers(a) != _numbers(b):
        score = min(score, NUMBER_MISMATCH_CAP)
    return max(0.0, min(1.0, score))


def _main_title(title: str) -> str | None:
    """The normalised title before a subtitle separator (":" or a spaced dash), or None without one."""
    parts = _SUBTITLE_SPLIT.split(clean_markup(title), maxsplit=1)
    if len(parts) < 2 or not normalise_title(parts[1]):
        return None
    return normalise_title(parts[0]) or None


def title_score(listed: str, found: str) -> float:
    """Similarity in [0, 1] of a listed title and a record's title; 0.0 when either is empty. Symmetric."""
    return title_match(listed, found).score


@dataclass(frozen=True, slots=True)
class TitleMatch:
    """A title score, and the subtitle one side lacks when the score rests on the subtitle rule (else None).

    `subtitle_side` says whose title carries that subtitle: "listed" or "record".
    """

    score: float
    subtitle: str | None = None
    subtitle_side: str | None = None


def title_match(listed: str, found: str) -> TitleMatch:
    """The title score of a listed title against a record's title, saying whether a subtitle one lacks made it."""
    a, b = normalise_title(listed), normalise_title(found)
    if not a or not b:
        return TitleMatch(0.0)
    best = TitleMatch(round(_similarity(a, b), 3))
    if best.score < 1.0:
        for side, longer, shorter, other in (("listed", listed, found, b), ("record", found, listed, a)):
            main = _main_title(longer)
            if main and not _main_title(shorter) and len(_content_words(main)) >= SUBTITLE_MIN_MAIN_WORDS:
                via = round(SUBTITLE_FACTOR * _similarity(main, other), 3)
                if via > best.score:
                    best = TitleMatch(via, _subtitle(longer), side)
    return best


def _subtitle(title: str) -> str:
    """The text after the subtitle separator, as written (markup cleaned)."""
    return _SUBTITLE_SPLIT.split(clean_markup(title), maxsplit=1)[1].strip()


def _record_title_match(listed: str, work: Work) -> TitleMatch:
    """Title match against the record's title, and against title + subtitle when Crossref splits them."""
    if not work.title:
        return TitleMatch(0.0)
    best = title_match(listed, work.title)
    if work.subtitle:
        joined = title_match(listed, f"{work.title}: {work.subtitle}")
        if joined.score > best.score or (joined.score == best.score and best.subtitle and not joined.subtitle):
            best = joined
    return best


def _record_title_score(listed: str, work: Work) -> float:
    """Title score against the record's title, and against title + subtitle when Crossref splits them."""
    return _record_title_match(listed, work).score


# -- year --------------------------------------------------------------------------------------------


def year_score(listed: int | None, found: int | None) -> float | None:
    """1.0 for the same year, YEAR_OFF_BY_ONE a year apart, 0.0 further; None when either is unknown."""
    if listed is None or found is None:
        return None
    gap = abs(listed - found)
    return 1.0 if gap == 0 else YEAR_OFF_BY_ONE if gap == 1 else 0.0


# -- venue -------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Venue:
    name: str
    patterns: tuple[str, ...]
    workshop_in_name: bool = False


# Known venues: the canonical name and regexes over the folded venue text (lowercase ASCII words).
ACRONYMS: tuple[_Venue, ...] = (
    _Venue("CVPR", (r"\bcvprw?\b", r"computer vision and pattern recognition")),
    _Venue("ICCV", (r"\biccvw?\b", r"\binternational conference on computer vision\b(?! theory| systems)")),
    _Venue("ECCV", (r"\beccvw?\b", r"european conference on computer vision")),
    _Venue("WACV", (r"\bwacvw?\b", r"(winter conference|workshop) on applications of computer vision"), True),
    _Venue("ACCV", (r"\baccv\b", r"asian conference on computer vision")),
    _Venue("BMVC", (r"\bbmvc\b", r"british machine vision conference")),
    _Venue("NeurIPS", (r"\bneurips\b", r"\bnips\b", r"neural information processing systems")),
    _Venue("ICML", (r"\bicml\b", r"international conference on machine learning\b(?! and| applications)")),
    _Venue("ICLR", (r"\biclr\b", r"international conference on learning representations")),
    _Venue("AAAI", (r"\baaai\b(?! spring| fall)", r"aaai conference on artificial intelligence")),
    _Venue("IJCAI", (r"\bijcai\b", r"international joint conference on artificial intelligence")),
    _Venue("ACL", (r"\bacl\b", r"annual meeting of the association for computational linguistics")),
    _Venue("EMNLP", (r"\bemnlp\b", r"empirical methods in natural language processing")),
    _Venue("NAACL", (r"\bnaacl\b", r"north american chapter of the association for computational linguistics")),
    _Venue("EACL", (r"\beacl\b", r"european chapter of the association for computational linguistics")),
    _Venue("COLING", (r"\bcoling\b", r"international conference on computational linguistics")),
    _Venue(
        "Interspeech",
        (r"\binterspeech\b", r"conference of the international speech communication association"),
    ),
    _Venue("ICASSP", (r"\bicassp\b", r"international conference on acoustics speech and signal processing")),
    _Venue("WASPAA", (r"\bwaspaa\b", r"applications of signal processing to audio and acoustics"), True),
    _Venue("ISMIR", (r"\bismir\b", r"international society for music information retrieval")),
    _Venue("ASRU", (r"\basru\b", r"automatic speech recognition and understanding"), True),
    _Venue("SLT", (r"\bslt\b", r"spoken language technology workshop"), True),
    _Venue(
        "ACM MM",
        (
            r"\bacm ?mm\b",
            r"^mm$",
            r"\bacm multimedia\b",
            r"\binternational conference on multimedia\b(?! and expo| retrieval| modeling| asia)",
        ),
    ),
    _Venue("ICME", (r"\bicme\b", r"international conference on multimedia and expo")),
    _Venue("ICMR", (r"\bicmr\b", r"international conference on multimedia retrieval")),
    _Venue("ICIP", (r"\bicip\b", r"international conference on image processing")),
    _Venue("ICPR", (r"\bicpr\b", r"international conference on pattern recognition")),
    _Venue("ICRA", (r"\bicra\b", r"international conference on robotics and automation")),
    _Venue("IROS", (r"\biros\b", r"intelligent robots and systems")),
    _Venue("CoRL", (r"\bcorl\b", r"conference on robot learning")),
    _Venue("CHI", (r"\bchi\b", r"conference on human factors in computing systems")),
    _Venue("TPAMI", (r"\btpami\b", r"\bpami\b", r"pattern analysis and machine intelligence")),
    _Venue("IJCV", (r"\bijcv\b", r"international journal of computer vision")),
    _Venue("TIP", (r"\btip\b", r"transactions on image processing")),
    _Venue("TMM", (r"\btmm\b", r"transactions on multimedia\b(?! computing)")),
    _Venue("TOMM", (r"\btomm\b", r"\btomccap\b", r"transactions on multimedia computing")),
    _Venue("TASLP", (r"\btaslp\b", r"transactions on audio speech and language processing")),
    _Venue("TCSVT", (r"\btcsvt\b", r"transactions on circuits and systems for video technology")),
    _Venue("SIGGRAPH", (r"\bsiggraph\b", r"\btog\b", r"transactions on graphics")),
    _Venue("TACL", (r"\btacl\b", r"transactions of the association for computational linguistics")),
    _Venue("JMLR", (r"\bjmlr\b", r"journal of machine learning research")),
)
_COMPILED = tuple((v, tuple(re.compile(p) for p in v.patterns)) for v in ACRONYMS)
_WORKSHOP = re.compile(r"\bworkshops?\b|\b(?:cvpr|iccv|eccv|wacv)w\b")
# Records whose venue says nothing about where the paper appeared: preprint servers and book series.
_NEUTRAL_VENUE = re.compile(
    r"\barxiv\b|\bcorr\b|biorxiv|medrxiv|chemrxiv|techrxiv|\bssrn\b|social science research network|"
    r"research square|\bpreprints?\b|openreview|lecture notes in|\blncs\b|communications in computer and "
    r"information science|advances in intelligent systems|proceedings of machine learning research|\bpmlr\b"
)


# Preprint servers, by venue name or DOI (bioRxiv/medRxiv DOIs are dated numbers; other 10.1101 DOIs are
# Cold Spring Harbor journals).
_PREPRINT_VENUE = re.compile(
    r"\barxiv\b|\bcorr\b|biorxiv|medrxiv|chemrxiv|techrxiv|\bssrn\b|social science research network|"
    r"research square|\bpreprints?\b|psyarxiv|osf preprints|engrxiv"
)
_PREPRINT_DOI = re.compile(
    r"^10\.(48550|36227|21203|2139|26434|20944|31219|31234|31224|31222|32942)/|^10\.1101/(\d{4}\.\d{2}\.\d{2}\.)?\d{6,}"
)


def is_preprint_record(work: Work) -> bool:
    """True for a preprint: posted-content, or a record from a preprint server (by venue or DOI prefix).

    The one definition of "a preprint": verification, the S2 parser's venue choice and merging's order of
    versions all ask here.
    """
    if work.type in PREPRINT_TYPES:
        return True
    if work.ids.doi and _PREPRINT_DOI.search(work.ids.doi.lower()):
        return True
    return is_preprint_venue(_work_venue_text(work))


@functools.lru_cache(maxsize=4096)  # a list's records share a few hundred venue names; merging asks per sort
def is_preprint_venue(venue: str) -> bool:
    """True for the name of a preprint server (arXiv, bioRxiv, SSRN, …) that is not also a known venue."""
    return bool(venue) and bool(_PREPRINT_VENUE.search(_fold(venue))) and not recognise_venue(venue)


def _fold(text: str) -> str:
    return " ".join(re.sub(r"[^a-z0-9]+", " ", strip_accents(clean_markup(text)).lower()).split())


@functools.lru_cache(maxsize=1 << 16)
def recognise_venue(text: str) -> frozenset[tuple[str, bool]]:
    """The known venues a venue text names, each with whether it is the workshop track (memoised: a long list
    names a few thousand venue texts, each asked of by matching, the catalogue and the page)."""
    folded = _fold(text)
    found = set()
    for venue, patterns in _COMPILED:
        if any(p.search(folded) for p in patterns):
            found.add((venue.name, not venue.workshop_in_name and bool(_WORKSHOP.search(folded))))
    return frozenset(found)


def _work_venue_text(work: Work) -> str:
    return " ; ".join(v for v in (work.venue, work.venue_acronym) if v)


def venue_score(listed: str | None, work: Work) -> float | None:
    """Agreement of the record's venue with a listed venue; None when it cannot be judged."""
    if not listed:
        return None
    wanted = recognise_venue(listed)
    text = _work_venue_text(work)
    if not wanted or not text.strip() or is_preprint_record(work):
        return None
    found = recognise_venue(text)
    if not found and _NEUTRAL_VENUE.search(_fold(text)):
        return None
    if wanted & found:
        return 1.0
    if {name for name, _ in wanted} & {name for name, _ in found}:
        return VENUE_WORKSHOP
    return 0.0


# -- authors -----------------------------------------------------------------------------------------


def _overlap(left: Sequence[frozenset[str]], right: Sequence[frozenset[str]]) -> float | None:
    left = [k for k in left if k]
    right = [k for k in right if k]
    if not left or not right:
        return None
    pool = frozenset().union(*right)
    matched = sum(1 for keys in left if keys & pool)
    return min(1.0, matched / min(len(left), len(right)))


def author_score(listed: Sequence[str], found: Sequence[Author]) -> float | None:
    """Share of listed names whose family name the record has, of the shorter list; None if one is empty."""
    return _overlap([family_keys(n) for n in split_joined(listed)], [author_family_keys(a) for a in found])


# -- identifiers -------------------------------------------------------------------------------------

ARXIV_DOI_PREFIX = "10.48550/arxiv."
ACL_DOI_PREFIX = "10.18653/v1/"
# Crossref relations that join versions of one work (not comments, reviews or supplements).
VERSION_RELATIONS = frozenset({"is-preprint-of", "has-preprint", "is-version-of", "has-version", "is-identical-to"})


def _doi_key(doi: str) -> tuple[str, str]:
    doi = doi.strip().lower()
    if doi.startswith(ARXIV_DOI_PREFIX):
        return "arxiv", re.sub(r"v\d+$", "", doi.removeprefix(ARXIV_DOI_PREFIX))
    return "doi", doi


def _id_map(ids: Ids) -> dict[str, str]:
    """Comparable identifiers: lowercased, arXiv DOIs as arXiv ids, ACL DOIs also as ACL ids."""
    out: dict[str, str] = {}
    if ids.doi:
        kind, value = _doi_key(ids.doi)
        out[kind] = value
        if value.startswith(ACL_DOI_PREFIX):
            out["acl"] = value.removeprefix(ACL_DOI_PREFIX)
    if ids.arxiv:
        out["arxiv"] = re.sub(r"v\d+$", "", ids.arxiv.strip().lower())
    if ids.acl:
        out["acl"] = ids.acl.strip().lower()
    if ids.s2:
        out["s2"] = ids.s2.strip().lower()
    if ids.corpus_id is not None:
        out["corpus"] = str(ids.corpus_id)
    if ids.pmcid:
        out["pmcid"] = ids.pmcid.strip().upper().removeprefix("PMC")
    if ids.pmid:
        out["pmid"] = ids.pmid.strip()
    if ids.dblp:
        out["dblp"] = ids.dblp.strip()
    if ids.ieee:  # a Crossref record's IEEE Xplore resource URL carries it (sources/crossref.py)
        out["ieee"] = ids.ieee.strip().lstrip("0")
    return out


def _related_dois(work: Work) -> frozenset[str]:
    return frozenset(_doi_key(doi)[1] for rel, doi in work.relations if rel in VERSION_RELATIONS)


def _ids_agreement(expected: Ids, work: Work) -> tuple[float | None, str]:
    """Score of the link's identifiers against the record's, and a note naming any contradiction."""
    mine, theirs = _id_map(expected), _id_map(work.ids)
    shared = mine.keys() & theirs.keys()
    clash = _clashes(mine, work)
    agree = shared - clash
    note = _clash_note(mine, theirs, clash)
    if agree and not clash:
        return 1.0, ""
    if agree and clash:
        return 0.5, f"identifiers partly disagree: {note}"
    if clash:
        return 0.0, note
    return None, ""


def _clashes(mine: dict[str, str], work: Work) -> set[str]:
    """The kinds of identifier the record has with another value than the link's (a link DOI that the record
    names as one of its versions does not clash)."""
    theirs = _id_map(work.ids)
    clash = {k for k in mine.keys() & theirs.keys() if mine[k] != theirs[k]}
    if "doi" in clash and mine["doi"] in _related_dois(work):
        clash.discard("doi")
    return clash


def _clash_note(mine: dict[str, str], theirs: dict[str, str], clash: Iterable[str]) -> str:
    return "; ".join(f"{ID_LABELS[k]} {theirs[k]} differs from the link's {mine[k]}" for k in sorted(clash))


def link_contradiction(link: Ids, works: Iterable[Work]) -> str:
    """How the records contradict an identifier the link carries ("IEEE document number 8578560 differs from
    the link's 8894565"), or "" when none does. A link's identifier names one document: a record with another
    identifier of that kind is another document."""
    mine = _id_map(link)
    if not mine:
        return ""
    for work in works:
        clash = _clashes(mine, work)
        if clash:
            return f"{_label(work)}: {_clash_note(mine, _id_map(work.ids), clash)}"
    return ""


def link_ids_for(link: Ids, works: Sequence[Work]) -> Ids:
    """The identifiers taken from a link that belong next to these records: each one that a record carries
    or that no record contradicts. An identifier of the link is the link's, not the found paper's: the IEEE
    number of a journal extension's page must not be published beside the conference paper's DOI."""
    kept = {}
    for name in ID_FIELDS:
        value = getattr(link, name)
        if value is None:
            continue
        mine = _id_map(Ids(**{name: value}))
        if not any(_clashes(mine, work) for work in works):
            kept[name] = value
    return Ids(**kept)


def identity_keys(work: Work) -> frozenset[tuple[str, str]]:
    """The identifiers that make two records the same work: own ids and version-relation DOIs."""
    keys = set(_id_map(work.ids).items())
    keys.update(_doi_key(doi) for rel, doi in work.relations if rel in VERSION_RELATIONS)
    return frozenset(keys)


# -- not the paper -----------------------------------------------------------------------------------

# Two layers: `parse_flags` marks what a Crossref payload says (notice titles, Crossmark update types,
# component / peer-review types) on Work.flags; `is_not_the_paper` reads the flags of any record, then its
# type, DOI and title.

# Notices about another paper: the title says so (Crossref types them as ordinary articles). Only the
# wordings of notices count: "Correction of motion blur" or "Retraction of the tongue" are papers.
_NOTICE_TITLES = (
    (re.compile(r"^corrections?(\s+(to|notice)\b|\s*:|$)"), "correction"),
    (re.compile(r"^(editorial\s+)?expressions?\s+of\s+concern\b"), "correction"),
    (re.compile(r"^(erratum|errata|corrigendum|corrigenda)\b"), "erratum"),
    (re.compile(r"^(retraction|retracted)(\s+(note|notice|statement|to)\b|\s*[:.]|$)"), "retraction"),
    (re.compile(r"^(notice\s+of\s+retraction|\[retracted\])"), "retraction"),
)
# Crossmark update types (update-to[].type) of a notice; new_version / new_edition are not notices.
_UPDATE_FLAGS = {
    "correction": "correction", "addendum": "correction", "clarification": "correction",
    "expression_of_concern": "correction", "erratum": "erratum", "corrigendum": "erratum",
    "retraction": "retraction", "partial_retraction": "retraction", "withdrawal": "retraction",
    "removal": "retraction",
}  # fmt: skip
_SUPPLEMENT_TITLE = re.compile(
    r"^((supplementary|supplemental)\s+(materials?|information|data|files?|figures?|tables?|text|videos?|"
    r"appendix|appendices|notes?)\b|supporting\s+information(\s+(for|to)\b|\s*:|$)|additional\s+file\s+\d+\b)"
)
_FRONT_MATTER_TITLE = re.compile(
    r"^\[?(front\s*matter|back\s*matter|title\s+page|table\s+of\s+contents|contents|preface|foreword|index|"
    r"author\s+index|subject\s+index|editorial\s+board|copyright(\s+(page|notice))?|(front\s+|back\s+)?cover)"
    r"\]?(\s+[ivxlc\d]+)?\s*\.?$"
)


def parse_flags(title: str | None, kind: str | None, update_types: Iterable[str] = ()) -> tuple[str, ...]:
    """Markers of records that are not the paper itself: notices, supplements, front matter, reviews."""
    flags: list[str] = []
    text = (title or "").strip().lower()
    for pattern, flag in _NOTICE_TITLES:
        if pattern.search(text):
            flags.append(flag)
    flags += [_UPDATE_FLAGS[t] for t in update_types if t in _UPDATE_FLAGS]
    if kind == "component" or _SUPPLEMENT_TITLE.search(text):
        flags.append("supplementary")
    if _FRONT_MATTER_TITLE.match(text):
        flags.append("front-matter")
    if kind == "peer-review":
        flags.append("peer-review")
    return tuple(dict.fromkeys(flags))


_FLAG_REASONS = {
    "correction": "correction notice",
    "retraction": "retraction notice",
    "erratum": "erratum",
    "supplementary": "supplementary material",
    "front-matter": "front matter",
    "peer-review": "peer review",
}
_TYPE_REASONS = {"component": "figure/table component", "peer-review": "peer review"}
# Title prefixes of notices and book parts; anchored and specific so that real papers ("Correction of
# Motion Artifacts …", "Indexing Audio …", "Retraction of the Tongue …") are not caught.
_TITLE_REASONS: tuple[tuple[re.Pattern[str], str], ...] = tuple(
    (re.compile(p, re.IGNORECASE), why)
    for p, why in (
        (
            r"^(correction|corrigendum|erratum|addendum)\s+to\b|^(correction|corrigendum|addendum)\s*(:|$)"
            r"|^correction for\b.*\bet al\b",
            "correction notice",
        ),
        (r"^(erratum|errata|corrigend(um|a))\b", "erratum"),
        (
            r"^retraction(\s+(note|notice|statement))?\s*(:|$)|^retraction (note|notice)\b"
            r"|^retracted\b\s*(:|article)|^notice of retraction\b",
            "retraction notice",
        ),
        (r"^expression of concern\b", "expression of concern"),
        (
            r"^(supplementary|supplemental)\b(\s+(material|materials|information|data|file|files|figures?|tables?|"
            r"video|notes?|appendix|text))?\s*(:|$|\bfor\b|\bto\b)",
            "supplementary material",
        ),
        (
            r"[:(–—-]\s*(supplementary|supplemental)\s+(material|materials|information)\)?\s*$",
            "supplementary material",
        ),
        (r"^(front|back)\s*matter\b", "front matter"),
        (r"^table of contents\b|^contents\s*$", "table of contents"),
        (r"^title page\b", "title page"),
        (r"^(preface|foreword)\b", "preface"),
        (r"^((author|subject|keyword)\s+)?index\s*(:|$|of authors\b)", "index"),
        (r"^message from the\b", "front matter"),
    )
)
_COMPONENT_DOI = re.compile(r"\.[gts]\d{3}$")


def is_not_the_paper(work: Work) -> str | None:
    """Why the record is not the paper itself (a notice, a component, front matter, …), or None."""
    for flag in work.flags:
        if flag in _FLAG_REASONS:
            return _FLAG_REASONS[flag]
    if work.type in NOT_A_PAPER_TYPES:
        return _TYPE_REASONS.get(work.type, f"record of type {work.type}")
    if work.ids.doi and _COMPONENT_DOI.search(work.ids.doi.lower()):
        return "figure/table component"
    title = clean_markup(work.title or "")
    for pattern, why in _TITLE_REASONS:
        if pattern.search(title):
            return why
    return None


# -- check -------------------------------------------------------------------------------------------

GENERIC_TITLES = frozenset({"", "pdf", "paper", "link", "arxiv", "code", "project", "project page", "website", "here"})


def _confidence(scores: Sequence[tuple[str, float]]) -> float:
    total = sum(WEIGHTS[name] for name, _ in scores)
    return sum(WEIGHTS[name] * s for name, s in scores) / total if total else 0.0


def check(expect: Expectation, work: Work) -> Check:
    """Verify one record against the list (rules in the module docstring)."""
    return _check(expect, work, YEAR_TOLERANCE)


def _check(expect: Expectation, work: Work, year_slack: int) -> Check:
    why_not = is_not_the_paper(work)
    if why_not:
        return Check(False, 0.0, (), f"not the paper: {why_not}", ("paper",))
    scores: list[tuple[str, float]] = []
    failures: list[tuple[str, str]] = []
    notes: list[str] = []

    matched = _record_title_match(expect.title, work)
    title = matched.score
    scores.append(("title", title))
    if title < TITLE_PASS:
        failures.append(("title", f"title {title:.2f} < {TITLE_PASS:.2f}" if work.title else "record has no title"))

    year = year_score(expect.year, work.year)
    if year is not None:
        scores.append(("year", year))
        if expect.year is not None and work.year is not None and year < 1.0:
            gap = abs(expect.year - work.year)
            (
                failures.append(("year", _year_text(expect, work)))
                if gap > year_slack
                else notes.append(_year_text(expect, work))
            )

    authors = author_score(expect.authors, work.authors)
    if authors is None and expect.authors and not work.authors:
        authors = AUTHORS_UNVERIFIABLE
        notes.append("the record lists no authors")
    elif authors is not None and authors < AUTHOR_MIN_OVERLAP:
        failures.append(("authors", "authors do not overlap"))
    if authors is not None:
        scores.append(("authors", authors))

    ids, ids_note = _ids_agreement(expect.ids, work)
    if ids is not None:
        scores.append(("ids", ids))
        if ids == 0.0:
            failures.append(("ids", ids_note))
        elif ids_note:
            notes.append(ids_note)

    corroborated = (authors is not None and authors >= AUTHOR_CORROBORATION and bool(work.authors)) or bool(ids)
    venue = venue_score(expect.venue, work)
    if venue is not None:
        scores.append(("venue", venue))
        text = f"venue '{_work_venue_text(work)}' vs listed {expect.venue}"
        if venue == 0.0 and not corroborated:
            failures.append(("venue", f"{text}, with no author or identifier evidence"))
        elif venue < 1.0:
            notes.append(text)

    extension = _extension(expect, work, matched, venue, ids)
    if extension:
        failures.append(("extension", extension))
    if not failures and expect.year is None and [name for name, _ in scores] == ["title"]:
        failures.append(("evidence", TITLE_ONLY))
    evidence = tuple(shared((name, round(score, 3))) for name, score in scores)
    if failures:
        return Check(False, 0.0, evidence, "; ".join(text for _, text in failures), tuple(n for n, _ in failures))
    confidence = _confidence(scores)
    if len(_content_words(normalise_title(expect.title))) < SHORT_TITLE_MIN_WORDS and not corroborated:
        confidence = min(confidence, SHORT_TITLE_CAP)
    return Check(True, round(confidence, 3), evidence, "; ".join(notes))


def _year_text(expect: Expectation, work: Work) -> str:
    return f"year {work.year} vs listed {expect.year}"


def _extension(expect: Expectation, work: Work, title: TitleMatch, venue: float | None, ids: float | None) -> str:
    """Why a record that matches only through a subtitle one side lacks is another paper, or "".

    A journal extension ("Title: Analysis and Applications", a year after "Title") is another paper with
    another DOI: a subtitle one side lacks, together with a year or a known venue that disagree, fails. The
    same subtitle difference within the same year and venue is the same paper; an identifier the link shares
    with the record overrides both.
    """
    if title.subtitle is None or title.score < TITLE_PASS or ids == 1.0:
        return ""
    apart = []
    if expect.year is not None and work.year is not None and expect.year != work.year:
        apart.append(_year_text(expect, work))
    if venue == 0.0:
        apart.append(f"venue '{_work_venue_text(work)}' vs listed {expect.venue}")
    if not apart:
        return ""
    adds = "the listed title adds" if title.subtitle_side == "listed" else "the record adds"
    lacks = "the record lacks" if title.subtitle_side == "listed" else "the list lacks"
    return (
        f"{adds} the subtitle '{_short(title.subtitle, 60)}' that {lacks}, and {' and '.join(apart)}: "
        "an extended version is another paper"
    )


# -- choose ------------------------------------------------------------------------------------------


def _label(work: Work) -> str:
    """A short identifier of a record for reasons and candidate lists ("doi:10.…", "arxiv:…", "s2:…")."""
    ids = work.ids
    for prefix, value in (
        ("doi", ids.doi),
        ("arxiv", ids.arxiv),
        ("s2", ids.s2),
        ("acl", ids.acl),
        ("dblp", ids.dblp),
        ("corpus", ids.corpus_id),
    ):
        if value is not None:
            return f"{prefix}:{value}"
    return f"{work.source}:?"


def _short(title: str | None, limit: int = 80) -> str:
    text = clean_markup(title or "")
    return text if len(text) <= limit else text[: limit - 1] + "…"


@dataclass(slots=True)
class _Group:
    """Records of one work: the checks of those accepted, and the rejected members."""

    accepted: list[tuple[Work, Check]]
    rejected: list[tuple[Work, Check]]

    @property
    def best(self) -> tuple[Work, Check]:
        return max(self.accepted, key=lambda wc: wc[1].confidence)

    @property
    def has_doi(self) -> bool:
        return any(_doi_key(w.ids.doi)[0] == "doi" for w, _ in self.accepted if w.ids.doi)

    @property
    def preprint_only(self) -> bool:
        return all(is_preprint_record(w) for w, _ in self.accepted)

    @property
    def confidence(self) -> float:
        by_source: dict[str, float] = {}
        for work, result in self.accepted:
            by_source[work.source] = max(by_source.get(work.source, 0.0), result.confidence)
        best = max(by_source.values())
        if len(by_source) > 1:
            best += (1.0 - best) * AGREEMENT_GAIN
        return round(min(1.0, best), 3)


def _version_rank(pair: tuple[Work, Check]) -> tuple[bool, bool, bool, float]:
    """Sort key, best first: version of record, then with a DOI, then Crossref's record, then confidence."""
    work, result = pair
    real_doi = bool(work.ids.doi) and _doi_key(work.ids.doi or "")[0] == "doi"
    return (
        is_preprint_record(work) or (not real_doi and work.type is None),
        not real_doi,
        work.source != "crossref",
        -result.confidence,
    )


def _components(works: Sequence[Work]) -> list[list[int]]:
    """Indices of the works, grouped by shared identity keys."""
    return connected(identity_keys(work) for work in works)


def _build_group(expect: Expectation, members: Sequence[tuple[Work, Check]]) -> _Group:
    accepted = [(w, c) for w, c in members if c.passed]
    rejected = [(w, c) for w, c in members if not c.passed]
    if accepted:
        # Another version of a work that passed, tied to it by an identifier: a preprint may precede the
        # listed (venue) year and a journal version may follow it by up to PREPRINT_LAG_YEARS.
        keep = []
        for work, result in rejected:
            relaxed = _check(expect, work, PREPRINT_LAG_YEARS) if result.failed == ("year",) else None
            if relaxed is not None and relaxed.passed:
                accepted.append((work, relaxed))
            else:
                keep.append((work, result))
        rejected = keep
    return _Group(accepted, rejected)


def _veto_contradicted(expect: Expectation, works: Sequence[Work], checks: list[Check], members: Sequence[int]) -> None:
    """One record of a work contradicting the link's identifier contradicts the whole work: its other records
    (an S2 record without the IEEE number, say) fail too. Updates `checks` in place."""
    note = link_contradiction(expect.ids, (works[i] for i in members))
    if not note:
        return
    for i in members:
        if checks[i].passed:
            reason = f"another record of this work contradicts the link: {note}"
            checks[i] = Check(False, 0.0, checks[i].evidence, reason, ("ids",))


def _same_work(one: _Group, other: _Group) -> bool:
    """Two passing groups that are one work without a shared identifier: titles agree, authors overlap,
    and at most one has a DOI or one is only a preprint (a preprint server's DOI next to the published one).
    """
    if one.has_doi and other.has_doi and not (one.preprint_only or other.preprint_only):
        return False
    (w1, _), (w2, _) = one.best, other.best
    if title_score(w1.title or "", w2.title or "") < TITLE_PASS:
        return False
    authors = _overlap([author_family_keys(a) for a in w1.authors], [author_family_keys(a) for a in w2.authors])
    return authors is not None and authors >= AUTHOR_MIN_OVERLAP


def _method(works: Iterable[Work]) -> str:
    sources = sorted({w.source for w in works})
    if not sources:
        return "none"
    return "search:both" if len(sources) > 1 else f"search:{sources[0]}"


def choose(expect: Expectation, candidates: Sequence[Work]) -> Choice:
    """Verify every candidate, group them into works, and pick one work or explain why not."""
    candidates = list(dict.fromkeys(candidates))
    if not candidates:
        return Choice(Resolution("unresolved", "none", 0.0, "no candidate found"))
    checks = [check(expect, w) for w in candidates]
    components = _components(candidates)
    for idx in components:
        _veto_contradicted(expect, candidates, checks, idx)
    groups = [_build_group(expect, [(candidates[i], checks[i]) for i in idx]) for idx in components]
    passing = [g for g in groups if g.accepted]
    if not passing:
        return _none_passed(candidates, checks)

    merged: list[_Group] = []
    for group in sorted(passing, key=lambda g: g.has_doi, reverse=True):
        home = next((m for m in merged if _same_work(m, group)), None)
        if home is None:
            merged.append(group)
        else:
            home.accepted.extend(group.accepted)
            home.rejected.extend(group.rejected)
    merged.sort(key=lambda g: g.confidence, reverse=True)
    winner = merged[0]
    kept = {_label(w) for w, _ in winner.accepted}
    losers = [w for w in candidates if _label(w) not in kept]
    notes: list[str] = []
    if len(merged) > 1:
        runner = merged[1]
        if winner.confidence - runner.confidence < AMBIGUITY_MARGIN:
            return _ambiguous(merged, losers)
        rw, _ = runner.best
        notes.append(f"preferred over {_label(rw)} '{_short(rw.title)}' ({runner.confidence:.2f})")

    ranked = sorted(winner.accepted, key=_version_rank)
    chosen, chosen_check = ranked[0]
    if winner.preprint_only and expect.year is not None and all(w.year != expect.year for w, _ in ranked):
        # The listed year is the published version's; a preprint from another year alone may be the same
        # work, but nothing ties it to the listed paper: precision first.
        reason = (
            f"only a preprint passed: {_label(chosen)} '{_short(chosen.title)}' ({chosen.year}), "
            f"not the version listed for {expect.year}"
        )
        labels = tuple(dict.fromkeys(_label(w) for w in candidates))
        return Choice(Resolution("unresolved", _method(w for w, _ in ranked), 0.0, reason, (), labels))
    if chosen_check.reason:
        notes.insert(0, chosen_check.reason)
    resolution = Resolution(
        "resolved",
        _method(w for w, _ in winner.accepted),
        winner.confidence,
        "; ".join(notes),
        chosen_check.evidence,
        tuple(dict.fromkeys(_label(w) for w in losers)),
    )
    return Choice(resolution, chosen, tuple(w for w, _ in ranked[1:]))


def _none_passed(candidates: Sequence[Work], checks: Sequence[Check]) -> Choice:
    def related(result: Check) -> bool:  # another version of the paper: worth naming first
        return "extension" in result.failed and not {"title", "paper"} & set(result.failed)

    def rank(i: int) -> tuple[bool, bool, float, float]:
        title = dict(checks[i].evidence).get("title", 0.0)
        return ("paper" not in checks[i].failed, related(checks[i]), title, -len(checks[i].failed))

    best = max(range(len(candidates)), key=rank)
    work, result = candidates[best], checks[best]
    title = dict(result.evidence).get("title")
    why = result.reason if "title" in result.failed or title is None else f"title {title:.2f}, {result.reason}"
    reason = f"no candidate passed: best was {_label(work)} '{_short(work.title)}', {why}"
    if related(result):  # the listed paper is an extended version of the record, or the other way round
        reason = (
            f"no candidate passed; related but another paper: {_label(work)} '{_short(work.title)}' "
            f"({work.year or '?'}): {result.reason}"
        )
    labels = tuple(dict.fromkeys(_label(w) for w in candidates))
    return Choice(Resolution("unresolved", _method(candidates), 0.0, reason, result.evidence, labels))


def _ambiguous(merged: Sequence[_Group], losers: Sequence[Work]) -> Choice:
    close = [g for g in merged if merged[0].confidence - g.confidence < AMBIGUITY_MARGIN]
    described = " and ".join(
        f"{_label(w)} '{_short(w.title)}' ({w.year or '?'}, {g.confidence:.2f})" for g in close for w in [g.best[0]]
    )
    count = "two" if len(close) == 2 else str(len(close))
    reason = f"ambiguous: {count} different works pass: {described}"
    labels = tuple(dict.fromkeys([*(_label(g.best[0]) for g in close), *(_label(w) for w in losers)]))
    works = [w for g in close for w, _ in g.accepted]
    return Choice(Resolution("unresolved", _method(works), 0.0, reason, (), labels))


# -- confirm -----------------------------------------------------------------------------------------


def confirm(expect: Expectation, work: Work, via: str = "link") -> Choice:
    """Resolve a link to the record its own identifier fetched (method `via`: "link" or "override").

    The identifier is the strongest evidence, so the record is accepted even when the list's title, year
    or authors disagree; each disagreement is recorded in the reason and lowers the confidence. A record
    that is not the paper itself (a correction, a component, …) leaves the link unresolved.
    """
    why_not = is_not_the_paper(work)
    if why_not:
        return Choice(Resolution("unresolved", via, 0.0, f"not the paper: {why_not}", (), (_label(work),)))
    scores: list[tuple[str, float]] = [("ids", 1.0)]
    notes: list[str] = []
    title: float | None = None
    if normalise_title(expect.title) not in GENERIC_TITLES:
        title = _record_title_score(expect.title, work)
        scores.append(("title", title))
        if title < TITLE_PASS:
            notes.append(
                f"title differs from the list: listed '{_short(expect.title)}', record '{_short(work.title)}'"
                f" (title {title:.2f})"
            )
    year = year_score(expect.year, work.year)
    if year is not None:
        scores.append(("year", year))
        if year == 0.0:
            notes.append(_year_text(expect, work))
    authors = author_score(expect.authors, work.authors)
    if authors is not None:
        scores.append(("authors", authors))
        if authors < AUTHOR_MIN_OVERLAP:
            notes.append("authors do not overlap")
    venue = venue_score(expect.venue, work)
    if venue is not None:
        scores.append(("venue", venue))
        if venue < 1.0:
            notes.append(f"venue '{_work_venue_text(work)}' vs listed {expect.venue}")
    confidence = _confidence(scores)
    if title is not None and title < LINK_TITLE_MIN:
        confidence = min(confidence, LINK_TITLE_CAP)
    evidence = tuple(shared((name, round(score, 3))) for name, score in scores)
    return Choice(Resolution("resolved", via, round(confidence, 3), "; ".join(notes), evidence), work)
