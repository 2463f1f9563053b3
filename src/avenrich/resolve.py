"""Resolution: every link to a verified paper, spending the scarce requests only where needed (mixed).

Two stages, each running both sources in parallel at their own pace:
  `lookup`: identifiers from the links go to the batch endpoints (S2 `/paper/batch`, Crossref
     `filter=doi:`), then the published versions S2 knows for arXiv/ACL/PMC papers go to Crossref;
  `search_and_verify`: identifier hits are confirmed; links without identifiers are searched on the
     source that indexes their kind of link best (Crossref for IEEE/CVF/ACM/Springer/ECVA/AAAI/ISCA,
     S2 for NeurIPS, OpenReview, personal pages and the rest); a link whose first search finds nothing
     that passes verification is searched on the other source, at most SEARCH_BUDGET search requests in
     all (`next_search`); finally every resolved paper's record from the other source is fetched in
     batches (both sources' counts, cross-source agreement).
Every candidate, whatever the route, goes through `matching.check`; nothing is taken on trust.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterable, Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field, replace

from avenrich import matching
from avenrich.errors import SourceError
from avenrich.identifiers import acl_doi_candidate
from avenrich.matching import Choice, Expectation
from avenrich.model import CROSSREF, SEMANTIC_SCHOLAR, Ids, Link, LinkMatch, Resolution, Work
from avenrich.overrides import Overrides
from avenrich.sources import SearchQuery, Sources

log = logging.getLogger("avenrich.resolve")

# Which source to search first, by link kind (identifiers.PATTERNS row names). Crossref indexes the
# publishers' versions of record (IEEE for CVF papers, Springer for ECCV, ACM, AAAI, ISCA) and allows
# 3 list requests/s; S2 (1 req/s) is the only one that knows NeurIPS and papers on personal pages.
CROSSREF_FIRST = frozenset({"ieee", "cvf", "ecva", "aaai", "acm", "springer", "wiley", "isca", "doi", "acl", "pmc"})

SEARCH_THREADS = 4
S2_SEARCH_LIMIT = 5
# The search requests one link may cost: a link that no index holds costs at most this many (issue 14: a
# list with 44% of its links in no index spent three per such link). The steps of `next_search`:
CROSSREF_SEARCH, S2_MATCH, S2_SEARCH = "crossref", "s2-match", "s2-search"
SEARCH_BUDGET = 2

Progress = Callable[[str, int], None]


def _no_progress(_stage: str, _advance: int) -> None:
    return None


@dataclass(frozen=True, slots=True)
class Item:
    """One link on its way through resolution: the link, what its URL says, and its expectation."""

    link: Link
    match: LinkMatch
    expect: Expectation
    pinned: bool = False


@dataclass(slots=True)
class Outcome:
    """The resolution of one link plus the works (one per source) the record is merged from."""

    choice: Choice
    ids: Ids
    works: tuple[Work, ...] = ()


@dataclass(slots=True)
class Ledger:
    """Thread-safe record of what each source said, and why a source could not answer."""

    crossref: dict[str, Work | None] = field(default_factory=dict)
    s2: dict[str, Work | None] = field(default_factory=dict)
    failures: dict[str, str] = field(default_factory=dict)
    searches: dict[str, list[str]] = field(default_factory=dict)  # link url → why its searches failed
    lock: threading.Lock = field(default_factory=threading.Lock)

    def failed(self, source: str, exc: SourceError) -> None:
        with self.lock:
            self.failures.setdefault(source, exc.message)

    def search_failed(self, url: str, exc: SourceError) -> None:
        with self.lock:
            self.searches.setdefault(url, []).append(str(exc))


def prepare(links: Sequence[Link], matches: Sequence[LinkMatch], overrides: Overrides) -> list[Item]:
    """Pair each link with its URL match and expectation; curator pins replace the link's ids."""
    items: list[Item] = []
    for link, match in zip(links, matches, strict=True):
        pin = overrides.pins.get(link.url)
        if pin is not None:
            match = replace(match, ids=_union(pin, match.ids))
        items.append(Item(link, match, matching.expectation_from(link, match), pinned=pin is not None))
    return items


