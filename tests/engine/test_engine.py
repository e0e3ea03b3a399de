"""The engine against independent references: the seed slides, hand derivations, and
central finite differences of a loss recomputed here in plain NumPy.

Nothing in this file compares the engine with itself: every expected number is either
printed on the slides, derived by hand in the comments, or computed by the small reference
implementation below (which shares no code with tracegen).
"""

from __future__ import annotations

import math
import warnings
from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

import tracegen
from tracegen.engine.sgd import train
from tracegen.engine.trace import frame


def sig(z: float) -> float:
    return 1.0 / (1.0 + math.exp(-z))


def r(value: Any, decimals: int) -> Any:
    """Round a scalar or array the way the slide prints it (and turn -0.0 into 0.0)."""
    return np.round(np.asarray(value, dtype=float), decimals) + 0.0


# --- 1. every number printed on the seed slides ------------------------------------------
#
# Slide 5 gives x = [1, 0, 1], y = 1, W1 = [[1, -1, 1], [-2, 0, 1]], b1 = [0, 1],
# W2 = [1, -1], b2 = 0, eta = 0.1. Each number below is the slide's, at the slide's decimals,
# except where docs/seed-errata.md records a misprint; there the correct value is used.


def test_slide6_forward_pass_example(class3_trace):
    t = class3_trace
    # W1 x + b1 = [1 - 0 + 1 + 0, -2 + 0 + 1 + 1] = [2, 0]. The slide prints [2, -1]
    # (erratum 1: it forgot b1[1] = 1); h1 and everything after are unaffected.
    np.testing.assert_array_equal(t.matrix("z1", 1), [2.0, 0.0])
    np.testing.assert_array_equal(t.matrix("h1", 1), [2.0, 0.0])  # slide: [2, 0]
    np.testing.assert_array_equal(t.matrix("z1", 1) > 0, [True, False])  # epoch 1's 1(z1 > 0) = [1; 0]
    assert t.value("z2", 1) == 2.0  # slide: 2
    assert r(t.value("y_hat", 1), 3) == 0.881  # slide: 1 / (1 + e^-2) ~ 0.881
    assert r(t.value("L", 1), 3) == 0.127  # slide: -log(0.881) = 0.127
    # and at full precision, from the closed forms
    assert t.value("y_hat", 1) == pytest.approx(sig(2.0), rel=1e-15)
    assert t.value("L", 1) == pytest.approx(-math.log(sig(2.0)), rel=1e-14)
    assert t.value("sample_loss", 1, sample=0) == t.value("L", 1)  # one sample: its loss is L


def test_epoch1_gradients(class3_trace):
    t = class3_trace
    g = sig(2.0) - 1.0  # y_hat - y = -0.1192
    assert r(g, 3) == -0.119
    assert r(t.value("delta2", 1), 3) == -0.119
    np.testing.assert_array_equal(r(t.matrix("dW2", 1), 3), [[-0.238, 0.0]])  # -0.119 [2, 0]
    assert r(t.value("db2", 1), 3) == -0.119
    # delta1 = (y_hat - y) W2^T * 1(z1 > 0) = g [1, -1] * [1, 0] = [g, 0]; the slide writes
    # g [-1, 1] (erratum 2: sign typo) but prints the right result [-0.119, 0].
    np.testing.assert_array_equal(r(t.matrix("delta1", 1), 3), [-0.119, 0.0])
    np.testing.assert_array_equal(r(t.matrix("dW1", 1), 3), [[-0.119, 0.0, -0.119], [0.0, 0.0, 0.0]])
    np.testing.assert_array_equal(r(t.matrix("db1", 1), 3), [-0.119, 0.0])
    # full precision
    np.testing.assert_allclose(t.matrix("dW2", 1), [[2 * g, 0.0]], rtol=1e-14)
    np.testing.assert_allclose(t.matrix("dW1", 1), [[g, 0.0, g], [0.0, 0.0, 0.0]], rtol=1e-14)
    np.testing.assert_allclose(t.matrix("db1", 1), [g, 0.0], rtol=1e-14)


