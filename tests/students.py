"""Simulated students for the grading and export tests: each works the exercise by the slides'
formulas, written here from the maths (nothing of tracegen's engine is called), at full precision or
carrying printed rounded values, optionally with one mistake; and the batches they answer."""

from __future__ import annotations

import copy
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
import yaml
from conftest import CLASS3

import tracegen
from tracegen import render
from tracegen.batching import run as batching
from tracegen.batching.run import Options

HALF = 0.0005  # half a unit of the 3rd decimal: the printed digit at display.decimals 3

DEEP: dict[str, Any] = {
    "title": "Deep batch",
    "network": {"layers": [{"units": 3, "activation": "relu"}, {"units": 3, "activation": "tanh"},
                           {"units": 2, "activation": "linear"}]},
    "loss": {"name": "mse", "scale": 0.5},
    "data": {"x": [[1, 0], [0, 1], [1, 1]], "y": [[1, 0], [0, 1], [1, 1]]},
    "training": {"learning_rate": 0.1, "epochs": 2},
    "display": {"decimals": 3},
    "variants": {"weights": {"values": [-1, -0.5, 0.5, 1]}, "biases": {"values": [-0.5, 0, 0.5]}},
}
SOFTMAX: dict[str, Any] = {
    "title": "Softmax",
    "network": {"layers": [{"units": 3, "activation": "relu"}, {"units": 3, "activation": "softmax"}]},
    "loss": "cross_entropy",
    "data": {"x": [[1, 0], [0, 1]], "y": [0, 2]},
    "training": {"learning_rate": 0.5, "epochs": 2},
    "display": {"decimals": 3},
    "variants": {"weights": {"values": [-1, 0, 1]}, "biases": {"values": [-1, 0, 1]}},
}
NETWORKS = {"class3": CLASS3, "deep": DEEP, "softmax": SOFTMAX}
# a batch whose every variant is the spec as written (the only draw is y from {1}, its own value)
SLIDES: dict[str, Any] = {"keep": ["W", "b"], "targets": {"values": [1]},
                          "constraints": {"distinct": False, "no_kinks": False}}


# --- a student who works the exercise by the slides' formulas ----------------------------

Mistake = Callable[[int, str, np.ndarray, dict[str, np.ndarray]], np.ndarray]


def _act(name: str, z: np.ndarray) -> np.ndarray:
    if name == "relu":
        return np.maximum(z, 0.0)
    if name == "sigmoid":
        return 1.0 / (1.0 + np.exp(-z))
    if name == "tanh":
        return np.tanh(z)
    if name == "softmax":
        e = np.exp(z - z.max(axis=1, keepdims=True))
        return e / e.sum(axis=1, keepdims=True)
    return z


def _slope(name: str, z: np.ndarray, h: np.ndarray) -> np.ndarray:
    """f'(z) for the elementwise activations: 1(z > 0), h(1 - h), 1 - h², 1."""
    return {"relu": (z > 0) * 1.0, "sigmoid": h * (1 - h), "tanh": 1 - h * h}.get(name, np.ones_like(z))


def _ids(epoch: int, name: str, shape: tuple[int, ...], per_sample: bool) -> list[str]:
    if per_sample:
        return [f"e{epoch}:{name}:{s}:{r}:0" for s in range(shape[0]) for r in range(shape[1])]
    if len(shape) == 2:
        return [f"e{epoch}:{name}:-1:{r}:{c}" for r in range(shape[0]) for c in range(shape[1])]
    return [f"e{epoch}:{name}:-1:{r}:0" for r in range(max(1, int(np.prod(shape))))]


