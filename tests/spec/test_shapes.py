"""The one statement of quantity shapes (`spec.shapes`) is the shape of every quantity the engine computes."""

from __future__ import annotations

from hypothesis import given, settings
from networks import specs

import tracegen
from tracegen.engine.sgd import train
from tracegen.spec.shapes import shapes, size


def test_the_example_by_hand() -> None:
    """3 inputs, 2 hidden units, 1 output, one sample (the slides' network)."""
    every = shapes(tracegen.load_example())
    assert {name: every[name] for name in ("x", "W1", "b1", "z1", "h1", "W2", "y_hat", "dW1", "db2", "L")} == \
        {"x": (1, 3), "W1": (2, 3), "b1": (2,), "z1": (1, 2), "h1": (1, 2), "W2": (1, 2), "y_hat": (1, 1),
         "dW1": (2, 3), "db2": (1,), "L": ()}
    assert size(every["L"]) == 1 and size(every["W1"]) == 6


@settings(max_examples=30, deadline=None)
@given(spec=specs())
def test_every_quantity_of_training_has_its_stated_shape(spec: tracegen.Spec) -> None:
    every = shapes(spec)
    seen = set()
    for record in train(spec):
        assert record.value.shape == every[record.name], (record.epoch, record.phase, record.name)
        seen.add(record.name)
    assert seen == set(every)