def test_epoch1_updates(class3_trace):
    t = class3_trace
    g = sig(2.0) - 1.0
    # W2 <- [1, -1] - 0.1 [-0.238, 0] = [1.024, -1];  b2 <- 0 - 0.1 (-0.119) = 0.012
    np.testing.assert_array_equal(r(t.matrix("W2", 1, phase="update"), 3), [[1.024, -1.0]])
    assert r(t.value("b2", 1, phase="update"), 3) == 0.012
    # Printed at the top of the 'Epoch 2' section (erratum 5: it is epoch 1's update), at
    # four decimals: W1 = [[1.0119, -1, 1.0119], [-2, 0, 1]], b1 = [0.0119, 1].
    np.testing.assert_array_equal(r(t.matrix("W1", 1, phase="update"), 4), [[1.0119, -1.0, 1.0119], [-2.0, 0.0, 1.0]])
    np.testing.assert_array_equal(r(t.matrix("b1", 1, phase="update"), 4), [0.0119, 1.0])
    w = 1 - 0.1 * g
    np.testing.assert_allclose(t.matrix("W1", 1, phase="update"), [[w, -1, w], [-2, 0, 1]], rtol=1e-15)
    # the update is what epoch 2 starts from
    np.testing.assert_array_equal(t.matrix("W1", 2), t.matrix("W1", 1, phase="update"))
    np.testing.assert_array_equal(t.matrix("b2", 2), t.matrix("b2", 1, phase="update"))


def test_epoch2_forward_pass(class3_trace):
    t = class3_trace
    g = sig(2.0) - 1.0
    w11, b11 = 1 - 0.1 * g, -0.1 * g  # W1[0, 0] = W1[0, 2] and b1[0] after epoch 1
    z1 = 2 * w11 + b11  # x = [1, 0, 1]
    w21, b2 = 1 - 0.1 * 2 * g, -0.1 * g
    z2 = w21 * z1 + b2
    # z1 = [2.036, 0]; the slide prints [2.036, -1] (erratum 3, same missing bias as slide 6)
    np.testing.assert_array_equal(r(t.matrix("z1", 2), 3), [2.036, 0.0])
    assert t.matrix("z1", 2)[1] == 0.0  # -2 + 1 + 1: row 2 of W1 and b1[1] never change
    np.testing.assert_array_equal(r(t.matrix("h1", 2), 3), [2.036, 0.0])  # slide: [2.036, 0]
    assert r(t.value("z2", 2), 3) == 2.096  # slide: 2.096
    assert r(1.024 * 2.036 + 0.012, 3) == 2.097  # erratum 7: not what the printed, rounded inputs give
    assert r(t.value("y_hat", 2), 3) == 0.891  # slide: sigma(2.096) = 0.891
    # slide: -log(0.891) = 0.116. Right at full precision (0.11593); -log of the rounded
    # 0.891 would give 0.115 (erratum 6, a rounding inconsistency in the shown step).
    assert r(t.value("L", 2), 3) == 0.116
    assert r(-math.log(0.891), 3) == 0.115
    assert t.value("L", 2) < t.value("L", 1)  # slide: "Loss has decreased: L2 < L1"
    assert t.value("z2", 2) == pytest.approx(z2, rel=1e-14)
    assert t.value("L", 2) == pytest.approx(-math.log(sig(z2)), rel=1e-13)


def test_epoch2_gradients_and_update(class3_trace):
    """The 'Epoch 3: Updates' section shows epoch 2's gradients and their update (erratum 4)."""
    t = class3_trace
    np.testing.assert_array_equal(r(t.matrix("dW2", 2), 3), [[-0.223, 0.0]])
    assert r(-0.109 * 2.036, 3) == -0.222  # erratum 8: the rounded inputs would give -0.222
    assert r(t.value("db2", 2), 3) == -0.109
    # delta1 = (y_hat - y) * W2[0] = -0.10947 * 1.02384 = -0.11207 -> -0.112
    np.testing.assert_array_equal(r(t.matrix("dW1", 2), 3), [[-0.112, 0.0, -0.112], [0.0, 0.0, 0.0]])
    np.testing.assert_array_equal(r(t.matrix("db1", 2), 3), [-0.112, 0.0])
    # Update: W2 = [1.046, -1], b2 = 0.023, W1 = [[1.023, -1, 1.023], [-2, 0, 1]], b1 = [0.023, 1]
    for phase_epoch in (("update", 2), ("params", 3)):
        phase, epoch = phase_epoch
        np.testing.assert_array_equal(r(t.matrix("W2", epoch, phase=phase), 3), [[1.046, -1.0]])
        assert r(t.value("b2", epoch, phase=phase), 3) == 0.023
        W1 = r(t.matrix("W1", epoch, phase=phase), 3)
        np.testing.assert_array_equal(W1, [[1.023, -1.0, 1.023], [-2.0, 0.0, 1.0]])
        np.testing.assert_array_equal(r(t.matrix("b1", epoch, phase=phase), 3), [0.023, 1.0])
    # epoch 2's gradients are not epoch 1's: the section is not a reprint
    assert r(t.value("db2", 1), 3) != r(t.value("db2", 2), 3)


