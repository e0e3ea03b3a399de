"""Numbers as people type them, and as each learning platform reads them.

tracegen reads what a person means: a number as a spreadsheet or a keyboard gives it, with
a decimal comma (`0,881`), a minus sign or dash (U+2212 `−`, `–`), spaces (around it, or
between groups of digits), a leading `+`, Excel's text apostrophe (`'0.731`, which
tracegen's own CSVs write before a `-`), fullwidth digits (`０．５`) or Arabic-Indic digits
(`٠٫٥`), thousands separators (`1,234.5`, `1.234,5`, `1 234,5`) and an exponent (`1e-3`,
`1.2×10^-3`). Whatever is not a plain number is read with a note that says how, so the
student sees it on their feedback: one comma is a decimal comma (in a backprop exercise
`1,234` means 1.234 far more often than 1234), several commas or a comma before a point
separate thousands.

A platform's own report is read as the platform read it when it marked the answer, so a mark
here and on the platform agree (`moodle_number`, `canvas_number`); where tracegen would read
the cell otherwise, `Reading.own` says both, and the note too.
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections.abc import Callable, Sequence
from typing import NamedTuple

import numpy as np

EMPTY, NUMBER_CELL, GARBAGE = 0, 1, 2
PLAIN = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?")
MINUSES = "\u2212\u2013\u2012\u2010\ufe63\uff0d"  # minus sign, en dash, figure dash, hyphen, small and fullwidth
# Arabic-Indic and Extended Arabic-Indic digits, the Arabic decimal and thousands separators
_ARABIC = {**{0x0660 + d: str(d) for d in range(10)}, **{0x06F0 + d: str(d) for d in range(10)},
           0x066B: ".", 0x066C: ","}
_TIMES_TEN = re.compile(r"(?:x|\*|×)10(?:\^|\*\*)([+-]?[0-9]+)$")  # 1.2×10^-3, as Moodle also reads it


class Reading(NamedTuple):
    """One cell read: its kind (EMPTY, NUMBER_CELL or GARBAGE), the value graded (nan where none),
    a note for the student ("" for a plain number) and, where a platform reads the cell otherwise
    than tracegen would, both readings (`'0,881': Moodle 881, tracegen 0.881`; else "")."""

    kind: int
    value: float
    note: str = ""
    own: str = ""


Reader = Callable[[str], Reading]
NOTHING = Reading(EMPTY, math.nan)


def read_number(text: str) -> Reading:
    """What a person means by `text` (see the module docstring)."""
    if PLAIN.fullmatch(text):  # most cells: a plain number
        return _finite(text, float(text), "")
    if not text:
        return NOTHING
    compact = "".join(unicodedata.normalize("NFKC", text).translate(_ARABIC).split())
    if not compact:
        return NOTHING
    compact = compact.removeprefix("'")  # Excel's mark for text, which tracegen's CSVs also write
    for minus in MINUSES:
        compact = compact.replace(minus, "-")
    times = _TIMES_TEN.search(compact)
    if times:
        compact = compact[:times.start()] + "e" + times.group(1)
    mantissa, e, exponent = compact.partition("e") if "e" in compact else compact.partition("E")
    sign = mantissa[:1] if mantissa[:1] in "+-" else ""
    digits, why = _separators(mantissa[len(sign):])
    if digits is None or not PLAIN.fullmatch(number := sign + digits + e + exponent):
        return Reading(GARBAGE, math.nan, f"not a number: {text!r}")
    value = float(number)
    if PLAIN.fullmatch(text.strip().removeprefix("'")):  # spaces around it, or Excel's apostrophe: nothing to say
        return _finite(text, value, "")
    return _finite(text, value, f"read as {number.lstrip('+')}" + (f" ({why})" if why else ""))


def _separators(digits: str) -> tuple[str | None, str]:
    """`digits` (no sign, no exponent) with its decimal separator a point and no thousands
    separators, and what was assumed; None if the separators make no sense."""
    commas, points = digits.count(","), digits.count(".")
    if not commas and points <= 1:
        return digits, ""
    if commas and points:  # the later one is the decimal separator, the other groups thousands
        decimal, group = (".", ",") if digits.rfind(".") > digits.rfind(",") else (",", ".")
        whole, _, fraction = digits.rpartition(decimal)
        if digits.count(decimal) == 1 and _grouped(whole, group):
            return whole.replace(group, "") + "." + fraction, f"{group!r} separates thousands"
        return None, ""
    separator = "," if commas else "."
    if commas == 1:
        return digits.replace(",", "."), "a decimal comma"
    if _grouped(digits, separator):
        return digits.replace(separator, ""), f"{separator!r} separates thousands"
    return None, ""


def _grouped(whole: str, separator: str) -> bool:
    """Whether `whole` is digits in groups of three after the first, split by `separator`."""
    return re.fullmatch(rf"[0-9]{{1,3}}(?:{re.escape(separator)}[0-9]{{3}})+", whole) is not None


def _finite(text: str, value: float, note: str) -> Reading:
    if not math.isfinite(value):
        return Reading(GARBAGE, math.nan, f"too large to be an answer: {text!r}")
    return Reading(NUMBER_CELL, value + 0.0, note)


def moodle_number(text: str, point: str, separator: str) -> float | None:
    """The value Moodle grades for `text` typed in a site whose language has the decimal
    `point` and thousands `separator` (langconfig's decsep and thousandssep), or None where it
    reads no number: `qtype_numerical_answer_processor::apply_units` (question/type/numerical/
    questiontype.php), without units. Text after the number (Moodle's "unit") is ignored, as a
    cloze field grades it. In an English site `0,881` is 881 and `-0,5` is -5: without a point, a
    comma there is the thousands separator."""
    text = text.replace(" ", "")
    text = re.sub(r"(?:e|E|(?:x|\*|×)10(?:\^|\*\*))([+-]?[0-9]+)", r"e\1", text)
    if "." in text or text.count(",") > 1:
        text = text.replace(",", "")
    else:
        for old, new in ((separator, ""), (point, "."), (",", ".")):
            text = text.replace(old, new)
    found = re.match(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:e[-+]?[0-9]+)?", text)
    return float(found.group()) if found else None


def canvas_number(text: str) -> float:
    """The value Canvas grades for a classic quiz's numerical answer: the text as a decimal
    number, and 0 where it is not one (`Quizzes::QuizQuestion::NumericalQuestion#
    correct_answer_parts` rescues BigDecimal's ArgumentError with 0.0)."""
    stripped = text.strip()
    return float(stripped) if PLAIN.fullmatch(stripped) else 0.0


def platform(name: str, grades: Callable[[str], float | None]) -> Reader:
    """A reader that grades each cell as the platform `name` does, noting where tracegen reads it otherwise."""
    def reading(text: str) -> Reading:
        mine = read_number(text)
        if mine.kind == EMPTY:
            return mine
        theirs = grades(text)
        if theirs is not None and mine.kind == NUMBER_CELL and theirs == mine.value:
            return mine
        ours = f"tracegen {mine.value:.15g}" if mine.kind == NUMBER_CELL else "tracegen: not a number"
        if theirs is None or not math.isfinite(theirs):
            return Reading(GARBAGE, math.nan, f"{name} reads no number in {text!r} ({ours})",
                           f"{text!r}: {name}: not a number, {ours}")
        return Reading(NUMBER_CELL, theirs + 0.0, f"{name} reads {text!r} as {theirs:.15g} ({ours})",
                       f"{text!r}: {name} {theirs:.15g}, {ours}")
    return reading


def numbers(cells: Sequence[Sequence[str]], readers: Sequence[Reader]) -> tuple[np.ndarray, np.ndarray, dict]:
    """Every cell read by its row's reader: (kinds (rows, columns), values with nan where none,
    {(row, column): note})."""
    count = len(cells[0]) if cells else 0
    kinds = np.zeros((len(cells), count), dtype=np.int8)
    values = np.full((len(cells), count), math.nan)
    notes: dict[tuple[int, int], str] = {}
    for r, (row, reader) in enumerate(zip(cells, readers, strict=True)):
        for c, text in enumerate(row):
            reading = reader(text)
            if reading.kind == EMPTY:
                continue
            kinds[r, c], values[r, c] = reading.kind, reading.value
            if reading.note:
                notes[(r, c)] = reading.note
    return kinds, values, notes


def unreadable(note: str) -> Reader:
    """A reader for a row whose cells cannot be told apart: every cell, empty or not, is not read."""
    return lambda text: Reading(GARBAGE, math.nan, note)
