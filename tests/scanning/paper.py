"""Test paper for `tracegen scan`: worksheet pages with handwriting the digit model never saw, and a
"scanner" that turns them into imperfect images.

- `printed`: a page of a paper-ready worksheet PDF; or, for a batch without them, a page drawn from
  a synthetic position map (`layout`, `render_page`: QR page code, registration marks, cell borders);
- `Hand`: digits written from scikit-learn's bundled handwritten digits (8 x 8, 43 writers, BSD-3),
  upsampled with a blur at random sizes, slants and offsets; a minus is a short slanted stroke;
- `scanned`: rotation, scale, blur, noise and JPEG compression;
"""

from __future__ import annotations

import hashlib
import io
import json
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

import numpy as np
import zxingcpp
from PIL import Image, ImageDraw, ImageFilter

MM = 72 / 25.4
A4 = (595.28, 841.89)
CELL_W, CELL_H, POINT_W = 5.5 * MM, 7.5 * MM, 2.5 * MM
WHOLE = 2  # integer digit cells of every blank in the synthetic layout
CLASSES = ("0", "1", "2", "3", "4", "5", "6", "7", "8", "9", "-", "")


def batch_code(folder: Path) -> str:
    return hashlib.sha256((folder / "answers.csv").read_bytes()).hexdigest()[:10]


