"""BibTeX output: escaping, case protection, names, entry types, one entry per paper, parsing back."""

from __future__ import annotations

import io
import unicodedata

import bibtexparser
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pybtex.database.input import bibtex as pybtex_bibtex

from avenrich import keys
from avenrich.bibtex import (
    LATEX_CHARS,
    LOSSY,
    MONTHS,
    escape_latex,
    protect_title,
    to_bibtex,
    unescape_latex,
)
from avenrich.model import Author, Citations, Ids, Link, Record, Resolution
from avenrich.text import clean_text

RESOLVED = Resolution("resolved", "link", 1.0, "identifier in the link")
UNRESOLVED = Resolution("unresolved", "search:both", 0.0, "no candidate matched the listed title")


def record(url: str = "https://example.org/p", title: str = "A Title", **fields: object) -> Record:
    """A record with the given fields; resolved unless a resolution is given."""
    link_fields = {k.removeprefix("link_"): fields.pop(k) for k in list(fields) if k.startswith("link_")}
    fields.setdefault("resolution", RESOLVED)
    fields.setdefault("ids", Ids())
    return Record(link=Link(url, title, **link_fields), title=title, **fields)  # type: ignore[arg-type]


def render(*records: Record) -> str:
    """The BibTeX text of the records, with keys from an empty registry."""
    by_paper, _ = keys.assign_keys(records, {})
    return to_bibtex(records, by_paper)


def parse(text: str) -> bibtexparser.Library:
    """The parsed library; asserts nothing failed to parse."""
    library = bibtexparser.parse_string(text)
    assert not library.failed_blocks, [b.error for b in library.failed_blocks]
    return library


def normalised(text: str) -> str:
    """The property's normal form: clean_text (NFC, controls dropped, whitespace collapsed), LOSSY folded."""
    return " ".join(clean_text(text).translate(LOSSY).split())


class TestEscapeLatex:
    @pytest.mark.parametrize(
        ("text", "latex"),
        [
            ("R&D", r"R\&D"),
            ("100% sure", r"100\% sure"),
            ("$5 #1 a_b", r"\$5 \#1 a\_b"),
            ("{x}", r"\textbraceleft{}x\textbraceright{}"),
            ("a ~ b ^ c", r"a \textasciitilde{} b \textasciicircum{} c"),
            ("back\\slash", r"back\textbackslash{}slash"),
            ("a<b>c|d", r"a\textless{}b\textgreater{}c\textbar{}d"),
            ("café", r"caf{\'e}"),
            ("Müller", r"M{\"u}ller"),
            ("Çağ", r"{\c{C}}a{\u{g}}"),
            ("Dvořák", r"Dvo{\v{r}}{\'a}k"),
            ("naïve", r"na{\"{\i}}ve"),
            ("Straße", r"Stra{\ss}e"),
            ("Łódź Øresund Æsir œuvre", r"{\L}{\'o}d{\'z} {\O}resund {\AE}sir {\oe}uvre"),
            ("ế", r"{\'{\^e}}"),
            ("İ", r"{\.I}"),
            ("1990–2000 — done", r"1990--2000 --- done"),
            ("360° video", r"360\textdegree{} video"),
            ("α-β Γ", r"{$\alpha$}-{$\beta$} {$\Gamma$}"),
            ("“quoted” ‘single’ it’s", r"``quoted'' `single' it's"),
            ("wait…", r"wait\ldots{}"),
            ("a--b", r"a-{}-b"),
            ("``x''", r"`{}`x'{}'"),
            ("–-", r"--{}-"),
            ("tab\there", "tab here"),
            ("bell\x07zero\u200bwidth", "bellzerowidth"),
            ("漢字 кириллица", "漢字 кириллица"),
            ("x\u0301", "x\u0301"),
            (r"\'e already", r"\textbackslash{}'e already"),
        ],
    )
    def test_table(self, text: str, latex: str) -> None:
        """Each special and non-ASCII character gets its LaTeX spelling; unmappable text stays UTF-8."""
        assert escape_latex(text) == latex

    @pytest.mark.parametrize("char", sorted(LATEX_CHARS))
    def test_every_mapped_character_reads_back(self, char: str) -> None:
        """Every entry of the table decodes back to its character (modulo LOSSY)."""
        assert unescape_latex(escape_latex(f"a{char}b")) == f"a{char}b".translate(LOSSY)

    def test_no_double_escaping(self) -> None:
        """Escaping the escaped text escapes the backslashes again: input is never taken as LaTeX."""
        once = escape_latex("R&D")
        assert escape_latex(once) == r"R\textbackslash{}\&D"
        assert unescape_latex(escape_latex(once)) == once

    def test_braces_always_balance(self) -> None:
        """Unbalanced braces in the text never reach the file as braces."""
        latex = escape_latex("}{ {{ }")
        assert latex.count("{") == latex.count("}")