def test_epoch3_forward_continues_the_slides(class3_trace):
    """'Next: new forward pass': the slides stop here; epoch 3 runs on the printed update."""
    t = class3_trace
    W1, b1 = t.matrix("W1", 3), t.matrix("b1", 3)
    W2, b2 = t.matrix("W2", 3), t.matrix("b2", 3)
    x = np.array([1.0, 0.0, 1.0])
    h1 = np.maximum(W1 @ x + b1, 0.0)
    z2 = float((W2 @ h1 + b2)[0])
    assert t.value("z2", 3) == pytest.approx(z2, rel=1e-14)
    assert t.value("L", 3) == pytest.approx(-math.log(sig(z2)), rel=1e-13)
    assert t.value("L", 3) < t.value("L", 2)
    assert t.epochs == 3


def test_builtin_example_is_the_slides(class3_spec):
    """The packaged example traces exactly like the slides' network written out in conftest."""
    example = tracegen.trace(tracegen.load_example())
    ours = tracegen.trace(class3_spec)
    assert example.df.equals(ours.df)


# --- 3. hand-derived cases -----------------------------------------------------------------


def two_sample_spec(batch: str, update: list[str] | None = None) -> dict[str, Any]:
    return {
        "network": {"layers": [
            {"units": 2, "activation": "relu", "W": [[1, 0], [0, 1]], "b": [0, -1]},
            {"units": 1, "activation": "linear", "W": [[1, 1]], "b": [0]},
        ]},
        "loss": {"name": "mse", "batch": batch},
        "data": {"x": [[1, 2], [3, 3]], "y": [1.5, 6]},
        "training": {"learning_rate": 0.1, "epochs": 2, "update": update or ["W", "b"]},
    }


# Hand derivation, 2 samples, W1 = I, b1 = [0, -1], W2 = [1, 1], b2 = 0:
#   sample 0: x = [1, 2] -> z1 = [1, 1], h1 = [1, 1], z2 = y_hat = 2, y = 1.5, e = 0.5, loss 0.25
#   sample 1: x = [3, 3] -> z1 = [3, 2], h1 = [3, 2], z2 = y_hat = 5, y = 6,   e = -1,  loss 1
#   dL_s/dz2 = 2 e = [1, -2]
# batch mean (m = 2, factor 1/2):
#   L = (0.25 + 1) / 2 = 0.625;  delta2 = [0.5, -1]
#   dW2 = 0.5 [1, 1] - 1 [3, 2] = [-2.5, -1.5];  db2 = 0.5 - 1 = -0.5
#   delta1_s = delta2_s W2 * 1(z1 > 0): [0.5, 0.5], [-1, -1]
#   dW1 = [0.5, 0.5]^T [1, 2] + [-1, -1]^T [3, 3] = [[-2.5, -2], [-2.5, -2]];  db1 = [-0.5, -0.5]
#   eta = 0.1: W2 = [1.25, 1.15], b2 = 0.05, W1 = [[1.25, 0.2], [0.25, 1.2]], b1 = [0.05, -0.95]
# batch sum: L = 1.25 and every gradient doubles:
#   delta2 = [1, -2], dW2 = [-5, -3], db2 = -1, delta1 = [[1, 1], [-2, -2]],
#   dW1 = [[-5, -4], [-5, -4]], db1 = [-1, -1]
#   W2 = [1.5, 1.3], b2 = 0.1, W1 = [[1.5, 0.4], [0.5, 1.4]], b1 = [0.1, -0.9]
BATCH_EXPECTED = {
    "mean": {
        "z1": [[1, 1], [3, 2]], "h1": [[1, 1], [3, 2]], "y_hat": [2, 5], "L": 0.625,
        "delta2": [0.5, -1], "dW2": [[-2.5, -1.5]], "db2": [-0.5],
        "delta1": [[0.5, 0.5], [-1, -1]], "dW1": [[-2.5, -2], [-2.5, -2]], "db1": [-0.5, -0.5],
        "W1'": [[1.25, 0.2], [0.25, 1.2]], "b1'": [0.05, -0.95], "W2'": [[1.25, 1.15]], "b2'": [0.05],
    },
    "sum": {
        "z1": [[1, 1], [3, 2]], "h1": [[1, 1], [3, 2]], "y_hat": [2, 5], "L": 1.25,
        "delta2": [1, -2], "dW2": [[-5, -3]], "db2": [-1],
        "delta1": [[1, 1], [-2, -2]], "dW1": [[-5, -4], [-5, -4]], "db1": [-1, -1],
        "W1'": [[1.5, 0.4], [0.5, 1.4]], "b1'": [0.1, -0.9], "W2'": [[1.5, 1.3]], "b2'": [0.1],
    },
}


