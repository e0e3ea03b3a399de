"""The shipped fonts as data: glyph ids, advance widths and ink extents, read once per process.

The PDF maths (`tracegen.render.mathbox`) is typeset from these numbers and drawn with these
very fonts (`tracegen.render.pdfmath`), so what is measured is what is printed. fontTools
comes with WeasyPrint; WOFF2 needs brotli, which WeasyPrint's `fonttools[woff]` brings.
"""

from __future__ import annotations

import io
from functools import cache, cached_property

from fontTools.pens.boundsPen import BoundsPen

from tracegen.render.environment import FONTS, static_dir

FACES = {"regular": FONTS[0][0], "italic": FONTS[1][0], "bold": FONTS[2][0], "math": FONTS[3][0]}
FALLBACK = ("regular", "italic", "math")  # the CSS font-family order of the documents


class Face:
    """One font: what the typesetter measures and what the PDF embeds (outlines read only when needed)."""

    def __init__(self, name: str) -> None:
        from fontTools.ttLib import TTFont

        self.name = name
        self._font = TTFont(str(static_dir() / "fonts" / FACES[name]))
        upem = self._font["head"].unitsPerEm
        self.em = float(upem)
        self.order = self._font.getGlyphOrder()
        ids = {glyph_name: i for i, glyph_name in enumerate(self.order)}
        self.glyph = {code: ids[g] for code, g in self._font.getBestCmap().items()}  # code point -> glyph id
        self.advance = tuple(self._font["hmtx"][g][0] / upem for g in self.order)  # em per glyph id
        self.cff = "CFF " in self._font
        self.postscript = self._font["name"].getDebugName(6) or f"TG-{name}"
        self.ascent, self.descent = self._font["hhea"].ascent / upem, self._font["hhea"].descent / upem
        self.italic_angle = float(self._font["post"].italicAngle)
        head = self._font["head"]
        self.bbox = tuple(v * 1000 / upem for v in (head.xMin, head.yMin, head.xMax, head.yMax))
        self._ink: dict[int, tuple[float, float]] = {}

    def has(self, char: str) -> bool:
        return ord(char) in self.glyph

    def glyph_id(self, char: str) -> int:
        return self.glyph.get(ord(char), 0)  # 0: .notdef, drawn as a box, as a browser would

    def width(self, text: str) -> float:
        return sum(self.advance[self.glyph_id(c)] for c in text)

    def ink(self, gid: int) -> tuple[float, float]:
        """(bottom, top) of the outline of glyph `gid`, em; (0, 0) for a blank glyph."""
        if gid not in self._ink:
            glyph_set = self._font.getGlyphSet()
            pen = BoundsPen(glyph_set)
            glyph_set[self.order[gid]].draw(pen)
            self._ink[gid] = (pen.bounds[1] / self.em, pen.bounds[3] / self.em) if pen.bounds else (0.0, 0.0)
        return self._ink[gid]

    def extent(self, text: str) -> tuple[float, float]:
        """(bottom, top) of the ink of `text`, em (0, 0 for blank text)."""
        inks = [i for i in (self.ink(self.glyph_id(c)) for c in text) if i != (0.0, 0.0)]
        return (min(i[0] for i in inks), max(i[1] for i in inks)) if inks else (0.0, 0.0)

    @cached_property
    def sfnt(self) -> bytes:
        """The font as TrueType/OpenType (not WOFF2), as PDF embeds it."""
        out = io.BytesIO()
        self._font.flavor = None
        self._font.save(out)
        return out.getvalue()


@cache
def face(name: str) -> Face:
    """The shipped face `name` (regular, italic, bold, math)."""
    return Face(name)


def face_for(char: str, first: str = "regular") -> str:
    """The face that draws `char`: `first` if it has it, else the documents' fallback order."""
    for name in (first, *FALLBACK):
        if face(name).has(char):
            return name
    return first
