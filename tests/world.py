"""Test data for the fake Crossref / Semantic Scholar servers: papers, hostile decoys and ground truth (pure).

`build_bundled_world(markdown)` turns a Markdown list into the papers its links point to, surrounds them with
the look-alikes real indexes hold (same-titled preprints, "Correction to:" notices, supplementary components,
same-title papers by other authors, near-miss titles, peer reviews) and records what each link should resolve
to. `generate_list(n, seed)` writes a synthetic list and its world for benchmarks. avenrich is never imported.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import heapq
import math
import re
import unicodedata
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from rapidfuzz import fuzz

ABSENT: Literal["absent"] = "absent"

# ----------------------------------------------------------------------------------------------------
# Records
# ----------------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class FakePaper:
    """One record of the fake indexes. A paper present in both indexes is one record, rendered twice.

    `authors` are (given, family) pairs; given=None marks an organisation named by `family`.
    `doi` keeps the registered case (Crossref shows it lowercased); arXiv-only papers have doi=None and S2
    shows their DataCite DOI 10.48550/arXiv.<id>. `alias_of` marks a DOI that is only an alias: Crossref
    answers 301 to the canonical DOI. `role` is "true" for a paper a link points to, else the decoy kind;
    `of` is the paperId of the true paper a decoy imitates.
    """

    title: str
    year: int | None
    authors: tuple[tuple[str | None, str], ...] = ()
    doi: str | None = None
    arxiv: str | None = None
    acl: str | None = None
    pmcid: str | None = None
    paper_id: str = ""
    corpus_id: int = 0
    month: int | None = None
    venue: str | None = None
    short_venue: str | None = None
    s2_venue: str = ""
    s2_venue_type: str | None = None
    event_name: str | None = None
    event_acronym: str | None = None
    event_location: str | None = None
    type: str = "journal-article"
    subtype: str | None = None
    publisher: str | None = None
    publisher_location: str | None = None
    pages: str | None = None
    volume: str | None = None
    issue: str | None = None
    is_referenced_by_count: int = 0
    citation_count: int = 0
    influential_citation_count: int = 0
    relations: tuple[tuple[str, str], ...] = ()
    in_crossref: bool = True
    in_s2: bool = True
    alias_of: str | None = None
    aliases: tuple[str, ...] = ()
    crossref_title: str | None = None
    s2_doi_upper: bool = False
    dblp: str | None = None
    ieee: str | None = None
    pmid: str | None = None
    landing_url: str | None = None
    update_to: str | None = None
    institution: str | None = None
    role: str = "true"
    of: str | None = None
    venue_key: str | None = None

    @property
    def doi_lower(self) -> str | None:
        """The DOI lowercased (how Crossref shows and compares it)."""
        return self.doi.lower() if self.doi else None

    @property
    def s2_doi(self) -> str | None:
        """The DOI Semantic Scholar lists in externalIds (arXiv DataCite DOI for arXiv-only papers)."""
        if self.doi:
            return self.doi.upper() if self.s2_doi_upper else self.doi
        if self.arxiv and self.type == "posted-content":
            return f"10.48550/arXiv.{self.arxiv}"
        return None


@dataclass(frozen=True, slots=True)
class Expected:
    """What one link must resolve to: DOI (lowercased, the version of record), arXiv id and S2 paperId.

    `doi` is None when the paper has no Crossref DOI; for an arXiv-only paper its DataCite DOI
    (10.48550/arxiv.<id>) is also acceptable (see `doi_ok`). `same_work` lists ids of other versions of the
    same work (a same-titled preprint by the same authors): reporting one of them is a version mistake,
    not a wrong paper. `host` is the link kind, for per-host figures.
    """

    doi: str | None
    arxiv: str | None
    s2: str | None
    host: str = "other"
    same_work: tuple[str, ...] = ()

    def doi_ok(self, doi: str | None) -> bool:
        """True when `doi` (any case) is the expected DOI, or an arXiv-only paper's DataCite DOI."""
        got = doi.lower() if doi else None
        if got == self.doi:
            return True
        return self.doi is None and self.arxiv is not None and got == f"10.48550/arxiv.{self.arxiv}".lower()


Truth = dict[str, Expected | Literal["absent"]]


# ----------------------------------------------------------------------------------------------------
# Search index (token postings for candidate retrieval; fuzzy title score for S2 match)
# ----------------------------------------------------------------------------------------------------

_TOKEN = re.compile(r"[^\W_]+")


def _words(text: str) -> tuple[str, ...]:
    return tuple(text.split())


def _phrases(text: str) -> tuple[str, ...]:
    return tuple(text.split("|"))


_STOP = frozenset(
    _words(
        "a an and are as at be by for from in into is it of on or over the to through towards via vs with "
        "without "
        "using based"
    )
)
_CANDIDATE_CAP = 600


def tokens(text: str) -> list[str]:
    """Lowercase word tokens of a text, accents folded, hyphens and punctuation as separators."""
    low = text.lower()
    if not low.isascii():
        folded = unicodedata.normalize("NFKD", low.replace("°", " deg "))
        low = "".join(ch for ch in folded if not unicodedata.combining(ch))
    return _TOKEN.findall(low)


def fold_title(text: str) -> str:
    """A title folded for fuzzy comparison: markup dropped, tokens joined by single spaces."""
    return " ".join(tokens(re.sub(r"<[^<>]*>", " ", text)))


class TokenIndex:
    """Postings from token to record number over titles, author family names and years."""

    def __init__(self, papers: Sequence[FakePaper]) -> None:
        self.papers = papers
        self.titles: list[str] = []
        self.sets: list[frozenset[str]] = []
        self.postings: dict[str, list[int]] = {}
        for number, paper in enumerate(papers):
            title_tokens = tokens(paper.title)
            self.titles.append(" ".join(title_tokens))
            bag = {t for t in title_tokens if t not in _STOP}
            bag.update(t for _, family in paper.authors for t in tokens(family))
            if paper.year:
                bag.add(str(paper.year))
            self.sets.append(frozenset(bag))
            for token in bag:
                self.postings.setdefault(token, []).append(number)
        self.size = max(len(papers), 1)
        self.idf = {t: math.log(1.0 + self.size / (1 + len(p))) for t, p in self.postings.items()}

    def scores(self, query: Iterable[str]) -> tuple[dict[int, float], int]:
        """Candidates with the idf sum of the query tokens they share, and an estimate of all hits.

        Postings are walked rarest token first until enough candidates are found; the frequent tokens left
        only add to the scores of those candidates, so a query costs about the same on a 100k-record world.
        """
        postings = self.postings
        known = sorted({t for t in query if t in postings and t not in _STOP}, key=lambda t: len(postings[t]))
        total = min(self.size, sum(len(postings[t]) for t in known))
        scores: dict[int, float] = {}
        walked = 0
        for token in known:
            posting = postings[token]
            if len(scores) >= _CANDIDATE_CAP or (scores and len(posting) > 3 * _CANDIDATE_CAP):
                break
            if not scores and len(posting) > 8 * _CANDIDATE_CAP:
                # Only frequent tokens: narrow by intersection, then keep the first records.
                narrowed = set(posting)
                for other in known[walked + 1 :]:
                    both = narrowed.intersection(postings[other])
                    if not both:
                        break
                    narrowed = both
                    if len(narrowed) <= _CANDIDATE_CAP:
                        break
                scores = dict.fromkeys(sorted(narrowed)[:_CANDIDATE_CAP], 0.0)
                walked = 0
                break
            weight = self.idf[token]
            for number in posting:
                scores[number] = scores.get(number, 0.0) + weight
            walked += 1
        rest = known[walked:]
        if rest:
            sets, idf = self.sets, self.idf
            for number in scores:
                bag = sets[number]
                scores[number] += sum(idf[t] for t in rest if t in bag)
        return scores, total

    def ranked(
        self, query: Sequence[str], accept: Callable[[FakePaper], bool], limit: int
    ) -> tuple[list[tuple[float, FakePaper]], int, int]:
        """The best `limit` accepted candidates with their score, best first; how many were accepted; an
        estimate of all hits. Ties go to a hash of the record, never to the true paper, so a same-titled decoy
        may come first."""
        scores, total = self.scores(query)
        papers = self.papers
        accepted = [(score, n) for n, score in scores.items() if score > 0 and accept(papers[n])]
        pool = heapq.nsmallest(max(limit, 50), accepted, key=lambda item: (-item[0], papers[item[1]].paper_id))
        # Like a length-normalised engine, prefer records whose title the query covers (short exact titles).
        wanted = set(query)
        rescored = []
        for score, number in pool:
            words = [t for t in self.titles[number].split() if t not in _STOP] or [""]
            coverage = sum(1 for t in words if t in wanted) / len(words)
            rescored.append((score * (0.6 + 0.4 * coverage), papers[number]))
        rescored.sort(key=lambda item: (-round(item[0], 6), item[1].paper_id))
        return rescored[:limit], len(accepted), max(total, len(accepted))


# ----------------------------------------------------------------------------------------------------
# The world
# ----------------------------------------------------------------------------------------------------


def _s2_keys(paper: FakePaper) -> list[str]:
    keys = [paper.paper_id, f"corpusid:{paper.corpus_id}"]
    if paper.doi:
        keys.append(f"doi:{paper.doi.lower()}")
    if paper.arxiv:
        keys.append(f"arxiv:{paper.arxiv.lower()}")
        keys.append(f"doi:10.48550/arxiv.{paper.arxiv.lower()}")
    if paper.acl:
        keys.append(f"acl:{paper.acl.lower()}")
    if paper.pmcid:
        keys.append(f"pmcid:{paper.pmcid.lower().removeprefix('pmc')}")
    if paper.pmid:
        keys.append(f"pmid:{paper.pmid}")
    return keys


def s2_key(paper_id: str) -> str:
    """The index key of an S2 id as a client writes it (DOI:, ARXIV:, ACL:, PMCID:, CorpusId:, bare DOI)."""
    raw = paper_id.strip()
    prefix, sep, rest = raw.partition(":")
    if sep and prefix.lower() in {"doi", "arxiv", "acl", "pmcid", "corpusid", "pmid", "mag", "url"}:
        name = prefix.lower()
        value = rest.strip().lower()
        if name == "arxiv":
            value = re.sub(r"v\d+$", "", value)
        if name == "pmcid":
            value = value.removeprefix("pmc")
        if name == "url":
            match = re.search(r"arxiv\.org/(?:abs|pdf)/([^?#]+?)(?:v\d+)?(?:\.pdf)?$", value)
            return f"arxiv:{match.group(1)}" if match else f"url:{value}"
        return f"{name}:{value}"
    if raw.lower().startswith("10."):
        return f"doi:{raw.lower()}"
    return raw.lower()


