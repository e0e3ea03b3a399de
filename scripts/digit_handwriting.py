"""Generated handwriting for the digit model: cell crops of pen-drawn digits, dashes and empty cells.

Nobody's handwriting is copied: each digit is a few hand-placed strokes (several ways of writing it),
moved at random (control-point jitter, slant, rotation, aspect, a smooth warp, pen width and pressure),
drawn as anti-aliased pen lines into a cell-sized crop, with a share of digits set in the machine's fonts
for variety. Then what a scan does to it: paper and ink levels, remnants of the printed cell border at
the edges, specks and smudges, blur, noise, low resolution and JPEG. Used by scripts/train_digits.py
(development time only; NumPy and Pillow).
"""

from __future__ import annotations

import io
from functools import cache
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFont

C = None  # a corner: the stroke turns sharply at the point before it

# Each digit: ways of writing it; each way: strokes; each stroke: control points in a unit box
# (x to the right, y down), smoothed by Catmull-Rom splines between corners.
STROKES: dict[str, list[list[list]]] = {
    "1": [
        [[(0.5, 0.0), (0.5, 1.0)]],
        [[(0.2, 0.3), (0.55, 0.0), C, (0.55, 1.0)]],
        [[(0.2, 0.3), (0.55, 0.0), C, (0.55, 1.0)], [(0.2, 1.0), (0.9, 1.0)]],
        [[(0.3, 0.2), (0.6, 0.0), C, (0.45, 1.0)]],
        [[(0.05, 0.45), (0.6, 0.0), C, (0.5, 0.5), (0.4, 1.0)]],
        [[(0.15, 0.35), (0.55, 0.0), C, (0.5, 1.0)], [(0.15, 1.0), (0.85, 0.98)]],
        [[(0.35, 0.12), (0.55, 0.0), C, (0.52, 1.0)]],
        [[(0.35, 0.15), (0.55, 0.0), C, (0.55, 1.0)], [(0.35, 1.0), (0.75, 1.0)]],
        [[(0.45, 0.0), (0.5, 0.5), (0.55, 1.0)]],
        [[(0.25, 0.25), (0.6, 0.0), C, (0.6, 1.0)], [(0.3, 1.0), (0.9, 1.0)]],
        [[(0.4, 0.1), (0.6, 0.0), C, (0.55, 0.45), (0.45, 1.0)]],
    ],
    "2": [
        [[(0.1, 0.25), (0.3, 0.03), (0.6, 0.0), (0.85, 0.15), (0.85, 0.35), (0.6, 0.6), (0.05, 1.0), C,
          (0.95, 1.0)]],
        [[(0.1, 0.25), (0.35, 0.0), (0.75, 0.05), (0.8, 0.35), (0.45, 0.7), (0.12, 0.97), (0.22, 0.84),
          (0.5, 0.95), (0.95, 1.0)]],
        [[(0.05, 0.2), (0.4, 0.0), (0.85, 0.2), (0.7, 0.5), (0.1, 1.0), C, (0.95, 0.95)]],
        [[(0.15, 0.2), (0.45, 0.0), (0.8, 0.15), (0.75, 0.45), (0.35, 0.85), (0.2, 1.0), C, (0.9, 0.95)]],
        [[(0.1, 0.2), (0.5, 0.0), (0.85, 0.25), (0.5, 0.65), (0.15, 0.95), (0.3, 1.0), (0.6, 0.9), (0.95, 1.0)]],
        [[(0.25, 0.15), (0.55, 0.0), (0.8, 0.2), (0.7, 0.45), (0.15, 1.0), C, (0.85, 1.0)]],
        [[(0.05, 0.3), (0.2, 0.05), (0.55, 0.0), (0.9, 0.2), (0.75, 0.5), (0.3, 0.85), (0.05, 1.0), C, (0.6, 0.97),
          (0.95, 0.85)]],
        [[(0.15, 0.1), (0.6, 0.0), (0.85, 0.25), (0.6, 0.55), (0.2, 0.9), (0.1, 1.0), C, (0.9, 1.0)]],
    ],
    "3": [
        [[(0.1, 0.12), (0.45, 0.0), (0.8, 0.1), (0.8, 0.33), (0.4, 0.47), C, (0.8, 0.6), (0.85, 0.85),
          (0.5, 1.0), (0.1, 0.88)]],
        [[(0.1, 0.0), C, (0.9, 0.0), C, (0.4, 0.4), (0.8, 0.55), (0.85, 0.8), (0.5, 1.0), (0.1, 0.88)]],
        [[(0.15, 0.15), (0.5, 0.0), (0.85, 0.2), (0.45, 0.48), (0.85, 0.7), (0.55, 1.0), (0.1, 0.85)]],
    ],
    "4": [
        [[(0.65, 0.0), C, (0.05, 0.65), C, (0.95, 0.65)], [(0.7, 0.3), (0.7, 1.0)]],
        [[(0.15, 0.0), C, (0.1, 0.6), C, (0.9, 0.6)], [(0.7, 0.05), (0.7, 1.0)]],
        [[(0.7, 1.0), C, (0.7, 0.0), C, (0.05, 0.65), C, (0.95, 0.65)]],
        [[(0.2, 0.0), C, (0.15, 0.55), (0.5, 0.6), (0.95, 0.55)], [(0.75, 0.0), (0.7, 0.5), (0.65, 1.0)]],
        [[(0.55, 0.0), C, (0.1, 0.7), C, (0.95, 0.7)], [(0.65, 0.35), (0.65, 1.0)]],
    ],
    "5": [
        [[(0.2, 0.0), C, (0.15, 0.45), (0.45, 0.38), (0.8, 0.5), (0.85, 0.78), (0.55, 1.0), (0.1, 0.9)],
         [(0.2, 0.0), (0.85, 0.0)]],
        [[(0.85, 0.0), C, (0.2, 0.0), C, (0.15, 0.45), (0.45, 0.38), (0.8, 0.5), (0.85, 0.78), (0.55, 1.0),
          (0.1, 0.9)]],
        [[(0.25, 0.0), C, (0.2, 0.4), (0.6, 0.4), (0.85, 0.7), (0.6, 0.98), (0.15, 0.92)],
         [(0.25, 0.02), (0.8, -0.02)]],
    ],
    "6": [
        [[(0.75, 0.0), (0.4, 0.2), (0.15, 0.55), (0.15, 0.85), (0.45, 1.0), (0.8, 0.85), (0.8, 0.6),
          (0.5, 0.48), (0.2, 0.62)]],
        [[(0.7, 0.0), (0.3, 0.4), (0.15, 0.75), (0.35, 1.0), (0.7, 0.95), (0.8, 0.7), (0.5, 0.5), (0.2, 0.7)]],
        [[(0.55, 0.0), (0.3, 0.35), (0.2, 0.7), (0.4, 1.0), (0.75, 0.9), (0.75, 0.6), (0.45, 0.55), (0.25, 0.75)]],
    ],
    "7": [
        [[(0.05, 0.0), C, (0.95, 0.0), C, (0.4, 1.0)]],
        [[(0.05, 0.0), C, (0.95, 0.0), C, (0.4, 1.0)], [(0.3, 0.5), (0.8, 0.5)]],
        [[(0.05, 0.15), C, (0.05, 0.0), C, (0.95, 0.0), C, (0.6, 0.5), (0.45, 1.0)]],
        [[(0.05, 0.2), C, (0.1, 0.0), (0.95, 0.0), C, (0.55, 0.5), (0.45, 1.0)], [(0.3, 0.5), (0.8, 0.45)]],
        [[(0.05, 0.05), (0.3, 0.0), (0.6, 0.05), (0.95, 0.0), C, (0.6, 0.45), (0.5, 1.0)]],
        [[(0.1, 0.0), C, (0.9, 0.02), C, (0.65, 0.4), (0.55, 0.7), (0.5, 1.0)]],
        [[(0.1, 0.05), C, (0.9, 0.0), C, (0.5, 1.0)], [(0.35, 0.48), (0.85, 0.52)]],
    ],
    "8": [
        [[(0.8, 0.12), (0.5, 0.0), (0.18, 0.15), (0.25, 0.35), (0.5, 0.48), (0.8, 0.65), (0.82, 0.88),
          (0.5, 1.0), (0.18, 0.87), (0.22, 0.65), (0.5, 0.48), (0.75, 0.3), (0.78, 0.12)]],
        [[(0.2, 0.12), (0.5, 0.0), (0.82, 0.15), (0.75, 0.35), (0.5, 0.48), (0.2, 0.65), (0.18, 0.88),
          (0.5, 1.0), (0.82, 0.87), (0.78, 0.65), (0.5, 0.48), (0.25, 0.3), (0.22, 0.12)]],
        [[(0.75, 0.1), (0.5, 0.0), (0.25, 0.12), (0.3, 0.35), (0.7, 0.62), (0.75, 0.9), (0.5, 1.0), (0.25, 0.9),
          (0.3, 0.62), (0.7, 0.35), (0.75, 0.1)]],
    ],
    "9": [
        [[(0.85, 0.25), (0.6, 0.0), (0.2, 0.08), (0.15, 0.35), (0.45, 0.5), (0.8, 0.4), (0.85, 0.25), C,
          (0.82, 1.0)]],
        [[(0.85, 0.25), (0.6, 0.0), (0.2, 0.08), (0.15, 0.35), (0.45, 0.5), (0.8, 0.4), (0.85, 0.25), C,
          (0.8, 0.7), (0.55, 1.0)]],
        [[(0.2, 0.35), (0.15, 0.1), (0.5, 0.0), (0.85, 0.2), (0.8, 0.6), (0.6, 0.9), (0.3, 1.0)]],
        [[(0.8, 0.2), (0.5, 0.0), (0.2, 0.15), (0.25, 0.4), (0.6, 0.42), (0.85, 0.25), C, (0.8, 0.7), (0.5, 1.0),
          (0.2, 0.9)]],
        [[(0.8, 0.15), (0.5, 0.0), (0.2, 0.1), (0.15, 0.3), (0.4, 0.45), (0.75, 0.35), (0.8, 0.15), C, (0.75, 0.55),
          (0.7, 1.0)]],
        [[(0.85, 0.2), (0.55, 0.0), (0.2, 0.1), (0.2, 0.35), (0.5, 0.45), (0.85, 0.2), C, (0.6, 1.0)]],
    ],
}
LOOPS = {"0": [[(0.5, 0.5, 0.5, 0.5)]], "8": [[(0.5, 0.25, 0.3, 0.25), (0.5, 0.73, 0.38, 0.27)]]}  # ellipses