def lookup(items: Sequence[Item], sources: Sources, progress: Progress = _no_progress) -> Ledger:
    """Fetch every identifier the links carry, in batches, from both sources at once.

    Then the DOIs S2 reports for arXiv/ACL/PMC papers (their published versions) are fetched from Crossref.
    """
    ledger = Ledger()
    with_ids = [item for item in items if item.link.kind == "paper" and _has_lookup_ids(item)]
    _parallel(
        lambda: _batch_crossref(sources, ledger, _link_dois(with_ids)),
        lambda: _batch_s2(sources, ledger, _s2_keys(with_ids)),
    )
    _batch_crossref(sources, ledger, _learnt_dois(ledger, with_ids))
    progress("lookup", len(with_ids))
    return ledger


def search_and_verify(
    items: Sequence[Item],
    ledger: Ledger,
    sources: Sources,
    overrides: Overrides | None = None,
    progress: Progress = _no_progress,
) -> dict[str, Outcome]:
    """Verify what the identifiers found, search for the rest, and settle every link. Keyed by link url.

    The ledger's records are let go once completion has used them (before the counts refresh).
    """
    overrides = overrides or Overrides()
    papers = [item for item in items if item.link.kind == "paper"]
    outcomes = {item.link.url: _by_identifier(item, ledger, sources) for item in papers if _has_lookup_ids(item)}
    # Links with an identifier that no source knows (an ACL or PMC id) are searched like the others.
    retry = {url for url, outcome in outcomes.items() if _worth_searching(outcome)}
    to_search = [item for item in papers if not _has_lookup_ids(item) or item.link.url in retry]
    candidates: dict[str, list[Work]] = {item.link.url: [] for item in to_search}
    choices = _search_all(sources, to_search, candidates, ledger, overrides, progress)
    for item in to_search:
        choice = choices[item.link.url]
        if choice.work is None and item.link.url in retry:
            continue
        if choice.work is None:
            choice = _with_failures(choice, ledger, item.link.url)
        found = choice.work.ids if choice.work is not None else Ids()
        # The link's own identifiers belong to the link: beside the found record only if it carries or allows them.
        own = matching.link_ids_for(item.match.ids, [choice.work]) if choice.work is not None else item.match.ids
        outcomes[item.link.url] = Outcome(choice, _union(found, own))

    _complete(outcomes, sources, ledger)
    _unresolve_contradicted(outcomes, to_search)
    _refresh_counts(outcomes, sources, ledger)
    for item in items:
        if item.link.url not in outcomes:
            outcomes[item.link.url] = Outcome(
                Choice(Resolution("unresolved", "none", 0.0, "listed as a dataset, not a paper"), None, ()),
                item.match.ids,
            )
    return outcomes


# -- identifiers -------------------------------------------------------------------------------------


def _has_lookup_ids(item: Item) -> bool:
    ids = item.match.ids
    return bool(ids.doi or ids.arxiv or ids.s2 or ids.acl or ids.pmcid or ids.corpus_id is not None)


def _link_dois(items: Iterable[Item]) -> list[str]:
    dois: list[str] = []
    for item in items:
        if item.match.ids.doi:
            dois.append(item.match.ids.doi)
        if item.match.ids.acl and not item.match.ids.doi:
            candidate = acl_doi_candidate(item.match.ids.acl)
            if candidate:
                dois.append(candidate)
    return _unique(dois)


def _s2_keys(items: Iterable[Item]) -> list[str]:
    return _unique(key for item in items for key in item.match.ids.s2_keys())


