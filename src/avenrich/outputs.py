"""Writing the output files atomically, and reading back the previous ones (edge: disk I/O).

Each file is written to a temporary file in the output directory, flushed to disk, then renamed over the old
one: readers and a crash see the old file or the new one, never a partial one.
"""

from __future__ import annotations

import contextlib
import json
import os
import stat
import tempfile
from collections.abc import Callable, Iterable, Iterator, Mapping
from pathlib import Path
from typing import Any, TypeVar

import ijson

from avenrich.errors import OutputError

T = TypeVar("T")

_MODE = 0o644
_SLICE = 1 << 20  # characters


def write_outputs(out_dir: Path, name: str, files: Mapping[str, str | Iterable[str]]) -> list[Path]:
    """Write each `files[suffix]` to `out_dir/NAME.suffix` atomically; the written paths, in `files` order.

    A file is a text or an iterable of pieces of text (written as they come, so a big file never exists in
    memory whole); iterables are consumed in `files` order.

    All temporary files are complete and on disk before the first rename, so a failure while writing leaves
    every previous output intact. The renames follow the order of `files` (put the file readers poll last).
    Any OSError becomes an OutputError with one line naming the file.
    """
    if not name or name.startswith(".") or "/" in name or os.sep in name or "\x00" in name:
        raise OutputError(f"invalid output name {name!r}: use a plain file stem such as 'papers'")
    targets = [(out_dir / f"{name}.{suffix}", text) for suffix, text in files.items()]
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise OutputError(f"cannot create output directory {out_dir}: {_why(exc)}") from None
    temps: list[tuple[Path, Path]] = []
    try:
        for target, text in targets:
            temps.append((_write_temp(target, text), target))
        for temp, target in temps:
            try:
                os.replace(temp, target)
            except OSError as exc:
                raise OutputError(f"cannot replace {target}: {_why(exc)}") from None
    finally:
        for temp, _target in temps:
            with contextlib.suppress(OSError):
                temp.unlink(missing_ok=True)
    _sync_dir(out_dir)
    return [target for target, _text in targets]


def rewrite_in_place(path: Path, text: str, was: str) -> Path | None:
    """Replace the file at `path` by `text` atomically, keeping its previous bytes as PATH.bak; returns the .bak
    path, or None when the new text is the old one (nothing is written).

    `was` is the text the run read: a file edited since (by the user, during the run) is not overwritten, so no
    edit is ever lost; the run's outputs stay where they are. Written in UTF-8.
    """
    from avenrich.inputs import decode_text

    try:
        data = path.read_bytes()
    except OSError as exc:
        raise OutputError(f"cannot read {path} to rewrite it: {_why(exc)}") from None
    if decode_text(data, str(path))[0] != was:
        raise OutputError(
            f"{path} changed during the run: not rewritten (the enriched copy is in the output directory)"
        )
    if text == was:
        return None
    backup = path.with_name(path.name + ".bak")
    temps: list[Path] = []
    try:
        temps.append(_write_temp(backup, data))
        temps.append(_write_temp(path, text))
        os.replace(temps[0], backup)  # the old content is safe before the file is replaced
        os.replace(temps[1], path)
    except OSError as exc:
        raise OutputError(f"cannot rewrite {path}: {_why(exc)}") from None
    finally:
        for temp in temps:
            with contextlib.suppress(OSError):
                temp.unlink(missing_ok=True)
    _sync_dir(path.parent)
    return backup


