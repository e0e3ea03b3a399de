"""What Python and Jupyter show: rendered documents, and summary tables of a spec and a trace.

`Document` is the public face of one worksheet or answer key. It renders each format on
first use through `tracegen.render.render_documents` (the one path the CLI and the batch
use too, so a notebook's key is byte for byte the CLI's) and keeps the bytes.

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
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING

from tracegen.errors import OptionError
from tracegen.files import write_atomic
from tracegen.render import KINDS, PAPERS, render_documents

if TYPE_CHECKING:
    from tracegen.spec import Spec
    from tracegen.tracing import Trace

SUFFIXES = {".md": "md", ".markdown": "md", ".html": "html", ".htm": "html", ".pdf": "pdf"}
FRAME_HEIGHT = "42em"  # about a screen; the reader drags the frame taller
KIND_NAMES = {"worksheet": "worksheet", "key": "answer key"}
TRACE_ROWS = 8  # first rows shown under a trace's summary
LOSS_EPOCHS = 12  # epochs shown in a trace's loss row before eliding the middle


class Document:
    """One worksheet or answer key of a trace, rendered on demand and kept per format.

    Get one from `tracegen.key(trace)` or `tracegen.worksheet(trace)`; it shows itself in
    Jupyter. `markdown()` and `html()` return text, `pdf()` bytes, and `save(path)`
    writes the format its suffix names (.md, .html or .pdf), atomically.

    >>> key = tracegen.key(tracegen.load_example())
    >>> key
    <Document: answer key of 'Class 3: Training by Hand' (variant base); .markdown() .html() .pdf() .save(path)>
    >>> "0.881" in key.markdown() and key.html().startswith("<!DOCTYPE html>")
    True
    >>> key.pdf()[:5]
    b'%PDF-'
    """

    def __init__(self, trace: Trace, kind: str, *, student: str | None = None, paper: str = "a4") -> None:
        if kind not in KINDS:
            raise OptionError(f"kind: expected one of {', '.join(KINDS)}, got {kind!r}")
        if paper not in PAPERS:
            raise OptionError(f"paper: expected one of {', '.join(PAPERS)}, got {paper!r}")
        self.trace = trace
        self.kind = kind
        self.student = student
        self.paper = paper
        self._bytes: dict[str, bytes] = {}

    def render(self, fmt: str) -> bytes:
        """The document in one format ("md", "html" or "pdf"), rendered once and kept."""
        if fmt not in self._bytes:
            done = render_documents(self.trace, (self.kind,), (fmt,), student=self.student, paper=self.paper)
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


# --- summary tables: Spec._repr_html_ and Trace._repr_html_ ------------------------------


def _table(rows: Iterable[tuple[str, str]], caption: str) -> str:
    """A two-column table of already-escaped cells."""
    body = "".join(f'<tr><th style="text-align: left">{key}</th><td style="text-align: left">{value}</td></tr>'
                   for key, value in rows)
    return f'<table><caption style="text-align: left"><b>{caption}</b></caption>{body}</table>'


def _values(values: Iterable[float]) -> str:
    return ", ".join(f"{v:g}" for v in values)


def spec_rows(spec: Spec) -> list[tuple[str, str]]:
    """(label, text) rows describing a spec, plain text (escaped by the caller)."""
    layers = "; ".join(f"{i}: {layer.units} unit{'s' if layer.units != 1 else ''}, {layer.activation.name}"
                       + (f" (slope {layer.activation.slope:g})" if layer.activation.name == "leaky_relu" else "")
                       for i, layer in enumerate(spec.layers, 1))
    loss = spec.loss.name + (f", scale {spec.loss.scale:g}, {spec.loss.reduction} over units"
                             if spec.loss.name == "mse" else "") + f", {spec.loss.batch} over samples"
    rows = [("network", f"{'-'.join(map(str, spec.sizes))} ({layers})"), ("loss", loss),
            ("data", f"{spec.n_samples} sample{'s' if spec.n_samples != 1 else ''} of {spec.n_inputs} inputs"),
            ("training", f"{spec.optimizer}, η = {spec.learning_rate:g}, {spec.epochs} epochs, "
                         f"updates {', '.join(spec.update)}"),
            ("display", f"{spec.decimals} decimals")]
    drawn = [(key, getattr(spec, key)) for key in ("weights", "biases", "inputs", "targets")]
    ranges = [f"{key} from {_values(found.values)}" for key, found in drawn if found is not None]
    if spec.keep:
        ranges.append(f"keep {', '.join(spec.keep)}")
    if ranges:
        rows.append(("variants", "; ".join(ranges)))
    if spec.missing_params():
        rows.append(("drawn per variant", ", ".join(spec.missing_params())))
    if spec.variant:
        rows.insert(0, ("variant", spec.variant))
    return rows


def spec_html(spec: Spec) -> str:
    """A compact table of what a spec describes; every text escaped."""
    rows = [(html.escape(key), html.escape(value)) for key, value in spec_rows(spec)]
    return _table(rows, f"Spec: {html.escape(spec.title)}")


def trace_html(trace: Trace) -> str:
    """What was traced, the loss per epoch (first variant) and the first rows of the table."""
    spec = trace.spec
    rows = [("traced", html.escape(f"{spec.title}: {spec.summary()}" if spec is not None else "a trace table")),
            ("table", f"{len(trace.df)} rows × {len(trace.df.columns)} columns; "
                      f"{len(trace.variants)} variant{'s' if len(trace.variants) != 1 else ''}")]
    losses = trace.losses()
    loss = losses.to_frame(f"L ({trace.variants[0]})").T if len(losses) else None  # to_html escapes the label
    return (_table(rows, "Trace")
            + ("" if loss is None else "<p><b>Loss per epoch</b></p>"
               + loss.to_html(max_cols=LOSS_EPOCHS, float_format="{:.6g}".format))
            + f"<p><b>First {TRACE_ROWS} rows</b> of <code>.df</code></p>"
            + trace.df.head(TRACE_ROWS).to_html(index=False))
