"""Pictures as coordinates: the network diagram and the loss-per-epoch chart.

Layout is computed here, in Python, so templates only place the shapes (no arithmetic in
templates). Coordinates are whole SVG user units: a worksheet's markup then holds no
decimal number that could be mistaken for (or be) an answer.

Every text on a picture is a `Label` whose ink box is known here, from the shipped fonts' own
measures (`tracegen.fontmetrics`, what the PDF draws with; tests/document/test_diagram.py checks it).
So the layout can promise that no label covers another label, a unit, or a point where two
edges cross, and that each weight sits on its own edge with no other edge passing under it (so
the eye can tell which edge it belongs to): the weights are placed along their edges by a small
search, and the gap between two layers grows until they fit. Every network whose layer pairs
have at most 18 edges gets its weights; a denser one may not, and then its caption points to the
W matrices printed below it (tests/document/test_diagram.py checks every network of up to 6 units
per layer and 3 or 4 layers).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from functools import lru_cache
from typing import Any

import numpy as np

from tracegen.fontmetrics import text_extent
from tracegen.layout import SCRIPT_LOWER, SCRIPT_RAISE, SCRIPT_SIZE
from tracegen.maths.scripts import SUBSCRIPT, SUPERSCRIPT
from tracegen.maths.speech import speech
from tracegen.maths.tree import Func, Ident, Num
from tracegen.numbers import MINUS, format_number

RADIUS = 18
ROW = 62  # between the centres of two units of a layer
MARGIN = 12  # around the picture
MAX_GAP_EDGES = 36  # weights are labelled up to 6-by-6 units per gap (tests/document/test_diagram.py checks them)
CROSSINGS_CHECKED = 400  # edges in a gap up to which bias labels are kept off crossings without weights too
MAX_WIDTH = 660  # fits A4's and Letter's text width (178 mm = 672 px) unscaled
# Between two layers' centres: the narrowest gap, its steps as it grows until the weights fit,
# and the gap a layer pair gets when the page has room (COMFORT, plus PER_EDGE for each edge past 6).
NARROWEST, GAP_STEP, COMFORT, PER_EDGE = 110, 10, 150, 5
# Weight labels are searched for only when every one has at most MAX_WEIGHT_CHARS characters (a long given
# such as 9.99988671826831e-321 took the search 35,000 steps, 16 s, in a 4-6-5-3 network, and never fitted),
# and for at most SEARCH_STEPS steps per gap tried and LABEL_BUDGET in all: every network of up to 6 units per
# layer with short weights takes at most 8,342 (tests/test_diagram.py).
MAX_WEIGHT_CHARS, SEARCH_STEPS, LABEL_BUDGET = 8, 2000, 10_000
PAD = 1.5  # px of room around a label's ink: its backdrop, and what nothing else may enter
CLEAR = 1.0  # px from a label's box (its backdrop) to the nearest edge crossing
APART = (3, 0)  # px between two weights' boxes, so neighbours do not read as one column; 0 if 3 does not fit
NAME_SIZE, WEIGHT_SIZE, BIAS_SIZE, CAPTION_SIZE = 14, 11, 10, 12
BIAS_DROP = RADIUS + 12  # baseline of a bias label below its unit's centre
EQUALS = "\u2005=\u2005"  # four-per-em spaces about "=", as the documents' maths sets them

Parts = tuple[tuple[str, str], ...]  # runs of (text, style), style one of STYLES
STYLES = ("upright", "italic", "sub", "sup")
# Scripts are sized and shifted as the shipped font's Unicode script glyphs that the PDF draws
# (tracegen.layout.SCRIPT_SIZE, ...); the HTML's SVG sets plain digits so, for search, copy and screen readers.
Extent = tuple[float, float, float]  # advance width, ink top, ink bottom (em, below the baseline positive)


@lru_cache(maxsize=4096)
def measure(parts: Parts | str) -> Extent:
    """Advance width, ink top and ink bottom of text as the PDF draws it (a plain string is upright): italic runs in
    the italic face (whose maths italic letters are its own glyphs), scripts as the Unicode script glyphs."""
    if isinstance(parts, str):
        parts = ((parts, "upright"),)
    extents = [text_extent(_text(((text, style),)), "italic" if style == "italic" else "regular")
               for text, style in parts]
    return (sum(width for width, _, _ in extents), max((top for _, _, top in extents), default=0.0),
            -min((bottom for _, bottom, _ in extents), default=0.0))


def _box(x: Any, y: Any, size: float, extent: Extent) -> tuple[Any, Any, Any, Any]:
    """Left, top, right, bottom (px) of text of `extent` (measure) centred on x with its baseline at y, PAD around.

    Works on numbers and on NumPy arrays of positions alike (the layout search boxes every candidate at once).
    """
    width, top, bottom = extent
    return (np.floor(x - width * size / 2 - PAD), np.floor(y - top * size - PAD),
            np.ceil(x + width * size / 2 + PAD), np.ceil(y + bottom * size + PAD))


def _widest(texts: Iterable[Parts | str]) -> Extent:
    """An extent that holds each of `texts` (the widest, tallest and deepest of them)."""
    widths, tops, bottoms = zip(*(measure(t) for t in texts), strict=True)
    return max(widths), max(tops), max(bottoms)


@dataclass(frozen=True)
class Label:
    """Text on a picture, centred on `x`, baseline at `y` (SVG units, px); `size` in px.

    `parts` are runs of (text, style): "italic" runs are maths letters, set in the italic face
    (the PDF uses their Unicode maths italic forms, as its equations do); "upright" runs carry
    numbers and words; "sub" and "sup" runs are scripts (digits, parentheses): the PDF draws
    them as the font's Unicode script glyphs, as its equations; the HTML's SVG as smaller,
    shifted plain text (`svg_runs`). `colour` is a role ("ink", "weight" or "muted") that
    each format maps to its colour; `backdrop` puts a white box (`box`) behind the label, over
    the lines it sits on. One list of labels feeds the HTML's SVG and the PDF (which draws them
    as text over the shapes).
    """

    x: int
    y: int
    size: int
    colour: str
    parts: Parts
    backdrop: bool = False
    least: float = 0.0  # em: the backdrop holds text at least this wide (a batch's PDFs: its widest such label)

    @property
    def text(self) -> str:
        """The label as plain Unicode, scripts as script characters (`h₁⁽¹⁾`)."""
        return _text(self.parts)

    @property
    def svg_runs(self) -> tuple[tuple[str, bool, int | None, int], ...]:
        """(text, italic, font size or None, dy) per part for SVG tspans; dy is from the previous part's baseline."""
        out, shift = [], 0
        for text, style in self.parts:
            script = style in ("sub", "sup")
            want = (round(SCRIPT_LOWER * self.size) if style == "sub" else
                    -round(SCRIPT_RAISE * self.size) if script else 0)
            out.append((text, style == "italic", round(SCRIPT_SIZE * self.size) if script else None, want - shift))
            shift = want
        return tuple(out)

    @property
    def box(self) -> tuple[int, int, int, int]:
        """Left, top, right, bottom (px): the ink with PAD around it, where nothing else may be drawn."""
        width, top_ink, bottom_ink = measure(self.parts)
        left, top, right, bottom = _box(self.x, self.y, self.size, (max(width, self.least), top_ink, bottom_ink))
        return int(left), int(top), int(right), int(bottom)

    @property
    def rect(self) -> tuple[int, int, int, int]:
        """The box as SVG's x, y, width, height."""
        left, top, right, bottom = self.box
        return left, top, right - left, bottom - top