class FakeWorld:
    """The papers both fake services know, with their lookup tables, search indexes and the ground truth.

    `truth` maps each link url to `Expected` ids or "absent"; `link_hosts` maps it to its link kind;
    `links` lists (url, title as listed, year as listed) in list order; `link_classes` maps a link of one of
    the hostile classes (`Special.cls`) to its class; the others are "list".
    """

    def __init__(
        self,
        papers: Iterable[FakePaper],
        truth: Mapping[str, Expected | Literal["absent"]] | None = None,
        *,
        links: Sequence[tuple[str, str, int | None]] = (),
        link_hosts: Mapping[str, str] | None = None,
        link_classes: Mapping[str, str] | None = None,
    ) -> None:
        self.papers: list[FakePaper] = list(papers)
        self.truth: Truth = dict(truth or {})
        self.links = list(links)
        self.link_hosts = dict(link_hosts or {})
        self.link_classes = dict(link_classes or {})
        self.crossref_papers = [p for p in self.papers if p.in_crossref and p.doi and p.alias_of is None]
        self.s2_papers = [p for p in self.papers if p.in_s2 and p.alias_of is None]
        self.crossref_by_doi: dict[str, FakePaper] = {}
        self.crossref_aliases: dict[str, str] = {}
        self.s2_by_key: dict[str, FakePaper] = {}
        for paper in self.crossref_papers:
            key = paper.doi_lower or ""
            if key in self.crossref_by_doi:
                raise ValueError(f"two Crossref records with DOI {key}")
            self.crossref_by_doi[key] = paper
        for paper in self.s2_papers:
            for key in _s2_keys(paper):
                if key in self.s2_by_key:
                    raise ValueError(f"two S2 records with key {key}")
                self.s2_by_key[key] = paper
        for paper in self.papers:
            if paper.alias_of and paper.doi:
                canonical = paper.alias_of.lower()
                self.crossref_aliases[paper.doi.lower()] = canonical
                target = self.s2_by_key.get(f"doi:{canonical}")
                if target is not None:
                    self.s2_by_key.setdefault(f"doi:{paper.doi.lower()}", target)
        self._index: TokenIndex | None = None

    def prepare(self) -> FakeWorld:
        """Build the search index now (it is otherwise built on the first search)."""
        _ = self.index
        return self

    @property
    def index(self) -> TokenIndex:
        """One token index over every record either service holds (most are in both)."""
        if self._index is None:
            self._index = TokenIndex(
                [p for p in self.papers if p.alias_of is None and ((p.in_crossref and p.doi) or p.in_s2)]
            )
        return self._index

    def crossref_get(self, doi: str) -> FakePaper | str | None:
        """The Crossref record of a DOI, the canonical DOI (str) when it is an alias, or None."""
        key = doi.strip().lower()
        if key in self.crossref_aliases:
            return self.crossref_aliases[key]
        return self.crossref_by_doi.get(key)

    def s2_get(self, paper_id: str) -> FakePaper | None:
        """The S2 record for any id form S2 accepts, or None."""
        return self.s2_by_key.get(s2_key(paper_id))

    def crossref_search(
        self, query: str, limit: int = 1000, accept: Callable[[FakePaper], bool] | None = None
    ) -> tuple[list[tuple[float, FakePaper]], int]:
        """The `limit` most relevant Crossref records sharing words with the query, with a Crossref-like
        score, and the total-results figure (an estimate, as Crossref's is)."""

        def wanted(paper: FakePaper) -> bool:
            return _in_crossref(paper) and (accept is None or accept(paper))

        ranked, count, estimate = self.index.ranked(tokens(query), wanted, limit)
        best = [(round(4.0 * score, 5), paper) for score, paper in ranked]
        return best, (estimate if accept is None else count)

    def s2_search(
        self, query: str, limit: int = 1000, accept: Callable[[FakePaper], bool] | None = None
    ) -> tuple[list[FakePaper], int]:
        """The `limit` best S2 records sharing words with the query, and how many share any."""

        def wanted(paper: FakePaper) -> bool:
            return paper.in_s2 and (accept is None or accept(paper))

        ranked, count, _ = self.index.ranked(tokens(query), wanted, limit)
        return [paper for _, paper in ranked], count

    def s2_match(self, query: str, accept: Callable[[FakePaper], bool] | None = None) -> tuple[float, FakePaper] | None:
        """The best fuzzy title match (matchScore, record), or None when nothing is remotely similar.

        `accept` is an optional predicate on records (the year filter). Exact-title ties are broken by
        paperId, not by which record is the true paper.
        """
        index = self.index
        folded = fold_title(query)
        scores, _ = index.scores(tokens(query))
        papers = index.papers
        eligible = [n for n in scores if papers[n].in_s2 and (accept is None or accept(papers[n]))]
        best: tuple[float, str, int] | None = None
        for number in heapq.nlargest(300, eligible, key=scores.__getitem__):
            ratio = fuzz.ratio(folded, index.titles[number])
            if best is None or (ratio, papers[number].paper_id) > (best[0], best[1]):
                best = (ratio, papers[number].paper_id, number)
        if best is None or best[0] < 60.0:
            return None
        words = max(1, len(folded.split()))
        return round(best[0] * (0.45 + 0.11 * words), 5), papers[best[2]]

    def summary(self) -> dict[str, int]:
        """How many records of each role the world holds, and how many links are absent."""
        counts: dict[str, int] = {}
        for paper in self.papers:
            counts[paper.role] = counts.get(paper.role, 0) + 1
        counts["links"] = len(self.truth)
        counts["absent_links"] = sum(1 for value in self.truth.values() if value == ABSENT)
        return counts


World = FakeWorld


def _in_crossref(paper: FakePaper) -> bool:
    return paper.in_crossref and paper.doi is not None


# ----------------------------------------------------------------------------------------------------
# Deterministic helpers
# ----------------------------------------------------------------------------------------------------


def _digest(*parts: object) -> bytes:
    return hashlib.blake2b("\x1f".join(str(part) for part in parts).encode(), digest_size=20).digest()


_MASK = (1 << 64) - 1


class Rng:
    """A small deterministic generator (splitmix64): cheap to seed, unlike random.Random, which matters when
    every one of 100k records gets its own stream."""

    __slots__ = ("state",)

    def __init__(self, seed: int) -> None:
        self.state = seed & _MASK

    def bits(self) -> int:
        """The next 64 random bits."""
        self.state = z = (self.state + 0x9E3779B97F4A7C15) & _MASK
        z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & _MASK
        z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & _MASK
        return z ^ (z >> 31)

    def random(self) -> float:
        """A float in [0, 1)."""
        return (self.bits() >> 11) * (1.0 / 9007199254740992.0)

    def randrange(self, n: int) -> int:
        """An int in [0, n)."""
        return self.bits() % n

    def randint(self, low: int, high: int) -> int:
        """An int in [low, high]."""
        return low + self.bits() % (high - low + 1)

    def choice(self, options: Sequence[Any]) -> Any:
        """One element of a non-empty sequence."""
        return options[self.bits() % len(options)]

    def uniform(self, low: float, high: float) -> float:
        """A float in [low, high)."""
        return low + (high - low) * self.random()

    def paretovariate(self, alpha: float) -> float:
        """A Pareto-distributed float >= 1."""
        return float((1.0 - self.random()) ** (-1.0 / alpha))


def _number(*parts: object, mod: int) -> int:
    return int.from_bytes(_digest(*parts)[:8], "big") % mod


def _ordinal(n: int) -> str:
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


def _key(title: str) -> str:
    return "".join(tokens(title))


GIVEN = _words(
    "Wei Jing Yu Xin Hao Li Ming Yuan Chen Lei Tao Jun Anna Maria Laura Sofia Elena Clara Julia Emma "
    "Olivia David Daniel Michael James Robert Thomas Andrew Peter Paul Mark John Luca Marco Andrea "
    "Giulia Pierre Camille Hugo Jonas Lukas Felix Niklas Hannah Lea Sven Erik Ingrid Astrid Hiroshi "
    "Takeshi Yuki Kenji Haruka Min-Jun Seo-yeon Ji-ho Arjun Priya Rahul Ananya Vikram Omar Layla Yusuf "
    "Amir Sara Noam Tal Ivan Olga Dmitri Katarzyna Tomasz Joao Ana Pedro Lucia Diego Carlos Ruohan Hang "
    "Yapeng Triantafyllos"
)
FAMILY = _words(
    "Zhang Wang Li Liu Chen Yang Huang Zhao Wu Zhou Xu Sun Ma Zhu Hu Guo He Lin Luo Gao Zheng Liang Xie "
    "Tang Han Feng Deng Cao Peng Zeng Xiao Tian Dong Pan Yuan Cai Jiang Yu Du Ye Cheng Wei Su Lu Ding "
    "Ren Shen Yao Smith Johnson Williams Brown Jones Miller Davis Garcia Rodriguez Wilson Martinez "
    "Anderson Taylor Thomas Moore Jackson Martin Lee Thompson White Harris Clark Lewis Robinson Walker "
    "Young Allen King Wright Scott Green Baker Adams Nelson Hill Campbell Mitchell Roberts Carter "
    "Phillips Evans Turner Parker Collins Edwards Stewart Morris Murphy Cook Rogers Morgan Cooper "
    "Peterson Reed Bailey Bell Kelly Howard Ward Cox Richardson Wood Watson Brooks Bennett Gray Hughes "
    "Price Sanders Myers Long Ross Foster Muller Schmidt Schneider Fischer Weber Meyer Wagner Becker "
    "Schulz Hoffmann Koch Richter Klein Wolf Neumann Schwarz Zimmermann Braun Kruger Hofmann Hartmann "
    "Lange Werner Krause Rossi Russo Ferrari Esposito Bianchi Romano Colombo Ricci Marino Greco Bruno "
    "Gallo Conti Costa Giordano Mancini Rizzo Lombardi Moreau Laurent Simon Michel Lefebvre Leroy Roux "
    "David Bertrand Morel Fournier Girard Bonnet Dupont Lambert Fontaine Rousseau Vincent Muller Tanaka "
    "Suzuki Takahashi Watanabe Ito Yamamoto Nakamura Kobayashi Kato Yoshida Yamada Sasaki Kim Park Choi "
    "Jung Kang Cho Yoon Jang Lim Han Shin Singh Kumar Sharma Gupta Patel Reddy Rao Iyer Nair Das Bose "
    "Mukherjee Chatterjee Ahmed Hassan Ali Khan Cohen Levi Mizrahi Ivanov Petrov Smirnov Kuznetsov "
    "Popov Nowak Kowalski Wisniewski Silva Santos Oliveira Souza Pereira Almeida Ferreira Gomez "
    "Fernandez Lopez Sanchez Perez Ramirez Torres Flores Rivera Ortiz Owens Afouras Arandjelovic "
    "Zisserman Tsiami Morgado Vasconcelos Ephrat Kazakos Gemmeke Hershey"
)


def make_authors(rng: Rng, count: int | None = None) -> tuple[tuple[str | None, str], ...]:
    """Made-up author names (given, family), 2 to 6 of them unless `count` is given."""
    bits = rng.bits()
    n = count if count is not None else (2, 3, 3, 4, 4, 5, 6, 3)[bits & 7]
    names: list[tuple[str | None, str]] = []
    while len(names) < n:
        bits = rng.bits()
        name = (GIVEN[bits % len(GIVEN)], FAMILY[(bits >> 20) % len(FAMILY)])
        if name not in names:
            names.append(name)
    return tuple(names)


def _crossref_quirk(title: str, h: int) -> str | None:
    """Some Crossref titles carry JATS <i> markup or a newline with indentation (as recorded samples do)."""
    roll = h % 100
    words = title.split(" ")
    if roll < 8 and words[0].endswith(":"):
        rest = " " + " ".join(words[1:]) if len(words) > 1 else ""
        return f"<i>{words[0][:-1]}</i>:{rest}"
    if roll < 16 and len(words) > 4:
        cut = 2 + (h >> 7) % (len(words) - 3)
        return " ".join(words[:cut]) + "\n            " + " ".join(words[cut:])
    return None


# ----------------------------------------------------------------------------------------------------
# Venues
# ----------------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Venue:
    """How a venue appears in Crossref and S2. `{year}`, `{yy}`, `{nth}` are filled per paper."""

    container: str
    s2: str
    type: str
    publisher: str
    s2_type: str = "conference"
    event: str | None = None
    acronym: str | None = None
    location: str | None = None
    short: str | None = None
    publisher_location: str | None = None
    nth_base: int = 0


