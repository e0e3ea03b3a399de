"""The pictures, checked by geometry: the network diagram's labels and the loss chart's axes.

The label boxes the layout promises (`Label.box`) are first checked to hold the ink that the
PDF really draws (the shipped fonts' metrics, through `mathbox.labels`); every other check
then works on those boxes and on edge crossings computed here from the drawn lines.
"""

from __future__ import annotations

import itertools
import re
from functools import cache

import numpy as np
import pytest
from documents import class3_documents, pdf_text, spec_trace

import tracegen
from tracegen.document import diagram
from tracegen.document.diagram import Chart, Diagram, Label
from tracegen.document.formulas import NAMES
from tracegen.fontmetrics import face
from tracegen.layout import PAPER_WIDTH_MM, PRINT_MARGINS_MM
from tracegen.render import render_documents
from tracegen.render.typeset.boxes import Run, flatten, labels

A4_TEXT_WIDTH_PX = (PAPER_WIDTH_MM["a4"] - PRINT_MARGINS_MM[1] - PRINT_MARGINS_MM[3]) / 25.4 * 96  # SVG px: 1/96 in
ACTIVATIONS = ("relu", "tanh", "leaky_relu", "sigmoid", "linear", "softmax")
# Weights as a teacher's specs give them: up to 4 characters printed (-0.5, 0.25), integers, zero.
WEIGHTS = (-0.5, 1.0, 0.0, -2.0, 0.25, 2.0, -1.0, 0.5)


def network(sizes: tuple[int, ...], weights: tuple[float, ...] = WEIGHTS, output: str = "sigmoid") -> Diagram:
    """A diagram of a network of these layer sizes, its weights and biases cycling through `weights`."""
    cycle = itertools.cycle(weights)
    w = [np.array([[next(cycle) for _ in range(a)] for _ in range(b)]) for a, b in itertools.pairwise(sizes)]
    b = [np.array([next(cycle) for _ in range(n)]) for n in sizes[1:]]
    hidden = [ACTIVATIONS[i % len(ACTIVATIONS)] for i in range(len(sizes) - 2)]
    return diagram.network(w, b, [NAMES.get(name) for name in (*hidden, output)])


def crossings(d: Diagram) -> np.ndarray:
    """Every point where two drawn edges cross, shape (n, 2)."""
    e = np.array([(x.x1, x.y1, x.x2, x.y2) for x in d.edges], float)
    p, r = e[:, :2], e[:, 2:] - e[:, :2]
    i, j = np.triu_indices(len(e), 1)
    denominator = r[i, 0] * r[j, 1] - r[i, 1] * r[j, 0]
    q = p[j] - p[i]
    with np.errstate(divide="ignore", invalid="ignore"):
        t = (q[:, 0] * r[j, 1] - q[:, 1] * r[j, 0]) / denominator
        u = (q[:, 0] * r[i, 1] - q[:, 1] * r[i, 0]) / denominator
    proper = (denominator != 0) & (t > 1e-9) & (t < 1 - 1e-9) & (u > 1e-9) & (u < 1 - 1e-9)
    return p[i][proper] + t[proper, None] * r[i][proper]


def boxes(items: tuple[Label, ...]) -> np.ndarray:
    return np.array([label.box for label in items], float).reshape(-1, 4)


def overlapping_pairs(b: np.ndarray) -> list[tuple[int, int]]:
    """Pairs of boxes that share area (touching is fine)."""
    share = ((b[:, None, 0] < b[None, :, 2]) & (b[None, :, 0] < b[:, None, 2])
             & (b[:, None, 1] < b[None, :, 3]) & (b[None, :, 1] < b[:, None, 3]))
    return [(int(i), int(j)) for i, j in zip(*np.nonzero(np.triu(share, 1)), strict=True)]


