"""Maths drawn into WeasyPrint's PDF where its empty placeholder blocks were laid out.

The PDF's HTML gives each run of display equations (and each picture's labels) one empty
inline-block of its size (typeset by `tracegen.render.typeset.boxes`), with an id (`tgm-7`) and a
background colour rgb(1, g, b) that numbers it. WeasyPrint lays out and paginates the
document as usual; a finisher (WeasyPrint's public hook, run before the PDF is written)
then reads every page's content stream (`pdfstream`: the PDF syntax, not pydyf's lists),
follows the graphics state (q/Q, cm, colour, path, marked content, form XObjects) and, where
a path is filled in a placeholder's colour, ends the path unpainted and draws the block
there instead: glyph runs in the shipped fonts, embedded as Type 0 fonts with a ToUnicode
map, so numbers stay text (copy, search, screen readers, pypdf) in reading order, and rules
and highlights as filled rectangles.

Nothing is dropped or doubled silently: each block is counted where it is drawn, and a block
drawn other than exactly once, a placeholder without a block, or one whose painted box is not
its block's shape is a RenderError naming the block and page. Every drawing is recorded in
`Overlay.drawn` (page and box, in points from the page's top-left), which the tests compare
with WeasyPrint's `Page.anchors` of the placeholder ids.

Tagged PDF (`pdf_tags`, PDF/UA): WeasyPrint paints backgrounds as artifacts, which screen
readers skip. So a formula's block is drawn just after the artifact that painted its
placeholder ends, in marked content of its own that `tagging.Structure` ties to the
placeholder's structure element, a Formula whose Alt is the formula's spoken text (carried
by the placeholder's `aria-label`, read back by `formulas`). A picture's labels are drawn
inside the artifact: the picture's own Alt says what it shows. Nothing is added to the
layout, so tagging costs about as little as WeasyPrint's own (docs/BENCHMARKS.md).

The fonts, and why every font program is replaced: `pdffonts`.
"""

from __future__ import annotations

import html
import math
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any, NamedTuple

from markupsafe import Markup, escape

from tracegen.errors import RenderError
from tracegen.fontmetrics import face
from tracegen.layout import HEAD_CLEAR_MM, HEAD_PAD_MM, HEAD_PT, PAPER_TOP_MM, PRINT_MARGINS_MM
from tracegen.render.pdf import paper
from tracegen.render.pdf.fonts import FONT_NAMES, base, embed
from tracegen.render.pdf.form import META, Blank, add_fields
from tracegen.render.pdf.layouts import DESCRIPTION
from tracegen.render.pdf.stream import (
    IDENTITY,
    Matrix,
    Operation,
    apply,
    inverse,
    multiply,
    operations,
    resolve,
    serialize,
)
from tracegen.render.pdf.tagging import Structure
from tracegen.render.typeset.boxes import Box, Disc, Field, Line, Rect, Run, flatten

COLOURS = {  # the roles of mathbox.Run/Rect fills: #1a1a1a, #fdf1b8, the pictures' #1b4f8a, #555, and cells' #999
    "ink": b"0.101961 0.101961 0.101961 rg", "answer": b"0.992157 0.945098 0.721569 rg",
    "weight": b"0.105882 0.309804 0.541176 rg", "muted": b"0.333333 0.333333 0.333333 rg",
    "who": b"0.266667 0.266667 0.266667 rg", "cell": b"0.6 0.6 0.6 rg",
    "note": b"0.419608 0.243137 0 rg", "notebar": b"0.850980 0.588235 0.168627 rg",  # .note's #6b3e00, #d9962b
    "paper": b"1 1 1 rg",  # a chart's label backdrops
}
_COLOURS = {role: fill.decode() for role, fill in COLOURS.items()}  # as text, for the drawings' operators
ANCHOR = "tgm-"  # placeholder ids: tgm-0, tgm-1, …
PT_PER_PX = 0.75  # PDF points per CSS pixel (WeasyPrint's zoom 1)
_PAINT = frozenset({b"f", b"F", b"f*", b"B", b"B*", b"b", b"b*"})
_PATH_END = _PAINT | {b"S", b"s", b"n"}
_MCID = re.compile(rb"/MCID\s+(\d+)")
_FORMULA = re.compile(rf'<a class="eqbox" id="{ANCHOR}(\d+)" aria-label="([^"]*)"')


