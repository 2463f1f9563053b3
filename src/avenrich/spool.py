"""The run's records beyond a budget on disk (edge: a temporary file): what merge hands to findings and the write.

A `Spool` is a sequence of Records: the first IN_MEMORY as they are, the rest in an anonymous temporary file
(unlinked from the start: a killed run leaves nothing behind), read back one record at a time. So a long list's
merged records (~2.4 KB each in memory) are never all in memory at once: past the budget, what stays in memory
per record is its place in the file (16 bytes), and memory grows with the batch, not the list. `TextSpool` and
`Texts` keep texts the same way (always on disk: they are cheap to read back).

Records are written with `marshal` as rows of plain values (tuples, strings, numbers), which this process alone
reads back: the file is never kept, so its format never needs to outlive the run.
"""

from __future__ import annotations

import contextlib
import marshal
import os
import tempfile
from array import array
from collections.abc import Callable, Iterable, Iterator, Mapping, MutableSequence, Sequence
from operator import attrgetter
from pathlib import Path
from typing import Any, Self, TypeVar, cast, overload

from avenrich.errors import OutputError
from avenrich.model import Author, Citations, Finding, Ids, Link, Record, Resolution

T = TypeVar("T")

# Records a spool holds in memory before the rest go to disk: ~2.4 KB each in memory (~50 MB for 20,000), and
# each read of one on disk costs ~10-17 µs (marshal and object construction; a run reads each about ten
# times). So lists up to this size run as fast as in memory, and longer lists stop growing with the list here.
IN_MEMORY = 20_000

_BLOCK = 1 << 20  # bytes read (and buffered for writing) at once

_LINK = attrgetter(*Link.__slots__)
_IDS = attrgetter(*Ids.__slots__)
_RESOLUTION = attrgetter(*Resolution.__slots__)
_AUTHOR = attrgetter(*Author.__slots__)
_CITATIONS = attrgetter(*Citations.__slots__)
_FINDING = attrgetter(*Finding.__slots__)
_PLAIN = attrgetter("host", "title", "year", "month", "venue", "type", "publisher", "pages", "volume", "issue")


def to_row(record: Record) -> tuple[Any, ...]:
    """The record as nested tuples of plain values (its fields in order)."""
    return (
        _LINK(record.link),
        _IDS(record.ids),
        _RESOLUTION(record.resolution),
        tuple(_AUTHOR(author) for author in record.authors),
        _PLAIN(record),
        _CITATIONS(record.citations),
        record.provenance,
        record.duplicates,
        tuple(_FINDING(finding) for finding in record.issues),
        record.failed,
    )


def _maker(cls: type[T]) -> Callable[[Sequence[Any]], T]:
    """A function that makes a `cls` (a frozen, slotted dataclass) from its fields' values in order, setting
    its slots directly: half the time of its __init__, and without its __post_init__ (Author's interns its
    texts; a record read back is short-lived, and the spool's values were a record's already).

    Written out one line a slot and compiled, as dataclasses writes __init__ itself: a loop over the slots
    took 1.5x as long."""
    names = cls.__slots__  # type: ignore[attr-defined]
    setters = {f"set_{number}": getattr(cls, name).__set__ for number, name in enumerate(names)}
    lines = [f"    set_{number}(made, values[{number}])" for number in range(len(names))]
    code = "def make(values):\n    made = new(cls)\n" + "\n".join(lines) + "\n    return made\n"
    scope: dict[str, Any] = {"new": object.__new__, "cls": cls, **setters}
    exec(code, scope)
    return cast(Callable[[Sequence[Any]], T], scope["make"])


_MAKE_RECORD = _maker(Record)
_MAKE_LINK = _maker(Link)
_MAKE_IDS = _maker(Ids)
_MAKE_RESOLUTION = _maker(Resolution)
_MAKE_AUTHOR = _maker(Author)
_MAKE_CITATIONS = _maker(Citations)
_MAKE_FINDING = _maker(Finding)


def from_row(row: tuple[Any, ...]) -> Record:
    """The record `to_row` made, equal to it."""
    link, ids, resolution, authors, plain, citations, provenance, duplicates, issues, failed = row
    host, title, *fields = plain
    return _MAKE_RECORD(
        (
            _MAKE_LINK(link),
            _MAKE_IDS(ids),
            _MAKE_RESOLUTION(resolution),
            host,
            title,
            tuple(map(_MAKE_AUTHOR, authors)),
            *fields,
            _MAKE_CITATIONS(citations),
            provenance,
            duplicates,
            tuple(map(_MAKE_FINDING, issues)),
            failed,
        )
    )


