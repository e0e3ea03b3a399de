"""The maths as printed: LaTeX for each activation, loss and backprop rule of a spec.

The rules are derived for the spec's own activations and loss (not hard-coded to the
slides' ReLU/sigmoid/bce), in the slides' notation. Samples of a batch are the columns
of x, so the slides' column-vector formulas hold unchanged.
"""

from __future__ import annotations

from fractions import Fraction

import numpy as np

from tracegen.docmodel import Eq, Figure, Mat, Para, Piece, Section
from tracegen.spec import Activation, Spec
from tracegen.symbols import symbol

NAMES = {
    "relu": r"\text{ReLU}",
    "leaky_relu": r"\text{LReLU}",
    "sigmoid": r"\sigma",
    "tanh": r"\tanh",
    "softmax": r"\text{softmax}",
}
DEFINITIONS = {
    "relu": r"\text{ReLU}(z) = \max(0, z)",
    "leaky_relu": r"\text{LReLU}(z) = \max(\alpha z, z), \quad \alpha = {slope}",
    "sigmoid": r"\sigma(z) = \frac{1}{1 + e^{-z}}",
    "tanh": r"\tanh(z) = \frac{e^{z} - e^{-z}}{e^{z} + e^{-z}}",
    "linear": r"f(z) = z",
    "softmax": r"\text{softmax}(z)_{j} = \frac{e^{z_{j}}}{\sum_{i} e^{z_{i}}}",
}
LOSS_NAMES = {"bce": "binary cross-entropy", "mse": "mean squared error", "cross_entropy": "cross-entropy"}


def transposed(latex: str) -> str:
    """`W^{(2)}` -> `W^{(2)T}` (as the slides write it), `x` -> `x^{T}`."""
    if latex.endswith(")}") and "^{(" in latex:
        return latex[:-1] + "T}"
    return latex + "^{T}"


def output_symbol(spec: Spec, layer: int) -> str:
    return symbol("y_hat") if layer == len(spec.layers) else symbol(f"h{layer}")


def source_symbol(layer: int) -> str:
    return symbol("x") if layer == 1 else symbol(f"h{layer - 1}")


def apply(activation: Activation, argument: str) -> str:
    """f(z) in LaTeX; a linear layer passes z through."""
    if activation.name == "linear":
        return argument
    return f"{NAMES[activation.name]}({argument})"


def apply_to(activation: Activation, value: Mat) -> list[Piece]:
    """f applied to a substituted matrix, with delimiters that grow with it."""
    if activation.name == "linear":
        return [value]
    if value.scalar:
        return [NAMES[activation.name] + "(", value, ")"]
    return [NAMES[activation.name] + r"\left(", value, r"\right)"]


def coefficient(value: Fraction) -> str:
    """A constant factor in front of a formula: omitted when 1, a fraction when exact."""
    if value == 1:
        return ""
    if value.denominator == 1:
        return str(value.numerator)
    return rf"\frac{{{value.numerator}}}{{{value.denominator}}}"


def _batch_factor(spec: Spec) -> Fraction:
    return Fraction(1, spec.n_samples) if spec.loss.batch == "mean" else Fraction(1)


def sample_loss(spec: Spec) -> str:
    """The loss of one sample, as the slides write it (indices over outputs when there are several)."""
    k = spec.layers[-1].units
    loss = spec.loss
    if loss.name == "bce":
        if k == 1:
            return r"-\left[y \log \hat{y} + (1 - y) \log(1 - \hat{y})\right]"
        term = r"y_{j} \log \hat{y}_{j} + (1 - y_{j}) \log(1 - \hat{y}_{j})"
        return rf"-\frac{{1}}{{{k}}}\sum_{{j=1}}^{{{k}}}\left[{term}\right]"
    if loss.name == "cross_entropy":
        return rf"-\sum_{{j=1}}^{{{k}}} y_{{j}} \log \hat{{y}}_{{j}}"
    scale = Fraction(loss.scale).limit_denominator(1000)
    if k == 1:
        return coefficient(scale) + r"(y - \hat{y})^{2}"
    per = scale / k if loss.reduction == "mean" else scale
    return coefficient(per) + rf"\sum_{{j=1}}^{{{k}}} (y_{{j}} - \hat{{y}}_{{j}})^{{2}}"


