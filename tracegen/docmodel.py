"""The format-neutral document model: what `document.build` produces and templates print.

Equations are tuples of pieces: a `str` is LaTeX (the render filters turn it into HTML for
HTML/PDF), a `Mat` is numbers laid out as a matrix (a 1x1 `Mat` prints as a scalar).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Mat:
    """Numbers in print layout (rows x cols).

    `None` cells are blanks; `answer` cells are highlighted in a key; `exact` numbers are
    givens, printed as written rather than rounded to `display.decimals`.
    """

    rows: tuple[tuple[float | None, ...], ...]
    answer: bool = False
    exact: bool = False

    @property
    def nrows(self) -> int:
        return len(self.rows)

    @property
    def ncols(self) -> int:
        return len(self.rows[0])

    @property
    def scalar(self) -> bool:
        return self.nrows == 1 and self.ncols == 1


Piece = str | Mat


@dataclass(frozen=True)
class Eq:
    """A display equation; `notes` are grader remarks printed under it (key only)."""

    pieces: tuple[Piece, ...]
    notes: tuple[Para, ...] = ()
    kind: str = "eq"


@dataclass(frozen=True)
class Para:
    """Running text: `str` parts are plain text, tuple parts are inline math; `note` marks grader notes."""

    parts: tuple[str | tuple[Piece, ...], ...]
    note: bool = False
    kind: str = "para"


@dataclass(frozen=True)
class Figure:
    """A placeholder the templates fill with a picture of the document (`what`: network, loss)."""

    what: str
    kind: str = "figure"


@dataclass(frozen=True)
class Section:
    """One titled part of the document; `page_break` starts it on a new page in print."""

    title: str
    anchor: str
    items: tuple[Any, ...]
    page_break: bool = False
