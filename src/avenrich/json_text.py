"""JSON text (pure): the one place avenrich turns values into JSON text for its files and its state.

`dumps` and `dumps_compact` give exactly the text of the standard library's `json.dumps` (indent=2, or
compact with sorted keys; ensure_ascii=False) through orjson, several times faster: the writers of a long list
spent most of their time in json's pure-Python indenting encoder. The piecewise functions give the catalogue
and CSL-JSON a piece at a time, without holding the whole document or its text.

orjson differs from json only where avenrich's values never go (lone surrogates, integers beyond 64 bits,
NaN, non-string keys: it raises, and json is used) and in the spelling of floats below 1e-4 ("0.00001"
and "1e-7" against "1e-05" and "1e-07"): text that could hold such a float is made by json.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Iterator, Mapping
from typing import Any

import orjson

# Where orjson's float spelling may differ from json's: a number with an exponent ("1e-7" against "1e-07") or a
# float below 1e-4 written out ("0.00001" against "1e-05"). `_float_risk` keeps the candidates that start a value
# (after ":", "[", ",", a space or a line break); hexadecimal ids inside strings ("4e5a…") do not. The same
# characters inside a string (": 1e5") are kept too, and json then writes the text: correct, only slower.
_CANDIDATE = re.compile(rb"\d[eE][-+]?\d|0\.0000")
_NUMBER_CHARS = frozenset(b"0123456789.-")
_VALUE_STARTS = frozenset(b":[, \n")


def _float_risk(text: bytes) -> bool:
    if b"0.0000" not in text and not _signed_exponent(text):  # orjson's exponents are signed
        return False
    for match in _CANDIDATE.finditer(text):
        start = match.start()
        while start and text[start - 1] in _NUMBER_CHARS:
            start -= 1
        if not start or text[start - 1] in _VALUE_STARTS:
            return True
    return False


def _signed_exponent(text: bytes) -> bool:
    """A digit, "e-" or "e+", a digit, somewhere in the text (bytes.find: words such as "large-scale" cost a
    step each, not a regular expression's scan of every position)."""
    for mark in (b"e-", b"e+"):
        at = text.find(mark)
        while at != -1:
            if at and at + 2 < len(text) and text[at - 1] in _DIGITS and text[at + 2] in _DIGITS:
                return True
            at = text.find(mark, at + 2)
    return False


_DIGITS = frozenset(b"0123456789")


def loads(text: str) -> Any:
    """The value of JSON text (orjson's reader: the same values as json.loads for the text avenrich writes)."""
    return orjson.loads(text)


def dumps(value: Any) -> str:
    """`json.dumps(value, indent=2, ensure_ascii=False)`."""
    try:
        text = orjson.dumps(value, option=orjson.OPT_INDENT_2)
    except TypeError:
        return json.dumps(value, indent=2, ensure_ascii=False)
    if _float_risk(text):
        return json.dumps(value, indent=2, ensure_ascii=False)
    return text.decode()


def dumps_compact(value: Any, *, sort_keys: bool = True) -> str:
    """`json.dumps(value, ensure_ascii=False, sort_keys=sort_keys, separators=(",", ":"))`."""
    try:
        text = orjson.dumps(value, option=orjson.OPT_SORT_KEYS if sort_keys else 0)
    except TypeError:
        return json.dumps(value, ensure_ascii=False, sort_keys=sort_keys, separators=(",", ":"))
    if _float_risk(text):
        return json.dumps(value, ensure_ascii=False, sort_keys=sort_keys, separators=(",", ":"))
    return text.decode()


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
    return iter([dumps(value) + "\n"])


def to_array_chunks(items: Iterable[Any]) -> Iterator[str]:
    """`to_json_text(list(items))` a piece per item, each item taken only when its text is wanted."""
    return object_chunks(None, None, items)


def object_chunks(
    head: Mapping[str, Any] | None, name: str | None, items: Iterable[Any], *, dumped: bool = False
) -> Iterator[str]:
    """A list (name None) or an object of `head` then `name: items`, as json.dumps(indent=2) pieces; `dumped`:
    the items are given as their `dumps` texts already."""
    if name is None:
        indent, start, empty, end = "  ", "[\n", "[]\n", "\n]\n"
    else:
        indent, end = "    ", "\n  ]\n}\n"
        start = (dumps(head)[:-2] + ",\n" if head else "{\n") + "  " + dumps(name) + ": [\n"
        empty = dumps({**(head or {}), name: []}) + "\n"
    separator = start
    for item in items:
        yield separator + indent + (item if dumped else dumps(item)).replace("\n", "\n" + indent)
        separator = ",\n"
    yield end if separator != start else empty