def layout(batch: str, variant: str, blanks: list[str], decimals: int, doc: str = "abcdef012345") -> dict:
    """A position map: 4 blanks a row, as many pages as they need."""
    w, h = A4
    margin = 10 * MM
    marks = [[margin, margin], [w - margin, margin], [margin, h - margin], [w - margin, h - margin]]
    qr_x1 = w - margin - 2.5 * MM - 6 * MM
    qr = [qr_x1 - 20 * MM, 7 * MM, qr_x1, 27 * MM]
    per_row, top, step = 4, 36 * MM, 12 * MM
    rows_per_page = int((h - 25 * MM - top) // step)
    per_page = per_row * rows_per_page
    pages = -(-len(blanks) // per_page)
    out_blanks = []
    for i, blank in enumerate(blanks):
        page, at = divmod(i, per_page)
        row, col = divmod(at, per_row)
        x, y = 22 * MM + col * 42 * MM, top + row * step
        cells = []
        for kind in ["sign"] + ["digit"] * WHOLE + ["point"] + ["digit"] * decimals:
            width = POINT_W if kind == "point" else CELL_W
            cells.append({"kind": kind, "rect": [x, y, x + width, y + CELL_H]})
            x += width + 0.6 * MM
        out_blanks.append({"id": blank, "page": page + 1, "decimals": decimals, "cells": cells})
    return {"format": "tracegen-positions/1", "batch": batch, "variant": variant, "kind": "worksheet", "doc": doc,
            "page_size": list(A4),
            "pages": [{"page": p, "code": f"TG1 {batch} {variant} worksheet {p} {pages} {doc}", "qr": qr,
                       "marks": marks} for p in range(1, pages + 1)],
            "blanks": out_blanks}


def write_layouts(folder: Path, batch: str | None = None) -> dict[str, dict]:
    """Position maps for every variant of a batch folder (beside its worksheets)."""
    header = (folder / "answers.csv").read_text().splitlines()[0].split(",")[1:]
    code = batch or batch_code(folder)
    maps = {}
    for variant_dir in sorted(p for p in folder.iterdir() if p.is_dir()):
        decimals = int(next(line.split(":")[1] for line in (variant_dir / "spec.yaml").read_text().splitlines()
                            if line.strip().startswith("decimals:")))
        maps[variant_dir.name] = layout(code, variant_dir.name, header, decimals)
        (variant_dir / "worksheet.positions.json").write_text(json.dumps(maps[variant_dir.name]))
    return maps


def render_page(positions: dict, page: int, dpi: int) -> np.ndarray:
    """The printed page `page` of a position map as grey floats (1 = paper) at `dpi`."""
    s = dpi / 72
    w, h = (round(v * s) for v in positions["page_size"])
    image = Image.new("L", (w, h), 255)
    draw = ImageDraw.Draw(image)
    info = positions["pages"][page - 1]
    for cx, cy in info["marks"]:
        r = 2.5 * MM * s
        draw.rectangle([cx * s - r, cy * s - r, cx * s + r - 1, cy * s + r - 1], fill=0)
    x0, y0, x1, y1 = (v * s for v in info["qr"])
    modules = np.asarray(zxingcpp.create_barcode(info["code"], zxingcpp.BarcodeFormat.QRCode, ec_level="M")
                         .to_image(scale=1, add_quiet_zones=False))
    qr = Image.fromarray(modules).resize((round(x1 - x0), round(y1 - y0)), Image.Resampling.NEAREST)
    image.paste(qr, (round(x0), round(y0)))
    for blank in positions["blanks"]:
        if blank["page"] != page:
            continue
        for cell in blank["cells"]:
            a, b, c, d = (v * s for v in cell["rect"])
            if cell["kind"] == "point":
                draw.ellipse([(a + c) / 2 - 1.5 * s, d - 4 * s, (a + c) / 2 + 1.5 * s, d - 1 * s], fill=0)
            else:
                draw.rectangle([a - 1.2 * s, b - 1.2 * s, c + 1.2 * s, d + 1.2 * s], outline=80,
                               width=max(1, round(s * 0.6)))
    return np.asarray(image, dtype=np.float32) / 255.0


def pdf_page(path: Path, page: int, dpi: int) -> np.ndarray:
    """Page `page` of a printed worksheet PDF as grey floats (1 = paper) at `dpi`."""
    import pypdfium2

    document = pypdfium2.PdfDocument(str(path))
    try:
        image = document[page - 1].render(scale=dpi / 72, grayscale=True).to_pil().convert("L")
    finally:
        document.close()
    return np.asarray(image, dtype=np.float32) / 255.0


def fits(text: str, kinds: list[str]) -> bool:
    """Whether `text` can be written in cells of `kinds`."""
    whole, _, frac = text.lstrip("-").partition(".")
    point = kinds.index("point")
    return (not text.startswith("-") or kinds[0] == "sign") and len(whole) <= point - (kinds[0] == "sign") \
        and len(frac) <= len(kinds) - point - 1


def maps_of(folder: Path) -> dict[str, dict]:
    """The position maps of a batch: the paper-ready worksheets' own, else the synthetic layout's
    (written beside the worksheets)."""
    maps = {p.parent.name: json.loads(p.read_text()) for p in sorted(folder.glob("*/worksheet.positions.json"))}
    return maps or write_layouts(folder)


def printed(folder: Path, positions: dict, page: int, dpi: int) -> np.ndarray:
    """A worksheet page as printed: the variant's PDF page where the map is the worksheet's own,
    else the synthetic page drawn from the map."""
    if positions["batch"] == batch_code(folder):
        return render_page(positions, page, dpi)
    return pdf_page(folder / positions["variant"] / "worksheet.pdf", page, dpi)


def cells_of(text: str, kinds: list[str], rng: np.random.Generator) -> list[str]:
    """How a student writes `text` in a blank's cells of `kinds` (sign, digits, point, digits); a
    leading 0 written or not. The printed point's cell is left out."""
    sign = kinds[0] == "sign"
    point = kinds.index("point")
    places = point - sign
    decimals = len(kinds) - point - 1
    if text == "":
        return [""] * (sign + places + decimals)
    negative = text.startswith("-")
    whole, _, frac = text.lstrip("-").partition(".")
    frac = frac.ljust(decimals, "0")
    if whole == "0" and rng.random() < 0.5:
        whole = ""
    return ["-" if negative else ""] * sign + [""] * (places - len(whole)) + list(whole) + list(frac)


def text_of(value: float | Decimal, decimals: int) -> str:
    text = f"{Decimal(repr(float(value))).quantize(Decimal(1).scaleb(-decimals)):f}"
    return text[1:] if text.startswith("-") and Decimal(text) == 0 else text


class Hand:
    """Handwritten characters from scikit-learn's digits (the `part` of its samples: 0 first half, 1 second)."""

    def __init__(self, seed: int, part: int = 0) -> None:
        from sklearn.datasets import load_digits

        data = load_digits()
        half = len(data.target) // 2
        pick = slice(0, half) if part == 0 else slice(half, None)
        self.images = data.images[pick] / 16.0
        self.targets = data.target[pick]
        self.rng = np.random.default_rng(seed)

    def glyph(self, char: str, height: int, width: int) -> np.ndarray:
        """Ink (0..1) of one handwritten character filling a cell of height x width pixels."""
        rng = self.rng
        canvas = Image.new("L", (width, height), 0)
        if char == "":
            return np.zeros((height, width), dtype=np.float32)
        size = rng.uniform(0.6, 0.9) * height
        if char == "-":
            glyph = Image.new("L", (64, 64), 0)
            d = ImageDraw.Draw(glyph)
            length, thick, tilt = rng.uniform(18, 30), rng.uniform(4, 8), rng.uniform(-5, 5)
            d.line([(32 - length, 32 + tilt), (32 + length, 32 - tilt)], fill=255, width=round(thick))
        else:
            choices = np.flatnonzero(self.targets == int(char))
            glyph = Image.fromarray((self.images[rng.choice(choices)] * 255).astype(np.uint8))
            glyph = glyph.resize((64, 64), Image.Resampling.BICUBIC).filter(ImageFilter.GaussianBlur(2.5))
            glyph = glyph.point(lambda v: min(255, max(0, (v - 60) * 2)))
        shear = rng.uniform(-0.25, 0.25)
        glyph = glyph.transform(glyph.size, Image.Transform.AFFINE, (1, shear, -32 * shear, 0, 1, 0),
                                Image.Resampling.BILINEAR)
        aspect = rng.uniform(0.65, 0.95)
        glyph = glyph.resize((max(2, round(size * aspect)), max(2, round(size))), Image.Resampling.BILINEAR)
        x = round((width - glyph.width) / 2 + rng.uniform(-0.12, 0.12) * width)
        y = round((height - glyph.height) / 2 + rng.uniform(-0.08, 0.08) * height)
        canvas.paste(glyph, (x, y))
        return np.asarray(canvas, dtype=np.float32) / 255.0 * rng.uniform(0.75, 1.0)


def write(page: np.ndarray, positions: dict, number: int, answers: dict[str, str], hand: Hand, dpi: int) -> None:
    """Write `answers` (blank id -> text) into the cells of page `number` (in place)."""
    s = dpi / 72
    rng = hand.rng
    for blank in positions["blanks"]:
        if blank["page"] != number or blank["id"] not in answers:
            continue
        cells = [c for c in blank["cells"] if c["kind"] != "point"]
        chars = cells_of(answers[blank["id"]], [c["kind"] for c in blank["cells"]], rng)
        for cell, char in zip(cells, chars, strict=True):
            x0, y0, x1, y1 = (round(v * s) for v in cell["rect"])
            ink = hand.glyph(char, y1 - y0, x1 - x0)
            page[y0:y1, x0:x1] *= 1.0 - ink


@dataclass(frozen=True)
class Scanner:
    angle: float = 0.0  # degrees, added to a quarter turn `turns`
    turns: int = 0
    scale: float = 1.0
    blur: float = 0.6
    noise: float = 0.03
    quality: int = 60

    @classmethod
    def random(cls, rng: np.random.Generator, turns: bool = True) -> Scanner:
        return cls(float(rng.uniform(-3, 3)), int(rng.integers(4)) if turns else 0, float(rng.uniform(0.97, 1.03)),
                   float(rng.uniform(0.3, 1.0)), 0.03, 60)

    def __call__(self, page: np.ndarray, rng: np.random.Generator) -> bytes:
        """The page as a JPEG file's bytes, as a scanner with these flaws gives it."""
        image = Image.fromarray(np.clip(page * 255, 0, 255).astype(np.uint8))
        image = image.resize((round(image.width * self.scale), round(image.height * self.scale)),
                             Image.Resampling.BILINEAR)
        image = image.rotate(self.angle + 90 * self.turns, resample=Image.Resampling.BILINEAR, expand=True,
                             fillcolor=255)
        image = image.filter(ImageFilter.GaussianBlur(self.blur))
        pixels = np.asarray(image, dtype=np.float32) + rng.normal(0, self.noise * 255, (image.height, image.width))
        buffer = io.BytesIO()
        Image.fromarray(np.clip(pixels, 0, 255).astype(np.uint8)).save(buffer, format="JPEG", quality=self.quality)
        return buffer.getvalue()


@dataclass(frozen=True)
class Camera:
    """A phone photograph of a page lying on a table: the page bent a little, seen in perspective
    (tilted by `tilt` degrees toward `towards` degrees, turned by `angle`), on a darker background, lit
    unevenly (a gradient across the frame and a darker rim), blurred a little, noisy, and saved as a JPEG
    whose page spans `dpi` pixels per inch at its middle."""

    tilt: float = 10.0  # degrees between the camera's axis and the page's normal
    towards: float = 0.0  # direction of the tilt in the page's plane, degrees
    angle: float = 0.0  # the page's turn in the frame, degrees
    bend: float = 1.0  # mm: the page's bow (a sheet that does not lie quite flat)
    dpi: float = 170.0
    light: float = 0.35  # the darkest corner's light is 1 - light of the brightest
    background: float = 0.3  # the table's grey (0 black, 1 white)
    blur: float = 0.8
    noise: float = 0.02
    quality: int = 85

    @classmethod
    def random(cls, rng: np.random.Generator, tilt: float = 12.0) -> Camera:
        return cls(float(rng.uniform(0.4, 1.0) * tilt), float(rng.uniform(0, 360)), float(rng.uniform(-180, 180)),
                   float(rng.uniform(0, 1.5)), float(rng.uniform(150, 200)), float(rng.uniform(0.2, 0.45)),
                   float(rng.uniform(0.15, 0.45)), float(rng.uniform(0.5, 1.0)), 0.02, int(rng.integers(75, 92)))

    def corners(self, width: float, height: float) -> np.ndarray:
        """Where the page's corners (top-left, top-right, bottom-right, bottom-left; `width` x `height`
        pixels) land in the photograph, before it is cropped: a pinhole camera above the page's
        middle, at the distance a phone's 65 degree view needs to hold the page with a margin."""
        t, d, a = np.radians(self.tilt), np.radians(self.towards), np.radians(self.angle)
        page = np.array([[0, 0], [width, 0], [width, height], [0, height]], dtype=float) - [width / 2, height / 2]
        axis = np.array([np.cos(d), np.sin(d), 0.0])  # the tilt turns the page about this line through its middle
        points = np.hstack([page, np.zeros((4, 1))])
        k = np.array([[0, -axis[2], axis[1]], [axis[2], 0, -axis[0]], [-axis[1], axis[0], 0]])
        turn = np.eye(3) + np.sin(t) * k + (1 - np.cos(t)) * k @ k
        points = points @ turn.T
        distance = 1.3 * max(width, height) / (2 * np.tan(np.radians(32.5)))
        flat = points[:, :2] * distance / (distance + points[:, 2:])
        spin = np.array([[np.cos(a), -np.sin(a)], [np.sin(a), np.cos(a)]])
        return np.asarray(flat @ spin.T)

    def frame(self, w: int, h: int, page_dpi: float) -> tuple[np.ndarray, tuple[int, int]]:
        """Where the corners of a page of w x h pixels at `page_dpi` land in the photograph (the camera
        looks at the page's middle, which is the photograph's), and the photograph's size."""
        corners = self.corners(w, h) * (self.dpi / page_dpi)
        half = np.abs(corners).max(axis=0) + 0.08 * np.abs(corners).max()
        return corners + half, (int(np.ceil(2 * half[0])), int(np.ceil(2 * half[1])))

    def truth(self, size: tuple[float, float], page_dpi: float) -> np.ndarray:
        """The transform (3 x 3) from a page's points (a page of `size` points, photographed from a
        rendering at `page_dpi`) to the photograph's pixels, bow left out."""
        s = page_dpi / 72
        w, h = round(size[0] * s), round(size[1] * s)
        corners, _ = self.frame(w, h, page_dpi)
        return _homography(np.array([[0, 0], [w, 0], [w, h], [0, h]], dtype=float) / s, corners)

    def __call__(self, page: np.ndarray, page_dpi: float, rng: np.random.Generator) -> bytes:
        """The photograph of `page` (grey floats, 1 = paper, at `page_dpi`) as a JPEG file's bytes."""
        h, w = page.shape
        corners, size = self.frame(w, h, page_dpi)
        inverse = _homography(corners, np.array([[0, 0], [w, 0], [w, h], [0, h]], dtype=float))
        mesh = _mesh(size, inverse, self.bend * page_dpi / 25.4, w, h)
        picture = Image.fromarray(np.clip(page * 255, 0, 255).astype(np.uint8))
        seen = np.asarray(picture.transform(size, Image.Transform.MESH, mesh, Image.Resampling.BILINEAR,
                                            fillcolor=0), dtype=np.float32) / 255
        mask = np.asarray(Image.new("L", (w, h), 255).transform(size, Image.Transform.MESH, mesh,
                                                                 Image.Resampling.BILINEAR, fillcolor=0),
                          dtype=np.float32) / 255
        table = self.background * (1 + 0.15 * rng.standard_normal(seen.shape[1]).cumsum() / np.sqrt(seen.shape[1]))
        seen = seen * mask + np.clip(table, 0, 1)[None, :] * (1 - mask)
        ys, xs = np.ogrid[:seen.shape[0], :seen.shape[1]]
        direction = rng.uniform(0, 2 * np.pi)
        ramp = xs * np.cos(direction) + ys * np.sin(direction)
        ramp = (ramp - ramp.min()) / max(1.0, float(ramp.max() - ramp.min()))
        rim = ((xs / size[0] - 0.5) ** 2 + (ys / size[1] - 0.5) ** 2) * 2
        seen *= 1 - self.light * (0.6 * ramp + 0.4 * rim)
        image = Image.fromarray(np.clip(seen * 255, 0, 255).astype(np.uint8))
        image = image.filter(ImageFilter.GaussianBlur(self.blur))
        pixels = np.asarray(image, dtype=np.float32) + rng.normal(0, self.noise * 255, (image.height, image.width))
        buffer = io.BytesIO()
        Image.fromarray(np.clip(pixels, 0, 255).astype(np.uint8)).save(buffer, format="JPEG", quality=self.quality)
        return buffer.getvalue()


def _homography(source: np.ndarray, target: np.ndarray) -> np.ndarray:
    """The 3 x 3 projective transform taking the four points `source` to `target`."""
    rows = []
    for (x, y), (u, v) in zip(source, target, strict=True):
        rows.append([x, y, 1, 0, 0, 0, -u * x, -u * y, -u])
        rows.append([0, 0, 0, x, y, 1, -v * x, -v * y, -v])
    return np.asarray(np.linalg.svd(np.array(rows))[2][-1].reshape(3, 3))


def _mesh(size: tuple[int, int], inverse: np.ndarray, depth: float, w: int, h: int,
          step: int = 24) -> list[tuple[tuple[int, int, int, int], tuple[float, ...]]]:
    """PIL's mesh for a photograph of `size`: per box of `step` pixels, the quadrilateral of the page it
    shows (through the homography `inverse`, photo -> page pixels), the page bowed by up to `depth`
    pixels mid-page (a sheet that does not lie flat is seen shifted where it rises)."""
    xs, ys = np.arange(0, size[0] + step, step), np.arange(0, size[1] + step, step)
    gx, gy = np.meshgrid(xs, ys)
    points = np.stack([gx.ravel(), gy.ravel(), np.ones(gx.size)])
    mapped = inverse @ points
    px, py = (mapped[0] / mapped[2]).reshape(gx.shape), (mapped[1] / mapped[2]).reshape(gx.shape)
    bow = np.sin(np.pi * np.clip(px / w, 0, 1)) * np.sin(np.pi * np.clip(py / h, 0, 1))
    px, py = px + 0.5 * depth * bow, py + depth * bow
    out = []
    for i in range(len(ys) - 1):
        for j in range(len(xs) - 1):
            quad = (px[i, j], py[i, j], px[i + 1, j], py[i + 1, j], px[i + 1, j + 1], py[i + 1, j + 1],
                    px[i, j + 1], py[i, j + 1])
            out.append(((int(xs[j]), int(ys[i]), int(xs[j + 1]), int(ys[i + 1])), tuple(float(v) for v in quad)))
    return out
