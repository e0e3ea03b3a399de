"""The grading reports, rendered in memory and then written atomically.

`gradebook.csv` and `details.csv` (the two DataFrames), `feedback/<variant>.html` and
`.md` (one page per student) and `summary.html` (the class). Templates live in
`templates/grade/` and use the documents' Jinja environments (autoescaped HTML, Markdown
escaped by its `text_md` filter); CSV text cells are made spreadsheet-safe; file names
only ever use variant ids. The pages inline a small stylesheet of their own but not the
documents' fonts, so a class of 500 gets 500 small pages.
"""

from __future__ import annotations

import math
from functools import cache
from pathlib import Path

import pandas as pd
from markupsafe import Markup

from tracegen.batching.folder import Batch
from tracegen.csvfiles import csv_bytes, spreadsheet_safe
from tracegen.files import write_atomic
from tracegen.grading.marking import Marking
from tracegen.grading.pages import feedback, summary
from tracegen.grading.responses import NUMBER
from tracegen.numbers import format_number
from tracegen.render.assets import templates_dir
from tracegen.render.environment import jinja_environment

GRADEBOOK, DETAILS, SUMMARY, FEEDBACK = "gradebook.csv", "details.csv", "summary.html", "feedback"
TEXT_COLUMNS = ("student_id", "student_name", "answer")
MARK_COLUMNS = ("score", "max", "marks", "max_marks")


def render(batch: Batch, marking: Marking, gradebook: pd.DataFrame, detail: pd.DataFrame) -> dict[str, bytes]:
    """Every report file by its path under the output folder."""
    html, md = jinja_environment("html"), jinja_environment("md")
    page_html, page_md = html.get_template("grade/feedback.html.j2"), md.get_template("grade/feedback.md.j2")
    css = stylesheet()
    out = {GRADEBOOK: table_csv(gradebook), DETAILS: table_csv(detail)}
    for page in feedback(batch, marking):
        out[f"{FEEDBACK}/{page.variant}.html"] = page_html.render(page=page, css=css).encode("utf-8")
        out[f"{FEEDBACK}/{page.variant}.md"] = page_md.render(page=page).encode("utf-8")
    out[SUMMARY] = html.get_template("grade/summary.html.j2").render(
        summary=summary(batch, marking), css=css, feedback=FEEDBACK).encode("utf-8")
    return out


def write(out: str | Path, reports: dict[str, bytes]) -> list[Path]:
    """Write every report atomically under `out`."""
    return [write_atomic(Path(out) / name, data) for name, data in reports.items()]


@cache
def stylesheet() -> Markup:
    """templates/grade/grade.css (a trusted file), inlined into every page."""
    return Markup((templates_dir() / "grade" / "grade.css").read_text("utf-8"))


def table_csv(frame: pd.DataFrame) -> bytes:
    """A results table as CSV: text cells a spreadsheet shows as text (an answer that is a plain
    number stays a number), marks with whole numbers bare, values at full precision."""
    columns = []
    for column in frame.columns:  # as lists: per-cell work on pandas' arrow-backed columns is 10x slower
        values = frame[column].tolist()
        if column in TEXT_COLUMNS:
            values = [text if column == "answer" and NUMBER.fullmatch(text) else spreadsheet_safe(text)
                      for text in values]
        elif column in MARK_COLUMNS or str(column).startswith("epoch_"):
            shown = {v: format_number(float(v), None) for v in set(values)}
            values = [shown[v] for v in values]
        elif frame[column].dtype.kind == "f":
            values = ["" if math.isnan(v) else repr(v) for v in values]
        columns.append(values)
    return csv_bytes(list(frame.columns), list(zip(*columns, strict=True)))
