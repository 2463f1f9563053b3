"""Tests for avenrich.inputs: local files, URLs (MockTransport and a loopback server), the bundled list."""

from __future__ import annotations

import contextlib
import logging
import os
import socket
import threading
import time
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx
import pytest

from avenrich import inputs
from avenrich.errors import InputError
from avenrich.inputs import (
    BUNDLED_ORIGIN,
    InputText,
    decode_text,
    detect_format,
    name_from_path,
    name_from_url,
    read_input,
)

MARKDOWN = "# My list\n\n## Speech\n\n* [A paper](https://arxiv.org/abs/1709.04343), 2017\n"
BIBTEX = "% a comment\n@article{k, title = {A paper}, year = 2017}\n"
TRICKLE_SECONDS = 3.0  # the loopback server gives up trickling after this long


# --- a loopback server that misbehaves on purpose --------------------------------------------------


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.0"

    def log_message(self, format: str, *args: object) -> None:
        """Silence the access log."""

    def do_GET(self) -> None:
        route = {
            "/list.md": self._list,
            "/trickle": self._trickle,
            "/slow-headers": self._slow_headers,
            "/endless": self._endless,
        }.get(self.path)
        if route is None:
            self.send_error(404, "Not Found")
            return
        with contextlib.suppress(BrokenPipeError, ConnectionResetError):
            route()

    def _list(self) -> None:
        body = MARKDOWN.encode()
        self.send_response(200)
        self.send_header("Content-Type", "text/markdown; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def _trickle(self) -> None:
        """Headers at once, then one byte every 50 ms: no read timeout ever fires."""
        self.send_response(200)
        self.send_header("Content-Length", "100000")
        self.end_headers()
        self.wfile.flush()
        stop = time.monotonic() + TRICKLE_SECONDS
        while time.monotonic() < stop:
            self.wfile.write(b"*")
            self.wfile.flush()
            time.sleep(0.05)

    def _slow_headers(self) -> None:
        """The status line, then header bytes one at a time: the response never starts."""
        stop = time.monotonic() + TRICKLE_SECONDS
        self.wfile.write(b"HTTP/1.0 200 OK\r\n")
        while time.monotonic() < stop:
            self.wfile.write(b"X")
            self.wfile.flush()
            time.sleep(0.05)

    def _endless(self) -> None:
        """A body with no length that goes on past any size cap."""
        self.send_response(200)
        self.end_headers()
        for _ in range(200):
            self.wfile.write(b"* [x](https://x.org/x)\n" * 100)


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request: object, client_address: object) -> None:
        """Clients that hang up are expected here."""


