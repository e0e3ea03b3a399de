"""The fonts of a finished PDF: the maths' own Type 0 fonts, and every embedded program the same on any machine.

WeasyPrint subsets its fonts with HarfBuzz when libharfbuzz-subset is installed and with
fontTools otherwise; the two write different files, and fontTools stamps the current time
into each. So the shipped faces' programs are replaced by one subset per face cut by
`sfnt` (WeasyPrint's glyphs and the maths' together, shared by both font dictionaries), and
any other font's date is removed: the same document gives the same bytes with either
library, at any time. WeasyPrint's own font embedding is internal to it, so the few dozen
lines that embed the maths' fonts are here.
"""

from __future__ import annotations

import zlib
from collections.abc import Iterator
from functools import lru_cache
from typing import Any

from tracegen.fontmetrics import FACES, face
from tracegen.render.pdf import sfnt
from tracegen.render.pdf.layouts import LEVEL
from tracegen.render.pdf.stream import resolve

PROSE = "/prose"  # a face name ending so (Run.face) draws prose: its glyphs mean their letters, not maths letters
# resource names of the maths' fonts, and of the prose the finisher draws (a maths italic 𝑦 and a word's y share
# a glyph, and a font's ToUnicode gives each glyph one meaning)
FONT_NAMES = {name: f"TGMath{i}" for i, name in enumerate(FACES)} | {
    f"{name}{PROSE}": f"TGText{i}" for i, name in enumerate(FACES)}


def base(name: str) -> str:
    """The shipped face a font resource `name` (FONT_NAMES) draws with."""
    return name.removesuffix(PROSE)


def embed(pdf: Any, used: dict[str, dict[int, str]], resources: list[Any]) -> None:
    """Add the maths' fonts (`used`: face -> glyph id -> text) to `resources`; make every font program reproducible."""
    _Fonts(pdf, used).embed(resources)


@lru_cache(maxsize=64)
def _font_program(name: str, glyphs: frozenset[int]) -> tuple[bytes, int]:
    """Face `name` cut down to `glyphs` (ids kept: they are the PDF's codes), zlib-compressed; and its length.

    Cached: a batch's documents mostly draw the same glyphs, but not all (the running head's italic names the
    variant: a subset for each). At `layouts.LEVEL`: level 9 took twice as long for a few bytes less.
    """
    program = sfnt.subset(face(name).sfnt, glyphs)
    return zlib.compress(program, LEVEL), len(program)


class _Fonts:
    """The maths' fonts added to the PDF, and every embedded font program made the same on any machine."""

    def __init__(self, pdf: Any, used: dict[str, dict[int, str]]) -> None:
        self.pdf, self.used = pdf, used
        self.postscript = {face(name).postscript: name for name in FACES}

    def embed(self, resources: list[Any]) -> None:
        import pydyf

        programs = self._programs()
        added = pydyf.Dictionary({FONT_NAMES[name]: self._type0(name, glyphs, programs)
                                  for name, glyphs in sorted(self.used.items())})
        if not added:
            return
        seen: set[int] = set()
        for dictionary in resources:
            fonts = resolve(self.pdf, dictionary.get("Font"))
            if fonts is None:
                fonts = dictionary["Font"] = pydyf.Dictionary()
            if id(fonts) not in seen:
                seen.add(id(fonts))
                fonts.update(added)

    def _programs(self) -> dict[str, Any]:
        """WeasyPrint's embedded font programs made reproducible; the first stream of each shipped face."""
        faces: dict[str, tuple[list[Any], set[int]]] = {}
        for cid_font in list(self.pdf.objects):
            if not isinstance(cid_font, dict) or cid_font.get("Type") != "/Font" or "FontDescriptor" not in cid_font:
                continue
            descriptor = resolve(self.pdf, cid_font["FontDescriptor"])
            key = next((k for k in ("FontFile2", "FontFile3") if k in descriptor), None)
            stream = resolve(self.pdf, descriptor[key]) if key else None
            if stream is None or "Filter" in stream.extra:
                continue
            program = b"\n".join(stream.stream)  # as pydyf would write it
            name = self.postscript.get(sfnt.postscript_name(program) or "")
            if name is not None:
                streams, glyphs = faces.setdefault(name, ([], set()))
                if stream not in streams:
                    streams.append(stream)
                descriptor[key] = streams[0].reference  # one program per face
                glyphs.update(_widths_glyphs(cid_font.get("W")))
            else:  # a system font that drew what the shipped fonts lack
                stream.stream = [sfnt.undated(program)]
                if key == "FontFile2":
                    stream.extra["Length1"] = len(stream.stream[0])
        for name, (streams, glyphs) in faces.items():
            self._fill(streams[0], name, glyphs | set(self.used.get(name, {})) | set(self.used.get(name + PROSE, {})))
            for unused in streams[1:]:
                unused.stream, unused.extra = [b""], {}
        return {name: streams[0] for name, (streams, _) in faces.items()}

    def _fill(self, stream: Any, name: str, glyphs: set[int]) -> None:
        program, length = _font_program(name, frozenset(glyphs))
        stream.stream, stream.compress = [program], False
        stream.extra["Filter"] = "/FlateDecode"
        if not face(name).cff:
            stream.extra["Length1"] = length

    def _type0(self, name: str, glyphs: dict[int, str], programs: dict[str, Any]) -> bytes:
        """A Type 0 font (Identity-H: codes are glyph ids) for face `name`, with widths and ToUnicode for `glyphs`."""
        import pydyf

        pdf, font = self.pdf, face(base(name))
        file = programs.get(base(name))
        if file is None:
            file = pydyf.Stream([], pydyf.Dictionary({**({"Subtype": "/OpenType"} if font.cff else {})}))
            self._fill(file, base(name), set(glyphs) | set(self.used.get(base(name), {}))
                       | set(self.used.get(base(name) + PROSE, {})))
            pdf.add_object(file)
            programs[base(name)] = file
        descriptor = pydyf.Dictionary({
            "Type": "/FontDescriptor", "FontName": f"/{font.postscript}",
            "Flags": 4 + (64 if font.italic_angle else 0), "FontBBox": pydyf.Array(font.bbox),
            "ItalicAngle": font.italic_angle, "Ascent": font.ascent * 1000, "Descent": font.descent * 1000,
            "CapHeight": 700, "StemV": 80, ("FontFile3" if font.cff else "FontFile2"): file.reference,
        })
        pdf.add_object(descriptor)
        widths = pydyf.Array()
        for gid in sorted(glyphs):
            widths.extend([gid, pydyf.Array([round(font.advance[gid] * 1000, 3)])])
        cid_font = pydyf.Dictionary({
            "Type": "/Font", "Subtype": "/CIDFontType0" if font.cff else "/CIDFontType2",
            "BaseFont": f"/{font.postscript}",
            "CIDSystemInfo": pydyf.Dictionary({"Registry": pydyf.String("Adobe"),
                                               "Ordering": pydyf.String("Identity"), "Supplement": 0}),
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


def _widths_glyphs(widths: Any) -> Iterator[int]:
    """The glyph ids a CIDFont's W array gives widths for (`c [w …]` and `c_first c_last w` forms)."""
    items, i = list(widths or []), 0
    while i < len(items):
        start = int(items[i])
        if isinstance(items[i + 1], list):
            yield from range(start, start + len(items[i + 1]))
            i += 2
        else:
            yield from range(start, int(items[i + 1]) + 1)
            i += 3


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
