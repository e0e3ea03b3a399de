"""Students' responses: a CSV (or a DataFrame) of what each student wrote in each blank.

The file is read as a spreadsheet exports it (BOM, Windows line ends, `,` `;` or tab
separators, blank lines, Excel's empty columns after the last named one); its structure
must be right (an id column, known blank columns, one row per student, no quote left open),
because a wrong structure means the wrong file. Its cells, on the other hand, are taken as
people type numbers (`grading.typed`), and a cell that is not a number is simply a wrong
answer with the reason shown, never an error.

A decimal comma in a comma-separated file is read when the cell is quoted (`"0,881"`, as a
spreadsheet saves it). Unquoted, it splits the number into two cells and shifts the rest of
the row: such a row (more cells than the header names) cannot be read cell by cell, so each
of its cells is marked as not read, with the reason, and `tracegen grade` names the student.
"""

from __future__ import annotations

import difflib
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import NamedTuple

import numpy as np
import pandas as pd

from tracegen.batching.folder import Batch
from tracegen.batching.roster import clean
from tracegen.csvfiles import delimiter, numbered_rows, read_csv_text, unsafe
from tracegen.errors import InputError
from tracegen.grading.typed import Reader, read_number, unreadable
from tracegen.text import one_line, quote

ID_COLUMNS = ("student_id", "variant")
NAME_COLUMN = "student_name"  # written by --template for the grader's eyes; not read
SPLIT = ("{cells} cells for {columns} columns: a decimal comma in a comma-separated file splits a number "
         "in two, so no cell of this row can be read; write 0.5, quote the cell (\"0,5\") or save the file "
         "with ; between cells")


@dataclass(frozen=True, eq=False)
class Responses:
    """The rows of a responses file: who (`ids` in `id_column`), and their cells under `columns`.

    `variants` is each row's variant where the file says (a variant column beside
    `student_id`, or the variant a platform gave the student), checked against the batch;
    `lines` are the rows' line numbers for messages. `reader` reads every cell (`grading.typed`),
    `broken` the rows whose cells cannot be told apart, with why. A platform's report also
    names its students (`names`) and keeps its identity columns (`identity`, by header), and
    with `drawn` the platform drew each student's variant, so in a roster batch a student may
    have another student's variant.
    """

    name: str
    id_column: str
    ids: tuple[str, ...]
    variants: tuple[str, ...] | None
    lines: tuple[int, ...]
    columns: tuple[str, ...]
    cells: tuple[tuple[str, ...], ...]
    reader: Reader = read_number
    broken: dict[int, str] = field(default_factory=dict)
    names: tuple[str, ...] | None = None
    identity: dict[str, tuple[str, ...]] = field(default_factory=dict)
    drawn: bool = False


def from_frame(source: pd.DataFrame) -> Responses:
    """Responses from a DataFrame with a responses file's columns (from a notebook)."""
    if source.index.name in ID_COLUMNS:  # a table indexed by student_id or variant
        source = source.reset_index()
    header = [str(column) for column in source.columns]
    rows = [["" if value is None or (not isinstance(value, str) and pd.isna(value)) else str(value)
             for value in row] for row in source.itertuples(index=False, name=None)]
    return parse("responses", header, rows, list(range(2, len(rows) + 2)), separator="")


def csv_rows(source: str | Path) -> tuple[list[list[str]], list[int], str]:
    """The non-blank rows of a CSV file typed by people, their line numbers, and its delimiter."""
    text = read_csv_text(source, "responses", InputError)
    numbered = [(line, row) for line, row in numbered_rows(text, str(source), InputError)
                if any(cell.strip() for cell in row)]
    if not numbered:
        raise InputError(f"{source}: the responses file is empty (expected a header with student_id or variant)")
    return [row for _, row in numbered], [line for line, _ in numbered], delimiter(text)


def header_keys(name: str, header: Sequence[str]) -> list[str]:
    """The header's column names, cleaned, without the empty columns a spreadsheet leaves after the
    last named one; InputError for an empty name between named ones."""
    keys = [clean(cell) for cell in header]
    while keys and not keys[-1]:
        keys.pop()
    if "" in keys:
        raise InputError(f"{name}:1: column {keys.index('') + 1} of the header has no name")
    return keys


