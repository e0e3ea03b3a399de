"""The PDF's own maths: typesetting checked against the fonts' metrics and geometry, drawing against the PDF.

Display equations and pictures' labels are placed by `mathbox` and drawn into WeasyPrint's
pages by `pdfmath`; these tests check the placing by geometry (what must line up, sit on
the axis, cover or fit), and the drawing by reading the PDF back with pypdf.
"""

from __future__ import annotations

import io
import re
from typing import Any

import numpy as np
import pypdf
import pytest
from documents import ALL, class3_documents, deep_documents

from tracegen.document.build import blanks, numbers
from tracegen.fontmetrics import face, letters
from tracegen.layout import MATRIX_LINE_HEIGHT, PRINT_FONT_PT, PRINT_MARGINS_MM
from tracegen.maths.tree import Ident, Matrix, Op, Script
from tracegen.render.typeset.boxes import (
    AXIS,
    BRACKET_STEM,
    LINE_BOTTOM,
    LINE_TOP,
    Box,
    Rect,
    Run,
    delimited,
    equation,
    flatten,
    fraction,
    matrix,
    text,
)


def mat(rows: list[list[float]], answer: bool = False) -> Matrix:
    """Computed values printed with 3 decimals, as a document prints them."""
    return numbers(np.array(rows), 3, answer)


def runs(box: Box) -> list[Run]:
    return [item for item in flatten(box) if isinstance(item, Run)]


def right_end(run: Run) -> float:
    return run.x + face(run.face).width(run.text) * run.size


def ink(run: Run) -> tuple[float, float]:
    """(bottom, top) of a run's ink, after its vertical stretch."""
    bottom, top = face(run.face).extent(run.text)
    return run.y + bottom * run.size * run.stretch, run.y + top * run.size * run.stretch


def test_a_matrix_row_line_is_the_matrix_line_height_about_the_text_baseline() -> None:
    regular = face("regular")
    half_leading = (MATRIX_LINE_HEIGHT - (regular.ascent - regular.descent)) / 2
    assert LINE_TOP == pytest.approx(regular.ascent + half_leading, abs=1e-9)
    assert LINE_TOP - LINE_BOTTOM == pytest.approx(MATRIX_LINE_HEIGHT)


def brackets(box: Box) -> list[Rect]:
    """A matrix's bracket stems."""
    return [r for r in flatten(box) if isinstance(r, Rect) and r.width == pytest.approx(BRACKET_STEM) and r.height > 1]


def test_matrix_numbers_are_aligned_on_their_points_in_columns_one_line_apart() -> None:
    box = matrix(mat([[1.0, -12.5, 0.25], [100.0, 0.0, -3.0], [-1.0, 7.0, 42.0]]))
    cells = [r for r in runs(box) if r.text not in "⎡⎢⎣⎤⎥⎦"]
    rows = sorted({round(r.y, 9) for r in cells}, reverse=True)
    assert len(rows) == 3 and [rows[0] - rows[1], rows[1] - rows[2]] == pytest.approx([1.3, 1.3])
    assert rows[1] == pytest.approx(0.0)  # the middle row of an odd-rowed matrix sits on the baseline
    by_row = [sorted((r for r in cells if round(r.y, 9) == y), key=lambda r: r.x) for y in rows]
    for j in range(3):  # every entry has 3 decimals (tracegen.numbers), so the right ends line up with the points
        ends = {round(right_end(row[j]), 9) for row in by_row}
        assert len(ends) == 1, f"column {j} is not aligned: {ends}"
    assert [r.text for r in by_row[0]] == ["1.000", "\u221212.500", "0.250"]
    left, right = sorted(brackets(box), key=lambda r: r.x)  # one stem each side, spanning every row
    for stem in (left, right):
        assert stem.y < min(ink(r)[0] for r in cells) and stem.y + stem.height > max(ink(r)[1] for r in cells)
    assert left.x < min(r.x for r in cells) and right.x > max(right_end(r) for r in cells)