def faults(d: Diagram) -> list[str]:
    """Everything wrong with a diagram's labels, by geometry (empty when it is right)."""
    found = []
    every = d.labels
    b = boxes(every)
    found += [f"{every[i].text!r} overlaps {every[j].text!r}" for i, j in overlapping_pairs(b)]
    points = crossings(d)
    if len(points):
        inside = ((b[:, None, 0] <= points[None, :, 0]) & (points[None, :, 0] <= b[:, None, 2])
                  & (b[:, None, 1] <= points[None, :, 1]) & (points[None, :, 1] <= b[:, None, 3]))
        found += [f"{every[i].text!r} covers an edge crossing" for i in np.flatnonzero(inside.any(axis=1))]
    weights = [label for label in every if label.colour == "weight"]
    names = [label for label in every if label.colour == "ink"]
    if weights:
        w = boxes(tuple(weights))
        centres = np.array([(n.x, n.y) for n in d.nodes], float)
        nearest_x = np.clip(centres[None, :, 0], w[:, None, 0], w[:, None, 2]) - centres[None, :, 0]
        nearest_y = np.clip(centres[None, :, 1], w[:, None, 1], w[:, None, 3]) - centres[None, :, 1]
        on_unit = np.hypot(nearest_x, nearest_y) < d.radius
        found += [f"weight {weights[i].text!r} covers a unit" for i in np.flatnonzero(on_unit.any(axis=1))]
    for label, n in zip(names, d.nodes, strict=True):
        corners = [(x - n.x, y - n.y) for left, top, right, bottom in label_ink(label)
                   for x in (left, right) for y in (top, bottom)]
        if max(np.hypot(*c) for c in corners) > d.radius - 0.6:  # inside the circle's stroke
            found.append(f"name {label.text!r} leaves its circle")
    if d.labelled:
        for label, e in zip(weights, d.edges, strict=True):
            # the middle of the number's ink (0.33 em above its baseline) lies on its own edge
            cx, cy = label.x, label.y - 0.33 * label.size
            distance = abs((e.x2 - e.x1) * (e.y1 - cy) - (e.x1 - cx) * (e.y2 - e.y1)) / np.hypot(e.x2 - e.x1,
                                                                                                 e.y2 - e.y1)
            if distance > 1.5 or not min(e.x1, e.x2) <= cx <= max(e.x1, e.x2):
                found.append(f"weight {label.text!r} is off its edge by {distance:.1f} px")
        found += [f"weight {label.text!r} of {e.tail}->{e.head} also lies on edge {o.tail}->{o.head}"
                  for label, e, o in misattributable(d)]
    if d.width > A4_TEXT_WIDTH_PX:
        found.append(f"{d.width} px wide: wider than the page")
    return found


def misattributable(d: Diagram) -> list[tuple[Label, diagram.Edge, diagram.Edge]]:
    """Weights the eye could give to another edge: another edge runs under the label (as its own edge does), or
    passes its middle less than 3.5 px farther than its own edge."""
    weights = [label for label in d.labels if label.colour == "weight"]
    found = []
    for label, e in zip(weights, d.edges if d.labelled else (), strict=True):
        left, top, right, bottom = label.box
        cx, cy = (left + right) / 2, (top + bottom) / 2
        own = segment_distance((cx, cy), e)
        for other in d.edges:
            if other is e:
                continue
            s = np.linspace(0, 1, 400)
            xs, ys = other.x1 + s * (other.x2 - other.x1), other.y1 + s * (other.y2 - other.y1)
            # under the label's box (its backdrop, PAD px round the ink), less 1 px for the drawn ends' rounding
            under = ((left + 1 < xs) & (xs < right - 1) & (top + 1 < ys) & (ys < bottom - 1)).any()
            if under or segment_distance((cx, cy), other) < own + 3.5:
                found.append((label, e, other))
    return found


def segment_distance(point: tuple[float, float], e: diagram.Edge) -> float:
    (px, py), dx, dy = point, e.x2 - e.x1, e.y2 - e.y1
    t = min(1.0, max(0.0, ((px - e.x1) * dx + (py - e.y1) * dy) / (dx * dx + dy * dy)))
    return float(np.hypot(px - e.x1 - t * dx, py - e.y1 - t * dy))