# Debian's fonts-dejavu-core/-extra (Bitstream Vera licence) and fonts-noto-mono (SIL OFL 1.1), permissive
# licences; the machine's URW base-35 (AGPL) and Liberation 1.x (GPL-2 with a font exception) are left out.
FONTS = sorted(str(p) for folder in ("/usr/share/fonts/truetype/dejavu", "/usr/share/fonts/truetype/noto")
               for p in Path(folder).glob("*.ttf") if not any(word in p.name for word in ("Math", "ExtraLight")))
LABELS = tuple(str(d) for d in range(10)) + ("-", "")
COARSE = 0.35  # digits captured on a coarse grid and enlarged (`coarse`)
# People's handwriting, when given (`load_bitmaps`): each label's 32x32 bitmaps, and the share of that
# label's cells written from one of them instead of from the stroke templates.
BITMAPS: dict[str, list[np.ndarray]] = {}
REAL = 0.4


def catmull_rom(points: np.ndarray, per_segment: int = 6) -> np.ndarray:
    """A smooth curve through the points (end tangents from the ends themselves)."""
    if len(points) < 2:
        return points
    padded = np.vstack([points[0], points, points[-1]])
    t = np.linspace(0, 1, per_segment, endpoint=False)[:, None]
    out = []
    for i in range(1, len(padded) - 2):
        p0, p1, p2, p3 = padded[i - 1], padded[i], padded[i + 1], padded[i + 2]
        out.append(0.5 * (2 * p1 + (p2 - p0) * t + (2 * p0 - 5 * p1 + 4 * p2 - p3) * t ** 2
                          + (3 * p1 - p0 - 3 * p2 + p3) * t ** 3))
    out.append(points[-1:])
    return np.vstack(out)