_ACL_CONTAINER = "Proceedings of the {nth} Annual Meeting of the Association for Computational\n          Linguistics"
VENUES: dict[str, Venue] = {
    "CVPR": Venue(
        "{year} IEEE/CVF Conference on Computer Vision and Pattern Recognition (CVPR)",
        "Computer Vision and Pattern Recognition",
        "proceedings-article",
        "IEEE",
        event="{year} IEEE/CVF Conference on Computer Vision and Pattern Recognition (CVPR)",
    ),
    "CVPRW": Venue(
        "{year} IEEE/CVF Conference on Computer Vision and Pattern Recognition Workshops (CVPRW)",
        "2019 IEEE/CVF Conference on Computer Vision and Pattern Recognition Workshops (CVPRW)",
        "proceedings-article",
        "IEEE",
    ),
    "ICCV": Venue(
        "{year} IEEE/CVF International Conference on Computer Vision (ICCV)",
        "IEEE International Conference on Computer Vision",
        "proceedings-article",
        "IEEE",
        event="{year} IEEE/CVF International Conference on Computer Vision (ICCV)",
    ),
    "ICCVW": Venue(
        "{year} IEEE International Conference on Computer Vision Workshops (ICCVW)",
        "2017 IEEE International Conference on Computer Vision Workshops (ICCVW)",
        "proceedings-article",
        "IEEE",
    ),
    "WACV": Venue(
        "{year} IEEE/CVF Winter Conference on Applications of Computer Vision (WACV)",
        "IEEE Workshop/Winter Conference on Applications of Computer Vision",
        "proceedings-article",
        "IEEE",
    ),
    "ECCV": Venue(
        "Computer Vision – ECCV {year}",
        "European Conference on Computer Vision",
        "book-chapter",
        "Springer International Publishing",
        event="European Conference on Computer Vision",
        acronym="ECCV",
        publisher_location="Cham",
    ),
    "ECCVW": Venue(
        "Computer Vision – ECCV {year} Workshops",
        "ECCV Workshops",
        "book-chapter",
        "Springer International Publishing",
        event="European Conference on Computer Vision",
        acronym="ECCV",
        publisher_location="Cham",
    ),
    "ACCV": Venue(
        "Computer Vision – ACCV {year}",
        "Asian Conference on Computer Vision",
        "book-chapter",
        "Springer International Publishing",
        event="Asian Conference on Computer Vision",
        acronym="ACCV",
        publisher_location="Cham",
    ),
    "ICASSP": Venue(
        "ICASSP {year} - {year} IEEE International Conference on Acoustics, Speech and Signal Processing (ICASSP)",
        "IEEE International Conference on Acoustics, Speech, and Signal Processing",
        "proceedings-article",
        "IEEE",
        event="ICASSP {year} - {year} IEEE International Conference on Acoustics, Speech and Signal "
        "Processing"
        " (ICASSP)",
    ),
    "ICIP": Venue(
        "{year} IEEE International Conference on Image Processing (ICIP)",
        "International Conference on Information Photonics",
        "proceedings-article",
        "IEEE",
    ),
    "ICME": Venue(
        "{year} IEEE International Conference on Multimedia and Expo (ICME)",
        "IEEE International Conference on Multimedia and Expo",
        "proceedings-article",
        "IEEE",
    ),
    "ISM": Venue(
        "{year} IEEE International Symposium on Multimedia (ISM)",
        "IEEE International Symposium on Multimedia",
        "proceedings-article",
        "IEEE",
    ),
    "IROS": Venue(
        "{year} IEEE/RSJ International Conference on Intelligent Robots and Systems (IROS)",
        "IEEE/RJS International Conference on Intelligent RObots and Systems",
        "proceedings-article",
        "IEEE",
    ),
    "TPAMI": Venue(
        "IEEE Transactions on Pattern Analysis and Machine Intelligence",
        "IEEE Transactions on Pattern Analysis and Machine Intelligence",
        "journal-article",
        "Institute of Electrical and Electronics Engineers (IEEE)",
        s2_type="journal",
        short="IEEE Trans. Pattern Anal. Mach. Intell.",
    ),
    "TMM": Venue(
        "IEEE Transactions on Multimedia",
        "IEEE transactions on multimedia",
        "journal-article",
        "Institute of Electrical and Electronics Engineers (IEEE)",
        s2_type="journal",
        short="IEEE Trans. Multimedia",
    ),
    "TASLP": Venue(
        "IEEE/ACM Transactions on Audio, Speech, and Language Processing",
        "IEEE/ACM Transactions on Audio Speech and Language Processing",
        "journal-article",
        "Institute of Electrical and Electronics Engineers (IEEE)",
        s2_type="journal",
        short="IEEE/ACM Trans. Audio Speech Lang. Process.",
    ),
    "TIP": Venue(
        "IEEE Transactions on Image Processing",
        "IEEE Transactions on Image Processing",
        "journal-article",
        "Institute of Electrical and Electronics Engineers (IEEE)",
        s2_type="journal",
        short="IEEE Trans. on Image Process.",
    ),
    "JSTSP": Venue(
        "IEEE Journal of Selected Topics in Signal Processing",
        "IEEE Journal on Selected Topics in Signal Processing",
        "journal-article",
        "Institute of Electrical and Electronics Engineers (IEEE)",
        s2_type="journal",
        short="IEEE J. Sel. Top. Signal Process.",
    ),
    "ACCESS": Venue(
        "IEEE Access",
        "IEEE Access",
        "journal-article",
        "Institute of Electrical and Electronics Engineers (IEEE)",
        s2_type="journal",
        short="IEEE Access",
    ),
    "TGRS": Venue(
        "IEEE Transactions on Geoscience and Remote Sensing",
        "IEEE Transactions on Geoscience and Remote Sensing",
        "journal-article",
        "Institute of Electrical and Electronics Engineers (IEEE)",
        s2_type="journal",
        short="IEEE Trans. Geosci. Remote Sensing",
    ),
    "MM": Venue(
        "Proceedings of the {nth} ACM International Conference on Multimedia",
        "ACM Multimedia",
        "proceedings-article",
        "ACM",
        event="MM '{yy}: The {nth} ACM International Conference on Multimedia",
        acronym="MM '{yy}",
        publisher_location="New York, NY, USA",
        nth_base=-1992,
    ),
    "MMTW": Venue(
        "Proceedings of the on Thematic Workshops of ACM Multimedia {year}",
        "ACM Multimedia",
        "proceedings-article",
        "ACM",
        event="MM '{yy}: ACM Multimedia Conference",
        acronym="MM '{yy}",
        publisher_location="New York, NY, USA",
    ),
    "ICMI": Venue(
        "Proceedings of the {year} International Conference on Multimodal Interaction",
        "International Conference on Multimodal Interaction",
        "proceedings-article",
        "ACM",
        event="ICMI '{yy}: INTERNATIONAL CONFERENCE ON MULTIMODAL INTERACTION",
        acronym="ICMI '{yy}",
        publisher_location="New York, NY, USA",
    ),
    "IVA": Venue(
        "Proceedings of the {nth} ACM International Conference on Intelligent Virtual Agents",
        "International Conference on Intelligent Virtual Agents",
        "proceedings-article",
        "ACM",
        event="IVA '{yy}: International Conference on Intelligent Virtual Agents",
        acronym="IVA '{yy}",
        publisher_location="New York, NY, USA",
        nth_base=-2000,
    ),
    "TOG": Venue(
        "ACM Transactions on Graphics",
        "ACM Transactions on Graphics",
        "journal-article",
        "Association for Computing Machinery (ACM)",
        s2_type="journal",
        short="ACM Trans. Graph.",
    ),
    "TOMM": Venue(
        "ACM Transactions on Multimedia Computing, Communications, and Applications",
        "ACM Transactions on Multimedia Computing, Communications, and Applications (TOMCCAP)",
        "journal-article",
        "Association for Computing Machinery (ACM)",
        s2_type="journal",
        short="ACM Trans. Multimedia Comput. Commun. Appl.",
    ),
    "IJCV": Venue(
        "International Journal of Computer Vision",
        "International Journal of Computer Vision",
        "journal-article",
        "Springer Science and Business Media LLC",
        s2_type="journal",
        short="Int J Comput Vis",
    ),
    "APIN": Venue(
        "Applied Intelligence",
        "Applied intelligence (Boston)",
        "journal-article",
        "Springer Science and Business Media LLC",
        s2_type="journal",
        short="Appl Intell",
    ),
    "MTAP": Venue(
        "Multimedia Tools and Applications",
        "Multimedia tools and applications",
        "journal-article",
        "Springer Science and Business Media LLC",
        s2_type="journal",
        short="Multimed Tools Appl",
    ),
    "CGF": Venue(
        "Computer Graphics Forum",
        "Computer graphics forum (Print)",
        "journal-article",
        "Wiley",
        s2_type="journal",
        short="Computer Graphics Forum",
    ),
    "NEUCOM": Venue(
        "Neurocomputing",
        "Neurocomputing",
        "journal-article",
        "Elsevier BV",
        s2_type="journal",
        short="Neurocomputing",
    ),
    "SENSORS": Venue(
        "Sensors",
        "Italian National Conference on Sensors",
        "journal-article",
        "MDPI AG",
        s2_type="journal",
        short="Sensors",
    ),
    "AAAI": Venue(
        "Proceedings of the AAAI Conference on Artificial Intelligence",
        "AAAI Conference on Artificial Intelligence",
        "journal-article",
        "Association for the Advancement of Artificial Intelligence (AAAI)",
        short="AAAI",
    ),
    "INTERSPEECH": Venue(
        "Interspeech {year}",
        "Interspeech",
        "proceedings-article",
        "ISCA",
        event="Interspeech {year}",
    ),
    "ACL": Venue(
        _ACL_CONTAINER,
        "Annual Meeting of the Association for Computational Linguistics",
        "proceedings-article",
        "Association for Computational Linguistics",
        event=_ACL_CONTAINER,
        nth_base=-1962,
        publisher_location="Stroudsburg, PA, USA",
    ),
    "EMNLP": Venue(
        "Proceedings of the {year} Conference on Empirical Methods in Natural Language\n          Processing",
        "Conference on Empirical Methods in Natural Language Processing",
        "proceedings-article",
        "Association for Computational Linguistics",
        publisher_location="Stroudsburg, PA, USA",
        event="Proceedings of the {year} Conference on Empirical Methods in Natural Language\n          Processing",
    ),
    "NAACL": Venue(
        "Proceedings of the {year} Conference of the North American Chapter of\n          the Association "
        "for "
        "Computational Linguistics: Human Language\n          Technologies, Volume 1 (Long Papers)",
        "North American Chapter of the Association for Computational Linguistics",
        "proceedings-article",
        "Association for Computational Linguistics",
        publisher_location="Stroudsburg, PA, USA",
    ),
    "ACLWS": Venue(
        "Proceedings of the Workshop on Multimodal Language ({year})",
        "Workshop on Multimodal Language",
        "proceedings-article",
        "Association for Computational Linguistics",
        publisher_location="Stroudsburg, PA, USA",
    ),
    "NEURIPS": Venue("", "Neural Information Processing Systems", "proceedings-article", ""),
    "TECHRXIV": Venue("", "TechRxiv", "posted-content", "Institute of Electrical and Electronics Engineers (IEEE)"),
    "ELIFE": Venue("eLife", "eLife", "peer-review", "eLife Sciences Publications, Ltd"),
}
_IEEE_CODES = {
    ("CVPR", 2020): "CVPR42600",
    ("CVPR", 2021): "CVPR46437",
    ("CVPR", 2022): "CVPR52688",
    ("CVPR", 2023): "CVPR52729",
    ("ICCV", 2021): "ICCV48922",
    ("ICCV", 2023): "ICCV51070",
    ("WACV", 2020): "WACV45572",
    ("WACV", 2021): "WACV48630",
    ("WACV", 2022): "WACV51458",
    ("WACV", 2023): "WACV56688",
    ("ICASSP", 2020): "ICASSP40776",
    ("ICASSP", 2021): "ICASSP39728",
    ("ICASSP", 2022): "ICASSP43922",
    ("ICASSP", 2023): "ICASSP49357",
    ("ICME", 2021): "ICME51207",
    ("ICIP", 2021): "ICIP42928",
    ("IROS", 2020): "IROS45743",
}
_MEMBERS = {
    "10.1109": "263",
    "10.1145": "320",
    "10.1007": "297",
    "10.1111": "311",
    "10.18653": "1643",
    "10.1609": "9382",
    "10.21437": "4745",
    "10.1016": "78",
    "10.3390": "1968",
    "10.36227": "263",
    "10.7554": "4374",
}
_IEEE_POOL = (
    "ICASSP",
    "ICASSP",
    "ICASSP",
    "ICASSP",
    "TMM",
    "TASLP",
    "TPAMI",
    "TIP",
    "JSTSP",
    "ACCESS",
    "ICME",
    "ICIP",
    "ISM",
    "IROS",
)


def _fill(template: str | None, year: int | None, venue: Venue) -> str | None:
    if template is None:
        return None
    y = year or 2020
    return template.format(year=y, yy=f"{y % 100:02d}", nth=_ordinal(max(1, y + venue.nth_base)))


# ----------------------------------------------------------------------------------------------------
# Links of a list
# ----------------------------------------------------------------------------------------------------

_ITEM = re.compile(r"^\s*[*+-]\s+\[(?P<title>[^\]\n]+)\]\((?P<url>[^)\s]+)\)(?:\s*,\s*(?P<year>\d{4}))?")
# The list's own typos, fixed in the index: the index holds the real titles.
INDEX_TITLE_FIXES = (
    ("Makelttalk", "MakeItTalk"),
    ("Audio-V\\visual", "Audio-Visual"),
    ("Audio-Visuav", "Audio-Visual"),
    ("MusicVideo", "Music Video"),
    ("360deg", "360°"),
    ("VISUALECHOES", "VisualEchoes"),
    ("Audioclip: Extending Clip", "AudioCLIP: Extending CLIP"),
    ("Facefilter", "FaceFilter"),
)


@dataclass(frozen=True, slots=True)
class ListedLink:
    """One distinct link of a Markdown list: url, title and year as written."""

    url: str
    title: str
    year: int | None


def parse_list_links(markdown: str) -> list[ListedLink]:
    """The distinct `* [Title](url), year` links of a Markdown list, first occurrence first."""
    seen: dict[str, ListedLink] = {}
    for line in markdown.splitlines():
        match = _ITEM.match(line)
        if match and match.group("url").startswith("http") and match.group("url") not in seen:
            year = match.group("year")
            seen[match.group("url")] = ListedLink(match.group("url"), match.group("title"), int(year) if year else None)
    return list(seen.values())


def index_title(listed: str) -> str:
    """The title as the indexes hold it: the list's known typos fixed."""
    title = listed
    for wrong, right in INDEX_TITLE_FIXES:
        title = title.replace(wrong, right)
    return title.strip()


@dataclass(frozen=True, slots=True)
class LinkInfo:
    """What a link's URL says: its kind and the identifiers or venue hints in it."""

    host: str
    arxiv: str | None = None
    doi: str | None = None
    acl: str | None = None
    pmcid: str | None = None
    ieee: str | None = None
    aaai: int | None = None
    conf: str | None = None
    year: int | None = None
    workshop: bool = False
    isca: str | None = None
    personal: bool = False


_LINK_PATTERNS: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("arxiv", re.compile(r"arxiv\.org/(?:abs|pdf)/(?P<id>\d{4}\.\d{4,5}|[a-z-]+(?:\.[A-Z]{2})?/\d{7})")),
    (
        "cvf",
        re.compile(
            r"openaccess\.thecvf\.com/content(?:_(?P<c1>[A-Za-z]+)_(?P<y1>\d{4})(?P<w1>_workshops)?"
            r"|/(?P<c2>[A-Za-z]+)(?P<y2>\d{4})(?P<w2>W)?)/"
        ),
    ),
    ("ieee", re.compile(r"ieeexplore\.ieee\.org/(?:abstract/)?document/(?P<id>\d+)|arnumber=(?P<id2>\d+)")),
    (
        "acm",
        re.compile(r"dl\.acm\.org/doi/(?:(?:abs|pdf|full|fullHtml|epdf|book)/)?(?P<doi>10\.\d{4,9}/[^?#\s]+)"),
    ),
    (
        "springer",
        re.compile(r"link\.springer\.com/(?:article|chapter|book|content/pdf)/(?P<doi>10\.\d{4,9}/[^?#\s]+)"),
    ),
    (
        "wiley",
        re.compile(r"onlinelibrary\.wiley\.com/doi/(?:(?:abs|full|pdf|epdf)/)?(?P<doi>10\.\d{4,9}/[^?#\s]+)"),
    ),
    ("doi", re.compile(r"doi\.org/(?P<doi>10\.\d{4,9}/[^?#\s]+)")),
    ("neurips", re.compile(r"proceedings\.neurips\.cc/paper(?:_files/paper)?/(?P<year>\d{4})/")),
    ("aaai", re.compile(r"ojs\.aaai\.org/index\.php/AAAI/article/view/(?P<id>\d+)")),
    (
        "acl",
        re.compile(r"(?:aclanthology\.org|aclweb\.org/anthology)/(?P<id>[A-Z]\d{2}-\d{4}|\d{4}\.[a-z0-9-]+\.\d+)"),
    ),
    (
        "isca",
        re.compile(
            r"isca-(?:speech|archive)\.org/archive(?:_v0)?/Interspeech_(?P<year>\d{4})/pdfs/(?P<num>\d+)\.pdf"
            r"|isca-(?:speech|archive)\.org/(?:archive/)?interspeech_(?P<year2>\d{4})/"
        ),
    ),
    (
        "pmc",
        re.compile(r"(?:ncbi\.nlm\.nih\.gov/pmc/articles|pmc\.ncbi\.nlm\.nih\.gov/articles)/(?P<id>PMC\d+)"),
    ),
    ("ecva", re.compile(r"ecva\.net/papers/eccv_(?P<year>\d{4})/")),
)


