"""The Python interface (docs/python.md): what a notebook user calls.

Documents and variants are checked against what the CLI path writes (the same bytes, the
same draws), and the numbers against the maths of the Class 3 network (z2 = 2 on the seed
slides, so ŷ = σ(2) and L = log(1 + e⁻²)).
"""

from __future__ import annotations

import doctest
import html
import importlib
import inspect
import io
import math
import os
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow.parquet as pq
import pytest
import yaml

import tracegen
from tracegen import render
from tracegen.batching import fairness, folder
from tracegen.batching import run as batching
from tracegen.engine.trace import PHASES
from tracegen.notebook import Document

Y_HAT = 1 / (1 + math.exp(-2))
LOSS = math.log1p(math.exp(-2))
EXAMPLE = Path(tracegen.__file__).parent / "examples" / "class3.yaml"
PUBLIC_MODULES = ("tracegen", "tracegen.spec.model", "tracegen.engine.trace", "tracegen.notebook", "tracegen.api",
                  "tracegen.grading")


# --- spec and trace: any form of spec, reprs, phase order, pivot ----------------------


def test_trace_takes_a_spec_a_path_or_a_dict(class3_dict, write_spec) -> None:
    path = write_spec(class3_dict)
    frames = [tracegen.trace(source).df for source in
              (tracegen.Spec.from_dict(class3_dict), str(path), path, class3_dict)]
    for frame in frames[1:]:
        pd.testing.assert_frame_equal(frame, frames[0])
    assert frames[0].loc[frames[0].name == "L", "value"].iloc[0] == pytest.approx(LOSS, abs=1e-15)


def test_load_spec_takes_a_dict_and_passes_a_spec_through(class3_dict) -> None:
    spec = tracegen.load_spec(class3_dict)
    assert spec.to_dict() == tracegen.Spec.from_dict(class3_dict).to_dict()
    assert tracegen.load_spec(spec) is spec


def test_a_bad_dict_or_a_wrong_type_is_one_clear_spec_error(class3_dict) -> None:
    class3_dict["network"]["layers"][1]["W"] = [[1, 2], [3, 4]]
    with pytest.raises(tracegen.SpecError, match=r"^network\.layers\[1\]\.W: expected shape \(1, 2\), got \(2, 2\)$"):
        tracegen.trace(class3_dict)
    with pytest.raises(tracegen.SpecError, match="expected a spec file's path or the spec as a mapping, got int"):
        tracegen.trace(3)


def test_reprs_are_one_short_line_without_arrays(class3_spec) -> None:
    assert repr(class3_spec) == "<Spec 'Class 3: Training by Hand': 3-2-1 network, 1 sample, 3 epochs, loss bce>"
    text = repr(tracegen.trace(class3_spec))
    assert text == ("<Trace of 'Class 3: Training by Hand': 3-2-1 network, 1 sample, 3 epochs, loss bce; "
                    f"144 rows; L {LOSS:.4g} -> 0.1063>")


def test_reprs_of_hand_made_frames_never_raise(class3_trace) -> None:
    df = class3_trace.df
    assert repr(tracegen.Trace(df.iloc[:0])) == "<Trace; 0 rows>"
    without_loss = tracegen.Trace(df[df.name != "L"])
    assert repr(without_loss) == "<Trace; 141 rows>" and "Loss per epoch" not in without_loss._repr_html_()
    assert repr(tracegen.Trace(df.assign(variant="Q1"))).startswith("<Trace variant Q1; 144 rows; L 0.1269")


def test_html_views_escape_the_title_and_show_the_loss(class3_dict) -> None:
    class3_dict["title"] = "<script>alert(1)</script> & co"
    spec = tracegen.Spec.from_dict(class3_dict)
    for view in (spec._repr_html_(), tracegen.trace(spec)._repr_html_()):
        assert "<script>" not in view and "&lt;script&gt;alert(1)&lt;/script&gt; &amp; co" in view
    view = tracegen.trace(spec)._repr_html_()
    assert f"{LOSS:.6g}" in view and "<th>3</th>" in view  # epochs 1..3 as columns
    assert "relu" in spec._repr_html_() and "η = 0.1" in spec._repr_html_()


