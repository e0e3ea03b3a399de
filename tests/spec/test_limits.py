"""Oversize work (issue 11) is sized from the spec's shapes and refused before it starts:
a trace above MAX_TRACE_ROWS by every command, documents above MAX_PAGES or under
MIN_FONT_PT by `render` and `batch` unless `--force`; each refusal is exit 2 and one line
saying how big and which key to change, and the engine never runs."""

from __future__ import annotations

import io
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pypdf
import pytest
from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st

import tracegen
import tracegen.batching.variants
import tracegen.engine.trace
from tracegen import render
from tracegen.choices import DEFAULT_KINDS
from tracegen.cli import cli
from tracegen.layout import PRINT_FONT_PT
from tracegen.spec import limits


def network(units: list[int], inputs: int, samples: int, epochs: int = 1, decimals: int = 3,
            loss: str = "bce", given_params: bool = True) -> dict:
    """A spec dict of the given shapes (numbers from a fixed generator)."""
    rng = np.random.default_rng(0)
    layers, fan_in = [], inputs
    for i, n in enumerate(units):
        last = i == len(units) - 1
        act = {"bce": "sigmoid", "mse": "linear", "cross_entropy": "softmax"}[loss] if last else "tanh"
        layer = {"units": n, "activation": act}
        if given_params:
            layer.update(W=rng.uniform(-1, 1, (n, fan_in)).round(2).tolist(), b=[0.5] * n)
        layers.append(layer)
        fan_in = n
    y = list(rng.integers(0, units[-1], samples)) if loss == "cross_entropy" else [[1] * units[-1]] * samples
    spec = {"network": {"layers": layers}, "loss": loss,
            "data": {"x": rng.uniform(0, 1, (samples, inputs)).round(1).tolist(), "y": [int(v) for v in y]
                     if loss == "cross_entropy" else y},
            "training": {"epochs": epochs, "learning_rate": 0.01}, "display": {"decimals": decimals}}
    if not given_params:
        spec["variants"] = {"weights": {"values": [-1, 0, 1]}, "biases": {"values": [0, 1]},
                            "constraints": {"loss_decreases": False, "max_output_z": None, "readable": False}}
    return spec


@pytest.fixture
def no_engine(forbid) -> None:
    """The refusal must come before any work: the engine (tracing and variant drawing) never runs."""
    forbid((tracegen.engine.trace, "train"), (tracegen.batching.variants, "train"))


# --- the trace -------------------------------------------------------------------------------------


@settings(max_examples=25, deadline=None)
@given(units=st.lists(st.integers(1, 5), min_size=1, max_size=3), inputs=st.integers(1, 4),
       samples=st.integers(1, 4), epochs=st.integers(1, 3), loss=st.sampled_from(["bce", "mse", "cross_entropy"]))
def test_trace_rows_are_exactly_the_rows_of_the_trace(units, inputs, samples, epochs, loss):
    if loss == "cross_entropy":
        units[-1] = max(units[-1], 2)
    spec = tracegen.Spec.from_dict(network(units, inputs, samples, epochs, loss=loss))
    assert limits.trace_rows(spec) == len(tracegen.trace(spec).df)


TRACE_LIMIT = ("training.epochs: the trace would have 94,771,000 rows, more than the limit of 1,000,000: lower "
               "training.epochs (at most 10 with these shapes); the Python API (tracegen.trace) has no limit")


@pytest.mark.parametrize("command", [["check"], ["trace", "-o", "t.csv"], ["render", "--to", "md"],
                                     ["batch", "--variants", "2", "-o", "out"]])
def test_a_trace_too_big_to_hold_is_refused_by_every_command(tmp_path, monkeypatch, write_spec, no_engine, command):
    """The issue's 96 KB spec: 4 layers of 64 units, 50 samples, 1,000 epochs went to 6.9 GB."""
    monkeypatch.chdir(tmp_path)
    path = write_spec(network([64, 64, 64, 64], 64, 50, epochs=1000, loss="mse"))
    result = CliRunner().invoke(cli, [command[0], str(path), *command[1:]])
    assert (result.exit_code, result.stderr) == (2, f"tracegen: error: {path}: {TRACE_LIMIT}\n")
    assert sorted(p.name for p in tmp_path.iterdir()) == [path.name]


def test_a_trace_of_many_layers_names_the_network(write_spec, no_engine):
    """Parameters 1024*1001 + 2*1024*1025 + 1025 = 3,125,249, three times (before, gradient, after);
    per sample x (1000), z, h, delta of 3,073 units, y, the sample loss; and L: 9,385,969 rows."""
    path = write_spec(network([1024] * 3 + [1], 1000, 1, given_params=False))
    result = CliRunner().invoke(cli, ["trace", str(path)])
    assert result.exit_code == 2
    assert result.stderr == (f"tracegen: error: {path}: network.layers: the trace would have 9,385,969 rows, more "
                             "than the limit of 1,000,000: use fewer samples (data.x) or fewer units (network.layers); "
                             "the Python API (tracegen.trace) has no limit\n")


# --- documents -------------------------------------------------------------------------------------


def pdf_pages(spec: tracegen.Spec, kind: str) -> int:
    data = render.render_documents(tracegen.trace(spec), (kind,), ("pdf",))[(kind, "pdf")]
    return len(pypdf.PdfReader(io.BytesIO(data)).pages)


@pytest.mark.parametrize(("spec", "kind"), [
    (tracegen.load_example(), "key"),
    (tracegen.Spec.from_dict(network([16, 1], 16, 10)), "key"),
])
@pytest.mark.slow
def test_the_page_estimate_is_within_a_third_of_the_pdf(spec, kind):
    estimate = limits.estimate_document(spec, kind).pages
    assert abs(estimate - pdf_pages(spec, kind)) <= pdf_pages(spec, kind) / 3


