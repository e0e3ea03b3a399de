"""Moodle's quiz "Responses" report (its CSV download) as the responses of a batch.

For a quiz built from `tracegen export --to moodle` (one random cloze question from the
batch's category). The report's columns (Moodle's mod/quiz/report/responses, strings in
English): "Last name", "First name", the identity fields, "State", "Started on",
"Completed", "Time taken", "Grade/…", then per question slot "Question N" (the question's
text as plain text, when "Question text" is ticked), "Response N" (ticked by default) and
"Right answer N" ("Right answer"). A cloze response reads `part 1: 0.881; part 2: ; part 3:
-0.119` (`qtype_multianswer_question::summarise_response`, with the language string
`subqresponse`, 'part {$a->i}: {$a->response}'); a missing attempt or response is "-".

Each row's variant is the one its question text names first ("Variant 1EK052", the first
line of every exported question); cloze part k is the k-th field of the question, which is
the worksheet's k-th blank in reading order (`tracegen.document.blanks.order`). With "Right
answer" ticked, each part's right answer is checked against the batch's key, so a quiz
built from another export is refused rather than graded wrong. Cells are read as Moodle
reads a number, a decimal comma included (`0,5`).

Decisions: a Moodle quiz draws a random variant per student, so the rows are variants and
are graded against a numbered batch (`tracegen batch --variants N` with at least as many
variants as students); a roster batch is refused, as its students would be the wrong
people. Two attempts at one variant (more students than variants, or a second attempt)
are refused with that hint. The students' names from the report go into the gradebook's
`student_name`.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass

from tracegen.batching.folder import Batch
from tracegen.batching.roster import clean
from tracegen.document import wording
from tracegen.document.blanks import order
from tracegen.errors import InputError
from tracegen.grading.responses import NUMBER_CELL, Responses, number

SLOT = re.compile(r"^(Question|Response|Right answer) ([0-9]+)$", re.IGNORECASE)
MISSING = ("", "-")  # what the report shows for no attempt or no response
_BEFORE, _, _AFTER = wording.MESSAGES["lms_variant"].partition("{variant}")
MARKER = re.compile(re.escape(_BEFORE) + r"([0-9A-Z]+)\b" + re.escape(_AFTER), re.IGNORECASE)
KEY_ROOM = 1e-9  # relative: Moodle keeps a value to 14 significant digits


def is_report(header: Sequence[str]) -> bool:
    """Whether a CSV header is Moodle's Responses report (it has a "Response N" column)."""
    return any((match := SLOT.match(clean(cell))) and match.group(1).lower() == "response" for cell in header)


@dataclass(frozen=True, eq=False)
class Report:
    """The rows of the report that have an attempt at an exported question: who, which variant,
    the response and (if downloaded) the right answer, each a cloze summary still to be split."""

    name: str
    slot: int
    lines: tuple[int, ...]
    students: tuple[str, ...]
    variants: tuple[str, ...]
    responses: tuple[str, ...]
    rights: tuple[str, ...] | None

    def resolve(self, batch: Batch) -> Responses:
        """The rows as responses of `batch`: one column per blank, named as in answers.csv."""
        if batch.students is not None:
            raise InputError(f"{self.name}: {batch.folder} is a roster batch, but a Moodle quiz draws a random "
                             f"variant per student: grade the quiz against a numbered batch (tracegen batch "
                             f"--variants N), the one it was exported from")
        blanks = order(batch.spec)
        cells = tuple(tuple(self._parts(text, line, "Response", len(blanks)))
                      for text, line in zip(self.responses, self.lines, strict=True))
        if self.rights is not None:
            self._check(batch, blanks)
        return Responses(self.name, "variant", self.variants, None, self.lines, blanks, cells, decimal_comma=True,
                         names=self.students)

    def _parts(self, text: str, line: int, column: str, count: int) -> list[str]:
        if text in MISSING:
            return [""] * count
        parts = split(text, count)
        if parts is None:
            raise InputError(f"{self.name}:{line}: '{column} {self.slot}' is not the {count} parts of this batch's "
                             f"question ('part 1: …; part {count}: …'): was the quiz built from its export?")
        return parts

    def _check(self, batch: Batch, blanks: tuple[str, ...]) -> None:
        """Each part's right answer must be the key of its blank in the row's variant."""
        column = {blank: i for i, blank in enumerate(batch.blanks["blank"])}
        row_of = {variant: i for i, variant in enumerate(batch.variants)}
        for variant, text, line in zip(self.variants, self.rights or (), self.lines, strict=True):
            if variant not in row_of or text in MISSING:
                continue  # an unknown variant is reported by responses.match
            for k, (blank, part) in enumerate(zip(blanks, self._parts(text, line, "Right answer", len(blanks)),
                                                  strict=True), start=1):
                kind, value, _ = number(part, decimal_comma=True)
                key = batch.key[row_of[variant], column[blank]]
                if kind != NUMBER_CELL or not math.isclose(value, key, rel_tol=KEY_ROOM, abs_tol=KEY_ROOM):
                    raise InputError(f"{self.name}:{line}: the right answer of part {k} ({part!r}) is not the key "
                                     f"of {blank} in variant {variant} ({key:.14g}): was the quiz built from "
                                     f"this batch's export?")


