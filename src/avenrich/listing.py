"""The list reader (pure): Markdown (markdown-it-py token stream) or BibTeX (bibtexparser v2) -> Links.

Markdown rules, in short: one Link per distinct http(s) URL, exactly as written, in order of first
appearance; heading paths without the document title and table-of-contents headings; links in tables are
datasets; anchors, relative links, images and badges are skipped. See parse_markdown for the details.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from functools import cache
from typing import Any
from urllib.parse import urlsplit

from bibtexparser.entrypoint import parse_string as parse_bibtex_string
from bibtexparser.middlewares import LatexDecodingMiddleware
from markdown_it import MarkdownIt
from markdown_it.common.utils import normalizeReference, unescapeAll
from markdown_it.helpers import parseLinkDestination
from markdown_it.rules_block import StateBlock
from markdown_it.rules_block.reference import reference as reference_rule
from markdown_it.rules_core import StateCore
from markdown_it.rules_core import inline as core_inline
from markdown_it.rules_core import text_join as core_text_join
from markdown_it.rules_inline import StateInline
from markdown_it.rules_inline.autolink import autolink as autolink_rule
from markdown_it.rules_inline.link import link as link_rule
from markdown_it.token import Token

from avenrich import text
from avenrich.errors import InputError
from avenrich.model import Kind, Link
from avenrich.names import split_names

# --- Markdown parser set-up ------------------------------------------------------------------------

_RAW_REFS = "avenrich_raw_references"  # env key: reference label -> destination as written


class _VerbatimMarkdown(MarkdownIt):
    """CommonMark + tables, keeping link destinations as written (no percent-encoding or punycode)."""

    def normalizeLink(self, url: str) -> str:
        return url

    def normalizeLinkText(self, link: str) -> str:
        return link


def _source_recording(rule: Callable[[StateInline, bool], bool], raw: bool) -> Callable[[StateInline, bool], bool]:
    """Wrap an inline rule so that its link_open token records its offset (and raw destination)."""

    def recording(state: StateInline, silent: bool) -> bool:
        start, count = state.pos, len(state.tokens)
        if not rule(state, silent):
            return False
        link_open = None if silent else next((t for t in state.tokens[count:] if t.type == "link_open"), None)
        if link_open is not None:
            link_open.meta["offset"] = start
            if raw:  # the same label scan as the link rule's own, now that it has succeeded
                label_end = state.md.helpers.parseLinkLabel(state, start, True)
                if label_end >= 0:
                    link_open.meta["raw_href"] = _inline_destination(state.src, label_end, state.posMax)
        return True

    return recording


def _inline_destination(src: str, label_end: int, maximum: int) -> str | None:
    """The destination of `[label](dest ...)` exactly as written, or None (a reference link)."""
    pos = label_end + 1
    if pos >= maximum or src[pos] != "(":
        return None
    pos += 1
    while pos < maximum and src[pos] in " \t\n":
        pos += 1
    return _destination_at(src, pos, maximum)


def _destination_at(src: str, pos: int, maximum: int) -> str | None:
    result = parseLinkDestination(src, pos, maximum)
    if not result.ok:
        return None
    written = src[pos : result.pos]
    if written.startswith("<") and written.endswith(">"):
        written = written[1:-1]
    return written


def _recording_reference(state: StateBlock, start_line: int, end_line: int, silent: bool) -> bool:
    """The reference-definition rule, also remembering each definition's destination as written."""
    if not reference_rule(state, start_line, end_line, silent):
        return False
    if silent:
        return True
    begin = state.bMarks[start_line] + state.tShift[start_line]
    source = state.src[begin : state.eMarks[max(start_line, state.line - 1)]]
    label_end = _label_end(source)
    if label_end > 0 and source[label_end + 1 : label_end + 2] == ":":
        pos = label_end + 2
        while pos < len(source) and source[pos] in " \t\n":
            pos += 1
        written = _destination_at(source, pos, len(source))
        label = normalizeReference(source[1:label_end])
        if written is not None:
            state.env.setdefault(_RAW_REFS, {}).setdefault(label, written)
    return True


def _label_end(source: str) -> int:
    pos = 1
    while pos < len(source):
        if source[pos] == "\\":
            pos += 2
            continue
        if source[pos] == "]":
            return pos
        pos += 1
    return -1