def _joined(*parts: tuple[str, str]) -> Parts:
    """Runs with neighbours of the same style merged (fewer text pieces to lay out)."""
    out: list[tuple[str, str]] = []
    for text, style in parts:
        if out and out[-1][1] == style:
            out[-1] = (out[-1][0] + text, style)
        elif text:
            out.append((text, style))
    return tuple(out)


def _text(parts: Parts) -> str:
    """Runs as plain Unicode: scripts as Unicode script characters (they measure at least as wide as set)."""
    table = {"sub": SUBSCRIPT, "sup": SUPERSCRIPT}
    return "".join(text.translate(table[style]) if style in table else text for text, style in parts)


@dataclass(frozen=True)
class Node:
    """A unit: a circle with the name `base` (sub- and superscript digits) and its `bias` (None for an input)."""

    x: int
    y: int
    base: str
    sub: str
    sup: str
    bias: float | None

    @property
    def latex(self) -> str:
        base = r"\hat{y}" if self.base == "ŷ" else self.base
        sup = f"^{{{self.sup}}}" if self.sup else ""
        sub = f"_{{{self.sub}}}" if self.sub else ""
        return base + sub + sup  # as tracegen.maths.latex writes every script

    @property
    def text(self) -> str:
        """The label as plain Unicode (`h₂⁽¹⁾`, subscript first as every format sets it), for pictures drawn
        from text (Markdown's mermaid)."""
        return self.base + self.sub.translate(SUBSCRIPT) + self.sup.translate(SUPERSCRIPT)

    @property
    def short(self) -> str:
        """The name within its layer, in plain letters and digits (`h2`, `x3`, `ŷ`): a weight table's headers,
        whose caption names the layer (script characters would be read as maths set as text)."""
        return self.base + self.sub

    @property
    def parts(self) -> Parts:
        """The name as the documents' PDF maths sets h^{(1)}_{2}: italic letter, then subscript, then superscript."""
        return _joined((self.base, "italic"), (self.sub, "sub"), (self.sup, "sup"))


@dataclass(frozen=True)
class Edge:
    """A connection from unit `tail` to unit `head` (indices into Diagram.nodes), drawn between their circles.

    Its weight's label is centred on the edge at (lx, baseline ly).
    """

    x1: int
    y1: int
    x2: int
    y2: int
    weight: float
    tail: int
    head: int
    lx: int
    ly: int


