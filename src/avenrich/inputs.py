"""Reading the input list (edge: disk and network): a local file, an http(s) URL, or the bundled snapshot.

Every problem with the input becomes an InputError with a one-line message; the format (Markdown or
BibTeX) is decided from the content, not from the file name.
"""

from __future__ import annotations

import logging
import re
import threading
import time
import unicodedata
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Literal
from urllib.parse import unquote, urlsplit

from avenrich import __version__
from avenrich.errors import InputError

if TYPE_CHECKING:
    import httpx

Format = Literal["markdown", "bibtex"]

BUNDLED_NAME = "awesome-audiovisual-learning"
BUNDLED_RESOURCE = ("data", "awesome-audiovisual-learning.md")
BUNDLED_ORIGIN = "bundled snapshot GeWu-Lab/awesome-audiovisual-learning@703735e"
BUNDLED_UPSTREAM = "https://raw.githubusercontent.com/GeWu-Lab/awesome-audiovisual-learning/main/README.md"
LAST_GOOD_SUFFIX = "input.txt"  # NAME.input.txt beside the outputs: the last good copy of an input URL
MAX_REDIRECTS = 5

_log = logging.getLogger(__name__)
_SCHEME = re.compile(r"^([A-Za-z][A-Za-z0-9+.\-]+):")


@dataclass(frozen=True, slots=True)
class InputText:
    """The decoded text of the input, with its name (output file stem), format and origin.

    `encoding` is "utf-8" unless the file was not UTF-8 and was read as Windows-1252 (see decode_text).
    """

    name: str
    text: str
    format: Format
    origin: str
    encoding: str = "utf-8"


def read_input(
    source: str | None,
    *,
    max_bytes: int = 20_000_000,
    timeout: float = 30.0,
    transport: httpx.BaseTransport | None = None,
) -> InputText:
    """The input named by `source`: None for the bundled list, an http(s) URL, or a local path.

    Raises InputError (one line) when the input is missing, unreadable, empty, binary, too large
    (over `max_bytes`), not decodable, an HTML page, or neither Markdown nor BibTeX. A URL fetch must
    complete within `timeout` seconds in total, whatever the server does.
    """
    try:
        return _read(source, max_bytes, timeout, transport)
    except InputError as exc:
        message = str(exc)
        shown = "".join(ch if ch.isprintable() else repr(ch)[1:-1] for ch in message)
        if shown == message:
            raise
        raise InputError(shown) from None  # a path or URL with control characters: keep it one line


def _read(source: str | None, max_bytes: int, timeout: float, transport: httpx.BaseTransport | None) -> InputText:
    if source is None:
        data = resources.files("avenrich").joinpath(BUNDLED_RESOURCE[0]).joinpath(BUNDLED_RESOURCE[1]).read_bytes()
        return _make(BUNDLED_NAME, data, BUNDLED_ORIGIN, BUNDLED_NAME)
    if (scheme := _SCHEME.match(source)) and not _exists(source):
        if scheme.group(1).lower() not in ("http", "https"):
            raise InputError(f"{source}: unsupported scheme {scheme.group(1)!r}; give a local path or an http(s) URL")
        data = fetch_bytes(source, max_bytes=max_bytes, timeout=timeout, transport=transport)
        return _make(name_from_url(source), data, source, source)
    return _make(name_from_path(Path(source)), _read_file(Path(source), max_bytes), source, source)


def is_url(source: str) -> bool:
    """Whether `read_input` would fetch `source` over http(s) (an existing local path wins)."""
    return bool(re.match(r"https?://", source, re.IGNORECASE)) and not _exists(source)


def _exists(source: str) -> bool:
    try:
        return Path(source).exists()
    except (OSError, ValueError):
        return False


def _make(name: str, data: bytes, origin: str, label: str) -> InputText:
    text, encoding = decode_text(data, label)
    return InputText(name=name, text=text, format=detect_format(text, label), origin=origin, encoding=encoding)


def _read_file(path: Path, max_bytes: int) -> bytes:
    if "\x00" in str(path):
        raise InputError(f"{path}: not a usable file name")
    try:
        if not path.exists():
            raise InputError(f"{path}: no such file")
        if path.is_dir():
            raise InputError(f"{path}: is a directory, not a Markdown or BibTeX file")
        if not path.is_file():
            raise InputError(f"{path}: not a regular file")
        size = path.stat().st_size
        if size > max_bytes:
            raise InputError(f"{path}: {size} bytes is over the {max_bytes}-byte limit")
        with path.open("rb") as handle:
            data = handle.read(max_bytes + 1)
    except PermissionError:
        raise InputError(f"{path}: permission denied") from None
    except OSError as exc:
        raise InputError(f"{path}: cannot read: {exc.strerror or exc}") from None
    if len(data) > max_bytes:
        raise InputError(f"{path}: over the {max_bytes}-byte limit")
    return data


