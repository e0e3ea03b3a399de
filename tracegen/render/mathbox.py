"""Display equations typeset for the PDF: glyph runs and rectangles placed in em, from the shipped fonts.

WeasyPrint's cost is per box and per line it lays out (docs/BENCHMARKS.md), and the slides'
maths is many small ones. So the PDF does not ask WeasyPrint to lay out display equations:
it reserves one empty block per run of equations (and one per picture for its labels), and
`tracegen.render.pdfmath` draws there what this module places, in the same fonts, as real
PDF text. Sizes and spacing follow the HTML's CSS maths, so both formats look alike. The
notation is the one `mathhtml` writes for HTML (same tokens, symbols and Unicode scripts);
only the placing happens here, the way TeX places a formula: boxes with a width, a height
above and a depth below the baseline.
"""

from __future__ import annotations

import html
from collections.abc import Iterator, Sequence
from functools import lru_cache
from typing import NamedTuple

from tracegen.docmodel import Mat, Piece
from tracegen.numbers import MINUS, format_number
from tracegen.render import mathhtml as notation
from tracegen.render.filters import BLANK, BRACKETS, MATRIX_LINE_HEIGHT, WIDE, negative_scalar_after_matrix
from tracegen.render.fontmetrics import face, face_for

AXIS = 0.25  # the maths axis (middle of the minus sign), em above the baseline
LINE_TOP, LINE_BOTTOM = 0.9925, -0.3075  # a MATRIX_LINE_HEIGHT line box about its baseline; bracket pieces span it
MATRIX_CENTRE = LINE_TOP - MATRIX_LINE_HEIGHT / 2  # so the middle row of an odd-rowed matrix sits on the baseline
SCRIPT, RAISE, LOWER = 0.7, 0.36, -0.16  # as the Unicode script glyphs of the shipped font (scripts/subset_fonts.py)
BAR, FRACTION_GAP, FRACTION_SIDE, FRACTION_MARGIN = 0.06, 0.14, 0.22, 0.1  # bar, to it, past the parts, outside
SCRIPT_KERN = 0.05  # before a superscript or subscript box
DELIMITER_REACH, DELIMITER_SIDE = 0.08, 0.03  # how far a stretched delimiter reaches past what it encloses
COLUMN_GAP, MATRIX_SIDE, WIDE_SIZE = 1.0, 0.15, 0.82
ANSWER_SIDE, ANSWER_PAD = 0.08, 0.06  # a highlighted scalar: room beside it, highlight beyond its ink
FUNCTION_SPACE = 0.12  # before log, max, … and after them unless "(" follows (TeX's thin spaces)
LINE_GAP = 0.25  # between the lines of an equation too wide for one
BLOCK_PAD = 0.12  # em of room around a block of equations, inside its placeholder (for overhanging ink)
EQUATION_GAP = 0.55 + 2 * BLOCK_PAD  # between stacked equations: as when each was its own .eq block
STACK_LIMIT = 20.0  # em: the tallest block of stacked equations (a page holds about 60 em of text)
BREAK = "\x00"  # between pieces: where a long equation may wrap (as the HTML's zero-width spaces)


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


class Box(NamedTuple):
    """Items with the box's width, height above and depth below its baseline (em); `Placed` boxes nest."""

    width: float
    height: float
    depth: float
    items: tuple[Run | Rect | Placed, ...] = ()


class Placed(NamedTuple):
    """A box inside another, its baseline's left end at (x, y) there, scaled by `scale`."""

    x: float
    y: float
    box: Box
    scale: float = 1.0


class Delimiter(NamedTuple):
    """`\\left(` or `\\right)` while an equation is read: sized once what they enclose is set."""

    side: str  # "left" or "right"
    char: str  # "" for an invisible `.`


def flatten(box: Box, x: float = 0.0, y: float = 0.0, scale: float = 1.0) -> Iterator[Run | Rect]:
    """Every run and rectangle of `box`, with the box's baseline placed at (x, y)."""
    for item in box.items:
        if isinstance(item, Placed):
            yield from flatten(item.box, x + item.x * scale, y + item.y * scale, scale * item.scale)
        elif isinstance(item, Run):
            yield item._replace(x=x + item.x * scale, y=y + item.y * scale, size=item.size * scale)
        else:
            yield Rect(x + item.x * scale, y + item.y * scale, item.width * scale, item.height * scale, item.fill)


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


