"""Exports to learning platforms (`tracegen export`): a batch's variants as a Moodle or Canvas quiz.

- `moodle`: one Moodle XML file, a question category and one Embedded answers (cloze)
  question per variant, every blank a numeric field with the grading tolerance
  (`tracegen.lms.moodle`); a quiz draws a random question from the category per student.
  Moodle's quiz "Responses" report comes back to `tracegen grade` (`tracegen.grading.moodle_report`).
- `canvas`: a QTI 1.2 zip for Canvas classic quizzes, one quiz per variant
  (`tracegen.lms.canvas`).

The question text is each variant's worksheet (`tracegen.lms.html` writes the document model
as HTML); what each blank accepts comes from `tracegen.grading.accepted`, so a platform marks
by the rules `tracegen grade` uses. No student name is ever read or written: questions are
named by variant id.
"""

from __future__ import annotations

from pathlib import Path

from tracegen.errors import OptionError
from tracegen.files import write_atomic

FORMATS = ("moodle", "canvas")
DEFAULT_NAMES = {"moodle": "moodle.xml", "canvas": "canvas-qti.zip"}


def render(batch_dir: str | Path, to: str) -> bytes:
    """The export of the batch in `batch_dir` for platform `to` ("moodle" or "canvas"), as bytes."""
    _check(to)
    from tracegen.lms.quiz import load

    quiz = load(batch_dir)
    if to == "moodle":
        from tracegen.lms.moodle import xml

        return xml(quiz)
    from tracegen.lms.canvas import package

    return package(quiz)


def export(batch_dir: str | Path, to: str, out: str | Path | None = None) -> Path:
    """Write the export atomically to `out` (default: BATCH_DIR/moodle.xml or BATCH_DIR/canvas-qti.zip).

    Bad input (not a batch folder, an unknown platform, `out` a folder) raises InputError
    before anything is written.
    """
    _check(to)
    target = Path(out) if out is not None else Path(batch_dir) / DEFAULT_NAMES[to]
    if target.is_dir():
        raise OptionError(f"-o/--output: {target} is a folder; expected the name of the file to write")
    return write_atomic(target, render(batch_dir, to))


def _check(to: str) -> None:
    if to not in FORMATS:
        raise OptionError(f"--to: expected {' or '.join(FORMATS)}, got {to!r}")
