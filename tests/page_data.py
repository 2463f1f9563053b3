"""Lists for the catalogue page's tests and benchmark: synthetic records over several nights, a hostile list, and
the system chromium that drives them (Debian's package; Playwright never downloads a browser here)."""

from __future__ import annotations

import shutil
from pathlib import Path

from avenrich.inputs import InputText
from avenrich.model import Author, Citations, Ids, Link, Record, Resolution
from avenrich.publish import publish

VENUES = ("CVPR", "ICCV", "ECCV", "NeurIPS", "ICASSP", "Interspeech", "ACM MM", "TPAMI", None)
SECTIONS = (("Papers", "Lip reading"), ("Papers", "Sound localisation"), ("Papers", "Separation"), ("Datasets",))
WORDS = ("audio", "visual", "lip", "reading", "speech", "sound", "source", "separation", "learning", "video", "deep")


def chromium_path() -> str | None:
    """Debian's chromium, when installed."""
    return shutil.which("chromium") or shutil.which("chromium-browser")


def synthetic_records(n: int, night: int = 0) -> list[Record]:
    """`n` records, deterministic, in 4 sections; every third unresolved; counts grow with `night`."""
    records = []
    for i in range(n):
        words = [WORDS[(i * 7 + k * 3) % len(WORDS)] for k in range(4 + i % 4)]
        title = " ".join(words).capitalize() + f" {i}"
        year = 2012 + i % 12
        resolved = i % 3 != 0
        venue = VENUES[i % len(VENUES)]
        base = (i * 37) % 500
        counts = Citations(
            crossref=base + night * (i % 11) if resolved else None,
            semantic_scholar=base + 3 + night * (i % 13) if resolved else None,
        )
        records.append(
            Record(
                link=Link(
                    url=f"https://arxiv.org/abs/{1900 + i % 100:04d}.{i:05d}",
                    title=title,
                    year=year,
                    sections=(SECTIONS[i % len(SECTIONS)],),
                    line=i + 1,
                ),
                ids=Ids(doi=f"10.1234/av.{i}" if resolved else None, arxiv=f"{1900 + i % 100:04d}.{i:05d}"),
                resolution=Resolution(
                    status="resolved" if resolved else "unresolved",
                    method="link" if resolved else "none",
                    confidence=1.0 if resolved else 0.0,
                    reason="" if resolved else "no source knows this arXiv id",
                ),
                host="arxiv",
                title=title,
                authors=(Author(given="Ada", family=f"Lovelace{i % 50}"), Author(given="Alan", family="Turing")),
                year=year,
                venue=venue if resolved else None,
                citations=counts,
            )
        )
    return records


HOSTILE_TITLES = (
    "<script>window.__pwned = 1</script>Lip reading",
    "Ends the block </script><script>window.__pwned = 2</script>",
    '"><img src=x onerror="window.__pwned = 3">',
    "{{ 7 * 7 }} and {% raw %} templates",
    "<!-- a comment opener and ]]> and &amp; entities",
)
HOSTILE_URLS = (
    "javascript:window.__pwned=4",
    'https://example.org/a?x="><script>window.__pwned=5</script>',
    "JaVaScRiPt:window.__pwned=6",
    "https://example.org/{{7*7}}",
    "data:text/html,<script>window.__pwned=7</script>",
)


def hostile_records() -> list[Record]:
    """Records whose titles, authors, venues and links carry markup, script, template syntax and javascript:."""
    records = []
    for i, (title, url) in enumerate(zip(HOSTILE_TITLES, HOSTILE_URLS, strict=True)):
        records.append(
            Record(
                link=Link(url=url, title=title, year=2020, sections=(("<b>Section</b> {{ x }}",),), line=i + 1),
                ids=Ids(doi=f'10.1/"><script>window.__pwned={10 + i}</script>'),
                resolution=Resolution(
                    status="unresolved", method="none", confidence=0.0, reason="<img src=x onerror=alert(1)>"
                ),
                host="other",
                title=title,
                authors=(Author(literal="<script>window.__pwned = 20</script>"), Author(given="{{ a }}", family="B")),
                year=2020,
                venue="</script><!--",
                citations=Citations(crossref=i, semantic_scholar=None),
            )
        )
    return records


SUMMARY = {"entries": 0, "papers": 0, "resolved": 0, "unresolved": 0, "by_host": {}, "degraded": {}, "requests": {},
           "overrides": 0}  # fmt: skip


def publish_nights(out: Path, name: str, nights: list[list[Record]]) -> Path:
    """Publish each night's records in turn (one day apart) as avenrich run does; the page's path."""
    for night, records in enumerate(nights):
        text = InputText(name=name, text="# list\n", format="markdown", origin=f"{name}.md")
        publish(records, text, out, dict(SUMMARY), f"2026-11-{20 + night:02d}T03:00:00Z")
    return out / f"{name}.html"