def placeholder(index: int, block: Box, overlap: bool = False, lower: float | None = None,
                alt: str | None = None) -> Markup:
    """The empty inline-block that reserves `block`'s room in the layout; its id and colour carry `index`.

    A block is a Box whose top edge is its baseline (mathbox.padded, mathbox.labels). `overlap`
    pulls the placeholder back over the inline box before it: a picture its labels go on.
    `lower` sets inline maths in a line of text: its bottom that many em below the text's baseline.
    `alt` (maths, not a picture's labels) is the formula's spoken text: the placeholder is then an
    `<a>` without a link, whose structure element in a tagged PDF becomes the Formula (`tagging`).
    """
    green, blue = divmod(index, 256)
    back = f"margin-left:-{block.width:.4f}em;" if overlap else ""
    align = f"vertical-align:{-lower:.4f}em;" if lower is not None else ""  # -(-0.0): 0, never "--0"
    tag, label = ("a", f' aria-label="{escape(alt)}"') if alt is not None else ("span", "")
    return Markup(f'<{tag} class="eqbox" id="{ANCHOR}{index}"{label} style="width:{block.width:.4f}em;'
                  f'height:{block.depth:.4f}em;{back}{align}background-color:rgb(1,{green},{blue})"></{tag}>')


def formulas(markup: str) -> list[tuple[int, str]]:
    """(block, spoken text) of each formula placeholder in `markup` (the PDF's HTML), in document order."""
    return [(int(found[1]), html.unescape(found[2])) for found in _FORMULA.finditer(markup)]


def descriptions(markup: str) -> list[str]:
    """Each picture's description in `markup` (the PDF's HTML: its SVG's `<title>`), in document order."""
    return [html.unescape(found[2]) for found in DESCRIPTION.finditer(markup)]


class Head(NamedTuple):
    """The running head (whose copy it is), drawn by the finisher in every page's top-right margin as
    page furniture, as print.css's @top-right box would set it: right-aligned at the right margin, its
    last line's bottom HEAD_BOTTOM above the text, in HEAD_PT type. Its block number has no placeholder."""

    box: Box


HEAD_RIGHT_MM, HEAD_BOTTOM_MM = PRINT_MARGINS_MM[1], PRINT_MARGINS_MM[0] - HEAD_PAD_MM  # where print.css sets it


class Drawn(NamedTuple):
    """Where a block was drawn: page (0-based), and its box in points from the page's top-left corner."""

    page: int
    x: float
    y: float
    width: float
    height: float


@dataclass
class _State:
    ctm: Matrix = IDENTITY
    fill: tuple[float, ...] | None = None  # the non-stroking colour when set by `rg`


class _Graphics:
    """What a content stream has set up before an operation: CTM and fill colour (with q/Q), the path
    being built, and the marked-content sequences open (their MCID, or None)."""

    def __init__(self, ctm: Matrix) -> None:
        self.states = [_State(ctm)]
        self.path: list[tuple[float, float]] = []
        self.marks: list[int | None] = []

    @property
    def state(self) -> _State:
        return self.states[-1]

    def before(self, op: Operation) -> None:
        """Take in `op`, except that a path stays until `after` (the painting operator needs it)."""
        name, state = op.operator, self.states[-1]
        if name == b"q":
            self.states.append(_State(state.ctm, state.fill))
        elif name == b"Q" and len(self.states) > 1:
            self.states.pop()
        elif name == b"cm":
            state.ctm = multiply(_matrix(op), state.ctm)
        elif name == b"rg":
            state.fill = op.numbers()
        elif name in (b"g", b"k", b"sc", b"scn", b"cs"):
            state.fill = None
        elif name in (b"re", b"m", b"l", b"c", b"v", b"y"):
            self.path.extend(_points(op))
        elif name in (b"BDC", b"BMC"):
            found = _MCID.search(op.operands[-1]) if name == b"BDC" and op.operands else None
            self.marks.append(int(found[1]) if found else None)
        elif name == b"EMC" and self.marks:
            self.marks.pop()

    def after(self, op: Operation) -> None:
        if op.operator in _PATH_END:
            self.path = []


class _Pending(NamedTuple):
    """A placeholder found, whose block waits for a place to be drawn (tagged PDF: its marked content)."""

    block: int
    device: Matrix  # block em (y down from its top-left) -> page space


