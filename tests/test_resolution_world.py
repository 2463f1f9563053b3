"""Resolution on the hostile fake world of the bundled list: zero wrong identifiers, every findable paper found.

The world (tests/world.py) surrounds each true paper with same-titled preprints a year earlier, "Correction to:"
notices, supplementary components, same-titled papers by other authors, near-miss titles and peer reviews, and
leaves some papers out of both indexes so that every search for them returns only wrong things.
"""

from __future__ import annotations

from pathlib import Path
from urllib.parse import parse_qs

import pytest

from avenrich import identifiers, listing, resolve
from avenrich.cache import MemoryJsonCache
from avenrich.config import Settings
from avenrich.model import CROSSREF, SEMANTIC_SCHOLAR, Ids, Work
from avenrich.overrides import Overrides
from avenrich.resolve import Searched, SearchSchedule, SearchStep
from avenrich.sources import open_sources
from avenrich.sources.semantic_scholar import MATCH, SEARCH
from fake_servers import FakeApis
from world import (
    HOSTILE_CLASSES,
    Expected,
    FakeWorld,
    build_bundled_world,
    build_hostile_world,
    generate_absent_list,
    to_paragraph_format,
)

BUNDLED = Path(__file__).resolve().parent.parent / "src" / "avenrich" / "data" / "awesome-audiovisual-learning.md"

# Misses we accept, each with the reason (url -> why). Empty today: every findable paper is found for these seeds.
EXPLAINED_MISSES: dict[str, str] = {}


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_bundled_world_no_wrong_identifier_and_full_recall(seed: int) -> None:
    """Every resolved link names the expected paper; every paper in an index is found; absent ones stay unresolved."""
    text = BUNDLED.read_text(encoding="utf-8")
    world = build_bundled_world(text, seed=seed).prepare()
    links = listing.parse_markdown(text)
    items = resolve.prepare(links, [identifiers.match_link(link.url) for link in links], Overrides())
    with FakeApis(world, crossref_limits=(1000, 1000, 8), s2_limits=(1000, 4)) as apis:
        env = {**apis.env(), "AVENRICH_MAILTO": "t@example.org"}
        settings = Settings.from_env({**env, "AVENRICH_CROSSREF_RPS": "1000", "AVENRICH_S2_RPS": "1000"})
        sources = open_sources(settings, MemoryJsonCache())
        ledger = resolve.lookup(items, sources)
        outcomes = resolve.search_and_verify(items, ledger, sources)
        sources.close()
        assert apis.summary()["internal_errors"] == 0
    wrong, missed = [], []
    for item in items:
        url = item.link.url
        expected = world.truth[url]
        outcome = outcomes[url]
        resolved = outcome.choice.resolution.status == "resolved"
        if expected == "absent":
            if resolved:
                wrong.append((url, outcome.ids, "absent from both indexes"))
            continue
        assert isinstance(expected, Expected)
        if not resolved:
            if url not in EXPLAINED_MISSES:
                missed.append((url, outcome.choice.resolution.reason))
            continue
        ids = outcome.ids
        if (ids.doi or expected.doi) and not expected.doi_ok(ids.doi):
            wrong.append((url, ids.doi, expected.doi))
        elif expected.s2 and ids.s2 and ids.s2 != expected.s2:
            wrong.append((url, ids.s2, expected.s2))
        elif expected.arxiv and ids.arxiv and ids.arxiv != expected.arxiv:
            wrong.append((url, ids.arxiv, expected.arxiv))
    assert wrong == [], "a wrong identifier is worse than none"
    assert missed == []
    absent = [u for u, e in world.truth.items() if e == "absent"]
    assert absent, "the world must contain papers that are in no index"
    assert all(outcomes[u].choice.resolution.reason for u in absent), "unresolved links say why"


