"""Write fonts/math-letters.json: how the PDF's maths places each italic letter, from Latin Modern Math.

    python scripts/math_letters.py [LATIN_MODERN_MATH]

The PDF sets maths letters in the shipped text italic (CMU Serif Italic), whose sidebearings
are a text face's: W starts 0.21 em into its box and x's ink overhangs its advance, so
"= W" gapes and "x+" touches. TeX sets them from its maths italic (cmmi), whose design Latin
Modern Math carries over with the same sidebearings and italic corrections. For each letter
this script records, in em: how far to move the text italic glyph so its ink is centred where
the maths italic's is (their shapes differ a little), the maths italic's advance, and its italic correction (the room
TeX leaves before a superscript). Source: Debian's fonts-lmodern.
"""

from __future__ import annotations

import json
import string
import sys
from pathlib import Path

from fontTools.pens.boundsPen import BoundsPen
from fontTools.ttLib import TTFont

from tracegen.assets import static_dir
from tracegen.fontmetrics import FACES, LETTERS
from tracegen.render.typeset.glyphs import math_italic

PARTIAL = "\u2202"  # ∂: the maths face draws it upright-spaced; TeX's \\partial is the maths italic 𝜕
MATHS_FORM = {PARTIAL: "\U0001d715"}
SOURCE = Path("/usr/share/texmf/fonts/opentype/public/lm-math/latinmodern-math.otf")


def _glyphs(font: TTFont) -> tuple[dict[int, str], object, float]:
    return font.getBestCmap(), font.getGlyphSet(), float(font["head"].unitsPerEm)


def _middle(glyph_set: object, name: str) -> float | None:
    """The middle of a glyph's ink, left to right (font units)."""
    pen = BoundsPen(glyph_set)
    glyph_set[name].draw(pen)  # type: ignore[index]
    return None if pen.bounds is None else (pen.bounds[0] + pen.bounds[2]) / 2


def letters(source: TTFont, faces: dict[str, TTFont]) -> dict[str, list[float]]:
    """Each maths italic letter a shipped face draws (as tracegen.render.typeset.boxes picks it): [move, advance,
    italic correction], em."""
    cmap, glyph_set, em = _glyphs(source)
    info = source["MATH"].table.MathGlyphInfo.MathItalicsCorrectionInfo
    corrections = dict(zip(info.Coverage.glyphs, (v.Value for v in info.ItalicsCorrection), strict=True))
    drawn = {chr(math_italic(letter) or ord(letter)): "math" if "\u03b1" <= letter <= "\u03c9" else "italic"
             for letter in (*string.ascii_letters, *(chr(c) for c in range(0x3B1, 0x3CA)))}
    out = {}
    for char, face_name in {**drawn, PARTIAL: "math"}.items():
        like = MATHS_FORM.get(char, char)  # the glyph whose placing TeX's maths italic font has
        face_cmap, face_set, face_em = _glyphs(faces[face_name])
        if ord(char) not in face_cmap or ord(like) not in cmap:
            continue
        name = cmap[ord(like)]
        left, own = _middle(glyph_set, name), _middle(face_set, face_cmap[ord(char)])
        if left is None or own is None:
            continue
        out[char] = [round(left / em - own / face_em, 4), round(source["hmtx"][name][0] / em, 4),
                     round(corrections.get(name, 0) / em, 4)]
    return out


def main(argv: list[str]) -> int:
    source = Path(argv[0]) if argv else SOURCE
    if not source.exists():
        print(f"math_letters: {source} not found: apt-get install fonts-lmodern", file=sys.stderr)
        return 1
    fonts = static_dir() / "fonts"
    table = letters(TTFont(source), {face: TTFont(fonts / FACES[face]) for face in ("italic", "math")})
    lines = ",\n".join(f"{json.dumps(char, ensure_ascii=False)}: {json.dumps(table[char])}" for char in sorted(table))
    (fonts / LETTERS).write_text("{\n" + lines + "\n}\n", "utf-8")
    print(f"{len(table)} letters in {fonts / LETTERS}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
