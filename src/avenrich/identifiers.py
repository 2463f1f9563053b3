"""Identifiers from links (pure): an ordered table of link patterns, and DOI / arXiv normalisation.

Each row of PATTERNS names a host kind, the hosts it applies to and a regex over the URL's path (plus
`?query`); the first row whose regex matches and whose `to_ids` accepts the match wins. A link never
yields a DOI it does not contain: IEEE, CVF, NeurIPS and AAAI DOIs are left to the lookup stages.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import unquote, urlsplit

from avenrich.model import Ids, LinkMatch

# What a row's to_ids returns: the ids, a venue hint and a year hint; None rejects the match.
Hit = tuple[Ids, str | None, int | None]


@dataclass(frozen=True, slots=True)
class LinkPattern:
    """One row of the link table: `regex` is matched against `path[?query]` of links on `host_suffixes`.

    An empty `host_suffixes` applies to every host. A host matches a suffix when it equals it or ends
    with "." + suffix (so "export.arxiv.org" is an "arxiv.org" host, "notarxiv.org" is not).
    """

    name: str
    host_suffixes: tuple[str, ...]
    regex: re.Pattern[str]
    to_ids: Callable[[re.Match[str]], Hit | None]

    def applies_to(self, host: str) -> bool:
        """True when this row covers links on `host` (lowercase, without port)."""
        if not self.host_suffixes:
            return True
        return any(host == suffix or host.endswith("." + suffix) for suffix in self.host_suffixes)


# --- DOIs ------------------------------------------------------------------------------------------

# Crossref's recommended pattern (catches ~99% of DOIs), plus the looser one it suggests for old Wiley
# DOIs with SICI characters such as `<` and `>`: https://www.crossref.org/blog/dois-and-matching-regular-expressions/
_CROSSREF_DOI = re.compile(r"^10\.\d{4,9}/[-._;()/:a-z0-9]+$")
_OLD_WILEY_DOI = re.compile(r"^10\.1002/\S+$")
_DOI_PREFIX = re.compile(r"^(?:(?:https?://)?(?:www\.)?(?:dx\.)?doi\.org/|urn:doi:|info:doi/|doi:\s*)+", re.IGNORECASE)
_TRAILING_PUNCTUATION = ".,;:'\"/"
# ACM's own placeholder prefix: 10.5555 "DOIs" are not registered with the DOI system and never resolve.
_UNREGISTERED_PREFIXES = ("10.5555/",)


def normalise_doi(text: str) -> str | None:
    """The DOI in `text` in lowercase canonical form, or None when it is not a valid DOI.

    Strips doi.org/dx.doi.org URL prefixes, `doi:`, a query string or fragment, percent-encoding,
    a trailing `.pdf` and trailing punctuation (a closing bracket only when it is unbalanced), then
    validates against Crossref's DOI regex.
    """
    doi = _DOI_PREFIX.sub("", text.strip().lstrip("([{<\"' "))
    doi = re.split(r"[?#\s]", doi, maxsplit=1)[0]
    if "%" in doi:
        doi = unquote(doi)
    while True:
        before = doi
        if doi.lower().endswith(".pdf"):
            doi = doi[:-4]
        doi = doi.rstrip(_TRAILING_PUNCTUATION)
        for opening, closing in ("()", "[]", "<>"):
            if doi.endswith(closing) and doi.count(closing) > doi.count(opening):
                doi = doi[:-1]
        if doi == before:
            break
    doi = doi.lower()
    if _CROSSREF_DOI.match(doi) or _OLD_WILEY_DOI.match(doi):
        return doi
    return None


def _registered_doi(text: str) -> str | None:
    doi = normalise_doi(text)
    if doi is None or doi.startswith(_UNREGISTERED_PREFIXES):
        return None
    return doi


# --- arXiv -----------------------------------------------------------------------------------------

# New scheme YYMM.NNNN (0704-1412) / YYMM.NNNNN (from 1501); old scheme archive(.SUBJ)/YYMMNNN.
_ARXIV_NEW = r"(?P<yymm>\d{4})\.(?P<num>\d{4,5})"
_ARXIV_OLD = r"(?P<archive>[a-z]+(?:-[a-z]+)?)(?P<subject>\.[a-z]{2})?/(?P<oldnum>\d{7})"
_ARXIV_ID = rf"(?:{_ARXIV_NEW}|{_ARXIV_OLD})(?P<version>v\d+)?"
_ARXIV_BARE = re.compile(rf"^(?:arxiv:|10\.48550/arxiv\.)?{_ARXIV_ID}$", re.IGNORECASE)


def _arxiv_from_match(match: re.Match[str]) -> str | None:
    if match.group("yymm"):
        yymm, num = match.group("yymm"), match.group("num")
        # The new scheme began in April 2007 (0704); five-digit numbers from January 2015 (1501) on.
        if not "01" <= yymm[2:] <= "12" or yymm < "0704":
            return None
        if len(num) != (5 if yymm >= "1501" else 4):
            return None
        return f"{yymm}.{num}"
    oldnum = match.group("oldnum")
    if not "01" <= oldnum[2:4] <= "12":
        return None
    subject = (match.group("subject") or "").upper()  # math.GT, cs.AI
    return f"{match.group('archive').lower()}{subject}/{oldnum}"


def normalise_arxiv(text: str) -> str | None:
    """The arXiv id in `text` without version (`2106.01689`, `hep-th/9901001`), or None.

    Accepts a bare id, `arXiv:<id>` and the arXiv DOI form `10.48550/arXiv.<id>`, each with an optional
    `vN`; rejects impossible months and wrong digit counts for the date.
    """
    match = _ARXIV_BARE.match(text.strip())
    return _arxiv_from_match(match) if match else None


# --- ACL Anthology ---------------------------------------------------------------------------------

_ACL_ID = r"(?P<acl>[A-Za-z]\d{2}-\d{4}|\d{4}\.[a-z\d]+(?:-[a-z\d]+)*\.\d+)"
_ACL_OLD = re.compile(r"^([A-Z])(\d{2})-(\d{4})$")
_ACL_NEW = re.compile(r"^(\d{4})\.([a-z\d]+(?:-[a-z\d]+)*)-[a-z\d]+\.\d+$")
# Old-style volume letters of ACL-sponsored events (P ACL, N NAACL, E EACL, D EMNLP, K CoNLL, S SemEval/*SEM,
# W workshops) and the first year their DOIs carry the 10.18653 prefix: in 2015 only EMNLP (D15) used it,
# ACL/NAACL 2015 used 10.3115. Q (TACL) and J (CL) have MIT Press DOIs; C COLING, L LREC and the other
# third-party letters have none. Source: shared API notes section 5 (ACL-INFO, ACL-ISSUES #452/#1841/#2167).
_ACL_DOI_LETTERS = {"P": 16, "N": 16, "E": 16, "D": 15, "K": 16, "S": 16, "W": 16}
# New-style venues run by other organisations, or with publisher DOIs: no 10.18653 DOI to expect.
_ACL_NO_DOI_VENUES = frozenset(
    {
        "coling", "lrec", "tacl", "cl", "paclic", "ranlp", "rocling", "alta", "icon", "jeptalnrecital",
        "mtsummit", "amta", "eamt", "nodalida", "lilt", "ccl", "tal", "ijclclp",
    }
)  # fmt: skip


def canonical_acl_id(acl_id: str) -> str:
    """The Anthology's spelling of an id: old-style letter upper case (`P19-1239`), new-style lower case."""
    if re.match(r"^[A-Za-z]\d{2}-\d{4}$", acl_id):
        return acl_id[0].upper() + acl_id[1:]
    return acl_id.lower()


