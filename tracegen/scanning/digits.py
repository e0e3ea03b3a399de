"""The digit model: what one handwritten character cell of a worksheet holds, as log-probabilities.

Small convolutional networks run in NumPy (no deep-learning library at run time); their weights ship
beside this module in `digits.npz` and are loaded once, on first use. `scripts/train_digits.py` makes
them from generated handwriting and from people's: the 32x32 bitmaps of UCI's "Optical Recognition of
Handwritten Digits" (E. Alpaydin, C. Kaynak, 1998; CC BY 4.0); docs/scanning.md, "The digit model".
Every cell goes through `normalise` first, the same function the training data went through, so a
scan and the training images look alike to the network."""

from __future__ import annotations

from functools import cache
from pathlib import Path

import numpy as np

CLASSES = ("0", "1", "2", "3", "4", "5", "6", "7", "8", "9", "-", "")  # "" = an empty cell
SIZE = 28  # cells are SIZE x SIZE images

WEIGHTS = Path(__file__).with_name("digits.npz")
FILL = 26  # the crop's longer side spans this many pixels: writing keeps its size relative to the cell
FLOOR = 0.5  # ink contrast counted as full ink at least: faint noise on an empty cell stays faint
CHUNK = 256  # cells per matrix product: fewer, larger products, their unrolled convolutions still small


def normalise(cell: np.ndarray) -> np.ndarray:
    """A grey crop of one cell's writing area (any size, float in [0,1], 1 = white paper) -> SIZE x SIZE
    float32 with ink = 1.0, scaled by the cell's size (not the writing's, so a speck stays a speck and an
    empty cell stays empty) and centred by the ink's mass."""
    grey = np.asarray(cell, dtype=np.float64)
    if grey.ndim != 2 or min(grey.shape) < 2:
        raise ValueError(f"a cell must be a 2-D grey image of at least 2 x 2 pixels, got shape {grey.shape}")
    flat = grey.ravel()
    rank = int(0.8 * (flat.size - 1))
    paper = np.partition(flat, rank)[rank]  # most of a cell is paper, even under a bold digit
    ink = np.clip((paper - grey) / max(paper - grey.min(), FLOOR), 0.0, 1.0)
    height, width = ink.shape
    scale = FILL / max(height, width)
    centre = _mass_centre(ink)
    rows = _resampling(height, scale, centre[0])
    cols = _resampling(width, scale, centre[1])
    return np.clip(rows @ ink @ cols.T, 0.0, 1.0).astype(np.float32)


def _mass_centre(ink: np.ndarray) -> tuple[float, float]:
    """Centre of the ink (pixel coordinates, a pixel spanning [i, i+1]), kept within the middle half of the
    cell so a border remnant cannot push the writing out of the frame."""
    height, width = ink.shape
    mass = np.where(ink > 0.15, ink, 0.0)
    total = mass.sum()
    if total < 1e-6:
        return height / 2, width / 2
    y = float((mass.sum(axis=1) * (np.arange(height) + 0.5)).sum() / total)
    x = float((mass.sum(axis=0) * (np.arange(width) + 0.5)).sum() / total)
    return (float(np.clip(y, height / 4, 3 * height / 4)), float(np.clip(x, width / 4, 3 * width / 4)))


def _resampling(n_in: int, scale: float, centre: float) -> np.ndarray:
    """(SIZE, n_in) matrix taking a row of n_in pixels to SIZE pixels: input `centre` lands on the middle,
    one input pixel becomes `scale` output pixels, with a triangle filter wide enough not to alias when
    shrinking. Outside the input is paper (no ink)."""
    at = (np.arange(SIZE) + 0.5 - SIZE / 2) / scale + centre  # input coordinate under each output pixel
    reach = max(1.0, 1.0 / scale)
    first, last = int(np.floor(at.min() - reach)) - 1, int(np.ceil(at.max() + reach)) + 1
    pixels = np.arange(first, last + 1)
    weights = np.clip(1.0 - np.abs(pixels[None, :] + 0.5 - at[:, None]) / reach, 0.0, None)
    weights /= weights.sum(axis=1, keepdims=True)
    inside = (pixels >= 0) & (pixels < n_in)
    matrix = np.zeros((SIZE, n_in))
    matrix[:, pixels[inside]] = weights[:, inside]
    return matrix