@cache
def _markdown() -> MarkdownIt:
    # markdown-it's default maxNesting (20 blocks: 10 list levels) silently drops whatever is nested deeper;
    # here depth is unlimited, and a list nested too deep for Python's recursion is refused in _collect.
    parser = _VerbatimMarkdown("commonmark", {"store_labels": True, "maxNesting": 1_000_000}).enable("table")
    parser.inline.ruler.at("link", _source_recording(link_rule, raw=True))
    parser.inline.ruler.at("autolink", _source_recording(autolink_rule, raw=False))
    parser.block.ruler.at("reference", _recording_reference)
    parser.core.ruler.disable(["inline", "text_join"])  # run per block by _inline_children
    return parser


# --- small text helpers ----------------------------------------------------------------------------

_BR = re.compile(r"^<br\s*/?>$", re.IGNORECASE)
_YEAR = re.compile(r"(?<![\w.])((?:19|20)\d{2})(?![\w.])")
_TAG = re.compile(r"^\[\s*([^\[\]]+?)\s*\]$")
_LABEL = re.compile(r"^(authors?|institutions?|affiliations?)\s*:?$", re.IGNORECASE)
_BADGE_HOSTS = ("shields.io", "badgen.net", "badge.fury.io", "awesome.re", "forthebadge.com")


def _single_year(line: str) -> int | None:
    years = set(_YEAR.findall(line))
    return int(years.pop()) if len(years) == 1 else None


def _plain(tokens: Iterable[Token]) -> str:
    """Visible text of inline tokens: text and code, breaks as spaces, markup and HTML dropped."""
    parts: list[str] = []
    for token in tokens:
        if token.type in ("text", "code_inline"):
            parts.append(token.content)
        elif token.type in ("softbreak", "hardbreak"):
            parts.append(" ")
        elif token.type == "html_inline":
            parts.append(" " if _BR.match(token.content) else token.content)
    return text.clean_markup("".join(parts))


def _is_listable(url: str) -> bool:
    """True for absolute http(s) links that are not badges; anchors, relative links, mailto: etc. are not."""
    try:
        parts = urlsplit(url)
        host = (parts.hostname or "").lower()
    except ValueError:
        return False
    if parts.scheme.lower() not in ("http", "https") or not host:
        return False
    return not any(host == badge or host.endswith("." + badge) for badge in _BADGE_HOSTS)


# --- Markdown --------------------------------------------------------------------------------------


@dataclass(slots=True)
class _Occurrence:
    """One place a link is listed; merged per URL into a Link at the end."""

    url: str
    title: str
    section: tuple[str, ...]
    line: int
    kind: Kind = "paper"
    year: int | None = None
    venue_tag: str | None = None
    authors: tuple[str, ...] = ()
    institution: str | None = None


@dataclass(slots=True)
class _Block:
    """One inline block (paragraph, list item text, table cell) being read."""

    section: tuple[str, ...]
    first_line: int
    source: str
    kind: Kind
    document: str
    occurrences: list[_Occurrence] = field(default_factory=list)


def _lines(children: Sequence[Token]) -> list[list[Token]]:
    """The children split into visual lines at line breaks and `<br>` (never inside a link)."""
    lines: list[list[Token]] = [[]]
    depth = 0
    for child in children:
        depth += child.nesting if child.type in ("link_open", "link_close") else 0
        is_break = child.type in ("softbreak", "hardbreak") or (
            child.type == "html_inline" and _BR.match(child.content) is not None
        )
        if is_break and depth == 0:
            lines.append([])
        else:
            lines[-1].append(child)
    return [line for line in lines if any(t.type != "text" or t.content.strip() for t in line)]


def _label_line(line: list[Token]) -> tuple[str, str] | None:
    """("authors"|"institution", value) for a line opening with `**Authors:**` / `**Institution:**`."""
    tokens = [t for t in line if not (t.type == "text" and not t.content.strip())]
    if len(tokens) < 3 or tokens[0].type != "strong_open":
        return None
    close = next((i for i, t in enumerate(tokens) if t.type == "strong_close"), None)
    if close is None:
        return None
    match = _LABEL.match(_plain(tokens[1:close]))
    if match is None:
        return None
    value = _plain(tokens[close + 1 :]).lstrip(":").strip()
    kind = "authors" if match.group(1).lower().startswith("author") else "institution"
    return kind, value


