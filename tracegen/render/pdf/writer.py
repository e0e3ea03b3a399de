"""HTML -> PDF through WeasyPrint, the idiomatic way (its own HTML and CSS), plus tracegen's own maths.

WeasyPrint is imported lazily so Markdown, HTML and `tracegen trace` work where Pango is
missing. One FontConfiguration is shared by every document of the process (fonts load
once), the URL fetcher serves only files under the static folder, and the PDF is
deterministic: no dates, and a fixed file identifier derived from the document itself.
WeasyPrint lays out the pages; display equations and pictures' labels are drawn by a
finisher into the room left for them (`pdfmath`: why, and how).
"""

from __future__ import annotations

import contextlib
import hashlib
import mimetypes
import tempfile
from collections.abc import Callable, Iterable, Sequence
from functools import cache, partial
from pathlib import Path
from typing import Any

from tracegen.assets import static_dir
from tracegen.errors import RenderError
from tracegen.render.pdf import layouts
from tracegen.render.pdf.finisher import Overlay, descriptions, formulas
from tracegen.render.pdf.forking import CAN_FORK, Forked
from tracegen.render.pdf.loader import weasyprint
from tracegen.render.pdf.paper import Sheet
from tracegen.render.pdf.scratch import temporary as scratch_folder
from tracegen.render.typeset.boxes import Box


@cache
def _fetcher() -> Any:
    """A URLFetcher that serves files under the static folder and stops on anything else."""
    module = weasyprint()
    from weasyprint.urls import FatalURLFetchingError, URLFetcher, URLFetcherResponse

    root = static_dir().resolve()

    class StaticOnly(URLFetcher):
        def fetch(self, url: str, headers: Any = None) -> Any:
            if not url.startswith("file:"):
                raise FatalURLFetchingError(f"refusing to fetch {url[:60]!r}: documents load local files only")
            path = Path(module.urls.request.url2pathname(url.split("?")[0].removeprefix("file:"))).resolve()
            if not path.is_relative_to(root) or not path.is_file():
                raise FatalURLFetchingError(f"refusing to fetch {path}: not a shipped static file")
            kind = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
            return URLFetcherResponse(url, _read(path), {"Content-Type": kind})

    return StaticOnly()


@cache
def _read(path: Path) -> bytes:
    return path.read_bytes()


@cache
def font_config() -> Any:
    """The process-wide FontConfiguration (WeasyPrint caches loaded @font-face fonts in it)."""
    return weasyprint().text.fonts.FontConfiguration()


def write_pdf(html: str, blocks: Sequence[Box | Sheet] = (), *, pdf_tags: bool = False, pdf_variant: str | None = None,
              overlay: Overlay | None = None, cache: bool = False) -> bytes:
    """The PDF of `html`, laid out with its print CSS, byte-identical for identical input.

    `blocks` (maths) are drawn over the placeholders the filters left in `html` (pdfmath).
    `pdf_tags` and `pdf_variant` (e.g. "pdf/ua-1") are WeasyPrint's: a tagged PDF for screen
    readers, the maths as Formula elements. `overlay` (tests) is the finisher to use, to read
    where it drew each block. `cache` reads and keeps the layout in the user's layout cache
    (`layouts`): a hit never imports WeasyPrint; the bytes are the same either way. A layout held in
    memory (`layouts.keep`: a batch's group layout) is used first, with or without `cache`.
    """
    name = layouts.key(html, pdf_variant, pdf_tags) if cache or layouts.holding() else None
    layout = (layouts.recall(name) if name else None) or (layouts.load(name) if name and cache else None)
    if layout is None:
        layout = _lay_out(html, pdf_tags, pdf_variant)
        if name:
            layouts.store(name, layout)
    return layouts.finish(layout, overlay or Overlay(blocks, formulas(html), descriptions(html)), _identifier(html))


class _LaidOut(Exception):  # noqa: N818 - not an error: how the layout leaves WeasyPrint before it writes
    def __init__(self, layout: layouts.Layout) -> None:
        self.layout = layout


def laid_out(html: str, pdf_variant: str | None) -> tuple[str, bytes]:
    """The key and bytes (`layouts.keep`) of `html`'s layout, as `write_pdfs` would lay it out."""
    return layouts.key(html, pdf_variant, False), layouts.dumps(_lay_out(html, False, pdf_variant))


