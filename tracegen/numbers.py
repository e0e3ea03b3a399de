"""How a number is printed on documents: one rule shared by every format and by the grader notes.

- Givens (x, y, the first epoch's W and b, η) print as the spec writes them: `0.5`, `-2`.
- Computed values print with `display.decimals` places. A group printed together (the
  entries of one matrix) prints alike, so its decimal points align: bare integers only
  when every entry is a whole number (`[2, 0]`), else every entry with the places
  (`[1.000, 0.500]`).
- A nonzero value too small for the places prints as `0.000`; `-0.000` never appears.
"""

from __future__ import annotations

import math
from collections.abc import Iterable

MINUS = "\u2212"


def _whole(value: float) -> bool:
    return value == round(value) and abs(value) < 1e15


def format_number(value: float, decimals: int | None, minus: str = "-") -> str:
    """One number: exact integers bare (`2`, `-1`, as on the slides), others with `decimals` places.

    `decimals=None` prints a given exactly as written (shortest form, `0.1`, `0.25`).
    `minus` lets HTML use the typographic minus sign while Markdown/LaTeX keep `-`.
    """
    if not math.isfinite(value):
        return "nan" if math.isnan(value) else ("∞" if value > 0 else f"{minus}∞")
    if _whole(value):
        return _signed(str(int(round(value))), minus)
    return _signed(f"{value:.12g}" if decimals is None else f"{value:.{decimals}f}", minus)


def format_numbers(values: Iterable[float], decimals: int | None, minus: str = "-") -> list[str]:
    """A group of numbers printed alike (the entries of one matrix), so their points align."""
    values = [float(v) for v in values]
    if decimals is None or all(_whole(v) for v in values):
        return [format_number(v, decimals, minus) for v in values]
    return [_signed(f"{v:.{decimals}f}", minus) if math.isfinite(v) else format_number(v, decimals, minus)
            for v in values]


def _signed(text: str, minus: str) -> str:
    """`text` with `minus` for its sign; a negative that prints as zero loses its sign."""
    if not text.startswith("-"):
        return text
    digits = text[1:]
    return digits if set(digits) <= {"0", "."} else minus + digits