class _Paint(NamedTuple):
    """A placeholder painted: block `block`'s room is the box `path` spans, in user space under `ctm`."""

    block: int
    path: tuple[tuple[float, float], ...]
    ctm: Matrix


class _Draw(NamedTuple):
    """Block `block` (the last placeholder painted) is drawn here, where the CTM is `ctm`."""

    block: int
    ctm: Matrix


class _Do(NamedTuple):
    """A form XObject (resource `name`) is drawn here, where the CTM is `ctm`."""

    name: bytes
    ctm: Matrix


class _Fail(NamedTuple):
    """The stream cannot be finished: why, and the block concerned (None: the stream itself)."""

    block: int | None
    why: str


_Step = bytes | _Paint | _Draw | _Do | _Fail  # bytes: operators kept as they are (or made artifacts), one per line


class _Steps:
    """A plan being written: operators kept (joined into one bytes between events), and events."""

    def __init__(self) -> None:
        self.steps: list[_Step] = []
        self.kept: list[bytes] = []

    def add(self, event: _Step) -> None:
        self.done()
        self.steps.append(event)

    def done(self) -> tuple[_Step, ...]:
        if self.kept:
            self.steps.append(b"\n".join(self.kept))
            self.kept = []
        return tuple(self.steps)


@lru_cache(maxsize=64)
def _plan(data: bytes, ctm: Matrix, orphans: frozenset[int], maths: frozenset[int] | None) -> tuple[_Step, ...]:
    """How the finisher rewrites the content stream `data` (drawn under `ctm`), whatever the blocks drawn:
    its operators between the placeholders, and where each placeholder is painted and its block drawn. `orphans`:
    the MCIDs of page furniture to mark as artifacts; `maths`: a tagged PDF's formula blocks (None: untagged).

    It depends on the layout alone, so it is cached: a batch's variants drawn into one group's layout read each
    content stream once per process, and only draw their own blocks (`Overlay._rewrite`)."""
    try:
        ops = list(operations(data))
    except ValueError as err:
        return (_Fail(None, str(err)),)
    steps, graphics, pending, depth = _Steps(), _Graphics(ctm), None, 0
    for op in ops:
        graphics.before(op)
        if op.operator == b"Do":
            steps.add(_Do(op.operands[0], graphics.state.ctm))
        index = _placeholder(graphics.state.fill) if op.operator in _PAINT else None
        if index is not None:
            if pending is not None:
                steps.add(_Fail(pending, "its placeholder's artifact did not end before the next"))
                return steps.done()
            steps.add(_Paint(index, tuple(graphics.path), graphics.state.ctm))
            pending, depth = index, len(graphics.marks)
            steps.kept.append(b"n")  # the path ends unpainted
        else:  # a running header's or footer's text is page furniture: an artifact
            orphan = op.operator == b"BDC" and graphics.marks[-1] in orphans
            steps.kept.append(b"/Artifact BMC" if orphan else op.bytes())
        graphics.after(op)
        if pending is not None and maths is not None and op.operator == b"BT":
            steps.add(_Fail(pending, "text was drawn inside its placeholder's artifact"))
            return steps.done()
        if pending is not None and _ready(depth if pending in (maths or ()) else 0, op, graphics):
            steps.add(_Draw(pending, graphics.state.ctm))
            pending = None
    if pending is not None:
        steps.add(_Fail(pending, "its placeholder's artifact did not end in its content stream"))
    return steps.done()


def _ready(depth: int, op: Operation, graphics: _Graphics) -> bool:
    """Whether to draw the pending block now: at once, except a tagged PDF's formula painted inside `depth`
    marked-content sequences, which waits for the end of the artifact its placeholder was painted in (a
    picture's labels belong to it)."""
    return not depth or (op.operator == b"EMC" and len(graphics.marks) < depth)


@dataclass
class _Page:
    number: int
    height: float
    structure: Structure | None  # a tagged PDF's
    resources: list[Any] = field(default_factory=list)  # resource dictionaries of the streams drawn into


