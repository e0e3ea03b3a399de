"""Numbers too large to print (issue 20): a page shows at most 15 significant digits, so documents refuse
what would print nan, inf or 301 digits (tracegen.document.printable), check notes it, trace keeps it."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

import tracegen
from tracegen.cli import cli


@pytest.mark.parametrize(("layer", "shown"), [
    ({"units": 1, "activation": "linear", "W": [[1.2e154]], "b": [0]}, "W1 = 1.2e+154 in epoch 1"),  # was OverflowError
    ({"units": 1, "activation": "sigmoid", "W": [[1e300]], "b": [0]}, "W1 = 1e+300 in epoch 1"),  # was 301 digits
    ({"units": 2, "activation": "tanh", "W": [[1.0], [1e308]], "b": [0, 0]}, "W1 = 1e+308 in epoch 1"),  # was nan
])
def test_numbers_too_large_to_print_are_refused_by_documents_and_noted_by_check(tmp_path: Path, write_spec,
                                                                                layer: dict, shown: str) -> None:
    units = layer["units"]
    spec = {"network": {"layers": [layer, {"units": 1, "activation": "sigmoid", "W": [[1] * units], "b": [0]}]},
            "loss": "bce", "data": {"x": [1], "y": 1}}
    path = write_spec(spec)
    message = (f"network.layers[0].W: {shown} is too large to print: a page shows at most 15 significant digits "
               "(what float64 holds), so at display.decimals 3 every number must stay under 1e12; use smaller values "
               "or fewer decimals")
    check = CliRunner().invoke(cli, ["check", str(path)])
    assert check.exit_code == 0
    assert f"tracegen: note: {message} (render refuses it; batch draws its own values)\n" in check.stderr
    assert CliRunner().invoke(cli, ["trace", str(path), "-o", str(tmp_path / "t.csv")]).exit_code == 0
    render = CliRunner().invoke(cli, ["render", str(path), "--to", "md,html", "-o", str(tmp_path / "out")])
    assert (render.exit_code, render.stderr) == (2, f"tracegen: error: {path}: {message}\n")
    assert not (tmp_path / "out").exists()
    with pytest.raises(tracegen.SpecError, match="too large to print"):
        tracegen.key(tracegen.trace(path)).markdown()


def test_softmax_exponentials_are_bounded_too(write_spec) -> None:
    """The key prints e^z for a softmax layer: z = 1000 made render an OverflowError."""
    path = write_spec({"network": {"layers": [{"units": 2, "activation": "softmax", "W": [[1000], [0]],
                                               "b": [0, 0]}]}, "loss": "cross_entropy", "data": {"x": [1], "y": 0}})
    result = CliRunner().invoke(cli, ["render", str(path), "--to", "md", "-o", str(path.parent / "out")])
    assert result.exit_code == 2
    assert result.stderr.startswith(f"tracegen: error: {path}: network.layers[0]: e^z1 = e^1000 in epoch 1 is too "
                                    "large to print")


def test_the_largest_printable_values_print_in_full() -> None:
    """Just under the bound a key prints every digit, no exponent, no nan."""
    spec = {"network": {"layers": [{"units": 1, "activation": "linear", "W": [[999_999_999.5]], "b": [0]}]},
            "loss": "mse", "data": {"x": [1], "y": 999_999_999}, "training": {"learning_rate": 1e-30},
            "display": {"decimals": 3}}
    text = tracegen.key(tracegen.trace(spec)).markdown()
    assert "999999999.500" in text and "nan" not in text and "∞" not in text and "e+" not in text
