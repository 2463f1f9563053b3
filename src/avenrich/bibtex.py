"""BibTeX output (pure): one entry per paper through bibtexparser v2, LaTeX-escaped, capitals protected.

`escape_latex` turns plain Unicode text into LaTeX that BibTeX, biber and LaTeX accept; `unescape_latex`
reads it back (the round trip is tested). `to_bibtex` writes one entry per distinct paper, ordered by key.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from collections.abc import Iterable, Iterator, Mapping, Sequence

from bibtexparser.entrypoint import write_string
from bibtexparser.library import Library
from bibtexparser.model import Entry, Field
from bibtexparser.writer import BibtexFormat
from pylatexenc.latex2text import LatexNodes2Text, MacroTextSpec, get_default_latex_context_db

from avenrich.keys import group_by_key
from avenrich.model import Author, Record
from avenrich.text import DROPPED_CATEGORIES, clean_text, heading_names

MONTHS = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")

# Crossref type -> (BibTeX entry type, the field naming the container, the record fields that can fill it).
# A type whose container is unknown falls back to @misc, so no entry lacks a field its type requires.
ENTRY_TYPES: Mapping[str, tuple[str, str | None, tuple[str, ...]]] = {
    "proceedings-article": ("inproceedings", "booktitle", ("venue",)),
    "journal-article": ("article", "journal", ("venue",)),
    "book-chapter": ("incollection", "booktitle", ("venue",)),
    "book-section": ("incollection", "booktitle", ("venue",)),
    "book-part": ("incollection", "booktitle", ("venue",)),
    "reference-entry": ("incollection", "booktitle", ("venue",)),
    "book": ("book", "publisher", ("publisher",)),
    "monograph": ("book", "publisher", ("publisher",)),
    "edited-book": ("book", "publisher", ("publisher",)),
    "reference-book": ("book", "publisher", ("publisher",)),
    "report": ("techreport", "institution", ("publisher", "venue")),
    "dissertation": ("phdthesis", "school", ("publisher", "venue")),
}

# The order of fields inside every entry (BibTeX ignores it; a fixed order keeps diffs small).
FIELD_ORDER = (
    "author", "title", "booktitle", "journal", "howpublished", "institution", "school", "year", "month",
    "volume", "number", "pages", "publisher", "doi", "eprint", "archivePrefix", "url", "keywords", "key",
)  # fmt: skip

# Characters with a LaTeX spelling. Specials first; then typography and letters LaTeX spells as commands;
# then Greek and a few symbols in math mode, braced so BibTeX's case changes leave them alone.
# Anything else that is not ASCII stays UTF-8 (biber and 8-bit BibTeX both pass it through; there is no
# better LaTeX spelling for CJK, Cyrillic, …).
LATEX_CHARS: Mapping[str, str] = {
    "\\": r"\textbackslash{}", "{": r"\textbraceleft{}", "}": r"\textbraceright{}",
    "&": r"\&", "%": r"\%", "$": r"\$", "#": r"\#", "_": r"\_",
    "~": r"\textasciitilde{}", "^": r"\textasciicircum{}",
    "<": r"\textless{}", ">": r"\textgreater{}", "|": r"\textbar{}",
    "–": "--", "—": "---", "‐": "-", "‑": "-", "−": "{$-$}",
    "‘": "`", "’": "'", "“": "``", "”": "''",
    "…": r"\ldots{}", "°": r"\textdegree{}", "¡": r"\textexclamdown{}", "¿": r"\textquestiondown{}",
    "ß": r"{\ss}", "æ": r"{\ae}", "Æ": r"{\AE}", "œ": r"{\oe}", "Œ": r"{\OE}", "ø": r"{\o}", "Ø": r"{\O}",
    "ł": r"{\l}", "Ł": r"{\L}", "ı": r"{\i}", "ȷ": r"{\j}",
    "α": r"{$\alpha$}", "β": r"{$\beta$}", "γ": r"{$\gamma$}", "δ": r"{$\delta$}", "ε": r"{$\varepsilon$}",
    "ϵ": r"{$\epsilon$}", "ζ": r"{$\zeta$}", "η": r"{$\eta$}", "θ": r"{$\theta$}", "ϑ": r"{$\vartheta$}",
    "ι": r"{$\iota$}", "κ": r"{$\kappa$}", "λ": r"{$\lambda$}", "μ": r"{$\mu$}", "ν": r"{$\nu$}",
    "ξ": r"{$\xi$}", "π": r"{$\pi$}", "ϖ": r"{$\varpi$}", "ρ": r"{$\rho$}", "ϱ": r"{$\varrho$}",
    "σ": r"{$\sigma$}", "ς": r"{$\varsigma$}", "τ": r"{$\tau$}", "υ": r"{$\upsilon$}", "φ": r"{$\varphi$}",
    "ϕ": r"{$\phi$}", "χ": r"{$\chi$}", "ψ": r"{$\psi$}", "ω": r"{$\omega$}",
    "Γ": r"{$\Gamma$}", "Δ": r"{$\Delta$}", "Θ": r"{$\Theta$}", "Λ": r"{$\Lambda$}", "Ξ": r"{$\Xi$}",
    "Π": r"{$\Pi$}", "Σ": r"{$\Sigma$}", "Υ": r"{$\Upsilon$}", "Φ": r"{$\Phi$}", "Ψ": r"{$\Psi$}",
    "Ω": r"{$\Omega$}",
    "×": r"{$\times$}", "±": r"{$\pm$}", "≤": r"{$\leq$}", "≥": r"{$\geq$}", "≠": r"{$\neq$}",
    "≈": r"{$\approx$}", "→": r"{$\rightarrow$}", "←": r"{$\leftarrow$}", "↔": r"{$\leftrightarrow$}",
    "∞": r"{$\infty$}",
}  # fmt: skip

# Characters whose LaTeX spelling reads back as another character: LaTeX typesets ` and ' as the curly
# single quotes, and hyphens and the minus sign all become "-". The round-trip property compares modulo this.
LOSSY = str.maketrans({"‘": "`", "’": "'", "‐": "-", "‑": "-", "−": "-"})

# Combining marks -> LaTeX accent commands (on ASCII letters only: {\'e}, {\v{s}}, {\c{c}}, nested {\'{\^e}}).
ACCENTS: Mapping[str, str] = {
    "\u0300": "`", "\u0301": "'", "\u0302": "^", "\u0303": "~", "\u0304": "=", "\u0306": "u", "\u0307": ".",
    "\u0308": '"', "\u030a": "r", "\u030b": "H", "\u030c": "v", "\u0327": "c", "\u0328": "k", "\u0323": "d",
    "\u0331": "b",
}  # fmt: skip
_ABOVE = frozenset("\u0300\u0301\u0302\u0303\u0304\u0306\u0308\u030a\u030b\u030c")
# Pairs that TeX fonts turn into one glyph (-- — `` '' !` ?` ,,); an empty group keeps them apart.
_LIGATURES = frozenset({("-", "-"), ("`", "`"), ("'", "'"), ("!", "`"), ("?", "`"), (",", ",")})
# What makes printable ASCII text differ from its LaTeX: a special character, or a ligature pair.
_ASCII_SPECIAL = re.compile(
    "|".join([*(re.escape(ch) for ch in LATEX_CHARS if ch.isascii()), *(re.escape(a + b) for a, b in _LIGATURES)])
)
# Entry types whose data model has a publisher field (biblatex: not @article, not @misc).
_PUBLISHED_BY = frozenset({"inproceedings", "incollection", "book"})
_DASHES = re.compile(r"\s*[-‐‑‒–—―]+\s*")
_WORD_SPLIT = re.compile(r"([-/‐‑‒–—―])")
_EDGES = re.compile(r"([^\w]*)(.*?)([^\w]*)", re.DOTALL)
_VERBATIM_OK = re.compile(r"[!#$%&'()*+,\-./0-9:;=?@A-Z\[\]_a-z|~]")
_VERBATIM_ALL_OK = re.compile(r"[!#$%&'()*+,\-./0-9:;=?@A-Z\[\]_a-z|~]*")


@functools.lru_cache(maxsize=1 << 16)
def escape_latex(text: str) -> str:
    """LaTeX for plain Unicode text (never pre-escaped input): specials escaped, accents as commands.

    Control and format characters are dropped, whitespace characters become spaces, and characters without
    a LaTeX spelling are kept as UTF-8. Braces in the result are balanced, as BibTeX requires.
    """
    if text.isascii() and text.isprintable() and not _ASCII_SPECIAL.search(text):
        return text  # the common case: every character stands for itself and no ligature forms
    return _join(_escape_char(ch) for ch in unicodedata.normalize("NFC", text))


def _join(pieces: Iterable[str]) -> str:
    """LaTeX pieces concatenated, with an empty group wherever two would form a ligature."""
    out: list[str] = []
    for piece in pieces:
        if piece and out and (out[-1][-1], piece[0]) in _LIGATURES:
            out.append("{}")
        if piece:
            out.append(piece)
    return "".join(out)


def _escape_char(ch: str) -> str:
    if ch in LATEX_CHARS:
        return LATEX_CHARS[ch]
    if ch.isspace():
        return " "
    if ch.isascii():
        return "" if unicodedata.category(ch) in DROPPED_CATEGORIES else ch
    if unicodedata.category(ch) in DROPPED_CATEGORIES:
        return ""
    decomposed = unicodedata.normalize("NFD", ch)
    base, marks = decomposed[0], decomposed[1:]
    if not marks or not base.isascii() or not base.isalpha() or not all(m in ACCENTS for m in marks):
        return ch
    inner = {"i": r"\i", "j": r"\j"}.get(base, base) if marks[0] in _ABOVE else base
    for mark in marks:
        command = ACCENTS[mark]
        braced = command.isalpha() or len(inner) > 1
        inner = f"\\{command}{{{inner}}}" if braced else f"\\{command}{inner}"
    return "{" + inner + "}"


def _decoder() -> LatexNodes2Text:
    db = get_default_latex_context_db()
    db.add_context_category(
        "avenrich",
        prepend=True,
        macros=[
            MacroTextSpec("textbraceleft", "{"),
            MacroTextSpec("textbraceright", "}"),
            MacroTextSpec("textless", "<"),
            MacroTextSpec("textgreater", ">"),
            MacroTextSpec("textbar", "|"),
            MacroTextSpec("textasciicircum", "^"),
            MacroTextSpec("textasciitilde", "~"),
            MacroTextSpec("url", "%s"),
        ],
    )
    return LatexNodes2Text(latex_context=db, math_mode="text", keep_braced_groups=False)


_DECODER = _decoder()


def unescape_latex(latex: str) -> str:
    """Plain Unicode text (NFC) from a field value written by this module; braces of protection removed."""
    return unicodedata.normalize("NFC", _DECODER.latex_to_text(latex))


def protect_title(title: str) -> str:
    """The title as a BibTeX value: escaped, with case-sensitive words in braces.

    Sentence-case styles lowercase every unbraced letter but the first, so words whose capitals carry
    meaning are braced: acronyms and mixed case (CNN, AVQA, GANimation, MakeItTalk, iPhone), words with a
    capital after a digit (2.5D, 3D) and the pronoun I; each part of a hyphenated word is judged alone
    (CNN-Based -> {CNN}-Based). Plainly capitalised words (Audio, Visual) and proper names that look like
    them cannot be told apart and are left to the style. An all-capitals title is not protected at all.
    """
    text = clean_text(title)
    shouting = not any(ch.islower() for ch in text) and len(text.split()) > 1
    words = (_protected_word(word, shouting) for word in text.split(" "))
    return " ".join(w for w in words if w)


@functools.lru_cache(maxsize=1 << 16)
def _protected_word(word: str, shouting: bool) -> str:
    """One word of a title as protect_title writes it (memoised: titles share most of their words)."""
    return _join(escape_latex(part) if shouting else _protect(part) for part in _WORD_SPLIT.split(word))


def _protect(part: str) -> str:
    """The escaped part, its core (without surrounding punctuation) braced when its capitals matter."""
    lead, core, trail = _EDGES.fullmatch(part).groups()  # type: ignore[union-attr]
    if not _needs_protection(core):
        return escape_latex(part)
    escaped = escape_latex(core)
    # A group that starts with a backslash is a "special character" to BibTeX, whose letters it does
    # change: double braces make it an ordinary protected group.
    braced = "{{" + escaped + "}}" if escaped.startswith("\\") else "{" + escaped + "}"
    return _join((escape_latex(lead), braced, escape_latex(trail)))


def _needs_protection(part: str) -> bool:
    upper = [i for i, ch in enumerate(part) if ch.isupper()]
    if not upper:
        return False
    if len(upper) >= 2 or any(i > 0 and part[i - 1].isalnum() for i in upper):
        return True
    letters = [ch for ch in part if ch.isalpha()]
    return len(letters) == 1 and letters[0] == "I"


def to_bibtex(records: Sequence[Record], keys: Mapping[str, str]) -> str:
    """The BibTeX file: one entry per distinct paper (records sharing a key merge), ordered by key."""
    return "".join(to_bibtex_chunks(records, keys))


def to_bibtex_chunks(
    records: Sequence[Record], keys: Mapping[str, str], key_of: Sequence[str] | None = None
) -> Iterator[str]:
    """The BibTeX file an entry at a time (the text of one bibtexparser library of them all, without the
    library and the whole text in memory: hundreds of MB at 100k links); entries are separated by a blank line.
    `key_of`: each record's key, when the caller has them (keys.group_by_key).
    """
    for number, (_key, text) in enumerate(to_bibtex_entries(records, keys, key_of)):
        yield "\n" + text if number else text


def to_bibtex_entries(
    records: Sequence[Record], keys: Mapping[str, str], key_of: Sequence[str] | None = None
) -> Iterator[tuple[str, str]]:
    """(key, BibTeX text of that paper's entry), one per distinct paper, ordered by key (the catalogue page
    copies one entry at a time)."""
    formatting = BibtexFormat()  # type: ignore[no-untyped-call]
    formatting.indent = "  "
    formatting.block_separator = "\n"
    for key, group in group_by_key(records, keys, key_of):
        # Values are enclosed here (braces, month macros bare), so no unparse middleware touches them.
        yield key, write_string(Library([to_entry(key, group)]), unparse_stack=[], bibtex_format=formatting)


def to_entry(key: str, records: Sequence[Record]) -> Entry:
    """The BibTeX entry of one paper from its records (one per link listing it, in input order)."""
    record = next((r for r in records if r.resolution.status == "resolved"), records[0])
    resolved = record.resolution.status == "resolved"
    values: dict[str, str] = {}
    entry_type = "misc"
    if resolved and record.type and record.type in ENTRY_TYPES:
        kind, container, sources = ENTRY_TYPES[record.type]
        filler = next((v for v in (getattr(record, s) for s in sources) if v), None)
        if filler and container:
            entry_type = kind
            values[container] = _braced(escape_latex(clean_text(filler)))
    if record.authors:
        values["author"] = _braced(" and ".join(_name(a) for a in record.authors))
    title = protect_title(record.title)
    if title:
        values["title"] = _braced(title)
    if record.year:
        values["year"] = _braced(str(record.year))
    if record.month and 1 <= record.month <= 12:
        values["month"] = MONTHS[record.month - 1]
    if resolved:
        values.update(_details(record, entry_type))
    if record.ids.doi:
        values["doi"] = _braced(_verbatim(record.ids.doi))
    if record.ids.arxiv:
        values["eprint"] = _braced(_verbatim(record.ids.arxiv))
        values["archivePrefix"] = "{arXiv}"
    values["url"] = _braced(_verbatim(records[0].link.url))
    keywords = _keywords(records)
    if keywords:
        values["keywords"] = _braced(keywords)
    # What BibTeX sorts an entry without authors by ("to sort, need author or key"): its title, else its key.
    # Run diagnostics (why an entry is unverified) never go into a printed field: the JSON and report say them.
    if "author" not in values:
        values["key"] = _braced(escape_latex(clean_text(record.title)) or key)
    fields = [Field(name, values[name]) for name in FIELD_ORDER if name in values]
    return Entry(entry_type, key, fields)


def _details(record: Record, entry_type: str) -> dict[str, str]:
    """Volume, number, pages, publisher and (for @misc) where it appeared, for a resolved record."""
    values: dict[str, str] = {}
    for name, value in (("volume", record.volume), ("number", record.issue)):
        if value and clean_text(value):
            values[name] = _braced(escape_latex(clean_text(value)))
    if record.pages and clean_text(record.pages):
        values["pages"] = _braced(escape_latex(_DASHES.sub("–", clean_text(record.pages))))
    publisher = clean_text(record.publisher or "")
    if publisher and entry_type in _PUBLISHED_BY:
        values["publisher"] = _braced(escape_latex(publisher))
    # @misc has no venue or publisher field (biblatex's data model rejects them): where it appeared goes to
    # howpublished, except for arXiv preprints, whose eprint fields say it.
    where = clean_text(record.venue or "") or publisher
    if entry_type == "misc" and where and not record.ids.arxiv:
        values["howpublished"] = _braced(escape_latex(where))
    return values


def _name(author: Author) -> str:
    """One name in BibTeX form: "Family, Given"; organisations (and unsplit names) braced whole."""
    family = clean_text(author.family or "")
    given = clean_text(author.given or "")
    if author.literal or not family:
        return "{" + escape_latex(clean_text(author.literal or given or family)) + "}"
    family_tex, given_tex = escape_latex(family), escape_latex(given)
    if "," in family or _has_and(family) or (not given and " " in family):
        family_tex = "{" + family_tex + "}"
    if "," in given or _has_and(given):
        given_tex = "{" + given_tex + "}"
    return f"{family_tex}, {given_tex}" if given_tex else family_tex


def _has_and(text: str) -> bool:
    """True when a name part holds the word "and", which BibTeX would read as a name separator."""
    return any(word.casefold() == "and" for word in text.split())


def _keywords(records: Sequence[Record]) -> str:
    """The distinct heading names of every section path of the paper, in order, comma-separated."""
    escaped = (escape_latex(n) for n in heading_names(p for r in records for p in r.link.sections))
    return ", ".join("{" + e + "}" if "," in e else e for e in escaped)


def _verbatim(value: str) -> str:
    """A URL, DOI or eprint id for a verbatim field: characters BibTeX or TeX would choke on %-encoded."""
    value = value.strip()
    if _VERBATIM_ALL_OK.fullmatch(value):
        return value
    return "".join(
        ch if _VERBATIM_OK.fullmatch(ch) else "".join(f"%{b:02X}" for b in ch.encode("utf-8")) for ch in value.strip()
    )


def _braced(value: str) -> str:
    return "{" + value + "}"
