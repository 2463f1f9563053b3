"""The records' spool (spool.py): a list of records on disk that reads back exactly what was written."""

from __future__ import annotations

import dataclasses
import importlib.util
import os
import re
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from avenrich import spool
from avenrich.errors import OutputError
from avenrich.model import Author, Finding, Record, Resolution
from avenrich.spool import Spool, from_row, to_row

GOLDEN = Path(__file__).parent / "fixtures" / "golden" / "sample_records.py"

_FLOATS = st.floats(allow_nan=False)
RECORDS = st.builds(
    Record,
    resolution=st.builds(Resolution, confidence=_FLOATS, evidence=st.lists(st.tuples(st.text(), _FLOATS)).map(tuple)),
    authors=st.lists(st.builds(Author), max_size=3).map(tuple),
    issues=st.lists(st.builds(Finding), max_size=2).map(tuple),
)


def _golden() -> list[Record]:
    spec = importlib.util.spec_from_file_location("golden_sample_records", GOLDEN)
    assert spec is not None and spec.loader is not None
    module: Any = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    records: list[Record] = module.build_records()
    return records


@settings(max_examples=200, deadline=None)
@given(RECORDS)
def test_a_row_gives_back_an_equal_record(record: Record) -> None:
    """Every field, nested ones included (authors, findings, evidence, the failed set), survives the row."""
    back = from_row(to_row(record))
    assert back == record
    assert type(back.failed) is frozenset and type(back.authors) is tuple


@settings(max_examples=50, deadline=None)
@given(st.lists(RECORDS, max_size=8), st.data(), st.sampled_from([0, 3, None]))
def test_a_spool_reads_back_what_was_written(records: list[Record], data: st.DataObject, in_memory: int | None) -> None:
    """In order, by position (negative too), in slices, and after replacements, like a list of the same records:
    all on disk (0), the first three in memory (3), all in memory (the default budget)."""
    mirror = list(records)
    with Spool(records, in_memory=in_memory) as spooled:
        for _ in range(data.draw(st.integers(0, 3))):
            if mirror:
                index = data.draw(st.integers(-len(mirror), len(mirror) - 1))
                replacement = data.draw(RECORDS)
                spooled[index] = mirror[index] = replacement
        assert len(spooled) == len(mirror)
        assert list(spooled) == mirror
        assert [spooled[i] for i in range(-len(mirror), 0)] == mirror
        assert spooled[1:] == mirror[1:]


def test_the_golden_records_and_more_than_a_block() -> None:
    """The golden sample's records, repeated past several read blocks, with one record larger than a block."""
    records = _golden()
    huge = dataclasses.replace(records[0], title="x" * (2 * spool._BLOCK))
    many = records * 3000 + [huge] + records
    with Spool(many, in_memory=0) as spooled:
        assert list(spooled) == many
        assert spooled[len(records) * 3000] == huge
        spooled[0] = huge  # written at the end, read from there
        assert spooled[0] == huge and next(iter(spooled)) == huge


@pytest.mark.parametrize("in_memory", [0, 2])
@pytest.mark.parametrize("ahead", [0, 1])
def test_replacing_during_a_walk(ahead: int, in_memory: int) -> None:
    """A record replaced during a walk: the one just read (0) reads back as replaced afterwards; the next one (1),
    its new text not yet written to the file, reads as replaced in the same walk."""
    records = _golden()
    with Spool(records, in_memory=in_memory) as spooled:
        seen = []
        for number, record in enumerate(spooled):
            seen.append(record)
            if number + ahead < len(records):
                spooled[number + ahead] = dataclasses.replace(records[number + ahead], title=f"#{number + ahead}")
        replaced = [dataclasses.replace(r, title=f"#{n}") for n, r in enumerate(records)]
        assert seen == (records if ahead == 0 else records[:1] + replaced[1:])
        assert list(spooled) == (replaced if ahead == 0 else records[:1] + replaced[1:])


@pytest.mark.parametrize(
    ("change", "error"),
    [
        (lambda s: s.insert(0, s[0]), TypeError),  # only at the end
        (lambda s: s.__delitem__(0), TypeError),
        (lambda s: s.__setitem__(slice(0, 2), [s[0]]), TypeError),  # a slice by as many records
        (lambda s: s.__setitem__(0, "not a record"), TypeError),
        (lambda s: s[len(s)], IndexError),
        (lambda s: s.__setitem__(-len(s) - 1, s[0]), IndexError),
    ],
)
def test_what_a_spool_refuses(change: Any, error: type[Exception]) -> None:
    with Spool(_golden(), in_memory=2) as spooled, pytest.raises(error):
        change(spooled)