def loss_formula(spec: Spec) -> list[Piece]:
    """L for the whole batch: the sample loss itself for one sample, else the mean (or sum) of ℓ_s."""
    m = spec.n_samples
    if m == 1:
        return [sample_loss(spec)]
    return [coefficient(_batch_factor(spec)) + rf"\sum_{{s=1}}^{{{m}}} \ell_{{s}}"]


def bce_substituted(y_hat: Mat, y: Piece) -> list[Piece]:
    """The slides' `-log(0.881)` for y = 1 (and `-log(1 - ŷ)` for y = 0), else the full form."""
    target = y.rows[0][0] if isinstance(y, Mat) and y.scalar else None
    if target == 1:
        return [r"-\log(", y_hat, ")"]
    if target == 0:
        return [r"-\log(1 -", y_hat, ")"]
    return [r"-\left[", y, r"\log(", y_hat, r") + (1 -", y, r") \log(1 -", y_hat, r")\right]"]


def _output_factor(spec: Spec) -> Fraction:
    k = spec.layers[-1].units
    loss = spec.loss
    if loss.name == "bce":
        return _batch_factor(spec) / k
    if loss.name == "cross_entropy":
        return _batch_factor(spec)
    per = Fraction(loss.scale).limit_denominator(1000) * 2
    return _batch_factor(spec) * (per / k if loss.reduction == "mean" else per)


def output_delta(spec: Spec) -> list[Piece]:
    """δ at the output for this loss and output activation."""
    n = len(spec.layers)
    factor = coefficient(_output_factor(spec))
    diff = rf"{factor}(\hat{{y}} - y)" if factor else r"\hat{y} - y"
    activation = spec.layers[-1].activation
    if spec.loss.name != "mse" or activation.name == "linear":
        return [diff]
    if activation.name == "softmax":
        return [r"\left(\operatorname{diag}(\hat{y}) - \hat{y}\hat{y}^{T}\right)" + rf"{factor}(\hat{{y}} - y)"]
    return [rf"{factor}(\hat{{y}} - y) \odot " + derivative_symbol(activation, n, output=True)]


def output_delta_substituted(spec: Spec, y_hat: Piece, y: Piece, slope: Piece | None) -> list[Piece]:
    """The output δ with numbers: `c([ŷ] - [y]) ⊙ [f'(z)]`; empty when nothing is substituted."""
    activation = spec.layers[-1].activation
    if not isinstance(y_hat, Mat) or (spec.loss.name == "mse" and activation.name == "softmax"):
        return []
    factor = coefficient(_output_factor(spec))
    tall = y_hat.nrows > 1
    left, right = (r"\left(", r"\right)") if tall else ("(", ")")
    pieces: list[Piece] = [factor + left, y_hat, "-", y, right] if factor else [y_hat, "-", y]
    if spec.loss.name == "mse" and activation.name != "linear" and slope is not None:
        if not factor:
            pieces = [left, *pieces, right]
        pieces += [r"\odot", slope]
    return pieces


def derivative_symbol(activation: Activation, layer: int, output: bool = False) -> str:
    """f'(z^{(l)}) in the slides' style: 1(z > 0) for ReLU, h ⊙ (1 - h) for sigmoid, ..."""
    z = symbol(f"z{layer}")
    h = symbol("y_hat") if output else symbol(f"h{layer}")
    return {
        "relu": rf"\mathbf{{1}}({z} > 0)",
        "leaky_relu": rf"\text{{LReLU}}'({z})",
        "sigmoid": rf"{h} \odot (1 - {h})",
        "tanh": rf"(1 - {h} \odot {h})",
        "linear": "1",
        "softmax": rf"\text{{softmax}}'({z})",
    }[activation.name]


def derivative_values(z: np.ndarray, h: np.ndarray, activation: Activation) -> np.ndarray | None:
    """f'(z) elementwise for the worked step (None for linear, which needs no factor, and softmax)."""
    name = activation.name
    if name == "relu":
        return (z > 0).astype(float)
    if name == "leaky_relu":
        return np.where(z > 0, 1.0, activation.slope)
    if name == "sigmoid":
        return h * (1.0 - h)
    if name == "tanh":
        return 1.0 - h * h
    return None


