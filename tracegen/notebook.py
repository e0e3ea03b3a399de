"""What Python and Jupyter show: rendered documents, and summary tables of a spec and a trace.

`Document` is the public face of one worksheet, answer key or worked solution. It renders
each format on first use through `tracegen.render.render_documents` (the one path the CLI
and the batch use too, so a notebook's key is byte for byte the CLI's) and keeps the bytes.

How a document shows inline (`Document._repr_html_`): the HTML is a full, self-contained
page (its own `<head>`, stylesheet, inlined fonts), so it goes into the notebook as an
`<iframe srcdoc=...>`, not as a body fragment. An iframe shows the page exactly as a
browser opening the file does, in JupyterLab, Notebook 7, VS Code and Colab alike (its
maths is MathML Core in the page's own inlined MATH font, which current Chromium, Firefox
and Safari, and so VS Code's Electron, draw natively, no script needed): the
page's stylesheet cannot restyle the notebook (VS Code renders every output of a
notebook into one shared webview, where a fragment's `body`/`table` rules would leak
into the other outputs), and the notebook's styles (JupyterLab's table and heading rules)
cannot restyle the worksheet. A fragment with scoped styles would need every selector
rewritten, or CSS `@scope`, which not every front end's browser has. The frame is
`sandbox`ed (no scripts, no navigation; the documents need neither), a fixed height the
reader can drag taller (`resize: vertical`), and scrolls. The cost: a viewer that strips
iframes from untrusted output (JupyterLab before "Trust", GitHub's notebook preview)
shows nothing until the cell is run again; `Document.save("key.html")` always works.
"""

from __future__ import annotations

import html
import os
from pathlib import Path
from typing import TYPE_CHECKING

from tracegen.choices import KIND_NAMES
from tracegen.errors import OptionError
from tracegen.files import write_atomic
from tracegen.render import KINDS, PAPERS, render_documents

if TYPE_CHECKING:
    from tracegen.engine.trace import Trace

SUFFIXES = {".md": "md", ".markdown": "md", ".html": "html", ".htm": "html", ".pdf": "pdf"}
FRAME_HEIGHT = "42em"  # about a screen; the reader drags the frame taller


class Document:
    """One worksheet, answer key or worked solution of a trace, rendered on demand and kept per format.

    Get one from `tracegen.key(trace)`, `tracegen.worksheet(trace)` or `tracegen.solution(trace)`;
    it shows itself in Jupyter. `markdown()` and `html()` return text, `pdf()` bytes, and
    `save(path)` writes the format its suffix names (.md, .html or .pdf), atomically.

    >>> key = tracegen.key(tracegen.load_example())
    >>> key
    <Document: answer key of 'Class 3: Training by Hand' (variant base); .markdown() .html() .pdf() .save(path)>
    >>> "0.881" in key.markdown() and key.html().startswith("<!DOCTYPE html>")
    True
    >>> key.pdf()[:5]
    b'%PDF-'
    """

    def __init__(self, trace: Trace, kind: str, *, student: str | None = None, paper: str = "a4",
                 fillable: bool = False) -> None:
        if kind not in KINDS:
            raise OptionError(f"kind: expected one of {', '.join(KINDS)}, got {kind!r}")
        if paper not in PAPERS:
            raise OptionError(f"paper: expected one of {', '.join(PAPERS)}, got {paper!r}")
        self.trace = trace
        self.kind = kind
        self.student = student
        self.paper = paper
        self.fillable = fillable  # the worksheet's PDF is a form (render.pdf.form)
        self._bytes: dict[str, bytes] = {}

    def render(self, fmt: str) -> bytes:
        """The document in one format ("md", "html" or "pdf"), rendered once and kept."""
        if fmt not in self._bytes:
            done = render_documents(self.trace, (self.kind,), (fmt,), student=self.student, paper=self.paper,
                                    fillable=self.fillable)
            self._bytes[fmt] = done[(self.kind, fmt)]
        return self._bytes[fmt]

    def markdown(self) -> str:
        """Markdown with `$$…$$` maths, as `tracegen render --to md` writes it."""
        return self.render("md").decode("utf-8")

    def html(self) -> str:
        """The self-contained HTML page (stylesheet and fonts inlined, no scripts)."""
        return self.render("html").decode("utf-8")

    def pdf(self) -> bytes:
        """The PDF (WeasyPrint), as `tracegen render --to pdf` writes it."""
        return self.render("pdf")

    def save(self, path: str | os.PathLike[str]) -> Path:
        """Write the format the suffix names (.md/.markdown, .html/.htm, .pdf) atomically; the path written.

        >>> import tempfile
        >>> with tempfile.TemporaryDirectory() as folder:
        ...     tracegen.worksheet(tracegen.load_example()).save(Path(folder) / "ws.md").name
        'ws.md'
        """
        target = Path(path)
        fmt = SUFFIXES.get(target.suffix.lower())
        if fmt is None:
            raise OptionError(f"{target}: expected a file name ending in {', '.join(SUFFIXES)}, "
                              f"got {target.suffix or 'no suffix'!r}")
        return write_atomic(target, self.render(fmt))

    def __repr__(self) -> str:
        return (f"<Document: {KIND_NAMES[self.kind]} of {self.title!r} (variant {self.variant}); "
                ".markdown() .html() .pdf() .save(path)>")

    @property
    def title(self) -> str:
        return self.trace.spec.title if self.trace.spec is not None else ""

    @property
    def variant(self) -> str:
        return self.trace.variants[0]

    def _repr_html_(self) -> str:
        """The HTML page in a sandboxed iframe (why an iframe: see the module docstring)."""
        label = html.escape(f"{KIND_NAMES[self.kind]}: {self.title}", quote=True)
        return (f'<iframe srcdoc="{html.escape(self.html(), quote=True)}" title="{label}" sandbox '
                f'style="width: 100%; height: {FRAME_HEIGHT}; resize: vertical; border: 1px solid #ccc;">'
                "</iframe>")