@pytest.fixture(scope="module")
def server() -> Iterator[str]:
    """Base URL of a ThreadingHTTPServer on 127.0.0.1."""
    httpd = _Server(("127.0.0.1", 0), _Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()


@pytest.fixture
def closed_port() -> int:
    """A local port where nothing listens."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _mock(routes: dict[str, httpx.Response]) -> httpx.MockTransport:
    """A transport answering by path; unknown paths give 404."""

    def handler(request: httpx.Request) -> httpx.Response:
        return routes.get(request.url.path, httpx.Response(404))

    return httpx.MockTransport(handler)


# --- bad inputs ------------------------------------------------------------------------------------

# Each case builds (source, keyword arguments) from the temporary folder, the server URL and a closed port.
Build = Callable[[Path, str, int], tuple[str, dict[str, object]]]


def _file(name: str, data: bytes, **kwargs: object) -> Build:
    def build(tmp: Path, server: str, port: int) -> tuple[str, dict[str, object]]:
        path = tmp / name
        path.write_bytes(data)
        return str(path), dict(kwargs)

    return build


def _source(source: str, **kwargs: object) -> Build:
    def build(tmp: Path, server: str, port: int) -> tuple[str, dict[str, object]]:
        return source.format(tmp=tmp, server=server, port=port), dict(kwargs)

    return build


BAD: list[tuple[str, Build, str]] = [
    ("missing file", _source("{tmp}/nope.md"), "no such file"),
    ("directory", _source("{tmp}"), "is a directory"),
    ("empty", _file("empty.md", b""), "empty"),
    ("whitespace only", _file("blank.md", b" \n\t\r\n"), "empty"),
    ("binary", _file("image.md", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR"), "binary data"),
    ("control characters", _file("controls.md", b"# T\n" + bytes(range(1, 9)) * 20), "binary data"),
    ("not UTF-8, undefined bytes", _file("latin.md", b"# T\n* [Caf\x81](https://x.org)\n"), "not UTF-8"),
    ("not UTF-8, mostly high bytes", _file("gbk.md", "# 视听学习\n".encode("gbk") * 40), "not UTF-8"),
    (
        "HTML page",
        _file("page.md", b"<!DOCTYPE html>\n<html><body><a href='x'>x</a></body></html>"),
        "HTML page",
    ),
    (
        "plain prose",
        _file("notes.md", b"Just some words.\nNo structure here.\n"),
        "neither Markdown nor BibTeX",
    ),
    ("too big", _file("big.md", MARKDOWN.encode() * 10, max_bytes=100), "over the 100-byte limit"),
    ("NUL in path", _source("{tmp}/a\x00b.md"), "not a usable file name"),
    ("file scheme", _source("file:///etc/passwd"), "unsupported scheme 'file'"),
    ("ftp scheme", _source("ftp://example.org/list.md"), "unsupported scheme 'ftp'"),
    ("javascript scheme", _source("javascript:alert(1)"), "unsupported scheme 'javascript'"),
    ("URL 404", _source("{server}/missing.md"), "HTTP 404"),
    ("URL refused", _source("http://127.0.0.1:{port}/list.md", timeout=2.0), "http://127.0.0.1:"),
    ("URL trickling body", _source("{server}/trickle", timeout=0.5), "no complete answer within 0.5 s"),
    (
        "URL trickling headers",
        _source("{server}/slow-headers", timeout=0.5),
        "no complete answer within 0.5 s",
    ),
    ("URL endless body", _source("{server}/endless", max_bytes=10_000), "over the 10000-byte limit"),
]


@pytest.mark.parametrize(("case", "build", "message"), BAD, ids=[case for case, _, _ in BAD])
def test_bad_inputs(tmp_path: Path, server: str, closed_port: int, case: str, build: Build, message: str) -> None:
    """Every unusable input raises InputError with one line that says what is wrong (how quickly: the refusals
    of benchmarks/run.py --operator)."""
    source, kwargs = build(tmp_path, server, closed_port)
    with pytest.raises(InputError) as raised:
        read_input(source, **kwargs)  # type: ignore[arg-type]
    assert message in str(raised.value)
    assert str(raised.value).isprintable()


@pytest.mark.skipif(os.name != "posix" or os.geteuid() == 0, reason="root reads files whatever their mode")
def test_unreadable_file(tmp_path: Path) -> None:
    """A file without read permission is an InputError."""
    path = tmp_path / "secret.md"
    path.write_text(MARKDOWN)
    path.chmod(0)
    with pytest.raises(InputError, match="permission denied"):
        read_input(str(path))


@pytest.mark.parametrize(
    ("routes", "url", "message"),
    [
        ({}, "https://example.org/list.md", "https://example.org/list.md: HTTP 404 Not Found"),
        ({"/list.md": httpx.Response(503)}, "https://example.org/list.md", "HTTP 503 Service Unavailable"),
        (
            {"/list.md": httpx.Response(302, headers={"Location": "/list.md"})},
            "https://example.org/list.md",
            "more than 5 redirects",
        ),
        (
            {"/list.md": httpx.Response(200, headers={"Content-Length": "999999999"}, content=b"# x")},
            "https://example.org/list.md",
            "999999999 bytes is over the 1000-byte limit",
        ),
        (
            {"/o/r/blob/main/README.md": httpx.Response(200, text="<!doctype html><html><head></head></html>")},
            "https://github.com/o/r/blob/main/README.md",
            "HTML page, not Markdown: use the raw file URL (https://raw.githubusercontent.com/o/r/main/README.md)",
        ),
        (
            {"/list.md": httpx.Response(301, headers={"Location": "ftp://example.org/list.md"})},
            "https://example.org/list.md",
            "https://example.org/list.md: ",
        ),
    ],
)
def test_bad_urls(routes: dict[str, httpx.Response], url: str, message: str) -> None:
    """HTTP errors, redirect loops, oversize answers and HTML pages are one-line InputErrors."""
    with pytest.raises(InputError) as raised:
        read_input(url, max_bytes=1000, transport=_mock(routes))
    assert message in str(raised.value)
    assert "\n" not in str(raised.value)


def test_transport_errors_are_input_errors() -> None:
    """A transport failure is reported with the URL, on one line."""

    def handler(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("Name or service not known\n(details)", request=request)

    with pytest.raises(InputError, match=r"^https://nowhere\.invalid/x\.md: Name or service not known \(details\)$"):
        read_input("https://nowhere.invalid/x.md", transport=httpx.MockTransport(handler))


# --- good inputs -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "data", "expected_format", "expected_name"),
    [
        ("list.md", MARKDOWN.encode(), "markdown", "list"),
        ("refs.bib", BIBTEX.encode(), "bibtex", "refs"),
        ("refs.txt", BIBTEX.encode(), "bibtex", "refs"),  # decided by content, not extension
        ("list.bib", MARKDOWN.encode(), "markdown", "list"),
        ("My List (v2).markdown", MARKDOWN.encode(), "markdown", "My-List-v2"),
        ("bom.md", b"\xef\xbb\xbf" + MARKDOWN.encode(), "markdown", "bom"),
        ("utf16.md", MARKDOWN.encode("utf-16"), "markdown", "utf16"),
    ],
)
def test_local_files(tmp_path: Path, name: str, data: bytes, expected_format: str, expected_name: str) -> None:
    """Local Markdown and BibTeX files are read, decoded and recognised from their content."""
    path = tmp_path / name
    path.write_bytes(data)
    found = read_input(str(path))
    assert (found.format, found.name, found.origin) == (expected_format, expected_name, str(path))
    assert not found.text.startswith("\ufeff")
    assert found.text.strip() in (MARKDOWN.strip(), BIBTEX.strip())


def test_readme_takes_its_folder_name(tmp_path: Path) -> None:
    """A local README is named after its folder (the repository of a clone)."""
    folder = tmp_path / "awesome-things"
    folder.mkdir()
    (folder / "README.md").write_text(MARKDOWN, encoding="utf-8")
    assert read_input(str(folder / "README.md")).name == "awesome-things"


def test_windows_1252_fallback(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    """Clean Windows-1252 text is read, with a logged warning and the encoding recorded."""
    path = tmp_path / "legacy.md"
    path.write_bytes("# Liste\n\n* [Caf\u00e9 \u2013 na\u00efve](https://x.org/a), 2019\n".encode("cp1252"))
    with caplog.at_level(logging.WARNING, logger="avenrich.inputs"):
        found = read_input(str(path))
    assert found.encoding == "cp1252"
    assert "Caf\u00e9 \u2013 na\u00efve" in found.text
    assert "not UTF-8" in caplog.text


def test_url_from_loopback_server(server: str) -> None:
    """An http URL is fetched; the name is the stem of its path."""
    found = read_input(f"{server}/list.md", timeout=5.0)
    assert found == InputText(name="list", text=MARKDOWN, format="markdown", origin=f"{server}/list.md")


def test_url_with_redirect_to_raw_readme() -> None:
    """Redirects are followed; a raw GitHub README is named after its repository."""
    url = "https://raw.githubusercontent.com/GeWu-Lab/awesome-audiovisual-learning/main/README.md"
    moved = "/GeWu-Lab/awesome-audiovisual-learning/refs/heads/main/README.md"
    transport = _mock(
        {
            "/GeWu-Lab/awesome-audiovisual-learning/main/README.md": httpx.Response(301, headers={"Location": moved}),
            moved: httpx.Response(200, text=MARKDOWN),
        }
    )
    found = read_input(url, transport=transport)
    assert (found.name, found.format, found.origin, found.text) == (
        "awesome-audiovisual-learning",
        "markdown",
        url,
        MARKDOWN,
    )


def test_bundled_list() -> None:
    """No source gives the bundled snapshot, whose origin matches data/ORIGIN.md."""
    found = read_input(None)
    assert (found.name, found.format, found.origin) == (
        "awesome-audiovisual-learning",
        "markdown",
        BUNDLED_ORIGIN,
    )
    assert found.text.startswith("# awesome-audiovisual-learning\n")
    origin_note = Path(inputs.__file__).with_name("data").joinpath("ORIGIN.md").read_text(encoding="utf-8")
    assert "GeWu-Lab/awesome-audiovisual-learning" in origin_note
    assert BUNDLED_ORIGIN.rsplit("@", 1)[1] in origin_note


# --- pure helpers ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("@article{k, title={x}}", "bibtex"),
        ("% Encoding: UTF-8\n\n@inproceedings{k,\n title = {x}\n}", "bibtex"),
        ("  @Misc ( k, title = {x} )", "bibtex"),
        ("@comment{jabref-meta: x}\n@article{k,}", "bibtex"),
        ("This file was exported by a tool.\n\n@article{k, title={x}}", "bibtex"),
        ("* [A](https://x.org/a)", "markdown"),
        ("# Title\n\nSome text.", "markdown"),
        ("Intro\n\n- item", "markdown"),
        ("1. first", "markdown"),
        ("See <https://x.org/a>.", "markdown"),
        ("[a]: https://x.org/a", "markdown"),
        ("Contact me @user{x} or see [A](https://x.org/a)", "markdown"),
    ],
)
def test_detect_format(text: str, expected: str) -> None:
    """The format comes from the content."""
    assert detect_format(text) == expected


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("<!DOCTYPE html>\n<html></html>", "is an HTML page"),
        ("<!-- saved page -->\n<html lang='en'><body></body></html>", "is an HTML page"),
        ("  <HTML>\n<body>[A](https://x.org)</body>", "is an HTML page"),
        ("plain words only", "neither Markdown nor BibTeX"),
        ("<p>a paragraph of html</p>", "neither Markdown nor BibTeX"),
    ],
)
def test_detect_format_refuses(text: str, message: str) -> None:
    """HTML pages and text with no Markdown or BibTeX structure are refused."""
    with pytest.raises(InputError, match=message):
        detect_format(text)


def test_decode_text_reports_the_bad_byte() -> None:
    """The refusal of non-UTF-8 data names the first bad byte and its offset."""
    with pytest.raises(InputError, match=r"not UTF-8 text \(byte 0x81 at offset 2\)"):
        decode_text(b"ab\x81\x8d")


@pytest.mark.parametrize(
    ("url", "name"),
    [
        (
            "https://raw.githubusercontent.com/GeWu-Lab/awesome-audiovisual-learning/main/README.md",
            "awesome-audiovisual-learning",
        ),
        ("https://raw.githubusercontent.com/o/r/refs/heads/main/readme.markdown", "r"),
        ("https://raw.githubusercontent.com/o/r/main/docs/papers.md", "papers"),
        ("https://example.org/lists/my%20list.md?raw=1", "my-list"),
        ("https://example.org/README.md", "README"),
        ("https://example.org/", "example.org"),
    ],
)
def test_name_from_url(url: str, name: str) -> None:
    """Output names from URLs."""
    assert name_from_url(url) == name


@pytest.mark.parametrize(
    ("path", "name"),
    [
        (Path("lists/papers.md"), "papers"),
        (Path("refs.bib"), "refs"),
        (Path("some dir/README.md"), "some-dir"),
        (Path("..."), "input"),
    ],
)
def test_name_from_path(path: Path, name: str) -> None:
    """Output names from paths."""
    assert name_from_path(path) == name
