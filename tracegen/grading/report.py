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

from tracegen.assets import templates_dir
from tracegen.batching.folder import Batch
from tracegen.csvfiles import csv_bytes, spreadsheet_safe
from tracegen.files import write_atomic
from tracegen.grading.marking import Marking
from tracegen.grading.pages import feedback, summary
from tracegen.grading.tables import COUNTS, Who
from tracegen.grading.typed import PLAIN
from tracegen.numbers import format_number
from tracegen.render.environment import jinja_environment

GRADEBOOK, DETAILS, SUMMARY, FEEDBACK = "gradebook.csv", "details.csv", "summary.html", "feedback"
MARK_COLUMNS = ("score", "max", "marks", "max_marks", *(name for name, _ in COUNTS))


def render(batch: Batch, marking: Marking, people: Who, gradebook: pd.DataFrame,
           detail: pd.DataFrame) -> dict[str, bytes]:
    """Every report file by its path under the output folder."""
    html, md = jinja_environment("html"), jinja_environment("md")
    page_html, page_md = html.get_template("grade/feedback.html.j2"), md.get_template("grade/feedback.md.j2")
    css = stylesheet()
    out = {GRADEBOOK: table_csv(gradebook), DETAILS: table_csv(detail)}
    for page in feedback(batch, marking, people):
        out[f"{FEEDBACK}/{page.stem}.html"] = page_html.render(page=page, css=css).encode("utf-8")
        out[f"{FEEDBACK}/{page.stem}.md"] = page_md.render(page=page).encode("utf-8")
    out[SUMMARY] = html.get_template("grade/summary.html.j2").render(
        summary=summary(batch, marking, people), css=css, feedback=FEEDBACK).encode("utf-8")
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
    number stays a number), marks and counts with whole numbers bare, values at full precision,
    nothing for no value (an absent student's score), and never a negative zero."""
    columns = []
    for column in frame.columns:  # as lists: per-cell work on pandas' arrow-backed columns is 10x slower
        values = frame[column].tolist()
        numeric = frame[column].dtype.kind in "fiu"
        if numeric and (column in MARK_COLUMNS or str(column).startswith("epoch_")):
            shown = {v: "" if pd.isna(v) else format_number(float(v), None) for v in set(values)}
            values = [shown[v] for v in values]
        elif frame[column].dtype.kind == "f":
            values = ["" if math.isnan(v) else repr(v + 0.0) for v in values]
        elif numeric:
            values = [str(v) for v in values]
        else:  # text: names, ids, answers, notes
            values = ["" if not isinstance(text, str) else text if column == "answer" and PLAIN.fullmatch(text)
                      else spreadsheet_safe(text) for text in values]
        columns.append(values)
    return csv_bytes(list(frame.columns), list(zip(*columns, strict=True)))
