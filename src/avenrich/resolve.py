"""Resolution: every link to a verified paper, spending the scarce requests only where needed (mixed).

Two stages, each running every registered source (sources.SOURCES) in parallel at its own pace:
  `lookup`: identifiers from the links go to each source's batch endpoint (S2 `/paper/batch`, Crossref
     `filter=doi:`), then the DOIs other sources report for arXiv/ACL/PMC papers (their published versions)
     go to the sources of versions of record (Crossref);
  `search_and_verify`: identifier hits are confirmed; links without identifiers are searched on the
     source that indexes their kind of link best (each source's SEARCH_FIRST: Crossref for
     IEEE/CVF/ACM/Springer/ECVA/AAAI/ISCA, S2 for NeurIPS, OpenReview, personal pages and the rest), step by
     step (each source's SEARCH_STEPS: Crossref's bibliographic search; S2's title match, then its relevance
     search): a link whose steps find nothing that passes verification goes on to the next source, at most
     SEARCH_BUDGET search requests in all (SearchSchedule.next_search); finally every resolved paper's record
     from the other sources is fetched in batches (every source's counts, cross-source agreement).
Every candidate, whatever the route, goes through `matching.check`; nothing is taken on trust. An outcome
that a failure shaped (a lookup, search or counts refresh that failed) names the failed sources in
`Outcome.failed`: it is not complete, and the next run checks it again.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace

from avenrich import matching
from avenrich.errors import SourceError
from avenrich.matching import Choice, Expectation
from avenrich.model import Ids, Link, LinkMatch, Resolution, Work
from avenrich.overrides import Overrides
from avenrich.progress import expect
from avenrich.sources import OFFLINE_REASON, CachedSource, SearchQuery, Sources

log = logging.getLogger("avenrich.resolve")

SEARCH_THREADS = 4
# The search requests one link may cost: a link that no index holds costs at most this many (issue 14: a
# list with 44% of its links in no index spent three per such link).
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


@dataclass(frozen=True, slots=True)
class Outcome:
    """The resolution of one link plus the works (one per source) the record is merged from.

    `failed` names the sources whose failure shaped it (a lookup, a search or a counts refresh that could
    not be done): such an outcome is not `complete` and must not be kept as the final answer.
    """

    choice: Choice
    ids: Ids
    works: tuple[Work, ...] = ()
    failed: frozenset[str] = frozenset()

    @property
    def complete(self) -> bool:
        """True when every request this outcome needed was answered."""
        return not self.failed


@dataclass(slots=True)
class Ledger:
    """Thread-safe record of what each source said (source name → key → record), and why a source could not
    answer."""

    records: dict[str, dict[str, Work | None]] = field(default_factory=dict)
    failures: dict[str, str] = field(default_factory=dict)
    searches: dict[str, list[tuple[str, str]]] = field(default_factory=dict)  # link url → (source, why) failed
    lock: threading.Lock = field(default_factory=threading.Lock)

    def of(self, source: str) -> dict[str, Work | None]:
        """What this source said, by lookup key."""
        with self.lock:
            return self.records.setdefault(source, {})

    def clear(self) -> None:
        """Let go of every record (the failures stay)."""
        with self.lock:
            for records in self.records.values():
                records.clear()

    def failed(self, source: str, exc: SourceError) -> None:
        with self.lock:
            self.failures.setdefault(source, exc.message)

    def search_failed(self, url: str, source: str, exc: SourceError) -> None:
        with self.lock:
            self.searches.setdefault(url, []).append((source, str(exc)))


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
    """Fetch every identifier the links carry, in batches, from every source at once.

    Then the DOIs other sources report for arXiv/ACL/PMC papers (their published versions) are fetched from
    the sources of versions of record.
    """
    ledger = Ledger()
    with_ids = [item for item in items if item.link.kind == "paper" and _has_lookup_ids(item, sources)]
    expect("lookup", len(with_ids))
    _each_source(
        sources,
        lambda source: _batch(source, ledger, _unique(k for i in with_ids for k in source.lookup_keys(i.match.ids))),
    )
    for source in sources.all():
        if source.VERSION_OF_RECORD:
            _batch(source, ledger, _learnt_keys(source, sources, ledger, with_ids))
    progress("lookup", len(with_ids))
    return ledger


def search_and_verify(
    items: Sequence[Item],
    ledger: Ledger,
    sources: Sources,
    overrides: Overrides | None = None,
    progress: Progress = _no_progress,
    kept: dict[str, Outcome] | None = None,
) -> dict[str, Outcome]:
    """Verify what the identifiers found, search for the rest, and settle every link. Keyed by link url.

    `kept` are the outcomes of links decided on an earlier night whose inputs and records have not changed
    (decisions.py): they are not looked up, searched or verified again; only their citation counts are
    refreshed, with everyone else's. They move into the result (`kept` is emptied: a long list's kept
    outcomes are never held twice). The ledger's records are let go once completion has used them (before
    the counts refresh).
    """
    overrides = overrides or Overrides()
    kept = kept if kept is not None else {}
    papers = [item for item in items if item.link.kind == "paper" and item.link.url not in kept]
    with_ids = [item for item in papers if _has_lookup_ids(item, sources)]
    outcomes = {item.link.url: _by_identifier(item, ledger, sources) for item in with_ids}
    # Links with an identifier that no source knows (an ACL or PMC id) are searched like the others.
    retry = {url for url, outcome in outcomes.items() if _worth_searching(outcome)}
    to_search = [item for item in papers if not _has_lookup_ids(item, sources) or item.link.url in retry]
    choices = _search_all(sources, to_search, ledger, overrides, progress)
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
    while kept:
        url, outcome = kept.popitem()
        outcomes[url] = _current(outcome, sources)
    _refresh_counts(outcomes, sources, ledger)
    for item in items:
        url = item.link.url
        if url not in outcomes:
            outcomes[url] = Outcome(
                Choice(Resolution("unresolved", "none", 0.0, "listed as a dataset, not a paper"), None, ()),
                item.match.ids,
            )
        else:
            failed = _failed_sources(item, outcomes[url], ledger, sources)
            if failed:
                outcomes[url] = replace(outcomes[url], failed=failed)
    return outcomes


def _current(outcome: Outcome, sources: Sources) -> Outcome:
    """A kept outcome with its works' counts as the cache holds them now (expired ones wait for the refresh)."""
    return _with_works(outcome, tuple(sources[work.source].current(work) for work in outcome.works))


