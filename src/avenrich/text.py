"""Text clean-up shared by the parsers, the matcher and the writers (pure).

- `clean_markup`: JATS/HTML tags, entities and control characters out, whitespace collapsed (for printing).
- `clean_text`: plain text for the writers (NFC, control and format characters dropped, whitespace collapsed).
- `parse_venue_tag`: venue and year of a list's tag ("CVPR-2019"), for the list reader and the matcher.
- `heading_names`: the distinct section headings of a paper, in order (the writers' keywords).
- `normalise_title`: the comparison form of a title: markup, LaTeX, accents, case, punctuation and
  hyphenation folded away, so that "Audio-V\\visual", "Audio-Visual" and "audio visual" compare equal; marks
  that indexes drop (°, ™, ®, daggers, asterisks, emoji) cost no word.
"""

from __future__ import annotations

import html
import re
import unicodedata
from collections.abc import Iterable

_TAG = re.compile(r"<[^<>]{0,200}>")
_WS = re.compile(r"\s+")
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")  # C0, DEL, C1: never meant to be printed in a title
# Formatting commands seen in titles; any other backslash is dropped on its own, which keeps the list's
# typos ("Audio-V\\visual") one edit away from the real title instead of eating a word.
_LATEX_CMD = re.compile(r"\\(?:emph|textit|textbf|textsc|texttt|textrm|mathrm|mathbf|mathcal|mathit|it|bf|em)\b\s*")
_NON_WORD = re.compile(r"[^\w]+")
# Indexes drop or respell the symbols titles carry ("360° Video" is "360 Video" or "360deg Video"; "Kinect™",
# "Method†", "🎵"): a symbol (Unicode category So: degree, trade mark, registered, copyright, emoji, stars, …)
# becomes a space before NFKD could spell it as a word ("™" -> "TM"); daggers and asterisks are punctuation
# and go with it; a degree written out after a number ("360deg", "360-degree") folds into the number.
_SYMBOL_CATEGORY = "So"
_DEGREES = re.compile(r"(?<![a-z0-9])(\d+)(?: ?(?:deg|degrees?)(?![a-z0-9]))+")

# Characters that NFKD does not take apart but that should compare as their ASCII look-alikes.
_FOLD = str.maketrans(
    {
        "ß": "ss",
        "æ": "ae",
        "Æ": "ae",
        "ø": "o",
        "Ø": "o",
        "œ": "oe",
        "Œ": "oe",
        "ł": "l",
        "Ł": "l",
        "đ": "d",
        "Đ": "d",
        "ı": "i",
        "þ": "th",
        "°": " deg ",
        "‐": "-",
        "‑": "-",
        "‒": "-",
        "–": "-",
        "—": "-",
        "―": "-",
        "−": "-",
        "‘": "'",
        "’": "'",
        "“": '"',
        "”": '"',
    }
)


def clean_markup(text: str) -> str:
    """The text with HTML/JATS tags removed, entities unescaped, control characters and whitespace collapsed."""
    without_tags = _TAG.sub(" ", text)
    return _WS.sub(" ", _CONTROL.sub(" ", html.unescape(without_tags))).strip()


def strip_accents(text: str) -> str:
    """The text with combining marks removed after NFKD decomposition, and ligatures folded."""
    if text.isascii():  # nothing to fold or decompose
        return text
    decomposed = unicodedata.normalize("NFKD", text.translate(_FOLD))
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def normalise_title(title: str) -> str:
    """The comparison form of a title: lowercase ASCII-ish words separated by single spaces.

    Folds markup, LaTeX commands and escapes (`\\&`, `{GAN}`), accents, dashes, case and punctuation.
    Hyphens become spaces, so "Audio-Visual" and "Audio Visual" are equal; a stray backslash from
    the list ("Audio-V\\visual") is dropped ("audio vvisual"), one edit away, which the fuzzy title
    score tolerates. Symbols go ("Kinect™", "360°", "🎵"), and a degree after a number ("360deg",
    "360-degree") folds into it, so "360° Video" = "360 Video". Idempotent.
    """
    text = clean_markup(title)
    text = _LATEX_CMD.sub(" ", text)
    text = text.replace("\\", "").replace("{", "").replace("}", "")
    if not text.isascii():
        text = "".join(" " if unicodedata.category(ch) == _SYMBOL_CATEGORY else ch for ch in text)
    # Lowercasing can create foldable letters ("Þ" -> "þ" -> "th"), so fold again to stay idempotent.
    text = strip_accents(strip_accents(text).lower())
    text = _NON_WORD.sub(" ", text.replace("_", " "))
    return _DEGREES.sub(r"\1", _WS.sub(" ", text).strip())


def squash(title: str) -> str:
    """The normalised title without any spaces: "Audio-Visual" == "Audiovisual" == "audio visual"."""
    return normalise_title(title).replace(" ", "")


# Unicode categories no writer prints: controls, format characters (zero-width, bidi marks), surrogates.
DROPPED_CATEGORIES = frozenset({"Cc", "Cf", "Cs"})


def clean_text(text: str) -> str:
    """Plain text ready for escaping: NFC, control and format characters dropped, whitespace collapsed."""
    if text.isascii() and text.isprintable():  # the common case, character by character below
        return " ".join(text.split())
    kept = "".join(
        " " if ch.isspace() else ch
        for ch in unicodedata.normalize("NFC", text)
        if ch.isspace() or unicodedata.category(ch) not in DROPPED_CATEGORIES
    )
    return " ".join(kept.split())


def heading_names(paths: Iterable[Iterable[str]]) -> list[str]:
    """The distinct clean heading names of these section paths, in order (a paper's keywords)."""
    names: list[str] = []
    for path in paths:
        for heading in path:
            name = clean_text(heading)
            if name and name not in names:
                names.append(name)
    return names


# A list's venue tag: "CVPR-2019", "ICASSP 2020", "NeurIPS'19" is not one (two-digit years stay venue text).
_VENUE_TAG = re.compile(r"^(?P<venue>.*?)[\s\-–_,']*(?P<year>(?:19|20)\d{2})$")


def parse_venue_tag(tag: str) -> tuple[str | None, int | None]:
    """Venue and year of a list tag: "CVPR-2019" -> ("CVPR", 2019); "2019" -> (None, 2019)."""
    tag = clean_markup(tag)
    match = _VENUE_TAG.match(tag)
    if match is None:
        return (tag or None), None
    return (match.group("venue").strip() or None), int(match.group("year"))