def scripts(sup: Box | None, sub: Box | None) -> Box:
    """Scripts set after what precedes them (their size already reduced), a superscript over a subscript."""
    parts = [(box, dy) for box, dy in ((sup, RAISE), (sub, LOWER)) if box is not None]
    items = tuple(Placed(SCRIPT_KERN, dy, box) for box, dy in parts)
    return Box(max(box.width for box, _ in parts) + SCRIPT_KERN, max(box.height + dy for box, dy in parts),
               max(box.depth - dy for box, dy in parts), items)


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
        runs = tuple(r._replace(y=y, stretch=stretch) for r in glyph.items)
        parts.append(Box(glyph.width + DELIMITER_SIDE, AXIS + half, half - AXIS, runs))
    return hlist([parts[0], content, parts[1]])


@lru_cache(maxsize=2048)
def matrix(value: Mat, decimals: int) -> Box:
    """A Mat: numbers right-aligned in columns between bracket pieces (one pair per row, as in HTML)."""
    places = None if value.exact else decimals
    size = WIDE_SIZE if value.ncols >= WIDE else 1.0
    cells = [[BLANK if v is None else format_number(v, places, MINUS) for v in row] for row in value.rows]
    fill = "answer" if value.answer and value.rows[0][0] is not None else None
    if value.scalar:
        return shifted(text(cells[0][0]), dx=ANSWER_SIDE if fill else 0.0, fill=fill, pad=ANSWER_PAD)
    boxes = [[text(cell, size=size) for cell in row] for row in cells]
    widths = [max(row[j].width for row in boxes) for j in range(value.ncols)]
    starts = [sum(widths[:j]) + j * COLUMN_GAP * size for j in range(value.ncols)]
    rows = value.nrows
    if rows == 1:
        baselines, pieces = [0.0], [("[", "]")]
    else:
        top = MATRIX_CENTRE + rows * MATRIX_LINE_HEIGHT * size / 2
        baselines = [top - (LINE_TOP + i * MATRIX_LINE_HEIGHT) * size for i in range(rows)]
        pieces = [BRACKETS["top"], *[BRACKETS["middle"]] * (rows - 2), BRACKETS["bottom"]]
    bracket = text(pieces[0][0], size=size).width
    inner = sum(widths) + (value.ncols - 1) * COLUMN_GAP * size
    items: list[Placed] = []
    for baseline, (left, right), row in zip(baselines, pieces, boxes, strict=True):
        items.append(Placed(0.0, baseline, text(left, size=size)))
        for start, width, cell in zip(starts, widths, row, strict=True):
            items.append(Placed(bracket + start + width - cell.width, baseline, cell))
        items.append(Placed(bracket + inner, baseline, text(right, size=size)))
    height, depth = baselines[0] + LINE_TOP * size, -(baselines[-1] + LINE_BOTTOM * size)
    box = Box(inner + 2 * bracket, height, depth, tuple(items))
    return shifted(box, dx=MATRIX_SIDE, fill=fill)


def _tokens(pieces: Sequence[Piece]) -> list[str | Mat]:
    out: list[str | Mat] = []
    for piece, wrap in negative_scalar_after_matrix(pieces):
        if out:
            out.append(BREAK)
        if isinstance(piece, Mat):
            out.extend(["(", piece, ")"] if wrap else [piece])
        else:
            out.extend(notation.TOKEN.findall(piece))
    return out


def _atoms(reader: notation.Reader, decimals: int, first: str = "regular", size: float = 1.0) -> Iterator[object]:
    """Boxes, BREAKs and Delimiters, in order."""
    while reader.peek() is not None:
        token = reader.next()
        if isinstance(token, Mat):
            yield matrix(token, decimals)
        elif token == BREAK:
            yield BREAK
        elif token.isspace():
            continue
        elif token in ("^", "_"):
            yield _scripts(reader, token, decimals, first, size)
        elif token == "{":
            reader.pos -= 1
            yield _group(reader.group(), decimals, first, size)
        elif token.startswith("\\"):
            yield from _command(reader, token[1:], decimals, first, size)
        else:
            yield text(_plain(notation.char_text(token)), first, size)


def _plain(markup: str) -> str:
    """mathhtml's text for a token, without its HTML (an <i> it may wrap a letter in, entities)."""
    return html.unescape(markup.replace("<i>", "").replace("</i>", ""))


def _group(tokens: list[str], decimals: int, first: str = "regular", size: float = 1.0) -> Box:
    reader = notation.Reader(tokens=tokens)
    return _line(list(_atoms(reader, decimals, first, size)))


def _scripts(reader: notation.Reader, first_token: str, decimals: int, face_name: str, size: float) -> Box:
    groups = notation.script_groups(reader, first_token)
    plain = notation.unicode_scripts(groups)
    if plain is not None:
        return text(plain, face_name, size)
    made = {key: _group(tokens, decimals, face_name, size * SCRIPT) for key, tokens in groups.items()}
    return scripts(made.get("^"), made.get("_"))


