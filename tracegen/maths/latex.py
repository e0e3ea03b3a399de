"""Maths trees as LaTeX: what Markdown documents print between `$…$` and `$$…$$`.

The LaTeX is the common subset that GitHub, Jupyter (MathJax), KaTeX and pandoc all read:
no packages beyond amsmath. Matrices are `array`s between stretched brackets, so their
columns are right-aligned (on the decimal point, as every entry of a computed matrix has
the same number of decimals); a wrapped equation is an `aligned` block.
"""

from __future__ import annotations

import re

from tracegen.layout import SCREEN_FONT_PT
from tracegen.maths.tree import (
    Accent,
    BigOp,
    Blank,
    Fence,
    Frac,
    Func,
    Ident,
    Lines,
    Matrix,
    Node,
    Num,
    Op,
    Row,
    Script,
    Space,
    Text,
    tall,
)

COMMANDS = {"δ": r"\delta", "η": r"\eta", "σ": r"\sigma", "α": r"\alpha", "ℓ": r"\ell", "∂": r"\partial",
            "−": "-", "⊙": r"\odot", "←": r"\leftarrow", "≥": r"\ge", "≤": r"\le", "≈": r"\approx", "·": r"\cdot",
            "→": r"\to", "′": r"\prime", "∑": r"\sum", "×": r"\times", "{": r"\{", "}": r"\}"}
FUNCTIONS = {"log", "max", "min", "exp", "tanh"}  # LaTeX has \log, \max, …; others are \operatorname{…}
TEXT_SPECIAL = {"\\": r"\backslash ", "{": r"\{", "}": r"\}", "$": r"\$", "&": r"\&", "%": r"\%", "#": r"\#",
                "_": r"\_", "^": r"\hat{}", "~": r"\sim "}
ANSWER = r"\color{teal}"


def latex(node: Node) -> str:
    """`node` as LaTeX."""
    if isinstance(node, Row):
        return _row(node)
    return _join(_parts(node))


def _row(node: Row) -> str:
    """Items written tight (`W^{(1)}x`), with spaces around relations and binary operators."""
    out, previous = "", None
    for item in node.items:
        part = latex(item)
        if out and (_spaced(item) or _spaced(previous) or _glued(out, part)):
            out += " "
        out += part
        previous = item
    return out


def _spaced(item: Node | None) -> bool:
    return isinstance(item, Space) or isinstance(item, Op) and item.kind in ("rel", "bin", "punct")


def _glued(before: str, after: str) -> bool:
    """Whether `after` would run into a command word that ends `before` (`\\partial L`)."""
    return bool(re.search(r"\\[A-Za-z]+$", before)) and bool(re.match(r"[A-Za-z0-9]", after))


def text(value: object) -> str:
    """Plain text made inert inside LaTeX maths (`\\text{…}`)."""
    return "".join(TEXT_SPECIAL.get(ch, ch) for ch in " ".join(str(value).split()))


def _join(parts: list[str]) -> str:
    """Parts separated by spaces (TeX ignores them in maths; they keep the source readable)."""
    return " ".join(p for p in parts if p)


def _char(char: str) -> str:
    return COMMANDS.get(char, char)


def _group(node: Node) -> str:
    return "{" + latex(node) + "}"


def _parts(node: Node) -> list[str]:  # noqa: PLR0911 - one case per node type
    if isinstance(node, Ident):
        word = "".join(_char(c) for c in node.text)
        if node.style == "bold":
            return [rf"\mathbf{{{word}}}"]
        upright = node.style == "upright" and (len(node.text) > 1 or node.text.isascii() and node.text.isalpha())
        return [rf"\mathrm{{{word}}}" if upright else word]  # ᵀ upright; ∂ and ′ are their commands
    if isinstance(node, Func):
        return ["\\" + node.name if node.name in FUNCTIONS else rf"\operatorname{{{node.name}}}"]
    if isinstance(node, Num):
        return [rf"{{{ANSWER}{node.text}}}" if node.answer else node.text]
    if isinstance(node, Op):
        return [_char(node.char)]
    if isinstance(node, Text):
        return [rf"\text{{{text(node.text)}}}"]
    if isinstance(node, Space):
        return [r"\quad" if node.em >= 1 else r"\;" if node.em >= 0.27 else r"\,"]
    if isinstance(node, Script):
        return [_script(node)]
    if isinstance(node, Accent):
        return [r"\hat" + _group(node.base)]
    if isinstance(node, Frac):
        return [r"\frac" + _group(node.num) + _group(node.den)]
    return _structure(node)


def _script(node: Script) -> str:
    base = latex(node.base)
    if isinstance(node.base, Script | Frac | Row):
        base = "{" + base + "}"
    sub = "_" + _group(node.sub) if node.sub is not None else ""
    sup = "^" + _group(node.sup) if node.sup is not None else ""
    return base + sub + sup


def _structure(node: Node) -> list[str]:
    if isinstance(node, Fence):
        if tall(node.body):
            return [r"\left" + (node.open or "."), latex(node.body), r"\right" + (node.close or ".")]
        return [_char(node.open) + latex(node.body) + _char(node.close)]
    if isinstance(node, BigOp):
        under = "_" + _group(node.under) if node.under is not None else ""
        over = "^" + _group(node.over) if node.over is not None else ""
        return [_char(node.char) + under + over]
    if isinstance(node, Blank):
        width, height = node.size(SCREEN_FONT_PT)
        return [rf"\boxed{{\rule{{0pt}}{{{height:.1f}em}}\hspace{{{width:.1f}em}}}}"]
    if isinstance(node, Matrix):
        return [_matrix(node)]
    if isinstance(node, Lines):
        return [_lines(node)]
    raise TypeError(f"not a maths node: {node!r}")


def _matrix(node: Matrix) -> str:
    """Right-aligned columns between brackets; a 1×1 matrix is its number."""
    cells = [[latex(cell) for cell in cells] for cells in node.rows]
    if node.shape == (1, 1):
        return cells[0][0]
    body = r" \\ ".join(" & ".join(cells_row) for cells_row in cells)
    return rf"\left[\begin{{array}}{{{'r' * node.shape[1]}}} {body} \end{{array}}\right]"


def _lines(node: Lines) -> str:
    if len(node.rows) == 1:
        left, right = node.rows[0]
        return _join([latex(left) if left is not None else "", latex(right)])
    body = r" \\ ".join(_join([latex(left) if left is not None else "", "&", latex(right)])
                        for left, right in node.rows)
    return rf"\begin{{aligned}} {body} \end{{aligned}}"
