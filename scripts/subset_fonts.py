"""Rebuild the shipped fonts in templates/html/static/fonts/ (run by hand, not at install).

Usage: python scripts/subset_fonts.py ROOT [OUT [STEM ...]]   (see `main`)

Each face is written as WOFF2 (`.woff2`, small, embedded in the HTML) and as plain
TrueType/OpenType (`.ttf`/`.otf`, for the PDF: WeasyPrint and the maths finisher read it
without decoding WOFF2). The text faces cover the names repertoire (tracegen.assets:
Latin with its extensions and Vietnamese, Greek, Cyrillic) in their own style, gaps filled by
`font_gaps`; their PDF file holds it all, their HTML comes as a core that every document
embeds and one part per block that only documents using it embed (`html-parts.json` lists
the parts and their code points). `metrics.json` holds what the PDF maths is
typeset from (tracegen.fontmetrics.measure), measured here once instead of at every
run.

Why subsets: the HTML embeds its fonts as data: URIs to stay self-contained, so they must
be small; WeasyPrint also loads small fonts faster. Text comes from CMU Serif (Computer
Modern Unicode, OFL 1.1, Debian package fonts-cmu), the few maths symbols CMU lacks
(partial, odot, approx, sum, ...) from Latin Modern Math (GUST Font License, fonts-lmodern).
The subsets are renamed ("TG Serif", "TG Math") as the licences ask of modified fonts.

Two additions serve the PDF's maths, which tracegen typesets from these fonts as glyph runs
(tracegen.render.typeset.boxes): the italic face also answers for the Unicode mathematical italic
letters (U+1D434…, ℎ), and the regular face gets superscript and subscript forms (⁽¹⁾, ᵀ,
₁ …) as composite glyphs: its own glyphs, scaled and shifted. Matrix brackets and answer
boxes are drawn as rules by the typesetter, not taken from a font.
"""

from __future__ import annotations

import io
import json
import sys
from collections.abc import Iterable
from pathlib import Path

from font_gaps import fill
from fontTools import subset
from fontTools.ttLib import TTFont
from fontTools.ttLib.tables._c_m_a_p import CmapSubtable
from fontTools.ttLib.tables._g_l_y_f import Glyph, GlyphComponent

from tracegen.assets import BLOCKS, FONTS, HTML_PARTS, repertoire
from tracegen.fontmetrics import METRICS, measure
from tracegen.layout import SCRIPT_LOWER, SCRIPT_RAISE, SCRIPT_SIZE
from tracegen.maths.scripts import SUBSCRIPTS, SUPERSCRIPTS
from tracegen.render.typeset.glyphs import math_italic

SCALE = SCRIPT_SIZE
RAISE, LOWER = round(SCRIPT_RAISE * 1000), -round(SCRIPT_LOWER * 1000)  # font units (1000 per em)

def _set_cmap(font: TTFont, extra: dict[int, str]) -> None:
    """Add code points (beyond the BMP too) to every Unicode cmap, via a format 12 table."""
    mapping = {**font.getBestCmap(), **extra}
    table = CmapSubtable.newSubtable(12)
    table.platformID, table.platEncID, table.language, table.cmap = 3, 10, 0, mapping
    cmap = font["cmap"]
    cmap.tables = [t for t in cmap.tables if not (t.platformID == 3 and t.platEncID == 10)] + [table]
    for t in cmap.tables:
        if t.format == 4:
            t.cmap = {u: g for u, g in mapping.items() if u <= 0xFFFF}


def add_italic_letters(font: TTFont) -> None:
    cmap = font.getBestCmap()
    _set_cmap(font, {math_italic(chr(u)): g for u, g in cmap.items() if math_italic(chr(u)) is not None})


def add_scripts(font: TTFont) -> None:
    """Superscript and subscript forms as composites of the font's own glyphs."""
    cmap, glyf, hmtx = font.getBestCmap(), font["glyf"], font["hmtx"]
    order, extra = list(font.getGlyphOrder()), {}
    for table, shift, tag in ((SUPERSCRIPTS, RAISE, "sup"), (SUBSCRIPTS, LOWER, "sub")):
        for char, code in table.items():
            base = cmap.get(ord(char))
            if base is None:
                continue
            name = f"{base}.{tag}"
            component = GlyphComponent()
            component.glyphName, component.x, component.y = base, 0, shift
            component.transform = [[SCALE, 0], [0, SCALE]]
            component.flags = 0x4  # ROUND_XY_TO_GRID
            glyph = Glyph()
            glyph.numberOfContours, glyph.components = -1, [component]
            glyf.glyphs[name] = glyph
            advance, lsb = hmtx[base]
            hmtx[name] = (round(advance * SCALE) + 20, round(lsb * SCALE))
            order.append(name)
            extra[code] = name
    font.setGlyphOrder(order)
    glyf.glyphOrder = order
    _set_cmap(font, extra)