def test_nightly_rerun_refreshes_only_the_published_counts_in_one_pass() -> None:
    """The next night (counts expired, metadata cached): only counts-only batches, one pass per source, for the
    published papers; the identifiers are those of the first night and every published count is today's."""
    text = BUNDLED.read_text(encoding="utf-8")
    world = build_bundled_world(text, seed=0).prepare()
    links = listing.parse_markdown(text)
    items = resolve.prepare(links, [identifiers.match_link(link.url) for link in links], Overrides())
    now = [0.0]
    cache = MemoryJsonCache(clock=lambda: now[0])

    def night(apis: FakeApis, today: str) -> dict[str, resolve.Outcome]:
        env = {**apis.env(), "AVENRICH_MAILTO": "t@example.org"}
        settings = Settings.from_env({**env, "AVENRICH_CROSSREF_RPS": "1000", "AVENRICH_S2_RPS": "1000"})
        with open_sources(settings, cache, today=lambda: today) as sources:
            return resolve.search_and_verify(items, resolve.lookup(items, sources), sources)

    with FakeApis(world, crossref_limits=(1000, 1000, 8), s2_limits=(1000, 4)) as apis:
        first = night(apis, "2026-07-01")
        now[0] += 21 * 3600  # past COUNTS_TTL, well within the metadata and search TTLs
        apis.reset_counters()
        second = night(apis, "2026-07-02")
        records = list(apis.records)
    published = [o for o in second.values() if o.choice.work is not None]
    dois = {w.ids.doi for o in published for w in o.works if w.source == CROSSREF}
    assert len(published) > 150 and len(dois) > 100
    assert {url: o.ids for url, o in second.items()} == {url: o.ids for url, o in first.items()}
    assert all(w.counts_fetched == "2026-07-02" for o in published for w in o.works)
    # The chosen record is one of the published works (refreshed with them), not an older copy beside them.
    assert all(any(o.choice.work is w for w in o.works) for o in published)
    crossref = [r for r in records if r.source == CROSSREF]
    s2 = [r for r in records if r.source != CROSSREF]
    assert all("select=DOI%2Cis-referenced-by-count" in r.query for r in crossref), crossref
    assert all("fields=citationCount%2CinfluentialCitationCount" in r.query for r in s2), s2
    assert sum(r.ids for r in crossref) == len(dois) and all(r.ids <= 100 for r in crossref)
    assert len(crossref) == 2 and len(s2) == 1


# -- the hostile classes of issue 14 ------------------------------------------------------------------------


def resolve_world(markdown: str, world: FakeWorld) -> tuple[list[resolve.Item], dict[str, resolve.Outcome]]:
    """Every link of the list resolved against the world's fake servers (fast limits, a fresh cache)."""
    links = listing.parse_markdown(markdown)
    items = resolve.prepare(links, [identifiers.match_link(link.url) for link in links], Overrides())
    with FakeApis(world, crossref_limits=(1000, 1000, 8), s2_limits=(1000, 4)) as apis:
        env = {**apis.env(), "AVENRICH_MAILTO": "t@example.org"}
        settings = Settings.from_env({**env, "AVENRICH_CROSSREF_RPS": "1000", "AVENRICH_S2_RPS": "1000"})
        with open_sources(settings, MemoryJsonCache()) as sources:
            outcomes = resolve.search_and_verify(items, resolve.lookup(items, sources), sources)
        assert apis.summary()["internal_errors"] == 0
    return items, outcomes


def link_id_clashes(item: resolve.Item, outcome: resolve.Outcome) -> list[str]:
    """Identifiers of the link published next to a record of the entry that has another one of that kind."""
    works = [*outcome.works, *([outcome.choice.work] if outcome.choice.work is not None else [])]
    clashes = []
    for name in ("doi", "arxiv", "acl", "pmcid", "ieee", "s2", "dblp"):
        mine = getattr(item.match.ids, name)
        if mine is None or str(getattr(outcome.ids, name) or "").lower() != str(mine).lower():
            continue
        others = {str(getattr(w.ids, name)).lower() for w in works if getattr(w.ids, name) is not None}
        if others - {str(mine).lower()}:
            clashes.append(f"{item.link.url}: {name} {mine} beside {sorted(others)}")
    return clashes


@pytest.fixture(scope="module", params=[0, 1, 2])
def hostile(request: pytest.FixtureRequest) -> tuple[FakeWorld, list[resolve.Item], dict[str, resolve.Outcome]]:
    """The bundled list plus the hostile classes, resolved (one seed per parameter)."""
    markdown, world = build_hostile_world(BUNDLED.read_text(encoding="utf-8"), seed=request.param)
    items, outcomes = resolve_world(markdown, world.prepare())
    return world, items, outcomes


def test_hostile_world_has_every_class() -> None:
    """Each class is there, with the truth it is built for: extensions alone and contradicted links are absent."""
    _, world = build_hostile_world(BUNDLED.read_text(encoding="utf-8"), seed=0)
    for cls in HOSTILE_CLASSES:
        urls = [url for url, c in world.link_classes.items() if c == cls]
        assert len(urls) == 12
        absent = {world.truth[url] == "absent" for url in urls}
        assert absent == {cls in ("extension-absent", "link-id-contradicts")}
    indexed = {p.role for p in world.papers}
    assert "related" in indexed  # the conference version beside its extension, same authors