# --- network ---------------------------------------------------------------------------------------


def fetch_bytes(url: str, *, max_bytes: int, timeout: float, transport: httpx.BaseTransport | None = None) -> bytes:
    """The body of `url` (redirects followed, at most MAX_REDIRECTS), or InputError.

    The fetch runs in a daemon thread that the caller waits on for at most `timeout` seconds, so that
    no server behaviour (slow DNS, headers or body trickled byte by byte) can hold the run longer;
    inside it, httpx's connect/read timeouts and the body's size cap apply as well.
    """
    outcome: dict[str, bytes | InputError] = {}
    cancelled = threading.Event()

    def work() -> None:
        try:
            outcome["body"] = _fetch(url, max_bytes, timeout, transport, cancelled)
        except InputError as exc:
            outcome["error"] = exc

    worker = threading.Thread(target=work, name="avenrich-fetch-input", daemon=True)
    worker.start()
    worker.join(timeout)
    if worker.is_alive():
        cancelled.set()
        raise InputError(f"{url}: no complete answer within {timeout:g} s")
    result = outcome.get("body", outcome.get("error"))
    if isinstance(result, InputError):
        raise result
    if result is None:  # the worker died of something that is not an InputError
        raise InputError(f"{url}: the download failed")
    return result


def _fetch(
    url: str,
    max_bytes: int,
    timeout: float,
    transport: httpx.BaseTransport | None,
    cancelled: threading.Event,
) -> bytes:
    import httpx  # here, not at the top: refusing a local input must not wait for it (~0.1-0.5 s)

    deadline = time.monotonic() + timeout
    limits = httpx.Timeout(timeout, connect=min(timeout, 10.0))
    headers = {"User-Agent": f"avenrich/{__version__} (input reader)"}
    try:
        with (
            httpx.Client(
                transport=transport,
                follow_redirects=True,
                max_redirects=MAX_REDIRECTS,
                timeout=limits,
                headers=headers,
            ) as client,
            client.stream("GET", url) as response,
        ):
            if response.status_code >= 400:
                raise InputError(f"{url}: HTTP {response.status_code} {response.reason_phrase}".rstrip())
            declared = response.headers.get("content-length", "")
            if declared.isdigit() and int(declared) > max_bytes:
                raise InputError(f"{url}: {declared} bytes is over the {max_bytes}-byte limit")
            chunks: list[bytes] = []
            size = 0
            for chunk in response.iter_bytes():
                size += len(chunk)
                if size > max_bytes:
                    raise InputError(f"{url}: over the {max_bytes}-byte limit")
                if cancelled.is_set() or time.monotonic() > deadline:
                    raise InputError(f"{url}: no complete answer within {timeout:g} s")
                chunks.append(chunk)
            return b"".join(chunks)
    except httpx.TooManyRedirects:
        raise InputError(f"{url}: more than {MAX_REDIRECTS} redirects") from None
    except httpx.TimeoutException:
        raise InputError(f"{url}: timed out after {timeout:g} s") from None
    except httpx.HTTPError as exc:
        detail = " ".join(str(exc).split()) or type(exc).__name__
        raise InputError(f"{url}: {detail}") from None


# --- names -----------------------------------------------------------------------------------------


def _safe_name(name: str) -> str:
    return re.sub(r"[^\w.\-]+", "-", name).strip("-.") or "input"


def name_from_path(path: Path) -> str:
    """The output name for a local file: its stem, or its folder's name for a README."""
    if path.stem.lower() == "readme":
        return _safe_name(path.resolve().parent.name)
    return _safe_name(path.stem)


def default_name(source: str | None) -> str:
    """The output name `read_input` gives a source (bundled list, URL or path), without reading it."""
    if source is None:
        return BUNDLED_NAME
    if "://" in source:
        return name_from_url(source)
    return name_from_path(Path(source).expanduser())


def name_from_url(url: str) -> str:
    """The output name for a URL: the stem of its path, or the repository for a raw GitHub README."""
    parts = urlsplit(url)
    segments = [unquote(s) for s in parts.path.split("/") if s]
    stem = Path(segments[-1]).stem if segments else ""
    is_github_raw = (parts.hostname or "").lower() == "raw.githubusercontent.com"
    if stem.lower() == "readme" and is_github_raw and len(segments) >= 3:
        return _safe_name(segments[1])
    return _safe_name(stem or (parts.hostname or ""))


# --- decoding and format ---------------------------------------------------------------------------

