"""Documents from a trace: worksheets and answer keys as Markdown, HTML and PDF (`documents`).

The public names are resolved on first use (PEP 562), so a process that only lays out PDFs
(`tracegen.render.pdf.process`) imports `render.pdf` without the document model, Jinja and NumPy.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

__all__ = ["FORMATS", "KINDS", "PAPERS", "POSITIONS", "PaperReady", "file_stem", "markup", "render_documents", "slug"]

if TYPE_CHECKING:
    from tracegen.render.documents import (
        FORMATS,
        KINDS,
        PAPERS,
        POSITIONS,
        PaperReady,
        file_stem,
        markup,
        render_documents,
        slug,
    )


def __getattr__(name: str) -> Any:
    if name in __all__:
        return getattr(import_module("tracegen.render.documents"), name)
    raise AttributeError(f"module 'tracegen.render' has no attribute {name!r}")
