"""The one training order (`engine.order`): a student can follow it, the engine's trace is it, and its
float and exact evaluations (the engine from z, the hand replay from ŷ) give the same numbers."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from networks import specs

import tracegen
from tracegen.engine import exact, hand
from tracegen.engine.order import GIVEN, givens, plan, steps
from tracegen.engine.sgd import initial_params


def test_one_epoch_of_the_example_in_the_contracts_order() -> None:
    """Written out from the contract's quantity list for a 2-layer network."""
    expected = [("params", "W1"), ("params", "b1"), ("params", "W2"), ("params", "b2"),
                ("forward", "x"), ("forward", "z1"), ("forward", "h1"), ("forward", "z2"), ("forward", "y_hat"),
                ("loss", "y"), ("loss", "sample_loss"), ("loss", "L"),
                ("backward", "delta2"), ("backward", "dW2"), ("backward", "db2"),
                ("backward", "delta1"), ("backward", "dW1"), ("backward", "db1"),
                ("update", "W1"), ("update", "b1"), ("update", "W2"), ("update", "b2")]
    spec = tracegen.load_example()
    assert [step.key for step in plan(spec)] == [(e, *key) for e in (1, 2, 3) for key in expected]
    rows = tracegen.trace(spec).df.drop_duplicates(["epoch", "phase", "name"])
    assert list(zip(rows["epoch"], rows["phase"].astype(str), rows["name"], strict=True)) == \
        [(e, *key) for e in (1, 2, 3) for key in expected]
    assert rows["step"].tolist() == list(range(len(expected))) * 3


@settings(max_examples=30, deadline=None)
@given(spec=specs())
def test_every_step_uses_only_givens_and_steps_before_it(spec: tracegen.Spec) -> None:
    known = set(givens(spec, initial_params(spec)))
    for step in plan(spec):
        assert set(step.inputs + step.logits) <= known, step.key
        assert step.kind == GIVEN or step.key not in known, f"{step.key} computed twice"
        known.add(step.key)


@settings(max_examples=30, deadline=None)
@given(spec=specs())
def test_the_engines_floats_and_the_exact_replay_of_the_same_steps_agree(spec: tracegen.Spec) -> None:
    """The trace (floats, loss from z) and `hand.paths` (exact decimals, loss from ŷ) run one list of steps."""
    trace = tracegen.trace(spec)
    full = hand.paths(spec, givens(spec, initial_params(spec))).exact
    assert list(full) == [step.key for step in steps(spec)]
    for (epoch, phase, name), value in full.items():
        with exact.precise():
            floats = exact.floats_of(value).astype(float)
        engine = trace.matrix(name, epoch, phase=phase)
        np.testing.assert_allclose(engine.reshape(-1), floats.reshape(-1), rtol=1e-9, atol=1e-12,
                                   err_msg=f"{name} of epoch {epoch}")
