"""Verdicts and marks for every blank of every student, by the careful-student model.

- correct: within tolerance of a value a careful student writes from the givens (the key
  and its grader notes), or of one a careful student writes from the student's own
  earlier answers when none of the quantities it uses holds a wrong or carried answer;
- carried: not correct, but within tolerance of a value a careful student writes from the
  student's own earlier answers, one of which was wrong or carried (error carried
  forward), unless one of those answers is degenerate (then wrong, named for a teacher);
- wrong: anything else, including a cell that is not a number;
- blank: an empty cell, or no column for the blank.

Whether an input "holds" an error is decided per quantity (any of its cells), in the order
a student computes, so a verdict only ever depends on earlier ones (`grading.carry`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import cached_property

import numpy as np

from tracegen.batching.folder import Batch
from tracegen.grading import mistakes
from tracegen.grading.carry import BLANK, CARRIED, CORRECT, VERDICTS, WRONG, judge
from tracegen.grading.policy import Policy
from tracegen.grading.typed import NUMBER_CELL, Reader, numbers

__all__ = ["BLANK", "CARRIED", "CORRECT", "VERDICTS", "WRONG", "Marking", "mark"]

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
    printed: Array  # the key of each blank as the key document prints it (text)

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
    judged = judge(batch, rows, answers, kinds, policy)
    key, verdict = batch.key[rows], judged.verdict
    expected = batch.take(judged.expected)
    wrong = (verdict == WRONG) & (kinds == NUMBER_CELL)
    named = mistakes.name(batch, policy, judged, answers, wrong & (judged.refused == ""), (key, judged.hand, expected))
    named = np.where(judged.refused != "", judged.refused, named)
    share = np.select([verdict == CORRECT, verdict == CARRIED], [1.0, policy.carried], 0.0)
    return Marking(policy, rows, texts, kinds, answers, reasons, key, judged.hand, expected, verdict, named,
                   share * policy.marks, judged.printed)
