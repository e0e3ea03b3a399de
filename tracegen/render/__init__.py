"""Documents from a trace: worksheets and answer keys as Markdown, HTML and PDF.

`render_documents` returns bytes and writes nothing; the CLI and the batch writer decide
where files go. One document model (`tracegen.document`) feeds every format; the PDF is
the HTML with its print stylesheet, laid out by WeasyPrint.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence

from tracegen.document import KINDS, Document, build
from tracegen.errors import OptionError
from tracegen.render.environment import PAPERS, jinja_environment, page_context
from tracegen.tracing import Trace

FORMATS = ("md", "html", "pdf")

__all__ = ["FORMATS", "KINDS", "PAPERS", "render_documents", "slug"]


def slug(text: str, limit: int = 60) -> str:
    """A file-name-safe stem (ASCII letters, digits, `-`, `_`), never empty, never a path."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    cleaned = re.sub(r"[^A-Za-z0-9_]+", "-", ascii_text).strip("-_").lower()[:limit].strip("-_")
    return cleaned or "document"


def _check(values: Sequence[str], allowed: Sequence[str], what: str) -> None:
    bad = [v for v in values if v not in allowed]
    if bad or isinstance(values, str):
        raise OptionError(f"{what}: expected some of {', '.join(allowed)}, got {', '.join(map(str, bad or [values]))}")


def render_documents(trace: Trace, kinds: Sequence[str] = ("worksheet", "key"),
                     formats: Sequence[str] = ("md", "html", "pdf"), *, student: str | None = None,
                     paper: str = "a4") -> dict[tuple[str, str], bytes]:
    """The documents of `trace` as bytes per (kind, format); writes nothing.

    `student` (optional) and the trace's variant id are printed on every page. `paper`
    is "a4" (default) or "letter" for HTML printing and PDF.
    """
    _check(kinds, KINDS, "kind")
    _check(formats, FORMATS, "format")
    _check([paper], tuple(PAPERS), "paper")
    out: dict[tuple[str, str], bytes] = {}
    for kind in kinds:
        doc = build(trace, kind, student)
        for fmt in formats:
            out[(kind, fmt)] = _render(doc, fmt, paper)
    return out


def _render(doc: Document, fmt: str, paper: str) -> bytes:
    page = page_context(fmt, paper)
    if fmt == "md":
        return jinja_environment("md").get_template("md/index.md.j2").render(doc=doc, page=page).encode("utf-8")
    html = jinja_environment("html").get_template("html/index.html.j2").render(doc=doc, page=page)
    if fmt == "html":
        return html.encode("utf-8")
    from tracegen.render.pdf import write_pdf

    return write_pdf(html, page["blocks"])