SHAPES = [s for depth in (3, 4) for s in itertools.product(range(1, 7), repeat=depth)]


@pytest.mark.slow
def test_every_network_up_to_6_units_per_layer_gets_its_weights_clear_of_labels_and_crossings() -> None:
    """1512 networks, 3 or 4 layers of 1 to 6 units: no label on another or on a crossing, every weight alone on its
    own edge; all weights shown wherever no layer pair has more than 18 edges (denser ones may point to W)."""
    failures = {}
    for sizes in SHAPES:
        d = network(sizes)
        sparse = max(a * b for a, b in itertools.pairwise(sizes)) <= 18
        problems = faults(d) + ([] if d.labelled or not sparse else ["weights not shown"])
        if problems:
            failures[sizes] = problems[:3]
    assert len(SHAPES) == 6 ** 3 + 6 ** 4
    assert failures == {}


@pytest.mark.parametrize("weights", [(-0.125, 0.333333), (-12.75,), (1.0,)], ids=["long", "wide", "short"])
def test_labels_never_collide_whatever_the_numbers(weights: tuple[float, ...]) -> None:
    """Numbers too long to fit leave the weights off the picture rather than on top of each other."""
    shapes = [(6, 6, 6, 6), (6, 6, 6), (3, 6, 6, 2), (2, 3, 3, 2), (3, 2, 1), (6, 1, 6)]
    assert {s: faults(network(s, weights)) for s in shapes} == {s: [] for s in shapes}
    assert network((3, 2, 1), weights).labelled


def test_a_network_too_big_to_label_still_draws_cleanly() -> None:
    d = network((7, 8, 2))  # 56 edges in a gap: more than MAX_GAP_EDGES
    assert not d.labelled and faults(d) == []


def test_class3_weights_sit_off_the_crossings_of_its_picture() -> None:
    """The read-through found Class 3's "0" and "-1" on edge crossings."""
    d = document_diagram(tracegen.load_example())
    assert d.labelled and faults(d) == []
    assert sorted(label.text for label in d.labels if label.colour == "weight") == sorted(
        ["1", "\u22121", "1", "\u22122", "0", "1", "1", "\u22121"])


def document_diagram(spec: tracegen.Spec) -> Diagram:
    from tracegen.document import build

    return build(tracegen.trace(spec), "worksheet").diagram


def tanh_spec() -> tracegen.Spec:
    """The read-through's 2-3-3-2 tanh/linear/MSE network on a batch of 3."""
    return tracegen.Spec.from_dict({
        "title": "Tanh net",
        "network": {"layers": [
            {"units": 3, "activation": "tanh", "W": [[0.5, -1], [1, 0.5], [-0.5, 1]], "b": [0, 0.5, -0.5]},
            {"units": 3, "activation": "tanh", "W": [[1, -1, 0.5], [0, 1, -1], [-1, 0.5, 1]], "b": [0.1, 0, -0.1]},
            {"units": 2, "activation": "linear", "W": [[1, -1, 0.5], [-0.5, 1, 1]], "b": [0, 0.5]},
        ]},
        "loss": "mse",
        "data": {"x": [[1, 0], [0, 1], [1, -1]], "y": [[0.5, 0], [0, 1], [1, 0.5]]},
        "training": {"learning_rate": 0.1, "epochs": 2},
    })


def softmax_spec() -> tracegen.Spec:
    """The read-through's 4-3-3 leaky-ReLU/softmax/cross-entropy network on a batch of 2."""
    return tracegen.Spec.from_dict({
        "title": "Softmax net",
        "network": {"layers": [
            {"units": 3, "activation": {"name": "leaky_relu", "slope": 0.1},
             "W": [[1, -1, 0, 2], [0, 1, -1, 1], [-1, 0, 1, -2]], "b": [0, 1, -1]},
            {"units": 3, "activation": "softmax", "W": [[1, -1, 0.5], [0, 1, -1], [-1, 0.5, 1]], "b": [0, 0, 0]},
        ]},
        "loss": "cross_entropy",
        "data": {"x": [[1, 0, -1, 2], [0, 1, 1, -1]], "y": [0, 2]},
        "training": {"learning_rate": 0.1, "epochs": 2},
    })


