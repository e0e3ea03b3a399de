"""Specs of drawn shapes for property tests: layers, units, activations, losses, batch sizes, epochs."""

from __future__ import annotations

from typing import Any

import numpy as np
from hypothesis import strategies as st

import tracegen

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