class Student:
    """Works the exercise by the slides' formulas, writing each value rounded to `decimals`
    (None: not) and carrying what was written; `mistake(epoch, name, value, written)` may
    change one step, and the student carries on from what they wrote."""

    def __init__(self, spec: dict[str, Any], decimals: int | None, mistake: Mistake | None) -> None:
        layers = spec["network"]["layers"]
        self.acts = [layer["activation"] for layer in layers]
        self.x = np.atleast_2d(np.array(spec["data"]["x"], dtype=float))
        self.m, self.n, self.k = len(self.x), len(layers), layers[-1]["units"]
        self.y = np.array(spec["data"]["y"], dtype=float).reshape(self.m, -1)
        self.loss = spec["loss"] if isinstance(spec["loss"], str) else spec["loss"]["name"]
        if self.loss == "cross_entropy" and self.y.shape[1] == 1:  # class indices
            self.y = np.eye(self.k)[self.y[:, 0].astype(int)]
        self.W = [np.array(layer["W"], dtype=float).reshape(layer["units"], -1) for layer in layers]
        self.b = [np.array(layer["b"], dtype=float).reshape(-1) for layer in layers]
        self.rate = spec["training"]["learning_rate"]
        self.decimals, self.mistake = decimals, mistake
        self.sheet: dict[str, float] = {}
        self.c: dict[str, np.ndarray] = {}  # what the student wrote last, by name
        for epoch in range(1, spec["training"]["epochs"] + 1):
            self.epoch(epoch)

    def write(self, epoch: int, name: str, value: np.ndarray, per_sample: bool = False) -> np.ndarray:
        value = np.array(value, dtype=float)
        if self.mistake is not None:
            value = np.array(self.mistake(epoch, name, value, self.c), dtype=float)
        if self.decimals is not None:
            value = np.round(value, self.decimals)
        self.sheet.update(zip(_ids(epoch, name, value.shape, per_sample), value.ravel().tolist(), strict=True))
        self.c[name] = value
        return value

    def epoch(self, e: int) -> None:
        n = self.n
        self.c.update({f"{kind}{i}": p[i - 1] for i in range(1, n + 1) for kind, p in (("W", self.W), ("b", self.b))})
        hs, zs = [self.x], []
        for i in range(1, n + 1):  # z = W h + b, h = f(z), one row per sample
            zs.append(self.write(e, f"z{i}", hs[-1] @ self.W[i - 1].T + self.b[i - 1], True))
            hs.append(self.write(e, "y_hat" if i == n else f"h{i}", _act(self.acts[i - 1], zs[-1]), True))
        delta = self.losses(e, zs[-1], hs[-1])
        grads = {}
        for i in range(n, 0, -1):  # dW = δᵀ h, db = Σ δ, δ below = (δ W) ⊙ f'(z)
            delta = self.write(e, f"delta{i}", delta, True)
            grads[i] = (self.write(e, f"dW{i}", delta.T @ hs[i - 1]), self.write(e, f"db{i}", delta.sum(axis=0)))
            if i > 1:
                delta = (delta @ self.W[i - 1]) * _slope(self.acts[i - 2], zs[i - 2], hs[i - 1])
        for i in range(1, n + 1):  # W <- W - η dW
            self.W[i - 1] = self.write(e, f"W{i}", self.W[i - 1] - self.rate * grads[i][0])
            self.b[i - 1] = self.write(e, f"b{i}", self.b[i - 1] - self.rate * grads[i][1])

    def losses(self, e: int, z: np.ndarray, y_hat: np.ndarray) -> np.ndarray:
        """Write each sample's loss and L (their mean); return δ at the output (with the 1/m of the mean)."""
        y, k, m = self.y, self.k, self.m
        p = np.clip(y_hat, 1e-12, 1 - 1e-12)  # a ŷ outside (0, 1), after a mistake, still gives a number
        if self.loss == "bce":
            per, delta = -(y * np.log(p) + (1 - y) * np.log(1 - p)).mean(axis=1), (y_hat - y) / k
        elif self.loss == "cross_entropy":
            per, delta = -(y * np.log(p)).sum(axis=1), y_hat - y
        else:  # mse, scale 0.5, mean over outputs
            per, delta = 0.5 * ((y - y_hat) ** 2).mean(axis=1), (y_hat - y) / k * _slope(self.acts[-1], z, y_hat)
        if m > 1:
            per = self.write(e, "sample_loss", per[:, None], True)[:, 0]
        self.write(e, "L", per.mean())
        return delta / m


def work(spec: dict[str, Any], decimals: int | None = None, mistake: Mistake | None = None) -> dict[str, float]:
    """Every blank as `Student` writes it."""
    return Student(spec, decimals, mistake).sheet


def at(epoch: int, name: str, change: Callable[[np.ndarray, dict[str, np.ndarray]], np.ndarray]) -> Mistake:
    """A mistake in one step: `change(value, written so far)` replaces what the student writes there."""
    return lambda e, n, value, c: change(value, c) if (e, n) == (epoch, name) else value


# --- batches and grading ----------------------------------------------------------------


def make_batch(out: Path, spec: dict[str, Any], roster: Path | None = None, count: int = 3, seed: int = 1) -> Path:
    """A batch folder (documents faked: grading reads spec.yaml, manifest.csv and answers.csv)."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(render, "render_documents", lambda trace, kinds, formats, student=None, fillable=False: {
            (kind, fmt): b"document" for kind in kinds for fmt in formats})
        options = Options(count=None if roster else count, roster=roster, seed=seed, kinds=("key",),
                          formats=("md",), jobs=1)
        batching.run(batching.plan(tracegen.Spec.from_dict(copy.deepcopy(spec)), options), out, options)
    return out


def variant_specs(batch: Path) -> dict[str, dict[str, Any]]:
    ids = pd.read_csv(batch / "answers.csv", dtype={"variant": str})["variant"]
    return {v: yaml.safe_load((batch / v / "spec.yaml").read_text(encoding="utf-8")) for v in ids}


def key(batch: Path) -> pd.DataFrame:
    return pd.read_csv(batch / "answers.csv", dtype={"variant": str}).set_index("variant")


def sheets(batch: Path, **how: Any) -> pd.DataFrame:
    """One row per variant: the simulated student of that variant (`work(**how)`), as a responses table."""
    rows = [{"variant": v, **work(spec, **how)} for v, spec in variant_specs(batch).items()]
    return pd.DataFrame(rows)


def verdicts(detail: pd.DataFrame, variant: str) -> pd.Series:
    return detail[detail["variant"] == variant].set_index("blank")["verdict"]
