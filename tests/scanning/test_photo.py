"""tracegen scan on phone photographs (tests/scanning/paper.py's Camera): pages in perspective on a
darker table, lit unevenly, found through the homography of their four marks; a page whose marks
cannot be trusted is reported, never read."""

from __future__ import annotations

import dataclasses
import io
from decimal import Decimal

import numpy as np
import paper
import pytest
from PIL import Image, ImageDraw
from scanbatch import batch_fixture  # noqa: F401  (the fixture class_batch)

from tracegen.scanning import pages
from tracegen.scanning.positions import read_positions
from tracegen.scanning.read import READ
from tracegen.scanning.run import scan

DPI = 150  # the page rendered at, then photographed at 150-200 pixels per inch


def _pixels(data: bytes) -> np.ndarray:
    return np.asarray(Image.open(io.BytesIO(data)).convert("L"))


def _with_blanks(maps: dict[str, dict], variant: str) -> list[int]:
    return sorted({b["page"] for b in maps[variant]["blanks"]})


def test_a_homography_is_fitted_exactly_and_maps_points_as_a_camera_does():
    rng = np.random.default_rng(0)
    truth = np.array([[1.9, 0.3, 40.0], [-0.2, 2.1, 25.0], [2e-4, -1e-4, 1.0]])
    source = rng.uniform(0, 600, (4, 2))
    mapped = np.hstack([source, np.ones((4, 1))]) @ truth.T
    target = mapped[:, :2] / mapped[:, 2:]
    fitted = pages.fit(source, target)
    assert np.allclose(fitted, truth, rtol=1e-9, atol=1e-12)
    # the local scale is the square root of the Jacobian's determinant, by finite differences
    x, y, e = 300.0, 200.0, 1e-4
    ux = (pages.apply(fitted, np.array([[x + e, y]])) - pages.apply(fitted, np.array([[x - e, y]])))[0] / (2 * e)
    uy = (pages.apply(fitted, np.array([[x, y + e]])) - pages.apply(fitted, np.array([[x, y - e]])))[0] / (2 * e)
    assert pages.scale_at(fitted, (x, y)) == pytest.approx(np.sqrt(abs(ux[0] * uy[1] - ux[1] * uy[0])), rel=1e-6)


def test_a_cameras_view_is_square_and_a_sheared_one_is_not():
    """A camera's view of the page (any slant) and a scanner's (rotation and scale) pass the check; a
    transform that shears or stretches the page by 5 % does not."""
    for seed in range(5):
        camera = paper.Camera.random(np.random.default_rng(seed), tilt=15)
        _, (width, height) = camera.frame(round(paper.A4[0] * 200 / 72), round(paper.A4[1] * 200 / 72), 200)
        assert pages.unsquare(camera.truth(paper.A4, 200), (height, width)) < 0.002
    shape = (2000, 1600)
    turn = np.radians(3)
    scanner = np.array([[2 * np.cos(turn), -2 * np.sin(turn), 50], [2 * np.sin(turn), 2 * np.cos(turn), 80], [0, 0, 1]])
    assert pages.unsquare(scanner, shape) < 1e-9
    assert pages.unsquare(scanner @ np.diag([1.05, 1, 1]), shape) > pages.SQUARE
    assert pages.unsquare(scanner @ np.array([[1, 0.05, 0], [0, 1, 0], [0, 0, 1]]), shape) > pages.SQUARE


def test_photographs_are_aligned_to_a_pixel(class_batch):
    """Photographed at slants up to 15 degrees, turned any way, on a table, lit unevenly: the page's
    transform puts every cell within 0.2 mm (a pixel) of where the camera put it."""
    folder, maps, _ = class_batch
    variant = next(iter(maps))
    positions = read_positions(folder / variant / "worksheet.positions.json")
    rng = np.random.default_rng(31)
    number = _with_blanks(maps, variant)[0]
    page = paper.printed(folder, maps[variant], number, DPI)
    centres = np.array([((c.rect[0] + c.rect[2]) / 2, (c.rect[1] + c.rect[3]) / 2)
                        for b in positions.on(number) for c in b.cells])
    for tilt in (15.0,):
        camera = dataclasses.replace(paper.Camera.random(rng, tilt=tilt), tilt=tilt, bend=0.0)
        pixels = _pixels(camera(page, DPI, rng))
        found = pages.find_code(pixels)
        assert found is not None and found.code is not None and found.corners is not None
        where = positions.pages[number]
        transform = pages.align(pixels, found.corners, where.qr, where.marks)
        assert transform is not None, camera
        truth = camera.truth(positions.size, DPI)
        error = np.linalg.norm(pages.apply(transform, centres) - pages.apply(truth, centres), axis=1)
        assert (error / pages.scale_at(truth, tuple(centres.mean(axis=0))) / pages.MM).max() < 0.2, camera