@pytest.mark.parametrize("batch", ["mean", "sum"])
def test_two_sample_batch_by_hand(batch):
    t = tracegen.trace(tracegen.Spec.from_dict(two_sample_spec(batch)))
    want = BATCH_EXPECTED[batch]
    for name in ("z1", "h1", "L", "dW2", "db2", "dW1", "db1"):
        np.testing.assert_allclose(t.matrix(name, 1), want[name], rtol=1e-15, atol=1e-15, err_msg=name)
    # per-sample quantities with one output unit: (samples, 1)
    np.testing.assert_allclose(t.matrix("y_hat", 1).reshape(-1), want["y_hat"], rtol=1e-15)
    np.testing.assert_allclose(t.matrix("delta2", 1).reshape(-1), want["delta2"], rtol=1e-15)
    np.testing.assert_allclose(t.matrix("delta1", 1), want["delta1"], rtol=1e-15)
    np.testing.assert_allclose(t.matrix("delta1", 1, sample=1), want["delta1"][1], rtol=1e-15)
    for name in ("W1", "b1", "W2", "b2"):
        np.testing.assert_allclose(t.matrix(name, 1, phase="update"), want[name + "'"], rtol=1e-14, err_msg=name)
        np.testing.assert_allclose(t.matrix(name, 2), want[name + "'"], rtol=1e-14, err_msg=name)
    assert set(t.df.loc[t.df["name"] == "x", "sample"]) == {0, 1}
    # each sample's own loss, before the batch mean or sum: 0.25 and 1 in either mode
    np.testing.assert_allclose(t.matrix("sample_loss", 1).reshape(-1), [0.25, 1.0], rtol=1e-15)


# Frozen biases (update: [W]), a 2-2 linear layer with mse {scale: 0.5, reduction: sum}:
#   x = [1, 2], W = I, b = [1, 1] -> z = y_hat = [2, 3]; y = [0, 1]; e = y_hat - y = [2, 2]
#   L = 0.5 (2^2 + 2^2) = 4;  delta = 0.5 * 2 e = [2, 2]
#   dW = delta x^T = [[2, 4], [2, 4]];  db = [2, 2] (recorded, though not applied)
#   W <- I - 0.1 dW = [[0.8, -0.4], [-0.2, 0.6]];  b stays [1, 1]
# Epoch 2: z = W x + b = [0.8 - 0.8 + 1, -0.2 + 1.2 + 1] = [1, 2]; e = [1, 1]; L = 1;
#   delta = [1, 1]; dW = [[1, 2], [1, 2]]; b still [1, 1] after its update.
FROZEN = {
    "network": {"layers": [{"units": 2, "activation": "linear", "W": [[1, 0], [0, 1]], "b": [1, 1]}]},
    "loss": {"name": "mse", "scale": 0.5, "reduction": "sum"},
    "data": {"x": [1, 2], "y": [0, 1]},
    "training": {"learning_rate": 0.1, "epochs": 2, "update": ["W"]},
}


def test_frozen_bias_by_hand():
    t = tracegen.trace(tracegen.Spec.from_dict(FROZEN))
    np.testing.assert_array_equal(t.matrix("y_hat", 1), [2, 3])
    assert t.value("L", 1) == 4.0
    np.testing.assert_array_equal(t.matrix("delta1", 1), [2, 2])
    np.testing.assert_array_equal(t.matrix("dW1", 1), [[2, 4], [2, 4]])
    np.testing.assert_array_equal(t.matrix("db1", 1), [2, 2])  # gradient still recorded
    np.testing.assert_allclose(t.matrix("W1", 1, phase="update"), [[0.8, -0.4], [-0.2, 0.6]], rtol=1e-15)
    np.testing.assert_array_equal(t.matrix("b1", 1, phase="update"), [1, 1])  # unchanged, but present
    np.testing.assert_allclose(t.matrix("y_hat", 2), [1, 2], rtol=1e-14)
    assert t.value("L", 2) == pytest.approx(1.0, rel=1e-14)
    np.testing.assert_allclose(t.matrix("dW1", 2), [[1, 2], [1, 2]], rtol=1e-14)
    np.testing.assert_array_equal(t.matrix("b1", 2, phase="update"), [1, 1])


def test_frozen_weights_train_only_biases():
    spec = dict(FROZEN, training={"learning_rate": 0.1, "epochs": 1, "update": ["b"]})
    t = tracegen.trace(tracegen.Spec.from_dict(spec))
    np.testing.assert_array_equal(t.matrix("W1", 1, phase="update"), [[1, 0], [0, 1]])
    np.testing.assert_allclose(t.matrix("b1", 1, phase="update"), [0.8, 0.8], rtol=1e-15)  # 1 - 0.1 * 2


