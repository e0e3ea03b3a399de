"""Maths typeset for the PDF: glyph runs and rectangles placed in em, from the shipped fonts.

WeasyPrint's cost is per box and per line it lays out (docs/BENCHMARKS.md), and the slides'
maths is many small ones. So the PDF does not ask WeasyPrint to lay out display equations:
it reserves one empty block per run of equations (and one per picture for its labels), and
`tracegen.render.pdf.finisher` draws there what this module places, in the same fonts, as real
PDF text. This is the PDF's writer of the maths tree (`tracegen.maths.tree`), placing each
node the way TeX would: boxes with a width, a height above and a depth below the baseline,
TeX's spaces between atoms (thin, medium, thick). `lines` decides where a long display
equation wraps, for every format, from these widths.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from functools import lru_cache
from typing import NamedTuple

from tracegen.fontmetrics import Letter, face, face_for, letters
from tracegen.layout import (
    BLOCK_PAD,
    CELL_MM,
    CELL_RULE_MM,
    COLUMN_GAP,
    EQUATION_GAP,
    MATRIX_LINE_HEIGHT,
    MEDIUM,
    POINT_MM,
    PRINT_FONT_PT,
    SCRIPT_LOWER,
    SCRIPT_RAISE,
    SCRIPT_SIZE,
    THICK,
    THIN,
    WIDE_COLUMNS,
    WIDE_SIZE,
)
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
from tracegen.render.typeset.glyphs import HATS, math_italic, script_text

AXIS = 0.25  # the maths axis (middle of the minus sign), em above the baseline
LINE_TOP, LINE_BOTTOM = 0.9925, -0.3075  # a MATRIX_LINE_HEIGHT line box about its baseline; bracket pieces span it
MATRIX_CENTRE = LINE_TOP - MATRIX_LINE_HEIGHT / 2  # so the middle row of an odd-rowed matrix sits on the baseline
BAR, FRACTION_GAP, FRACTION_SIDE, FRACTION_MARGIN = 0.06, 0.14, 0.22, 0.1  # bar, to it, past the parts, outside
# TeX's font parameters for placing scripts (Appendix G, rule 18), em of the text size: Computer Modern's
# maths symbols at 10 pt (cmsy10: x-height, sup1..3, sub1..2), its script size (cmsy7: the drops) and cmex10's rule.
X_HEIGHT, SUP1, SUP2, SUP3, SUB1, SUB2 = 0.430555, 0.412892, 0.362892, 0.288889, 0.15, 0.247217
SUP_DROP, SUB_DROP, RULE, SCRIPT_SPACE = 0.353171 * 0.7, 0.071428 * 0.7, 0.04, 0.05  # \scriptspace = 0.5 pt
DISPLAY, TEXT, CRAMPED, SCRIPTS = "display", "text", "cramped", "script"  # TeX's styles, as far as they differ here
DELIMITER_REACH, DELIMITER_SIDE = 0.08, 0.03  # how far a stretched delimiter reaches past what it encloses
MATRIX_SIDE = 0.15  # room beside a matrix, outside its brackets
BRACKET_STEM, BRACKET_TICK, BRACKET_ROOM = 0.07, 0.37, 0.39  # a drawn bracket: stem, tick length, its width
BRACKET_REACH = 0.04  # how far inside the rows' line boxes a bracket stops, top and bottom
BLANK_RULE, BLANK_GAP, BLANK_PAD = 0.045, 0.45, 0.2  # a blank's outline; room between rows of blanks, and beside
CELL_DOT, CELL_DOT_RAISE = 1.6, 0.12  # a paper-ready blank's printed decimal point: its size, above the cells' bottom
PAPER_ROW = 40.0  # em: the widest a matrix of paper-ready blanks is set in one row of blocks (A4's text is 47.5 em)
ANSWER_SIDE, ANSWER_PAD = 0.08, 0.06  # a highlighted scalar: room beside it, highlight beyond its ink
BIG_OP, LIMIT_GAP = 1.4, 0.1  # a large operator's size, and the gap to its limits
LINE_GAP = 0.25  # between the lines of an equation too wide for one
STACK_LIMIT = 20.0  # em: the tallest block of stacked equations (a page holds about 60 em of text)


class Run(NamedTuple):
    """Text in one face at (x, y) = left end of its baseline; `stretch` scales it vertically about y.

    `fill` is a colour role: "ink", or for pictures' labels "weight" and "muted" (diagram.Label).
    """

    x: float
    y: float
    face: str
    size: float
    text: str
    stretch: float = 1.0
    fill: str = "ink"


class Rect(NamedTuple):
    """A filled rectangle; `fill` is "ink" (rules) or "answer" (the key's highlight, drawn first)."""

    x: float
    y: float  # bottom edge
    width: float
    height: float
    fill: str


class Field(NamedTuple):
    """Where a blank can be typed in (a fillable PDF's text field): no ink, its box (`y` its bottom
    edge) and the blank's id. The PDF finisher makes a form field there when asked to. A paper-ready
    blank also has one Field per character cell, its `cell` "sign", "digit" or "point" (the writing
    area inside the cell's border), which the finisher records for the position map (`pdf.paper`)."""

    x: float
    y: float
    width: float
    height: float
    name: str
    cell: str = ""  # "" for the whole blank


class Line(NamedTuple):
    """A stroked polyline through `points` (em, y up), `width` em wide, in the colour role `stroke`, with SVG's
    default ends and joins (butt, mitred): a chart's axes, ticks and line, which differ between variants."""

    points: tuple[tuple[float, float], ...]
    width: float
    stroke: str


class Disc(NamedTuple):
    """A filled circle of `radius` em about (x, y): a chart's point."""

    x: float
    y: float
    radius: float
    fill: str


Shape = Run | Rect | Field | Line | Disc  # what a box draws (`flatten`)


class Box(NamedTuple):
    """Items with the box's width, height above and depth below its baseline (em); `Placed` boxes nest."""

    width: float
    height: float
    depth: float
    items: tuple[Shape | Placed, ...] = ()


class Placed(NamedTuple):
    """A box inside another, its baseline's left end at (x, y) there, scaled by `scale`."""

    x: float
    y: float
    box: Box
    scale: float = 1.0


def flatten(box: Box, x: float = 0.0, y: float = 0.0, scale: float = 1.0) -> list[Shape]:
    """Every run, rectangle, field, line and disc of `box`, with the box's baseline placed at (x, y).

    A list made in one pass (no generator per nested box, each shape made by its class, not `_replace`): the PDF
    finisher flattens every block a variant draws."""
    out: list[Shape] = []
    _flatten(box, x, y, scale, out)
    return out


def _flatten(box: Box, x: float, y: float, scale: float, out: list[Shape]) -> None:
    for item in box.items:
        if isinstance(item, Run):
            out.append(Run(x + item.x * scale, y + item.y * scale, item.face, item.size * scale, item.text,
                           item.stretch, item.fill))
        elif isinstance(item, Placed):
            _flatten(item.box, x + item.x * scale, y + item.y * scale, scale * item.scale, out)
        elif isinstance(item, Line):
            out.append(Line(tuple((x + px * scale, y + py * scale) for px, py in item.points), item.width * scale,
                            item.stroke))
        elif isinstance(item, Disc):
            out.append(Disc(x + item.x * scale, y + item.y * scale, item.radius * scale, item.fill))
        elif isinstance(item, Rect):
            out.append(Rect(x + item.x * scale, y + item.y * scale, item.width * scale, item.height * scale,
                            item.fill))
        else:
            out.append(item._replace(x=x + item.x * scale, y=y + item.y * scale, width=item.width * scale,
                                     height=item.height * scale))


@lru_cache(maxsize=8192)
def text(content: str, first: str = "regular", size: float = 1.0) -> Box:
    """`content` as runs, each character in the first face that has it (as the CSS font list)."""
    runs: list[Run] = []
    x, bottom, top = 0.0, 0.0, 0.0
    for char in content:
        name = face_for(char, first)
        font = face(name)
        low, high = font.extent(char)
        bottom, top = min(bottom, low * size), max(top, high * size)
        if runs and runs[-1].face == name:
            runs[-1] = runs[-1]._replace(text=runs[-1].text + char)
        else:
            runs.append(Run(x, 0.0, name, size, char))
        x += font.width(char) * size
    return Box(x, top, -bottom, tuple(runs))


def printable(content: str, first: str = "regular") -> bool:
    """Whether the shipped faces draw every character of `content` (else only the system's fonts can)."""
    return all(face(face_for(char, first)).has(char) for char in content if not char.isspace())


def prose(box: Box, fill: str, marker: str) -> Box:
    """`box` as prose: every run in the colour role `fill`, its face name ending in `marker` (the PDF draws
    it with fonts whose glyphs mean their letters: `pdf.fonts.PROSE`)."""
    return box._replace(items=tuple(item._replace(fill=fill, face=item.face + marker) if isinstance(item, Run) else
                                    item._replace(box=prose(item.box, fill, marker)) if isinstance(item, Placed)
                                    else item for item in box.items))


def wrapped(content: str, first: str, width: float, line: float) -> Box:
    """`content` right-aligned in lines of at most `width` em, broken at spaces (inside a word only when it
    is wider than a line), `line` em apart, the last line's bottom the box's: a running head, set bottom up."""
    rows: list[str] = []
    for word in content.split(" "):
        joined = f"{rows[-1]} {word}" if rows else word
        if rows and text(joined, first).width <= width:
            rows[-1] = joined
            continue
        while text(word, first).width > width and len(word) > 1:
            cut = max(k for k in range(1, len(word)) if k == 1 or text(word[:k], first).width <= width)
            rows.append(word[:cut])
            word = word[cut:]
        rows.append(word)
    boxes = [text(row, first) for row in rows]
    right = max(box.width for box in boxes)
    ascent = face(first).ascent
    items = tuple(Placed(right - box.width, -ascent - i * line, box) for i, box in enumerate(boxes))
    return Box(right, 0.0, line * len(boxes), items)


def paragraph(words: Sequence[Box], width: float, line: float, size: float = 0.9) -> Box:
    """`words` set left-aligned in lines of at most `width` em (a word wider than that on a line of its own),
    a space of the regular face at `size` between them, baselines `line` em apart unless a word is taller
    (half the leading above and below each line, as CSS does): a block, its top edge its baseline."""
    space = text(" ", "regular", size).width
    font = face("regular")
    ascent, descent = font.ascent * size, -font.descent * size
    half = (line - ascent - descent) / 2
    rows: list[list[Box]] = []
    used = 0.0
    for word in words:
        if rows and used + space + word.width <= width:
            rows[-1].append(word)
            used += space + word.width
        else:
            rows.append([word])
            used = word.width
    items: list[Placed] = []
    y = 0.0
    for row_ in rows:
        placed, x = [], 0.0
        for word in row_:
            placed.append(Placed(x, 0.0, word))
            x += word.width + space
        row_box = Box(x - space, max(w.height for w in row_), max(w.depth for w in row_), tuple(placed))
        y -= max(half + ascent, row_box.height + half / 2)
        items.append(Placed(0.0, y, row_box))
        y -= max(half + descent, row_box.depth + half / 2)
    return Box(width, 0.0, -y, tuple(items))


def hlist(boxes: Sequence[Box]) -> Box:
    """Boxes side by side on one baseline."""
    items, x = [], 0.0
    for box in boxes:
        items.append(Placed(x, 0.0, box))
        x += box.width
    return Box(x, max((b.height for b in boxes), default=0.0), max((b.depth for b in boxes), default=0.0),
               tuple(items))


def shifted(box: Box, dx: float = 0.0, dy: float = 0.0, width: float | None = None, fill: str | None = None,
            pad: float = 0.0) -> Box:
    """`box` moved by (dx, dy) inside a box of `width`; `fill` paints behind it, `pad` em around it."""
    height, depth = box.height + dy, box.depth - dy
    items: tuple[Run | Rect | Placed, ...] = (Placed(dx, dy, box),)
    if fill:
        items = (Rect(dx - pad, -depth - pad, box.width + 2 * pad, height + depth + 2 * pad, fill), *items)
    return Box(box.width + 2 * dx if width is None else width, height, depth, items)


def fraction(top: Box, bottom: Box) -> Box:
    """Numerator over denominator, the bar on the axis, both centred on the bar."""
    inner = max(top.width, bottom.width) + 2 * FRACTION_SIDE
    up = AXIS + BAR / 2 + FRACTION_GAP + top.depth
    down = AXIS - BAR / 2 - FRACTION_GAP - bottom.height
    items = (Rect(FRACTION_MARGIN, AXIS - BAR / 2, inner, BAR, "ink"),
             Placed((inner - top.width) / 2 + FRACTION_MARGIN, up, top),
             Placed((inner - bottom.width) / 2 + FRACTION_MARGIN, down, bottom))
    return Box(inner + 2 * FRACTION_MARGIN, up + top.height, bottom.depth - down, items)


def delimited(left: str, content: Box, right: str) -> Box:
    """`content` between delimiters stretched about the axis to cover it (\\left( … \\right))."""
    half = max(content.height - AXIS, content.depth + AXIS, 0.5) + DELIMITER_REACH  # 0.5: a normal-sized one
    parts = []
    for char in (left, right):
        if not char:
            parts.append(Box(0.0, 0.0, 0.0))
            continue
        glyph = text(char)
        span = glyph.height + glyph.depth
        stretch = max(1.0, 2 * half / span) if span else 1.0
        y = AXIS - ((glyph.height - glyph.depth) / 2) * stretch
        runs = tuple(r._replace(y=y, stretch=stretch) for r in glyph.items if isinstance(r, Run))  # a glyph: runs only
        parts.append(Box(glyph.width + DELIMITER_SIDE, AXIS + half, half - AXIS, runs))
    return hlist([parts[0], content, parts[1]])




@lru_cache(maxsize=8192)
def box(node: Node, size: float = 1.0, style: str = DISPLAY) -> Box:  # noqa: PLR0911 - one case per node type
    """`node` typeset at `size` (em of the text around it) in TeX's `style` (display, text or cramped)."""
    if isinstance(node, Row):
        return row(node.items, size, style)
    if isinstance(node, Ident):
        return _ident(node, size)
    if isinstance(node, Func | Op | Text):
        return text(node.name if isinstance(node, Func) else node.char if isinstance(node, Op) else node.text,
                    "regular", size)
    if isinstance(node, Num):
        number = text(node.text.replace("-", MINUS), "regular", size)
        return shifted(number, dx=ANSWER_SIDE, fill="answer", pad=ANSWER_PAD) if node.answer else number
    if isinstance(node, Space):
        return Box(node.em * size, 0.0, 0.0)
    if isinstance(node, Script):
        return _script(node, size, style)
    if isinstance(node, Accent):
        letter = node.base.text if isinstance(node.base, Ident) else ""
        glyph = text(HATS.get(letter, letter + "\u0302"), "italic", size)  # ŷ: placed as its letter y
        return _placed(glyph, letters().get(chr(math_italic(letter) or 0x20)) if len(letter) == 1 else None, size)
    if isinstance(node, Frac):
        return fraction(box(node.num, size, CRAMPED if style == CRAMPED else TEXT), box(node.den, size, CRAMPED))
    if isinstance(node, Fence):
        if tall(node.body):
            return delimited(node.open, box(node.body, size, style), node.close)
        return hlist([text(node.open, "regular", size), box(node.body, size, style),
                      text(node.close, "regular", size)])
    if isinstance(node, BigOp):
        return _limits(node, size)
    if isinstance(node, Blank):
        return _blank(node, size)
    if isinstance(node, Matrix):
        return matrix(node, size)
    return display(node, float("inf"))  # Lines


def _ident(node: Ident, size: float) -> Box:
    """A letter: bold ones as text; italic ones as maths letters, placed as TeX's maths italic places them
    (`metrics.letters`: the text italic's sidebearings would gape after "=" and crowd "+"), ∂ as \\partial."""
    if node.style == "bold":
        return text(node.text, "bold", size)
    italic = node.style == "italic"
    greek = any("\u03b1" <= c <= "\u03c9" for c in node.text)
    boxes = []
    for char in node.text:
        letter = chr(math_italic(char) or ord(char)) if italic else char
        glyph = text(letter, ("math" if greek else "italic") if italic else "regular", size)  # 𝛼 never reads as a
        boxes.append(_placed(glyph, letters().get(letter), size))
    return boxes[0] if len(boxes) == 1 else hlist(boxes)


def _placed(glyph: Box, how: Letter | None, size: float) -> Box:
    """A letter's glyph moved and given the advance TeX's maths italic font has for it (as is without one)."""
    if how is None:
        return glyph
    return Box(how.advance * size, glyph.height, glyph.depth, (Placed(how.move * size, 0.0, glyph),))


def _atom(node: Node) -> tuple[str, str]:
    """TeX's class of `node` on its left and on its right side (how it spaces against its neighbours)."""
    if isinstance(node, Op):
        kind = {"prefix": "ord", "open": "open", "close": "close"}.get(node.kind, node.kind)
        return (kind, kind) if node.kind != "prefix" else ("ord", "prefix")
    if isinstance(node, Func | BigOp):
        return "op", "op"
    if isinstance(node, Fence):
        return "open", "close"
    if isinstance(node, Row) and node.items:
        return _atom(node.items[0])[0], _atom(node.items[-1])[1]
    return "ord", "ord"


def _gap(left: str, right: str) -> float:
    """TeX's space between atoms of these classes (display and text style)."""
    if "prefix" in (left, right) or left == "open" or right in ("close", "punct"):
        return 0.0
    if "bin" in (left, right):
        return MEDIUM
    if "rel" in (left, right):
        return 0.0 if left == right else THICK
    if left == "punct" or "op" in (left, right) and not (left == "op" and right == "open"):
        return THIN
    return 0.0


def _classes(items: Sequence[Node]) -> list[tuple[str, str]]:
    """Each item's classes, a binary operator with nothing to bind on its left turned ordinary (TeX's rule)."""
    out: list[tuple[str, str]] = []
    for item in items:
        left, right = _atom(item)
        if left == "bin" and (not out or out[-1][1] in ("bin", "op", "rel", "open", "punct", "prefix")):
            left = right = "ord"
        out.append((left, right))
    return out


def row(items: Sequence[Node], size: float = 1.0, style: str = DISPLAY) -> Box:
    """Items side by side with TeX's spaces between them."""
    return hlist(list(_spaced(items, size, style)))


def _spaced(items: Sequence[Node], size: float, style: str) -> Iterator[Box]:
    """`row`'s boxes: each item's, with a space's before it where TeX sets one."""
    classes = _classes(items)
    for i, item in enumerate(items):
        if i and isinstance(item, Space) is False:
            gap = _gap(classes[i - 1][1], classes[i][0])
            if style == SCRIPTS and "op" not in (classes[i - 1][1], classes[i][0]):
                gap = 0.0  # TeX sets no thin, medium or thick space in scripts but an operator's
            if gap:
                yield Box(gap * size, 0.0, 0.0)
        yield box(item, size, style)


def _plain(node: Node | None) -> str | None:
    """A script's characters, when it is only numbers, operators, parentheses and the transpose's T.

    Index letters (ℓ_s, y_j) are left to real scripts, so they are italic like the text's "sample s".
    """
    if isinstance(node, Num) or isinstance(node, Ident) and node.text == "T":
        return node.text.replace("-", MINUS)
    if isinstance(node, Op):
        return node.char
    if isinstance(node, Fence):
        inner = _plain(node.body)
        return None if inner is None else node.open + inner + node.close
    if isinstance(node, Row):
        parts = [_plain(item) for item in node.items]
        return None if None in parts else "".join(parts)  # type: ignore[arg-type]
    return None


def _italic_correction(node: Node, size: float) -> float:
    """TeX's italic correction of a maths letter (what a superscript after it clears), else 0."""
    if not isinstance(node, Ident) or node.style != "italic" or not node.text:
        return 0.0
    how = letters().get(chr(math_italic(node.text[-1]) or ord(node.text[-1])))
    return how.italic * size if how else 0.0


def _script_box(part: Node, size: float, superscript: bool) -> Box:
    """A script's own box on its baseline, at script size: the font's Unicode script glyphs where it has
    them (⁽¹⁾, ᵀ, ₂: search and copy keep their meaning), moved from the font's raise to the baseline."""
    chars = _plain(part)
    glyphs = script_text(chars, superscript) if chars else None
    if glyphs is None:
        return box(part, size * SCRIPT_SIZE, SCRIPTS)
    set_ = text(glyphs, "regular", size)
    dy = (-SCRIPT_RAISE if superscript else SCRIPT_LOWER) * size
    low, high = face("regular").extent(glyphs)  # the ink, which may end above (or start below) the baseline
    return Box(set_.width, high * size + dy, -(low * size + dy), (Placed(0.0, dy, set_),))


def _script(node: Script, size: float, style: str) -> Box:
    """The base with its scripts placed by TeX's rule 18 (Appendix G, `_shifts`): the superscript after the
    base's italic correction, the subscript under it, and \\scriptspace after both."""
    base = box(node.base, size, style)
    if node.sup == PRIME and node.sub is None:  # the prime glyph is a superscript already: f′
        return hlist([base, text("\u2032", "regular", size)])
    sup = _script_box(node.sup, size, True) if node.sup is not None else None
    sub = _script_box(node.sub, size, False) if node.sub is not None else None
    character = isinstance(node.base, Ident | Num) and len(getattr(node.base, "text", "")) == 1
    up, down = _shifts(base, sup, sub, character, size, style)
    italic = _italic_correction(node.base, size) if sup is not None else 0.0
    parts = [(part, x, y) for part, x, y in ((sup, base.width + italic, up), (sub, base.width, -down)) if part]
    items = (Placed(0.0, 0.0, base), *(Placed(x, y, part) for part, x, y in parts))
    return Box(max(base.width, *(x + part.width for part, x, _ in parts)) + SCRIPT_SPACE * size,
               max(base.height, *(part.height + y for part, _, y in parts)),
               max(base.depth, *(part.depth - y for part, _, y in parts)), items)


def _shifts(base: Box, sup: Box | None, sub: Box | None, character: bool, size: float, style: str
            ) -> tuple[float, float]:
    """How far TeX raises the superscript and lowers the subscript (rule 18): at least the font's minimum
    for the style, the superscript's bottom above a quarter of the x-height, and a superscript over a
    subscript at least 4 rule widths apart, the superscript's bottom at 4/5 of the x-height or higher."""
    up, down = (0.0, 0.0) if character else (base.height - SUP_DROP * size, base.depth + SUB_DROP * size)
    x_height = X_HEIGHT * size
    if sup is None:
        assert sub is not None
        return up, max(down, SUB1 * size, sub.height - 0.8 * x_height)
    up = max(up, {DISPLAY: SUP1, CRAMPED: SUP3}.get(style, SUP2) * size, sup.depth + x_height / 4)
    if sub is None:
        return up, down
    down = max(down, SUB2 * size)
    gap = (up - sup.depth) - (sub.height - down)
    if gap < 4 * RULE * size:
        down += 4 * RULE * size - gap
        lift = 0.8 * x_height - (up - sup.depth)
        if lift > 0:
            up, down = up + lift, down - lift
    return up, down


def _limits(node: BigOp, size: float) -> Box:
    """A large operator with its limits stacked under and over it, all centred (display style)."""
    symbol = text(node.char, "regular", size * BIG_OP)
    symbol = shifted(symbol, dy=AXIS * size - (symbol.height - symbol.depth) / 2)
    width = symbol.width
    parts = []
    for part, under in ((node.under, True), (node.over, False)):
        if part is not None:
            limit = box(part, size * SCRIPT_SIZE)
            gap = LIMIT_GAP * size
            parts.append((limit, -(symbol.depth + gap + limit.height) if under else symbol.height + gap + limit.depth))
            width = max(width, limit.width)
    items = [Placed(THIN * size + (width - symbol.width) / 2, 0.0, symbol)]
    items += [Placed(THIN * size + (width - limit.width) / 2, y, limit) for limit, y in parts]
    height = max([symbol.height, *(y + limit.height for limit, y in parts)])
    depth = max([symbol.depth, *(limit.depth - y for limit, y in parts)])
    return Box(width + 2 * THIN * size, height, depth, tuple(items))


def _blank(blank: Blank, size: float) -> Box:
    """A box outline to write in, sized for handwriting on the printed page, centred on the axis."""
    if blank.digits:
        return _cells(blank, size)
    width, height = (v * size for v in blank.size(PRINT_FONT_PT))
    rule = BLANK_RULE * size
    bottom = AXIS * size - height / 2
    sides = (Rect(0.0, bottom, rule, height, "ink"), Rect(width - rule, bottom, rule, height, "ink"),
             Rect(0.0, bottom, width, rule, "ink"), Rect(0.0, bottom + height - rule, width, rule, "ink"))
    field = (Field(0.0, bottom, width, height, blank.id),) if blank.id else ()
    return Box(width, bottom + height, -bottom, sides + field)


def _cells(blank: Blank, size: float) -> Box:
    """A paper-ready blank: a row of character cells (sign, integer digits, the printed point, decimals), each
    a light-grey frame around a writing area of CELL_MM x CELL_HEIGHT_MM, the row centred on the axis.

    Its size is physical (`Blank.size`): worksheets set it at `size` 1, and equations holding it are never
    set smaller. Neighbouring cells share a border; the point stands between two runs of cells. Each cell's
    writing area is a Field of its kind, and the whole row one more (the fillable form's field)."""
    em = PRINT_FONT_PT * 25.4 / 72  # mm per em
    width, height = blank.size(PRINT_FONT_PT)
    rule, cell, point = CELL_RULE_MM / em, CELL_MM / em, POINT_MM / em
    bottom = AXIS - height / 2
    items: list[Run | Rect | Field] = []
    x = 0.0
    kinds = blank.cells()
    runs = [kinds[:kinds.index("point")], kinds[kinds.index("point") + 1:]] if "point" in kinds else [kinds]
    for number, run in enumerate(runs):
        span = len(run) * (cell + rule) + rule
        items += [Rect(x, bottom, span, rule, "cell"), Rect(x, bottom + height - rule, span, rule, "cell")]
        for kind in run:
            items += [Rect(x, bottom, rule, height, "cell"), Field(x + rule, bottom + rule, cell, height - 2 * rule,
                                                                   blank.id, kind)]
            x += rule + cell
        items.append(Rect(x, bottom, rule, height, "cell"))
        x += rule
        if number + 1 < len(runs):  # the printed point, in a room of its own
            dot = text(".", "regular", CELL_DOT)
            items += [Run(x + (point - dot.width) / 2, bottom + rule + CELL_DOT_RAISE, "regular", CELL_DOT, "."),
                      Field(x, bottom + rule, point, height - 2 * rule, blank.id, "point")]
            x += point
    items.append(Field(0.0, bottom, width, height, blank.id))
    return Box(width * size, (bottom + height) * size, -bottom * size, tuple(
        item._replace(x=item.x * size, y=item.y * size, size=item.size * size) if isinstance(item, Run) else
        item._replace(x=item.x * size, y=item.y * size, width=item.width * size, height=item.height * size)
        for item in items))


def _paper(value: Matrix) -> bool:
    """Whether a matrix holds paper-ready blanks (character cells, never set smaller)."""
    return any(isinstance(c, Blank) and c.digits for cells in value.rows for c in cells)


def _column_blocks(value: Matrix, size: float) -> Box:
    """A matrix of paper-ready blanks too wide for a line (PAPER_ROW em), as blocks of its columns one below the
    other, each a matrix of its own under a muted "columns i–j": the cells keep their size, and every row
    still reads left to right (docs/paper.md)."""
    columns = value.shape[1]
    per = columns
    while per > 1 and _grid(_columns(value, 0, per), size).width > PAPER_ROW * size:
        per -= 1
    count = -(-columns // per)
    per = -(-columns // count)  # as even as can be: 6 as 3 + 3, 5 as 3 + 2
    parts = []
    for start in range(0, columns, per):
        stop = min(start + per, columns)
        label = text(f"columns {start + 1}\u2013{stop}", "italic", size * 0.8)
        label = label._replace(items=tuple(r._replace(fill="muted") for r in label.items if isinstance(r, Run)))
        block = _grid(_columns(value, start, stop), size)
        parts.append(Box(max(label.width, block.width), label.height + label.depth + LINE_GAP * size + block.height,
                         block.depth, (Placed(0.0, block.height + LINE_GAP * size + label.depth, label),
                                       Placed(0.0, 0.0, block))))
    width = max(part.width for part in parts)
    items, y = [], 0.0
    for i, part in enumerate(parts):
        y -= part.height + (EQUATION_GAP * size if i else 0.0)
        items.append(Placed(0.0, y, part))
        y -= part.depth
    middle = AXIS * size - y / 2  # the stack's middle on the maths axis
    return Box(width, middle, -y - middle, (Placed(0.0, middle, Box(width, 0.0, -y, tuple(items))),))


def _columns(value: Matrix, start: int, stop: int) -> Matrix:
    return Matrix(tuple(cells[start:stop] for cells in value.rows), value.answer)


def _cell(cell: Num | Blank, size: float) -> tuple[Box, float]:
    """A matrix entry and where its decimal point is (from its left edge; a blank's right edge)."""
    if isinstance(cell, Blank):
        blank = _blank(cell, size)
        return blank, blank.width
    whole = cell.text.replace("-", MINUS).partition(".")[0]
    return text(cell.text.replace("-", MINUS), size=size), text(whole, size=size).width


def _bracket(top: float, bottom: float, size: float, right: bool) -> Box:
    """[ or ] from `bottom` to `top` (em about the baseline): a stem and two ticks."""
    stem, tick = BRACKET_STEM * size, BRACKET_TICK * size
    x = BRACKET_ROOM * size - stem if right else 0.0
    tip = BRACKET_ROOM * size - tick if right else 0.0
    rects = (Rect(x, bottom, stem, top - bottom, "ink"), Rect(tip, top - stem, tick, stem, "ink"),
             Rect(tip, bottom, tick, stem, "ink"))
    return Box(BRACKET_ROOM * size, top, -bottom, rects)


@lru_cache(maxsize=2048)
def matrix(value: Matrix, size: float = 1.0) -> Box:
    """Entries in columns between drawn brackets, numbers aligned on their decimal points.

    Rows are a matrix line (MATRIX_LINE_HEIGHT) apart, or further when a row holds blanks to
    write in; the middle of the rows sits where an odd-rowed matrix's middle row is on the baseline.
    """
    if value.shape == (1, 1):
        return box(value.rows[0][0], size)
    if not _paper(value):
        return _grid(value, size * (WIDE_SIZE if value.shape[1] >= WIDE_COLUMNS else 1.0))
    whole = _grid(value, size)  # paper-ready blanks are never set smaller
    return whole if whole.width <= PAPER_ROW * size else _column_blocks(value, size)


def _grid(value: Matrix, size: float) -> Box:
    """The matrix's entries in rows and columns between brackets, at `size`."""
    cells = [[_cell(cell, size) for cell in cells] for cells in value.rows]
    columns = range(value.shape[1])
    lefts = [max(row_[j][1] for row_ in cells) for j in columns]
    rights = [max(row_[j][0].width - row_[j][1] for row_ in cells) for j in columns]
    starts = [sum(lefts[:j]) + sum(rights[:j]) + j * COLUMN_GAP * size for j in columns]
    gap = BLANK_GAP * size if any(isinstance(c, Blank) for r in value.rows for c in r) else 0.0
    lines = [(max(LINE_TOP * size, max(c.height for c, _ in r) + gap / 2),
              max(-LINE_BOTTOM * size, max(c.depth for c, _ in r) + gap / 2)) for r in cells]
    y = MATRIX_CENTRE * size + sum(top + depth for top, depth in lines) / 2
    top_edge, items = y, []
    room = (BRACKET_ROOM + (BLANK_PAD if gap else 0.0)) * size  # blanks keep clear of the brackets
    for (top, depth), row_ in zip(lines, cells, strict=True):
        y -= top
        items += [Placed(room + start + left - point, y, cell)
                  for start, left, (cell, point) in zip(starts, lefts, row_, strict=True)]
        y -= depth
    inner = sum(lefts) + sum(rights) + (value.shape[1] - 1) * COLUMN_GAP * size
    reach = BRACKET_REACH * size
    left, right = (_bracket(top_edge - reach, y + reach, size, side) for side in (False, True))
    items += [Placed(0.0, 0.0, left), Placed(2 * room + inner - right.width, 0.0, right)]
    body = Box(inner + 2 * room, top_edge, -y, tuple(items))
    fill = "answer" if value.answer and isinstance(value.rows[0][0], Num) else None
    return shifted(body, dx=MATRIX_SIDE, fill=fill)


def _width(items: Sequence[Node]) -> float:
    """`row(items).width`, added up as `hlist` does, without setting the row: line breaking asks it often."""
    x = 0.0
    for part in _spaced(items, 1.0, DISPLAY):
        x += part.width
    return x


def _chains(items: Sequence[Node]) -> list[list[Node]]:
    """The equations of a line, split where a list separator (", " then a quad) stands between them."""
    chains: list[list[Node]] = [[]]
    for i, item in enumerate(items):
        after = items[i - 1] if i else None
        if isinstance(item, Space) and item.em >= 1 and isinstance(after, Op) and after.kind == "punct":
            chains.append([])
            continue
        chains[-1].append(item)
    return chains


def _cut(items: Sequence[Node], kind: str) -> list[list[Node]]:
    """`items` cut before each top-level operator of `kind` (a relation or a binary operator)."""
    parts: list[list[Node]] = [[]]
    for item in items:
        if isinstance(item, Op) and item.kind == kind and parts[-1]:
            parts.append([])
        parts[-1].append(item)
    return parts


def _fill(parts: list[list[Node]], room: float, first: float) -> list[list[Node]]:
    """Greedy lines of `parts`: the first line has `first` em of room, every other `room`."""
    lines: list[list[Node]] = [[]]
    for part in parts:
        limit = first if len(lines) == 1 else room
        if lines[-1] and _width([*lines[-1], *part]) > limit:
            lines.append([])
        lines[-1].extend(part)
    return lines


def lines(items: tuple[Node, ...], measure: float) -> Lines:
    """A display equation in lines of at most `measure` em, aligned on its relations.

    One line when it fits. Otherwise each equation of the line (they are separated by
    ", " and a quad) gets its own rows: its left side, then its relations (=, ←) as many
    per line as fit, each continuation line starting with its relation under the first
    one's. A part still too wide breaks before its binary operators (+, −), never between
    a number and the matrix it multiplies. What is wider still is left to the writer
    (the PDF scales it down, HTML lets it scroll).
    """
    if _width(items) <= measure:
        return Lines(((None, Row(items)),))
    chains = [_cut(chain, "rel") for chain in _chains(items)]
    column = max(_width(chain[0]) for chain in chains if len(chain) > 1) if any(len(c) > 1 for c in chains) else 0.0
    rows: list[tuple[Node | None, Node]] = []
    for i, parts in enumerate(chains):
        left, relations = (parts[0], parts[1:]) if len(parts) > 1 else ([], parts)
        room = measure - column
        pieces = [piece for part in relations for piece in (_cut(part, "bin") if _width(part) > room else [part])]
        filled = _fill(pieces, room, room)
        for j, line in enumerate(filled):
            last = j + 1 == len(filled)
            ends = isinstance(line[-1], Op) and line[-1].kind == "punct"  # the list's comma is still there
            tail = [Op(",", "punct")] if i + 1 < len(chains) and last and not ends else []
            rows.append((Row(tuple(left)) if j == 0 and left else None, Row((*line, *tail))))
    return Lines(tuple(rows))


def display(node: Lines, measure: float) -> Box:
    """The rows of an equation as a block (its top edge is its baseline), right parts aligned on their left edge.

    A row wider than `measure` is scaled down to fit.
    """
    lefts = [box(left) if left is not None else None for left, _ in node.rows]
    column = max((b.width + THICK for b in lefts if b is not None), default=0.0)
    rows = []
    for left, (_, right_node) in zip(lefts, node.rows, strict=True):
        right = box(right_node)
        items = [Placed(column, 0.0, right)]
        if left is not None:
            items.append(Placed(column - THICK - left.width, 0.0, left))
        height = max(right.height, left.height if left else 0.0, LINE_TOP)
        depth = max(right.depth, left.depth if left else 0.0, -LINE_BOTTOM)
        line = Box(column + right.width, height, depth, tuple(items))
        scale = min(1.0, measure / line.width) if line.width else 1.0
        rows.append(Box(line.width * scale, height * scale, depth * scale, (Placed(0.0, 0.0, line, scale),)))
    width = max(r.width for r in rows)
    return stacked([r._replace(width=width) for r in rows], LINE_GAP)


@lru_cache(maxsize=4096)  # a batch typesets each variant's equations for measuring, then for rendering
def equation(items: tuple[Node, ...], measure: float) -> Box:
    """A display equation typeset in lines of at most `measure` em, as a block. Its lines are broken for
    THICK less: `lines` measures a continuation's room without the gap `display` sets after the left side,
    and a row wider than the measure would be set smaller (a paper-ready blank's cells never are)."""
    return display(lines(items, measure - THICK), measure)


def padded(box: Box, pad: float = BLOCK_PAD) -> Box:
    """`box` with `pad` em of room on every side, as a block: its top edge is its baseline."""
    return Box(box.width + 2 * pad, 0.0, box.height + box.depth + 2 * pad, (Placed(pad, -pad - box.height, box),))


def stacked(boxes: Sequence[Box], gap: float = EQUATION_GAP) -> Box:
    """Boxes one below the other, each centred, `gap` em apart: a block (its top edge is its baseline)."""
    width = max(box.width for box in boxes)
    items, y = [], 0.0
    for i, box in enumerate(boxes):
        y -= box.height + (gap if i else 0.0)
        items.append(Placed((width - box.width) / 2, y, box))
        y -= box.depth
    return Box(width, 0.0, -y, tuple(items))


def labels(placed: Sequence[tuple[float, float, float, str, Sequence[tuple[str, str]]]], width: float,
           height: float, px: float) -> Box:
    """A picture's labels as a block of its size: (x, y, size, fill, parts) in px, `px` per em.

    Each label is centred on x with its baseline at y, as SVG's text-anchor="middle"; its
    parts are runs of (text, style) (diagram.Label): italic ones set as maths letters and
    scripts as Unicode script glyphs, like the equations' (one glyph, one Unicode meaning per PDF font).
    """
    items: list[Placed] = []
    for x, y, size, fill, parts in placed:
        line = hlist([_label_run(content, style, size / px) for content, style in parts])
        runs = tuple(run._replace(fill=fill) for run in flatten(line) if isinstance(run, Run))  # text, no blanks
        items.append(Placed(x / px - line.width / 2, -y / px, Box(line.width, line.height, line.depth, runs)))
    return Box(width / px, 0.0, height / px, tuple(items))


def _label_run(content: str, style: str, size: float) -> Box:
    if style == "italic":
        return text("".join(chr(math_italic(c) or ord(c)) for c in content), "italic", size)
    if style in ("sub", "sup"):
        glyphs = script_text(content, style == "sup")
        if glyphs is None:  # no Unicode script form: smaller text, shifted
            return shifted(text(content, "regular", size * SCRIPT_SIZE),
                           dy=(SCRIPT_RAISE if style == "sup" else -SCRIPT_LOWER) * size)
        return text(glyphs, "regular", size)
    return text(content, "regular", size)
