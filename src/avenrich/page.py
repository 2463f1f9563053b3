"""The catalogue page NAME.html (pure): one static, self-contained HTML file that browses, searches, cites and
plots the catalogue, built with Jinja2 (autoescaped) from the catalogue entries, their BibTeX and the count history.

Everything the page needs is in the file: the data as one JSON block, the script and the styles inline, each
allowed by its hash in a Content-Security-Policy that forbids any other script (remote, inline handler, eval),
so the page works from file://, GitHub Pages or any static host with no network access.
"""

from __future__ import annotations

import base64
import functools
import hashlib
import re
from collections.abc import Iterable, Iterator, Mapping
from importlib import resources
from typing import Any
from urllib.parse import quote

import jinja2
from markupsafe import Markup

from avenrich.json_text import dumps_compact
from avenrich.report import COUNT_SOURCES, Changes, CountChange

# The nights a page plots: a sparkline of years of nightly counts says no more than one of its last months, and
# every night is embedded once per paper (20k papers × 120 nights is already a few MB of JSON).
MAX_NIGHTS = 120
SHOWN_CHANGES = 50
SOURCE_NAMES = {"crossref": "Crossref", "semantic_scholar": "Semantic Scholar"}
_HTTP = re.compile(r"^https?://[^\s\"'<>\\]+$", re.IGNORECASE)
# Script-block-safe JSON: "<" can never start "</script" or "<!--"; U+2028/9 are line ends to old JS parsers.
_JSON_ESCAPES = {"<": "\\u003c", ">": "\\u003e", "&": "\\u0026", "\u2028": "\\u2028", "\u2029": "\\u2029"}
_JSON_UNSAFE = re.compile("[<>&\u2028\u2029]")
_DATA_MARK = "\x00avenrich-page-data\x00"  # where the streamed JSON goes (no template text holds a NUL)


def to_page(*args: Any, **options: Any) -> str:
    """The page's HTML: `to_page_chunks(*args, **options)` joined (for callers that want it whole)."""
    return "".join(to_page_chunks(*args, **options))


def to_page_chunks(
    entries: Iterable[Mapping[str, Any]],
    bib_by_key: Mapping[str, str],
    history_rows: Iterable[Mapping[str, Any]],
    changes: Changes | None,
    *,
    name: str,
    generated_at: str,
    downloads: Mapping[str, str] | None = None,
    titles: Mapping[str, str] | None = None,
) -> Iterator[str]:
    """The page's HTML a piece at a time, an entry's data per piece: at 100k links the page is ~90 MB, which
    is never whole in memory (nor the entries' rows).

    Args:
        entries: catalogue entries (catalogue.to_entry's dicts), in list order; `issues` shown when present.
        bib_by_key: each citation key's BibTeX entry text.
        history_rows: the count history, rows of {"date", "url", "crossref", "semantic_scholar"} in any order.
        changes: what changed since the previous night (None: nothing to compare with).
        downloads: the files offered for download by label (".bib", "JSON", "CSL-JSON") → relative path.
        titles: the titles of the added links (by URL), for "what changed".
    """
    dates, series = _history(history_rows)
    script, style = _asset("page.js"), _asset("uplot/uPlot.min.css") + "\n" + _asset("page.css")
    uplot = _asset("uplot/uPlot.iife.min.js")
    csp = "; ".join(
        (
            "default-src 'none'",
            f"script-src {_hash(uplot)} {_hash(script)}",
            f"style-src {_hash(style)}",
            "img-src data:",
            "base-uri 'none'",
            "form-action 'none'",
        )
    )
    text = _template().render(
        name=name,
        generated_at=generated_at,
        downloads=dict(downloads or {}),
        changes=_changes_view(changes, titles or {}),
        data_json=Markup(_DATA_MARK),
        csp=csp,
        style=Markup(style),
        uplot=Markup(uplot),
        script=Markup(script),
    )
    head, _mark, tail = text.rpartition(_DATA_MARK)  # the last one: list text in the changes comes before it
    yield head
    header = {"name": name, "generated_at": generated_at, "dates": dates}
    yield to_script_json(header)[:-1] + ',"entries":['
    keys: set[str] = set()
    for number, entry in enumerate(entries):
        row = page_row(entry)
        spark = series.pop(row["url"], None)
        if spark is not None:
            row["history"] = spark
        if row["key"]:
            keys.add(row["key"])
        yield ("," if number else "") + to_script_json(row)
    yield '],"bib":{'
    for number, key in enumerate(k for k in sorted(keys) if k in bib_by_key):
        yield ("," if number else "") + to_script_json(key) + ":" + to_script_json(bib_by_key[key])
    yield "}}" + tail


def page_row(entry: Mapping[str, Any]) -> dict[str, Any]:
    """What the page shows of one catalogue entry; identifiers as http(s) links only."""
    ids = entry.get("ids") or {}
    resolution = entry.get("resolution") or {}
    citations = entry.get("citations") or {}
    counts = {source: citations.get(source) for source in COUNT_SOURCES}
    paths = entry.get("section_paths") or ([entry["sections"]] if entry.get("sections") else [])
    return {
        "url": entry["url"],
        "href": safe_url(entry["url"]),
        "title": entry.get("title") or entry.get("listed_title") or "",
        "authors": [_name(a) for a in entry.get("authors") or [] if isinstance(a, Mapping)],
        "venue": entry.get("venue") or "",
        "year": entry.get("year") if isinstance(entry.get("year"), int) else None,
        "section": " › ".join(str(h) for h in paths[0]) if paths else "",
        "status": resolution.get("status") or "unresolved",
        "stale": bool(resolution.get("stale")),
        "reason": resolution.get("reason") or "",
        "key": entry.get("key") or "",
        "links": identifier_links(ids),
        "counts": counts,
        "cited": max((c for c in counts.values() if isinstance(c, int)), default=None),
        "issues": [_issue(i) for i in entry.get("issues") or [] if isinstance(i, Mapping)],
    }


