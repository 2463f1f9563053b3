"""Stable, readable citation keys (`gao2019visual`) and the registry that keeps them from run to run.

Pure, except `read_registry`. The registry maps every identity a paper ever had (`doi:…`, `arxiv:…`,
`s2:…`, `url:…`) to its key: a paper keeps its key as its metadata improves; no key is given to two papers.
"""

from __future__ import annotations

import heapq
import json
import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from pathlib import Path

from avenrich.errors import OutputError
from avenrich.model import Record
from avenrich.text import strip_accents

# Identity kinds, strongest first: the first one a record has is its paper identity. The Ids of one paper
# agree on all of them, so records sharing any of these are one paper (the URL is the link's own identity).
IDENTITY_KINDS = ("doi", "arxiv", "s2", "corpus", "acl", "pmcid", "pmid", "openreview", "url")
# A key that lost every identity (two papers turned out to be one) stays reserved under this prefix.
RETIRED = "retired"

# fmt: off
STOPWORDS = frozenset((
    "a", "an", "the", "on", "of", "for", "to", "towards", "toward", "in", "at", "by", "with", "from", "and",
    "or", "nor", "but", "via", "into", "onto", "is", "are", "was", "were", "be", "do", "does", "can",
    "could", "should", "would", "will", "may", "might", "we", "our", "us", "you", "your", "it", "its",
    "this", "that", "these", "those", "as", "not", "no", "over", "under", "through", "beyond", "about",
    "between", "versus", "vs", "without", "within", "how", "what", "when", "where", "why", "which", "who",
    "all", "using",
))
# fmt: on

_WORD_MAX = 24
_KEY_OK = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_:-]*$")
_APOSTROPHES = re.compile(r"['’ʼ`]")
_TOKEN = re.compile(r"[a-z0-9]+")
_LETTERS = re.compile(r"[^a-z]+")


def identities(record: Record) -> tuple[str, ...]:
    """Every identity of the record, strongest first (`doi:10.1109/…`, …, `url:<the link as written>`)."""
    ids = record.ids
    values = (
        ids.doi.lower() if ids.doi else None,
        ids.arxiv,
        ids.s2,
        str(ids.corpus_id) if ids.corpus_id is not None else None,
        ids.acl,
        ids.pmcid,
        ids.pmid,
        ids.openreview,
        record.link.url,
    )
    return tuple(f"{kind}:{value}" for kind, value in zip(IDENTITY_KINDS, values, strict=True) if value)


def paper_identity(record: Record) -> str:
    """The record's strongest identity: DOI, else arXiv id, else S2 id, …, else the link URL."""
    return identities(record)[0]


def significant_words(title: str) -> list[str]:
    """The title's words for a key: ASCII-folded, lowercase, starting with a letter, stopwords left out."""
    # strip_accents spells ° as "deg", a word no reader would look for in a key.
    folded = _APOSTROPHES.sub("", strip_accents(title.replace("°", " ")).lower())
    return [
        word[:_WORD_MAX]
        for word in _TOKEN.findall(folded)
        if word[0].isalpha() and len(word) > 1 and word not in STOPWORDS
    ]


def citekey_base(record: Record) -> str:
    """The readable key before any collision suffix: family name + year + first significant title word.

    Without a usable author name: first title word + year + second title word. Only [a-z0-9], and the key
    always starts with a letter ("anon" when neither authors nor title give one).
    """
    who = _author_word(record)
    words = significant_words(record.title)
    year = str(record.year) if record.year else ""
    if who:
        return f"{who}{year}{words[0] if words else ''}"
    if words:
        return f"{words[0]}{year}{words[1] if len(words) > 1 else ''}"
    return f"anon{year}"


def _author_word(record: Record) -> str:
    if not record.authors:
        return ""
    first = record.authors[0]
    if first.family:
        return _LETTERS.sub("", strip_accents(first.family).lower())[:_WORD_MAX]
    if first.literal:
        words = significant_words(first.literal)
        return words[0] if words else ""
    return ""


