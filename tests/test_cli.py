"""`tracegen trace` and `tracegen check`: output round trips at full precision, exit codes
0/2/1 with one line on stderr, no file written on failure, and `python -m tracegen`."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner

import tracegen
from tracegen.cli import cli

ROOT = Path(__file__).resolve().parents[1]


def run(*args: str) -> object:
    return CliRunner().invoke(cli, list(args))


@pytest.fixture(scope="module")
def example_df() -> pd.DataFrame:
    return tracegen.trace(tracegen.load_example()).df


def read(fmt: str, data: bytes) -> pd.DataFrame:
    """An exported trace read back, as a Trace's frame (which makes the plain-text `phase` categorical again)."""
    if fmt == "csv":
        frame = pd.read_csv(io.BytesIO(data))
    elif fmt == "json":
        frame = pd.read_json(io.BytesIO(data), orient="records", precise_float=True)
    else:
        frame = pd.read_parquet(io.BytesIO(data))
    assert frame["phase"].map(type).eq(str).all()  # exports hold plain text
    return tracegen.Trace(frame).df


@pytest.mark.parametrize("fmt", ["csv", "json", "parquet"])
def test_trace_round_trip_to_file(example_df, tmp_path, fmt):
    out = tmp_path / f"trace.{fmt}"
    result = run("trace", "--format", fmt, "-o", str(out))
    assert result.exit_code == 0, result.output
    assert result.stdout == ""
    pd.testing.assert_frame_equal(read(fmt, out.read_bytes()), example_df, check_exact=True)


@pytest.mark.parametrize("fmt", ["csv", "json"])
def test_trace_round_trip_on_stdout(example_df, fmt):
    result = run("trace", "--format", fmt)
    assert result.exit_code == 0
    pd.testing.assert_frame_equal(read(fmt, result.stdout_bytes), example_df, check_exact=True)


def test_csv_is_the_default_and_starts_with_the_header(example_df):
    result = run("trace")
    assert result.exit_code == 0
    lines = result.stdout.splitlines()
    assert lines[0] == "variant,epoch,step,phase,name,symbol,sample,row,col,value"
    assert lines[1] == "base,1,0,params,W1,W^{(1)},-1,0,0,1.0"
    assert len(lines) == len(example_df) + 1


def test_json_is_a_list_of_records():
    records = json.loads(run("trace", "--format", "json").stdout)
    assert records[0] == {"variant": "base", "epoch": 1, "step": 0, "phase": "params", "name": "W1",
                          "symbol": "W^{(1)}", "sample": -1, "row": 0, "col": 0, "value": 1.0}


def test_full_precision_on_awkward_values(write_spec, tmp_path):
    """Values with 17 significant digits, tiny and huge magnitudes survive every format exactly."""
    spec = {
        "network": {"layers": [
            {"units": 3, "activation": "tanh", "W": [[0.1], [1e-7], [3.3333333333333335]], "b": [1e-300, 0.7, -2.2]},
            {"units": 2, "activation": "softmax", "W": [[1e3, 0.123456789012345, 1e-5], [-7, 1 / 3, 9]],
             "b": [0, 1e-9]},
        ]},
        "loss": "cross_entropy",
        "data": {"x": [[0.30000000000000004], [-123.456], [2e5]], "y": [0, 1, 1]},
        "training": {"learning_rate": 0.01, "epochs": 3},
    }
    path = write_spec(spec)
    expected = tracegen.trace(tracegen.load_spec(path)).df
    for fmt in ("csv", "json", "parquet"):
        out = tmp_path / f"t.{fmt}"
        assert run("trace", str(path), "--format", fmt, "-o", str(out)).exit_code == 0
        pd.testing.assert_frame_equal(read(fmt, out.read_bytes()), expected, check_exact=True)


def test_trace_of_a_spec_file_equals_the_api(class3_dict, write_spec):
    class3_dict["data"] = {"x": [[1, 0, 1], [0, 1, 1]], "y": [1, 0]}
    path = write_spec(class3_dict, suffix=".json")
    result = run("trace", str(path))
    assert result.exit_code == 0
    expected = tracegen.trace(tracegen.Spec.from_dict(class3_dict)).df
    pd.testing.assert_frame_equal(read("csv", result.stdout_bytes), expected, check_exact=True)


def test_output_overwrites_and_creates_folders(tmp_path):
    out = tmp_path / "a" / "b" / "trace.csv"
    assert run("trace", "-o", str(out)).exit_code == 0
    first = out.read_bytes()
    out.write_text("stale")
    assert run("trace", "-o", str(out)).exit_code == 0
    assert out.read_bytes() == first
    assert [p.name for p in out.parent.iterdir()] == ["trace.csv"]  # no temp file left behind


def test_check_the_builtin_example_file():
    path = ROOT / "tracegen" / "examples" / "class3.yaml"
    result = run("check", str(path))
    assert result.exit_code == 0
    assert result.stdout == "ok: Class 3: Training by Hand: 3-2-1 network, 1 sample, 3 epochs, loss bce\n"


