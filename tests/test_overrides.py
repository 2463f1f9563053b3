"""Curator overrides: pins and rejections."""

from __future__ import annotations

import pytest

from avenrich.errors import InputError
from avenrich.model import Ids, Work
from avenrich.overrides import Overrides, parse_overrides

GOOD = """
[[pin]]
url = "https://ieeexplore.ieee.org/abstract/document/8585066"
doi = "https://doi.org/10.1109/TPAMI.2018.2889052"

[[pin]]
url = "https://example.org/paper"
arxiv = "arXiv:1809.00496v2"

[[reject]]
url = "https://openaccess.thecvf.com/x.html"
doi = "10.1109/CVPR.2019.00041"
"""


def test_pins_and_rejects_are_normalised() -> None:
    """DOIs are lowercased without resolver prefix, arXiv ids lose prefix and version."""
    parsed = parse_overrides(GOOD)
    assert parsed.pins["https://ieeexplore.ieee.org/abstract/document/8585066"] == Ids(doi="10.1109/tpami.2018.2889052")
    assert parsed.pins["https://example.org/paper"] == Ids(arxiv="1809.00496")
    assert parsed.rejects["https://openaccess.thecvf.com/x.html"] == frozenset({"doi:10.1109/cvpr.2019.00041"})
    assert len(parsed) == 3


def test_is_rejected_matches_any_id_of_the_work() -> None:
    """A rejected DOI rejects the work for that link only."""
    parsed = parse_overrides(GOOD)
    bad = Work(source="crossref", ids=Ids(doi="10.1109/cvpr.2019.00041"))
    other = Work(source="crossref", ids=Ids(doi="10.1109/cvpr.2019.00042"))
    assert parsed.is_rejected("https://openaccess.thecvf.com/x.html", bad)
    assert not parsed.is_rejected("https://openaccess.thecvf.com/x.html", other)
    assert not parsed.is_rejected("https://elsewhere.org", bad)
    assert not Overrides().is_rejected("https://openaccess.thecvf.com/x.html", bad)


def test_keys_are_pinned_by_url() -> None:
    """[[key]] pins a citation key (any key BibTeX accepts) to the link as listed, and counts as an override."""
    parsed = parse_overrides(GOOD + '\n[[key]]\nurl = " https://example.org/paper "\nkey = "DBLP:conf/cvpr/GaoG19"\n')
    assert parsed.keys == {"https://example.org/paper": "DBLP:conf/cvpr/GaoG19"}
    assert len(parsed) == 4


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("[[pin]\nurl=", "not valid TOML"),
        ("pin = 3", "must be a list of tables"),
        ('[[pin]]\ndoi = "10.1/x"', "needs url"),
        ('[[pin]]\nurl = "u"', "give at least one of"),
        ('[[pin]]\nurl = "u"\ndoi = "not a doi"', "not a valid doi"),
        ('[[reject]]\nurl = "u"\ns2 = "xyz"', "not a valid s2"),
        ('[[pin]]\nurl = "u"\narxiv = 1809', "must be a string"),
        ('[[key]]\nkey = "gao2019"', "needs url"),
        ('[[key]]\nurl = "u"', "key must be a BibTeX citation key"),
        ('[[key]]\nurl = "u"\nkey = "two words"', "key must be a BibTeX citation key"),
        ('[[key]]\nurl = "u"\nkey = "a{b}"', "key must be a BibTeX citation key"),
        ('[[key]]\nurl = "u"\nkey = 3', "key must be a BibTeX citation key"),
    ],
)
def test_malformed_overrides_are_one_clear_error(text: str, message: str) -> None:
    """Every mistake in the file names itself in one line."""
    with pytest.raises(InputError, match=message):
        parse_overrides(text)