class TestProtectTitle:
    @pytest.mark.parametrize(
        ("title", "latex"),
        [
            ("Deep Audio-Visual Speech Recognition", "Deep Audio-Visual Speech Recognition"),
            (
                "GANimation: Anatomically-aware Facial Animation",
                "{GANimation}: Anatomically-aware Facial Animation",
            ),
            (
                "MakeItTalk: Speaker-Aware Talking-Head Animation",
                "{MakeItTalk}: Speaker-Aware Talking-Head Animation",
            ),
            ("CNN-Based LSTM Models for AVQA", "{CNN}-Based {LSTM} Models for {AVQA}"),
            ("2.5D Visual Sound", "{2.5D} Visual Sound"),
            ("Do I Hear What I See", "Do {I} Hear What {I} See"),
            ("A Survey of iPhone Audio (ASR)", "A Survey of {iPhone} Audio ({ASR})"),
            ("Audio–Visual Learning", "Audio--Visual Learning"),
            ("ÉCOLE Speech", r"{{\'E}COLE} Speech"),
            ("\\ABC _ABC words", r"\textbackslash{}{ABC} {{\_ABC}} words"),
            ("ΔNet", r"{{$\Delta$}Net}"),
            ("AUDIO-VISUAL SPEECH RECOGNITION", "AUDIO-VISUAL SPEECH RECOGNITION"),
            ("VGGSound", "{VGGSound}"),
            ("  spaced\n  out  ", "spaced out"),
        ],
    )
    def test_table(self, title: str, latex: str) -> None:
        """Acronyms and mixed-case words are braced; plain capitalised words and all-caps titles are not."""
        assert protect_title(title) == latex


