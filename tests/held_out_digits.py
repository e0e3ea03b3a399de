"""Cells the digit model never saw in training, for its tests and benchmarks/bench_digits.py.

Digits: scikit-learn's bundled handwritten digits (8x8 images from 43 writers, BSD-3; a test extra), upsampled
to a cell's size with a little blur and a soft threshold so they look like pen strokes, written into a grey
crop of a cell's writing area with paper, ink and noise levels varying. Also empty cells and dashes with what
a scan leaves on them.
"""

from __future__ import annotations

import numpy as np
from PIL import Image, ImageDraw, ImageFilter


def _paper(height: int, width: int, rng: np.random.Generator) -> np.ndarray:
    return np.full((height, width), rng.uniform(0.88, 1.0))


def _scanned(grey: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    return np.clip(grey + rng.normal(0, 0.02, grey.shape), 0, 1)


def sklearn_cells(rng: np.random.Generator) -> tuple[list[np.ndarray], np.ndarray]:
    """All 1,797 of scikit-learn's digits as grey cell crops (1 = paper) and their labels."""
    from sklearn.datasets import load_digits

    data = load_digits()
    return [sklearn_cell(image, rng) for image in data.images], data.target


def sklearn_cell(image: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """One 8x8 digit (0-16 ink) written into a cell crop 40-64 px tall, 5:7, filling 60-85 % of its height."""
    height = int(rng.integers(40, 65))
    width = int(round(height * 5 / 7))
    tall = int(height * rng.uniform(0.6, 0.85))
    wide = min(tall, int(width * 0.9))
    big = Image.fromarray((image * 255 / 16).round().astype(np.uint8)).resize((wide, tall), Image.Resampling.BICUBIC)
    big = big.filter(ImageFilter.GaussianBlur(tall / 40))
    ink = np.clip((np.asarray(big, dtype=np.float64) / 255 - 0.25) / 0.45, 0, 1)
    crop = np.zeros((height, width))
    y = (height - tall) // 2 + int(rng.integers(-3, 4))
    x = (width - wide) // 2 + int(rng.integers(-2, 3))
    y, x = min(max(y, 0), height - tall), min(max(x, 0), width - wide)
    crop[y:y + tall, x:x + wide] = ink
    return _scanned(_paper(height, width, rng) * (1 - rng.uniform(0.6, 0.95) * crop), rng)


def empty_cell(rng: np.random.Generator, border: bool = True) -> np.ndarray:
    """Blank paper with scanner noise and, when asked, a remnant of the grey cell border on one edge."""
    height = int(rng.integers(30, 70))
    width = int(round(height * 5 / 7))
    grey = _paper(height, width, rng)
    if border:
        edge, thick = int(rng.integers(4)), int(rng.integers(1, 3))
        shade = rng.uniform(0.5, 0.75)
        if edge == 0:
            grey[:thick] = shade
        elif edge == 1:
            grey[-thick:] = shade
        elif edge == 2:
            grey[:, :thick] = shade
        else:
            grey[:, -thick:] = shade
    return _scanned(grey, rng)


def dash_cell(rng: np.random.Generator) -> np.ndarray:
    """A minus sign: a short horizontal pen line, tilted up to 8 degrees, near the middle of the cell."""
    height = int(rng.integers(30, 70))
    width = int(round(height * 5 / 7))
    image = Image.new("L", (width, height), 0)
    length = width * rng.uniform(0.35, 0.8)
    angle = np.radians(rng.uniform(-8, 8))
    cx, cy = width / 2 + rng.uniform(-2, 2), height / 2 + rng.uniform(-0.1, 0.1) * height
    dx, dy = length / 2 * np.cos(angle), length / 2 * np.sin(angle)
    ImageDraw.Draw(image).line([(cx - dx, cy - dy), (cx + dx, cy + dy)], fill=255,
                               width=max(2, int(height * rng.uniform(0.05, 0.12))))
    ink = np.asarray(image.filter(ImageFilter.GaussianBlur(0.7)), dtype=np.float64) / 255
    return _scanned(_paper(height, width, rng) * (1 - 0.9 * ink), rng)
