"""Maths drawn into WeasyPrint's PDF where its empty placeholder blocks were laid out.

The PDF's HTML gives each run of display equations (and each picture's labels) one empty
inline-block of its size (typeset by `tracegen.render.mathbox`), whose background colour
rgb(1, g, b) numbers it. WeasyPrint lays out and paginates the document as usual; a finisher
(WeasyPrint's public hook, run before the PDF is written) then replaces each placeholder's
background fill in the page's content stream with the block: glyph runs in the shipped
fonts, embedded as Type 0 fonts with a ToUnicode map, so numbers stay text (copy, search,
screen readers, pypdf) in reading order, and rules and highlights as filled rectangles.
WeasyPrint's own font embedding is internal to it, so the few dozen lines that embed the
maths' fonts are here. Why any of this: docs/BENCHMARKS.md (WeasyPrint's time is per box
and line, and the slides' maths is hundreds of them).
"""

from __future__ import annotations

import io
import zlib
from collections.abc import Iterator, Sequence
from functools import lru_cache
from typing import Any

from markupsafe import Markup

from tracegen.errors import RenderError
from tracegen.render.fontmetrics import FACES, face
from tracegen.render.mathbox import Box, Rect, Run, flatten

MARKER = b"0.003922 "  # how pydyf writes the red channel 1/255 of a placeholder's colour
COLOURS = {  # the roles of mathbox.Run/Rect fills: #1a1a1a, #fdf1b8 and the pictures' #1b4f8a, #555
    "ink": b"0.101961 0.101961 0.101961 rg", "answer": b"0.992157 0.945098 0.721569 rg",
    "weight": b"0.105882 0.309804 0.541176 rg", "muted": b"0.333333 0.333333 0.333333 rg",
}
FONT_NAMES = {name: f"TGMath{i}" for i, name in enumerate(FACES)}


def placeholder(index: int, block: Box, overlap: bool = False, lower: float | None = None) -> Markup:
    """The empty inline-block that reserves `block`'s room in the layout; its colour carries `index`.

    A block is a Box whose top edge is its baseline (mathbox.padded, mathbox.labels). `overlap`
    pulls the placeholder back over the inline box before it: a picture its labels go on.
    `lower` sets inline maths in a line of text: its bottom that many em below the text's baseline.
    """
    green, blue = divmod(index, 256)
    back = f"margin-left:-{block.width:.4f}em;" if overlap else ""
    align = f"vertical-align:-{lower:.4f}em;" if lower is not None else ""
    return Markup(f'<span class="eqbox" style="width:{block.width:.4f}em;height:{block.depth:.4f}em;'
                  f'{back}{align}background-color:rgb(1,{green},{blue})"></span>')


class Overlay:
    """A WeasyPrint finisher that draws `blocks[i]` over placeholder i."""

    def __init__(self, blocks: Sequence[Box]) -> None:
        self.blocks = blocks
        self.used: dict[str, dict[int, str]] = {}  # face -> glyph id -> text it stands for

    def __call__(self, document: Any, pdf: Any) -> None:
        drawn = 0
        pages = pdf.pages["Kids"][::3]  # pydyf keeps "N 0 R" as three items
        for number in pages:
            page = pdf.objects[number]
            stream = pdf.objects[_object_number(page["Contents"])]
            ops = list(stream.stream)
            stream.stream = list(self._replace(ops))
            drawn += sum(1 for op in ops if _is_marker(op))
        if drawn != len(self.blocks):
            raise RenderError(f"PDF maths: drew {drawn} of {len(self.blocks)} blocks (did WeasyPrint's output change?)")
        if self.used:
            resources = pdf.objects[_object_number(pdf.objects[pages[0]]["Resources"])]
            fonts = pdf.objects[_object_number(resources["Font"])]
            for name, glyphs in sorted(self.used.items()):
                fonts[FONT_NAMES[name]] = _embed(pdf, name, glyphs)

    def _replace(self, ops: list[bytes]) -> Iterator[bytes]:
        """The page's operators with each placeholder's `rg … re f` replaced by its block."""
        pending: Box | None = None
        for i, op in enumerate(ops):
            if _is_marker(op):
                _, green, blue = (round(float(v) * 255) for v in op.split()[:3])
                pending = self.blocks[green * 256 + blue]
                continue
            if pending is not None and op.endswith(b" re") and i + 1 < len(ops) and ops[i + 1] == b"f":
                left, top, width, _ = (float(v) for v in op.split()[:4])
                drawing, glyphs = _drawing(pending)
                for name, gid, char in glyphs:
                    self.used.setdefault(name, {}).setdefault(gid, char)
                yield b"q"
                yield f"{width / pending.width:.6f} 0 0 {width / pending.width:.6f} {left:.3f} {top:.3f} cm".encode()
                yield drawing
                yield b"Q"
                pending = None
                ops[i + 1] = b""  # the fill that followed
                continue
            if op:
                yield op


