"""TrueType/OpenType font files as bytes: subset by glyph id, drop the date, read the PostScript name.

The PDF embeds fonts, and the same spec must give the same bytes on every machine. WeasyPrint
subsets its fonts with HarfBuzz when libharfbuzz-subset is installed and with fontTools
otherwise; the two write different files, and fontTools stamps the current time into each
(`head.modified`). So `pdfmath` replaces the programs of the shipped faces by subsets cut
here, and takes the date out of any other font's program (a system font that drew a
character the shipped fonts lack). Cutting is simple because PDFs address glyphs by id: the
glyphs kept stay where they are, the others become empty (as fontTools' `retain_gids` and
HarfBuzz's `RETAIN_GIDS` do), and the layout tables, which a PDF never reads, and the
hinting go (as in WeasyPrint's own subsets).
About a millisecond a face, against 50–100 ms for fontTools' general subsetter.
"""

from __future__ import annotations

import struct
from collections.abc import Iterable
from functools import lru_cache
from itertools import accumulate

DROPPED = frozenset({b"GSUB", b"GPOS", b"GDEF", b"BASE", b"JSTF", b"MATH", b"kern", b"DSIG",  # layout
                     b"fpgm", b"prep", b"cvt ", b"hdmx", b"LTSH", b"VDMX"})  # hinting, as WeasyPrint's subsets
SFNT_VERSIONS = (b"\0\1\0\0", b"OTTO", b"true")  # TrueType, CFF-based OpenType, Apple TrueType
_CREATED, _MODIFIED, _ADJUSTMENT, _LOCA_FORMAT = 20, 28, 8, 50  # offsets in `head`
_METRICS_COUNT = 34  # offset of numberOfHMetrics in `hhea`
_WORDS, _SCALE, _XY_SCALE, _TWO_BY_TWO, _MORE, _CODE = 0x1, 0x8, 0x40, 0x80, 0x20, 0x100  # composite glyph flags


def tables(program: bytes) -> tuple[bytes, dict[bytes, bytes]]:
    """The sfnt version tag and each table's bytes, of a single font (not a collection)."""
    version, count = program[:4], struct.unpack(">H", program[4:6])[0]
    out = {}
    for i in range(count):
        tag, _, offset, length = struct.unpack(">4sIII", program[12 + 16 * i:28 + 16 * i])
        out[tag] = program[offset:offset + length]
    return version, out


def assemble(version: bytes, parts: dict[bytes, bytes]) -> bytes:
    """A font file of `parts` (tables sorted by tag, 4-byte aligned), with its checksums set."""
    if b"head" in parts:
        parts = {**parts, b"head": _patch(parts[b"head"], _ADJUSTMENT, b"\0\0\0\0")}
    count = len(parts)
    power = 1 << (count.bit_length() - 1)
    header = [version + struct.pack(">HHHH", count, power * 16, power.bit_length() - 1, (count - power) * 16)]
    offset, directory, body, head_at = 12 + 16 * count, [], [], 0
    for tag in sorted(parts):
        data = parts[tag]
        head_at = offset if tag == b"head" else head_at
        directory.append(struct.pack(">4sIII", tag, _checksum(data), offset, len(data)))
        padded = data + b"\0" * (-len(data) % 4)
        body.append(padded)
        offset += len(padded)
    font = b"".join(header + directory + body)
    if b"head" not in parts:
        return font
    return _patch(font, head_at + _ADJUSTMENT, struct.pack(">I", (0xB1B0AFBA - _checksum(font)) & 0xFFFFFFFF))


