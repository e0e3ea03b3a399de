"""HTML -> PDF through WeasyPrint, the idiomatic way (STYLE.md §12), plus tracegen's own maths.

WeasyPrint is imported lazily so Markdown, HTML and `tracegen trace` work where Pango is
missing. One FontConfiguration is shared by every document of the process (fonts load
once), the URL fetcher serves only files under the static folder, and the PDF is
deterministic: no dates, and a fixed file identifier derived from the document itself.
WeasyPrint lays out the pages; display equations and pictures' labels are drawn by a
finisher into the room left for them (`pdfmath`: why, and how).
"""

from __future__ import annotations

import hashlib
import mimetypes
from collections.abc import Sequence
from functools import cache
from pathlib import Path
from typing import Any

from tracegen.errors import RenderError
from tracegen.render.environment import static_dir
from tracegen.render.mathbox import Box
from tracegen.render.pdfmath import TAGGED_CSS, Overlay


def _weasyprint() -> Any:
    try:
        import weasyprint
    except (ImportError, OSError) as err:
        raise RenderError(f"PDF output needs WeasyPrint and its Pango libraries: {err}") from None
    return weasyprint


@cache
def _fetcher() -> Any:
    """A URLFetcher that serves files under the static folder and stops on anything else."""
    weasyprint = _weasyprint()
    from weasyprint.urls import FatalURLFetchingError, URLFetcher, URLFetcherResponse

    root = static_dir().resolve()

    class StaticOnly(URLFetcher):  # type: ignore[misc]
        def fetch(self, url: str, headers: Any = None) -> Any:
            if not url.startswith("file:"):
                raise FatalURLFetchingError(f"refusing to fetch {url[:60]!r}: documents load local files only")
            path = Path(weasyprint.urls.request.url2pathname(url.split("?")[0].removeprefix("file:"))).resolve()
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
    return _weasyprint().text.fonts.FontConfiguration()


def write_pdf(html: str, blocks: Sequence[Box] = (), *, pdf_tags: bool = False, pdf_variant: str | None = None,
              overlay: Overlay | None = None) -> bytes:
    """The PDF of `html`, laid out with its print CSS, byte-identical for identical input.

    `blocks` (maths) are drawn over the placeholders the filters left in `html` (pdfmath).
    `pdf_tags` and `pdf_variant` (e.g. "pdf/ua-1") are WeasyPrint's: a tagged PDF for screen
    readers, the maths as Formula elements. `overlay` (tests) is the finisher to use, to read
    where it drew each block.
    """
    weasyprint = _weasyprint()
    document = weasyprint.HTML(string=html, base_url=str(static_dir()) + "/", url_fetcher=_fetcher())
    identifier = hashlib.sha256(html.encode("utf-8")).hexdigest()[:32].encode("ascii")
    tagged = [weasyprint.CSS(string=TAGGED_CSS)] if pdf_tags or pdf_variant else []
    overlay = overlay or Overlay(blocks)
    try:
        pdf = document.write_pdf(font_config=font_config(), pdf_identifier=identifier, finisher=overlay,
                                 stylesheets=tagged, pdf_tags=pdf_tags, pdf_variant=pdf_variant)
    except weasyprint.urls.FatalURLFetchingError as err:
        raise RenderError(f"PDF rendering stopped: {err}") from None
    return bytes(pdf)