@pytest.mark.parametrize("spec", [tracegen.load_example, tanh_spec, softmax_spec], ids=["class3", "tanh", "softmax"])
def test_the_read_through_networks_are_clean_and_keep_their_weights_apart(spec: object) -> None:
    """The middle of the 4-3-3 and 3-3 pictures was unreadable: numbers now stand 3 px apart, and the picture fits."""
    d = document_diagram(spec())  # type: ignore[operator]
    assert d.labelled and faults(d) == []
    weights = boxes(tuple(label for label in d.labels if label.colour == "weight"))
    assert overlapping_pairs(weights + (-1.5, -1.5, 1.5, 1.5)) == []
    assert d.width <= 560  # compact: well inside the text width


def test_units_are_named_per_layer_in_the_slides_notation() -> None:
    """Both hidden layers of the tanh net were labelled h1-h3; each layer gets its superscript."""
    d = document_diagram(tanh_spec())
    names = [label.text for label in d.labels if label.colour == "ink"]
    assert names == ["x₁", "x₂", "h₁⁽¹⁾", "h₂⁽¹⁾", "h₃⁽¹⁾", "h₁⁽²⁾", "h₂⁽²⁾", "h₃⁽²⁾", "ŷ₁", "ŷ₂"]
    assert [label.parts for label in d.labels if label.colour == "ink"][5] == (
        ("h", "italic"), ("1", "sub"), ("(2)", "sup"))
    html = render_documents(tracegen.trace(tanh_spec()), ("worksheet",), ("html",))[("worksheet", "html")].decode()
    # plain digits in smaller tspans, lowered and raised as the font's script glyphs are (search and copy see h1(2))
    italic = '<tspan font-family="TG Italic, TG Math, serif">'
    assert html.count(f'{italic}h</tspan><tspan font-size="10" dy="2">2</tspan>'
                      f'<tspan font-size="10" dy="-7">(2)</tspan></text>') == 1
    assert f'{italic}ŷ</tspan><tspan font-size="10" dy="2">1</tspan></text>' in html


def test_captions_are_the_layers_forward_rules_set_as_maths() -> None:
    """Captions were plain text ("h(1): relu", "input x")."""
    d = document_diagram(tanh_spec())
    assert [c.parts for c in d.captions] == [
        (("input ", "upright"), ("x", "italic")),
        (("h", "italic"), ("(1)", "sup"), ("\u2005=\u2005tanh(", "upright"), ("z", "italic"), ("(1)", "sup"),
         (")", "upright")),
        (("h", "italic"), ("(2)", "sup"), ("\u2005=\u2005tanh(", "upright"), ("z", "italic"), ("(2)", "sup"),
         (")", "upright")),
        (("ŷ", "italic"), ("\u2005=\u2005", "upright"), ("z", "italic"), ("(3)", "sup"))]
    class3 = document_diagram(tracegen.load_example())
    assert [c.text for c in class3.captions] == [
        "input x", "h⁽¹⁾\u2005=\u2005ReLU(z⁽¹⁾)", "ŷ\u2005=\u2005σ(z⁽²⁾)"]
    assert [text for text, style in class3.captions[2].parts if style == "italic"] == ["ŷ", "σ", "z"]


def label_ink(label: Label) -> list[tuple[float, float, float, float]]:
    """Left, top, right, bottom (px) of each run the PDF draws for `label`, from the fonts' metrics."""
    return [(x + label.x, top + label.y, right + label.x, bottom + label.y)
            for x, top, right, bottom in _ink_at_origin(label.parts, label.size)]