class Overlay:
    """A WeasyPrint finisher that draws `blocks[i]` over placeholder i, exactly once each."""

    def __init__(self, blocks: Sequence[Box | Head | paper.Sheet], spoken: Sequence[tuple[int, str]] = (),
                 described: Sequence[str] | None = None) -> None:
        """`spoken`: (block, spoken text) of each formula in document order (`formulas`); the other
        blocks are pictures' labels, and a `Head`. A paper-ready worksheet's `paper.Sheet` comes last: each
        page then gets its QR code and marks, and the PDF its position map. `described`: each picture's
        description (`descriptions`), a tagged PDF's Figures' Alt (a batch's layout has its first variant's)."""
        self.sheet = next((block for block in blocks if isinstance(block, paper.Sheet)), None)
        drawn = [block for block in blocks if not isinstance(block, paper.Sheet)]
        self.head = next((block.box for block in drawn if isinstance(block, Head)), None)
        self.blocks: Sequence[Box] = [block if isinstance(block, Box) else Box(0.0, 0.0, 0.0) for block in drawn]
        self.furniture = {index for index, block in enumerate(drawn) if isinstance(block, Head)}
        self.spoken = spoken
        self.described = described
        self.maths = {index for index, _ in spoken}
        self.drawn: dict[int, list[Drawn]] = {}
        self.used: dict[str, dict[int, str]] = {}  # face -> glyph id -> text it stands for
        self.marked: dict[int, tuple[int, int]] = {}  # block -> (page, MCID) it is drawn in, in a tagged PDF
        self._forms: dict[int, bytes] = {}  # rewritten form XObjects, by object number
        self.blanks: list[Blank] = []  # where each blank was drawn, for a fillable worksheet's fields
        self.cells: list[Blank] = []  # where each paper-ready blank's cells were drawn, for the position map

    def __call__(self, document: Any, pdf: Any) -> None:
        structure = Structure(pdf) if "StructTreeRoot" in pdf.catalog else None
        resources, furniture, size = [], [], (0.0, 0.0)
        for number, reference in enumerate(pdf.page_references):  # as WeasyPrint's own tagging reads them
            page = resolve(pdf, reference)
            size = (float(page["MediaBox"][2]) - float(page["MediaBox"][0]),
                    max(float(page["MediaBox"][1]), float(page["MediaBox"][3])))
            where = _Page(number, size[1], structure)
            stream = resolve(pdf, page["Contents"])
            drawn = self._rewrite(pdf, stream.stream, resolve(pdf, page["Resources"]), where, IDENTITY)
            drawn = self._head(page, structure is not None) + drawn
            if self.sheet:  # the page's QR code and marks, first, in the page's own coordinates
                code = self.sheet.code(number + 1, len(pdf.page_references)).text()
                furniture.append(paper.furniture(code, *size))
                drawn = furniture[-1].ops + b"\n" + drawn
            stream.stream = [drawn]
            resources += where.resources
        for number, data in self._forms.items():
            pdf.objects[number].stream = [data]
        self._check(document)
        if structure is not None:
            structure.formulas(self.marked, self.spoken)
            if self.described is not None:
                structure.figures(self.described)
            structure.scopes()
        code = document.metadata.custom.get(META)
        if code:
            add_fields(pdf, code, self.blanks)
        if self.sheet:
            paper.attach(pdf, paper.encode(paper.positions(self.sheet, size, furniture, self.cells)))
        embed(pdf, self.used, resources)

    def _head(self, page: Any, tagged: bool) -> bytes:
        """The running head's drawing (nothing without one), first in the page's content (the CTM is the
        identity there: points, y up), as an artifact in a tagged PDF."""
        if self.head is None:
            return b""
        left, bottom, right, top = (float(v) for v in page["MediaBox"])
        scale = HEAD_PT
        clear, low = (HEAD_CLEAR_MM, PAPER_TOP_MM - PRINT_MARGINS_MM[0]) if self.sheet else (0.0, 0.0)  # paper.py
        x = right - (HEAD_RIGHT_MM + clear) * 72 / 25.4 - self.head.width * scale
        y = top - (HEAD_BOTTOM_MM + low) * 72 / 25.4 + self.head.depth * scale
        drawing = _drawing(self.head)
        self._use(drawing)
        drawn = b"q\n%s\n%s\nQ" % (f"{scale:.6f} 0 0 {-scale:.6f} {x:.3f} {y:.3f} cm".encode(), drawing.ops)
        return (b"/Artifact BMC\n%s\nEMC" % drawn if tagged else drawn) + b"\n"

    def _rewrite(self, pdf: Any, items: list[Any], resources: Any, page: _Page, ctm: Matrix) -> bytes:
        """One content stream with its placeholders' fills replaced by their blocks; counts what it draws."""
        orphans = page.structure.orphans.get(page.number, frozenset()) if page.structure else frozenset()
        maths = frozenset(self.maths) if page.structure else None
        out: list[bytes] = []
        device = IDENTITY
        for step in _plan(serialize(items), ctm, orphans, maths):
            if isinstance(step, bytes):
                out.append(step)
            elif isinstance(step, _Do):
                self._form(pdf, resources, step.name, page, step.ctm)
            elif isinstance(step, _Paint):
                device = self._place(step.block, list(step.path), step.ctm, page)
            elif isinstance(step, _Draw):
                out.append(self._draw(_Pending(step.block, device), step.ctm, page))
            elif step.block is not None:
                raise self._error(step.block, page, step.why)
            else:
                raise RenderError(f"PDF maths: page {page.number + 1}: {step.why}")
        page.resources.append(resources)
        return b"\n".join(out)

    def _form(self, pdf: Any, resources: Any, name: bytes, page: _Page, ctm: Matrix) -> None:
        """Follow `name Do` into a form XObject: its blocks are drawn (and counted) each time it is."""
        xobject = resolve(pdf, resolve(pdf, resources.get("XObject") or {}).get(name.decode()[1:]))
        extra = getattr(xobject, "extra", None) or {}
        if _name(extra.get("Subtype")) != "/Form":
            return
        matrix = tuple(float(v) for v in extra["Matrix"]) if "Matrix" in extra else IDENTITY
        data = self._rewrite(pdf, xobject.stream, resolve(pdf, extra.get("Resources")) or resources, page,
                             multiply(matrix, ctm))  # type: ignore[arg-type]
        self._forms.setdefault(xobject.number, data)

    def _place(self, index: int, path: list[tuple[float, float]], ctm: Matrix, page: _Page) -> Matrix:
        """The matrix from block `index`'s em space to the page, from the box its placeholder painted."""
        if index >= len(self.blocks):
            raise RenderError(f"PDF maths: page {page.number + 1}: a placeholder numbers block {index}, "
                              f"but there are {len(self.blocks)} blocks")
        block = self.blocks[index]
        if not path or abs(ctm[1]) > 1e-9 or abs(ctm[2]) > 1e-9:
            raise self._error(index, page, "its placeholder was painted rotated or without a box")
        xs, ys = [p[0] for p in path], [p[1] for p in path]
        width, height = max(xs) - min(xs), max(ys) - min(ys)
        scale = width / block.width if block.width else 0.0
        if scale <= 0 or abs(height - block.depth * scale) > 0.01 * max(height, 1.0):
            raise self._error(index, page, f"its placeholder is {width:.2f} x {height:.2f} (user space), "
                                           f"not the block's {block.width:.3f} x {block.depth:.3f} em")
        down = ctm[3] < 0  # user space y runs down the page (as WeasyPrint's pages): em y down is user y up
        local = (scale, 0.0, 0.0, scale if down else -scale, min(xs), min(ys) if down else max(ys))
        device = multiply(local, ctm)
        left, top = apply(device, 0.0, 0.0)
        right, bottom = apply(device, block.width, block.depth)
        self.drawn.setdefault(index, []).append(
            Drawn(page.number, left, page.height - top, right - left, top - bottom))
        return device

    def _draw(self, pending: _Pending, ctm: Matrix, page: _Page) -> bytes:
        """`q cm … Q` drawing the pending block, given the CTM where it is drawn; a tagged PDF's formula
        inside marked content of its own (`tagging`)."""
        block = self.blocks[pending.block]
        a, b, c, d, e, f = multiply(pending.device, inverse(ctm))
        drawing = _drawing(block)
        self._use(drawing)
        for item in drawing.fields:  # em, y up from the block's top: the drawing's y is down
            left, top = apply(pending.device, item.x, -item.y - item.height)
            right, bottom = apply(pending.device, item.x + item.width, -item.y)
            place = Blank(page.number, (left, min(bottom, top), right, max(bottom, top)), item.name, item.cell)
            (self.cells if item.cell else self.blanks).append(place)
        drawn = b"q\n%s\n%s\nQ" % (f"{a:.6f} {b:.6f} {c:.6f} {d:.6f} {e:.3f} {f:.3f} cm".encode(), drawing.ops)
        if page.structure is None or pending.block not in self.maths:
            return drawn
        mcid = page.structure.mcid(page.number)
        self.marked[pending.block] = (page.number, mcid)
        return b"/Formula <</MCID %d>> BDC\n%s\nEMC" % (mcid, drawn)

    def _use(self, drawing: _Drawing) -> None:
        """Note the glyphs `drawing` uses (each glyph id keeps the character first drawn with it)."""
        for name, glyphs in drawing.glyphs:
            known = self.used.get(name)
            self.used[name] = dict(glyphs) if known is None else {**dict(glyphs), **known}

    def _check(self, document: Any) -> None:
        """Every block drawn exactly once, where WeasyPrint laid out its placeholder; else a RenderError."""
        anchors = {name: (number, box) for number, page in enumerate(document.pages)
                   for name, box in page.anchors.items() if name.startswith(ANCHOR)}
        problems = []
        for index, block in enumerate(self.blocks):
            if index in self.furniture:
                continue
            places = self.drawn.get(index, [])
            where = anchors.get(f"{ANCHOR}{index}")
            if len(places) > 1:
                problems.append(f"drawn {len(places)} times, on pages {', '.join(str(p.page + 1) for p in places)}")
            elif not places:
                problems.append("not drawn: its placeholder is not in the PDF")
            elif where is None:
                problems.append(f"drawn on page {places[0].page + 1}, but no placeholder with id {ANCHOR}{index} "
                                "was laid out")
            elif not _same_place(places[0], *where):
                problems.append(f"drawn at ({places[0].x:.2f}, {places[0].y:.2f}) pt on page {places[0].page + 1}, "
                                f"but its placeholder is at {_css_place(*where)}")
            else:
                continue
            problems[-1] = f"block {index} ({_preview(block)}): {problems[-1]}"
        if problems:
            raise RenderError("PDF maths: " + "; ".join(problems[:3]) + (" …" if len(problems) > 3 else "")
                              + " (did WeasyPrint's output change?)")

    def _error(self, index: int, page: _Page, why: str) -> RenderError:
        block = _preview(self.blocks[index])
        return RenderError(f"PDF maths: block {index} ({block}) on page {page.number + 1}: {why}")


