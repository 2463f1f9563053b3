"""Command line (edge): argparse → flow parameters → run the flow; errors become one stderr line.

Exit codes: 0 the run completed (unresolved entries included); 2 unusable input or arguments; 3 the outputs
could not be written; 4 the run completed but a source was unavailable and --fail-on-degraded was given;
1 an unexpected internal error; 130 interrupted.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from avenrich import __version__
from avenrich.errors import AvenrichError, InputError, OutputError

EXIT_OK, EXIT_INTERNAL, EXIT_INPUT, EXIT_OUTPUT, EXIT_DEGRADED, EXIT_INTERRUPTED = 0, 1, 2, 3, 4, 130

UPSTREAM = "https://raw.githubusercontent.com/GeWu-Lab/awesome-audiovisual-learning/main/README.md"

EXAMPLES = f"""\
examples:
  avenrich run                                   enrich the bundled list into outputs/
  avenrich run --input my-list.md --out site/    a local Markdown list
  avenrich run --input refs.bib --name refs      enrich an existing BibTeX file
  avenrich run --input refs.bib --in-place       ... and rewrite refs.bib itself (old one: refs.bib.bak)
  avenrich run --input {UPSTREAM}
  avenrich run --offline                         only what the cache already knows
  avenrich cache stats                           what the cache holds
  avenrich validate outputs/awesome-audiovisual-learning.json
  avenrich serve --cron "0 3 * * *"              the nightly deployment on a Prefect server