_HOST_MARKERS = (
    ("arxiv.org", "arxiv"), ("thecvf.com", "cvf"), ("ieeexplore", "ieee"), ("dl.acm.org", "acm"),
    ("springer.com", "springer"), ("wiley.com", "wiley"), ("doi.org", "doi"), ("neurips.cc", "neurips"),
    ("aaai.org", "aaai"), ("aclanthology.org", "acl"), ("aclweb.org", "acl"), ("isca-", "isca"),
    ("nih.gov", "pmc"), ("ecva.net", "ecva"),
)  # fmt: skip


def classify_link(url: str) -> LinkInfo:
    """The kind of a link and what its URL carries (a small table; test data, not the product's patterns)."""
    site = url.split("/", 3)[2] if url.count("/") >= 2 else url
    wanted = {name for marker, name in _HOST_MARKERS if marker in site}
    for host, pattern in _LINK_PATTERNS:
        if host not in wanted:
            continue
        match = pattern.search(url)
        if not match:
            continue
        groups = {k: v for k, v in match.groupdict().items() if v}
        if host == "arxiv":
            return LinkInfo("arxiv", arxiv=groups["id"])
        if host == "cvf":
            conf = (groups.get("c1") or groups.get("c2") or "").upper()
            year = int(groups.get("y1") or groups.get("y2") or 0) or None
            return LinkInfo("cvf", conf=conf, year=year, workshop=bool(groups.get("w1") or groups.get("w2")))
        if host == "ieee":
            return LinkInfo("ieee", ieee=groups.get("id") or groups.get("id2"))
        if host in {"acm", "springer", "wiley", "doi"}:
            return LinkInfo(host, doi=groups["doi"].rstrip("/").removesuffix(".pdf"))
        if host == "neurips":
            return LinkInfo("neurips", year=int(groups["year"]))
        if host == "aaai":
            return LinkInfo("aaai", aaai=int(groups["id"]))
        if host == "acl":
            return LinkInfo("acl", acl=groups["id"])
        if host == "isca":
            year = int(groups.get("year") or groups.get("year2") or 0) or None
            return LinkInfo("isca", year=year, isca=groups.get("num"))
        if host == "pmc":
            return LinkInfo("pmc", pmcid=groups["id"])
        if host == "ecva":
            return LinkInfo("ecva", year=int(groups["year"]))
    personal = any(marker in url for marker in ("drive.google.com", ".github.io", "sites.google.com", "dropbox.com"))
    return LinkInfo("other", personal=personal)


def _acl_sponsored(acl_id: str) -> bool:
    """ACL-sponsored events get 10.18653/v1 DOIs; COLING, LREC and others do not (API-NOTES §5)."""
    if re.fullmatch(r"[A-Z]\d{2}-\d{4}", acl_id):
        return acl_id[0] in "PNEDKWS"
    venue = acl_id.split(".")[1].split("-")[0]
    return venue not in {
        "coling",
        "lrec",
        "ranlp",
        "paclic",
        "rocling",
        "icon",
        "jeptalnrecital",
        "lrec-coling",
    }


def _year_from_link(info: LinkInfo) -> int | None:
    if info.year:
        return info.year
    if info.arxiv and re.match(r"\d{4}\.", info.arxiv):
        return 2000 + int(info.arxiv[:2])
    if info.acl:
        if re.match(r"\d{4}\.", info.acl):
            return int(info.acl[:4])
        return 2000 + int(info.acl[1:3])
    return None


# ----------------------------------------------------------------------------------------------------
# Building a world from a list
# ----------------------------------------------------------------------------------------------------

_NEAR_MISS = {
    "speech": "music",
    "audio": "video",
    "visual": "textual",
    "learning": "training",
    "recognition": "detection",
    "separation": "enhancement",
    "generation": "prediction",
    "network": "model",
    "networks": "models",
    "video": "image",
    "sound": "noise",
    "localization": "tracking",
    "music": "speech",
    "face": "body",
    "dance": "motion",
    "gesture": "posture",
    "navigation": "exploration",
    "dialog": "narration",
    "retrieval": "ranking",
    "emotion": "intent",
    "speaker": "listener",
    "talking": "singing",
    "unsupervised": "supervised",
    "self-supervised": "semi-supervised",
    "deep": "shallow",
    "multi-modal": "bimodal",
    "multimodal": "bimodal",
    "robust": "fragile",
    "segmentation": "detection",
    "spatial": "temporal",
}
_OTHER_JOURNALS = ("MTAP", "NEUCOM", "SENSORS", "ACCESS", "APIN")