def identifier_links(ids: Mapping[str, Any]) -> list[list[str]]:
    """[label, URL] of each identifier that has a page: DOI, arXiv, Semantic Scholar."""
    links = []
    if ids.get("doi"):
        links.append(["DOI", "https://doi.org/" + quote(str(ids["doi"]), safe="/:;()._-")])
    if ids.get("arxiv"):
        links.append(["arXiv", "https://arxiv.org/abs/" + quote(str(ids["arxiv"]), safe="/.-")])
    if ids.get("s2"):
        links.append(["Semantic Scholar", "https://www.semanticscholar.org/paper/" + quote(str(ids["s2"]), safe="")])
    return links


def safe_url(url: str) -> str | None:
    """The URL when it may become a link (http or https, nothing that could leave an attribute), else None."""
    return url if _HTTP.match(url.strip()) and url == url.strip() else None


def to_script_json(value: Any) -> str:
    """JSON to place inside <script type="application/json">: no "<", ">" or "&" appear as such, so no text in
    it ("</script>", "<!--") can end the block; JSON.parse reads it back unchanged."""
    text = dumps_compact(value, sort_keys=False)
    return _JSON_UNSAFE.sub(lambda m: _JSON_ESCAPES[m.group(0)], text)


def _history(rows: Iterable[Mapping[str, Any]]) -> tuple[list[str], dict[str, list[int | None]]]:
    """The last MAX_NIGHTS dates and, per URL, its count each night (the larger of the sources; None unknown).

    Rows come in any order (a later row of the same URL and date wins); each URL keeps flat (night, count) pairs
    while they are read: a 100k-link history of months is millions of rows.
    """
    night_of: dict[str, int] = {}
    by_url: dict[str, list[int]] = {}
    for row in rows:
        url, date = row.get("url"), row.get("date")
        if type(url) is not str or type(date) is not str:
            continue
        best = _larger(row.get("crossref"), row.get("semantic_scholar"))
        if best is None:
            continue
        night = night_of.get(date)
        if night is None:
            night = night_of[date] = len(night_of)
        pairs = by_url.get(url)
        if pairs is None:
            by_url[url] = [night, best]
        else:
            pairs += (night, best)
    kept = sorted(night_of)[-MAX_NIGHTS:]
    column = {night_of[date]: n for n, date in enumerate(kept)}
    series: dict[str, list[int | None]] = {}
    for url, pairs in by_url.items():
        values: list[int | None] = [None] * len(kept)
        for k in range(0, len(pairs), 2):
            n = column.get(pairs[k])
            if n is not None:
                values[n] = pairs[k + 1]
        if any(v is not None for v in values):
            series[url] = values
    return kept, series


def _larger(a: Any, b: Any) -> int | None:
    """The larger of two counts; None when neither is a count (bool is not one)."""
    first: int | None = a if type(a) is int else None
    second: int | None = b if type(b) is int else None
    if first is None or second is None:
        return first if second is None else second
    return max(first, second)


def _changes_view(changes: Changes | None, titles: Mapping[str, str]) -> dict[str, Any] | None:
    """What the template shows of the changes: the first SHOWN_CHANGES of each kind, count moves largest first."""
    if changes is None:
        return None

    def link(url: str) -> dict[str, Any]:
        return {"url": url, "href": safe_url(url), "title": titles.get(url, "")}

    return {
        "added": [link(u) for u in changes.added[:SHOWN_CHANGES]],
        "added_total": len(changes.added),
        "removed": [link(u) for u in changes.removed[:SHOWN_CHANGES]],
        "removed_total": len(changes.removed),
        "counts": [
            {
                **link(c.url),
                "title": c.title,
                "source": SOURCE_NAMES.get(c.source, c.source),
                "before": c.before,
                "after": c.after,
            }
            for c in sorted(changes.counts, key=_moved, reverse=True)[:SHOWN_CHANGES]
        ],
        "counts_total": changes.count_total,
    }


def _moved(change: CountChange) -> int:
    """How far a count moved (report.diff_catalogues keeps the largest moves, in list order)."""
    return abs((change.after or 0) - (change.before or 0))


def _name(author: Mapping[str, Any]) -> str:
    if author.get("literal"):
        return str(author["literal"])
    return " ".join(str(p) for p in (author.get("given"), author.get("family")) if p)


def _issue(issue: Mapping[str, Any]) -> dict[str, str]:
    return {k: str(issue[k]) for k in ("kind", "message", "listed", "found", "fix") if issue.get(k) is not None}


def _hash(text: str) -> str:
    """The CSP source allowing exactly this inline script or style."""
    return "'sha256-" + base64.b64encode(hashlib.sha256(text.encode("utf-8")).digest()).decode("ascii") + "'"


@functools.cache
def _asset(path: str) -> str:
    """A file of src/avenrich/static/ (vendored libraries and the page's own script and style)."""
    return resources.files("avenrich").joinpath("static", path).read_text(encoding="utf-8")


@functools.cache
def _template() -> jinja2.Template:
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("avenrich", "templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    return env.get_template("page.html.j2")