_CONTROL_SHARE = 0.01  # more control characters than this share of the text means binary


def decode_text(data: bytes, label: str = "input") -> tuple[str, str]:
    """(text, encoding) of input bytes, or InputError for empty, binary or undecodable data.

    UTF-8 (a BOM is dropped) and UTF-16 with a BOM are read as such. Other bytes are read as
    Windows-1252 only when that yields clean text (no undefined bytes, no control characters, mostly
    ASCII); a warning is logged, since the list's titles may then be wrong. Anything else is refused.
    """
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            text, encoding = data.decode("utf-16"), "utf-16"
        except UnicodeDecodeError:
            raise InputError(f"{label}: not valid UTF-16 text despite its byte-order mark") from None
    else:
        if b"\x00" in data:
            raise InputError(f"{label}: binary data (NUL bytes), not a Markdown or BibTeX file")
        try:
            text, encoding = data.decode("utf-8-sig"), "utf-8"
        except UnicodeDecodeError as exc:
            text, encoding = _legacy_text(data, label, exc), "cp1252"
    if not text.strip():
        raise InputError(f"{label}: empty")
    controls = sum(1 for ch in text if unicodedata.category(ch) == "Cc" and ch not in "\t\n\r\f\v")
    if controls > _CONTROL_SHARE * len(text):
        raise InputError(f"{label}: binary data (control characters), not a Markdown or BibTeX file")
    return text, encoding


def _legacy_text(data: bytes, label: str, error: UnicodeDecodeError) -> str:
    refusal = InputError(
        f"{label}: not UTF-8 text (byte 0x{data[error.start]:02x} at offset {error.start}); save it as UTF-8"
    )
    try:
        text = data.decode("cp1252")
    except UnicodeDecodeError:
        raise refusal from None
    non_ascii = sum(1 for ch in text if ord(ch) > 127)
    if any(unicodedata.category(ch) == "Cc" and ch not in "\t\n\r\f\v" for ch in text) or non_ascii > 0.1 * len(text):
        raise refusal
    _log.warning("%s is not UTF-8; read it as Windows-1252", label)
    return text


_BIBTEX_START = re.compile(r"^@\s*[A-Za-z]+\s*[{(]")
_HTML_START = re.compile(r"^(?:<!--.*?-->\s*)*<(?:!doctype\s+html|html)[\s>]", re.IGNORECASE | re.DOTALL)
_MARKDOWN_SIGNS = (
    re.compile(r"\[[^\]\n]*\]\([^)\s]+"),  # an inline link
    re.compile(r"^\s{0,3}#{1,6}\s+\S", re.MULTILINE),  # an ATX heading
    re.compile(r"^\s{0,3}[-*+]\s+\S", re.MULTILINE),  # a bullet item
    re.compile(r"^\s{0,3}\d{1,9}[.)]\s+\S", re.MULTILINE),  # a numbered item
    re.compile(r"^\s{0,3}\[[^\]\n]+\]:\s*\S", re.MULTILINE),  # a reference definition
    re.compile(r"<https?://[^>\s]+>"),  # an autolink
)


def detect_format(text: str, label: str = "input") -> Format:
    """ "bibtex" or "markdown", decided from the content; InputError for HTML pages and anything else.

    BibTeX: the first line that is neither blank nor a `%` comment opens an entry (`@type{`), or the text
    has no Markdown structure but has lines opening entries. Markdown: at least one link, heading, list
    item, reference definition or autolink.
    """
    stripped = text.lstrip("\ufeff \t\r\n")
    if _HTML_START.match(stripped):
        raise InputError(f"{label} is an HTML page, not Markdown: use the raw file URL{_raw_hint(label)}")
    first = next((line.strip() for line in text.splitlines() if line.strip() and not line.lstrip().startswith("%")), "")
    if _BIBTEX_START.match(first):
        return "bibtex"
    if any(sign.search(text) for sign in _MARKDOWN_SIGNS):
        return "markdown"
    if any(_BIBTEX_START.match(line.strip()) for line in text.splitlines()):
        return "bibtex"
    raise InputError(f"{label}: neither Markdown nor BibTeX (no links, headings, lists or @entries)")


def _raw_hint(label: str) -> str:
    """For a github.com blob URL, the matching raw.githubusercontent.com URL in parentheses."""
    match = re.match(r"^https?://(?:www\.)?github\.com/([^/]+)/([^/]+)/blob/(.+)$", label)
    if match is None:
        return " (e.g. raw.githubusercontent.com for GitHub files)"
    owner, repo, rest = match.groups()
    return f" (https://raw.githubusercontent.com/{owner}/{repo}/{rest})"
