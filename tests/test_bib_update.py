""".bib inputs enriched in place: keys, types, fields, macros, comments and order kept; verified data only."""

from __future__ import annotations

import dataclasses
import importlib.util
import re
from pathlib import Path

import pytest
from bibtexparser.entrypoint import parse_string
from hypothesis import given, settings
from hypothesis import strategies as st

from avenrich import listing
from avenrich.bib_update import Replacement, plan_entry, to_enriched_bibtex
from avenrich.merging import merge
from avenrich.model import CROSSREF, LIST, Author, Ids, Record, Resolution, Work

FIXTURES = Path(__file__).parent / "fixtures"
INPUT = (FIXTURES / "lists" / "enrich.bib").read_text(encoding="utf-8")
GOLDEN = (FIXTURES / "golden" / "enrich.bib").read_text(encoding="utf-8")
OK = Resolution("resolved", "link", 1.0)
NO = Resolution("unresolved", "search:both", 0.0, "semantic_scholar unreachable (DNS failure)")


def _sample() -> object:
    spec = importlib.util.spec_from_file_location("golden_sample_records", FIXTURES / "golden" / "sample_records.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


SAMPLE = _sample()


def blocks(text: str) -> list[tuple[str, str]]:
    """(kind, key or raw text) of every block of a .bib text, in order."""
    library = parse_string(text, parse_stack=[])
    return [(type(b).__name__, getattr(b, "key", None) or b.raw) for b in library.blocks]


def entries(text: str) -> dict[str, tuple[str, dict[str, str]]]:
    """key -> (entry type, raw field values by lowercased name)."""
    library = parse_string(text, parse_stack=[])
    return {e.key: (e.entry_type, {f.key.lower(): f.value for f in e.fields}) for e in library.entries}


def bib_record(bib: str, *works: Work, resolution: Resolution = OK, ids: Ids | None = None) -> Record:
    """The record of the first entry of a .bib text, merged with the works."""
    link = listing.parse_bibtex(bib)[0]
    return merge(link, "doi", ids or Ids(doi="10.1/x"), resolution, works)


def crossref(**fields: object) -> Work:
    values: dict[str, object] = {
        "title": "Deep Audio-Visual Speech Recognition",
        "authors": (Author("Triantafyllos", "Afouras"), Author("Joon Son", "Chung")),
        "year": 2018,
        "venue": "IEEE Transactions on Pattern Analysis and Machine Intelligence",
        "type": "journal-article",
        "pages": "8717–8727",
        "volume": "44",
    } | fields
    return Work(source=CROSSREF, ids=Ids(doi="10.1/x"), fetched="2024-12-30", **values)  # type: ignore[arg-type]


class TestGoldenInput:
    def test_every_block_key_and_order_is_kept(self) -> None:
        """Comments, free text, @string macros and entries come out in the input's order, with the same keys."""
        assert blocks(GOLDEN)[:4] == blocks(INPUT)[:4]
        assert [kind for kind, _ in blocks(GOLDEN)] == [kind for kind, _ in blocks(INPUT)]
        assert [key for kind, key in blocks(GOLDEN) if kind == "Entry"] == list(entries(INPUT))
        assert "This line is free text between entries" in GOLDEN and "@comment{jabref-meta" in GOLDEN

    def test_unresolved_entries_are_byte_for_byte_as_they_went_in(self) -> None:
        """The two unresolved entries (and everything after the last resolved one) are untouched text."""
        tail = INPUT[INPUT.index("@inproceedings{nobody2019poster") :]
        assert GOLDEN.endswith(tail)

    def test_types_change_only_to_the_verified_type(self) -> None:
        """@InProceedings and @article keep their type (as spelled); the arXiv @misc becomes the ECCV chapter."""
        before, after = entries(INPUT), entries(GOLDEN)
        changed = {key: (before[key][0], after[key][0]) for key in before if before[key][0] != after[key][0]}
        assert changed == {"owens2018audio": ("misc", "incollection")}
        assert "@InProceedings{gao2019visual," in GOLDEN

    def test_fields_are_kept_replaced_only_where_verified_data_disagrees_and_added(self) -> None:
        """Every input field is still there with its value, except afouras' year (2018 -> the record's 2022);
        custom fields and macro references are untouched; verified fields the entries lacked are added."""
        before, after = entries(INPUT), entries(GOLDEN)
        for key, (_, fields) in before.items():
            for name, value in fields.items():
                assert after[key][1][name] == value or (key, name) == ("afouras2018deep", "year"), (key, name)
        assert after["afouras2018deep"][1]["year"] == "{2022}"
        assert after["gao2019visual"][1]["booktitle"] == "cvpr" and after["afouras2018deep"][1]["journal"] == "tpami"
        assert after["gao2019visual"][1]["pages"] == "{324--333}"
        assert after["owens2018audio"][1]["doi"] == "{10.1007/978-3-030-01231-1_39}"
        assert after["owens2018audio"][1]["booktitle"] == "{Computer Vision -- ECCV 2018}"

    def test_the_replaced_value_is_in_the_catalogues_provenance(self) -> None:
        """The JSON keeps the input's year that the verified year replaced, and where the new one came from."""
        doc = SAMPLE.render_enriched()  # type: ignore[attr-defined]
        assert '"bibtex.year": {\n          "source": "crossref",' in doc["enrich.json"]
        assert '"replaced": "2018"' in doc["enrich.json"]

    def test_enriching_twice_changes_nothing(self) -> None:
        """The enriched file, read and enriched again with the same verified data, is the same text."""
        by_key = SAMPLE.ENRICH_RESOLUTIONS  # type: ignore[attr-defined]
        records = []
        for link in listing.parse_bibtex(GOLDEN):
            host, ids, resolution, works = by_key.get(link.bibtex_key, ("other", Ids(), NO, ()))
            records.append(merge(link, host, ids, resolution, works))
        assert to_enriched_bibtex(GOLDEN, records) == GOLDEN

    def test_no_run_diagnostic_reaches_the_file(self) -> None:
        """Unresolved entries get no note: their reasons stay in the JSON."""
        assert "Unverified" not in GOLDEN and "DNS" not in GOLDEN


def test_blocks_that_cannot_be_parsed_leave_name_bib_but_stay_in_the_users_file() -> None:
    """A syntax error or a repeated key: left out of NAME.bib (which must parse cleanly), kept when the input
    itself is rewritten (no line of the user's is ever lost)."""
    text = (FIXTURES / "lists" / "sample.bib").read_text(encoding="utf-8") + "@misc{li2018scene, title = {Again}}\n"
    records = [merge(link, "other", Ids(), NO, ()) for link in listing.parse_bibtex(text)]
    assert len(parse_string(text, parse_stack=[]).failed_blocks) == 2
    assert to_enriched_bibtex(text, records) == text
    clean = to_enriched_bibtex(text, records, keep_failed=False)
    assert parse_string(clean, parse_stack=[]).failed_blocks == []
    assert "broken2019speakerbeam" not in clean and "{Again}" not in clean
    assert [e.key for e in parse_string(clean).entries] == [e.key for e in parse_string(text).entries]


class TestPlanEntry:
    BIB = "@inproceedings{k,\n  title = {Deep Audio-visual Speech {R}ecognition},\n  booktitle = {Proc. X},\n  year = 2018,\n  pages = {8717-8727},\n  author = {Afouras, T. and Chung, J.},\n  mynote = {mine}\n}\n"  # noqa: E501

    def test_unresolved_and_markdown_records_are_left_alone(self) -> None:
        """Nothing changes for an unresolved entry, or for a record that did not come from a .bib."""
        assert plan_entry(bib_record(self.BIB, crossref(), resolution=NO)) is None
        markdown = dataclasses.replace(
            bib_record(self.BIB, crossref()), link=listing.parse_markdown("* [T](https://a)")[0]
        )
        assert plan_entry(markdown) is None

    def test_other_spellings_of_the_same_value_are_kept(self) -> None:
        """Title case and braces, initials, a hyphen for an en dash: the input's spelling stays."""
        plan = plan_entry(bib_record(self.BIB, crossref()))
        assert plan is not None and [r.field for r in plan.replaced] == ["booktitle"]  # the type changed
        kept = {name for name, value in plan.fields if value is None}
        assert kept == {"title", "year", "pages", "author", "mynote"}

    def test_a_new_type_puts_its_container_in_the_old_ones_place(self) -> None:
        """@inproceedings found to be a journal article: @article, journal where booktitle was, the old value
        reported; fields it lacked (volume) added at the end."""
        plan = plan_entry(bib_record(self.BIB, crossref()))
        assert plan is not None and plan.entry_type == "article"
        names = [name for name, _ in plan.fields]
        assert names[:2] == ["title", "journal"] and names[-2:] == ["volume", "doi"] and "booktitle" not in names
        assert plan.replaced == (Replacement("booktitle", "Proc. X", CROSSREF, "2024-12-30"),)

    def test_a_disagreeing_value_is_replaced(self) -> None:
        """A wrong title and a wrong author list give way to the verified ones."""
        plan = plan_entry(bib_record(self.BIB, crossref(title="Lip Reading in the Wild", authors=(Author("A", "Bo"),))))
        assert plan is not None
        assert {r.field: r.old for r in plan.replaced} == {
            "title": "Deep Audio-visual Speech {R}ecognition",
            "booktitle": "Proc. X",
            "author": "Afouras, T. and Chung, J.",
        }
        assert dict(plan.fields)["title"] == "{Lip Reading in the Wild}"

    def test_values_only_the_list_gave_are_not_verified(self) -> None:
        """A resolved record whose year came from the .bib itself never 'replaces' anything with it."""
        record = bib_record(self.BIB, crossref(year=None))
        assert ("year", LIST, None) in record.provenance
        plan = plan_entry(record)
        assert plan is not None and "year" not in {r.field for r in plan.replaced}

    def test_a_preprint_only_match_adds_and_replaces_nothing(self) -> None:
        """Matched only to its arXiv preprint, a published entry keeps every field and gains only the eprint (not
        the preprint's volume or DOI)."""
        preprint = crossref(type="posted-content", venue="arXiv", year=2017, title="Other Title", pages=None)
        plan = plan_entry(bib_record(self.BIB, preprint, ids=Ids(doi="10.1/x", arxiv="1809.02108")))
        assert plan is not None and plan.entry_type is None and plan.replaced == ()
        assert [n for n, v in plan.fields if v is not None] == ["eprint", "archivePrefix"]


TITLE = st.text(st.characters(codec="ascii", categories=("L", "N", "Zs")), min_size=1, max_size=40)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(TITLE, st.booleans(), st.integers(1990, 2024)), min_size=1, max_size=5))
def test_any_enriched_file_parses_back_with_the_same_keys_and_custom_fields(rows: list) -> None:
    """Property: whichever entries resolve, the output parses with no failed block, the same keys in order and
    every custom field as it was."""
    text = "% header\n\n" + "".join(
        f"@article{{k{i},\n  title = {{{title}}},\n  year = {year},\n  mynote = {{note {i}}}\n}}\n\n"
        for i, (title, _, year) in enumerate(rows)
    )
    records = []
    for link, (title, resolved, year) in zip(listing.parse_bibtex(text), rows, strict=True):
        work = crossref(title=title.strip() or "T", year=year + 1)
        records.append(merge(link, "doi", Ids(doi="10.1/x"), OK if resolved else NO, (work,) if resolved else ()))
    out = to_enriched_bibtex(text, records)
    library = parse_string(out, parse_stack=[])
    assert library.failed_blocks == []
    assert [e.key for e in library.entries] == [f"k{i}" for i in range(len(rows))]
    assert all(e.fields_dict["mynote"].value == f"{{note {i}}}" for i, e in enumerate(library.entries))
    assert re.findall(r"^% header$", out, flags=re.MULTILINE) == ["% header"]


@pytest.mark.parametrize("resolved", [True, False])
def test_a_bib_input_keeps_its_keys_in_the_catalogue(resolved: bool) -> None:
    """The catalogue's key of a .bib entry is the entry's own key, resolved or not (even a DBLP-style key)."""
    from avenrich import keys

    bib = "@inproceedings{DBLP:conf/x/Afouras18,\n  title = {Deep Audio-Visual Speech Recognition},\n  year = 2018\n}\n"
    record = bib_record(bib, crossref(), resolution=OK if resolved else NO)
    by_paper, registry = keys.assign_keys([record], {}, own_keys=True)
    assert keys.key_for(record, by_paper) == "DBLP:conf/x/Afouras18" and registry.provisional == frozenset()