@dataclass(slots=True)
class _Builder:
    seed: int
    decoy_share: float
    alias_share: float
    papers: list[FakePaper] = field(default_factory=list)
    used_dois: set[str] = field(default_factory=set)
    used_arxiv: set[str] = field(default_factory=set)
    true_titles: set[str] = field(default_factory=set)
    used_corpus: set[int] = field(default_factory=set)
    venue_cache: dict[tuple[str, int | None], dict[str, Any]] = field(default_factory=dict)

    def rng(self, *parts: object) -> Rng:
        return Rng(int.from_bytes(_digest(self.seed, *parts)[:8], "big"))

    def ids(self, key: str) -> tuple[str, int]:
        digest = _digest("paper", self.seed, key)
        corpus_id = 1_000_000 + int.from_bytes(digest[:6], "big") % 270_000_000
        while corpus_id in self.used_corpus:
            corpus_id += 1
        self.used_corpus.add(corpus_id)
        return digest.hex(), corpus_id

    def claim_doi(self, make: Any, rng: Rng) -> str:
        for _ in range(50):
            doi = str(make(rng))
            if doi.lower() not in self.used_dois:
                self.used_dois.add(doi.lower())
                return doi
        raise RuntimeError("could not find a free DOI")

    def claim_arxiv(self, year: int, rng: Rng) -> str:
        while True:
            yy = max(7, min(year, 2030) - 2000)
            candidate = f"{yy:02d}{rng.randint(1, 12):02d}.{rng.randint(1, 19999):05d}"
            if candidate not in self.used_arxiv:
                self.used_arxiv.add(candidate)
                return candidate

    # -- venue DOIs --------------------------------------------------------------------------------

    def venue_doi(self, venue: str, year: int, rng: Rng, arnumber: str | None = None) -> str:
        def make(r: Rng) -> str:
            code = _IEEE_CODES.get((venue, year), venue)
            if venue in {"CVPR", "ICCV", "WACV", "ICCVW", "CVPRW"}:
                if year <= 2017:
                    return f"10.1109/{code}.{year}.{r.randint(10, 99999)}"
                return f"10.1109/{code}.{year}.{r.randint(1, 99999):05d}"
            if venue in {"ICASSP", "ICIP", "ICME", "ISM", "IROS"}:
                number = arnumber if arnumber and r.random() < 0.9 else str(r.randint(7_000_000, 9_999_999))
                return f"10.1109/{code}.{year}.{number}"
            if venue in {"TPAMI", "TMM", "TASLP", "TIP", "JSTSP", "ACCESS", "TGRS"}:
                return f"10.1109/{venue}.{year - r.choice((0, 0, 1))}.{r.randint(2_900_000, 3_199_999)}"
            if venue in {"ECCV", "ECCVW", "ACCV"}:
                block = {2018: "01", 2020: "58", 2022: "19"}.get(year, f"{r.randint(10, 99)}")
                if venue == "ACCV":
                    block = "69"
                series = "978-3-031" if year >= 2022 else "978-3-030"
                return f"10.1007/{series}-{block}{r.randint(100, 999)}-{r.randint(0, 9)}_{r.randint(1, 60)}"
            if venue in {"MM", "MMTW", "ICMI", "IVA", "TOG"}:
                return f"10.1145/{r.randint(3_000_000, 3_599_999)}.{r.randint(3_000_000, 3_599_999)}"
            if venue == "TOMM":
                return f"10.1145/{r.randint(3_000_000, 3_599_999)}"
            if venue == "INTERSPEECH":
                return f"10.21437/Interspeech.{year}-{r.randint(10, 3999)}"
            if venue in {"IJCV", "MTAP", "APIN"}:
                journal = {"IJCV": "s11263", "MTAP": "s11042", "APIN": "s10489"}[venue]
                check = r.choice("0123456789xyz")
                return f"10.1007/{journal}-0{year % 100:02d}-{r.randint(1000, 99999):05d}-{check}"
            if venue == "NEUCOM":
                return f"10.1016/j.neucom.{year}.{r.randint(1, 12):02d}.{r.randint(1, 150):03d}"
            if venue == "SENSORS":
                return f"10.3390/s{year % 100:02d}{r.randint(10000, 99999)}"
            if venue == "CGF":
                return f"10.1111/cgf.{r.randint(13000, 15999)}"
            if venue == "AAAI":
                return f"10.1609/aaai.v{max(32, year - 1986)}i{r.randint(1, 12)}.{r.randint(5000, 26999)}"
            return f"10.5555/{r.randint(1_000_000, 9_999_999)}"

        return self.claim_doi(make, rng)

    def venue_fields(self, venue_key: str, year: int | None) -> dict[str, Any]:
        cached = self.venue_cache.get((venue_key, year))
        if cached is None:
            cached = self.venue_cache[(venue_key, year)] = self._venue_fields(venue_key, year)
        return dict(cached)

    def _venue_fields(self, venue_key: str, year: int | None) -> dict[str, Any]:
        venue = VENUES[venue_key]
        return {
            "venue_key": venue_key,
            "venue": _fill(venue.container, year, venue) or None,
            "short_venue": venue.short,
            "s2_venue": venue.s2,
            "s2_venue_type": venue.s2_type,
            "event_name": _fill(venue.event, year, venue),
            "event_acronym": _fill(venue.acronym, year, venue),
            "event_location": None,
            "type": venue.type,
            "publisher": venue.publisher or None,
            "publisher_location": venue.publisher_location,
        }

    # -- one paper ---------------------------------------------------------------------------------

    def make(self, key: str, rng: Rng, **values: Any) -> FakePaper:
        """A record; incidental values (counts, month, pages, title quirks) come from its own hash."""
        paper_id, corpus_id = self.ids(key)
        h = int(paper_id[:30], 16)  # 120 bits: independent slices for the incidental fields
        values.setdefault("month", None if h % 13 == 0 else 1 + (h >> 4) % 12)
        age = max(1, 2026 - (values.get("year") or 2020))
        cited = int(((1.0 - ((h >> 8) % 10_000) / 10_000) ** (-1 / 1.3)) * 4 * age)
        values.setdefault("is_referenced_by_count", cited)
        values.setdefault("citation_count", int(cited * (1.0 + 1.5 * ((h >> 22) % 100) / 100)))
        values.setdefault("influential_citation_count", int(cited * 0.15 * ((h >> 29) % 100) / 100))
        values.setdefault("s2_doi_upper", (h >> 36) % 10 < 3)
        if "crossref_title" not in values:
            values["crossref_title"] = _crossref_quirk(values["title"], h >> 40)
        if values.get("type") in {"proceedings-article", "journal-article", "book-chapter"}:
            start = 1 + (h >> 48) % 9000
            values.setdefault("pages", f"{start}-{start + 4 + (h >> 62) % 11}")
        paper = FakePaper(paper_id=paper_id, corpus_id=corpus_id, **values)
        self.papers.append(paper)
        return paper

    def true_paper(self, key: str, title: str, year: int, infos: Sequence[LinkInfo], rng: Rng) -> FakePaper:
        authors = make_authors(rng)
        arxiv = next((info.arxiv for info in infos if info.arxiv), None)
        venue_info = next((info for info in infos if info.host != "arxiv"), None)
        values: dict[str, Any] = {"title": title, "year": year, "authors": authors, "arxiv": arxiv}
        if arxiv:
            self.used_arxiv.add(arxiv)
        family = authors[0][1]
        dblp_year = f"{year % 100:02d}"
        if venue_info is None:
            # An arXiv link: about half have a published version with a DOI (S2 merges it into one record).
            if rng.random() < 0.5:
                venue = rng.choice(("CVPR", "ICCV", "ICASSP", "MM", "TPAMI", "INTERSPEECH", "TMM", "ECCV"))
                pub_year = year + rng.choice((0, 0, 1))
                values.update(self.venue_fields(venue, pub_year))
                values["year"] = pub_year
                values["doi"] = self.venue_doi(venue, pub_year, rng, str(rng.randint(7_000_000, 9_999_999)))
                values["relations"] = (("has-preprint", f"10.48550/arXiv.{arxiv}"),)
                values["dblp"] = f"conf/{venue.lower()}/{family}{dblp_year}"
            else:
                values.update(self.venue_fields("NEURIPS", year))
                values.update(
                    type="posted-content",
                    s2_venue="arXiv.org",
                    venue=None,
                    publisher=None,
                    in_crossref=False,
                    dblp=f"journals/corr/abs-{(arxiv or '').replace('.', '-')}",
                )
            return self.make(key, rng, **values)
        info = venue_info
        host = info.host
        if host == "cvf":
            conf = {"ECCV": "ECCVW" if info.workshop else "ECCV"}.get(info.conf or "CVPR", info.conf or "CVPR")
            if info.workshop and conf in {"ICCV", "CVPR"}:
                conf += "W"
            conf = conf if conf in VENUES else "CVPR"
            values.update(self.venue_fields(conf, year))
            values["doi"] = self.venue_doi(conf, year, rng)
            values["dblp"] = f"conf/{conf.lower()}/{family}{dblp_year}"
            if arxiv is None and rng.random() < 0.3:
                values["arxiv"] = self.claim_arxiv(year - rng.choice((0, 1)), rng)
            if values.get("arxiv"):
                values["relations"] = (("has-preprint", f"10.48550/arXiv.{values['arxiv']}"),)
        elif host == "ieee":
            venue = rng.choice(_IEEE_POOL)
            values.update(self.venue_fields(venue, year))
            values["doi"] = self.venue_doi(venue, year, rng, info.ieee)
            values["ieee"] = info.ieee
            values["landing_url"] = f"http://ieeexplore.ieee.org/document/{info.ieee}/"
        elif host in {"acm", "springer", "wiley", "doi"}:
            doi = info.doi or ""
            venue = _venue_for_doi(doi, year, rng)
            values.update(self.venue_fields(venue, year))
            canonical = doi
            if rng.random() < self.alias_share:
                canonical = f"{doi}.v2"
                alias_id, alias_corpus = self.ids(key + "#alias")
                self.papers.append(
                    FakePaper(
                        title=title,
                        year=year,
                        doi=doi,
                        alias_of=canonical.lower(),
                        in_s2=False,
                        role="alias",
                        paper_id=alias_id,
                        corpus_id=alias_corpus,
                    )
                )
                values["aliases"] = (doi.lower(),)
            self.used_dois.update({doi.lower(), canonical.lower()})
            values["doi"] = canonical
        elif host == "neurips":
            values.update(self.venue_fields("NEURIPS", year))
            values.update(in_crossref=False, venue=None, publisher=None, dblp=f"conf/nips/{family}{dblp_year}")
            if arxiv is None and rng.random() < 0.5:
                values["arxiv"] = self.claim_arxiv(year, rng)
        elif host == "aaai":
            values.update(self.venue_fields("AAAI", year))
            volume = max(32, year - 1986)
            if year == 2019:
                doi = f"10.1609/aaai.v33i01.3301{rng.randint(1000, 9999)}"
            else:
                doi = f"10.1609/aaai.v{volume}i{rng.randint(1, 12 if volume > 32 else 1)}.{info.aaai}"
            self.used_dois.add(doi.lower())
            values.update(doi=doi, volume=str(volume))
        elif host == "acl":
            acl = info.acl or ""
            venue = _acl_venue(acl)
            values.update(self.venue_fields(venue, year))
            values["acl"] = acl
            if _acl_sponsored(acl):
                values["doi"] = f"10.18653/v1/{acl}"
                self.used_dois.add(values["doi"].lower())
                values["s2_doi_upper"] = rng.random() < 0.6
            else:
                values["in_crossref"] = False
        elif host == "isca":
            values.update(self.venue_fields("INTERSPEECH", year))
            doi = f"10.21437/Interspeech.{year}-{info.isca}" if info.isca else self.venue_doi("INTERSPEECH", year, rng)
            self.used_dois.add(doi.lower())
            values["doi"] = doi
        elif host == "pmc":
            values.update(self.venue_fields("NAACL", year))
            values.update(
                doi=self.claim_doi(lambda r: f"10.18653/v1/n{year % 100:02d}-{r.randint(1000, 1300)}", rng),
                pmcid=info.pmcid,
                pmid=str(rng.randint(30_000_000, 36_000_000)),
            )
        elif host == "ecva":
            values.update(self.venue_fields("ECCV", year))
            values["doi"] = self.venue_doi("ECCV", year, rng)
        else:
            # Institutional or personal pages: only S2 knows the paper, without a DOI.
            values.update(self.venue_fields(rng.choice(("INTERSPEECH", "ICASSP")), year))
            values.update(in_crossref=False, dblp=None)
        return self.make(key, rng, **values)

    # -- decoys ------------------------------------------------------------------------------------

    def decoys(self, key: str, true: FakePaper, rng: Rng, *, absent: bool) -> list[FakePaper]:
        if not absent and rng.random() >= self.decoy_share:
            return []
        kinds = [
            kind
            for kind, chance in (
                ("preprint", 0.35),
                ("correction", 0.25),
                ("supplement", 0.25),
                ("other_authors", 0.3),
                ("near_miss", 0.3),
                ("peer_review", 0.15),
            )
            if rng.random() < chance
        ]
        if absent:
            kinds = sorted({*kinds, "near_miss", "other_authors"})
        if not kinds:
            kinds = [rng.choice(("preprint", "correction", "supplement", "other_authors", "near_miss"))]
        made = []
        for kind in kinds:
            decoy = getattr(self, f"decoy_{kind}")(key, true, rng)
            if decoy is not None:
                made.append(decoy)
        return made

    def decoy_preprint(self, key: str, true: FakePaper, rng: Rng) -> FakePaper | None:
        if true.arxiv or true.year is None:
            return None
        year = true.year - 1
        base = {
            "title": true.title,
            "year": year,
            "authors": true.authors,
            "role": "preprint",
            "of": true.paper_id,
        }
        if rng.random() < 0.5:
            arxiv = self.claim_arxiv(year, rng)
            values = {**base, **self.venue_fields("NEURIPS", year)}
            values.update(
                arxiv=arxiv,
                type="posted-content",
                s2_venue="arXiv.org",
                venue=None,
                publisher=None,
                in_crossref=False,
                dblp=f"journals/corr/abs-{arxiv.replace('.', '-')}",
            )
            return self.make(f"{key}#preprint", rng, **values)
        doi = self.claim_doi(lambda r: f"10.36227/techrxiv.{r.randint(10_000_000, 29_999_999)}.v1", rng)
        relations = (("is-preprint-of", true.doi),) if true.doi and rng.random() < 0.5 else ()
        return self.make(
            f"{key}#preprint",
            rng,
            **base,
            **self.venue_fields("TECHRXIV", year),
            doi=doi,
            subtype="preprint",
            institution="TechRxiv",
            relations=relations,
        )

    def decoy_correction(self, key: str, true: FakePaper, rng: Rng) -> FakePaper | None:
        year = (true.year or 2020) + 1
        if rng.random() < 0.6:
            venue = "IJCV" if not true.doi or not true.doi.startswith("10.1109") else "TMM"
            title = f"Correction to: {true.title}"
        else:
            venue = "TMM"
            title = f"Corrections to “{true.title}”"
        return self.make(
            f"{key}#correction",
            rng,
            title=title,
            year=year,
            authors=true.authors,
            **self.venue_fields(venue, year),
            doi=self.venue_doi(venue, year, rng),
            update_to=true.doi if rng.random() < 0.5 else None,
            role="correction",
            of=true.paper_id,
            is_referenced_by_count=0,
            citation_count=0,
            influential_citation_count=0,
            pages=None,
        )

    def decoy_supplement(self, key: str, true: FakePaper, rng: Rng) -> FakePaper:
        same_title = rng.random() < 0.5
        title = true.title if same_title else f"Supplementary material for {true.title}"
        if true.doi:
            doi = self.claim_doi(lambda r: f"{true.doi}.s00{r.randint(1, 4)}", rng)
        else:
            doi = self.claim_doi(lambda r: f"10.1145/{r.randint(3_000_000, 3_599_999)}.{r.randint(1, 9)}.s001", rng)
        year = true.year if rng.random() < 0.6 else None
        return self.make(
            f"{key}#supplement",
            rng,
            title=title,
            year=year,
            authors=(),
            doi=doi,
            type="component",
            venue=None,
            publisher=true.publisher or "ACM",
            in_s2=False,
            role="supplement",
            of=true.paper_id,
            is_referenced_by_count=0,
            month=None,
        )

    def decoy_other_authors(self, key: str, true: FakePaper, rng: Rng) -> FakePaper:
        year = (true.year or 2020) + rng.choice((-4, -3, -2, 2, 3))
        venue = rng.choice(_OTHER_JOURNALS)
        return self.make(
            f"{key}#other",
            rng,
            title=true.title,
            year=year,
            authors=make_authors(rng),
            **self.venue_fields(venue, year),
            doi=self.venue_doi(venue, year, rng),
            role="other_authors",
            of=true.paper_id,
        )

    def decoy_near_miss(self, key: str, true: FakePaper, rng: Rng) -> FakePaper | None:
        words = true.title.split(" ")
        spots = [i for i, w in enumerate(words) if w.lower().strip(":,") in _NEAR_MISS]
        if spots:
            i = rng.choice(spots)
            bare = words[i].strip(":,")
            swap = _NEAR_MISS[bare.lower()]
            swap = swap.capitalize() if bare[:1].isupper() else swap
            words[i] = words[i].replace(bare, swap)
        else:
            i = rng.randrange(len(words))
            words.insert(i + 1, rng.choice(("Improved", "Revisited", "Sparse", "Hierarchical", "Efficient")))
        title = " ".join(words)
        if _key(title) in self.true_titles:
            return None
        year = true.year or 2020
        venue = rng.choice(("ICASSP", "ICME", "MTAP", "ACCESS"))
        return self.make(
            f"{key}#near",
            rng,
            title=title,
            year=year,
            authors=make_authors(rng),
            **self.venue_fields(venue, year),
            doi=self.venue_doi(venue, year, rng),
            role="near_miss",
            of=true.paper_id,
        )

    def decoy_peer_review(self, key: str, true: FakePaper, rng: Rng) -> FakePaper:
        doi = self.claim_doi(lambda r: f"10.7554/elife.{r.randint(50000, 99999)}.sa{r.randint(1, 2)}", rng)
        return self.make(
            f"{key}#review",
            rng,
            title=true.title,
            year=true.year,
            authors=make_authors(rng, 1),
            doi=doi,
            type="peer-review",
            venue=None,
            publisher=VENUES["ELIFE"].publisher,
            in_s2=False,
            role="peer_review",
            of=true.paper_id,
            is_referenced_by_count=0,
        )

    # -- hostile classes (issue 14) ---------------------------------------------------------------

    def special(self, key: str, spec: Special, host: str, rng: Rng) -> Expected | Literal["absent"]:
        """The records of a `Special` entry: the other version the indexes hold (if any), the listed paper (if
        indexed) and the usual decoys around it; its expected ids, or ABSENT."""
        authors = make_authors(rng)
        if spec.related_title is not None and spec.related_year is not None and spec.related_venue:
            self.make(
                f"{key}#related",
                rng,
                title=spec.related_title,
                year=spec.related_year,
                authors=authors,  # an extension keeps its authors: only the title, year and venue tell
                **self.ieee_fields(spec.related_venue, spec.related_year, spec.related_ieee, rng),
                role="related",
            )
        if not spec.present:
            phantom = FakePaper(
                title=spec.index_title, year=spec.index_year, authors=authors, paper_id=self.ids(key)[0]
            )
            self.decoys(key, phantom, rng, absent=True)
            return ABSENT
        values: dict[str, Any] = {"title": spec.index_title, "year": spec.index_year, "authors": authors}
        if spec.in_crossref:
            values.update(self.ieee_fields(spec.venue, spec.index_year, spec.ieee, rng))
        else:  # a paper on a lab's page: S2 knows it, without a DOI
            values.update(self.venue_fields(spec.venue, spec.index_year))
            values.update(in_crossref=False)
        paper = self.make(key, rng, **values)
        self.decoys(key, paper, rng, absent=False)
        return Expected(paper.doi_lower if paper.in_crossref else None, None, paper.paper_id, host=host, same_work=())

    def ieee_fields(self, venue: str, year: int, ieee: str | None, rng: Rng) -> dict[str, Any]:
        """Venue fields and a DOI, with the IEEE Xplore landing page carrying the document number when known."""
        values = self.venue_fields(venue, year)
        values["doi"] = self.venue_doi(venue, year, rng, ieee)
        if ieee:
            values.update(ieee=ieee, landing_url=f"http://ieeexplore.ieee.org/document/{ieee}/")
        return values


