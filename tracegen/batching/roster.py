"""Class rosters: a CSV with a student id column and an optional name column.

Tolerates what spreadsheet exports produce (a UTF-8 BOM, Windows line ends, blank lines,
extra columns, `;` or tab separators) and refuses what would silently hand two students
the same exercise or none: a missing id or a duplicate, or an unbalanced quote that swallows
the rows after it, named by file and line.

An id seeds the student's variant and is written into the variant's spec.yaml and the
manifest, so it must be plain: ASCII letters, digits and `. _ - @ +`, at most MAX_ID
characters (student numbers, user names, e-mail addresses); anything else is refused with
its line. A name is only printed: control characters are removed and explicit
right-to-left controls dropped (tracegen.text), so the id always prints as written.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from tracegen.csvfiles import numbered_rows, read_csv_text
from tracegen.errors import RosterError
from tracegen.text import label, one_line, quote

ID_COLUMNS = ("student_id", "id", "student")
NAME_COLUMNS = ("name", "student_name", "full_name")
MAX_ID = 64
SAFE_ID = re.compile(rf"[A-Za-z0-9._@+-]{{1,{MAX_ID}}}")
MAX_STUDENTS = 100_000


@dataclass(frozen=True)
class Student:
    """One roster row: the id seeds the variant; the name is only printed on documents."""

    id: str
    name: str | None
    line: int
    transliteration: str | None = None  # printed instead of a name the fonts cannot print whole, if asked for

    @property
    def label(self) -> str:
        """What documents print: the name with the id, so every page names the student
        readably and unambiguously (two students may share a name; a name in a script the
        PDF fonts lack still leaves the id). A long name is shortened, never the id."""
        return label(self.name, self.id)


def read_roster(path: str | Path, transliteration: str | None = None) -> list[Student]:
    """Students in file order; RosterError (exit 2) naming the file and line on any problem.

    `transliteration` names a column whose cell is printed instead of a student's name when
    the fonts cannot print the name whole (`tracegen batch --transliteration`).
    """
    return parse_roster(read_csv_text(path, "roster", RosterError), str(path), transliteration)


def parse_roster(text: str, name: str = "roster", transliteration: str | None = None) -> list[Student]:
    """Parse roster text (see `read_roster`)."""
    students = _students(iter(numbered_rows(text, name, RosterError, rows_in_cells=False)), name, transliteration)
    if not students:
        raise RosterError(f"{name}: no students (the roster has a header but no rows)")
    return students


def _students(numbered: Iterator[tuple[int, list[str]]], name: str, transliteration: str | None) -> list[Student]:
    header, id_col, name_col = _header(numbered, name)
    other_col = _column(header, transliteration, name) if transliteration is not None else None
    students: list[Student] = []
    first_line: dict[str, int] = {}
    for line, row in numbered:
        if not any(cell.strip() for cell in row):
            continue
        student_id = clean(row[id_col]) if id_col < len(row) else ""
        if not student_id:
            raise RosterError(f"{name}:{line}: missing student id (column {quote(header[id_col])})")
        if not SAFE_ID.fullmatch(student_id):
            raise RosterError(f"{name}:{line}: student id {quote(student_id)} may use only ASCII letters, digits "
                              f"and . _ - @ + (at most {MAX_ID} characters)")
        if student_id in first_line:
            first = first_line[student_id]
            raise RosterError(f"{name}:{line}: duplicate student id {student_id!r} (first on line {first})")
        if len(students) == MAX_STUDENTS:
            raise RosterError(f"{name}:{line}: more than {MAX_STUDENTS:,} students; split the class into batches")
        first_line[student_id] = line
        full_name, other = (one_line(clean(row[col])) if col is not None and col < len(row) else ""
                            for col in (name_col, other_col))
        students.append(Student(student_id, full_name or None, line, other or None))
    return students


def _column(header: list[str], wanted: str, name: str) -> int:
    """The position of the column `wanted` (compared as header keys are: case, spaces and dashes aside)."""
    keys = [_key(cell) for cell in header]
    if _key(wanted) not in keys:
        raise RosterError(f"{name}: no column {quote(wanted)} for --transliteration (the header has "
                          f"{', '.join(quote(cell) for cell in header[:10])})")
    return keys.index(_key(wanted))


def _key(cell: str) -> str:
    return clean(cell).lower().replace(" ", "_").replace("-", "_")


def clean(cell: str) -> str:
    """Trimmed, NFC-normalised text, so the same id typed on two systems seeds the same variant."""
    return unicodedata.normalize("NFC", cell.strip())


def _header(rows: Iterator[tuple[int, list[str]]], name: str) -> tuple[list[str], int, int | None]:
    """The header row and the positions of the id and (optional) name columns."""
    for line, row in rows:
        if any(cell.strip() for cell in row):
            keys = [_key(cell) for cell in row]
            id_col = next((keys.index(k) for k in ID_COLUMNS if k in keys), None)
            if id_col is None:
                found = ", ".join(quote(cell) for cell in row[:10]) + (", …" if len(row) > 10 else "")
                raise RosterError(f"{name}:{line}: no student id column; expected a header with one of "
                                  f"{', '.join(ID_COLUMNS)} (found {found})")
            name_col = next((keys.index(k) for k in NAME_COLUMNS if k in keys), None)
            return row, id_col, name_col
    raise RosterError(f"{name}: the roster is empty (expected a header with a student_id column)")
