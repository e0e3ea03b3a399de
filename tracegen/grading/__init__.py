"""Grading: mark students' answers against a batch, blank by blank, with error carried forward.

`grade(batch_dir, responses)` reads a batch folder (`tracegen batch`) and a responses CSV
(or DataFrame) and returns the gradebook and the per-blank detail as DataFrames; with
`out` it also writes them, a feedback page per student and the class summary. Nothing
is written unless the whole input is good.
"""

from __future__ import annotations

from pathlib import Path
from typing import NamedTuple

import pandas as pd

from tracegen.grading import batchdir, responses
from tracegen.grading.marking import mark
from tracegen.grading.tables import detail, gradebook


class Grades(NamedTuple):
    """What `grade` returns: one row per student, and one row per student and blank."""

    gradebook: pd.DataFrame
    detail: pd.DataFrame


def grade(batch_dir: str | Path, answers: str | Path | pd.DataFrame, out: str | Path | None = None) -> Grades:
    """Mark the responses in `answers` (a CSV file or a DataFrame) against the batch in `batch_dir`.

    With `out`, also write gradebook.csv, details.csv, feedback/<variant>.html and .md,
    and summary.html there. InputError (nothing written) if the responses do not fit the batch.
    """
    batch = batchdir.read(batch_dir)
    given = responses.read(answers)
    rows, texts = responses.match(given, batch)
    kinds, values, reasons = responses.numbers(texts, given.decimal_comma)
    marking = mark(batch, rows, kinds, values)
    return Grades(gradebook(batch, marking), detail(batch, marking, texts, reasons))
