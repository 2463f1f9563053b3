"""Stable, readable citation keys (`gao2019visual`) and the registry that keeps them from run to run.

Pure, except `read_registry`. The registry maps every identity a paper ever had (`doi:…`, `arxiv:…`,
`s2:…`, `url:…`) to its key: a resolved (or pinned) paper keeps its key as its metadata improves; an unresolved
paper's key is provisional until the paper first resolves; no key is given to two papers.
"""

from __future__ import annotations

import heapq
import itertools
import json
import re
from collections.abc import ItemsView, Iterable, Iterator, Mapping, Sequence, ValuesView
from collections.abc import Set as AbstractSet
from dataclasses import dataclass
from operator import itemgetter
from pathlib import Path

from avenrich.errors import OutputError
from avenrich.grouping import connected
from avenrich.model import ID_KINDS, Record
from avenrich.text import strip_accents

# Identity kinds, strongest first: the first one a record has is its paper identity. The Ids of one paper
# agree on all of them, so records sharing any of these are one paper (the URL is the link's own identity).
_IDENTITIES = tuple(kind for kind in ID_KINDS if kind.identity)
IDENTITY_KINDS = (*(kind.name for kind in _IDENTITIES), "url")
# A key that lost every identity (two papers turned out to be one) stays reserved under this prefix.
RETIRED = "retired"
# A registry file marks each provisional key with one more entry under this prefix ("provisional:KEY": KEY).
PROVISIONAL = "provisional"

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
# Minted keys are [a-z0-9]; pinned keys (a .bib input's, the curator's) may be any key BibTeX accepts
# (DBLP:conf/cvpr/GaoG19, Gao_2019_CVPR, Smith+2019).
_KEY_OK = re.compile(r"""^[^\s,{}()"#%'=\\]+$""")
_APOSTROPHES = re.compile(r"['’ʼ`]")
_TOKEN = re.compile(r"[a-z0-9]+")
_LETTERS = re.compile(r"[^a-z]+")


def identities(record: Record) -> tuple[str, ...]:
    """Every identity of the record, strongest first (`doi:10.1109/…`, …, `url:<the link as written>`)."""
    return tuple(_identities(record))


def _identities(record: Record) -> Iterator[str]:
    ids = record.ids
    for kind in _IDENTITIES:
        value = getattr(ids, kind.field)
        text = "" if value is None else str(value).lower() if kind.field == "doi" else str(value)
        if text:
            yield f"{kind.name}:{text}"
    if record.link.url:
        yield f"url:{record.link.url}"


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


@dataclass(frozen=True, slots=True)
class KeyChange:
    """One paper's key changed this run: from `old` to `new`, for the link `url`, and why."""

    old: str
    new: str
    url: str
    reason: str


EARNED = "earned: the entry was verified, and its provisional key gives way to the key its record earns"
YIELDED = "the provisional key went to a verified paper that earned it"
PINNED = "pinned by the curator (or the input's own key)"
TAKEN = "a paper with a stronger identity holds the key (two papers turned out to be one)"
PINNED_ELSEWHERE = "the key is pinned to another paper"


class Registry(Mapping[str, str]):
    """The key registry as a value: identity -> key, which keys are still provisional, and the key changes
    that made it from the registry given to `assign_keys`.

    A key is permanent once its paper was resolved (or pinned); a key minted for an unresolved paper is
    provisional, and changes once, when the paper first resolves, to the key its verified record earns.
    Equal to any mapping with the same items (the flags are not compared).

    `updates` are identities whose key differs from (or is missing in) `keys`, the registry it was made from,
    which it shares rather than copies (a 100k-link registry has ~450k identities).
    """

    __slots__ = ("_keys", "changes", "provisional", "updates")

    def __init__(
        self,
        keys: Mapping[str, str] | None = None,
        provisional: Iterable[str] = (),
        changes: Sequence[KeyChange] = (),
        updates: Mapping[str, str] | None = None,
    ) -> None:
        self._keys: Mapping[str, str] = keys if isinstance(keys, (dict, Registry)) else dict(keys or {})
        self.provisional: frozenset[str] = frozenset(provisional)
        self.changes: tuple[KeyChange, ...] = tuple(changes)
        self.updates: dict[str, str] = dict(updates or {})

    def __getitem__(self, identity: str) -> str:
        if identity in self.updates:
            return self.updates[identity]
        return self._keys[identity]

    def __contains__(self, identity: object) -> bool:
        return identity in self.updates or identity in self._keys

    def __iter__(self) -> Iterator[str]:
        yield from self.updates
        yield from (identity for identity in self._keys if identity not in self.updates)

    def __len__(self) -> int:
        return len(self._keys) + sum(1 for identity in self.updates if identity not in self._keys)

    def items(self) -> ItemsView[str, str]:
        return _RegistryItems(self)

    def values(self) -> ValuesView[str]:
        return _RegistryValues(self)

    def pairs(self) -> Iterator[tuple[str, str]]:
        """(identity, key), every one once: the updates, then the rest of the registry it was made from (the
        dictionaries' own iteration, not a lookup per identity)."""
        yield from self.updates.items()
        base = self._keys.items()
        yield from (pair for pair in base if pair[0] not in self.updates) if self.updates else base

    def __repr__(self) -> str:
        return f"Registry({len(self)} identities, {len(self.provisional)} provisional keys)"