def hidden_delta(layer: int, activation: Activation) -> list[Piece]:
    """δ^{(l)} = (W^{(l+1)T} δ^{(l+1)}) ⊙ f'_l(z^{(l)})."""
    back = transposed(symbol(f"W{layer + 1}")) + " " + symbol(f"delta{layer + 1}")
    if activation.name == "linear":
        return [back]
    if activation.name == "softmax":
        return [rf"\left(\operatorname{{diag}}(h^{{({layer})}}) - h^{{({layer})}}h^{{({layer})T}}\right) {back}"]
    return [rf"\left({back}\right) \odot " + derivative_symbol(activation, layer)]


def hidden_delta_substituted(activation: Activation, weights: Piece, delta: Piece, slope: Piece | None) -> list[Piece]:
    """The hidden δ with numbers substituted; empty for softmax (its Jacobian is not expanded)."""
    if activation.name == "softmax":
        return []
    if activation.name == "linear" or slope is None:
        return [weights, delta]
    tall = any(isinstance(p, Mat) and p.nrows > 1 for p in (weights, delta))
    left, right = (r"\left(", r"\right)") if tall else ("(", ")")
    return [left, weights, delta, right, r"\odot", slope]


def givens_items(spec: Spec) -> list[object]:
    """The words that introduce the network (the numbers are added by the document)."""
    shape = "-".join(str(n) for n in (spec.n_inputs, *(layer.units for layer in spec.layers)))
    layers = "; ".join(
        f"layer {i} has {layer.units} unit{'s' if layer.units > 1 else ''} with {_activation_word(layer.activation)}"
        for i, layer in enumerate(spec.layers, start=1))
    samples = "one training sample" if spec.n_samples == 1 else \
        f"a batch of {spec.n_samples} samples (the columns of x)"
    return [
        Para((f"We train a {shape} network on {samples}: {layers}. "
              f"The loss is {LOSS_NAMES[spec.loss.name]}; SGD runs for {spec.epochs} "
              f"epoch{'s' if spec.epochs > 1 else ''}.",)),
        Figure("network"),
    ]


def _activation_word(activation: Activation) -> str:
    if activation.name == "leaky_relu":
        return f"leaky ReLU (slope {activation.slope:g})"
    return {"relu": "ReLU", "sigmoid": "sigmoid", "tanh": "tanh", "linear": "no activation (linear)",
            "softmax": "softmax"}[activation.name]


def forward_rules_section(spec: Spec) -> Section:
    """The slides' "Forward Pass" formulas, for every layer of this network."""
    items: list[object] = []
    for layer in range(1, len(spec.layers) + 1):
        activation = spec.layers[layer - 1].activation
        z = symbol(f"z{layer}")
        affine = rf"{z} = {symbol(f'W{layer}')}{source_symbol(layer)} + {symbol(f'b{layer}')}"
        items.append(Eq((rf"{affine}, \quad {output_symbol(spec, layer)} = {apply(activation, z)}",)))
    used = dict.fromkeys(layer.activation.name for layer in spec.layers)
    definitions = [(DEFINITIONS[name].replace("{slope}", _slope(spec)),) for name in used if name != "linear"]
    if definitions:
        separated = [part for d in definitions for part in (", ", d)][1:]
        items.append(Para(("where ", *separated, ".")))
    if spec.n_samples > 1:
        items.append(Para((f"The {spec.n_samples} samples are the columns of ", (symbol("x"),),
                           "; each bias is added to every column.",)))
    items.append(Para((f"For training we use {LOSS_NAMES[spec.loss.name]} loss:",)))
    if spec.n_samples > 1:
        items.append(Eq((r"\ell_{s} = " + sample_loss(spec) + r" \quad \text{for sample } s,",)))
    items.append(Eq(("L", "=", *loss_formula(spec))))
    return Section("Forward Pass", "forward", tuple(items))


def _slope(spec: Spec) -> str:
    slopes = [layer.activation.slope for layer in spec.layers if layer.activation.name == "leaky_relu"]
    return f"{slopes[0]:g}" if slopes else ""


