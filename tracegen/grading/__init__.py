"""Grading: mark students' answers against a batch, blank by blank, with error carried forward.

`grade(batch_dir, responses)` reads a batch folder (`tracegen batch`) and a responses CSV
(or DataFrame, or a platform's report of a quiz exported by `tracegen export`: Moodle's quiz
Responses report, `grading.moodle_report`, or Canvas's Student Analysis reports, `grading.canvas_report`)
and returns the gradebook and the per-blank detail as DataFrames; with
`out` it also writes them, a feedback page per student and the class summary, after
everything has been computed (bad input raises InputError and writes nothing).
`template(batch_dir)` is the empty responses CSV of a batch; `accepted(batch_dir)` the
values and tolerances each blank accepts, for exports to learning platforms.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from pathlib import Path
from typing import NamedTuple

import pandas as pd

from tracegen.batching import folder as batchdir
from tracegen.csvfiles import spreadsheet_safe
from tracegen.engine import exact, hand
from tracegen.errors import OptionError
from tracegen.grading import report
from tracegen.grading.carry import centres, span
from tracegen.grading.corrections import apply as corrected
from tracegen.grading.marking import mark
from tracegen.grading.policy import Policy
from tracegen.grading.responses import match
from tracegen.grading.sources import Source, read_responses
from tracegen.grading.tables import detail, gradebook, identity, unread, who

__all__ = ["Grades", "accepted", "grade", "template", "unread"]


class Grades(NamedTuple):
    """What `grade` returns: one row per student, and one row per student and blank."""

    gradebook: pd.DataFrame
    detail: pd.DataFrame


def grade(batch_dir: str | Path, responses: Source | Sequence[str | Path], out: str | Path | None = None,
          match_by: str | None = None, corrections: str | Path | None = None) -> Grades:
    """Mark `responses` (a CSV file or a DataFrame, or a platform's report; several files: the
    Canvas reports of one class; or filled `--fillable` worksheets: PDFs or folders of them)
    against the batch in `batch_dir`. `match_by` names the report's column that holds a roster
    batch's student ids (default: the one that does). `corrections` is a reviewer's corrections
    CSV (the review page of `tracegen scan` saves it), put into the responses before marking.

    With `out`, also write gradebook.csv, details.csv, feedback/<variant>.html and .md, and
    summary.html there (each file atomically).

    >>> import tempfile
    >>> import pandas as pd
    >>> with tempfile.TemporaryDirectory() as out:
    ...     _ = tracegen.batch(tracegen.load_example(), out, variants=2, seed=2026, to="md", kind="key", jobs=1)
    ...     answers = pd.read_csv(f"{out}/answers.csv", dtype={"variant": str})
    ...     answers.loc[0, "e1:z2:0:0:0"] += 1  # one slip, then every value to 3 decimals
    ...     book, detail = tracegen.grade(out, answers.round(3))
    >>> book[["score", "max", "correct", "wrong", "blank"]].to_numpy().tolist()
    [[95.0, 96.0, 95.0, 1.0, 0.0], [96.0, 96.0, 96.0, 0.0, 0.0]]
    >>> detail.loc[detail["blank"] == "e1:z2:0:0:0", "verdict"].tolist()
    ['wrong', 'correct']
    """
    if out is not None and Path(out).exists() and not Path(out).is_dir():
        raise OptionError(f"-o/--output: {out} is a file; expected a folder")
    batch = batchdir.read_batch(batch_dir)
    given = read_responses(responses, batch, match_by)
    if corrections is not None:
        given = corrected(given, corrections)
    matched = match(given, batch)
    marking = mark(batch, matched.rows, matched.cells, matched.readers)
    people = who(batch, given, matched, list(batch.blanks["blank"]))
    grades = Grades(gradebook(batch, marking, people), detail(batch, marking, people))
    if out is not None:
        report.write(out, report.render(batch, marking, people, *grades))
    return grades


def template(batch_dir: str | Path) -> bytes:
    """The empty responses CSV of a batch: one row per student (or variant), one column per blank.

    A roster batch's rows carry the student's name, for whoever types the answers in, and
    the variant, so the file cannot be graded against another batch by mistake (a numbered
    batch's rows are named by their variant).
    """
    batch = batchdir.read_batch(batch_dir)
    who = identity(batch, range(len(batch.variants)))
    if batch.students is None:
        del who["student_name"]
    frame = pd.DataFrame({column: [spreadsheet_safe(text) for text in values] for column, values in who.items()})
    blanks = pd.DataFrame("", index=frame.index, columns=list(batch.blanks["blank"]))
    return pd.concat([frame, blanks], axis=1).to_csv(index=False, lineterminator="\n").encode("utf-8")


def accepted(batch_dir: str | Path | batchdir.Batch) -> pd.DataFrame:
    """Per variant and blank, each interval an answer is accepted in when nothing before it was wrong:
    every value a careful student writes from the givens (the key and its grader notes) ± the blank's
    tolerance, overlapping intervals merged; one row per interval (variant, blank, key, tolerance: the
    key's half-width, low, high, marks).

    The same judgement as `grade` short of error carried forward, which needs a student's other
    answers. `batch_dir` may also be a batch already read (`batchdir.read`), as the exports have it."""
    batch = batch_dir if isinstance(batch_dir, batchdir.Batch) else batchdir.read_batch(batch_dir)
    policy = Policy.of(batch.spec, list(batch.blanks["name"]))
    rows: list[tuple[str, str, float, float, float, float, float]] = []
    blanks = list(batch.blanks["blank"])
    tolerance = policy.halfwidths(batch.key)
    with exact.precise():
        spans = [span(table, table, policy) for table in centres(batch, hand.paths(batch.spec, batch.givens))]
        for v, variant in enumerate(batch.variants):
            for b, blank in enumerate(blanks):
                for low, high in merged(sorted((lo[v, b], hi[v, b]) for lo, hi in spans)):
                    rows.append((variant, blank, float(batch.key[v, b]), float(tolerance[v, b]), float(low),
                                 float(high), float(policy.marks[b])))
    return pd.DataFrame(rows, columns=["variant", "blank", "key", "tolerance", "low", "high", "marks"])


def merged(spans: list[tuple[Decimal, Decimal]]) -> list[tuple[Decimal, Decimal]]:
    """Sorted intervals with the overlapping ones joined."""
    out: list[tuple[Decimal, Decimal]] = []
    for low, high in spans:
        if out and low <= out[-1][1]:
            out[-1] = (out[-1][0], max(out[-1][1], high))
        else:
            out.append((low, high))
    return out
