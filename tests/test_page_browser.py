"""The catalogue page in a real headless Chromium (Debian's chromium driven by Playwright; skipped without it).

Each page is what `publish` writes (two nights, counts moved between them), opened from file:// with every
request outside the page's own file refused.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from page_data import HOSTILE_TITLES, chromium_path, hostile_records, publish_nights, synthetic_records

playwright_api = pytest.importorskip("playwright.sync_api")
expect = playwright_api.expect

if chromium_path() is None:
    pytest.skip("Debian's chromium is not installed (apt-get install chromium)", allow_module_level=True)

N = 60


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    with playwright_api.sync_playwright() as p:
        launched = p.chromium.launch(executable_path=chromium_path())
        yield launched
        launched.close()


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Two nights of a 60-link list; counts move between them."""
    out = tmp_path_factory.mktemp("page")
    return publish_nights(out, "demo", [synthetic_records(N, night=0), synthetic_records(N, night=2)])


@pytest.fixture(scope="module")
def hostile(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("hostile")
    return publish_nights(out, "hostile", [hostile_records(), hostile_records()])


class Opened:
    """A page with what it requested and logged."""

    def __init__(self, context: Any) -> None:
        self.context = context
        self.page = context.new_page()
        self.requests: list[str] = []
        self.errors: list[str] = []
        self.page.on("request", lambda request: self.requests.append(request.url))
        self.page.on("console", lambda msg: self.errors.append(msg.text) if msg.type == "error" else None)
        self.page.on("pageerror", lambda exc: self.errors.append(str(exc)))
        self.page.on("dialog", lambda dialog: (self.errors.append("dialog: " + dialog.message), dialog.dismiss()))
        # Anything but a local file is refused (and recorded): the page must need no network.
        self.page.route(re.compile(r"^(?!file:|blob:|data:).*"), lambda route: route.abort())

    def open(self, path: Path, query: str = "") -> Any:
        self.page.goto(path.as_uri() + query)
        expect(self.page.locator("html")).to_have_attribute("data-ready", "true")
        return self.page


@pytest.fixture()
def opened(browser: Any) -> Iterator[Opened]:
    context = browser.new_context(viewport={"width": 1280, "height": 900}, accept_downloads=True)
    context.grant_permissions(["clipboard-read", "clipboard-write"])
    yield Opened(context)
    context.close()


def visible(page: Any) -> Any:
    return page.locator("article.entry:not([hidden])")


def expected_matches(words: str) -> int:
    """How many of the demo's links have every word in their title, authors, venue or link (the page's rule)."""
    count = 0
    for record in synthetic_records(N, night=2):
        text = " ".join([record.title, *(a.display for a in record.authors), record.venue or "", record.link.url])
        count += all(w in text.lower() for w in words.lower().split())
    return count


def test_page_loads_from_file_with_every_request_local(opened: Opened, demo: Path) -> None:
    """The page's only request is its own file; no script error and no refused (CSP) resource."""
    opened.open(demo)
    assert opened.requests == [demo.as_uri()]
    assert opened.errors == []


def test_every_link_is_shown_once(opened: Opened, demo: Path) -> None:
    """One element with data-url per link of the list, with the link as written."""
    page = opened.open(demo)
    expect(page.locator("[data-url]")).to_have_count(N)
    urls = page.locator("[data-url]").evaluate_all("els => els.map(e => e.dataset.url)")
    assert sorted(urls) == sorted(r.link.url for r in synthetic_records(N))


def test_sections_group_the_links_and_collapse(opened: Opened, demo: Path) -> None:
    """Each section is a collapsible group; closing one hides its papers."""
    page = opened.open(demo)
    groups = page.locator("details.section-group")
    expect(groups).to_have_count(4)
    first = groups.first
    first.locator("summary").click()
    expect(first.locator("article.entry").first).not_to_be_visible()


def test_query_in_the_url_filters(opened: Opened, demo: Path) -> None:
    """?q=lip shows exactly the matching links; the others carry `hidden`."""
    page = opened.open(demo, "?q=lip")
    expected = expected_matches("lip")
    assert 0 < expected < N
    expect(visible(page)).to_have_count(expected)
    expect(page.locator("article.entry[hidden]")).to_have_count(N - expected)
    expect(page.locator("#q")).to_have_value("lip")


def test_search_box_filters_and_puts_the_state_in_the_url(opened: Opened, demo: Path) -> None:
    """Typing in the search box filters and writes ?q= so the view can be shared."""
    page = opened.open(demo)
    page.get_by_label("Search title, authors, venue").fill("speech sound")
    expect(visible(page)).to_have_count(expected_matches("speech sound"))
    expect(page).to_have_url(re.compile(r"\?q=speech\+sound$"))


def test_year_range_in_the_url_filters(opened: Opened, demo: Path) -> None:
    """?year=2019-2021 keeps the papers of those years only."""
    page = opened.open(demo, "?year=2019-2021")
    expected = sum(1 for r in synthetic_records(N) if r.year is not None and 2019 <= r.year <= 2021)
    expect(visible(page)).to_have_count(expected)
    expect(page.get_by_label("Year from")).to_have_value("2019")
    expect(page.get_by_label("Year to")).to_have_value("2021")


def test_status_filter_shows_the_unresolved_with_their_reason(opened: Opened, demo: Path) -> None:
    """Status "Unresolved" keeps the unresolved links, each visibly marked with its reason."""
    page = opened.open(demo)
    page.get_by_label("Status").select_option("unresolved")
    expected = sum(1 for r in synthetic_records(N) if r.resolution.status == "unresolved")
    expect(visible(page)).to_have_count(expected)
    expect(visible(page).locator(".status.unresolved")).to_have_count(expected)
    expect(visible(page).first.locator(".status.unresolved")).to_have_text("Unresolved: no source knows this arXiv id")
    expect(page).to_have_url(re.compile(r"status=unresolved"))


def test_venue_and_section_filters_combine(opened: Opened, demo: Path) -> None:
    """A venue and a section together keep the links that have both."""
    page = opened.open(demo, "?venue=ICCV&section=Papers+%E2%80%BA+Sound+localisation")
    expected = sum(
        1 for r in synthetic_records(N) if r.venue == "ICCV" and r.link.sections[0] == ("Papers", "Sound localisation")
    )
    expect(visible(page)).to_have_count(expected)


def test_sort_by_citations_puts_the_most_cited_first(opened: Opened, demo: Path) -> None:
    """Sorting by citations lists the most-cited paper first, across sections."""
    page = opened.open(demo, "?sort=citations")
    records = synthetic_records(N, night=2)
    top = max(
        records, key=lambda r: max(c for c in (r.citations.crossref, r.citations.semantic_scholar, -1) if c is not None)
    )
    expect(page.locator("#flat article.entry").first).to_have_attribute("data-url", top.link.url)


def test_copy_bibtex_puts_the_entry_on_the_clipboard(opened: Opened, demo: Path) -> None:
    """One click copies that paper's BibTeX entry, exactly as in NAME.bib."""
    page = opened.open(demo)
    entry = page.locator("article.entry").nth(1)
    key = entry.locator(".key").inner_text()
    entry.get_by_role("button", name=re.compile("Copy the BibTeX")).click()
    expect(entry.locator("button.copy")).to_have_text("Copied")
    copied = page.evaluate("navigator.clipboard.readText()")
    assert copied.startswith("@") and "{" + key + "," in copied
    assert copied in demo.with_suffix(".bib").read_text(encoding="utf-8")


def test_copy_button_works_from_the_keyboard(opened: Opened, demo: Path) -> None:
    """The copy button is reachable and pressed with the keyboard."""
    page = opened.open(demo)
    button = page.locator("article.entry button.copy").first
    button.focus()
    page.keyboard.press("Enter")
    expect(button).to_have_text("Copied")


def test_download_of_the_filtered_bib_holds_the_filtered_papers(opened: Opened, demo: Path) -> None:
    """The filtered .bib has one entry per visible paper, and no other."""
    page = opened.open(demo, "?q=lip")
    keys = set(visible(page).locator(".key").all_text_contents())
    with page.expect_download() as info:
        page.get_by_role("button", name="Download .bib of the filtered papers").click()
    text = Path(info.value.path()).read_text(encoding="utf-8")
    assert set(re.findall(r"^@\w+\{([^,]+),", text, re.MULTILINE)) == keys
    assert info.value.suggested_filename == "demo.filtered.bib"


def test_downloads_link_the_files_beside_the_page(opened: Opened, demo: Path) -> None:
    """The .bib, JSON and CSL-JSON links point at the files written beside the page."""
    page = opened.open(demo)
    hrefs = (
        page.get_by_role("navigation", name="Downloads")
        .get_by_role("link")
        .evaluate_all("links => links.map(a => a.getAttribute('href'))")
    )
    assert hrefs == ["demo.bib", "demo.json", "demo.csl.json"]
    assert all((demo.parent / href).is_file() for href in hrefs)


def painted(page: Any, selector: str) -> int:
    """How many canvases under `selector` have at least one painted pixel."""
    return int(
        page.evaluate(
            """sel => [...document.querySelectorAll(sel + ' canvas')].filter(c => {
                 const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
                 for (let i = 3; i < d.length; i += 4) if (d[i] !== 0) return true;
                 return false;
               }).length""",
            selector,
        )
    )


def test_plots_draw_after_two_runs(opened: Opened, demo: Path) -> None:
    """Papers per year, per venue and the most-cited papers' history are drawn (non-empty canvases)."""
    page = opened.open(demo)
    for plot in ("#plot-years", "#plot-venues", "#plot-top"):
        assert painted(page, plot) >= 1, plot
    expect(page.locator("#top-legend li")).to_have_count(8)


def test_sparklines_draw_next_to_the_counts(opened: Opened, demo: Path) -> None:
    """A paper with counts on both nights gets a small line of its history when it is on screen."""
    page = opened.open(demo, "?status=resolved")
    entry = visible(page).first
    entry.scroll_into_view_if_needed()
    expect(entry.locator(".spark canvas")).to_have_count(1)
    assert painted(page, f"#{entry.get_attribute('id')} .spark") == 1


def test_what_changed_lists_the_largest_count_moves(opened: Opened, demo: Path) -> None:
    """The latest night's count moves are listed, largest first."""
    page = opened.open(demo)
    page.get_by_text("What changed last night").click()
    rows = page.locator("section.changes tbody tr")
    expect(rows.first).to_be_visible()
    moves = [abs(int(r[3]) - int(r[2])) for r in (row.split("\t") for row in rows.all_inner_texts())]
    assert moves == sorted(moves, reverse=True) and moves[0] > 0


def test_phone_width_has_no_sideways_scroll(browser: Any, demo: Path) -> None:
    """At 390 px wide nothing overflows sideways."""
    context = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True)
    page = Opened(context).open(demo)
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    context.close()


