"""Students' responses: a CSV (or a DataFrame) of what each student wrote in each blank.

The file is read as a spreadsheet exports it (BOM, Windows line ends, `,` `;` or tab
separators, blank lines); its structure must be right (an id column, known blank columns,
one row per student), because a wrong structure means the wrong file. Its cells, on the
other hand, are taken as people type numbers, and a cell that is not a number is simply a
wrong answer with the reason shown, never an error.
"""

from __future__ import annotations

import csv
import difflib
import io
import math
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from tracegen.batching.folder import Batch
from tracegen.batching.roster import clean
from tracegen.csvfiles import delimiter, read_csv_text, unsafe
from tracegen.errors import InputError

ID_COLUMNS = ("student_id", "variant")
NAME_COLUMN = "student_name"  # written by --template for the grader's eyes; not read
MINUSES = "\u2212\u2013"  # the minus sign and the en dash that word processors put for "-"
NUMBER = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?")
EMPTY, NUMBER_CELL, GARBAGE = 0, 1, 2


@dataclass(frozen=True, eq=False)
class Responses:
    """The rows of a responses file: who (`ids` in `id_column`), and their cells under `columns`.

    `variants` is the file's variant column beside `student_id` (None without one), checked
    against the batch; `lines` are the rows' line numbers for messages.
    """

    name: str
    id_column: str
    ids: tuple[str, ...]
    variants: tuple[str, ...] | None
    lines: tuple[int, ...]
    columns: tuple[str, ...]
    cells: tuple[tuple[str, ...], ...]
    decimal_comma: bool
    names: tuple[str, ...] | None = None  # each row's student, where the file names them (Moodle's report)


def from_frame(source: pd.DataFrame) -> Responses:
    """Responses from a DataFrame with a responses file's columns (from a notebook)."""
    if source.index.name in ID_COLUMNS:  # a table indexed by student_id or variant
        source = source.reset_index()
    header = [str(column) for column in source.columns]
    rows = [["" if value is None or (not isinstance(value, str) and pd.isna(value)) else str(value)
             for value in row] for row in source.itertuples(index=False, name=None)]
    return parse("responses", header, rows, list(range(2, len(rows) + 2)), decimal_comma=False)


def csv_rows(source: str | Path) -> tuple[list[list[str]], list[int], str]:
    """The non-blank rows of a CSV file typed by people, their line numbers, and its delimiter."""
    text = read_csv_text(source, "responses", InputError)
    separator = delimiter(text)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=separator)
    rows, lines = [], []
    try:
        for row in reader:
            if any(cell.strip() for cell in row):
                rows.append(row)
                lines.append(reader.line_num)
    except csv.Error as err:
        raise InputError(f"{source}:{reader.line_num}: not a readable CSV row: {err}") from None
    if not rows:
        raise InputError(f"{source}: the responses file is empty (expected a header with student_id or variant)")
    return rows, lines, separator


def parse(name: str, header: list[str], rows: list[list[str]], lines: list[int], decimal_comma: bool) -> Responses:
    keys = [clean(cell) for cell in header]
    lowered = [k.lower() for k in keys]
    id_column = next((column for column in ID_COLUMNS if column in lowered), None)
    if id_column is None:
        raise InputError(f"{name}:1: no student_id or variant column (the header starts {', '.join(keys[:3])})")
    where = {column: lowered.index(column) for column in (*ID_COLUMNS, NAME_COLUMN) if column in lowered}
    blank_at = [i for i, k in enumerate(lowered) if k not in (*ID_COLUMNS, NAME_COLUMN)]
    seen: dict[str, int] = {}
    for i, key in enumerate(keys):
        if key.lower() in seen:
            raise InputError(f"{name}:1: column {key!r} appears twice (columns {seen[key.lower()] + 1} and {i + 1})")
        seen[key.lower()] = i
    for row, line in zip(rows, lines, strict=True):
        if len(row) > len(header) and any(cell.strip() for cell in row[len(header):]):
            raise InputError(f"{name}:{line}: {len(row)} cells, but the header names {len(header)} columns")
    ids = tuple(unsafe(_cell(row, where[id_column])) for row in rows)  # as --template wrote them
    variants = (tuple(_cell(row, where["variant"]).upper() for row in rows)
                if id_column == "student_id" and "variant" in where else None)
    if id_column == "variant":
        ids = tuple(i.upper() for i in ids)
    return Responses(name, id_column, ids, variants, tuple(lines), tuple(keys[i] for i in blank_at),
                     tuple(tuple(_cell(row, i) for i in blank_at) for row in rows), decimal_comma)