def test_mse_mean_reduction_by_hand():
    # Same as FROZEN with the default scale 1 and reduction mean over k = 2 outputs:
    #   L = (4 + 4) / 2 = 4; dL/dz = 2 e / 2 = [2, 2]
    spec = dict(FROZEN, loss="mse")
    t = tracegen.trace(tracegen.Spec.from_dict(spec))
    assert t.value("L", 1) == 4.0
    np.testing.assert_array_equal(t.matrix("delta1", 1), [2, 2])
    # scale 0.5, mean: L = 0.5 * 8 / 2 = 2; dL/dz = 0.5 * 2 e / 2 = [1, 1]
    spec = dict(FROZEN, loss={"name": "mse", "scale": 0.5})
    t = tracegen.trace(tracegen.Spec.from_dict(spec))
    assert t.value("L", 1) == 2.0
    np.testing.assert_array_equal(t.matrix("delta1", 1), [1, 1])


def test_cross_entropy_class_index_by_hand():
    # softmax of z = [0, 0] is [0.5, 0.5]; class 1: L = -log 0.5 = log 2; delta = y_hat - y = [0.5, -0.5]
    spec = {
        "network": {"layers": [{"units": 2, "activation": "softmax", "W": [[0], [0]], "b": [0, 0]}]},
        "loss": "cross_entropy",
        "data": {"x": [1], "y": 1},
    }
    t = tracegen.trace(tracegen.Spec.from_dict(spec))
    np.testing.assert_array_equal(t.matrix("y_hat", 1), [0.5, 0.5])
    np.testing.assert_array_equal(t.matrix("y", 1), [0.0, 1.0])
    assert t.value("L", 1) == pytest.approx(math.log(2), rel=1e-15)
    np.testing.assert_array_equal(t.matrix("delta1", 1), [0.5, -0.5])


def test_bce_per_unit_sigmoid_averages_over_outputs():
    # two sigmoid outputs at z = [0, 0]: y_hat = [0.5, 0.5]; y = [1, 0]
    # L = mean_k -[y log y_hat + (1-y) log(1-y_hat)] = log 2; delta = (y_hat - y) / 2 = [-0.25, 0.25]
    spec = {
        "network": {"layers": [{"units": 2, "activation": "sigmoid", "W": [[0], [0]], "b": [0, 0]}]},
        "loss": "bce",
        "data": {"x": [1], "y": [1, 0]},
    }
    t = tracegen.trace(tracegen.Spec.from_dict(spec))
    assert t.value("L", 1) == pytest.approx(math.log(2), rel=1e-15)
    np.testing.assert_array_equal(t.matrix("delta1", 1), [-0.25, 0.25])


@pytest.mark.parametrize(("activation", "slope_at_kink"), [
    ("relu", 0.0),
    ({"name": "leaky_relu", "slope": 0.1}, 0.1),
    ("leaky_relu", 0.01),
])
def test_derivative_at_the_kink(activation, slope_at_kink):
    # z1 = 1 * 0 + 0 = 0 exactly; h1 = 0; z2 = 2 * 0 + 1 = 1; L = (1 - 0)^2 = 1
    # delta2 = 2 (y_hat - y) = 2; delta1 = delta2 * W2 * f'(0) = 4 f'(0)
    # contract: relu'(0) = 0, leaky_relu'(0) = slope
    spec = {
        "network": {"layers": [
            {"units": 1, "activation": activation, "W": [[1]], "b": [0]},
            {"units": 1, "activation": "linear", "W": [[2]], "b": [1]},
        ]},
        "loss": "mse",
        "data": {"x": [0], "y": 0},
    }
    t = tracegen.trace(tracegen.Spec.from_dict(spec))
    assert t.value("L", 1) == 1.0
    assert t.value("delta1", 1) == pytest.approx(4 * slope_at_kink, abs=1e-15)
    assert list(t.kinks["name"]) == ["z1"]


def test_published_two_layer_sigmoid_mse_example():
    """Matt Mazur's widely reproduced 'step by step backpropagation example' (2-2-2 sigmoid,
    E = sum 1/2 (target - out)^2, eta = 0.5, biases not trained), at its printed decimals."""
    spec = {
        "network": {"layers": [
            {"units": 2, "activation": "sigmoid", "W": [[0.15, 0.20], [0.25, 0.30]], "b": [0.35, 0.35]},
            {"units": 2, "activation": "sigmoid", "W": [[0.40, 0.45], [0.50, 0.55]], "b": [0.60, 0.60]},
        ]},
        "loss": {"name": "mse", "scale": 0.5, "reduction": "sum"},
        "data": {"x": [0.05, 0.10], "y": [0.01, 0.99]},
        "training": {"learning_rate": 0.5, "epochs": 1, "update": ["W"]},
    }
    t = tracegen.trace(tracegen.Spec.from_dict(spec))
    np.testing.assert_allclose(t.matrix("h1", 1), [0.593269992, 0.596884378], atol=1e-9)
    np.testing.assert_allclose(t.matrix("y_hat", 1), [0.75136507, 0.772928465], atol=1e-8)
    assert t.value("L", 1) == pytest.approx(0.298371109, abs=1e-9)
    np.testing.assert_allclose(t.matrix("W2", 1, phase="update"),
                               [[0.35891648, 0.408666186], [0.511301270, 0.561370121]], atol=1e-8)
    np.testing.assert_allclose(t.matrix("W1", 1, phase="update"),
                               [[0.149780716, 0.19956143], [0.24975114, 0.29950229]], atol=1e-8)


