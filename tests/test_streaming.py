"""Outputs made piece by piece while they are written: the same bytes as whole texts, each piece made only when
it is wanted (nothing big exists whole in memory), written atomically, and the report's view of the catalogue."""

from __future__ import annotations

import importlib.util
import json
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from avenrich import bibtex, catalogue, csl, json_text, keys, pipeline
from avenrich.errors import OutputError
from avenrich.json_text import dumps
from avenrich.model import Ids, Link, Record, Resolution
from avenrich.outputs import write_outputs
from avenrich.publish import _counts_of, _reported
from avenrich.report import Entry

GOLDEN = Path(__file__).resolve().parent / "fixtures" / "golden"
STAMP = "2026-01-02T03:04:05Z"


def _load_sample() -> ModuleType:
    """tests/fixtures/golden/sample_records.py, loaded by path."""
    spec = importlib.util.spec_from_file_location("golden_sample_streaming", GOLDEN / "sample_records.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


SAMPLE = _load_sample()


def _records() -> list[Record]:
    return list(SAMPLE.build_records())


def _unkeyed(url: str) -> Record:
    """A record no key registry knows: building its entry raises KeyError (shows when it is built)."""
    return Record(
        link=Link(url, "Late"), ids=Ids(), resolution=Resolution("unresolved", "none", 0.0, "x"), title="Late"
    )


@pytest.mark.parametrize(
    "value",
    [
        [],
        [1],
        [{"a": [1, {"b": "é\n"}]}, None],
        {},
        {"a": 1},
        {"entries": []},
        {"x": 1, "entries": []},
        {"x": {"y": [1]}, "entries": [{"u": 1}, {"v": [1, 2]}]},
        {"entries": [1], "tail": 2},  # the list is not last: one plain dumps
        {"a": [], "b": "ü"},
        "text",
        None,
    ],
)
def test_json_text_is_json_dumps(value: Any) -> None:
    """to_json_text (joined pieces) is byte for byte json.dumps(indent=2, ensure_ascii=False) plus a newline."""
    assert catalogue.to_json_text(value) == json.dumps(value, indent=2, ensure_ascii=False) + "\n"


@pytest.mark.parametrize("count", [0, 1, 3, None])
@pytest.mark.parametrize("summary", [None, {"entries": 2, "by_host": {"doi": {"resolved": 1}}}])
def test_catalogue_chunks_are_the_catalogue_text(count: int | None, summary: dict[str, Any] | None) -> None:
    """The catalogue's pieces join to to_json(to_catalogue(...)): no entries, one, some, all of the sample."""
    records = _records()[:count]
    by_paper, _ = keys.assign_keys(records, {})
    source = {"input": "x.md", "format": "markdown", "name": "x"}
    whole = catalogue.to_json(
        catalogue.to_catalogue(records, by_paper, source=source, generated_at=STAMP, summary=summary)
    )
    chunks = catalogue.to_json_chunks(records, by_paper, source=source, generated_at=STAMP, summary=summary)
    assert "".join(chunks) == whole
    # the same with what publish makes in its own walk: the section tree and the entries' texts
    tree = catalogue.SectionTree()
    for record in records:
        tree.add(record.link.sections)
    texts = [dumps(catalogue.to_entry(record, keys.key_for(record, by_paper))) for record in records]
    made = catalogue.to_json_chunks(
        records, by_paper, source=source, generated_at=STAMP, summary=summary, sections=tree.roots, entry_texts=texts
    )
    assert "".join(made) == whole


@pytest.mark.parametrize("count", [0, 1, 2, None])
def test_the_writers_given_each_records_key_write_the_same(count: int | None) -> None:
    """The .bib and CSL-JSON writers given each record's key (publish's one walk) write what they find alone."""
    records = _records()[:count]
    by_paper, _ = keys.assign_keys(records, {})
    key_of = [keys.key_for(record, by_paper) for record in records]
    assert "".join(bibtex.to_bibtex_chunks(records, by_paper, key_of)) == bibtex.to_bibtex(records, by_paper)
    assert "".join(csl.to_csl_json_chunks(records, by_paper, key_of)) == csl.to_csl_json_text(records, by_paper)


@pytest.mark.parametrize("count", [0, 1, 2, None])
def test_bibtex_and_csl_chunks_are_their_texts(count: int | None) -> None:
    """One BibTeX piece per paper, joined to to_bibtex's text; the CSL pieces join to to_csl_json_text's."""
    records = _records()[:count]
    by_paper, _ = keys.assign_keys(records, {})
    pieces = list(bibtex.to_bibtex_chunks(records, by_paper))
    assert len(pieces) == len(list(keys.group_by_key(records, by_paper)))
    assert all(piece.lstrip("\n").startswith("@") for piece in pieces)
    assert "".join(pieces) == bibtex.to_bibtex(records, by_paper)
    assert "".join(csl.to_csl_json_chunks(records, by_paper)) == csl.to_csl_json_text(records, by_paper)


def test_sample_streams_give_the_golden_files() -> None:
    """render_streams' files, joined, are the golden files (render is the joined streams)."""
    records = _records()
    streams = pipeline.render_streams(
        records, {}, source=SAMPLE.SOURCE, generated_at=SAMPLE.GENERATED_AT, summary={"entries": len(records)}
    )
    for suffix, golden in (("bib", "sample.bib"), ("json", "sample.json"), ("csl.json", "sample.csl.json")):
        assert "".join(streams.files[suffix]) == (GOLDEN / golden).read_text(encoding="utf-8")


def test_catalogue_entries_are_built_only_when_their_text_is_wanted() -> None:
    """The head and the first entry come out before a later record is even looked at (a record without a key
    raises only when its turn comes), so the document never exists whole."""
    records = _records()[:2]
    by_paper, _ = keys.assign_keys(records, {})
    chunks = catalogue.to_json_chunks(
        [*records, _unkeyed("https://late.example/1")], by_paper, source={}, generated_at=STAMP
    )
    assert next(chunks).startswith('{\n  "schema_version"')
    assert records[1].link.url in next(chunks)
    with pytest.raises(KeyError, match=r"late\.example"):
        next(chunks)


def test_csl_and_bibtex_items_are_built_when_wanted() -> None:
    """CSL items come out one by one from a lazy iterator (not a list built first)."""
    records = _records()
    by_paper, _ = keys.assign_keys(records, {})
    chunks = csl.to_csl_json_chunks(records, by_paper)
    assert isinstance(chunks, Iterator) and not isinstance(chunks, list)
    assert next(chunks).startswith("[\n  {")
    assert isinstance(bibtex.to_bibtex_chunks(records, by_paper), Iterator)


class TestWritePieces:
    def test_pieces_are_written_in_order(self, tmp_path: Path) -> None:
        """An iterable of pieces is written as the concatenation; texts and pieces mix in one call."""
        paths = write_outputs(tmp_path, "n", {"bib": iter(["@misc{a,\n", "}\n"]), "json": "{}\n"})
        assert [p.name for p in paths] == ["n.bib", "n.json"]
        assert (tmp_path / "n.bib").read_text(encoding="utf-8") == "@misc{a,\n}\n"

    def test_failing_producer_leaves_previous_files_and_no_temporary_file(self, tmp_path: Path) -> None:
        """A producer that fails half-way raises its own error; no file is replaced, no temporary file stays."""
        write_outputs(tmp_path, "n", {"bib": "old bib", "json": "old json"})

        def broken() -> Iterator[str]:
            yield "half"
            raise KeyError("no citation key")

        with pytest.raises(KeyError, match="no citation key"):
            write_outputs(tmp_path, "n", {"bib": "new bib", "json": broken()})
        assert (tmp_path / "n.bib").read_text() == "old bib"
        assert (tmp_path / "n.json").read_text() == "old json"
        assert sorted(p.name for p in tmp_path.iterdir()) == ["n.bib", "n.json"]

    def test_unencodable_piece_is_an_output_error(self, tmp_path: Path) -> None:
        """A piece that cannot be UTF-8 is one OutputError naming the file, as for a whole text."""
        with pytest.raises(OutputError, match=r"cannot write .*n\.json"):
            write_outputs(tmp_path, "n", {"json": iter(["ok", "bad \ud800"])})
        assert list(tmp_path.iterdir()) == []


def test_reported_catalogue_is_the_written_catalogue_read_back() -> None:
    """What the report reads is built from the records (the catalogue entries are built once, for the file), and
    equals the written catalogue read back; the counts the next run compares are the file's."""
    records = _records()
    by_paper, _ = keys.assign_keys(records, {})
    text = catalogue.to_json(catalogue.to_catalogue(records, by_paper, source={}, generated_at=STAMP))
    written = json.loads(text)["entries"]
    built = [_reported(record, keys.key_for(record, by_paper)) for record in records]
    assert built == [Entry.of(e) for e in written]
    assert any(e.crossref is not None for e in built) and any(e.key for e in built)
    assert [_counts_of(e) for e in written] == [(e.url, e.counts()) for e in built]


_JSON_VALUES = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**63), max_value=2**64 - 1)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4),
    max_leaves=20,
)


@settings(max_examples=400, deadline=None)
@given(_JSON_VALUES, st.booleans())
def test_fast_dumps_are_the_standard_librarys_text(value: Any, sort_keys: bool) -> None:
    """json_text's orjson path writes exactly json.dumps' text, floats of every size, surrogates, control
    characters and key orders included (where orjson would differ, json writes it)."""
    assert json_text.dumps(value) == json.dumps(value, indent=2, ensure_ascii=False)
    assert json_text.dumps_compact(value, sort_keys=sort_keys) == json.dumps(
        value, ensure_ascii=False, sort_keys=sort_keys, separators=(",", ":")
    )


@pytest.mark.parametrize("value", [1e-05, 1e16, -2.5e-300, 0.0001, "\ud800", {"k": "1e-5 text"}, 2**64, [1.0, 0.5]])
def test_fast_dumps_table(value: Any) -> None:
    """The cases where orjson's own text would differ from json's, or where it refuses, and their neighbours."""
    assert json_text.dumps(value) == json.dumps(value, indent=2, ensure_ascii=False)
