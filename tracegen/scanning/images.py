"""Scanned pages from PDFs and images (PNG, JPEG, TIFF with several pages), one grey page at a time."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path
from typing import NamedTuple

import numpy as np
from PIL import Image, ImageFile, UnidentifiedImageError

from tracegen.errors import InputError

DPI = 200  # PDFs are rasterised at this resolution: cells of 5 mm are 40 pixels wide
LONGEST = 2400  # pixels: larger images are scaled down to about 200 dpi (A4), which reads as well and faster
IMAGES = (".png", ".jpg", ".jpeg", ".tif", ".tiff", ".bmp", ".webp")
Image.MAX_IMAGE_PIXELS = 200_000_000  # a 600 dpi A3 scan, not a decompression bomb


class Scan(NamedTuple):
    """One scanned page: where it came from (`file`, 1-based `page` in that file) and its pixels
    (uint8, 255 = white)."""

    file: str
    page: int
    pixels: np.ndarray


def files(paths: tuple[str, ...]) -> list[Path]:
    """The scan files named, folders opened (their PDFs and images, sorted); InputError for anything else."""
    out: list[Path] = []
    for name in paths:
        path = Path(name)
        if path.is_dir():
            found = sorted(p for p in path.iterdir() if p.suffix.lower() in (".pdf", *IMAGES))
            if not found:
                raise InputError(f"{path}: no PDF or image in this folder (expected scans: .pdf, .png, .jpg, .tif)")
            out.extend(found)
        elif not path.is_file():
            raise InputError(f"{path}: no such file (expected a scanned PDF, an image or a folder of them)")
        elif path.suffix.lower() not in (".pdf", *IMAGES):
            raise InputError(f"{path}: not a PDF or an image (expected .pdf, .png, .jpg, .jpeg, .tif, .tiff)")
        else:
            out.append(path)
    return out


def count(path: Path) -> int:
    """How many pages a scan file holds."""
    if path.suffix.lower() == ".pdf":
        return len(_pdf(path))
    with _image(path) as image:
        return getattr(image, "n_frames", 1)


def page(path: Path, index: int) -> Scan:
    """Page `index` (0-based) of a scan file; InputError when its pixels cannot be read (a truncated file)."""
    try:
        if path.suffix.lower() == ".pdf":
            document = _pdf(path)
            try:
                bitmap = document[index].render(scale=DPI / 72, grayscale=True)
                return Scan(str(path), index + 1, _grey(bitmap.to_pil()))
            finally:
                document.close()
        with _image(path) as image, _whole():
            image.seek(index)
            return Scan(str(path), index + 1, _grey(image))
    except (OSError, ValueError, RuntimeError) as err:  # PIL's truncated data, PDFium's failures
        raise InputError(f"{path} page {index + 1}: cannot be read ({err})") from None


@contextlib.contextmanager
def _whole() -> Iterator[None]:
    """Refuse a truncated image (WeasyPrint, imported in the same process, lets Pillow fill one in grey)."""
    before = ImageFile.LOAD_TRUNCATED_IMAGES
    ImageFile.LOAD_TRUNCATED_IMAGES = False
    try:
        yield
    finally:
        ImageFile.LOAD_TRUNCATED_IMAGES = before


def _grey(image: Image.Image) -> np.ndarray:
    scale = LONGEST / max(image.size)
    if scale < 1 and image.format == "JPEG":  # decode a JPEG at a half or a quarter of its size straight away
        image.draft("L", (round(image.width * scale), round(image.height * scale)))
        scale = LONGEST / max(image.size)
    image = image.convert("L")
    if scale < 1:
        image = image.resize((round(image.width * scale), round(image.height * scale)), Image.Resampling.BOX)
    return np.asarray(image, dtype=np.uint8)


def _pdf(path: Path):  # type: ignore[no-untyped-def]
    import pypdfium2

    try:
        return pypdfium2.PdfDocument(str(path))
    except pypdfium2.PdfiumError as err:
        raise InputError(f"{path}: not a readable PDF ({err})") from None


def _image(path: Path) -> Image.Image:
    try:
        return Image.open(path)
    except (UnidentifiedImageError, OSError) as err:
        raise InputError(f"{path}: not a readable image ({err})") from None
