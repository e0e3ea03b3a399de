"""Grading: mark students' answers against a batch, blank by blank, with error carried forward.

`grade(batch_dir, responses)` reads a batch folder (`tracegen batch`) and a responses CSV
(or DataFrame, or Moodle's quiz Responses report for a quiz exported by `tracegen export`:
`grading.moodle`) and returns the gradebook and the per-blank detail as DataFrames; with
`out` it also writes them, a feedback page per student and the class summary, after
everything has been computed (bad input raises InputError and writes nothing).
`template(batch_dir)` is the empty responses CSV of a batch; `accepted(batch_dir)` the
values and tolerances each blank accepts, for exports to learning platforms.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import NamedTuple

import pandas as pd

from tracegen.batching import folder as batchdir
from tracegen.csvfiles import spreadsheet_safe
from tracegen.errors import OptionError
from tracegen.grading import report
from tracegen.grading.carry import hand
from tracegen.grading.marking import mark
from tracegen.grading.moodle import Report
from tracegen.grading.policy import Policy
from tracegen.grading.responses import match
from tracegen.grading.sources import read
from tracegen.grading.tables import detail, gradebook, identity

__all__ = ["Grades", "accepted", "grade", "template"]


class Grades(NamedTuple):
    """What `grade` returns: one row per student, and one row per student and blank."""

    gradebook: pd.DataFrame
    detail: pd.DataFrame


def grade(batch_dir: str | Path, responses: str | Path | pd.DataFrame | Sequence[str | Path],
          out: str | Path | None = None) -> Grades:
    """Mark `responses` (a CSV file or a DataFrame; or filled `--fillable` worksheets: PDFs or
    folders of them, a list for several) against the batch in `batch_dir`.

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
    batch = batchdir.read(batch_dir)
    given = read(responses, batch)
    if isinstance(given, Report):  # Moodle's quiz report: its parts become blanks once the batch is known
        given = given.resolve(batch)
    rows, texts = match(given, batch)
    marking = mark(batch, rows, texts, given.decimal_comma)
    grades = Grades(gradebook(batch, marking), detail(batch, marking))
    if given.names is not None:  # the students the file names, by their (unique) variant
        who = dict(zip(given.ids, given.names, strict=True))
        for table in grades:
            table["student_name"] = table["variant"].map(who)
    if out is not None:
        report.write(out, report.render(batch, marking, *grades))
    return grades


def template(batch_dir: str | Path) -> bytes:
    """The empty responses CSV of a batch: one row per student (or variant), one column per blank.

    A roster batch's rows carry the student's name, for whoever types the answers in, and
    the variant, so the file cannot be graded against another batch by mistake (a numbered
    batch's rows are named by their variant).
    """
    batch = batchdir.read(batch_dir)
    who = identity(batch, range(len(batch.variants)))
    if batch.students is None:
        del who["student_name"]
    frame = pd.DataFrame({column: [spreadsheet_safe(text) for text in values] for column, values in who.items()})
    blanks = pd.DataFrame("", index=frame.index, columns=list(batch.blanks["blank"]))
    return pd.concat([frame, blanks], axis=1).to_csv(index=False, lineterminator="\n").encode("utf-8")


def accepted(batch_dir: str | Path | batchdir.Batch) -> pd.DataFrame:
    """Per variant and blank: the key and its tolerance, the value carrying the printed rounded
    values gives and its tolerance (both half-widths, as in Moodle's `=value:tolerance`), and the marks.

    `batch_dir` may also be a batch already read (`batchdir.read`), as the exports have it."""
    batch = batch_dir if isinstance(batch_dir, batchdir.Batch) else batchdir.read(batch_dir)
    policy = Policy.of(batch.spec, list(batch.blanks["name"]))
    rounded = hand(batch)
    count = len(batch.blanks)
    return pd.DataFrame({
        "variant": [v for v in batch.variants for _ in range(count)],
        "blank": list(batch.blanks["blank"]) * len(batch.variants),
        "key": batch.key.ravel(),
        "tolerance": policy.halfwidths(batch.key).ravel(),
        "hand": rounded.ravel(),
        "hand_tolerance": policy.halfwidths(rounded).ravel(),
        "marks": list(policy.marks) * len(batch.variants),
    })
