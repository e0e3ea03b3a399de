"""Maths trees as plain English, as a screen reader should say them.

The fourth writer of the maths tree (beside LaTeX, MathML and the PDF's boxes): what a tagged
PDF gives each formula as its alternative text and the HTML as each `<math>`'s accessible name
(docs/accessibility.md says why). "σ(z) = 1/(1 + e⁻ᶻ)" is "sigma of z equals 1 over 1 plus e to
the minus z". The words are the course's own: W⁽¹⁾ is "W superscript 1", h⁽¹⁾ᵀ "h superscript 1
transpose", z₂⁽¹⁾ "z superscript 1, subscript 2". Where what follows could be heard as part of a
fraction, a power or a matrix, an end marker says where it ends ("end fraction", "end matrix");
at the end of a side of an equation none is needed. A matrix is read row by row ("2 by 3 matrix;
row 1: 1, minus 1, 1; row 2: …"), a column or row vector as its entries. A blank is "blank 7",
the number it has in the worksheet's reading order (`blanks`), never its answer.
"""

from __future__ import annotations

from collections.abc import Mapping

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
)

LETTERS = {"α": "alpha", "β": "beta", "γ": "gamma", "δ": "delta", "ε": "epsilon", "η": "eta", "θ": "theta",
           "λ": "lambda", "μ": "mu", "π": "pi", "σ": "sigma", "τ": "tau", "φ": "phi", "ω": "omega", "ℓ": "ell",
           "∂": "partial", "Σ": "capital sigma", "Δ": "capital delta"}
OPERATORS = {"=": "equals", "≈": "is approximately", "←": "becomes", "→": "goes to", "<": "is less than",
             ">": "is greater than", "≤": "is less than or equal to", "≥": "is greater than or equal to",
             "+": "plus", "−": "minus", "-": "minus", "⊙": "element-wise times", "×": "times", "·": "times"}
SYMBOLS = {"⊙": "circled dot", "×": "times sign", "·": "dot"}
BIG = {"∑": "the sum", "∏": "the product"}
OPENING = {"(": "open paren", "[": "open bracket", "{": "open brace"}
CLOSING = {")": "close paren", "]": "close bracket", "}": "close brace"}
ENDS = ("end fraction", "end exponent", "end vector", "end matrix")
SHAPES = {"T": "transpose", "\u2032": "prime"}  # superscripts that are not powers
FUNCTION_LETTERS = frozenset("σf")  # single letters the formulas apply as functions: σ(z)


def speech(node: Node, blanks: Mapping[str, int] | None = None) -> str:
    """`node` in words; `blanks` numbers a worksheet's blanks by id (missing: "blank" alone)."""
    if isinstance(node, Op):
        return SYMBOLS.get(node.char, _operator(node))  # an operator named in a sentence: "where ⊙ is …"
    return _Speaker(blanks or {}).say(node, last=True)


