"""Curator overrides (pure parsing): pin a link to an identifier, or reject a candidate for it.

The file is TOML, by default `overrides.toml` next to the list (or given with `--overrides`):

    [[pin]]
    url = "https://ieeexplore.ieee.org/abstract/document/8585066"   # the link exactly as listed
    doi = "10.1109/tpami.2018.2889052"                               # and/or arxiv = "…", s2 = "…"

    [[reject]]
    url = "https://openaccess.thecvf.com/…"
    doi = "10.1109/cvpr.2019.00001"                                  # never accept this candidate for that link

    [[key]]
    url = "https://arxiv.org/abs/1812.04204"
    key = "gao2019visual"                                            # this link's paper always has this key

    [[ignore]]
    url = "https://arxiv.org/abs/2106.01689"
    kind = "year"                                                    # silence one list-health finding

Pins win over everything the link or a search says; rejects remove a candidate before verification; a pinned
key wins over the key registry; an ignore silences the finding of that kind (findings.KINDS) about that link. All
are honoured on every run and counted in the run report.
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from avenrich.errors import InputError
from avenrich.findings import KINDS
from avenrich.identifiers import normalise_arxiv, normalise_doi
from avenrich.keys import valid_key
from avenrich.model import Ids, Work

_ID_FIELDS = ("doi", "arxiv", "s2")


@dataclass(frozen=True, slots=True)
class Overrides:
    """Pins (url → Ids), rejections (url → identifiers that must never be accepted for it), keys (url → key)."""

    pins: Mapping[str, Ids] = field(default_factory=dict)
    rejects: Mapping[str, frozenset[str]] = field(default_factory=dict)
    ignores: frozenset[tuple[str, str]] = frozenset()  # (url, finding kind)
    keys: Mapping[str, str] = field(default_factory=dict)

    def is_rejected(self, url: str, work: Work) -> bool:
        """True when the curator rejected this work (by any of its ids) for this link."""
        banned = self.rejects.get(url)
        if not banned:
            return False
        return any(value in banned for value in _work_ids(work))

    def __len__(self) -> int:
        return len(self.pins) + sum(len(v) for v in self.rejects.values()) + len(self.ignores) + len(self.keys)


def _work_ids(work: Work) -> tuple[str, ...]:
    ids = work.ids
    return tuple(f"{name}:{value}" for name, value in (("doi", ids.doi), ("arxiv", ids.arxiv), ("s2", ids.s2)) if value)


def parse_overrides(text: str, origin: str = "overrides") -> Overrides:
    """Overrides from TOML text; a malformed file is an InputError naming the problem."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise InputError(f"{origin}: not valid TOML ({exc})") from None
    pins: dict[str, Ids] = {}
    rejects: dict[str, set[str]] = {}
    for number, row in enumerate(_rows(data, "pin", origin), start=1):
        url, values = _row_ids(row, f"{origin}: pin #{number}")
        pins[url] = Ids(doi=values.get("doi"), arxiv=values.get("arxiv"), s2=values.get("s2"))
    for number, row in enumerate(_rows(data, "reject", origin), start=1):
        url, values = _row_ids(row, f"{origin}: reject #{number}")
        rejects.setdefault(url, set()).update(f"{name}:{value}" for name, value in values.items())
    ignores = frozenset(
        _ignore(row, f"{origin}: ignore #{n}") for n, row in enumerate(_rows(data, "ignore", origin), 1)
    )
    keys: dict[str, str] = {}
    for number, row in enumerate(_rows(data, "key", origin), start=1):
        keys.update([_row_key(row, f"{origin}: key #{number}")])
    return Overrides(pins=pins, rejects={url: frozenset(v) for url, v in rejects.items()}, ignores=ignores, keys=keys)


def _ignore(row: Mapping[str, Any], where: str) -> tuple[str, str]:
    url, kind = row.get("url"), row.get("kind")
    if not isinstance(url, str) or not url.strip():
        raise InputError(f'{where}: needs url = "the link as listed"')
    if kind not in KINDS:
        raise InputError(f"{where}: kind must be one of {', '.join(KINDS)}")
    return url.strip(), str(kind)


def _row_key(row: Mapping[str, Any], where: str) -> tuple[str, str]:
    url, key = row.get("url"), row.get("key")
    if not isinstance(url, str) or not url.strip():
        raise InputError(f'{where}: needs url = "the link as listed"')
    if not isinstance(key, str) or not valid_key(key.strip()):
        raise InputError(
            f"{where}: key must be a BibTeX citation key (no spaces, commas, braces, quotes or ( ) # % ' = \\)"
        )
    return url.strip(), key.strip()


def _rows(data: Mapping[str, Any], name: str, origin: str) -> list[Mapping[str, Any]]:
    rows = data.get(name, [])
    if not isinstance(rows, list) or not all(isinstance(row, dict) for row in rows):
        raise InputError(f"{origin}: [[{name}]] must be a list of tables")
    return rows


def _row_ids(row: Mapping[str, Any], where: str) -> tuple[str, dict[str, str]]:
    url = row.get("url")
    if not isinstance(url, str) or not url.strip():
        raise InputError(f'{where}: needs url = "the link as listed"')
    values: dict[str, str] = {}
    for name in _ID_FIELDS:
        raw = row.get(name)
        if raw is None:
            continue
        if not isinstance(raw, str):
            raise InputError(f"{where}: {name} must be a string")
        value = _normalise(name, raw)
        if value is None:
            raise InputError(f"{where}: {name} = {raw!r} is not a valid {name}")
        values[name] = value
    if not values:
        raise InputError(f"{where}: give at least one of doi, arxiv, s2")
    return url.strip(), values


def _normalise(name: str, raw: str) -> str | None:
    if name == "doi":
        return normalise_doi(raw)
    if name == "arxiv":
        return normalise_arxiv(raw)
    value = raw.strip().lower()
    return value if len(value) == 40 and all(c in "0123456789abcdef" for c in value) else None
