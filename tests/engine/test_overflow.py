"""Training that overflows float64 (issue 20): one line naming the quantity, its epoch and the spec key to
change (the givens before the first update, the learning rate after it), the same from check, trace and render."""

from __future__ import annotations

import copy
from typing import Any

import pytest
from click.testing import CliRunner

from tracegen.cli import cli

LINEAR = {"network": {"layers": [{"units": 1, "activation": "linear", "W": [[1]], "b": [0]}]}, "loss": "mse",
          "data": {"x": [1], "y": 3}}


def linear(**changes: Any) -> dict:
    spec = copy.deepcopy(LINEAR)
    for key, value in changes.items():
        section, name = key.split("__")
        spec.setdefault(section, {})[name] = value
    return spec


@pytest.mark.parametrize(("spec", "message"), [
    (linear(data__y=1e200), "data.y: sample_loss overflows (beyond ±1.8e308) in epoch 1, before any update"),
    (linear() | {"loss": {"name": "mse", "scale": 1e308}},
     "loss.scale: sample_loss overflows (beyond ±1.8e308) in epoch 1, before any update"),
    (linear(data__x=[1e300]) | {"network": {"layers": [{"units": 1, "activation": "linear", "W": [[1e10]],
                                                       "b": [0]}]}},
     "network.layers[0]: z1 overflows (beyond ±1.8e308) in epoch 1, before any update"),
    (linear(training__learning_rate=1e200, training__epochs=3),
     "training.learning_rate: training diverged: sample_loss overflows (beyond ±1.8e308) in epoch 2, after the "
     "updates before it"),
])
def test_an_overflow_names_what_overflowed_when_and_the_key_to_change(write_spec, spec: dict, message: str) -> None:
    """"training diverged" named training.learning_rate even when y, loss.scale or W overflowed before any update."""
    path = write_spec(spec)
    for command in ("check", "trace", "render"):  # check trains as trace does: the three agree
        out = ["-o", str(path.parent / "out")] if command == "render" else []
        result = CliRunner().invoke(cli, [command, str(path), *out])
        assert result.exit_code == 2 and result.stderr.startswith(f"tracegen: error: {path}: {message}"), command
        assert result.stderr.count("\n") == 1
