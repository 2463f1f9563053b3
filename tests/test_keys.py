"""Citation keys: readable bases, collision suffixes, the registry, stability under list changes."""

from __future__ import annotations

import dataclasses
import json
import random
import re
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from avenrich.errors import OutputError
from avenrich.keys import (
    IDENTITY_KINDS,
    RETIRED,
    assign_keys,
    citekey_base,
    group_by_key,
    identities,
    key_for,
    paper_identity,
    read_registry,
    significant_words,
    to_registry_json,
)
from avenrich.model import ID_FIELDS, ID_KINDS, Author, Ids, Link, Record, Resolution

RESOLVED = Resolution("resolved", "link", 1.0)
UNRESOLVED = Resolution("unresolved", "none", 0.0)


def record(
    url: str,
    title: str = "Visual Sound",
    *,
    ids: Ids | None = None,
    authors: tuple[Author, ...] = (Author("Ruohan", "Gao"),),
    year: int | None = 2019,
    resolved: bool = True,
) -> Record:
    """A record of one link."""
    return Record(
        link=Link(url, title),
        ids=ids or Ids(),
        resolution=RESOLVED if resolved else UNRESOLVED,
        title=title,
        authors=authors,
        year=year,
    )


@pytest.mark.parametrize(
    ("title", "authors", "year", "base"),
    [
        ("2.5D Visual Sound", (Author("Ruohan", "Gao"),), 2019, "gao2019visual"),
        ("The Sound of Pixels", (Author("Hang", "Zhao"),), 2018, "zhao2018sound"),
        ("Towards a Theory of Everything", (Author("Zoë", "van der Berg"),), 2020, "vanderberg2020theory"),
        ("Look, Listen and Learn", (Author("Relja", "Arandjelović"),), 2017, "arandjelovic2017look"),
        ("What's Making That Sound?", (Author("Kai", "O'Brien-Smith"),), 2014, "obriensmith2014whats"),
        ("AudioSet: An Ontology", (), 2017, "audioset2017ontology"),
        ("On the Of", (), 2017, "anon2017"),
        ("", (), None, "anon"),
        ("Sound", (Author(literal="The Climate Editorial Office"),), 2021, "climate2021sound"),
        ("Sound", (Author("明", "李"),), 2021, "sound2021"),
        ("360° Video: Über Alles", (Author("X", "Ng"),), 2022, "ng2022video"),
        ("Sound", (Author("Ann", None),), None, "sound"),
    ],
)
def test_citekey_base(title: str, authors: tuple[Author, ...], year: int | None, base: str) -> None:
    """family + year + first significant word; without a usable author, two title words; [a-z0-9] only."""
    assert citekey_base(record("https://e.org", title, authors=authors, year=year)) == base


@pytest.mark.parametrize(
    ("title", "words"),
    [
        ("Towards an Audio-Visual Model of the World", ["audio", "visual", "model", "world"]),
        ("2.5D 3D x 360 Video", ["video"]),
        ("Ça va, Müller", ["ca", "va", "muller"]),
    ],
)
def test_significant_words(title: str, words: list[str]) -> None:
    """Stopwords, one-letter words and words starting with a digit are skipped; accents folded."""
    assert significant_words(title) == words


def test_identities_strongest_first() -> None:
    """A record's identities run DOI, arXiv, S2, … URL; DOIs compare lowercased."""
    rec = record("https://x.org/p", ids=Ids(doi="10.1/ABC", arxiv="1812.04204", s2="ab" * 20))
    assert identities(rec) == ("doi:10.1/abc", "arxiv:1812.04204", f"s2:{'ab' * 20}", "url:https://x.org/p")
    assert paper_identity(record("https://x.org/q")) == "url:https://x.org/q"


