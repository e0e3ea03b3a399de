"""YAML 1.2 (core schema) read from PyYAML's events, with the spec's limits counted as they arrive.

PyYAML's loader resolves YAML 1.1: `1:00:00.5` is a base-60 float, `yes` a boolean, `2001-12-14`
a date, and it converts base-60 integers in quadratic time before any limit can look. It also
builds the whole document (aliases and all) before anyone counts it. Here the parser's events
(libyaml's C parser when present) are turned into data directly:

- plain scalars resolve as YAML 1.2's core schema (the JSON types): null, true/false, decimal,
  octal (0o) and hex (0x) integers, decimal floats, .inf and .nan; anything else is text;
- quoted scalars are text; the standard tags !!str, !!int, !!float, !!bool, !!null, !!seq and
  !!map are honoured, any other tag (!!binary, !!timestamp, !!python/...) is refused;
- nesting (an alias as deep as its anchor's content reaches) and values (an alias counted as
  everything its anchor holds) stop at the caller's limits while parsing, not after;
- a key given twice, a key that is not text or a number, and a second document are refused.

An alias gives the same Python object as its anchor, as PyYAML does (the spec's scan walks a
shared container once).
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import yaml

from tracegen.text import quote

_Parser = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml's C parser: the events at C speed
_TAG = "tag:yaml.org,2002:"
_NULL = re.compile(r"~|null|Null|NULL|")
_BOOL = {"true": True, "True": True, "TRUE": True, "false": False, "False": False, "FALSE": False}
_INT = re.compile(r"[-+]?[0-9]+")
_OCT, _HEX = re.compile(r"0o[0-7]+"), re.compile(r"0x[0-9a-fA-F]+")
_FLOAT = re.compile(r"[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?")
_INF, _NAN = re.compile(r"[-+]?\.(?:inf|Inf|INF)"), re.compile(r"\.(?:nan|NaN|NAN)")


class Refused(yaml.MarkedYAMLError):
    """Well-formed YAML that a spec may not be (too deep, too many values, a duplicate key, a tag)."""

    def __init__(self, problem: str, mark: yaml.Mark) -> None:
        super().__init__(problem=problem, problem_mark=mark)


class Huge:
    """An integer literal too long to convert (over 4,300 digits): `scan` refuses it by key path."""

    def __init__(self, literal: str) -> None:
        self.digits = len(literal.strip("+-"))

    def __str__(self) -> str:
        return f"<a number with {self.digits:,} digits>"


@dataclass
class _Open:
    """A list or mapping being read: its value so far, and what its anchor will stand for."""

    value: list | dict
    anchor: str | None
    mark: yaml.Mark  # where it starts
    height: int = 1  # levels of lists and mappings, itself included
    size: int = 1  # values and containers inside, itself included, aliases in full
    key: Any = None
    has_key: bool = False
    lines: dict = field(default_factory=dict)  # key -> the line it was first given on


def load(text: str, max_depth: int, max_values: int) -> Any:
    """The one YAML document in `text` as plain data (module docstring); None when it is empty."""
    return _Builder(max_depth, max_values).build(_events(text))


def _events(text: str) -> Iterator[yaml.Event]:
    parser = _Parser(text)
    try:
        while parser.check_event():
            yield parser.get_event()
    finally:
        parser.dispose()


class _Builder:
    """Data from events, one at a time, counting depth and values as they arrive (no recursion)."""

    def __init__(self, max_depth: int, max_values: int) -> None:
        self.max_depth, self.max_values = max_depth, max_values
        self.stack: list[_Open] = []
        self.anchors: dict[str, tuple[Any, int, int]] = {}  # name -> (value, height, size)
        self.total = 0  # values and containers so far, aliases in full
        self.aliased = False
        self.root: Any = None

    def build(self, events: Iterator[yaml.Event]) -> Any:
        documents = 0
        for event in events:
            if isinstance(event, yaml.DocumentStartEvent):
                documents += 1
                if documents > 1:
                    raise Refused("a second YAML document (---): a spec file holds one", event.start_mark)
            elif isinstance(event, yaml.SequenceStartEvent | yaml.MappingStartEvent):
                self.open(event)
            elif isinstance(event, yaml.SequenceEndEvent | yaml.MappingEndEvent):
                done = self.stack.pop()
                if done.anchor:
                    self.anchors[done.anchor] = (done.value, done.height, done.size)
                self.add(done.value, done.height, done.size, done.mark)
            elif isinstance(event, yaml.ScalarEvent):
                value = _scalar(event)
                if event.anchor:
                    self.anchors[event.anchor] = (value, 0, 1)
                self.count(1, event.start_mark)
                self.add(value, 0, 1, event.start_mark)
            elif isinstance(event, yaml.AliasEvent):
                self.add(*self.alias(event), event.start_mark)
        return self.root

    def open(self, event: yaml.CollectionStartEvent) -> None:
        sequence = isinstance(event, yaml.SequenceStartEvent)
        _check_tag(event.tag, ("seq",) if sequence else ("map",), event.start_mark)
        if len(self.stack) >= self.max_depth:
            raise Refused(f"nested deeper than {self.max_depth} levels of lists and mappings", event.start_mark)
        self.count(1, event.start_mark)
        self.stack.append(_Open([] if sequence else {}, event.anchor, event.start_mark))

    def alias(self, event: yaml.AliasEvent) -> tuple[Any, int, int]:
        """What an alias stands for, counted in full and as deep as it reaches."""
        name = event.anchor
        if name not in self.anchors:
            inside = any(item.anchor == name for item in self.stack)
            raise Refused("contains itself (a YAML alias inside its own anchor)" if inside else
                          f"the alias *{name} has no anchor &{name} before it", event.start_mark)
        value, height, size = self.anchors[name]
        if len(self.stack) + height > self.max_depth:
            raise Refused(f"nested deeper than {self.max_depth} levels of lists and mappings once the alias "
                          f"*{name} is expanded", event.start_mark)
        self.aliased = True
        self.count(size, event.start_mark)
        return value, height, size

    def count(self, size: int, mark: yaml.Mark) -> None:
        self.total += size
        if self.total > self.max_values:
            aliases = " once its YAML aliases are expanded" if self.aliased else ""
            raise Refused(f"holds more than {self.max_values:,} values{aliases}; a spec needs far fewer", mark)

    def add(self, value: Any, height: int, size: int, mark: yaml.Mark) -> None:
        """Put a finished value into the list or mapping being read (or make it the document)."""
        if not self.stack:
            self.root = value
            return
        parent = self.stack[-1]
        parent.height = max(parent.height, height + 1)
        parent.size += size
        if isinstance(parent.value, list):
            parent.value.append(value)
        elif parent.has_key:
            parent.value[parent.key] = value
            parent.has_key = False
        else:
            _check_key(parent, value, mark)


def _check_key(parent: _Open, key: Any, mark: yaml.Mark) -> None:
    """Take `key` as the mapping's next key: text, a number, true/false or null, given once."""
    if isinstance(key, list | dict | Huge):
        raise Refused("a key must be text or a number, not a list or a mapping", mark)
    if key in parent.lines:
        raise Refused(f"duplicate key {quote(key)} (first on line {parent.lines[key]})", mark)
    parent.lines[key] = mark.line + 1
    parent.key, parent.has_key = key, True


