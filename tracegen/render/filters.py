"""Every Jinja filter, in one registry (`FILTERS`), registered once per cached environment.

Numbers, matrices, blanks and symbols become text here, never in templates. The Markdown
filters write LaTeX (`$…$`, `\\begin{bmatrix}`); the HTML filters write HTML + CSS math.
Filters that print numbers read `doc.decimals` from the template context.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from jinja2 import pass_context
from jinja2.runtime import Context
from markupsafe import Markup

from tracegen.docmodel import Mat, Piece
from tracegen.numbers import MINUS, format_number
from tracegen.render.mathhtml import latex_html

MD_SPECIAL = re.compile(r"([\\`*_{}\[\]#|$~^!])")
LATEX_SPECIAL = {"\\": r"\backslash ", "{": r"\{", "}": r"\}", "$": r"\$", "&": r"\&", "%": r"\%", "#": r"\#",
                 "_": r"\_", "^": r"\hat{}", "~": r"\sim "}
WIDE = 7  # columns from which a matrix is set smaller


def _decimals(ctx: Context) -> int:
    return int(ctx["doc"].decimals)


@pass_context
def num(ctx: Context, value: float | None, exact: bool = False) -> str:
    """A number with `display.decimals` (exact integers bare, never -0.000), ASCII minus; `exact` for givens."""
    return "" if value is None else format_number(float(value), None if exact else _decimals(ctx))


@pass_context
def num_html(ctx: Context, value: float | None, exact: bool = False) -> str:
    """As `num`, with the typographic minus sign."""
    return "" if value is None else format_number(float(value), None if exact else _decimals(ctx), MINUS)


def text_md(value: Any) -> str:
    """Plain text made inert in Markdown (and in the HTML that Markdown renderers allow)."""
    text = re.sub(r"\s+", " ", str(value))
    text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return MD_SPECIAL.sub(r"\\\1", text)


def latex_text(value: Any) -> str:
    """Plain text made inert inside LaTeX math (`\\text{…}`)."""
    return "".join(LATEX_SPECIAL.get(ch, ch) for ch in " ".join(str(value).split()))


def _blank_latex(decimals: int) -> str:
    return r"\boxed{\qquad}" if decimals > 1 else r"\boxed{\quad}"


def _cell_latex(value: float | None, answer: bool, decimals: int | None) -> str:
    if value is None:
        return _blank_latex(decimals or 0)
    text = format_number(value, decimals)
    return rf"{{\color{{teal}}{text}}}" if answer else text


def _negative(piece: Piece) -> bool:
    return isinstance(piece, Mat) and piece.scalar and (piece.rows[0][0] or 0) < 0


def negative_scalar_after_matrix(pieces: Iterable[Piece]) -> Iterator[tuple[Piece, bool]]:
    """Each piece, and whether it needs parentheses: a negative scalar multiplying a matrix before it."""
    previous = None
    for piece in pieces:
        yield piece, _negative(piece) and isinstance(previous, Mat)
        previous = piece


def _equation(pieces: Iterable[Piece], matrix: Callable[[Mat], str], text: Callable[[str], str]) -> list[str]:
    """Each piece in one format's markup."""
    out = []
    for piece, wrap in negative_scalar_after_matrix(pieces):
        markup = matrix(piece) if isinstance(piece, Mat) else text(piece)
        out.append(f"({markup})" if wrap else markup)
    return out


def mat_latex(value: Mat, decimals: int) -> str:
    """A Mat as LaTeX: a bare scalar or a `bmatrix`; blanks as empty boxes; givens print exactly."""
    places = None if value.exact else decimals
    cells = [[_cell_latex(v, value.answer, places) for v in row] for row in value.rows]
    if value.scalar:
        return cells[0][0]
    body = r" \\ ".join(" & ".join(row) for row in cells)
    return rf"\begin{{bmatrix}} {body} \end{{bmatrix}}"


@pass_context
def latex(ctx: Context, pieces: Iterable[Piece]) -> str:
    """An equation (pieces) as one LaTeX string."""
    decimals = _decimals(ctx)
    return " ".join(_equation(pieces, lambda m: mat_latex(m, decimals), str))


# Advance widths (em) in TG Serif regular of what numbers are made of, and of the spaces that pad
# them (checked against the font by tests/test_render.py). Digits are tabular; "−" = figure + punctuation space.
SPACES = (("\u2007", 0.5), ("\u2008", 0.278), ("\u2009", 0.2), ("\u2006", 0.167), ("\u200a", 0.028))
WIDTHS = {".": 0.278, MINUS: 0.778, **{d: 0.5 for d in "0123456789"}}
COLUMN_GAP = "\u2003"
# Brackets and blanks are text too: each row line starts and ends with a bracket piece that the
# shipped regular face draws to fill exactly a line of MATRIX_LINE_HEIGHT (`.mat` in screen.css), so
# the pieces of consecutive rows join; a one-row matrix takes plain [ ]. A blank to fill in is the
# ballot box ☐, drawn there as a 3.4 em wide rounded box (scripts/subset_fonts.py).
MATRIX_LINE_HEIGHT = 1.3
BRACKETS = {"top": ("\u23a1", "\u23a4"), "middle": ("\u23a2", "\u23a5"), "bottom": ("\u23a3", "\u23a6")}
BLANK = "\u2610"