@dataclass(frozen=True)
class WeightTable:
    """One layer's weights and biases as a table a screen reader steps through cell by cell: a row per
    unit of the layer, a column per unit it takes input from, then its bias (the picture's numbers)."""

    layer: int
    activation: str
    inputs: tuple[str, ...]
    rows: tuple[tuple[str, tuple[str, ...], str], ...]  # unit, its weights (one per input), its bias


@dataclass(frozen=True)
class Diagram:
    """The network: units, edges and one caption per layer; `labelled` is False when the weights do not fit.

    `activations` names each layer's activation in words ("ReLU", "sigmoid") for its description.
    """

    width: int
    height: int
    radius: int
    nodes: tuple[Node, ...]
    edges: tuple[Edge, ...]
    captions: tuple[Label, ...]
    labelled: bool
    sizes: tuple[int, ...]
    activations: tuple[str, ...] = ()
    least: tuple[float, ...] = ()  # Label.least of each label, in order (none: each label's own)

    @property
    def labels(self) -> tuple[Label, ...]:
        """Weights on the edges (when they fit), unit names, biases and layer captions."""
        weights = [Label(e.lx, e.ly, WEIGHT_SIZE, "weight", ((_number(e.weight), "upright"),), backdrop=True)
                   for e in self.edges] if self.labelled else []
        names = [Label(n.x, n.y + _NAME_BASELINE, NAME_SIZE, "ink", n.parts) for n in self.nodes]
        biases = [Label(n.x, n.y + BIAS_DROP, BIAS_SIZE, "muted", _bias_parts(n.bias), backdrop=True)
                  for n in self.nodes if n.bias is not None]
        labels = (*weights, *names, *biases, *self.captions)
        if not self.least:
            return labels
        return tuple(replace(label, least=least) for label, least in zip(labels, self.least, strict=True))

    @property
    def description(self) -> str:
        """What the picture shows, for a screen reader (givens only: it is on worksheets too)."""
        shape = "-".join(str(s) for s in self.sizes)
        last = len(self.sizes) - 1
        layers = "; ".join(
            f"layer {layer}{', the output,' if layer == last else ''} with {_units(self.sizes[layer])}"
            + (f" ({self.activations[layer - 1]})" if self.activations else "") for layer in range(1, last + 1))
        what = "the weights on the edges and " if self.labelled else ""
        return (f"Diagram of the {shape} network: {self.sizes[0]} inputs on the left, then {layers}. Every unit is "
                f"connected to every unit of the next layer, {what}each unit's bias below it. The tables after "
                "the diagram list each layer's weights and biases.")

    @property
    def tables(self) -> tuple[WeightTable, ...]:
        """Each layer's weights (as on the edges) and biases, by unit."""
        starts = np.cumsum([0, *self.sizes])
        weights = {(e.tail, e.head): _number(e.weight) for e in self.edges}
        out = []
        for layer in range(1, len(self.sizes)):
            sources = range(int(starts[layer - 1]), int(starts[layer]))
            rows = tuple((self.nodes[unit].short, tuple(weights[(i, unit)] for i in sources),
                          _number(self.nodes[unit].bias or 0.0))
                         for unit in range(int(starts[layer]), int(starts[layer + 1])))
            activation = self.activations[layer - 1] if self.activations else ""
            out.append(WeightTable(layer, activation, tuple(self.nodes[i].short for i in sources), rows))
        return tuple(out)


def _units(count: int) -> str:
    return f"{count} unit{'' if count == 1 else 's'}"


_NAME_BASELINE = 5  # a unit's name: baseline below the centre, so its ink sits in the middle


def _number(value: float) -> str:
    """A given as printed on the picture: exactly as written, with a typographic minus."""
    return format_number(value, None, MINUS)


def _bias_parts(bias: float) -> Parts:
    return _joined(("b", "italic"), (EQUALS + _number(bias), "upright"))


def _caption_parts(layer: int, last: bool, function: Func | Ident | None) -> Parts:
    """The layer's forward rule (h⁽¹⁾ = ReLU(z⁽¹⁾)), as the Forward Pass section writes it; the inputs are "input x".

    `function` is the activation's name as the formulas write it (a Func or an Ident; None: linear).
    """
    if layer == 0:
        return _joined(("input ", "upright"), ("x", "italic"))
    script = (f"({layer})", "sup")
    out = (("ŷ", "italic"),) if last else (("h", "italic"), script)
    z = (("z", "italic"), script)
    if function is None:
        return _joined(*out, (EQUALS, "upright"), *z)
    name = (function.name, "upright") if isinstance(function, Func) else (function.text, function.style)
    return _joined(*out, (EQUALS, "upright"), name, ("(", "upright"), *z, (")", "upright"))


