"""The NumPy engine: forward pass, loss, backward pass and SGD update, epoch by epoch.

Pure: no I/O, no global state, no table library. `train` runs the steps of
`engine.order.plan` (the one definition of the order of training) with the float rules of
`Floats`, and yields one `Record` per quantity in that order, the order a student computes
it; the trace module turns them into rows.

Shapes: per-sample quantities are (samples, units), W is (units, inputs), b is (units,).
Every array may carry leading axes (e.g. one per variant): all operations broadcast, so
many variants of one network train in a single vectorised pass.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np

from tracegen.engine.activations import Unit, unit
from tracegen.engine.losses import output_gradient, sample_loss
from tracegen.engine.order import GIVEN, Step, givens, plan
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


# One step each, shared by `Floats` and the grader's mistakes (a step redone the wrong way).


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


def _kinks(act: Unit, z: Array) -> Array | None:
    return None if act.kink is None else z == act.kink


class Floats:
    """Each kind of step of `order.plan` in floats, as the trace has it (see `engine.order`).

    The loss and the output delta come from the logits z (`losses`): stable when the output
    saturates. Called with a step and its inputs' values (then its `logits`).
    """

    def __init__(self, spec: Spec) -> None:
        self.units = [unit(layer.activation) for layer in spec.layers]
        self.loss, self.rate, self.update = spec.loss, spec.learning_rate, spec.update
        self.factor = 1.0 / spec.n_samples if spec.loss.batch == "mean" else 1.0

    def __call__(self, step: Step, *args: Array) -> Array:
        kind = step.kind
        if kind == GIVEN:  # x, the parameters as they stand; y in the shape of ŷ
            return np.broadcast_to(args[0], args[1].shape) if len(args) > 1 else args[0]
        if kind == "affine":
            return affine(*args)
        if kind == "activation":
            return self.units[step.layer - 1].forward(*args)
        if kind == "sample_loss":
            y_hat, y, z = args
            return sample_loss(self.loss, self.units[-1], z, y_hat, y)[..., None]
        if kind == "L":
            return args[0][..., 0].sum(axis=-1) * self.factor
        if kind == "delta_out":
            z, y_hat, y = args
            return output_gradient(self.loss, self.units[-1], z, y_hat, y) * self.factor
        if kind == "dW":
            return weight_gradient(*args)
        if kind == "db":
            return bias_gradient(*args)
        if kind == "delta":
            delta, W, z, h = args
            return delta_below(self.units[step.layer - 1], z, h, delta, W)
        value, grad = args  # an update, W or b
        return descend(value, grad, self.rate, kind in self.update)


def train(spec: Spec, params: Params | None = None, x: Array | None = None, y: Array | None = None) -> Iterator[Record]:
    """Train for `spec.epochs` epochs and yield every quantity as it is computed, in `order.plan`'s order.

    `params`, `x` and `y` override the spec's own (with optional leading variant axes).
    """
    params = initial_params(spec) if params is None else params
    store = givens(spec, params, x, y)
    floats = Floats(spec)
    for step in plan(spec):
        value = floats(step, *[store[key] for key in step.reads])
        store[step.key] = value
        epoch, phase, name = step.key
        kinks = _kinks(floats.units[step.layer - 1], value) if step.kind == "affine" else None
        yield Record(epoch, phase, name, value, step.per_sample, kinks)