class _RegistryItems(ItemsView[str, str]):
    _mapping: Registry

    def __iter__(self) -> Iterator[tuple[str, str]]:
        return self._mapping.pairs()


class _RegistryValues(ValuesView[str]):
    _mapping: Registry

    def __iter__(self) -> Iterator[str]:
        return (key for _identity, key in self._mapping.pairs())


def provisional_keys(registry: Mapping[str, str]) -> frozenset[str]:
    """The registry's provisional keys (none for a plain mapping: every key in it is permanent)."""
    return registry.provisional if isinstance(registry, Registry) else frozenset()


def assign_keys(
    records: Sequence[Record],
    registry: Mapping[str, str],
    pins: Mapping[str, str] | None = None,
    *,
    own_keys: bool = False,
) -> tuple[dict[str, str], Registry]:
    """Keys for the records' papers, and the registry to keep for the next run.

    Returns (the key of each record's strongest identity, new registry). Records sharing an identity are one
    paper with one key. `pins` (link URL -> key: the curator's `[[key]]` overrides, a .bib input's own keys)
    win over everything. Otherwise a paper takes the key its strongest registered identity had; when two papers
    claim one key, the stronger identity wins and the other paper looks further. A claimed key that is still
    provisional is kept while the paper stays unresolved, and given up when it resolves.

    Papers without a key get `citekey_base` plus a suffix on collision ("", "a", "b", …, "z", "aa", …): first
    the resolved papers (their keys are permanent), then the unresolved ones (provisional), each in order of
    their identity, so the result depends neither on the order of the list nor on what earlier nights could
    not resolve. A provisional key yields to a resolved paper that earns it; keys that lose every identity stay
    reserved (`retired:KEY`), so a key is never given to two papers.

    `own_keys`: a .bib input's entries keep their own keys (each record's `link.bibtex_key`, when BibTeX accepts
    it), the curator's `pins` over them.
    """
    # One walk over the records (they may be on disk, spool.py): what the rest needs of each, by position.
    ids_of: list[tuple[str, ...]] = []
    ranks: list[tuple[bool, tuple[int, str]]] = []  # unresolved after resolved, then by strongest identity
    wanted: list[tuple[int, str]] = []  # (position, pinned key)
    for number, record in enumerate(records):
        found = identities(record)
        ids_of.append(found)
        ranks.append((record.resolution.status != "resolved", _rank(found[0])))
        url = record.link.url
        if pins and url in pins:
            wanted.append((number, pins[url]))
        elif own_keys and (own := _own_key(record)) is not None:
            wanted.append((number, own))
    groups, group_of = _groups(ids_of)
    best = {gid: min(members, key=_rank) for gid, members in groups.items()}
    was_provisional = provisional_keys(registry)
    resolved = {gid for rank, gid in zip(ranks, group_of, strict=True) if not rank[0]}
    representative = _representatives(ranks, group_of)
    del ranks
    pinned = _pinned(wanted, group_of, best)
    claims = _claimed(
        {g: m for g, m in groups.items() if g not in pinned}, registry, {k.casefold() for k in pinned.values()}
    )
    assigned = dict(pinned)
    kept: dict[int, str] = {}  # unresolved papers' provisional claims, kept unless a resolved paper earns the key
    for gid, key in claims.items():
        if key not in was_provisional:
            assigned[gid] = key
        elif gid not in resolved:
            kept[gid] = key
    released = {key.casefold() for key in claims.values() if key in was_provisional}
    old_keys = set(registry.values())
    used = ({key.casefold() for key in old_keys} - released) | {key.casefold() for key in assigned.values()}
    tried: dict[str, int] = {}
    for gid in sorted((g for g in groups if g not in assigned and g in resolved), key=lambda g: _rank(best[g])):
        assigned[gid] = _mint(citekey_base(records[representative[gid]]), used, tried)
        used.add(assigned[gid].casefold())
    for gid in sorted(kept, key=lambda g: _rank(best[g])):
        if kept[gid].casefold() not in used:
            assigned[gid] = kept[gid]
            used.add(kept[gid].casefold())
    provisional = {gid for gid in groups if gid not in assigned} | (set(kept) & set(assigned))
    for gid in sorted((g for g in groups if g not in assigned), key=lambda g: _rank(best[g])):
        assigned[gid] = _mint(citekey_base(records[representative[gid]]), used, tried)
        used.add(assigned[gid].casefold())
    by_paper = {found[0]: assigned[gid] for found, gid in zip(ids_of, group_of, strict=True)}
    del ids_of
    # The new registry is the old one plus what changed (the old one is shared, not copied).
    updates = {
        identity: assigned[gid]
        for gid, members in groups.items()
        for identity in members
        if registry.get(identity) != assigned[gid]
    }
    kept_keys = {key for identity, key in registry.items() if identity not in updates}
    for lost in sorted(old_keys - kept_keys - set(updates.values())):
        updates[f"{RETIRED}:{lost}"] = lost
    changes = _changes(groups, registry, assigned, pinned, resolved, was_provisional, representative, records)
    still = {assigned[gid] for gid in provisional}
    return by_paper, Registry(registry, still, changes, updates)  # to_registry_json writes it sorted


