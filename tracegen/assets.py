"""The shipped templates, fonts and stylesheets, and the faces and characters the fonts hold.

Templates live in the package `tracegen.templates` (the top-level `templates/` folder,
mapped into the wheel by pyproject), found with importlib.resources so an installed
package works from any directory. The layout process and the typesetter read the fonts
from here without loading Jinja; the page's sizes are in `tracegen.layout`.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path

# HTML file (WOFF2: small, embedded), PDF file (the same font as plain TrueType/OpenType: nothing to
# decode at run time), family, style, weight. The italic is its own family: WeasyPrint ignores a
# same-family italic.
FONTS = (
    ("tg-serif-regular.woff2", "tg-serif-regular.ttf", "TG Serif", "normal", "normal"),
    ("tg-serif-italic.woff2", "tg-serif-italic.ttf", "TG Italic", "normal", "normal"),
    ("tg-serif-bold.woff2", "tg-serif-bold.ttf", "TG Serif", "normal", "bold"),
    ("tg-math.woff2", "tg-math.otf", "TG Math", "normal", "normal"),
)
MATHML_FONT = ("tg-mathml.woff2", None, "TG MathML", "normal", "normal")  # HTML only: Latin Modern Math, MATH kept

# What each text face (regular, italic, bold) draws in its own style, for names and titles: ASCII, Latin-1,
# Latin Extended-A and -B, Latin Extended Additional (Vietnamese among it) but its medievalist letters
# (U+1E9A-1E9F, U+1EFA-1EFF), modern and polytonic Greek, and Cyrillic but its combining marks
# (U+0483-0489) and two Nivkh letters (U+04FA, U+04FB). A test checks every face against it.
REPERTOIRE_SPANS = ((0x20, 0x7E), (0xA0, 0x24F), (0x1E00, 0x1E99), (0x1EA0, 0x1EF9), (0x384, 0x3CE),
                    (0x1F00, 0x1FFE), (0x400, 0x482), (0x48A, 0x4F9), (0x4FC, 0x4FF))
# The HTML embeds each text face's core (what tracegen's own text uses) in every document, and the rest of
# the repertoire in parts, one per block, only in a document whose title or student name uses that block
# (HTML_PARTS lists each part's file and code points). The PDF's TrueType files hold everything.
BLOCKS = {"latin": ((0xA0, 0x17F),), "latin-ext": ((0x180, 0x24F), (0x300, 0x36F), (0x1E00, 0x1EFF)),
          "greek": ((0x370, 0x3FF), (0x1F00, 0x1FFF)), "cyrillic": ((0x400, 0x4FF),)}
HTML_PARTS = "html-parts.json"


def repertoire() -> frozenset[int]:
    """The code points of REPERTOIRE_SPANS that Unicode assigns (no unassigned, private or control ones)."""
    import unicodedata

    return frozenset(code for first, last in REPERTOIRE_SPANS for code in range(first, last + 1)
                     if unicodedata.category(chr(code)) not in ("Cn", "Co", "Cs", "Cc"))


def templates_dir() -> Path:
    """The installed templates folder (a real directory for regular and editable installs).

    When the package is imported straight from a source checkout (`python -m tracegen` run
    in the repository, where the checkout shadows the installed copy), there is no
    `tracegen.templates` package: the top-level `templates/` folder beside it is used.
    """
    try:
        return Path(str(resources.files("tracegen.templates")))
    except ModuleNotFoundError:
        return Path(__file__).resolve().parents[1] / "templates"


def static_dir() -> Path:
    return templates_dir() / "html" / "static"

