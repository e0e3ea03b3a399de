"""The export's blank order, derived from the network's shape alone, is the order of the blanks in a built worksheet."""

from __future__ import annotations

from hypothesis import given, settings
from networks import specs

import tracegen
from tracegen.document.blanks import blanks, order, worksheet


@settings(max_examples=40, deadline=None)
@given(spec=specs())
def test_the_order_from_the_shape_is_the_order_of_a_built_worksheets_blanks(spec: tracegen.Spec) -> None:
    built = tuple(blank.id for blank in blanks(worksheet(spec)))
    assert order(spec) == built
    assert sorted(built) == sorted(tracegen.trace(spec).blanks()["blank"])  # each of answers.csv's blanks once


def test_the_order_of_the_class3_worksheet_reads_it_top_down() -> None:
    """Written out for the example (3-2-1, one sample, 3 epochs): z, h, ŷ, L; δ², dW², db², δ¹, dW¹, db¹; the
    updates from the output layer down; then the next epoch."""
    ids = order(tracegen.load_example())
    epoch = ["z1:0:0:0", "z1:0:1:0", "h1:0:0:0", "h1:0:1:0", "z2:0:0:0", "y_hat:0:0:0", "L:-1:0:0",
             "delta2:0:0:0", "dW2:-1:0:0", "dW2:-1:0:1", "db2:-1:0:0", "delta1:0:0:0", "delta1:0:1:0",
             *(f"dW1:-1:{r}:{c}" for r in range(2) for c in range(3)), "db1:-1:0:0", "db1:-1:1:0",
             "W2:-1:0:0", "W2:-1:0:1", "b2:-1:0:0", *(f"W1:-1:{r}:{c}" for r in range(2) for c in range(3)),
             "b1:-1:0:0", "b1:-1:1:0"]
    assert ids == tuple(f"e{e}:{cell}" for e in (1, 2, 3) for cell in epoch)