def test_phase_sorts_in_training_order(class3_trace) -> None:
    df = class3_trace.df
    assert df["phase"].dtype == pd.CategoricalDtype(PHASES, ordered=True)
    ordered = df.sort_values(["epoch", "phase", "step"], kind="stable")
    assert list(ordered["phase"].drop_duplicates()) == list(PHASES)
    assert (df["phase"] < "backward").sum() == (df["phase"].isin(["params", "forward", "loss"])).sum()


def test_every_export_writes_phase_as_plain_text(class3_trace) -> None:
    csv_lines = class3_trace.export("csv").decode().splitlines()
    assert {line.split(",")[3] for line in csv_lines[1:]} == set(PHASES)
    assert {r["phase"] for r in pd.read_json(io.BytesIO(class3_trace.export("json"))).to_dict("records")} == set(PHASES)
    table = pq.read_table(io.BytesIO(class3_trace.export("parquet")))
    assert str(table.schema.field("phase").type) in ("string", "large_string")  # not a dictionary (categorical)
    assert b"CategoricalDtype" not in class3_trace.export("parquet") and b"categorical" not in table.schema.metadata[
        b"pandas"]


def test_a_frame_read_back_becomes_a_trace_with_the_ordered_phase(class3_trace) -> None:
    plain = pd.read_csv(io.BytesIO(class3_trace.export("csv")))
    pd.testing.assert_frame_equal(tracegen.Trace(plain).df, class3_trace.df, check_exact=True)


def test_matrix_is_a_read_only_view(class3_trace) -> None:
    W1 = class3_trace.matrix("W1")
    with pytest.raises(ValueError, match="read-only"):
        W1[0, 0] = 5.0
    copy = W1.copy()
    copy[0, 0] = 5.0
    assert class3_trace.value("W1", row=0, col=0) == 1.0


def test_pivot_lines_up_epochs_with_matrix(class3_trace) -> None:
    wide = class3_trace.pivot("dW1")
    assert wide.index.tolist() == [1, 2, 3] and wide.index.name == "epoch"
    assert wide.columns[2] == "dW1[0,2]"
    for epoch in (1, 2, 3):
        np.testing.assert_array_equal(wide.loc[epoch].to_numpy().reshape(2, 3), class3_trace.matrix("dW1", epoch))
    assert wide.loc[1, "dW1[0,0]"] == pytest.approx(Y_HAT - 1, abs=1e-15)  # δ2 · W2[0] · relu'(2) · x1
    assert class3_trace.pivot("L").columns.tolist() == ["L"]
    assert class3_trace.pivot("L").loc[1, "L"] == pytest.approx(LOSS, abs=1e-15)
    after = class3_trace.pivot("W2", phase="update")
    assert after.loc[1, "W2[0,0]"] == pytest.approx(1 - 0.1 * (Y_HAT - 1) * 2, abs=1e-15)  # W2 - η δ2 h1, h1 = 2


def test_pivot_of_a_batch_names_sample_and_unit(write_spec, class3_dict) -> None:
    class3_dict["data"] = {"x": [[1, 0, 1], [0, 1, 1]], "y": [1, 0]}
    t = tracegen.trace(class3_dict)
    wide = t.pivot("z1")
    assert wide.columns.tolist() == ["z1[0,0]", "z1[0,1]", "z1[1,0]", "z1[1,1]"]
    np.testing.assert_array_equal(wide.loc[1].to_numpy(), [2, 0, 0, 2])  # W1 x + b1 per sample


# --- documents ---------------------------------------------------------------------


@pytest.fixture(scope="module")
def example_trace() -> tracegen.Trace:
    return tracegen.trace(tracegen.load_example())