SPACES = "U+0020,U+00A0,U+2000-200B,U+2212"  # every face: no fallback (slow in Pango) for spaces and minus
TEXT = ("U+0020-007E,U+00A0-017F,U+0391-03A9,U+03B1-03C9,U+0177,U+02C6,U+0302,"
        "U+2010-2027,U+2030-203A,U+2190-2193,U+2032,U+2033,U+00D7,U+00B7,U+2113," + SPACES)
MATH_ITALIC = "U+0020-007E,U+03B1-03C9,U+0177,U+2032," + SPACES
HEADINGS = "U+0020-007E,U+00A0-017F,U+2010-2027," + SPACES
MATH = (SPACES + ",U+2113,U+2202,U+2299,U+2248,U+2211,U+2208,U+2264,U+2265,U+2260,U+22C5,U+2032,U+2713,U+2717,U+221A,"
        "U+1D6FC-1D714")  # and the maths italic Greek, which reads unlike Latin (𝛼 is never mistaken for a)
MATHML = ("U+0020-0021,U+0027-003E,U+0041-005E,U+0061-007A,U+007C,U+00A0,U+00B7,U+00D7,U+03B1-03C9,U+02C6,"
          "U+0302,U+2032,U+2061,U+2113,U+210E,"
          "U+2190,U+2192,U+2202,U+2211,U+2212,U+2248,U+2264,U+2265,U+2299,U+22C5,U+2000-200B,"
          "U+1D434-1D467,U+1D6FC-1D714,U+1D7CE-1D7D7")
SOURCES = {
    "tg-serif-regular": ("usr/share/fonts/truetype/cmu/cmunrm.ttf", "TG Serif", "Regular", TEXT),
    "tg-serif-italic": ("usr/share/fonts/truetype/cmu/cmunti.ttf", "TG Serif", "Italic",
                        MATH_ITALIC + ",U+00B7,U+2010-2027"),
    "tg-serif-bold": ("usr/share/fonts/truetype/cmu/cmunbx.ttf", "TG Serif", "Bold", HEADINGS),
    "tg-math": ("usr/share/texmf/fonts/opentype/public/lm-math/latinmodern-math.otf", "TG Math", "Regular", MATH),
    # The HTML's MathML: Latin Modern Math with its MATH table (stretchy brackets, script sizes, ∑ limits)
    "tg-mathml": ("usr/share/texmf/fonts/opentype/public/lm-math/latinmodern-math.otf", "TG MathML", "Regular",
                  MATHML),
}
UPRIGHT = SOURCES["tg-serif-regular"][0]  # where the italic and bold borrow a letter they cannot compose


def _options(family: str, flavor: str | None) -> subset.Options:
    options = subset.Options()
    options.flavor = flavor
    options.name_IDs = ["*"]
    if family == "TG MathML":  # keep what browsers lay MathML out with
        options.layout_features = ["kern"]
    else:
        options.layout_features = ["kern", "liga", "mark", "mkmk"]
        options.drop_tables += ["MATH"]
        options.hinting = False  # the PDF drops it anyway (render.pdf.sfnt); a third of the text faces' bytes
    return options


def _cut(font: TTFont, family: str, unicodes: Iterable[int], flavor: str | None) -> TTFont:
    """A copy of `font` with only `unicodes` (and the glyphs they need)."""
    options = _options(family, flavor)
    copy = TTFont(io.BytesIO(_save(font, None)), recalcTimestamp=False)
    subsetter = subset.Subsetter(options)
    subsetter.populate(unicodes=unicodes)
    subsetter.subset(copy)
    copy.flavor = flavor
    return copy


def _save(font: TTFont, flavor: str | None) -> bytes:
    font.flavor = flavor
    buffer = io.BytesIO()
    font.save(buffer)
    return buffer.getvalue()


def _rename(font: TTFont, family: str, style: str) -> None:
    names = font["name"]
    for record in list(names.names):
        if record.nameID in (1, 16):
            names.setName(family, record.nameID, record.platformID, record.platEncID, record.langID)
        elif record.nameID in (2, 17):
            names.setName(style, record.nameID, record.platformID, record.platEncID, record.langID)
        elif record.nameID in (3, 4):
            names.setName(f"{family} {style}", record.nameID, record.platformID, record.platEncID, record.langID)
        elif record.nameID == 6:
            names.setName(f"{family.replace(' ', '')}-{style}", record.nameID, record.platformID, record.platEncID,
                          record.langID)


