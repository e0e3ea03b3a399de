"""Quantity name -> LaTeX symbol: the trace's `symbol` column, written from the notation trees.

`tracegen.maths.notation` is the single source of notation; this is its LaTeX, cached.
"""

from __future__ import annotations

from functools import cache

from tracegen.maths.latex import latex
from tracegen.maths.notation import split
from tracegen.maths.notation import symbol as notation

__all__ = ["split", "symbol"]


@cache
def symbol(name: str) -> str:
    """LaTeX for a trace quantity name: `z1` -> `z^{(1)}`, `dW2` -> `\\frac{\\partial L}{\\partial W^{(2)}}`."""
    return latex(notation(name))
