"""Paper-ready worksheets (docs/paper.md): the position map is where the page shows the cells, every page's
QR code reads back as its code, the cells are the same for a quantity across a batch and big enough to
write in on A4 and Letter for networks of 6 units a layer, and nothing in the map or the codes is an answer.

The page is checked as a scanner sees it: rasterised by poppler (`pdftoppm`) and the QR codes read by
zbar (`zbarimg`), tools that share nothing with the code that drew them.
"""

from __future__ import annotations

import copy
import json
import shutil
import subprocess
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from documents import distinctive_answers, pdf_text
from PIL import Image

import tracegen
from tracegen.document.cells import integer_digits
from tracegen.layout import CELL_HEIGHT_MM, CELL_MM
from tracegen.render import POSITIONS, render_documents
from tracegen.render.pdf.form import PageCode
from tracegen.render.pdf.paper import MARK_MM, read_positions

SPECS = Path(__file__).parents[1] / "specs"
DPI = 150
MM = 72 / 25.4  # points per mm


def wide(units: int = 6, samples: int = 1) -> dict:
    """A 6-6-6 network (6 inputs, two layers of 6): the widest matrices of blanks a worksheet holds."""
    def matrix(rows: int, cols: int, shift: int) -> list[list[float]]:
        return [[((i * 3 + j * 5 + shift) % 5 - 2) / 2 for j in range(cols)] for i in range(rows)]

    return {"title": "A 6-6-6 network",
            "network": {"layers": [
                {"units": units, "activation": "relu", "W": matrix(units, 6, 1), "b": [0.1] * units},
                {"units": 6, "activation": "softmax", "W": matrix(6, units, 2), "b": [0] * 6}]},
            "loss": "cross_entropy",
            "data": {"x": [[1, 0, 2, -1, 1, 0]] * samples if samples > 1 else [1, 0, 2, -1, 1, 0],
                     "y": [1] * samples if samples > 1 else 1},
            "training": {"learning_rate": 0.1, "epochs": 1}}


def paper(spec: dict | Path, size: str = "a4") -> dict[tuple[str, str], bytes]:
    loaded = tracegen.load_spec(spec) if isinstance(spec, Path) else tracegen.Spec.from_dict(copy.deepcopy(spec))
    return render_documents(tracegen.trace(loaded), ("worksheet", "key"), ("pdf",), paper=size, paper_ready=True)


@pytest.fixture(scope="module")
def net4653() -> dict[tuple[str, str], bytes]:
    return paper(SPECS / "net4653.yaml")


def pages(pdf: bytes, folder: Path, dpi: int = DPI) -> list[np.ndarray]:
    """Every page as a grey image (0 black, 255 white), as a scanner sees it."""
    assert shutil.which("pdftoppm"), "pdftoppm (poppler-utils) renders the pages for this test"
    (folder / "sheet.pdf").write_bytes(pdf)
    subprocess.run(["pdftoppm", "-gray", "-png", "-r", str(dpi), str(folder / "sheet.pdf"), str(folder / "page")],
                   check=True)
    return [np.asarray(Image.open(path).convert("L"), dtype=float) for path in sorted(folder.glob("page-*.png"))]


def px(value: float, dpi: int = DPI) -> int:
    return round(value * dpi / 72)


