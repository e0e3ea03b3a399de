"""The PDF's maths is spaced as TeX spaces it: gaps between ink and scripts' heights, against LaTeX's own.

tests/render/latex_gaps.json holds what pdflatex made of the same formulas (scripts/latex_gaps.py
measured it, so these tests need no TeX). Here tracegen's boxes are measured the same way,
their ink taken from the shipped fonts' outlines.
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path

import pytest
from fontTools.pens.boundsPen import BoundsPen
from fontTools.ttLib import TTFont
from typeset_formulas import AXIS, FORMULAS, STACKED, TOLERANCE, ink_gaps

from tracegen.assets import static_dir
from tracegen.fontmetrics import FACES
from tracegen.maths.latex import latex
from tracegen.render.typeset.boxes import Run, box, flatten

LATEX = json.loads((Path(__file__).parent / "latex_gaps.json").read_text("utf-8"))
Ink = tuple[float, float, float, float]  # left, bottom, right, top (em; y up from the baseline)


@cache
def _font(face: str) -> tuple[TTFont, dict[int, str], float]:
    font = TTFont(static_dir() / "fonts" / FACES[face])
    return font, font.getBestCmap(), float(font["head"].unitsPerEm)


@cache
def _outline(face: str, char: str) -> tuple[float, float, float, float, float] | None:
    """A glyph's ink box and advance, em; None for a blank glyph."""
    font, cmap, em = _font(face)
    pen = BoundsPen(font.getGlyphSet())
    font.getGlyphSet()[cmap[ord(char)]].draw(pen)
    advance = font["hmtx"][cmap[ord(char)]][0] / em
    return None if pen.bounds is None else (*(v / em for v in pen.bounds), advance)  # type: ignore[return-value]


def inks(name: str) -> list[Ink]:
    """The ink box of every glyph and rule of a formula as the PDF sets it."""
    out = []
    for item in flatten(box(FORMULAS[name])):
        if not isinstance(item, Run):
            out.append((item.x, item.y, item.x + item.width, item.y + item.height))
            continue
        x = item.x
        for char in item.text:
            left, bottom, right, top, advance = _outline(item.face, char) or (0, 0, 0, 0, 0)
            if right > left:
                out.append((x + left * item.size, item.y + bottom * item.size * item.stretch,
                            x + right * item.size, item.y + top * item.size * item.stretch))
            x += advance * item.size
    return out


@pytest.mark.parametrize("name", FORMULAS)
def test_gaps_between_ink_are_latexs(name: str) -> None:
    """Reading left to right, every gap in the ink (atom spacing, sidebearings, scripts) is LaTeX's, within
    TOLERANCE: no "= W" gaping, no "x+" touching, W⁽¹⁾'s script clear of the W."""
    tex = LATEX[name]
    assert tex["latex"] == latex(FORMULAS[name])  # the same formula was measured
    ours = ink_gaps([(left, right) for left, _, right, _ in inks(name)])
    assert len(ours) == len(tex["gaps"]), (ours, tex["gaps"])
    worst = max(abs(a - b) for a, b in zip(ours, tex["gaps"], strict=True))
    assert worst <= TOLERANCE, list(zip(ours, tex["gaps"], strict=True))


@pytest.mark.parametrize("name", STACKED)
def test_a_superscript_stands_over_its_subscript_as_in_latex(name: str) -> None:
    """z₂⁽¹⁾ and z₁,₂⁽²⁾: the superscript's ink ends as high above the baseline, the subscript's as low, as in
    LaTeX (TeX's rule 18: at least four rule widths apart), so neither touches and both read as z's."""
    tex = LATEX[name]
    found = inks(name)
    base_right = min(found)[2]  # the base letter comes first
    scripts = [ink for ink in found if ink[0] >= base_right]
    sup_bottom = min(bottom for _, bottom, _, top in scripts if (bottom + top) / 2 > AXIS)
    sub_top = max(top for _, bottom, _, top in scripts if (bottom + top) / 2 <= AXIS)
    assert sup_bottom == pytest.approx(tex["sup_bottom"], abs=TOLERANCE)
    assert sub_top == pytest.approx(tex["sub_top"], abs=TOLERANCE)