class _Speaker:
    def __init__(self, blanks: Mapping[str, int]) -> None:
        self.blanks = blanks

    def say(self, node: Node, last: bool) -> str:  # noqa: PLR0911 - one case per node type
        """`node` in words; `last`: nothing follows it before a relation or the end (no end marker needed)."""
        if isinstance(node, Row):
            return self.row(node.items, last)
        if isinstance(node, Lines):
            return self.row(tuple(part for left, right in node.rows for part in (left, right) if part is not None),
                            last)
        if isinstance(node, Ident):
            return _ident(node)
        if isinstance(node, Func):
            return node.name
        if isinstance(node, Num):
            return _number(node.text)
        if isinstance(node, Op):
            return _operator(node)
        if isinstance(node, Text):
            return " ".join(node.text.split())
        if isinstance(node, Space):
            return ""
        if isinstance(node, Accent):
            return f"{self.say(node.base, True)} {'hat' if node.accent == '^' else node.accent}"
        return self.structure(node, last)

    def structure(self, node: Node, last: bool) -> str:
        if isinstance(node, Script):
            return self.script(node, last)
        if isinstance(node, Frac):
            return self.fraction(node, last)
        if isinstance(node, Fence):
            return self.fence(node)
        if isinstance(node, BigOp):
            return self.big(node)
        if isinstance(node, Blank):
            number = self.blanks.get(node.id)
            return "blank" if number is None else f"blank {number}"
        if isinstance(node, Matrix):
            return self.matrix(node, last)
        raise TypeError(f"not a maths node: {node!r}")

    def row(self, items: tuple[Node, ...], last: bool) -> str:
        """Items in order: "of" after a function applied to brackets, "times" between factors."""
        items = tuple(item for item in items if not isinstance(item, Space))
        out = ""
        for i, item in enumerate(items):
            following = items[i + 1] if i + 1 < len(items) else None
            ends = following is None and last or isinstance(following, Op) and following.kind == "rel"
            before = items[i - 1] if i else None
            if before is not None and _function(before) and isinstance(item, Fence) and item.open == "(":
                out += " of " + (self.say(item.body, ends) if _simple(item.body) else self.say(item, ends))
                continue
            words = self.say(item, ends)
            if not words:
                continue
            if not out:
                out = words
            elif isinstance(item, Op) and item.kind == "punct":
                out += words
            else:
                pause = "," if out.endswith(ENDS) else ""  # after "end matrix" a pause, so it is heard as one
                times = before is not None and _factor(before) and (_factor(item) or isinstance(item, BigOp))
                out += pause + (" times " if times else " ") + words
        return out

    def script(self, node: Script, last: bool) -> str:
        """W superscript 1; h superscript 1 transpose; z superscript 1, subscript 2; e to the minus z."""
        base = self.say(node.base, True)
        sub = f" subscript {self.indices(node.sub)}" if node.sub is not None else ""
        if node.sup is None:
            return base + ("," if sub and not _simple(node.base) else "") + sub
        named = _superscript(node.sup)
        if named is not None:
            return base + named + ("," + sub if sub else "")
        power = self.say(node.sup, True)
        end = ", end exponent" if not last and _compound(node.sup) else ""
        return f"{base}{sub} to the {power}{end}"

    def indices(self, sub: Node) -> str:
        """A subscript; its commas said ("1 comma 2": a pause would sound like the end of it)."""
        parts = sub.items if isinstance(sub, Row) else (sub,)
        return " ".join("comma" if isinstance(p, Op) and p.char == "," else self.say(p, True) for p in parts)

    def fraction(self, node: Frac, last: bool) -> str:
        """`1 over 2`; a compound numerator opens with "fraction," and a fraction that could run on ends."""
        opens = _compound(node.num)
        num, den = self.say(node.num, True), self.say(node.den, True)
        closes = not last and (opens or _compound(node.den)) or opens and _compound(node.den)
        return (f"fraction, {num}, over {den}" if opens else f"{num} over {den}") + (", end fraction" if closes else "")

    def fence(self, node: Fence) -> str:
        body = self.say(node.body, True)
        if not node.open and not node.close:
            return body
        if _simple(node.body) and node.open == "(":
            return body  # a bracketed number: 0.1 times minus 0.119
        return f"{OPENING.get(node.open, node.open)} {body} {CLOSING.get(node.close, node.close)}".strip()

    def big(self, node: BigOp) -> str:
        """∑ with its limits: "the sum over s equals 1 to 2 of"."""
        words = BIG.get(node.char, node.char)
        if node.under is not None:
            words += f" over {self.say(node.under, True)}"
        if node.over is not None:
            words += f" to {self.say(node.over, True)}"
        return words + " of"

    def matrix(self, node: Matrix, last: bool) -> str:
        """A 1×1 is its entry; a vector its entries; a matrix row by row ("2 by 3 matrix; row 1: …")."""
        rows, cols = node.shape
        if (rows, cols) == (1, 1):
            return self.say(node.rows[0][0], last)
        cells = [[self.say(cell, True) for cell in cells] for cells in node.rows]
        if cols == 1 or rows == 1:
            kind = "column vector" if cols == 1 else "row vector"
            words = f"{kind} " + ", ".join(cell for cells_ in cells for cell in cells_)
            return words + ("" if last else ", end vector")
        body = "; ".join(f"row {i}: " + ", ".join(cells_) for i, cells_ in enumerate(cells, start=1))
        return f"{rows} by {cols} matrix; {body}" + ("" if last else "; end matrix")


def _ident(node: Ident) -> str:
    if node.style == "bold":
        return f"bold {node.text}"
    if node.text in LETTERS:
        return LETTERS[node.text]
    return node.text


def _number(text: str) -> str:
    return "minus " + text[1:] if text.startswith(("-", "−")) else text


def _operator(node: Op) -> str:
    if node.kind == "punct":
        return node.char
    return OPERATORS.get(node.char, node.char)


def _superscript(sup: Node) -> str | None:
    """The words of a superscript that is not a power: a layer (1), a transpose T, a prime; else None."""
    parts = sup.items if isinstance(sup, Row) else (sup,)
    words = []
    for part in parts:
        if isinstance(part, Fence) and part.open == "(" and isinstance(part.body, Num | Ident):
            words.append(f"superscript {_number(part.body.text) if isinstance(part.body, Num) else part.body.text}")
        elif isinstance(part, Ident) and part.text in SHAPES:
            words.append(SHAPES[part.text])
        else:
            return None
    return "".join(" " + w for w in words)


def _function(node: Node) -> bool:
    """Whether `node`, followed by brackets, is applied to them: ReLU(z), σ(z), 1(z > 0), ReLU′(0)."""
    if isinstance(node, Script) and node.sub is None:
        return _function(node.base)
    if isinstance(node, Ident):
        return node.style == "bold" or node.text in FUNCTION_LETTERS
    return isinstance(node, Func)


def _factor(node: Node) -> bool:
    """Whether `node` multiplies its neighbour when written next to it (the words need "times")."""
    if isinstance(node, Ident):
        return node.text != "∂"
    if isinstance(node, Script):
        return not isinstance(node.base, Func)
    return isinstance(node, Num | Accent | Frac | Matrix | Blank | Fence)


def _simple(node: Node) -> bool:
    """One symbol or number, which needs no brackets said around it."""
    return isinstance(node, Ident | Num | Script | Accent | Blank | Matrix)


def _compound(node: Node) -> bool:
    """Whether `node` has an operator at its top level (1 + e⁻ᶻ, −z): its extent must be told."""
    items = node.items if isinstance(node, Row) else (node,)
    return any(isinstance(item, Op) or isinstance(item, Frac | BigOp) for item in items) and len(items) > 1
