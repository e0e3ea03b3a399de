"""The shipped fonts as data: glyph ids, advance widths and ink extents, measured once when the fonts are built.

The PDF maths (`tracegen.render.typeset.boxes`) is typeset from these numbers and drawn with these
very fonts (`tracegen.render.pdf.finisher`), so what is measured is what is printed. The numbers
are measured by `scripts/subset_fonts.py` when it builds the fonts (`measure`) and shipped
as `fonts/metrics.json` beside them: a render only reads that file and the plain
TrueType/OpenType files (no WOFF2 decoding, no font parsing at run time; a test checks the
file against the fonts).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from typing import Any, NamedTuple

from tracegen.assets import FONTS, static_dir

FACES = {"regular": FONTS[0][1], "italic": FONTS[1][1], "bold": FONTS[2][1], "math": FONTS[3][1]}  # PDF files
FALLBACK = ("regular", "italic", "math")  # the CSS font-family order of the documents
METRICS = "metrics.json"
LETTERS = "math-letters.json"  # scripts/math_letters.py: the maths italic letters' placing, from Latin Modern Math


@dataclass(frozen=True)
class Face:
    """One font, kept as plain numbers and bytes (a parsed font is thousands of objects that
    Python's garbage collector would walk during every later render)."""

    name: str
    postscript: str
    glyph: dict[int, int]  # code point -> glyph id
    advance: tuple[float, ...]  # em, per glyph id
    ink: tuple[tuple[float, float], ...]  # (bottom, top) of each glyph's outline, em; (0, 0) if blank
    cff: bool  # CFF outlines (else TrueType)
    ascent: float
    descent: float  # negative
    italic_angle: float
    bbox: tuple[float, ...]  # in 1/1000 em, as PDF font descriptors want
    sfnt: bytes  # the font file as TrueType/OpenType, what a PDF embeds (a subset of)

    def has(self, char: str) -> bool:
        return ord(char) in self.glyph

    def glyph_id(self, char: str) -> int:
        return self.glyph.get(ord(char), 0)  # 0: .notdef, drawn as a box, as a browser would

    def width(self, text: str) -> float:
        return sum(self.advance[self.glyph_id(c)] for c in text)

    def extent(self, text: str) -> tuple[float, float]:
        """(bottom, top) of the ink of `text`, em (0, 0 for blank text)."""
        inks = [i for i in (self.ink[self.glyph_id(c)] for c in text) if i != (0.0, 0.0)]
        return (min(i[0] for i in inks), max(i[1] for i in inks)) if inks else (0.0, 0.0)


@cache
def _metrics() -> dict[str, Any]:
    return json.loads((static_dir() / "fonts" / METRICS).read_text("utf-8"))


@cache
def face(name: str) -> Face:
    """The shipped face `name` (regular, italic, bold, math)."""
    data = _metrics()[FACES[name]]
    return Face(
        name=name, postscript=data["postscript"], glyph={code: gid for code, gid in data["glyph"]},
        advance=tuple(data["advance"]), ink=tuple(tuple(pair) for pair in data["ink"]), cff=data["cff"],
        ascent=data["ascent"], descent=data["descent"], italic_angle=data["italic_angle"], bbox=tuple(data["bbox"]),
        sfnt=(static_dir() / "fonts" / FACES[name]).read_bytes(),
    )


class Letter(NamedTuple):
    """How a maths letter is placed (em): its glyph moved by `move`, an `advance`, the `italic` correction
    (the room TeX leaves after it before a superscript), as in TeX's maths italic font."""

    move: float
    advance: float
    italic: float


@cache
def letters() -> dict[str, Letter]:
    """The maths letters' placing, by character (the Unicode maths italic forms)."""
    data = json.loads((static_dir() / "fonts" / LETTERS).read_text("utf-8"))
    return {char: Letter(*values) for char, values in data.items()}


def measure(font: Any) -> dict[str, Any]:
    """The metrics of a fontTools TTFont as `metrics.json` keeps them (run when the fonts are built)."""
    em = float(font["head"].unitsPerEm)
    order = font.getGlyphOrder()
    ids = {glyph_name: i for i, glyph_name in enumerate(order)}
    head = font["head"]
    return {
        "postscript": font["name"].getDebugName(6),
        "glyph": sorted([code, ids[g]] for code, g in font.getBestCmap().items()),
        "advance": [font["hmtx"][g][0] / em for g in order],
        "ink": [[bottom / em, top / em] for bottom, top in _vertical_bounds(font, order)],
        "cff": "CFF " in font,
        "ascent": font["hhea"].ascent / em,
        "descent": font["hhea"].descent / em,
        "italic_angle": float(font["post"].italicAngle),
        "bbox": [v * 1000 / em for v in (head.xMin, head.yMin, head.xMax, head.yMax)],
    }


def _vertical_bounds(font: Any, order: list[str]) -> list[tuple[float, float]]:
    """(yMin, yMax) of each glyph in font units: stored in TrueType glyph headers, drawn for CFF."""
    if "glyf" in font:
        glyf = font["glyf"]
        return [(glyf[g].yMin, glyf[g].yMax) if glyf[g].numberOfContours else (0, 0) for g in order]
    from fontTools.pens.boundsPen import BoundsPen

    glyph_set, out = font.getGlyphSet(), []
    for g in order:
        pen = BoundsPen(glyph_set)
        glyph_set[g].draw(pen)
        out.append((pen.bounds[1], pen.bounds[3]) if pen.bounds else (0, 0))
    return out


def face_for(char: str, first: str = "regular") -> str:
    """The face that draws `char`: `first` if it has it, else the documents' fallback order."""
    for name in (first, *FALLBACK):
        if face(name).has(char):
            return name
    return first


def text_extent(text: str, first: str = "regular") -> tuple[float, float, float]:
    """(advance width, ink bottom, ink top) of `text` in em, each character in the face that draws it (`face_for`);
    the ink's box holds the baseline, as a line of text does."""
    width, bottom, top = 0.0, 0.0, 0.0
    for char in text:
        font = face(face_for(char, first))
        low, high = font.extent(char)
        width, bottom, top = width + font.width(char), min(bottom, low), max(top, high)
    return width, bottom, top