def acl_doi_candidate(acl_id: str) -> str | None:
    """The 10.18653/v1/<id> DOI the Anthology would assign to `acl_id` (lowercased), or None.

    Only a candidate: DOIs exist for ACL-sponsored events (ACL, NAACL, EACL, EMNLP, AACL, CoNLL,
    SemEval/*SEM and workshops) from 2015/2016 on, and assignment sometimes lags; confirm with Crossref
    before asserting it. COLING, LREC, TACL, CL and other third-party volumes give None.
    """
    acl_id = canonical_acl_id(acl_id.strip())
    if old := _ACL_OLD.match(acl_id):
        first_year = _ACL_DOI_LETTERS.get(old.group(1))
        if first_year is None or int(old.group(2)) < first_year:
            return None
        return f"10.18653/v1/{acl_id}".lower()
    if new := _ACL_NEW.match(acl_id):
        venue = new.group(2)
        if venue in _ACL_NO_DOI_VENUES or venue.split("-")[0] in _ACL_NO_DOI_VENUES:
            return None
        return f"10.18653/v1/{acl_id}"
    return None


# --- rows ------------------------------------------------------------------------------------------


def _year(text: str | None) -> int | None:
    if text is None:
        return None
    year = int(text)
    return year if 1900 <= year <= 2099 else None


