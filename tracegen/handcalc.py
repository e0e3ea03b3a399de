"""Training as a student does it by hand: every quantity rounded to `display.decimals` and carried.

The key prints full-precision values rounded for print; a student carries the rounded
numbers from line to line. Replaying training that way tells the grader where the two
paths differ at the printed digit. This is a model of the student, not of the maths:
the engine stays the reference.
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np

from tracegen.activations import unit
from tracegen.engine import Record, sgd
from tracegen.losses import per_sample
from tracegen.spec import Spec
from tracegen.tracing import Trace, frame

Array = np.ndarray


def hand_trace(trace: Trace) -> Trace:
    """The trace a student gets carrying rounded values, same shape and names as `trace`."""
    spec = trace.spec
    assert spec is not None, "the hand replay needs the trace's spec"
    params = [(trace.matrix(f"W{i}", 1), trace.matrix(f"b{i}", 1)) for i in range(1, len(spec.layers) + 1)]
    df, _ = frame(_replay(spec, [(np.asarray(w), np.asarray(b)) for w, b in params]), variants=trace.variants[:1])
    return Trace(df, spec=spec)


def _loss_from_printed(spec: Spec, y_hat: Array, y: Array) -> Array:
    """Per-sample loss from the printed ŷ, as a student evaluates it."""
    loss = spec.loss
    if loss.name == "mse":
        squares = (y - y_hat) ** 2
        reduced = squares.mean(axis=-1) if loss.reduction == "mean" else squares.sum(axis=-1)
        return loss.scale * reduced
    p = np.clip(y_hat, 1e-12, 1 - 1e-12)
    if loss.name == "bce":
        return -(y * np.log(p) + (1 - y) * np.log(1 - p)).mean(axis=-1)
    return -(y * np.log(p)).sum(axis=-1)


def _replay(spec: Spec, params: list[tuple[Array, Array]]) -> Iterator[Record]:
    """engine.train with a rounding after every quantity a student writes down."""
    def r(a: Array) -> Array:
        return np.round(a, spec.decimals)

    units = [unit(layer.activation) for layer in spec.layers]
    n = len(units)
    factor = 1.0 / spec.n_samples if spec.loss.batch == "mean" else 1.0
    for epoch in range(1, spec.epochs + 1):
        zs, hs = [], [spec.x]
        for i, (act, (W, b)) in enumerate(zip(units, params, strict=True), start=1):
            zs.append(r(hs[-1] @ W.T + b))
            hs.append(r(act.forward(zs[-1])))
            yield Record(epoch, "forward", f"z{i}", zs[-1], True)
            yield Record(epoch, "forward", "y_hat" if i == n else f"h{i}", hs[-1], True)
        losses = r(_loss_from_printed(spec, hs[-1], spec.y))
        yield Record(epoch, "loss", "sample_loss", losses[:, None], True)
        yield Record(epoch, "loss", "L", r(np.asarray(losses.sum() * factor)), False)
        _, delta_out = per_sample(spec.loss, units[-1], zs[-1], hs[-1], spec.y)
        grads, delta = [], r(delta_out * factor)
        for layer in range(n - 1, -1, -1):
            dW, db = r(delta.T @ hs[layer]), r(delta.sum(axis=0))
            yield Record(epoch, "backward", f"delta{layer + 1}", delta, True)
            yield Record(epoch, "backward", f"dW{layer + 1}", dW, False)
            yield Record(epoch, "backward", f"db{layer + 1}", db, False)
            grads.append((delta, dW, db))
            if layer:
                delta = r(units[layer - 1].backward(zs[layer - 1], hs[layer], delta @ params[layer][0]))
        params = [(r(W), r(b)) for W, b in sgd(params, grads, spec.learning_rate, spec.update)]
        for i, (W, b) in enumerate(params, start=1):
            yield Record(epoch, "update", f"W{i}", W, False)
            yield Record(epoch, "update", f"b{i}", b, False)

