"""Fillable worksheets (`batch --fillable`) and `tracegen grade` on them as students hand them back.

The students' answers are typed into the worksheets' fields with pypdf, as a PDF reader does,
and the filled PDFs must grade exactly as the same answers in a responses CSV. The fields are
checked against the printed page itself: each field's box is where the rasterised page shows
a blank's outline, and holds no answer.
"""

from __future__ import annotations

import copy
import io
import json
import random
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pandas as pd
import pypdf
import pytest
from click.testing import CliRunner
from conftest import CLASS3
from PIL import Image
from students import at, sheets

import tracegen
from tracegen.cli import cli
from tracegen.errors import InputError
from tracegen.layout import CELL_RULE_MM, PRINT_FONT_PT
from tracegen.maths.tree import Blank
from tracegen.render import render_documents
from tracegen.render.pdf.form import CODE_FIELD

pytestmark = pytest.mark.slow  # real batches of PDFs


def fillable_batch(out: Path, spec: dict, seed: int = 1, paper_ready: bool = True) -> Path:
    tracegen.batch(copy.deepcopy(spec), out, variants=3, seed=seed, to="pdf", kind="worksheet", fillable=True,
                   jobs=1, paper_ready=paper_ready)
    return out


@pytest.fixture(scope="module")
def batch(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Fillable and paper-ready (a batch's default): the fields lie on the blanks' rows of cells."""
    return fillable_batch(tmp_path_factory.mktemp("fillable"), CLASS3)


@pytest.fixture(scope="module")
def plain(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Fillable, not paper-ready: each blank one box."""
    return fillable_batch(tmp_path_factory.mktemp("plain"), CLASS3, paper_ready=False)


def variants(batch: Path) -> list[str]:
    return list(pd.read_csv(batch / "answers.csv", dtype={"variant": str})["variant"])


def fill(worksheet: Path, values: dict[str, str], to: Path) -> Path:
    """`worksheet` with `values` typed into its fields, as a PDF reader saves it."""
    writer = pypdf.PdfWriter(clone_from=pypdf.PdfReader(worksheet))
    for page in writer.pages:
        writer.update_page_form_field_values(page, values, auto_regenerate=False)
    with to.open("wb") as handle:
        writer.write(handle)
    return to


def widgets(page: pypdf.PageObject) -> list[tuple[str, pypdf.generic.DictionaryObject]]:
    """(field name, widget) of each form widget on `page` (a blank printed twice: two widgets of one field)."""
    found = [annotation.get_object() for annotation in page.get("/Annots", [])]
    return [(str(w["/T"] if "/T" in w else w["/Parent"]["/T"]), w) for w in found if w.get("/Subtype") == "/Widget"]


def typed_answers(batch: Path) -> pd.DataFrame:
    """The class's answers as text, as students type them: carried rounded values, one slip, some
    left empty, a minus sign, spaces, a leading +, a bare decimal point, and a word."""
    table = sheets(batch, decimals=3, mistake=at(1, "z2", lambda z, c: z + 1))
    text = table.drop(columns="variant").map(lambda v: f"{v:.3f}")
    blanks = list(text.columns)
    text.iloc[0, 0] = ""
    text.iloc[0, 5] = ""
    text.iloc[1, 1] = text.iloc[1, 1].replace("-", "\u2212") if "-" in text.iloc[1, 1] else " \u22120.25 "
    text.iloc[1, 2] = "+" + text.iloc[1, 2].lstrip("-")
    text.iloc[2, 3] = "." + text.iloc[2, 3].split(".")[1]
    text.iloc[2, 4] = "abc"
    text.iloc[2, -1] = " " + text.iloc[2, -1] + " "
    return pd.concat([table[["variant"]], text[blanks]], axis=1)


def filled_folder(batch: Path, answers: pd.DataFrame, folder: Path) -> Path:
    """Each student's filled worksheet in `folder`, under names that say nothing of the variant."""
    folder.mkdir()
    order = list(range(len(answers)))
    random.Random(7).shuffle(order)
    for number, row in enumerate(order):
        values = answers.iloc[row].to_dict()
        variant = values.pop("variant")
        fill(batch / variant / "worksheet.pdf", values, folder / f"scan-{number:02d}.pdf")
    return folder


def test_filled_worksheets_grade_exactly_as_the_same_answers_in_a_csv(batch: Path, tmp_path: Path) -> None:
    answers = typed_answers(batch)
    csv = tmp_path / "responses.csv"
    answers.to_csv(csv, index=False)
    folder = filled_folder(batch, answers, tmp_path / "filled")
    from_csv = tracegen.grade(batch, csv)
    from_pdfs = tracegen.grade(batch, folder)
    pd.testing.assert_frame_equal(from_pdfs.gradebook, from_csv.gradebook)
    pd.testing.assert_frame_equal(from_pdfs.detail, from_csv.detail)
    verdicts = from_pdfs.detail.set_index(["variant", "blank"])["verdict"]
    first, second, third = variants(batch)
    blanks = list(answers.columns[1:])
    assert verdicts[(first, blanks[0])] == "blank"  # left empty
    assert verdicts[(third, blanks[4])] == "wrong"  # "abc"
    assert set(verdicts[(first, slice(None))]) >= {"wrong", "carried"}  # the slip, and what follows from it
    assert from_pdfs.gradebook["score"].nunique() > 1


def test_the_files_may_be_given_one_by_one_in_any_order(batch: Path, tmp_path: Path) -> None:
    answers = typed_answers(batch)
    folder = filled_folder(batch, answers, tmp_path / "filled")
    files = sorted(folder.iterdir(), reverse=True)
    whole = tracegen.grade(batch, folder)
    one_by_one = tracegen.grade(batch, [str(f) for f in files])
    pd.testing.assert_frame_equal(one_by_one.gradebook, whole.gradebook)
    pd.testing.assert_frame_equal(one_by_one.detail, whole.detail)


def test_a_comma_typed_in_a_field_is_a_decimal_comma(batch: Path, tmp_path: Path) -> None:
    variant = variants(batch)[0]
    key = pd.read_csv(batch / "answers.csv", dtype={"variant": str}).set_index("variant").loc[variant]
    blank = key.index[0]
    point = f"{key[blank]:.3f}"
    filled = fill(batch / variant / "worksheet.pdf", {blank: point.replace(".", ",")}, tmp_path / "a.pdf")
    detail = tracegen.grade(batch, filled).detail.set_index("blank")
    assert detail.loc[blank, "verdict"] == "correct"
    assert detail.loc[blank, "answer"] == point.replace(".", ",")


def test_fields_are_named_by_blank_and_hold_no_answer(batch: Path) -> None:
    columns = set(pd.read_csv(batch / "answers.csv", nrows=0).columns) - {"variant"}
    for variant in variants(batch):
        reader = pypdf.PdfReader(batch / variant / "worksheet.pdf")
        fields = reader.get_fields() or {}
        assert set(fields) - {CODE_FIELD} == columns
        for name, field in fields.items():
            if name != CODE_FIELD:
                assert field.get("/V") == "" and field.get("/DV", "") == "", name
                assert field.get("/FT") == "/Tx"
        code = fields[CODE_FIELD]
        assert code["/V"].split()[1] == f"variant={variant}"
        assert int(code.get("/Ff", 0)) & 1  # read-only
        widget = next(w for page in reader.pages for name, w in widgets(page) if name == CODE_FIELD)
        assert int(widget["/F"]) & 2  # hidden
        assert "/AcroForm" in reader.trailer["/Root"]


def test_each_field_covers_a_printed_blank_of_its_size(plain: Path, tmp_path: Path) -> None:
    """The field's box is where the page shows a blank's outline (dark along all four edges, white
    inside), and as large as a blank is specified to be on paper."""
    assert shutil.which("pdftoppm"), "pdftoppm (poppler-utils) renders the page for this test"
    batch = plain
    worksheet = batch / variants(batch)[0] / "worksheet.pdf"
    reader = pypdf.PdfReader(worksheet)
    dpi = 216
    scale = dpi / 72
    width_pt, height_pt = (Blank(chars=6).size(PRINT_FONT_PT)[i] * PRINT_FONT_PT for i in (0, 1))
    checked: set[str] = set()
    for number, page in enumerate(reader.pages):
        blanks = [(name, widget) for name, widget in widgets(page) if name != CODE_FIELD]
        if not blanks:
            continue
        subprocess.run(["pdftoppm", "-gray", "-png", "-r", str(dpi), "-f", str(number + 1), "-l", str(number + 1),
                        "-singlefile", str(worksheet), str(tmp_path / "page")], check=True)
        image = np.asarray(Image.open(tmp_path / "page.png").convert("L"), dtype=float)
        top = float(page.mediabox.top)
        for name, widget in blanks:
            left, bottom, right, upper = (float(v) for v in widget["/Rect"])
            assert right - left == pytest.approx(width_pt, abs=0.05)
            assert upper - bottom == pytest.approx(height_pt, abs=0.05)
            x0, x1 = round(left * scale), round(right * scale)
            y0, y1 = round((top - upper) * scale), round((top - bottom) * scale)
            sides = [image[y0 + 3:y1 - 3, x0 - 1:x0 + 2], image[y0 + 3:y1 - 3, x1 - 2:x1 + 1]]
            ends = [image[y0 - 1:y0 + 2, x0 + 3:x1 - 3], image[y1 - 2:y1 + 1, x0 + 3:x1 - 3]]
            darkest = [side.min(axis=1) for side in sides] + [end.min(axis=0) for end in ends]
            assert all(line.mean() < 128 for line in darkest), name  # the outline, all along each edge
            inside = image[y0 + 6:y1 - 6, x0 + 6:x1 - 6]
            assert inside.mean() > 250, name
            checked.add(name)
    assert checked == set(pd.read_csv(batch / "answers.csv", nrows=0).columns) - {"variant"}


def test_on_a_paper_ready_worksheet_each_field_covers_its_blanks_row_of_cells(batch: Path) -> None:
    """One field per blank, over the whole row of character cells the position map gives for it (the cells'
    writing areas inside the field, the field no wider than the row and its borders)."""
    variant = variants(batch)[0]
    reader = pypdf.PdfReader(batch / variant / "worksheet.pdf")
    mapped = {b["id"]: b for b in json.loads((batch / variant / "worksheet.positions.json").read_text())["blanks"]}
    border = CELL_RULE_MM * 72 / 25.4
    seen = set()
    for number, page in enumerate(reader.pages, start=1):
        top = float(page.mediabox.top)
        for name, widget in widgets(page):
            if name == CODE_FIELD or name in seen:
                continue
            seen.add(name)
            left, bottom, right, upper = (float(v) for v in widget["/Rect"])
            cells = [c["rect"] for c in mapped[name]["cells"]]
            assert mapped[name]["page"] == number
            assert left == pytest.approx(min(c[0] for c in cells) - border, abs=0.01)
            assert right == pytest.approx(max(c[2] for c in cells) + border, abs=0.01)
            assert top - upper == pytest.approx(min(c[1] for c in cells) - border, abs=0.01)
            assert top - bottom == pytest.approx(max(c[3] for c in cells) + border, abs=0.01)
    assert seen == set(mapped)


def test_a_worksheet_of_another_batch_or_none_is_reported_and_nothing_graded(batch: Path, tmp_path: Path) -> None:
    other_spec = copy.deepcopy(CLASS3)
    other_spec["training"]["learning_rate"] = 0.2  # the same variant ids, other numbers
    other = fillable_batch(tmp_path / "other", other_spec)
    assert variants(other) == variants(batch)
    folder = tmp_path / "filled"
    folder.mkdir()
    fill(batch / variants(batch)[0] / "worksheet.pdf", {}, folder / "good.pdf")
    fill(other / variants(other)[1] / "worksheet.pdf", {}, folder / "stray.pdf")
    out = tmp_path / "grades"
    with pytest.raises(InputError, match=r"stray\.pdf: variant \w+'s worksheet, but its numbers are not"):
        tracegen.grade(batch, folder, out=out)
    assert not out.exists()
    (folder / "stray.pdf").unlink()
    key = render_documents(tracegen.trace(tracegen.load_example()), ("key",), ("pdf",))[("key", "pdf")]
    (folder / "key.pdf").write_bytes(key)
    with pytest.raises(InputError, match=r"key\.pdf: no worksheet code"):
        tracegen.grade(batch, folder, out=out)
    (folder / "key.pdf").unlink()
    shutil.copy(folder / "good.pdf", folder / "again.pdf")
    with pytest.raises(InputError, match=r"good\.pdf: variant \w+'s worksheet again \(first in .*again\.pdf\)"):
        tracegen.grade(batch, folder, out=out)
    assert not out.exists()


def test_the_command_grades_a_folder_and_refuses_a_damaged_file_in_one_line(batch: Path, tmp_path: Path) -> None:
    folder = filled_folder(batch, typed_answers(batch), tmp_path / "filled")
    done = CliRunner().invoke(cli, ["grade", str(batch), str(folder), "-o", str(tmp_path / "grades")])
    assert done.exit_code == 0, done.output
    assert (tmp_path / "grades" / "gradebook.csv").is_file()
    (tmp_path / "broken.pdf").write_bytes(b"%PDF-1.7\n" + (folder / "scan-00.pdf").read_bytes()[9:400])
    bad = CliRunner().invoke(cli, ["grade", str(batch), str(tmp_path / "broken.pdf"), "-o", str(tmp_path / "g2")])
    assert bad.exit_code == 2
    assert bad.output.count("\n") == 1 and "broken.pdf" in bad.output and "Traceback" not in bad.output
    assert not (tmp_path / "g2").exists()


def test_only_the_fillable_worksheet_changes(batch: Path) -> None:
    """A key, and a worksheet without --fillable, have no form; the fillable one differs from the
    plain one only by what the form adds (same pages, same text)."""
    result = tracegen.trace(copy.deepcopy(CLASS3))
    plain = render_documents(result, ("worksheet", "key"), ("pdf",))
    form = render_documents(result, ("worksheet", "key"), ("pdf",), fillable=True)
    assert form[("key", "pdf")] == plain[("key", "pdf")]
    readers = [pypdf.PdfReader(io.BytesIO(d[("worksheet", "pdf")])) for d in (plain, form)]
    assert [("/AcroForm" in reader.trailer["/Root"]) for reader in readers] == [False, True]
    assert [p.extract_text() for p in readers[0].pages] == [p.extract_text() for p in readers[1].pages]
    assert tracegen.worksheet(result, fillable=True).pdf() == form[("worksheet", "pdf")]  # the Python API's keyword
