"""Fill a CMU face's gaps in the names repertoire, in the face's own style (used by subset_fonts.py).

CMU Serif's upright face has nearly every letter of Latin, Greek and Cyrillic; its italic and
bold lack some (Latvian Ģ Ķ Ļ Ņ, Lithuanian Į Ų, Maltese Ħ, most of Latin Extended-B). A name
set in italic must not show such a letter upright from another font, so each missing letter
is made, in this order, from:

1. its canonical decomposition, when the face has the parts: the base letter with its marks
   as a composite glyph (Ǖ = Ü + macron, Ķ = K + cedilla), marks placed over or under the
   base's ink (and along the italic slant);
2. a few hand-made recipes (ĸ as Cyrillic к, Ŀ as L·, Ħ as H with a bar, Ǆ as DŽ);
3. the upright face's outline, slanted to the italic angle (italic) or drawn twice side by
   side, 36/1000 em apart (bold): how a typesetter fakes a style it lacks.
"""

from __future__ import annotations

import math
import unicodedata
from collections.abc import Iterable

from fontTools.pens.boundsPen import BoundsPen
from fontTools.pens.recordingPen import DecomposingRecordingPen
from fontTools.pens.transformPen import TransformPen
from fontTools.pens.ttGlyphPen import TTGlyphPen
from fontTools.ttLib import TTFont
from fontTools.ttLib.tables._g_l_y_f import Glyph, GlyphComponent

ALIASES = {"ĸ": "к", "Ӏ": "I", "ӏ": "I"}  # drawn as another letter's glyph
SIDE_BY_SIDE = {"ŉ": "’n", "Ŀ": "L·", "ŀ": "l·", "Ѹ": "Оу", "ѹ": "оу", "Ǆ": "DŽ", "ǅ": "Dž", "ǆ": "dž",
                "Ǉ": "LJ", "ǈ": "Lj", "ǉ": "lj", "Ǌ": "NJ", "ǋ": "Nj", "ǌ": "nj", "Ǳ": "DZ", "ǲ": "Dz", "ǳ": "dz"}
# Letter, the bar's height, width and centre, as fractions of the letter's ink (top, width, from its left)
BARRED = {"Ħ": ("H", 0.77, 1.12, 0.5), "ħ": ("h", 0.78, 0.5, 0.25), "Ŧ": ("T", 0.45, 0.55, 0.5),
          "ŧ": ("t", 0.42, 0.75, 0.5)}
ABOVE_INSTEAD = {"ģ": ("g", "‘")}  # a cedilla that goes above a descender
BOLD_OFFSET = 36  # font units: the second copy of a faked bold outline


