"""Citation keys: readable bases, collision suffixes, the registry, stability under list changes."""

from __future__ import annotations

import dataclasses
import json
import random
import re
from collections.abc import Mapping
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from avenrich.errors import OutputError
from avenrich.keys import (
    EARNED,
    IDENTITY_KINDS,
    PINNED,
    PINNED_ELSEWHERE,
    RETIRED,
    YIELDED,
    KeyChange,
    Registry,
    assign_keys,
    citekey_base,
    group_by_key,
    identities,
    key_for,
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
    assert identities(record("https://x.org/q"))[0] == "url:https://x.org/q"  # the paper identity: the first


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

    def test_a_provisional_key_changes_once_when_the_entry_first_resolves(self) -> None:
        """An unresolved entry's key is provisional: when the entry resolves it takes the key its record earns
        (the change is reported, the old key stays reserved), and from then on it is permanent."""
        before = record("https://site/p.pdf", "listed title", authors=(), year=None, resolved=False)
        by_paper, registry = assign_keys([before], {})
        assert key_for(before, by_paper) == "listedtitle" and registry.provisional == {"listedtitle"}
        after = record("https://site/p.pdf", ids=Ids(doi="10.1/x"))
        by_paper, registry2 = assign_keys([after], registry)
        assert key_for(after, by_paper) == "gao2019visual" and registry2.provisional == frozenset()
        assert registry2.changes == (KeyChange("listedtitle", "gao2019visual", "https://site/p.pdf", EARNED),)
        assert registry2[f"{RETIRED}:listedtitle"] == "listedtitle"
        again = record("https://site/p.pdf", "A Better Title", ids=Ids(doi="10.1/x"), authors=(Author("B", "Zed"),))
        by_paper, registry3 = assign_keys([again], registry2)
        assert key_for(again, by_paper) == "gao2019visual" and registry3.changes == ()

    def test_a_provisional_key_stays_while_the_entry_stays_unresolved(self) -> None:
        """Night after night without a verified record, the provisional key neither changes nor hardens."""
        entry = record("https://site/p.pdf", "listed title", authors=(), year=None, resolved=False)
        _, registry = assign_keys([entry], {})
        by_paper, registry2 = assign_keys([entry], registry)
        assert key_for(entry, by_paper) == "listedtitle"
        assert registry2.provisional == {"listedtitle"} and registry2.changes == ()

    def test_a_key_earned_once_is_kept_when_the_entry_later_fails_to_resolve(self) -> None:
        """Permanence: a resolved entry's key survives a night on which its sources are down."""
        good = record("https://site/p.pdf", ids=Ids(doi="10.1/x"))
        _, registry = assign_keys([good], {})
        down = record("https://site/p.pdf", "listed title", authors=(), year=None, resolved=False)
        by_paper, registry2 = assign_keys([down], registry)
        assert key_for(down, by_paper) == "gao2019visual" and registry2.provisional == frozenset()

    def test_a_provisional_key_yields_to_a_resolved_paper_that_earns_it(self) -> None:
        """A resolved paper gets the key a fresh run would give it, even if an unresolved paper holds it
        provisionally; that paper moves to another provisional key, and the change says why."""
        waiting = record("https://a", "Visual Sound", authors=(Author("R", "Gao"),), resolved=False)
        _, registry = assign_keys([waiting], {})
        assert registry.provisional == {"gao2019visual"}
        winner = record("https://b", ids=Ids(doi="10.1/x"))
        by_paper, registry2 = assign_keys([waiting, winner], registry)
        fresh, _ = assign_keys([waiting, winner], {})
        assert key_for(winner, by_paper) == key_for(winner, fresh) == "gao2019visual"
        assert key_for(waiting, by_paper) == "gao2019visuala"
        assert registry2.changes == (KeyChange("gao2019visual", "gao2019visuala", "https://a", YIELDED),)

    def test_resolved_papers_are_keyed_before_unresolved_ones(self) -> None:
        """On collision the resolved paper takes the bare base, whatever the identities' order."""
        unresolved = record("https://a", resolved=False)
        resolved = record("https://z", ids=Ids(doi="10.1/x"))
        by_paper, registry = assign_keys([unresolved, resolved], {})
        assert (key_for(resolved, by_paper), key_for(unresolved, by_paper)) == ("gao2019visual", "gao2019visuala")
        assert registry.provisional == {"gao2019visuala"}

    def test_pins_win_and_their_changes_are_reported(self) -> None:
        """A pinned key (any BibTeX-legal key) wins over the registry and over minting; it is permanent."""
        entry = record("https://a", ids=Ids(doi="10.1/x"))
        _, registry = assign_keys([entry], {})
        by_paper, registry2 = assign_keys([entry], registry, {"https://a": "DBLP:conf/cvpr/GaoG19"})
        assert key_for(entry, by_paper) == "DBLP:conf/cvpr/GaoG19"
        assert registry2.changes == (KeyChange("gao2019visual", "DBLP:conf/cvpr/GaoG19", "https://a", PINNED),)
        assert registry2[f"{RETIRED}:gao2019visual"] == "gao2019visual"

    def test_a_paper_whose_key_is_pinned_to_another_moves_and_says_why(self) -> None:
        """The curator gives a registered key to another paper: its holder gets a new key, reported."""
        a, b = record("https://a", ids=Ids(doi="10.1/a")), record("https://b", "Other", ids=Ids(doi="10.1/b"))
        _, registry = assign_keys([a, b], {})
        by_paper, registry2 = assign_keys([a, b], registry, {"https://b": "gao2019visual"})
        assert (key_for(b, by_paper), key_for(a, by_paper)) == ("gao2019visual", "gao2019visuala")
        assert {c.reason for c in registry2.changes} == {PINNED, PINNED_ELSEWHERE}

    def test_a_key_pinned_for_two_papers_goes_to_the_stronger(self) -> None:
        """Two papers pinned to one key: the DOI paper has it, the other is keyed as usual."""
        a, b = record("https://a"), record("https://b", ids=Ids(doi="10.1/x"))
        by_paper, _ = assign_keys([a, b], {}, {"https://a": "mine", "https://b": "mine"})
        assert (key_for(b, by_paper), key_for(a, by_paper)) == ("mine", "gao2019visual")

    def test_a_minted_key_never_takes_a_pinned_one(self) -> None:
        """A pinned key blocks minting (case-insensitively)."""
        a, b = record("https://a"), record("https://b", ids=Ids(doi="10.1/x"))
        by_paper, _ = assign_keys([a, b], {}, {"https://a": "Gao2019Visual"})
        assert key_for(b, by_paper) == "gao2019visuala"

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


@settings(max_examples=150, deadline=None)
@given(PAPERS, st.randoms(use_true_random=False))
def test_an_offline_first_night_leaves_no_trace_on_resolved_keys(papers: list, rnd: random.Random) -> None:
    """Property: an offline first night (only the list's titles), then online nights: every resolved entry's
    key equals a fresh online run's, and a further night changes no key."""
    online = [_paper(*p) for p in papers]
    online = [r if rnd.random() < 0.7 else dataclasses.replace(r, resolution=UNRESOLVED) for r in online]
    offline = [
        dataclasses.replace(r, ids=Ids(), authors=(), resolution=UNRESOLVED, title=f"{r.title} listed {r.year}")
        for r in online
    ]
    _, registry1 = assign_keys(offline, {})
    keys2, registry2 = assign_keys(online, registry1)
    fresh, _ = assign_keys(online, {})
    for r in online:
        if r.resolution.status == "resolved":
            assert key_for(r, keys2) == key_for(r, fresh)
    keys3, registry3 = assign_keys(online, registry2)
    assert all(key_for(r, keys3) == key_for(r, keys2) for r in online) and registry3.changes == ()


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

    def test_provisional_flags_round_trip(self, tmp_path: Path) -> None:
        """Provisional keys are kept in the file as "provisional:KEY" entries and read back as flags."""
        registry = Registry({"url:b": "k2", "doi:10.1/a": "k1"}, {"k2"})
        path = tmp_path / "x.keys.json"
        path.write_text("".join(to_registry_json(registry)), encoding="utf-8")
        back = read_registry(path)
        assert back == {"url:b": "k2", "doi:10.1/a": "k1"} and back.provisional == {"k2"}
        assert json.loads(path.read_text())["provisional:k2"] == "k2"

    def test_an_old_file_reads_as_all_keys_permanent(self, tmp_path: Path) -> None:
        """A registry written before keys could be provisional never changes a key."""
        path = tmp_path / "x.keys.json"
        path.write_text('{"url:https://a": "audio2018visual", "url:https://b": "DBLP:conf/x/Y19"}', encoding="utf-8")
        registry = read_registry(path)
        assert registry.provisional == frozenset()
        entry = record("https://a", ids=Ids(doi="10.1/x"))
        by_paper, _ = assign_keys([entry], registry)
        assert key_for(entry, by_paper) == "audio2018visual"

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


@pytest.mark.parametrize(
    ("base", "updates", "expected"),
    [
        ({}, {}, {}),
        ({"doi:a": "k1"}, {}, {"doi:a": "k1"}),
        ({"doi:a": "k1", "url:b": "k2"}, {"url:b": "k3"}, {"doi:a": "k1", "url:b": "k3"}),  # changed
        ({"doi:a": "k1"}, {"url:c": "k1", "retired:k0": "k0"}, {"doi:a": "k1", "url:c": "k1", "retired:k0": "k0"}),
        (Registry({"doi:a": "k1"}, updates={"doi:b": "k2"}), {"doi:a": "k9"}, {"doi:a": "k9", "doi:b": "k2"}),
    ],
)
def test_a_registry_is_the_one_it_was_made_from_plus_its_updates(
    base: Mapping[str, str], updates: dict[str, str], expected: dict[str, str]
) -> None:
    """Every identity once, with its updated key: as a mapping, its items, values, length and membership."""
    registry = Registry(base, updates=updates)
    assert registry == expected and dict(registry) == expected
    assert sorted(registry) == sorted(expected) and len(registry) == len(expected)
    assert sorted(registry.items()) == sorted(expected.items())
    assert sorted(registry.values()) == sorted(expected.values())
    assert all(identity in registry for identity in expected) and "doi:none" not in registry
    assert registry.get("doi:none") is None


def test_assign_keys_shares_the_registry_it_was_given() -> None:
    """The new registry holds only what changed; the one it was given is not copied, nor changed."""
    a = record("https://a", "Alpha Paper", ids=Ids(doi="10.1/a"), authors=(Author("A", "Smith"),), year=2020)
    b = record("https://b", "Beta Paper", ids=Ids(doi="10.1/b"), authors=(Author("B", "Jones"),), year=2021)
    _, first = assign_keys([a], {})
    given = dict(first)
    _, second = assign_keys([a, b], first)
    assert dict(first) == given  # unchanged
    assert second.updates == {"doi:10.1/b": "jones2021beta", "url:https://b": "jones2021beta"}
    assert dict(second) == {**given, **second.updates}


@pytest.mark.parametrize(
    ("own", "pins", "expected"),
    [
        ("Smith2020", {}, "Smith2020"),  # a .bib input's entry keeps its own key
        ("Smith2020", {"https://a": "curated"}, "curated"),  # the curator's pin over it
        ("bad key", {}, "smith2020alpha"),  # a key BibTeX refuses is not kept
        (None, {}, "smith2020alpha"),
    ],
)
def test_own_keys(own: str | None, pins: dict[str, str], expected: str) -> None:
    a = dataclasses.replace(
        record("https://a", "Alpha Paper", ids=Ids(doi="10.1/a"), authors=(Author("A", "Smith"),), year=2020),
        link=Link("https://a", "Alpha Paper", bibtex_key=own),
    )
    by_paper, _ = assign_keys([a], {}, pins, own_keys=True)
    assert by_paper == {"doi:10.1/a": expected}
    assert assign_keys([a], {}, pins)[0] == {"doi:10.1/a": pins.get("https://a", "smith2020alpha")}  # not asked
