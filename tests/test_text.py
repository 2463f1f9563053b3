"""Title normalisation and markup clean-up."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from avenrich.text import clean_markup, normalise_title, squash


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("Audio-Visual Speech Recognition", "audio visual speech recognition"),
        ("Audio-V\\visual Speech Recognition", "audio vvisual speech recognition"),
        ("Scene-aware audio for 360° videos", "scene aware audio for 360 videos"),
        ("Spatial Audio for 360-degree Video", "spatial audio for 360 video"),
        ("A Kinect™ Study on Xbox® ©2019", "a kinect study on xbox 2019"),
        ("Deep Method† and Another*: ‡Results", "deep method and another results"),
        ("🎵 Music Generation ✨ with Stars ★", "music generation with stars"),
        ("Degree Programs for 3 Students", "degree programs for 3 students"),
        ("Deep Cross-Modal Image–Voice Retrieval", "deep cross modal image voice retrieval"),
        ("Rates of\n            <i>Callosobruchus maculatus</i>", "rates of callosobruchus maculatus"),
        ("{GAN}imation: \\emph{One}-Shot", "ganimation one shot"),
        ("Ünïcödé Straße", "unicode strasse"),
        ("AT&amp;T &lt;b&gt;", "at t b"),
        ("", ""),
    ],
)
def test_normalise_title(raw: str, expected: str) -> None:
    """Markup, LaTeX, accents, dashes, case and punctuation fold away."""
    assert normalise_title(raw) == expected


@pytest.mark.parametrize(
    ("a", "b", "same"),
    [
        ("Audio-Visual", "Audiovisual", True),
        ("MusicVideo Retrieval", "Music Video Retrieval", True),
        ("360deg Videos", "360° Videos", True),
        ("Spatial Audio for 360° Video", "Spatial Audio for 360 Video", True),
        ("Kinect™ Gestures", "Kinect Gestures", True),
        ("Kinect™ Gestures", "KinectTM Gestures", False),
        ("360° Video", "180° Video", False),
        ("The Sound of Pixels", "The Sound of Motions", False),
    ],
)
def test_squash(a: str, b: str, same: bool) -> None:
    """Squashed titles ignore spacing and hyphenation, nothing else."""
    assert (squash(a) == squash(b)) is same


def test_clean_markup_keeps_text() -> None:
    """Tags go, entities are unescaped, whitespace collapses; the words stay as written."""
    assert clean_markup("  <jats:title>Deep <b>Audio</b>&amp;Video</jats:title>\n ") == "Deep Audio &Video"


@given(st.text())
def test_normalise_title_is_idempotent(text: str) -> None:
    """Normalising twice changes nothing."""
    once = normalise_title(text)
    assert normalise_title(once) == once
