"""Command line (edge): argparse → flow parameters → run the flow; errors become one stderr line.

Exit codes: 0 the run completed (unresolved entries included); 2 unusable input or arguments (also no command);
3 the outputs or the cache could not be written (the path named); 4 the run completed but a source was
unavailable and --fail-on-degraded was given; 1 an unexpected internal error; 130 interrupted (Ctrl-C, SIGINT),
143 terminated (SIGTERM). Every refusal comes before Prefect starts, and creates nothing.
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
from avenrich.inputs import BUNDLED_UPSTREAM, is_url

EXIT_OK, EXIT_INTERNAL, EXIT_INPUT, EXIT_OUTPUT, EXIT_DEGRADED, EXIT_INTERRUPTED = 0, 1, 2, 3, 4, 130
EXIT_TERMINATED = 143

UPSTREAM = BUNDLED_UPSTREAM

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
        epilog="exit codes: 0 done (unresolved entries included), 2 unusable input or arguments, 3 outputs or "
        "cache not writable, 4 a source was unavailable (only with --fail-on-degraded), 130 interrupted (Ctrl-C), "
        "143 terminated (SIGTERM)\n\n" + EXAMPLES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    run.add_argument(
        "--input",
        metavar="PATH_OR_URL",
        help="Markdown or BibTeX file, or an http(s) URL of one (default: the bundled "
        "awesome-audiovisual-learning snapshot)",
    )
    run.add_argument("--out", metavar="DIR", default="outputs", help="output directory (default: outputs)")
    run.add_argument(
        "--offline",
        action="store_true",
        help="no network at all: everything comes from the cache (a URL input from its last good copy), "
        "misses stay unresolved",
    )
    run.add_argument("--name", help="output file stem (default: the input's stem)")
    _add_run_options(run)
    run.add_argument(
        "--in-place",
        action="store_true",
        help="with a local .bib --input: also rewrite that file as its enriched self, atomically, "
        "keeping the old one as FILE.bak",
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
    validate.add_argument("--all", action="store_true", help="list every problem, not only the first")

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
    _add_run_options(serve)
    _add_verbosity(serve)
    return parser


def _add_run_options(parser: argparse.ArgumentParser) -> None:
    """The options `run` and `serve` share (serve passes them to every scheduled run)."""
    parser.add_argument(
        "--cache-dir", metavar="DIR", help="diskcache directory (default: $AVENRICH_CACHE_DIR or ./cache)"
    )
    parser.add_argument(
        "--overrides",
        metavar="TOML",
        help="curator overrides (default: overrides.toml next to a local input, if present)",
    )
    parser.add_argument(
        "--fail-on-degraded",
        action="store_true",
        help="when a source was unavailable: exit 4, and the Prefect flow run ends Failed after publishing "
        "(for alerts)",
    )
    parser.add_argument(
        "--recheck",
        action="store_true",
        help="match and verify every link again, even those whose listing and records have not changed since "
        "the night they were decided (by default only those are kept, and only their counts refreshed)",
    )


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
        build_parser().print_usage(sys.stderr)
        return _fail("a command is required: run, cache, validate or serve (see avenrich --help)", EXIT_INPUT)
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
    """Check everything that can be checked before Prefect starts, then run the flow."""
    from avenrich import preflight
    from avenrich.config import Settings

    settings = Settings.from_env(os.environ)  # bad AVENRICH_* values fail here
    _log_warnings_plainly(verbose=args.verbose)  # reading the input may warn (an encoding guessed); the display
    preflight.check_name(args.name)  # takes the log over once Prefect is up
    preflight.check_writable_dir(Path(args.out), "output directory")
    preflight.check_writable_dir(Path(args.cache_dir) if args.cache_dir else settings.cache_dir, "cache directory")
    if preflight.has_overrides(args.overrides, args.input):
        from avenrich.pipeline import load_overrides  # (the whole pipeline: imported only when needed)

        load_overrides(args.overrides, args.input)
    in_place_refused = f"--in-place rewrites a local BibTeX --input; {args.input or 'the bundled list'} is not one"
    if args.in_place and (args.input is None or is_url(args.input)):
        raise InputError(in_place_refused)
    text = preflight.read_run_input(args.input, Path(args.out), args.name, offline=args.offline)
    if args.in_place and text.format != "bibtex":
        raise InputError(in_place_refused)
    preflight.hand_over(args.input, args.out, args.name, args.offline, text)
    return _run_flow(args)


def _log_warnings_plainly(*, verbose: bool) -> None:
    """avenrich's log lines as 'avenrich: …' on stderr until the display takes over (rich costs its import)."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("avenrich: %(message)s"))
    logger = logging.getLogger("avenrich")
    logger.handlers[:] = [handler]
    logger.setLevel(logging.DEBUG if verbose else logging.WARNING)
    logger.propagate = False