@pytest.mark.parametrize("name", ["relu", "sigmoid", "tanh", "linear", "leaky_relu", "softmax"])
def test_each_activation_has_a_derivative_beside_it(name):
    """Every contract activation is one unit with forward and backward; the backward is the
    vector-Jacobian product, checked against central differences of <g, f(z)>."""
    from tracegen.engine.activations import unit
    from tracegen.spec.model import Activation

    act = unit(Activation(name, 0.2))
    z = np.array([[-1.3, 0.4, 2.1], [0.7, -0.2, -2.5]])
    g = np.array([[0.3, -1.1, 0.5], [1.0, 0.25, -0.6]])
    expected = np.zeros_like(z)
    for idx in np.ndindex(z.shape):
        up, down = z.copy(), z.copy()
        up[idx] += EPS
        down[idx] -= EPS
        expected[idx] = ((g * act.forward(up)).sum() - (g * act.forward(down)).sum()) / (2 * EPS)
    np.testing.assert_allclose(act.backward(z, act.forward(z), g), expected, rtol=RTOL, atol=ATOL)


@pytest.mark.parametrize("name", ["bce", "mse", "cross_entropy"])
def test_each_loss_is_registered(name):
    from tracegen.engine.losses import LOSSES

    assert callable(LOSSES[name])


# --- 2. property-based: gradients equal central finite differences of the loss ---------------
#
# The reference below recomputes the loss from the slide formulas in plain NumPy. bce and
# cross_entropy are written on the logits (softplus / log-sum-exp), the same maths as the
# slides' -[y log y_hat + ...] but without cancellation, so finite differences stay accurate
# when an output saturates.

HIDDEN = ["relu", "sigmoid", "tanh", "linear", "leaky_relu"]
EPS = 1e-6
RTOL, ATOL = 1e-5, 1e-6
KINK_MARGIN = 1e-3  # relu / leaky_relu pre-activations kept this far from 0