def test_the_map_lies_on_the_drawn_cells_and_marks(net4653: dict, tmp_path: Path) -> None:
    """Each digit or sign cell of the map is white inside and framed by the printed grey border just
    outside it on all four sides; each point cell holds the printed point; each mark is black at its centre."""
    mapping = json.loads(net4653[("worksheet", POSITIONS)])
    images = pages(net4653[("worksheet", "pdf")], tmp_path)
    assert len(mapping["pages"]) == len(images)
    checked = 0
    for blank in mapping["blanks"]:
        image = images[blank["page"] - 1]
        for cell in blank["cells"]:
            x0, y0, x1, y1 = (px(v) for v in cell["rect"])
            inside = image[y0 + 2:y1 - 2, x0 + 2:x1 - 2]
            if cell["kind"] == "point":
                assert inside.min() < 100, blank["id"]  # the printed decimal point
                continue
            assert inside.mean() > 250, blank["id"]
            frames = [image[y0 + 3:y1 - 3, x0 - 3:x0 + 1].min(axis=1), image[y0 + 3:y1 - 3, x1 - 1:x1 + 3].min(axis=1),
                      image[y0 - 3:y0 + 1, x0 + 3:x1 - 3].min(axis=0), image[y1 - 1:y1 + 3, x0 + 3:x1 - 3].min(axis=0)]
            assert all((line < 225).all() for line in frames), (blank["id"], cell)  # grey all along each side
            checked += 1
    assert checked > 300
    for page, image in zip(mapping["pages"], images, strict=True):
        for cx, cy in page["marks"]:
            half = px(MARK_MM * MM / 2)
            square = image[px(cy) - half + 2:px(cy) + half - 2, px(cx) - half + 2:px(cx) + half - 2]
            assert square.max() < 60
            assert image[px(cy), px(cx) + half + 3] > 240 and image[px(cy) + half + 3, px(cx)] > 240


def test_every_pages_qr_code_reads_as_its_code(net4653: dict, tmp_path: Path) -> None:
    assert shutil.which("zbarimg"), "zbarimg (zbar-tools) reads the QR codes for this test"
    mapping = json.loads(net4653[("worksheet", POSITIONS)])
    pdf = net4653[("worksheet", "pdf")]
    pages(pdf, tmp_path)
    count = len(mapping["pages"])
    for page in mapping["pages"]:
        image = sorted(tmp_path.glob("page-*.png"))[page["page"] - 1]
        read = subprocess.run(["zbarimg", "--raw", "-q", str(image)], capture_output=True, text=True, check=True)
        assert read.stdout.strip() == page["code"]
        code = PageCode.parse(read.stdout.strip())
        assert code == PageCode(mapping["batch"], "base", "worksheet", page["page"], count, mapping["doc"])
        x0, y0, x1, y1 = page["qr"]
        assert x1 - x0 >= 18 * MM - 0.01 and y0 >= 4 * MM
        assert x1 < max(cx for cx, cy in page["marks"]) - MARK_MM * MM / 2  # left of the top-right mark


def test_the_qr_symbol_is_segnos_own_with_the_mask_segno_chooses() -> None:
    """`paper._qr` scores the eight masks with numpy instead of segno's Python: the symbol must still be, module
    for module, the one `segno.make` chooses: for page codes and for other texts up to version 13 (with version
    information), every mask chosen somewhere."""
    import random

    import segno

    from tracegen.render.pdf.paper import _qr

    rng = random.Random(1)
    codes = [PageCode(f"{rng.getrandbits(40):010x}", "".join(rng.choices("23456789ABCDEFGHJKMNPQRSTVWXYZ", k=size)),
                      "worksheet", page, 9, f"{rng.getrandbits(48):012x}").text()
             for size in (6, 8, 16) for page in range(1, 10)]
    codes += ["".join(rng.choices("abcdefghijklmnopqrstuvwxyz0123456789 ", k=rng.randint(1, 300))) for _ in range(60)]
    masks, versions = set(), set()
    for code in codes:
        symbol = segno.make(code, error="m", boost_error=False, micro=False)
        assert _qr(code) == tuple(symbol.matrix), code
        masks.add(symbol.mask)
        versions.add(symbol.version)
    assert masks == set(range(8)) and max(versions) >= 7


def test_page_codes_read_back_and_refuse_anything_else() -> None:
    code = PageCode("0123456789", "35GF5M", "worksheet", 2, 6, "abcdef012345")
    assert code.text() == "TG1 0123456789 35GF5M worksheet 2 6 abcdef012345"
    assert PageCode.parse(code.text()) == code
    for bad in ("", "TG2 0123456789 35GF5M worksheet 2 6 abcdef012345", "TG1 0123456789 35GF5M worksheet 7 6 "
                "abcdef012345", "TG1 01234 35GF5M worksheet 1 6 abcdef012345", "TG1 0123456789 35GF5M worksheet 1 6",
                "tracegen-form/1 variant=35GF5M spec=00"):
        assert PageCode.parse(bad) is None, bad