def test_a_document_is_the_bytes_render_documents_gives(example_trace) -> None:
    expected = render.render_documents(example_trace, ("worksheet", "key"), ("md", "html"))
    for kind, document in (("key", tracegen.key(example_trace)), ("worksheet", tracegen.worksheet(example_trace))):
        assert isinstance(document, tracegen.Document)
        assert document.markdown().encode() == expected[(kind, "md")]
        assert document.html().encode() == expected[(kind, "html")]
    assert tracegen.key(tracegen.load_example()).markdown() == tracegen.key(example_trace).markdown()


def test_each_format_is_rendered_once(example_trace, monkeypatch) -> None:
    calls = []
    real = render.render_documents

    def counting(*args, **kwargs):
        calls.append(args[2])
        return real(*args, **kwargs)

    monkeypatch.setattr("tracegen.notebook.render_documents", counting)
    key = tracegen.key(example_trace)
    for _ in range(3):
        key.html(), key.markdown(), key._repr_html_()
    assert calls == [("html",), ("md",)]


def test_the_pdf_is_a_pdf_with_the_numbers(example_trace) -> None:
    from pypdf import PdfReader

    data = tracegen.key(example_trace).pdf()
    assert data.startswith(b"%PDF-")
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)
    assert "0.881" in text and "0.127" in text


def test_student_name_is_printed_and_escaped(example_trace) -> None:
    key = tracegen.key(example_trace, student="<b>Ada</b> & Bob")
    assert "&lt;b&gt;Ada&lt;/b&gt; &amp; Bob" in key.html() and "<b>Ada</b>" not in key.html()


def test_repr_html_is_the_page_in_a_sandboxed_frame(example_trace) -> None:
    key = tracegen.key(example_trace)
    view = key._repr_html_()
    assert view.startswith('<iframe srcdoc="') and view.endswith("></iframe>")
    assert " sandbox " in view and "<script" not in view
    srcdoc = view[len('<iframe srcdoc="'):view.index('" title=')]
    assert '"' not in srcdoc and "<" not in srcdoc
    assert html.unescape(srcdoc) == key.html()
    assert repr(key) == ("<Document: answer key of 'Class 3: Training by Hand' (variant base); "
                         ".markdown() .html() .pdf() .save(path)>")


@pytest.mark.parametrize(("name", "fmt"), [("ws.md", "md"), ("ws.MARKDOWN", "md"), ("ws.html", "html"),
                                           ("ws.htm", "html"), ("ws.pdf", "pdf")])
def test_save_picks_the_format_from_the_suffix(example_trace, tmp_path, name, fmt) -> None:
    worksheet = tracegen.worksheet(example_trace)
    written = worksheet.save(tmp_path / "sub" / name)
    assert written == tmp_path / "sub" / name
    assert written.read_bytes() == worksheet.render(fmt)
    assert os.listdir(tmp_path / "sub") == [name]  # no temporary file left beside it


@pytest.mark.parametrize("name", ["ws.docx", "ws", "ws.md.txt"])
def test_save_refuses_an_unknown_suffix_and_writes_nothing(example_trace, tmp_path, name) -> None:
    with pytest.raises(tracegen.OptionError, match=r"expected a file name ending in \.md, \.markdown, \.html, \.htm, "
                                                   r"\.pdf, got '(\.docx|no suffix|\.txt)'"):
        tracegen.worksheet(example_trace).save(tmp_path / name)
    assert list(tmp_path.iterdir()) == []


def test_bad_kind_or_paper_fails_when_the_document_is_made(example_trace) -> None:
    with pytest.raises(tracegen.OptionError, match="kind: expected one of worksheet, key, solution, got 'keys'"):
        Document(example_trace, "keys")
    with pytest.raises(tracegen.OptionError, match="paper: expected one of a4, letter, got 'a5'"):
        tracegen.key(example_trace, paper="a5")


# --- variants and batch ------------------------------------------------------------


def test_variants_are_the_batch_commands_draws() -> None:
    base = tracegen.load_example()
    specs = tracegen.variants(base, n=3, seed=2026)
    planned = batching.plan(base, batching.Options(count=3, seed=2026))
    assert [s.variant for s in specs] == [job.variant.id for job in planned]
    for spec, job in zip(specs, planned, strict=True):
        assert spec.to_dict() == job.variant.spec.to_dict()
        assert tracegen.trace(spec).variants == [job.variant.id]
    assert tracegen.variants(EXAMPLE, 3, seed=2026)[2].to_dict() == specs[2].to_dict()


