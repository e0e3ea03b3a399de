"""Finding a scanned page: its code (the QR code), then its four registration marks, giving the
transform from the position map's points to the scan's pixels (rotation, skew, scale, shift).

The QR code's corners give a coarse transform (zxing reports them in the symbol's own orientation,
so a page upside down or on its side is turned); each mark is then looked for near where that
transform puts it, as the darkest mark-sized square with a light ring around it, and the affine
transform fitted to the four marks' centres is the page's. A page whose marks do not fit one
transform is reported, never read.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import zxingcpp

from tracegen.render.pdf.form import PageCode
from tracegen.scanning.positions import Rect

QR = zxingcpp.BarcodeFormats(zxingcpp.BarcodeFormat.QRCode)
MM = 72 / 25.4  # points per millimetre
MARK = 5 * MM  # registration mark's side
SEARCH = 8 * MM  # how far from its coarse place a mark is looked for
FIT = 1.2 * MM  # largest distance of a mark from the fitted transform


@dataclass(frozen=True)
class Found:
    """What a page's QR code says (`code`; None for another code, with its `text`) and the coarse
    transform from the map's points to the scan's pixels its corners give (None without a code)."""

    text: str
    code: PageCode | None
    corners: np.ndarray | None  # QR corners in pixels: top-left, top-right, bottom-right, bottom-left


def find_code(pixels: np.ndarray) -> Found | None:
    """The page code of a scan (the first QR code that is one, else the first QR code), or None."""
    results = zxingcpp.read_barcodes(pixels, formats=QR)
    if not results:
        results = zxingcpp.read_barcodes(pixels[::2, ::2], formats=QR)
        factor = 2.0
    else:
        factor = 1.0
    found = [Found(r.text, PageCode.parse(r.text), _corners(r.position) * factor) for r in results]
    return next((f for f in found if f.code is not None), found[0] if found else None)


def _corners(position: zxingcpp.Position) -> np.ndarray:
    return np.array([[p.x, p.y] for p in (position.top_left, position.top_right, position.bottom_right,
                                           position.bottom_left)], dtype=float)


def fit(source: np.ndarray, target: np.ndarray) -> np.ndarray:
    """The affine transform (2 x 3) taking points `source` to `target` by least squares."""
    design = np.hstack([source, np.ones((len(source), 1))])
    solution, *_ = np.linalg.lstsq(design, target, rcond=None)
    return np.asarray(solution.T)


def apply(transform: np.ndarray, points: np.ndarray) -> np.ndarray:
    """Points (n, 2) in the map's points -> pixels."""
    return np.asarray(points @ transform[:, :2].T + transform[:, 2])


def qr_corners(rect: Rect) -> np.ndarray:
    x0, y0, x1, y1 = rect
    return np.array([[x0, y0], [x1, y0], [x1, y1], [x0, y1]], dtype=float)


def align(pixels: np.ndarray, corners: np.ndarray, qr: Rect,
          marks: tuple[tuple[float, float], ...]) -> np.ndarray | None:
    """The transform from map points to this scan's pixels, fitted to the four marks found near where
    the QR code puts them; None when they are not all found or do not fit one transform."""
    coarse = fit(qr_corners(qr), corners)
    scale = float(np.sqrt(abs(np.linalg.det(coarse[:, :2]))))  # pixels per point
    where = np.array(marks, dtype=float)
    found = []
    for guess in apply(coarse, where):
        centre = _mark(pixels, guess, scale)
        if centre is None:
            return None
        found.append(centre)
    transform = fit(where, np.array(found))
    error = np.linalg.norm(apply(transform, where) - found, axis=1).max()
    return transform if error <= FIT * scale else None


def _mark(pixels: np.ndarray, guess: np.ndarray, scale: float) -> np.ndarray | None:
    """The centre (pixels) of the registration mark near `guess`: the square of the mark's size whose
    inside is darkest against a ring around it; None if nothing there looks like a mark."""
    side = max(3, round(MARK * scale))
    ring = max(2, round(side * 0.3))
    reach = round(SEARCH * scale) + side
    x, y = round(guess[0]), round(guess[1])
    h, w = pixels.shape
    top, left = max(0, y - reach), max(0, x - reach)
    window = 1.0 - pixels[top:min(h, y + reach), left:min(w, x + reach)].astype(float) / 255.0
    if min(window.shape) < side + 2 * ring + 1:
        return None
    inner = _boxes(window, side)
    outer = _boxes(window, side + 2 * ring)
    core = inner[ring:inner.shape[0] - ring, ring:inner.shape[1] - ring]
    shell = outer - core
    score = core / side**2 - shell / ((side + 2 * ring) ** 2 - side**2)
    i, j = np.unravel_index(np.argmax(score), score.shape)
    if score[i, j] < 0.45:
        return None
    # refine: the centroid of the dark pixels in the found square, a little enlarged
    r0, c0 = i + ring - 1, j + ring - 1
    patch = window[max(0, r0):r0 + side + 2, max(0, c0):c0 + side + 2]
    weight = np.clip(patch - 0.5, 0, None)
    rows, cols = np.indices(patch.shape)
    total = weight.sum()
    return np.array([left + max(0, c0) + (cols * weight).sum() / total + 0.5,
                     top + max(0, r0) + (rows * weight).sum() / total + 0.5])


def _boxes(values: np.ndarray, size: int) -> np.ndarray:
    """The sum of `values` over every size x size square (valid positions only)."""
    total = np.pad(values.cumsum(0).cumsum(1), ((1, 0), (1, 0)))
    return np.asarray(total[size:, size:] - total[:-size, size:] - total[size:, :-size] + total[:-size, :-size])