def build(root: Path, stem: str, out: Path) -> dict[str, list[list[int]]]:
    """Face `stem` from its source under `root`: the WOFF2 for the HTML; for a text face also the PDF's full
    TrueType file and the HTML's parts (returned: part file -> code point ranges)."""
    source, family, style, unicodes = SOURCES[stem]
    font = TTFont(str(root / source), recalcTimestamp=False)
    core = set(subset.parse_unicodes(unicodes))
    if family == "TG Serif":
        font = _names_repertoire(root, stem, font, core)
    else:
        font = _cut(font, family, sorted(core), "woff2")
    before = set(font.getBestCmap())
    if style == "Italic":
        add_italic_letters(font)
    if style == "Regular" and family == "TG Serif":
        add_scripts(font)
    core |= set(font.getBestCmap()) - before
    _rename(font, family, style)
    if family != "TG Serif":
        (out / f"{stem}.woff2").write_bytes(_save(font, "woff2"))
        return {}
    (out / f"{stem}.ttf").write_bytes(_save(font, None))
    (out / f"{stem}.woff2").write_bytes(_save(_cut(font, family, sorted(core), "woff2"), "woff2"))
    parts = {}
    for block, spans in BLOCKS.items():
        codes = sorted(u for u in font.getBestCmap() if u not in core and any(a <= u <= b for a, b in spans))
        if codes:
            name = f"{stem}.{block}.woff2"
            (out / name).write_bytes(_save(_cut(font, family, codes, "woff2"), "woff2"))
            parts[name] = _ranges(codes)
    return parts


def _names_repertoire(root: Path, stem: str, font: TTFont, core: set[int]) -> TTFont:
    """A text face cut to its core and the names repertoire (with the source's combining marks), gaps filled."""
    source, family, style, _ = SOURCES[stem]
    upright = TTFont(str(root / UPRIGHT)) if source != UPRIGHT else None
    marks = {u for u in range(0x300, 0x370) if u in font.getBestCmap()}
    left = set(fill(font, upright, style.lower(), sorted(repertoire() | core))) & repertoire()
    if left:
        raise SystemExit(f"{stem}: cannot draw {' '.join(f'U+{u:04X}' for u in sorted(left))}")
    return _cut(font, family, sorted(repertoire() | core | marks), None)


def _ranges(codes: list[int]) -> list[list[int]]:
    """Sorted code points as [first, last] runs."""
    runs: list[list[int]] = []
    for code in codes:
        if runs and runs[-1][1] == code - 1:
            runs[-1][1] = code
        else:
            runs.append([code, code])
    return runs


def write_pdf_fonts(out: Path) -> None:
    """The PDF's OpenType copy of the maths face's WOFF2 (same tables, same date) and metrics.json of every face."""
    metrics = {}
    for woff2, sfnt, family, *_ in FONTS:
        if family == "TG Math":
            font = TTFont(str(out / woff2), recalcTimestamp=False)
            font.flavor = None
            font.save(str(out / sfnt))
        metrics[sfnt] = measure(TTFont(str(out / sfnt)))
        print(f"{sfnt}: {(out / sfnt).stat().st_size} bytes")
    (out / METRICS).write_text(json.dumps(metrics, sort_keys=True, separators=(",", ":")) + "\n", "utf-8")


def main() -> None:
    """`python scripts/subset_fonts.py ROOT [FOLDER [STEM ...]]`: rebuild every face, or only the named ones, from
    the Debian packages fonts-cmu and fonts-lmodern unpacked under ROOT (`/` when installed; else
    `apt-get download fonts-cmu fonts-lmodern` and `dpkg -x` each into ROOT); then metrics.json and the list
    of the HTML's parts."""
    if len(sys.argv) < 2:
        raise SystemExit(main.__doc__)
    root = Path(sys.argv[1])
    out = Path(sys.argv[2] if len(sys.argv) > 2 else "templates/html/static/fonts")
    wanted = set(sys.argv[3:]) or set(SOURCES)
    listing = out / HTML_PARTS
    parts = json.loads(listing.read_text("utf-8")) if listing.exists() else {}
    for stem in SOURCES:
        if stem in wanted:
            parts = {name: runs for name, runs in parts.items() if not name.startswith(stem + ".")}
            parts.update(build(root, stem, out))
            for name in sorted(p.name for p in out.glob(f"{stem}*.woff2")):
                print(f"{name}: {(out / name).stat().st_size} bytes")
    listing.write_text(json.dumps(parts, sort_keys=True, separators=(",", ":")) + "\n", "utf-8")
    write_pdf_fonts(out)


if __name__ == "__main__":
    main()
