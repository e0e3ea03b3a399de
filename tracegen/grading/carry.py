"""Error carried forward: every blank recomputed from the student's own earlier answers.

The steps are `handcalc.steps`, the engine's own functions, run for the whole class at once
along a leading student axis. Each step's inputs are the student's answers for the
quantities it uses, cell by cell, or the key's value where a cell was left empty or is not
a number; a quantity a student never writes (the loss of a single sample) is carried as
computed. The hand calculation (every step rounded to `display.decimals` and carried) runs
the same way, once per variant.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from tracegen.batching.folder import Batch
from tracegen.engine.hand import Key, replay, steps

Array = np.ndarray


@dataclass(frozen=True, eq=False)
class Carried:
    """Per quantity, with a leading student axis: `expected`, recomputed from what the student
    used; `used`, what the student's own computation took (their answers, the key where missing)."""

    expected: dict[Key, Array]
    used: dict[Key, Array]


def carry(batch: Batch, rows: Array, answers: Array) -> Carried:
    """ECF for students of variants `rows` (one per student) with `answers` (students, blanks; nan: none)."""
    used = {key: given[rows] for key, given in batch.givens.items()}
    students = np.where(np.isnan(answers), batch.key[rows], answers)
    expected = {}
    with np.errstate(all="ignore"):  # a wild answer may overflow what follows from it: that is only wrong
        for step in steps(batch.spec):
            expected[step.key] = step(used)
            cells = batch.cells.get(step.key)
            if cells is None:
                used[step.key] = expected[step.key]
                continue
            value = np.empty((len(rows), math.prod(cells.shape)))
            value[:, cells.flat] = students[:, cells.columns]
            used[step.key] = value.reshape((len(rows), *cells.shape))
    return Carried(expected, used)


def hand(batch: Batch) -> Array:
    """(variants, blanks): what carrying the printed rounded values gives for every blank."""
    values = {step.key: value for step, value in replay(batch.spec, dict(batch.givens), batch.spec.decimals)}
    return batch.take({key: values[key] for key in batch.cells})