def _learnt_dois(ledger: Ledger, items: Iterable[Item]) -> list[str]:
    """DOIs that S2 knows for papers we looked up by arXiv/ACL/PMC id, not yet asked of Crossref."""
    learnt = []
    for item in items:
        for key in item.match.ids.s2_keys():
            work = ledger.s2.get(key)
            if work is not None and work.ids.doi and work.ids.doi not in ledger.crossref:
                learnt.append(work.ids.doi)
    return _unique(learnt)


def _by_identifier(item: Item, ledger: Ledger, sources: Sources) -> Outcome:
    """Confirm the paper a link's identifiers point at; follow an arXiv preprint to its published version."""
    ids = item.match.ids
    s2_work = next((ledger.s2[k] for k in ids.s2_keys() if ledger.s2.get(k) is not None), None)
    cr_doi = ids.doi or (acl_doi_candidate(ids.acl) if ids.acl else None)
    cr_work = ledger.crossref.get(cr_doi) if cr_doi else None
    via = "override" if item.pinned else "link"
    published: Work | None = None
    if cr_work is None and s2_work is not None and s2_work.ids.doi:
        # An arXiv/ACL/PMC link whose paper has a DOI: the version of record, when Crossref agrees on the title.
        candidate = ledger.crossref.get(s2_work.ids.doi)
        if candidate is not None and matching.check(item.expect, candidate).passed:
            published = candidate
    primary = cr_work or published or s2_work
    if primary is None:
        choice = _unconfirmed(item, ledger, sources)
        if item.pinned:
            choice = replace(choice, resolution=replace(choice.resolution, method="override"))
        return Outcome(choice, ids)
    choice = matching.confirm(item.expect, primary, via)
    if item.pinned and choice.work is not None:
        choice = replace(choice, resolution=replace(choice.resolution, method="override"))
    works = tuple(w for w in (cr_work or published, s2_work) if w is not None)
    # Crossref answers an aliased DOI with its canonical record (301): publish the canonical DOI.
    canonical = Ids(doi=cr_work.ids.doi) if cr_work is not None else Ids()
    merged = _union(canonical, ids, *(w.ids for w in works)) if choice.work is not None else ids
    return Outcome(choice, merged, works if choice.work is not None else ())


def _unconfirmed(item: Item, ledger: Ledger, sources: Sources) -> Choice:
    ids = item.match.ids
    asked_s2 = [k for k in ids.s2_keys() if k in ledger.s2]
    cr_doi = ids.doi or (acl_doi_candidate(ids.acl) if ids.acl else None)
    asked_cr = bool(cr_doi and cr_doi in ledger.crossref)
    if asked_s2 or asked_cr:
        return Choice(
            Resolution("unresolved", "link", 0.0, "the link's identifier is in neither Crossref nor Semantic Scholar"),
            None,
            (),
        )
    why = [sources.crossref.failures.get(cr_doi, "") if cr_doi else ""]
    why += [sources.semantic_scholar.failures.get(k, "") for k in ids.s2_keys()]
    reasons = list(dict.fromkeys(w for w in why if w)) or [_failure_text(ledger, sources) or "no source answered"]
    method = "offline" if sources.offline else "link-unconfirmed"
    return Choice(Resolution("unresolved", method, 0.0, "; ".join(reasons)), None, ())


def _worth_searching(outcome: Outcome) -> bool:
    """Search for a link whose identifier every source said it does not know; not after errors, not for pins."""
    res = outcome.choice.resolution
    return outcome.choice.work is None and res.method == "link"


# -- searching ---------------------------------------------------------------------------------------


def _first_source(item: Item) -> str:
    return CROSSREF if item.match.host in CROSSREF_FIRST else SEMANTIC_SCHOLAR


