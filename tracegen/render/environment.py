"""One cached Jinja environment per format, the inlined CSS and fonts, and the page context.

Everything here is computed once per process: batch rendering reuses it for every document.
The files themselves are found by `render.assets`.
"""

from __future__ import annotations

import base64
from functools import cache
from typing import TYPE_CHECKING

from markupsafe import Markup

from tracegen.render.assets import (
    FONTS,
    MATHML_FONT,
    static_dir,
    templates_dir,
)

if TYPE_CHECKING:
    from jinja2 import Environment

@cache
def jinja_environment(fmt: str) -> Environment:
    """The environment for `md` (no autoescape) or `html` (autoescape); StrictUndefined in both.

    Jinja and the filters are imported here, not with the module: the PDF layout process
    (`tracegen.render.pdf.process`) needs this module's paths and page sizes, not templates.
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