def _run_flow(args: argparse.Namespace) -> int:
    import signal

    from avenrich import interrupts, prefect_server
    from avenrich.prefect_env import prepare_prefect_env

    started = time.monotonic()  # the closing line's time includes Prefect's start-up: it is the user's wait
    prepare_prefect_env(verbose=args.verbose)
    if not args.verbose:
        # Prefect prints task failures with tracebacks; the CLI reports one line, the UI keeps the details.
        os.environ["PREFECT_LOGGING_HANDLERS_CONSOLE_LEVEL"] = "CRITICAL"
    from avenrich.display import Display

    display = Display(quiet=args.quiet, verbose=args.verbose)
    flow_runs: list[Any] = []
    servers: list[prefect_server.TemporaryServer] = []

    def end_on_signal(signum: int) -> None:
        display.stop()
        what = "interrupted" if signum == signal.SIGINT else f"stopped by {interrupts.signal_name(signum)}"
        if flow_runs:
            prefect_server.cancel_flow_run(flow_runs[-1], f"avenrich {what}")
        for server in servers:
            server.stop()
        sys.stderr.write(f"avenrich: {what}; the run was cancelled and the previous outputs are unchanged\n")

    with interrupts.ending_on_signal(end_on_signal):
        server = prefect_server.choose_api()
        if server is not None:
            servers.append(server)
            display.note(
                "no Prefect server running: using a temporary one for this run "
                f"(`{prefect_server.START_HINT}` once saves its start-up on every run)"
            )
            server.wait_ready(float(os.environ.get("PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS") or 120))
        with display.running():
            from avenrich.flow import enrich
            from avenrich.progress import take_delivered

            flow = enrich.with_options(on_running=[lambda _flow, run, _state: flow_runs.append(run.id)])
            state = flow(
                input=args.input,
                out_dir=args.out,
                name=args.name,
                cache_dir=args.cache_dir,
                offline=args.offline,
                overrides=args.overrides,
                fail_on_degraded=args.fail_on_degraded,
                recheck=args.recheck,
                in_place=args.in_place,
                return_state=True,
            )
            summary = take_delivered()
    if summary is None:  # the flow did not publish: its own error says why
        from prefect.exceptions import FailedRun

        try:
            state.result()  # re-raises what the flow raised (InputError, OutputError, anything unexpected)
        except FailedRun:  # the flow ended Failed on purpose, with one line: an input it could not read
            raise InputError(state.message or f"the flow run ended {state.name}") from None
        raise AvenrichError(f"the flow run ended {state.name} without publishing: {state.message}")
    display.finish(summary, time.monotonic() - started)
    if summary.get("degraded") and args.fail_on_degraded:
        return EXIT_DEGRADED
    return EXIT_OK


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
            return EXIT_OK
        stats = cache.stats()
        last = cache.last_run()
    print(f"cache {directory}: {stats['entries']} entries, {_size(stats['bytes'])}")
    for kind, count in sorted((k, v) for k, v in stats.items() if "/" in k):
        print(f"  {kind}: {count}")
    print(_last_run_line(last))
    return EXIT_OK


def _size(n: int) -> str:
    size = float(n)
    for unit in ("bytes", "KB", "MB"):
        if size < 1024:
            return f"{n} bytes" if unit == "bytes" else f"{size:.1f} {unit}"
        size /= 1024
    return f"{size:.1f} GB"


def _last_run_line(last: Mapping[str, float] | None) -> str:
    """'last run (2026-12-07 03:00 UTC): 412 hits, 31 misses, hit rate 93.0%'."""
    if last is None:
        return "last run: no run has read this cache yet"
    from datetime import UTC, datetime

    when = datetime.fromtimestamp(last["at"], UTC).strftime("%Y-%m-%d %H:%M UTC")
    hits, misses = int(last["hits"]), int(last["misses"])
    return f"last run ({when}): {hits} hits, {misses} misses, hit rate {100 * hits / (hits + misses):.1f}%"


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
        if args.all:
            for problem in problems:
                sys.stderr.write(f"{path}: {_shorten(problem)}\n")
        more = f" (and {len(problems) - 1} more: --all lists them)" if len(problems) > 1 and not args.all else ""
        raise InputError(f"{path} is not a valid catalogue: {_shorten(problems[0])}{more}")
    entries = len(doc.get("entries", [])) if isinstance(doc, Mapping) else 0
    print(f"{path}: valid catalogue (schema {doc.get('schema_version')}, {entries} entries)")
    return EXIT_OK


def _shorten(problem: str, limit: int = 200) -> str:
    """A schema problem on one line of at most `limit` characters (jsonschema quotes the whole offending
    value, which for a wrong file is the whole document)."""
    text = " ".join(problem.split())
    if len(text) <= limit:
        return text
    tail = limit // 2  # jsonschema puts the quoted value first and what is wrong with it last
    return f"{text[: limit - tail - 1]}…{text[-tail:]}"


def _serve(args: argparse.Namespace) -> int:
    from avenrich import prefect_server, preflight
    from avenrich.prefect_env import prepare_prefect_env

    preflight.check_name(args.name)
    if args.overrides is not None and not Path(args.overrides).expanduser().is_file():
        raise InputError(f"--overrides {args.overrides}: no such file")
    if not prefect_server.configured_api_url(os.environ):
        local = prefect_server.local_server_url(os.environ)
        if not prefect_server.is_healthy(local):
            # A temporary server would take the schedule and never run it (Prefect only warns).
            raise InputError(
                f"avenrich serve needs a Prefect server that stays up: start one with `{prefect_server.START_HINT}`"
                " (or set PREFECT_API_URL)"
            )
        os.environ["PREFECT_API_URL"] = local
    prepare_prefect_env(verbose=args.verbose)
    from avenrich.deployment import serve_nightly

    serve_nightly(
        input=args.input,
        out_dir=args.out,
        name=args.name,
        cron=args.cron,
        timezone=args.timezone,
        deployment=args.deployment,
        cache_dir=args.cache_dir,
        overrides=args.overrides,
        fail_on_degraded=args.fail_on_degraded,
        recheck=args.recheck,
    )
    return EXIT_OK