def next_search(done: Sequence[str], choice: Choice, s2_has_title: bool) -> str | None:
    """The next search step for a link after the steps `done` (first step: CROSSREF_SEARCH or S2_MATCH by
    link kind), or None to stop (pure). `choice` verifies every candidate found so far; `s2_has_title` says
    that S2's title match answered with a record whose title passes (another paper by that title, or a
    preprint), so that S2's relevance search may hold the listed one among its namesakes.

    - A verified answer stops the search: its other source confirms it by batch lookup at completion, not by a
      search of its own. Only a preprint answering S2's match goes on to S2's search for its version of record.
    - S2's match answering nothing with that title: S2 does not have it, so its relevance search is skipped.
    - At most SEARCH_BUDGET steps: a link no index holds costs two search requests, not three.
    """
    if not done or len(done) >= SEARCH_BUDGET:
        return None
    last = done[-1]
    if choice.work is not None:
        preprint = matching.is_preprint_record(choice.work)
        return S2_SEARCH if last == S2_MATCH and preprint and S2_SEARCH not in done else None
    if last == S2_MATCH and s2_has_title and S2_SEARCH not in done:
        return S2_SEARCH
    if CROSSREF_SEARCH not in done:
        return CROSSREF_SEARCH
    return S2_MATCH if S2_MATCH not in done else None


def _search_all(
    sources: Sources,
    items: Sequence[Item],
    candidates: dict[str, list[Work]],
    ledger: Ledger,
    overrides: Overrides,
    progress: Progress,
) -> dict[str, Choice]:
    """Search each item on its first source, then as `next_search` says, each step queued at once.

    Each source has its own threads (more than its concurrency cap just wait on its pacer). A link sent on does
    not wait for the rest of the first round, so the faster source's second searches overlap the slower
    source's first ones, and verification runs while other requests are in flight. The choices by link url.
    """
    choices: dict[str, Choice] = {}
    futures: list[Future[None]] = []
    lock = threading.Lock()
    pools = {
        name: ThreadPoolExecutor(max_workers=SEARCH_THREADS, thread_name_prefix=f"search-{name}")
        for name in (CROSSREF, SEMANTIC_SCHOLAR)
    }

    def submit(item: Item, step: str, done: tuple[str, ...]) -> None:
        pool = pools[CROSSREF if step == CROSSREF_SEARCH else SEMANTIC_SCHOLAR]
        futures.append(pool.submit(run, item, step, done))

    def run(item: Item, step: str, done: tuple[str, ...]) -> None:
        found = _search_one(sources, step, item, candidates, ledger, overrides)
        progress("search", 0)
        choice = _choose(item, candidates[item.link.url])
        s2_has_title = step == S2_MATCH and any(
            matching.title_score(item.expect.title, w.title or "") >= matching.TITLE_PASS for w in found
        )
        following = next_search((*done, step), choice, s2_has_title)
        with lock:
            choices[item.link.url] = choice
            if following is not None:
                submit(item, following, (*done, step))
                return
        candidates[item.link.url].clear()  # settled: the rejected records need not stay (100k links: ~1 GB)

    try:
        with lock:
            for item in items:
                submit(item, CROSSREF_SEARCH if _first_source(item) == CROSSREF else S2_MATCH, ())
        waited = 0
        while True:
            with lock:
                if waited == len(futures):
                    break
                future = futures[waited]
            future.result()  # a following search is queued before its previous one's future completes
            waited += 1
    finally:
        for pool in pools.values():
            pool.shutdown(wait=True, cancel_futures=True)
    return choices


def _search_one(
    sources: Sources,
    step: str,
    item: Item,
    candidates: dict[str, list[Work]],
    ledger: Ledger,
    overrides: Overrides,
) -> list[Work]:
    """One search step for one item; its candidates are appended (and returned)."""
    query = SearchQuery(item.expect.title, item.expect.year, item.expect.authors, item.expect.venue)
    source = CROSSREF if step == CROSSREF_SEARCH else SEMANTIC_SCHOLAR
    try:
        if step == CROSSREF_SEARCH:
            found = list(sources.crossref.search(query))
        elif step == S2_MATCH:
            # search/match answers with its single best title: often a same-titled other paper, or the preprint
            # of a paper whose version of record exists; then the relevance search's hits hold it (next_search).
            match = sources.semantic_scholar.match(query)
            found = [match] if match is not None else []
        else:
            found = list(sources.semantic_scholar.search(query, limit=S2_SEARCH_LIMIT))
    except SourceError as exc:
        ledger.failed(source, exc)
        ledger.search_failed(item.link.url, exc)
        found = []
    kept = [w for w in found if not overrides.is_rejected(item.link.url, w)]
    with ledger.lock:
        candidates[item.link.url].extend(kept)
    return kept