def ref_act(name: str, slope: float, z: np.ndarray) -> np.ndarray:
    if name == "relu":
        return np.maximum(z, 0.0)
    if name == "leaky_relu":
        return np.where(z > 0, z, slope * z)
    if name == "sigmoid":
        return 1.0 / (1.0 + np.exp(-z))
    if name == "tanh":
        return np.tanh(z)
    if name == "linear":
        return z
    assert name == "softmax"
    e = np.exp(z - z.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


def ref_loss(net: dict, z_out: np.ndarray, y: np.ndarray) -> float:
    """Batch loss from the output pre-activation (samples, k)."""
    loss = net["loss"]
    if loss["name"] == "bce":  # -[y log s(z) + (1 - y) log(1 - s(z))] = log(1 + e^z) - y z
        per = (np.logaddexp(0.0, z_out) - y * z_out).mean(axis=1)
    elif loss["name"] == "cross_entropy":  # -sum_k y_k log softmax(z)_k
        lse = np.log(np.exp(z_out - z_out.max(axis=1, keepdims=True)).sum(axis=1)) + z_out.max(axis=1)
        per = -(y * (z_out - lse[:, None])).sum(axis=1)
    else:
        a = net["acts"][-1]
        sq = (y - ref_act(a[0], a[1], z_out)) ** 2
        per = loss["scale"] * (sq.sum(axis=1) if loss["reduction"] == "sum" else sq.mean(axis=1))
    return float(per.sum() if loss["batch"] == "sum" else per.mean())


def ref_from(net: dict, params: list, layer: int, z: np.ndarray) -> float:
    """L given the pre-activation z of `layer` (0-based), running the rest of the network."""
    while layer < len(params) - 1:
        name, slope = net["acts"][layer]
        h = ref_act(name, slope, z)
        layer += 1
        W, b = params[layer]
        z = h @ W.T + b
    return ref_loss(net, z, net["y"])


def ref_zs(net: dict, params: list) -> list[np.ndarray]:
    zs, h = [], net["x"]
    for (W, b), (name, slope) in zip(params, net["acts"], strict=True):
        zs.append(h @ W.T + b)
        h = ref_act(name, slope, zs[-1])
    return zs


def ref_L(net: dict, params: list) -> float:
    return ref_from(net, params, 0, net["x"] @ params[0][0].T + params[0][1])


def finite_difference(f, array: np.ndarray) -> np.ndarray:
    """Central difference of f() w.r.t. every entry of `array` (perturbed in place)."""
    grad = np.zeros_like(array)
    for idx in np.ndindex(array.shape):
        old = array[idx]
        array[idx] = old + EPS
        up = f()
        array[idx] = old - EPS
        down = f()
        array[idx] = old
        grad[idx] = (up - down) / (2 * EPS)
    return grad


value = st.floats(-2, 2, allow_nan=False).filter(lambda v: abs(v) > 0.05)


@st.composite
def networks(draw, output: str, loss_name: str) -> dict:
    n_layers = draw(st.integers(1, 3))
    n_in = draw(st.integers(1, 4))
    m = draw(st.integers(1, 4))
    units = [draw(st.integers(1, 4)) for _ in range(n_layers - 1)]
    units.append(draw(st.integers(2, 4)) if output == "softmax" else draw(st.integers(1, 4)))
    acts = []
    for i in range(n_layers):
        name = output if i == n_layers - 1 else draw(st.sampled_from(HIDDEN))
        slope = draw(st.sampled_from([0.01, 0.1, 0.3])) if name == "leaky_relu" else 0.01
        acts.append((name, slope))

    def arr(*shape):
        size = int(np.prod(shape))
        return np.array(draw(st.lists(value, min_size=size, max_size=size))).reshape(shape)

    params, fan_in = [], n_in
    for k in units:
        params.append((arr(k, fan_in), arr(k)))
        fan_in = k
    k = units[-1]
    loss: dict[str, Any] = {"name": loss_name, "batch": draw(st.sampled_from(["mean", "sum"]))}
    if loss_name == "mse":
        loss.update(scale=draw(st.sampled_from([1.0, 0.5, 2.0])), reduction=draw(st.sampled_from(["mean", "sum"])))
    if loss_name == "bce":
        y = np.array(draw(st.lists(st.floats(0, 1), min_size=m * k, max_size=m * k))).reshape(m, k)
        y_spec: Any = y.tolist()
    elif loss_name == "cross_entropy":
        labels = draw(st.lists(st.integers(0, k - 1), min_size=m, max_size=m))
        y = np.eye(k)[labels]
        y_spec = labels if draw(st.booleans()) else y.tolist()  # class indices or one-hot
    else:
        y = arr(m, k)
        y_spec = y.tolist()
    return {"params": params, "acts": acts, "loss": loss, "x": arr(m, n_in), "y": y, "y_spec": y_spec}


def to_spec(net: dict) -> tracegen.Spec:
    layers = []
    for (W, b), (name, slope) in zip(net["params"], net["acts"], strict=True):
        act: Any = {"name": name, "slope": slope} if name == "leaky_relu" else name
        layers.append({"units": W.shape[0], "activation": act, "W": W.tolist(), "b": b.tolist()})
    return tracegen.Spec.from_dict({
        "network": {"layers": layers},
        "loss": net["loss"],
        "data": {"x": net["x"].tolist(), "y": net["y_spec"]},
        "training": {"learning_rate": 0.1, "epochs": 1},
    })


def away_from_kinks(net: dict) -> bool:
    for z, (name, _) in zip(ref_zs(net, net["params"]), net["acts"], strict=True):
        if name in ("relu", "leaky_relu") and np.abs(z).min() < KINK_MARGIN:
            return False
    return True


OUTPUTS = [("sigmoid", "bce"), ("softmax", "cross_entropy")] + [(a, "mse") for a in HIDDEN]


@pytest.mark.parametrize(("output", "loss_name"), OUTPUTS)
@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.filter_too_much, HealthCheck.too_slow])
@given(data=st.data())
def test_gradients_match_finite_differences(output, loss_name, data):
    net = data.draw(networks(output, loss_name))
    assume(away_from_kinks(net))
    t = tracegen.trace(to_spec(net))
    params = [(W.copy(), b.copy()) for W, b in net["params"]]
    m = net["x"].shape[0]
    assert t.value("L", 1) == pytest.approx(ref_L(net, params), rel=1e-12, abs=1e-12)
    for i, (W, b) in enumerate(params, start=1):
        fd_W = finite_difference(lambda: ref_L(net, params), W)
        fd_b = finite_difference(lambda: ref_L(net, params), b)
        np.testing.assert_allclose(t.matrix(f"dW{i}", 1), fd_W, rtol=RTOL, atol=ATOL, err_msg=f"dW{i}")
        np.testing.assert_allclose(t.matrix(f"db{i}", 1), fd_b, rtol=RTOL, atol=ATOL, err_msg=f"db{i}")
    zs = ref_zs(net, params)
    for i, z in enumerate(zs):
        z = z.copy()
        fd_z = finite_difference(lambda: ref_from(net, params, i, z), z)  # noqa: B023 - used at once
        delta = t.matrix(f"delta{i + 1}", 1).reshape(m, -1)
        np.testing.assert_allclose(delta, fd_z, rtol=RTOL, atol=ATOL, err_msg=f"delta{i + 1}")


