"""Training as a student does it by hand: each quantity computed from the ones written before it.

`steps(spec)` lists every quantity of training in the order a student computes it, each
as a function of the quantities it is computed from, built from the engine's own step
functions. Replaying them while rounding every result to `display.decimals` and carrying
the rounded numbers is `hand_trace`: the key prints full-precision values rounded for print,
a student carries the rounded numbers from line to line, and the grader notes say where
the two paths differ at the printed digit. The grader replays the same steps from a
student's own answers (error carried forward). This is a model of the student, not of the
maths: the engine stays the reference.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, MutableMapping
from dataclasses import dataclass

import numpy as np

from tracegen.engine.activations import unit
from tracegen.engine.losses import per_sample
from tracegen.engine.sgd import affine, bias_gradient, delta_below, descend, weight_gradient
from tracegen.engine.trace import Quantity, Trace
from tracegen.spec.model import Loss, Spec

Array = np.ndarray
Key = tuple[int, str, str]  # (epoch, phase, name) as in the trace; the data are epoch 0
X: Key = (0, "given", "x")
Y: Key = (0, "given", "y")
PER_SAMPLE = ("affine", "activation", "sample_loss", "delta_out", "delta")


@dataclass(frozen=True, eq=False)
class Step:
    """One quantity as a function of the quantities a student computes it from.

    `kind` says which rule it is (affine, activation, sample_loss, L, delta_out, delta,
    dW, db, W, b: the grader names mistakes by it); `layer` is the quantity's 1-based
    layer (0 for the loss). Arrays may carry leading axes (one per variant or student).
    """

    key: Key
    kind: str
    layer: int
    inputs: tuple[Key, ...]
    fn: Callable[..., Array]

    @property
    def per_sample(self) -> bool:
        return self.kind in PER_SAMPLE

    def __call__(self, store: Mapping[Key, Array]) -> Array:
        return self.fn(*(store[key] for key in self.inputs))


def givens(spec: Spec, params: list[tuple[Array, Array]], x: Array | None = None,
           y: Array | None = None) -> dict[Key, Array]:
    """What a student is given: x, y and the first epoch's parameters, keyed as `steps` reads them."""
    store = {X: spec.x if x is None else x, Y: spec.y if y is None else y}
    for i, (W, b) in enumerate(params, start=1):
        store[(1, "params", f"W{i}")] = W
        store[(1, "params", f"b{i}")] = b
    return store


def steps(spec: Spec) -> list[Step]:
    """Every computed quantity of every epoch, in the trace's order (forward, loss, backward, update)."""
    units = [unit(layer.activation) for layer in spec.layers]
    n = len(units)
    factor = 1.0 / spec.n_samples if spec.loss.batch == "mean" else 1.0
    loss, rate, update = spec.loss, spec.learning_rate, spec.update
    out: list[Step] = []
    for e in range(1, spec.epochs + 1):
        k = _Keys(e, n)
        for i, act in enumerate(units, start=1):
            out.append(Step(k.z(i), "affine", i, (k.h(i - 1), k.param("W", i), k.param("b", i)), affine))
            out.append(Step(k.h(i), "activation", i, (k.z(i),), act.forward))
        out.append(Step(k.sample_loss, "sample_loss", 0, (k.h(n), Y),
                        lambda yh, y: loss_from_output(loss, yh, y)[..., None]))
        out.append(Step((e, "loss", "L"), "L", 0, (k.sample_loss,),
                        lambda s: np.asarray(s[..., 0].sum(axis=-1) * factor)))
        out.append(Step(k.delta(n), "delta_out", n, (k.z(n), k.h(n), Y),
                        lambda zn, yh, y: per_sample(loss, units[-1], zn, yh, y)[1] * factor))
        for i in range(n, 0, -1):
            out.append(Step(k.grad("W", i), "dW", i, (k.delta(i), k.h(i - 1)), weight_gradient))
            out.append(Step(k.grad("b", i), "db", i, (k.delta(i),), bias_gradient))
            if i > 1:
                out.append(Step(k.delta(i - 1), "delta", i - 1, (k.delta(i), k.param("W", i), k.z(i - 1), k.h(i - 1)),
                                lambda d, W, z, h, act=units[i - 2]: delta_below(act, z, h, d, W)))
        for i in range(1, n + 1):
            for kind in ("W", "b"):
                out.append(Step((e, "update", f"{kind}{i}"), kind, i, (k.param(kind, i), k.grad(kind, i)),
                                lambda value, grad, trained=kind in update: descend(value, grad, rate, trained)))
    return out