def test_wider_matrices_print_smaller_and_more_epochs_take_more_pages():
    fonts = [limits.estimate_document(tracegen.Spec.from_dict(network([2, 1], n, 1)), "key").font_pt
             for n in (3, 8, 16, 32, 64)]
    assert fonts[0] == PRINT_FONT_PT and fonts == sorted(fonts, reverse=True)
    assert fonts[-1] < fonts[-2] / 1.8  # twice the columns, about half the size once scaled
    pages = [limits.estimate_document(tracegen.Spec.from_dict(network([2, 1], 3, 1, epochs=e)), "key").pages
             for e in (1, 10, 100)]
    assert pages[0] < pages[1] < pages[2] and pages[2] > 9 * pages[1] / 2


# 100 epochs of a 3-2-1 network, following on: the worksheet (with room to work) and the key both pass 100 pages
PAGES = ("training.epochs: the worksheet would run to about 130 pages (estimated from its shapes), more than the "
         "limit of 100: lower "
         "training.epochs or use a smaller network or fewer samples, or --force")
# The worksheet's widest piece is dW1's 32 blank columns: (32 * 6.0 + 1.3) * 0.82 = 158.5 em after the left
# side's 2 em, scaled into 47.6 em: 0.297, times the 0.82 of a wide matrix and 10.5 pt: 2.6 pt. How far to go:
# 13 columns are (13 * 6.0 + 1.3) * 0.82 = 65.0 em, 47.6 / 67.0 * 0.82 * 10.5 = 6.1 pt; 14 give 5.7 pt. Fewer
# samples or decimals do not help a worksheet's blanks.
FONT = ("network.layers: the worksheet would print its widest matrices, blanks shrunk alike, at about 2.6 pt, under "
        "the 6 pt limit: use at most 13 units per layer (32-32-1 -> 13-13-1), or --force")


@pytest.mark.parametrize(("shapes", "message"), [
    (([2, 1], 3, 1, 100), PAGES),
    (([32, 1], 32, 2, 1), FONT),
])
def test_documents_nobody_can_read_are_refused_unless_forced(tmp_path, write_spec, monkeypatch, shapes, message):
    path = write_spec(network(*shapes))
    out = tmp_path / "out"
    with monkeypatch.context() as patch:
        patch.setattr(tracegen.engine.trace, "train", lambda *a, **k: pytest.fail("the engine ran"))  # until --force
        result = CliRunner().invoke(cli, ["render", str(path), "--to", "md", "-o", str(out)])
    assert (result.exit_code, result.stderr) == (2, f"tracegen: error: {path}: {message}\n")
    assert not out.exists()
    result = CliRunner().invoke(cli, ["render", str(path), "--to", "md", "-o", str(out), "--force"])
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in out.iterdir()) == ["spec-key.md", "spec-worksheet.md"]


def test_check_accepts_such_a_spec_and_says_render_will_refuse_it(write_spec):
    path = write_spec(network([2, 1], 3, 1, epochs=100))
    result = CliRunner().invoke(cli, ["check", str(path)])
    assert result.exit_code == 0
    assert result.stdout == "ok: Training by Hand: 3-2-1 network, 1 sample, 100 epochs, loss bce\n"
    assert f"tracegen: note: {PAGES} (render and batch refuse it)" in result.stderr.splitlines()


def test_batch_refuses_oversize_documents_before_drawing_and_force_lifts_it(tmp_path, write_spec, monkeypatch):
    path = write_spec(network([32, 1], 32, 2, given_params=False))
    with monkeypatch.context() as patch:
        patch.setattr(tracegen.batching.variants, "train", lambda *a, **k: pytest.fail("variants were drawn"))
        result = CliRunner().invoke(cli, ["batch", str(path), "--variants", "2", "-o", str(tmp_path / "out")])
    assert (result.exit_code, result.stderr) == (2, f"tracegen: error: {path}: {FONT}\n")
    assert not (tmp_path / "out").exists()
    monkeypatch.setattr(render, "render_documents", lambda trace, kinds, formats, **k: {
        (kind, fmt): b"doc" for kind in kinds for fmt in formats})
    result = CliRunner().invoke(cli, ["batch", str(path), "--variants", "2", "--to", "md", "-j", "1", "--force",
                                      "-o", str(tmp_path / "out")])
    assert result.exit_code == 0, result.output
    assert len([p for p in Path(tmp_path / "out").iterdir() if p.is_dir()]) == 2


@pytest.mark.skipif(not hasattr(os, "openpty"), reason="needs a pseudo-terminal")
@pytest.mark.slow
def test_long_documents_show_progress_on_a_terminal(tmp_path, write_spec):
    path = write_spec(network([2, 1], 3, 1, epochs=25))  # about 50 + 26 pages
    terminal, child = os.openpty()
    done = subprocess.run([sys.executable, "-m", "tracegen", "render", str(path), "--to", "md,html", "-o",
                           str(tmp_path / "out")], stderr=child, stdout=subprocess.PIPE, timeout=120)
    os.close(child)
    shown = os.read(terminal, 65536).decode()
    os.close(terminal)
    pages = sum(limits.estimate_document(tracegen.Spec.from_dict(network([2, 1], 3, 1, epochs=25)), kind).pages
                for kind in DEFAULT_KINDS)
    assert done.returncode == 0 and pages >= 40
    assert f"rendering about {pages} pages" in shown and "100%" in shown
    piped = CliRunner().invoke(cli, ["render", str(path), "--to", "md", "-o", str(tmp_path / "piped")])
    assert (piped.exit_code, piped.stderr) == (0, "")
