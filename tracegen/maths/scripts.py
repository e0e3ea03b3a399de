"""Unicode super- and subscript characters: one table for every place that writes h₁⁽¹⁾ as text.

The PDF typesetter sets simple scripts as these characters of the shipped fonts (the font build
reads the same tables), the diagram measures its labels with them, and the grading pages print
blank names with them.
"""

from __future__ import annotations

SUPERSCRIPTS = {"0": 0x2070, "1": 0xB9, "2": 0xB2, "3": 0xB3, **{str(d): 0x2070 + d for d in range(4, 10)},
                "+": 0x207A, "\u2212": 0x207B, "=": 0x207C, "(": 0x207D, ")": 0x207E, "T": 0x1D40, "n": 0x207F,
                "i": 0x2071}
SUBSCRIPTS = {**{str(d): 0x2080 + d for d in range(10)}, "+": 0x208A, "\u2212": 0x208B, "=": 0x208C, "(": 0x208D,
              ")": 0x208E, "a": 0x2090, "e": 0x2091, "o": 0x2092, "x": 0x2093, "h": 0x2095, "k": 0x2096,
              "l": 0x2097, "m": 0x2098, "n": 0x2099, "p": 0x209A, "s": 0x209B, "t": 0x209C, "j": 0x2C7C,
              "i": 0x1D62}
SUPERSCRIPT = str.maketrans({char: chr(code) for char, code in SUPERSCRIPTS.items()})  # for str.translate
SUBSCRIPT = str.maketrans({char: chr(code) for char, code in SUBSCRIPTS.items()})