def _with_works(outcome: Outcome, works: tuple[Work, ...]) -> Outcome:
    """The outcome with its works replaced one for one; the chosen work follows its replacement (one object
    for both, never the old record beside the new). The outcome itself when nothing was replaced."""
    if all(new is old for new, old in zip(works, outcome.works, strict=True)):
        return outcome
    choice = outcome.choice
    for old, new in zip(outcome.works, works, strict=True):
        if choice.work is old and new is not old:
            choice = replace(choice, work=new)
    return replace(outcome, choice=choice, works=works)


def _failed_sources(item: Item, outcome: Outcome, ledger: Ledger, sources: Sources) -> frozenset[str]:
    """The sources whose failure shaped an outcome: a lookup of one of its keys, one of its searches, or the
    refresh of one of its works' counts could not be done."""
    failed = {source for source, _why in ledger.searches.get(item.link.url, ())}
    for source in sources.all():
        if source.failures:
            keys = {*source.lookup_keys(item.match.ids), source.record_key(outcome.ids)}
            keys.update(source.record_key(work.ids) for work in outcome.works)
            if any(key in source.failures for key in keys if key):
                failed.add(source.name)
        if source.counts_failed and any(
            w.source == source.name and source.count_key(w) in source.counts_failed for w in outcome.works
        ):
            failed.add(source.name)
    return frozenset(failed)


# -- identifiers -------------------------------------------------------------------------------------


def _has_lookup_ids(item: Item, sources: Sources) -> bool:
    return any(source.lookup_keys(item.match.ids) for source in sources.all())


