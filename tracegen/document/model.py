"""The format-neutral document model: what `document.build` produces and templates print.

Maths is a tree (`tracegen.maths.tree`); text is plain strings. A display equation is a
row of nodes; where it may wrap is decided per format when it is rendered
(`tracegen.render.prepare`), from its relations.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from tracegen.maths.tree import Node, row


@dataclass(frozen=True)
class Eq:
    """A display equation: its top-level `items`; `notes` are grader remarks printed under it (key only)."""

    items: tuple[Node, ...]
    notes: tuple[Para, ...] = ()
    kind: str = "eq"

    def __post_init__(self) -> None:
        object.__setattr__(self, "items", row(self.items).items)  # nested rows spliced, negatives bracketed


@dataclass(frozen=True)
class Para:
    """Running text: `str` parts are plain text, nodes are inline maths; `note` marks grader notes."""

    parts: tuple[str | Node, ...]
    note: bool = False
    kind: str = "para"


@dataclass(frozen=True)
class Figure:
    """A placeholder the templates fill with a picture of the document (`what`: network, loss)."""

    what: str
    kind: str = "figure"


@dataclass(frozen=True)
class Working:
    """Room on a worksheet to work a pass out by hand, `height` em tall (spec `display.working_space`)."""

    height: float
    kind: str = "working"


@dataclass(frozen=True)
class Section:
    """One titled part of the document; `epoch` marks an epoch's (Markdown rules it off; print lets it follow on
    the same page: forcing a page per epoch left pages nearly empty)."""

    title: str
    anchor: str
    items: tuple[Any, ...]
    epoch: bool = False