def test_a_variants_documents_match_the_batchs_files_byte_for_byte(tmp_path) -> None:
    spec = tracegen.variants(tracegen.load_example(), n=1, seed=5)[0]
    manifest = tracegen.batch(tracegen.load_example(), tmp_path, variants=1, seed=5, to=["md", "html"], jobs=1)
    folder = tmp_path / spec.variant
    assert set(manifest["variant"]) == {spec.variant}
    assert (folder / "key.html").read_bytes() == tracegen.key(spec).html().encode()
    assert (folder / "worksheet.md").read_bytes() == tracegen.worksheet(spec).markdown().encode()
    assert yaml.safe_load((folder / "spec.yaml").read_text()) == yaml.safe_load(yaml.safe_dump(spec.to_dict()))


def test_a_roster_dataframe_draws_as_its_csv_does(tmp_path) -> None:
    roster = pd.DataFrame({"student_id": ["s1", "s2"], "name": ["Ada", None], "email": ["a@x", "b@x"]})
    roster.to_csv(tmp_path / "class.csv", index=False)
    base = tracegen.load_example()
    by_file = tracegen.variants(base, roster=tmp_path / "class.csv")
    for frame in (roster, roster.set_index("student_id")):
        assert [s.to_dict() for s in tracegen.variants(base, roster=frame)] == [s.to_dict() for s in by_file]
    cli = batching.plan(base, batching.Options(roster=tmp_path / "class.csv"))
    assert [s.variant for s in by_file] == [job.variant.id for job in cli]
    assert [job.variant.material for job in cli] == ["seed=0/student=s1", "seed=0/student=s2"]


def test_a_bad_roster_dataframe_names_its_line() -> None:
    roster = pd.DataFrame({"student_id": ["s1", "s2", "s1"]})
    with pytest.raises(tracegen.RosterError, match=r"^roster:4: duplicate student id 's1' \(first on line 2\)$"):
        tracegen.variants(tracegen.load_example(), roster=roster)
    with pytest.raises(tracegen.OptionError, match="roster: expected a CSV file's path or a DataFrame, got list"):
        tracegen.variants(tracegen.load_example(), roster=["s1"])


def test_a_secret_file_keys_the_draws(tmp_path) -> None:
    secret = tmp_path / "secret"
    secret.write_bytes(b"0123456789abcdef0123456789abcdef\n")
    base = tracegen.load_example()
    keyed = tracegen.variants(base, n=2, secret=secret)
    planned = batching.plan(base, batching.Options(count=2, secret_file=secret))
    assert [s.to_dict() for s in keyed] == [job.variant.spec.to_dict() for job in planned]
    assert [s.variant for s in keyed] != [s.variant for s in tracegen.variants(base, n=2)]
    with pytest.raises(tracegen.OptionError, match="give the path of the file that holds the secret"):
        tracegen.variants(base, n=2, secret=b"0123456789abcdef")


@pytest.mark.parametrize(("kwargs", "message"), [
    ({}, "give either n (a number of variants) or roster (exactly one)"),
    ({"n": 2, "roster": "class.csv"}, "give either n (a number of variants) or roster (exactly one)"),
    ({"n": 0}, "--variants: expected a whole number from 1 to 100000, got 0"),
    ({"n": 2, "seed": -1}, "--seed: expected a whole number >= 0, got -1"),
])
def test_variants_refuse_bad_arguments(kwargs, message) -> None:
    with pytest.raises(tracegen.OptionError, match=f"^{re.escape(message)}$"):
        tracegen.variants(tracegen.load_example(), **kwargs)