@dataclass(frozen=True)
class _Keys:
    """The store keys of epoch `e` of an `n`-layer network."""

    e: int
    n: int

    def param(self, kind: str, layer: int) -> Key:
        """W or b at the start of the epoch: a given in epoch 1, then the previous epoch's update."""
        return (1, "params", f"{kind}{layer}") if self.e == 1 else (self.e - 1, "update", f"{kind}{layer}")

    def z(self, layer: int) -> Key:
        return (self.e, "forward", f"z{layer}")

    def h(self, layer: int) -> Key:
        return X if layer == 0 else (self.e, "forward", "y_hat" if layer == self.n else f"h{layer}")

    @property
    def sample_loss(self) -> Key:
        return (self.e, "loss", "sample_loss")

    def delta(self, layer: int) -> Key:
        return (self.e, "backward", f"delta{layer}")

    def grad(self, kind: str, layer: int) -> Key:
        return (self.e, "backward", f"d{kind}{layer}")


def loss_from_output(loss: Loss, y_hat: Array, y: Array) -> Array:
    """Per-sample loss from the written ŷ, as a student evaluates it (the engine works from z)."""
    if loss.name == "mse":
        squares = (y - y_hat) ** 2
        reduced = squares.mean(axis=-1) if loss.reduction == "mean" else squares.sum(axis=-1)
        return loss.scale * reduced
    p = np.clip(y_hat, 1e-12, 1 - 1e-12)
    if loss.name == "bce":
        return -(y * np.log(p) + (1 - y) * np.log(1 - p)).mean(axis=-1)
    return -(y * np.log(p)).sum(axis=-1)


def replay(spec: Spec, store: MutableMapping[Key, Array], decimals: int | None) -> Iterator[tuple[Step, Array]]:
    """Each step computed from `store`, rounded to `decimals` (None: not at all) and carried in it."""
    for step in steps(spec):
        value = step(store)
        store[step.key] = value if decimals is None else np.round(value, decimals)
        yield step, store[step.key]


Values = dict[Key, tuple[Array, bool]]  # each quantity in the engine's shape, and whether it is per sample


def _first_params(trace: Trace) -> list[tuple[Array, Array]]:
    spec = trace.spec
    assert spec is not None, "a replay needs the trace's spec"
    return [(np.asarray(trace.matrix(f"W{i}", 1)), np.asarray(trace.matrix(f"b{i}", 1)))
            for i in range(1, len(spec.layers) + 1)]


def line_values(trace: Trace) -> Values:
    """Each quantity recomputed from its inputs as the key prints them (rounded, not carried).

    What the numbers printed on a quantity's own line of the key give: where this differs
    from the key's result at the printed digit, the key's grader note says so.
    """
    spec = trace.spec
    store = givens(spec, _first_params(trace))
    for key, q in trace.quantities[trace.variants[0]].items():
        if key[1] != "params":
            store[key] = np.round(_engine_shaped(q, key[2], spec.n_samples), spec.decimals)
    return {step.key: (step(store), step.per_sample) for step in steps(spec)}


def hand_values(trace: Trace) -> Values:
    """What a student gets carrying rounded values: every quantity rounded after its step and carried."""
    spec = trace.spec
    return {step.key: (value, step.per_sample)
            for step, value in replay(spec, givens(spec, _first_params(trace)), spec.decimals)}


def _engine_shaped(q: Quantity, name: str, samples: int) -> Array:
    """A trace quantity back in the engine's shape: (samples, units), W (units, inputs), b (units,), L ()."""
    if (q.sample >= 0).any():
        out = np.zeros((samples, int(q.row.max()) + 1))
        out[q.sample, q.row] = q.value
        return out
    if name == "L":
        return np.asarray(q.value[0])
    if name.startswith(("W", "dW")):
        out = np.zeros((int(q.row.max()) + 1, int(q.col.max()) + 1))
        out[q.row, q.col] = q.value
        return out
    out = np.zeros(int(q.row.max()) + 1)
    out[q.row] = q.value
    return out
