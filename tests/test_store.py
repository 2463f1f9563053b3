"""The list's state database (store.py): schema and migrations, key registry, count history, verified records."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from avenrich import store
from avenrich.errors import OutputError
from avenrich.model import Author, Citations, Ids, Link, Record, Resolution
from avenrich.publish import open_state
from avenrich.store import CountRow, RunSummary, Store

LINK = Link(url="https://doi.org/10.1/a", title="Listed Title", year=2019, sections=(("A", "B"),), line=3)
RECORD = Record(
    link=LINK,
    ids=Ids(doi="10.1/a", arxiv="1901.00001", s2="a" * 40, corpus_id=12),
    resolution=Resolution(
        "resolved", "link", 0.93, "ok", (("title", 1.0), ("year", 0.5)), ("doi:10.1/b",), "2026-11-24"
    ),
    host="doi",
    title="A Title",
    authors=(Author(given="Ada", family="Lovelace", orcid="0000-0002-1825-0097"), Author(literal="The Team")),
    year=2019,
    month=4,
    venue="CVPR",
    type="proceedings-article",
    publisher="IEEE",
    pages="1-9",
    citations=Citations(crossref=5, crossref_date="2026-11-24", semantic_scholar=7, influential=1),
    provenance=(("title", "crossref", "2026-11-24"), ("venue", "semantic_scholar", None)),
    duplicates=("https://arxiv.org/abs/1901.00001",),
)


def rows(state: Store) -> list[tuple[str, str, int | None, int | None]]:
    return [(r.date, r.url, r.crossref, r.semantic_scholar) for r in state.count_history()]


def test_new_database_is_at_the_current_schema_in_wal_mode(tmp_path: Path) -> None:
    """A new file is created at SCHEMA_VERSION, in WAL mode, flagged as created once; reopening keeps it."""
    path = tmp_path / "x.sqlite"
    with Store.open(path) as state:
        assert state.created and state.schema_version() == store.SCHEMA_VERSION
        assert state.integrity() == "ok"
    with Store.open(path) as state:
        assert not state.created
    with sqlite3.connect(path) as db:
        assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        versions = db.execute("SELECT version FROM schema_version ORDER BY version").fetchall()
        assert versions == [(step,) for step in range(1, store.SCHEMA_VERSION + 1)]


def test_a_schema_1_database_gains_the_decisions_table_and_keeps_its_rows(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A database made by the release before decisions (schema 1) is migrated forward on the next run: its runs
    and keys stay, and the decisions table is there, empty."""
    path = tmp_path / "x.sqlite"
    monkeypatch.setattr(store, "MIGRATIONS", store.MIGRATIONS[:1])
    monkeypatch.setattr(store, "SCHEMA_VERSION", 1)
    with Store.open(path) as state:
        state.start_run("2026-11-24T03:00:00Z", "list.md", "1")
        with state.transaction():
            state.save_registry({}, {"doi:10.1/x": "smith2020a"})
    monkeypatch.undo()
    with Store.open(path) as state:
        assert state.schema_version() == store.SCHEMA_VERSION >= 2
        assert len(state.runs()) == 1 and state.read_registry() == {"doi:10.1/x": "smith2020a"}
        assert state.decision_count() == 0


