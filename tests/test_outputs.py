"""Golden outputs of the sample, determinism, and atomic writing of the output files."""

from __future__ import annotations

import importlib.util
import json
import os
from pathlib import Path
from types import ModuleType

import pytest

from avenrich import bibtex, catalogue, csl, keys
from avenrich.errors import OutputError
from avenrich.outputs import read_json_if_exists, read_json_items, read_lines, rewrite_in_place, write_outputs

GOLDEN = Path(__file__).resolve().parent / "fixtures" / "golden"


def load_sample() -> ModuleType:
    """tests/fixtures/golden/sample_records.py, loaded by path."""
    spec = importlib.util.spec_from_file_location("golden_sample_records", GOLDEN / "sample_records.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


SAMPLE = load_sample()


@pytest.mark.parametrize(
    "name", ["sample.bib", "sample.json", "sample.csl.json", "sample.keys.json", "enrich.bib", "enrich.json"]
)
def test_golden_file(name: str) -> None:
    """The sample renders exactly to its golden file (regenerate: python scripts/update_golden.py)."""
    assert SAMPLE.render()[name] == (GOLDEN / name).read_text(encoding="utf-8")


def test_rendering_is_deterministic_and_order_independent_for_bib() -> None:
    """Two renders are byte-identical; keys, .bib and CSL do not depend on the order of the list.

    (Only the order of the links of one paper matters: its entry takes the first one's URL.)
    """
    records = SAMPLE.build_records()
    by_paper, _ = keys.assign_keys(records, {})
    shuffled = [*reversed(records[1:-1]), records[0], records[-1]]
    by_paper_shuffled, _ = keys.assign_keys(shuffled, {})
    assert by_paper == by_paper_shuffled
    assert bibtex.to_bibtex(records, by_paper) == bibtex.to_bibtex(shuffled, by_paper)
    assert csl.to_csl_json_text(records, by_paper) == csl.to_csl_json_text(shuffled, by_paper)
    assert SAMPLE.render() == SAMPLE.render()


def test_sample_covers_every_entry_type() -> None:
    """The golden .bib holds every entry type the writer produces, and the paper listed twice once."""
    text = (GOLDEN / "sample.bib").read_text(encoding="utf-8")
    for entry_type in ("@inproceedings{", "@article{", "@incollection{", "@book{", "@misc{"):
        assert entry_type in text
    assert text.count("@") == len(SAMPLE.LINKS_AND_WORKS) - 1
    assert "archivePrefix = {arXiv}" in text and "key = {Audio-Visual Scene Analysis: A Survey}" in text
    assert "Unverified" not in text and "note =" not in text  # run diagnostics stay in the JSON


def test_catalogue_has_every_link_once_in_input_order() -> None:
    """The golden catalogue lists every link of the sample exactly once, in list order."""
    doc = json.loads((GOLDEN / "sample.json").read_text(encoding="utf-8"))
    assert [e["url"] for e in doc["entries"]] == [link.url for link, *_ in SAMPLE.LINKS_AND_WORKS]
    keys_of = {e["url"]: e["key"] for e in doc["entries"]}
    first, last = SAMPLE.LINKS_AND_WORKS[0][0].url, SAMPLE.LINKS_AND_WORKS[-1][0].url
    assert keys_of[first] == keys_of[last], "the paper listed twice shares its key"


class TestWriteOutputs:
    def test_writes_every_file_and_creates_the_directory(self, tmp_path: Path) -> None:
        """Each suffix becomes NAME.suffix in a new directory, content exact, no temporary files left."""
        out = tmp_path / "a" / "b"
        paths = write_outputs(out, "list", {"bib": "@misc{x,\n}\n", "json": '{"é": 1}\n'})
        assert paths == [out / "list.bib", out / "list.json"]
        assert (out / "list.json").read_bytes() == '{"é": 1}\n'.encode()
        assert sorted(p.name for p in out.iterdir()) == ["list.bib", "list.json"]
        assert oct((out / "list.bib").stat().st_mode & 0o777) == oct(0o644)

    def test_replaces_previous_outputs_keeping_their_mode(self, tmp_path: Path) -> None:
        """A second run replaces the files and keeps a mode the user set."""
        write_outputs(tmp_path, "n", {"bib": "old"})
        os.chmod(tmp_path / "n.bib", 0o664)
        write_outputs(tmp_path, "n", {"bib": "new"})
        assert (tmp_path / "n.bib").read_text() == "new"
        assert (tmp_path / "n.bib").stat().st_mode & 0o777 == 0o664

    def test_failure_before_renames_leaves_previous_files_intact(self, tmp_path: Path) -> None:
        """If any file cannot be written, no file is replaced and no temporary file remains."""
        write_outputs(tmp_path, "n", {"bib": "old bib", "json": "old json"})
        with pytest.raises(OutputError, match=r"cannot write .*n\.json"):
            write_outputs(tmp_path, "n", {"bib": "new bib", "json": "bad \ud800 surrogate"})
        assert (tmp_path / "n.bib").read_text() == "old bib"
        assert (tmp_path / "n.json").read_text() == "old json"
        assert sorted(p.name for p in tmp_path.iterdir()) == ["n.bib", "n.json"]

    def test_rename_failure_is_one_clear_error(self, tmp_path: Path) -> None:
        """A target that cannot be replaced (a non-empty directory) gives an OutputError naming it."""
        (tmp_path / "n.json").mkdir()
        (tmp_path / "n.json" / "keep").write_text("x")
        with pytest.raises(OutputError, match=r"cannot replace .*n\.json"):
            write_outputs(tmp_path, "n", {"json": "{}"})
        assert [p.name for p in tmp_path.iterdir()] == ["n.json"]

    def test_output_dir_that_is_a_file(self, tmp_path: Path) -> None:
        """An output path that is a file is an OutputError, not a traceback."""
        (tmp_path / "f").write_text("x")
        with pytest.raises(OutputError, match="cannot create output directory"):
            write_outputs(tmp_path / "f", "n", {"bib": ""})

    @pytest.mark.parametrize("name", ["", ".hidden", "a/b", "../up"])
    def test_bad_names_are_refused(self, tmp_path: Path, name: str) -> None:
        """NAME must be a plain file stem."""
        with pytest.raises(OutputError, match="invalid output name"):
            write_outputs(tmp_path, name, {"bib": ""})


class TestReadJsonIfExists:
    def test_missing_is_none(self, tmp_path: Path) -> None:
        """A missing file reads as None."""
        assert read_json_if_exists(tmp_path / "none.json") is None

    def test_reads_json(self, tmp_path: Path) -> None:
        """An existing file is parsed."""
        (tmp_path / "x.json").write_text('{"a": [1]}', encoding="utf-8")
        assert read_json_if_exists(tmp_path / "x.json") == {"a": [1]}

    def test_invalid_json_is_an_output_error(self, tmp_path: Path) -> None:
        """A corrupt file is reported with its name and line, not silently ignored."""
        (tmp_path / "x.json").write_text("{\n  oops", encoding="utf-8")
        with pytest.raises(OutputError, match=r"x\.json is not valid JSON \(line 2\)"):
            read_json_if_exists(tmp_path / "x.json")


class TestReadJsonItems:
    """The previous catalogue is read as a stream, down to what the report needs."""

    def test_items_of_the_array_pass_through_keep(self, tmp_path: Path) -> None:
        """Every item of the named array, in order, as `keep` returns it; other members are not kept."""
        doc = {"schema_version": "1", "source": {"entries": ["not", "these"]},
               "entries": [{"url": "a", "n": 1.5, "x": [1, {"y": None}]}, {"url": "b"}, 3]}  # fmt: skip
        (tmp_path / "c.json").write_text(json.dumps(doc), encoding="utf-8")
        got = read_json_items(tmp_path / "c.json", "entries", lambda e: e)
        assert got == doc["entries"]
        assert isinstance(got[0]["n"], float), "numbers are plain floats, not Decimal"
        assert read_json_items(tmp_path / "c.json", "entries", lambda e: e["url"] if isinstance(e, dict) else 0) == [
            "a", "b", 0,
        ]  # fmt: skip

    @pytest.mark.parametrize(
        ("text", "expected"),
        [
            ('{"entries": []}', []),  # a catalogue with no entries: a previous run with nothing
            ('{"schema_version": "1"}', None),  # no entries array: not a catalogue, nothing to compare
            ("[1, 2]", None),
            ('{"entries": {"url": "a"}}', None),
        ],
    )
    def test_no_such_array_is_none(self, tmp_path: Path, text: str, expected: list[object] | None) -> None:
        """Only a file that has the array gives a list; a missing file or another shape gives None."""
        (tmp_path / "c.json").write_text(text, encoding="utf-8")
        assert read_json_items(tmp_path / "c.json", "entries", lambda e: e) == expected
        assert read_json_items(tmp_path / "missing.json", "entries", lambda e: e) is None

    @pytest.mark.parametrize(
        "content",
        [b'{"entries": [{"url": "a"}, {"url": ', b"{\n  oops", b"", b'{"entries": [{"url": "\xff\xfe"}]}', b"\x00\x01"],
    )
    def test_a_broken_file_is_one_output_error(self, tmp_path: Path, content: bytes) -> None:
        """Truncated, invalid, empty, non-UTF-8 or binary: one line naming the file, never a traceback."""
        (tmp_path / "c.json").write_bytes(content)
        with pytest.raises(OutputError, match=r"c\.json is not valid JSON \(.+\): fix or remove it") as info:
            read_json_items(tmp_path / "c.json", "entries", lambda e: e)
        assert "\n" not in str(info.value)

    def test_a_directory_is_an_output_error(self, tmp_path: Path) -> None:
        (tmp_path / "c.json").mkdir()
        with pytest.raises(OutputError, match=r"cannot read .*c\.json"):
            read_json_items(tmp_path / "c.json", "entries", lambda e: e)


class TestReadLines:
    def test_lines_as_read_and_missing_is_empty(self, tmp_path: Path) -> None:
        """The file's lines with their ends; a missing file has none; a damaged byte is replaced, not fatal."""
        (tmp_path / "h.jsonl").write_bytes(b'{"a": 1}\n{"b": "\xff"}\nlast')
        assert list(read_lines(tmp_path / "h.jsonl")) == ['{"a": 1}\n', '{"b": "\ufffd"}\n', "last"]
        assert list(read_lines(tmp_path / "none.jsonl")) == []


def test_catalogue_of_the_sample_is_valid() -> None:
    """The golden catalogue validates against the shipped schema."""
    doc = json.loads((GOLDEN / "sample.json").read_text(encoding="utf-8"))
    assert catalogue.validate_catalogue(doc) == []


class TestRewriteInPlace:
    def test_rewrites_atomically_and_keeps_the_old_bytes(self, tmp_path: Path) -> None:
        """The file gets the new text; FILE.bak holds the old bytes exactly (a BOM and CRLFs included)."""
        path = tmp_path / "refs.bib"
        path.write_bytes(b"\xef\xbb\xbf@misc{a,\r\n  title = {A}\r\n}\r\n")
        backup = rewrite_in_place(path, "@misc{a,\n  title = {B}\n}\n", "@misc{a,\r\n  title = {A}\r\n}\r\n")
        assert backup == tmp_path / "refs.bib.bak"
        assert backup.read_bytes() == b"\xef\xbb\xbf@misc{a,\r\n  title = {A}\r\n}\r\n"
        assert path.read_text(encoding="utf-8") == "@misc{a,\n  title = {B}\n}\n"
        assert sorted(p.name for p in tmp_path.iterdir()) == ["refs.bib", "refs.bib.bak"]  # no temporary file left

    def test_nothing_to_change_writes_nothing(self, tmp_path: Path) -> None:
        """The same text: no rewrite and no .bak."""
        path = tmp_path / "refs.bib"
        path.write_text("@misc{a}\n", encoding="utf-8")
        assert rewrite_in_place(path, "@misc{a}\n", "@misc{a}\n") is None
        assert [p.name for p in tmp_path.iterdir()] == ["refs.bib"]

    def test_a_file_edited_during_the_run_is_not_overwritten(self, tmp_path: Path) -> None:
        """When the file is no longer what the run read, it is left as it is, with one line saying why."""
        path = tmp_path / "refs.bib"
        path.write_text("@misc{edited}\n", encoding="utf-8")
        with pytest.raises(OutputError, match="changed during the run"):
            rewrite_in_place(path, "@misc{new}\n", "@misc{read}\n")
        assert path.read_text(encoding="utf-8") == "@misc{edited}\n"
        assert [p.name for p in tmp_path.iterdir()] == ["refs.bib"]