@pytest.mark.slow
def test_photographs_are_read_as_written(class_batch, tmp_path):
    """Two pages with blanks, photographed (slant up to 15 degrees, bowed up to 1.5 mm, 150-200 pixels
    per inch) and read with the digit model: found and read, most blanks accepted, every accepted
    one as written."""
    folder, maps, keys = class_batch
    variant = next(iter(maps))
    rng = np.random.default_rng(37)
    hand = paper.Hand(37)
    (tmp_path / "in").mkdir()
    numbers = _with_blanks(maps, variant)[:2]
    for number in numbers:
        page = paper.printed(folder, maps[variant], number, 200)
        paper.write(page, maps[variant], number, keys[variant], hand, 200)
        (tmp_path / "in" / f"IMG_{number:04d}.jpg").write_bytes(paper.Camera.random(rng, tilt=15)(page, 200, rng))
    scanned = scan(folder, (str(tmp_path / "in"),))
    assert [p.status for p in scanned.pages] == [READ] * len(numbers)
    assert sorted(p.number for p in scanned.pages) == numbers
    accepted = {b: d.text for (v, b), d in scanned.decisions.items() if d.accepted}
    assert all(Decimal(text) == Decimal(keys[variant][b]) for b, text in accepted.items())
    assert len(accepted) >= 0.6 * len(scanned.decisions)


def _covered(page: np.ndarray, positions: dict, number: int, mark: int, move: tuple[float, float] | None) -> np.ndarray:
    """Page `number` with registration mark `mark` covered by a thumb, or moved by `move` (points)."""
    s = DPI / 72
    image = Image.fromarray(np.clip(page * 255, 0, 255).astype(np.uint8))
    draw = ImageDraw.Draw(image)
    x, y = (v * s for v in positions["pages"][number - 1]["marks"][mark])
    r = 2.5 * pages.MM * s
    if move is None:  # a thumb: a large soft shadow over the mark, darker than the paper
        draw.ellipse([x - 6 * r, y - 9 * r, x + 6 * r, y + 9 * r], fill=110)
    else:
        draw.rectangle([x - r - 2, y - r - 2, x + r + 2, y + r + 2], fill=255)
        x, y = x + move[0] * s, y + move[1] * s
        draw.rectangle([x - r, y - r, x + r, y + r], fill=0)
    return np.asarray(image, dtype=np.float32) / 255


@pytest.mark.parametrize("mark, move", [(2, None), (3, None), (2, (15 * pages.MM, -40 * pages.MM))],
                         ids=["thumb-on-bottom-left", "thumb-on-bottom-right", "bottom-left-mark-elsewhere"])
def test_a_page_whose_marks_cannot_be_trusted_is_reported_not_read(class_batch, tmp_path, mark, move):
    folder, maps, _ = class_batch
    variant = next(iter(maps))
    number = _with_blanks(maps, variant)[0]
    rng = np.random.default_rng(41)
    page = _covered(paper.printed(folder, maps[variant], number, DPI), maps[variant], number, mark, move)
    camera = dataclasses.replace(paper.Camera.random(rng, tilt=12), tilt=12.0)
    (tmp_path / "photo.jpg").write_bytes(camera(page, DPI, rng))
    scanned = scan(folder, (str(tmp_path / "photo.jpg"),), model="standin")
    assert [p.status for p in scanned.pages] == ["registration marks not found where the page code puts them: "
                                                 "not read"]
    assert scanned.decisions == {}


@pytest.mark.parametrize("zoom", [0.5, 1.5])
def test_a_code_found_at_another_size_has_its_corners_in_the_images_pixels(monkeypatch, zoom):
    """A QR code too small to decode as it is (a photograph's far corner) is looked for at other sizes;
    its corners come back in the image's own pixels, where they are at its size."""
    positions = paper.layout("0123456789", "V1", ["a"], 3)
    pixels = np.clip(paper.render_page(positions, 1, 150) * 255, 0, 255).astype(np.uint8)
    x0, y0, x1, y1 = (v * 150 / 72 for v in positions["pages"][0]["qr"])
    monkeypatch.setattr(pages, "ZOOMS", (zoom,))
    found = pages.find_code(pixels)
    assert found is not None and found.corners is not None and found.code is not None
    assert np.abs(found.corners - [[x0, y0], [x1, y0], [x1, y1], [x0, y1]]).max() < 2.5  # pixels, 0.4 mm
