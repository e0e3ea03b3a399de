"""Maths as data: a small typed tree that every format writes in its own way.

The document model builds formulas from these nodes; `tracegen.maths.latex` writes them
as LaTeX (Markdown), `tracegen.maths.mathml` as MathML Core (HTML) and
`tracegen.render.typeset.boxes` as positioned glyphs (PDF). Nothing is parsed back: a unary
minus is an `Op` of kind "prefix", a matrix is a `Matrix`, so each writer spaces and sets
them right once. Nodes are frozen (hashable), so typeset results can be cached by node.

Numbers arrive already formatted (`Num.text`, ASCII "-"): how many decimals a number
gets is the document's decision (tracegen.numbers), not a writer's.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from tracegen.layout import CELL_HEIGHT_MM, CELL_MM, CELL_RULE_MM, POINT_MM


@dataclass(frozen=True, slots=True)
class Ident:
    """A letter or name: `style` "italic" (variables, Greek), "upright" or "bold" (the indicator 1)."""

    text: str
    style: str = "italic"


@dataclass(frozen=True, slots=True)
class Func:
    """An operator name set upright with TeX's thin spaces: log, max, tanh, ReLU, softmax, diag."""

    name: str


@dataclass(frozen=True, slots=True)
class Num:
    """A number as printed (ASCII minus); `answer` marks a key's highlighted result."""

    text: str
    answer: bool = False


@dataclass(frozen=True, slots=True)
class Op:
    """An operator character; `kind` decides its spacing (TeX's rel, bin, …; "prefix" is a unary minus)."""

    char: str
    kind: str = "bin"


@dataclass(frozen=True, slots=True)
class Text:
    """Words inside a formula, upright ("for sample s", "(frozen)")."""

    text: str


@dataclass(frozen=True, slots=True)
class Space:
    """Horizontal space in em (1.0 is TeX's \\quad)."""

    em: float


@dataclass(frozen=True, slots=True)
class Row:
    """Nodes side by side."""

    items: tuple[Node, ...]


@dataclass(frozen=True, slots=True)
class Script:
    """`base` with a superscript and/or a subscript."""

    base: Node
    sup: Node | None = None
    sub: Node | None = None


@dataclass(frozen=True, slots=True)
class Accent:
    """`base` with an accent over it (ŷ: "^")."""

    base: Node
    accent: str = "^"


@dataclass(frozen=True, slots=True)
class Frac:
    num: Node
    den: Node


@dataclass(frozen=True, slots=True)
class Fence:
    """`body` between delimiters that grow with it ("" for none)."""

    open: str
    body: Node
    close: str


@dataclass(frozen=True, slots=True)
class BigOp:
    """A large operator (∑) with limits set under and over it."""

    char: str
    under: Node | None = None
    over: Node | None = None


HANDWRITING_MM = 2.6  # a handwritten digit or sign, with the space between it and the next
BLANK_MARGIN_MM, BLANK_HEIGHT_MM = 2.5, 6.5


@dataclass(frozen=True, slots=True)
class Blank:
    """A box for a student to write a number of `chars` characters in, by hand, on paper (worksheets).

    Its size is physical, not typographic: `size` gives it in em of a font of `font_pt` points, so
    each format draws it large enough for handwriting ("−0.238" needs about 18 mm). `id` names the
    trace blank it stands for (`e1:z1:0:1:0`, as answers.csv's columns), for exports that make it a field.
    """

    chars: int = 6
    id: str = ""
    digits: int = 0  # a paper-ready worksheet's: integer-digit cells (0: one plain box, no cells)
    decimals: int = 0  # with `digits`: the decimal-digit cells after the printed point

    def cells(self) -> tuple[str, ...]:
        """A paper-ready blank's cells left to right: "sign", "digit"s, then "point" and "digit"s when it has
        decimals (none for a plain box)."""
        if not self.digits:
            return ()
        return ("sign", *("digit",) * self.digits, *(("point", *("digit",) * self.decimals) if self.decimals else ()))

    def size(self, font_pt: float) -> tuple[float, float]:
        """(width, height) in em of a `font_pt` font (with cells: their writing areas, borders and the point)."""
        em_mm = font_pt * 25.4 / 72
        if self.digits:
            cells = self.cells()
            width = sum(POINT_MM if kind == "point" else CELL_MM for kind in cells) + (len(cells) + 1) * CELL_RULE_MM
            return width / em_mm, (CELL_HEIGHT_MM + 2 * CELL_RULE_MM) / em_mm
        return (HANDWRITING_MM * self.chars + BLANK_MARGIN_MM) / em_mm, BLANK_HEIGHT_MM / em_mm


