"""The NumPy engine: forward pass, loss, backward pass and SGD update, epoch by epoch.

Pure: no I/O, no global state, no table library. `train` yields one `Record` per
quantity in the order a student computes it; the trace module turns them into rows.

Shapes: per-sample quantities are (samples, units), W is (units, inputs), b is (units,).
Every array may carry leading axes (e.g. one per variant): all operations broadcast, so
many variants of one network train in a single vectorised pass.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass

import numpy as np

from tracegen.engine.activations import Unit, unit
from tracegen.engine.losses import per_sample
from tracegen.errors import SpecError
from tracegen.spec.model import Spec

Array = np.ndarray
Params = list[tuple[Array, Array]]


@dataclass(frozen=True, eq=False)
class Record:
    """One quantity at one point of training, in its own shape.

    `per_sample` says the leading (non-variant) axis is the sample; `kinks` marks entries
    of a pre-activation that sit exactly where the activation's derivative jumps.
    """

    epoch: int
    phase: str
    name: str
    value: Array
    per_sample: bool
    kinks: Array | None = None


def initial_params(spec: Spec) -> Params:
    """The spec's own W and b; a clear error when some are left to `variants`."""
    missing = spec.missing_params()
    if missing:
        raise SpecError(missing[0], "missing; give it in the spec, or draw it with `tracegen batch` from variants",
                        spec.source)
    return [(np.array(layer.W, dtype=float), np.array(layer.b, dtype=float)) for layer in spec.layers]


def _t(a: Array) -> Array:
    return np.swapaxes(a, -1, -2)


# One step each, shared by `train` and by everything that replays a step from other inputs
# (the hand calculation, the grader's error carried forward).


def affine(h: Array, W: Array, b: Array) -> Array:
    """z = h W^T + b, one row per sample."""
    return h @ _t(W) + b[..., None, :]


def weight_gradient(delta: Array, h_in: Array) -> Array:
    """dW = delta^T h_in: each sample's outer product, summed over samples."""
    return _t(delta) @ h_in


def bias_gradient(delta: Array) -> Array:
    """db = delta summed over samples."""
    return delta.sum(axis=-2)


def delta_below(act: Unit, z: Array, h: Array, delta: Array, W: Array) -> Array:
    """delta_{l-1} = f'_{l-1}(z_{l-1}) applied to delta_l W_l (`act`, `z`, `h` of layer l-1)."""
    return act.backward(z, h, delta @ W)


def descend(value: Array, grad: Array, rate: float, trained: bool) -> Array:
    """One SGD step, value - rate * grad; a frozen parameter stays as it is."""
    return value - rate * grad if trained else value


def forward(units: Sequence[Unit], params: Params, x: Array) -> tuple[list[Array], list[Array]]:
    """z_l = h_{l-1} W_l^T + b_l and h_l = f_l(z_l) for every layer (h_0 = x)."""
    zs, hs = [], [x]
    for act, (W, b) in zip(units, params, strict=True):
        z = affine(hs[-1], W, b)
        zs.append(z)
        hs.append(act.forward(z))
    return zs, hs


def backward(units: Sequence[Unit], params: Params, zs: list[Array], hs: list[Array],
             delta_out: Array) -> list[tuple[Array, Array, Array]]:
    """(delta_l, dW_l, db_l) from the output layer down to layer 1.

    delta_l = dL/dz_l; dW_l = delta_l^T h_{l-1}; db_l = sum over samples of delta_l;
    delta_{l-1} = f'_{l-1} applied to delta_l W_l.
    """
    grads = []
    delta = delta_out
    for layer in range(len(params) - 1, -1, -1):
        grads.append((delta, weight_gradient(delta, hs[layer]), bias_gradient(delta)))
        if layer:
            delta = delta_below(units[layer - 1], zs[layer - 1], hs[layer], delta, params[layer][0])
    return grads


def sgd(params: Params, grads: list[tuple[Array, Array, Array]], rate: float, update: Sequence[str]) -> Params:
    """W <- W - eta dW and b <- b - eta db for the trained kinds; frozen ones stay."""
    new = []
    for (W, b), (_, dW, db) in zip(params, reversed(grads), strict=True):
        new.append((descend(W, dW, rate, "W" in update), descend(b, db, rate, "b" in update)))
    return new


def _kinks(act: Unit, z: Array) -> Array | None:
    return None if act.kink is None else z == act.kink


def train(spec: Spec, params: Params | None = None, x: Array | None = None, y: Array | None = None) -> Iterator[Record]:
    """Train for `spec.epochs` epochs and yield every quantity as it is computed.

    `params`, `x` and `y` override the spec's own (with optional leading variant axes).
    """
    params = initial_params(spec) if params is None else params
    x = spec.x if x is None else x
    y = spec.y if y is None else y
    units = [unit(layer.activation) for layer in spec.layers]
    n = len(units)
    factor = 1.0 / x.shape[-2] if spec.loss.batch == "mean" else 1.0
    for epoch in range(1, spec.epochs + 1):
        for i, (W, b) in enumerate(params, start=1):
            yield Record(epoch, "params", f"W{i}", W, False)
            yield Record(epoch, "params", f"b{i}", b, False)
        zs, hs = forward(units, params, x)
        yield Record(epoch, "forward", "x", x, True)
        for i in range(1, n):
            yield Record(epoch, "forward", f"z{i}", zs[i - 1], True, _kinks(units[i - 1], zs[i - 1]))
            yield Record(epoch, "forward", f"h{i}", hs[i], True)
        yield Record(epoch, "forward", f"z{n}", zs[-1], True, _kinks(units[-1], zs[-1]))
        yield Record(epoch, "forward", "y_hat", hs[-1], True)
        losses, delta_out = per_sample(spec.loss, units[-1], zs[-1], hs[-1], y)
        yield Record(epoch, "loss", "y", np.broadcast_to(y, hs[-1].shape), True)
        yield Record(epoch, "loss", "sample_loss", losses[..., None], True)
        yield Record(epoch, "loss", "L", losses.sum(axis=-1) * factor, False)
        grads = backward(units, params, zs, hs, delta_out * factor)
        for i, (delta, dW, db) in zip(range(n, 0, -1), grads, strict=True):
            yield Record(epoch, "backward", f"delta{i}", delta, True)
            yield Record(epoch, "backward", f"dW{i}", dW, False)
            yield Record(epoch, "backward", f"db{i}", db, False)
        params = sgd(params, grads, spec.learning_rate, spec.update)
        for i, (W, b) in enumerate(params, start=1):
            yield Record(epoch, "update", f"W{i}", W, False)
            yield Record(epoch, "update", f"b{i}", b, False)