def stroke_curve(stroke: list, rng: np.random.Generator, jitter: float) -> np.ndarray:
    """Jitter a stroke's control points (a corner shared by its two pieces), smooth each piece."""
    points = np.array([p for p in stroke if p is not C], dtype=float)
    points += rng.normal(0, jitter, points.shape)
    pieces, start, index = [], 0, 0
    for item in stroke:
        if item is C:
            pieces.append(points[start:index])
            start = index - 1
        else:
            index += 1
    pieces.append(points[start:])
    return np.vstack([catmull_rom(piece) for piece in pieces])


def ellipse(cx: float, cy: float, rx: float, ry: float, rng: np.random.Generator) -> np.ndarray:
    start = -np.pi / 2 + rng.uniform(-0.6, 0.6)
    sweep = 2 * np.pi + rng.uniform(-0.25, 0.5)
    angle = start - np.linspace(0, sweep, 48) * rng.choice([1, -1], p=[0.8, 0.2])
    wobble = 1 + 0.08 * np.sin(angle * 2 + rng.uniform(0, 6)) * rng.uniform(0, 1)
    return np.stack([cx + rx * wobble * np.cos(angle), cy + ry * wobble * np.sin(angle)], axis=1)


def glyph_strokes(label: str, rng: np.random.Generator) -> list[np.ndarray]:
    """One way of writing `label`, as polylines in a unit box, jittered and smoothly warped."""
    ways = [("strokes", w) for w in STROKES.get(label, [])] + [("loops", w) for w in LOOPS.get(label, [])]
    kind, way = ways[rng.integers(len(ways))]
    jitter = rng.uniform(0.01, 0.05)
    if kind == "loops":
        curves = [ellipse(*(np.array(e) + rng.normal(0, jitter, 4) * [1, 1, 0.5, 0.5]), rng) for e in way]
    else:
        curves = [stroke_curve(s, rng, jitter) for s in way]
    amplitude, frequency = rng.uniform(0, 0.07, 2), rng.uniform(0.5, 1.6, (2, 2))
    phase = rng.uniform(0, 2 * np.pi, 2)
    return [c + amplitude * np.sin(2 * np.pi * (c @ frequency) + phase) for c in curves]


