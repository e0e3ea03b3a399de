"""Finding a scanned or photographed page: its code (the QR code), then its four registration marks,
giving the projective transform (homography) from the position map's points to the image's pixels:
rotation, scale and shift as a scanner gives them, and the keystone of a phone held at a slant.

The QR code's corners give the page's orientation and a coarse scale (zxing reports them in the
symbol's own orientation, so a page upside down or on its side is turned). The marks are then looked
for over the whole image, each as a mark-sized square much darker than every side of a ring around it
(a contrast, so uneven light and a darker background around the page do not matter), at several
sizes (in perspective a far corner is seen smaller), and each of the page's four corners takes a
candidate on its side of the page, the most mark-like first. The homography through the four marks
is the page's when it puts the QR code's corners where they were found and is a camera's view of a
flat page; otherwise the page is reported, never read.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass

import numpy as np
import zxingcpp
from PIL import Image

from tracegen.render.pdf.form import PageCode
from tracegen.scanning.positions import Rect

QR = zxingcpp.BarcodeFormats(zxingcpp.BarcodeFormat.QRCode)
MM = 72 / 25.4  # points per millimetre
ZOOMS = (1.0, 0.5, 1.5)  # the sizes a QR code is looked for at, in turn
MARK = 5 * MM  # registration mark's side
FIT = 1.5 * MM  # largest distance of a QR code's corner from where the marks' transform puts it
CONTRAST = 0.5  # a mark's inside is at most half as bright as the darkest side of the ring around it
CANDIDATES = 3  # per corner of the page, the most mark-like places tried
SIZES = (0.55, 0.7, 0.85, 1.0, 1.2, 1.4)  # a mark's side looked for, as a share of its side at the QR code
STRETCH = 2.0  # largest ratio of the page's scale at one mark to that at another (a steep slant)
SQUARE = 0.02  # largest departure of the marks' rectangle, seen through a camera, from a right angle and its sides


@dataclass(frozen=True)
class Found:
    """What a page's QR code says (`code`; None for another code, with its `text`) and the QR code's
    corners in pixels (None without a code)."""

    text: str
    code: PageCode | None
    corners: np.ndarray | None  # QR corners in pixels: top-left, top-right, bottom-right, bottom-left


def find_code(pixels: np.ndarray) -> Found | None:
    """The page code of a scan (the first QR code that is one, else the first QR code), or None. Looked
    for in the image as it is, then at half size (a coarse scan's noise averaged away), then enlarged
    by half (a photograph's far, small code)."""
    for zoom in ZOOMS:
        if zoom == 0.5:
            image = pixels[::2, ::2]
        elif zoom == 1.0:
            image = pixels
        else:
            height, width = pixels.shape
            size = (round(width * zoom), round(height * zoom))
            image = np.asarray(Image.fromarray(pixels).resize(size, Image.Resampling.BICUBIC))
        results = zxingcpp.read_barcodes(image, formats=QR)
        if results:
            found = [Found(r.text, PageCode.parse(r.text), _corners(r.position) / zoom) for r in results]
            return next((f for f in found if f.code is not None), found[0])
    return None


def _corners(position: zxingcpp.Position) -> np.ndarray:
    return np.array([[p.x, p.y] for p in (position.top_left, position.top_right, position.bottom_right,
                                           position.bottom_left)], dtype=float)


def fit(source: np.ndarray, target: np.ndarray) -> np.ndarray:
    """The projective transform (3 x 3) taking points `source` (4 or more) to `target`, by least
    squares on the normalised points (the direct linear transform)."""
    a, b = _normaliser(source), _normaliser(target)
    s, t = apply(a, source), apply(b, target)
    rows = []
    for (x, y), (u, v) in zip(s, t, strict=True):
        rows.append([x, y, 1, 0, 0, 0, -u * x, -u * y, -u])
        rows.append([0, 0, 0, x, y, 1, -v * x, -v * y, -v])
    h = np.linalg.svd(np.array(rows))[2][-1].reshape(3, 3)
    out = np.linalg.inv(b) @ h @ a
    return np.asarray(out / out[2, 2])


def _normaliser(points: np.ndarray) -> np.ndarray:
    """The similarity moving `points` to mean 0 and mean distance sqrt(2): the fit is well conditioned."""
    centre = points.mean(axis=0)
    spread = np.sqrt(2) / max(1e-9, float(np.linalg.norm(points - centre, axis=1).mean()))
    return np.array([[spread, 0, -spread * centre[0]], [0, spread, -spread * centre[1]], [0, 0, 1]])


def apply(transform: np.ndarray, points: np.ndarray) -> np.ndarray:
    """Points (n, 2) through a transform (3 x 3): the map's points -> pixels."""
    mapped = np.asarray(points, dtype=float) @ transform[:, :2].T + transform[:, 2]
    return np.asarray(mapped[:, :2] / mapped[:, 2:])


def scale_at(transform: np.ndarray, point: tuple[float, float]) -> float:
    """Pixels per point of the transform around `point` (the square root of its local area ratio)."""
    x, y = point
    h = transform
    w = h[2, 0] * x + h[2, 1] * y + h[2, 2]
    u, v = (h[0, 0] * x + h[0, 1] * y + h[0, 2]) / w, (h[1, 0] * x + h[1, 1] * y + h[1, 2]) / w
    jacobian = np.array([[h[0, 0] - u * h[2, 0], h[0, 1] - u * h[2, 1]],
                         [h[1, 0] - v * h[2, 0], h[1, 1] - v * h[2, 1]]]) / w
    return float(np.sqrt(abs(np.linalg.det(jacobian))))


def qr_corners(rect: Rect) -> np.ndarray:
    x0, y0, x1, y1 = rect
    return np.array([[x0, y0], [x1, y0], [x1, y1], [x0, y1]], dtype=float)


def align(pixels: np.ndarray, corners: np.ndarray, qr: Rect,
          marks: tuple[tuple[float, float], ...]) -> np.ndarray | None:
    """The transform from map points to this image's pixels, through the four registration marks; None
    when they are not all found, or their transform does not put the QR code where it was found, or
    is no view of a flat page. The candidates are tried most mark-like first."""
    qr_points = qr_corners(qr)
    coarse = affine(qr_points, corners)  # the QR code is too small to tell perspective: its orientation and scale
    where = np.array(marks, dtype=float)
    choices = _candidates(pixels, coarse, scale_at(coarse, tuple(qr_points.mean(axis=0))), qr, where)
    if choices is None:
        return None
    for ranks in sorted(itertools.product(*(range(len(c)) for c in choices)), key=sum):
        found = np.array([c[r] for c, r in zip(choices, ranks, strict=True)])
        transform = fit(where, found)
        if not _plausible(transform, where, found, pixels.shape):
            continue
        error = float(np.linalg.norm(apply(transform, qr_points) - corners, axis=1).max())
        if error <= FIT * scale_at(transform, tuple(qr_points.mean(axis=0))):
            return transform
    return None


def affine(source: np.ndarray, target: np.ndarray) -> np.ndarray:
    """The affine transform (as 3 x 3) taking points `source` to `target` by least squares."""
    design = np.hstack([source, np.ones((len(source), 1))])
    solution, *_ = np.linalg.lstsq(design, target, rcond=None)
    return np.vstack([solution.T, [0.0, 0.0, 1.0]])


def _candidates(pixels: np.ndarray, coarse: np.ndarray, scale: float, qr: Rect,
                where: np.ndarray) -> list[list[np.ndarray]] | None:
    """Per registration mark, the places (pixels, refined) of the most mark-like squares on its side
    of the page (as the QR code's transform sees the page: right way up, the page's middle between
    the marks); None when a mark has none. Marks are looked for at several sizes around the QR
    code's: in perspective, a mark far from it is seen smaller or larger."""
    step = max(1, int(MARK * scale / 8))  # the whole image looked at with a mark about 8 pixels wide
    small = np.asarray(Image.fromarray(pixels).reduce(step), dtype=np.float64)  # step x step block means
    best, sides = np.full(small.shape, -1.0), np.zeros(small.shape)
    total = integral(small)
    for size in SIZES:
        side = max(3, round(MARK * scale * size / step))
        scores = _centred(_scores(small, side, total), side, small.shape)
        sides[scores > best] = side * step
        best = np.maximum(best, scores)
    peaks = _peaks(best, round(MARK * scale / step), CANDIDATES * 8)
    if not peaks:
        return None
    centres = (np.array(peaks, dtype=float)[:, ::-1] + 0.5) * step  # x, y in pixels
    seen = apply(np.linalg.inv(coarse), centres)  # candidates in the map's points, as the QR code sees the page
    middle = where.mean(axis=0)
    x0, y0, x1, y1 = qr
    outside_qr = ~((seen[:, 0] > x0 - 3 * MM) & (seen[:, 0] < x1 + 3 * MM)
                   & (seen[:, 1] > y0 - 3 * MM) & (seen[:, 1] < y1 + 3 * MM))
    out = []
    for mark in where:
        on_side = outside_qr & np.all(np.sign(seen - middle) == np.sign(mark - middle), axis=1)
        picked = np.flatnonzero(on_side)[:CANDIDATES]
        refined = [c for c in (_mark(pixels, centres[i], int(sides[peaks[i]])) for i in picked) if c is not None]
        if not refined:
            return None
        out.append(refined)
    return out


def _centred(scores: np.ndarray, side: int, shape: tuple[int, ...]) -> np.ndarray:
    """`_scores` placed at the squares' centres in an array of the image's `shape` (-1 elsewhere)."""
    out = np.full(shape, -1.0)
    at = max(1, round(side * 0.3)) + side // 2
    out[at:at + scores.shape[0], at:at + scores.shape[1]] = scores
    return out


def _plausible(transform: np.ndarray, where: np.ndarray, found: np.ndarray, shape: tuple[int, ...]) -> bool:
    """Whether the marks' transform is a view of a flat page: not mirrored, the whole page in front of
    the camera, its scale at no mark more than STRETCH times that at another, and a camera (square
    pixels, looking through the image's middle) that sees the marks' rectangle so exists."""
    if _orientation(found) != _orientation(where):
        return False
    if np.any(where @ transform[2, :2] + transform[2, 2] <= 0):
        return False
    scales = [scale_at(transform, (float(x), float(y))) for x, y in where]
    return min(scales) > 0 and max(scales) / min(scales) <= STRETCH and unsquare(transform, shape) <= SQUARE


def unsquare(transform: np.ndarray, shape: tuple[int, ...]) -> float:
    """How far the transform is from a camera's view of the map's plane: a pinhole camera with square
    pixels whose axis meets the image's middle (a photograph's camera; for a scan, whose transform has
    no perspective, any), at its best focal length. The two columns of K^-1 H (the page's x and y
    directions in space) must be at a right angle and of one length; the larger of the cosine of
    their angle and their relative difference in length is returned: about 0 for a true view, more
    when a mark was found in the wrong place."""
    middle = np.array([[1, 0, -shape[1] / 2], [0, 1, -shape[0] / 2], [0, 0, 1]])
    h = middle @ transform
    h = h / np.linalg.norm(h[:, :2])
    focal = float(np.hypot(shape[0], shape[1])) * np.geomspace(0.2, 20, 81)[:, None]
    a = np.hstack([h[:2, 0] / focal, np.full_like(focal, h[2, 0])])
    b = np.hstack([h[:2, 1] / focal, np.full_like(focal, h[2, 1])])
    na, nb = (a * a).sum(axis=1), (b * b).sum(axis=1)
    cosine = np.abs((a * b).sum(axis=1)) / np.sqrt(na * nb)
    return float(np.maximum(cosine, np.abs(na - nb) / (na + nb)).min())


def _orientation(points: np.ndarray) -> bool:
    """Whether top-left, top-right, bottom-right (marks 0, 1, 3) turn clockwise in image coordinates."""
    a, b, c = points[0], points[1], points[3]
    return bool((b[0] - a[0]) * (c[1] - a[1]) - (b[1] - a[1]) * (c[0] - a[0]) > 0)


def _scores(grey: np.ndarray, side: int, total: np.ndarray | None = None) -> np.ndarray:
    """Per place of a side x side square (its top-left corner offset by the ring): how much darker its
    inside is than the darkest of the four strips of a ring around it, as a contrast (1 - inside /
    strip), so it holds in dim light as in bright. `total` is `grey`'s integral image, if at hand."""
    ring = max(1, round(side * 0.3))
    full = side + 2 * ring
    rows, cols = grey.shape[0] - full + 1, grey.shape[1] - full + 1
    if rows < 1 or cols < 1:
        return np.zeros((0, 0))
    if total is None:
        total = integral(grey)

    def box(top: int, left: int, height: int, width: int) -> np.ndarray:
        a = total[top:top + rows, left:left + cols]
        b = total[top:top + rows, left + width:left + width + cols]
        c = total[top + height:top + height + rows, left:left + cols]
        d = total[top + height:top + height + rows, left + width:left + width + cols]
        return np.asarray((d - b - c + a) / (height * width))

    inside = box(ring, ring, side, side)
    strips = np.minimum.reduce([box(0, 0, ring, full), box(ring + side, 0, ring, full),
                                box(0, 0, full, ring), box(0, ring + side, full, ring)])
    return np.asarray(1.0 - inside / np.maximum(strips, 1.0))


def integral(grey: np.ndarray) -> np.ndarray:
    """The summed-area table of `grey`, a row and a column of zeros first."""
    return np.asarray(np.pad(grey.astype(np.float64).cumsum(0).cumsum(1), ((1, 0), (1, 0))))


def _peaks(scores: np.ndarray, side: int, most: int) -> list[tuple[int, int]]:
    """The places of the highest scores above CONTRAST, best first, no two within a mark's side."""
    scores = scores.copy()
    out = []
    for _ in range(most):
        if scores.size == 0:
            break
        i, j = np.unravel_index(np.argmax(scores), scores.shape)
        if scores[i, j] < CONTRAST:
            break
        out.append((int(i), int(j)))
        scores[max(0, i - side):i + side + 1, max(0, j - side):j + side + 1] = -1.0
    return out


def _mark(pixels: np.ndarray, guess: np.ndarray, side: int) -> np.ndarray | None:
    """The centre (pixels) of the registration mark of about `side` pixels near `guess`: the most
    mark-like square there, its centre refined as the centroid of its ink; None if nothing there
    looks like a mark."""
    side = max(3, side)
    ring = max(1, round(side * 0.3))
    reach = side + ring + 2
    x, y = round(guess[0]), round(guess[1])
    h, w = pixels.shape
    top, left = max(0, y - reach), max(0, x - reach)
    window = pixels[top:min(h, y + reach), left:min(w, x + reach)].astype(float)
    scores = _scores(window, side)
    if scores.size == 0:
        return None
    i, j = (int(k) for k in np.unravel_index(np.argmax(scores), scores.shape))
    if scores[i, j] < CONTRAST:
        return None
    # refine: the centroid of the ink in the found square and its ring, against the paper around it
    area = window[i:i + side + 2 * ring, j:j + side + 2 * ring]
    paper = float(np.percentile(area, 90))
    weight = np.clip(1.0 - area / max(paper, 1.0) - 0.5, 0, None)
    total = weight.sum()
    if total <= 0:
        return None
    rows, cols = np.indices(area.shape)
    return np.array([left + j + (cols * weight).sum() / total + 0.5, top + i + (rows * weight).sum() / total + 0.5])