@dataclass(frozen=True, slots=True)
class Matrix:
    """Numbers (or blanks) between brackets; `answer` highlights a key's result."""

    rows: tuple[tuple[Num | Blank, ...], ...]
    answer: bool = False

    @property
    def shape(self) -> tuple[int, int]:
        return len(self.rows), len(self.rows[0])


@dataclass(frozen=True, slots=True)
class Lines:
    """A display equation laid out in lines: each row is (left part or None, right part).

    The right parts of all rows are aligned on their left edge (a continuation line starts
    with its relation, under the first line's), as LaTeX's `aligned`; one row is one line.
    """

    rows: tuple[tuple[Node | None, Node], ...]


Node = Ident | Func | Num | Op | Text | Space | Row | Script | Accent | Frac | Fence | BigOp | Blank | Matrix | Lines


def row(*items: Node | Iterable[Node]) -> Row:
    """A Row of the given nodes; nested Rows and iterables are spliced in.

    A negative number right after a binary operator, or after a factor it multiplies, is put
    in parentheses, as one writes it by hand: `0.5 − (−1.901)`, `0.1 (−0.119)`.
    """
    out: list[Node] = []
    for item in _flat(items):
        follows = out[-1] if out else None
        binary = isinstance(follows, Op) and follows.kind == "bin"
        factor = follows is not None and not isinstance(follows, Op | Space | Text)
        out.append(Fence("(", item, ")") if negative(item) and (binary or factor) else item)
    return Row(tuple(out))


def negative(node: Node) -> bool:
    """Whether `node` is a negative number (or a 1×1 matrix of one)."""
    if isinstance(node, Matrix) and node.shape == (1, 1):
        node = node.rows[0][0]
    return isinstance(node, Num) and node.text.startswith("-")


def _flat(items: Iterable[object]) -> Iterator[Node]:
    for item in items:
        if isinstance(item, Row):
            yield from item.items
        elif isinstance(item, list | tuple):
            yield from _flat(item)
        else:
            yield item  # type: ignore[misc]


def neg(node: Node) -> Row:
    """−node, a unary minus (no space after it)."""
    return Row((Op("−", "prefix"), node))


def paren(node: Node) -> Fence:
    return Fence("(", node, ")")


def walk(node: Node) -> Iterator[Node]:
    """Every node of the tree, depth first, parents before children."""
    yield node
    if isinstance(node, Row):
        for item in node.items:
            yield from walk(item)
    elif isinstance(node, Script):
        for part in (node.base, node.sup, node.sub):
            if part is not None:
                yield from walk(part)
    elif isinstance(node, Accent):
        yield from walk(node.base)
    elif isinstance(node, Frac):
        yield from walk(node.num)
        yield from walk(node.den)
    elif isinstance(node, Fence):
        yield from walk(node.body)
    elif isinstance(node, BigOp):
        for part in (node.under, node.over):
            if part is not None:
                yield from walk(part)
    elif isinstance(node, Matrix):
        for cells in node.rows:
            yield from cells
    elif isinstance(node, Lines):
        for left, right in node.rows:
            if left is not None:
                yield from walk(left)
            yield from walk(right)


def tall(node: Node) -> bool:
    """Whether `node` holds a matrix, a fraction or a big operator (its fences then grow: \\left( … \\right))."""
    return any(isinstance(n, Frac | BigOp) or isinstance(n, Matrix) and n.shape != (1, 1) for n in walk(node))
