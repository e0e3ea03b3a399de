"""Cutting cells out of an aligned scan or photograph: each cell's writing area resampled through the
page's transform (bilinear), so rotation, scale and perspective are undone before the digit model sees it."""

from __future__ import annotations

import numpy as np

from tracegen.scanning.pages import apply, scale_at
from tracegen.scanning.positions import Rect

INSET = 0.06  # of a cell's side, left out at each edge: the printed border after a slight misalignment


def crop(page: np.ndarray, transform: np.ndarray, rect: Rect, inset: float = INSET,
         scale: float | None = None) -> np.ndarray:
    """The area `rect` (map points) of a scan `page` (grey floats in [0, 1], 1 = paper), upright, at
    the image's own resolution there (or `scale` pixels per point); `transform` is the page's
    homography (3 x 3, map points -> pixels)."""
    x0, y0, x1, y1 = rect
    dx, dy = (x1 - x0) * inset, (y1 - y0) * inset
    x0, x1, y0, y1 = x0 + dx, x1 - dx, y0 + dy, y1 - dy
    if scale is None:
        scale = scale_at(transform, ((x0 + x1) / 2, (y0 + y1) / 2))
    nx, ny = max(4, round((x1 - x0) * scale)), max(4, round((y1 - y0) * scale))
    gx = x0 + (np.arange(nx) + 0.5) * (x1 - x0) / nx
    gy = y0 + (np.arange(ny) + 0.5) * (y1 - y0) / ny
    px, py = np.meshgrid(gx, gy)
    pixels = apply(transform, np.column_stack([px.ravel(), py.ravel()])) - 0.5
    return _bilinear(page, pixels[:, 0].reshape(px.shape), pixels[:, 1].reshape(px.shape))


def _bilinear(p: np.ndarray, x: np.ndarray, y: np.ndarray) -> np.ndarray:
    h, w = p.shape
    x = np.clip(x, 0, w - 1.001)
    y = np.clip(y, 0, h - 1.001)
    x0, y0 = x.astype(int), y.astype(int)
    fx, fy = x - x0, y - y0
    top = p[y0, x0] * (1 - fx) + p[y0, x0 + 1] * fx
    bottom = p[y0 + 1, x0] * (1 - fx) + p[y0 + 1, x0 + 1] * fx
    return np.asarray(top * (1 - fy) + bottom * fy, dtype=np.float32)


def around(rects: list[Rect], margin: float) -> Rect:
    """The rectangle holding `rects`, with `margin` points around."""
    return (min(r[0] for r in rects) - margin, min(r[1] for r in rects) - margin,
            max(r[2] for r in rects) + margin, max(r[3] for r in rects) + margin)