def _same_place(drawn: Drawn, page: int, box: Sequence[float]) -> bool:
    """Whether `drawn` is where WeasyPrint's anchor (CSS px from the page's top-left: x, y or x1, y1, x2, y2) says."""
    points = [v * PT_PER_PX for v in box]
    corner = abs(drawn.x - points[0]) < 0.01 and abs(drawn.y - points[1]) < 0.01
    size = len(points) < 4 or (abs(drawn.width - points[2] + points[0]) < 0.01
                               and abs(drawn.height - points[3] + points[1]) < 0.01)
    return drawn.page == page and corner and size


def _css_place(page: int, box: Sequence[float]) -> str:
    return f"({box[0] * PT_PER_PX:.2f}, {box[1] * PT_PER_PX:.2f}) pt on page {page + 1}"


def _name(value: Any) -> str | None:
    return value.decode() if isinstance(value, bytes) else value


def _matrix(op: Operation) -> Matrix:
    a, b, c, d, e, f = op.numbers()
    return (a, b, c, d, e, f)


def _points(op: Operation) -> list[tuple[float, float]]:
    values = op.numbers()
    if op.operator == b"re":
        x, y, w, h = values
        return [(x, y), (x + w, y + h)]
    return [(values[i], values[i + 1]) for i in range(0, len(values), 2)]