def _width(text: str) -> float:
    return sum(WIDTHS.get(ch, 0.5) for ch in text)


def _pad(width: float) -> str:
    """Spaces adding up to `width` em (to within a hair), widest first."""
    out = []
    for space, size in SPACES:
        count = int((width + 1e-6) // size)
        out.append(space * count)
        width -= count * size
    return "".join(out)


def _column(texts: list[str]) -> list[str]:
    """Right-align a column of numbers with width-exact spaces (no box per cell)."""
    widest = max(_width(t) for t in texts)
    return [_pad(widest - _width(t)) + t for t in texts]


def _bracket(rows: list[str]) -> str:
    """Rows joined into lines, each between its bracket pieces."""
    if len(rows) == 1:
        return f"[{rows[0]}]"
    pieces = [BRACKETS["top"], *[BRACKETS["middle"]] * (len(rows) - 2), BRACKETS["bottom"]]
    return "<br>".join(f"{left}{row}{right}" for (left, right), row in zip(pieces, rows, strict=True))


def mat_html(value: Mat, decimals: int) -> str:
    """A Mat as one inline-block: a line of text per row, columns aligned by spaces, brackets as glyphs.

    One text line per row (not a box per cell) and brackets as text (not borders) keep WeasyPrint
    fast; blanks are box glyphs. Answers (key) highlight the whole matrix.
    """
    places = None if value.exact else decimals
    ans = " ans" if value.answer else ""
    if value.rows[0][0] is None:
        rows = [COLUMN_GAP.join(BLANK for _ in row) for row in value.rows]
        return rows[0] if value.scalar else f'<span class="mat">{_bracket(rows)}</span>'
    columns = [_column([format_number(row[j], places, MINUS) for row in value.rows]) for j in range(value.ncols)]
    rows = [COLUMN_GAP.join(col[i] for col in columns) for i in range(value.nrows)]
    if value.scalar:
        return f'<span class="ans">{rows[0]}</span>' if ans else rows[0]
    size = " wide" if value.ncols >= WIDE else ""
    return f'<span class="mat{size}{ans}">{_bracket(rows)}</span>'


@pass_context
def math_html(ctx: Context, pieces: Iterable[Piece]) -> Markup:
    """An equation (pieces) as HTML; pieces are separate boxes so long equations wrap between them."""
    decimals = _decimals(ctx)
    return Markup("\u200b".join(_equation(pieces, lambda m: mat_html(m, decimals), lambda t: str(latex_html(t)))))


@dataclass(frozen=True)
class Equations:
    """Consecutive display equations of a PDF as one typeset block: its placeholder, then the last one's notes."""

    placeholder: Markup
    notes: tuple[Any, ...]
    kind: str = "equations"


@pass_context
def pdf_items(ctx: Context, items: Iterable[Any]) -> list[Any]:
    """A section's items for the PDF: each run of display equations typeset (mathbox) as one block.

    WeasyPrint gets one empty placeholder per block and the PDF finisher draws the block there
    (pdfmath; docs/BENCHMARKS.md says why); the blocks are collected in `page.blocks`, in
    document order. A run ends at grader notes (they follow their equation) and before it
    would grow taller than STACK_LIMIT em, so it still fits a page.
    """
    from tracegen.render.mathbox import STACK_LIMIT, equation, padded, stacked

    page, decimals = ctx["page"], _decimals(ctx)
    out: list[Any] = []
    run: list[Any] = []

    def close(notes: tuple[Any, ...] = ()) -> None:
        if run:
            out.append(Equations(_reserve(page, padded(stacked(run))), notes))
            run.clear()

    for item in items:
        if item.kind != "eq":
            close()
            out.append(item)
            continue
        box = equation(item.pieces, decimals, page["measure"])
        if run and stacked([*run, box]).depth > STACK_LIMIT:
            close()
        run.append(box)
        if item.notes:
            close(item.notes)
    close()
    return out


@pass_context
def pdf_labels(ctx: Context, picture: Any) -> Markup:
    """A picture's labels for the PDF: drawn as text over the SVG shapes by the finisher (pdfmath).

    WeasyPrint lays out and draws SVG text letter by letter, which cost about a tenth of a
    document; the placeholder overlaps the picture exactly (print.css aligns both at the top).
    """
    from tracegen.render.mathbox import labels

    page = ctx["page"]
    placed = [(label.x, label.y, label.size, label.colour, label.text + num_html(ctx, label.value, label.exact),
               label.italic, label.sub) for label in picture.labels]
    return _reserve(page, labels(placed, picture.width, picture.height, page["px_per_em"]), overlap=True)


def _reserve(page: dict[str, Any], block: Any, overlap: bool = False) -> Markup:
    """Collect `block` for the PDF finisher; its placeholder for WeasyPrint."""
    from tracegen.render.pdfmath import placeholder

    page["blocks"].append(block)
    return placeholder(len(page["blocks"]) - 1, block, overlap)


FILTERS: dict[str, Callable[..., Any]] = {
    "num": num,
    "num_html": num_html,
    "text_md": text_md,
    "latex_text": latex_text,
    "latex": latex,
    "math_html": math_html,
    "pdf_items": pdf_items,
    "pdf_labels": pdf_labels,
    "tex_html": latex_html,
}
