"""Exact decimals and their intervals (tracegen.engine.exact, the rules of tracegen.engine.hand).

Rounding is the school rule at exact ties; every interval holds every value its inputs' intervals
can give, checked at random points of random boxes against the same rule computed point by point."""

from __future__ import annotations

import random
from decimal import Decimal

import numpy as np
import pytest

from tracegen.engine import exact, hand
from tracegen.engine.exact import Ival
from tracegen.spec.model import Activation, Loss


def D(text: str) -> Decimal:
    return Decimal(text)


def test_ties_round_half_up_away_from_zero_or_half_to_even() -> None:
    with exact.precise():
        values = np.array([D("0.6225"), D("-0.6225"), D("0.9125"), D("0.62249999999"), D("1.0045")], dtype=object)
        assert list(exact.rounded(values, 3)) == [D("0.623"), D("-0.623"), D("0.913"), D("0.622"), D("1.005")]
        assert list(exact.rounded(values, 3, "even")) == [D("0.622"), D("-0.622"), D("0.912"), D("0.622"),
                                                          D("1.004")]
        assert list(exact.is_tie(values, 3)) == [True, True, True, False, True]
        assert str(exact.rounded(np.array([D("-0.0001")], dtype=object), 3)[0]) == "0.000"  # never −0


def test_special_values_are_exact() -> None:
    """σ(0) = ½, tanh(0) = 0, e⁰ = 1, log 1 = 0: exact, so a tie they make is seen (¼ of σ(0) is 0.125)."""
    with exact.precise():
        zero = Ival(np.array([[D("0")]], dtype=object))
        assert hand.forward(Activation("sigmoid"), zero).lo[0, 0] == D("0.5")
        assert hand.forward(Activation("tanh"), zero).lo[0, 0] == 0
        assert exact.is_tie((hand.forward(Activation("sigmoid"), zero) / 4).lo, 2)[0, 0]
        assert exact.ln(np.array([D(1)], dtype=object))[0] == 0


def _box(rng: random.Random, shape: tuple[int, ...], low: float = -2, high: float = 2) -> Ival:
    lo = np.array([D(f"{rng.uniform(low, high):.3f}") for _ in range(int(np.prod(shape)))], dtype=object)
    width = np.array([D(f"{rng.uniform(0, 0.01):.4f}") for _ in range(lo.size)], dtype=object)
    return Ival(lo.reshape(shape), (lo + width).reshape(shape))


def _inside(box: Ival, rng: random.Random) -> Ival:
    t = np.array([D(f"{rng.random():.3f}") for _ in range(box.lo.size)], dtype=object).reshape(box.shape)
    return Ival(box.lo + t * (box.hi - box.lo))


RULES = {
    "affine": lambda a, b, c: a @ b.T + c[..., None, :],
    "relu": lambda a, b, c: hand.forward(Activation("relu"), a),
    "leaky": lambda a, b, c: hand.backward(Activation("leaky_relu", 0.1), a, a, b),
    "sigmoid": lambda a, b, c: hand.backward(Activation("sigmoid"), a, hand.forward(Activation("sigmoid"), a), b),
    "tanh": lambda a, b, c: hand.backward(Activation("tanh"), a, hand.forward(Activation("tanh"), a), b),
    "softmax": lambda a, b, c: hand.backward(Activation("softmax"), a, hand.forward(Activation("softmax"), a), b),
    "square": lambda a, b, c: a.square() - b * a,
}


@pytest.mark.parametrize("rule", sorted(RULES))
def test_intervals_hold_every_value_of_their_inputs(rule: str) -> None:
    rng = random.Random(rule)
    with exact.precise():
        for _ in range(20):
            a, b, c = _box(rng, (2, 3)), _box(rng, (2, 3)), _box(rng, (2,))
            whole = RULES[rule](a, b, c)
            for _ in range(10):
                point = RULES[rule](_inside(a, rng), _inside(b, rng), _inside(c, rng))
                assert point.point and ((whole.lo <= point.lo) & (point.lo <= whole.hi)).all()


@pytest.mark.parametrize("loss", [Loss("bce"), Loss("cross_entropy"), Loss("mse", 0.5, "sum")])
def test_loss_intervals_hold_every_value(loss: Loss) -> None:
    rng = random.Random(loss.name)
    with exact.precise():
        for _ in range(20):
            y_hat = _box(rng, (2, 3), 0.01, 0.98)
            y = Ival(np.array([[D(str(rng.choice([0, 1, 0.5]))) for _ in range(3)] for _ in range(2)], dtype=object))
            whole = hand.sample_losses(loss, y_hat, y)
            for _ in range(10):
                point = hand.sample_losses(loss, _inside(y_hat, rng), y)
                assert ((whole.lo <= point.lo) & (point.lo <= whole.hi)).all()