def test_a_blank_matrix_of_a_worksheet_is_boxes_big_enough_to_write_in_with_gaps() -> None:
    box = matrix(blanks(np.full((2, 2), "e1:dW1:-1:0:0", dtype=object), 3))
    outlines = [r for r in flatten(box) if isinstance(r, Rect) and r not in brackets(box)]
    assert not runs(box) and not [r for r in outlines if r.fill != "ink"]  # no text, no highlight
    lefts = sorted({round(r.x, 6) for r in outlines if r.width < 0.1 and r.height > 1})  # the boxes' sides
    assert len(lefts) == 4  # two columns of boxes, two sides each
    mm = PRINT_FONT_PT * 25.4 / 72  # one em on paper
    sides = [r for r in outlines if r.width < 0.1]
    assert min(r.height for r in sides) * mm >= 6.0  # tall enough for handwriting
    tops = sorted({round(r.y, 6) for r in sides})
    assert (tops[1] - (tops[0] + sides[0].height)) * mm >= 1.5  # rows do not touch
    widths = [r.width for r in outlines if r.height < 0.1 and r.width > 1]  # tops and bottoms (not bracket ticks)
    assert min(widths) * mm >= 15.0  # "−0.238" written by hand needs 15-18 mm


def test_a_key_answer_is_highlighted_behind_all_its_numbers() -> None:
    box = matrix(mat([[-0.119, 0.0], [1.0, 2.5]], answer=True))
    (highlight,) = [i for i in flatten(box) if isinstance(i, Rect) and i.fill == "answer"]
    for run in runs(box):
        bottom, top = ink(run)
        assert highlight.x <= run.x and right_end(run) <= highlight.x + highlight.width
        assert highlight.y <= bottom and top <= highlight.y + highlight.height


def test_a_fraction_bar_sits_on_the_axis_with_both_parts_centred_over_it() -> None:
    top, bottom = text("\u2202L"), text("\u2202W\u207d\u00b2\u207e")
    box = fraction(top, bottom)
    (bar,) = [i for i in flatten(box) if isinstance(i, Rect)]
    assert bar.y + bar.height / 2 == pytest.approx(AXIS)
    above, below = [r for r in runs(box) if r.y > AXIS], [r for r in runs(box) if r.y < 0]
    centre = bar.x + bar.width / 2
    for part in (above, below):
        assert (min(r.x for r in part) + max(right_end(r) for r in part)) / 2 == pytest.approx(centre)
    assert min(ink(r)[0] for r in above) > bar.y + bar.height and max(ink(r)[1] for r in below) < bar.y
    assert bar.width > max(top.width, bottom.width)


def test_stretched_parentheses_cover_the_matrix_they_enclose() -> None:
    inner = matrix(mat([[1.0], [-1.0], [2.0]]))
    box = delimited("(", inner, ")")
    left, right = (r for r in runs(box) if r.text in "()")
    for paren in (left, right):
        bottom, top = ink(paren)
        assert paren.stretch > 1
        assert top >= inner.height - 0.05 and bottom <= -inner.depth + 0.05
        assert (top + bottom) / 2 == pytest.approx(AXIS)
    assert left.x < min(r.x for r in runs(inner)) and right.x > max(right_end(r) for r in runs(inner)) - 1e-9


EQ, PLUS = Op("=", "rel"), Op("+")


def test_a_long_equation_wraps_at_its_relations_aligned_and_nothing_passes_the_measure() -> None:
    wide = mat([[float(i * j) - 7.5 for j in range(6)] for i in range(2)])
    box = equation((Ident("z"), EQ, wide, PLUS, wide, EQ, wide, PLUS, wide, EQ, wide), 30.0)
    signs = [r for r in runs(box) if r.text == "="]
    assert len({round(r.y, 6) for r in signs}) >= 2  # the = signs are on different lines
    assert len({round(r.x, 6) for r in signs}) == 1  # … one under the other
    moved = min(letter.move for letter in letters().values())  # a maths letter's glyph starts on its blank side
    assert box.width <= 30.0 and all(moved <= r.x and right_end(r) <= 30.0 + 1e-9 for r in runs(box))


def test_a_wrapped_line_never_separates_a_factor_from_the_matrix_it_multiplies() -> None:
    wide = mat([[float(j) + 0.25 for j in range(7)]])
    box = equation((Ident("W"), EQ, wide, Op("−"), Ident("η"), wide, EQ, wide), 22.0)
    eta = next(r for r in runs(box) if r.text == "\U0001d702")  # 𝜂
    assert len({round(r.y, 6) for r in runs(box) if r.text == "="}) == 2  # it did wrap
    assert any(r.text == "0.250" and abs(r.y - eta.y) < 1e-9 and r.x > eta.x for r in runs(box))  # η [0.250 …]