def _command(reader: notation.Reader, name: str, decimals: int, first: str, size: float) -> Iterator[object]:
    if name == "frac":
        top, bottom = reader.group(), reader.group()
        yield fraction(_group(top, decimals, first, size), _group(bottom, decimals, first, size))
    elif name in ("text", "operatorname", "mathrm"):
        yield text("".join(reader.group()), "regular", size)
    elif name == "mathbf":
        yield _group(reader.group(), decimals, "bold", size)
    elif name == "hat":
        letter = "".join(reader.group())
        yield text(notation.HATS.get(letter, letter + chr(0x302)), "italic", size)
    elif name in ("left", "right"):
        delimiter = reader.next() if reader.peek() is not None else ""
        yield Delimiter(name, "" if delimiter == "." else delimiter.lstrip("\\"))
    elif name in notation.FUNCTIONS:
        word = text(name, "regular", size)
        after = 0.0 if notation.argument_follows(reader) else FUNCTION_SPACE * size
        yield shifted(word, dx=FUNCTION_SPACE * size, width=word.width + FUNCTION_SPACE * size + after)
    else:
        yield text(_plain(notation.command_text(name)), first, size)


def _line(atoms: list[object]) -> Box:
    """Atoms without breaks as one box; \\left … \\right pairs become stretched delimiters."""
    stack: list[tuple[str, list[Box]]] = [("", [])]
    for atom in atoms:
        if atom == BREAK:
            continue
        if isinstance(atom, Delimiter):
            kind, delimiter = atom
            if kind == "left":
                stack.append((delimiter, []))
                continue
            if len(stack) > 1:
                left, content = stack.pop()
                stack[-1][1].append(delimited(left, hlist(content), delimiter))
                continue
            atom = text(delimiter)
        stack[-1][1].append(atom)
    while len(stack) > 1:  # an unmatched \left: its delimiter at normal size
        left, content = stack.pop()
        stack[-1][1].append(hlist([text(left), *content]))
    return hlist(stack[0][1])


def _segments(atoms: list[object]) -> list[Box]:
    """The unbreakable stretches of an equation: between BREAKs outside every \\left … \\right."""
    segments, current, depth = [], [], 0
    for atom in atoms:
        if atom == BREAK and depth == 0:
            segments.append(_line(current))
            current = []
            continue
        if isinstance(atom, Delimiter):
            depth += 1 if atom.side == "left" else -1
        current.append(atom)
    segments.append(_line(current))
    return segments


@lru_cache(maxsize=2048)
def equation(pieces: tuple[Piece, ...], decimals: int, measure: float) -> Box:
    """A display equation in lines of at most `measure` em, each centred; a piece wider than that is scaled down.

    Cached: a worksheet and its key share their formulas, and so do a batch's variants.
    """
    reader = notation.Reader(tokens=_tokens(pieces))
    segments = _segments(list(_atoms(reader, decimals)))
    lines: list[list[Box]] = [[]]
    width = 0.0
    for segment in segments:
        if lines[-1] and width + segment.width > measure:
            lines.append([])
            width = 0.0
        lines[-1].append(segment)
        width += segment.width
    placed = []
    for box in map(hlist, lines):
        scale = min(1.0, measure / box.width) if box.width else 1.0
        placed.append(Box(box.width * scale, max(box.height, LINE_TOP) * scale, max(box.depth, -LINE_BOTTOM) * scale,
                          (Placed(0.0, 0.0, box, scale),)))
    return stacked(placed, LINE_GAP)


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


def labels(placed: Sequence[tuple[float, float, float, str, str, bool, str]], width: float, height: float,
           px: float) -> Box:
    """A picture's labels as a block of its size: (x, y, size, fill, text, italic, sub) in px, `px` per em.

    Each label is centred on x with its baseline at y, as SVG's text-anchor="middle"; a
    subscript follows at 10 px, 4 px lower, as the HTML's SVG sets it.
    """
    items: list[Placed] = []
    for x, y, size, fill, content, italic, sub in placed:
        if italic:  # as maths letters, like the equations' (one glyph, one Unicode meaning per PDF font)
            content = "".join(chr(notation.math_italic(c) or ord(c)) for c in content)
        main = text(content, "italic" if italic else "regular", size / px)
        parts = [main, shifted(text(sub, size=10 / px), dy=-4 / px)] if sub else [main]
        line = hlist(parts)
        runs = tuple(run._replace(fill=fill) for run in flatten(line))
        items.append(Placed(x / px - line.width / 2, -y / px, Box(line.width, line.height, line.depth, runs)))
    return Box(width / px, 0.0, height / px, tuple(items))