def test_insert_at_the_end_and_clear_and_close(tmp_path: Path) -> None:
    """insert at the end appends; clear empties the file; close removes it; the file is never visible."""
    records = _golden()
    spooled = Spool(directory=tmp_path, in_memory=0)
    spooled.insert(0, records[0])
    spooled.extend(records[1:])
    assert list(spooled) == records
    assert os.listdir(tmp_path) == []  # an anonymous file: a killed run leaves nothing behind
    assert spooled.size > 0
    spooled.clear()
    assert len(spooled) == 0 and list(spooled) == [] and spooled.size == 0
    assert os.fstat(spooled._pieces._fd).st_size == 0  # the space given back
    spooled.append(records[1])
    assert list(spooled) == [records[1]]
    spooled.close()
    assert spooled.closed and len(spooled) == 0


def test_texts_by_key(tmp_path: Path) -> None:
    """Texts read back by key (any Unicode, a text past a block), the first text of a key kept; nothing visible
    in the folder; closed, it holds nothing."""
    texts = spool.Texts(directory=tmp_path)
    samples = {
        "gao2019visual": "@inproceedings{gao2019visual,\n  title = {Ünïcödé ∑ 😀}\n}",
        "b": "",
        "c": "x" * spool._BLOCK * 2,
    }
    for key, text in samples.items():
        texts.add(key, text)
    texts.add("b", "a second text for b")
    assert dict(texts) == samples and len(texts) == 3 and "b" in texts and "d" not in texts
    assert os.listdir(tmp_path) == []
    with pytest.raises(KeyError):
        texts["d"]
    with texts:
        assert texts["c"] == samples["c"]
    assert len(texts) == 0


@pytest.mark.parametrize("call", ["pwrite", "pread"])
def test_a_full_disk_is_one_line(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, call: str) -> None:
    """An OSError writing or reading the spool's file is an OutputError naming the folder and why."""
    records = _golden()
    spooled = Spool(records, directory=tmp_path, in_memory=1)

    def failing(*args: object) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(spool.os, call, failing)
    with pytest.raises(OutputError, match=re.escape(f"temporary file in {tmp_path}: No space left on device")):
        spooled.extend(records * 2000)  # past a block: written
        list(spooled)


def test_a_folder_that_cannot_hold_it(tmp_path: Path) -> None:
    with pytest.raises(OutputError, match=r"temporary file in .*missing: No such file or directory"):
        Spool(directory=tmp_path / "missing")


def test_a_text_spool_reads_back_its_texts(tmp_path: Path) -> None:
    """In order (past a block), by position (negative too), in slices; any Unicode, lone surrogates included."""
    texts = ["", "plain", "Ünïcödé ∑ 😀", "\ud800 alone", "y" * (spool._BLOCK + 5), "last"]
    with spool.TextSpool(directory=tmp_path) as spooled:
        for text in texts:
            spooled.append(text)
        assert list(spooled) == texts and len(spooled) == len(texts)
        assert [spooled[i] for i in range(-len(texts), 0)] == texts and spooled[2:4] == texts[2:4]
        assert os.listdir(tmp_path) == []


def test_the_first_records_stay_in_memory_and_the_rest_go_to_disk(tmp_path: Path) -> None:
    """Up to the budget in memory (the very objects), past it on disk; cleared, it fills memory first again."""
    records = _golden()
    spooled = Spool(records[:3], directory=tmp_path, in_memory=3)
    assert spooled.on_disk == 0 and spooled.size == 0 and spooled[0] is records[0]
    spooled.extend(records[3:])
    assert spooled.on_disk == len(records) - 3 and spooled.size > 0
    assert list(spooled) == records and spooled[3] == records[3] and spooled[3] is not records[3]
    spooled.clear()
    spooled.append(records[0])
    assert spooled.on_disk == 0 and list(spooled) == [records[0]]
    assert Spool(records).on_disk == 0  # the default budget (spool.IN_MEMORY) holds a short list
    spooled.close()