def place(curves: list[np.ndarray], height: int, width: int, rng: np.random.Generator,
          size: float, aspect: float) -> list[np.ndarray]:
    """Unit-box curves -> pixel coordinates in the crop: aspect, slant, rotation, size, position."""
    slant, turn = rng.uniform(-0.35, 0.5), rng.normal(0, 0.07)
    tall = size * height
    matrix = np.array([[np.cos(turn), -np.sin(turn)], [np.sin(turn), np.cos(turn)]]) @ np.array(
        [[aspect * tall, -slant * tall], [0, tall]])
    centre = np.array([width / 2 + rng.normal(0, 0.07) * width, height / 2 + rng.normal(0, 0.06) * height])
    return [(c - 0.5) @ matrix.T + centre for c in curves]


def draw(canvas: np.ndarray, curves: list[np.ndarray], pen: float, rng: np.random.Generator,
         pressure: float = 0.25) -> None:
    """Anti-aliased pen lines (distance to each segment), width varying smoothly along the stroke."""
    h, w = canvas.shape
    ys, xs = np.mgrid[0:h, 0:w] + 0.5
    pixels = np.stack([xs.ravel(), ys.ravel()], axis=1)
    for curve in curves:
        if len(curve) < 2:
            continue
        a, b = curve[:-1], curve[1:]
        lo, hi = np.minimum(a, b).min(axis=0) - pen, np.maximum(a, b).max(axis=0) + pen
        near = np.all((pixels >= lo) & (pixels <= hi), axis=1)
        if not near.any():
            continue
        p = pixels[near]
        ab = b - a
        px, py = p[:, 0:1], p[:, 1:2]
        ax, ay, bx, by = a[:, 0], a[:, 1], ab[:, 0], ab[:, 1]
        t = np.clip(((px - ax) * bx + (py - ay) * by) / np.maximum(bx * bx + by * by, 1e-9), 0, 1)
        distance = np.sqrt((px - ax - t * bx) ** 2 + (py - ay - t * by) ** 2)
        along = np.linspace(0, 1, len(a))
        width = pen * (1 + pressure * np.sin(2 * np.pi * along * rng.uniform(0.3, 1.5) + rng.uniform(0, 6)))
        ink = np.clip(width[None] / 2 - distance + 0.5, 0, 1).max(axis=1)
        flat = canvas.reshape(-1)
        flat[near] = np.maximum(flat[near], ink)


