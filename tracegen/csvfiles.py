"""CSV files in and out: spreadsheet exports read as people save them, cells written safe for spreadsheets."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Sequence
from pathlib import Path

from tracegen.errors import InputError
from tracegen.files import read_capped

DELIMITERS = (",", ";", "\t")
MAX_BYTES = 16 << 20  # 16 MiB: a roster of 100,000 students at 160 bytes a row, or a class's responses
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")  # a CSV cell starting so is a formula to a spreadsheet


def read_csv_text(path: str | Path, what: str, error: type[InputError]) -> str:
    """A spreadsheet's CSV export as text (UTF-8, BOM dropped); `error` naming the file (and line) if
    unreadable, or if larger than MAX_BYTES (read no further); a FIFO or device is refused unread
    (`files.read_capped`: opening a FIFO would wait for a writer)."""
    name = str(path)
    try:
        data = read_capped(path, MAX_BYTES + 1)
        if len(data) > MAX_BYTES:
            raise error(f"{name}: the {what} file is larger than {MAX_BYTES >> 20} MiB; is this the right file?")
        return data.decode("utf-8-sig")
    except FileNotFoundError:
        raise error(f"{name}: {what} file not found") from None
    except IsADirectoryError:
        raise error(f"{name}: expected a {what} CSV file, got a directory") from None
    except UnicodeDecodeError as err:
        line = text_line(err.object, err.start)
        raise error(f"{name}:{line}: not UTF-8 text (save the {what} as 'CSV UTF-8')") from None
    except OSError as err:
        raise error(f"{name}: cannot read {what}: {err.strerror}") from None


def text_line(data: bytes, offset: int) -> int:
    """1-based line number of a byte offset."""
    return data.count(b"\n", 0, offset) + 1


def delimiter(text: str) -> str:
    """The separator used most in the first non-blank line (the header); comma by default."""
    header = next((line for line in text.splitlines() if line.strip()), "")
    return max(DELIMITERS, key=lambda d: (header.count(d), d == ","))


def numbered_rows(text: str, name: str, error: type[InputError],
                  rows_in_cells: bool = True) -> list[tuple[int, list[str]]]:
    """Every row of CSV text (blank ones too) with the line it starts on, split at `delimiter(text)`.

    A quoted cell may hold a line break (a name typed with Alt+Enter, a platform's question
    text), but a quote that is never closed is an unbalanced quote that swallowed the rows
    after it (`s1,"Ada` then `s2,Bob`): `error`, naming the line the cell starts on, rather
    than a student silently lost. With `rows_in_cells` False (a roster: no cell of it holds a
    row), so is a quoted cell whose later lines hold the separator (`s1,"Ada`, `s2,Bob"`).
    """
    separator = delimiter(text)
    lines = io.StringIO(text, newline="").readlines()
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=separator)
    out: list[tuple[int, list[str]]] = []
    start = 1
    try:
        for row in reader:
            end = reader.line_num
            if end > start and _unbalanced(lines[start - 1:end], row, separator, rows_in_cells):
                raise error(f"{name}:{start}: a quoted cell runs on to line {end} (a quote \" that is never "
                            f"closed?); close it, or remove it")
            out.append((start, row))
            start = end + 1
    except csv.Error as err:  # a cell over csv's field size limit (128 KiB), say
        raise error(f"{name}:{reader.line_num}: not a readable CSV row ({err})") from None
    return out


def _unbalanced(lines: list[str], row: list[str], separator: str, rows_in_cells: bool) -> bool:
    """Whether a row read from several lines holds an unbalanced quote: an odd number of quotes
    (one left open at the end of the file), or (unless `rows_in_cells`) a cell with a separator
    after its first line break."""
    if sum(line.count('"') for line in lines) % 2:
        return True
    return not rows_in_cells and any(separator in "".join(re.split(r"[\r\n]", cell, maxsplit=1)[1:]) for cell in row)


def spreadsheet_safe(text: str) -> str:
    """Roster text as a CSV cell a spreadsheet shows as text, never runs as a formula.

    A cell starting with = + - @ (or a tab / carriage return) is a formula to Excel and
    LibreOffice; a leading apostrophe makes it plain text (the OWASP CSV-injection advice).
    """
    return "'" + text if text[:1] in FORMULA_START else text


def csv_bytes(header: Sequence[str], rows: Sequence[Sequence[object]]) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    return buffer.getvalue().encode("utf-8")


def unsafe(text: str) -> str:
    """Undo spreadsheet_safe: the text as the roster gave it."""
    return text[1:] if text[:1] == "'" and text[1:2] in FORMULA_START else text