def subset(program: bytes, keep: Iterable[int]) -> bytes:
    """`program` with only the glyphs `keep` (and .notdef, and the parts of composites) drawn; ids unchanged."""
    font = _parsed(program)
    if font.loca is None:  # CFF outlines: the one such shipped face is 4 kB, embedded whole
        return assemble(font.version, font.parts)
    wanted, todo = set(), [0, *(g for g in keep if 0 <= g < font.count)]
    while todo:
        gid = todo.pop()
        if gid not in wanted:
            wanted.add(gid)
            todo.extend(_components(font.glyph(gid))[0])
    pieces = [font.unhinted(gid) if gid in wanted else b"" for gid in range(font.count)]
    offsets = [0, *accumulate(len(piece) for piece in pieces)]
    parts = dict(font.parts)
    parts[b"glyf"] = b"".join(pieces)
    parts[b"hmtx"] = _blank_metrics(parts[b"hmtx"], parts[b"hhea"], font.count, wanted)
    parts[b"loca"] = (struct.pack(f">{font.count + 1}I", *offsets) if font.long_loca
                      else struct.pack(f">{font.count + 1}H", *(o // 2 for o in offsets)))
    return assemble(font.version, parts)


class _Parsed:
    """A font file's tables (less `DROPPED`), glyph count and `loca` (None: CFF outlines), read once, and each glyph
    without its instructions, padded, as first asked for: a batch cuts the same faces again and again."""

    def __init__(self, program: bytes) -> None:
        self.version, tables_ = tables(program)
        self.parts = {tag: data for tag, data in tables_.items() if tag not in DROPPED}
        self.count, self.long_loca, self.loca = 0, False, None
        if b"glyf" in self.parts:
            self.long_loca = struct.unpack(">h", self.parts[b"head"][_LOCA_FORMAT:_LOCA_FORMAT + 2])[0] == 1
            self.count = struct.unpack(">H", self.parts[b"maxp"][4:6])[0]
            self.loca = (struct.unpack(f">{self.count + 1}I", self.parts[b"loca"]) if self.long_loca
                         else tuple(2 * v for v in struct.unpack(f">{self.count + 1}H", self.parts[b"loca"])))
        self._unhinted: dict[int, bytes] = {}

    def glyph(self, gid: int) -> bytes:
        assert self.loca is not None
        return self.parts[b"glyf"][self.loca[gid]:self.loca[gid + 1]]

    def unhinted(self, gid: int) -> bytes:
        if (data := self._unhinted.get(gid)) is None:
            data = _unhinted(self.glyph(gid))
            data = self._unhinted[gid] = data + b"\0" * (-len(data) % 4)
        return data


@lru_cache(maxsize=8)
def _parsed(program: bytes) -> _Parsed:
    return _Parsed(program)


def _blank_metrics(hmtx: bytes, hhea: bytes, count: int, wanted: set[int]) -> bytes:
    """`hmtx` with zeros for the glyphs not drawn: the PDF gives its own widths, and a face with the whole
    names repertoire would otherwise carry a few kilobytes of unused metrics into every document."""
    metrics = struct.unpack(">H", hhea[_METRICS_COUNT:_METRICS_COUNT + 2])[0]
    end = 4 * metrics + 2 * (count - metrics)  # the glyphs' entries; what follows is kept
    out = bytearray(len(hmtx))
    out[end:] = hmtx[end:]
    for gid in wanted:
        at, size = (4 * gid, 4) if gid < metrics else (4 * metrics + 2 * (gid - metrics), 2)
        out[at:at + size] = hmtx[at:at + size]
    return bytes(out)


def undated(program: bytes) -> bytes:
    """`program` with `head.modified` set to `head.created`: what a subsetter stamped at run time goes.

    Anything but a single TrueType/OpenType font (a collection, bare CFF) is returned as it is."""
    if program[:4] not in SFNT_VERSIONS:
        return program
    version, parts = tables(program)
    head = parts.get(b"head")
    if head is None or head[_MODIFIED:_MODIFIED + 8] == head[_CREATED:_CREATED + 8]:
        return program
    return assemble(version, {**parts, b"head": _patch(head, _MODIFIED, head[_CREATED:_CREATED + 8])})


def postscript_name(program: bytes) -> str | None:
    """Name 6 of the font's `name` table (what identifies a shipped face in a PDF), or None."""
    if program[:4] not in SFNT_VERSIONS:
        return None
    name = tables(program)[1].get(b"name", b"")
    if len(name) < 6:
        return None
    count, strings = struct.unpack(">HH", name[2:6])
    for i in range(count):
        platform, _, _, name_id, length, offset = struct.unpack(">6H", name[6 + 12 * i:18 + 12 * i])
        if name_id == 6:
            raw = name[strings + offset:strings + offset + length]
            return raw.decode("utf-16-be" if platform in (0, 3) else "latin-1", "replace")
    return None


def _components(glyph: bytes) -> tuple[list[int], int, int]:
    """A composite glyph's component ids, where its components end and where its last flags are
    (no components for a simple or empty glyph)."""
    if len(glyph) < 10 or struct.unpack(">h", glyph[:2])[0] >= 0:
        return [], 0, 0
    out, at, flags, last = [], 10, _MORE, 10
    while flags & _MORE:
        last = at
        flags, gid = struct.unpack(">HH", glyph[at:at + 4])
        out.append(gid)
        at += 4 + (4 if flags & _WORDS else 2)
        at += 2 if flags & _SCALE else 4 if flags & _XY_SCALE else 8 if flags & _TWO_BY_TWO else 0
    return out, at, last


def _unhinted(glyph: bytes) -> bytes:
    """A glyph without its TrueType instructions (the hinting tables are dropped too)."""
    if len(glyph) < 10:
        return glyph
    contours = struct.unpack(">h", glyph[:2])[0]
    if contours >= 0:
        at = 10 + 2 * contours
        length = struct.unpack(">H", glyph[at:at + 2])[0]
        points = struct.unpack(">H", glyph[at - 2:at])[0] + 1 if contours else 0
        return glyph[:at] + b"\0\0" + glyph[at + 2 + length:_outline_end(glyph, at + 2 + length, points)]
    _, end, last = _components(glyph)
    flags = struct.unpack(">H", glyph[last:last + 2])[0]
    return _patch(glyph[:end], last, struct.pack(">H", flags & ~_CODE)) if flags & _CODE else glyph


def _outline_end(glyph: bytes, at: int, points: int) -> int:
    """Where a simple glyph's flags and coordinates, starting at `at`, end (what follows is padding)."""
    sizes, done = 0, 0
    while done < points:
        flag = glyph[at]
        repeat = glyph[at + 1] if flag & 0x08 else 0
        at += 2 if flag & 0x08 else 1
        x = 1 if flag & 0x02 else 0 if flag & 0x10 else 2  # short, same as before, or a 16-bit delta
        y = 1 if flag & 0x04 else 0 if flag & 0x20 else 2
        sizes += (x + y) * (repeat + 1)
        done += repeat + 1
    return at + sizes


def _checksum(data: bytes) -> int:
    padded = data + b"\0" * (-len(data) % 4)
    return sum(struct.unpack(f">{len(padded) // 4}I", padded)) & 0xFFFFFFFF


def _patch(data: bytes, at: int, value: bytes) -> bytes:
    return data[:at] + value + data[at + len(value):]
