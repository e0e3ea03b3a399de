"""PDF content streams read as the PDF standard writes them: operations, each its operands and operator.

The maths finisher (`pdfmath`) must find where WeasyPrint painted each placeholder, whatever
way a WeasyPrint or pydyf version splits, spaces or numbers the operators. So it reads the
serialized stream (ISO 32000-1 §7.8.2: operands, then an operator; strings, names, arrays
and dictionaries as §7.3 writes them) instead of relying on how pydyf keeps them in a list.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any, NamedTuple

_DELIMITERS = rb"\s\x00/<>\[\](){}%"
_TOKEN = re.compile(  # whitespace, then a token; arrays of numbers and hex strings (text) in one go
    rb"(?:[\s\x00]+|%[^\r\n]*)*(?:(?P<array>\[(?:[^\[\]()<>%]|<[0-9A-Fa-f\s]*>)*\])|(?P<open><<|\[)|(?P<close>>>|\])"
    rb"|(?P<hex><[^<>]*>)|(?P<paren>\()|(?P<name>/[^" + _DELIMITERS + rb"]*)|(?P<word>[^" + _DELIMITERS + rb"]+)|\Z)")
_NUMBER = re.compile(rb"[+-]?(?:\d+\.?\d*|\.\d+)\Z")
_REFERENCE = re.compile(rb"(\d+) +\d+ +R\Z")
_KEYWORDS = frozenset({b"true", b"false", b"null"})


class Operation(NamedTuple):
    """One operator with its operands (raw bytes each: a number, name, string, array or dictionary)."""

    operator: bytes
    operands: tuple[bytes, ...]

    def numbers(self) -> tuple[float, ...]:
        return tuple(float(v) for v in self.operands)

    def bytes(self) -> bytes:
        return b" ".join((*self.operands, self.operator))


def serialize(items: list[Any]) -> bytes:
    """A pydyf stream's items as the bytes pydyf writes (items joined by newlines; objects by their `data`)."""
    out = []
    for item in items:
        if isinstance(item, bytes):
            out.append(item)
        elif isinstance(item, str):
            out.append(item.encode("latin-1"))
        elif isinstance(item, float):
            out.append(f"{item:f}".encode())
        elif hasattr(item, "data"):
            out.append(item.data)
        else:
            out.append(str(item).encode("ascii"))
    return b"\n".join(out)


def operations(data: bytes) -> Iterator[Operation]:
    """The operations of a content stream, in order (ValueError if it is not one)."""
    operands: list[bytes] = []
    at, depth, start = 0, 0, 0
    while at < len(data):
        match = _TOKEN.match(data, at)
        if match is None:
            raise ValueError(f"unreadable content stream at byte {at}: {data[at:at + 20]!r}")
        kind, end = match.lastgroup, match.end()
        at = match.start(kind) if kind else end
        if kind == "paren":
            end = _string_end(data, at)
        if kind == "open":
            start = at if depth == 0 else start
            depth += 1
        elif kind == "close":
            depth -= 1
            if depth == 0:
                operands.append(data[start:end])
        elif kind is not None and depth == 0:
            token = data[at:end]
            if kind == "word" and token not in _KEYWORDS and not _NUMBER.match(token):
                if token == b"BI":  # binary data follows; WeasyPrint writes images as XObjects
                    raise ValueError("inline images in a content stream are not supported")
                yield Operation(token, tuple(operands))
                operands = []
            else:
                operands.append(token)
        at = end
    if operands or depth:
        raise ValueError("content stream ends inside an operation")


def _string_end(data: bytes, at: int) -> int:
    """The end of the literal string (§7.3.4.2: balanced parentheses, backslash escapes) starting at `at`."""
    depth, i = 0, at
    while i < len(data):
        char = data[i]
        if char == 0x5C:  # backslash
            i += 2
            continue
        depth += 1 if char == 0x28 else -1 if char == 0x29 else 0
        i += 1
        if depth == 0:
            return i
    raise ValueError("content stream ends inside a string")


Matrix = tuple[float, float, float, float, float, float]
IDENTITY: Matrix = (1.0, 0.0, 0.0, 1.0, 0.0, 0.0)


def multiply(m: Matrix, n: Matrix) -> Matrix:
    """m then n, as PDF composes matrices (`a b c d e f cm` makes CTM' = M × CTM)."""
    a, b, c, d, e, f = m
    p, q, r, s, t, u = n
    return (a * p + b * r, a * q + b * s, c * p + d * r, c * q + d * s, e * p + f * r + t, e * q + f * s + u)


def inverse(m: Matrix) -> Matrix:
    a, b, c, d, e, f = m
    det = a * d - b * c
    return (d / det, -b / det, -c / det, a / det, (c * f - d * e) / det, (b * e - a * f) / det)


def apply(m: Matrix, x: float, y: float) -> tuple[float, float]:
    a, b, c, d, e, f = m
    return a * x + c * y + e, b * x + d * y + f


def resolve(pdf: Any, value: Any) -> Any:
    """The object a reference (`b"12 0 R"`) names, or the value itself."""
    if isinstance(value, str):
        value = value.encode()
    if isinstance(value, bytes):
        if value.endswith(b" 0 R") and value[:-4].isdigit():  # as pydyf writes one: no pattern to match
            return pdf.objects[int(value[:-4])]
        match = _REFERENCE.match(value.strip())
        if match:
            return pdf.objects[int(match[1])]
    return value
