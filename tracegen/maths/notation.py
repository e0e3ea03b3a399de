"""The slides' notation, as maths trees: the single source of how a quantity is written.

`symbol("dW2")` is ∂L/∂W⁽²⁾ as a tree; the trace's `symbol` column is its LaTeX
(`tracegen.maths.symbols`), documents write it in every format.
"""

from __future__ import annotations

import re
from functools import lru_cache

from tracegen.maths.tree import Accent, Fence, Frac, Ident, Node, Num, Row, Script

_NAME = re.compile(r"^(W|b|z|h|delta|dW|db)([1-9][0-9]*)$")
_LETTERS = {"W": "W", "b": "b", "z": "z", "h": "h", "delta": "δ"}
PARTIAL = Ident("∂", "upright")
L = Ident("L")
Y_HAT = Accent(Ident("y"))
TRANSPOSE = Ident("T", "upright")  # xᵀ: an upright T, as the slides and ISO 80000-2 write it
PRIME = Ident("\u2032", "upright")  # f′: a superscript in the tree; each writer sets the prime glyph itself
PLAIN: dict[str, Node] = {"x": Ident("x"), "y": Ident("y"), "y_hat": Y_HAT, "L": L, "sample_loss": Ident("ℓ")}


def layer_tag(layer: int | str) -> Fence:
    """The slides' layer superscript, (1)."""
    return Fence("(", Num(str(layer)) if isinstance(layer, int) else Ident(layer), ")")


def layered(letter: str, layer: int | str, transpose: bool = False) -> Script:
    """`W⁽ˡ⁾`, or `W⁽ˡ⁾ᵀ` transposed (as the slides write it)."""
    tag: Node = Row((layer_tag(layer), TRANSPOSE)) if transpose else layer_tag(layer)
    return Script(Ident(_LETTERS.get(letter, letter)), sup=tag)


def gradient(of: Node) -> Frac:
    """∂L/∂(of)."""
    return Frac(Row((PARTIAL, L)), Row((PARTIAL, of)))


@lru_cache(maxsize=1024)  # a document writes each quantity's symbol dozens of times
def symbol(name: str, transpose: bool = False) -> Node:
    """A trace quantity name as written on the slides: `z1` -> z⁽¹⁾, `dW2` -> ∂L/∂W⁽²⁾, `y_hat` -> ŷ."""
    if name in PLAIN:
        node = PLAIN[name]
        return Script(node, sup=TRANSPOSE) if transpose else node
    match = _NAME.match(name)
    if not match:
        raise KeyError(f"unknown quantity name {name!r}")
    kind, layer = match.group(1), int(match.group(2))
    if kind in ("dW", "db"):
        return gradient(layered(kind[1], layer))
    return layered(kind, layer, transpose)


def split(name: str) -> tuple[str, int | None]:
    """`dW2` -> ("dW", 2); `y_hat` -> ("y_hat", None)."""
    match = _NAME.match(name)
    return (match.group(1), int(match.group(2))) if match else (name, None)