def gradient_rules_section(spec: Spec) -> Section:
    """The slides' "Gradients" formulas, derived for this network's activations and loss."""
    n = len(spec.layers)
    m = spec.n_samples
    items: list[object] = [Para(("We compute gradients by backpropagation, from the output layer back.",))]
    items.append(Eq((symbol(f"delta{n}") + r" = \frac{\partial L}{\partial " + symbol(f"z{n}") + "}", "=",
                     *output_delta(spec))))
    for layer in range(n, 0, -1):
        delta = symbol(f"delta{layer}")
        bias = delta + (r" \mathbf{1}" if m > 1 else "")
        items.append(Eq((rf"{symbol(f'dW{layer}')} = {delta}{transposed(source_symbol(layer))}, \quad "
                         rf"{symbol(f'db{layer}')} = {bias}",)))
        if layer > 1:
            rule = hidden_delta(layer - 1, spec.layers[layer - 2].activation)
            items.append(Eq((symbol(f"delta{layer - 1}"), "=", *rule)))
    ones = (" and ", (r"\mathbf{1}",), " is a column of ones (it sums over the samples).") if m > 1 else (".",)
    items.append(Para(("where ", (r"\odot",), " is element-wise multiplication", *ones)))
    items.extend(_kink_rule(spec))
    items.append(Para(("Then each trained parameter takes an SGD step with learning rate ", (r"\eta",), ":")))
    items.append(Eq((r"W^{(l)} \leftarrow W^{(l)} - \eta \frac{\partial L}{\partial W^{(l)}}, \quad "
                     r"b^{(l)} \leftarrow b^{(l)} - \eta \frac{\partial L}{\partial b^{(l)}}",)))
    frozen = [kind for kind in ("W", "b") if kind not in spec.update]
    if frozen:
        items.append(Para((f"In this exercise {' and '.join(frozen)} {'is' if len(frozen) == 1 else 'are'} "
                           "frozen: its gradients are computed but it is not updated.",)))
    return Section("Gradients", "gradients", tuple(items))


def _kink_rule(spec: Spec) -> list[Para]:
    hidden = [layer.activation for layer in spec.layers[:-1]]
    slopes = ", ".join(dict.fromkeys(f"{act.slope:g}" for act in hidden if act.name == "leaky_relu"))
    rules = []
    if any(act.name == "relu" for act in hidden):
        rules.append(Para(("At the kink we take ", (r"\text{ReLU}'(0) = 0",), ", as the rule ",
                           (r"\mathbf{1}(z > 0)",), " says.")))
    if slopes:
        rules.append(Para(("For leaky ReLU with slope ", (rf"\alpha = {slopes}",), ", ",
                           (r"\text{LReLU}'(z) = 1",), " for ", (r"z > 0",), " and ", (r"\alpha",),
                           " otherwise (also at 0).")))
    return rules


def kink_note(spec: Spec, layer: int, sample: int, row: int) -> Para:
    """Key only: the pre-activation sits exactly on the kink, so its derivative is a convention."""
    activation = spec.layers[layer - 1].activation
    where = f" (sample {sample + 1})" if spec.n_samples > 1 else ""
    value = "0" if activation.name == "relu" else f"{activation.slope:g}"
    return Para(("Note: ", (f"{symbol(f'z{layer}')}_{{{row + 1}}} = 0",), where,
                 f" sits exactly on the kink of {_activation_word(activation)}. By the convention ",
                 (r"\mathbf{1}(z > 0)",) if activation.name == "relu" else "f′(0) = α",
                 f" its derivative there is {value}, so this unit passes "
                 + ("no gradient back." if activation.name == "relu" else "back only the slope."),), note=True)


def rounding_notes(latex: str, full: np.ndarray, hand: np.ndarray, decimals: int) -> tuple[Para, ...]:
    """Where carrying the printed (rounded) numbers changes a printed digit, tell the grader (one note per step)."""
    if np.array_equal(np.round(full, decimals), np.round(hand, decimals)):
        return ()
    shown = Mat(tuple(tuple(float(v) for v in row) for row in np.round(hand, decimals)))
    return (Para(("Grader: carrying the rounded numbers printed above gives ", (latex, "=", shown),
                  "; accept either.",), note=True),)
