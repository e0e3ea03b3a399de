"""Losses: each one is its per-sample value and its gradient at the output side by side.

Every loss returns, per sample, the loss L_s and dL_s/dz at the output pre-activation.
bce and cross_entropy are computed from the logits z (their outputs are always sigmoid and
softmax), which is both exact and stable when the output saturates; mse goes through the
output activation's backward.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from tracegen.engine.activations import Unit
from tracegen.spec.model import Loss

Array = np.ndarray
LossFn = Callable[[Loss, Unit, Array, Array, Array], tuple[Array, Array]]


def bce(loss: Loss, out: Unit, z: Array, y_hat: Array, y: Array) -> tuple[Array, Array]:
    """-[y log s(z) + (1-y) log(1-s(z))] = softplus(z) - y z, averaged over outputs."""
    k = z.shape[-1]
    with np.errstate(under="ignore"):  # log(1 + e^-|z|) -> 0 when saturated: exact, not an error
        value = (np.logaddexp(0.0, z) - y * z).mean(axis=-1)
    return value, (y_hat - y) / k


def cross_entropy(loss: Loss, out: Unit, z: Array, y_hat: Array, y: Array) -> tuple[Array, Array]:
    """-sum_k y_k log softmax(z)_k = sum_k y_k (logsumexp(z) - z_k)."""
    peak = z.max(axis=-1, keepdims=True)
    with np.errstate(under="ignore"):  # far-below-peak terms vanish: exact, not an error
        log_sum = peak + np.log(np.exp(z - peak).sum(axis=-1, keepdims=True))
    value = (y * (log_sum - z)).sum(axis=-1)
    return value, y_hat * y.sum(axis=-1, keepdims=True) - y


def mse(loss: Loss, out: Unit, z: Array, y_hat: Array, y: Array) -> tuple[Array, Array]:
    """scale * reduce_k (y_k - y_hat_k)^2, reduce = mean or sum over outputs."""
    divisor = z.shape[-1] if loss.reduction == "mean" else 1
    diff = y_hat - y
    value = loss.scale * (diff * diff).sum(axis=-1) / divisor
    return value, out.backward(z, y_hat, 2.0 * loss.scale * diff / divisor)


LOSSES: dict[str, LossFn] = {"bce": bce, "cross_entropy": cross_entropy, "mse": mse}


def per_sample(loss: Loss, out: Unit, z: Array, y_hat: Array, y: Array) -> tuple[Array, Array]:
    """(L_s for each sample, dL_s/dz_out for each sample)."""
    return LOSSES[loss.name](loss, out, z, y_hat, y)
