"""How big the work of a spec will be, estimated from its shapes before any of it starts.

A spec of 96 KB can ask for a trace of 95 million rows (7 GB) or for answer keys of
2,000 pages whose 64-column matrices print at 2 pt. Both are refused up front, with one
line that says how big the result would be and which key to change:

- `trace_rows`: exact rows of the trace; above MAX_TRACE_ROWS (about 1 GB of memory to
  build and export) every command refuses the spec. The Python API has no limit.
- `estimate_document`: pages and the smallest printed font of the worksheet and the key, from
  a model of the layout (below). Above MAX_PAGES pages or under MIN_FONT_PT, `render` and
  `batch` refuse unless given `--force`.

The document model mirrors what the documents print, in shapes only: each worked step is an
equation of matrices (rows x columns, per-sample quantities as units x samples) and symbols,
set on A4 in the PDF's type size and text width. An equation's pieces fill rows after its left
side; a row wider than the text is scaled down to fit, and that scale is what makes the numbers
small (a worksheet's blanks, sized for handwriting, shrink alike). Matrices of WIDE_COLUMNS
columns or more are set at WIDE_SIZE. Operands multiplied together (W h, δ hᵀ, η ∂L/∂W) never
wrap apart, so a wide weight matrix times the samples is one piece. Epochs start on a new page;
in a key, a grader note repeats a result when carrying rounded numbers would change a last
digit (NOTE_CHANCE per value). The sizes the documents are set in are the documents' own
(`tracegen.layout`; a number's width from the shipped font's digits), the rest was fitted on
the PDFs tracegen renders (a page's capacity); over networks from 3-2-1 to 64 units wide, 1-30
samples and 1-50 epochs the estimate came within 25% of the pages and half a point of the
smallest matrix numbers while the units stay active; ReLU units that die print rows of bare
zeros and no grader notes, so such a key can come out much shorter (half its estimate in one
case). It is an estimate from the shapes, and messages say so.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, replace

from tracegen.choices import KIND_NAMES
from tracegen.errors import SpecError
from tracegen.fontmetrics import face
from tracegen.layout import (
    COLUMN_GAP,
    EQUATION_GAP,
    MATRIX_LINE_HEIGHT,
    PRINT_FONT_PT,
    WIDE_COLUMNS,
    WIDE_SIZE,
    WORKING_PER_LAYER,
    print_measure,
)
from tracegen.numbers import MINUS
from tracegen.spec.model import Spec
from tracegen.spec.shapes import shapes, size

MAX_TRACE_ROWS = 1_000_000
MAX_PAGES = 100  # per document
MIN_FONT_PT = 6.0  # the smallest number size that still reads in print
MEASURE = print_measure("a4")  # em: the text width, as the PDF sets it
PAGE_EM = 55.0  # em of content a page holds, on average: 259 mm of text height less unsplittable gaps
BLANK_EM = 6.0  # a blank cell, sized for handwriting, and its gap
BLANK_ROWS, BLANK_SHORT = 1.7, 0.35  # a blank matrix of r rows is as tall as 1.7 r - 0.35 rows of numbers
TARGET_EM = 1.5  # a target as written (0 or 1) and its gap
LEFT_EM = 2.0  # the left side of a worked equation (z⁽¹⁾): continuation rows start after it
BRACKETS_EM = 1.3  # both brackets of a matrix


@dataclass(frozen=True)
class Piece:
    """A stretch of an equation that does not wrap: `rows` tall (1 for symbols), `width` em wide
    (at its size), set at `size` times the font size."""

    rows: float
    width: float
    size: float = 1.0


@dataclass(frozen=True)
class Estimate:
    """What one document would come to: pages and the size of its smallest printed numbers."""

    kind: str
    pages: int
    font_pt: float


def trace_rows(spec: Spec) -> int:
    """Rows of the spec's trace: per epoch the parameters twice (before and after the update),
    their gradients, and every per-sample quantity (x, z, h per layer, y, the sample losses,
    a delta per layer) plus L."""
    every = shapes(spec)
    params = sum(size(shape) for name, shape in every.items() if name[0] in "Wb")
    return spec.epochs * (sum(size(shape) for shape in every.values()) + params)


def _units(spec: Spec) -> list[int]:
    return [layer.units for layer in spec.layers]


def check_trace(spec: Spec) -> None:
    """SpecError when the trace would exceed MAX_TRACE_ROWS: how big, and which key to lower."""
    rows = trace_rows(spec)
    if rows <= MAX_TRACE_ROWS:
        return
    per_epoch = rows // spec.epochs
    fits = MAX_TRACE_ROWS // per_epoch
    change = (f"lower training.epochs (at most {fits:,} with these shapes)" if fits else
              "use fewer samples (data.x) or fewer units (network.layers)")
    raise SpecError("training.epochs" if fits else "network.layers",
                    f"the trace would have {rows:,} rows, more than the limit of {MAX_TRACE_ROWS:,}: {change}; "
                    "the Python API (tracegen.trace) has no limit", spec.source)


# --- documents ------------------------------------------------------------------------------


def cell_em(decimals: int) -> float:
    """A typical printed number and its column gap at full size: sign, one digit, point, decimals."""
    regular = face("regular")
    return (regular.width(MINUS) + regular.width("0") * (decimals + 1) + (regular.width(".") if decimals else 0.0)
            + COLUMN_GAP)


def mat(rows: float, cols: int, cell: float) -> Piece:
    size = WIDE_SIZE if cols >= WIDE_COLUMNS else 1.0
    return Piece(rows, (cols * cell + BRACKETS_EM) * size, size)


def sym(width: float, rows: float = 1.0) -> Piece:
    return Piece(rows, width)


def equation_em(pieces: Sequence[Piece]) -> tuple[float, float]:
    """(height in em, smallest scale) of an equation: its pieces fill rows of MEASURE em less
    its left side, and a row wider than that is scaled down to fit."""
    room = MEASURE - LEFT_EM
    rows: list[list[Piece]] = [[]]
    width = 0.0
    for piece in pieces:
        if rows[-1] and width + piece.width > room:
            rows.append([])
            width = 0.0
        rows[-1].append(piece)
        width += piece.width
    height, smallest = 0.0, 1.0
    for row in rows:
        scale = min(1.0, MEASURE / (LEFT_EM + sum(p.width for p in row)))
        height += max(p.rows * p.size for p in row) * MATRIX_LINE_HEIGHT * scale
        smallest = min(smallest, scale * min(p.size for p in row))
    return height + EQUATION_GAP * len(rows), smallest


GIVEN_DECIMALS = 2  # givens print as written: typically a digit or two after the point
NOTE_CHANCE = 0.05  # per printed value: that carrying rounded numbers changes its last digit


def product(*parts: list[Piece]) -> list[Piece]:
    """Operands set side by side that never wrap apart (W h, δ hᵀ, η ∂L/∂W): one piece, as tall
    as the tallest, at the smallest of their sizes; none when no operand is shown."""
    pieces = [piece for part in parts for piece in part]
    if not pieces:
        return []
    size = min(p.size for p in pieces)
    return [Piece(max(p.rows * p.size for p in pieces) / size, sum(p.width for p in pieces), size)]


class _Shapes:
    """The equations of one document, as pieces, from the spec's shapes (see the module docstring)."""

    def __init__(self, spec: Spec, key: bool) -> None:
        self.key = key
        self.m = spec.n_samples
        self.units = _units(spec)
        self.fan_in = list(spec.layer_inputs)
        self.number = cell_em(spec.decimals)
        self.given = cell_em(min(spec.decimals, GIVEN_DECIMALS))

    def value(self, rows: int, cols: int) -> Piece:
        """A result: numbers in a key, a blank in a worksheet."""
        return mat(rows, cols, self.number) if self.key else mat(rows * BLANK_ROWS - BLANK_SHORT, cols, BLANK_EM)

    def operand(self, rows: int, cols: int, given: bool) -> list[Piece]:
        """A substituted operand: a worksheet shows only givens as numbers, the rest as symbols."""
        if given:
            return [mat(rows, cols, self.given)]
        return [mat(rows, cols, self.number)] if self.key else []

    def forward(self, epoch: int) -> Iterator[list[Piece]]:
        m, first = self.m, epoch == 1
        for layer, (n, f) in enumerate(zip(self.units, self.fan_in, strict=True)):
            yield [sym(12), *product(self.operand(n, f, first), self.operand(f, m, first and layer == 0)),
                   *self.operand(n, 1, first), sym(1.5), self.value(n, m)]
            yield [sym(8), *product([sym(3)], self.operand(n, m, False)), self.value(n, m)]
        yield [sym(20, 2), self.value(1, 1)]

    def backward(self, epoch: int) -> Iterator[list[Piece]]:
        m, units, fan_in, first = self.m, self.units, self.fan_in, epoch == 1
        out = units[-1]
        targets = [mat(out, m, TARGET_EM)]  # y as written, beside ŷ in one group
        yield [sym(10), *product(self.operand(out, m, False), targets), self.value(out, m)]
        for layer in range(len(units) - 1, -1, -1):
            n, f = units[layer], fan_in[layer]
            yield [sym(8, 2), *product(self.operand(n, m, False), self.operand(m, f, layer == 0)), self.value(n, f)]
            yield [sym(8, 2), *product(self.operand(n, m, False), self.operand(m, 1, False)), self.value(n, 1)]
            if layer:
                yield [sym(16), *product(self.operand(f, n, first), self.operand(n, m, False)),
                       *self.operand(f, m, False), self.value(f, m)]

    def updates(self, epoch: int) -> Iterator[list[Piece]]:
        for n, f in zip(self.units, self.fan_in, strict=True):
            for cols in (f, 1):
                yield [sym(8), *self.operand(n, cols, epoch == 1), *product([sym(2)], self.operand(n, cols, False)),
                       self.value(n, cols)]

    def givens(self) -> Iterator[list[Piece]]:
        yield [sym(4), mat(self.fan_in[0], self.m, self.given), sym(4), mat(self.units[-1], self.m, TARGET_EM)]
        for n, f in zip(self.units, self.fan_in, strict=True):
            yield [sym(4), mat(n, f, self.given), sym(4), mat(n, 1, self.given)]
        for _ in self.units:  # the forward and gradient rules
            yield from ([sym(14, 2)] for _ in range(5))

    def epoch(self, epoch: int) -> Iterator[list[Piece]]:
        if epoch > 1:
            yield from self.forward(epoch)
        yield from self.backward(epoch)
        yield from self.updates(epoch)