def _read_block(block: _Block, children: Sequence[Token]) -> None:
    """Collect the block's link occurrences with their tag, year, authors and institution."""
    pending_tag: str | None = None
    head: _Occurrence | None = None  # the entry's title link: it takes the tag and the label lines
    for line in _lines(children):
        labelled = _label_line(line)
        if labelled is not None:
            if head is not None and labelled[0] == "authors" and not head.authors:
                head.authors = split_names(labelled[1])
            elif head is not None and labelled[0] == "institution" and head.institution is None:
                head.institution = labelled[1] or None
            continue
        index = 0
        while index < len(line):
            token = line[index]
            if token.type == "strong_open":
                close = _closing(line, index, "strong_close")
                tag = _TAG.match(_plain(line[index + 1 : close]))
                if tag is not None and not any(t.type == "link_open" for t in line[index:close]):
                    pending_tag, head = tag.group(1), None
                    index = close + 1
                    continue
            if token.type == "link_open":
                close = _closing(line, index, "link_close")
                occurrence = _occurrence(block, token, line[index + 1 : close])
                if occurrence is not None:
                    trailing = line[close + 1 : _next_link(line, close + 1)]
                    occurrence.year = _single_year(_plain(trailing))
                    if head is None or pending_tag is not None:
                        head = occurrence
                        if pending_tag is not None:
                            venue, tag_year = text.parse_venue_tag(pending_tag)
                            occurrence.venue_tag = pending_tag if venue else None
                            occurrence.year = occurrence.year or tag_year
                            pending_tag = None
                    block.occurrences.append(occurrence)
                index = close + 1
                continue
            index += 1


def _closing(line: list[Token], start: int, closing: str) -> int:
    return next((i for i in range(start + 1, len(line)) if line[i].type == closing), len(line))


def _next_link(line: list[Token], start: int) -> int:
    return next((i for i in range(start, len(line)) if line[i].type == "link_open"), len(line))


def _occurrence(block: _Block, link_open: Token, inner: list[Token]) -> _Occurrence | None:
    """The occurrence for one link, or None for links that are not list entries (images, badges, ...)."""
    href = str(link_open.attrs.get("href", ""))
    url = link_open.meta.get("raw_href")
    if url is None and link_open.meta.get("label") is not None:
        url = link_open.meta.get("env_raw")  # set by _read_inline from the reference definitions
    if url is None or unescapeAll(str(url)) != href:
        # Without a verified written form, the parsed destination stands in only where it is verbatim.
        url = href if link_open.markup == "autolink" or href in block.document else None
    if url is None or not _is_listable(url) or any(t.type == "image" for t in inner):
        return None
    offset = link_open.meta.get("offset")
    line = block.first_line + (block.source.count("\n", 0, offset) if isinstance(offset, int) else 0)
    title = "" if link_open.markup == "autolink" else _plain(inner)
    return _Occurrence(url=url, title=title, section=block.section, line=line, kind=block.kind)


def _inline_children(parser: MarkdownIt, token: Token, env: dict[str, Any]) -> list[Token]:
    """The inline tokens of one block token, parsed now by markdown-it's own core rules (inline, text_join).

    The block pass leaves inline tokens unparsed: holding every block's inline tokens at once took ~400 MB
    for a 100k-link list, and what the parse kept was then scattered over that much heap.
    """
    state = StateCore(token.content, parser, env)
    state.tokens = [token]
    core_inline(state)
    core_text_join(state)
    return token.children or []


def _anchor_and_other_links(children: Sequence[Token]) -> tuple[int, int]:
    """(links to in-page anchors, other links) among inline tokens."""
    anchors = others = 0
    for child in children:
        if child.type == "link_open":
            if str(child.attrs.get("href", "")).startswith("#"):
                anchors += 1
            else:
                others += 1
    return anchors, others


def _collect(text_: str) -> list[_Occurrence]:
    """Every link occurrence of the document, in order.

    Headings left out of section paths: the document title (the first heading, when it is the only level-1
    heading) and table-of-contents headings (whose own links, up to the next heading, are all in-page
    anchors). A heading with any other link below it lists something, so it is never dropped; the decision
    is therefore known, without looking back, when the next heading opens.
    """
    env: dict[str, Any] = {}
    parser = _markdown()
    try:
        tokens = parser.parse(text_, env)
    except RecursionError:
        raise InputError("the list is nested too deeply to read (hundreds of levels of lists or quotes)") from None
    raw_refs: dict[str, str] = env.get(_RAW_REFS, {})
    headings = [t for t in tokens if t.type == "heading_open"]
    only_h1 = headings and headings[0].tag == "h1" and sum(t.tag == "h1" for t in headings) == 1
    title_heading = headings[0] if only_h1 else None
    stack: list[tuple[int, str | None]] = []
    anchors = others = 0  # links below the latest heading
    occurrences: list[_Occurrence] = []
    header: list[str] = []
    row: list[tuple[int, str]] = []  # (column, cell text) of the current table row
    row_occurrences: list[_Occurrence] = []
    in_head = False
    for index, token in enumerate(tokens):
        if token.type == "heading_open":
            if stack and anchors and not others:  # the latest heading was a table of contents
                stack[-1] = (stack[-1][0], None)
            anchors = others = 0
            level = int(token.tag[1:])
            while stack and stack[-1][0] >= level:
                stack.pop()
            children = _inline_children(parser, tokens[index + 1], env)
            # A heading that links a paper lists it under the headings above it.
            occurrences.extend(_read_inline(tokens[index + 1], children, stack, "paper", raw_refs, text_))
            stack.append((level, None if token is title_heading else _plain(children)))
            tokens[index + 1].children = None
        elif token.type == "thead_open":
            in_head, header = True, []
        elif token.type == "thead_close":
            in_head = False
        elif token.type == "tr_open":
            row, row_occurrences = [], []
        elif token.type == "tr_close" and not in_head:
            _apply_year_column(header, row, row_occurrences)
        elif token.type == "inline" and tokens[index - 1].type != "heading_open":
            children = _inline_children(parser, token, env)
            to_anchors, to_others = _anchor_and_other_links(children)
            anchors, others = anchors + to_anchors, others + to_others
            if tokens[index - 1].type in ("th_open", "td_open"):
                if in_head:
                    header.append(_plain(children).lower())
                else:
                    row.append((len(row), _plain(children)))
                    found = _read_inline(token, children, stack, "dataset", raw_refs, text_)
                    row_occurrences.extend(found)
                    occurrences.extend(found)
            else:
                occurrences.extend(_read_inline(token, children, stack, "paper", raw_refs, text_))
            token.children = None
    return occurrences


