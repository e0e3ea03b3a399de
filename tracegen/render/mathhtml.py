"""The small LaTeX subset tracegen writes, typeset as HTML + CSS.

WeasyPrint renders no MathML and runs no JavaScript, and glyph-outline SVG is slow and
loses the text (docs/BENCHMARKS.md). So formulas become inline HTML: italic letters,
`<sup>`/`<sub>`, stacked fractions and CSS-grid matrices; numbers stay real text that
pypdf, search and screen readers see. Only the LaTeX that `tracegen.formulas` and
`tracegen.symbols` produce needs to work here; anything else is escaped and shown as is.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from markupsafe import Markup, escape

TOKEN = re.compile(r"\\[A-Za-z]+|\\[,;:! ]|[{}^_]|\s+|.", re.DOTALL)
SYMBOLS = {
    "delta": "δ", "eta": "η", "sigma": "σ", "alpha": "α", "ell": "ℓ", "partial": "∂",
    "odot": "⊙", "leftarrow": "←", "cdot": "·", "approx": "≈", "sum": "∑", "ge": "≥", "le": "≤",
    "quad": "\u2003", ",": "\u2009", ";": "\u2005", ":": "\u2005", " ": " ", "!": "",
}
ITALIC = {"delta", "eta", "sigma", "alpha", "ell", "partial"}
FUNCTIONS = {"log", "max", "tanh", "exp", "min"}
OPERATORS = {"=": "=", "+": "+", "-": "\u2212", "<": "&lt;", ">": "&gt;", "leftarrow": "←", "odot": "⊙",
             "cdot": "·", "approx": "≈", "ge": "≥", "le": "≤"}
SPACE = "\u2005"  # a four-per-em space each side of = + − ⊙ (TeX's medium/thick math spaces), as text: no extra box
HATS = {"y": "ŷ"}


class _Reader:
    """Walks the token stream; `group()` reads one braced group or one token."""

    def __init__(self, latex: str) -> None:
        self.tokens = TOKEN.findall(latex)  # spaces are kept for \text{…} and skipped in maths
        self.pos = 0

    def peek(self) -> str | None:
        return self.tokens[self.pos] if self.pos < len(self.tokens) else None

    def next(self) -> str:
        token = self.tokens[self.pos]
        self.pos += 1
        return token

    def group(self) -> list[str]:
        while self.peek() is not None and self.peek().isspace():
            self.next()
        if self.peek() != "{":
            return [self.next()] if self.peek() is not None else []
        self.next()
        depth, out = 1, []
        while self.peek() is not None:
            token = self.next()
            depth += {"{": 1, "}": -1}.get(token, 0)
            if depth == 0:
                break
            out.append(token)
        return out


def latex_html(latex: str) -> Markup:
    """Typeset a LaTeX fragment as HTML (runs of italic letters share one `<i>`)."""
    return Markup("".join(_render(_Reader(latex))).replace("</i><i>", ""))


def _sub(tokens: list[str]) -> str:
    reader = _Reader("")
    reader.tokens = tokens
    return "".join(_render(reader))


def _render(reader: _Reader) -> Iterator[str]:
    while reader.peek() is not None:
        token = reader.next()
        if token.isspace():
            continue
        if token in ("^", "_"):
            yield from _scripts(reader, token)
        elif token == "{":
            reader.pos -= 1
            yield _sub(reader.group())
        elif token.startswith("\\"):
            yield _command(reader, token[1:])
        else:
            yield _char(token)


def _scripts(reader: _Reader, first: str) -> Iterator[str]:
    """`^{..}` and `_{..}`; both together stack, as TeX sets them."""
    parts = {first: _sub(reader.group())}
    while reader.peek() is not None and reader.peek().isspace():
        reader.next()
    if reader.peek() in ("^", "_") and reader.peek() != first:
        second = reader.next()
        parts[second] = _sub(reader.group())
    if len(parts) == 2:
        yield f'<span class="ss"><span class="sup">{parts["^"]}</span><span class="sub">{parts["_"]}</span></span>'
    elif "^" in parts:
        yield f"<sup>{parts['^']}</sup>"
    else:
        yield f"<sub>{parts['_']}</sub>"


def _command(reader: _Reader, name: str) -> str:
    if name == "frac":
        top, bottom = _sub(reader.group()), _sub(reader.group())
        return f'<span class="frac"><span class="fn">{top}</span><span class="fd">{bottom}</span></span>'
    if name in ("text", "operatorname", "mathrm"):
        return f'<span class="up">{escape("".join(reader.group()))}</span>'
    if name == "mathbf":
        return f'<b class="up">{_sub(reader.group())}</b>'
    if name == "hat":
        letter = "".join(reader.group())
        return f"<i>{HATS.get(letter, escape(letter) + chr(0x302))}</i>"
    if name in ("left", "right"):
        delimiter = reader.next() if reader.peek() is not None else ""
        return f'<span class="big">{escape(delimiter.lstrip(chr(92)))}</span>' if delimiter != "." else ""
    if name in OPERATORS:
        return f"{SPACE}{OPERATORS[name]}{SPACE}"
    if name in FUNCTIONS:
        return f'<span class="up fn-name">{name}</span>'
    if name in SYMBOLS:
        return f"<i>{SYMBOLS[name]}</i>" if name in ITALIC else SYMBOLS[name]
    return str(escape("\\" + name))


def _char(token: str) -> str:
    if token in OPERATORS:
        return f"{SPACE}{OPERATORS[token]}{SPACE}"
    if token.isalpha() and token.isascii():
        return f"<i>{token}</i>"
    if token == ",":
        return ",\u2006"
    return str(escape(token))