@pytest.mark.parametrize("size", ["a4", "letter"])
@pytest.mark.parametrize("spec", [wide(), wide(samples=4), SPECS / "net4653.yaml"], ids=["666", "666x4", "4653"])
def test_cells_are_big_enough_and_fit_the_page(spec: dict | Path, size: str) -> None:
    """Every cell at its full size (at least 5 x 7 mm to write in: nothing was scaled down to fit), inside
    the page's margins, and no two cells overlap."""
    documents = paper(spec, size)
    mapping = json.loads(documents[("worksheet", POSITIONS)])
    width, _ = mapping["page_size"]
    by_page: dict[int, list[list[float]]] = {}
    for blank in mapping["blanks"]:
        for cell in blank["cells"]:
            x0, y0, x1, y1 = cell["rect"]
            if cell["kind"] != "point":
                assert x1 - x0 == pytest.approx(CELL_MM * MM, abs=0.01) and x1 - x0 >= 5 * MM
                assert y1 - y0 == pytest.approx(CELL_HEIGHT_MM * MM, abs=0.01) and y1 - y0 >= 7 * MM
            assert 12 * MM < x0 and x1 < width - 12 * MM, (blank["id"], cell)
            by_page.setdefault(blank["page"], []).append(cell["rect"])
    for rects in by_page.values():
        boxes = np.array(rects)
        for i, (x0, y0, x1, y1) in enumerate(boxes):
            others = np.delete(boxes, i, axis=0)
            overlap = (others[:, 0] < x1 - 0.01) & (others[:, 2] > x0 + 0.01) & (others[:, 1] < y1 - 0.01) & (
                others[:, 3] > y0 + 0.01)
            assert not overlap.any()


def test_map_and_codes_hold_no_answer_and_the_key_is_unchanged(net4653: dict) -> None:
    """The map holds positions and names only (its fields are fixed); no answer is in its text, in the page
    codes, or in the worksheet's text; the key is the key without paper-ready."""
    trace = tracegen.trace(tracegen.load_spec(SPECS / "net4653.yaml"))
    answers = distinctive_answers(trace)
    mapping = json.loads(net4653[("worksheet", POSITIONS)])
    assert set(mapping) == {"format", "batch", "variant", "kind", "doc", "page_size", "pages", "blanks"}
    assert all(set(page) == {"page", "code", "qr", "marks"} for page in mapping["pages"])
    assert all(set(blank) == {"id", "page", "decimals", "cells"} for blank in mapping["blanks"])
    assert all(set(cell) == {"kind", "rect"} for blank in mapping["blanks"] for cell in blank["cells"])
    words = " ".join([mapping["batch"], mapping["variant"], mapping["doc"],
                      *(page["code"] for page in mapping["pages"]), *(blank["id"] for blank in mapping["blanks"])])
    text = pdf_text(net4653[("worksheet", "pdf")])
    assert answers and not {a for a in answers if a in words or a in text}
    assert [b["id"] for b in mapping["blanks"]] == list(trace.blanks()["blank"]) or set(
        b["id"] for b in mapping["blanks"]) == set(trace.blanks()["blank"])
    plain = render_documents(trace, ("key",), ("pdf",))
    assert plain[("key", "pdf")] == net4653[("key", "pdf")]
    assert read_positions(net4653[("worksheet", "pdf")]) == net4653[("worksheet", POSITIONS)]


def test_the_map_reads_the_same_as_pypdf_reads_it_and_from_a_pdf_saved_again(net4653: dict) -> None:
    """`read_positions` reads the map straight from the PDF tracegen wrote; pypdf, a reader of any PDF, finds the
    same bytes, and a copy another tool saved (a classic cross-reference table) is read through pypdf."""
    import io

    import pypdf

    pdf = net4653[("worksheet", "pdf")]
    entry = pypdf.PdfReader(io.BytesIO(pdf)).root_object["/TGPositions"]
    assert read_positions(pdf) == entry.get_object().get_data() == net4653[("worksheet", POSITIONS)]
    saved = io.BytesIO()
    pypdf.PdfWriter(clone_from=io.BytesIO(pdf)).write(saved)
    assert saved.getvalue() != pdf and read_positions(saved.getvalue()) == net4653[("worksheet", POSITIONS)]
    assert read_positions(net4653[("key", "pdf")]) is None


