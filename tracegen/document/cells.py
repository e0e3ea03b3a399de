"""How many integer-digit cells each quantity's blanks get on a paper-ready worksheet.

A paper-ready blank is a row of character cells (a sign, integer digits, the printed point,
the document's decimals: `maths.tree.Blank.cells`). A box's size must not hint at its
answer, so every blank of one quantity (z1, dW2, L, … in every epoch) gets as many
integer-digit cells as the widest of its values needs across everything printed together:
the whole batch, whose values are all known before anything is rendered, or one document.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from tracegen.engine.trace import Trace

Digits = Mapping[str, int]  # quantity name (the blank id's second part: "z1", "dW2", "L") -> integer digits


def quantity(blank_id: str) -> str:
    """The quantity a blank id (`e1:z1:0:1:0`) belongs to: "z1"."""
    return blank_id.split(":")[1]


def integer_digits(traces: Iterable[Trace], decimals: int) -> dict[str, int]:
    """Each quantity's integer-digit cells: the most any of its answers needs, rounded to `decimals`
    places as printed (at least one: "0.123" is written with its 0), across all `traces`."""
    digits: dict[str, int] = {}
    for trace in traces:  # a batch plans every variant's cells before any worker starts: no table of blanks built
        for blank, value in zip(*trace.answer_row(), strict=True):
            whole = f"{abs(value):.{decimals}f}".partition(".")[0]
            name = quantity(blank)
            digits[name] = max(digits.get(name, 1), len(whole))
    return dict(sorted(digits.items()))
