"""Bad input through the CLI entry point: each case either gives correct outputs or exactly one clear line
on stderr and a non-zero exit (2 unusable input, 3 outputs not writable), never a traceback or a hang, and
the previous outputs stay untouched. Runs are offline (no service needed) unless the case is a URL.
"""

from __future__ import annotations

import json
import random
import re
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import Any

import bibtexparser
import pytest

from avenrich import inputs
from avenrich.errors import InputError
from avenrich.inputs import read_input
from avenrich.keys import assign_keys
from avenrich.model import Ids, Link, Record, Resolution
from helpers import (
    SAMPLE,
    InputServer,
    assert_outputs_valid,
    in_process_cli,
    read_outputs,
    send,
    trickle,
)

pytestmark = pytest.mark.prefect

MAX_BYTES = 20_000_000  # inputs.read_input's cap
PREV = "prev"  # every refused case runs with --name prev over a copy of a previous good run's outputs
Cli = Callable[..., tuple[int, str]]


# -- fixtures ----------------------------------------------------------------------------------------


@pytest.fixture()
def cli(prefect_harness: None, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> Iterator[Cli]:
    with in_process_cli(monkeypatch.setenv, lambda: capsys.readouterr().err) as run:
        yield run


@pytest.fixture(scope="module")
def server() -> Iterator[InputServer]:
    """Input URLs: a list, a 404, an HTML page, bodies over the size cap, and one that never ends."""
    markdown = SAMPLE.read_bytes()
    html = b"<!DOCTYPE html>\n<html><head><title>list</title></head><body><a href='x'>x</a></body></html>\n"

    def body(status: int, data: bytes, kind: str) -> Callable[[BaseHTTPRequestHandler], None]:
        return lambda handler: send(handler, status, data, kind)

    def declared_huge(handler: BaseHTTPRequestHandler) -> None:
        handler.send_response(200)
        handler.send_header("Content-Type", "text/markdown")
        handler.send_header("Content-Length", str(50_000_000))
        handler.end_headers()
        handler.wfile.write(b"# big\n" * 1000)

    def streamed_huge(handler: BaseHTTPRequestHandler) -> None:
        handler.send_response(200)
        handler.send_header("Content-Type", "text/markdown")
        handler.send_header("Transfer-Encoding", "chunked")
        handler.end_headers()
        chunk = b"* [A paper](https://example.org/p), 2020\n" * 25_000  # ~1 MB
        for _ in range(25):
            handler.wfile.write(b"%x\r\n%s\r\n" % (len(chunk), chunk))
        handler.wfile.write(b"0\r\n\r\n")

    routes: dict[str, Callable[[BaseHTTPRequestHandler], None]] = {
        "/lists/good-list.md": body(200, markdown, "text/markdown"),
        "/missing.md": body(404, b"404: Not Found", "text/plain"),
        "/page.html": body(200, html, "text/html"),
        "/declared-huge.md": declared_huge,
        "/streamed-huge.md": streamed_huge,
    }
    with InputServer(routes) as running:
        running.routes["/never-ends.md"] = trickle(running.stop)
        yield running


@pytest.fixture(scope="module")
def previous(tmp_path_factory: pytest.TempPathFactory) -> dict[str, bytes]:
    """A previous good run's outputs under the name `prev` (the sample, offline, so all unresolved)."""
    from _pytest.monkeypatch import MonkeyPatch

    out = tmp_path_factory.mktemp("previous")
    patch = MonkeyPatch()
    try:
        with in_process_cli(patch.setenv, lambda: "") as run:
            code, _ = run(
                "--input",
                str(SAMPLE),
                "--out",
                str(out),
                "--cache-dir",
                str(out / "c"),
                "--offline",
                "--name",
                PREV,
                "-q",
            )
    finally:
        patch.undo()
    assert code == 0
    return read_outputs(out, PREV)


def restore(previous: dict[str, bytes], out: Path) -> None:
    out.mkdir(parents=True, exist_ok=True)
    for suffix, data in previous.items():
        (out / f"{PREV}.{suffix}").write_bytes(data)


# -- refused inputs ----------------------------------------------------------------------------------


def write(name: str, data: bytes) -> Callable[[Path, InputServer], str]:
    def make(tmp: Path, _server: InputServer) -> str:
        path = tmp / name
        path.write_bytes(data)
        return str(path)

    return make


def url(path: str) -> Callable[[Path, InputServer], str]:
    return lambda _tmp, server: server.url(path)


def literal(text: str) -> Callable[[Path, InputServer], str]:
    return lambda _tmp, _server: text


def fifty_megabytes(tmp: Path, _server: InputServer) -> str:
    path = tmp / "huge.md"
    line = b"* [Audio-Visual Paper Number Something](https://arxiv.org/abs/1709.04343), 2017\n"
    with path.open("wb") as handle:
        handle.write(b"# Huge\n\n")
        handle.write(line * (50_000_000 // len(line) + 1))
    return str(path)


def binary(seed: int, nul: bool) -> bytes:
    rng = random.Random(seed)
    data = bytes(rng.randrange(256) for _ in range(4096))
    return b"\x89PNG\r\n\x1a\n" + data if nul else data.replace(b"\x00", b"\x01")


REFUSED = [
    ("missing file", lambda tmp, _s: str(tmp / "no-such-list.md"), "no such file"),
    ("a directory", lambda tmp, _s: str(tmp), "directory"),
    ("empty file", write("empty.md", b""), "empty"),
    ("binary with NUL bytes", write("image.md", binary(1, nul=True)), "binary"),
    ("binary without NUL bytes", write("noise.md", binary(2, nul=False)), "not UTF-8"),
    (
        "non-UTF-8 text",
        write("sjis.md", "# 論文\n\n* [視聴覚学習](https://example.org/a)\n".encode("shift_jis")),
        "not UTF-8",
    ),
    ("a 50 MB Markdown file", fifty_megabytes, f"over the {MAX_BYTES}-byte limit"),
    (
        "an HTML file",
        write("page.md", b"<!doctype html>\n<html><body><a href='https://x.org'>x</a></body></html>"),
        "HTML page",
    ),
    (
        "prose without links",
        write("prose.md", b"Just some words about papers.\nNothing else here.\n"),
        "neither Markdown nor BibTeX",
    ),
    (
        "BibTeX that is all syntax errors",
        write("broken.bib", b"@article{a, title={Unclosed, year=2019\n@book{b,"),
        "no usable BibTeX entry",
    ),
    (
        "lists nested 3000 levels deep",
        write("deep.md", b"".join(b"  " * d + b"- [P](https://example.org/p%d)\n" % d for d in range(3000))),
        "nested too deeply",
    ),
    ("a URL answering 404", url("/missing.md"), "HTTP 404"),
    ("a URL serving HTML", url("/page.html"), "HTML page"),
    ("a URL declaring 50 MB", url("/declared-huge.md"), "over the"),
    ("a URL streaming over 20 MB", url("/streamed-huge.md"), "over the"),
    ("an ftp URL", literal("ftp://127.0.0.1/list.md"), "unsupported scheme"),
    ("a file URL", literal("file:///etc/hosts"), "unsupported scheme"),
    ("a javascript: input", literal("javascript:alert(1)"), "unsupported scheme"),
]


@pytest.mark.parametrize(("make", "message"), [pytest.param(m, msg, id=i) for i, m, msg in REFUSED])
def test_unusable_input_is_one_line_exit_2_and_the_previous_outputs_stay(
    make: Callable[[Path, InputServer], str],
    message: str,
    cli: Cli,
    server: InputServer,
    previous: dict[str, bytes],
    tmp_path: Path,
) -> None:
    """Refused with exit 2 and one line saying why, without touching the previous outputs (offline, except for
    URLs: --offline never fetches one). How quickly is measured in benchmarks/run.py --operator."""
    source = make(tmp_path, server)
    out = tmp_path / "out"
    restore(previous, out)
    offline = [] if source.startswith("http") else ["--offline"]
    code, err = cli(
        "--input", source, "--out", str(out), "--cache-dir", str(tmp_path / "c"), *offline, "--name", PREV, "-q"
    )
    assert code == 2
    assert one_line(err) and message in err, err
    assert read_outputs(out, PREV) == previous


def one_line(stderr: str) -> bool:
    lines = [line for line in stderr.splitlines() if line.strip()]
    return len(lines) == 1 and lines[0].startswith("avenrich: ") and "Traceback" not in stderr


def test_an_input_url_that_never_ends_is_cut_at_the_deadline(server: InputServer) -> None:
    """A server trickling one byte every 50 ms forever: the fetch gives up at its deadline with one line."""
    with pytest.raises(InputError, match="no complete answer within 1 s"):  # said only when the deadline cut it
        read_input(server.url("/never-ends.md"), timeout=1.0)
    defaults = inputs.read_input.__kwdefaults__ or {}
    assert defaults["timeout"] <= 30, "the CLI's fetch has a deadline of at most 30 s"


def test_the_cli_does_not_hang_on_an_input_url_that_never_ends(
    cli: Cli, server: InputServer, previous: dict[str, bytes], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Through the CLI (the fetch deadline shortened from 30 s to 1 s for the test): exit 2, one line, no hang,
    the previous outputs untouched."""
    monkeypatch.setitem(inputs.read_input.__kwdefaults__ or {}, "timeout", 1.0)
    out = tmp_path / "out"
    restore(previous, out)
    code, err = cli(
        "--input",
        server.url("/never-ends.md"),
        "--out",
        str(out),
        "--cache-dir",
        str(tmp_path / "c"),
        "--name",
        PREV,
        "-q",
    )
    assert code == 2 and one_line(err) and "no complete answer within 1 s" in err, err
    assert read_outputs(out, PREV) == previous


def test_outputs_under_a_regular_file_are_exit_3(cli: Cli, tmp_path: Path) -> None:
    """--out below a regular file (root may write anywhere else): exit 3 with one line."""
    (tmp_path / "somefile").write_text("not a directory\n", encoding="utf-8")
    code, err = cli(
        "--input",
        str(SAMPLE),
        "--out",
        str(tmp_path / "somefile" / "sub"),
        "--cache-dir",
        str(tmp_path / "c"),
        "--offline",
        "-q",
    )
    assert code == 3
    assert one_line(err) and "somefile" in err, err


# -- inputs that must give correct outputs -----------------------------------------------------------


@dataclass(frozen=True)
class Accepted:
    """An input that must be enriched: its file name and bytes, and the checks on the catalogue."""

    name: str
    data: bytes
    check: Callable[[dict[str, Any], Path], None]


def urls(doc: dict[str, Any]) -> list[str]:
    return [entry["url"] for entry in doc["entries"]]


def check_links(doc: dict[str, Any], _out: Path) -> None:
    assert urls(doc) == [
        "https://example.org/a b.pdf",
        "https://en.wikipedia.org/wiki/Foo_(bar)",
        "https://example.org/x",
        'https://example.org/it\'s"q"',
        "https://arxiv.org/abs/1709.04343",
    ], "http(s) links kept as written; javascript:, data:, mailto: and relative links are not papers"
    assert doc["entries"][4]["ids"]["arxiv"] == "1709.04343"


LINKS = b"""# Links

* [Spaces](<https://example.org/a b.pdf>), 2019
* [Parentheses](https://en.wikipedia.org/wiki/Foo_(bar)), 2019
* [Quoted title](https://example.org/x "the title"), 2019
* [Quotes](https://example.org/it's"q"), 2019
* [Script](javascript:alert(document.cookie)), 2019
* [Data](data:text/html,<b>x</b>), 2019
* [Mail](mailto:someone@example.org)
* [Relative](../other.md)
* [End-To-End Audiovisual Fusion With LSTMs](https://arxiv.org/abs/1709.04343), 2017
"""

NASTY_TITLES = [
    "Braces } { unbalanced",
    "At @misc{x, y} sign",
    "Percent 100% sure",
    "Back\\slash \\textbf{bold} \\\\ twice",
    "Hash #1 tag",
    "Bell \x07 escape \x1b and \x01 controls",
    "Tab\tand\x0bvertical",
    "Every }{@%\\#~^&$_ one",
    "Comment % @inproceedings{evil, title={x}}",
]


CONTROL = re.compile(r"[\x00-\x08\x0b\x0e-\x1f\x7f]|\\u00[01]|\\u007f")  # raw, or escaped in JSON


def check_titles(doc: dict[str, Any], out: Path) -> None:
    assert len(doc["entries"]) == len(NASTY_TITLES)
    bib = (out / "nasty.bib").read_text(encoding="utf-8")
    library = bibtexparser.parse_string(bib)
    assert library.failed_blocks == [] and len(library.entries) == len(NASTY_TITLES)
    for path in out.glob("nasty.*"):
        if path.suffix.startswith(".sqlite"):  # the state database (binary), not an output text
            continue
        text = path.read_text(encoding="utf-8")
        assert not CONTROL.search(text), f"control characters in {path.name}"
    # As Markdown reads them (`\\` and `\#` are escapes), control characters blanked out.
    assert [entry["title"] for entry in doc["entries"]] == [
        "Braces } { unbalanced",
        "At @misc{x, y} sign",
        "Percent 100% sure",
        "Back\\slash \\textbf{bold} \\ twice",
        "Hash #1 tag",
        "Bell escape and controls",
        "Tab and vertical",
        "Every }{@%#~^&$_ one",
        "Comment % @inproceedings{evil, title={x}}",
    ]


def check_nesting(doc: dict[str, Any], _out: Path) -> None:
    assert len(doc["entries"]) == 60 + 12 + 40, "every link, at any depth"
    by_url = {entry["url"]: entry for entry in doc["entries"]}
    assert by_url["https://example.org/h11"]["sections"][-1] == "H11"


def check_cp1252(doc: dict[str, Any], _out: Path) -> None:
    assert doc["entries"][0]["title"] == "Café society: a résumé of audio–visual learning"


def check_bibtex(doc: dict[str, Any], _out: Path) -> None:
    assert urls(doc) == ["https://doi.org/10.1000/good.1", "https://example.org/good2"]


NESTED = (
    "# Deep\n\n"
    + "".join("  " * d + f"- [Paper {d}](https://example.org/p{d})\n" for d in range(60))
    + "\n"
    + "".join("#" * min(d + 1, 6) + f" H{d}\n\n* [In H{d}](https://example.org/h{d})\n\n" for d in range(12))
    + "".join(">" * d + f" [Quoted {d}](https://example.org/q{d})\n\n" for d in range(1, 41))
).encode()

BIBTEX = b"""@article{good1, title={A Good Paper}, year={2019}, doi={10.1000/good.1}}
@article{broken, title={Unclosed brace, year=2019
@misc{good2, title={Another Good One}, year={2020}, url={https://example.org/good2}}
"""

ACCEPTED = [
    Accepted("links.md", LINKS, check_links),
    Accepted(
        "nasty.md",
        (
            "# Nasty\n\n" + "".join(f"* [{t}](https://example.org/n{i}), 2019\n" for i, t in enumerate(NASTY_TITLES))
        ).encode(),
        check_titles,
    ),
    Accepted("nested.md", NESTED, check_nesting),
    Accepted(
        "legacy.md",
        "# L\n\n* [Café society: a résumé of audio–visual learning](https://example.org/c), 2020\n".encode("cp1252"),
        check_cp1252,
    ),
    Accepted("refs.bib", BIBTEX, check_bibtex),
]


@pytest.mark.parametrize("case", [pytest.param(c, id=c.name) for c in ACCEPTED])
def test_odd_but_usable_input_gives_correct_valid_outputs(case: Accepted, cli: Cli, tmp_path: Path) -> None:
    """Exit 0 and outputs that validate (schema, bibtexparser), with exactly the links the input holds."""
    path = tmp_path / case.name
    path.write_bytes(case.data)
    out = tmp_path / "out"
    code, err = cli("--input", str(path), "--out", str(out), "--cache-dir", str(tmp_path / "c"), "--offline", "-q")
    assert code == 0, err
    assert "Traceback" not in err
    doc = assert_outputs_valid(out, path.stem)
    case.check(doc, out)
    if case.name == "refs.bib":
        assert "skipped a BibTeX block" in err and "line 2" in err, "the broken entry is reported"
    if case.name == "legacy.md":
        assert "Windows-1252" in err, "the guessed encoding is reported"


def test_an_input_url_gives_outputs_named_after_it(cli: Cli, server: InputServer, tmp_path: Path) -> None:
    """A Markdown list served over HTTP is read and named after the URL's file stem."""
    out = tmp_path / "out"
    code, err = cli(
        "--input",
        server.url("/lists/good-list.md"),
        "--out",
        str(out),
        "--cache-dir",
        str(tmp_path / "c"),
        "-q",
    )
    assert code == 0, err
    assert len(assert_outputs_valid(out, "good-list")["entries"]) == 12


# -- size --------------------------------------------------------------------------------------------


def big_list(n: int) -> str:
    lines = ["# Big list", ""]
    for section in range(n // 1000):
        lines.append(f"## Section {section}")
        for i in range(1000):
            k = section * 1000 + i
            url = (
                f"https://arxiv.org/abs/{1500 + k % 900:04d}.{k:05d}",
                f"https://doi.org/10.{1000 + k % 50}/x{k}",
                f"https://example.org/paper/{k}",
            )[k % 3]
            lines.append(f"* [Paper number {k} about audio visual learning]({url}), {2000 + k % 24}")
    return "\n".join(lines) + "\n"


def test_a_list_of_ten_thousand_links_is_complete(cli: Cli, tmp_path: Path) -> None:
    """10,000 links offline with an empty cache: every link once, distinct keys (its time is measured in
    benchmarks/run.py)."""
    path = tmp_path / "big.md"
    path.write_text(big_list(10_000), encoding="utf-8")
    out = tmp_path / "out"
    code, err = cli("--input", str(path), "--out", str(out), "--cache-dir", str(tmp_path / "c"), "--offline", "-q")
    assert code == 0, err
    doc = json.loads((out / "big.json").read_text(encoding="utf-8"))
    assert len(doc["entries"]) == len({e["url"] for e in doc["entries"]}) == 10_000
    assert len({e["key"] for e in doc["entries"]}) == 10_000
    assert (out / "big.bib").read_text(encoding="utf-8").count("\n@") + 1 >= 10_000


def test_key_minting_stays_linear_when_many_papers_share_a_base(tmp_path: Path) -> None:
    """30,000 records whose keys all start as `paper2020number`: minted in seconds (regression: a set union
    per paper and a suffix scan from "a" each time made this take minutes)."""
    records = [
        Record(
            link=Link(url=f"https://example.org/{i}", title=f"Paper number {i}", year=2020),
            ids=Ids(),
            title="Paper number",
            year=2020,
            resolution=Resolution("unresolved", "none", 0.0, "test"),
        )
        for i in range(30_000)
    ]
    started = time.monotonic()
    keys, _registry = assign_keys(records, {})
    assert time.monotonic() - started < 10
    assert len(set(keys.values())) == 30_000
    assert {"paper2020number", "paper2020numbera", "paper2020numberaa"} <= set(keys.values())