def _lay_out(html: str, pdf_tags: bool, pdf_variant: str | None) -> layouts.Layout:
    """WeasyPrint's layout of `html`, taken at its finisher hook (it writes nothing: `layouts.finish` does)."""
    module = weasyprint()
    document = module.HTML(string=html, base_url=str(static_dir()) + "/", url_fetcher=_fetcher())

    def take(laid_out: Any, pdf: Any) -> None:
        raise _LaidOut(layouts.capture(laid_out, pdf, pdf_variant))

    try:
        document.write_pdf(font_config=font_config(), finisher=take, pdf_tags=pdf_tags, pdf_variant=pdf_variant)
    except _LaidOut as taken:
        return taken.layout
    except module.urls.FatalURLFetchingError as err:
        raise RenderError(f"PDF rendering stopped: {err}") from None
    raise RenderError("PDF rendering: WeasyPrint wrote the PDF without calling the finisher")


def write_pdfs(documents: Iterable[tuple[str, Sequence[Box | Sheet]]], *, pdf_variant: str | None = None,
               processes: int = 1, progress: Callable[[int], None] | None = None, cache: bool = False) -> list[bytes]:
    """The PDFs of (html, blocks) pairs, each the bytes `write_pdf` gives, in order.

    With `processes` > 1 (on Linux: `pdf_process.CAN_FORK`), each of the first `processes - 1`
    documents is laid out by a forked copy of this process while this one goes on: it takes
    the next document from `documents` (which may be a generator still building them) and
    lays out the rest. On 2 cores a worksheet and its key then take about the time of the
    key (`tracegen render`). WeasyPrint is imported before the first fork, so each copy
    starts with it loaded. A copy sends its PDF (or its error) back through a pipe and keeps
    its temporary fonts in a scratch folder removed here, whatever happens to it. A failure
    in any document stops the copies still running and is raised here. `progress` is called
    with 1 as each PDF is done (a copy's when it is read back). `cache`: as for `write_pdf`; a
    document whose layout is cached is finished here, never forked (nor WeasyPrint imported for it).
    """
    forks = processes - 1 if CAN_FORK else 0
    results: list[bytes | Forked] = []
    with scratch_folder() if forks else contextlib.nullcontext("") as scratch:
        try:
            for html, blocks in documents:
                pdf = cached_pdf(html, blocks, pdf_variant) if cache else None
                if pdf is None and sum(isinstance(item, Forked) for item in results) < forks:
                    weasyprint()  # imported once, before the first copy is made
                    results.append(Forked.start(partial(_write_pdf_in, scratch, html, blocks, pdf_variant, cache)))
                    continue
                results.append(pdf or write_pdf(html, blocks, pdf_variant=pdf_variant, cache=cache))
                if progress:
                    progress(1)
            for index, item in enumerate(results):
                if isinstance(item, Forked):
                    results[index] = item.result()
                    if progress:
                        progress(1)
            return [item for item in results if isinstance(item, bytes)]  # every one, now that all are back
        finally:
            for item in results:
                if isinstance(item, Forked):
                    item.stop()


def _write_pdf_in(scratch: str, html: str, blocks: Sequence[Box | Sheet], pdf_variant: str | None,
                  cache: bool) -> bytes:
    """`write_pdf` in a forked copy, its temporary files in `scratch` (which the parent removes)."""
    tempfile.tempdir = scratch
    return write_pdf(html, blocks, pdf_variant=pdf_variant, cache=cache)


def cached_pdf(html: str, blocks: Sequence[Box | Sheet], pdf_variant: str | None) -> bytes | None:
    """What `write_pdf(html, blocks, pdf_variant=pdf_variant, cache=True)` gives if its layout is in the cache,
    else None (nothing laid out, WeasyPrint not imported)."""
    if (layout := layouts.load(layouts.key(html, pdf_variant, False))) is None:
        return None
    return layouts.finish(layout, Overlay(blocks, formulas(html), descriptions(html)), _identifier(html))


def _identifier(html: str) -> bytes:
    """The PDF's file identifier: derived from the document, so the same document gives the same bytes."""
    return hashlib.sha256(html.encode("utf-8")).hexdigest()[:32].encode("ascii")
