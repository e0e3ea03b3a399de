"""Spec loading: every class of bad spec is refused with one line naming the key, through the
library (SpecError) and through the CLI (exit 2, no traceback, no file written); YAML, JSON
and TOML with the same keys load to the same spec; what the contract allows is accepted."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
from click.testing import CliRunner

import tracegen
from tracegen.cli import cli


def layer(d: dict, i: int) -> dict:
    return d["network"]["layers"][i]


def rename(mapping: dict, old: str, new: str) -> None:
    mapping[new] = mapping.pop(old)


def softmax_output(d: dict) -> None:
    layer(d, 1).update(units=2, activation="softmax", W=[[1, -1], [0, 1]], b=[0, 0])


# (id, mutation of the Class 3 spec, the one-line message: key path, expected, found)
BAD: list[tuple[str, Callable[[dict], Any], str]] = [
    ("unknown-key", lambda d: rename(layer(d, 0), "activation", "activaton"),
     "network.layers[0].activaton: unknown key; did you mean 'activation'?"),
    ("unknown-top-key", lambda d: rename(d, "training", "trainig"),
     "trainig: unknown key; did you mean 'training'?"),
    ("unknown-loss-option", lambda d: d.update(loss={"name": "mse", "scal": 2}),
     "loss.scal: unknown key; did you mean 'scale'?"),
    ("W-shape", lambda d: layer(d, 1).update(W=[[1, -1], [0, 1]]),
     "network.layers[1].W: expected shape (1, 2), got (2, 2)"),
    ("b-shape", lambda d: layer(d, 0).update(b=[0, 1, 2]),
     "network.layers[0].b: expected shape (2,), got (3,)"),
    ("x-size-vs-W", lambda d: d["data"].update(x=[1, 0]),
     "network.layers[0].W: expected shape (2, 2), got (2, 3)"),
    ("inf-in-W", lambda d: layer(d, 0)["W"][0].__setitem__(1, float("inf")),
     "network.layers[0].W[0][1]: expected a finite number, got inf"),
    ("nan-in-x", lambda d: d["data"].update(x=[1, float("nan"), 1]),
     "data.x[1]: expected a finite number, got nan"),
    ("text-in-b", lambda d: layer(d, 0).update(b=[0, "one"]),
     "network.layers[0].b[1]: expected a number, got the text 'one'"),
    ("inf-epochs", lambda d: d["training"].update(epochs=float("inf")),
     "training.epochs: expected a whole number from 1 to 1000, got inf"),
    ("activation-name", lambda d: layer(d, 0).update(activation="rleu"),
     "network.layers[0].activation: expected one of relu, sigmoid, tanh, linear, leaky_relu, softmax, "
     "got the text 'rleu' (did you mean 'relu'?)"),
    ("slope-on-relu", lambda d: layer(d, 0).update(activation={"name": "relu", "slope": 0.1}),
     "network.layers[0].activation.slope: only leaky_relu takes a slope, not relu"),
    ("loss-name", lambda d: d.update(loss="bec"),
     "loss: expected one of bce, mse, cross_entropy, got the text 'bec' (did you mean 'bce'?)"),
    ("loss-mapping-name", lambda d: d.update(loss={"name": "mae"}),
     "loss.name: expected one of bce, mse, cross_entropy, got the text 'mae' (did you mean 'mse'?)"),
    ("softmax-not-last", lambda d: layer(d, 0).update(activation="softmax"),
     "network.layers[0].activation: softmax is only allowed on the last layer"),
    ("softmax-without-ce", lambda d: (softmax_output(d), d.update(loss="mse")),
     "network.layers[1].activation: softmax output needs loss cross_entropy, got mse"),
    ("ce-without-softmax", lambda d: d.update(loss="cross_entropy"),
     "network.layers[1].activation: loss cross_entropy needs a softmax output layer, got sigmoid"),
    ("bce-without-sigmoid", lambda d: layer(d, 1).update(activation="tanh"),
     "network.layers[1].activation: loss bce needs a sigmoid output layer, got tanh"),
    ("bce-target-above-1", lambda d: d["data"].update(y=2),
     "data.y: bce targets must lie in [0, 1], got 2"),
    ("bce-target-below-0", lambda d: d["data"].update(x=[[1, 0, 1], [0, 0, 1]], y=[1, -0.5]),
     "data.y: bce targets must lie in [0, 1], got -0.5"),
    ("y-shape", lambda d: d["data"].update(y=[1, 0]),
     "data.y: expected a number (for the one sample), got shape (2,)"),
    ("y-count-batch", lambda d: d["data"].update(x=[[1, 0, 1], [0, 1, 0]], y=[1, 0, 1]),
     "data.y: expected 2 numbers (one per sample), got shape (3,)"),
    ("y-vector-shape", lambda d: (softmax_output(d), d.update(loss="cross_entropy"), d["data"].update(y=[0, 1, 0])),
     "data.y: expected shape (2,) (2 targets for the one sample), got (3,)"),
    ("class-index-range", lambda d: (softmax_output(d), d.update(loss="cross_entropy"), d["data"].update(y=2)),
     "data.y: class indices must be whole numbers from 0 to 1"),
    ("epochs-0", lambda d: d["training"].update(epochs=0),
     "training.epochs: expected a whole number from 1 to 1000, got 0"),
    ("epochs-1001", lambda d: d["training"].update(epochs=1001),
     "training.epochs: expected a whole number from 1 to 1000, got 1001"),
    ("rate-0", lambda d: d["training"].update(learning_rate=0),
     "training.learning_rate: expected a positive number, got 0"),
    ("rate-negative", lambda d: d["training"].update(learning_rate=-0.1),
     "training.learning_rate: expected a positive number, got -0.1"),
    ("missing-W", lambda d: layer(d, 0).pop("W"),
     "network.layers[0].W: missing; give it, or a variants.weights range to draw it from"),
    ("missing-b", lambda d: layer(d, 1).pop("b"),
     "network.layers[1].b: missing; give it, or a variants.biases range to draw it from"),
    ("missing-data", lambda d: d.pop("data"), "data: missing (required)"),
    ("ragged-x", lambda d: d["data"].update(x=[[1, 0, 1], [0, 1]]),
     "data.x: expected a rectangular list of numbers (rows of equal length)"),
    ("update-kind", lambda d: d["training"].update(update=["W", "c"]),
     "training.update: expected one of W, b, got the text 'c'"),
]


def bad_spec(class3_dict: dict, mutate: Callable[[dict], Any]) -> dict:
    mutate(class3_dict)
    return class3_dict


@pytest.mark.parametrize(("mutate", "message"), [b[1:] for b in BAD], ids=[b[0] for b in BAD])
def test_bad_spec_refused(class3_dict, write_spec, tmp_path, mutate, message):
    data = bad_spec(class3_dict, mutate)
    # the library: one SpecError whose text is the key path and the problem
    with pytest.raises(tracegen.SpecError) as err:
        tracegen.Spec.from_dict(data)
    assert str(err.value) == message
    assert message.startswith(err.value.key + ": ")
    # the CLI: exit 2, the same one line (prefixed by the file), nothing on stdout
    path = write_spec(data)
    result = CliRunner().invoke(cli, ["check", str(path)])
    assert result.exit_code == 2, result.output
    assert result.stderr == f"tracegen: error: {path}: {message}\n"
    assert result.stdout == ""
    assert "Traceback" not in result.output
    # `trace -o FILE` fails the same way and writes no file
    out = tmp_path / "out" / "trace.csv"
    result = CliRunner().invoke(cli, ["trace", str(path), "-o", str(out)])
    assert result.exit_code == 2
    assert result.stderr == f"tracegen: error: {path}: {message}\n"
    assert not out.exists()
    assert not (tmp_path / "out").exists() or not any((tmp_path / "out").iterdir())


@pytest.mark.parametrize(("suffix", "text", "message"), [
    (".yaml", "network:\n  layers: [\n",
     "invalid YAML at line 3, column 1: did not find expected node content"),
    (".yaml", "title: a\n  network: b\n",
     "invalid YAML at line 2, column 10: mapping values are not allowed in this context"),
    (".json", '{"network": ', "invalid JSON at line 1, column 13: Expecting value"),
    (".toml", "title = \n", "invalid TOML: Invalid value (at line 1, column 9)"),
])
def test_syntax_errors_are_one_line(write_spec, suffix, text, message):
    path = write_spec(text, suffix=suffix)
    with pytest.raises(tracegen.SpecError) as err:
        tracegen.load_spec(path)
    assert str(err.value) == f"{path}: {message}"
    result = CliRunner().invoke(cli, ["check", str(path)])
    assert result.exit_code == 2
    assert result.stderr == f"tracegen: error: {path}: {message}\n"


@pytest.mark.parametrize(("text", "message"), [
    ("", "spec: expected a mapping, got nothing"),
    ("- 1\n- 2\n", "spec: expected a mapping, got a list of 2"),
])
def test_spec_that_is_not_a_mapping(write_spec, text, message):
    path = write_spec(text)
    result = CliRunner().invoke(cli, ["check", str(path)])
    assert result.exit_code == 2
    assert result.stderr == f"tracegen: error: {path}: {message}\n"


def test_missing_file(tmp_path):
    path = tmp_path / "nope.yaml"
    result = CliRunner().invoke(cli, ["check", str(path)])
    assert result.exit_code == 2
    assert result.stderr == f"tracegen: error: spec file not found: {path}\n"


def test_params_left_to_variants_check_but_do_not_trace(class3_dict, write_spec, tmp_path):
    """W omitted with a variants range is a valid spec (for `batch`), but `trace` cannot run it."""
    del layer(class3_dict, 0)["W"]
    class3_dict["variants"] = {"weights": {"values": [-1, 0, 1]}}
    path = write_spec(class3_dict)
    assert CliRunner().invoke(cli, ["check", str(path)]).exit_code == 0
    out = tmp_path / "t.csv"
    result = CliRunner().invoke(cli, ["trace", str(path), "-o", str(out)])
    assert result.exit_code == 2
    assert result.stderr == (f"tracegen: error: {path}: network.layers[0].W: missing; give it in the spec, "
                             "or draw it with `tracegen batch` from variants\n")
    assert not out.exists()


# --- the same keys in YAML, JSON and TOML ---------------------------------------------------


@pytest.mark.parametrize("suffix", [".yaml", ".yml", ".json", ".toml"])
def test_formats_load_the_same_spec(class3_dict, write_spec, suffix):
    class3_dict["loss"] = {"name": "bce", "batch": "sum"}
    layer(class3_dict, 0)["activation"] = {"name": "leaky_relu", "slope": 0.1}
    path = write_spec(class3_dict, suffix=suffix)
    spec = tracegen.load_spec(path)
    assert spec.to_dict() == tracegen.Spec.from_dict(class3_dict).to_dict()
    assert spec.layers[0].activation.slope == 0.1
    assert spec.loss.batch == "sum"
    assert tracegen.trace(spec).df.equals(tracegen.trace(tracegen.Spec.from_dict(class3_dict)).df)


def test_toml_written_by_hand(write_spec):
    text = """