def _choose(item: Item, found: Sequence[Work]) -> Choice:
    found = [w for w in found if _consistent_with_link(item, w)]
    if not found:
        return Choice(Resolution("unresolved", "none", 0.0, "no candidate found"), None, ())
    return matching.choose(item.expect, found)


def _consistent_with_link(item: Item, work: Work) -> bool:
    """Identifiers the link carries that a candidate contradicts (an AAAI OJS number vs its DOI suffix)."""
    aaai = item.match.ids.aaai
    doi = work.ids.doi or ""
    return not (aaai and doi.startswith("10.1609/aaai.") and not doi.endswith(f".{aaai}"))


def _with_failures(choice: Choice, ledger: Ledger, url: str) -> Choice:
    own = ledger.searches.get(url)
    if own:  # a search for this link failed: whatever the other source offered, say so
        failures = "; ".join(dict.fromkeys(own))
        return replace(choice, resolution=replace(choice.resolution, reason=f"{choice.resolution.reason} ({failures})"))
    if not ledger.failures or choice.resolution.reason not in ("no candidate found", ""):
        return choice
    failures = "; ".join(text for _name, text in sorted(ledger.failures.items()))
    return replace(choice, resolution=replace(choice.resolution, reason=f"no candidate found ({failures})"))


def _failure_text(ledger: Ledger, sources: Sources) -> str:
    if sources.offline:
        return "offline: not in the cache"
    degraded = {**ledger.failures, **sources.degraded()}
    return "; ".join(text for _name, text in sorted(degraded.items()))


# -- completion --------------------------------------------------------------------------------------


def _complete(outcomes: dict[str, Outcome], sources: Sources, ledger: Ledger) -> None:
    """Fetch the other source's record of every resolved paper in batches; agreement raises confidence.

    A paper found by search is also looked up by its own id: free while the search's cached counts are fresh,
    one batched counts refresh once they are stale (the nightly run; a cached search keeps its counts 30 days).
    """
    need_s2 = _unique(
        key
        for o in outcomes.values()
        if o.choice.work is not None and not _has_source(o, SEMANTIC_SCHOLAR)
        for key in o.ids.s2_keys()[:1]
    )
    need_cr = _unique(
        o.ids.doi
        for o in outcomes.values()
        if o.choice.work is not None and o.ids.doi and not _has_source(o, CROSSREF) and o.ids.doi not in ledger.crossref
    )
    searched = [o.choice.work for o in outcomes.values() if o.choice.work is not None and not o.works]
    need_s2 = _unique([*need_s2, *(w.ids.s2 for w in searched if w.source == SEMANTIC_SCHOLAR and w.ids.s2)])
    need_cr = _unique([*need_cr, *(w.ids.doi for w in searched if w.source == CROSSREF and w.ids.doi)])
    _parallel(lambda: _batch_crossref(sources, ledger, need_cr), lambda: _batch_s2(sources, ledger, need_s2))
    for url, outcome in outcomes.items():
        chosen = outcome.choice.work
        if chosen is None:
            continue
        if not outcome.works:  # found by search: the chosen record comes first, the other source's joins it
            outcome.works = (_with_counts(chosen, ledger),)
            if outcome.works[0] is not chosen:  # one record, not the search hit beside its copy with counts
                chosen = outcome.works[0]
                outcome.choice = replace(outcome.choice, work=chosen)
        extra: list[Work] = []
        if not _has_source(outcome, SEMANTIC_SCHOLAR):
            extra += [w for k in outcome.ids.s2_keys()[:1] if (w := ledger.s2.get(k)) is not None]
        if not _has_source(outcome, CROSSREF) and outcome.ids.doi:
            extra += [w for w in (ledger.crossref.get(outcome.ids.doi),) if w is not None]
        for work in extra:
            if _same_paper(chosen, work):
                outcome.works = (*outcome.works, work)
                outcome.ids = _union(outcome.ids, work.ids)
                outcome.choice = _agreed(outcome.choice, work.source)
        outcomes[url] = outcome


