"""What the shipped PDF fonts draw beyond plain text (scripts/subset_fonts.py builds these glyphs).

The PDF typesetter (`mathbox`) sets maths as glyph runs of the shipped faces: letters as
Unicode mathematical italics, simple scripts as Unicode super- and subscript characters.
The font-building script and the typesetter read these tables from here, so they agree.
"""

from __future__ import annotations

from tracegen.maths.scripts import SUBSCRIPTS, SUPERSCRIPTS

HATS = {"y": "ŷ"}


def math_italic(char: str) -> int | None:
    """The Unicode mathematical italic code point of an ASCII or Greek letter (None if it has none)."""
    if "A" <= char <= "Z":
        return 0x1D434 + ord(char) - ord("A")
    if char == "h":
        return 0x210E
    if "a" <= char <= "z":
        return 0x1D44E + ord(char) - ord("a")
    if "\u03b1" <= char <= "\u03c9":
        return 0x1D6FC + ord(char) - 0x3B1
    return None


def script_text(chars: str, superscript: bool) -> str | None:
    """`(1)` as `⁽¹⁾` when every character has a Unicode script form, else None."""
    table = SUPERSCRIPTS if superscript else SUBSCRIPTS
    if not chars or any(c not in table for c in chars):
        return None
    return "".join(chr(table[c]) for c in chars)