def test_paper_ready_worksheets_are_deterministic(net4653: dict) -> None:
    again = paper(SPECS / "net4653.yaml")
    assert again[("worksheet", "pdf")] == net4653[("worksheet", "pdf")]
    assert again[("worksheet", POSITIONS)] == net4653[("worksheet", POSITIONS)]


def test_a_quantitys_integer_digits_are_the_most_any_of_its_values_needs() -> None:
    """Two traces of one network, one with values ten times as large: each quantity gets the digits of the
    larger (printed rounded half up, as a student writes it), never fewer than one."""
    small = tracegen.trace(tracegen.Spec.from_dict(wide()))
    data = wide()
    data["data"]["x"] = [10 * v for v in data["data"]["x"]]
    large = tracegen.trace(tracegen.Spec.from_dict(data))
    digits = integer_digits([small, large], 3)
    for name in digits:
        values = [v for t in (small, large) for b, v in zip(t.blanks()["blank"], t.blanks()["value"], strict=True)
                  if b.split(":")[1] == name]
        whole = max(len(str(abs(Decimal(repr(v)).quantize(Decimal("0.001"), ROUND_HALF_UP)).to_integral_value(
            "ROUND_DOWN"))) for v in values)
        assert digits[name] == max(whole, 1), name
    assert max(digits.values()) > 1 and min(digits.values()) == 1  # the test covers both cases


@pytest.mark.slow
def test_a_batchs_cells_are_the_same_for_every_blank_of_a_quantity(tmp_path: Path) -> None:
    """Five variants: each quantity's blanks have one cell layout in every worksheet of the batch, with as many
    integer digits as its largest answer in the batch needs (answers.csv, rounded half up), so the cells say
    nothing of one student's answer; worksheet.positions.json sits beside each worksheet.pdf, listed in
    the manifest."""
    spec = tracegen.load_spec(SPECS / "net4653.yaml").to_dict()
    spec["variants"] = {"constraints": {"readable": False, "same_branches": False, "loss_band": None}}
    manifest = tracegen.batch(spec, tmp_path, variants=5, seed=3, to="pdf", kind="worksheet", jobs=2)
    answers = pd.read_csv(tmp_path / "answers.csv", dtype={"variant": str}).set_index("variant")
    assert (manifest["file"].str.endswith("/worksheet.positions.json")).sum() == 5
    layouts: dict[str, set[tuple[str, ...]]] = {}
    for variant in answers.index:
        mapping = json.loads((tmp_path / variant / "worksheet.positions.json").read_text())
        assert mapping["variant"] == variant
        for blank in mapping["blanks"]:
            layouts.setdefault(blank["id"].split(":")[1], set()).add(tuple(c["kind"] for c in blank["cells"]))
    assert all(len(kinds) == 1 for kinds in layouts.values()), layouts
    for name, (kinds,) in layouts.items():
        columns = [c for c in answers.columns if c.split(":")[1] == name]
        values = answers[columns].to_numpy().ravel()
        need = max(len(str(int(abs(Decimal(repr(float(v))).quantize(Decimal("0.001"), ROUND_HALF_UP)))))
                   for v in values)
        assert kinds == ("sign", *["digit"] * max(need, 1), "point", "digit", "digit", "digit"), name


def test_the_paper_ready_worksheet_is_still_accessible(tmp_path: Path) -> None:
    """The QR code and marks are page furniture (artifacts): the tagged PDF meets the Matterhorn conditions
    checked here and passes an outside PDF/UA checker (Class 3, as tests/render/test_accessibility.py)."""
    from matterhorn import problems
    from pdfua import Severity, validate

    pdf = paper(tracegen.load_example().to_dict())[("worksheet", "pdf")]
    assert problems(pdf) == []
    (tmp_path / "sheet.pdf").write_bytes(pdf)
    report = validate(str(tmp_path / "sheet.pdf"))
    assert [f"{f.rule_id}: {f.message}" for f in report.findings if f.severity >= Severity.WARNING] == []