def _cell(row: Sequence[str], index: int) -> str:
    return clean(row[index]) if index < len(row) else ""


def number(text: str, decimal_comma: bool) -> tuple[int, float, str]:
    """(EMPTY, NUMBER_CELL or GARBAGE, the value or nan, why it is not a number).

    Accepts surrounding and inner spaces, a leading +, the minus sign (U+2212), `.5`,
    `5.`, `-0`, `1e-3`, and a decimal comma when the file's separator is not a comma.
    """
    if NUMBER.fullmatch(text):  # most cells: a plain number
        value = float(text)
        if math.isfinite(value):
            return NUMBER_CELL, value + 0.0, ""
    compact = "".join(text.split())
    if not compact:
        return EMPTY, math.nan, ""
    for minus in MINUSES:
        compact = compact.replace(minus, "-")
    if "," in compact:
        if not decimal_comma:
            return GARBAGE, math.nan, "a comma in a comma-separated file: write the decimal point as ."
        if "." in compact:
            return GARBAGE, math.nan, f"not a number: {text!r} (both a decimal comma and a point)"
        compact = compact.replace(",", ".")
    if not NUMBER.fullmatch(compact):
        return GARBAGE, math.nan, f"not a number: {text!r}"
    value = float(compact)
    if not math.isfinite(value):
        return GARBAGE, math.nan, f"too large to be an answer: {text!r}"
    return NUMBER_CELL, value + 0.0, ""


def numbers(cells: Sequence[Sequence[str]], decimal_comma: bool) -> tuple[np.ndarray, np.ndarray, dict]:
    """Every cell parsed: (kinds (rows, columns), values with nan where none, {(row, column): reason})."""
    count = len(cells[0]) if cells else 0
    kinds = np.zeros((len(cells), count), dtype=np.int8)
    values = np.full((len(cells), count), math.nan)
    reasons: dict[tuple[int, int], str] = {}
    for r, row in enumerate(cells):
        for c, text in enumerate(row):
            if not text:
                continue
            kind, value, reason = number(text, decimal_comma)
            kinds[r, c], values[r, c] = kind, value
            if reason:
                reasons[(r, c)] = reason
    return kinds, values, reasons


def match(responses: Responses, batch: Batch) -> tuple[np.ndarray, list[list[str]]]:
    """(each row's variant index in the batch, its cells under the batch's blanks), rows in batch order.

    InputError for a file that does not fit the batch: a column that is not a blank, a
    student or variant the batch does not have, a duplicate row, a variant that is not
    the student's, or no rows at all.
    """
    name = responses.name
    index = {blank: i for i, blank in enumerate(batch.blanks["blank"])}
    for column in responses.columns:
        if column not in index:
            close = difflib.get_close_matches(column, list(index), n=1)
            hint = (f"; did you mean {close[0]!r}?" if close
                    else " (blanks are named as in answers.csv, e.g. e1:z1:0:0:0)")
            raise InputError(f"{name}:1: column {column!r} is not a blank of {batch.folder}{hint}")
    if not responses.ids:
        raise InputError(f"{name}: no students (a header but no rows)")
    rows = _rows(responses, batch)
    order = np.argsort(rows, kind="stable")
    at = [index[column] for column in responses.columns]
    cells = []
    for r in order:
        row = [""] * len(index)
        for i, text in zip(at, responses.cells[r], strict=True):
            row[i] = text
        cells.append(row)
    return rows[order], cells


def _rows(responses: Responses, batch: Batch) -> np.ndarray:
    """The batch row (variant index) of every responses row."""
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
    rows, first = [], {}
    for r, (given, line) in enumerate(zip(responses.ids, responses.lines, strict=True)):
        if not given:
            raise InputError(f"{name}:{line}: no {what}")
        if given in first:
            raise InputError(f"{name}:{line}: duplicate {what} {given!r} (first on line {first[given]})")
        if given not in known:
            raise InputError(f"{name}:{line}: {what} {given!r} is not in {batch.folder}")
        first[given] = line
        row = known[given]
        if responses.variants is not None and responses.variants[r] not in ("", batch.variants[row]):
            raise InputError(f"{name}:{line}: student {given!r} has variant {batch.variants[row]} in {batch.folder}, "
                             f"not {responses.variants[r]}: the responses of another batch?")
        rows.append(row)
    return np.array(rows, dtype=np.intp)