@cache
def _ink_at_origin(parts: tuple[tuple[str, str], ...], size: int, px: float = 16.0
                   ) -> list[tuple[float, float, float, float]]:
    block = labels([(0.0, 0.0, size, "ink", parts)], 1000.0, 1000.0, px)
    out = []
    for run in (item for item in flatten(block) if isinstance(item, Run)):
        font = face(run.face)
        bottom, top = font.extent(run.text)
        out.append((run.x * px, -(run.y + top * run.size) * px,
                    (run.x + font.width(run.text) * run.size) * px, -(run.y + bottom * run.size) * px))
    return out


def test_label_boxes_hold_the_ink_the_pdf_draws() -> None:
    """Every label of these pictures, typeset as the PDF typesets it, stays inside the box the layout used."""
    pictures: list[Diagram | Chart] = [network(s, WEIGHTS + (-12.75, 0.125), output) for s, output in
                                       (((3, 2, 1), "sigmoid"), ((2, 3, 3, 2), "linear"), ((4, 3, 3), "softmax"),
                                        ((6, 6, 6, 6), "tanh"), ((6, 5, 2), "relu"), ((2, 2, 2), "leaky_relu"))]
    pictures += [diagram.loss_chart(series, 3) for series in ([0.127, 0.116, 0.106], [2.58, 0.999], [1234.5])]
    checked = set()
    for picture in pictures:
        for label in picture.labels:
            left, top, right, bottom = label.box
            for ink in label_ink(label):
                assert left <= ink[0] and ink[2] <= right and top <= ink[1] and ink[3] <= bottom, label
            checked.update(label.text)
    assert set("0123456789.\u2212=ŷσ₁⁽⁾ReLUtanhsoftmaxinputepochbzxL") <= checked


def test_weights_and_biases_print_with_a_typographic_minus_as_given() -> None:
    d = network((2, 1, 1), (-0.5, 0.125, -3.0))
    assert [label.text for label in d.labels if label.colour == "weight"] == ["\u22120.5", "0.125", "\u22123"]
    assert [label.text for label in d.labels if label.colour == "muted" and label.backdrop] == [
        "b\u2005=\u2005\u22120.5", "b\u2005=\u20050.125"]


# The loss chart


def value_at(chart: Chart, y: float) -> float:
    """The value the L axis gives at height y, read off its tick labels as a reader would."""
    ticks = [(t[1], float(label.text.replace("\u2212", "-"))) for t, label in
             zip([t for t in chart.ticks if t[0] < t[2]], tick_labels(chart), strict=True)]
    (y0, v0), (y1, v1) = ticks[0], ticks[-1]
    return v0 + (y - y0) * (v1 - v0) / (y1 - y0)


def tick_labels(chart: Chart) -> list[Label]:
    """The L axis's numbers, bottom to top (they are right-aligned left of the axis)."""
    return [label for label in chart.labels if label.colour == "muted" and label.x < chart.ticks[0][2]]


def test_loss_chart_has_an_l_axis_with_round_ticks_at_the_documents_decimals() -> None:
    """The chart had no y-axis scale; Class 3's losses 0.127, 0.116, 0.106 sit high above 0."""
    chart = diagram.loss_chart([0.1269, 0.1155, 0.1057], 3)
    assert [label.text for label in tick_labels(chart)] == ["0.10", "0.11", "0.12", "0.13"]
    assert chart.broken and chart.origin == "0.10" and "starting at 0.10 rather than 0" in chart.description
    epochs = [label.text for label in chart.labels if label.colour == "muted" and label.x > chart.ticks[0][2]]
    assert epochs[:3] == ["1", "2", "3"] and "epoch" in epochs
    for (_, y), loss in zip(chart_points(chart), [0.1269, 0.1155, 0.1057], strict=True):
        assert value_at(chart, y) == pytest.approx(loss, abs=0.03 / 120)  # within half a pixel of the axis