def test_hostile_world_no_wrong_identifier_and_full_recall(
    hostile: tuple[FakeWorld, list[resolve.Item], dict[str, resolve.Outcome]],
) -> None:
    """Journal extensions, subtitle variants, dropped symbols and contradicting link ids: no wrong identifier,
    every findable paper found, every absent one unresolved with a reason."""
    world, items, outcomes = hostile
    wrong, missed = [], []
    for item in items:
        url = item.link.url
        expected, outcome = world.truth[url], outcomes[url]
        resolved = outcome.choice.resolution.status == "resolved"
        if expected == "absent":
            if resolved:
                wrong.append((world.link_classes[url], url, outcome.ids.doi))
            else:
                assert outcome.choice.resolution.reason
            continue
        assert isinstance(expected, Expected)
        if not resolved:
            missed.append((world.link_classes[url], url, outcome.choice.resolution.reason))
        elif (outcome.ids.doi or expected.doi) and not expected.doi_ok(outcome.ids.doi):
            wrong.append((world.link_classes[url], url, outcome.ids.doi))
        elif expected.s2 and outcome.ids.s2 and outcome.ids.s2 != expected.s2:
            wrong.append((world.link_classes[url], url, outcome.ids.s2))
    assert wrong == [], "a wrong identifier is worse than none"
    assert missed == []


def test_hostile_world_extension_alone_names_the_conference_paper(
    hostile: tuple[FakeWorld, list[resolve.Item], dict[str, resolve.Outcome]],
) -> None:
    """A journal extension whose conference paper alone is indexed says so: related, but another paper (unless
    the extension's own preprint or a namesake was the closer candidate: then the reason names that one)."""
    world, items, outcomes = hostile
    reasons = [
        outcomes[item.link.url].choice.resolution.reason
        for item in items
        if world.link_classes[item.link.url] == "extension-absent"
    ]
    related = [r for r in reasons if r.startswith("no candidate passed; related but another paper: ")]
    assert len(related) >= len(reasons) // 2
    assert all(r.startswith(("no candidate passed", "only a preprint passed: ")) for r in reasons)
    assert all("an extended version is another paper" in r for r in related)


def test_hostile_world_no_link_identifier_beside_a_record_that_contradicts_it(
    hostile: tuple[FakeWorld, list[resolve.Item], dict[str, resolve.Outcome]],
) -> None:
    """No entry publishes an identifier taken from its link next to a record with another one of that kind."""
    _, items, outcomes = hostile
    assert [c for item in items for c in link_id_clashes(item, outcomes[item.link.url])] == []
    published_ieee = [o for o in outcomes.values() if o.ids.ieee and o.choice.work is not None]
    assert published_ieee, "the world has IEEE links whose number the record confirms"


# -- requests (issue 14) -------------------------------------------------------------------------------------

VOR = Work(CROSSREF, Ids(doi="10.1109/cvpr.2019.1"), title="T", type="proceedings-article")
ARXIV_ONLY = Work(SEMANTIC_SCHOLAR, Ids(arxiv="1901.00001", s2="a" * 40), title="T", type="posted-content")
CROSSREF_SEARCH = SearchStep(CROSSREF, "search")
S2_MATCH, S2_SEARCH = SearchStep(SEMANTIC_SCHOLAR, MATCH), SearchStep(SEMANTIC_SCHOLAR, SEARCH)
CROSSREF_FIRST = (CROSSREF_SEARCH, S2_MATCH, S2_SEARCH)  # search_order of an IEEE/CVF/ACM/… link
S2_FIRST = (S2_MATCH, S2_SEARCH, CROSSREF_SEARCH)  # of a NeurIPS, OpenReview, personal-page … link


@pytest.mark.parametrize(
    ("plan", "done", "work", "has_title", "following"),
    [
        # Crossref first (CVF, IEEE, ACM, …): a verified answer stops; S2's batch confirms it at completion.
        (CROSSREF_FIRST, (CROSSREF_SEARCH,), VOR, False, None),
        (CROSSREF_FIRST, (CROSSREF_SEARCH,), None, False, S2_MATCH),
        (CROSSREF_FIRST, (CROSSREF_SEARCH,), None, True, S2_MATCH),  # Crossref has no further step
        (CROSSREF_FIRST, (CROSSREF_SEARCH, S2_MATCH), None, True, None),  # two requests: a link no index holds
        (CROSSREF_FIRST, (CROSSREF_SEARCH, S2_MATCH), ARXIV_ONLY, True, None),
        # S2 first (NeurIPS, personal pages, …)
        (S2_FIRST, (S2_MATCH,), VOR, True, None),
        (S2_FIRST, (S2_MATCH,), ARXIV_ONLY, True, S2_SEARCH),  # a preprint: its version of record may be there
        (S2_FIRST, (S2_MATCH,), None, True, S2_SEARCH),  # a namesake answered the match: the others are in the search
        (S2_FIRST, (S2_MATCH,), None, False, CROSSREF_SEARCH),  # S2 has no such title: ask Crossref instead
        (S2_FIRST, (S2_MATCH, S2_SEARCH), None, False, None),
        (S2_FIRST, (S2_MATCH, S2_SEARCH), ARXIV_ONLY, False, None),
        (S2_FIRST, (S2_MATCH, CROSSREF_SEARCH), None, False, None),
        (S2_FIRST, (), None, False, None),
    ],
)
def test_next_search(
    plan: tuple[SearchStep, ...],
    done: tuple[SearchStep, ...],
    work: Work | None,
    has_title: bool,
    following: SearchStep | None,
) -> None:
    """The search schedule: at most two search requests per link, none after a verified answer."""
    assert SearchSchedule.next_search(plan, done, Searched(work, has_title)) == following


