"""The value types shared by every stage (pure): Link, Ids, Author, Work, Resolution, Record.

    Link        one distinct link of the input list, exactly as written, with what the list says of it
    Ids         identifiers of a paper (from a link, or from a source's record); ID_KINDS describes each kind
    Work        what one source (Crossref, Semantic Scholar) says about one paper
    Resolution  how sure we are which paper a link is, and why
    Record      what we publish for one link: the merged metadata with per-field provenance

DOIs are stored lowercased; arXiv ids carry no version suffix.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from avenrich.memory import share_texts

Kind = Literal["paper", "dataset"]
Status = Literal["resolved", "unresolved"]

CROSSREF = "crossref"
SEMANTIC_SCHOLAR = "semantic_scholar"
LIST = "list"


@dataclass(frozen=True, slots=True)
class Link:
    """One distinct link of the input, with what the list itself says about the paper.

    `sections` holds one heading path per place the link is listed (duplicates merge here).
    `venue_tag` is the raw tag of the later upstream format (`CVPR-2019` from `**[CVPR-2019]**`).
    `authors` are the names of an `**Authors:**` line (or a BibTeX author field), as written.
    `line` is the 1-based line of the first occurrence; `bibtex` holds an input BibTeX entry's fields.
    """

    url: str
    title: str
    year: int | None = None
    sections: tuple[tuple[str, ...], ...] = ()
    venue_tag: str | None = None
    authors: tuple[str, ...] = ()
    institution: str | None = None
    kind: Kind = "paper"
    line: int | None = None
    bibtex_key: str | None = None
    bibtex: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True, slots=True)
class Ids:
    """Identifiers of one paper. Every field is optional; all are normalised.

    doi: lowercased `10.x/…`; arxiv: `2106.01689` or `hep-th/9901001` (no version);
    s2: Semantic Scholar 40-hex paperId; corpus_id: S2 CorpusId; acl: ACL Anthology id as written
    by the Anthology (`P19-1239`, `2020.acl-main.401`); pmcid: `PMC7098709`; pmid: PubMed id;
    dblp: DBLP key; ieee: IEEE Xplore arnumber; aaai: AAAI OJS article number;
    neurips: proceedings hash (32 hex); openreview: OpenReview forum id;
    cvf: CVF open-access paper stem (`Chung_Lip_Reading_Sentences_CVPR_2017_paper`).
    """

    doi: str | None = None
    arxiv: str | None = None
    s2: str | None = None
    corpus_id: int | None = None
    acl: str | None = None
    pmcid: str | None = None
    pmid: str | None = None
    dblp: str | None = None
    ieee: str | None = None
    aaai: str | None = None
    neurips: str | None = None
    openreview: str | None = None
    cvf: str | None = None

    def is_empty(self) -> bool:
        """True when no identifier is known."""
        return all(getattr(self, name) is None for name in self.__slots__)


@dataclass(frozen=True, slots=True)
class IdKind:
    """One kind of identifier: its Ids field, its short name (in identities and comparisons), how a reason
    names it, and whether it is a paper identity (what citation keys and paper groups are keyed on)."""

    field: str
    name: str
    label: str
    identity: bool


# The one table of identifier kinds, in Ids field order. The identities among them are ranked strongest
# first: a record's first identity is its paper identity (keys.py). Which source takes which kind in its
# lookups is the source's own business (sources/*.py `lookup_keys`).
ID_KINDS: tuple[IdKind, ...] = (
    IdKind("doi", "doi", "DOI", identity=True),
    IdKind("arxiv", "arxiv", "arXiv id", identity=True),
    IdKind("s2", "s2", "S2 paper id", identity=True),
    IdKind("corpus_id", "corpus", "S2 corpus id", identity=True),
    IdKind("acl", "acl", "ACL id", identity=True),
    IdKind("pmcid", "pmcid", "PMC id", identity=True),
    IdKind("pmid", "pmid", "PubMed id", identity=True),
    IdKind("dblp", "dblp", "DBLP key", identity=False),
    IdKind("ieee", "ieee", "IEEE document number", identity=False),
    IdKind("aaai", "aaai", "AAAI article number", identity=False),
    IdKind("neurips", "neurips", "NeurIPS proceedings hash", identity=False),
    IdKind("openreview", "openreview", "OpenReview id", identity=True),
    IdKind("cvf", "cvf", "CVF paper stem", identity=False),
)
ID_FIELDS = tuple(kind.field for kind in ID_KINDS)
ID_LABELS = {kind.name: kind.label for kind in ID_KINDS}


@dataclass(frozen=True, slots=True)
class LinkMatch:
    """What one link's URL tells: which link pattern matched (`host`), the ids, and hints.

    `host` is the name of the matching row of identifiers.PATTERNS ("arxiv", "ieee", "cvf", …, or "other");
    `venue_hint`/`year_hint` come from the path (CVF `content_CVPR_2019`, ISCA `Interspeech_2019`, NeurIPS year).
    """

    host: str
    ids: Ids
    venue_hint: str | None = None
    year_hint: int | None = None


@dataclass(frozen=True, slots=True)
class Author:
    """One author. Organisations carry `literal` instead of given/family."""

    given: str | None = None
    family: str | None = None
    literal: str | None = None
    orcid: str | None = None
    s2_id: str | None = None

    def __post_init__(self) -> None:
        share_texts(self, ("given", "family", "literal", "orcid", "s2_id"))

    @property
    def display(self) -> str:
        """The name as one string, given names first."""
        if self.literal:
            return self.literal
        return " ".join(part for part in (self.given, self.family) if part)


# Work.type uses Crossref's vocabulary (https://api.crossref.org/types); S2 publicationTypes are mapped
# onto it by the S2 parser: Conference -> proceedings-article, JournalArticle -> journal-article,
# BookSection -> book-chapter, Book -> book, Dataset -> dataset, arXiv-only -> posted-content.
# What counts as a preprint (these types, and preprint servers by venue or DOI): matching.is_preprint_record.
PREPRINT_TYPES = frozenset({"posted-content"})
NOT_A_PAPER_TYPES = frozenset(
    {
        "component",
        "peer-review",
        "book-set",
        "book-series",
        "journal",
        "journal-issue",
        "journal-volume",
        "proceedings",
        "proceedings-series",
        "report-series",
        "standard-series",
        "grant",
        "database",
    }
)


_WORK_TEXTS = ("title", "subtitle", "venue", "venue_acronym", "type", "subtype", "publisher", "pages", "volume",
               "issue", "url", "fetched", "counts_fetched")  # fmt: skip


@dataclass(frozen=True, slots=True)
class Work:
    """What one source says about one paper, parsed from its payload.

    `relations` are (relation-name, doi) pairs from Crossref `relation` (`is-preprint-of`, `has-preprint`, …).
    `fetched` is the ISO date (YYYY-MM-DD) the metadata was fetched and `counts_fetched` the date of the
    citation counts (refreshed more often); both are set by the source layer, not the parser.
    `score` is the search engine's own score (unbounded; never a probability) when the work came from a search.
    `flags` are markers the parser saw: "correction", "retraction", "erratum", "supplementary", "front-matter".
    """

    source: str
    ids: Ids
    title: str | None = None
    subtitle: str | None = None
    authors: tuple[Author, ...] = ()
    year: int | None = None
    month: int | None = None
    venue: str | None = None
    venue_acronym: str | None = None
    type: str | None = None
    subtype: str | None = None
    publisher: str | None = None
    pages: str | None = None
    volume: str | None = None
    issue: str | None = None
    citation_count: int | None = None
    influential_citation_count: int | None = None
    url: str | None = None
    relations: tuple[tuple[str, str], ...] = ()
    flags: tuple[str, ...] = ()
    fetched: str | None = None
    counts_fetched: str | None = None
    score: float | None = None

    def __post_init__(self) -> None:
        share_texts(self, _WORK_TEXTS)


@dataclass(frozen=True, slots=True)
class Resolution:
    """How a link was resolved to a paper, how sure we are, and why.

    method: "link" (identifier in the URL, confirmed by a source), "link-unconfirmed" (identifier in the
    URL, no source reachable), "search:crossref", "search:semantic_scholar", "search:both", "override",
    "offline", "none". `evidence` holds one score per check ("title", "year", "venue", "authors", …) in [0, 1].
    `candidates` names the rejected or competing candidates (ids as strings) for the record.
    `checked` is the date (YYYY-MM-DD) a source last verified it; `stale` marks a resolution carried over from
    that date because this run could not re-check it (lastgood.py).
    """

    status: Status
    method: str
    confidence: float
    reason: str = ""
    evidence: tuple[tuple[str, float], ...] = ()
    candidates: tuple[str, ...] = ()
    checked: str | None = None
    stale: bool = False


@dataclass(frozen=True, slots=True)
class Citations:
    """Citation counts, each source kept separately, with the date each was fetched."""

    crossref: int | None = None
    crossref_date: str | None = None
    semantic_scholar: int | None = None
    semantic_scholar_date: str | None = None
    influential: int | None = None


@dataclass(frozen=True, slots=True)
class Record:
    """What we publish for one link: merged metadata, identifiers, counts, resolution and provenance.

    `provenance` maps a field name to (source, fetched-date); source is "crossref", "semantic_scholar"
    or "list". `duplicates` lists the other links of the input that are likely the same paper; `issues` are
    the list-health findings about the link.
    """

    link: Link
    ids: Ids
    resolution: Resolution
    host: str = "other"
    title: str = ""
    authors: tuple[Author, ...] = ()
    year: int | None = None
    month: int | None = None
    venue: str | None = None
    type: str | None = None
    publisher: str | None = None
    pages: str | None = None
    volume: str | None = None
    issue: str | None = None
    citations: Citations = field(default_factory=Citations)
    provenance: tuple[tuple[str, str, str | None], ...] = ()
    duplicates: tuple[str, ...] = ()
    issues: tuple[Finding, ...] = ()
    failed: frozenset[str] = frozenset()  # sources whose failure shaped it this run (resolve's Outcome.failed)


@dataclass(frozen=True, slots=True)
class Finding:
    """One thing the list itself gets wrong about one link (list health; see findings.py).

    `kind` is one of findings.KINDS; `line` the link's line in the input; `listed` what the list says, `found`
    what the verified record says, `fix` the replacement text when a safe one exists (the patch applies it);
    `others` names the other links of a duplicate. A finding's identity across nights is (url, kind).
    """

    kind: str
    url: str
    line: int | None
    message: str
    listed: str | None = None
    found: str | None = None
    fix: str | None = None
    others: tuple[str, ...] = ()