def _unresolve_contradicted(outcomes: dict[str, Outcome], searched: Sequence[Item]) -> None:
    """A searched link whose paper's other record, joined at completion, contradicts the link's identifier
    (the Crossref record's IEEE number is not the link's) was matched to another document: unresolved."""
    for item in searched:
        outcome = outcomes.get(item.link.url)
        if outcome is None or outcome.choice.work is None:
            continue
        note = matching.link_contradiction(item.match.ids, outcome.works)
        if note:
            res = outcome.choice.resolution
            reason = f"the found record contradicts the link's identifier: {note}"
            unresolved = Resolution("unresolved", res.method, 0.0, reason, res.evidence, res.candidates)
            outcomes[item.link.url] = Outcome(Choice(unresolved), item.match.ids)


def _with_counts(work: Work, ledger: Ledger) -> Work:
    """A searched record with the citation counts of its looked-up record (refreshed when stale)."""
    if work.source == SEMANTIC_SCHOLAR:
        record = ledger.s2.get(work.ids.s2 or "")
    else:
        record = ledger.crossref.get(work.ids.doi or "")
    if record is None or record.counts_fetched is None:
        return work
    return replace(
        work,
        citation_count=record.citation_count,
        influential_citation_count=record.influential_citation_count,
        counts_fetched=record.counts_fetched,
    )


def _refresh_counts(outcomes: Mapping[str, Outcome], sources: Sources, ledger: Ledger) -> None:
    """Expired citation counts of the published papers only, in one batched pass per source (the nightly run).

    Lookups leave them waiting, so a link looked up in both stages, or a paper that ends up unpublished, costs
    no refresh of its own: one S2 batch per 500 papers and one Crossref request per 100 DOIs. Each batch's
    records replace the outcomes' works as it comes in; the ledger's records are let go first, so that a
    paper's old and refreshed records are never all held at once (100k links: ~90 MB).
    """
    holders: dict[str, dict[str, Outcome | list[Outcome]]] = {CROSSREF: {}, SEMANTIC_SCHOLAR: {}}
    for outcome in outcomes.values():
        if outcome.choice.work is not None:
            for work in outcome.works:
                key = _count_key(work)
                if key and work.source in holders:
                    held = holders[work.source].setdefault(key, outcome)
                    if held is not outcome:  # a paper listed under several links (rare): a list
                        holders[work.source][key] = [*(held if isinstance(held, list) else [held]), outcome]
    dois, s2_ids = list(holders[CROSSREF]), list(holders[SEMANTIC_SCHOLAR])
    if not (s2_ids or dois):
        return
    with ledger.lock:
        ledger.crossref.clear()
        ledger.s2.clear()
    lock = threading.Lock()

    def apply(source: str) -> Callable[[Mapping[str, Work]], None]:
        def on_batch(fresh: Mapping[str, Work]) -> None:
            with lock:
                for given, record in fresh.items():
                    key = given.lower() if source == CROSSREF else given
                    held = holders[source].pop(key, [])
                    for outcome in held if isinstance(held, list) else [held]:
                        before = outcome.works
                        outcome.works = tuple(_counts_from(w, source, key, record) for w in before)
                        for old, new in zip(before, outcome.works, strict=True):
                            if outcome.choice.work is old and new is not old:  # not the old record beside the new
                                outcome.choice = replace(outcome.choice, work=new)

        return on_batch

    _parallel(
        lambda: sources.crossref.refresh_counts(dois, apply(CROSSREF)),
        lambda: sources.semantic_scholar.refresh_counts(s2_ids, apply(SEMANTIC_SCHOLAR)),
    )