def assign_keys(records: Sequence[Record], registry: Mapping[str, str]) -> tuple[dict[str, str], dict[str, str]]:
    """Keys for the records' papers, and the registry to keep for the next run.

    Returns (the key of each record's strongest identity, new registry). Records sharing an identity are one
    paper with one key. A paper takes the key its strongest registered identity had; when two papers claim one
    key, the stronger identity wins and the other paper looks further. Papers without a key get
    `citekey_base` plus a suffix on collision ("", "a", "b", …, "z", "aa", …), minted in order of their
    identity, so the result does not depend on the order of the list.
    """
    groups, group_of = _groups(records)
    best = {gid: min(members, key=_rank) for gid, members in groups.items()}
    assigned = _claimed(groups, registry)
    used = {key.casefold() for key in registry.values()}  # the claimed keys among them; grows as keys are minted
    representative = _representatives(records, group_of)
    tried: dict[str, int] = {}
    for gid in sorted((g for g in groups if g not in assigned), key=lambda g: _rank(best[g])):
        key = _mint(citekey_base(representative[gid]), used, tried)
        assigned[gid] = key
        used.add(key.casefold())
    by_paper = {paper_identity(record): assigned[gid] for record, gid in zip(records, group_of, strict=True)}
    new_registry = dict(registry)
    for gid, members in groups.items():
        for identity in members:
            new_registry[identity] = assigned[gid]
    for lost in sorted(set(registry.values()) - set(new_registry.values())):
        new_registry[f"{RETIRED}:{lost}"] = lost
    return by_paper, new_registry  # to_registry_json writes it sorted


def _claimed(groups: Mapping[int, Sequence[str]], registry: Mapping[str, str]) -> dict[int, str]:
    """The registered keys the groups keep: claims are settled strongest identity first (an identity belongs to
    one group); a group whose key another group has taken tries its next registered identity.

    A merge of each group's claims, strongest first, on a heap of one claim per group: the order of sorting
    every claim, without a claim per identity in memory (a 100k-link registry has ~450k identities).
    """
    heap: list[tuple[tuple[int, str], int]] = []  # (rank of the claiming identity, group)
    for gid, members in groups.items():
        first = _next_claim(members, registry)
        if first is not None:
            heap.append((_rank(first), gid))
    heapq.heapify(heap)
    assigned: dict[int, str] = {}
    held: set[str] = set()
    while heap:
        rank, gid = heapq.heappop(heap)
        key = registry[rank[1]]
        if key.casefold() not in held:
            assigned[gid] = key
            held.add(key.casefold())
            continue
        following = _next_claim(groups[gid], registry, after=rank)
        if following is not None:
            heapq.heappush(heap, (_rank(following), gid))
    return assigned


def _next_claim(
    members: Iterable[str], registry: Mapping[str, str], after: tuple[int, str] | None = None
) -> str | None:
    """The strongest of a group's registered identities ranked after `after` (None: the strongest of all)."""
    ranked = [i for i in members if i in registry and (after is None or _rank(i) > after)]
    return min(ranked, key=_rank) if ranked else None


def key_for(record: Record, keys: Mapping[str, str]) -> str:
    """The key of the record's paper (looked up by its identities, strongest first)."""
    for identity in identities(record):
        if identity in keys:
            return keys[identity]
    raise KeyError(f"no citation key for {record.link.url}")


def group_by_key(records: Iterable[Record], keys: Mapping[str, str]) -> list[tuple[str, list[Record]]]:
    """The records of each paper (input order inside), papers ordered by key."""
    by_key: dict[str, list[Record]] = {}
    for record in records:
        by_key.setdefault(key_for(record, keys), []).append(record)
    return sorted(by_key.items())