def _learnt_keys(source: CachedSource, sources: Sources, ledger: Ledger, items: Iterable[Item]) -> list[str]:
    """Keys (DOIs) that other sources know for papers we looked up by arXiv/ACL/PMC id, not yet asked of
    this source."""
    asked = ledger.of(source.name)
    learnt = []
    for item in items:
        for other in sources.all():
            if other is source:
                continue
            said = ledger.of(other.name)
            for key in other.lookup_keys(item.match.ids):
                work = said.get(key)
                if work is not None and (mine := source.record_key(work.ids)) and mine not in asked:
                    learnt.append(mine)
    return _unique(learnt)


def _found(source: CachedSource, ledger: Ledger, ids: Ids) -> Work | None:
    """The first record the source gave for one of these ids' lookup keys."""
    said = ledger.of(source.name)
    return next((work for key in source.lookup_keys(ids) if (work := said.get(key)) is not None), None)


def _by_identifier(item: Item, ledger: Ledger, sources: Sources) -> Outcome:
    """Confirm the paper a link's identifiers point at; follow an arXiv preprint to its published version."""
    ids = item.match.ids
    found = {source.name: _found(source, ledger, ids) for source in sources.all()}
    records = dict(found)
    for source in sources.all():
        if not source.VERSION_OF_RECORD or found[source.name] is not None:
            continue
        # An arXiv/ACL/PMC link whose paper has a DOI: the version of record, when this source agrees on the title.
        for other, work in found.items():
            key = source.record_key(work.ids) if work is not None and other != source.name else None
            candidate = ledger.of(source.name).get(key) if key else None
            if candidate is not None and matching.check(item.expect, candidate).passed:
                records[source.name] = candidate
                break
    by_record = [s for s in sources.all() if s.VERSION_OF_RECORD and records[s.name] is not None]
    primary = records[by_record[0].name] if by_record else next((w for w in records.values() if w), None)
    via = "override" if item.pinned else "link"
    if primary is None:
        choice = _unconfirmed(item, ledger, sources)
        if item.pinned:
            choice = replace(choice, resolution=replace(choice.resolution, method="override"))
        return Outcome(choice, ids)
    choice = matching.confirm(item.expect, primary, via)
    if item.pinned and choice.work is not None:
        choice = replace(choice, resolution=replace(choice.resolution, method="override"))
    if choice.work is None:
        return Outcome(choice, ids)
    works = tuple(w for w in records.values() if w is not None)
    # Crossref answers an aliased DOI with its canonical record (301): publish the canonical DOI.
    canonical = [Ids(doi=w.ids.doi) for s in sources.all() if s.VERSION_OF_RECORD and (w := found[s.name])]
    return Outcome(choice, _union(*canonical, ids, *(w.ids for w in works)), works)


def _unconfirmed(item: Item, ledger: Ledger, sources: Sources) -> Choice:
    ids = item.match.ids
    if any(key in ledger.of(s.name) for s in sources.all() for key in s.lookup_keys(ids)):
        return Choice(
            Resolution("unresolved", "link", 0.0, f"the link's identifier is in {_none_of(sources)}"), None, ()
        )
    why = [source.failures.get(key, "") for source in sources.all() for key in source.lookup_keys(ids)]
    reasons = list(dict.fromkeys(w for w in why if w)) or [_failure_text(ledger, sources) or "no source answered"]
    method = "offline" if sources.offline else "link-unconfirmed"
    return Choice(Resolution("unresolved", method, 0.0, "; ".join(reasons)), None, ())


def _none_of(sources: Sources) -> str:
    """ "neither Crossref nor Semantic Scholar", or "none of A, B, C"."""
    labels = [source.LABEL for source in sources.all()]
    if len(labels) == 2:
        return f"neither {labels[0]} nor {labels[1]}"
    return "none of " + ", ".join(labels)


def _worth_searching(outcome: Outcome) -> bool:
    """Search for a link whose identifier every source said it does not know; not after errors, not for pins."""
    res = outcome.choice.resolution
    return outcome.choice.work is None and res.method == "link"


