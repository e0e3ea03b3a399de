"""An exact oracle for backpropagation: autograd's gradient of the batch loss,
written from the loss and activation definitions in docs/spec.md.

The forward pass and the losses are written here again, in the contract's words, with
autograd's NumPy (nothing of tracegen's engine is called): for random networks of every
activation, loss and batch reduction, every `delta`, `dW` and `db` of the trace equals
autograd's gradient to 1e-10 relative (finite differences, in test_engine.py, reach about
1e-6). Both epochs are checked, the second at the parameters the trace's update gave.
"""

from __future__ import annotations

import zlib
from typing import Any

import autograd.numpy as anp
import numpy as np
import pytest
from autograd import grad

import tracegen

HIDDEN = ("relu", "sigmoid", "tanh", "linear", "leaky_relu")
LOSSES = {  # name -> (loss mapping without batch, output activation; None: the parametrized one)
    "bce": ({"name": "bce"}, "sigmoid"),
    "mse": ({"name": "mse"}, None),
    "mse scaled, summed": ({"name": "mse", "scale": 0.5, "reduction": "sum"}, None),
    "cross_entropy": ({"name": "cross_entropy"}, "softmax"),
}
SLOPE = 0.1  # leaky_relu's slope in these networks


def activate(name: str, z: Any) -> Any:
    """The activations of docs/spec.md, on a (samples, units) array."""
    if name == "relu":
        return anp.maximum(z, 0.0)
    if name == "sigmoid":
        return 1.0 / (1.0 + anp.exp(-z))
    if name == "tanh":
        return anp.tanh(z)
    if name == "linear":
        return z
    if name == "leaky_relu":
        return anp.where(z > 0, z, SLOPE * z)
    exps = anp.exp(z - anp.max(z, axis=1, keepdims=True))  # softmax over the units of each sample
    return exps / anp.sum(exps, axis=1, keepdims=True)


def sample_losses(loss: dict[str, Any], y_hat: Any, y: np.ndarray) -> Any:
    """Each sample's loss over its output units k (docs/spec.md)."""
    if loss["name"] == "bce":
        return -anp.mean(y * anp.log(y_hat) + (1 - y) * anp.log(1 - y_hat), axis=1)
    if loss["name"] == "mse":
        squares = (y - y_hat) ** 2
        reduced = anp.sum(squares, axis=1) if loss.get("reduction") == "sum" else anp.mean(squares, axis=1)
        return loss.get("scale", 1.0) * reduced
    return -anp.sum(y * anp.log(y_hat), axis=1)


def batch_loss(loss: dict[str, Any], y_hat: Any, y: np.ndarray) -> Any:
    each = sample_losses(loss, y_hat, y)
    return anp.sum(each) if loss.get("batch") == "sum" else anp.mean(each)


def from_layer(start: int, z: Any, params: list[tuple[Any, Any]], activations: list[str],
               loss: dict[str, Any], y: np.ndarray) -> Any:
    """The batch loss from layer `start`'s pre-activations z (samples, units) on (layers 0-based)."""
    h = activate(activations[start], z)
    for index in range(start + 1, len(params)):
        weights, bias = params[index]
        h = activate(activations[index], h @ weights.T + bias)
    return batch_loss(loss, h, y)


def network(rng: np.random.Generator, hidden: str, output: str, loss: dict[str, Any],
            samples: int) -> dict[str, Any]:
    """A random spec: 2-4 inputs, one or two hidden layers of 2-3 units, 1-3 outputs (2+ for softmax)."""
    sizes = [int(rng.integers(2, 5)), *(int(rng.integers(2, 4)) for _ in range(int(rng.integers(1, 3))))]
    outputs = int(rng.integers(2, 4)) if output == "softmax" else int(rng.integers(1, 4))
    layers = []
    for index, units in enumerate([*sizes[1:], outputs]):
        activation: Any = output if index == len(sizes) - 1 else hidden
        if activation == "leaky_relu":
            activation = {"name": "leaky_relu", "slope": SLOPE}
        layers.append({"units": units, "activation": activation,
                       "W": rng.uniform(-1.5, 1.5, (units, sizes[index])).tolist(),
                       "b": rng.uniform(-1, 1, units).tolist()})
    x = rng.uniform(-2, 2, (samples, sizes[0]))
    if loss["name"] == "cross_entropy":
        y = np.eye(outputs)[rng.integers(0, outputs, samples)]
    elif loss["name"] == "bce":
        y = rng.uniform(0, 1, (samples, outputs))
    else:
        y = rng.uniform(-1, 1, (samples, outputs))
    targets = y[:, 0].tolist() if outputs == 1 else y.tolist()
    return {"title": "oracle", "network": {"layers": layers}, "loss": loss,
            "data": {"x": x.tolist(), "y": targets}, "training": {"learning_rate": 0.1, "epochs": 2}}


