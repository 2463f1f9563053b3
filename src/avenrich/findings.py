"""List health (pure): what the list itself gets wrong, from its parsed links and the verified records.

`find_issues` returns the findings of every link (see KINDS); only verified records (resolution "resolved",
confirmed by a source) ground a finding about a title, year or venue, and a finding never guesses: a title
differing by more than typos, a year of a preprint-only paper or an unknown venue is left alone. The link's
own text grounds the rest (tracking parameters, the same identifier under two links). `likely_duplicates`
groups links that are probably one paper (a hint in the catalogue, not a finding). The patch that applies the
safe fixes is written by patch.py.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable, Mapping, Sequence
from urllib.parse import unquote, urlsplit

from rapidfuzz.distance import OSA, Levenshtein

from avenrich import grouping, matching, text
from avenrich.model import ID_FIELDS, LIST, PREPRINT_TYPES, Finding, Ids, Link, Record, Work

KINDS = ("year", "title", "tracking", "duplicate", "missing-year", "published-version", "venue", "unverified")
# The fixes a patch may apply without a curator's judgement: each replaces the list's text by verified data.
SAFE_KINDS = frozenset({"year", "title", "tracking", "missing-year"})

# --- tracking parameters ---------------------------------------------------------------------------

# Query parameters that only say who sent the reader (https://en.wikipedia.org/wiki/UTM_parameters, the click
# ids of ad networks, newsletter ids, referral tags such as `?ref=https://githubhelp.com`).
TRACKING_PREFIXES = ("utm_",)
TRACKING_NAMES = frozenset((
    "fbclid", "gclid", "gclsrc", "dclid", "gbraid", "wbraid", "msclkid", "yclid", "twclid", "ttclid", "igshid",
    "mc_cid", "mc_eid", "_hsenc", "_hsmi", "mkt_tok", "vero_id", "oly_anon_id", "oly_enc_id", "ref", "ref_src",
    "ref_url", "referrer", "trk",
))  # fmt: skip
# Hosts where `ref` names something real (a git branch or tag), not a referrer.
_REF_MEANINGFUL = ("github.com", "gitlab.com", "bitbucket.org", "raw.githubusercontent.com")


def tracking_parameters(url: str) -> tuple[str, ...]:
    """The names of the tracking parameters in a link's query, as written, in order."""
    names, _clean = _split_tracking(url)
    return names


def clean_link(url: str) -> str:
    """The link without its tracking parameters; every other character kept as written."""
    return _split_tracking(url)[1]


def _split_tracking(url: str) -> tuple[tuple[str, ...], str]:
    head, hash_, fragment = url.partition("#")
    base, question, query = head.partition("?")
    if not question or not query:
        return (), url
    try:
        host = (urlsplit(url).hostname or "").lower()
    except ValueError:
        return (), url
    kept: list[str] = []
    dropped: list[str] = []
    for part in query.split("&"):
        name = unquote(part.partition("=")[0]).strip().lower()
        tracking = name.startswith(TRACKING_PREFIXES) or name in TRACKING_NAMES
        if name == "ref" and any(host == h or host.endswith("." + h) for h in _REF_MEANINGFUL):
            tracking = False
        (dropped if tracking else kept).append(part)
    if not dropped:
        return (), url
    names = tuple(part.partition("=")[0] for part in dropped)
    rebuilt = base + ("?" + "&".join(kept) if kept else "") + (hash_ + fragment)
    return names, rebuilt


# --- titles ----------------------------------------------------------------------------------------

MAX_TYPO_EDITS = 3  # edits (insert, delete, replace, swap of neighbours) in the whole title
MAX_EDIT_RUN = 2  # characters changed in one place: a longer run is a different word, not a typo
_NEGATING = ("un", "in", "im", "ir", "il", "non", "dis", "anti", "de", "re")
_DIGIT = re.compile(r"\d")
_MARKUP_CHARS = frozenset("[]*_`<>\\|!")
_SUBTITLE = re.compile(r"\s*:\s+|\s+[-–—]\s+")