# -- searching ---------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class SearchStep:
    """One search request a source may make for a link: the source's name and one of its SEARCH_STEPS."""

    source: str
    step: str


def search_order(item: Item, sources: Sources) -> tuple[SearchStep, ...]:
    """The search steps for a link, best first: the steps (SEARCH_STEPS) of the sources that index its kind of
    link (SEARCH_FIRST), then of the general ones (SEARCH_FIRST None), then of the rest; registry order within
    each. `SearchSchedule.next_search` says how far along them a link goes."""
    host = item.match.host

    def rank(source: CachedSource) -> int:
        if source.SEARCH_FIRST is None:
            return 1
        return 0 if host in source.SEARCH_FIRST else 2

    return tuple(SearchStep(s.name, step) for s in sorted(sources.all(), key=rank) for step in s.SEARCH_STEPS)


@dataclass(frozen=True, slots=True)
class Searched:
    """What one search step left: the link's verified work so far (None when no candidate passes), and whether
    that step's answer held a record whose title passes (a namesake, a preprint, or the paper itself)."""

    work: Work | None
    has_title: bool


class SearchSchedule:
    """Searches each link step by step, as `next_search` says, until a step settles it or the budget is spent.

    Each source has its own threads (more than its concurrency cap just wait on its pacer). A link's next
    step is queued as soon as its last step's candidates are verified, without waiting for the rest of the
    round, so the faster source's second searches overlap the slower source's first ones, and verification
    runs while other requests are in flight. `step(url, step)` makes one search request for one link and says
    what it left; one link is never searched on two sources at the same time.
    """

    def __init__(self, names: Iterable[str], threads: int = SEARCH_THREADS) -> None:
        self.names = tuple(names)
        self.threads = threads

    @staticmethod
    def next_search(plan: Sequence[SearchStep], done: Sequence[SearchStep], last: Searched) -> SearchStep | None:
        """The next step for a link along its `plan` (search_order) after the steps `done`, or None to stop (pure).

        - At most SEARCH_BUDGET steps: a link no index holds costs two search requests, not three.
        - A verified answer stops the search: its other sources confirm it by batch lookup at completion, not by
          searches of their own. Only a preprint goes on to its source's further step (S2's relevance search
          after its title match), where its version of record may be.
        - No verified answer: the source's further step when the last answer held the title (a namesake took
          the title match; the listed paper may be among the search's hits); otherwise the next source's first
          step: a source whose answer lacks the title does not have the paper.
        """
        if not done or len(done) >= SEARCH_BUDGET:
            return None
        latest = done[-1]
        ahead = [s for s in plan[plan.index(latest) + 1 :] if s not in done] if latest in plan else []
        further = next((s for s in ahead if s.source == latest.source), None)
        if last.work is not None:
            return further if matching.is_preprint_record(last.work) else None
        if further is not None and last.has_title:
            return further
        return next((s for s in ahead if s.source != latest.source), None)

    def run(
        self,
        plans: Mapping[str, Sequence[SearchStep]],
        step: Callable[[str, SearchStep], Searched],
        settled: Callable[[str], None] = lambda _url: None,
    ) -> None:
        """Run every link from its plan's first step until `next_search` stops it (then `settled(url)`)."""
        done = threading.Condition()
        running = 0
        errors: list[BaseException] = []
        pools = {
            name: ThreadPoolExecutor(max_workers=self.threads, thread_name_prefix=f"search-{name}")
            for name in self.names
        }

        def submit(url: str, steps: tuple[SearchStep, ...]) -> None:
            nonlocal running
            with done:
                running += 1
            pools[steps[-1].source].submit(attempt, url, steps)

        def attempt(url: str, steps: tuple[SearchStep, ...]) -> None:
            nonlocal running
            try:
                following = self.next_search(plans[url], steps, step(url, steps[-1]))
                if following is not None:
                    submit(url, (*steps, following))  # counted before this attempt ends: `running` never dips to 0
                else:
                    settled(url)
            except BaseException as exc:
                with done:
                    errors.append(exc)
            finally:
                with done:
                    running -= 1
                    done.notify_all()

        try:
            for url, plan in plans.items():
                if plan:
                    submit(url, (plan[0],))
            with done:
                done.wait_for(lambda: running == 0)
        finally:
            for pool in pools.values():
                pool.shutdown(wait=True, cancel_futures=True)
        if errors:
            raise errors[0]