def _read_inline(
    token: Token,
    children: list[Token],
    stack: list[tuple[int, str | None]],
    kind: Kind,
    raw_refs: dict[str, str],
    document: str,
) -> list[_Occurrence]:
    for child in children:
        label = child.meta.get("label") if child.type == "link_open" else None
        if label is not None and label in raw_refs:
            child.meta["env_raw"] = raw_refs[label]
    section = tuple(title for _, title in stack if title)
    first_line = (token.map[0] + 1) if token.map else 1
    block = _Block(section=section, first_line=first_line, source=token.content, kind=kind, document=document)
    _read_block(block, children)
    return block.occurrences


def _apply_year_column(header: list[str], row: list[tuple[int, str]], found: list[_Occurrence]) -> None:
    """A table row's links take the year of its "Year" column when that cell holds exactly one year."""
    if "year" not in header:
        return
    column = header.index("year")
    cells = dict(row)
    year = _single_year(cells.get(column, ""))
    for occurrence in found:
        occurrence.year = occurrence.year or year


def parse_markdown(text_: str) -> list[Link]:
    """One Link per distinct http(s) link of a Markdown list, in order of first appearance.

    - url: the destination exactly as written (inline, reference and `<autolink>` links; bare URLs and
      HTML `<a>` tags are not links). Anchors (`#...`), relative links, mailto:/other schemes, images,
      links wrapping an image (badges) and badge hosts (shields.io, ...) are skipped.
    - title: the link text with Markdown/HTML stripped; autolinks have an empty title.
    - sections: one heading path per distinct place the link is listed (all levels, inline markup
      stripped), leaving out the document title (first heading, if it is the only level-1 heading)
      and table-of-contents headings (all of whose own links are in-page anchors). A link before any
      heading has the empty path (); a link inside a heading is listed under the headings above it.
    - year: the one 4-digit year (1900-2099) written after the link on the same line (", 2019"), else
      the year of the entry's venue tag, else (in tables) the row's "Year" column when it holds one year.
    - venue_tag: a bold `**[CVPR-2019]**` tag preceding the link in the same paragraph or list item
      (the later upstream format), kept as written; a year-only tag (`**[2019]**`) gives only the year.
      The tag, the `**Authors:**` and the `**Institution:**` lines go to the entry's title link: the first
      link after the tag (or the first link of the block when there is no tag).
    - kind: "dataset" for links inside tables, unless the same URL is also listed as a paper.
    Fields missing from the first occurrence are taken from later ones; `line` is the first occurrence's.
    """
    merged: dict[str, list[_Occurrence]] = {}
    for occurrence in _collect(text_):
        merged.setdefault(occurrence.url, []).append(occurrence)
    return [_merge(url, found) for url, found in merged.items()]


def _merge(url: str, found: list[_Occurrence]) -> Link:
    papers = [o for o in found if o.kind == "paper"]
    ordered = ([papers[0]] if papers else []) + found

    def first(values: Iterable[Any]) -> Any:
        return next((value for value in values if value), None)

    sections = tuple(dict.fromkeys(o.section for o in found))
    return Link(
        url=url,
        title=first(o.title for o in ordered) or "",
        year=first(o.year for o in ordered),
        sections=sections,
        venue_tag=first(o.venue_tag for o in ordered),
        authors=first(o.authors for o in ordered) or (),
        institution=first(o.institution for o in ordered),
        kind="paper" if papers else "dataset",
        line=found[0].line,
    )


