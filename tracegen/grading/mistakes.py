"""Common mistakes, named where a wrong answer is recognisably one of them.

Each mistake is the step redone the wrong way, from the same inputs the student used (their
own earlier answers), with the engine's own functions: an answer within its tolerance of
that value is named. Specific mistakes are tried first, then a sign flip, then rounding
too early (right to one place less than asked). A transposed matrix is named only when
the whole matrix is the transpose, so one stray cell is never called transposed.
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np

from tracegen.batching.folder import Batch
from tracegen.engine.activations import unit
from tracegen.engine.order import Step, steps
from tracegen.engine.sgd import affine, delta_below, descend
from tracegen.grading.carry import Judged as Carried
from tracegen.grading.policy import Policy, within

Array = np.ndarray

# name -> (title for the class summary, message for the student)
MISTAKES: dict[str, tuple[str, str]] = {
    "forgot_activation": ("Forgot the activation", "Forgot the activation: this is z itself; apply f(z)."),
    "relu_kink": ("ReLU′(0) taken as 1", "ReLU′(0) taken as 1: at z = 0 the derivative is taken as 0, "
                  "the slides' 1(z > 0) (a leaky ReLU's: its slope)."),
    "learning_rate": ("Forgot the learning rate", "Forgot the learning rate: subtract η times the gradient, "
                      "not the gradient itself."),
    "batch_mean": ("Forgot the batch mean", "Forgot the batch mean: the sum over the samples was not divided "
                   "by their number."),
    "plus": ("Updated with + instead of −", "Updated with + instead of −: gradient descent subtracts η times "
             "the gradient."),
    "transposed": ("Transposed matrix", "Transposed matrix: rows and columns are swapped."),
    "sign": ("Sign flip", "Sign flip: the size is right, the sign is not."),
    "rounded_early": ("Rounded too early", "Rounded too early: close, but no careful way of working gives "
                      "this last digit; keep every printed decimal of the values you carry."),
    "from_zeros": ("Built on an answer of zeros (for a teacher)", "Not carried forward: this builds on an answer "
                   "that is all zeros where the key's is not, which makes the step trivial; a teacher will look."),
    "from_copy": ("Built on a copied given (for a teacher)", "Not carried forward: this builds on an answer that "
                  "copies a given (x, y or a starting parameter), which makes the step trivial; a teacher will look."),
    "from_scale": ("Built on an answer off by 100 times or more (for a teacher)", "Not carried forward: this "
                   "builds on an answer 100 or more times too large or too small; a teacher will look."),
}
REVIEW = ("from_zeros", "from_copy", "from_scale")  # a teacher decides these
CLOSE = 10.0  # "rounded too early": within this many tolerances, i.e. right to one place less


def name(batch: Batch, policy: Policy, carried: Carried, answers: Array, wrong: Array,
         centres: tuple[Array, ...]) -> Array:
    """(students, blanks) of mistake names, "" where none is recognised; only `wrong` cells are named.

    `centres` are the values an answer is measured against (key, hand, carried expectation),
    each (students, blanks), for the "rounded too early" check.
    """
    out = np.full(answers.shape, "", dtype=object)
    if not wrong.any():
        return out
    with np.errstate(all="ignore"):
        for step in steps(batch.spec):
            cells = batch.cells.get(step.key)
            if cells is None or not wrong[:, cells.columns].any():
                continue
            c = cells.columns
            given, mask = answers[:, c], wrong[:, c]
            expected = carried.expected[step.key].reshape(len(answers), -1)[:, cells.flat]
            for mistake, value, whole in redone(step, batch, carried):
                alt = value.reshape(len(answers), -1)[:, cells.flat]
                hit = within(given, alt, policy.halfwidths(alt, c))
                if whole:  # every answered cell of the quantity must fit
                    hit = (hit | np.isnan(given)).all(axis=1, keepdims=True) & hit
                _name(out, c, mask & hit, mistake)
            _name(out, c, mask & within(given, -expected, policy.halfwidths(expected, c))
                  & (np.abs(expected) > policy.halfwidths(expected, c)), "sign")
            near = np.zeros_like(mask)
            for centre in centres:
                near |= within(given, centre[:, c], CLOSE * policy.halfwidths(centre[:, c], c))
            _name(out, c, mask & near & policy.digits[c], "rounded_early")
    return out


def _name(out: Array, columns: Array, hit: Array, mistake: str) -> None:
    """Name `mistake` where it fits and no earlier (more specific) mistake was named."""
    block = out[:, columns]
    block[hit & (block == "")] = mistake
    out[:, columns] = block


def redone(step: Step, batch: Batch, carried: Carried) -> Iterator[tuple[str, Array, bool]]:
    """(mistake, the step's value made with it, whether it concerns the whole matrix) for `step`'s kind."""
    spec = batch.spec
    inputs = [carried.used[key] for key in step.inputs]
    kind = step.kind
    if kind == "activation" and spec.layers[step.layer - 1].activation.name != "linear":
        yield "forgot_activation", inputs[0], False
    elif kind == "affine" and _square(inputs[1]):
        h, W, b = inputs
        yield "transposed", affine(h, np.swapaxes(W, -1, -2), b), False
    elif kind == "delta":
        d, W, z, h = inputs
        act = unit(spec.layers[step.layer - 1].activation)
        if act.kink is not None:
            yield "relu_kink", delta_below(act, np.where(z == act.kink, act.kink + 1.0, z), h, d, W), False
        if _square(W):
            yield "transposed", delta_below(act, z, h, d, np.swapaxes(W, -1, -2)), False
    elif kind in ("delta_out", "L") and spec.n_samples > 1 and spec.loss.batch == "mean":
        yield "batch_mean", carried.expected[step.key] * spec.n_samples, False
    elif kind in ("W", "b") and kind in spec.update:
        value, grad = inputs
        if spec.learning_rate != 1:
            yield "learning_rate", descend(value, grad, 1.0, True), False
        yield "plus", descend(value, grad, -spec.learning_rate, True), False
    if kind in ("dW", "W") and min(carried.expected[step.key].shape[-2:]) > 1:
        expected = carried.expected[step.key]
        yield "transposed", np.swapaxes(expected, -1, -2).reshape(expected.shape), True


def _square(W: Array) -> bool:
    return W.shape[-1] == W.shape[-2] > 1