def _search_all(
    sources: Sources,
    items: Sequence[Item],
    ledger: Ledger,
    overrides: Overrides,
    progress: Progress,
) -> dict[str, Choice]:
    """Search each item step by step (SearchSchedule); the choices by link url."""
    by_url = {item.link.url: item for item in items}
    candidates: dict[str, list[Work]] = {url: [] for url in by_url}
    choices: dict[str, Choice] = {}

    plans = {item.link.url: search_order(item, sources) for item in items}
    expect("search", sum(1 for plan in plans.values() if plan))

    def step(url: str, at: SearchStep) -> Searched:
        item = by_url[url]
        found = _search_one(sources[at.source], at.step, item, ledger, overrides)
        candidates[url].extend(found)
        choice = choices[url] = _choose(item, candidates[url])
        title = item.expect.title
        return Searched(
            choice.work, any(matching.title_score(title, w.title or "") >= matching.TITLE_PASS for w in found)
        )

    # one progress unit per link, when its last search is done
    SearchSchedule(s.name for s in sources.all()).run(plans, step, lambda _url: progress("search", 1))
    candidates.clear()  # the rejected records need not stay (a long list: hundreds of MB)
    return choices


def _search_one(source: CachedSource, step: str, item: Item, ledger: Ledger, overrides: Overrides) -> list[Work]:
    """The candidates one search step of one source offers for one item (none when it fails, which the ledger
    notes)."""
    query = SearchQuery(item.expect.title, item.expect.year, item.expect.authors, item.expect.venue)
    try:
        found = source.search_step(step, query)
    except SourceError as exc:
        ledger.failed(source.name, exc)
        ledger.search_failed(item.link.url, source.name, exc)
        return []
    return [w for w in found if not overrides.is_rejected(item.link.url, w)]


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
        failures = "; ".join(dict.fromkeys(why for _source, why in own))
        return replace(choice, resolution=replace(choice.resolution, reason=f"{choice.resolution.reason} ({failures})"))
    if not ledger.failures or choice.resolution.reason not in ("no candidate found", ""):
        return choice
    failures = "; ".join(text for _name, text in sorted(ledger.failures.items()))
    return replace(choice, resolution=replace(choice.resolution, reason=f"no candidate found ({failures})"))


def _failure_text(ledger: Ledger, sources: Sources) -> str:
    if sources.offline:
        return OFFLINE_REASON
    degraded = {**ledger.failures, **sources.degraded()}
    return "; ".join(text for _name, text in sorted(degraded.items()))


# -- completion --------------------------------------------------------------------------------------


def _complete(outcomes: dict[str, Outcome], sources: Sources, ledger: Ledger) -> None:
    """Fetch the other sources' records of every resolved paper in batches; agreement raises confidence.

    A paper found by search is also looked up by its own id: free while the search's cached counts are fresh,
    one batched counts refresh once they are stale (the nightly run; a cached search keeps its counts 30 days).
    """
    resolved = [o for o in outcomes.values() if o.choice.work is not None]
    searched = [o.choice.work for o in resolved if o.choice.work is not None and not o.works]
    need: dict[str, list[str]] = {}
    for source in sources.all():
        keys = [source.record_key(o.ids) for o in resolved if not _has_source(o, source.name)]
        keys += [source.count_key(w) for w in searched if w.source == source.name]
        need[source.name] = _unique(k for k in keys if k)
    _each_source(sources, lambda source: _batch(source, ledger, need[source.name]))
    for url, outcome in outcomes.items():
        chosen = outcome.choice.work
        if chosen is None:
            continue
        choice, works, ids = outcome.choice, outcome.works, outcome.ids
        if not works:  # found by search: the chosen record comes first, the other sources' join it
            works = (_with_counts(chosen, sources, ledger),)
            if works[0] is not chosen:  # one record, not the search hit beside its copy with counts
                chosen = works[0]
                choice = replace(choice, work=chosen)
        for source in sources.all():
            key = source.record_key(ids) if not _has_source(outcome, source.name) else None
            work = ledger.of(source.name).get(key) if key else None
            if work is not None and _same_paper(chosen, work):
                works = (*works, work)
                ids = _union(ids, work.ids)
                choice = _agreed(choice, work.source)
        outcomes[url] = replace(outcome, choice=choice, works=works, ids=ids)


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