def log_probabilities(cells: np.ndarray) -> np.ndarray:
    """(n, SIZE, SIZE) normalised cells -> (n, 12) natural-log probabilities over CLASSES (temperature-scaled
    on held-out data when trained, so the numbers can be compared across cells and candidates)."""
    images = np.asarray(cells, dtype=np.float32)
    if images.ndim != 3 or images.shape[1:] != (SIZE, SIZE):
        raise ValueError(f"cells must have shape (n, {SIZE}, {SIZE}), got {images.shape}")
    out = np.empty((len(images), len(CLASSES)), dtype=np.float64)
    for start in range(0, len(images), CHUNK):
        logits = _forward(images[start:start + CHUNK]).astype(np.float64)
        out[start:start + CHUNK] = logits - _logsumexp(logits)
    return out


def _logsumexp(logits: np.ndarray) -> np.ndarray:
    top = logits.max(axis=1, keepdims=True)
    return top + np.log(np.exp(logits - top).sum(axis=1, keepdims=True))


@cache
def _members() -> tuple[dict[str, np.ndarray], ...]:
    """The networks of the ensemble, stored as `<member>/<layer>` (a record such as the temperature has no
    member), each with the ensemble's calibration already folded into its last layer."""
    with np.load(WEIGHTS) as stored:
        names = sorted({name.split("/")[0] for name in stored.files if "/" in name})
        return tuple({name.split("/", 1)[1]: stored[name] for name in stored.files if name.startswith(f"{member}/")}
                     for member in names)


def _forward(images: np.ndarray) -> np.ndarray:
    """The ensemble's logits: the mean of its networks' (networks trained on differently degraded
    handwriting err on different cells)."""
    return np.mean([_network(images, weights) for weights in _members()], axis=0)


def _network(images: np.ndarray, weights: dict[str, np.ndarray]) -> np.ndarray:
    """One network: three 3x3 convolutions with ReLU and 2x2 max-pooling, then two dense layers."""
    x = images[:, :, :, None]  # NHWC
    layer = 1
    while f"conv{layer}.weight" in weights:
        x = _pool(np.maximum(_conv(x, weights[f"conv{layer}.weight"], weights[f"conv{layer}.bias"]), 0.0))
        layer += 1
    x = x.transpose(0, 3, 1, 2).reshape(len(x), -1)  # the training framework flattens channels first
    x = np.maximum(x @ weights["dense1.weight"].T + weights["dense1.bias"], 0.0)
    return x @ weights["dense2.weight"].T + weights["dense2.bias"]


def _conv(x: np.ndarray, kernel: np.ndarray, bias: np.ndarray) -> np.ndarray:
    """'Same' 3x3 convolution of NHWC images with an (out, in, 3, 3) kernel, as one matrix product."""
    n, height, width, channels = x.shape
    padded = np.pad(x, ((0, 0), (1, 1), (1, 1), (0, 0)))
    windows = np.lib.stride_tricks.sliding_window_view(padded, (3, 3), axis=(1, 2))  # n, H, W, C, 3, 3
    columns = windows.reshape(n * height * width, channels * 9)
    return (columns @ kernel.reshape(len(kernel), -1).T + bias).reshape(n, height, width, len(kernel))


def _pool(x: np.ndarray) -> np.ndarray:
    """2x2 max-pooling (an odd last row or column is dropped, as the training framework does)."""
    n, height, width, channels = x.shape
    x = x[:, : height // 2 * 2, : width // 2 * 2]
    return x.reshape(n, height // 2, 2, width // 2, 2, channels).max(axis=(2, 4))
