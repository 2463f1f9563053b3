"""The list's state (edge): `DIR/NAME.sqlite`, the one module that opens it and the only place with SQL.

What a run must remember lives here: each link's last verified resolution, the citation-key registry, the
citation-count history (changes only), the list's links as last read, and one row per run. The HTTP cache is
not state: it stays in diskcache. The tables are described in the README for `sqlite3`/Datasette readers.

Every write happens inside `Store.transaction()` (one per stage), in WAL mode, so a killed run leaves the
database as its last commit left it. The schema uses plain SQL types and `ON CONFLICT` upserts (no
SQLite-only column types or JSON functions), so the same statements run on PostgreSQL.
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import sqlite3
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import Any

from avenrich import lastgood
from avenrich.decisions import Decision, author_to_json, ids_to_json, resolution_from_json, resolution_to_json
from avenrich.errors import OutputError
from avenrich.json_text import dumps_compact
from avenrich.model import Author, Citations, Ids, Link, Record

SUFFIX = "sqlite"

# Forward migrations: MIGRATIONS[n] takes the schema from version n to n + 1. Never edit a released step;
# append one (e.g. "ALTER TABLE runs ADD COLUMN …") and the next run applies it.
MIGRATIONS: tuple[tuple[str, ...], ...] = (
    (
        """CREATE TABLE runs (
            id INTEGER PRIMARY KEY,
            started TEXT NOT NULL,
            finished TEXT,
            input TEXT NOT NULL,
            version TEXT NOT NULL,
            entries INTEGER,
            resolved INTEGER,
            unresolved INTEGER,
            carried_over INTEGER,
            requests TEXT,
            degraded TEXT
        )""",
        """CREATE TABLE links (
            url TEXT PRIMARY KEY,
            position INTEGER NOT NULL,
            title TEXT NOT NULL,
            year INTEGER,
            kind TEXT NOT NULL,
            line INTEGER,
            sections TEXT NOT NULL,
            authors TEXT NOT NULL,
            venue_tag TEXT
        )""",
        """CREATE TABLE resolutions (
            url TEXT PRIMARY KEY,
            doi TEXT,
            arxiv TEXT,
            s2 TEXT,
            title TEXT NOT NULL,
            method TEXT NOT NULL,
            confidence REAL NOT NULL,
            evidence TEXT NOT NULL,
            sources TEXT NOT NULL,
            checked TEXT NOT NULL,
            run_id INTEGER REFERENCES runs (id),
            record TEXT NOT NULL
        )""",
        "CREATE INDEX resolutions_doi ON resolutions (doi)",
        """CREATE TABLE citation_keys (
            key TEXT PRIMARY KEY,
            provisional BOOLEAN NOT NULL DEFAULT FALSE
        )""",
        """CREATE TABLE key_identities (
            identity TEXT PRIMARY KEY,
            key TEXT NOT NULL REFERENCES citation_keys (key)
        )""",
        "CREATE INDEX key_identities_key ON key_identities (key)",
        """CREATE TABLE citation_counts (
            url TEXT NOT NULL,
            date TEXT NOT NULL,
            position INTEGER NOT NULL,
            key TEXT,
            doi TEXT,
            crossref INTEGER,
            semantic_scholar INTEGER,
            PRIMARY KEY (url, date)
        )""",
        "CREATE INDEX citation_counts_date ON citation_counts (date, position)",
    ),
    (
        """CREATE TABLE decisions (
            url TEXT PRIMARY KEY,
            inputs TEXT NOT NULL,
            rules TEXT NOT NULL,
            decided TEXT NOT NULL,
            valid_until TEXT NOT NULL,
            outcome TEXT NOT NULL
        )""",
        "ALTER TABLE links ADD COLUMN issues TEXT",
    ),
)
SCHEMA_VERSION = len(MIGRATIONS)

_COUNT_SOURCES = ("crossref", "semantic_scholar")
_BATCH = 500  # URLs per `IN (…)` query (SQLite allows 32766 parameters; PostgreSQL more)


@dataclass(frozen=True, slots=True)
class CountRow:
    """One row of the citation-count history: a paper's counts on the date they were first seen or changed."""

    date: str
    url: str
    key: str | None
    doi: str | None
    crossref: int | None
    semantic_scholar: int | None

    def as_dict(self) -> dict[str, Any]:
        """The row as {"date", "url", "key", "doi", "crossref", "semantic_scholar"}."""
        return {
            "date": self.date,
            "url": self.url,
            "key": self.key,
            "doi": self.doi,
            "crossref": self.crossref,
            "semantic_scholar": self.semantic_scholar,
        }

    def to_json(self) -> str:
        """The row as one line of NAME.history.jsonl (sorted keys, as the file always had them)."""
        return json.dumps(self.as_dict(), ensure_ascii=False, sort_keys=True)


