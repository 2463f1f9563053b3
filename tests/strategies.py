"""Hypothesis strategies for the parsers: DOIs, URLs, Markdown-ish and BibTeX-ish documents."""

from __future__ import annotations

import string

from hypothesis import strategies as st

_DOI_SUFFIX_CHARS = string.ascii_letters + string.digits + "-._;()/:"
_ALNUM = string.ascii_letters + string.digits


@st.composite
def dois(draw: st.DrawFn) -> str:
    """A DOI in canonical shape (Crossref's character set), not ending in punctuation or `.pdf`."""
    registrant = draw(st.text(string.digits, min_size=4, max_size=9))
    body = draw(st.text(_DOI_SUFFIX_CHARS, max_size=30))
    last = draw(st.sampled_from(_ALNUM))
    doi = f"10.{registrant}/{body}{last}"
    # Brackets must balance: an unbalanced closing bracket at the end is punctuation, by design.
    if doi.count("(") != doi.count(")"):
        doi = doi.replace("(", "x").replace(")", "x")
    return doi


_URL_TAIL_CHARS = string.ascii_letters + string.digits + "-._~/?#[]@!$&'()*+,;=%\\<> " + "éü"


@st.composite
def urls(draw: st.DrawFn) -> str:
    """URLs as people write them in Markdown: odd characters, escapes and brackets included."""
    scheme = draw(st.sampled_from(["http", "https", "HTTPS", "ftp", "mailto", "javascript", ""]))
    host = draw(st.sampled_from(["arxiv.org", "doi.org", "example.org", "img.shields.io", "a.b", ""]))
    tail = draw(st.text(_URL_TAIL_CHARS, max_size=25))
    return f"{scheme}://{host}/{tail}" if scheme else f"{host}/{tail}"


_FRAGMENTS = st.one_of(
    st.sampled_from(
        [
            "\n",
            "\n\n",
            "# ",
            "## ",
            "#### ",
            "* ",
            "- ",
            "1. ",
            "> ",
            "    ",
            "**",
            "*",
            "_",
            "`",
            "```\n",
            "<br>",
            "<br/>",
            "[",
            "]",
            "(",
            ")",
            "![",
            "](",
            ", 2019",
            " 1999 ",
            "**[CVPR-2019]**\n",
            "**Authors:** ",
            "**Institution:** ",
            "| a | b |\n| --- | --- |\n",
            "| ",
            " |",
            "\\",
            "&amp;",
            "<a href='https://x.org'>x</a>",
            "[r]: ",
            "[r]",
            "<",
            ">",
            '"t"',
            "#anchor",
            "Year",
        ]
    ),
    st.text(max_size=12),
)


@st.composite
def link_markdown(draw: st.DrawFn) -> str:
    """One Markdown link of some kind: inline, angle-bracketed, titled, reference, autolink or image."""
    url = draw(urls())
    text = draw(st.text(max_size=15))
    form = draw(st.integers(0, 5))
    if form == 0:
        return f"[{text}]({url})"
    if form == 1:
        return f"[{text}](<{url}>)"
    if form == 2:
        return f'[{text}]({url} "title")'
    if form == 3:
        return f"[{text}][ref]\n\n[ref]: {url}\n"
    if form == 4:
        return f"<{url}>"
    return f"[![{text}]({url})]({url})"


def markdown_documents() -> st.SearchStrategy[str]:
    """Text that is partly Markdown structure, partly noise."""
    pieces = st.lists(st.one_of(_FRAGMENTS, link_markdown()), max_size=40)
    return st.one_of(st.text(), pieces.map("".join))


_BIB_FRAGMENTS = st.one_of(
    st.sampled_from(
        [
            "@article{",
            "@misc(",
            "@string{",
            "@comment{",
            "@preamble{",
            "}",
            "{",
            ")",
            "(",
            ",",
            "=",
            "#",
            '"',
            "title = ",
            "author = ",
            " and ",
            "url = {https://x.org/a}",
            "doi = {10.1/x}",
            "year = 2019",
            "eprint = {1709.04343}",
            "archivePrefix = {arXiv}",
            "\\'e",
            "\\c{t}",
            "$x^2$",
            "\\",
            "%",
            "\n",
            "key1",
            "key2",
        ]
    ),
    st.text(max_size=10),
)


def bibtex_documents() -> st.SearchStrategy[str]:
    """Text that is partly BibTeX structure, partly noise."""
    return st.one_of(st.text(), st.lists(_BIB_FRAGMENTS, max_size=40).map("".join))
