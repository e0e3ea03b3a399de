"""The small LaTeX subset tracegen writes, typeset as HTML + CSS.

WeasyPrint renders no MathML and runs no JavaScript, and glyph-outline SVG is slow and
loses the text (docs/BENCHMARKS.md). So formulas become inline HTML: italic letters,
superscripts and stacked fractions; numbers stay real text that pypdf, search and screen
readers see. Letters are Unicode mathematical italics and simple scripts Unicode super- and
subscripts (𝑊⁽¹⁾, 𝑧₂), which the shipped fonts carry: plain text costs WeasyPrint far less
than an `<i>` or `<sup>` box per symbol. Only the LaTeX that `tracegen.formulas` and
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
ITALIC = {"delta", "eta", "sigma", "alpha"}
FUNCTIONS = {"log", "max", "tanh", "exp", "min"}
OPERATORS = {"=": "=", "+": "+", "-": "\u2212", "<": "&lt;", ">": "&gt;", "leftarrow": "←", "odot": "⊙",
             "cdot": "·", "approx": "≈", "ge": "≥", "le": "≤"}
SPACE = "\u2005"  # a four-per-em space each side of = + − ⊙ (TeX's medium/thick math spaces), as text: no extra box
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


def _unicode_script(tokens: list[str], table: dict[str, int]) -> str | None:
    """`(1)` -> `⁽¹⁾` when every character has a Unicode form in `table`, else None."""
    chars = "".join(t for t in tokens if not t.isspace()).replace("-", "\u2212")
    if not chars or any(c not in table for c in chars):
        return None
    return "".join(chr(table[c]) for c in chars)


class Reader:
    """Walks the token stream; `group()` reads one braced group or one token."""

    def __init__(self, latex: str = "", tokens: list | None = None) -> None:
        self.tokens = TOKEN.findall(latex) if tokens is None else tokens  # spaces kept for \text{…}, skipped in maths
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
    """Typeset a LaTeX fragment as HTML."""
    return Markup("".join(_render(Reader(latex))))


def _sub(tokens: list[str]) -> str:
    reader = Reader(tokens=tokens)
    return "".join(_render(reader))


def _render(reader: Reader) -> Iterator[str]:
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
            yield char_text(token)


def script_groups(reader: Reader, first: str) -> dict[str, list[str]]:
    """The tokens of `^{..}` and/or `_{..}` (both when one follows the other), keyed by "^" and "_"."""
    groups = {first: reader.group()}
    while reader.peek() is not None and reader.peek().isspace():
        reader.next()
    if reader.peek() in ("^", "_") and reader.peek() != first:
        second = reader.next()
        groups[second] = reader.group()
    return groups


def unicode_scripts(groups: dict[str, list[str]]) -> str | None:
    """The scripts as Unicode super/subscript characters (subscript first), or None if one has none."""
    plain = {key: _unicode_script(tokens, SUPERSCRIPTS if key == "^" else SUBSCRIPTS) for key, tokens in groups.items()}
    return "".join(plain[key] for key in ("_", "^") if key in plain) if all(plain.values()) else None


def _scripts(reader: Reader, first: str) -> Iterator[str]:
    """`^{..}` and `_{..}`: Unicode scripts when they exist, else boxes; both together stack, as TeX sets them."""
    groups = script_groups(reader, first)
    plain = unicode_scripts(groups)
    if plain is not None:
        yield plain
        return
    parts = {key: _sub(tokens) for key, tokens in groups.items()}
    if len(parts) == 2:
        yield f'<span class="ss"><span class="sup">{parts["^"]}</span><span class="sub">{parts["_"]}</span></span>'
    elif "^" in parts:
        yield f"<sup>{parts['^']}</sup>"
    else:
        yield f"<sub>{parts['_']}</sub>"


def _command(reader: Reader, name: str) -> str:
    if name == "frac":
        top, bottom = _sub(reader.group()), _sub(reader.group())
        return f'<span class="frac"><span class="fn">{top}</span>{bottom}</span>'  # two boxes, not three
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
    if name in FUNCTIONS:
        return f'<span class="up fn-name{"" if argument_follows(reader) else " spaced"}">{name}</span>'
    return command_text(name)


def argument_follows(reader: Reader) -> bool:
    """Whether a function name (log, max…) is followed by "(": TeX then sets no space after it."""
    ahead = reader.pos
    while ahead < len(reader.tokens) and str(reader.tokens[ahead]).isspace():
        ahead += 1
    return ahead < len(reader.tokens) and reader.tokens[ahead] == "("


def command_text(name: str) -> str:
    """A command that is just text: an operator with its spaces, a symbol, or itself shown as typed."""
    if name in OPERATORS:
        return f"{SPACE}{OPERATORS[name]}{SPACE}"
    if name in SYMBOLS:
        return _italic(SYMBOLS[name]) if name in ITALIC else SYMBOLS[name]
    return str(escape("\\" + name))


def _italic(char: str) -> str:
    code = math_italic(char)
    return chr(code) if code is not None else f"<i>{char}</i>"


def char_text(token: str) -> str:
    if token in OPERATORS:
        return f"{SPACE}{OPERATORS[token]}{SPACE}"
    if token.isalpha() and token.isascii():
        return _italic(token)
    if token == ",":
        return ",\u2006"
    return str(escape(token))
