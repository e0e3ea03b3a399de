"""One cached Jinja environment per format, the shipped static files, and the page context.

Templates live in the package `tracegen.templates` (the top-level `templates/` folder,
mapped into the wheel by pyproject), found with importlib.resources so an installed
package works from any directory. Everything here is computed once per process: batch
rendering reuses it for every document.
"""

from __future__ import annotations

import base64
from functools import cache
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING

from markupsafe import Markup

from tracegen.choices import PAPERS

if TYPE_CHECKING:
    from jinja2 import Environment

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


def templates_dir() -> Path:
    """The installed templates folder (a real directory for regular and editable installs).

    When the package is imported straight from a source checkout (`python -m tracegen` run
    in the repository, where the checkout shadows the installed copy), there is no
    `tracegen.templates` package: the top-level `templates/` folder beside it is used.
    """
    try:
        return Path(str(resources.files("tracegen.templates")))
    except ModuleNotFoundError:
        return Path(__file__).resolve().parents[2] / "templates"


def static_dir() -> Path:
    return templates_dir() / "html" / "static"


@cache
def jinja_environment(fmt: str) -> Environment:
    """The environment for `md` (no autoescape) or `html` (autoescape); StrictUndefined in both.

    Jinja and the filters are imported here, not with the module: the PDF layout process
    (`tracegen.pdf_process`) needs this module's paths and page sizes, not templates.
    """
    from jinja2 import Environment, FileSystemLoader, StrictUndefined

    from tracegen.render.filters import FILTERS

    env = Environment(
        loader=FileSystemLoader(str(templates_dir())),
        undefined=StrictUndefined,
        autoescape=fmt == "html",
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters.update(FILTERS[fmt])
    return env


@cache
def stylesheet(mathml: bool = True) -> Markup:
    """screen.css, print.css and for MathML mathml.css, inlined into every HTML document (trusted files)."""
    names = ("screen.css", "print.css", "mathml.css") if mathml else ("screen.css", "print.css")
    return Markup("\n".join((static_dir() / name).read_text("utf-8") for name in names))


@cache
def font_faces(embed: bool) -> Markup:
    """@font-face rules: WOFF2 fonts as data: URIs (self-contained HTML), or paths to the same fonts as plain
    TrueType/OpenType under the static dir (PDF: WeasyPrint reads them without decoding WOFF2 first)."""
    rules = []
    for woff2, sfnt, family, style, weight in (*FONTS, MATHML_FONT) if embed else FONTS:
        if embed:
            data = base64.b64encode((static_dir() / "fonts" / woff2).read_bytes()).decode("ascii")
            src = f'url("data:font/woff2;base64,{data}") format("woff2")'
        else:
            src = f'url("fonts/{sfnt}") format("{"opentype" if sfnt.endswith(".otf") else "truetype"}")'
        rules.append(f'@font-face {{ font-family: "{family}"; font-style: {style}; font-weight: {weight}; '
                     f'src: {src}; }}')
    return Markup("\n".join(rules))


PAPER_WIDTH_MM = {"a4": 210.0, "letter": 215.9}
SCREEN_MEASURE = 38.0  # em: where screen equations wrap; the HTML page is 46 em wide (screen.css), and a
# browser sets MathML up to about 15 % wider than these boxes (its table cells are padded)
PRINT_MARGINS_MM, PRINT_FONT_PT = 32.0, 10.5  # left + right @page margins and the html font size of print.css


def page_context(fmt: str, paper: str) -> dict[str, object]:
    """What a template needs besides the document: format, CSS, fonts and paper size.

    Also the text width in em (`measure`) where display equations wrap: the printed
    page's for the PDF, the screen page's for HTML and Markdown; and the size of an em in
    CSS px (`px_per_em`), which places the PDF's picture labels.
    """
    if fmt == "pdf":
        measure = (PAPER_WIDTH_MM[paper] - PRINT_MARGINS_MM) / (PRINT_FONT_PT * 25.4 / 72) - 0.5
    else:
        measure = SCREEN_MEASURE
    return {"format": fmt, "css": stylesheet(mathml=fmt == "html"), "fonts": font_faces(embed=fmt == "html"),
            "paper": PAPERS[paper],
            "measure": measure, "px_per_em": PRINT_FONT_PT * 96 / 72}
