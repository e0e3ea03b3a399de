"""Training as a careful student does it by hand: what they can write at each blank.

The steps are `engine.order.steps(spec)`, the one list of training the engine's `train`
runs too; `Exact` evaluates each kind of step in exact decimals on intervals (`exact.Ival`)
from what a student writes (the loss from ŷ, where the engine's floats use z).

A careful student computes each step exactly from what they use and writes the result
rounded to `display.decimals`, ties half up (the school rule; half to even is accepted at
an exact tie). They either carry the rounded numbers they wrote (the worksheet asks for
that), or keep full precision and write the rounded results; a full-precision student's
own value behind a number they wrote is known only to ± half a unit of its last digit.
The key's grader notes and `tracegen grade` both ask this model what a careful student
can write (`paths` for students starting from the givens, `tracegen.grading.carry` for a
student's own earlier answers). The engine stays the reference for the numbers.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from decimal import Decimal

import numpy as np

from tracegen.engine import exact
from tracegen.engine.exact import ONE, ZERO, Ival
from tracegen.engine.order import Key, Step, steps
from tracegen.spec.model import Activation, Loss, Spec

Array = np.ndarray
ROUNDINGS = tuple(exact.ROUNDINGS)  # "up", "even"


class Exact:
    """Each kind of computed step of `order.steps` in exact decimals on intervals, as a student works it.

    Called with a step and a store of its inputs' intervals (arrays may carry leading axes, one per
    variant or student); within `exact.precise()`. The loss is computed from ŷ, as written (the
    engine's floats work from z). `places`: a δ step's factor f'(z) rounded to that many places, as a
    worked line prints it.
    """

    def __init__(self, spec: Spec) -> None:
        self.acts = [layer.activation for layer in spec.layers]
        self.loss, self.update = spec.loss, spec.update
        self.eta = _number(spec.learning_rate)
        self.count = spec.n_samples if spec.loss.batch == "mean" else 1

    def __call__(self, step: Step, store: Mapping[Key, Ival], places: int | None = None) -> Ival:
        kind, args = step.kind, [store[key] for key in step.inputs]
        if kind == "affine":
            h, W, b = args
            return h @ W.T + b[..., None, :]
        if kind == "activation":
            return forward(self.acts[step.layer - 1], *args)
        if kind == "sample_loss":
            return sample_losses(self.loss, *args)[..., None]
        if kind == "L":
            return args[0][..., 0].sum(axis=-1) / self.count
        if kind == "delta_out":
            z, y_hat, y = args
            return output_delta(self.loss, self.acts[-1], z, y_hat, y, places) / self.count
        if kind == "dW":
            delta, h = args
            return delta.T @ h
        if kind == "db":
            return args[0].sum(axis=-2)
        if kind == "delta":
            delta, W, z, h = args
            return backward(self.acts[step.layer - 1], z, h, delta @ W, places)
        value, grad = args  # an update, W or b
        return value - grad * self.eta if kind in self.update else value


# The same rules in exact decimals, on intervals. Each gives an interval holding every value
# its inputs' intervals can give; activations and losses are monotone or convex in each entry,
# so their intervals are exact; products of intervals may be a little wider than the truth.


def _number(value: float) -> Decimal:
    return Decimal(repr(float(value)))  # as the spec writes it


def forward(activation: Activation, z: Ival) -> Ival:
    """f(z) for an activation (each is increasing in z; softmax in its own entry, decreasing in the others)."""
    name = activation.name
    if name in ("relu", "leaky_relu"):
        slope = ZERO if name == "relu" else _number(activation.slope)
        return z.monotone(lambda a: np.where(a > 0, a, a * slope))
    if name == "sigmoid":
        return z.monotone(lambda a: ONE / (ONE + exact.exp(-a)))
    if name == "tanh":
        return z.monotone(_tanh)
    if name == "softmax":
        return _softmax(z)
    return z


def _tanh(a: Array) -> Array:
    """tanh = 1 − 2/(e^{2a} + 1): exact at 0, no overflow for large |a| (Decimal's range is wide)."""
    return ONE - 2 / (exact.exp(2 * a) + ONE)


def _softmax(z: Ival) -> Ival:
    """e^{z_j} / Σ e^{z_i}: least with z_j low and the others high, greatest the other way."""
    up, down = exact.exp(z.hi), exact.exp(z.lo)
    if z.point:
        return Ival(down / down.sum(axis=-1, keepdims=True))
    hi_sum, lo_sum = up.sum(axis=-1, keepdims=True), down.sum(axis=-1, keepdims=True)
    return Ival(down / (hi_sum - up + down), up / (lo_sum - down + up))


def slope(activation: Activation, z: Ival, h: Ival) -> Ival | None:
    """f'(z) entry by entry (None for softmax, whose Jacobian mixes entries, and for linear: 1)."""
    name = activation.name
    if name in ("relu", "leaky_relu"):
        low = ZERO if name == "relu" else _number(activation.slope)
        lo, hi = (low, ONE) if low <= ONE else (ONE, low)
        at = np.vectorize(lambda v: hi if v > 0 else lo, otypes=[object])
        return z.monotone(at) if low <= ONE else z.monotone(at, increasing=False)
    if name == "sigmoid":  # h(1 − h): greatest at h = ½
        return _concave(h, lambda a: a * (ONE - a), exact.HALF)
    if name == "tanh":
        return ONE - h.square()
    return None


def _concave(h: Ival, fn: Callable[[Array], Array], peak: Decimal) -> Ival:
    if h.point:
        return Ival(fn(h.lo))
    ends = fn(h.lo), fn(h.hi)
    inside = (h.lo <= peak) & (peak <= h.hi)
    return Ival(np.minimum(*ends), np.where(inside, fn(np.asarray(peak, dtype=object)), np.maximum(*ends)))


def backward(activation: Activation, z: Ival, h: Ival, g: Ival, places: int | None = None) -> Ival:
    """dL/dz from g = dL/dh: g ⊙ f'(z), softmax's Jacobian h ⊙ (g − ⟨g, h⟩); `places`: f'(z) rounded."""
    if activation.name == "softmax":
        return h * (g - (g * h).sum(axis=-1, keepdims=True))
    factor = slope(activation, z, h)
    if factor is not None and places is not None:
        factor = factor.monotone(lambda a: exact.rounded(a, places))
    return g if factor is None else g * factor


def sample_losses(loss: Loss, y_hat: Ival, y: Ival) -> Ival:
    """Each sample's loss from ŷ (y a point: the targets are given)."""
    k = y_hat.shape[-1]
    if loss.name == "mse":
        squares = (y - y_hat).square().sum(axis=-1)
        return squares * _number(loss.scale) / (k if loss.reduction == "mean" else 1)
    p = y_hat.monotone(exact.clip_probability)
    t = np.broadcast_to(y.lo, p.shape)
    if loss.name == "cross_entropy":  # −y log p falls as p grows (y ≥ 0)
        return p.monotone(lambda a: -t * exact.ln(a), increasing=False).sum(axis=-1)
    return _concave_loss(p, t).sum(axis=-1) / k


def _concave_loss(p: Ival, t: Array) -> Ival:
    """−[t log p + (1 − t) log(1 − p)], convex in p with its least value at p = t."""
    def fn(a: Array) -> Array:  # each log only where its weight is not 0 (the targets are mostly 0 or 1)
        out = np.full(a.shape, ZERO, dtype=object)
        for weight, argument in ((t, a), (ONE - t, ONE - a)):
            used = weight != 0
            out[used] -= weight[used] * exact.ln(np.maximum(argument[used], exact.constant(exact.CLIP)))
        return out
    if p.point:
        return Ival(fn(p.lo))
    ends = fn(p.lo), fn(p.hi)
    least = fn(np.minimum(np.maximum(t, p.lo), p.hi))
    return Ival(least, np.maximum(*ends))


def output_delta(loss: Loss, activation: Activation, z: Ival, y_hat: Ival, y: Ival, places: int | None = None) -> Ival:
    """dℓ/dz at the output for one sample (before the batch mean)."""
    k = y_hat.shape[-1]
    if loss.name == "bce":
        return (y_hat - y) / k
    if loss.name == "cross_entropy":
        return y_hat * y.sum(axis=-1, keepdims=True) - y
    divisor = k if loss.reduction == "mean" else 1
    return backward(activation, z, y_hat, (y_hat - y) * (2 * _number(loss.scale)) / divisor, places)


# Careful students who start from the givens: the paths the key's notes speak of.


@dataclass(frozen=True, eq=False)
class Paths:
    """Per quantity (engine shape, leading variant axes as given), each path's value before rounding.

    `exact`: full precision (the key is it rounded half up); `line`: the step from the key's
    printed (rounded) values of its inputs, what the numbers printed on the key give a student
    who carries them; `up` / `even`: a student who carries their own rounded results from the
    start, rounding half up / half to even.
    """

    exact: dict[Key, Array]
    line: dict[Key, Array]
    up: dict[Key, Array]
    even: dict[Key, Array]
    decimals: int
    steps: tuple[Step, ...]
    given: dict[Key, Ival]  # the givens, exact
    rules: Exact

    def evaluate(self, step: Step, store: Mapping[Key, Ival], places: int | None = None) -> Ival:
        """`step` on decimal intervals from `store` (see `Exact`)."""
        return self.rules(step, store, places)


def paths(spec: Spec, start: Mapping[Key, Array]) -> Paths:
    """Every careful student's path from the givens `start` (floats as the spec writes them)."""
    decimals, plan, rules = spec.decimals, steps(spec), Exact(spec)
    with exact.precise():
        given = {key: Ival(exact.to_decimals(value)) for key, value in start.items()}
        full, line, printed = dict(given), dict(given), dict(given)
        chains = {rule: dict(given) for rule in ROUNDINGS}
        unrounded: dict[str, dict[Key, Array]] = {rule: {} for rule in ROUNDINGS}
        for step in plan:
            full[step.key] = rules(step, full)
            line[step.key] = rules(step, printed)
            printed[step.key] = Ival(exact.rounded(full[step.key].lo, decimals)) if step.written else line[step.key]
            for rule, store in chains.items():
                value = rules(step, store)
                unrounded[rule][step.key] = value.lo
                store[step.key] = Ival(exact.rounded(value.lo, decimals, rule)) if step.written else value
    keys = [step.key for step in plan]
    return Paths({k: full[k].lo for k in keys}, {k: line[k].lo for k in keys}, unrounded["up"], unrounded["even"],
                 decimals, tuple(plan), given, rules)