class Filler:
    """Adds glyphs to `font` for characters it lacks; `upright` is the face to borrow outlines from."""

    def __init__(self, font: TTFont, upright: TTFont | None, style: str) -> None:
        self.font, self.upright, self.style = font, upright, style
        self.cmap = dict(font.getBestCmap())
        self.added: dict[int, str] = {}
        self.slant = math.tan(math.radians(-font["post"].italicAngle))
        self.x_height = self.bounds(self.cmap[ord("x")])[3]

    def bounds(self, glyph: str) -> tuple[float, float, float, float]:
        glyph_set = self.font.getGlyphSet()
        pen = BoundsPen(glyph_set)
        glyph_set[glyph].draw(pen)
        return pen.bounds or (0, 0, 0, 0)

    def glyph(self, char: str) -> str | None:
        """The glyph of `char`, made if the face lacks it and it can be; None if not."""
        if ord(char) not in self.cmap:
            self._make(char)
        return self.cmap.get(ord(char))

    def _make(self, char: str) -> None:
        decomposition = unicodedata.decomposition(char)
        parts = [chr(int(code, 16)) for code in decomposition.split()] if decomposition[:1] != "<" else []
        if char in ABOVE_INSTEAD:
            self._compose(char, ABOVE_INSTEAD[char])
        elif len(parts) > 1 and all(self.glyph(p) for p in parts):
            self._compose(char, parts)
        elif char in ALIASES and self.glyph(ALIASES[char]):
            glyph = self.glyph(ALIASES[char])
            self._composite(char, [(glyph, 0, 0)], self.font["hmtx"][glyph][0])
        elif char in SIDE_BY_SIDE and all(self.glyph(c) for c in SIDE_BY_SIDE[char]):
            x, placed = 0, []
            for c in SIDE_BY_SIDE[char]:
                glyph = self.glyph(c)
                placed.append((glyph, x, 0))
                x += self.font["hmtx"][glyph][0]
            self._composite(char, placed, x)
        elif char in BARRED and self.glyph(BARRED[char][0]) and self.glyph("–"):
            self._bar(char, *BARRED[char])
        else:
            self._borrow(char)

    def _compose(self, char: str, parts: Iterable[str]) -> None:
        """Base and marks as one composite: marks above sit over the ink so far, marks below under it."""
        base, *marks = parts
        base_glyph = self.cmap[ord(base)]
        left, bottom, right, top = self.bounds(base_glyph)
        placed = [(base_glyph, 0, 0)]
        for mark in marks:
            glyph = self.cmap[ord(mark)]
            m_left, m_bottom, m_right, m_top = self.bounds(glyph)
            if m_bottom >= self.x_height * 0.5:  # above: a mark drawn for a lowercase letter, raised as needed
                dy = max(0.0, top - self.x_height) if m_bottom > self.x_height else top + 60 - m_bottom
                centre = (left + right) / 2 + self.slant * self.x_height * 0.5
                dx = centre - (m_left + m_right) / 2 + self.slant * dy
                top = m_top + dy
            elif mark == "\u0328":  # ogonek: at the right foot
                dx, dy = right - m_right, 0.0
            else:  # below: attached marks (cedilla) as drawn, others under the ink
                dy = 0.0 if unicodedata.combining(mark) == 202 else min(0.0, bottom - 30 - m_top)
                dx = (left + right) / 2 - (m_left + m_right) / 2 + self.slant * dy
            placed.append((glyph, dx, dy))
        self._composite(char, placed, self.font["hmtx"][base_glyph][0])

    def _bar(self, char: str, letter: str, height: float, width: float, centre: float) -> None:
        """`letter` crossed by the en dash's stroke, stretched to `width` of the letter's ink."""
        base, bar = self.cmap[ord(letter)], self.cmap[ord("–")]
        left, _, right, top = self.bounds(base)
        b_left, b_bottom, b_right, b_top = self.bounds(bar)
        scale = width * (right - left) / (b_right - b_left)
        y = height * top - (b_bottom + b_top) / 2
        x = left + centre * (right - left) - scale * (b_left + b_right) / 2 + self.slant * height * top
        self._composite(char, [(base, 0, 0, 1.0), (bar, x, y, scale)], self.font["hmtx"][base][0])

    def _borrow(self, char: str) -> None:
        """The upright face's outline of `char`, slanted (italic) or doubled (bold)."""
        source = self.upright.getBestCmap().get(ord(char)) if self.upright is not None else None
        if source is None or self.upright is None:
            return
        glyph_set = self.upright.getGlyphSet()
        outline = DecomposingRecordingPen(glyph_set)
        glyph_set[source].draw(outline)
        pen, advance = TTGlyphPen(None), self.upright["hmtx"][source][0]
        if self.style == "italic":
            outline.replay(TransformPen(pen, (1, 0, self.slant, 1, 0, 0)))
        else:
            outline.replay(pen)
            outline.replay(TransformPen(pen, (1, 0, 0, 1, BOLD_OFFSET, 0)))
            advance += BOLD_OFFSET
        self._add(char, pen.glyph(), advance)

    def _composite(self, char: str, placed: list[tuple[str, float, float]] | list[tuple[str, float, float, float]],
                   advance: int) -> None:
        """A glyph of other glyphs, each at (x, y), some stretched sideways (a fourth number)."""
        glyph = Glyph()
        glyph.numberOfContours, glyph.components = -1, []
        for name, x, y, *stretch in placed:
            component = GlyphComponent()
            component.glyphName, component.x, component.y, component.flags = name, round(x), round(y), 0x4
            if stretch and stretch[0] != 1.0:
                component.transform = [[round(stretch[0], 3), 0], [0, 1]]
            glyph.components.append(component)
        self._add(char, glyph, advance)

    def _add(self, char: str, glyph: Glyph, advance: int) -> None:
        name = f"uni{ord(char):04X}.tg"
        glyf = self.font["glyf"]
        glyf.glyphs[name] = glyph
        order = [*self.font.getGlyphOrder(), name]
        self.font.setGlyphOrder(order)
        glyf.glyphOrder = order
        glyph.recalcBounds(glyf)
        self.font["hmtx"][name] = (advance, getattr(glyph, "xMin", 0))
        self.cmap[ord(char)] = self.added[ord(char)] = name


def fill(font: TTFont, upright: TTFont | None, style: str, wanted: Iterable[int]) -> list[int]:
    """Make the glyphs `font` lacks among `wanted` (see the module doc); the code points still missing."""
    filler = Filler(font, upright, style)
    still = [code for code in wanted if filler.glyph(chr(code)) is None]
    for table in font["cmap"].tables:
        if table.isUnicode():
            table.cmap.update({u: g for u, g in filler.added.items() if u <= 0xFFFF or table.format == 12})
    return still
