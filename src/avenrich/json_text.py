"""JSON text a piece at a time (pure), for the writers of large lists (catalogue, CSL-JSON): the text of
`json.dumps(value, indent=2, ensure_ascii=False)` without holding the whole document or its text.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Mapping
from typing import Any


def to_json_text(value: Any) -> str:
    """`json.dumps(value, indent=2, ensure_ascii=False)` and a final newline, encoded item by item when the
    value is a list or a dict ending in one (the entries): the same text, without the list of every token of
    the whole document that one json.dumps call builds first (several times the text: gigabytes at 100k links).
    """
    return "".join(to_text_chunks(value))  # one join: no intermediate copy of the body


def to_text_chunks(value: Any) -> Iterator[str]:
    """The pieces of `to_json_text(value)`: the head, then one piece per item of the list."""
    if isinstance(value, list):
        return to_array_chunks(value)
    if isinstance(value, dict) and value:
        *keys, last = value
        if isinstance(last, str) and isinstance(value[last], list):
            return object_chunks({k: value[k] for k in keys}, last, value[last])
    return iter([_dumps(value) + "\n"])


def to_array_chunks(items: Iterable[Any]) -> Iterator[str]:
    """`to_json_text(list(items))` a piece per item, each item taken only when its text is wanted."""
    return object_chunks(None, None, items)


def object_chunks(head: Mapping[str, Any] | None, name: str | None, items: Iterable[Any]) -> Iterator[str]:
    """A list (name None) or an object of `head` then `name: items`, as json.dumps(indent=2) pieces."""
    if name is None:
        indent, start, empty, end = "  ", "[\n", "[]\n", "\n]\n"
    else:
        indent, end = "    ", "\n  ]\n}\n"
        start = (_dumps(head)[:-2] + ",\n" if head else "{\n") + "  " + _dumps(name) + ": [\n"
        empty = _dumps({**(head or {}), name: []}) + "\n"
    separator = start
    for item in items:
        yield separator + indent + _dumps(item).replace("\n", "\n" + indent)
        separator = ",\n"
    yield end if separator != start else empty


def _dumps(value: Any) -> str:
    return json.dumps(value, indent=2, ensure_ascii=False)