class _Pieces:
    """Pieces of bytes in an anonymous temporary file, each by its number: appended (buffered a block at a time),
    replaced (the new bytes go at the end of the file), read one by number or all in order a block at a time."""

    def __init__(self, directory: Path | str | None) -> None:
        self._directory = directory or tempfile.gettempdir()
        with self._failing():
            self._file = tempfile.TemporaryFile(dir=directory)  # noqa: SIM115 - closed by close()
        self._fd = self._file.fileno()
        self._offsets = array("q")
        self._sizes = array("q")
        self._pending = bytearray()
        self._end = 0  # the file's size, pending bytes included

    def __len__(self) -> int:
        return len(self._offsets)

    @property
    def closed(self) -> bool:
        return self._file.closed

    @property
    def size(self) -> int:
        """The file's size in bytes (replaced pieces included)."""
        return self._end

    def add(self, data: bytes) -> None:
        self._offsets.append(self._write(data))
        self._sizes.append(len(data))

    def replace(self, number: int, data: bytes) -> None:
        self._offsets[number] = self._write(data)
        self._sizes[number] = len(data)

    def read(self, number: int) -> bytes:
        self._flush()
        with self._failing():
            return os.pread(self._fd, self._sizes[number], self._offsets[number])

    def walk(self) -> Iterator[bytes]:
        """Every piece in order, the file read a block at a time (a piece replaced during the walk reads as
        replaced)."""
        self._flush()
        block, start = b"", 0
        for number in range(len(self)):
            offset, size = self._offsets[number], self._sizes[number]
            if offset + size > self._end - len(self._pending):  # replaced since the walk began, not yet written
                self._flush()
            if not start <= offset or offset + size > start + len(block):
                with self._failing():
                    block, start = os.pread(self._fd, max(size, _BLOCK), offset), offset
            yield block[offset - start : offset - start + size]

    def clear(self) -> None:
        self._pending.clear()
        self._offsets = array("q")
        self._sizes = array("q")
        self._end = 0
        if not self._file.closed:
            os.ftruncate(self._fd, 0)

    def close(self) -> None:
        self.clear()
        self._file.close()

    def _write(self, data: bytes) -> int:
        offset = self._end
        self._pending += data
        self._end += len(data)
        if len(self._pending) >= _BLOCK:
            self._flush()
        return offset

    def _flush(self) -> None:
        if self._pending:
            start, data = self._end - len(self._pending), bytes(self._pending)
            self._pending.clear()
            with self._failing():
                while data:
                    written = os.pwrite(self._fd, data, start)
                    data, start = data[written:], start + written

    @contextlib.contextmanager
    def _failing(self) -> Iterator[None]:
        """An OSError (a full disk, a folder that cannot be written) as one line: OutputError."""
        try:
            yield
        except OSError as exc:
            why = exc.strerror or exc.__class__.__name__
            raise OutputError(f"cannot use a temporary file in {self._directory}: {why}") from None