class TestEntries:
    def test_inproceedings(self) -> None:
        """A proceedings paper is @inproceedings with booktitle, month macro, en-dash pages and publisher."""
        text = render(
            record(
                title="Look, Listen and Learn",
                authors=(Author("Relja", "Arandjelović"), Author("Andrew", "Zisserman")),
                year=2017,
                month=10,
                venue="ICCV",
                type="proceedings-article",
                publisher="IEEE",
                pages="609-617",
                ids=Ids(doi="10.1109/iccv.2017.73", arxiv="1705.08168"),
            )
        )
        assert text.startswith("@inproceedings{arandjelovic2017look,\n")
        for line in (
            r"author = {Arandjelovi{\'c}, Relja and Zisserman, Andrew},",
            "booktitle = {ICCV},",
            "month = oct,",
            "pages = {609--617},",
            "publisher = {IEEE},",
            "doi = {10.1109/iccv.2017.73},",
            "eprint = {1705.08168},",
            "archivePrefix = {arXiv},",
        ):
            assert f"  {line}\n" in text

    @pytest.mark.parametrize(
        ("type_", "venue", "publisher", "entry_type", "container"),
        [
            ("proceedings-article", "CVPR", None, "inproceedings", "booktitle = {CVPR}"),
            ("journal-article", "IEEE TPAMI", "IEEE", "article", "journal = {IEEE TPAMI}"),
            (
                "book-chapter",
                "Computer Vision – ECCV 2018",
                "Springer",
                "incollection",
                "booktitle = {Computer",
            ),
            ("book", None, "MIT Press", "book", "publisher = {MIT Press}"),
            ("report", None, "MIT", "techreport", "institution = {MIT}"),
            ("dissertation", None, "Stanford University", "phdthesis", "school = {Stanford University}"),
            ("posted-content", "bioRxiv", None, "misc", "howpublished = {bioRxiv}"),
            ("dataset", None, "Zenodo", "misc", "howpublished = {Zenodo}"),
            ("journal-article", None, None, "misc", "title = "),
            ("proceedings-article", None, "IEEE", "misc", "howpublished = {IEEE}"),
            ("book", None, None, "misc", "title = "),
            (None, "Some Workshop", None, "misc", "howpublished = {Some Workshop}"),
            ("component", None, None, "misc", "title = "),
        ],
    )
    def test_entry_types(
        self, type_: str | None, venue: str | None, publisher: str | None, entry_type: str, container: str
    ) -> None:
        """Each work type maps to its entry type; a missing container falls back to @misc."""
        text = render(record(type=type_, venue=venue, publisher=publisher, year=2020))
        assert text.startswith(f"@{entry_type}{{")
        assert container in text

    def test_journal_article_has_no_publisher(self) -> None:
        """@article and @misc carry no publisher field (biblatex's data model has none for them)."""
        text = render(record(type="journal-article", venue="TPAMI", publisher="IEEE", volume="44", issue="12"))
        assert "publisher" not in text
        assert "  volume = {44},\n  number = {12},\n" in text

    def test_arxiv_preprint(self) -> None:
        """An arXiv-only paper is @misc with eprint and archivePrefix, and no howpublished."""
        text = render(record(type="posted-content", venue="arXiv.org", ids=Ids(arxiv="2006.09199"), year=2020))
        assert text.startswith("@misc{")
        assert "  eprint = {2006.09199},\n  archivePrefix = {arXiv},\n" in text
        assert "howpublished" not in text

    def test_unresolved(self) -> None:
        """An unresolved link is @misc with the list's title, year and url; its reason is in no printed field."""
        rec = record(
            url="https://example.org/x_y?a=1&b=2",
            title="Über Lip–Sync",
            year=2016,
            resolution=UNRESOLVED,
            type="journal-article",
            venue="Ignored Venue",
            authors=(Author("Jörg", "Müller"),),
        )
        text = render(rec)
        assert text.startswith("@misc{muller2016uber,\n")
        assert "note" not in text and "Unverified" not in text and "candidate" not in text
        assert "  key =" not in text  # it has an author to sort by
        assert "  url = {https://example.org/x_y?a=1&b=2}\n" in text
        assert "Ignored" not in text

    @pytest.mark.parametrize("resolution", [UNRESOLVED, Resolution("resolved", "link", 1.0)])
    def test_entry_without_authors_has_a_sort_key(self, resolution: Resolution) -> None:
        """An entry without authors carries `key` (what BibTeX sorts it by): its title, else its citation key."""
        rec = record(title="Über Lip–Sync & Co", authors=(), resolution=resolution, year=2016)
        assert '  key = {{\\"U}ber Lip--Sync \\& Co}\n' in render(rec)
        assert "  key = {anon2016}\n" in render(record(title="", authors=(), resolution=resolution, year=2016))

    def test_paper_listed_twice_is_one_entry(self) -> None:
        """Two links to one DOI give one entry: the first link's url, the union of the sections."""
        ids = Ids(doi="10.1109/cvpr.2019.00041")
        first = record(url="https://a.example/1", ids=ids, link_sections=(("Audio", "Spatial"),), year=2019)
        second = record(url="https://b.example/2", ids=ids, link_sections=(("Spatial",), ("Video",)), year=2019)
        library = parse(render(first, second))
        assert len(library.entries) == 1
        assert library.entries[0]["url"] == "https://a.example/1"
        assert library.entries[0]["keywords"] == "Audio, Spatial, Video"

    def test_resolved_record_wins_over_unresolved_in_one_paper(self) -> None:
        """When one link of a paper is unresolved, the entry is written from the resolved one."""
        ids = Ids(arxiv="1812.04204")
        weak = record(url="https://a.example/1", title="listed", ids=ids, resolution=UNRESOLVED)
        good = record(url="https://b.example/2", title="Real Title", ids=ids, type="dataset", publisher="Zenodo")
        entry = parse(render(weak, good)).entries[0]
        assert entry["title"] == "Real Title"
        assert "note" not in entry.fields_dict
        assert entry["url"] == "https://a.example/1"

    @pytest.mark.parametrize(
        ("authors", "field"),
        [
            ((Author("Ruohan", "Gao"), Author("Kristen", "Grauman")), "Gao, Ruohan and Grauman, Kristen"),
            ((Author(literal="Climate Editorial Office"),), "{Climate Editorial Office}"),
            ((Author("Zoë", "van der Berg"),), r"van der Berg, Zo{\"e}"),
            ((Author(None, "Le Cun"),), "{Le Cun}"),
            ((Author("Ann", "Smith, Jr."),), "{Smith, Jr.}, Ann"),
            ((Author("Ann and Bob", "Smith"),), "Smith, {Ann and Bob}"),
            ((Author("Jo", None),), "{Jo}"),
            ((Author("A. & B.", "O'Brien_X"),), r"O'Brien\_X, A. \& B."),
        ],
    )
    def test_author_field(self, authors: tuple[Author, ...], field: str) -> None:
        """Names are "Family, Given"; organisations and names BibTeX would split wrongly are braced."""
        assert f"  author = {{{field}}},\n" in render(record(authors=authors))

    def test_no_others_invented(self) -> None:
        """Fifty authors are all written; "and others" is never added."""
        authors = tuple(Author(f"Given{i}", f"Family{i}") for i in range(50))
        entry = parse(render(record(authors=authors))).entries[0]
        assert entry["author"].count(" and ") == 49
        assert "others" not in entry["author"]

    @pytest.mark.parametrize(("month", "macro"), [(1, "jan"), (5, "may"), (12, "dec")])
    def test_month_macro(self, month: int, macro: str) -> None:
        """Months are the bare BibTeX macros."""
        assert f"  month = {macro},\n" in render(record(year=2020, month=month))

    @pytest.mark.parametrize("month", [0, 13])
    def test_bad_month_left_out(self, month: int) -> None:
        """A month outside 1..12 is not written."""
        assert "month" not in render(record(year=2020, month=month))

    def test_verbatim_fields_percent_encode_unsafe_characters(self) -> None:
        """URLs and DOIs keep their characters, except braces, backslashes, spaces and non-ASCII."""
        text = render(
            record(url="https://e.org/a b/{x}\\é#frag_1", ids=Ids(doi="10.1002/(sici)1097<1::aid>3.0.co;2-#"))
        )
        assert "  url = {https://e.org/a%20b/%7Bx%7D%5C%C3%A9#frag_1},\n" in text
        assert "  doi = {10.1002/(sici)1097%3C1::aid%3E3.0.co;2-#},\n" in text

    def test_keywords_with_commas_are_braced(self) -> None:
        """A heading containing a comma stays one keyword."""
        text = render(record(link_sections=(("Sound, Vision", "Misc & More"),)))
        assert "  keywords = {{Sound, Vision}, Misc \\& More},\n" in text

    def test_entries_sorted_by_key_and_fields_in_fixed_order(self) -> None:
        """Entries come out ordered by key whatever the record order; fields in FIELD_ORDER."""
        a = record(url="https://e.org/1", title="Zebra Sounds", authors=(Author("Z", "Zed"),), year=2020)
        b = record(url="https://e.org/2", title="Apple Sounds", authors=(Author("A", "Able"),), year=2020)
        library = parse(render(a, b))
        assert [e.key for e in library.entries] == ["able2020apple", "zed2020zebra"]
        assert [f.key for f in library.entries[0].fields] == ["author", "title", "year", "url"]

    def test_counts_never_reach_the_bib(self) -> None:
        """Citation counts change nightly and are kept out of the BibTeX file."""
        text = render(record(citations=Citations(crossref=5, semantic_scholar=7)))
        assert "citation" not in text
        assert "{5}" not in text and "{7}" not in text


