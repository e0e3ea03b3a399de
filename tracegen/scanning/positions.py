"""The position maps of a batch (`worksheet.positions.json` beside each variant's worksheet):
where each page's code and marks are and where each blank's character cells are, in PDF points
from the page's top-left corner."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from tracegen.errors import InputError

FORMAT = "tracegen-positions/1"
FILE = "worksheet.positions.json"
KINDS = ("sign", "digit", "point")

Rect = tuple[float, float, float, float]


@dataclass(frozen=True)
class Cell:
    kind: str  # sign, digit or point (printed, never read)
    rect: Rect


@dataclass(frozen=True)
class Blank:
    id: str
    page: int
    decimals: int
    cells: tuple[Cell, ...]

    @property
    def read(self) -> tuple[Cell, ...]:
        """The cells a student writes in (the printed point left out)."""
        return tuple(cell for cell in self.cells if cell.kind != "point")


@dataclass(frozen=True)
class Page:
    page: int
    code: str
    qr: Rect
    marks: tuple[tuple[float, float], ...]


@dataclass(frozen=True)
class Positions:
    """One variant's worksheet: its pages and its blanks (first place of each), in map order."""

    batch: str
    variant: str
    doc: str
    size: tuple[float, float]
    pages: dict[int, Page]
    blanks: tuple[Blank, ...]

    def on(self, page: int) -> list[Blank]:
        return [blank for blank in self.blanks if blank.page == page]


def read_positions(path: Path) -> Positions:
    """One position map (InputError naming the file when it is not one)."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        if data.get("format") != FORMAT:
            raise ValueError(f"format {data.get('format')!r}, expected {FORMAT!r}")
        pages = {int(p["page"]): Page(int(p["page"]), str(p["code"]), _rect(p["qr"]),
                                      tuple((float(x), float(y)) for x, y in p["marks"])) for p in data["pages"]}
        seen: set[str] = set()
        blanks = []
        for b in data["blanks"]:
            if b["id"] in seen:  # a repeated place: the first is read
                continue
            seen.add(b["id"])
            cells = tuple(Cell(str(c["kind"]), _rect(c["rect"])) for c in b["cells"])
            if any(cell.kind not in KINDS for cell in cells):
                raise ValueError(f"blank {b['id']}: a cell kind not in {KINDS}")
            blanks.append(Blank(str(b["id"]), int(b["page"]), int(b["decimals"]), cells))
        if any(len(page.marks) != 4 for page in pages.values()):
            raise ValueError("a page without its 4 registration marks")
        width, height = data["page_size"]
        return Positions(str(data["batch"]), str(data["variant"]), str(data["doc"]), (float(width), float(height)),
                         pages, tuple(blanks))
    except OSError as err:
        raise InputError(f"{path}: cannot be read ({err.strerror}); expected the position map that tracegen batch "
                         f"writes beside a paper-ready worksheet") from None
    except (ValueError, KeyError, TypeError) as err:
        raise InputError(f"{path}: not a position map of tracegen ({err}); rerun tracegen batch") from None


def batch_positions(folder: Path, variants: tuple[str, ...]) -> dict[str, Positions]:
    """Every variant's position map; InputError when a variant has none (not paper-ready)."""
    out = {}
    for variant in variants:
        path = folder / variant / FILE
        if not path.is_file():
            raise InputError(f"{path}: missing; scanning needs the paper-ready worksheets of tracegen batch "
                             f"(their position maps)")
        out[variant] = read_positions(path)
    return out


def _rect(values: list[float]) -> Rect:
    x0, y0, x1, y1 = (float(v) for v in values)
    return (x0, y0, x1, y1)