def test_check_says_one_epoch_in_the_singular(tmp_path):
    spec = tmp_path / "one.yaml"
    text = (ROOT / "tracegen" / "examples" / "class3.yaml").read_text().replace("epochs: 3", "epochs: 1")
    spec.write_text(text)
    assert "1 sample, 1 epoch, loss bce" in run("check", str(spec)).stdout


def test_check_needs_a_spec():
    result = run("check")
    assert result.exit_code == 2
    assert "Missing argument 'SPEC'" in result.stderr


def test_bad_format_is_a_usage_error(tmp_path):
    out = tmp_path / "t.xlsx"
    result = run("trace", "--format", "xlsx", "-o", str(out))
    assert result.exit_code == 2
    assert "Invalid value for '--format'" in result.stderr
    assert not out.exists()


def test_bad_spec_on_trace_writes_nothing(class3_dict, write_spec, tmp_path):
    class3_dict["network"]["layers"][1]["W"] = [[1, -1], [0, 1]]
    path = write_spec(class3_dict)
    out = tmp_path / "trace.csv"
    result = run("trace", str(path), "-o", str(out))
    assert result.exit_code == 2
    assert result.stderr == f"tracegen: error: {path}: network.layers[1].W: expected shape (1, 2), got (2, 2)\n"
    assert result.stdout == ""
    assert not out.exists()
    assert list(tmp_path.iterdir()) == [path]


def test_failure_that_is_not_the_users_exits_1(monkeypatch, tmp_path):
    """parquet without pyarrow is the environment's problem: exit 1, one line, no file."""
    monkeypatch.setitem(sys.modules, "pyarrow", None)  # makes `import pyarrow` raise ImportError
    out = tmp_path / "t.parquet"
    result = run("trace", "--format", "parquet", "-o", str(out))
    assert result.exit_code == 1
    assert result.stderr == "tracegen: error: parquet export needs pyarrow: pip install 'tracegen[parquet]'\n"
    assert not out.exists()