class TestAssignKeys:
    def test_collisions_get_suffixes_independent_of_order(self) -> None:
        """Three papers with one base get base, base+a, base+b in identity order, whatever the list order."""
        recs = [record(f"https://e.org/{i}", ids=Ids(doi=f"10.1/{i}")) for i in (3, 1, 2)]
        for order in (recs, list(reversed(recs))):
            by_paper, _ = assign_keys(order, {})
            assert [key_for(r, by_paper) for r in recs] == [
                "gao2019visualb",
                "gao2019visual",
                "gao2019visuala",
            ]

    def test_suffixes_run_past_z(self) -> None:
        """After z come aa, ab, …: keys stay unique for any number of collisions."""
        recs = [record(f"https://e.org/{i:03d}") for i in range(30)]
        by_paper, _ = assign_keys(recs, {})
        got = [key_for(r, by_paper) for r in recs]
        assert len(set(got)) == 30
        assert got[0] == "gao2019visual" and got[26] == "gao2019visualz" and got[27] == "gao2019visualaa"

    def test_same_paper_under_two_links_shares_one_key(self) -> None:
        """Links sharing an identity (arXiv id here) are one paper with one key."""
        a = record("https://arxiv.org/abs/1812.04204", ids=Ids(arxiv="1812.04204"))
        b = record("https://cvf/x.pdf", ids=Ids(doi="10.1109/cvpr.2019.00041", arxiv="1812.04204"))
        by_paper, registry = assign_keys([a, b], {})
        assert key_for(a, by_paper) == key_for(b, by_paper) == "gao2019visual"
        assert registry["url:https://arxiv.org/abs/1812.04204"] == "gao2019visual"
        assert [k for k, _ in group_by_key([a, b], by_paper)] == ["gao2019visual"]

    def test_registry_keeps_key_when_preprint_gets_its_doi(self) -> None:
        """An arXiv-only paper keeps its key when it is later resolved to its venue DOI (and new metadata)."""
        before = record("https://arxiv.org/abs/1812.04204", "Visual Sound", ids=Ids(arxiv="1812.04204"), year=2018)
        _, registry = assign_keys([before], {})
        after = record(
            "https://arxiv.org/abs/1812.04204",
            "2.5D Visual Sound",
            ids=Ids(doi="10.1109/cvpr.2019.00041", arxiv="1812.04204"),
            year=2019,
        )
        by_paper, registry2 = assign_keys([after], registry)
        assert key_for(after, by_paper) == "gao2018visual"
        assert registry2["doi:10.1109/cvpr.2019.00041"] == "gao2018visual"

    def test_registry_keeps_key_when_unresolved_link_resolves(self) -> None:
        """A url-only unresolved entry keeps its key once resolved, through its URL identity."""
        before = record("https://site/p.pdf", "listed title", authors=(), year=None, resolved=False)
        _, registry = assign_keys([before], {})
        after = record("https://site/p.pdf", ids=Ids(doi="10.1/x"))
        by_paper, _ = assign_keys([after], registry)
        assert key_for(after, by_paper) == "listedtitle"

    def test_merged_papers_retire_the_weaker_key(self) -> None:
        """Two papers found to be one take the stronger identity's key; the other key stays reserved."""
        a = record("https://a", ids=Ids(doi="10.1/x"))
        b = record("https://b", ids=Ids(arxiv="1812.04204"))
        _, registry = assign_keys([a, b], {})
        assert set(registry.values()) == {"gao2019visual", "gao2019visuala"}
        b2 = record("https://b", ids=Ids(doi="10.1/x", arxiv="1812.04204"))
        by_paper, registry2 = assign_keys([a, b2], registry)
        assert key_for(b2, by_paper) == key_for(a, by_paper) == "gao2019visual"
        assert registry2[f"{RETIRED}:gao2019visuala"] == "gao2019visuala"
        new = record("https://c", ids=Ids(doi="10.1/y"))
        by_paper3, _ = assign_keys([a, b2, new], registry2)
        assert key_for(new, by_paper3) == "gao2019visualb"

    def test_conflicting_claims_go_to_the_stronger_identity(self) -> None:
        """When two papers claim one registered key, the DOI claim beats the URL claim."""
        registry = {"url:https://a": "k1", "doi:10.1/x": "k1"}
        a = record("https://a", ids=Ids(doi="10.1/other"))
        b = record("https://b", ids=Ids(doi="10.1/x"))
        by_paper, _ = assign_keys([a, b], registry)
        assert key_for(b, by_paper) == "k1"
        assert key_for(a, by_paper) == "gao2019visual"

    def test_a_paper_whose_key_is_taken_falls_back_to_its_next_registered_key(self) -> None:
        """A paper that loses its strongest identity's key to a stronger claim keeps the key of its next
        registered identity, not a new one."""
        registry = {"doi:10.1/0": "k1", "doi:10.1/a": "k1", "url:https://a": "k2"}
        a = record("https://a", ids=Ids(doi="10.1/a"))
        b = record("https://b", ids=Ids(doi="10.1/0"))
        by_paper, new_registry = assign_keys([a, b], registry)
        assert (key_for(b, by_paper), key_for(a, by_paper)) == ("k1", "k2")
        assert new_registry["doi:10.1/a"] == "k2" and new_registry["url:https://b"] == "k1"

    def test_keys_are_never_reused_case_insensitively(self) -> None:
        """A registered key, in any case, is never minted for another paper."""
        registry = {"url:https://old": "Gao2019Visual"}
        by_paper, _ = assign_keys([record("https://new")], registry)
        assert key_for(record("https://new"), by_paper) == "gao2019visuala"

    def test_removed_paper_keeps_its_registry_entry(self) -> None:
        """A paper dropped from the list keeps its key in the registry, and gets it back when it returns."""
        a, b = record("https://a", "Alpha"), record("https://b", "Beta")
        _, registry = assign_keys([a, b], {})
        _, registry2 = assign_keys([b], registry)
        assert registry2["url:https://a"] == "gao2019alpha"
        by_paper, _ = assign_keys([a, b], registry2)
        assert key_for(a, by_paper) == "gao2019alpha"