# --- 4. stability for large |z| ---------------------------------------------------------------


def strict_trace(spec: dict) -> tracegen.Trace:
    """Train with every floating-point problem and every warning turned into an error.

    The engine runs bare (tracegen.trace itself silences overflow to report divergence as
    one error), so an overflow anywhere, even one that ends in a finite number, fails here.
    """
    parsed = tracegen.Spec.from_dict(spec)
    with warnings.catch_warnings(), np.errstate(all="raise"):
        warnings.simplefilter("error")
        columns, _ = frame(train(parsed))
        t = tracegen.trace(parsed)
    assert np.isfinite(columns.value).all()
    assert columns.frame().equals(t.df)
    return t


@pytest.mark.parametrize("z", [1e4, -1e4])
@pytest.mark.parametrize("y", [0, 1])
def test_sigmoid_bce_saturated(z, y):
    t = strict_trace({
        "network": {"layers": [{"units": 1, "activation": "sigmoid", "W": [[z]], "b": [0]}]},
        "loss": "bce", "data": {"x": [1], "y": y}, "training": {"epochs": 2},
    })
    y_hat = 1.0 if z > 0 else 0.0
    assert t.value("y_hat", 1) == y_hat
    # L = log(1 + e^z) - y z: 1e4 when the output is confidently wrong, 0 when right
    assert t.value("L", 1) == (1e4 if y_hat != y else 0.0)
    assert t.value("delta1", 1) == y_hat - y


def test_softmax_cross_entropy_saturated():
    # z = [1e4, -1e4, 0]: y_hat = [1, 0, 0]; class 1: L = lse(z) - z_1 = 1e4 + 1e4
    t = strict_trace({
        "network": {"layers": [{"units": 3, "activation": "softmax", "W": [[1e4], [-1e4], [0]], "b": [0, 0, 0]}]},
        "loss": "cross_entropy", "data": {"x": [[1], [-1]], "y": [1, 0]}, "training": {"epochs": 2},
    })
    np.testing.assert_array_equal(t.matrix("y_hat", 1), [[1, 0, 0], [0, 1, 0]])
    # sample 0: lse(z) = 1e4, z_1 = -1e4 -> 2e4; sample 1: z = [-1e4, 1e4, 0], class 0 -> 2e4
    # delta = (y_hat - y) / 2 = [1, -1, 0] / 2 and [-1, 1, 0] / 2
    assert t.value("L", 1) == 2e4
    np.testing.assert_array_equal(t.matrix("delta1", 1), [[0.5, -0.5, 0], [-0.5, 0.5, 0]])


@pytest.mark.parametrize("output", ["tanh", "sigmoid", "linear"])
def test_tanh_hidden_saturated(output):
    # tanh(+-1e4) = +-1 exactly and its derivative 1 - 1 = 0: no NaN, no warning
    t = strict_trace({
        "network": {"layers": [
            {"units": 2, "activation": "tanh", "W": [[1e4], [-1e4]], "b": [0, 0]},
            {"units": 1, "activation": output, "W": [[1e4, 1e4]], "b": [0]},
        ]},
        "loss": {"name": "mse", "scale": 0.5}, "data": {"x": [1], "y": 0.5}, "training": {"epochs": 2},
    })
    np.testing.assert_array_equal(t.matrix("h1", 1), [1, -1])
    np.testing.assert_array_equal(t.matrix("delta1", 1), [0, 0])


def test_strict_check_catches_an_overflow():
    """The strict harness itself fails on an overflow: z = 1e300 * 1e10 in a linear layer."""
    with pytest.raises(FloatingPointError):
        strict_trace({
            "network": {"layers": [{"units": 1, "activation": "linear", "W": [[1e300]], "b": [0]}]},
            "loss": "mse", "data": {"x": [1e10], "y": 0},
        })


def test_large_z_through_relu_and_leaky():
    t = strict_trace({
        "network": {"layers": [
            {"units": 2, "activation": {"name": "leaky_relu", "slope": 0.1}, "W": [[1e4], [-1e4]], "b": [0, 0]},
            {"units": 1, "activation": "sigmoid", "W": [[1, 1]], "b": [0]},
        ]},
        "loss": "bce", "data": {"x": [1], "y": 0},
    })
    np.testing.assert_array_equal(t.matrix("h1", 1), [1e4, -1e3])
    assert t.value("z2", 1) == 9e3