def _check_tag(tag: str | None, kinds: tuple[str, ...], mark: yaml.Mark) -> None:
    if tag in (None, "!") or tag in (_TAG + kind for kind in kinds):
        return
    short = "!!" + tag.removeprefix(_TAG) if tag.startswith(_TAG) else tag
    raise Refused(f"the tag {quote(short)} is not allowed in a spec, which holds numbers, text, true/false, "
                  "null, lists and mappings", mark)


def _scalar(event: yaml.ScalarEvent) -> Any:
    """A scalar's value: YAML 1.2 core schema for a plain one, text for a quoted one, or as tagged."""
    text, tag = event.value, event.tag
    if tag in (None, "!"):
        return _resolve(text) if event.implicit[0] and tag is None else text
    _check_tag(tag, ("str", "int", "float", "bool", "null"), event.start_mark)
    kind = tag.removeprefix(_TAG)
    if kind == "str":
        return text
    value = _resolve(text)
    expected = {"int": int, "float": float, "bool": bool, "null": type(None)}[kind]
    if kind == "float" and isinstance(value, int) and not isinstance(value, bool):
        return float(value)
    if kind == "int" and isinstance(value, Huge):
        return value
    if type(value) is not expected:
        raise Refused(f"{quote(text)} is not a !!{kind}", event.start_mark)
    return value


def _resolve(text: str) -> Any:
    """YAML 1.2's core schema: the JSON types, octal 0o7 and hex 0xF, .inf and .nan; else text."""
    if _NULL.fullmatch(text):
        return None
    if text in _BOOL:
        return _BOOL[text]
    if _INT.fullmatch(text):
        try:
            return int(text)
        except ValueError:  # more digits than int() converts
            return Huge(text)
    if _OCT.fullmatch(text) or _HEX.fullmatch(text):
        try:
            return int(text, 0)
        except ValueError:
            return Huge(text)
    if _FLOAT.fullmatch(text):
        return float(text)
    if _INF.fullmatch(text):
        return -math.inf if text.startswith("-") else math.inf
    if _NAN.fullmatch(text):
        return math.nan
    return text