def chart_points(chart: Chart) -> list[tuple[int, int]]:
    return [(int(x), int(y)) for x, y in (p.split(",") for p in chart.polyline.split())]


@pytest.mark.parametrize(("losses", "decimals", "ticks"), [
    ([2.58, 0.999], 3, ["0", "1", "2", "3"]),
    ([0.693], 3, ["0.0", "0.2", "0.4", "0.6", "0.8"]),
    ([0.0, 0.0], 3, ["0", "1"]),
    ([1.0004, 1.0001], 3, ["0.999", "1.000", "1.001"]),
    ([2.0, 0.5], 3, ["0.0", "0.5", "1.0", "1.5", "2.0"]),  # was 0.000 0.500 … 2.000 beside another key's 0 1 2 3
    ([0.62, 0.55, 0.50006], 3, ["0.45", "0.50", "0.55", "0.60", "0.65"]),  # L = 0.50006 was on the axis line
    ([0.5, 0.25, 0.2], 1, ["0.0", "0.2", "0.4", "0.6"]),
    ([0.52, 0.51], 2, ["0.50", "0.51", "0.52"]),
    ([1234.5, 1000.0, 990.0], 1, ["900", "1000", "1100", "1200", "1300"]),
])
def test_l_axis_ticks_are_round_and_start_at_zero_unless_the_chart_says_otherwise(
        losses: list[float], decimals: int, ticks: list[str]) -> None:
    chart = diagram.loss_chart(losses, decimals)
    assert [label.text for label in tick_labels(chart)] == ticks
    assert chart.broken == (float(ticks[0]) != 0)
    base = chart_points_of(chart.axes)[0][1]  # the epoch axis's line
    for (_, y), loss in zip(chart_points(chart), losses, strict=True):
        span = float(ticks[-1]) - float(ticks[0])
        assert value_at(chart, y) == pytest.approx(loss, abs=span / 120)
        assert y <= base - 3 or loss == float(ticks[0]) == 0  # a point stands off the axis line, unless it is 0


def test_a_one_epoch_key_has_its_loss_in_the_table_and_no_one_point_chart() -> None:
    spec = tracegen.load_example().to_dict()
    spec["training"]["epochs"] = 1
    html = render_documents(tracegen.trace(tracegen.Spec.from_dict(spec)), ("key",), ("html",))[("key", "html")]
    assert '<table class="loss">' in html.decode() and '<figure class="chart">' not in html.decode()
    assert '<figure class="chart">' in class3_documents()[("key", "html")].decode()


@pytest.mark.parametrize("losses", [
    [0.127, 0.116, 0.106], [0.5, 0.9, 0.2, 0.95, 0.1], [1.0] * 12, list(np.linspace(2, 0.1, 50)),
    list(np.linspace(0.7, 0.69, 1000)), [0.3, 0.31], [5.0],
])
def test_chart_labels_keep_off_each_other_and_off_the_lines(losses: list[float]) -> None:
    chart = diagram.loss_chart([float(v) for v in losses], 3)
    b = boxes(chart.labels)
    assert overlapping_pairs(b) == []
    points = chart_points(chart)
    corners = chart_points_of(chart.axes)
    lines = [*zip(points[:-1], points[1:], strict=True), *zip(corners[:-1], corners[1:], strict=True),
             *(((x1, y1), (x2, y2)) for x1, y1, x2, y2 in chart.ticks)]
    ends = np.array([(*a, *b) for a, b in lines], float)
    s = np.linspace(0, 1, 400)[None, :]
    xs, ys = ends[:, :1] + s * (ends[:, 2:3] - ends[:, :1]), ends[:, 1:2] + s * (ends[:, 3:4] - ends[:, 1:2])
    for label in chart.labels:
        left, top, right, bottom = label.box
        assert 0 <= left and right <= chart.width and 0 <= top and bottom <= chart.height
        cut = (left < xs) & (xs < right) & (top < ys) & (ys < bottom)
        assert not cut.any(), (label.text, ends[cut.any(axis=1)])
    values = [label for label in chart.labels if label.colour == "weight"]
    assert len(values) == (len(losses) if len(losses) <= 12 else 0)  # each point's loss where they fit