def test_dark_scheme_darkens_the_page(browser: Any, demo: Path) -> None:
    """With the system in dark mode the page is light text on a dark background."""
    context = browser.new_context(color_scheme="dark")
    page = Opened(context).open(demo)
    background = page.evaluate("getComputedStyle(document.body).backgroundColor")
    assert background == "rgb(13, 17, 23)"
    context.close()


def test_hostile_text_is_shown_as_text(opened: Opened, hostile: Path) -> None:
    """Markup, script and template syntax in titles appear verbatim as text."""
    page = opened.open(hostile)
    expect(page.locator("article.entry h3")).to_have_text(list(HOSTILE_TITLES))
    expect(page.locator("article.entry .meta").first).to_contain_text("<script>window.__pwned = 20</script>")
    expect(page.locator("article.entry .meta").first).to_contain_text("{{ a }} B")
    expect(page.locator("details.section-group summary").first).to_contain_text("<b>Section</b> {{ x }}")


def test_hostile_list_runs_no_script(opened: Opened, hostile: Path) -> None:
    """No script of the list runs, while loading, filtering and sorting; no element is injected."""
    page = opened.open(hostile, "?q=script")
    page.get_by_label("Sort by").select_option("title")
    page.get_by_label("Search title, authors, venue").fill("")
    page.get_by_text("What changed last night").click()
    assert page.evaluate("window.__pwned") is None
    expect(page.locator("main img")).to_have_count(0)
    assert not [e for e in opened.errors if "pwned" in e or e.startswith("dialog")]