@cache
def font(path: str) -> ImageFont.FreeTypeFont:
    return ImageFont.truetype(path, 100)


def font_ink(label: str, height: int, width: int, rng: np.random.Generator, size: float) -> np.ndarray:
    """A digit set in one of the machine's fonts, slanted and turned a little, as ink in [0, 1]."""
    font_file = font(FONTS[rng.integers(len(FONTS))])
    big = Image.new("L", (200, 200), 0)
    ImageDraw.Draw(big).text((100, 100), label, fill=255, font=font_file, anchor="mm")
    glyph = slanted(big.crop(big.getbbox()), rng.uniform(-0.1, 0.3), float(rng.normal(0, 4)))
    tall = max(2, int(size * height))
    wide = max(1, int(glyph.size[0] * tall / glyph.size[1]))
    return pasted(glyph.resize((wide, tall), Image.Resampling.LANCZOS), height, width, rng, (0.07, 0.06))


def slanted(glyph: Image.Image, slant: float, turn: float) -> Image.Image:
    """A glyph sheared by `slant` (x moves by slant * y) and turned by `turn` degrees, grown to fit."""
    gw, gh = glyph.size
    glyph = glyph.transform((gw + int(abs(slant) * gh) + 2, gh), Image.Transform.AFFINE,
                            (1, slant, -max(slant, 0) * gh, 0, 1, 0), Image.Resampling.BILINEAR)
    return glyph.rotate(turn, Image.Resampling.BILINEAR, expand=True)


def pasted(glyph: Image.Image, height: int, width: int, rng: np.random.Generator,
           spread: tuple[float, float]) -> np.ndarray:
    """A glyph placed in a crop about its centre, off by `spread` (of the width, of the height) at random,
    as ink in [0, 1]."""
    wide, tall = glyph.size
    crop = Image.new("L", (width, height), 0)
    x = int(width / 2 - wide / 2 + rng.normal(0, spread[0]) * width)
    y = int(height / 2 - tall / 2 + rng.normal(0, spread[1]) * height)
    crop.paste(glyph, (x, y))
    return np.asarray(crop, dtype=np.float64) / 255


def load_bitmaps(paths: list[Path]) -> None:
    """Fill BITMAPS from files in the UCI "optdigits-orig" format (32 lines of 32 '0'/'1', then the label;
    any header lines are skipped)."""
    for path in paths:
        lines = path.read_text().splitlines()
        i = 0
        while i + 32 < len(lines):
            block = lines[i:i + 32]
            if all(len(row) == 32 and set(row) <= {"0", "1"} for row in block):
                BITMAPS.setdefault(lines[i + 32].strip(), []).append(
                    np.array([[c == "1" for c in row] for row in block], dtype=np.float64))
                i += 33
            else:
                i += 1


def bitmap_ink(label: str, height: int, width: int, rng: np.random.Generator, size: float) -> np.ndarray:
    """One of the people's bitmaps of `label` as ink in a crop: its pen line made thinner or bolder (a blur
    and a threshold), slanted and turned a little, scaled to `size` of the crop's height with its own shape
    (squeezed or widened by up to a fifth), placed off centre as a hand does."""
    bitmap = BITMAPS[label][rng.integers(len(BITMAPS[label]))]
    rows, cols = np.nonzero(bitmap)
    box = bitmap[rows.min():rows.max() + 1, cols.min():cols.max() + 1]
    box = np.pad(box, 2)
    soft = blur(box, rng.uniform(0.6, 1.2))
    level = rng.uniform(0.25, 0.6)
    glyph = Image.fromarray((np.clip((soft - level) / 0.2 + 0.5, 0, 1) * 255).astype(np.uint8))
    glyph = slanted(glyph, rng.uniform(-0.15, 0.15), float(rng.normal(0, 3)))
    tall = max(4, int(size * height))
    wide = max(2, min(width, int(glyph.size[0] * tall / glyph.size[1] * rng.uniform(0.8, 1.2))))
    return pasted(glyph.resize((wide, tall), Image.Resampling.BILINEAR), height, width, rng, (0.06, 0.05))


