"""Maths trees as MathML Core: what HTML documents print.

Browsers (Chromium 109+, Firefox, Safari) lay MathML out natively with the shipped OpenType
MATH font, and expose it to screen readers; search and copy see the real characters
(`W`, `=`, `0.881`). Only MathML Core is used: operators carry their spacing from the
browser's operator dictionary (a unary minus is marked `form="prefix"`), fences and
matrix brackets stretch, a wrapped equation is a two-column `mtable` aligned on its
relations. Text is escaped here; the result is markup-safe.
"""

from __future__ import annotations

from markupsafe import Markup, escape

from tracegen.layout import SCREEN_FONT_PT, THIN, WIDE_COLUMNS
from tracegen.maths.notation import PRIME
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
from tracegen.numbers import MINUS

THIN_SPACE = f'<mspace width="{THIN:.4f}em"></mspace>'
BOLD_DIGITS = {str(d): chr(0x1D7CE + d) for d in range(10)}  # 𝟎…𝟗: MathML Core has no bold mathvariant
FORMS = {"rel": "infix", "bin": "infix", "prefix": "prefix", "punct": "infix", "open": "prefix", "close": "postfix"}
# (a comma is infix in the operator dictionary: no space before it, a thin one after)
FENCE = '<mo lspace="0" rspace="0">{}</mo>'  # a bracket or parenthesis: stretchy, no operator space


def mathml(node: Node, display: bool = False, label: str | None = None) -> Markup:
    """`node` as a `<math>` element (`display` for a block of its own), named `label` for assistive
    technology (its spoken text, `tracegen.maths.speech`: docs/accessibility.md says why)."""
    mode = ' display="block"' if display else ""
    name = f' aria-label="{escape(label)}"' if label is not None else ""
    return Markup(f"<math{mode}{name}>{_write(node)}</math>")


def _write(node: Node) -> str:  # noqa: PLR0911 - one case per node type
    if isinstance(node, Row):
        return _row(node.items)
    if isinstance(node, Ident):
        return _ident(node)
    if isinstance(node, Func):
        return f"<mi>{escape(node.name)}</mi><mo>\u2061</mo>"
    if isinstance(node, Num):
        cls = ' class="ans"' if node.answer else ""
        return f"<mn{cls}>{escape(node.text.replace('-', MINUS))}</mn>"
    if isinstance(node, Op):
        return _op(node)
    if isinstance(node, Text):
        return f"<mtext>{escape(node.text)}</mtext>"
    if isinstance(node, Space):
        return f'<mspace width="{node.em:g}em"></mspace>'
    if isinstance(node, Script):
        return _script(node)
    if isinstance(node, Accent):
        return f'<mover accent="true">{_one(node.base)}<mo>{escape(node.accent)}</mo></mover>'
    if isinstance(node, Frac):
        return f"<mfrac>{_one(node.num)}{_one(node.den)}</mfrac>"
    return _structure(node)


def _structure(node: Node) -> str:
    if isinstance(node, Fence):
        grow = tall(node.body)
        return f"<mrow>{_fence(node.open, grow)}{_write(node.body)}{_fence(node.close, grow)}</mrow>"
    if isinstance(node, BigOp):
        under, over = (_one(part) if part is not None else "<mrow></mrow>" for part in (node.under, node.over))
        return f'<munderover><mo largeop="true" movablelimits="false">{node.char}</mo>{under}{over}</munderover>'
    if isinstance(node, Blank):
        width, height = node.size(SCREEN_FONT_PT)
        return (f'<mspace class="blank" width="{width:.1f}em" height="{height * 0.7:.1f}em" '
                f'depth="{height * 0.3:.1f}em"></mspace>')
    if isinstance(node, Matrix):
        return _matrix(node)
    if isinstance(node, Lines):
        return _lines(node)
    raise TypeError(f"not a maths node: {node!r}")


def _ident(node: Ident) -> str:
    text = escape(node.text)
    if node.style == "bold":
        return f"<mn>{''.join(BOLD_DIGITS.get(c, c) for c in node.text)}</mn>"
    if node.style == "upright" and len(node.text) == 1:
        return f'<mi mathvariant="normal">{text}</mi>'
    return f"<mi>{text}</mi>"


def _op(node: Op) -> str:
    spacing = ' lspace="0" rspace="0"' if node.kind == "prefix" else ""
    stretch = ' stretchy="false"' if node.kind in ("open", "close") else ""
    return f'<mo form="{FORMS[node.kind]}"{spacing}{stretch}>{escape(node.char.replace("-", MINUS))}</mo>'


