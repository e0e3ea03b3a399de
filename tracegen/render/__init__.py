"""Documents from a trace: worksheets and answer keys as Markdown, HTML and PDF.

`render_documents` returns bytes and writes nothing; the CLI and the batch writer decide
where files go. One document model (`tracegen.document`) feeds every format; the PDF is
the HTML with its print stylesheet, laid out by WeasyPrint.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence

from tracegen.choices import DOCUMENT_FORMATS as FORMATS
from tracegen.document import KINDS, Document, build
from tracegen.errors import OptionError
from tracegen.render.environment import PAPERS, jinja_environment, page_context
from tracegen.render.mathbox import Box
from tracegen.render.prepare import prepare
from tracegen.tracing import Trace

__all__ = ["FORMATS", "KINDS", "PAPERS", "markup", "render_documents", "slug"]


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
                     paper: str = "a4", tagged: bool = False) -> dict[tuple[str, str], bytes]:
    """The documents of `trace` as bytes per (kind, format); writes nothing.

    `student` (optional) and the trace's variant id are printed on every page. `paper`
    is "a4" (default) or "letter" for HTML printing and PDF. `tagged` makes the PDFs
    tagged PDF/UA-1 for screen readers (the maths as Formula elements with their text).
    """
    _check(kinds, KINDS, "kind")
    _check(formats, FORMATS, "format")
    _check([paper], tuple(PAPERS), "paper")
    out: dict[tuple[str, str], bytes] = {}
    for kind in kinds:
        doc = build(trace, kind, student)
        for fmt in formats:
            out[(kind, fmt)] = _render(doc, fmt, paper, tagged)
    return out


def markup(doc: Document, fmt: str, paper: str = "a4") -> tuple[str, list[Box]]:
    """The text a format is written from: Markdown, or the HTML (for "pdf": the HTML WeasyPrint lays out,
    and the typeset maths blocks the PDF finisher draws on its placeholders)."""
    page = page_context(fmt, paper)
    prepared, extra = prepare(doc, fmt, page["measure"], page["px_per_em"])
    page.update(extra)
    template = "md/index.md.j2" if fmt == "md" else "html/index.html.j2"
    text = jinja_environment("md" if fmt == "md" else "html").get_template(template).render(doc=prepared, page=page)
    return text, page["blocks"]


def _render(doc: Document, fmt: str, paper: str, tagged: bool = False) -> bytes:
    text, blocks = markup(doc, fmt, paper)
    if fmt != "pdf":
        return text.encode("utf-8")
    from tracegen.render.pdf import write_pdf

    return write_pdf(text, blocks, pdf_variant="pdf/ua-1" if tagged else None)
