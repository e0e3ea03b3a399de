"""Every quantity's shape, from the network alone: the one statement of the shape rules.

Per-sample quantities are (samples, units): x, y, z, h, ŷ, δ, and each sample's loss as
(samples, 1); a layer's W and dW are (units, inputs), its b and db (units,); L is a scalar.
The engine computes in these shapes (with leading variant axes), the grader reads a batch's
blanks into them, the size limits count them, and the worksheet lays them out in print
(units x samples) from them.
"""

from __future__ import annotations

import math

from tracegen.spec.model import Spec

Shape = tuple[int, ...]


def shapes(spec: Spec) -> dict[str, Shape]:
    """Every quantity of one epoch's trace by name, in one variant (the parameters once: their
    `params` and `update` rows share a name and a shape)."""
    m, n = spec.n_samples, len(spec.layers)
    out: dict[str, Shape] = {"x": (m, spec.n_inputs)}
    for i, (layer, inputs) in enumerate(zip(spec.layers, spec.layer_inputs, strict=True), start=1):
        units = layer.units
        out.update({f"W{i}": (units, inputs), f"b{i}": (units,), f"z{i}": (m, units),
                    "y_hat" if i == n else f"h{i}": (m, units), f"delta{i}": (m, units),
                    f"dW{i}": (units, inputs), f"db{i}": (units,)})
    out.update({"y": (m, spec.layers[-1].units), "sample_loss": (m, 1), "L": ()})
    return out


def size(shape: Shape) -> int:
    """How many scalars (trace rows) a quantity of `shape` has."""
    return math.prod(shape)
