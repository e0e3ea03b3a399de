"""Spec files to plain data, refusing hostile or careless input before it can cost anything.

A spec is a few kilobytes of numbers, nested at most six levels deep. Anything far beyond
that is a mistake or an attack, and is refused with one SpecError before the validator
(tracegen.spec.model) sees it:

- a file above MAX_BYTES (read no further than that, so a 10 GB file is cheap), and anything
  but a regular file (a named pipe would block forever);
- nesting deeper than MAX_DEPTH lists and mappings (the parsers recurse, and would crash);
- more than MAX_VALUES values once YAML aliases are expanded (a "billion laughs" bomb is a
  few hundred bytes that alias each other exponentially), and an alias inside its own anchor;
- a key given twice, in every format (YAML and JSON would silently keep the last one);
- an integer beyond float64's range, including one too long for Python to convert (over
  4,300 digits), and text holding a lone surrogate (an escape such as "\\ud800", which no
  output format can encode).

`scan` also runs on dicts given to `Spec.from_dict` from Python, so the API is as safe.
"""

from __future__ import annotations

import json
import math
import re
import sys
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml

from tracegen.errors import SpecError
from tracegen.files import read_capped
from tracegen.spec import yamlcore
from tracegen.spec.yamlcore import Huge
from tracegen.text import plain, quote, shorten

MAX_BYTES = 1 << 20  # 1 MiB: a 64-unit, 4-layer network with 50 samples is about 100 KB
MAX_DEPTH = 16  # levels of lists and mappings; the Class 3 spec uses 5
MAX_VALUES = 200_000  # values and containers, aliases counted in full; more than a 1 MiB file holds
FLOAT_MAX = sys.float_info.max
_SURROGATE = re.compile("[\ud800-\udfff]")


class _Pairs(dict):
    """A JSON object that named `duplicate` twice: `scan` refuses it by key path."""

    duplicate: str


def read_text(path: Path) -> str:
    """The file's text (UTF-8, an optional BOM), refusing a file above MAX_BYTES unread."""
    name = str(path)
    try:
        data = read_capped(path, MAX_BYTES + 1)
    except FileNotFoundError:
        raise SpecError("", f"spec file not found: {name}") from None
    except IsADirectoryError:
        raise SpecError("", f"expected a spec file, got a directory: {name}") from None
    except OSError as err:
        raise SpecError("", f"cannot read spec file {name}: {err.strerror}") from None
    if len(data) > MAX_BYTES:
        raise SpecError("", f"the spec file is larger than {MAX_BYTES // 1024:,} KiB; a spec needs a few KB "
                            "(is this the right file?)", name)
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as err:
        line = data.count(b"\n", 0, err.start) + 1
        raise SpecError("", f"line {line}: not UTF-8 text (save the spec as UTF-8)", name) from None


def _json_int(literal: str) -> int | Huge:
    try:
        return int(literal)
    except ValueError:  # more digits than int() converts
        return Huge(literal)


def _json_pairs(pairs: list[tuple[str, Any]]) -> dict:
    out = dict(pairs)
    if len(out) == len(pairs):
        return out
    seen: set[str] = set()
    marked = _Pairs(out)
    for key, _ in pairs:
        if key in seen:
            marked.duplicate = key
            break
        seen.add(key)
    return marked