def _note_em(result: Piece) -> float:
    """Expected height of the grader note under a key's result: the result again, with a
    sentence, when carrying rounded numbers would change one of its last digits."""
    values = result.rows * max(round((result.width / result.size - BRACKETS_EM) / COLUMN_GAP / 3), 1)
    chance = 1 - (1 - NOTE_CHANCE) ** values
    row = MATRIX_LINE_HEIGHT
    return chance * (result.rows * result.size * row * min(1.0, MEASURE / result.width) + 2 * row)


TEXT_EM = {"worksheet": 4.0, "key": 8.0, "solution": 8.0}  # an epoch's heading and sentences
FRONT_EM = 50.0  # title, network diagram, section headings; the key's loss table and chart
SLACK = 0.1  # of a page: a document estimated this far past a page break is taken to fit


def estimate_document(spec: Spec, kind: str) -> Estimate:
    """Pages and smallest number size of the `kind` ("worksheet", "key" or "solution") of `spec` (A4).

    A solution is the key without its grader notes."""
    shapes = _Shapes(spec, key=kind != "worksheet")
    notes = kind == "key"
    smallest = 1.0

    def height(equations: Iterator[list[Piece]]) -> float:
        nonlocal smallest
        total = 0.0
        for pieces in equations:
            em, scale = equation_em(pieces)
            total += em + (_note_em(pieces[-1]) if notes else 0.0)
            smallest = min(smallest, scale)
        return total

    working = WORKING_PER_LAYER * len(spec.layers) if kind == "worksheet" and spec.working_space else 0.0
    total = FRONT_EM + height(shapes.givens()) + height(shapes.forward(1)) + working
    for epoch in range(1, spec.epochs + 1):  # epochs follow on, each with room to work under its passes
        total += TEXT_EM[kind] + height(shapes.epoch(epoch)) + 2 * working
    return Estimate(kind, math.ceil(total / PAGE_EM - SLACK), round(PRINT_FONT_PT * smallest, 1))


