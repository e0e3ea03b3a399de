"""The values a student could plausibly have written in each blank, from the grading model:

- from the givens: the key and every careful student's path (full precision, the key's printed
  inputs, carrying rounded values half up and half to even: `engine.hand.paths`);
- from this student's own earlier answers as read so far (error carried forward: `grading.carry`),
  and the named mistakes redone from them (`grading.mistakes`), and a sign flip.

Each value is offered rounded half up and half to even at the blank's decimals. Candidates only
lower the bar for accepting what is read (`scanning.decide`), so a long list costs nothing in safety.
"""

from __future__ import annotations

import numpy as np

from tracegen.batching.folder import Batch
from tracegen.engine import hand
from tracegen.grading import mistakes
from tracegen.grading.carry import centres, judge
from tracegen.grading.policy import Policy
from tracegen.grading.typed import EMPTY, NUMBER_CELL
from tracegen.scanning.decide import rounded

Array = np.ndarray


def from_givens(batch: Batch) -> list[Array]:
    """(variants, blanks) object arrays of the values a careful student writes from the givens."""
    return centres(batch, hand.paths(batch.spec, batch.givens))


def from_own(batch: Batch, rows: Array, answers: Array) -> list[Array]:
    """(students, blanks) arrays of the values that follow from each student's own `answers` (floats,
    nan where nothing was read yet): carried forward, its sign flipped, and each named mistake."""
    kinds = np.where(np.isnan(answers), EMPTY, NUMBER_CELL)
    policy = Policy.of(batch.spec, list(batch.blanks["name"]))
    judged = judge(batch, rows, answers, kinds, policy)
    expected = batch.take(judged.expected)
    out = [expected, -expected, judged.hand]
    for step in hand.steps(batch.spec):
        cells = batch.cells.get(step.key)
        if cells is None:
            continue
        with np.errstate(all="ignore"):
            for _, value, _ in mistakes.redone(step, batch, judged):
                table = np.full(answers.shape, np.nan)
                table[:, cells.columns] = value.reshape(len(rows), -1)[:, cells.flat]
                out.append(table)
    return out


def texts(tables: list[Array], row: int, column: int, decimals: int) -> set[str]:
    """The candidate texts of one (row, blank) among `tables`."""
    return rounded((table[row, column] for table in tables), decimals)