def test_a_later_migration_is_applied_forward(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """An appended migration step runs once on an existing database, keeping its rows."""
    path = tmp_path / "x.sqlite"
    with Store.open(path) as state:
        state.start_run("2026-11-24T03:00:00Z", "list.md", "1")
    monkeypatch.setattr(store, "MIGRATIONS", (*store.MIGRATIONS, ("ALTER TABLE runs ADD COLUMN note TEXT",)))
    monkeypatch.setattr(store, "SCHEMA_VERSION", store.SCHEMA_VERSION + 1)
    with Store.open(path) as state:
        assert state.schema_version() == store.SCHEMA_VERSION
        assert [r["note"] for r in state.runs()] == [None]


@pytest.mark.parametrize(
    ("content", "message"),
    [(b"not a database at all" * 100, "not a usable avenrich state database"), (None, "newer avenrich")],
)
def test_an_unusable_or_newer_file_is_one_clear_error(tmp_path: Path, content: bytes | None, message: str) -> None:
    """A file that is not SQLite, or a schema newer than this avenrich knows: OutputError, file left alone."""
    path = tmp_path / "x.sqlite"
    if content is not None:
        path.write_bytes(content)
    else:
        with Store.open(path):
            pass
        with sqlite3.connect(path) as db:
            db.execute("INSERT INTO schema_version VALUES (99, 'later')")
    before = path.read_bytes()
    with pytest.raises(OutputError, match=message):
        Store.open(path)
    assert path.read_bytes() == before


def test_a_failed_transaction_leaves_nothing(tmp_path: Path) -> None:
    """An exception inside a transaction rolls every write of it back."""
    with Store.open(tmp_path / "x.sqlite") as state:
        with pytest.raises(RuntimeError), state.transaction():
            state.save_registry({}, {"doi:10.1/a": "ada2019title"})
            raise RuntimeError("killed")
        assert state.read_registry() == {}


class TestRegistry:
    def test_round_trip_and_only_changes_written(self, tmp_path: Path) -> None:
        """The registry reads back as written; a second save with a moved identity updates only it."""
        first = {"doi:10.1/a": "ada2019title", "url:https://x": "ada2019title", "doi:10.1/b": "bob2020word"}
        with Store.open(tmp_path / "x.sqlite") as state:
            with state.transaction():
                state.save_registry({}, first)
            assert state.read_registry() == first
            second = {**first, "url:https://x": "bob2020word", "arxiv:1901.00001": "cyd2021a"}
            with state.transaction():
                state.save_registry(first, second)
            assert state.read_registry() == second

    def test_provisional_keys_are_marked_and_cleared(self, tmp_path: Path) -> None:
        """Keys named provisional are marked; a later save without them marks them final."""
        registry = {"url:https://x": "anon2020", "doi:10.1/a": "ada2019title"}
        with Store.open(tmp_path / "x.sqlite") as state:
            with state.transaction():
                state.save_registry({}, registry, provisional={"anon2020"})
            assert state.provisional_keys() == {"anon2020"}
            with state.transaction():
                state.save_registry(registry, registry, provisional=set())
            assert state.provisional_keys() == set()

    def test_a_key_is_one_row_and_an_identity_names_one_key(self, tmp_path: Path) -> None:
        """citation_keys.key and key_identities.identity are unique: SQLite refuses a second row."""
        with Store.open(tmp_path / "x.sqlite") as state, state.transaction():
            state.save_registry({}, {"doi:10.1/a": "ada2019title"})
        with sqlite3.connect(tmp_path / "x.sqlite") as db:
            with pytest.raises(sqlite3.IntegrityError):
                db.execute("INSERT INTO citation_keys (key) VALUES ('ada2019title')")
            with pytest.raises(sqlite3.IntegrityError):
                db.execute("INSERT INTO key_identities VALUES ('doi:10.1/a', 'ada2019title')")


class TestHistory:
    def test_counts_are_stored_when_first_seen_and_when_they_change(self, tmp_path: Path) -> None:
        """Three nights, one change on the third: three rows, not six; a count not known keeps its value."""
        with Store.open(tmp_path / "x.sqlite") as state:
            for date, a, b in (("2026-11-24", 5, 7), ("2026-11-25", 5, 7), ("2026-11-26", 6, None)):
                with state.transaction():
                    state.record_counts(
                        [CountRow(date, "u1", "k1", None, a, 1), CountRow(date, "u2", "k2", None, b, b)]
                    )
            assert rows(state) == [
                ("2026-11-24", "u1", 5, 1),
                ("2026-11-24", "u2", 7, 7),
                ("2026-11-26", "u1", 6, 1),
            ]

    def test_a_second_run_on_one_day_replaces_that_days_rows(self, tmp_path: Path) -> None:
        """The rows of a date are recomputed by a rerun on that date (the later counts win)."""
        with Store.open(tmp_path / "x.sqlite") as state:
            for date, count in (("2026-11-24", 5), ("2026-11-25", 6), ("2026-11-25", 5)):
                with state.transaction():
                    state.record_counts([CountRow(date, "u1", "k1", None, count, None)])
            assert rows(state) == [("2026-11-24", "u1", 5, None)]

    def test_no_counts_at_all_add_nothing(self, tmp_path: Path) -> None:
        """An entry without any count (unresolved) has no history."""
        with Store.open(tmp_path / "x.sqlite") as state:
            with state.transaction():
                assert state.record_counts([CountRow("2026-11-24", "u1", "k1", None, None, None)]) == 0
            assert state.count_rows() == 0

    def test_row_exports_as_the_history_line_format(self) -> None:
        """A row is the line NAME.history.jsonl always had (sorted keys)."""
        line = CountRow("2026-11-24", "u", "k", "10.1/a", 5, None).to_json()
        assert line == (
            '{"crossref": 5, "date": "2026-11-24", "doi": "10.1/a", "key": "k", "semantic_scholar": null, "url": "u"}'
        )


def test_verified_record_round_trips_through_the_state(tmp_path: Path) -> None:
    """A verified record reads back equal (the link and duplicates as the caller has them now), dated."""
    with Store.open(tmp_path / "x.sqlite") as state:
        run = state.start_run("2026-11-24T03:00:00Z", "list.md", "1")
        with state.transaction():
            state.save_verified([RECORD], run)
        assert state.last_verified(RECORD) == RECORD
        moved = Record(
            link=Link(url=LINK.url, title="Renamed", line=9),
            ids=Ids(),
            resolution=Resolution("unresolved", "offline", 0.0),
        )
        back = state.last_verified(moved)
        assert back is not None and back.link == moved.link and back.ids == RECORD.ids and back.duplicates == ()
        with state.transaction():
            state.forget_verified([LINK.url])
        assert state.last_verified(RECORD) is None


def test_runs_are_recorded_started_and_finished(tmp_path: Path) -> None:
    """A run row is written at the start (finished empty: a killed run shows as such) and filled at the end."""
    with Store.open(tmp_path / "x.sqlite") as state:
        first = state.start_run("2026-11-24T03:00:00Z", "list.md", "1.0")
        second = state.start_run("2026-11-25T03:00:00Z", "list.md", "1.0")
        with state.transaction():
            state.finish_run(
                second, "2026-11-25T03:01:00Z", RunSummary(3, 2, 1, 1, {"crossref": {}}, {"crossref": "x"})
            )
        runs = state.runs()
    assert [r["id"] for r in runs] == [first, second] == [1, 2]
    assert runs[0]["finished"] is None
    assert (runs[1]["resolved"], runs[1]["carried_over"], runs[1]["degraded"]) == (2, 1, {"crossref": "x"})


def test_first_run_imports_keys_json_and_compacts_history_jsonl(tmp_path: Path) -> None:
    """An outputs folder's NAME.keys.json is taken in unchanged and NAME.history.jsonl as changes only;
    a damaged history line is skipped. Only on the first run: a later keys.json is not read."""
    (tmp_path / "demo.keys.json").write_text('{"doi:10.1/a": "ada2019title", "url:https://x": "x2020y"}\n')
    (tmp_path / "demo.history.jsonl").write_text(
        '{"crossref": 5, "date": "2026-11-24", "doi": null, "key": "k", "semantic_scholar": 7, "url": "u"}\n'
        '{"crossref": 5, "date": "2026-11-25", "doi": null, "key": "k", "semantic_scholar": 7, "url": "u"}\n'
        "not json\n"
        '{"crossref": 6, "date": "2026-11-26", "doi": null, "key": "k", "semantic_scholar": 7, "url": "u"}\n'
    )
    with open_state(tmp_path, "demo") as state:
        assert state.read_registry() == {"doi:10.1/a": "ada2019title", "url:https://x": "x2020y"}
        assert rows(state) == [("2026-11-24", "u", 5, 7), ("2026-11-26", "u", 6, 7)]
    (tmp_path / "demo.keys.json").write_text('{"doi:10.1/a": "other"}\n')
    with open_state(tmp_path, "demo") as state:
        assert state.read_registry()["doi:10.1/a"] == "ada2019title"


def test_previous_counts_follow_the_list_as_last_read(tmp_path: Path) -> None:
    """None before any list was read; then every listed URL with its latest counts ((None, None) without)."""
    with Store.open(tmp_path / "x.sqlite") as state:
        assert state.previous_counts() is None
        with state.transaction():
            state.save_links([LINK, Link(url="https://other", title="Other")])
            state.record_counts([CountRow("2026-11-24", LINK.url, "k", None, 5, 7)])
        assert state.previous_counts() == {LINK.url: (5, 7), "https://other": (None, None)}
        assert state.link_urls() == [LINK.url, "https://other"]


def test_a_failed_import_leaves_the_state_new_and_the_next_run_imports(tmp_path: Path) -> None:
    """A broken NAME.keys.json is one clear error and nothing is remembered; once fixed, the next run takes it
    in (the import commits with the schema, so a killed or failed first run never skips it)."""
    (tmp_path / "demo.keys.json").write_text('{"doi:10.1/a": "not a key!"}\n')
    with pytest.raises(OutputError, match="not a key registry"):
        open_state(tmp_path, "demo")
    (tmp_path / "demo.keys.json").write_text('{"doi:10.1/a": "ada2019title"}\n')
    with open_state(tmp_path, "demo") as state:
        assert state.created and state.read_registry() == {"doi:10.1/a": "ada2019title"}