@lru_cache(maxsize=4096)
def _drawing(block: Box) -> tuple[bytes, tuple[tuple[str, int, str], ...]]:
    """PDF operators drawing `block` in em from its top-left corner (y down, as WeasyPrint's pages),
    and the (face, glyph id, character) it uses. Cached: blocks repeat across a worksheet, its key
    and a batch's variants, and only the `cm` before them says where they go."""
    items = list(flatten(block))
    ops = [f"{COLOURS[item.fill].decode()}\n{item.x:.4f} {-item.y - item.height:.4f} {item.width:.4f} "
           f"{item.height:.4f} re f" for item in items if isinstance(item, Rect)]
    ops.append("BT")
    glyphs: dict[tuple[str, int], str] = {}
    fill = None
    for item in items:
        if isinstance(item, Run):
            if item.fill != fill:
                fill = item.fill
                ops.append(COLOURS[fill].decode())
            font = face(item.face)
            codes = []
            for char in item.text:
                gid = font.glyph_id(char)
                glyphs.setdefault((item.face, gid), char)
                codes.append(f"{gid:04x}")
            ops.append(f"/{FONT_NAMES[item.face]} {item.size:.4f} Tf 1 0 0 {-item.stretch:.4f} "
                       f"{item.x:.4f} {-item.y:.4f} Tm <{''.join(codes)}> Tj")
    ops.append("ET")
    return "\n".join(ops).encode(), tuple((name, gid, char) for (name, gid), char in glyphs.items())


def _is_marker(op: bytes) -> bool:
    return op.startswith(MARKER) and op.endswith(b" rg")


def _object_number(reference: bytes | str | int) -> int:
    """The object number of a pydyf reference (`b"12 0 R"`) or of a page's number in `Kids`."""
    if isinstance(reference, int):
        return reference
    return int((reference.encode() if isinstance(reference, str) else reference).split()[0])


@lru_cache(maxsize=64)
def _font_program(name: str, glyphs: frozenset[int]) -> tuple[bytes, int]:
    """Face `name` cut down to `glyphs`, keeping glyph ids (the PDF's codes), zlib-compressed; and its length.

    Cached: a batch's documents mostly draw the same glyphs, and subsetting costs ~50 ms a face.
    """
    from fontTools import subset
    from fontTools.ttLib import TTFont

    font = TTFont(io.BytesIO(face(name).sfnt), recalcTimestamp=False)  # no date: same glyphs, same bytes
    options = subset.Options()
    options.retain_gids, options.notdef_outline, options.hinting = True, True, False
    options.layout_features, options.name_IDs = [], ["*"]
    options.drop_tables += ["GSUB", "GPOS", "GDEF"]
    subsetter = subset.Subsetter(options)
    subsetter.populate(gids=sorted(glyphs | {0}))
    subsetter.subset(font)
    out = io.BytesIO()
    font.save(out)
    return zlib.compress(out.getvalue(), 9), len(out.getvalue())


def _embed(pdf: Any, name: str, glyphs: dict[int, str]) -> bytes:
    """A Type 0 font (Identity-H: codes are glyph ids) for face `name`, with widths and ToUnicode for `glyphs`."""
    import pydyf

    font = face(name)
    program, length = _font_program(name, frozenset(glyphs))
    extra = {"Filter": "/FlateDecode", **({"Subtype": "/OpenType"} if font.cff else {"Length1": length})}
    file = pydyf.Stream([program], pydyf.Dictionary(extra))
    pdf.add_object(file)
    descriptor = pydyf.Dictionary({
        "Type": "/FontDescriptor", "FontName": f"/{font.postscript}", "Flags": 4 + (64 if font.italic_angle else 0),
        "FontBBox": pydyf.Array(font.bbox), "ItalicAngle": font.italic_angle, "Ascent": font.ascent * 1000,
        "Descent": font.descent * 1000, "CapHeight": 700, "StemV": 80,
        ("FontFile3" if font.cff else "FontFile2"): file.reference,
    })
    pdf.add_object(descriptor)
    widths = pydyf.Array()
    for gid in sorted(glyphs):
        widths.extend([gid, pydyf.Array([round(font.advance[gid] * 1000, 3)])])
    cid_font = pydyf.Dictionary({
        "Type": "/Font", "Subtype": "/CIDFontType0" if font.cff else "/CIDFontType2", "BaseFont": f"/{font.postscript}",
        "CIDSystemInfo": pydyf.Dictionary({"Registry": pydyf.String("Adobe"), "Ordering": pydyf.String("Identity"),
                                           "Supplement": 0}),
        "CIDToGIDMap": "/Identity", "W": widths, "FontDescriptor": descriptor.reference,
    })
    pdf.add_object(cid_font)
    to_unicode = pydyf.Stream([*_CMAP_HEAD, *_bfchar(glyphs), *_CMAP_TAIL], compress=True)
    pdf.add_object(to_unicode)
    type0 = pydyf.Dictionary({
        "Type": "/Font", "Subtype": "/Type0", "BaseFont": f"/{font.postscript}", "Encoding": "/Identity-H",
        "DescendantFonts": pydyf.Array([cid_font.reference]), "ToUnicode": to_unicode.reference,
    })
    pdf.add_object(type0)
    return type0.reference


_CMAP_HEAD = (b"/CIDInit /ProcSet findresource begin", b"12 dict begin", b"begincmap",
              b"/CIDSystemInfo << /Registry (Adobe) /Ordering (UCS) /Supplement 0 >> def",
              b"/CMapName /Adobe-Identity-UCS def", b"/CMapType 2 def",
              b"1 begincodespacerange", b"<0000> <ffff>", b"endcodespacerange")
_CMAP_TAIL = (b"endcmap", b"CMapName currentdict /CMap defineresource pop", b"end", b"end")


def _bfchar(glyphs: dict[int, str]) -> Iterator[bytes]:
    items = sorted(glyphs.items())
    for start in range(0, len(items), 100):
        batch = items[start:start + 100]
        yield f"{len(batch)} beginbfchar".encode()
        for gid, char in batch:
            yield f"<{gid:04x}> <{char.encode('utf-16-be').hex()}>".encode()
        yield b"endbfchar"
