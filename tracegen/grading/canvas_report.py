"""Canvas's quiz "Student Analysis" report (its CSV download) as the responses of a batch.

For quizzes built from `tracegen export --to canvas`: one classic quiz per variant, so one
report per variant (grade them together: `tracegen grade BATCH a.csv b.csv …`). The report's
columns (canvas-lms, `Quizzes::QuizStatistics::StudentAnalysis#to_csv`): `name`, `id`,
`sis_id` (where the course has SIS ids), `root_account` (some sites), `section`,
`section_id`, `section_sis_id`, `submitted`, `attempt` (when all attempts are included),
then per question `<question id>: <question text, tags stripped>` and a column headed with
its points holding the points earned, then `n correct`, `n incorrect`, `score`. A numerical
question's cell is the answer as Canvas stored it; a text-only question's is empty.

The quiz's variant is the one its first text names ("Variant 1EK052", in the quiz title the
first text item repeats); box n ("Box n: …", each box a numerical question) is the
worksheet's n-th blank in reading order, as in Moodle's report (`document.blanks.order`). A
box asked in units of 10⁻ᵏ (a tolerance finer than Canvas's 4 decimals; the question says so)
is read back in units of 1.

Cells are graded as Canvas graded them (`typed.canvas_number`): a cell that is not a plain
decimal number is 0 to Canvas. Rows are matched to a roster as Moodle's are, by an identity
column (`sis_id`, `id`) whose values are the roster's student ids.
"""

from __future__ import annotations

import html
import re
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from tracegen.batching.folder import Batch
from tracegen.document import wording
from tracegen.document.blanks import order
from tracegen.errors import InputError
from tracegen.grading.moodle_report import MARKER, once, roster_column
from tracegen.grading.responses import Responses, answer, header_keys
from tracegen.grading.typed import PLAIN, canvas_number, platform

IDENTITY = ("name", "id", "sis_id")  # the report's columns for who a row is, kept in the gradebook
TAIL = ("n correct", "n incorrect", "score")
QUESTION = re.compile(r"([0-9]+):\s(.*)", re.DOTALL)
_BOX = wording.MESSAGES["lms_box"].partition("{n}")[0]  # "Box "
BOX = re.compile(re.escape(_BOX.strip()) + r"\s*([0-9]+)\s*:")
_UNITS = wording.MESSAGES["lms_scaled"].partition("{unit}")[0].strip()  # "Enter this value in units of"
UNITS = re.compile(re.escape(_UNITS) + r"\s*10\s*[-−]\s*([0-9]+)")


def is_report(header: Sequence[str]) -> bool:
    """Whether a CSV header is Canvas's Student Analysis report (English column names)."""
    keys = [key.strip().lower() for key in header]
    return all(column in keys for column in ("section", "submitted", *TAIL)) and any(
        QUESTION.fullmatch(key) for key in keys)


@dataclass(frozen=True, eq=False)
class Report:
    """One quiz's report: its variant, and per submission who and what they typed in each box
    (in units of 1), by box number."""

    name: str
    variant: str
    lines: tuple[int, ...]
    students: tuple[str, ...]
    identity: dict[str, tuple[str, ...]]
    boxes: tuple[int, ...]
    cells: tuple[tuple[str, ...], ...]


def read_report(name: str, header: Sequence[str], rows: Sequence[Sequence[str]], lines: Sequence[int]) -> Report:
    """The report of one exported quiz (InputError if it is not one)."""
    keys = header_keys(name, header)
    lowered = [key.lower() for key in keys]
    texts = {i: html.unescape(" ".join(found.group(2).split()))
             for i, key in enumerate(keys) if (found := QUESTION.fullmatch(key))}
    variants = {found.group(1).upper() for text in texts.values() if (found := MARKER.search(text))}
    if len(variants) != 1:
        raise InputError(f"{name}:1: Canvas's Student Analysis report, but not of one quiz exported by tracegen "
                         f"(its questions name {len(variants)} variants; expected one 'Variant …')")
    boxes, units = {}, {}
    for i, text in texts.items():
        found = BOX.match(text)
        if found:
            boxes[i] = int(found.group(1))
            scaled = UNITS.search(text)
            units[i] = int(scaled.group(1)) if scaled else 0
    if not boxes:
        raise InputError(f"{name}:1: Canvas's Student Analysis report without a box question ('Box 1: …')")
    identity_at = {keys[lowered.index(column)]: lowered.index(column) for column in IDENTITY if column in lowered}
    kept = [(line, answer(row, identity_at.get("name")), tuple(answer(row, i) for i in identity_at.values()),
             tuple(_units(answer(row, i), units[i]) for i in boxes))
            for row, line in zip(rows, lines, strict=True)]
    identity = {header: tuple(who[k] for _, _, who, _ in kept) for k, header in enumerate(identity_at)}
    return Report(name, variants.pop(), tuple(k[0] for k in kept), tuple(k[1] for k in kept), identity,
                  tuple(boxes.values()), tuple(k[3] for k in kept))


def _units(text: str, k: int) -> str:
    """A box's answer in units of 1, where the box asked for it in units of 10⁻ᵏ (a plain number only:
    anything else Canvas grades as 0, and it stays as typed)."""
    if not k or not PLAIN.fullmatch(text):
        return text
    try:
        return format(Decimal(text).scaleb(-k), "f")
    except InvalidOperation:  # an exponent beyond Decimal's range
        return text


def resolve(reports: Sequence[Report], batch: Batch, match_by: str | None = None) -> Responses:
    """The reports of one class (one per variant's quiz) as responses of `batch`."""
    blanks = order(batch.spec)
    name = reports[0].name if len(reports) == 1 else f"{reports[0].name} (and {len(reports) - 1} more)"
    lines, names, variants, cells = [], [], [], []
    identity: dict[str, list[str]] = {header: [] for header in IDENTITY if any(header in r.identity for r in reports)}
    for report in reports:
        for box in report.boxes:
            if not 1 <= box <= len(blanks):
                raise InputError(f"{report.name}:1: box {box} of variant {report.variant}, but the batch's worksheet "
                                 f"has {len(blanks)} blanks: was the quiz built from this batch's export?")
        for r, line in enumerate(report.lines):
            row = [""] * len(blanks)
            for box, text in zip(report.boxes, report.cells[r], strict=True):
                row[box - 1] = text
            lines.append(line)
            names.append(report.students[r])
            variants.append(report.variant)
            cells.append(tuple(row))
            for header, values in identity.items():
                values.append(report.identity.get(header, ("",) * len(report.lines))[r])
    if not lines:
        raise InputError(f"{name}: no submissions in the report{'s' if len(reports) > 1 else ''}")
    kept = {header: tuple(values) for header, values in identity.items()}
    reader = platform("Canvas", canvas_number)
    if batch.students is None:
        once(name, variants, lines)
        return Responses(name, "variant", tuple(variants), None, tuple(lines), blanks, tuple(cells), reader,
                         names=tuple(names), identity=kept)
    ids = kept[roster_column(name, {h: v for h, v in kept.items() if h != "name"}, batch, match_by)]
    return Responses(name, "student_id", ids, tuple(variants), tuple(lines), blanks, tuple(cells), reader,
                     names=tuple(names), identity=kept, drawn=True)
