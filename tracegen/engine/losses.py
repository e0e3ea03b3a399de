"""Losses: each one is its per-sample value and its gradient at the output side by side.

Every loss gives, per sample, the loss L_s (`value`) and dL_s/dz at the output
pre-activation (`gradient`), each on its own: the training order computes them as two
steps. bce and cross_entropy are computed from the logits z (their outputs are always
sigmoid and softmax), which is both exact and stable when the output saturates; mse goes
through the output activation's backward.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from tracegen.engine.activations import Unit
from tracegen.spec.model import Loss

Array = np.ndarray
Part = Callable[[Loss, Unit, Array, Array, Array], Array]  # (loss, output unit, z, y_hat, y) -> per sample


@dataclass(frozen=True)
class Rule:
    """One loss: its per-sample value and its gradient dL_s/dz_out; called, both."""

    value: Part
    gradient: Part

    def __call__(self, loss: Loss, out: Unit, z: Array, y_hat: Array, y: Array) -> tuple[Array, Array]:
        return self.value(loss, out, z, y_hat, y), self.gradient(loss, out, z, y_hat, y)


def _bce(loss: Loss, out: Unit, z: Array, y_hat: Array, y: Array) -> Array:
    """-[y log s(z) + (1-y) log(1-s(z))] = softplus(z) - y z, averaged over outputs."""
    with np.errstate(under="ignore"):  # log(1 + e^-|z|) -> 0 when saturated: exact, not an error
        return (np.logaddexp(0.0, z) - y * z).mean(axis=-1)


def _bce_gradient(loss: Loss, out: Unit, z: Array, y_hat: Array, y: Array) -> Array:
    return (y_hat - y) / z.shape[-1]


def _cross_entropy(loss: Loss, out: Unit, z: Array, y_hat: Array, y: Array) -> Array:
    """-sum_k y_k log softmax(z)_k = sum_k y_k (logsumexp(z) - z_k)."""
    peak = z.max(axis=-1, keepdims=True)
    with np.errstate(under="ignore"):  # far-below-peak terms vanish: exact, not an error
        log_sum = peak + np.log(np.exp(z - peak).sum(axis=-1, keepdims=True))
    return (y * (log_sum - z)).sum(axis=-1)


def _cross_entropy_gradient(loss: Loss, out: Unit, z: Array, y_hat: Array, y: Array) -> Array:
    return y_hat * y.sum(axis=-1, keepdims=True) - y


def _divisor(loss: Loss, z: Array) -> int:
    return z.shape[-1] if loss.reduction == "mean" else 1


def _mse(loss: Loss, out: Unit, z: Array, y_hat: Array, y: Array) -> Array:
    """scale * reduce_k (y_k - y_hat_k)^2, reduce = mean or sum over outputs."""
    diff = y_hat - y
    return loss.scale * (diff * diff).sum(axis=-1) / _divisor(loss, z)


def _mse_gradient(loss: Loss, out: Unit, z: Array, y_hat: Array, y: Array) -> Array:
    return out.backward(z, y_hat, 2.0 * loss.scale * (y_hat - y) / _divisor(loss, z))


LOSSES: dict[str, Rule] = {
    "bce": Rule(_bce, _bce_gradient),
    "cross_entropy": Rule(_cross_entropy, _cross_entropy_gradient),
    "mse": Rule(_mse, _mse_gradient),
}


def sample_loss(loss: Loss, out: Unit, z: Array, y_hat: Array, y: Array) -> Array:
    """L_s for each sample."""
    return LOSSES[loss.name].value(loss, out, z, y_hat, y)


def output_gradient(loss: Loss, out: Unit, z: Array, y_hat: Array, y: Array) -> Array:
    """dL_s/dz_out for each sample."""
    return LOSSES[loss.name].gradient(loss, out, z, y_hat, y)