def test_internal_error_exits_1_without_traceback(monkeypatch):
    def boom(*args, **kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr("tracegen.engine.trace.trace", boom)  # the command imports it when it runs
    monkeypatch.delenv("TRACEGEN_DEBUG", raising=False)
    result = run("trace")
    assert result.exit_code == 1
    assert result.stderr == "tracegen: error: internal error: RuntimeError: boom (TRACEGEN_DEBUG=1 shows details)\n"
    assert "Traceback" not in result.output


# --- a real process -----------------------------------------------------------------------------


def python_m(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k != "TRACEGEN_DEBUG"}
    return subprocess.run([sys.executable, "-m", "tracegen", *args], capture_output=True, text=True,
                          cwd=cwd, env=env, timeout=60)


def test_python_m_help(tmp_path):
    proc = python_m("--help", cwd=tmp_path)
    assert proc.returncode == 0
    assert "Usage:" in proc.stdout
    for command in ("trace", "check"):
        assert command in proc.stdout


def test_python_m_check_bad_spec(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("network:\n  layers:\n    - units: 2\n      activation: relu\n      W: [[1, 2]]\n"
                   "loss: bce\ndata: {x: [1, 2], y: 1}\n")
    proc = python_m("check", "bad.yaml", cwd=tmp_path)
    assert proc.returncode == 2
    assert "Traceback" not in proc.stderr
    assert proc.stderr == "tracegen: error: bad.yaml: network.layers[0].W: expected shape (2, 2), got (1, 2)\n"
    assert proc.stdout == ""


def test_diverging_training_is_one_clear_error(write_spec, tmp_path):
    """lr 10 on (3w + b - 1)^2 multiplies the error e by 1 - 10 (18 + 2) = -199 each epoch: e^2 overflows at
    epoch 68."""
    path = write_spec({
        "network": {"layers": [{"units": 1, "activation": "linear", "W": [[1]], "b": [0]}]},
        "loss": "mse",
        "data": {"x": [3], "y": 1},
        "training": {"learning_rate": 10, "epochs": 1000},
    })
    out = tmp_path / "t.json"
    result = run("trace", str(path), "--format", "json", "-o", str(out))
    assert result.exit_code == 2
    assert result.stderr.startswith(f"tracegen: error: {path}: training.learning_rate: training diverged: ")
    assert "Warning" not in result.stderr and len(result.stderr.splitlines()) == 1
    assert not out.exists()
    with pytest.raises(tracegen.SpecError, match="training diverged"):
        tracegen.trace(tracegen.load_spec(path))


def test_python_m_render_from_the_source_checkout(tmp_path):
    # Run in the repository root, the checkout's tracegen/ shadows the installed package
    # (which is where tracegen.templates lives): the templates must still be found.
    proc = python_m("render", "--to", "md", "--kind", "key", "-o", str(tmp_path), cwd=ROOT)
    assert proc.returncode == 0, proc.stderr
    assert "0.881" in (tmp_path / "class3-key.md").read_text(encoding="utf-8")


# --- files, options and noise (issue 20) ------------------------------------------------------------


def test_trace_writes_a_legal_254_character_file_name(tmp_path: Path) -> None:
    """The temporary name added 14 characters to the target's, past the 255 a name may have."""
    out = tmp_path / ("t" * 250 + ".csv")
    result = CliRunner().invoke(cli, ["trace", "-o", str(out)])
    assert result.exit_code == 0 and out.read_bytes().startswith(b"variant,epoch")
    too_long = tmp_path / ("t" * 260 + ".csv")
    result = CliRunner().invoke(cli, ["trace", "-o", str(too_long)])
    assert result.exit_code == 2 and result.stderr.startswith("tracegen: error: File name too long: ")
    assert [p.name for p in tmp_path.iterdir()] == [out.name]


@pytest.mark.parametrize(("args", "message"), [
    (["check", "x.yaml", "-o", "y"], "No such option '-o' (see 'tracegen check --help')"),
    (["nosuch"], "No such command 'nosuch' (see 'tracegen --help')"),
    (["--bogus"], "No such option '--bogus' (see 'tracegen --help')"),
    (["batch", "--variants", "x"], "Invalid value for '--variants': 'x' is not a valid integer (see 'tracegen batch "
                                   "--help')"),
])
def test_usage_errors_are_one_line(args: list[str], message: str) -> None:
    result = CliRunner().invoke(cli, args, prog_name="tracegen")
    assert (result.exit_code, result.stderr) == (2, f"tracegen: error: {message}\n")


def test_no_numpy_warning_reaches_the_terminal(write_spec) -> None:
    """A diverging spec printed numpy's RuntimeWarnings (two lines each) before its one error line."""
    path = write_spec({"network": {"layers": [{"units": 1, "activation": "linear", "W": [[1]], "b": [0]}]},
                       "loss": "mse", "data": {"x": [1], "y": 3}, "training": {"learning_rate": 1e200, "epochs": 3}})
    proc = subprocess.run([sys.executable, "-m", "tracegen", "render", str(path), "--to", "md", "-o",
                           str(path.parent / "out")], capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert proc.returncode == 2 and proc.stderr.count("\n") == 1 and "Warning" not in proc.stderr


def test_check_draws_as_batch_does_and_says_when_batch_refuses(write_spec, class3_dict: dict) -> None:
    """check said ok for specs whose every draw breaks the constraints; batch then refused them."""
    for layer in class3_dict["network"]["layers"]:
        del layer["W"]
    class3_dict["variants"] = {"weights": {"values": [0]}, "biases": {"values": [-1]}}  # no hidden unit is active
    path = write_spec(class3_dict)
    check = CliRunner().invoke(cli, ["check", str(path)])
    assert check.exit_code == 0
    assert check.stderr.splitlines()[-1].startswith("tracegen: note: variants.constraints")
    assert "variant seed=0/variant=1: no draw in 1000 tries met the constraints; most often failed: " in check.stderr
    assert check.stderr.endswith(" (batch refuses it)\n")
    batch = CliRunner().invoke(cli, ["batch", str(path), "--variants", "1", "-o", str(path.parent / "out")])
    assert batch.exit_code == 2 and batch.stderr.startswith(f"tracegen: error: {path}: variants.constraints")
    assert "variant seed=0/variant=1: no draw in 1000 tries" in batch.stderr


def test_check_warns_when_few_draws_meet_the_constraints(write_spec) -> None:
    """The first variant was found, the second not (its tries ran out): check now samples the draws."""
    path = write_spec({"network": {"layers": [
        {"units": 3, "activation": "relu", "W": [[1, -0.5], [-0.5, 0.5], [2, -2]], "b": [0.5, 0, 0]},
        {"units": 4, "activation": "softmax", "W": [[-1, -1, -2], [1, 0, 1], [-1, 0.25, -2], [0.5, -1, 1]],
         "b": [1, 1, -1, -1]}]},
        "loss": "cross_entropy", "data": {"x": [[-1, 1], [0.5, 1], [2, 2]], "y": [3, 3, 1]},
        "training": {"learning_rate": 0.01, "epochs": 1}, "display": {"decimals": 4}})
    check = CliRunner().invoke(cli, ["check", str(path)])
    assert check.exit_code == 0
    assert check.stderr.splitlines()[-1].startswith("tracegen: note: variants.constraints: in a sample of draws ")
    assert check.stderr.endswith(" (batch may refuse it)\n")
    batch = CliRunner().invoke(cli, ["batch", str(path), "--variants", "2", "--to", "md", "-o", str(path.parent / "o")])
    assert batch.exit_code == 2 and "variant seed=0/variant=2: no draw in 1000 tries" in batch.stderr
