"""docs/tour.ipynb runs in a real IPython kernel (nbclient + ipykernel) and shows the right things.

Every number checked is derived here from the maths of the Class 3 network (z2 = 2 on the
seed slides, so ŷ = σ(2) and L = log(1 + e⁻²)), or, for drawn variants, from each
variant's own W, x and b; the inline key must be the very page `tracegen render` writes.
"""

from __future__ import annotations

import base64
import html
import json
import math
import re
import sys
from pathlib import Path

import nbformat
import numpy as np
import pandas as pd
import pytest
from nbclient import NotebookClient

import tracegen
from tracegen.batching import run as batching
from tracegen.numbers import format_number

pytestmark = pytest.mark.slow  # runs the notebook in a kernel

TOUR = Path(__file__).resolve().parents[1] / "docs" / "tour.ipynb"
Y_HAT = 1 / (1 + math.exp(-2))  # σ(z2), z2 = 2 on the slides
LOSS = math.log1p(math.exp(-2))  # -log σ(2)
DW1_00 = (Y_HAT - 1) * 1 * 1 * 1  # δ2 · W2[0] · relu'(z1[0] = 2) · x[0]


@pytest.fixture(scope="module")
def tour(tmp_path_factory: pytest.TempPathFactory) -> tuple[list[dict], Path]:
    """The executed notebook's code cells (source and outputs), and the folder it ran in.

    The kernel is this interpreter (a kernelspec written for the run), never whichever
    `python3` kernel a machine happens to have installed.
    """
    root = tmp_path_factory.mktemp("tour")
    spec_dir = root / "jupyter" / "kernels" / "tracegen-test"
    spec_dir.mkdir(parents=True)
    spec_dir.joinpath("kernel.json").write_text(json.dumps({
        "argv": [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"],
        "display_name": "tracegen test", "language": "python"}))
    work = root / "work"
    work.mkdir()
    notebook = nbformat.read(TOUR, as_version=4)
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("JUPYTER_PATH", str(root / "jupyter"))
        patch.setenv("MPLBACKEND", "module://matplotlib_inline.backend_inline")
        NotebookClient(notebook, timeout=300, kernel_name="tracegen-test",
                       resources={"metadata": {"path": str(work)}}).execute()
    return [cell for cell in notebook.cells if cell.cell_type == "code"], work


def output(cells: list[dict], marker: str, mime: str = "text/html") -> str:
    """The `mime` output of the one code cell whose source contains `marker`."""
    (cell,) = [c for c in cells if marker in c.source]
    data = [o["data"][mime] for o in cell.outputs if mime in o.get("data", {})]
    assert len(data) == 1, (marker, cell.outputs)
    return data[0]


def test_the_tour_is_five_to_ten_code_cells_saved_without_outputs() -> None:
    notebook = nbformat.read(TOUR, as_version=4)
    nbformat.validate(notebook)
    code = [c for c in notebook.cells if c.cell_type == "code"]
    assert 5 <= len(code) <= 10
    assert all(not c.outputs and c.execution_count is None for c in code)  # the repo keeps it small and clean


def test_spec_and_trace_show_summaries_with_the_loss(tour) -> None:
    cells, _ = tour
    assert output(cells, "spec = tracegen.load_example()", "text/plain") == repr(tracegen.load_example())
    assert "3-2-1 (1: 2 units, relu; 2: 1 unit, sigmoid)" in output(cells, "spec = tracegen.load_example()")
    trace_view = output(cells, "t = tracegen.trace(spec)")
    assert f"{LOSS:.6g}" in trace_view  # 0.126928, the loss of epoch 1
    assert output(cells, "t = tracegen.trace(spec)", "text/plain").endswith(f"L {LOSS:.4g} -> 0.1063>")


def test_the_dataframe_and_the_pivot_hold_the_slides_numbers(tour) -> None:
    cells, _ = tour
    forward = output(cells, 't.df[(t.df.epoch == 1) & (t.df.phase == "forward")]')
    assert "y_hat" in forward and f"{Y_HAT:.6f}" in forward  # 0.880797
    assert "backward" not in forward
    assert f"{DW1_00:.6f}" in output(cells, 't.pivot("dW1")')  # -0.119203


def test_the_loss_is_plotted(tour) -> None:
    cells, _ = tour
    png = base64.b64decode(output(cells, 't.pivot("L").plot', "image/png"))
    assert png.startswith(b"\x89PNG\r\n\x1a\n")


def _srcdoc(view: str) -> str:
    match = re.fullmatch(r'<iframe srcdoc="([^"]*)" title="[^"]*" sandbox style="[^"]*"></iframe>', view)
    assert match, view[:200]
    return html.unescape(match.group(1))


def test_the_key_shows_inline_as_the_page_tracegen_render_writes(tour) -> None:
    cells, _ = tour
    page = _srcdoc(output(cells, "key = tracegen.key(t)"))
    cli_page = tracegen.render.render_documents(tracegen.trace(tracegen.load_example()), ("key",), ("html",))
    assert page.encode("utf-8") == cli_page[("key", "html")]
    for number in (Y_HAT, LOSS, DW1_00):
        assert format_number(number, 3, minus="\u2212") in page


def test_the_inline_key_has_its_numbers_as_mathml(tour) -> None:
    cells, _ = tour
    page = _srcdoc(output(cells, "key = tracegen.key(t)"))
    assert re.search(r'<math display="block" aria-label="[^"]+">', page)  # named by its spoken text
    for number in (Y_HAT, LOSS, DW1_00):
        assert re.search(rf"<mn( class=\"ans\")?>{re.escape(format_number(number, 3, minus=chr(0x2212)))}</mn>", page)


def test_the_worksheet_is_saved_where_the_notebook_runs(tour) -> None:
    cells, work = tour
    assert output(cells, ".save(", "text/plain") == "PosixPath('class3-worksheet.html')"
    saved = (work / "class3-worksheet.html").read_bytes()
    assert saved == tracegen.worksheet(tracegen.load_example()).html().encode("utf-8")
    assert format_number(Y_HAT, 3, minus="\u2212").encode() not in saved


def test_three_variants_first_answers_side_by_side(tour) -> None:
    cells, _ = tour
    base = tracegen.load_example()
    drawn = [job.variant for job in batching.plan(base, batching.Options(count=3, seed=2026))]
    specs = [v.spec for v in drawn]
    first = pd.DataFrame({s.variant: tracegen.trace(s).blanks().set_index("blank")["value"] for s in specs})
    table = first.head(6).round(base.decimals)
    assert output(cells, "tracegen.variants(spec, n=3, seed=2026)") == table._repr_html_()
    assert list(table.columns) == [v.id for v in drawn]
    assert list(table.index[:2]) == ["e1:z1:0:0:0", "e1:z1:0:1:0"]
    for spec in specs:
        z1 = spec.layers[0].W @ spec.x[0] + spec.layers[0].b  # the first numbers a student computes
        np.testing.assert_allclose(table[spec.variant].iloc[:2], z1.round(base.decimals))
        key = tracegen.key(spec).markdown()
        assert spec.variant in key  # the key names its variant, as the batch's does
        assert all(format_number(v, base.decimals) in key for v in z1)
    assert table.iloc[:2].T.drop_duplicates().shape[0] > 1  # the variants differ
