"""Verdicts and marks for every blank of every student.

- correct: within tolerance of the key, or of the hand calculation (the printed rounded
  values carried from step to step), or of the value recomputed from the student's own
  earlier answers when none of the quantities it uses holds a wrong or carried answer;
- carried: not correct, but within tolerance of the value recomputed from the student's own
  earlier answers, one of which was wrong or carried (error carried forward);
- wrong: anything else, including a cell that is not a number;
- blank: an empty cell, or no column for the blank.

Whether an input "holds" an error is decided per quantity (any of its cells), in the order
a student computes, so a verdict only ever depends on earlier ones.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import cached_property

import numpy as np

from tracegen.batching.folder import Batch
from tracegen.engine.hand import Key, steps
from tracegen.grading import mistakes
from tracegen.grading.carry import carry, hand
from tracegen.grading.policy import Policy, within
from tracegen.grading.typed import EMPTY, NUMBER_CELL, Reader, numbers

VERDICTS = ("correct", "carried", "wrong", "blank")
CORRECT, CARRIED, WRONG, BLANK = range(4)

Array = np.ndarray


@dataclass(frozen=True, eq=False)
class Marking:
    """Everything decided about each (student, blank), every array (students, blanks)."""

    policy: Policy
    rows: Array  # each student's variant (row of the batch)
    texts: list[list[str]]  # each cell as written
    kinds: Array  # EMPTY, NUMBER_CELL or GARBAGE
    answers: Array  # the number written, nan where none
    reasons: dict[tuple[int, int], str]  # how a cell was read, or why it is not a number
    key: Array
    hand: Array
    expected: Array  # recomputed from the student's own earlier answers
    verdict: Array
    mistake: Array  # names from mistakes.MISTAKES, "" where none
    earned: Array

    @cached_property
    def notes(self) -> Array:
        """(students, blanks): how the cell was read or why it is not a number, then the named mistake's message."""
        notes = np.array([mistakes.MISTAKES[m][1] if m else "" for m in self.mistake.ravel()], dtype=object)
        notes = notes.reshape(self.mistake.shape)
        for (r, c), reason in self.reasons.items():  # how the cell was read, before any mistake's message
            notes[r, c] = f"{reason}; {notes[r, c]}" if notes[r, c] else reason
        return notes


def mark(batch: Batch, rows: Array, texts: list[list[str]], readers: Sequence[Reader]) -> Marking:
    """Mark the answers `texts` (students, blanks) of students whose variants are `rows`, each
    student's cells read by their reader (`grading.typed`)."""
    kinds, answers, reasons = numbers(texts, readers)
    policy = Policy.of(batch.spec, list(batch.blanks["name"]))
    carried = carry(batch, rows, answers)
    key, rounded = batch.key[rows], hand(batch)[rows]
    expected = batch.take(carried.expected)
    verdict = _verdicts(batch, policy, kinds, answers, key, rounded, expected)
    wrong = (verdict == WRONG) & (kinds == NUMBER_CELL)
    named = mistakes.name(batch, policy, carried, answers, wrong, (key, rounded, expected))
    share = np.select([verdict == CORRECT, verdict == CARRIED], [1.0, policy.carried], 0.0)
    return Marking(policy, rows, texts, kinds, answers, reasons, key, rounded, expected, verdict, named,
                   share * policy.marks)


def _verdicts(batch: Batch, policy: Policy, kinds: Array, answers: Array, key: Array, rounded: Array,
              expected: Array) -> Array:
    accepted = (within(answers, key, policy.halfwidths(key))
                | within(answers, rounded, policy.halfwidths(rounded)))
    follows = within(answers, expected, policy.halfwidths(expected))
    verdict = np.where(kinds == EMPTY, BLANK, WRONG).astype(np.int8)
    erred: dict[Key, Array] = {}  # per quantity and student: a wrong or carried answer was used
    for step in steps(batch.spec):
        upstream = np.zeros(len(answers), dtype=bool)
        for used in step.inputs:
            upstream |= erred.get(used, False)
        cells = batch.cells.get(step.key)
        if cells is None:
            erred[step.key] = upstream
            continue
        c = cells.columns
        ok, carried = accepted[:, c] | (follows[:, c] & ~upstream[:, None]), follows[:, c]
        mine = np.select([ok, carried], [CORRECT, CARRIED], WRONG)
        verdict[:, c] = np.where(kinds[:, c] == NUMBER_CELL, mine, verdict[:, c])
        used_wrong = (verdict[:, c] == WRONG) & (kinds[:, c] == NUMBER_CELL)
        erred[step.key] = ((verdict[:, c] == CARRIED) | used_wrong).any(axis=1)
    return verdict
