"""One cached Jinja environment per format, the inlined CSS and fonts, and the page context.

Everything here is computed once per process: batch rendering reuses it for every document.
The files themselves are found by `tracegen.assets`.
"""

from __future__ import annotations

import base64
import json
from functools import cache
from typing import TYPE_CHECKING

from markupsafe import Markup

from tracegen.assets import (
    FONTS,
    HTML_PARTS,
    MATHML_FONT,
    static_dir,
    templates_dir,
)
from tracegen.layout import (
    COLUMN_GAP,
    EQUATION_MARGIN,
    HEAD_PAD_MM,
    HEAD_PT,
    HEAD_SHARE,
    PHONE_SCREEN_EM,
    PRINT_FONT_PT,
    PRINT_MARGINS_MM,
    SCREEN_FONT_PT,
    SCREEN_PAGE_EM,
    WIDE_SIZE,
)

if TYPE_CHECKING:
    from jinja2 import Environment

@cache
def jinja_environment(fmt: str) -> Environment:
    """The environment for `md` (no autoescape), `html` (autoescape) or `css` (the stylesheets: no autoescape, no
    filters); StrictUndefined in all.

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
    env.filters.update(FILTERS.get(fmt, {}))
    return env


@cache
def stylesheet(mathml: bool = True) -> Markup:
    """screen.css, print.css and for MathML mathml.css, inlined into every HTML document (trusted files).

    They are templates of the page's sizes (`tracegen.layout`), which the PDF typesetter and the size
    estimate read too: each size is written once."""
    names = ("screen", "print", "mathml") if mathml else ("screen", "print")
    env = jinja_environment("css")
    return Markup("\n".join(env.get_template(f"html/{name}.css.j2").render(css=css_sizes()) for name in names))


def css_sizes() -> dict[str, str]:
    """The sizes of `tracegen.layout` the stylesheets set, as CSS writes them (`.82em`, `10.5pt`)."""
    return {
        "page_margins": " ".join(f"{_css(mm)}mm" for mm in PRINT_MARGINS_MM),
        "print_font": f"{_css(PRINT_FONT_PT)}pt",
        "screen_font": f"{_css(SCREEN_FONT_PT)}pt",
        "screen_page": f"{_css(SCREEN_PAGE_EM)}em",
        "phone_screen": f"{_css(PHONE_SCREEN_EM)}em",
        "equation_margin": f"{_css(EQUATION_MARGIN)}em",
        "half_column_gap": f"{_css(COLUMN_GAP / 2)}em",
        "wide_size": f"{_css(WIDE_SIZE)}em",
        "head_font": f"{_css(HEAD_PT)}pt",
        "head_pad": f"{_css(HEAD_PAD_MM)}mm",
        "head_share": f"{_css(HEAD_SHARE * 100)}%",
    }


def _css(number: float) -> str:
    """A number as the stylesheets write it: shortest form, no leading zero (`.55`, `16`, `10.5`)."""
    text = f"{number:g}"
    return text[1:] if text.startswith("0.") else text


# Which HTML faces print user text: the title (heading and printed running head) and the student's name.
USER_TEXT_FACES = {"title": ("tg-serif-regular.woff2", "tg-serif-bold.woff2"), "student": ("tg-serif-italic.woff2",)}


@cache
def _parts() -> tuple[tuple[str, str, tuple[tuple[int, int], ...]], ...]:
    """The HTML's font parts beyond each face's core: (file, the core file it extends, its code point runs)."""
    listing = json.loads((static_dir() / "fonts" / HTML_PARTS).read_text("utf-8"))
    return tuple((name, name.split(".")[0] + ".woff2", tuple((first, last) for first, last in runs))
                 for name, runs in sorted(listing.items()))


def font_parts(title: str = "", student: str = "") -> tuple[str, ...]:
    """The font parts a document's HTML embeds: those holding a character of its title or student name, in the
    face that prints it (the rest of the repertoire stays out of every document that does not use it)."""
    used: dict[str, set[int]] = {}
    for key, text in (("title", title), ("student", student)):
        for face in USER_TEXT_FACES[key]:
            used.setdefault(face, set()).update(map(ord, text))
    return tuple(name for name, face, runs in _parts()
                 if any(first <= code <= last for code in used.get(face, ()) for first, last in runs))


@cache
def font_faces(embed: bool, parts: tuple[str, ...] = ()) -> Markup:
    """@font-face rules: WOFF2 fonts as data: URIs (self-contained HTML), with the `parts` that extend them, each
    for its own characters (`unicode-range`); or paths to the whole fonts as plain TrueType/OpenType under the
    static dir (PDF: WeasyPrint reads them without decoding WOFF2 first)."""
    rules = [_rule(family, style, weight, _embedded(woff2) if embed else _linked(sfnt))
             for woff2, sfnt, family, style, weight in ((*FONTS, MATHML_FONT) if embed else FONTS)]
    if embed:
        ranges = {name: runs for name, _, runs in _parts()}
        cores = {woff2: (family, style, weight) for woff2, _, family, style, weight in FONTS}
        rules += [_rule(*cores[name.split(".")[0] + ".woff2"], _embedded(name), ranges[name]) for name in parts]
    return Markup("\n".join(rules))


def _embedded(woff2: str) -> str:
    data = base64.b64encode((static_dir() / "fonts" / woff2).read_bytes()).decode("ascii")
    return f'url("data:font/woff2;base64,{data}") format("woff2")'


def _linked(sfnt: str | None) -> str:
    assert sfnt is not None, "every face the PDF uses has a TrueType/OpenType file"
    return f'url("fonts/{sfnt}") format("{"opentype" if sfnt.endswith(".otf") else "truetype"}")'


def _rule(family: str, style: str, weight: str, src: str, runs: tuple[tuple[int, int], ...] = ()) -> str:
    unicode_range = f" unicode-range: {', '.join(_css_range(*run) for run in runs)};" if runs else ""
    return (f'@font-face {{ font-family: "{family}"; font-style: {style}; font-weight: {weight}; '
            f'src: {src};{unicode_range} }}')


def _css_range(first: int, last: int) -> str:
    return f"U+{first:X}" if first == last else f"U+{first:X}-{last:X}"
