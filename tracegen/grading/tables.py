"""The results as DataFrames, in batch order: the gradebook (one row per student, the
contract's columns) and the detail (one row per student and blank)."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from tracegen.batching.folder import Batch
from tracegen.grading.marking import BLANK, CARRIED, CORRECT, VERDICTS, WRONG, Marking

COUNTS = (("correct", CORRECT), ("carried", CARRIED), ("wrong", WRONG), ("blank", BLANK))


def identity(batch: Batch, rows: Sequence[int] | np.ndarray) -> dict[str, list[str]]:
    """Who each row (a variant index) is: student_id, student_name, variant in a roster batch;
    variant, student_name (empty) without a roster, where the variant is the only id."""
    variants = [batch.variants[r] for r in rows]
    if batch.students is None:
        return {"variant": variants, "student_name": [""] * len(rows)}
    students = [batch.students[r] for r in rows]
    return {"student_id": [s.id for s in students], "student_name": [s.name or "" for s in students],
            "variant": variants}


def gradebook(batch: Batch, marking: Marking) -> pd.DataFrame:
    """student_id (or variant), student_name, variant, score, max, one score per epoch, the four counts."""
    earned, verdict = marking.earned, marking.verdict
    epochs = batch.blanks["epoch"].to_numpy()
    columns: dict[str, object] = dict(identity(batch, marking.rows))
    columns["score"] = earned.sum(axis=1)
    columns["max"] = np.full(len(earned), marking.policy.marks.sum())
    for epoch in dict.fromkeys(epochs.tolist()):
        columns[f"epoch_{epoch}"] = earned[:, epochs == epoch].sum(axis=1)
    for name, code in COUNTS:
        columns[name] = (verdict == code).sum(axis=1)
    return pd.DataFrame(columns)


def detail(batch: Batch, marking: Marking) -> pd.DataFrame:
    """One row per student and blank: what they wrote, the key, the hand and carried values, the verdict."""
    students, blanks = marking.verdict.shape
    columns: dict[str, object] = {name: np.repeat(np.array(values, dtype=object), blanks)
                                  for name, values in identity(batch, marking.rows).items()}
    columns.update({
        "blank": np.tile(batch.blanks["blank"].to_numpy(), students),
        "epoch": np.tile(batch.blanks["epoch"].to_numpy(), students),
        "name": np.tile(batch.blanks["name"].to_numpy(), students),
        "answer": [text for row in marking.texts for text in row],
        "value": marking.answers.ravel(),
        "key": marking.key.ravel(),
        "hand": marking.hand.ravel(),
        "expected": marking.expected.ravel(),
        "verdict": np.array(VERDICTS, dtype=object)[marking.verdict.ravel()],
        "mistake": marking.mistake.ravel(),
        "note": marking.notes.ravel(),
        "marks": marking.earned.ravel(),
        "max_marks": np.tile(marking.policy.marks, students),
    })
    return pd.DataFrame(columns)
