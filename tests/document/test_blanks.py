"""The export's blank order, derived from the network's shape alone, is the order of the blanks in a built worksheet."""

from __future__ import annotations

from typing import Any

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

import tracegen
from tracegen.document.blanks import blanks, order, worksheet

HIDDEN = ("relu", "leaky_relu", "sigmoid", "tanh", "linear")
OUTPUT = {"bce": ("sigmoid",), "mse": HIDDEN, "cross_entropy": ("softmax",)}


@st.composite
def specs(draw: st.DrawFn) -> tracegen.Spec:
    """A spec of drawn shapes, activations, loss, batch size, epochs and trained kinds (numbers from a seed)."""
    loss = draw(st.sampled_from(sorted(OUTPUT)))
    output = draw(st.sampled_from(OUTPUT[loss]))
    hidden = draw(st.lists(st.integers(1, 3), max_size=2))
    units = [*hidden, draw(st.integers(2 if output == "softmax" else 1, 3))]
    inputs, samples = draw(st.integers(1, 3)), draw(st.integers(1, 3))
    rng = np.random.default_rng(draw(st.integers(0, 2**16)))
    layers, fan_in = [], inputs
    for i, n in enumerate(units):
        name = output if i == len(units) - 1 else draw(st.sampled_from(HIDDEN))
        layers.append({"units": n, "activation": name, "W": rng.uniform(-1, 1, (n, fan_in)).round(1).tolist(),
                       "b": rng.uniform(-1, 1, n).round(1).tolist()})
        fan_in = n
    k = units[-1]
    y: Any = (rng.integers(0, k, samples).tolist() if loss == "cross_entropy"
              else rng.integers(0, 2, (samples, k)).tolist())
    x: Any = rng.uniform(-1, 1, (samples, inputs)).round(1).tolist()
    if samples == 1 and draw(st.booleans()):  # a single sample written flat
        x, y = x[0], y[0]
    return tracegen.Spec.from_dict({
        "network": {"layers": layers},
        "loss": {"name": loss, "batch": draw(st.sampled_from(["mean", "sum"]))},
        "data": {"x": x, "y": y},
        "training": {"learning_rate": 0.5, "epochs": draw(st.integers(1, 3)),
                     "update": draw(st.sampled_from([["W", "b"], ["W"], ["b"]]))},
        "display": {"decimals": draw(st.integers(1, 4))},
    })


@settings(max_examples=40, deadline=None)
@given(spec=specs())
def test_the_order_from_the_shape_is_the_order_of_a_built_worksheets_blanks(spec: tracegen.Spec) -> None:
    built = tuple(blank.id for blank in blanks(worksheet(spec)))
    assert order(spec) == built
    assert sorted(built) == sorted(tracegen.trace(spec).blanks()["blank"])  # each of answers.csv's blanks once


def test_the_order_of_the_class3_worksheet_reads_it_top_down() -> None:
    """Written out for the example (3-2-1, one sample, 3 epochs): z, h, ŷ, L; δ², dW², db², δ¹, dW¹, db¹; the
    updates from the output layer down; then the next epoch."""
    ids = order(tracegen.load_example())
    epoch = ["z1:0:0:0", "z1:0:1:0", "h1:0:0:0", "h1:0:1:0", "z2:0:0:0", "y_hat:0:0:0", "L:-1:0:0",
             "delta2:0:0:0", "dW2:-1:0:0", "dW2:-1:0:1", "db2:-1:0:0", "delta1:0:0:0", "delta1:0:1:0",
             *(f"dW1:-1:{r}:{c}" for r in range(2) for c in range(3)), "db1:-1:0:0", "db1:-1:1:0",
             "W2:-1:0:0", "W2:-1:0:1", "b2:-1:0:0", *(f"W1:-1:{r}:{c}" for r in range(2) for c in range(3)),
             "b1:-1:0:0", "b1:-1:1:0"]
    assert ids == tuple(f"e{e}:{cell}" for e in (1, 2, 3) for cell in epoch)
