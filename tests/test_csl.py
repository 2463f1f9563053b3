"""CSL-JSON export: types, fields, one item per paper, and rendering through citeproc-py."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from citeproc import Citation, CitationItem, CitationStylesBibliography, CitationStylesStyle, formatter
from citeproc.source.json import CiteProcJSON

from avenrich import keys
from avenrich.csl import to_csl_json, to_csl_json_text
from avenrich.model import Author, Ids, Link, Record, Resolution

GOLDEN = Path(__file__).resolve().parent / "fixtures" / "golden" / "sample.csl.json"
RESOLVED = Resolution("resolved", "link", 1.0)
# Variables of CSL 1.0.2 that the export may use (https://docs.citationstyles.org/en/stable/specification.html).
CSL_VARIABLES = {
    "id", "type", "title", "author", "issued", "container-title", "DOI", "URL", "page", "volume", "issue",
    "publisher", "number", "keyword", "note",
}  # fmt: skip
CSL_TYPES = {
    "article", "article-journal", "book", "chapter", "dataset", "document", "entry", "paper-conference",
    "report", "thesis",
}  # fmt: skip


def items(*records: Record) -> list[dict[str, Any]]:
    """CSL items of the records, keys from an empty registry."""
    by_paper, _ = keys.assign_keys(records, {})
    return to_csl_json(records, by_paper)


def record(**fields: object) -> Record:
    """A resolved record of one link."""
    url = str(fields.pop("url", "https://example.org/p"))
    fields.setdefault("resolution", RESOLVED)
    fields.setdefault("ids", Ids())
    fields.setdefault("title", "A Title")
    return Record(link=Link(url, "listed"), **fields)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("type_", "ids", "csl_type"),
    [
        ("proceedings-article", Ids(), "paper-conference"),
        ("journal-article", Ids(), "article-journal"),
        ("book-chapter", Ids(), "chapter"),
        ("book", Ids(), "book"),
        ("posted-content", Ids(arxiv="2006.09199"), "article"),
        ("dataset", Ids(), "dataset"),
        ("dissertation", Ids(), "thesis"),
        (None, Ids(), "document"),
        (None, Ids(arxiv="2006.09199"), "article"),
        ("component", Ids(), "document"),
    ],
)
def test_types(type_: str | None, ids: Ids, csl_type: str) -> None:
    """Crossref types map onto CSL types; unknown ones are documents (arXiv ones preprints)."""
    assert items(record(type=type_, ids=ids))[0]["type"] == csl_type


def test_fields_of_a_journal_article() -> None:
    """Authors, issued date parts, container, volume, issue, hyphenated page range, DOI and URL."""
    item = items(
        record(
            type="journal-article",
            authors=(Author("Triantafyllos", "Afouras"), Author(literal="Org Name")),
            year=2022,
            month=12,
            venue="IEEE TPAMI",
            volume="44",
            issue="12",
            pages="8717–8727",
            ids=Ids(doi="10.1109/tpami.2018.2889052"),
        )
    )[0]
    assert item["author"] == [{"family": "Afouras", "given": "Triantafyllos"}, {"literal": "Org Name"}]
    assert item["issued"] == {"date-parts": [[2022, 12]]}
    assert item["container-title"] == "IEEE TPAMI"
    assert (item["volume"], item["issue"], item["page"]) == ("44", "12", "8717-8727")
    assert (item["DOI"], item["URL"]) == ("10.1109/tpami.2018.2889052", "https://example.org/p")


def test_arxiv_preprint_as_zotero_writes_it() -> None:
    """An arXiv preprint is type article, publisher arXiv, number arXiv:ID."""
    item = items(record(type="posted-content", ids=Ids(arxiv="2006.09199"), venue="arXiv.org"))[0]
    assert (item["publisher"], item["number"]) == ("arXiv", "arXiv:2006.09199")
    assert "container-title" not in item


def test_unresolved_has_list_data_and_no_diagnostic() -> None:
    """An unresolved link keeps the list's title and year; no venue data, and its reason in no printed field."""
    rec = record(resolution=Resolution("unresolved", "none", 0.0, "no match"), year=2016, venue="X",
                 type="journal-article")  # fmt: skip
    item = items(rec)[0]
    assert item["type"] == "document" and "note" not in item and "no match" not in str(item)
    assert "container-title" not in item and item["issued"] == {"date-parts": [[2016]]}


def test_one_item_per_paper() -> None:
    """Two links to one DOI give one item, with the first link's URL."""
    ids = Ids(doi="10.1/x")
    out = items(record(url="https://a", ids=ids), record(url="https://b", ids=ids))
    assert len(out) == 1 and out[0]["URL"] == "https://a"


def test_golden_items_use_only_csl_variables() -> None:
    """Every golden item uses CSL 1.0.2 variables and types only, and ids match the BibTeX keys."""
    golden = json.loads(GOLDEN.read_text(encoding="utf-8"))
    bib = (GOLDEN.parent / "sample.bib").read_text(encoding="utf-8")
    for item in golden:
        assert set(item) <= CSL_VARIABLES
        assert item["type"] in CSL_TYPES
        assert f"{{{item['id']},\n" in bib


def test_text_is_json_with_final_newline() -> None:
    """to_csl_json_text is the list as UTF-8 JSON with a final newline."""
    by_paper, _ = keys.assign_keys([record(title="Ü")], {})
    text = to_csl_json_text([record(title="Ü")], by_paper)
    assert text.endswith("]\n") and "Ü" in text and json.loads(text)[0]["title"] == "Ü"


def test_golden_renders_through_citeproc_py() -> None:
    """citeproc-py renders a citation and a bibliography entry for every golden item, without warnings."""
    golden = json.loads(GOLDEN.read_text(encoding="utf-8"))
    style = CitationStylesStyle("harvard-cite-them-right", validate=False)
    bibliography = CitationStylesBibliography(style, CiteProcJSON(golden), formatter.plain)
    citations = [Citation([CitationItem(item["id"])]) for item in golden]
    for citation in citations:
        bibliography.register(citation)
    missing: list[str] = []
    cited = [str(bibliography.cite(c, lambda item: missing.append(item.key))) for c in citations]
    rendered = [str(entry) for entry in bibliography.bibliography()]
    assert not missing
    assert len(rendered) == len(golden)
    assert "(Gao and Grauman, 2019)" in cited
    assert any("Żółć" in r and "100% of $5 & #1" in r for r in rendered)