def title_fix(listed: str, verified: str) -> str | None:
    """The listed title with its typos corrected from the verified title, or None when they differ otherwise.

    A typo is a change of a few characters in place (a swapped pair, a wrong, missing or stray character);
    case, spacing, punctuation style ("Audio-Visual" / "Audio Visual") and a subtitle one side lacks are the
    curator's choice and not typos. The correction keeps the list's own case wherever the letters agree.
    """
    if listed == verified:
        return None
    mine, theirs = text.clean_markup(listed), text.clean_markup(verified)
    if not mine or not theirs or mine.casefold() == theirs.casefold() or text.squash(mine) == text.squash(theirs):
        return None
    targets = [theirs]
    parts = _SUBTITLE.split(theirs, maxsplit=1)
    if len(parts) == 2 and not _SUBTITLE.search(mine):
        targets.append(parts[0])  # the list may leave the subtitle out
    best: str | None = None
    for target in targets:
        fixed = _typo_fix(mine, target)
        if fixed is not None and (best is None or len(fixed) > len(best)):
            best = fixed
    return best if best != mine else None


def _typo_fix(mine: str, target: str) -> str | None:
    """`mine` corrected to `target` when only a few separate characters differ (case ignored)."""
    low_mine, low_target = mine.lower(), target.lower()
    if len(low_mine) != len(mine) or len(low_target) != len(target):
        return None  # lowercasing changed the length (rare letters): positions would not line up
    if text.squash(mine) == text.squash(target):
        return None
    distance = OSA.distance(low_mine, low_target)
    if not 0 < distance <= min(MAX_TYPO_EDITS, max(1, len(target) // 15)):
        return None
    pieces: list[str] = []
    for op in Levenshtein.opcodes(low_mine, low_target):
        i1, i2, j1, j2 = op.src_start, op.src_end, op.dest_start, op.dest_end
        if op.tag == "equal":
            pieces.append(mine[i1:i2])
            continue
        old, new = mine[i1:i2], target[j1:j2]
        if max(len(old), len(new)) > MAX_EDIT_RUN or _DIGIT.search(old + new) or _MARKUP_CHARS & set(new):
            return None  # a longer run is another word; numbers and Markdown markup are never typos
        if " " in old + new:
            return None  # a space added or dropped joins or splits words: spelling style, or more than a typo
        if _negates(mine, target, i1, j1, old, new):
            return None
        pieces.append(new)
    # A word with a typo takes the verified spelling whole ("Makelttalk" -> "MakeItTalk") with the list's initial
    # case; the other words stay as listed. Edits never touch a space, so the words line up one to one.
    fixed = "".join(pieces).split(" ")
    words = zip(mine.split(" "), fixed, target.split(" "), strict=True)
    return " ".join(word if word == new_word else _cased_like(word, verified) for word, new_word, verified in words)


def _cased_like(listed: str, verified: str) -> str:
    """The verified word with the listed word's initial case, when the two differ only by title-casing."""
    if listed[:1].isupper() and verified[:1].islower():
        return verified[:1].upper() + verified[1:]
    if listed[:1].islower() and verified[:1].isupper() and not verified[1:2].isupper():
        return verified[:1].lower() + verified[1:]
    return verified


def _negates(mine: str, target: str, i: int, j: int, old: str, new: str) -> bool:
    """True when the edit adds or removes a negating prefix at a word start ("Supervised" / "Unsupervised")."""
    added = (new or old).lower()
    at_start = (i == 0 or not mine[i - 1].isalnum()) and (j == 0 or not target[j - 1].isalnum())
    return at_start and (not old or not new) and added in _NEGATING


# --- findings --------------------------------------------------------------------------------------


def is_verified(record: Record) -> bool:
    """True when a source confirmed which paper the link is (the only records a finding may rest on)."""
    res = record.resolution
    return res.status == "resolved" and res.method not in ("link-unconfirmed", "offline", "none")


def _from_source(record: Record, field: str) -> bool:
    return any(name == field and source != LIST for name, source, _date in record.provenance)


def _preprint_only(record: Record) -> bool:
    """True when the record holds no published version (its year and venue are a preprint's)."""
    if record.type in PREPRINT_TYPES:
        return True
    probe = Work(source=LIST, ids=Ids(doi=record.ids.doi), venue=record.venue, type=record.type)
    return matching.is_preprint_record(probe)


def _is_preprint_link(record: Record, link_ids: Ids) -> bool:
    if record.host == "arxiv":
        return True
    return bool(link_ids.doi) and matching.is_preprint_record(Work(source=LIST, ids=Ids(doi=link_ids.doi)))


def find_issues(
    records: Iterable[Record],
    link_ids: Mapping[str, Ids],
    ignored: Iterable[tuple[str, str]] = (),
) -> dict[str, tuple[Finding, ...]]:
    """url -> the findings about that link, in KINDS order; links without findings are left out.

    `link_ids` are the identifiers each link's URL carries; `ignored` holds (url, kind) pairs a curator
    silenced in overrides.toml. The records are walked once (they may be on disk, spool.py).
    """
    silenced = set(ignored)
    entry: dict[str, list[Finding]] = {}  # each link's own findings, when it has any

    def noting(record: Record) -> Record:
        issues = list(_entry_findings(record, link_ids.get(record.link.url, Ids())))
        if issues:
            entry[record.link.url] = issues
        return record

    duplicates, lines = _duplicates(map(noting, records), link_ids)
    found: dict[str, tuple[Finding, ...]] = {}
    for url, line in lines.items():
        issues = entry.pop(url, [])
        others = duplicates.get(url, ())
        if others:
            where = ", ".join(f"{other} (line {lines[other]})" if lines.get(other) else other for other in others)
            issues.append(
                Finding(
                    "duplicate",
                    url,
                    line,
                    f"the same paper is also listed as {where}",
                    listed=url,
                    found=", ".join(others),
                    others=others,
                )
            )
        kept = tuple(sorted((f for f in issues if (url, f.kind) not in silenced), key=lambda f: KINDS.index(f.kind)))
        if kept:
            found[url] = kept
    return found


def _entry_findings(record: Record, link_ids: Ids) -> Iterable[Finding]:
    link = record.link
    url, line = link.url, link.line
    names = tracking_parameters(url)
    if names:
        clean = clean_link(url)
        yield Finding(
            "tracking",
            url,
            line,
            f"tracking parameters in the link ({', '.join(names)}); clean link: {clean}",
            listed=url,
            found=clean,
            fix=clean,
        )
    if not is_verified(record):
        if link.kind == "paper" and record.resolution.status == "unresolved":
            reason = record.resolution.reason or record.resolution.method
            yield Finding("unverified", url, line, f"could not be verified: {reason}", found=reason)
        return
    preprint_only = functools.cache(lambda: _preprint_only(record))  # asked only when a finding depends on it
    if record.year is not None and _from_source(record, "year"):
        if link.year is None:
            yield Finding(
                "missing-year",
                url,
                line,
                f"no year listed; the verified year is {record.year}",
                found=str(record.year),
                fix=str(record.year),
            )
        elif link.year != record.year and (link.year < record.year or not preprint_only()):
            # A preprint-only paper may have been published since where no index shows it: only a year before
            # the preprint existed is surely wrong.
            what = "the preprint's year" if preprint_only() else "the published year"
            yield Finding(
                "year",
                url,
                line,
                f"listed year {link.year} differs from {what} {record.year}",
                listed=str(link.year),
                found=str(record.year),
                fix=str(record.year),
            )
    if link.title and record.title and _from_source(record, "title"):
        fixed = title_fix(link.title, record.title)
        if fixed is not None:
            yield Finding(
                "title",
                url,
                line,
                f'title typo: "{link.title}" should read "{fixed}"',
                listed=link.title,
                found=record.title,
                fix=fixed,
            )
    if _is_preprint_link(record, link_ids) and (record.venue or record.ids.doi) and not preprint_only():
        doi_link = f"https://doi.org/{record.ids.doi}" if record.ids.doi else None
        venue = record.venue or "a journal or proceedings"
        year = f" {record.year}" if record.year and str(record.year) not in venue else ""
        where = f": {doi_link}" if doi_link else ""
        yield Finding(
            "published-version",
            url,
            line,
            f"a preprint link; the paper was published in {venue}{year}{where}",
            listed=url,
            found=doi_link or record.venue,
        )
    if link.venue_tag and record.venue and not preprint_only():
        venue_tag = link.venue_tag
        probe = Work(source=LIST, ids=record.ids, venue=record.venue, type=record.type)
        if matching.venue_score(venue_tag, probe) == 0.0:
            yield Finding(
                "venue",
                url,
                line,
                f"venue tag {venue_tag!r} contradicts the verified venue {record.venue!r}",
                listed=venue_tag,
                found=record.venue,
            )


# --- duplicates ------------------------------------------------------------------------------------

_MIN_TITLE_WORDS = 3  # generic link texts ("arXiv", "code", "PDF") must not group unrelated links


def _groups(keyed: Sequence[tuple[str, Iterable[tuple[str, str]]]]) -> dict[str, tuple[str, ...]]:
    """url -> the other urls sharing a key with it, transitively, in input order."""
    urls = [url for url, _keys in keyed]
    result: dict[str, tuple[str, ...]] = {}
    for group in grouping.connected(keys for _url, keys in keyed):
        if len(group) > 1:
            for i in group:
                result[urls[i]] = tuple(urls[j] for j in group if j != i)
    return result


def _id_keys(ids: Ids) -> list[tuple[str, str]]:
    return [(name, value) for name in ID_FIELDS if (value := getattr(ids, name)) is not None]


def likely_duplicates(links: Sequence[tuple[Link, Ids]]) -> dict[str, tuple[str, ...]]:
    """url -> the other urls that are likely the same paper (paper links only), from each link and its URL's ids.

    Two links are grouped when their titles are equal after text.squash (at least three words) or when the
    identifiers in their URLs share a value. Only urls with at least one likely duplicate appear.
    """
    keyed: list[tuple[str, list[tuple[str, str]]]] = []
    for link, ids in links:
        if link.kind != "paper":
            continue
        keys = _id_keys(ids)
        if len(text.normalise_title(link.title).split()) >= _MIN_TITLE_WORDS:
            keys.append(("title", text.squash(link.title)))
        keyed.append((link.url, keys))
    return _groups(keyed)


def _duplicates(
    records: Iterable[Record], link_ids: Mapping[str, Ids]
) -> tuple[dict[str, tuple[str, ...]], dict[str, int | None]]:
    """(url -> the other paper links that are surely the same paper, url -> the link's line), in one walk.

    Surely the same paper: another form of an identifier in the URL, or a verified record sharing a DOI, arXiv
    id or S2 id (a preprint link and its published version's link). Links written on one line are one entry's
    links (paper and preprint side by side), never duplicates."""
    keyed: list[tuple[str, list[tuple[str, str]]]] = []
    line_of: dict[str, int | None] = {}
    for record in records:
        line_of[record.link.url] = record.link.line
        if record.link.kind != "paper":
            continue
        keys = _id_keys(link_ids.get(record.link.url, Ids()))
        if is_verified(record):
            ids = record.ids
            keys += [(name, value) for name in ("doi", "arxiv", "s2") if (value := getattr(ids, name)) is not None]
        keyed.append((record.link.url, keys))
    groups = _groups(keyed)
    result: dict[str, tuple[str, ...]] = {}
    for url, others in groups.items():
        line = line_of[url]
        apart = tuple(o for o in others if line is None or line_of[o] != line)
        if apart:
            result[url] = apart
    return result, line_of