def parse_text(text: str, suffix: str, name: str) -> Any:
    """Parse spec text by file suffix; syntax errors and refusals become one-line SpecErrors."""
    try:
        if suffix == ".json":
            return json.loads(text, parse_int=_json_int, object_pairs_hook=_json_pairs)
        if suffix == ".toml":
            return tomllib.loads(text)  # refuses duplicate keys itself
        return yamlcore.load(text, MAX_DEPTH, MAX_VALUES)
    except json.JSONDecodeError as err:
        raise SpecError("", f"invalid JSON at line {err.lineno}, column {err.colno}: {err.msg}", name) from None
    except tomllib.TOMLDecodeError as err:
        raise SpecError("", f"invalid TOML: {shorten(str(err), 200)}", name) from None
    except yamlcore.Refused as err:
        mark = err.problem_mark
        raise SpecError("", f"line {mark.line + 1}, column {mark.column + 1}: {err.problem}", name) from None
    except yaml.YAMLError as err:
        mark = getattr(err, "problem_mark", None)
        problem = getattr(err, "problem", None) or str(err).splitlines()[0]
        if problem == "exceeded maximum nesting depth":  # libyaml's own cap (1,000), met while reading ahead
            raise SpecError("", f"line {mark.line + 1}: {_too_deep()}" if mark else _too_deep(), name) from None
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        raise SpecError("", f"invalid YAML{where}: {shorten(problem, 200)}", name) from None
    except RecursionError:  # JSON and TOML nesting hundreds deep: the parser gave up
        raise SpecError("", _too_deep(), name) from None
    except ValueError as err:  # TOML: an integer longer than int() converts (tomllib has no hook)
        raise SpecError("", _long_number(text) or f"invalid TOML: {shorten(str(err), 200)}", name) from None


def _too_deep() -> str:
    return f"nested deeper than {MAX_DEPTH} levels of lists and mappings"


def _long_number(text: str) -> str | None:
    """Where the first over-long run of digits is, for the one parse error without a position."""
    hit = re.search(r"\d{4000,}", text)
    if hit is None:
        return None
    return f"line {text.count(chr(10), 0, hit.start()) + 1}: {_digits(len(hit.group()))}"


def _digits(count: int) -> str:
    return f"a number with {count:,} digits is beyond the range of numbers (about ±1.8e308)"


# --- the scan: one pass over the parsed data, before validation ------------------------


def scan(data: Any) -> None:
    """SpecError, by key path, for anything the validator must never see (module docstring)."""
    _Scan().walk(data, "", 0)


def _child(key: str, name: object) -> str:
    return f"{key}.{plain(name)}" if key else plain(name)


class _Scan:
    """Walks the data once; shared (aliased) containers are visited once and counted in full."""

    def __init__(self) -> None:
        self.sizes: dict[int, int] = {}  # id -> expanded size of a container already walked
        self.open: set[int] = set()  # containers on the current path (an alias back into one is a cycle)
        self.shared = False  # whether some container was reached twice (YAML aliases)

    def walk(self, value: Any, key: str, depth: int) -> int:
        if isinstance(value, Mapping):
            if isinstance(value, _Pairs):
                raise SpecError(_child(key, value.duplicate), "duplicate key")
            children = [(_child(key, k), k) for k in value] + [(_child(key, k), v) for k, v in value.items()]
        elif isinstance(value, list | tuple):
            children = [(f"{key}[{i}]", v) for i, v in enumerate(value)]
        else:
            self.scalar(value, key)
            return 1
        ident = id(value)
        if ident in self.sizes:
            self.shared = True
            return self.sizes[ident]
        if ident in self.open:
            raise SpecError(key or "spec", "contains itself (a YAML alias inside its own anchor)")
        if depth >= MAX_DEPTH:
            raise SpecError(key or "spec", _too_deep())
        self.open.add(ident)
        total = 1
        for path, child in children:
            total += self.walk(child, path, depth + 1)
            if total > MAX_VALUES:
                aliases = " once its YAML aliases are expanded" if self.shared else ""
                raise SpecError(key or "spec", f"holds more than {MAX_VALUES:,} values{aliases}; "
                                               "a spec needs far fewer")
        self.open.discard(ident)
        self.sizes[ident] = total
        return total

    @staticmethod
    def scalar(value: Any, key: str) -> None:
        where = key or "spec"
        if isinstance(value, Huge):
            raise SpecError(where, _digits(value.digits))
        if isinstance(value, int) and not isinstance(value, bool) and not -FLOAT_MAX <= value <= FLOAT_MAX:
            raise SpecError(where, _digits(int(value.bit_length() * math.log10(2)) + 1))
        if isinstance(value, str) and (hit := _SURROGATE.search(value)):
            raise SpecError(where, f"text {quote(value)} is not valid Unicode: a lone surrogate "
                                   f"({hit.group()!r}) at character {hit.start() + 1}")