def dash(height: int, width: int, rng: np.random.Generator) -> list[np.ndarray]:
    length = rng.uniform(0.25, 0.85) * width
    angle = rng.normal(0, 0.12)
    cx, cy = width / 2 + rng.normal(0, 0.08) * width, height / 2 + rng.normal(0, 0.1) * height
    t = np.linspace(-0.5, 0.5, 12)[:, None]
    bend = rng.normal(0, 0.04) * length * (1 - 4 * t ** 2)
    return [np.hstack([cx + t * length * np.cos(angle), cy + t * length * np.sin(angle) + bend])]


def border(canvas: np.ndarray, rng: np.random.Generator, chance: float) -> None:
    """Remnants of the printed cell border: thin grey lines along some edges, slightly tilted."""
    h, w = canvas.shape
    grey = rng.uniform(0.2, 0.6)
    thick = rng.uniform(0.6, 0.06 * h + 1)
    for side in range(4):
        if rng.random() > chance:
            continue
        inset = rng.uniform(-thick, 0.08 * min(h, w))
        tilt = rng.normal(0, 0.015)
        if side in (0, 1):  # top, bottom
            y = inset if side == 0 else h - inset
            line = np.array([[-5, y - tilt * w], [w + 5, y + tilt * w]])
        else:
            x = inset if side == 2 else w - inset
            line = np.array([[x - tilt * h, -5], [x + tilt * h, h + 5]])
        layer = np.zeros_like(canvas)
        draw(layer, [line], thick, rng, pressure=0)
        np.maximum(canvas, grey * layer, out=canvas)


def specks(canvas: np.ndarray, rng: np.random.Generator) -> None:
    """Dust, a faint smudge: what an empty cell may carry and must still read as empty."""
    h, w = canvas.shape
    for _ in range(rng.poisson(1.0)):
        layer = np.zeros_like(canvas)
        x, y = rng.uniform(0, w), rng.uniform(0, h)
        draw(layer, [np.array([[x, y], [x + rng.normal(0, 1), y + rng.normal(0, 1)]])], rng.uniform(0.5, 2.0), rng)
        np.maximum(canvas, rng.uniform(0.2, 0.7) * layer, out=canvas)
    if rng.random() < 0.3:
        ys, xs = np.mgrid[0:h, 0:w]
        cx, cy, r = rng.uniform(0, w), rng.uniform(0, h), rng.uniform(0.1, 0.4) * h
        blob = np.exp(-((xs - cx) ** 2 + (ys - cy) ** 2) / (2 * r * r))
        np.maximum(canvas, rng.uniform(0.03, 0.15) * blob, out=canvas)


def blur(image: np.ndarray, sigma: float) -> np.ndarray:
    if sigma < 0.2:
        return image
    radius = int(np.ceil(3 * sigma))
    kernel = np.exp(-0.5 * (np.arange(-radius, radius + 1) / sigma) ** 2)
    kernel /= kernel.sum()
    padded = np.pad(image, radius, mode="edge")
    rows = np.apply_along_axis(np.convolve, 1, padded, kernel, mode="valid")
    return np.apply_along_axis(np.convolve, 0, rows, kernel, mode="valid")