def test_a_piece_wider_than_the_measure_is_scaled_down_to_fit() -> None:
    huge = mat([[float(j) + 0.5 for j in range(40)]])
    box = equation((Script(Ident("W"), sup=Ident("T")), EQ, huge), 30.0)
    assert all(right_end(r) <= 30.0 + 1e-9 for r in runs(box))
    assert min(r.size for r in runs(box)) < 1


def test_pdf_equations_are_text_in_reading_order() -> None:
    pages = pypdf.PdfReader(io.BytesIO(class3_documents()[("key", "pdf")])).pages
    page = re.sub(r"[^\S\n]+", " ", "\n".join(p.extract_text() for p in pages))
    page = page[page.index("Epoch 1: Gradients"):]  # epochs follow on: the part from epoch 1's gradients
    delta = "\U0001d6ff\u207d\u00b2\u207e = \u0177 \u2212 \U0001d466 = 0.881 \u2212 1 = \u22120.119"  # δ⁽²⁾ = ŷ − 𝑦 = …
    order = ["Epoch 1", "Gradients:", delta, "Note:", "Update parameters", "1.024 \u22121.000"]
    positions = [page.find(piece) for piece in order]
    assert -1 not in positions and positions == sorted(positions), positions


@pytest.mark.slow
def test_pdf_maths_stays_inside_the_text_column() -> None:
    """Every text run in the deep batch's PDFs starts between the margins (mathbox keeps the ends in)."""
    for kind in ALL[0]:
        reader = pypdf.PdfReader(io.BytesIO(deep_documents()[(kind, "pdf")]))
        for page in reader.pages:
            width = float(page.mediabox.width)
            margin = PRINT_MARGINS_MM[3] / 25.4 * 72
            starts: list[tuple[float, str, float]] = []

            def visit(chunk: str, cm: list[float], tm: list[float], font: object, size: float,
                      found: list[tuple[float, str, float]] = starts) -> None:
                if chunk.strip():
                    found.append((cm[0] * tm[4] + cm[2] * tm[5] + cm[4], chunk, size * cm[0]))

            page.extract_text(visitor_text=visit)
            assert starts
            for x, chunk, size in starts:
                assert margin - 1 <= x <= width - margin - 0.2 * size, f"{kind}: {chunk!r} at {x:.1f}pt"


def test_print_measure_is_the_page_width_less_the_margins() -> None:
    from tracegen.render.environment import stylesheet
    from tracegen.render.exporters import EXPORTERS

    css = stylesheet()  # the stylesheets are filled in from tracegen.layout, the numbers the typesetter uses
    assert re.search(r"@page \{\s*margin: 20mm 16mm 18mm 16mm;", css) and PRINT_MARGINS_MM == (20, 16, 18, 16)
    assert "html { font-size: 10.5pt; }" in css and PRINT_FONT_PT == 10.5

    for paper, width_mm in (("a4", 210.0), ("letter", 215.9)):
        measure = EXPORTERS["pdf"].measure(paper)
        assert measure * PRINT_FONT_PT * 25.4 / 72 <= width_mm - 32


def _text_shows(page: Any) -> list[tuple[str, float, str]]:
    """Each text a page shows: (text, baseline y in points, font name)."""
    shows: list[tuple[str, float, str]] = []

    def visit(text: str, cm: list[float], tm: list[float], font: Any, size: float) -> None:
        if text.strip():
            shows.append((text, pypdf.mult(tm, cm)[5], str((font or {}).get("/BaseFont", ""))))

    page.extract_text(visitor_text=visit)
    return shows


def test_inline_maths_sits_on_the_baseline_of_its_line() -> None:
    """A batch's "and 𝟏 is a column of ones": the bold 1 (no depth) and ⊙ print on the sentence's baseline, not
    raised like a footnote mark (its placeholder's vertical-align once read "--0.0000em" and was dropped)."""
    for kind in ("worksheet", "key"):
        pages = [_text_shows(page) for page in pypdf.PdfReader(io.BytesIO(deep_documents()[(kind, "pdf")])).pages]
        shows = next(shows for shows in pages if any("is a column of ones" in text for text, _, _ in shows))
        line = next(y for text, y, _ in shows if "is a column of ones" in text)
        near = [(text, y) for text, y, _ in shows if abs(y - line) < 8 and text.strip() in ("1", "\u2299")]
        assert {text.strip() for text, _ in near} == {"1", "\u2299"}
        assert all(y == pytest.approx(line, abs=0.05) for _, y in near), (near, line)