title = "Class 3: Training by Hand"
loss = "bce"

[[network.layers]]
units = 2
activation = "relu"
W = [[1, -1, 1], [-2, 0, 1]]
b = [0, 1]

[[network.layers]]
units = 1
activation = "sigmoid"
W = [[1, -1]]
b = [0]

[data]
x = [1, 0, 1]
y = 1

[training]
learning_rate = 0.1
epochs = 3
"""
    spec = tracegen.load_spec(write_spec(text, suffix=".toml"))
    assert tracegen.trace(spec).df.equals(tracegen.trace(tracegen.load_example()).df)


def test_json_reports_the_same_key_paths(class3_dict, write_spec):
    layer(class3_dict, 1)["W"] = [[1, -1], [0, 1]]
    path = write_spec(class3_dict, suffix=".json")
    with pytest.raises(tracegen.SpecError, match=r"network\.layers\[1\]\.W: expected shape \(1, 2\), got \(2, 2\)$"):
        tracegen.load_spec(path)


# --- what the contract allows ------------------------------------------------------------------


def test_mse_options_and_leaky_slope(class3_dict):
    layer(class3_dict, 0)["activation"] = {"name": "leaky_relu", "slope": 0.1}
    layer(class3_dict, 1)["activation"] = "linear"
    class3_dict["loss"] = {"name": "mse", "scale": 0.5, "reduction": "sum"}
    spec = tracegen.Spec.from_dict(class3_dict)
    assert spec.layers[0].activation == tracegen.spec.model.Activation("leaky_relu", 0.1)
    assert (spec.loss.name, spec.loss.scale, spec.loss.reduction, spec.loss.batch) == ("mse", 0.5, "sum", "mean")
    assert tracegen.Spec.from_dict(spec.to_dict()).to_dict() == spec.to_dict()


def test_default_slope_and_loss_options(class3_dict):
    layer(class3_dict, 0)["activation"] = "leaky_relu"
    spec = tracegen.Spec.from_dict(class3_dict)
    assert spec.layers[0].activation.slope == 0.01
    assert (spec.loss.scale, spec.loss.reduction, spec.loss.batch) == (1.0, "mean", "mean")


@pytest.mark.parametrize(("x", "y", "expected"), [
    ([1, 0], 2, [[0, 0, 1]]),  # one sample, a class index
    ([1, 0], [0, 1, 0], [[0, 1, 0]]),  # one sample, one-hot
    ([[1, 0], [0, 1]], [2, 0], [[0, 0, 1], [1, 0, 0]]),  # a batch of class indices
    ([[1, 0], [0, 1]], [[0, 0, 1], [1, 0, 0]], [[0, 0, 1], [1, 0, 0]]),  # a batch of one-hot rows
    ([[1, 0]], 1, [[0, 1, 0]]),  # a batch of one, a class index
    ([[1, 0]], [0, 1, 0], [[0, 1, 0]]),  # a batch of one, one-hot
    ([1, 0], [0.2, 0.3, 0.5], [[0.2, 0.3, 0.5]]),  # a probability vector
])
def test_cross_entropy_targets(x, y, expected):
    spec = tracegen.Spec.from_dict({
        "network": {"layers": [{"units": 3, "activation": "softmax", "W": [[1, 0], [0, 1], [1, 1]], "b": [0, 0, 0]}]},
        "loss": "cross_entropy",
        "data": {"x": x, "y": y},
    })
    np.testing.assert_array_equal(spec.y, expected)


@pytest.mark.parametrize(("x", "y", "expected"), [
    ([1, 0, 1], 1, [[1]]),
    ([1, 0, 1], [1], [[1]]),
    ([[1, 0, 1], [0, 1, 1]], [1, 0], [[1], [0]]),
    ([[1, 0, 1], [0, 1, 1]], [[1], [0]], [[1], [0]]),
    ([[1, 0, 1]], 1, [[1]]),
])
def test_single_output_targets(class3_dict, x, y, expected):
    class3_dict["data"] = {"x": x, "y": y}
    spec = tracegen.Spec.from_dict(class3_dict)
    np.testing.assert_array_equal(spec.y, expected)
    assert spec.flat == (np.ndim(x) == 1)


def test_bce_per_unit_sigmoid_outputs(class3_dict):
    layer(class3_dict, 1).update(units=2, W=[[1, -1], [0, 1]], b=[0, 0])
    class3_dict["data"]["y"] = [1, 0.25]
    spec = tracegen.Spec.from_dict(class3_dict)
    np.testing.assert_array_equal(spec.y, [[1, 0.25]])


def test_single_unit_shorthands(class3_dict):
    layer(class3_dict, 1).update(W=[1, -1], b=0)  # a row and a number for a one-unit layer
    spec = tracegen.Spec.from_dict(class3_dict)
    assert spec.layers[1].W.shape == (1, 2) and spec.layers[1].b.shape == (1,)


def test_frozen_biases_and_defaults(class3_dict):
    class3_dict["training"] = {"update": ["W"]}
    spec = tracegen.Spec.from_dict(class3_dict)
    assert spec.update == ("W",)
    assert (spec.learning_rate, spec.epochs, spec.optimizer) == (0.1, 1, "sgd")


def test_check_prints_a_summary(class3_dict, write_spec):
    class3_dict["data"] = {"x": [[1, 0, 1], [0, 1, 1]], "y": [1, 0]}
    result = CliRunner().invoke(cli, ["check", str(write_spec(class3_dict))])
    assert result.exit_code == 0
    assert result.stdout == "ok: Class 3: Training by Hand: 3-2-1 network, 2 samples, 3 epochs, loss bce\n"


def test_error_carries_key_and_problem():
    err = tracegen.SpecError("network.layers[1].W", "expected shape (1, 2), got (2, 2)", source="a.yaml")
    assert (err.key, err.problem) == ("network.layers[1].W", "expected shape (1, 2), got (2, 2)")
    assert str(err) == "a.yaml: network.layers[1].W: expected shape (1, 2), got (2, 2)"
    assert isinstance(err, tracegen.InputError)
    json.dumps(str(err))


def test_yaml_scientific_notation_is_a_number(class3_dict, write_spec):
    """PyYAML reads `1e-3` as text (YAML 1.1); specs get YAML 1.2's reading, a number."""
    text = write_spec(class3_dict).read_text()
    text = text.replace("learning_rate: 0.1", "learning_rate: 1e-1")
    text = text.replace("  - 0\n  - 1\n  y: 1", "  - 0\n  - 1E0\n  y: 1")  # x = [1, 0, 1E0]
    path = write_spec(text, name="sci")
    assert "learning_rate: 1e-1" in path.read_text() and "- 1E0\n  y: 1" in path.read_text()
    spec = tracegen.load_spec(path)
    assert spec.learning_rate == 0.1
    np.testing.assert_array_equal(spec.x, [[1, 0, 1]])
    assert tracegen.trace(spec).df.equals(tracegen.trace(tracegen.Spec.from_dict(class3_dict)).df)
    quoted = write_spec(text.replace("learning_rate: 1e-1", "learning_rate: '1e-1'"), name="quoted")
    with pytest.raises(tracegen.SpecError, match="training.learning_rate: expected a number, got the text '1e-1'"):
        tracegen.load_spec(quoted)