class _Closing:
    """`with` closes it (`close`: the file removed)."""

    def close(self) -> None:
        raise NotImplementedError

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class Spool(_Closing, MutableSequence[Record]):
    """Records in order: the first `in_memory` as they are (IN_MEMORY by default), the rest in a temporary file
    in `directory` (the system's temporary folder by default). Appended a batch at a time, read in order (the
    file a block at a time) or by position, and replaced in place (`spool[i] = record`; on disk, the new record
    goes at the end of the file and position i points at it).

    A list that only grows at its end: inserting before the end or deleting raises TypeError.
    """

    def __init__(
        self, records: Iterable[Record] = (), directory: Path | str | None = None, in_memory: int | None = None
    ) -> None:
        self._limit = IN_MEMORY if in_memory is None else max(0, in_memory)
        self._held: list[Record] = []
        self._pieces = _Pieces(directory)
        self.extend(records)

    def append(self, record: Record) -> None:
        """Add a record at the end."""
        if len(self._held) < self._limit and not len(self._pieces):
            self._held.append(record)
        else:
            self._pieces.add(marshal.dumps(to_row(record)))

    def extend(self, records: Iterable[Record]) -> None:
        """Add records at the end, in order."""
        for record in records:
            self.append(record)

    @overload
    def __setitem__(self, index: int, value: Record) -> None: ...
    @overload
    def __setitem__(self, index: slice, value: Iterable[Record]) -> None: ...
    def __setitem__(self, index: int | slice, value: Record | Iterable[Record]) -> None:
        if isinstance(index, slice):
            positions, records = range(len(self))[index], list(value)  # type: ignore[arg-type]
            if len(positions) != len(records):
                raise TypeError("a spool only grows at its end: a slice is replaced by as many records")
            for position, record in zip(positions, records, strict=True):
                self[position] = record
            return
        if not isinstance(value, Record):
            raise TypeError(f"a spool holds records, not {type(value).__name__}")
        index = range(len(self))[index]
        if index < len(self._held):
            self._held[index] = value
        else:
            self._pieces.replace(index - len(self._held), marshal.dumps(to_row(value)))

    def insert(self, index: int, record: Record) -> None:
        """Append (`index` at the end); anywhere else is a TypeError."""
        if index != len(self):
            raise TypeError("a spool only grows at its end")
        self.append(record)

    def __delitem__(self, index: int | slice) -> None:
        raise TypeError("a spool only grows at its end (clear() empties it)")

    def __len__(self) -> int:
        return len(self._held) + len(self._pieces)

    @overload
    def __getitem__(self, index: int) -> Record: ...
    @overload
    def __getitem__(self, index: slice) -> list[Record]: ...
    def __getitem__(self, index: int | slice) -> Record | list[Record]:
        if isinstance(index, slice):
            return [self[i] for i in range(len(self))[index]]
        index = range(len(self))[index]
        if index < len(self._held):
            return self._held[index]
        return from_row(marshal.loads(self._pieces.read(index - len(self._held))))

    def __iter__(self) -> Iterator[Record]:
        """The records in order, the file read a block at a time."""
        yield from self._held
        for data in self._pieces.walk():
            yield from_row(marshal.loads(data))

    @property
    def on_disk(self) -> int:
        """How many records are in the file (the rest are in memory)."""
        return len(self._pieces)

    @property
    def closed(self) -> bool:
        """True once closed (its file gone)."""
        return self._pieces.closed

    @property
    def size(self) -> int:
        """The file's size in bytes (replaced records' old bytes included, until cleared)."""
        return self._pieces.size

    def clear(self) -> None:
        """Forget every record and give the file's space back."""
        self._held.clear()
        self._pieces.clear()

    def close(self) -> None:
        """Forget every record and close (and so remove) the file."""
        self._held.clear()
        self._pieces.close()

    def __repr__(self) -> str:
        return f"Spool({len(self)} records, {self.on_disk} on disk in {self._pieces.size} bytes)"


class TextSpool(_Closing, Sequence[str]):
    """Texts in a temporary file, appended and read back in order (a block at a time) or by position."""

    def __init__(self, directory: Path | str | None = None) -> None:
        self._pieces = _Pieces(directory)

    def append(self, text: str) -> None:
        self._pieces.add(text.encode("utf-8", "surrogatepass"))

    def __len__(self) -> int:
        return len(self._pieces)

    @overload
    def __getitem__(self, index: int) -> str: ...
    @overload
    def __getitem__(self, index: slice) -> list[str]: ...
    def __getitem__(self, index: int | slice) -> str | list[str]:
        if isinstance(index, slice):
            return [self[i] for i in range(len(self))[index]]
        return self._pieces.read(range(len(self))[index]).decode("utf-8", "surrogatepass")

    def __iter__(self) -> Iterator[str]:
        return (data.decode("utf-8", "surrogatepass") for data in self._pieces.walk())

    def close(self) -> None:
        """Close (and so remove) the file."""
        self._pieces.close()


class Texts(_Closing, Mapping[str, str]):
    """Texts by key in a temporary file (the .bib entries' texts the catalogue page copies): only each key
    and its text's place stay in memory. A key given again keeps its first text."""

    def __init__(self, directory: Path | str | None = None) -> None:
        self._texts = TextSpool(directory)
        self._numbers: dict[str, int] = {}

    def add(self, key: str, text: str) -> None:
        """Keep `text` under `key` (unless the key has one)."""
        if key not in self._numbers:
            self._numbers[key] = len(self._texts)
            self._texts.append(text)

    def __getitem__(self, key: str) -> str:
        return self._texts[self._numbers[key]]

    def __contains__(self, key: object) -> bool:
        return key in self._numbers

    def __iter__(self) -> Iterator[str]:
        return iter(self._numbers)

    def __len__(self) -> int:
        return len(self._numbers)

    def close(self) -> None:
        """Close (and so remove) the file."""
        self._numbers.clear()
        self._texts.close()
