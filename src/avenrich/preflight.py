"""Checks a run makes before Prefect starts, and the run's input as it is read (edge: disk and network).

`avenrich run` refuses bad arguments, an unusable input and unwritable places here, in well under a second,
and creates nothing while doing so. The input it read is handed to the flow in this process (`hand_over`,
`take`), so it is read once; a flow run started elsewhere (a deployment) reads it through `read_run_input`.
"""

from __future__ import annotations

import os
import re
import tempfile
import threading
from pathlib import Path

from avenrich import inputs
from avenrich.errors import InputError, OutputError
from avenrich.inputs import InputText

_NAME = re.compile(r"\w[\w.\-]*")
NAME_MAX = 200


def check_name(name: str | None) -> None:
    """InputError unless `name` (an output file stem) is a plain word: letters, digits, `.`, `-`, `_`."""
    if name is None:
        return
    if len(name) > NAME_MAX or not _NAME.fullmatch(name) or name.endswith("."):
        shown = name if name.isprintable() else repr(name)
        raise InputError(
            f"--name {shown!r}: use a plain file stem (letters, digits, '.', '-', '_'; no spaces or path "
            "characters), e.g. --name papers"
        )


def check_writable_dir(path: Path, what: str) -> None:
    """OutputError naming `path` unless it is, or could be created as, a directory this process can write.

    Leaves nothing behind: the nearest existing ancestor must be a directory where a file can be created (a
    temporary probe, removed at once; permission bits alone say nothing for root or on read-only mounts).
    """
    path = path.expanduser()
    probe = path
    while not probe.exists():
        if probe.is_symlink():  # a dangling link: mkdir would fail on it
            raise OutputError(f"cannot create {what} {path}: {probe} is a broken symbolic link")
        if probe.parent == probe:
            break
        probe = probe.parent
    if not probe.is_dir():
        raise OutputError(f"cannot use {what} {path}: {probe} is not a directory")
    verb = "write to" if probe == path else "create"
    try:
        fd, name = tempfile.mkstemp(dir=probe, prefix=".avenrich-probe-")
    except OSError as exc:
        raise OutputError(f"cannot {verb} {what} {path}: {exc.strerror or exc} ({probe})") from None
    os.close(fd)
    os.unlink(name)


def has_overrides(path: str | None, source: str | None) -> bool:
    """Whether the run will read curator overrides (pipeline.load_overrides: the given file, else an
    overrides.toml next to a local input)."""
    if path is not None:
        return True
    if source is None or inputs.is_url(source):
        return False
    return (Path(source).expanduser().parent / "overrides.toml").is_file()


def read_run_input(source: str | None, out_dir: Path, name: str | None, *, offline: bool = False) -> InputText:
    """The run's input: the list, its last good copy when a URL cannot be fetched (or with `offline`, which
    never fetches), or the bundled snapshot when the bundled list's upstream URL fails and no copy exists yet.

    InputError (one line) when none of these is possible.
    """
    if source is None or not inputs.is_url(source):
        return _named(inputs.read_input(source), name)
    stem = name or inputs.name_from_url(source)
    copy = out_dir / f"{stem}.{inputs.LAST_GOOD_SUFFIX}"
    if offline:
        if not copy.is_file():
            raise InputError(
                f"--offline: {source} is a URL and no copy of it is kept yet ({copy}); run once online first"
            )
        return _last_good(copy, stem, f"{source} (last good copy: --offline)")
    try:
        return _named(inputs.read_input(source), name)
    except InputError as exc:
        if copy.is_file():
            return _last_good(copy, stem, f"{source} (last good copy: {exc})")
        if source.rstrip("/") != inputs.BUNDLED_UPSTREAM:
            raise
        bundled = inputs.read_input(None)
        origin = f"{bundled.origin} (the upstream list could not be fetched and no copy is kept yet: {exc})"
        return InputText(stem, bundled.text, bundled.format, origin, bundled.encoding)


def _named(text: InputText, name: str | None) -> InputText:
    return InputText(name, text.text, text.format, text.origin, text.encoding) if name else text


def _last_good(copy: Path, stem: str, origin: str) -> InputText:
    """The copy of an input URL kept beside the outputs by the last run that fetched it."""
    try:
        kept = copy.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"cannot read the last good copy {copy}: {exc.__class__.__name__}") from None
    return InputText(stem, kept, inputs.detect_format(kept, str(copy)), origin)


def input_note(origin: str) -> str | None:
    """One line for the operator when the run (whose input has this origin) does not use the input it was
    given as it is now."""
    if "(last good copy: --offline)" in origin:
        return "--offline: used the last good copy of the input URL"
    if "(last good copy" in origin:
        return "the input URL could not be fetched; used the last good copy of the list"
    if origin.startswith(inputs.BUNDLED_ORIGIN + " (the upstream"):
        return "the upstream list could not be fetched and no copy is kept yet; used the bundled snapshot"
    return None


_handed: dict[tuple[str | None, str, str | None, bool], InputText] = {}
_lock = threading.Lock()


def hand_over(source: str | None, out_dir: str, name: str | None, offline: bool, text: InputText) -> None:
    """Keep the input the CLI read for the flow run it starts next in this process."""
    with _lock:
        _handed[(source, out_dir, name, offline)] = text


def take(source: str | None, out_dir: str, name: str | None, offline: bool) -> InputText | None:
    """The input handed over for these parameters (once), or None."""
    with _lock:
        return _handed.pop((source, out_dir, name, offline), None)