def test_only_http_links_become_links(opened: Opened, hostile: Path) -> None:
    """javascript:, data: and other schemes stay text; every link of the page is http(s) or a file beside it."""
    page = opened.open(hostile)
    hrefs = page.locator("a[href]").evaluate_all("links => links.map(a => a.getAttribute('href'))")
    assert all(re.match(r"^(https?://|#|hostile\.)", h) for h in hrefs), hrefs
    expect(page.locator("[data-url^='javascript:' i] a[href^='javascript:' i]")).to_have_count(0)
    expect(page.locator("[data-url='javascript:window.__pwned=4']")).to_contain_text("javascript:window.__pwned=4")


def test_csp_refuses_inline_event_handlers(opened: Opened, hostile: Path) -> None:
    """Even markup injected later cannot run an inline handler: the page's CSP refuses it."""
    page = opened.open(hostile)
    page.evaluate("""document.body.insertAdjacentHTML('beforeend', '<img src="data:," onerror="window.__pwned=99">')""")
    page.wait_for_timeout(200)
    assert page.evaluate("window.__pwned") is None
    assert any("Content Security Policy" in e for e in opened.errors)


def test_list_health_findings_are_shown_and_filterable(opened: Opened, tmp_path: Path) -> None:
    """An entry's findings (entries[].issues) are listed on it; the status filter can keep only such entries."""
    from avenrich import bibtex, catalogue, keys, page

    records = synthetic_records(6)
    by_paper, _ = keys.assign_keys(records, {})
    entries = [catalogue.to_entry(r, keys.key_for(r, by_paper)) for r in records]
    finding = {
        "kind": "year",
        "message": "listed 2019, published 2020",
        "listed": "2019",
        "found": "2020",
        "fix": "2020",
    }
    entries[2] = {**entries[2], "issues": [finding]}
    text = page.to_page(
        entries, dict(bibtex.to_bibtex_entries(records, by_paper)), [], None, name="f", generated_at="t"
    )
    path = tmp_path / "f.html"
    path.write_text(text, encoding="utf-8")
    page_ = opened.open(path)
    entry = page_.locator(f"[data-url='{records[2].link.url}']")
    expect(entry.get_by_role("list", name="List-health findings")).to_have_text(
        "year: listed 2019, published 2020 (fix: 2020)"
    )
    page_.get_by_label("Status").select_option("issues")
    expect(visible(page_)).to_have_count(1)
    expect(page_.get_by_text("This is the first run: nothing to compare with yet.")).to_be_attached()