def _placeholder(fill: tuple[float, ...] | None) -> int | None:
    """The block number a fill colour rgb(1, g, b) (in 0–1 units) carries, or None for any other colour."""
    if fill is None or len(fill) != 3:
        return None
    channels = [v * 255 for v in fill]
    if any(abs(v - round(v)) > 0.02 for v in channels) or round(channels[0]) != 1:
        return None
    return round(channels[1]) * 256 + round(channels[2])


def _preview(block: Box, limit: int = 40) -> str:
    """The block's text in reading order, spaces squeezed (an error message's name for it)."""
    text = " ".join(" ".join(item.text.split()) for item in flatten(block) if isinstance(item, Run))
    text = " ".join(text.split())
    return text if len(text) <= limit else text[:limit - 1] + "…"


class _Drawing(NamedTuple):
    """A block's drawing: its PDF operators, the glyphs it uses (face -> ((glyph id, character), …)) and its
    fields (em from its top-left, in drawing order)."""

    ops: bytes
    glyphs: tuple[tuple[str, tuple[tuple[int, str], ...]], ...]
    fields: tuple[Field, ...]


@lru_cache(maxsize=4096)
def _drawing(block: Box) -> _Drawing:
    """PDF operators drawing `block` in em from its top-left corner (y down, as WeasyPrint's pages),
    the glyphs it uses and its fields. Cached: blocks repeat across a worksheet, its key and a batch's
    variants, and only the `cm` before them says where they go (one look-up a block: hashing a block's
    nested boxes costs about half what flattening them does)."""
    items = flatten(block)
    ops = [_shape(item) for item in items if isinstance(item, (Rect, Line, Disc))]  # under the text, in order
    ops.append("BT")
    glyphs: dict[str, dict[int, str]] = {}
    fill = None
    for item in items:
        if isinstance(item, Run):
            if item.fill != fill:
                fill = item.fill
                ops.append(_COLOURS[fill])
            font, codes, used = _glyph_run(item.face, item.text)
            known = glyphs.setdefault(item.face, {})
            for gid, char in used:
                known.setdefault(gid, char)
            ops.append(f"{font} {item.size:.4f} Tf 1 0 0 {-item.stretch:.4f} {item.x:.4f} {-item.y:.4f} Tm {codes} Tj")
    ops.append("ET")
    return _Drawing("\n".join(ops).encode(), tuple((name, tuple(known.items())) for name, known in glyphs.items()),
                    tuple(item for item in items if isinstance(item, Field)))