def _fence(char: str, grow: bool) -> str:
    """A delimiter; it stretches only around something tall (Chromium widens even a small stretchy one)."""
    if not char:
        return ""
    return FENCE.format(escape(char)) if grow else f'<mo stretchy="false" lspace="0" rspace="0">{escape(char)}</mo>'



def _one(node: Node) -> str:
    """One element (scripts, fractions and accents take exactly one per argument)."""
    if isinstance(node, Row):
        return _row(node.items)
    written = _write(node)
    return written if isinstance(node, Ident | Num | Op | Text | Script | Frac | Accent) else f"<mrow>{written}</mrow>"


def _row(items: tuple[Node, ...]) -> str:
    """An mrow, with TeX's thin space before an operator name that follows a symbol, number or closed group:
    y log ŷ, (1 − y) log(1 − ŷ)."""
    out = []
    for i, item in enumerate(items):
        if isinstance(item, Func) and i and isinstance(items[i - 1], Ident | Num | Script | Accent | Fence | Frac):
            out.append(THIN_SPACE)
        out.append(_write(item))
        if isinstance(item, Func) and not (i + 1 < len(items) and isinstance(items[i + 1], Fence)):
            out.append(THIN_SPACE)
    return f"<mrow>{''.join(out)}</mrow>"


def _script(node: Script) -> str:
    base = _one(node.base)
    if node.sup == PRIME and node.sub is None:  # the prime glyph is raised already: as a script it reads as ´
        return f'<mrow>{base}<mo lspace="0" rspace="0">\u2032</mo></mrow>'
    if node.sup is not None and node.sub is not None:
        return f"<msubsup>{base}{_one(node.sub)}{_one(node.sup)}</msubsup>"
    if node.sup is not None:
        return f"<msup>{base}{_one(node.sup)}</msup>"
    return f"<msub>{base}{_one(node.sub)}</msub>" if node.sub is not None else base


def _shape(cell: Node) -> tuple[bool, int, bool, int]:
    """A number cell's (sign, digits before the point, point, digits after it); a blank has none."""
    if not isinstance(cell, Num):
        return False, 0, False, 0
    whole, point, fraction = cell.text.partition(".")
    return whole.startswith("-"), len(whole.lstrip("-")), bool(point), len(fraction)


def _phantom(text: str) -> str:
    """Invisible characters as wide as `text`: what pads a short number to its column's width."""
    return f"<mphantom><mn>{text}</mn></mphantom>" if text else ""


def _matrix(node: Matrix) -> str:
    """A table between stretched brackets. Each number is padded with invisible characters (the sign,
    digits, point it lacks) to its column's widest parts, so numbers align on their points in any browser."""
    if node.shape == (1, 1):
        return _write(node.rows[0][0])
    shapes = [[_shape(cell) for cell in cells] for cells in node.rows]
    widest = [tuple(max(s[j][k] for s in shapes) for k in range(4)) for j in range(node.shape[1])]
    rows = []
    for cells, row_shapes in zip(node.rows, shapes, strict=True):
        tds = []
        for cell, (sign, before, point, after), (signs, befores, points, afters) in zip(cells, row_shapes, widest,
                                                                                      strict=True):
            lead = (MINUS if signs and not sign else "") + "0" * (befores - before)
            tail = ("." if points and not point else "") + "0" * (afters - after)
            tds.append(f"<mtd>{_phantom(lead)}{_write(cell)}{_phantom(tail)}</mtd>")
        rows.append(f"<mtr>{''.join(tds)}</mtr>")
    columns = node.shape[1]
    wide = " wide" if columns >= WIDE_COLUMNS else " many" if columns >= 5 else ""  # set smaller (mathml.css)
    answer = ' class="ans"' if node.answer and isinstance(node.rows[0][0], Num) else ""
    return (f'<mrow{answer}>{FENCE.format("[")}<mtable class="mat{wide}">{"".join(rows)}</mtable>'
            f'{FENCE.format("]")}</mrow>')


def _lines(node: Lines) -> str:
    if len(node.rows) == 1:
        left, right = node.rows[0]
        return _row((left, right)) if left is not None else _write(right)
    rows = "".join(f'<mtr><mtd class="lhs">{_write(left) if left is not None else ""}</mtd>'
                   f'<mtd class="rhs">{_write(right)}</mtd></mtr>' for left, right in node.rows)
    return f'<mtable class="lines">{rows}</mtable>'