def parse(name: str, header: list[str], rows: list[list[str]], lines: list[int], separator: str) -> Responses:
    """The rows of a responses file under its header (`separator`: the file's delimiter)."""
    keys = header_keys(name, header)
    lowered = [k.lower() for k in keys]
    id_column = next((column for column in ID_COLUMNS if column in lowered), None)
    if id_column is None:
        raise InputError(f"{name}:1: no student_id or variant column, and not a learning platform's report "
                         f"(the header starts {', '.join(quote(k) for k in keys[:3])}); expected student_id or "
                         f"variant, Moodle's Responses report ('Response 1', or 'Antwort 1', 'Réponse 1', "
                         f"'Respuesta 1') or Canvas's Student Analysis ('name', 'id', …, '<id>: <question>')")
    where = {column: lowered.index(column) for column in (*ID_COLUMNS, NAME_COLUMN) if column in lowered}
    blank_at = [i for i, k in enumerate(lowered) if k not in (*ID_COLUMNS, NAME_COLUMN)]
    seen: dict[str, int] = {}
    for i, key in enumerate(keys):
        if key.lower() in seen:
            raise InputError(f"{name}:1: column {key!r} appears twice (columns {seen[key.lower()] + 1} and {i + 1})")
        seen[key.lower()] = i
    broken = {}
    for r, (row, line) in enumerate(zip(rows, lines, strict=True)):
        if any("\n" in cell or "\r" in cell for cell in row):  # no answer or id holds a line break
            raise InputError(f"{name}:{line}: a quoted cell runs over several lines (a quote \" that is not "
                             f"closed where it should be?); close it, or remove it")
        if len(row) > len(keys) and any(cell.strip() for cell in row[len(keys):]):
            if separator != ",":
                raise InputError(f"{name}:{line}: {len(row)} cells, but the header names {len(keys)} columns")
            broken[r] = SPLIT.format(cells=len(row), columns=len(keys))
    ids = tuple(unsafe(_cell(row, where[id_column])) for row in rows)  # as --template wrote them
    variants = (tuple(_cell(row, where["variant"]).upper() for row in rows)
                if id_column == "student_id" and "variant" in where else None)
    if id_column == "variant":
        ids = tuple(i.upper() for i in ids)
    return Responses(name, id_column, ids, variants, tuple(lines), tuple(keys[i] for i in blank_at),
                     tuple(tuple(answer(row, i) for i in blank_at) for row in rows), broken=broken)


def _cell(row: Sequence[str], index: int | None) -> str:
    return clean(row[index]) if index is not None and index < len(row) else ""


def answer(row: Sequence[str], index: int | None) -> str:
    """A cell as a student's answer: trimmed, on one line, without control characters or explicit
    bidi controls (`text.one_line`, as roster names), so nothing typed reaches a page raw."""
    return one_line(_cell(row, index))


class Matched(NamedTuple):
    """A responses file fitted to its batch, in gradebook order (roster order in a roster batch,
    else batch order): each row's variant (`rows`, as indices), its student in the roster
    (`students`; None in a numbered batch), where it is in the file (`order`), its cells under
    the batch's blanks and the reader of each row."""

    rows: np.ndarray
    students: np.ndarray | None
    order: np.ndarray
    cells: list[list[str]]
    readers: list[Reader]


def match(responses: Responses, batch: Batch) -> Matched:
    """The responses fitted to the batch (see `Matched`).

    InputError for a file that does not fit the batch: a column that is not a blank, a
    student or variant the batch does not have, a duplicate row, a variant that is not
    the student's, or no rows at all.
    """
    name = responses.name
    index = {blank: i for i, blank in enumerate(batch.blanks["blank"])}
    for column in responses.columns:
        if column not in index:
            close = difflib.get_close_matches(column, list(index), n=1) if len(column) <= 200 else []
            hint = (f"; did you mean {close[0]!r}?" if close
                    else " (blanks are named as in answers.csv, e.g. e1:z1:0:0:0)")
            raise InputError(f"{name}:1: column {quote(column)} is not a blank of {batch.folder}{hint}")
    if not responses.ids:
        raise InputError(f"{name}: no students (a header but no rows)")
    rows, students = _rows(responses, batch)
    order = np.argsort(rows if students is None else students, kind="stable")
    at = [index[column] for column in responses.columns]
    cells, readers = [], []
    for r in order:
        row = [""] * len(index)
        for i, text in zip(at, responses.cells[r], strict=True):
            row[i] = text
        cells.append(row)
        readers.append(unreadable(responses.broken[r]) if r in responses.broken else responses.reader)
    return Matched(rows[order], None if students is None else students[order], order, cells, readers)


def _rows(responses: Responses, batch: Batch) -> tuple[np.ndarray, np.ndarray | None]:
    """The batch row (variant index) of every responses row, and in a roster batch its student's."""
    name, what = responses.name, responses.id_column.replace("_", " ")
    if responses.id_column == "student_id" and batch.students is None:
        raise InputError(f"{name}:1: {batch.folder} has no roster, so rows are named by variant, not student_id")
    if responses.id_column == "student_id":
        known = {student.id: i for i, student in enumerate(batch.students or ())}
    else:
        known = {variant: i for i, variant in enumerate(batch.variants)}
    if not any(i in known for i in responses.ids):
        raise InputError(f"{name}: none of its {len(responses.ids)} {what}s is in {batch.folder}: "
                         f"the responses of another batch?")
    variant_row = {variant: i for i, variant in enumerate(batch.variants)}
    rows, students, first = [], [], dict[str, int]()
    for r, (given, line) in enumerate(zip(responses.ids, responses.lines, strict=True)):
        if not given:
            raise InputError(f"{name}:{line}: no {what}")
        if given in first:
            raise InputError(f"{name}:{line}: duplicate {what} {given!r} (first on line {first[given]})")
        if given not in known:
            raise InputError(f"{name}:{line}: {what} {quote(given)} is not in {batch.folder}")
        first[given] = line
        row = known[given]
        drawn = responses.variants[r] if responses.variants is not None else ""
        if responses.drawn and drawn in variant_row:  # the platform gave this student this variant
            students.append(row)
            rows.append(variant_row[drawn])
            continue
        if drawn not in ("", batch.variants[row]):
            raise InputError(f"{name}:{line}: student {given!r} has variant {batch.variants[row]} in {batch.folder}, "
                             f"not {drawn}: the responses of another batch?")
        students.append(row)
        rows.append(row)
    return np.array(rows, dtype=np.intp), (np.array(students, dtype=np.intp) if batch.students is not None else None)
