"""Pictures as coordinates: the network diagram and the loss-per-epoch chart.

Layout is computed here, in Python, so templates only place the shapes (no arithmetic in
templates). Coordinates are whole SVG user units: a worksheet's markup then holds no
decimal number that could be mistaken for (or be) an answer. Numbers shown on the
picture stay floats and are formatted by the render filters like every other number.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from tracegen.numbers import format_number

COLUMN = 170.0
MAX_WIDTH = 620.0  # fits A4 and Letter text width unscaled
ROW = 62.0
RADIUS = 17.0
MARGIN = 34.0
MAX_LABELLED_EDGES = 48
_SUPERSCRIPT = str.maketrans("0123456789()", "⁰¹²³⁴⁵⁶⁷⁸⁹⁽⁾")
_SUBSCRIPT = str.maketrans("0123456789", "₀₁₂₃₄₅₆₇₈₉")


@dataclass(frozen=True)
class Node:
    """A circle with a label `base` with optional subscript and superscript; `bias` printed beside it."""

    x: float
    y: float
    base: str
    sub: str
    sup: str
    bias: float | None
    label_y: float = 0.0
    bias_y: float = 0.0

    @property
    def latex(self) -> str:
        base = r"\hat{y}" if self.base == "ŷ" else self.base
        sup = f"^{{{self.sup}}}" if self.sup else ""
        sub = f"_{{{self.sub}}}" if self.sub else ""
        return base + sup + sub

    @property
    def text(self) -> str:
        """The label as plain Unicode (`h⁽¹⁾₂`), for pictures drawn from text (Markdown's mermaid)."""
        return self.base + self.sup.translate(_SUPERSCRIPT) + self.sub.translate(_SUBSCRIPT)


@dataclass(frozen=True)
class Edge:
    """A connection from one node to the next layer's node, with its weight placed at (lx, ly)."""

    x1: float
    y1: float
    x2: float
    y2: float
    weight: float
    lx: float
    ly: float
    tail: int = 0  # index of the source node in Diagram.nodes
    head: int = 0  # index of the target node

    @property
    def backdrop(self) -> tuple[int, int, int, int]:
        """x, y, width, height of the white box behind the weight, so crossing edges do not cut it."""
        width = round(6 * len(format_number(self.weight, None)) + 4)
        return round(self.lx - width / 2), round(self.ly - 10), width, 13


@dataclass(frozen=True)
class Label:
    """Text on a picture, centred on `x`, baseline at `y` (SVG units, px); `size` in px.

    The text is `text`, then `value` formatted by the render filters (exactly, or with
    `display.decimals` unless `exact`), then `sub` as a subscript. `colour` is a role
    ("ink", "weight" or "muted") that each format maps to its colour. One list of labels
    feeds the HTML's SVG and the PDF (which draws them as text over the shapes).
    """

    x: float
    y: float
    size: int
    colour: str
    text: str = ""
    value: float | None = None
    exact: bool = True
    italic: bool = False
    sub: str = ""


@dataclass(frozen=True)
class Diagram:
    """The network: nodes, edges and layer captions; `labelled` is False when weights would not fit."""

    width: float
    height: float
    radius: float
    nodes: tuple[Node, ...]
    edges: tuple[Edge, ...]
    captions: tuple[tuple[float, str], ...]
    labelled: bool

    @property
    def labels(self) -> tuple[Label, ...]:
        """Weights on the edges (when they fit), unit names, biases and layer captions."""
        weights = [Label(e.lx, e.ly, 11, "weight", value=e.weight) for e in self.edges] if self.labelled else []
        names = [Label(n.x, n.label_y, 15, "ink", n.base, italic=True, sub=n.sub) for n in self.nodes]
        biases = [Label(n.x, n.bias_y, 10, "muted", "b = ", n.bias) for n in self.nodes if n.bias is not None]
        captions = [Label(x, self.height - 6, 11, "muted", caption) for x, caption in self.captions]
        return (*weights, *names, *biases, *captions)


def network(weights: list[np.ndarray], biases: list[np.ndarray], activations: list[str]) -> Diagram:
    """Lay the layers out left to right, each column centred vertically."""
    sizes = [weights[0].shape[1], *(w.shape[0] for w in weights)]
    tallest = max(sizes)
    height = 2 * MARGIN + (tallest - 1) * ROW + 24
    step = min(COLUMN, (MAX_WIDTH - 2 * MARGIN - 40) / (len(sizes) - 1))
    width = 2 * MARGIN + (len(sizes) - 1) * step + 40
    columns = [_column(i, size, tallest, step) for i, size in enumerate(sizes)]
    nodes = [Node(x, y, "x", str(j + 1), "", None, y + 5) for j, (x, y) in enumerate(columns[0])]
    last = len(weights)
    for layer, points in enumerate(columns[1:], start=1):
        for j, (x, y) in enumerate(points):
            base, sup = ("ŷ", "") if layer == last else ("h", f"({layer})")  # the caption names the layer
            sub = str(j + 1) if (layer < last or sizes[-1] > 1) else ""
            nodes.append(Node(x, y, base, sub, sup, float(biases[layer - 1][j]), y + 5, y + RADIUS + 13))
    labelled = sum(w.size for w in weights) <= MAX_LABELLED_EDGES
    starts = np.cumsum([0, *sizes])
    edges = [_edge(a, b, float(weights[layer][j, i]), 0.22 + 0.5 * i / max(sizes[layer] - 1, 1),
                   int(starts[layer] + i), int(starts[layer + 1] + j))
             for layer in range(last)
             for j, b in enumerate(columns[layer + 1])
             for i, a in enumerate(columns[layer])]
    captions = [(columns[0][0][0], "input x")] + [
        (points[0][0], f"{'output' if i == last else f'h({i})'}: {name}")
        for i, (points, name) in enumerate(zip(columns[1:], activations, strict=True), 1)]
    return Diagram(round(width), round(height), RADIUS, tuple(nodes), tuple(edges), tuple(captions), labelled)


def _column(index: int, size: int, tallest: int, step: float) -> list[tuple[float, float]]:
    x = MARGIN + 20 + index * step
    top = MARGIN + (tallest - size) * ROW / 2
    return [(float(round(x)), float(round(top + j * ROW))) for j in range(size)]


def _edge(a: tuple[float, float], b: tuple[float, float], weight: float, t: float, tail: int, head: int) -> Edge:
    """The weight sits on the edge at fraction `t`, staggered per source so labels do not collide."""
    (x1, y1), (x2, y2) = a, b
    length = float(np.hypot(x2 - x1, y2 - y1))
    ux, uy = (x2 - x1) / length, (y2 - y1) / length
    sx, sy = x1 + ux * RADIUS, y1 + uy * RADIUS
    ex, ey = x2 - ux * RADIUS, y2 - uy * RADIUS
    nx, ny = (-uy, ux) if ux < 0 else (uy, -ux)  # the normal pointing up: labels sit just above their edge
    return Edge(round(sx), round(sy), round(ex), round(ey), weight, round(sx + (ex - sx) * t + 7 * nx),
                round(sy + (ey - sy) * t + 7 * ny + 3), tail, head)


@dataclass(frozen=True)
class Chart:
    """Loss per epoch as a polyline with labelled points."""

    width: float
    height: float
    points: tuple[tuple[float, float, int, float, float], ...]  # x, y, epoch, loss, y of the loss label
    polyline: str
    axis: str  # the two axes as polyline points
    tick_y: float  # baseline of the epoch numbers

    @property
    def labels(self) -> tuple[Label, ...]:
        """Each point's loss above it and its epoch on the axis."""
        return tuple(label for x, _, epoch, loss, label_y in self.points
                     for label in (Label(x, label_y, 11, "weight", value=loss, exact=False),
                                   Label(x, self.tick_y, 11, "muted", str(epoch))))


def loss_chart(losses: list[float], width: float = 360.0, height: float = 150.0) -> Chart:
    """Scale the losses into the box; a flat series sits in the middle."""
    left, right, top, bottom = 40.0, 20.0, 22.0, 30.0
    low, high = min(losses), max(losses)
    span = high - low or 1.0
    count = max(len(losses) - 1, 1)
    points = []
    for i, loss in enumerate(losses):
        x = left + 14 + (width - left - right - 14) * (i / count if len(losses) > 1 else 0.5)
        y = top + (height - top - bottom) * ((high - loss) / span if high > low else 0.5)
        points.append((round(x), round(y), i + 1, loss, round(y) - 7))
    polyline = " ".join(f"{x},{y}" for x, y, *_ in points)
    x0, y0, x1, y1 = round(left - 10), round(height - bottom + 8), round(width - right + 8), round(top - 12)
    return Chart(width, height, tuple(points), polyline, f"{x0},{y1} {x0},{y0} {x1},{y0}", y0 + 14)