def coarse(ink: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """The writing captured on a coarse grid and enlarged again, as a low-resolution digitiser or an old
    small image does: the writing's box averaged into 6-12 pixels on its longer side (its shape kept, or
    stretched to a square), sometimes from a thresholded bitmap, a few grey levels, then enlarged smoothly
    (bicubic, a blur) and its edge sharpened by a soft threshold: blobs and rounded pen lines of any
    width."""
    rows, cols = np.nonzero(ink > 0.1)
    if len(rows) == 0:
        return ink
    y0, y1, x0, x1 = rows.min(), rows.max() + 1, cols.min(), cols.max() + 1
    box = ink[y0:y1, x0:x1]
    if rng.random() < 0.5:
        box = (box > rng.uniform(0.3, 0.7)).astype(np.float64)
    side = int(rng.integers(6, 13))
    tall, wide = box.shape
    if rng.random() < 0.15:
        grid = (side, side)
    else:
        grid = (max(2, round(side * tall / max(tall, wide))), max(2, round(side * wide / max(tall, wide))))
    small = np.asarray(Image.fromarray(box.astype(np.float32)).resize(grid[::-1], Image.Resampling.BOX))
    levels = int(rng.integers(4, 33))
    small = np.round(small / max(float(small.max()), 1e-6) * levels) / levels
    big = np.asarray(Image.fromarray(small.astype(np.float32)).resize((wide, tall), Image.Resampling.BICUBIC),
                     dtype=np.float64)
    big = blur(big, rng.uniform(0, tall / 15))
    low = rng.uniform(0.15, 0.45)
    out = ink.copy()
    out[y0:y1, x0:x1] = np.clip((big - low) / rng.uniform(0.2, 0.6), 0, 1)
    return out


def scan(ink: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Ink in [0,1] -> a grey scan of it (1 = white): paper, ink darkness, blur, resolution, noise, JPEG."""
    h, w = ink.shape
    paper = rng.uniform(0.75, 1.0)
    dark = rng.uniform(0.45, 1.0)
    grey = paper * (1 - dark * ink)
    grey = blur(grey, rng.uniform(0, 0.04 * h))
    if rng.random() < 0.4:  # a lower resolution than the crop's (down to a dozen pixels across a phone photo)
        factor = min(rng.uniform(1.3, 4.0), h / 10)
        small = Image.fromarray(grey.astype(np.float32)).resize(
            (max(2, int(w / factor)), max(2, int(h / factor))), Image.Resampling.BILINEAR)
        grey = np.asarray(small.resize((w, h), Image.Resampling.BILINEAR), dtype=np.float64)
    grey = grey + rng.normal(0, rng.uniform(0, 0.06), grey.shape)
    grey = np.clip(grey, 0, 1)
    if rng.random() < 0.5:
        buffer = io.BytesIO()
        Image.fromarray((grey * 255).round().astype(np.uint8)).save(buffer, "JPEG", quality=int(rng.integers(40, 95)))
        grey = np.asarray(Image.open(buffer), dtype=np.float64) / 255
    return grey


def cell(label: str, rng: np.random.Generator) -> np.ndarray:
    """One grey crop of a cell's writing area holding `label` ("" = empty), at a random scan resolution."""
    height = int(rng.integers(26, 80))
    width = max(8, int(height * rng.uniform(0.6, 0.9)))
    ink = np.zeros((height, width))
    pen = height * rng.uniform(0.035, 0.19)
    if label == "-":
        draw(ink, dash(height, width, rng), pen, rng)
    elif label:
        size, aspect = rng.uniform(0.45, 0.95), rng.uniform(0.45, 0.9)
        if label in BITMAPS and rng.random() < REAL:
            ink = bitmap_ink(label, height, width, rng, size)
        elif rng.random() < 0.15:
            ink = font_ink(label, height, width, rng, size)
        else:
            draw(ink, place(glyph_strokes(label, rng), height, width, rng, size, aspect), pen, rng)
        if rng.random() < COARSE:
            ink = coarse(ink, rng)
    border(ink, rng, 0.5 if label == "" else 0.25)
    if label == "" or rng.random() < 0.3:
        specks(ink, rng)
    return scan(ink, rng)


def dataset(count: int, seed: int) -> tuple[list[np.ndarray], np.ndarray]:
    """`count` cells with labels drawn evenly from LABELS (indices into LABELS)."""
    rng = np.random.default_rng(seed)
    labels = rng.integers(len(LABELS), size=count)
    return [cell(LABELS[i], rng) for i in labels], labels