def check_documents(spec: Spec, kinds: Sequence[str]) -> None:
    """SpecError when a document of `kinds` would be unreadable or too long to print (`--force` skips this)."""
    for estimate in sorted((estimate_document(spec, kind) for kind in kinds), key=lambda e: e.font_pt):
        problem = document_problem(spec, estimate)
        if problem:
            raise SpecError(*problem, spec.source)


def document_problem(spec: Spec, estimate: Estimate) -> tuple[str, str] | None:
    """(key, one line) when `estimate` is above the limits, else None."""
    name = KIND_NAMES[estimate.kind]
    if estimate.font_pt < MIN_FONT_PT:
        what = "its widest matrices, blanks shrunk alike," if estimate.kind == "worksheet" else "its widest matrices"
        return ("data.x" if spec.n_samples > max(spec.n_inputs, *_units(spec)) else "network.layers",
                f"the {name} would print {what} at about {estimate.font_pt:g} pt, under the {MIN_FONT_PT:g} pt "
                f"limit: {_readable(spec, estimate.kind)}, or --force")
    if estimate.pages > MAX_PAGES:
        return ("training.epochs",
                f"the {name} would run to about {estimate.pages:,} pages (estimated from its shapes), more than the "
                f"limit of {MAX_PAGES}: lower training.epochs or use a smaller network or fewer samples, or --force")
    return None