def _doi_hit(doi: str | None) -> Hit | None:
    if doi is None:
        return None
    ids = Ids(doi=doi)
    if doi.startswith("10.48550/arxiv."):
        ids = Ids(doi=doi, arxiv=normalise_arxiv(doi))
    elif doi.startswith("10.18653/v1/"):
        ids = Ids(doi=doi, acl=canonical_acl_id(doi.removeprefix("10.18653/v1/")))
    return ids, None, None


def _doi_org(match: re.Match[str]) -> Hit | None:
    return _doi_hit(normalise_doi(match.group("doi")))


def _doi_in_path(match: re.Match[str]) -> Hit | None:
    # Atypon-style pages may append a view name after the DOI (old Wiley `.../abstract`, `.../full`).
    doi = re.sub(r"/(?:abstract|full|pdf|epdf|references|citedby)/?$", "", match.group("doi"))
    return _doi_hit(_registered_doi(doi))


def _acm(match: re.Match[str]) -> Hit | None:
    # A 10.5555 placeholder still marks an ACM paper page: the row matches, with no DOI.
    doi = normalise_doi(match.group("doi"))
    if doi is None:
        return None
    return _doi_hit(doi) if not doi.startswith(_UNREGISTERED_PREFIXES) else (Ids(), None, None)


def _arxiv(match: re.Match[str]) -> Hit | None:
    arxiv = _arxiv_from_match(match)
    return (Ids(arxiv=arxiv), None, None) if arxiv else None


def _acl(match: re.Match[str]) -> Hit | None:
    return Ids(acl=canonical_acl_id(match.group("acl"))), None, None


def _isca_numbered(match: re.Match[str]) -> Hit | None:
    year, number = _year(match.group("year")), int(match.group("number"))
    if year is None or number == 0:
        return None
    return Ids(doi=f"10.21437/interspeech.{year}-{number}"), "Interspeech", year


def _isca_named(match: re.Match[str]) -> Hit | None:
    year = _year(match.group("year"))
    return (Ids(), "Interspeech", year) if year else None


def _pmc(match: re.Match[str]) -> Hit | None:
    return Ids(pmcid="PMC" + match.group("pmc")), None, None


def _aaai(match: re.Match[str]) -> Hit | None:
    return Ids(aaai=match.group("article")), "AAAI", None


def _ieee(match: re.Match[str]) -> Hit | None:
    return Ids(ieee=match.group("arnumber")), None, None


_CVF_VENUES = frozenset({"CVPR", "ICCV", "ECCV", "WACV", "ACCV"})


def _cvf(match: re.Match[str]) -> Hit | None:
    conf = match.group("conf").upper()
    year = _year(match.group("year"))
    if conf not in _CVF_VENUES or year is None:
        return None
    workshop = match.group("workshop") or match.groupdict().get("w")
    venue = f"{conf} Workshops" if workshop else conf
    return Ids(cvf=match.group("stem")), venue, year