@dataclass(frozen=True, slots=True)
class RunSummary:
    """What a finished run records in its `runs` row."""

    entries: int
    resolved: int
    unresolved: int
    carried_over: int
    requests: Mapping[str, Any]
    degraded: Mapping[str, str]


def path_for(out_dir: Path, name: str) -> Path:
    """Where a list's state lives: beside its outputs, `DIR/NAME.sqlite`."""
    return out_dir / f"{name}.{SUFFIX}"


class Store:
    """One list's state database. Open it with `Store.open(path)` (a context manager); write inside
    `transaction()`. One connection, used by one thread at a time."""

    def __init__(self, db: sqlite3.Connection, path: Path, created: bool) -> None:
        self._db = db
        self.path = path
        self.created = created  # True on the first run: nothing was remembered yet

    @classmethod
    def open(cls, path: Path, on_create: Callable[[Store], None] | None = None) -> Store:
        """Open (or create) the database and bring its schema up to date; OutputError when it is unusable.

        `on_create(store)` fills a new database inside the transaction that creates its schema: if it fails (or
        the run is killed), the database stays new and the next run tries again.
        """
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            db = sqlite3.connect(path, isolation_level=None, timeout=60.0, check_same_thread=False)
        except (OSError, sqlite3.Error) as exc:
            raise OutputError(f"cannot open the state database {path}: {_why(exc)}") from None
        try:
            db.execute("PRAGMA journal_mode=WAL")
            db.execute("PRAGMA synchronous=FULL")
            db.execute("PRAGMA foreign_keys=ON")
            store = cls(db, path, created=False)
            store.created = _migrate(db, path, None if on_create is None else lambda: on_create(store))
        except sqlite3.DatabaseError as exc:
            db.close()
            raise OutputError(f"{path} is not a usable avenrich state database ({_why(exc)}): move it away") from None
        except BaseException:
            db.close()
            raise
        return store

    def close(self) -> None:
        """Close the connection (a checkpoint folds the WAL back into the file)."""
        self._db.close()

    def __enter__(self) -> Store:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    @contextlib.contextmanager
    def transaction(self) -> Iterator[None]:
        """All writes inside commit together or not at all (a SIGKILL mid-way leaves the last commit)."""
        try:
            self._db.execute("BEGIN IMMEDIATE")
        except sqlite3.Error as exc:
            raise OutputError(f"cannot write the state database {self.path}: {_why(exc)}") from None
        try:
            yield
        except BaseException:
            self._db.execute("ROLLBACK")
            raise
        try:
            self._db.execute("COMMIT")
        except sqlite3.Error as exc:
            raise OutputError(f"cannot write the state database {self.path}: {_why(exc)}") from None

    def integrity(self) -> str:
        """SQLite's `PRAGMA integrity_check` answer ("ok" when the file is sound)."""
        return str(self._db.execute("PRAGMA integrity_check").fetchone()[0])

    def schema_version(self) -> int:
        """The schema version the database is at."""
        return _version(self._db)

    # -- runs --------------------------------------------------------------------------------------

    def start_run(self, started: str, input: str, version: str) -> int:
        """A new `runs` row (finished stays empty if the run dies); its id."""
        with self.transaction():
            (last,) = self._db.execute("SELECT COALESCE(MAX(id), 0) FROM runs").fetchone()
            run_id = int(last) + 1
            self._db.execute(
                "INSERT INTO runs (id, started, input, version) VALUES (?, ?, ?, ?)", (run_id, started, input, version)
            )
        return run_id

    def finish_run(self, run_id: int, finished: str, summary: RunSummary) -> None:
        """Fill in the run's row (inside the caller's transaction)."""
        self._db.execute(
            "UPDATE runs SET finished = ?, entries = ?, resolved = ?, unresolved = ?, carried_over = ?, "
            "requests = ?, degraded = ? WHERE id = ?",
            (
                finished,
                summary.entries,
                summary.resolved,
                summary.unresolved,
                summary.carried_over,
                _dumps(summary.requests),
                _dumps(summary.degraded),
                run_id,
            ),
        )

    def runs(self) -> list[dict[str, Any]]:
        """Every run's row, oldest first (requests and degraded as parsed JSON)."""
        cursor = self._db.execute("SELECT * FROM runs ORDER BY id")
        names = [d[0] for d in cursor.description]
        rows = [dict(zip(names, row, strict=True)) for row in cursor]
        for row in rows:
            for name in ("requests", "degraded"):
                row[name] = json.loads(row[name]) if row[name] is not None else None
        return rows

    # -- the list as last read ---------------------------------------------------------------------

    def save_links(self, links: Iterable[Link], issues: Mapping[str, Collection[str]] | None = None) -> None:
        """Replace the links table with this run's list, in input order, each with the kinds of its list-health
        findings (`issues`: url → kinds; inside the caller's transaction)."""
        self._db.execute("DELETE FROM links")
        self._db.executemany(
            "INSERT INTO links (url, position, title, year, kind, line, sections, authors, venue_tag, issues) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                (
                    link.url,
                    position,
                    link.title,
                    link.year,
                    link.kind,
                    link.line,
                    _dumps([list(path) for path in link.sections]),
                    _dumps(list(link.authors)),
                    link.venue_tag,
                    _dumps(sorted((issues or {}).get(link.url, ()))),
                )
                for position, link in enumerate(links)
            ),
        )

    def previous_issues(self) -> set[tuple[str, str]] | None:
        """(url, kind) of every list-health finding of the list as last read; None when no list was read yet, or
        it was read before findings were kept here (schema 1)."""
        rows = self._db.execute("SELECT url, issues FROM links").fetchall()
        if not rows or any(issues is None for _url, issues in rows):
            return None
        return {(url, kind) for url, issues in rows for kind in json.loads(issues)}

    def link_urls(self) -> list[str]:
        """The URLs of the list as last read, in its order."""
        return [url for (url,) in self._db.execute("SELECT url FROM links ORDER BY position")]

    def previous_counts(self) -> dict[str, tuple[int | None, int | None]] | None:
        """The last published run's citation counts by URL, for the list as last read (None: no list read yet).

        A URL without counts maps to (None, None); each count is the latest the history holds.
        """
        if self._db.execute("SELECT 1 FROM links LIMIT 1").fetchone() is None:
            return None
        rows = self._db.execute(
            "SELECT l.url, h.crossref, h.semantic_scholar FROM links l LEFT JOIN citation_counts h ON h.url = l.url "
            "AND h.date = (SELECT MAX(date) FROM citation_counts WHERE url = l.url) ORDER BY l.position"
        )
        return {url: (crossref, s2) for url, crossref, s2 in rows}

    # -- last verified resolutions -----------------------------------------------------------------

    def last_verified(self, record: Record) -> Record | None:
        """The last verified record of the record's link (attached to its link and host as read now, with its
        likely duplicates), `resolution.checked` the date a source last verified it; None when never verified."""
        row = self._db.execute("SELECT record, checked FROM resolutions WHERE url = ?", (record.link.url,)).fetchone()
        if row is None:
            return None
        kept = record_from_json(json.loads(row[0]), record.link, row[1])
        return dataclasses.replace(kept, host=record.host, duplicates=record.duplicates)

    def save_verified(self, records: Iterable[Record], run_id: int | None) -> None:
        """Store each resolved record as its link's last verified resolution (its `resolution.checked` is the
        date); inside the caller's transaction. A record the state already holds as it is gets only its date and
        run (a night of unchanged papers writes no record twice). In batches: never every record's text at once."""
        batch: list[Record] = []
        for record in records:
            batch.append(record)
            if len(batch) == _BATCH:
                self._save_verified(batch, run_id)
                batch = []
        if batch:
            self._save_verified(batch, run_id)

    def _save_verified(self, records: list[Record], run_id: int | None) -> None:
        rows = [(r, _dumps(record_to_json(r))) for r in records]
        marks = ", ".join("?" * len(rows))
        held = dict(
            self._db.execute(
                f"SELECT url, record FROM resolutions WHERE url IN ({marks})", [r.link.url for r in records]
            )
        )
        self._db.executemany(
            "UPDATE resolutions SET checked = ?, run_id = ? WHERE url = ?",
            ((r.resolution.checked, run_id, r.link.url) for r, text in rows if held.get(r.link.url) == text),
        )
        self._db.executemany(
            "INSERT INTO resolutions (url, doi, arxiv, s2, title, method, confidence, evidence, sources, checked, "
            "run_id, record) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (url) DO UPDATE SET "
            "doi = excluded.doi, arxiv = excluded.arxiv, s2 = excluded.s2, title = excluded.title, "
            "method = excluded.method, confidence = excluded.confidence, evidence = excluded.evidence, "
            "sources = excluded.sources, checked = excluded.checked, run_id = excluded.run_id, "
            "record = excluded.record",
            (
                (
                    r.link.url,
                    r.ids.doi,
                    r.ids.arxiv,
                    r.ids.s2,
                    r.title,
                    r.resolution.method,
                    r.resolution.confidence,
                    _dumps(dict(r.resolution.evidence)),
                    _dumps(sorted(lastgood.record_sources(r))),
                    r.resolution.checked,
                    run_id,
                    text,
                )
                for r, text in rows
                if held.get(r.link.url) != text
            ),
        )

    def forget_verified(self, urls: Iterable[str]) -> None:
        """Drop the last verified resolution of links a source has now answered for with no paper."""
        self._db.executemany("DELETE FROM resolutions WHERE url = ?", ((url,) for url in urls))

    # -- decisions: what a night may keep without re-matching (decisions.py) --------------------------

    def decisions(self, urls: Iterable[str]) -> Iterator[Decision]:
        """The kept decisions of these links (in batches; the order is the database's)."""
        batch: list[str] = []
        for url in urls:
            batch.append(url)
            if len(batch) == _BATCH:
                yield from self._decisions(batch)
                batch = []
        if batch:
            yield from self._decisions(batch)

    def _decisions(self, urls: list[str]) -> Iterator[Decision]:
        marks = ", ".join("?" * len(urls))
        query = f"SELECT url, inputs, rules, decided, valid_until, outcome FROM decisions WHERE url IN ({marks})"
        for row in self._db.execute(query, urls):
            yield Decision(*row)

    def save_decisions(self, decisions: Iterable[Decision]) -> None:
        """Keep these decisions, replacing the links' earlier ones (inside the caller's transaction)."""
        self._db.executemany(
            "INSERT INTO decisions (url, inputs, rules, decided, valid_until, outcome) VALUES (?, ?, ?, ?, ?, ?) "
            "ON CONFLICT (url) DO UPDATE SET inputs = excluded.inputs, rules = excluded.rules, "
            "decided = excluded.decided, valid_until = excluded.valid_until, outcome = excluded.outcome",
            (dataclasses.astuple(d) for d in decisions),
        )

    def drop_decisions(self, keep: Collection[str]) -> int:
        """Drop the decisions of links not in `keep` (no longer listed); how many (inside the caller's transaction)."""
        gone = [url for (url,) in self._db.execute("SELECT url FROM decisions") if url not in keep]
        self._db.executemany("DELETE FROM decisions WHERE url = ?", ((url,) for url in gone))
        return len(gone)

    def decision_count(self) -> int:
        """How many decisions are kept."""
        return int(self._db.execute("SELECT COUNT(*) FROM decisions").fetchone()[0])

    # -- citation keys -----------------------------------------------------------------------------

    def read_registry(self) -> dict[str, str]:
        """The key registry, identity -> key (the shape keys.assign_keys takes)."""
        keys: dict[str, str] = {}  # one copy of each key, not one per identity
        return {
            identity: keys.setdefault(key, key)
            for identity, key in self._db.execute("SELECT identity, key FROM key_identities")
        }

    def provisional_keys(self) -> set[str]:
        """The keys marked provisional (given to papers not yet resolved)."""
        return {key for (key,) in self._db.execute("SELECT key FROM citation_keys WHERE provisional")}

    def save_registry(
        self, old: Mapping[str, str], new: Mapping[str, str], provisional: Collection[str] | None = None
    ) -> None:
        """Write what changed from `old` (as read) to `new` (inside the caller's transaction). A key is unique
        (`citation_keys.key`); `provisional` (when given) is the set of keys to mark provisional, the others
        are then marked final."""
        changed = [(identity, key) for identity, key in new.items() if old.get(identity) != key]
        self._db.executemany(
            "INSERT INTO citation_keys (key) VALUES (?) ON CONFLICT (key) DO NOTHING",
            ((key,) for key in dict.fromkeys(key for _, key in changed)),
        )
        self._db.executemany(
            "INSERT INTO key_identities (identity, key) VALUES (?, ?) ON CONFLICT (identity) DO UPDATE SET "
            "key = excluded.key",
            changed,
        )
        if provisional is not None:
            marked = self.provisional_keys()
            self._db.executemany(
                "UPDATE citation_keys SET provisional = ? WHERE key = ?",
                [(True, key) for key in set(provisional) - marked]
                + [(False, key) for key in marked - set(provisional)],
            )

    # -- citation-count history --------------------------------------------------------------------

    def record_counts(self, rows: Iterable[CountRow]) -> int:
        """Add each paper's counts where they differ from its latest row before that date (a count not known
        now keeps its last value; nothing known at all adds nothing); a date's earlier rows are replaced, so a
        second run on one day counts once. Inside the caller's transaction; how many rows were added."""
        added = 0
        latest: dict[str, tuple[int | None, int | None]] = {}
        date = None
        for position, row in enumerate(rows):
            if row.date != date:
                date = row.date
                self._db.execute("DELETE FROM citation_counts WHERE date = ?", (date,))
                latest = self._latest_counts(date)
            before = latest.get(row.url, (None, None))
            counts = (row.crossref, row.semantic_scholar)
            now = (
                counts[0] if counts[0] is not None else before[0],
                counts[1] if counts[1] is not None else before[1],
            )
            if now == before or now == (None, None):
                continue
            self._db.execute(
                "INSERT INTO citation_counts (url, date, position, key, doi, crossref, semantic_scholar) "
                "VALUES (?, ?, ?, ?, ?, ?, ?)",
                (row.url, row.date, position, row.key, row.doi, now[0], now[1]),
            )
            latest[row.url] = now
            added += 1
        return added

    def _latest_counts(self, date: str) -> dict[str, tuple[int | None, int | None]]:
        """Each paper's latest counts before `date` (one query: the history's primary key finds each row)."""
        rows = self._db.execute(
            "SELECT c.url, c.crossref, c.semantic_scholar FROM citation_counts c WHERE c.date = "
            "(SELECT MAX(p.date) FROM citation_counts p WHERE p.url = c.url AND p.date < ?)",
            (date,),
        )
        return {url: (crossref, s2) for url, crossref, s2 in rows}

    def count_history(self, url: str | None = None) -> Iterator[CountRow]:
        """The citation-count history (changes only), by date then list order; one link's when `url` is given."""
        query = "SELECT date, url, key, doi, crossref, semantic_scholar FROM citation_counts"
        cursor = (
            self._db.execute(query + " WHERE url = ? ORDER BY date", (url,))
            if url is not None
            else self._db.execute(query + " ORDER BY date, position")
        )
        for date, url_, key, doi, crossref, s2 in cursor:
            yield CountRow(date, url_, key, doi, crossref, s2)

    def count_rows(self) -> int:
        """How many rows the history holds."""
        return int(self._db.execute("SELECT COUNT(*) FROM citation_counts").fetchone()[0])

    # -- first run: what an outputs/ folder already remembers ---------------------------------------

    def import_legacy(
        self, registry: Mapping[str, str], history: Iterable[str], provisional: Collection[str] = ()
    ) -> None:
        """Take in an existing key registry (NAME.keys.json, unchanged, with its provisional keys) and history
        (NAME.history.jsonl lines, compacted to changes) on the first run; inside the caller's transaction."""
        self.save_registry({}, registry, provisional)
        by_date: dict[str, list[CountRow]] = {}
        for line in history:
            row = _history_row(line)
            if row is not None:
                by_date.setdefault(row.date, []).append(row)
        for date in sorted(by_date):
            self.record_counts(by_date[date])