def network(weights: list[np.ndarray], biases: list[np.ndarray], functions: list[Func | Ident | None],
            activations: Iterable[str] = ()) -> Diagram:
    """Lay the layers out left to right, each column centred vertically; gaps grow until the weights fit.

    `functions` name each layer's activation as the formulas do (None: linear), `activations` in
    words (the description says them). When even the widest picture that fits the page has no
    room for every weight, each alone on its edge, none is printed (the figure's caption then
    points to the W matrices): that happens only for layer pairs of 20 edges or more (4-6-5-3),
    or past MAX_GAP_EDGES.
    """
    sizes = [int(weights[0].shape[1]), *(int(w.shape[0]) for w in weights)]
    last = len(weights)
    tallest = max(sizes)
    top = MARGIN + RADIUS + 10  # room for a name's superscript
    columns = [[top + (tallest - size) * ROW // 2 + j * ROW for j in range(size)] for size in sizes]
    captions = [_caption_parts(i, i == last, None if i == 0 else functions[i - 1]) for i in range(len(sizes))]
    caption_widths = [measure(c)[0] * CAPTION_SIZE for c in captions]
    bias_extents = [(0.0, 0.0, 0.0), *(_widest(_bias_parts(float(b)) for b in layer) for layer in biases)]
    weight_extents = [_widest(_number(float(v)) for v in w.ravel()) for w in weights]
    sides = [max(caption_widths[i] / 2, bias_extents[i][0] * BIAS_SIZE / 2 + PAD, RADIUS) for i in (0, -1)]
    room = math.floor(MAX_WIDTH - 2 * MARGIN - sum(sides))
    least = [max(NARROWEST, math.ceil((caption_widths[i] + caption_widths[i + 1]) / 2 + 16)) for i in range(last)]
    long = max(len(_number(float(v))) for w in weights for v in w.ravel()) > MAX_WEIGHT_CHARS
    budget = [LABEL_BUDGET]
    placed = None if long or any(w.size > MAX_GAP_EDGES for w in weights) else next(
        (p for apart in APART if (p := _fit(columns, least, room, weight_extents, bias_extents, apart, budget))),
        None)
    gaps = [gap for gap, _ in placed] if placed else _bare_gaps(columns, least, room, bias_extents)
    xs = [round(MARGIN + sides[0] + sum(gaps[:i])) for i in range(len(sizes))]
    nodes = [Node(xs[0], y, "x", str(j + 1), "", None) for j, y in enumerate(columns[0])]
    for layer in range(1, last + 1):
        for j, y in enumerate(columns[layer]):
            base, sup = ("ŷ", "") if layer == last else ("h", f"({layer})")
            sub = str(j + 1) if (layer < last or sizes[-1] > 1) else ""
            nodes.append(Node(xs[layer], y, base, sub, sup, float(biases[layer - 1][j])))
    starts = np.cumsum([0, *sizes])
    edges = []
    for layer in range(last):
        for j, y2 in enumerate(columns[layer + 1]):
            for i, y1 in enumerate(columns[layer]):
                lx, ly = placed[layer][1][j * sizes[layer] + i] if placed else (0, 0)
                edges.append(_edge(xs[layer], y1, xs[layer + 1], y2, float(weights[layer][j, i]),
                                   int(starts[layer] + i), int(starts[layer + 1] + j), xs[layer] + lx, ly))
    height = max(c[-1] for c in columns) + BIAS_DROP + 14 + CAPTION_SIZE + MARGIN
    caption_labels = tuple(Label(x, height - MARGIN - 3, CAPTION_SIZE, "muted", c)
                           for x, c in zip(xs, captions, strict=True))
    return Diagram(math.ceil(xs[-1] + sides[1] + MARGIN), height, RADIUS, tuple(nodes), tuple(edges), caption_labels,
                   placed is not None, tuple(sizes), tuple(activations))


def _edge(x1: int, y1: int, x2: int, y2: int, weight: float, tail: int, head: int, lx: int, ly: int) -> Edge:
    """The line between the two circles (not their centres)."""
    length = math.hypot(x2 - x1, y2 - y1)
    ux, uy = (x2 - x1) / length, (y2 - y1) / length
    return Edge(round(x1 + ux * RADIUS), round(y1 + uy * RADIUS), round(x2 - ux * RADIUS), round(y2 - uy * RADIUS),
                weight, tail, head, lx, ly)


def _fit(columns: list[list[int]], least: list[int], room: int, weights: list[Extent], biases: list[Extent],
         apart: int, budget: list[int]) -> list[tuple[int, tuple[tuple[int, int], ...]]] | None:
    """Each gap's width and its weights' label spots (x from the left column, baseline y); None if they cannot
    fit, or the search for them runs out of `budget` (steps left for the picture, counted down)."""

    def place(layer: int, gap: int) -> tuple[tuple[int, int], ...] | None:
        if budget[0] <= 0:
            raise _OutOfBudget
        left, right, shift = _pair(columns, layer)
        spots, steps = _place(left, right, gap, weights[layer], biases[layer], biases[layer + 1], apart,
                              min(SEARCH_STEPS, budget[0]))
        budget[0] -= steps
        return None if spots is None else tuple((x, y + shift) for x, y in spots)

    try:
        return _widths(columns, least, room, place)
    except _OutOfBudget:
        return None


class _OutOfBudget(Exception):
    """The search for weight labels took LABEL_BUDGET steps: the picture is drawn without them."""


def _widths(columns: list[list[int]], least: list[int], room: int,
            place: Callable[[int, int], tuple[tuple[int, int], ...] | None]
            ) -> list[tuple[int, tuple[tuple[int, int], ...]]] | None:
    """`_fit`'s gaps, given how to `place` a gap's labels: first the narrowest gaps where every weight
    fits; then the room the page has left goes to the gaps with many edges, up to `_comfortable` (a
    dense gap reads better wide)."""
    lows = []
    for layer, gap in enumerate(least):
        while place(layer, gap) is None:
            gap += GAP_STEP
            if gap > room:
                return None
        lows.append(gap)
    if sum(lows) > room:
        return None
    wants = [max(low, _comfortable(len(columns[i]), len(columns[i + 1]))) for i, low in enumerate(lows)]
    extra = sum(wants) - sum(lows)
    share = min(1.0, (room - sum(lows)) / extra) if extra else 0.0
    out = []
    for layer, (low, want) in enumerate(zip(lows, wants, strict=True)):
        gap = low + int((want - low) * share) // GAP_STEP * GAP_STEP
        while (spots := place(layer, gap)) is None:
            gap -= GAP_STEP
            if gap < low:  # `low` fitted, but not in the budget left
                return None
        out.append((gap, spots))
    return out


def _bare_gaps(columns: list[list[int]], least: list[int], room: int, biases: list[Extent]) -> list[int]:
    """Gaps for a picture without its weights: COMFORT (as the page allows), wider where a bias label would
    cover a crossing; gaps of over CROSSINGS_CHECKED edges are not checked (their edges are a thicket)."""
    gaps = []
    for layer, narrowest in enumerate(least):
        gap = max(narrowest, min(COMFORT, room // len(least)))
        left, right, _ = _pair(columns, layer)
        if len(left) * len(right) <= CROSSINGS_CHECKED:
            while not _biases_clear(left, right, gap, biases[layer], biases[layer + 1]) and gap < room:
                gap += GAP_STEP
        gaps.append(gap)
    return gaps


def _pair(columns: list[list[int]], layer: int) -> tuple[tuple[int, ...], tuple[int, ...], int]:
    """The units' heights of a gap's two columns, moved up to start at 0 (so that `_place`'s cache serves the
    same pair in other networks), and by how much they were moved."""
    shift = min(columns[layer][0], columns[layer + 1][0])
    return tuple(y - shift for y in columns[layer]), tuple(y - shift for y in columns[layer + 1]), shift


def _comfortable(sources: int, targets: int) -> int:
    """The gap that reads well for this many edges: COMFORT px for up to 6, a little more per further edge."""
    return COMFORT + PER_EDGE * max(0, sources * targets - 6)


# Where a weight's label may go along its edge: centres `STEP` px apart, the nearer the source
# (PREFER of the way) the better, and never where another edge passes under it (the eye could not
# tell which of the lines running into a label it belongs to).
STEP = 2.0
PREFER = 0.35
_NUMBER_CENTRE = 0.33  # em above the baseline: the middle of a number's ink, put on the edge


@lru_cache(maxsize=4096)
def _place(left: tuple[int, ...], right: tuple[int, ...], gap: int, weight: Extent, bias_left: Extent,
           bias_right: Extent, apart: int, budget: int) -> tuple[tuple[tuple[int, int], ...] | None, int]:
    """Spots for the labels of every edge left[i] -> right[j] (in order j, i), or None if they do not all fit
    in `budget` search steps; and the steps taken.

    Columns at x = 0 and x = `gap`; each label fits `weight` (an extent), each bias label
    `bias_left` or `bias_right`. A spot is free when its box keeps CLEAR of every crossing of
    two edges, no other edge passes under it, and it is off every circle and bias label and
    inside the gap; then free spots that
    overlap no other chosen one are searched for, the most constrained edge first (`_choose`).
    """
    a, b = np.array(left, float), np.array(right, float)
    src, dst = np.tile(a, len(b)), np.repeat(b, len(a))  # one entry per edge, in order (j, i)
    owner, frac, spot = [], [], []
    for e, (y1, y2) in enumerate(zip(src, dst, strict=True)):
        length = math.hypot(gap, y2 - y1)
        ts = np.arange(RADIUS / length, 1 - RADIUS / length, STEP / length)
        owner.append(np.full(len(ts), e))
        frac.append(ts)
        spot.append(np.stack([np.round(ts * gap), np.round(y1 + ts * (y2 - y1) + _NUMBER_CENTRE * WEIGHT_SIZE)], 1))
    who, t, spots = np.concatenate(owner), np.concatenate(frac), np.concatenate(spot)
    box = np.stack(_box(spots[:, 0], spots[:, 1], WEIGHT_SIZE, weight), axis=1)
    ok = (box[:, 0] >= 0) & (box[:, 2] <= gap)
    centres = [(0.0, y) for y in a] + [(float(gap), y) for y in b]
    ok &= ~np.any([_hits_circle(box, x, y, RADIUS + 1) for x, y in centres], axis=0)
    crossings = _crossings(a, b, gap)
    biases = _bias_boxes(left, right, gap, bias_left, bias_right)
    if _hits_points(biases, crossings, CLEAR).any():  # a bias label on a crossing: the gap is too narrow
        return None, 0
    ok &= ~_overlaps(box, biases).any(axis=1)
    keep = np.flatnonzero(ok)
    keep = keep[~_hits_points(box[keep], crossings, CLEAR)]
    keep = keep[_edges_under(box[keep], src, dst, gap) == 1]  # its own edge only
    if len(np.unique(who[keep])) < len(src):
        return None, 0
    box, who, spots = box[keep], who[keep], spots[keep].astype(int)
    cost = np.abs(t[keep] - PREFER)
    chosen, steps = _choose(who, cost, box, len(src), apart, budget)
    return (None if chosen is None else tuple((int(spots[k, 0]), int(spots[k, 1])) for k in chosen)), steps


def _bias_boxes(left: tuple[int, ...], right: tuple[int, ...], gap: int, bias_left: Extent, bias_right: Extent
                ) -> np.ndarray:
    """The boxes of the bias labels under both columns' units (none under the inputs)."""
    found = [_box(0.0, y + BIAS_DROP, BIAS_SIZE, bias_left) for y in left if bias_left[0]]
    found += [_box(float(gap), y + BIAS_DROP, BIAS_SIZE, bias_right) for y in right if bias_right[0]]
    return np.array(found, float).reshape(-1, 4)


@lru_cache(maxsize=4096)
def _biases_clear(left: tuple[int, ...], right: tuple[int, ...], gap: int, bias_left: Extent, bias_right: Extent
                  ) -> bool:
    """Whether the gap is wide enough for no bias label to cover a crossing (the test of a gap without weights)."""
    a, b = np.array(left, float), np.array(right, float)
    return not _hits_points(_bias_boxes(left, right, gap, bias_left, bias_right), _crossings(a, b, gap), CLEAR).any()


def _crossings(a: np.ndarray, b: np.ndarray, gap: int) -> np.ndarray:
    """Points where two edges of the gap cross (columns at x = 0 and x = `gap`): edge i -> j and edge k -> m."""
    i, k = (v[:, None] for v in np.triu_indices(len(a), 1))
    j, m = (v.ravel()[None, :] for v in np.meshgrid(np.arange(len(b)), np.arange(len(b)), indexing="ij"))
    apart = np.broadcast_to(a[k] - a[i], (len(i), j.shape[1]))
    rise = apart - (b[m] - b[j])
    with np.errstate(divide="ignore", invalid="ignore"):
        t = np.where(rise != 0, apart / rise, -1.0)
    hit = (t > 0) & (t < 1)
    start = np.broadcast_to(a[i], t.shape)[hit]
    return np.stack([t[hit] * gap, start + t[hit] * (np.broadcast_to(b[j], t.shape)[hit] - start)], axis=1)


def _hits_points(box: np.ndarray, points: np.ndarray, clear: float) -> np.ndarray:
    """Whether each box, grown by `clear`, contains any of the points."""
    if not len(points):
        return np.zeros(len(box), bool)
    x, y = points[None, :, 0], points[None, :, 1]
    inside = ((box[:, 0:1] - clear <= x) & (x <= box[:, 2:3] + clear)
              & (box[:, 1:2] - clear <= y) & (y <= box[:, 3:4] + clear))
    return np.asarray(inside.any(axis=1))


def _hits_circle(box: np.ndarray, xc: float, yc: float, radius: float) -> np.ndarray:
    nx = np.clip(xc, box[:, 0], box[:, 2])
    ny = np.clip(yc, box[:, 1], box[:, 3])
    return (nx - xc) ** 2 + (ny - yc) ** 2 < radius ** 2


def _overlaps(one: np.ndarray, other: np.ndarray) -> np.ndarray:
    """Whether box one[p] and box other[q] share any area (touching edges do not)."""
    return ((one[:, None, 0] < other[None, :, 2]) & (other[None, :, 0] < one[:, None, 2])
            & (one[:, None, 1] < other[None, :, 3]) & (other[None, :, 1] < one[:, None, 3]))


def _edges_under(box: np.ndarray, src: np.ndarray, dst: np.ndarray, gap: int) -> np.ndarray:
    """How many of the gap's edges pass under each box."""
    y_left = src[None, :] + (dst - src)[None, :] * box[:, 0:1] / gap
    y_right = src[None, :] + (dst - src)[None, :] * box[:, 2:3] / gap
    low, high = np.minimum(y_left, y_right), np.maximum(y_left, y_right)
    return ((low < box[:, 3:4]) & (high > box[:, 1:2])).sum(axis=1)


def _choose(who: np.ndarray, cost: np.ndarray, box: np.ndarray, count: int, apart: int, budget: int
            ) -> tuple[list[int] | None, int]:
    """One candidate per edge (`who` owns each box), no two within `apart` px, cheap first: depth-first,
    the edge with fewest options next; and the steps taken. Gives up (None) after `budget` steps: the
    caller then tries a wider gap.
    """
    order = np.argsort(cost, kind="stable")
    alive = np.ones(len(who), bool)
    open_ = np.ones(count, bool)  # edges not yet given a spot
    chosen = [0] * count
    steps = 0

    def search() -> bool:
        nonlocal steps
        if not open_.any():
            return True
        steps += 1
        if steps > budget:
            return False
        options = np.bincount(who[alive], minlength=count)
        edge = int(np.flatnonzero(open_)[np.argmin(options[open_])])
        open_[edge] = False
        for k in order[(alive & (who == edge))[order]]:
            dead = _overlaps(box[k:k + 1] + (-apart, -apart, apart, apart), box)[0] & alive & (who != edge)
            alive[dead] = False
            if np.bincount(who[alive], minlength=count)[open_].all() and search():
                chosen[edge] = int(k)
                return True
            alive[dead] = True
        open_[edge] = True
        return False

    found = search()
    return (chosen if found else None), min(steps, budget)


LINE_WIDTH, AXIS_WIDTH, DOT_RADIUS = 1.6, 1, 3  # px: the loss's line, the axes and ticks, a point's disc


@dataclass(frozen=True)
class Chart:
    """Loss per epoch: the line, its points, both axes with ticks, and their labels."""

    width: int
    height: int
    polyline: str
    dots: tuple[tuple[int, int], ...]  # empty when the points are too close to draw apart
    axes: str  # both axes as one polyline, from the x axis's end round to the L axis's top
    ticks: tuple[tuple[int, int, int, int], ...]  # tick marks as x1, y1, x2, y2
    labels: tuple[Label, ...]
    origin: str  # where the L axis starts, as its tick prints it
    broken: bool  # the L axis does not start at 0: its foot is drawn as a zigzag, the caption says so
    epochs: int
    losses: tuple[str, ...] = ()  # each epoch's loss as printed (ASCII minus)
    line_width, axis_width, dot_radius = LINE_WIDTH, AXIS_WIDTH, DOT_RADIUS  # px, as each format draws them

    @property
    def points(self) -> list[tuple[int, int]]:
        """The line's points (px), one per epoch."""
        return _pairs(self.polyline)

    @property
    def corners(self) -> list[tuple[int, int]]:
        """The axes' polyline's corners (px)."""
        return _pairs(self.axes)

    @property
    def description(self) -> str:
        """What the chart shows, for a screen reader, with the loss of each epoch (it is on answer keys only)."""
        start = f", its L axis starting at {self.origin} rather than 0" if self.broken else ""
        losses = "; ".join(f"epoch {k}, {speech(Num(v))}" for k, v in enumerate(self.losses, start=1))
        return f"Line chart of the loss L for epochs 1 to {self.epochs}{start}." + (
            f" The losses: {losses}." if losses else "")


def nice_step(span: float, decimals: int, count: int = 4) -> float:
    """A round tick step (1, 2 or 5 times a power of ten) giving about `count` intervals over `span`.

    Never finer than the document's last decimal, so every tick is exact at the document's decimals.
    """
    raw = max(span / count, 10.0 ** -decimals)
    power = 10.0 ** math.floor(math.log10(raw))
    return next(round(f * power, 12) for f in (1, 2, 5, 10) if f * power >= raw * (1 - 1e-9))


AXIS_ROOM = 0.25  # of a tick step: the least room between a broken L axis's start and the lowest loss


def loss_axis(losses: list[float], decimals: int) -> list[float]:
    """The L axis's tick values, bottom to top: round numbers from the axis's start to at least the highest loss.

    The axis starts at 0 unless the losses sit high above it (the lowest above half the
    highest): then it starts at a round value at least a quarter step below the lowest loss
    (the chart marks the break and says where it starts), so that small changes show without
    misleading, and no point sits on the axis line (L = 0.50006 on an axis starting at 0.500 did).
    """
    low, high = min(losses), max(losses)
    zero = high <= 0 or low <= high / 2 or low == high
    step = nice_step(high if zero else high - low, decimals) if high > 0 else 1.0
    first = 0 if zero else max(0, math.floor(low / step - AXIS_ROOM))
    last = max(math.ceil(high / step - 1e-9), first + 1)
    return [round(k * step, 12) for k in range(first, last + 1)]


def tick_texts(values: list[float]) -> list[str]:
    """Tick numbers all printed alike, with the decimals their step needs: 0 1 2 3, 0.0 0.5 1.0, 0.10 0.11 (the
    same rule on every chart; the document's decimals gave 0.000 0.500 1.000 on one key and 0 1 2 on another)."""
    step = values[1] - values[0] if len(values) > 1 else 1.0
    places = max(0, math.ceil(-math.log10(step) - 1e-9))
    return [f"{v:.{places}f}".replace("-", MINUS) for v in values]


VALUE_SIZE, TICK_SIZE = 11, 10


def loss_chart(losses: list[float], decimals: int, width: int = 400, height: int = 190) -> Chart:
    """The losses against their epochs on axes with round ticks, each point's loss beside it where it fits."""
    ticks_l = loss_axis(losses, decimals)
    texts = tick_texts(ticks_l)
    left = round(max(measure(t)[0] for t in texts) * TICK_SIZE) + 24
    right, top, bottom = 16, 26, 38
    plot_w, plot_h = width - left - right, height - top - bottom
    base = top + plot_h
    count = len(losses)
    inset = 20  # the first and last points stand off the axes
    spacing = (plot_w - 2 * inset) / max(count - 1, 1)
    points = [(round(left + inset + k * spacing) if count > 1 else left + plot_w // 2,
               round(base - plot_h * (v - ticks_l[0]) / (ticks_l[-1] - ticks_l[0]))) for k, v in enumerate(losses)]
    labels, ticks = [], []
    for value, text in zip(ticks_l, texts, strict=True):
        y = round(base - plot_h * (value - ticks_l[0]) / (ticks_l[-1] - ticks_l[0]))
        ticks.append((left - 4, y, left, y))
        labels.append(Label(left - 7 - round(measure(text)[0] * TICK_SIZE / 2), y + 3, TICK_SIZE, "muted",
                            ((text, "upright"),)))
    every = next(e for e in (1, 2, 5, 10, 20, 50, 100, 200, 500, 1000) if spacing * e >= 24 or e >= count)
    for k, (x, _) in enumerate(points):
        if k == 0 or (k + 1) % every == 0:
            ticks.append((x, base, x, base + 4))
            labels.append(Label(x, base + 15, TICK_SIZE, "muted", ((str(k + 1), "upright"),)))
    labels.append(Label(left + plot_w // 2, height - 6, 11, "muted", (("epoch", "upright"),)))
    labels.append(Label(left - 12, top - 12, 12, "ink", (("L", "italic"),)))
    broken = ticks_l[0] != 0
    foot = f" {left},{base - 4} {left - 4},{base - 7} {left + 4},{base - 11} {left},{base - 14}" if broken else ""
    axes = f"{left + plot_w},{base} {left},{base}{foot} {left},{top - 6}"
    dots = tuple(points) if count == 1 or spacing >= 8 else ()
    corners = _pairs(axes)
    lines = [*zip(points[:-1], points[1:], strict=True), *zip(corners[:-1], corners[1:], strict=True),
             *(((x1, y1), (x2, y2)) for x1, y1, x2, y2 in ticks)]
    values = [format_number(v, decimals, MINUS) for v in losses]
    if count == 1 or spacing >= max(measure(v)[0] for v in values) * VALUE_SIZE + 6:  # else the table has them
        labels += _value_labels(points, values, labels, lines, dots, (0, 0, width, height))
    return Chart(width, height, " ".join(f"{x},{y}" for x, y in points), dots, axes, tuple(ticks), tuple(labels),
                 texts[0], broken, count, tuple(format_number(v, decimals) for v in losses))


def _pairs(points: str) -> list[tuple[int, int]]:
    return [(int(x), int(y)) for x, y in (p.split(",") for p in points.split())]


# Where a point's loss may go, in order of preference: (dx, dy) of its centre and baseline from the point.
_VALUE_SPOTS = ((0, -8), (0, 17), (1, -6), (1, 15), (-1, -6), (-1, 15), (0, -16), (0, 25), (1, 4), (-1, 4))


def _value_labels(points: list[tuple[int, int]], texts: list[str], others: list[Label],
                  lines: list[tuple[tuple[int, int], tuple[int, int]]], dots: tuple[tuple[int, int], ...],
                  frame: tuple[int, int, int, int]) -> list[Label]:
    """Each point's loss at the first spot clear of every line, dot and label (none where none is clear).

    dx = ±1 puts the label beside the point, its near end 5 px off it.
    """
    taken = [label.box for label in others] + [(x - 4, y - 4, x + 4, y + 4) for x, y in dots]
    out = []
    for (x, y), text in zip(points, texts, strict=True):
        half = measure(text)[0] * VALUE_SIZE / 2
        for dx, dy in _VALUE_SPOTS:
            label = Label(x + dx * round(half + 5), y + dy, VALUE_SIZE, "weight", ((text, "upright"),), backdrop=True)
            box = label.box
            inside = frame[0] <= box[0] and frame[1] <= box[1] and box[2] <= frame[2] and box[3] <= frame[3]
            if inside and not any(_overlap(box, t) for t in taken) and not any(_cuts(box, *line) for line in lines):
                out.append(label)
                taken.append(box)
                break
    return out


def _overlap(one: tuple[int, int, int, int], other: tuple[int, int, int, int]) -> bool:
    return one[0] < other[2] and other[0] < one[2] and one[1] < other[3] and other[1] < one[3]


def _cuts(box: tuple[int, int, int, int], start: tuple[int, int], end: tuple[int, int]) -> bool:
    """Whether the segment from `start` to `end` passes through the box (Liang-Barsky clipping)."""
    (x1, y1), (x2, y2) = start, end
    low, high = 0.0, 1.0
    for p, q in ((x1 - x2, x1 - box[0]), (x2 - x1, box[2] - x1), (y1 - y2, y1 - box[1]), (y2 - y1, box[3] - y1)):
        if p == 0:
            if q < 0:
                return False
        elif p < 0:
            low = max(low, q / p)
        else:
            high = min(high, q / p)
    return low < high
