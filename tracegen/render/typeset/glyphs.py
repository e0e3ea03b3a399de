"""What the shipped PDF fonts draw beyond plain text (scripts/subset_fonts.py builds these glyphs).

The PDF typesetter (`mathbox`) sets maths as glyph runs of the shipped faces: letters as
Unicode mathematical italics, simple scripts as Unicode super- and subscript characters.
The font-building script and the typesetter read these tables from here, so they agree.
"""

from __future__ import annotations

MATRIX_LINE_HEIGHT = 1.3  # em: one row of numbers in a matrix
HATS = {"y": "ŷ"}
SUPERSCRIPTS = {"0": 0x2070, "1": 0xB9, "2": 0xB2, "3": 0xB3, **{str(d): 0x2070 + d for d in range(4, 10)},
                "+": 0x207A, "\u2212": 0x207B, "=": 0x207C, "(": 0x207D, ")": 0x207E, "T": 0x1D40, "n": 0x207F,
                "i": 0x2071}
SUBSCRIPTS = {**{str(d): 0x2080 + d for d in range(10)}, "+": 0x208A, "\u2212": 0x208B, "=": 0x208C, "(": 0x208D,
              ")": 0x208E, "a": 0x2090, "e": 0x2091, "o": 0x2092, "x": 0x2093, "h": 0x2095, "k": 0x2096,
              "l": 0x2097, "m": 0x2098, "n": 0x2099, "p": 0x209A, "s": 0x209B, "t": 0x209C, "j": 0x2C7C,
              "i": 0x1D62}


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