def _migrate(db: sqlite3.Connection, path: Path, on_create: Callable[[], None] | None) -> bool:
    """Apply the missing migrations in one transaction (with `on_create` for a new database); True when the
    database was new."""
    db.execute("BEGIN IMMEDIATE")
    try:
        db.execute("CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL, applied TEXT NOT NULL)")
        current = _version(db)
        if current > SCHEMA_VERSION:
            raise OutputError(
                f"{path} was written by a newer avenrich (state schema {current} > {SCHEMA_VERSION}): upgrade avenrich"
            )
        for step in range(current, SCHEMA_VERSION):
            for statement in MIGRATIONS[step]:
                db.execute(statement)
            db.execute("INSERT INTO schema_version (version, applied) VALUES (?, CURRENT_TIMESTAMP)", (step + 1,))
        if current == 0 and on_create is not None:
            on_create()
    except BaseException:
        db.execute("ROLLBACK")
        raise
    db.execute("COMMIT")
    return current == 0


def _version(db: sqlite3.Connection) -> int:
    (version,) = db.execute("SELECT COALESCE(MAX(version), 0) FROM schema_version").fetchone()
    return int(version)


def _history_row(line: str) -> CountRow | None:
    """One line of an existing NAME.history.jsonl, or None when it is not a history row."""
    try:
        data = json.loads(line)
    except ValueError:
        return None
    if not isinstance(data, dict) or not isinstance(data.get("date"), str) or not isinstance(data.get("url"), str):
        return None
    counts = [data.get(s) if isinstance(data.get(s), int) else None for s in _COUNT_SOURCES]
    key, doi = data.get("key"), data.get("doi")
    return CountRow(
        data["date"][:10],
        data["url"],
        key if isinstance(key, str) else None,
        doi if isinstance(doi, str) else None,
        counts[0],
        counts[1],
    )