@pytest.mark.slow
def test_the_commands_write_the_map_when_asked_and_only_then(tmp_path: Path) -> None:
    """`render --paper-ready` writes the map beside the worksheet; `batch --no-paper-ready` writes plain
    worksheets without one (and without cells: the same PDF as a render without the option)."""
    from click.testing import CliRunner

    from tracegen.cli import cli

    done = CliRunner().invoke(cli, ["render", "--to", "pdf", "--kind", "worksheet", "--paper-ready", "--no-cache",
                                    "-o", str(tmp_path / "one")])
    assert done.exit_code == 0, done.output
    mapping = json.loads((tmp_path / "one" / "class3-worksheet.positions.json").read_text())
    assert mapping["variant"] == "base" and mapping["blanks"]
    done = CliRunner().invoke(cli, ["batch", "--variants", "1", "--to", "pdf", "--kind", "worksheet",
                                    "--no-paper-ready", "-j", "1", "-o", str(tmp_path / "batch")])
    assert done.exit_code == 0, done.output
    (folder,) = [p for p in (tmp_path / "batch").iterdir() if p.is_dir()]
    assert sorted(p.name for p in folder.iterdir()) == ["spec.yaml", "worksheet.pdf"]
    assert read_positions((folder / "worksheet.pdf").read_bytes()) is None


@pytest.mark.parametrize("decimals", [0, 1, 3])
def test_a_blanks_cells_follow_one_another_as_its_size_says(decimals: int) -> None:
    """Cells left to right, each writing area CELL_MM wide, neighbours one border apart (the point's room
    between two runs of cells), the row as wide as `Blank.size`; no point without decimals."""
    from tracegen.layout import CELL_RULE_MM, POINT_MM, PRINT_FONT_PT
    from tracegen.maths.tree import Blank
    from tracegen.render.typeset.boxes import Field, box, flatten

    blank = Blank(decimals + 3, "e1:z1:0:0:0", 2, decimals)
    em = PRINT_FONT_PT * 25.4 / 72
    fields = [f for f in flatten(box(blank)) if isinstance(f, Field)]
    cells, whole = fields[:-1], fields[-1]
    assert [f.cell for f in cells] == list(blank.cells()) == ["sign", "digit", "digit", *(
        ["point", *["digit"] * decimals] if decimals else [])]
    assert whole.cell == "" and whole.width == pytest.approx(blank.size(PRINT_FONT_PT)[0])
    rule = CELL_RULE_MM / em
    x = whole.x + rule  # inside the first cell's left border
    for cell in cells:  # each writing area one border after the last (a cell's own, or the point's neighbour's)
        assert cell.x == pytest.approx(x), cell
        assert cell.width == pytest.approx((POINT_MM if cell.cell == "point" else CELL_MM) / em)
        x = cell.x + cell.width + rule
    assert x == pytest.approx(whole.x + whole.width)


def test_markdown_and_html_worksheets_are_unchanged() -> None:
    trace = tracegen.trace(tracegen.load_example())
    formats = ("md", "html")
    ready = render_documents(trace, ("worksheet",), formats, paper_ready=True)
    assert ready == render_documents(trace, ("worksheet",), formats)


@pytest.mark.slow
def test_two_batch_runs_write_the_same_bytes(tmp_path: Path) -> None:
    """The same spec and seed give byte-identical paper-ready worksheets and position maps (the manifest's
    SHA-256 of every file), and the map names its own variant and the batch's id."""
    runs = [tracegen.batch(tracegen.load_example(), tmp_path / name, variants=2, seed=11, to="pdf",
                           kind="worksheet", jobs=1) for name in ("one", "two")]
    assert list(runs[0]["sha256"]) == list(runs[1]["sha256"])
    assert sum(runs[0]["file"].str.endswith("worksheet.positions.json")) == 2
    maps = [json.loads(p.read_text()) for p in sorted((tmp_path / "one").glob("*/worksheet.positions.json"))]
    assert len({m["batch"] for m in maps}) == 1 and len({m["variant"] for m in maps}) == 2
