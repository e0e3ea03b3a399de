"""A reviewer's corrections merged into responses: the CSV that `tracegen scan`'s review page saves
(`student_id` or `variant`, `blank`, `value`: one row per cell typed), each value replacing the cell
the scan left (a later row for the same cell wins)."""

from __future__ import annotations

import dataclasses
from pathlib import Path

from tracegen.csvfiles import unsafe
from tracegen.errors import InputError
from tracegen.grading.responses import Responses, csv_rows
from tracegen.text import quote


def apply(responses: Responses, path: str | Path) -> Responses:
    """`responses` with the cells of corrections file `path` put in (InputError naming the line for
    a header, student or blank that does not fit)."""
    rows, lines, _ = csv_rows(path)
    expected = [responses.id_column, "blank", "value"]
    if [cell.strip().lower() for cell in rows[0]][:3] != expected:
        raise InputError(f"{path}:1: the header is {','.join(rows[0][:3])}; expected {','.join(expected)} "
                         f"(the corrections that the review page of tracegen scan saves)")
    cells = [list(row) for row in responses.cells]
    columns = {column: i for i, column in enumerate(responses.columns)}
    ids = {who: i for i, who in enumerate(responses.ids)}
    for row, line in zip(rows[1:], lines[1:], strict=True):
        who, blank, value = ([unsafe(cell.strip()) for cell in row] + ["", "", ""])[:3]
        if who not in ids:
            raise InputError(f"{path}:{line}: {responses.id_column} {quote(who)} has no row in {responses.name}")
        if blank not in columns:
            raise InputError(f"{path}:{line}: {quote(blank)} is not a column of {responses.name}")
        cells[ids[who]][columns[blank]] = value
    return dataclasses.replace(responses, cells=tuple(tuple(row) for row in cells))