def search_requests(apis: FakeApis) -> list[tuple[str, str]]:
    """(endpoint, query text as sent, decoded) of every title search the servers answered."""
    out = []
    for record in apis.records:
        params = parse_qs(record.query)
        text = (params.get("query.bibliographic") or params.get("query") or [None])[0]
        if text is not None and record.endpoint in ("query", "match", "search"):
            out.append((record.endpoint, text))
    return out


def asked_for(title: str, query: str) -> bool:
    """Whether a query text (Crossref: title, names, year; S2: the title, hyphens as spaces) asks for this title."""
    fold = lambda text: " ".join(text.lower().replace("-", " ").split())  # noqa: E731
    return fold(query).startswith(fold(title))


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_list_with_40_percent_absent_costs_at_most_1_2_requests_per_link(seed: int) -> None:
    """A cold run over a list with ~40% of its links in no index: <= 1.2 requests per link, no 429, at most two
    search requests for a link no index holds, and the findable ones resolved right."""
    markdown, world = generate_absent_list(200, seed)
    links = listing.parse_markdown(markdown)
    items = resolve.prepare(links, [identifiers.match_link(link.url) for link in links], Overrides())
    with FakeApis(world.prepare(), crossref_limits=(1000, 1000, 8), s2_limits=(1000, 4)) as apis:
        env = {**apis.env(), "AVENRICH_MAILTO": "t@example.org"}
        settings = Settings.from_env({**env, "AVENRICH_CROSSREF_RPS": "1000", "AVENRICH_S2_RPS": "1000"})
        with open_sources(settings, MemoryJsonCache()) as sources:
            outcomes = resolve.search_and_verify(items, resolve.lookup(items, sources), sources)
        served = apis.summary()
        searches = search_requests(apis)
    absent = [item for item in items if world.truth[item.link.url] == "absent"]
    assert 0.38 <= len(absent) / len(items) <= 0.45
    assert served["total"] / len(items) <= 1.2, served["requests"]
    assert served["count_429"] == 0
    for item in absent:
        mine = [search for search in searches if asked_for(item.link.title, search[1])]
        assert 1 <= len(mine) <= 2, (item.link.title, mine)
        assert outcomes[item.link.url].choice.resolution.status == "unresolved"
    findable = [item for item in items if item not in absent]
    assert all(outcomes[item.link.url].choice.resolution.status == "resolved" for item in findable)


def test_list_rewritten_into_paragraphs_makes_no_search_request_for_titles_already_searched() -> None:
    """The same list rewritten from bullets into `**[VENUE-YEAR]**` paragraphs with authors, rerun on the first
    run's cache: no search request, every cached candidate re-checked against the new evidence, the same ids."""
    markdown, world = build_hostile_world(BUNDLED.read_text(encoding="utf-8"), seed=0)
    world.prepare()
    cache = MemoryJsonCache()

    def run(text: str) -> tuple[dict[str, resolve.Outcome], list[tuple[str, str]], list[resolve.Item]]:
        links = listing.parse_markdown(text)
        items = resolve.prepare(links, [identifiers.match_link(link.url) for link in links], Overrides())
        with FakeApis(world, crossref_limits=(1000, 1000, 8), s2_limits=(1000, 4)) as apis:
            env = {**apis.env(), "AVENRICH_MAILTO": "t@example.org"}
            settings = Settings.from_env({**env, "AVENRICH_CROSSREF_RPS": "1000", "AVENRICH_S2_RPS": "1000"})
            with open_sources(settings, cache) as sources:
                outcomes = resolve.search_and_verify(items, resolve.lookup(items, sources), sources)
            return outcomes, search_requests(apis), items

    bullets, first_searches, _ = run(markdown)
    paragraphs, searches, items = run(to_paragraph_format(markdown, world))
    assert len(first_searches) > 100
    assert sum(bool(item.link.authors) for item in items) > 200, "the rewrite gives authors"
    assert searches == []
    assert {url: o.ids for url, o in paragraphs.items()} == {url: o.ids for url, o in bullets.items()}
