"""Formulas of the documents whose PDF typesetting is compared with LaTeX's (tests/render/latex_gaps.json).

scripts/latex_gaps.py sets each one with pdflatex and measures its ink; tests/render/test_typeset_tex.py
measures tracegen's boxes the same way. Both read the formulas from here, so they measure the same maths.
"""

from __future__ import annotations

from tracegen.document import formulas
from tracegen.document.formulas import EQ, PLUS
from tracegen.layout import PRINT_FONT_PT
from tracegen.maths.notation import PARTIAL, layer_tag, layered, symbol
from tracegen.maths.tree import Ident, Node, Num, Op, Row, Script, row
from tracegen.spec.model import Activation, load_example

AXIS = 0.25  # em above the baseline: scripts above it are superscripts, below it subscripts
FONT_PT = PRINT_FONT_PT  # the PDF's text size
FORMULAS: dict[str, Node] = {
    "affine": row(symbol("z1"), EQ, symbol("W1"), symbol("x"), PLUS, symbol("b1")),
    "partial": row(PARTIAL, layered("W", 1)),
    "hidden_delta": formulas.hidden_delta(1, Activation("relu")),
    "kink_entry": Script(Ident("z"), sup=layer_tag(1), sub=Num("2")),
    "batch_entry": Script(Ident("z"), sup=layer_tag(2), sub=Row((Num("1"), Op(",", "punct"), Num("2")))),
    "bce": formulas.loss_formula(load_example()),
}
STACKED = ("kink_entry", "batch_entry")  # a superscript over a subscript: their heights are compared too
TOLERANCE = 0.05  # em: the fonts differ a little (CMU and Latin Modern here, Computer Modern in LaTeX)


def ink_gaps(intervals: list[tuple[float, float]]) -> list[float]:
    """The gaps between the runs of ink along a line, given each glyph's (left, right) ink (em)."""
    runs: list[list[float]] = []
    for left, right in sorted(intervals):
        if runs and left <= runs[-1][1]:
            runs[-1][1] = max(runs[-1][1], right)
        else:
            runs.append([left, right])
    return [round(b[0] - a[1], 3) for a, b in zip(runs, runs[1:], strict=False)]