# -- records as JSON (the `resolutions.record` column) ---------------------------------------------------


def record_to_json(record: Record) -> dict[str, Any]:
    """What the state keeps of a verified record: everything but the link (read anew each run) and the
    likely duplicates (worked out from the list)."""
    return {
        "ids": ids_to_json(record.ids),
        "resolution": resolution_to_json(record.resolution),
        "host": record.host,
        "title": record.title,
        "authors": [author_to_json(a) for a in record.authors],
        **{name: getattr(record, name) for name in _PLAIN},
        "citations": _fields(record.citations),
        "provenance": [list(entry) for entry in record.provenance],
    }


_PLAIN = ("year", "month", "venue", "type", "publisher", "pages", "volume", "issue")


def record_from_json(data: Mapping[str, Any], link: Link, checked: str) -> Record:
    """The record `record_to_json` kept, for `link`, its resolution dated `checked`."""
    return Record(
        link=link,
        ids=Ids(**data["ids"]),
        resolution=resolution_from_json(data["resolution"], checked),
        host=data["host"],
        title=data["title"],
        authors=tuple(Author(**a) for a in data["authors"]),
        citations=Citations(**data["citations"]),
        provenance=tuple((str(f), str(s), d) for f, s, d in data["provenance"]),
        year=data.get("year"),
        month=data.get("month"),
        venue=data.get("venue"),
        type=data.get("type"),
        publisher=data.get("publisher"),
        pages=data.get("pages"),
        volume=data.get("volume"),
        issue=data.get("issue"),
    )


def _fields(value: Any) -> dict[str, Any]:
    return {f.name: getattr(value, f.name) for f in dataclasses.fields(value)}


_dumps = dumps_compact


def _why(exc: BaseException) -> str:
    if isinstance(exc, OSError) and exc.strerror:
        return exc.strerror
    return str(exc).strip().splitlines()[0][:200] if str(exc).strip() else exc.__class__.__name__
