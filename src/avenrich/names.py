"""Person names (pure): every way a name is read, in one place.

- `split_names`: the names of a list's `**Authors:**` line (commas, semicolons, "and", "&").
- `split_joined`: names joined by "and" / ";" (a BibTeX author field) apart.
- `parse_listed_name`: a name as written in a list, split the way BibTeX would ("Last, First", "First von Last").
- `split_name`: a source's display name as (given, family): particles ("van", "de la") kept with the family
  name, generational suffixes (Jr., III) dropped.
- `family_name`: the family name a search query carries (before the comma, else the last word).
- `family_keys` / `author_family_keys`: the comparison keys of a family name ("van den Oord" ~ "Oord",
  "Le Cun" ~ "LeCun", "Zhang Wei" either way round), for matching listed authors against a record's.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from avenrich.model import Author
from avenrich.text import clean_markup, strip_accents

_NAME_SEPARATORS = re.compile(r"\s*(?:[,;]|\band\b|&)\s*", re.IGNORECASE)
# A lowercase word starts the family name in BibTeX's "First von Last".
_VON = re.compile(r"^[a-z]")
# Particles that stay with a family name, and generational suffixes that are not one (split_name).
_PARTICLES = frozenset(
    {
        "van", "von", "de", "der", "den", "del", "della", "delle", "di", "da", "du", "la", "le", "dos", "das",
        "do", "ter", "ten", "zu", "af", "av", "bin", "ibn", "al", "el",
    }
)  # fmt: skip
_SUFFIXES = frozenset({"jr", "jr.", "sr", "sr.", "ii", "iii", "iv"})


def split_names(line: str) -> tuple[str, ...]:
    """Author names of an `**Authors:**` line, split on commas, semicolons, "and" and "&"."""
    names = (name.strip(" .") for name in _NAME_SEPARATORS.split(clean_markup(line)))
    return tuple(name for name in names if name and name.lower() not in ("et al", "others"))


_ET_AL = re.compile(r"\bet\.? al\.?|\band others\b", re.IGNORECASE)


def _tokens(text: str) -> list[str]:
    return [t for t in re.sub(r"[^a-z]+", " ", strip_accents(text).lower()).split() if len(t) > 1]


def family_keys(name: str) -> frozenset[str]:
    """Family-name keys of a name as written: "Aaron van den Oord", "Vaswani, A.", "Zhang Wei"."""
    name = _ET_AL.sub(" ", clean_markup(name)).strip(" ,;")
    if name.count(",") == 1:
        family = _tokens(name.split(",")[0])
        return frozenset({family[-1], "".join(family)}) if family else frozenset()
    tokens = _tokens(name)
    if not tokens:
        return frozenset()
    keys = {tokens[-1]}
    if len(tokens) >= 2:
        keys.add(tokens[-2] + tokens[-1])  # "Le Cun" ~ "LeCun", "van den Oord" ~ "Oord"
    if len(tokens) == 2:
        keys.add(tokens[0])  # family name first ("Zhang Wei")
    return frozenset(keys)


def author_family_keys(author: Author) -> frozenset[str]:
    """Family-name keys of a source's author (its family field, else its name as written)."""
    if author.family:
        family = _tokens(author.family)
        return frozenset({family[-1], "".join(family)}) if family else frozenset()
    return family_keys(author.literal or author.display)


def split_joined(names: Iterable[str]) -> list[str]:
    """Names that a list joined with "and" or ";" (a BibTeX author field), one each."""
    out: list[str] = []
    for name in names:
        out.extend(part for part in re.split(r"\s+and\s+|;", name) if part.strip())
    return out


def parse_listed_name(name: str) -> Author:
    """An author name as written in a list, split the way BibTeX would ("Last, First" or "First von Last")."""
    text = " ".join(name.split())
    if "," in text:
        family, _, given = text.partition(",")
        return Author(given=given.strip() or None, family=family.strip() or None)
    words = text.split(" ")
    if len(words) == 1 or _VON.match(words[0]):
        return Author(family=text or None)
    # The family name starts at the first lowercase particle (van, de, von) after the first word, else is
    # the last word: "Ludwig van Beethoven" -> van Beethoven, "Ruohan Gao" -> Gao.
    start = next((i for i in range(1, len(words) - 1) if _VON.match(words[i])), len(words) - 1)
    return Author(given=" ".join(words[:start]), family=" ".join(words[start:]))


def split_name(name: str) -> tuple[str | None, str]:
    """(given, family) of a display name: the last word is the family name, with its particles
    ("van", "de la", …) and without a generational suffix (Jr., III); "Family, Given" is understood.
    """
    if "," in name:
        before, _, after = (part.strip() for part in name.partition(","))
        if before and after and after.lower() not in _SUFFIXES:
            return after, before
    tokens = name.replace(",", " ").split()
    if not tokens:
        return None, ""
    if len(tokens) >= 3 and tokens[-1].lower().rstrip(",") in _SUFFIXES:
        tokens = tokens[:-1]
    start = len(tokens) - 1
    while start > 1 and tokens[start - 1] in _PARTICLES:
        start -= 1
    return " ".join(tokens[:start]) or None, " ".join(tokens[start:])


def family_name(name: str) -> str:
    """The family name of a name as a search query wants it: before the comma, else the last word."""
    if "," in name:
        return name.split(",", 1)[0].strip()
    tokens = name.replace(".", ". ").split()
    return tokens[-1].strip(".") if tokens else ""