def _count_key(work: Work) -> str:
    """The key a work's counts are refreshed under: S2 paperId, or lowercased DOI (Crossref)."""
    return (work.ids.s2 if work.source == SEMANTIC_SCHOLAR else (work.ids.doi or "").lower()) or ""


def _counts_from(work: Work, source: str, key: str, record: Work) -> Work:
    """The work with the refreshed record's counts, when it is that source's work under that key (`_count_key`)."""
    if work.source != source or _count_key(work) != key:
        return work
    updated = replace(
        work,
        citation_count=record.citation_count,
        influential_citation_count=record.influential_citation_count,
        counts_fetched=record.counts_fetched,
    )
    # Most works are the very record the source refreshed: one object for both (100k links: a copy less
    # of every published Work at the search stage's peak).
    return record if updated == record else updated


def _has_source(outcome: Outcome, source: str) -> bool:
    return any(w.source == source for w in (*outcome.works, *([outcome.choice.work] if outcome.choice.work else [])))


def _same_paper(chosen: Work, other: Work) -> bool:
    """The other source's record for the same DOI/id, with a title that agrees (S2 sometimes merges versions)."""
    if chosen.title is None or other.title is None:
        return False
    return matching.title_score(chosen.title, other.title) >= matching.TITLE_PASS


def _agreed(choice: Choice, source: str) -> Choice:
    res = choice.resolution
    if res.method.startswith("search:") and res.method != "search:both" and source not in res.method:
        method = "search:both"
    else:
        method = res.method
    evidence = (*(e for e in res.evidence if e[0] != "agreement"), ("agreement", 1.0))
    confidence = round(min(1.0, res.confidence + (1.0 - res.confidence) / 2), 3)
    return replace(choice, resolution=replace(res, method=method, confidence=confidence, evidence=evidence))


# -- batches -----------------------------------------------------------------------------------------


def _batch_crossref(sources: Sources, ledger: Ledger, dois: Sequence[str]) -> None:
    todo = [d for d in dois if d not in ledger.crossref]
    if not todo:
        return
    try:
        found = sources.crossref.lookup(todo, refresh_counts=False)
    except SourceError as exc:
        ledger.failed(CROSSREF, exc)
        return
    with ledger.lock:
        ledger.crossref.update(found)


def _batch_s2(sources: Sources, ledger: Ledger, keys: Sequence[str]) -> None:
    todo = [k for k in keys if k not in ledger.s2]
    if not todo:
        return
    try:
        found = sources.semantic_scholar.lookup(todo, refresh_counts=False)
    except SourceError as exc:
        ledger.failed(SEMANTIC_SCHOLAR, exc)
        return
    with ledger.lock:
        ledger.s2.update(found)


def _parallel(*jobs: Callable[[], object]) -> None:
    """Run one job per source at the same time; each source paces itself."""
    with ThreadPoolExecutor(max_workers=len(jobs), thread_name_prefix="source") as pool:
        for future in [pool.submit(job) for job in jobs]:
            future.result()


def _union(first: Ids, *more: Ids) -> Ids:
    """Ids with every field taken from the first argument that has it."""
    values = {}
    for name in Ids.__slots__:
        for ids in (first, *more):
            value = getattr(ids, name)
            if value is not None:
                values[name] = value
                break
    return Ids(**values)


def _unique(values: Iterable[str]) -> list[str]:
    return list(dict.fromkeys(values))


def hosts_summary(items: Sequence[Item], outcomes: Mapping[str, Outcome]) -> dict[str, dict[str, int]]:
    """Resolved/unresolved counts per link kind."""
    table: dict[str, dict[str, int]] = {}
    for item in items:
        row = table.setdefault(item.match.host, {"resolved": 0, "unresolved": 0})
        row[outcomes[item.link.url].choice.resolution.status] += 1
    return dict(sorted(table.items()))
