"""The page every format lays out to, each size written once: paper, margins, type, and the spacing of the maths.

Three readers share these numbers: the stylesheets (templates that `render.environment.stylesheet` fills in, so
the CSS and Python cannot disagree), the PDF's maths typesetter (`render.typeset.boxes`), and the estimate of a
document's pages and type size made before anything is rendered (`spec.limits`). Sizes in em are of the text's
font size unless said otherwise.
"""

from __future__ import annotations

PAPER_WIDTH_MM = {"a4": 210.0, "letter": 215.9}
PRINT_MARGINS_MM = (20, 16, 18, 16)  # @page margin: top, right, bottom, left
PRINT_FONT_PT = 10.5  # the printed text (the PDF, and the HTML printed from a browser)
HEAD_PT, HEAD_PAD_MM, HEAD_SHARE = 9.0, 3.0, 0.54  # the running heads: type, room under them, the right one's width
SCREEN_FONT_PT = 12  # the HTML on screen; the Markdown's LaTeX blanks too (handwriting is sized at it)
SCREEN_PAGE_EM = 46  # the HTML page's width
SCREEN_MEASURE = 38.0  # where screen equations wrap: the page, less the up to 15 % a browser sets MathML wider
# than these boxes (its table cells are padded)
PHONE_SCREEN_EM = 36  # screens narrower than this show the HTML's second layout
PHONE_MEASURE = 16.0  # where that layout wraps: a 360 px phone has 20 em of text, less the browser's wider MathML

MATRIX_LINE_HEIGHT = 1.3  # one row of numbers in a matrix
COLUMN_GAP = 1.0  # between a matrix's columns (the HTML pads each cell by half of it)
WIDE_COLUMNS, WIDE_SIZE = 7, 0.82  # matrices of WIDE_COLUMNS columns or more are set at WIDE_SIZE
SCRIPT_SIZE, SCRIPT_RAISE, SCRIPT_LOWER = 0.7, 0.36, 0.16  # super- and subscripts: size, baseline up, down
# (the shipped fonts' Unicode script glyphs are built so: scripts/subset_fonts.py)
THIN, MEDIUM, THICK = 3 / 18, 4 / 18, 5 / 18  # TeX's maths spaces (the MathML writes the thin one)
EQUATION_MARGIN = 0.55  # above and below a display equation (the HTML's .eq block)
BLOCK_PAD = 0.12  # room around a block of equations inside its PDF placeholder (for overhanging ink)
EQUATION_GAP = EQUATION_MARGIN + 2 * BLOCK_PAD  # between stacked equations in the PDF: as when each is its own block
WORKING_PER_LAYER = 2.5  # a worksheet's room to work, per layer, under its forward and backward passes

# A paper-ready worksheet (docs/paper.md): each answer cell's writing area, the printed decimal point's room, the
# cells' border (light grey, thin: a scanner finds it, a pen ignores it); the page's top margin, which holds the
# QR code above the running head, and how far left of the right margin that head ends, clear of the QR code.
CELL_MM, CELL_HEIGHT_MM, POINT_MM, CELL_RULE_MM = 5.2, 7.2, 2.6, 0.2
PAPER_TOP_MM, HEAD_CLEAR_MM = 27.0, 21.0


def print_measure(paper: str) -> float:
    """The printed text width in em where display equations wrap: the paper less its side margins, less half an
    em kept free for ink that overhangs a box."""
    side = PRINT_MARGINS_MM[1] + PRINT_MARGINS_MM[3]
    return (PAPER_WIDTH_MM[paper] - side) / (PRINT_FONT_PT * 25.4 / 72) - 0.5