def test_batch_returns_the_manifest_and_resumes(tmp_path) -> None:
    first = tracegen.batch(EXAMPLE, tmp_path, variants=2, seed=1, to="md", kind="key",
                           jobs=1)
    pd.testing.assert_frame_equal(first, pd.read_csv(tmp_path / "manifest.csv", dtype=str, keep_default_na=False))
    assert list(first.columns) == [*folder.MANIFEST_COLUMNS, *fairness.PROFILE_COLUMNS]
    assert first["file"].str.endswith(("spec.yaml", "key.md")).all() and len(first) == 4
    assert (first.attrs["written"], first.attrs["skipped"]) == (2, 0)
    ticks: list[int] = []
    again = tracegen.batch(tracegen.load_example(), tmp_path, variants=2, seed=1, to=("md",), kind=("key",), jobs=1,
                           progress=lambda total: ticks.append(total) or ticks.append)
    assert (again.attrs["written"], again.attrs["skipped"]) == (0, 2) and ticks == [2, 1, 1]
    pd.testing.assert_frame_equal(again, first)


def test_batch_refuses_bad_options_before_writing(tmp_path) -> None:
    with pytest.raises(tracegen.OptionError, match="^--to: expected a list drawn from md, html, pdf, got docx$"):
        tracegen.batch(tracegen.load_example(), tmp_path / "out", variants=2, to="docx")
    assert not (tmp_path / "out").exists()


# --- the README's five lines, the namespace, type marker and doctests -------------------


def test_the_readmes_from_python_lines_run(tmp_path, monkeypatch) -> None:
    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")
    code = readme.split("## From Python", 1)[1].split("```python\n", 1)[1].split("```", 1)[0]
    assert len(code.strip().splitlines()) == 6  # the import, then load, trace, look, render, vary
    (tmp_path / "class3.yaml").write_bytes(EXAMPLE.read_bytes())
    monkeypatch.chdir(tmp_path)
    names: dict = {}
    exec(compile(code, "README.md", "exec"), names)  # noqa: S102 - our own documentation
    assert names["t"].value("L") == pytest.approx(LOSS, abs=1e-15)
    assert len(names["specs"]) == 30 and len({s.variant for s in names["specs"]}) == 30


def test_every_public_name_resolves_lazily() -> None:
    code = ("import sys, tracegen; assert 'pandas' not in sys.modules and 'numpy' not in sys.modules, 'eager'; "
            "names = [getattr(tracegen, n) for n in tracegen.__all__]; "
            "from tracegen import *; import tracegen.engine.trace as m; assert inspect.ismodule(m)")
    result = subprocess.run([sys.executable, "-c", "import inspect; " + code], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert sorted(tracegen.__all__) == sorted(tracegen._EXPORTS)
    assert set(tracegen.__all__) <= set(dir(tracegen))
    assert tracegen.render is importlib.import_module("tracegen.render")  # submodules still reachable
    with pytest.raises(AttributeError, match="has no attribute 'nothing'"):
        tracegen.nothing  # noqa: B018


def test_the_package_ships_its_type_marker() -> None:
    assert (Path(tracegen.__file__).parent / "py.typed").is_file()  # CI tests an installed copy: it shipped
    assert '"tracegen" = ["py.typed"]' in (Path(__file__).resolve().parents[1] / "pyproject.toml").read_text()


def test_every_public_function_and_class_has_a_runnable_example() -> None:
    for name in tracegen.__all__:
        value = getattr(tracegen, name)
        if isinstance(value, type) and issubclass(value, Exception):
            continue
        assert ">>>" in (inspect.getdoc(value) or ""), name
        params = inspect.signature(value).parameters
        assert all(p.annotation is not inspect.Parameter.empty for n, p in params.items() if n != "self"), name


@pytest.mark.parametrize("module", PUBLIC_MODULES)
def test_doctests(module, tmp_path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    finder = doctest.DocTestFinder()
    runner = doctest.DocTestRunner(optionflags=doctest.NORMALIZE_WHITESPACE | doctest.ELLIPSIS)
    tests = finder.find(importlib.import_module(module), extraglobs={"tracegen": tracegen, "Path": Path})
    for test in tests:
        runner.run(test)
    result = runner.summarize(verbose=False)
    assert result.attempted > 0 and result.failed == 0