# --- BibTeX ----------------------------------------------------------------------------------------

_ARXIV_IN_TEXT = re.compile(r"arxiv[:\s]*(\d{4}\.\d{4,5}(?:v\d+)?)", re.IGNORECASE)
_AUTHOR_SEPARATOR = re.compile(r"\s+and\s+", re.IGNORECASE)


def parse_bibtex(text_: str) -> list[Link]:
    """One Link per distinct link of a BibTeX file (see parse_bibtex_report)."""
    return parse_bibtex_report(text_)[0]


def parse_bibtex_report(text_: str) -> tuple[list[Link], list[str]]:
    """The Links of a BibTeX file, and one message per block that could not be used.

    - url: the `url` field; else `https://doi.org/<doi>` from `doi` (as written, or the field itself
      when it is already a URL); else `https://arxiv.org/abs/<eprint>` when archivePrefix/eprinttype is
      arXiv, or an `arXiv:<id>` in journal/note/howpublished (Google Scholar's export); else the
      pseudo-URL `bibtex:<key>`, so that entries without any link are still listed.
    - title, authors (split on " and ", as written), venue_tag (booktitle, else journal) are LaTeX-decoded
      with bibtexparser's LatexDecodingMiddleware; year from `year` (else `date`).
    - sections: (("BibTeX", entry type),); kind "dataset" for @dataset entries; bibtex_key; bibtex: the
      raw (undecoded) fields as (name, value) pairs in file order; line: the entry's first line.
    Syntax errors, duplicate keys and entries repeating an earlier entry's link become messages;
    everything else still parses.
    """
    library = parse_bibtex_string(text_)
    decoded = LatexDecodingMiddleware(allow_inplace_modification=False).transform(library)
    decoded_fields = {entry.key: {f.key.lower(): str(f.value) for f in entry.fields} for entry in decoded.entries}
    messages = [_failure(block) for block in library.failed_blocks]
    links: dict[str, Link] = {}
    for entry in library.entries:
        raw = [(f.key, str(f.value)) for f in entry.fields]
        fields = {key.lower(): value.strip() for key, value in raw}
        readable = decoded_fields.get(entry.key, fields)
        line = (entry.start_line or 0) + 1
        url = _bibtex_url(entry.key, fields)
        if url in links:
            messages.append(f"line {line}: entry {entry.key!r} repeats the link of {links[url].bibtex_key!r}")
            continue
        links[url] = Link(
            url=url,
            title=_clean_field(readable.get("title", "")),
            year=_single_year(readable.get("year", "") or readable.get("date", "")[:4]),
            sections=(("BibTeX", entry.entry_type.lower()),),
            venue_tag=_clean_field(readable.get("booktitle") or readable.get("journal") or "") or None,
            authors=tuple(
                name
                for part in _AUTHOR_SEPARATOR.split(_clean_field(readable.get("author", "")))
                if (name := part.strip())
            ),
            kind="dataset" if entry.entry_type.lower() == "dataset" else "paper",
            line=line,
            bibtex_key=entry.key,
            bibtex=tuple(raw),
        )
    return list(links.values()), messages


def _clean_field(value: str) -> str:
    return text.clean_markup(value.replace("{", "").replace("}", ""))


def _failure(block: Any) -> str:
    """One line about a block bibtexparser could not use: where, what it starts with, and why."""
    error = block.error
    reason = getattr(error, "abort_reason", None) or getattr(error, "message", None) or str(error)
    start = " ".join(str(block.raw or "").split())[:60]
    why = " ".join(str(reason).split()) or type(error).__name__
    return f"line {(block.start_line or 0) + 1}: {start!r}: {why}"


def _bibtex_url(key: str, fields: dict[str, str]) -> str:
    if url := fields.get("url", "").split()[0:1]:
        return url[0]
    if doi := fields.get("doi", "").strip():
        return doi if doi.lower().startswith(("http://", "https://")) else f"https://doi.org/{doi}"
    archive = (fields.get("archiveprefix") or fields.get("eprinttype") or "").lower()
    if (eprint := fields.get("eprint", "").strip()) and archive == "arxiv":
        return f"https://arxiv.org/abs/{eprint}"
    for name in ("journal", "note", "howpublished"):
        if match := _ARXIV_IN_TEXT.search(fields.get(name, "")):
            return f"https://arxiv.org/abs/{match.group(1)}"
    return f"bibtex:{key}"