def _readable(spec: Spec, kind: str) -> str:
    """How far to go, one change at a time, for `kind` to print at MIN_FONT_PT or more: units per layer (and
    inputs), samples, decimals; the changes that get there alone, each as far as it need go."""
    def fits(changed: Spec) -> bool:
        return estimate_document(changed, kind).font_pt >= MIN_FONT_PT

    sizes = spec.sizes
    ways = []
    cap = _largest(max(sizes) - 1, lambda cap: fits(_narrowed(spec, cap)))
    if cap is not None:
        ways.append(f"at most {cap} units per layer ({'-'.join(map(str, sizes))} -> "
                    f"{'-'.join(str(min(s, cap)) for s in sizes)})")
    samples = _largest(spec.n_samples - 1, lambda m: fits(replace(spec, x=spec.x[:m], y=spec.y[:m])))
    if samples is not None:
        ways.append(f"at most {samples} samples (not {spec.n_samples})")
    decimals = next((d for d in range(spec.decimals - 1, -1, -1) if fits(replace(spec, decimals=d))), None)
    if decimals is not None:
        ways.append(f"display.decimals {decimals} (not {spec.decimals})")
    return "use " + " or ".join(ways) if ways else "use a smaller network and fewer samples"


def _largest(high: int, fits: Callable[[int], bool]) -> int | None:
    """The largest n from 1 to `high` that `fits` (which holds below some n and not above it), by bisection."""
    if high < 1 or not fits(1):
        return None
    low = 1  # fits(low) holds
    while low < high:
        middle = (low + high + 1) // 2
        low, high = (middle, high) if fits(middle) else (low, middle - 1)
    return low


def _narrowed(spec: Spec, cap: int) -> Spec:
    """`spec` with at most `cap` inputs and units per layer, in shapes only (for the estimate)."""
    layers = tuple(replace(layer, units=min(layer.units, cap), W=None, b=None) for layer in spec.layers)
    return replace(spec, layers=layers, x=spec.x[:, :cap])