def chart_points_of(polyline: str) -> list[tuple[int, int]]:
    return [(int(x), int(y)) for x, y in (p.split(",") for p in polyline.split())]


def test_chart_is_drawn_with_its_axes_in_html_and_pdf() -> None:
    docs = class3_documents()
    html = docs[("key", "html")].decode()
    chart = html.split('<figure class="chart">', 1)[1].split("</figure>", 1)[0]
    assert 'role="img"' in chart and "<title>Line chart of the loss L for epochs 1 to 3" in chart
    assert re.findall(r">(0\.1[0-3])</text>", chart) == ["0.10", "0.11", "0.12", "0.13"]
    assert "the <i>L</i> axis starts at 0.10, not at 0" in chart
    pdf = pdf_text(docs[("key", "pdf")])
    assert all(tick in pdf for tick in ("0.10", "0.11", "0.12", "0.13")) and "epoch" in pdf


def test_network_picture_describes_itself_without_answers() -> None:
    for kind in ("worksheet", "key"):
        html = class3_documents()[(kind, "html")].decode()
        svg = html.split('<figure class="network"', 1)[1].split("</svg>", 1)[0]
        label = re.search(r'role="img"[^>]*>\n<title>([^<]*)</title>', svg)
        assert label and label.group(1).startswith("Diagram of the 3-2-1 network")
        assert not re.search(r"\d\.\d", label.group(1))


def test_the_label_search_is_bounded(monkeypatch: pytest.MonkeyPatch) -> None:
    """One weight of 1e-320 (printed 9.99988671826831e-321) in a 4-6-5-3 network took the label search 35,000
    steps (16 s); a label that long is never searched for, and any search stops at LABEL_BUDGET steps."""
    calls = []
    overlaps = diagram._overlaps
    monkeypatch.setattr(diagram, "_overlaps", lambda *a: calls.append(1) or overlaps(*a))
    rng = np.random.default_rng(0)
    sizes = (4, 4, 4, 3)  # dense enough to search, sparse enough that each weight sits alone on its edge
    weights = [rng.choice([-2, -1, 0, 1, 2, 0.5, -0.25], size=(sizes[i + 1], sizes[i])) for i in range(3)]
    biases = [np.zeros(n) for n in sizes[1:]]
    weights[1][0, 0] = 1e-320
    picture = diagram.network(weights, biases, [None] * 3)
    assert not picture.labelled and calls == []
    weights[1][0, 0] = -0.25  # short labels: searched, and found
    assert diagram.network(weights, biases, [None] * 3).labelled
    diagram._place.cache_clear()
    monkeypatch.setattr(diagram, "LABEL_BUDGET", 50)
    calls.clear()
    assert not diagram.network(weights, biases, [None] * 3).labelled and len(calls) < 400


@pytest.mark.parametrize(("name", "labelled"), [("class3", True), ("tanh", True), ("softmax", True),
                                                ("net4653", False), ("net652", True)])
def test_every_weight_on_a_picture_can_be_told_by_eye_which_edge_it_belongs_to(name: str, labelled: bool) -> None:
    """The read-through's networks: labels stacked at crossings ("−1/−1") or lying on two of 30 crossing edges
    could not be attributed. Each weight printed lies on its own edge, no other edge runs under it or passes
    within 3.5 px more; where the layer pairs are too dense for that (4-6-5-3), the picture points to W."""
    spec = tracegen.load_example() if name == "class3" else spec_trace(name).spec
    d = diagram.network([layer.W for layer in spec.layers], [layer.b for layer in spec.layers],
                        [NAMES.get(layer.activation.name) for layer in spec.layers])
    assert d.labelled == labelled
    assert misattributable(d) == []
    assert faults(d) == []
