"""Reading one scanned page: find it, align it, and read its blanks' cells with the digit model.

Runs in worker processes (`scanning.run`), so it returns only small things: what the page is,
and per blank its cells' log-probabilities and a small picture of it for the review page.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType

import numpy as np

from tracegen.errors import InputError
from tracegen.scanning import cells, images, pages
from tracegen.scanning.positions import Positions

REVIEW_SCALE = 150 / 72  # pixels per point of the pictures on the review page (150 dpi)

READ = "read"


@dataclass
class Page:
    """One scanned page: where it is (`file`, `index` 1-based), what it is (`variant`, `number`)
    and `status` (`read`, or why it was not read); per blank id read on it, the cells'
    log-probabilities (cells, classes) and its picture (grey, uint8)."""

    file: str
    index: int
    status: str = READ
    variant: str = ""
    number: int = 0
    logp: dict[str, np.ndarray] = field(default_factory=dict)
    pictures: dict[str, np.ndarray] = field(default_factory=dict)


def read_page(path: Path, index: int, batch: str, maps: dict[str, Positions], model: ModuleType) -> Page:
    """Read page `index` (0-based) of scan file `path` against the position maps of batch `batch`."""
    try:
        scan = images.page(path, index)
    except InputError as err:  # one damaged page does not stop the stack: it is reported
        return Page(str(path), index + 1, status=str(err))
    out = Page(scan.file, scan.page)
    found = pages.find_code(scan.pixels)
    positions = _identify(out, found, batch, maps)
    if positions is None or found is None or found.corners is None:
        return out
    where = positions.pages[out.number]
    transform = pages.align(scan.pixels, found.corners, where.qr, where.marks)
    if transform is None:
        out.status = "registration marks not found where the page code puts them: not read"
        return out
    grey = scan.pixels.astype(np.float32) / 255.0
    blanks = positions.on(out.number)
    crops = [model.normalise(cells.crop(grey, transform, cell.rect)) for blank in blanks for cell in blank.read]
    logp = model.log_probabilities(np.stack(crops)) if crops else np.zeros((0, 12))
    at = 0
    for blank in blanks:
        n = len(blank.read)
        out.logp[blank.id] = np.asarray(logp[at:at + n], dtype=np.float32)
        at += n
        rect = cells.around([cell.rect for cell in blank.cells], 3.0)
        picture = cells.crop(grey, transform, rect, 0.0, REVIEW_SCALE)
        out.pictures[blank.id] = np.clip(picture * 255, 0, 255).astype(np.uint8)
    return out


def _identify(out: Page, found: pages.Found | None, batch: str, maps: dict[str, Positions]) -> Positions | None:
    """The position map of the page whose code was `found`; None, with `out.status` saying why, for a
    page that is not one of this batch's."""
    if found is None:
        out.status = "no page code found (not a worksheet page, or the code is unreadable)"
        return None
    code = found.code
    if code is None:
        out.status = f"a QR code that is no tracegen page code ({found.text[:40]!r})"
        return None
    out.variant, out.number = code.variant, code.page
    if code.batch != batch:
        out.status = f"a page of another batch ({code.batch}, not {batch}): not graded"
        return None
    positions = maps.get(code.variant)
    if positions is None or code.page not in positions.pages:
        out.status = f"variant {code.variant} page {code.page} is not in this batch: not graded"
        return None
    if code.doc != positions.doc:
        out.status = (f"variant {code.variant} page {code.page} was printed from another version of its "
                      f"worksheet (code {code.doc}, batch {positions.doc}): not graded")
        return None
    return positions
