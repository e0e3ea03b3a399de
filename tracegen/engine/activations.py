"""Activations: each one is its function and its derivative side by side.

`backward(z, a, g)` returns dL/dz given g = dL/da, the vector-Jacobian product, so an
elementwise activation is `g * f'(z)` and softmax applies its full Jacobian. All of them
are stable for |z| up to 1e4: no overflow, no NaN.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from tracegen.spec.model import Activation

Array = np.ndarray


@dataclass(frozen=True)
class Unit:
    """One activation: forward f(z), backward vjp, and where its derivative jumps."""

    forward: Callable[[Array], Array]
    backward: Callable[[Array, Array, Array], Array]
    kink: float | None = None  # z where the derivative is not defined (relu: 0)


def sigmoid(z: Array) -> Array:
    """1 / (1 + e^-z) without overflow: exp(-log(1 + e^-z)).

    Saturation underflows e^-|z| to 0, which is the exact float answer, so underflow is
    silenced here even when the caller raises on floating-point errors.
    """
    with np.errstate(under="ignore"):
        return np.exp(-np.logaddexp(0.0, -z))


def softmax(z: Array) -> Array:
    with np.errstate(under="ignore"):
        shifted = np.exp(z - z.max(axis=-1, keepdims=True))
    return shifted / shifted.sum(axis=-1, keepdims=True)


def _softmax_backward(z: Array, a: Array, g: Array) -> Array:
    # J = diag(a) - a a^T  =>  J^T g = a * (g - <g, a>)
    return a * (g - (g * a).sum(axis=-1, keepdims=True))


def _relu(slope: float) -> Unit:
    """ReLU (slope 0) and leaky ReLU. Derivative at the kink: relu'(0) = 0, leaky'(0) = slope."""
    return Unit(
        forward=lambda z: np.where(z > 0, z, slope * z),
        backward=lambda z, a, g: g * np.where(z > 0, 1.0, slope),
        kink=0.0,
    )


UNITS: dict[str, Callable[[Activation], Unit]] = {
    "relu": lambda act: _relu(0.0),
    "leaky_relu": lambda act: _relu(act.slope),
    "sigmoid": lambda act: Unit(sigmoid, lambda z, a, g: g * a * (1.0 - a)),
    "tanh": lambda act: Unit(np.tanh, lambda z, a, g: g * (1.0 - a * a)),
    "linear": lambda act: Unit(lambda z: z.copy(), lambda z, a, g: g.copy()),
    "softmax": lambda act: Unit(softmax, _softmax_backward),
}


def unit(activation: Activation) -> Unit:
    """The forward/backward pair for a spec's activation."""
    return UNITS[activation.name](activation)