# Papers as (identity number, title word, year); a paper may carry a DOI, an arXiv id, both, or only a URL.
PAPERS = st.lists(
    st.tuples(
        st.integers(0, 40),
        st.sampled_from(["sound", "vision", "speech"]),
        st.sampled_from([2019, 2020]),
        st.sampled_from(["doi", "arxiv", "both", "url"]),
    ),
    unique_by=lambda p: p[0],
    max_size=25,
)


def _paper(n: int, word: str, year: int, idkind: str) -> Record:
    ids = Ids(
        doi=f"10.1/{n}" if idkind in ("doi", "both") else None,
        arxiv=f"2001.{n:05d}" if idkind in ("arxiv", "both") else None,
    )
    return record(f"https://e.org/{n}", word.title(), ids=ids, authors=(Author("A", "Lee"),), year=year)


@settings(max_examples=150, deadline=None)
@given(PAPERS, PAPERS, st.randoms(use_true_random=False))
def test_keys_stable_and_unique_when_list_changes(first: list, second: list, rnd: random.Random) -> None:
    """Property: a later run (papers removed, added, reordered) keeps every surviving paper's key.

    Keys are unique among the papers of every run, and BibTeX-safe.
    """
    run1 = [_paper(*p) for p in first]
    keys1, registry = assign_keys(run1, {})
    survivors = [r for r in run1 if rnd.random() < 0.6]
    known = {r.link.url for r in run1}
    run2 = survivors + [_paper(*p) for p in second if f"https://e.org/{p[0]}" not in known]
    rnd.shuffle(run2)
    keys2, _ = assign_keys(run2, registry)
    for r in survivors:
        assert key_for(r, keys2) == key_for(r, keys1)
    for keys_, run in ((keys1, run1), (keys2, run2)):
        found = [key_for(r, keys_) for r in run]
        assert len(set(found)) == len(found)
        assert all(re.fullmatch(r"[a-z][a-z0-9]*", k) for k in found)


@settings(max_examples=100, deadline=None)
@given(PAPERS, st.randoms(use_true_random=False))
def test_keys_do_not_depend_on_list_order(papers: list, rnd: random.Random) -> None:
    """Property: from the same registry, any order of the same papers gets the same keys."""
    recs = [_paper(*p) for p in papers]
    shuffled = list(recs)
    rnd.shuffle(shuffled)
    assert assign_keys(recs, {}) == assign_keys(shuffled, {})


class TestRegistryFile:
    def test_round_trip(self, tmp_path: Path) -> None:
        """The registry written by to_registry_json reads back the same, sorted by identity."""
        registry = {"url:b": "k2", "doi:10.1/a": "k1"}
        path = tmp_path / "x.keys.json"
        path.write_text("".join(to_registry_json(registry)), encoding="utf-8")
        assert read_registry(path) == registry
        assert list(json.loads(path.read_text())) == ["doi:10.1/a", "url:b"]

    @given(st.dictionaries(st.text(), st.text(), max_size=30))
    def test_pieces_are_the_bytes_of_json_dumps(self, registry: dict[str, str]) -> None:
        """Written piece by piece, the file is exactly json.dumps of the sorted registry with indent 2."""
        expected = json.dumps(dict(sorted(registry.items())), indent=2, ensure_ascii=False) + "\n"
        assert "".join(to_registry_json(registry)) == expected

    def test_missing_file_is_empty(self, tmp_path: Path) -> None:
        """No registry yet means an empty one."""
        assert read_registry(tmp_path / "none.keys.json") == {}

    @pytest.mark.parametrize(
        "content", ["[1, 2]", '{"url:a": 3}', '{"url:a": "bad key!"}', '{"url:a": ""}', "{not json"]
    )
    def test_bad_registry_is_an_output_error(self, tmp_path: Path, content: str) -> None:
        """A registry that is not an object of identity -> BibTeX-safe key stops the run with one line."""
        path = tmp_path / "x.keys.json"
        path.write_text(content, encoding="utf-8")
        with pytest.raises(OutputError, match=r"x\.keys\.json"):
            read_registry(path)


def test_the_id_kinds_table_covers_every_ids_field_and_ranks_the_identities() -> None:
    """model.ID_KINDS names every Ids field once, in order; the identities keys rank come from it, strongest
    first, with the link's URL last."""
    assert tuple(f.name for f in dataclasses.fields(Ids)) == ID_FIELDS
    assert IDENTITY_KINDS == ("doi", "arxiv", "s2", "corpus", "acl", "pmcid", "pmid", "openreview", "url")
    assert len({kind.name for kind in ID_KINDS}) == len(ID_KINDS)