def _venue_for_doi(doi: str, year: int, rng: Rng) -> str:
    lower = doi.lower()
    if lower.startswith("10.1145/"):
        suffix = lower.split("/", 1)[1]
        if "." not in suffix:
            return "TOMM"
        proceedings = suffix.split(".")[0]
        known = {
            "3414685": "TOG",
            "3072959": "TOG",
            "3197517": "TOG",
            "3126686": "MMTW",
            "3267851": "IVA",
            "3308532": "IVA",
            "3340555": "ICMI",
            "3382507": "ICMI",
            "3240508": "MM",
            "3474085": "MM",
            "3394171": "MM",
        }
        return known.get(proceedings) or rng.choice(("MM", "MM", "ICMI", "IVA", "TOG"))
    if lower.startswith("10.1007/s11263"):
        return "IJCV"
    if lower.startswith("10.1007/s10489"):
        return "APIN"
    if lower.startswith("10.1007/s"):
        return "MTAP"
    if lower.startswith("10.1007/978-3-030-69"):
        return "ACCV"
    if lower.startswith("10.1007/978"):
        return "ECCV"
    if lower.startswith("10.1111/"):
        return "CGF"
    if lower.startswith("10.1109/"):
        return "ICASSP"
    return str(rng.choice(("NEUCOM", "SENSORS")))


def _acl_venue(acl_id: str) -> str:
    if re.fullmatch(r"[A-Z]\d{2}-\d{4}", acl_id):
        return {"P": "ACL", "D": "EMNLP", "N": "NAACL"}.get(acl_id[0], "ACLWS")
    venue = acl_id.split(".")[1].split("-")[0]
    return {"acl": "ACL", "emnlp": "EMNLP", "naacl": "NAACL", "findings": "EMNLP"}.get(venue, "ACLWS")


_ID_FIELDS = ("doi", "arxiv", "acl", "pmcid", "ieee", "aaai")


@dataclass(frozen=True, slots=True)
class Special:
    """A listed entry of one of the hostile classes, whose index side differs from the list by design.

    `cls` names the class (per-class figures). The indexes hold the listed paper as `index_title`/`index_year`
    at `venue` (unless `present` is False: then it is in no index), and maybe another version of it, the
    related paper (`related_*`: the conference paper of a journal extension). `ieee` / `related_ieee` are IEEE
    document numbers, shown in the Crossref record's resource URL. `in_crossref` False: S2 only.
    """

    cls: str
    index_title: str
    index_year: int
    venue: str
    present: bool = True
    related_title: str | None = None
    related_year: int | None = None
    related_venue: str | None = None
    ieee: str | None = None
    related_ieee: str | None = None
    in_crossref: bool = True


def build_list_world(
    markdown: str,
    *,
    seed: int = 0,
    decoy_share: float = 0.6,
    alias_share: float = 0.05,
    absent_hosts: Iterable[str] = ("personal", "cvf-workshop"),
    specials: Mapping[str, Special] | None = None,
) -> FakeWorld:
    """The world of any Markdown list in the `* [Title](url), year` format, with its ground truth.

    Links sharing a title (after the index's typo fixes) point to one paper. Personal pages and Drive files,
    and CVF workshop papers, are absent from both indexes (with look-alikes around them); other unknown
    hosts (e.g. MERL) are in S2 only. `specials` (by url) are the entries of the hostile classes, built as
    their `Special` says.
    """
    specials = specials or {}
    listed = parse_list_links(markdown)
    builder = _Builder(seed=seed, decoy_share=decoy_share, alias_share=alias_share)
    absent_kinds = set(absent_hosts)
    groups: dict[str, list[tuple[ListedLink, LinkInfo]]] = {}
    titles: dict[str, str] = {}
    owner: dict[str, str] = {}  # identifier in a link -> group key: two links with one DOI are one paper
    for link in listed:
        info = classify_link(link.url)
        idents = [f"{name}:{value}".lower() for name in _ID_FIELDS if (value := getattr(info, name))]
        if info.isca:
            idents.append(f"isca:{info.year}-{info.isca}")
        key = next((owner[i] for i in idents if i in owner), "")
        if not key:
            title = index_title(link.title)
            key = _key(title)
            titles.setdefault(key, title)
        for ident in idents:
            owner.setdefault(ident, key)
        groups.setdefault(key, []).append((link, info))
    builder.true_titles = set(groups)
    # Identifiers written in the links are taken: no decoy may get one of them.
    for group in groups.values():
        for _, info in group:
            if info.doi:
                builder.used_dois.add(info.doi.lower())
            if info.arxiv:
                builder.used_arxiv.add(info.arxiv)
            if info.acl:
                builder.used_dois.add(f"10.18653/v1/{info.acl}".lower())
    truth: Truth = {}
    hosts: dict[str, str] = {}
    classes: dict[str, str] = {}
    for key, group in groups.items():
        infos = [info for _, info in group]
        for link, info in group:
            hosts[link.url] = info.host
            classes[link.url] = specials[link.url].cls if link.url in specials else "list"
        title = titles[key]
        rng = builder.rng(key)
        spec = next((specials[link.url] for link, _ in group if link.url in specials), None)
        if spec is not None:
            expected = builder.special(key, spec, group[0][1].host, rng)
            for link, _ in group:
                truth[link.url] = expected
            continue
        year = next((link.year for link, _ in group if link.year), None) or next(
            (y for y in map(_year_from_link, infos) if y), 2020
        )
        absent = any(
            ("personal" in absent_kinds and info.personal)
            or ("cvf-workshop" in absent_kinds and info.host == "cvf" and info.workshop)
            for info in infos
        )
        if absent:
            phantom = FakePaper(title=title, year=year, authors=make_authors(rng), paper_id=builder.ids(key)[0])
            builder.decoys(key, phantom, rng, absent=True)
            for link, _ in group:
                truth[link.url] = ABSENT
            continue
        paper = builder.true_paper(key, title, year, infos, rng)
        same_work = [
            ident
            for decoy in builder.decoys(key, paper, rng, absent=False)
            if decoy.role == "preprint"
            for ident in (decoy.doi and decoy.doi.lower(), decoy.arxiv, decoy.paper_id)
            if ident
        ]
        expected_doi = paper.doi_lower if paper.in_crossref and paper.doi else None
        for link, info in group:
            truth[link.url] = Expected(
                expected_doi,
                paper.arxiv,
                paper.paper_id if paper.in_s2 else None,
                host=info.host,
                same_work=tuple(same_work),
            )
    links = [(link.url, link.title, link.year) for link in listed]
    return FakeWorld(builder.papers, truth, links=links, link_hosts=hosts, link_classes=classes)


def build_bundled_world(markdown_text: str, *, seed: int = 0) -> FakeWorld:
    """The world of the bundled awesome-audiovisual-learning list (hostile: decoys around ~60% of papers)."""
    return build_list_world(markdown_text, seed=seed, decoy_share=0.6, alias_share=0.05)


def build_sample_world(markdown_text: str, *, seed: int = 0, decoy_share: float = 0.6) -> FakeWorld:
    """The world of a small list (same rules as the bundled one)."""
    return build_list_world(markdown_text, seed=seed, decoy_share=decoy_share)


# ----------------------------------------------------------------------------------------------------
# Generated lists (benchmarks)
# ----------------------------------------------------------------------------------------------------

_ADJ = _words(
    "Robust Self-Supervised Efficient Unsupervised Weakly-Supervised Multimodal Cross-Modal Audio- "
    "Visual Contrastive Hierarchical Adaptive Dynamic Joint Generative Spatio-Temporal Lightweight "
    "Scalable Deep Neural Probabilistic Causal Sparse Explainable Continual Few-Shot Zero-Shot Online "
    "Real-Time End-to-End Disentangled Semantic Grounded Compositional Equivariant Federated Streaming "
    "Interactive Personalized"
)
_TASK = _phrases(
    "Representation Learning|Speech Separation|Sound Localization|Event Localization|Video Parsing|"
    "Talking Face Generation|Lip Reading|Speaker Diarization|Action Recognition|Emotion Recognition|"
    "Music Generation|Dance Synthesis|Gesture Generation|Depth Estimation|Saliency Prediction|Question "
    "Answering|"
    "Scene-Aware Dialog|Source Separation|Speech Enhancement|Sound Generation|Binaural Audio Synthesis|"
    "Video Retrieval|Embodied Navigation|Video Segmentation|Audio Captioning|Speech Recognition|"
    "Person Verification|Deepfake Detection|Audio Tagging|Visual Grounding|Sound Event Detection|"
    "Voice Conversion|Piano Transcription|Foley Synthesis|Active Speaker Detection|Video Summarization"
)
_METHOD = _phrases(
    "Transformers|Graph Networks|Diffusion Models|Masked Autoencoders|Optimal Transport|Memory Networks|"
    "Normalizing Flows|Attention Fusion|Knowledge Distillation|Curriculum Learning|Prototype Networks|"
    "Mixture of Experts|Variational Autoencoders|Contrastive Pretraining|Cycle Consistency|State Space "
    "Models|"
    "Implicit Neural Fields|Hypernetworks|Capsule Networks|Spiking Networks"
)
_OBJECTS = _words(
    "Piano Violin Guitar Drum Cello Flute Trumpet Harp Saxophone Birdsong Traffic Kitchen Footsteps "
    "Rainfall Thunder Engine Siren Applause Laughter Whisper Choir Orchestra Podcast Lecture Meeting "
    "Newscast Sitcom Cartoon Vlog Livestream Surveillance Drone Robot Vehicle Train Airplane Ocean "
    "River Forest Stadium Concert Classroom Hospital Factory Street Market Museum Church Subway "
    "Elevator Office Farm Zoo Aquarium Gym Studio Theater Cinema Library Bakery Garage Harbor Airport "
    "Desert Glacier Volcano Jungle Canyon Cave Beach Island Bridge Tunnel Highway Parking Rooftop "
    "Balcony Garden Playground Carnival Parade Wedding Funeral Festival Debate Interview Sermon Auction "
    "Rehearsal Karaoke Opera Ballet Tango Salsa Flamenco Hiphop Jazz Blues Reggae Techno Gamelan Sitar "
    "Banjo Accordion Bagpipe Marimba Xylophone Tabla Didgeridoo Kalimba Ukulele Mandolin Theremin "
    "Synthesizer Turntable Metronome Clock Doorbell Kettle Blender Vacuum Printer Keyboard Smartphone "
    "Headphones Microphone Loudspeaker Hearing-Aid Earbud Wristband Glasses Helmet"
)


def _syllable_word(i: int) -> str:
    syllables = (
        "ra",
        "vo",
        "ki",
        "lu",
        "me",
        "sa",
        "to",
        "ne",
        "bi",
        "qua",
        "zor",
        "fen",
        "dal",
        "mir",
        "pex",
        "gan",
        "tiv",
        "sol",
        "cor",
        "lex",
        "nu",
        "ha",
        "jo",
        "wy",
    )
    parts = []
    n = i
    for _ in range(4):
        parts.append(syllables[n % len(syllables)])
        n //= len(syllables)
    return "".join(parts).capitalize()


def _make_title(i: int, rng: Rng) -> str:
    adj, task, method, obj = rng.choice(_ADJ), rng.choice(_TASK), rng.choice(_METHOD), rng.choice(_OBJECTS)
    acronym = _syllable_word(i * 7919 + 13)
    template = rng.randrange(6)
    if template == 0:
        return f"{acronym}: {adj} {task} with {method}"
    if template == 1:
        return f"{adj} {task} for {obj} Videos via {method}"
    if template == 2:
        return f"Learning to Hear the {obj}: {adj} {task}"
    if template == 3:
        return f"{acronym}: {task} in {obj} Scenes"
    if template == 4:
        return f"Towards {adj} {task} of {obj} Recordings Using {method}"
    return f"{adj} {method} for {obj} {task}"


_KINDS = (
    ("arxiv", 30),
    ("cvf", 25),
    ("ieee", 20),
    ("doi", 10),
    ("neurips", 5),
    ("aaai", 2),
    ("acl", 2),
    ("isca", 1),
    ("other", 5),
)