def to_registry_json(registry: Mapping[str, str]) -> Iterator[str]:
    """The registry file's text (NAME.keys.json) in pieces: one JSON object sorted by identity, two-space
    indent, final newline (the bytes of json.dumps(sorted, indent=2); a 100k-link registry is never copied
    or whole in memory as text)."""
    if not registry:
        yield "{}\n"
        return
    yield "{"
    separator = "\n"
    for identity in sorted(registry):
        key = json.dumps(registry[identity], ensure_ascii=False)
        yield f"{separator}  {json.dumps(identity, ensure_ascii=False)}: {key}"
        separator = ",\n"
    yield "\n}\n"


def read_registry(path: Path) -> dict[str, str]:
    """The key registry kept beside the outputs (identity -> key), or an empty one when there is none yet."""
    from avenrich.outputs import read_json_if_exists

    data = read_json_if_exists(path)
    if data is None:
        return {}
    if not isinstance(data, dict) or not all(
        isinstance(k, str) and isinstance(v, str) and _KEY_OK.match(v) for k, v in data.items()
    ):
        raise OutputError(
            f"{path} is not a key registry (an object of identity -> key, keys of letters, digits, "
            "'_', ':' or '-'); fix or remove it"
        )
    one: dict[str, str] = {}  # one copy per key, not per identity
    return {identity: one.setdefault(key, key) for identity, key in data.items()}


def _rank(identity: str) -> tuple[int, str]:
    kind = identity.partition(":")[0]
    return (IDENTITY_KINDS.index(kind) if kind in IDENTITY_KINDS else len(IDENTITY_KINDS), identity)


def _groups(records: Sequence[Record]) -> tuple[dict[int, list[str]], list[int]]:
    """Union of records that share an identity: (group id -> all identities of the group, each record's group).

    Group ids follow the groups' strongest identities, so they do not depend on the order of the list.
    """
    parent: dict[str, str] = {}

    def find(x: str) -> str:
        while parent.setdefault(x, x) != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    firsts: list[str] = []
    for record in records:
        first, *rest = identities(record)
        firsts.append(first)
        find(first)
        for other in rest:
            a, b = find(first), find(other)
            if a != b:
                parent[max(a, b, key=_rank)] = min(a, b, key=_rank)
    members: dict[str, list[str]] = {}  # parent's keys are distinct: lists (a set per paper took 2.5x the memory)
    for identity in list(parent):
        members.setdefault(find(identity), []).append(identity)
    roots = sorted(members, key=lambda root: _rank(min(members[root], key=_rank)))
    gid_of_root = {root: gid for gid, root in enumerate(roots)}
    group_of = [gid_of_root[find(first)] for first in firsts]
    return {gid: members[root] for gid, root in enumerate(roots)}, group_of


def _representatives(records: Sequence[Record], group_of: Sequence[int]) -> dict[int, Record]:
    """The record that names each group: resolved before unresolved, then by strongest identity."""
    chosen: dict[int, Record] = {}
    ordered = sorted(
        range(len(records)),
        key=lambda i: (records[i].resolution.status != "resolved", _rank(paper_identity(records[i]))),
    )
    for index in ordered:
        chosen.setdefault(group_of[index], records[index])
    return chosen


def _mint(base: str, taken: set[str], tried: dict[str, int] | None = None) -> str:
    """The base, or the base with the first free suffix a, b, …, z, aa, ab, …

    `tried` remembers, per base, how many suffixes are known to be taken (`taken` only grows between calls).
    """
    if base.casefold() not in taken:
        return base
    n = tried.get(base.casefold(), 0) if tried is not None else 0
    while True:
        suffix, m = "", n
        while True:
            suffix = chr(ord("a") + m % 26) + suffix
            m = m // 26 - 1
            if m < 0:
                break
        if f"{base}{suffix}".casefold() not in taken:
            if tried is not None:
                tried[base.casefold()] = n + 1
            return f"{base}{suffix}"
        n += 1