def test_month_table_has_twelve_macros() -> None:
    """MONTHS lists the twelve standard macros in order."""
    assert MONTHS == ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")


def test_output_parses_back_with_pybtex() -> None:
    """pybtex reads every entry with the same keys and titles."""
    recs = [
        record(url=f"https://e.org/{i}", title=t, authors=(Author("Ann", f"Fam{i}"),), year=2020)
        for i, t in enumerate(["R&D at 100%", "Über {Braces} ~ ^", "ΓNet: α–β"])
    ]
    text = render(*recs)
    data = pybtex_bibtex.Parser().parse_stream(io.StringIO(text))
    library = parse(text)
    assert sorted(data.entries) == sorted(e.key for e in library.entries)
    for entry in library.entries:
        assert data.entries[entry.key].fields["title"] == entry["title"]


# Titles from any Unicode text, with the characters LaTeX treats specially drawn often.
SPECIALS = list("&%$#_{}~^\\-`'!?,<>|\"@ aAzZ0.\u0301\u0308\u0327é–—‘’“”°αΓϕ…ıİ\xa0\t\n\x00\u200b\u00adß")
TITLES = st.text(alphabet=st.one_of(st.sampled_from(SPECIALS), st.characters()), max_size=60)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(TITLES)
def test_any_title_survives_escape_parse_unescape(title: str) -> None:
    """Property: to_bibtex -> bibtexparser.parse_string -> unescape_latex gives the title back.

    Precisely: for every Unicode string t with printable content, unescape(parsed title field), with
    whitespace collapsed and NFC, equals clean_text(t) with the LOSSY characters folded (‘ ’ -> ` ',
    Unicode hyphens and minus -> -). No block fails to parse.
    """
    expected = normalised(title)
    if not expected:
        return
    library = parse(render(record(title=title)))
    got = unescape_latex(library.entries[0]["title"])
    assert unicodedata.normalize("NFC", " ".join(got.split())) == expected