def read_json_if_exists(path: Path) -> Any:
    """The parsed JSON file, or None when it does not exist; OutputError when it exists but is unreadable."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return None
    except (OSError, UnicodeDecodeError) as exc:
        raise OutputError(f"cannot read {path}: {_why(exc)}") from None
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise OutputError(f"{path} is not valid JSON (line {exc.lineno}): fix or remove it") from None


def read_json_items(path: Path, array: str, keep: Callable[[Any], T]) -> list[T] | None:
    """`keep(item)` of every item of the array at `array` (an ijson prefix such as "entries") in a JSON file,
    parsed as a stream; None when the file does not exist or has no such array; OutputError when it exists but
    is unreadable or not JSON.

    Only what `keep` returns stays in memory: a 100k-link catalogue is hundreds of MB of text, and more than a
    GB of objects parsed whole.
    """
    try:
        handle = path.open("rb")
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise OutputError(f"cannot read {path}: {_why(exc)}") from None
    found = False

    def watched(events: Iterable[tuple[str, str, Any]]) -> Iterator[tuple[str, str, Any]]:
        nonlocal found
        for prefix, event, value in events:
            if event == "start_array" and prefix == array:
                found = True
            yield prefix, event, value

    with handle:
        try:
            kept = [keep(item) for item in ijson.items(watched(ijson.parse(handle, use_float=True)), f"{array}.item")]
        except (ijson.JSONError, UnicodeDecodeError) as exc:
            raise OutputError(f"{path} is not valid JSON ({_first_line(exc)}): fix or remove it") from None
        except OSError as exc:
            raise OutputError(f"cannot read {path}: {_why(exc)}") from None
    return kept if found else None


def read_lines(path: Path) -> Iterator[str]:
    """The lines of a text file as it is read (none when it does not exist); undecodable bytes replaced, so one
    damaged line never stops a run. OutputError when it exists but cannot be read."""
    try:
        handle = path.open(encoding="utf-8", errors="replace")
    except FileNotFoundError:
        return
    except OSError as exc:
        raise OutputError(f"cannot read {path}: {_why(exc)}") from None
    with handle:
        try:
            yield from handle
        except OSError as exc:
            raise OutputError(f"cannot read {path}: {_why(exc)}") from None


def _write_temp(target: Path, text: str | bytes | Iterable[str]) -> Path:
    """A complete, fsynced temporary copy of the new content (text in UTF-8, or bytes as they are) next to the
    target."""
    try:
        fd, name = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
    except OSError as exc:
        raise OutputError(f"cannot write {target}: {_why(exc)}") from None
    temp = Path(name)
    try:
        if isinstance(text, bytes):
            with os.fdopen(fd, "wb") as binary:
                binary.write(text)
                binary.flush()
                os.fsync(binary.fileno())
        else:
            with os.fdopen(fd, "w", encoding="utf-8", newline="") as handle:
                for piece in _pieces(text):
                    handle.write(piece)
                handle.flush()
                os.fsync(handle.fileno())
        # mkstemp creates 0600; outputs are meant to be read (served, committed), so keep the old file's mode.
        os.chmod(temp, _mode_of(target))
    except (OSError, UnicodeEncodeError) as exc:
        with contextlib.suppress(OSError):
            temp.unlink()
        raise OutputError(f"cannot write {target}: {_why(exc)}") from None
    except BaseException:  # the pieces' producer failed: no half-written temporary file stays behind
        with contextlib.suppress(OSError):
            temp.unlink()
        raise
    return temp


def _pieces(text: str | Iterable[str]) -> Iterable[str]:
    """A text a megabyte-sized slice at a time (encoding it at once doubles its memory), or the given pieces."""
    if isinstance(text, str):
        return (text[start : start + _SLICE] for start in range(0, len(text), _SLICE))
    return text


def _mode_of(target: Path) -> int:
    try:
        return stat.S_IMODE(target.stat().st_mode)
    except OSError:
        return _MODE


def _sync_dir(directory: Path) -> None:
    """Make the renames durable (POSIX); filesystems that cannot fsync a directory are skipped."""
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def _first_line(exc: BaseException) -> str:
    return (str(exc).strip().splitlines() or [exc.__class__.__name__])[0][:200]


def _why(exc: BaseException) -> str:
    if isinstance(exc, OSError) and exc.strerror:
        return exc.strerror
    return exc.__class__.__name__