"""


class _Parser(argparse.ArgumentParser):
    """argparse, but usage errors exit 2 with one line."""

    def error(self, message: str) -> Any:
        sys.stderr.write(f"avenrich: {message} (see avenrich --help)\n")
        raise SystemExit(EXIT_INPUT)


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of every subcommand."""
    parser = _Parser(
        prog="avenrich",
        description="Turn a curated list of papers into verified BibTeX, a JSON catalogue and CSL-JSON, "
        "with identifiers, authors, venues and citation counts from Crossref and Semantic Scholar.",
        epilog=EXAMPLES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"avenrich {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)

    run = sub.add_parser(
        "run",
        help="enrich a list and write NAME.bib, NAME.json, NAME.csl.json and NAME.report.md",
        description="Enrich a paper list. Reads the input, finds every link's identifiers, verifies them "
        "against Crossref and Semantic Scholar, and writes the outputs atomically.",
        epilog="exit codes: 0 done (unresolved entries included), 2 unusable input, 3 outputs not writable, "
        "4 a source was unavailable (only with --fail-on-degraded)\n\n" + EXAMPLES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    run.add_argument(
        "--input",
        metavar="PATH_OR_URL",
        help="Markdown or BibTeX file, or an http(s) URL of one (default: the bundled "
        "awesome-audiovisual-learning snapshot)",
    )
    run.add_argument("--out", metavar="DIR", default="outputs", help="output directory (default: outputs)")
    run.add_argument("--cache-dir", metavar="DIR", help="diskcache directory (default: $AVENRICH_CACHE_DIR or ./cache)")
    run.add_argument(
        "--offline",
        action="store_true",
        help="no network at all: everything comes from the cache, misses stay unresolved",
    )
    run.add_argument("--name", help="output file stem (default: the input's stem)")
    run.add_argument(
        "--overrides",
        metavar="TOML",
        help="curator overrides (default: overrides.toml next to a local input, if present)",
    )
    run.add_argument(
        "--in-place",
        action="store_true",
        help="with a local .bib --input: also rewrite that file as its enriched self, atomically, "
        "keeping the old one as FILE.bak",
    )
    run.add_argument(
        "--fail-on-degraded",
        action="store_true",
        help="exit 4 when a source was unavailable during the run (for cron alerts)",
    )
    _add_verbosity(run)

    cache = sub.add_parser(
        "cache",
        help="inspect or clear the HTTP cache",
        description="Inspect or clear the diskcache of Crossref/Semantic Scholar answers.",
    )
    cache.add_argument("action", choices=("stats", "clear"), help="stats: what the cache holds; clear: empty it")
    cache.add_argument("--cache-dir", metavar="DIR", help="default: $AVENRICH_CACHE_DIR or ./cache")

    validate = sub.add_parser(
        "validate",
        help="check a catalogue against the shipped JSON Schema",
        description="Validate a NAME.json catalogue against avenrich's JSON Schema.",
    )
    validate.add_argument("file", metavar="FILE.json")

    serve = sub.add_parser(
        "serve",
        help="serve the nightly deployment on a Prefect server (runs until stopped)",
        description="Register the nightly deployment with the Prefect server at $PREFECT_API_URL and run its "
        "scheduled flow runs in this process (flow.serve). Start a server first: prefect server start.",
    )
    serve.add_argument("--input", metavar="URL", default=UPSTREAM, help="list to enrich (default: the live upstream)")
    serve.add_argument("--out", metavar="DIR", default="outputs")
    serve.add_argument("--name", default="awesome-audiovisual-learning")
    serve.add_argument("--cron", default="0 3 * * *", help="cron schedule (default: 0 3 * * *)")
    serve.add_argument("--timezone", default="UTC", help="time zone of the schedule (default: UTC)")
    serve.add_argument("--deployment", default="nightly", help="deployment name (default: nightly)")
    _add_verbosity(serve)
    return parser


def _add_verbosity(parser: argparse.ArgumentParser) -> None:
    group = parser.add_mutually_exclusive_group()
    group.add_argument("-q", "--quiet", action="store_true", help="no progress and no summary table")
    group.add_argument("-v", "--verbose", action="store_true", help="log every stage and Prefect's own messages")


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the `avenrich` console script; returns the exit code."""
    args = build_parser().parse_args(argv)
    try:
        if args.command == "run":
            return _run(args)
        if args.command == "cache":
            return _cache(args)
        if args.command == "validate":
            return _validate(args)
        if args.command == "serve":
            return _serve(args)
        build_parser().print_help()
        return EXIT_OK
    except InputError as exc:
        return _fail(str(exc), EXIT_INPUT)
    except OutputError as exc:
        return _fail(str(exc), EXIT_OUTPUT)
    except AvenrichError as exc:
        return _fail(str(exc), EXIT_INTERNAL)
    except KeyboardInterrupt:
        return _fail("interrupted; the previous outputs are unchanged", EXIT_INTERRUPTED)
    except Exception as exc:  # the one boundary where anything unexpected becomes one line
        return _fail(f"internal error: {exc.__class__.__name__}: {_redact(str(exc))}", EXIT_INTERNAL)


def _fail(message: str, code: int) -> int:
    sys.stderr.write(f"avenrich: {_redact(message)}\n")
    return code


def _redact(text: str) -> str:
    key = os.environ.get("AVENRICH_S2_API_KEY", "").strip()
    return text.replace(key, "***") if key else text


def _run(args: argparse.Namespace) -> int:
    from avenrich.config import Settings
    from avenrich.prefect_env import prepare_prefect_env

    Settings.from_env(os.environ)  # bad AVENRICH_* values fail here, before Prefect starts
    _check_input(args.input)
    if args.in_place:
        _check_in_place(args.input)
    prepare_prefect_env(verbose=args.verbose)
    if not args.verbose:
        # Prefect prints task failures with tracebacks; the CLI reports one line, the UI keeps the details.
        os.environ.setdefault("PREFECT_LOGGING_HANDLERS_CONSOLE_LEVEL", "CRITICAL")
        os.environ["PREFECT_LOGGING_HANDLERS_CONSOLE_LEVEL"] = "CRITICAL"
    from avenrich.display import Display

    display = Display(quiet=args.quiet, verbose=args.verbose)
    started = time.monotonic()
    with display.running():
        from avenrich.flow import enrich

        summary = enrich(
            input=args.input,
            out_dir=args.out,
            name=args.name,
            cache_dir=args.cache_dir,
            offline=args.offline,
            overrides=args.overrides,
            in_place=args.in_place,
        )
    display.finish(summary, time.monotonic() - started)
    if summary.get("degraded") and args.fail_on_degraded:
        return EXIT_DEGRADED
    return EXIT_OK


def _check_input(source: str | None) -> None:
    """Fail fast, before Prefect starts, on a local input path that cannot possibly work."""
    if source is None or "://" in source:
        return
    path = Path(source).expanduser()
    if not path.exists():
        raise InputError(f"input not found: {source}")
    if path.is_dir():
        raise InputError(f"input is a directory, not a file: {source}")


def _check_in_place(source: str | None) -> None:
    """--in-place needs a local BibTeX input: refused before anything is created."""
    from avenrich.inputs import read_input

    if source is None or "://" in source or read_input(source).format != "bibtex":
        raise InputError(f"--in-place rewrites a local BibTeX --input; {source or 'the bundled list'} is not one")


def _cache(args: argparse.Namespace) -> int:
    from avenrich.cache import DiskJsonCache
    from avenrich.config import Settings

    directory = Path(args.cache_dir) if args.cache_dir else Settings.from_env(os.environ).cache_dir
    if not directory.exists():
        print(f"cache {directory}: empty (no cache directory yet)")
        return EXIT_OK
    with DiskJsonCache(directory) as cache:
        if args.action == "clear":
            removed = cache.clear()
            print(f"cache {directory}: removed {removed} entries")
        else:
            print(f"cache {directory}:")
            for key, value in cache.stats().items():
                print(f"  {key}: {value}")
    return EXIT_OK


def _validate(args: argparse.Namespace) -> int:
    from avenrich.catalogue import validate_catalogue

    path = Path(args.file)
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise InputError(f"not found: {path}") from None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise InputError(f"{path} is not a readable JSON file: {exc}") from None
    problems = validate_catalogue(doc)
    if problems:
        for problem in problems[:20]:
            sys.stderr.write(f"{path}: {problem}\n")
        more = f" (showing 20 of {len(problems)})" if len(problems) > 20 else ""
        raise InputError(f"{path} does not match the catalogue schema: {len(problems)} problem(s){more}")
    entries = len(doc.get("entries", [])) if isinstance(doc, Mapping) else 0
    print(f"{path}: valid catalogue (schema {doc.get('schema_version')}, {entries} entries)")
    return EXIT_OK


def _serve(args: argparse.Namespace) -> int:
    from avenrich.prefect_env import prepare_prefect_env

    prepare_prefect_env(verbose=args.verbose)
    from avenrich.deployment import serve_nightly

    if not os.environ.get("PREFECT_API_URL"):
        logging.getLogger("avenrich").warning("PREFECT_API_URL is not set: using the profile's API URL")
    serve_nightly(
        input=args.input,
        out_dir=args.out,
        name=args.name,
        cron=args.cron,
        timezone=args.timezone,
        deployment=args.deployment,
    )
    return EXIT_OK