def split(text: str, count: int) -> list[str] | None:
    """The answers of a cloze response summary `part 1: a; part 2: b; …` with `count` parts, or None.

    The label ("part ", or the language's) is read from part 1. Parts are cut from the last
    one back, each at the last `; part k:` before the next part's: an answer typed as
    "x; part 3: 0.5" into field 3 is read as 0.5 there and spoils part 2 (which then holds
    the fake), so a student gains nothing they could not have typed, and no other part moves.
    """
    first = re.match(r"([^0-9;:]*)1\s*:", text)
    if first is None:
        return None
    label = first.group(1)
    parts, end = [], len(text)
    for k in range(count, 1, -1):
        marks = list(re.finditer(re.escape("; " + label) + str(k) + r"\s*:", text[:end]))
        if not marks:
            return None
        parts.append(text[marks[-1].end():end].strip())
        end = marks[-1].start()
    parts.append(text[first.end():end].strip())
    return parts[::-1]


def read(name: str, header: Sequence[str], rows: Sequence[Sequence[str]], lines: Sequence[int]) -> Report:
    """The report's rows with an attempt at an exported question (InputError if it has none)."""
    keys = [clean(cell).lower() for cell in header]
    first, last = (keys.index(column) if column in keys else None for column in ("first name", "last name"))
    slots, slot = _slot(name, header, rows)
    kept: list[tuple[int, str, str, str, str]] = []
    seen: dict[str, int] = {}
    for row, line in zip(rows, lines, strict=True):
        question, response = _cell(row, slots[("question", slot)]), _cell(row, slots[("response", slot)])
        found = MARKER.search(question)
        if found is None:
            if question in MISSING and response in MISSING:
                continue  # a student without an attempt
            raise InputError(f"{name}:{line}: 'Question {slot}' does not name a variant (expected "
                             f"{wording.text('lms_variant', variant='…')!r} in it)")
        variant = found.group(1).upper()
        if variant in seen:
            raise InputError(f"{name}:{line}: a second attempt at variant {variant} (first on line {seen[variant]}): "
                             f"export at least as many variants as students, allow one attempt, or download "
                             f"only each student's graded attempt")
        seen[variant] = line
        student = " ".join(filter(None, (_cell(row, first), _cell(row, last))))
        kept.append((line, student, variant, response, _cell(row, slots.get(("right answer", slot)))))
    if not kept:
        raise InputError(f"{name}: no attempts in the report")
    lines_, students, variants, responses, rights = (tuple(column) for column in zip(*kept, strict=True))
    return Report(name, slot, lines_, students, variants, responses,
                  rights if ("right answer", slot) in slots else None)


def _slot(name: str, header: Sequence[str], rows: Sequence[Sequence[str]]) -> tuple[dict[tuple[str, int], int], int]:
    """The report's question-slot columns by (kind, slot), and the one slot that holds exported questions."""
    slots: dict[tuple[str, int], int] = {}
    for i, cell in enumerate(header):
        match = SLOT.match(clean(cell))
        if match:
            slots[(match.group(1).lower(), int(match.group(2)))] = i
    ours = sorted({n for kind, n in slots if kind == "question"
                   and any(MARKER.search(_cell(row, slots[("question", n)])) for row in rows)})
    if not ours:
        raise InputError(f"{name}:1: Moodle's Responses report, but no 'Question N' column holds a question "
                         f"exported by tracegen (tick 'Question text' in the report's options)")
    if len(ours) > 1:
        raise InputError(f"{name}:1: Moodle's Responses report with exported questions in several slots "
                         f"({', '.join(f'Question {n}' for n in ours)}); expected one")
    if ("response", ours[0]) not in slots:
        raise InputError(f"{name}:1: Moodle's Responses report without 'Response {ours[0]}' (tick 'Response')")
    return slots, ours[0]


def _cell(row: Sequence[str], index: int | None) -> str:
    return clean(row[index]) if index is not None and index < len(row) else ""
