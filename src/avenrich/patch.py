"""The fixes patch (pure): a unified diff that applies the safe list-health fixes to the input file.

`to_patch(text, findings, filename)` changes only the characters a fix names (a year, a misspelt word of a
title, a link's tracking parameters, a missing year after a link) and keeps every other byte of the file: line
endings, spacing and the list's own formatting. A fix that cannot be placed for sure (the link spans lines, a
year appears twice after it, a word occurs twice in the title) is left out; its finding stays in the report.
The diff's paths are a/FILE and b/FILE, so `git apply` or `patch -p1` applies it in the file's folder.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence

from avenrich.findings import SAFE_KINDS
from avenrich.model import Finding

CONTEXT = 3  # lines of context around each change, as `diff -u`
_YEAR_AFTER_LINK = re.compile(r"\]\([^()\s]*\)\s*,\s*(?:19|20)\d{2}\b")
_URL_END = frozenset(")>\"' \t\r\n")
# Fixes are applied in this order: those placed by the link as written first, the link itself last.
_ORDER = {"title": 0, "year": 1, "missing-year": 2, "tracking": 3}


def to_patch(text: str, findings: Iterable[Finding], filename: str) -> str:
    """The unified diff of the safe fixes against `text` (the input as read), or "" when nothing can be fixed."""
    old = _split_lines(text)
    return _unified_diff(old, _fixed_lines(old, text, findings), filename)


def apply_fixes(text: str, findings: Iterable[Finding]) -> str:
    """The text with the safe fixes applied (what applying `to_patch`'s diff to it gives)."""
    return "".join(_fixed_lines(_split_lines(text), text, findings))


def _fixed_lines(old: Sequence[str], text: str, findings: Iterable[Finding]) -> list[str]:
    new = list(old)
    if re.search(r"\r(?!\n)", text):
        return new  # a lone CR ends a line for the Markdown parser but not for patch tools: lines would not agree
    adds_years = _YEAR_AFTER_LINK.search(text) is not None
    cleans: dict[str, str] = {}
    for finding in sorted((f for f in findings if f.kind in SAFE_KINDS and f.fix), key=lambda f: _ORDER[f.kind]):
        if finding.kind == "tracking":
            cleans[finding.url] = finding.fix or ""
            continue
        index = (finding.line or 0) - 1
        if 0 <= index < len(new) and (placed := _place(new[index], finding, adds_years)) is not None:
            new[index] = placed
    _replace_links(new, cleans)  # last: the other fixes find their link as written
    return new


def _split_lines(text: str) -> list[str]:
    """The lines of the text, each with its own line ending ("\\n" or "\\r\\n"; the last may have none)."""
    parts = text.split("\n")
    lines = [part + "\n" for part in parts[:-1]]
    if parts[-1]:
        lines.append(parts[-1])
    return lines


def _place(line: str, finding: Finding, adds_years: bool) -> str | None:
    """The line with the finding's fix in place, or None when it cannot be placed for sure."""
    found = _link_span(line, finding.url)
    if found is None:
        return None
    start, middle, end = found  # `[`, `](`, and just after the closing `)`
    fix = finding.fix or ""
    if finding.kind == "title":
        label = _fix_label(line[start + 1 : middle], finding.listed or "", fix)
        return None if label is None else line[: start + 1] + label + line[middle:]
    if finding.kind == "missing-year":
        rest = line[end:]
        if not adds_years or rest.strip() or not fix.isdigit():
            return None
        return line[:end] + f", {fix}" + rest
    if finding.kind == "year" and finding.listed and fix.isdigit():
        year = re.compile(rf"(?<!\d){re.escape(finding.listed)}(?!\d)")
        next_link = line.find("[", end)
        after_end = next_link if next_link >= 0 else len(line)
        after = line[end:after_end]
        if len(year.findall(after)) == 1:
            return line[:end] + year.sub(fix, after) + line[after_end:]
        before = line[:start]
        if not year.search(after) and len(year.findall(before)) == 1:  # a venue tag: **[CVPR-2019]** [Title](…)
            return year.sub(fix, before) + line[start:]
    return None


def _link_span(line: str, url: str) -> tuple[int, int, int] | None:
    """Positions of `[`, `](` and the end of the inline link `[label](url …)` on the line, or None."""
    search = 0
    while True:
        middle = line.find("](", search)
        if middle < 0:
            return None
        search = middle + 2
        dest = middle + 2
        while dest < len(line) and line[dest] in " \t":
            dest += 1
        bracketed = line.startswith("<", dest)
        begin = dest + 1 if bracketed else dest
        after = begin + len(url)
        if line.startswith(url, begin) and (after == len(line) or line[after] in _URL_END):
            close = _closing_paren(line, after)
            start = _opening_bracket(line, middle)
            if close is not None and start is not None:
                return start, middle, close + 1


def _closing_paren(line: str, pos: int) -> int | None:
    """The `)` closing a link destination (after an optional quoted title) from `pos`, or None."""
    quote: str | None = None
    for index in range(pos, len(line)):
        char = line[index]
        if quote:
            if char == quote and line[index - 1] != "\\":
                quote = None
        elif char in "\"'":
            quote = char
        elif char == ")":
            return index
    return None


def _opening_bracket(line: str, middle: int) -> int | None:
    """The unescaped `[` that opens the label closing at `middle`, brackets nested, or None."""
    depth = 0
    for index in range(middle - 1, -1, -1):
        char = line[index]
        if char not in "[]" or _escaped(line, index):
            continue
        if char == "]":
            depth += 1
        elif depth:
            depth -= 1
        else:
            return index
    return None


def _escaped(line: str, index: int) -> bool:
    backslashes = 0
    while index - backslashes - 1 >= 0 and line[index - backslashes - 1] == "\\":
        backslashes += 1
    return backslashes % 2 == 1


def _fix_label(raw: str, listed: str, fixed: str) -> str | None:
    """The link label with the title's misspelt words replaced, each only where it occurs exactly once."""
    if raw == listed:
        return fixed
    old_words, new_words = listed.split(" "), fixed.split(" ")
    if len(old_words) != len(new_words):
        return None
    label = raw
    for old, new in zip(old_words, new_words, strict=True):
        if old == new:
            continue
        if label.count(old) != 1 or listed.count(old) != 1:
            return None
        label = label.replace(old, new)
    return label


_URL_BASE = re.compile(r"(?<=[(<\s:])https?://[^\s?#<>\"')]*")


def _replace_links(lines: list[str], cleans: Mapping[str, str]) -> None:
    """Every place a link is written as a destination (inline, `<…>` or a reference definition) made clean.

    Links are found by the part before their query, so each line is read once however many links are fixed."""
    by_base: dict[str, list[str]] = {}
    for url in cleans:
        by_base.setdefault(url.split("?", 1)[0].split("#", 1)[0], []).append(url)
    for index, line in enumerate(lines):
        if "://" not in line:
            continue
        pieces: list[str] = []
        done = 0
        for match in _URL_BASE.finditer(line):
            for url in by_base.get(match.group(0), ()):
                end = match.start() + len(url)
                if line.startswith(url, match.start()) and (end == len(line) or line[end] in _URL_END):
                    pieces += [line[done : match.start()], cleans[url]]
                    done = end
                    break
        if pieces:
            lines[index] = "".join(pieces) + line[done:]


def _unified_diff(old: Sequence[str], new: Sequence[str], filename: str) -> str:
    """`diff -u a/FILE b/FILE` of two line lists of equal length (fixes replace lines, never add or drop one)."""
    changed = [i for i, (a, b) in enumerate(zip(old, new, strict=True)) if a != b]
    if not changed:
        return ""
    hunks: list[list[int]] = []
    for index in changed:
        if hunks and index - hunks[-1][-1] <= 2 * CONTEXT:
            hunks[-1].append(index)
        else:
            hunks.append([index])
    out = [f"--- {_path('a', filename)}\n", f"+++ {_path('b', filename)}\n"]
    for hunk in hunks:
        first, last = max(0, hunk[0] - CONTEXT), min(len(old) - 1, hunk[-1] + CONTEXT)
        count = last - first + 1
        out.append(f"@@ -{_range(first, count)} +{_range(first, count)} @@\n")
        for index in range(first, last + 1):
            if old[index] == new[index]:
                out.append(_diff_line(" ", old[index]))
            else:
                out.append(_diff_line("-", old[index]))
                out.append(_diff_line("+", new[index]))
    return "".join(out)


def _path(side: str, filename: str) -> str:
    """`a/FILE`, C-quoted as git writes it when the name has spaces, quotes, backslashes or control characters
    (GNU patch and git apply both read that form; GNU patch cuts an unquoted name at the space)."""
    path = f"{side}/{filename}"
    if not any(c.isspace() or c in '"\\' or not c.isprintable() for c in path):
        return path
    escaped = path.replace("\\", "\\\\").replace('"', '\\"').replace("\t", "\\t").replace("\n", "\\n")
    return f'"{escaped}"'


def _range(first: int, count: int) -> str:
    return f"{first + 1},{count}" if count != 1 else f"{first + 1}"


def _diff_line(prefix: str, line: str) -> str:
    if line.endswith("\n"):
        return prefix + line
    return prefix + line + "\n\\ No newline at end of file\n"
