"""How a number is printed on documents: one rule shared by every format and by the grader notes."""

from __future__ import annotations

import math

MINUS = "\u2212"


def format_number(value: float, decimals: int | None, minus: str = "-") -> str:
    """Exact integers print bare (`2`, `-1`, as on the slides), others with `decimals` places.

    `decimals=None` prints a given exactly as written (shortest form, `0.1`, `0.25`).
    Never `-0.000`: a value that rounds to zero prints without a sign. `minus` lets HTML use
    the typographic minus sign while Markdown/LaTeX keep `-`.
    """
    if not math.isfinite(value):
        return "nan" if math.isnan(value) else ("∞" if value > 0 else f"{minus}∞")
    if value == round(value) and abs(value) < 1e15:
        text = str(int(round(value)))
    elif decimals is None:
        text = f"{value:.12g}"
    else:
        text = f"{value:.{decimals}f}"
    if text.startswith("-"):
        digits = text[1:]
        if set(digits) <= {"0", "."}:
            return digits
        return minus + digits
    return text