def _pinned(wanted: Sequence[tuple[int, str]], group_of: Sequence[int], best: Mapping[int, str]) -> dict[int, str]:
    """The pinned key of each paper with a pinned link (`wanted`: the position of each pinned link's record, and
    its key, in list order); a key pinned for two papers goes to the stronger one."""
    first: dict[int, str] = {}
    for number, key in wanted:
        first.setdefault(group_of[number], key)
    pinned: dict[int, str] = {}
    held: set[str] = set()
    for gid in sorted(first, key=lambda g: _rank(best[g])):
        if first[gid].casefold() not in held:
            pinned[gid] = first[gid]
            held.add(first[gid].casefold())
    return pinned


def _changes(
    groups: Mapping[int, Sequence[str]],
    registry: Mapping[str, str],
    assigned: Mapping[int, str],
    pinned: Mapping[int, str],
    resolved: AbstractSet[int],
    was_provisional: AbstractSet[str],
    representative: Mapping[int, int],
    records: Sequence[Record],
) -> list[KeyChange]:
    """Every paper whose key is not the key its strongest registered identity had, with why; by new key."""
    pinned_keys = {key.casefold() for key in pinned.values()}
    changes = []
    for gid, members in groups.items():
        strongest = _next_claim(members, registry)
        if strongest is None or registry[strongest] == assigned[gid]:
            continue
        old = registry[strongest]
        if gid in pinned:
            reason = PINNED
        elif old.casefold() in pinned_keys:
            reason = PINNED_ELSEWHERE
        elif old in was_provisional:
            reason = EARNED if gid in resolved else YIELDED
        else:
            reason = TAKEN
        changes.append(KeyChange(old, assigned[gid], records[representative[gid]].link.url, reason))
    return sorted(changes, key=lambda c: (c.new, c.old))