def _make_url(kind: str, i: int, title: str, year: int, rng: Rng) -> tuple[str, int]:
    words = "_".join(tokens(title)[:8]).title()
    family = rng.choice(FAMILY)
    if kind == "arxiv":
        yy = min(max(year, 2008), 2025) - 2000
        month = 1 + (rng.randrange(12) + i // 100_000) % 12
        return f"https://arxiv.org/abs/{yy:02d}{month:02d}.{i % 100_000:05d}", year
    if kind == "cvf":
        conf = rng.choice(("CVPR", "CVPR", "ICCV", "WACV", "ECCV"))
        if conf == "ICCV" and year % 2 == 0:
            year += 1
        if conf == "ECCV":
            year = 2018
        if year >= 2021:
            return (
                f"https://openaccess.thecvf.com/content/{conf}{year}/html/{family}_{words}_{conf}_{year}_paper.html",
                year,
            )
        return (
            f"https://openaccess.thecvf.com/content_{conf}_{year}/html/{family}_{words}_{conf}_{year}_paper.html",
            year,
        )
    if kind == "ieee":
        return f"https://ieeexplore.ieee.org/abstract/document/{7_000_000 + i}", year
    if kind == "doi":
        if rng.random() < 0.5:
            return f"https://dl.acm.org/doi/abs/10.1145/{3_000_000 + i % 600_000}.{3_600_000 + i}", year
        return (
            f"https://link.springer.com/article/10.1007/s11042-0{year % 100:02d}-{10_000 + i}-{i % 10}",
            year,
        )
    if kind == "neurips":
        digest = hashlib.md5(title.encode(), usedforsecurity=False).hexdigest()
        return f"https://proceedings.neurips.cc/paper/{year}/hash/{digest}-Abstract.html", year
    if kind == "aaai":
        return f"https://ojs.aaai.org/index.php/AAAI/article/view/{30_000 + i}", max(year, 2020)
    if kind == "acl":
        if year >= 2020 or i >= 9000:
            venue = rng.choice(("acl-main", "emnlp-main", "naacl-main", "coling-main", "lrec-1"))
            return f"https://aclanthology.org/{year}.{venue}.{i}/", year
        letter = rng.choice("PDNCL")
        return f"https://aclanthology.org/{letter}{year % 100:02d}-{1000 + i}/", year
    if kind == "isca":
        return f"https://www.isca-speech.org/archive/Interspeech_{year}/pdfs/{1000 + i}.pdf", year
    roll = rng.random()
    if roll < 0.3:
        return f"https://{family.lower()}{i}.github.io/projects/{words.lower()[:30]}/", year
    if roll < 0.45:
        return f"https://drive.google.com/file/d/{hashlib.sha1(title.encode()).hexdigest()[:28]}/view", year
    if roll < 0.65:
        return f"https://www.ncbi.nlm.nih.gov/pmc/articles/PMC{5_000_000 + i}/", year
    if roll < 0.8:
        return f"https://www.merl.com/publications/docs/TR{year}-{i % 1000:03d}.pdf", year
    return f"https://www.ecva.net/papers/eccv_2020/papers_ECCV/papers/{123000000 + i}.pdf", 2020


def generate_list(
    n: int, seed: int = 0, *, decoy_share: float = 0.3, kinds: Sequence[tuple[str, int]] = _KINDS
) -> tuple[str, FakeWorld]:
    """A synthetic Markdown list of n links across a heading tree (link kinds mixed like the bundled list).

    About 1% of links repeat under a second heading, 1% of titles carry a typo the index fixes, a few
    entries have no year. Returns the Markdown and its world (with ground truth).
    """
    rng = Rng(seed)
    weighted = [kind for kind, weight in kinds for _ in range(weight)]
    used_titles: set[str] = set()
    used_urls: set[str] = set()
    entries: list[str] = []
    for i in range(n):
        title = _make_title(i, rng)
        while _key(title) in used_titles:
            title = f"{title} {rng.choice(_OBJECTS)}"
        used_titles.add(_key(title))
        year = rng.randint(2015, 2023)
        url, year = _make_url(rng.choice(weighted), i, title, year, rng)
        while url in used_urls:
            url += "#v2"
        used_urls.add(url)
        listed = title
        if rng.random() < 0.01 and "Audio-Visual" in listed:
            listed = listed.replace("Audio-Visual", "Audio-V\\visual", 1)
        year_text = "" if rng.random() < 0.005 else f", {year}"
        entries.append(f"* [{listed}]({url}){year_text}")
    lines = ["# generated-list", "", f"A synthetic list of {n} papers (seed {seed}).", ""]
    per_leaf = 25
    for leaf, start in enumerate(range(0, len(entries), per_leaf)):
        area, topic, sub = leaf // 16, (leaf // 4) % 4, leaf % 4
        if leaf % 16 == 0:
            lines += [f"## {_TASK[area % len(_TASK)]} {area // len(_TASK) or ''}".rstrip(), ""]
        if leaf % 4 == 0:
            lines += [f"### {_ADJ[(area + topic) % len(_ADJ)]} Methods", ""]
        lines += [f"#### {_OBJECTS[(leaf * 7) % len(_OBJECTS)]} {sub}", ""]
        chunk = entries[start : start + per_leaf]
        lines += chunk
        if leaf % 8 == 3 and start >= per_leaf:
            lines.append(entries[rng.randrange(start)])
        lines.append("")
    markdown = "\n".join(lines)
    return markdown, build_list_world(markdown, seed=seed, decoy_share=decoy_share)


# ----------------------------------------------------------------------------------------------------
# Hostile classes (issue 14): journal extensions, subtitle variants, dropped symbols, contradicting link ids
# ----------------------------------------------------------------------------------------------------

HOSTILE_CLASSES = (
    "extension-absent",
    "extension-indexed",
    "conference-beside-extension",
    "subtitle-same-year",
    "symbols",
    "link-id-contradicts",
)
_SUBTITLES = _phrases(
    "Analysis and Applications|An Extended Study|Extensions and Further Experiments|Theory and Practice|"
    "A Comprehensive Evaluation|New Benchmarks and Insights|Methods and Benchmarks|Beyond the Single Speaker"
)
_JOURNALS = ("TPAMI", "TMM", "TASLP", "TIP")
# (listed form, index form): the symbol as the list writes it and as an index keeps it (dropped or respelled)
_SYMBOLS = (("360° ", "360 "), ("360° ", "360deg "), ("™", ""), ("®", ""), ("†", ""), ("*", ""), ("🎵 ", ""))


def _plain_title(rng: Rng) -> str:
    """A generated title without a subtitle and with at least four content words."""
    adj, task, method, obj = rng.choice(_ADJ), rng.choice(_TASK), rng.choice(_METHOD), rng.choice(_OBJECTS)
    template = rng.randrange(3)
    if template == 0:
        return f"{adj} {task} for {obj} Videos via {method}"
    if template == 1:
        return f"Towards {adj} {task} of {obj} Recordings Using {method}"
    return f"{adj} {method} for {obj} {task}"


def _with_symbol(title: str, rng: Rng) -> tuple[str, str]:
    """(listed, indexed) forms of a title with a symbol an index drops or respells."""
    listed_mark, index_mark = rng.choice(_SYMBOLS)
    words = title.split(" ")
    if listed_mark.startswith("360"):
        spot = max(1, len(words) - 2)
        return (
            " ".join([*words[:spot], listed_mark.strip(), *words[spot:]]),
            " ".join([*words[:spot], index_mark.strip(), *words[spot:]]),
        )
    if listed_mark.endswith(" "):
        return f"{listed_mark}{title}", title
    spot = rng.randint(1, len(words))
    marked = [w + listed_mark if i == spot - 1 else w for i, w in enumerate(words)]
    return " ".join(marked), title


def hostile_entries(seed: int, per_class: int = 12) -> tuple[str, dict[str, Special]]:
    """A Markdown section of generated entries of the hostile classes, and how the indexes hold each.

    - extension-absent: "Main: Subtitle" listed a year after the conference paper "Main" (an IEEE document
      link, or a lab's page), only the conference paper indexed (with the same authors): must stay unresolved.
    - extension-indexed: the same, with the journal version indexed too: resolves to the journal version.
    - conference-beside-extension: the conference paper listed (CVF link), both versions indexed.
    - subtitle-same-year: the list or the index drops a subtitle, same year: the same paper.
    - symbols: the list writes °, ™, ®, †, *, an emoji; the index drops or respells it.
    - link-id-contradicts: an IEEE link whose document number is not the same-titled indexed paper's (a
      journal version with the conference title, not indexed): must stay unresolved.
    """
    rng = Rng(int.from_bytes(_digest("hostile", seed)[:8], "big"))
    used: set[str] = set()
    lines = ["## Hostile classes", ""]
    specs: dict[str, Special] = {}
    number = 0

    def fresh_title() -> str:
        while True:
            title = _plain_title(rng)
            if _key(title) not in used:
                used.add(_key(title))
                return title

    for cls in HOSTILE_CLASSES:
        lines += [f"### {cls}", ""]
        for i in range(per_class):
            number += 1
            main, sub = fresh_title(), rng.choice(_SUBTITLES)
            year = rng.randint(2016, 2022)
            ieee_n, ieee_m = str(10_100_000 + 4 * number), str(10_100_000 + 4 * number + 1)
            family = rng.choice(FAMILY)
            words = "_".join(tokens(main)[:6]).title()
            ieee_url = f"https://ieeexplore.ieee.org/document/{ieee_n}"
            lab_url = f"https://www.merl.com/publications/docs/TR{year}-{500 + number:03d}.pdf"
            cvf_url = f"https://openaccess.thecvf.com/content_CVPR_{year}/html/{family}_{words}_CVPR_{year}_paper.html"
            kind = ("ieee", "cvf", "lab")[i % 3]
            conf = rng.choice(("CVPR", "ICASSP"))
            journal = rng.choice(_JOURNALS)
            extended = f"{main}: {sub}"
            if cls == "extension-absent":
                url = ieee_url if kind != "lab" else lab_url
                listed, listed_year = extended, year + 1
                spec = Special(cls, extended, year + 1, journal, present=False, related_title=main,
                               related_year=year, related_venue=conf, related_ieee=ieee_m)  # fmt: skip
            elif cls == "extension-indexed":
                url, listed, listed_year = ieee_url, extended, year + 1
                spec = Special(cls, extended, year + 1, journal, ieee=ieee_n, related_title=main,
                               related_year=year, related_venue=conf, related_ieee=ieee_m)  # fmt: skip
            elif cls == "conference-beside-extension":
                url, listed, listed_year = cvf_url, main, year
                spec = Special(cls, main, year, "CVPR", ieee=ieee_m, related_title=extended,
                               related_year=year + 1, related_venue=journal, related_ieee=ieee_n)  # fmt: skip
            elif cls in ("subtitle-same-year", "symbols"):
                if cls == "symbols":
                    listed, indexed = _with_symbol(main, rng)
                else:
                    listed, indexed = (extended, main) if rng.random() < 0.5 else (main, extended)
                listed_year = year
                if kind == "ieee":
                    url, spec = ieee_url, Special(cls, indexed, year, rng.choice(_IEEE_POOL), ieee=ieee_n)
                elif kind == "cvf":
                    url, spec = cvf_url, Special(cls, indexed, year, "CVPR", ieee=ieee_m)
                else:
                    url, spec = lab_url, Special(cls, indexed, year, "INTERSPEECH", in_crossref=False)
            else:  # link-id-contradicts
                url, listed, listed_year = ieee_url, main, year + (i % 2)
                spec = Special(cls, main, year + (i % 2), journal, present=False, related_title=main,
                               related_year=year, related_venue=conf, related_ieee=ieee_m)  # fmt: skip
            specs[url] = spec
            lines.append(f"* [{listed}]({url}), {listed_year}")
        lines.append("")
    return "\n".join(lines), specs


def build_hostile_world(markdown_text: str, *, seed: int = 0, per_class: int = 12) -> tuple[str, FakeWorld]:
    """The bundled-list world with a section of the hostile classes appended: (the list's Markdown, world)."""
    section, specs = hostile_entries(seed, per_class)
    markdown = markdown_text.rstrip("\n") + "\n\n" + section + "\n"
    return markdown, build_list_world(markdown, seed=seed, decoy_share=0.6, alias_share=0.05, specials=specs)


# The link kinds of the list issue 14 measured, findable part: about 60% carry an identifier (arXiv, DOI, ACL, …).
_UPSTREAM_KINDS = (
    ("arxiv", 45),
    ("cvf", 20),
    ("ieee", 10),
    ("doi", 10),
    ("neurips", 5),
    ("aaai", 2),
    ("acl", 3),
    ("isca", 1),
    ("other", 4),
)


def generate_absent_list(n: int, seed: int = 0, *, absent_share: float = 0.4) -> tuple[str, FakeWorld]:
    """A generated list where `absent_share` of the links are in neither index: project pages and CVF workshop
    papers, with no identifier in their links, as in the list issue 14 measured (44% of its links in no index,
    two thirds of all its links without an identifier); the rest drawn like that list's findable links."""
    markdown, _ = generate_list(n, seed, decoy_share=0.3, kinds=_UPSTREAM_KINDS)
    rng = Rng(int.from_bytes(_digest("absent", seed)[:8], "big"))
    entries = list(dict.fromkeys(line for line in markdown.splitlines() if _ITEM.match(line)))
    chosen = {entries[i] for i in _sample(range(len(entries)), round(absent_share * len(entries)), rng)}
    rewritten: dict[str, str] = {}  # a line listed twice (under two headings) is rewritten once
    out: list[str] = []
    for number, line in enumerate(markdown.splitlines()):
        match = _ITEM.match(line)
        if match and line in chosen and line not in rewritten:
            title, year = match.group("title"), int(match.group("year") or 2020)
            slug = "_".join(tokens(title)[:6]).title()
            if rng.random() < 0.5:
                url = f"https://{rng.choice(FAMILY).lower()}{number}.github.io/projects/{slug.lower()[:30]}/"
            else:
                year = min(max(year, 2016), 2020)
                workshop = f"content_CVPR_{year}_workshops/w{1 + number % 40}"
                url = f"https://openaccess.thecvf.com/{workshop}/html/{slug}_CVPR_{year}_paper.html"
            rewritten[line] = f"* [{title}]({url}), {year}"
        out.append(rewritten.get(line, line))
    absent_markdown = "\n".join(out)
    return absent_markdown, build_list_world(absent_markdown, seed=seed, decoy_share=0.3)


def _sample(population: Sequence[int], k: int, rng: Rng) -> list[int]:
    """k distinct members, deterministic in the seed (a partial Fisher–Yates shuffle)."""
    pool = list(population)
    for i in range(min(k, len(pool))):
        j = i + rng.randrange(len(pool) - i)
        pool[i], pool[j] = pool[j], pool[i]
    return pool[:k]


_TAG_NAMES = {"NEURIPS": "NeurIPS", "INTERSPEECH": "Interspeech", "MM": "ACM MM", "MMTW": "ACM MM Workshop",
              "ACLWS": "ACL Workshop", "CVPRW": "CVPR Workshop", "ICCVW": "ICCV Workshop", "ECCVW": "ECCV Workshop",
              "TECHRXIV": "TechRxiv"}  # fmt: skip


def to_paragraph_format(markdown: str, world: FakeWorld) -> str:
    """The same list in the upstream list's later format: `**[VENUE-YEAR]**`, the linked title, then
    `**Authors:**`, joined by `<br>`, one paragraph per entry (venue and authors of the indexed paper; a
    paper in no index gets a year tag and no authors)."""
    by_id = {p.paper_id: p for p in world.papers}
    out: list[str] = []
    for line in markdown.splitlines():
        match = _ITEM.match(line)
        if not match:
            out.append(line)
            continue
        title, url, year = match.group("title"), match.group("url"), match.group("year")
        expected = world.truth.get(url)
        paper = by_id.get(expected.s2 or "") if isinstance(expected, Expected) else None
        if paper is None and isinstance(expected, Expected):
            paper = next((p for p in world.papers if p.doi_lower and p.doi_lower == expected.doi), None)
        tag = year or ""
        if paper is not None and paper.venue_key:
            venue = _TAG_NAMES.get(paper.venue_key, paper.venue_key)
            tag = f"{venue}-{year}" if year else venue
        block = [f"**[{tag}]**", f"[{title}]({url})"] if tag else [f"[{title}]({url})"]
        if paper is not None and paper.authors:
            names = ", ".join(f"{given} {family}" if given else family for given, family in paper.authors)
            block += ["<br>", f"**Authors:** {names}"]
        out += ["", *block, ""]
    return "\n".join(out)


# ----------------------------------------------------------------------------------------------------
# Renderers: payloads shaped like the recorded real ones
# ----------------------------------------------------------------------------------------------------


def _parts(year: int | None, month: int | None = None, day: int | None = None) -> dict[str, Any]:
    if year is None:
        return {"date-parts": [[None]]}
    return {"date-parts": [[x for x in (year, month, day) if x is not None]]}


def _stamp(year: int, month: int, day: int, seconds: int) -> dict[str, Any]:
    moment = dt.datetime(year, month, day, tzinfo=dt.UTC) + dt.timedelta(seconds=seconds)
    return {
        "date-parts": [[moment.year, moment.month, moment.day]],
        "date-time": moment.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "timestamp": int(moment.timestamp() * 1000),
    }


def _crossref_author(paper: FakePaper, number: int, given: str | None, family: str) -> dict[str, Any]:
    sequence = "first" if number == 0 else "additional"
    if given is None:
        return {"name": family, "sequence": sequence, "affiliation": []}
    author: dict[str, Any] = {}
    if _number(paper.paper_id, "orcid", number, mod=4) == 0:
        digits = f"{_number(paper.paper_id, 'orcid-digits', number, mod=10**15):015d}"
        author["ORCID"] = f"http://orcid.org/0000-{digits[:3]}{digits[3]}-{digits[4:8]}-{digits[8:12]}"
        author["authenticated-orcid"] = False
    author.update(given=given, family=family, sequence=sequence, affiliation=[])
    if (paper.year or 0) >= 2021:
        author["role"] = [{"role": "author", "vocabulary": "crossref"}]
    return author


def to_crossref_item(paper: FakePaper, *, score: float = 1) -> dict[str, Any]:
    """The Crossref `message` of a work, keys in the order the real API uses."""
    doi = paper.doi_lower or ""
    prefix = doi.split("/", 1)[0]
    year = paper.year
    month = paper.month
    day = 1 + _number(paper.paper_id, "day", mod=28) if month else None
    created_year = year or 2019
    created = _stamp(created_year, month or 6, day or 15, _number(paper.paper_id, "created", mod=86_400))
    deposited = _stamp(
        min(created_year + 1 + _number(paper.paper_id, "dep", mod=3), 2025),
        3,
        10,
        _number(paper.paper_id, "deposited", mod=86_400),
    )
    item: dict[str, Any] = {
        "indexed": {
            **_stamp(2026, 5, 19, _number(paper.paper_id, "indexed", mod=86_400)),
            "version": "3.51.4",
        },
    }
    if paper.publisher_location:
        item["publisher-location"] = paper.publisher_location
    item["reference-count"] = _number(paper.paper_id, "refs", mod=60) if paper.type != "component" else 0
    item["publisher"] = paper.publisher or "Crossref Test Publisher"
    item["content-domain"] = {"domain": [], "crossmark-restriction": False}
    item["short-container-title"] = [paper.short_venue] if paper.short_venue else []
    if paper.type in {"journal-article", "proceedings-article", "book-chapter"} and year:
        item["published-print"] = _parts(year, month)
    item["DOI"] = doi
    item["type"] = paper.type
    if paper.subtype:
        item["subtype"] = paper.subtype
    item["created"] = created
    if paper.pages:
        item["page"] = paper.pages
    item["source"] = "Crossref"
    item["is-referenced-by-count"] = paper.is_referenced_by_count
    item["title"] = [paper.crossref_title or paper.title] if paper.title else []
    item["prefix"] = prefix
    if paper.volume:
        item["volume"] = paper.volume
    if paper.authors:
        item["author"] = [_crossref_author(paper, i, g, f) for i, (g, f) in enumerate(paper.authors)]
    item["member"] = _MEMBERS.get(prefix, str(1000 + _number(prefix, mod=20000)))
    if paper.type in {"journal-article", "proceedings-article"} and year and month:
        item["published-online"] = _parts(year, month, day)
    if paper.event_name:
        event: dict[str, Any] = {"name": paper.event_name}
        if paper.event_acronym:
            event["acronym"] = paper.event_acronym
        if paper.event_location:
            event["location"] = paper.event_location
        item["event"] = event
    item["container-title"] = [paper.venue] if paper.venue else []
    if paper.type == "book-chapter" and paper.venue:
        item["container-title"].append("Lecture Notes in Computer Science")
    item["original-title"] = []
    landing = paper.landing_url or f"https://example.org/landing/{doi}"
    if paper.ieee:
        full_text = f"http://xplorestaging.ieee.org/ielx7/{paper.ieee}.pdf?arnumber={paper.ieee}"
    else:
        full_text = landing.replace("/landing/", "/pdf/")
    if paper.type != "component":
        item["link"] = [
            {
                "URL": full_text,
                "content-type": "unspecified",
                "content-version": "vor",
                "intended-application": "similarity-checking",
            }
        ]
    item["deposited"] = deposited
    item["score"] = score
    item["resource"] = {"primary": {"URL": landing}}
    item["subtitle"] = []
    item["short-title"] = []
    item["issued"] = _parts(year, month, day)
    item["references-count"] = item["reference-count"]
    item["URL"] = f"https://doi.org/{doi}"
    relation: dict[str, list[dict[str, str]]] = {}
    for name, target in paper.relations:
        asserted = "subject" if name == "is-preprint-of" else "object"
        relation.setdefault(name, []).append({"id-type": "doi", "id": target, "asserted-by": asserted})
    item["relation"] = relation
    if year:
        item["published"] = _parts(year, month, day)
    if paper.type == "posted-content" and year:
        item["posted"] = _parts(year, month, day)
    if paper.institution:
        item["institution"] = [{"name": paper.institution}]
    if paper.update_to:
        item["update-to"] = [
            {
                "updated": _parts(year, month, day),
                "DOI": paper.update_to.lower(),
                "type": "correction",
                "source": "publisher",
                "label": "Correction",
            }
        ]
    if paper.aliases:
        item["aliases"] = list(paper.aliases)
    return item


S2_FIELDS = (
    "paperId",
    "externalIds",
    "corpusId",
    "publicationVenue",
    "url",
    "title",
    "abstract",
    "venue",
    "year",
    "referenceCount",
    "citationCount",
    "influentialCitationCount",
    "isOpenAccess",
    "openAccessPdf",
    "fieldsOfStudy",
    "s2FieldsOfStudy",
    "publicationTypes",
    "publicationDate",
    "journal",
    "citationStyles",
    "authors",
)
S2_EXTRA_FIELDS = ("tldr", "embedding", "citations", "references", "textAvailability")
ARXIV_VENUE = {
    "id": "1901e811-ee72-4b20-8f7e-de08cd395a10",
    "name": "arXiv.org",
    "alternate_names": ["ArXiv"],
    "issn": "2331-8422",
    "url": "https://arxiv.org",
}


def _uuid(*parts: object) -> str:
    h = _digest(*parts).hex()
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:32]}"