def _with_counts(work: Work, sources: Sources, ledger: Ledger) -> Work:
    """A searched record with the citation counts of its looked-up record (refreshed when stale)."""
    record = ledger.of(work.source).get(sources[work.source].count_key(work))
    if record is None or record.counts_fetched is None:
        return work
    return replace(
        work,
        citation_count=record.citation_count,
        influential_citation_count=record.influential_citation_count,
        counts_fetched=record.counts_fetched,
    )


def _refresh_counts(outcomes: dict[str, Outcome], sources: Sources, ledger: Ledger) -> None:
    """Expired citation counts of the published papers only, in one batched pass per source (the nightly run).

    Lookups leave them waiting, so a link looked up in both stages, or a paper that ends up unpublished, costs
    no refresh of its own: one S2 batch per 500 papers and one Crossref request per 100 DOIs. Each batch's
    records replace the outcomes' works as it comes in; the ledger's records are let go first, so that a
    paper's old and refreshed records are never all held at once.
    """
    holders: dict[str, dict[str, tuple[str, ...]]] = {source.name: {} for source in sources.all()}  # → key → urls
    for url, outcome in outcomes.items():
        if outcome.choice.work is not None:
            for work in outcome.works:
                if work.source in holders and (key := sources[work.source].count_key(work)):
                    held = holders[work.source].get(key, ())
                    if url not in held:
                        holders[work.source][key] = (*held, url)
    if not any(holders.values()):
        return
    ledger.clear()
    lock = threading.Lock()

    def apply(source: str) -> Callable[[Mapping[str, Work]], None]:
        count_key = sources[source].count_key

        def on_batch(fresh: Mapping[str, Work]) -> None:
            with lock:
                for key, record in fresh.items():
                    for url in holders[source].pop(key, ()):
                        outcome = outcomes[url]
                        works = tuple(_counts_from(w, count_key, key, record) for w in outcome.works)
                        outcomes[url] = _with_works(outcome, works)

        return on_batch

    _each_source(sources, lambda source: source.refresh_counts(list(holders[source.name]), apply(source.name)))


def _counts_from(work: Work, count_key: Callable[[Work], str], key: str, record: Work) -> Work:
    """The work with the refreshed record's counts, when it is that source's work under that key."""
    if work.source != record.source or count_key(work) != key:
        return work
    updated = replace(
        work,
        citation_count=record.citation_count,
        influential_citation_count=record.influential_citation_count,
        counts_fetched=record.counts_fetched,
    )
    # Most works are the very record the source refreshed: one object for both (a copy less of every
    # published Work at the search stage's peak).
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


def _batch(source: CachedSource, ledger: Ledger, keys: Sequence[str]) -> None:
    said = ledger.of(source.name)
    todo = [k for k in keys if k not in said]
    if not todo:
        return
    try:
        found = source.lookup(todo, refresh_counts=False)
    except SourceError as exc:
        ledger.failed(source.name, exc)
        return
    with ledger.lock:
        said.update(found)


def _each_source(sources: Sources, job: Callable[[CachedSource], object]) -> None:
    """Run the job for every source at the same time; each source paces itself."""
    with ThreadPoolExecutor(max_workers=len(sources.all()), thread_name_prefix="source") as pool:
        for future in [pool.submit(job, source) for source in sources.all()]:
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