@lru_cache(maxsize=8192)
def _glyph_run(name: str, text: str) -> tuple[str, str, tuple[tuple[int, str], ...]]:
    """A run's font resource (`/TGMath0`), its text as glyph codes (`<00a1…>`) and each (glyph id, character)
    it uses, first use first: the runs of a batch's blocks repeat (symbols, digits, labels)."""
    font = face(base(name))
    gids = [font.glyph_id(char) for char in text]
    used = {gid: char for gid, char in reversed(list(zip(gids, text, strict=True)))}  # the first char wins
    return (f"/{FONT_NAMES[name]}", "<" + "".join(f"{gid:04x}" for gid in gids) + ">",
            tuple((gid, used[gid]) for gid in dict.fromkeys(gids)))


CIRCLE = 1 / math.sqrt(math.pi)  # a quarter circle's Bézier control points, of the radius: as WeasyPrint's SVG circle


def _shape(item: Rect | Line | Disc) -> str:
    """The operators filling a rectangle or disc, or stroking a line (em, y down; SVG's ends, joins, miter limit)."""
    if isinstance(item, Rect):
        return (f"{_COLOURS[item.fill]}\n{item.x:.4f} {-item.y - item.height:.4f} {item.width:.4f} "
                f"{item.height:.4f} re f")
    if isinstance(item, Line):
        path = " ".join(f"{x:.4f} {-y:.4f} {'l' if k else 'm'}" for k, (x, y) in enumerate(item.points))
        return f"{_COLOURS[item.stroke][:-2]}RG {item.width:.4f} w 0 J 0 j 4 M\n{path} S"
    x, y, r, k = item.x, -item.y, item.radius, item.radius * CIRCLE
    return (f"{_COLOURS[item.fill]}\n{x + r:.4f} {y:.4f} m "
            f"{x + r:.4f} {y + k:.4f} {x + k:.4f} {y + r:.4f} {x:.4f} {y + r:.4f} c "
            f"{x - k:.4f} {y + r:.4f} {x - r:.4f} {y + k:.4f} {x - r:.4f} {y:.4f} c "
            f"{x - r:.4f} {y - k:.4f} {x - k:.4f} {y - r:.4f} {x:.4f} {y - r:.4f} c "
            f"{x + k:.4f} {y - r:.4f} {x + r:.4f} {y - k:.4f} {x + r:.4f} {y:.4f} c h f")