def _ecva(match: re.Match[str]) -> Hit | None:
    return Ids(), "ECCV", _year(match.group("year"))


def _neurips(match: re.Match[str]) -> Hit | None:
    return Ids(neurips=match.group("hash")), "NeurIPS", _year(match.group("year"))


def _neurips_legacy(match: re.Match[str]) -> Hit | None:
    return Ids(), "NeurIPS", None


def _openreview(match: re.Match[str]) -> Hit | None:
    return Ids(openreview=match.group("forum")), None, None


def _rx(pattern: str, flags: int = 0) -> re.Pattern[str]:
    return re.compile(pattern, flags)


_QUERY = r"(?:\?.*)?$"  # rows that identify a paper by its path ignore any query string (`?ref=...`)
_END = rf"/?{_QUERY}"
_SLASH = r"(?:/|%2F)"  # DOIs in paths are sometimes written with an encoded slash (Springer does this)
_DOI = rf"(?P<doi>10\.\d{{4,9}}{_SLASH}[^?#]+?)"

PATTERNS: tuple[LinkPattern, ...] = (
    LinkPattern("doi", ("doi.org",), _rx(rf"^/{_DOI}{_END}", re.IGNORECASE), _doi_org),
    LinkPattern(
        "arxiv",
        ("arxiv.org",),
        _rx(rf"^/(?:abs|pdf|html)/{_ARXIV_ID}(?:\.pdf)?{_END}", re.IGNORECASE),
        _arxiv,
    ),
    LinkPattern(
        "acm",
        ("dl.acm.org",),
        _rx(rf"^/doi/(?:(?:abs|pdf|full|fullHtml|epdf|book)/)?{_DOI}{_END}"),
        _acm,
    ),
    LinkPattern(
        "springer",
        ("link.springer.com",),
        _rx(rf"^/(?:article|chapter|book|content/pdf)/{_DOI}(?:\.pdf)?{_END}", re.IGNORECASE),
        _doi_in_path,
    ),
    LinkPattern(
        "wiley",
        ("onlinelibrary.wiley.com",),
        _rx(rf"^/doi/(?:(?:abs|full|pdf|epdf|pdfdirect)/)?{_DOI}{_END}"),
        _doi_in_path,
    ),
    LinkPattern(
        "acl",
        ("aclanthology.org", "aclweb.org"),
        _rx(rf"^(?:/anthology)?(?:/[A-Z]/[A-Z]\d{{2}})?/{_ACL_ID}(?:v\d+)?(?:\.pdf)?{_END}"),
        _acl,
    ),
    LinkPattern(
        "isca",
        ("isca-speech.org",),
        _rx(
            rf"^/archive(?:_v0)?/Interspeech_(?P<year>\d{{4}})/pdfs/(?P<number>\d{{1,5}})\.pdf{_QUERY}",
            re.IGNORECASE,
        ),
        _isca_numbered,
    ),
    LinkPattern(
        "isca",
        ("isca-speech.org", "isca-archive.org"),
        _rx(
            rf"^(?:/archive)?/interspeech_(?P<year>\d{{4}})/[a-z]+\d{{2}}[a-z]?_interspeech\.(?:pdf|html){_QUERY}",
            re.IGNORECASE,
        ),
        _isca_named,
    ),
    LinkPattern("pmc", ("ncbi.nlm.nih.gov",), _rx(r"^(?:/pmc)?/articles/PMC(?P<pmc>\d+)(?:[/?].*)?$"), _pmc),
    LinkPattern(
        "aaai",
        ("aaai.org",),
        _rx(rf"^(?:/ojs)?/index\.php/AAAI/article/(?:view|download)/(?P<article>\d+)(?:/\d+)?{_END}"),
        _aaai,
    ),
    LinkPattern(
        "ieee",
        ("ieeexplore.ieee.org",),
        _rx(rf"^/(?:abstract/)?document/(?P<arnumber>\d+)(?:/[a-z\-]*)?{_END}", re.IGNORECASE),
        _ieee,
    ),
    LinkPattern(
        "ieee",
        ("ieeexplore.ieee.org",),
        _rx(
            r"^/(?:stamp/stamp\.jsp|xpls/abs_all\.jsp|xpl/articleDetails\.jsp)"
            r"\?(?:[^#]*&)?arnumber=(?P<arnumber>\d+)(?:&.*)?$"
        ),
        _ieee,
    ),
    LinkPattern(
        "cvf",
        ("openaccess.thecvf.com",),
        _rx(
            r"^/content_(?P<conf>[A-Za-z]+?)(?P<w>W)?_(?P<year>\d{4})(?P<workshop>_workshops)?"
            r"(?:/[^/]+)?/(?:html|papers)(?:/[^/]+)?/(?P<stem>[^/?]+_paper)\.(?:html|pdf)(?:\?.*)?$",
            re.IGNORECASE,
        ),
        _cvf,
    ),
    LinkPattern(
        "cvf",
        ("openaccess.thecvf.com",),
        _rx(
            r"^/content/(?P<conf>[A-Za-z]+?)(?P<year>\d{4})(?P<workshop>W)?(?:/[^/]+)?"
            r"/(?:html|papers)/(?P<stem>[^/?]+_paper)\.(?:html|pdf)(?:\?.*)?$"
        ),
        _cvf,
    ),
    LinkPattern(
        "ecva",
        ("ecva.net",),
        _rx(r"^/papers/eccv_(?P<year>\d{4})/papers_ECCV/(?:papers/\d+\.pdf|html/[^/?]+_paper\.php)(?:\?.*)?$"),
        _ecva,
    ),
    LinkPattern(
        "neurips",
        ("nips.cc", "neurips.cc"),
        _rx(
            r"^/paper(?:_files/paper)?/(?P<year>\d{4})/(?:hash|file)/(?P<hash>[0-9a-f]{32})"
            r"-(?:Abstract|Paper)(?:-[A-Za-z_\d]+)*\.(?:html|pdf)(?:\?.*)?$"
        ),
        _neurips,
    ),
    LinkPattern("neurips", ("nips.cc",), _rx(rf"^/paper/\d+-[a-z0-9\-]+(?:\.pdf)?{_END}"), _neurips_legacy),
    LinkPattern(
        "openreview",
        ("openreview.net",),
        _rx(r"^/(?:forum|pdf)\?(?:[^#]*&)?id=(?P<forum>[A-Za-z0-9_\-]+)(?:&.*)?$"),
        _openreview,
    ),
    # Atypon-style publisher pages (tandfonline, sagepub, ACS, science.org, PNAS, ...): only these view
    # names, so supplements (`/doi/suppl/...`) and figure pages never pass a longer path off as a DOI.
    LinkPattern(
        "doi-in-path",
        (),
        _rx(rf"^/doi/(?:(?:abs|full|pdf|epdf|pdfdirect|epub|reader)/)?{_DOI}{_END}"),
        _doi_in_path,
    ),
)

OTHER = "other"


def match_link(url: str) -> LinkMatch:
    """What `url` tells by itself: the first matching row of PATTERNS, or host "other" with no ids."""
    try:
        parts = urlsplit(url.strip())
        host = (parts.hostname or "").lower()
    except ValueError:
        return LinkMatch(host=OTHER, ids=Ids())
    if parts.scheme.lower() not in ("http", "https") or not host:
        return LinkMatch(host=OTHER, ids=Ids())
    target = parts.path + (f"?{parts.query}" if parts.query else "")
    for row in PATTERNS:
        if not row.applies_to(host):
            continue
        match = row.regex.match(target)
        if match is None:
            continue
        hit = row.to_ids(match)
        if hit is not None:
            ids, venue_hint, year_hint = hit
            return LinkMatch(host=row.name, ids=ids, venue_hint=venue_hint, year_hint=year_hint)
    return LinkMatch(host=OTHER, ids=Ids())


def extract_ids(url: str) -> Ids:
    """The identifiers `url` contains (empty Ids when none)."""
    return match_link(url).ids