def _s2_author_name(paper: FakePaper, number: int, given: str | None, family: str) -> str:
    if given is None:
        return family
    if _number(paper.paper_id, "initial", number, mod=4) == 0:
        return f"{given[0]}. {family}"
    return f"{given} {family}"


def _s2_value(paper: FakePaper, name: str) -> Any:
    arxiv_only = paper.arxiv is not None and paper.type == "posted-content" and not paper.doi
    if name == "paperId":
        return paper.paper_id
    if name == "corpusId":
        return paper.corpus_id
    if name == "externalIds":
        ids: dict[str, Any] = {}
        if paper.dblp:
            ids["DBLP"] = paper.dblp
        if _number(paper.paper_id, "mag", mod=3):
            ids["MAG"] = str(2_000_000_000 + _number(paper.paper_id, "magid", mod=1_500_000_000))
        if paper.arxiv:
            ids["ArXiv"] = paper.arxiv
        if paper.acl:
            ids["ACL"] = paper.acl
        if paper.s2_doi:
            ids["DOI"] = paper.s2_doi
        if paper.pmcid:
            ids["PubMedCentral"] = paper.pmcid.removeprefix("PMC")
        if paper.pmid:
            ids["PubMed"] = paper.pmid
        ids["CorpusId"] = paper.corpus_id
        return ids
    if name == "publicationVenue":
        if arxiv_only:
            return ARXIV_VENUE
        if not paper.s2_venue or _number(paper.paper_id, "pv", mod=5) == 0:
            return None
        return {
            "id": _uuid("venue", paper.s2_venue),
            "name": paper.s2_venue,
            "type": paper.s2_venue_type,
            "alternate_names": [],
            "url": f"https://example.org/venues/{_uuid('venue-url', paper.s2_venue)[:8]}",
        }
    if name == "url":
        return f"https://www.semanticscholar.org/paper/{paper.paper_id}"
    if name == "title":
        return paper.title
    if name == "abstract":
        return None
    if name == "venue":
        return paper.s2_venue
    if name == "year":
        return paper.year
    if name == "referenceCount":
        return _number(paper.paper_id, "refs", mod=60)
    if name == "citationCount":
        return paper.citation_count
    if name == "influentialCitationCount":
        return paper.influential_citation_count
    if name == "isOpenAccess":
        return bool(paper.arxiv)
    if name == "openAccessPdf":
        if paper.arxiv:
            return {"url": f"https://arxiv.org/pdf/{paper.arxiv}", "status": "GREEN", "license": None}
        return {"url": "", "status": None, "license": None}
    if name == "fieldsOfStudy":
        return ["Computer Science"]
    if name == "s2FieldsOfStudy":
        return [
            {"category": "Computer Science", "source": "external"},
            {"category": "Computer Science", "source": "s2-fos-model"},
        ]
    if name == "publicationTypes":
        if arxiv_only:
            return ["JournalArticle"]
        return {
            "proceedings-article": ["Conference"],
            "journal-article": ["JournalArticle"],
            "book-chapter": ["Book", "Conference"],
            "posted-content": None,
        }.get(paper.type)
    if name == "publicationDate":
        if paper.year is None or paper.month is None:
            return None
        return f"{paper.year}-{paper.month:02d}-{1 + _number(paper.paper_id, 'day', mod=28):02d}"
    if name == "journal":
        if arxiv_only:
            return {"name": "ArXiv", "volume": f"abs/{paper.arxiv}"}
        journal: dict[str, Any] = {}
        if paper.s2_venue_type == "journal" and paper.venue:
            journal["name"] = paper.venue
        if paper.volume:
            journal["volume"] = paper.volume
        if paper.pages:
            journal["pages"] = paper.pages.replace("-", " - ")
        return journal or None
    if name == "citationStyles":
        first = paper.authors[0][1] if paper.authors else "None"
        words = [w for w in tokens(paper.title) if w not in _STOP][:2]
        key = f"{first}{paper.year or ''}{''.join(w[:1].upper() + w[1:2] for w in words)}"
        names = " and ".join(_s2_author_name(paper, i, g, f) for i, (g, f) in enumerate(paper.authors))
        lines = [f"@Article{{{key},"]
        if names:
            lines.append(f" author = {{{names}}},")
        if paper.s2_venue:
            lines.append(f" booktitle = {{{paper.s2_venue}}},")
        lines.append(f" title = {{{paper.title}}},")
        if paper.year:
            lines.append(f" year = {{{paper.year}}}")
        return {"bibtex": "\n".join(lines) + "\n}\n"}
    if name == "authors":
        return [
            {
                "authorId": str(1_000_000 + _number(g, f, mod=2_300_000_000)),
                "name": _s2_author_name(paper, i, g, f),
            }
            for i, (g, f) in enumerate(paper.authors)
        ]
    if name in {"citations", "references"}:
        return []
    return None


def to_s2_item(paper: FakePaper, fields: Sequence[str] | None = None) -> dict[str, Any]:
    """An S2 paper object: paperId and the requested fields (default: title), in S2's order."""
    wanted = {f.split(".", 1)[0] for f in (fields or ("title",))}
    names = [n for n in S2_FIELDS if n == "paperId" or n in wanted]
    names += [n for n in S2_EXTRA_FIELDS if n in wanted]
    return {name: _s2_value(paper, name) for name in names}
