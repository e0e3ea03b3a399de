"""Where responses come from: a responses CSV, a DataFrame, or a learning platform's report."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import pandas as pd

from tracegen.batching.folder import Batch
from tracegen.errors import InputError
from tracegen.grading import filled, moodle
from tracegen.grading.moodle import Report
from tracegen.grading.responses import Responses, csv_rows, from_frame, parse


def read(source: str | Path | pd.DataFrame | Sequence[str | Path], batch: Batch) -> Responses | Report:
    """A responses CSV file, or a DataFrame with the same columns (from a notebook), or filled
    fillable worksheets (PDFs, folders of them: `filled`).

    Moodle's quiz Responses report is recognised by its header ("Response 1") and read as a
    `moodle.Report`, which becomes Responses once the batch is known (`Report.resolve`)."""
    if filled.wanted(source):
        return filled.read(source, batch)  # type: ignore[arg-type]
    if not isinstance(source, str | Path | pd.DataFrame):
        raise InputError("RESPONSES: several files are read only as filled worksheets (.pdf files or folders)")
    if isinstance(source, pd.DataFrame):
        return from_frame(source)
    rows, lines, separator = csv_rows(source)
    if moodle.is_report(rows[0]):
        return moodle.read(str(source), rows[0], rows[1:], lines[1:])
    return parse(str(source), rows[0], rows[1:], lines[1:], decimal_comma=separator != ",")