def _claimed(
    groups: Mapping[int, Sequence[str]], registry: Mapping[str, str], held: set[str] | None = None
) -> dict[int, str]:
    """The registered keys the groups keep: claims are settled strongest identity first (an identity belongs to
    one group); a group whose key another group (or `held`, the pinned keys) has taken tries its next registered
    identity.

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
    held = set() if held is None else set(held)
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
    """The key of the record's paper (looked up by its identities, strongest first; made one at a time: the
    first is the one a key is kept under)."""
    for identity in _identities(record):
        if identity in keys:
            return keys[identity]
    raise KeyError(f"no citation key for {record.link.url}")


def group_by_key(
    records: Sequence[Record], keys: Mapping[str, str], key_of: Sequence[str] | None = None
) -> Iterator[tuple[str, list[Record]]]:
    """The records of each paper (input order inside), papers ordered by key; one paper's records at a time (the
    records may be on disk, spool.py: only each one's key and position are held for the whole list).

    `key_of`: each record's key in order (`key_for`), when the caller has them already: no walk to find them.
    """
    if key_of is None:
        key_of = [key_for(record, keys) for record in records]
    order = sorted(zip(key_of, range(len(key_of)), strict=True))
    for key, members in itertools.groupby(order, key=itemgetter(0)):
        yield key, [records[number] for _key, number in members]


def to_registry_json(registry: Mapping[str, str]) -> Iterator[str]:
    """The registry file's text (NAME.keys.json) in pieces: one JSON object sorted by identity, two-space
    indent, final newline (the bytes of json.dumps(sorted, indent=2); a 100k-link registry is never copied
    or whole in memory as text). A provisional key is written as one more entry, `"provisional:KEY": KEY`."""
    flags = {f"{PROVISIONAL}:{key}": key for key in provisional_keys(registry)}
    if not registry and not flags:
        yield "{}\n"
        return
    yield "{"
    separator = "\n"
    for identity in sorted([*registry, *flags]):
        key = json.dumps(registry[identity] if identity in registry else flags[identity], ensure_ascii=False)
        yield f"{separator}  {json.dumps(identity, ensure_ascii=False)}: {key}"
        separator = ",\n"
    yield "\n}\n"


def read_registry(path: Path) -> Registry:
    """The key registry kept beside the outputs (identity -> key, with its provisional keys), or an empty one
    when there is none yet. A file written before keys could be provisional reads as all keys permanent."""
    from avenrich.outputs import read_json_if_exists

    data = read_json_if_exists(path)
    if data is None:
        return Registry()
    if not isinstance(data, dict) or not all(
        isinstance(k, str) and isinstance(v, str) and valid_key(v) for k, v in data.items()
    ):
        raise OutputError(
            f"{path} is not a key registry (an object of identity -> key, keys without spaces, commas, braces, "
            "quotes or any of ()#%'=\\); fix or remove it"
        )
    prefix = f"{PROVISIONAL}:"
    provisional = {key for identity, key in data.items() if identity.startswith(prefix)}
    one: dict[str, str] = {}  # one copy per key, not per identity
    keys = {identity: one.setdefault(key, key) for identity, key in data.items() if not identity.startswith(prefix)}
    return Registry(keys, provisional)


def valid_key(key: str) -> bool:
    """True for a key BibTeX and biber accept: no whitespace, commas, braces, quotes or ( ) # % ' = \\."""
    return bool(_KEY_OK.match(key))


def _rank(identity: str) -> tuple[int, str]:
    kind = identity.partition(":")[0]
    return (IDENTITY_KINDS.index(kind) if kind in IDENTITY_KINDS else len(IDENTITY_KINDS), identity)


def _groups(ids_of: Sequence[Sequence[str]]) -> tuple[dict[int, list[str]], list[int]]:
    """Union of records that share an identity (`ids_of`: each record's identities): (group id -> all
    identities of the group, each record's group).

    Group ids follow the groups' strongest identities, so they do not depend on the order of the list.
    """
    groups = connected(ids_of)
    # The identities of each group, each once (lists: a set per paper took 2.5x the memory).
    members = [list(dict.fromkeys(identity for r in group for identity in ids_of[r])) for group in groups]
    order = sorted(range(len(groups)), key=lambda g: _rank(min(members[g], key=_rank)))
    group_of = [0] * len(ids_of)
    for gid, g in enumerate(order):
        for r in groups[g]:
            group_of[r] = gid
    return {gid: members[g] for gid, g in enumerate(order)}, group_of


def _representatives(ranks: Sequence[tuple[bool, tuple[int, str]]], group_of: Sequence[int]) -> dict[int, int]:
    """The position of the record that names each group: resolved before unresolved, then by strongest identity,
    then first listed (`ranks`: each record's; positions, not records: the records may be on disk, spool.py)."""
    chosen: dict[int, int] = {}
    for index, rank in enumerate(ranks):
        held = chosen.get(group_of[index])
        if held is None or rank < ranks[held]:
            chosen[group_of[index]] = index
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


def _own_key(record: Record) -> str | None:
    """The key a .bib input's entry has, when BibTeX accepts it."""
    key = record.link.bibtex_key
    return key if key and valid_key(key) else None