def per_sample(values: np.ndarray, samples: int) -> np.ndarray:
    return np.asarray(values).reshape(samples, -1)


def every_layer_learns(spec: dict[str, Any]) -> bool:
    """Whether every layer's weights get a nonzero gradient (a network of dead ReLUs checks nothing)."""
    layers, loss = spec["network"]["layers"], spec["loss"]
    activations = [a if isinstance(a, str) else a["name"] for a in (layer["activation"] for layer in layers)]
    x = np.array(spec["data"]["x"])
    y = per_sample(np.array(spec["data"]["y"]), len(x))
    params = [(np.array(layer["W"]), np.array(layer["b"])) for layer in layers]
    gradients = grad(lambda p: from_layer(0, x @ p[0][0].T + p[0][1], p, activations, loss, y))(params)
    return all(np.abs(d_weights).max() > 1e-3 for d_weights, _ in gradients)


def check_against_autograd(spec: dict[str, Any], where: str) -> None:
    """Every delta, dW and db of both epochs of `spec`'s trace against autograd's gradient of the batch loss."""
    trace = tracegen.trace(tracegen.Spec.from_dict(spec))
    layers, loss = spec["network"]["layers"], spec["loss"]
    activations = [a if isinstance(a, str) else a["name"] for a in (layer["activation"] for layer in layers)]
    x = np.array(spec["data"]["x"])
    y = per_sample(np.array(spec["data"]["y"]), len(x))

    def loss_of_params(p: list[tuple[Any, Any]]) -> Any:
        return from_layer(0, x @ p[0][0].T + p[0][1], p, activations, loss, y)

    for epoch in (1, 2):
        params = [(trace.matrix(f"W{i}", epoch), trace.matrix(f"b{i}", epoch)) for i in range(1, len(layers) + 1)]
        zs, h = [], x
        for (weights, bias), name in zip(params, activations, strict=True):
            zs.append(h @ weights.T + bias)
            h = activate(name, zs[-1])
        whole = grad(loss_of_params)(params)
        for i, ((d_weights, d_bias), z) in enumerate(zip(whole, zs, strict=True), start=1):
            delta = grad(lambda z, start=i - 1, p=params: from_layer(start, z, p, activations, loss, y))(z)
            for name, mine, oracle in ((f"delta{i}", per_sample(trace.matrix(f"delta{i}", epoch), len(x)), delta),
                                       (f"dW{i}", trace.matrix(f"dW{i}", epoch), d_weights),
                                       (f"db{i}", trace.matrix(f"db{i}", epoch), d_bias)):
                scale = max(1.0, float(np.max(np.abs(oracle))))
                np.testing.assert_allclose(mine, oracle, rtol=1e-10, atol=1e-12 * scale,
                                           err_msg=f"{name}: {where}, epoch {epoch}")


@pytest.mark.parametrize("batch", ["mean", "sum"])
@pytest.mark.parametrize("loss_name", list(LOSSES))
@pytest.mark.parametrize("activation", [*HIDDEN, "softmax"])
def test_every_gradient_of_the_trace_is_autograds(activation: str, loss_name: str, batch: str) -> None:
    """`activation` is the hidden layers' (softmax, which only an output may be: cross_entropy's output) and,
    for mse, the output's too."""
    base, output = LOSSES[loss_name]
    hidden = activation if activation != "softmax" else "tanh"
    output = output or (activation if activation != "softmax" else "linear")  # softmax output: cross_entropy only
    rng = np.random.default_rng(zlib.crc32(f"{activation}/{loss_name}/{batch}".encode()))  # same cases every run
    for samples in (1, 3):
        spec = next(s for s in (network(rng, hidden, output, {**base, "batch": batch}, samples) for _ in range(50))
                    if every_layer_learns(s))
        check_against_autograd(spec, f"{hidden} hidden, {output} output, {loss_name}, batch {batch}, {samples} samples")
