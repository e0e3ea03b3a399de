"""Where responses come from: a responses CSV, a DataFrame, or a learning platform's report
(Moodle's Responses report; Canvas's Student Analysis reports, one per variant's quiz)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TypeAlias

import pandas as pd

from tracegen.batching.folder import Batch
from tracegen.errors import InputError
from tracegen.grading import canvas_report, filled, moodle_report
from tracegen.grading.responses import Responses, csv_rows, from_frame, parse

Source: TypeAlias = str | Path | pd.DataFrame


def read_responses(sources: Source | Sequence[str | Path], batch: Batch, match_by: str | None = None) -> Responses:
    """The responses of a class, fitted to `batch` where a platform's report needs it (its
    questions' parts become blanks, its rows the roster's students; `match_by` names the
    report's column that holds the roster's ids). Several files are the Canvas reports of one
    class, one per variant's quiz."""
    if filled.wanted(sources):  # filled --fillable worksheets, matched to their variants by their code
        return filled.read(sources, batch)
    many = not isinstance(sources, str | Path | pd.DataFrame)
    given = [_one(source) for source in (sources if many else [sources])]  # type: ignore[union-attr]
    if not given:
        raise InputError("RESPONSES: no file given")
    if len(given) > 1 and not all(isinstance(one, canvas_report.Report) for one in given):
        raise InputError(f"{given[0].name}: several responses files are read only as Canvas's Student Analysis "
                         f"reports of one class (one per variant's quiz); give one responses file or Moodle report")
    first = given[0]
    if isinstance(first, canvas_report.Report):
        return canvas_report.resolve(given, batch, match_by)  # type: ignore[arg-type]
    if match_by is not None and not isinstance(first, moodle_report.Report):
        raise InputError(f"{first.name}: --match-by is for a platform's report; a responses file names its "
                         f"students by student_id")
    return first.resolve(batch, match_by) if isinstance(first, moodle_report.Report) else first


def _one(source: Source) -> Responses | moodle_report.Report | canvas_report.Report:
    if isinstance(source, pd.DataFrame):
        return from_frame(source)
    rows, lines, separator = csv_rows(source)
    if moodle_report.is_report(rows[0]):
        return moodle_report.read_report(str(source), rows[0], rows[1:], lines[1:])
    if canvas_report.is_report(rows[0]):
        return canvas_report.read_report(str(source), rows[0], rows[1:], lines[1:])
    return parse(str(source), rows[0], rows[1:], lines[1:], separator)
