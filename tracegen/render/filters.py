"""Every Jinja filter, in one registry per format (`FILTERS`), registered once per cached environment.

Templates print maths through two filters whose meaning depends on the format: `math`
(inline) and `display` (a `prepare.Display`'s lines). Markdown writes LaTeX, HTML writes
MathML; in the PDF's HTML the maths is already a placeholder (`prepare`), printed as is.
Numbers on pictures go through `num`; plain text through the escaping filters.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from jinja2 import pass_context
from jinja2.runtime import Context
from markupsafe import Markup

from tracegen.maths.latex import latex
from tracegen.maths.mathml import mathml
from tracegen.maths.tree import Node
from tracegen.numbers import MINUS, format_number

MD_SPECIAL = re.compile(r"([\\`*_{}\[\]#|$~^!])")


def _decimals(ctx: Context) -> int:
    return int(ctx["doc"].decimals)


@pass_context
def num(ctx: Context, value: float | None, exact: bool = False) -> str:
    """A number with `display.decimals` (exact integers bare, never -0.000), ASCII minus; `exact` for givens."""
    return "" if value is None else format_number(float(value), None if exact else _decimals(ctx))


@pass_context
def num_html(ctx: Context, value: float | None, exact: bool = False) -> str:
    """As `num`, with the typographic minus sign."""
    return "" if value is None else format_number(float(value), None if exact else _decimals(ctx), MINUS)


def text_md(value: Any) -> str:
    """Plain text made inert in Markdown (and in the HTML that Markdown renderers allow)."""
    text = re.sub(r"\s+", " ", str(value))
    text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return MD_SPECIAL.sub(r"\\\1", text)


def math_md(node: Node) -> str:
    """Inline maths in Markdown: `$…$`."""
    return f"${latex(node)}$"


def display_md(node: Node) -> str:
    """A display equation in Markdown: a `$$` block of its own."""
    return f"$$\n{latex(node)}\n$$"


@pass_context
def math_html(ctx: Context, node: Node | Markup) -> Markup:
    """Inline maths in HTML (MathML, named by its spoken text), or the PDF's placeholder for it."""
    return node if isinstance(node, Markup) else mathml(node, label=ctx["page"]["speak"](node))


PUNCTUATION = re.compile(r"^[.,;:!?)]+")


def glued(parts: tuple[Any, ...]) -> list[tuple[Any, str]]:
    """A paragraph's parts as (maths or None, text): punctuation right after maths goes with it, so the
    HTML keeps them on one line (a line never starts with ", so this unit …")."""
    out: list[tuple[Any, str]] = []
    for part in parts:
        if isinstance(part, str) and not isinstance(part, Markup) and out and out[-1][0] is not None:
            match = PUNCTUATION.match(part)
            if match:
                out[-1] = (out[-1][0], match.group())
                part = part[match.end():]
            if part:
                out.append((None, part))
        elif isinstance(part, str) and not isinstance(part, Markup):
            out.append((None, part))
        else:
            out.append((part, ""))
    return out


@pass_context
def display_html(ctx: Context, node: Node) -> Markup:
    return mathml(node, display=True, label=ctx["page"]["speak"](node))


COMMON: dict[str, Callable[..., Any]] = {"num": num, "num_html": num_html, "text_md": text_md}
FILTERS: dict[str, dict[str, Callable[..., Any]]] = {
    "md": {**COMMON, "math": math_md, "display": display_md},
    "html": {**COMMON, "math": math_html, "display": display_html, "glued": glued},
}
