"""The order of training, written once: every quantity of every epoch as a step of data.

A `Step` says which quantity it is (its trace key), which rule computes it (`kind`), from
which quantities (`inputs`) and whether a student writes it. `plan(spec)` lists the steps
in the order of the trace, which is the order a student computes them: per epoch the
parameters, the forward pass layer by layer, the loss, the output delta, then per layer
from the top its gradients and the delta below, then the updates.

The steps carry no arithmetic. Two evaluators run the same list:

- `engine.sgd.train` evaluates each kind in floats, vectorised over variants (the loss and
  the output delta from the logits z, numerically stable: this is the trace);
- `engine.hand` evaluates each kind in exact decimals on intervals, from what a student
  writes (the loss from ŷ), for the key's grader notes and error carried forward.

Steps of kind "given" only show a quantity the student is handed (x, y, and the
parameters at the start of an epoch, which are the previous epoch's update): the trace
lists them, the hand replay starts from them (`steps` leaves them out).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property, lru_cache

import numpy as np

from tracegen.spec.model import Spec

Array = np.ndarray
Key = tuple[int, str, str]  # (epoch, phase, name) as in the trace; the data are epoch 0
X: Key = (0, "given", "x")
Y: Key = (0, "given", "y")
GIVEN = "given"
PER_SAMPLE = ("affine", "activation", "sample_loss", "delta_out", "delta")
BLANK_ID = "e{epoch}:{name}:{sample}:{row}:{col}"  # a blank's id: answers.csv's column, an export's field


@dataclass(frozen=True)
class Step:
    """One quantity as a rule of the quantities it is computed from.

    `kind` says which rule: affine, activation, sample_loss, L, delta_out, delta, dW, db, W, b
    (the update), or "given" for a quantity shown as handed out (the grader names mistakes by
    kind); `layer` is the quantity's 1-based layer (0 for the loss and the data; for `delta`
    the layer of the delta computed); `written` whether a student writes it (a single
    sample's loss is L itself, so it is not). `logits`: what the float rule reads besides
    `inputs`, where a student works from ŷ and the engine from z, stable (the loss).
    """

    key: Key
    kind: str
    layer: int
    inputs: tuple[Key, ...]
    written: bool = True
    logits: tuple[Key, ...] = ()

    @cached_property
    def per_sample(self) -> bool:
        """Whether the quantity has a row per sample (samples, units)."""
        return self.kind in PER_SAMPLE or (self.kind == GIVEN and self.layer == 0)

    @cached_property
    def reads(self) -> tuple[Key, ...]:
        """Everything the float rule reads: `inputs`, then `logits`."""
        return self.inputs + self.logits


def givens(spec: Spec, params: list[tuple[Array, Array]], x: Array | None = None,
           y: Array | None = None) -> dict[Key, Array]:
    """What a student is given: x, y and the first epoch's parameters, keyed as the steps read them."""
    store = {X: spec.x if x is None else x, Y: spec.y if y is None else y}
    for i, (W, b) in enumerate(params, start=1):
        store[(1, "params", f"W{i}")] = W
        store[(1, "params", f"b{i}")] = b
    return store


def plan(spec: Spec) -> tuple[Step, ...]:
    """Every quantity of every epoch in the trace's order, givens shown included."""
    return _plan(len(spec.layers), spec.epochs, spec.n_samples > 1)


@lru_cache(maxsize=16)
def _plan(n: int, epochs: int, written_loss: bool) -> tuple[Step, ...]:
    """The plan of `n` layers over `epochs` (steps are frozen: shared by every spec of that shape)."""
    out: list[Step] = []
    for e in range(1, epochs + 1):
        k = _Keys(e, n)
        for i in range(1, n + 1):
            for kind in ("W", "b"):
                out.append(Step((e, "params", f"{kind}{i}"), GIVEN, i, (k.param(kind, i),)))
        out.append(Step((e, "forward", "x"), GIVEN, 0, (X,)))
        for i in range(1, n + 1):
            out.append(Step(k.z(i), "affine", i, (k.h(i - 1), k.param("W", i), k.param("b", i))))
            out.append(Step(k.h(i), "activation", i, (k.z(i),)))
        out.append(Step((e, "loss", "y"), GIVEN, 0, (Y, k.h(n))))
        out.append(Step(k.sample_loss, "sample_loss", 0, (k.h(n), Y), written_loss, (k.z(n),)))
        out.append(Step((e, "loss", "L"), "L", 0, (k.sample_loss,)))
        out.append(Step(k.delta(n), "delta_out", n, (k.z(n), k.h(n), Y)))
        for i in range(n, 0, -1):
            out.append(Step(k.grad("W", i), "dW", i, (k.delta(i), k.h(i - 1))))
            out.append(Step(k.grad("b", i), "db", i, (k.delta(i),)))
            if i > 1:
                out.append(Step(k.delta(i - 1), "delta", i - 1, (k.delta(i), k.param("W", i), k.z(i - 1), k.h(i - 1))))
        for i in range(1, n + 1):
            for kind in ("W", "b"):
                out.append(Step((e, "update", f"{kind}{i}"), kind, i, (k.param(kind, i), k.grad(kind, i))))
    return tuple(out)


def steps(spec: Spec) -> list[Step]:
    """The computed steps of `plan` (the givens left out): what a student works out, in order."""
    return [step for step in plan(spec) if step.kind != GIVEN]


@dataclass(frozen=True)
class _Keys:
    """The keys of epoch `e` of an `n`-layer network."""

    e: int
    n: int

    def param(self, kind: str, layer: int) -> Key:
        """W or b at the start of the epoch: a given in epoch 1, then the previous epoch's update."""
        return (1, "params", f"{kind}{layer}") if self.e == 1 else (self.e - 1, "update", f"{kind}{layer}")

    def z(self, layer: int) -> Key:
        return (self.e, "forward", f"z{layer}")

    def h(self, layer: int) -> Key:
        return X if layer == 0 else (self.e, "forward", "y_hat" if layer == self.n else f"h{layer}")

    @property
    def sample_loss(self) -> Key:
        return (self.e, "loss", "sample_loss")

    def delta(self, layer: int) -> Key:
        return (self.e, "backward", f"delta{layer}")

    def grad(self, kind: str, layer: int) -> Key:
        return (self.e, "backward", f"d{kind}{layer}")


def blank_id(epoch: int, name: str, sample: int, row: int, col: int) -> str:
    """The id of one blank: `e1:z1:0:1:0` is entry (row 1, col 0) of z1 for sample 0 in epoch 1
    (sample -1 for a quantity not per sample)."""
    return BLANK_ID.format(epoch=epoch, name=name, sample=sample, row=row, col=col)
