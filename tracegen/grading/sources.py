"""Where responses come from: a responses CSV, a DataFrame, or a learning platform's report."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from tracegen.grading import moodle
from tracegen.grading.moodle import Report
from tracegen.grading.responses import Responses, csv_rows, from_frame, parse


def read(source: str | Path | pd.DataFrame) -> Responses | Report:
    """A responses CSV file, or a DataFrame with the same columns (from a notebook).

    Moodle's quiz Responses report is recognised by its header ("Response 1") and read as a
    `moodle.Report`, which becomes Responses once the batch is known (`Report.resolve`)."""
    if isinstance(source, pd.DataFrame):
        return from_frame(source)
    rows, lines, separator = csv_rows(source)
    if moodle.is_report(rows[0]):
        return moodle.read(str(source), rows[0], rows[1:], lines[1:])
    return parse(str(source), rows[0], rows[1:], lines[1:], decimal_comma=separator != ",")
