"""Rebuild the shipped fonts in templates/html/static/fonts/ (run by hand, not at install).

Why subsets: the HTML embeds its fonts as data: URIs to stay self-contained, so they must
be small; WeasyPrint also loads small fonts faster. Text comes from CMU Serif (Computer
Modern Unicode, OFL 1.1, Debian package fonts-cmu), the few maths symbols CMU lacks
(partial, odot, approx, sum, ...) from Latin Modern Math (GUST Font License, fonts-lmodern).
The subsets are renamed ("TG Serif", "TG Math") as the licences ask of modified fonts.
"""

from __future__ import annotations

import sys
from pathlib import Path

from fontTools import subset
from fontTools.ttLib import TTFont

SPACES = "U+0020,U+00A0,U+2000-200B,U+2212"  # every face: no fallback (slow in Pango) for spaces and minus
TEXT = ("U+0020-007E,U+00A0-017F,U+0391-03A9,U+03B1-03C9,U+0177,U+02C6,U+0302,"
        "U+2010-2027,U+2030-203A,U+2190-2193,U+2032,U+2033,U+00D7,U+00B7," + SPACES)
MATH_ITALIC = "U+0020-007E,U+03B1-03C9,U+0177,U+2032," + SPACES
HEADINGS = "U+0020-007E,U+00A0-017F,U+2010-2027," + SPACES
MATH = SPACES + ",U+2202,U+2299,U+2248,U+2211,U+2208,U+2264,U+2265,U+2260,U+22C5,U+2032,U+2713,U+2717,U+221A"
SOURCES = {
    "tg-serif-regular": ("/usr/share/fonts/truetype/cmu/cmunrm.ttf", "TG Serif", "Regular", TEXT),
    "tg-serif-italic": ("/usr/share/fonts/truetype/cmu/cmunti.ttf", "TG Serif", "Italic", MATH_ITALIC),
    "tg-serif-bold": ("/usr/share/fonts/truetype/cmu/cmunbx.ttf", "TG Serif", "Bold", HEADINGS),
    "tg-math": ("/usr/share/texmf/fonts/opentype/public/lm-math/latinmodern-math.otf", "TG Math", "Regular", MATH),
}


def build(source: str, family: str, style: str, unicodes: str, target: Path) -> None:
    """Subset `source` to `unicodes`, rename it, save as WOFF2."""
    options = subset.Options()
    options.flavor = "woff2"
    options.layout_features = ["kern", "liga", "mark", "mkmk"]
    options.name_IDs = ["*"]
    options.drop_tables += ["MATH"]
    font = TTFont(source)
    subsetter = subset.Subsetter(options)
    subsetter.populate(unicodes=subset.parse_unicodes(unicodes))
    subsetter.subset(font)
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
    subset.save_font(font, str(target), options)


def main() -> None:
    out = Path(sys.argv[1] if len(sys.argv) > 1 else "templates/html/static/fonts")
    for stem, (source, family, style, unicodes) in SOURCES.items():
        build(source, family, style, unicodes, out / f"{stem}.woff2")
        print(f"{stem}.woff2: {(out / f'{stem}.woff2').stat().st_size} bytes")


if __name__ == "__main__":
    main()
