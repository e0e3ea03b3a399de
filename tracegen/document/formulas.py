"""The maths as printed: each activation, loss and backprop rule of a spec, as maths trees.

The rules are derived for the spec's own activations and loss (not hard-coded to the
slides' ReLU/sigmoid/bce), in the slides' notation. Samples of a batch are the columns
of x, so the slides' column-vector formulas hold unchanged. Sentences come from
`wording`; this module builds formulas only.
"""

from __future__ import annotations

from collections.abc import Sequence
from fractions import Fraction

import numpy as np

from tracegen.document import wording
from tracegen.document.model import Eq, Figure, Para, Section
from tracegen.maths.notation import PRIME, TRANSPOSE, Y_HAT, layered, symbol
from tracegen.maths.tree import (
    BigOp,
    Fence,
    Frac,
    Func,
    Ident,
    Matrix,
    Node,
    Num,
    Op,
    Row,
    Script,
    Space,
    Text,
    neg,
    paren,
    row,
)
from tracegen.spec.model import Activation, Spec

EQ, APPROX, PLUS, MINUS, ODOT = Op("=", "rel"), Op("≈", "rel"), Op("+"), Op("−"), Op("⊙")
ARROW, COMMA, QUAD = Op("←", "rel"), Op(",", "punct"), Space(1.0)
ONE, ETA, ALPHA, E = Num("1"), Ident("η"), Ident("α"), Ident("e")
INDICATOR = Ident("1", "bold")
NAMES: dict[str, Func | Ident] = {"relu": Func("ReLU"), "leaky_relu": Func("LReLU"), "sigmoid": Ident("σ"),
                          "tanh": Func("tanh"), "softmax": Func("softmax")}


def z(layer: int) -> Node:
    return symbol(f"z{layer}")


def output_symbol(spec: Spec, layer: int) -> Node:
    return symbol("y_hat") if layer == len(spec.layers) else symbol(f"h{layer}")


def source_symbol(layer: int, transpose: bool = False) -> Node:
    return symbol("x" if layer == 1 else f"h{layer - 1}", transpose)


def indicator(argument: Node) -> Row:
    """𝟏(argument > 0), the slides' ReLU derivative."""
    return row(INDICATOR, paren(row(argument, Op(">", "rel"), Num("0"))))


def prime(function: Node) -> Script:
    """f′."""
    return Script(function, sup=PRIME)


def apply(activation: Activation, argument: Node) -> Node:
    """f(argument); a linear layer passes it through."""
    if activation.name == "linear":
        return argument
    return row(NAMES[activation.name], paren(argument))


TRANSCENDENTAL = ("sigmoid", "tanh", "softmax")  # their results are rounded: the key writes ≈ before them


def _negated(number: Num) -> Num:
    """−(number) as printed: the sign flipped (0 stays 0)."""
    text = number.text
    if text.startswith("-"):
        return Num(text[1:])
    return number if set(text) <= {"0", "."} else Num("-" + text)


def written_out(activation: Activation, z: Matrix) -> Node | None:
    """σ(2) = 1/(1 + e^{−2}), tanh(a) = (e^a − e^{−a})/(e^a + e^{−a}): a single number's activation written out."""
    if z.shape != (1, 1) or activation.name not in ("sigmoid", "tanh") or not isinstance(z.rows[0][0], Num):
        return None
    value = z.rows[0][0]
    up, down = Script(E, sup=value), Script(E, sup=_negated(value))
    if activation.name == "sigmoid":
        return Frac(ONE, row(ONE, PLUS, down))
    return Frac(row(up, MINUS, down), row(up, PLUS, down))


def coefficient(value: Fraction) -> Node | None:
    """A constant factor in front of a formula: None when 1, a fraction when not whole."""
    if value == 1:
        return None
    if value.denominator == 1:
        return Num(str(value.numerator))
    return Frac(Num(str(value.numerator)), Num(str(value.denominator)))


def scaled(factor: Node | None, node: Node) -> Node:
    """factor · (node), or node alone when there is no factor."""
    return node if factor is None else row(factor, paren(node))


def _batch_factor(spec: Spec) -> Fraction:
    return Fraction(1, spec.n_samples) if spec.loss.batch == "mean" else Fraction(1)


def _indexed(letter: Node, index: str) -> Script:
    return Script(letter, sub=Ident(index))


def _sum(index: str, upper: int) -> BigOp:
    return BigOp("∑", row(Ident(index), EQ, ONE), Num(str(upper)))


def sample_loss(spec: Spec) -> Node:
    """The loss of one sample, as the slides write it (indices over outputs when there are several)."""
    k = spec.layers[-1].units
    loss = spec.loss
    y, y_hat = (Ident("y"), Y_HAT) if k == 1 else (_indexed(Ident("y"), "j"), _indexed(Y_HAT, "j"))
    if loss.name == "bce":
        term = row(y, Func("log"), y_hat, PLUS, paren(row(ONE, MINUS, y)), Func("log"), paren(row(ONE, MINUS, y_hat)))
        if k == 1:
            return neg(Fence("[", term, "]"))
        return neg(row(Frac(ONE, Num(str(k))), _sum("j", k), Fence("[", term, "]")))
    if loss.name == "cross_entropy":
        return neg(row(_sum("j", k), y, Func("log"), y_hat))
    scale = Fraction(loss.scale).limit_denominator(1000)
    square = Script(paren(row(y, MINUS, y_hat)), sup=Num("2"))
    if k == 1:
        return row(coefficient(scale) or (), square)
    per = scale / k if loss.reduction == "mean" else scale
    return row(coefficient(per) or (), _sum("j", k), square)


def loss_formula(spec: Spec) -> Node:
    """L for the whole batch: the sample loss itself for one sample, else the mean (or sum) of ℓ_s."""
    m = spec.n_samples
    if m == 1:
        return sample_loss(spec)
    return row(coefficient(_batch_factor(spec)) or (), _sum("s", m), _indexed(symbol("sample_loss"), "s"))


def _log(argument: Node) -> Row:
    return row(Func("log"), paren(argument))


def _summed(terms: Sequence[Node]) -> Node:
    """t1 + t2 + …, one term as itself."""
    out: list[Node] = []
    for term in terms:
        out += [PLUS, term] if out else [term]
    return out[0] if len(out) == 1 else row(out)


def sample_loss_substituted(spec: Spec, y_hat: Sequence[Node], y: Sequence[float], y_nodes: Sequence[Node]) -> Node:
    """One sample's loss with its numbers: the slides' −log(0.881) for y = 1, −log(1 − ŷ) for y = 0, …

    `y_hat` and `y_nodes` are the printed outputs and targets of the sample, `y` the targets' values.
    """
    loss, k = spec.loss, len(y_hat)
    if loss.name == "mse":
        squares = _summed([Script(paren(row(target, MINUS, out)), sup=Num("2")) for out, target in
                           zip(y_hat, y_nodes, strict=True)])
        scale = Fraction(loss.scale).limit_denominator(1000) / (k if loss.reduction == "mean" else 1)
        return scaled(coefficient(scale), squares) if k > 1 else row(coefficient(scale) or (), squares)
    terms = []
    for out, value, target in zip(y_hat, y, y_nodes, strict=True):
        if value == 1:
            terms.append(_log(out))
        elif value == 0 and loss.name == "bce":
            terms.append(_log(row(ONE, MINUS, out)))
        elif value != 0:
            cross = row(target, _log(out))
            terms.append(row(cross, PLUS, paren(row(ONE, MINUS, target)), _log(row(ONE, MINUS, out)))
                         if loss.name == "bce" else cross)
    total = _summed(terms or [Num("0")])
    if loss.name == "bce" and k > 1:
        return neg(row(Frac(ONE, Num(str(k))), Fence("[", total, "]")))
    return neg(total if len(terms) == 1 else Fence("[", total, "]"))


def batch_loss_substituted(spec: Spec, losses: Sequence[Node]) -> Node:
    """L from the samples' losses: (1/m)(ℓ₁ + ℓ₂ + …), or their sum."""
    return scaled(coefficient(_batch_factor(spec)), _summed(losses))


def sample_symbol(sample: int) -> Script:
    """ℓ_s of sample `sample` (1-based)."""
    return Script(symbol("sample_loss"), sub=Num(str(sample)))


def _output_factor(spec: Spec) -> Fraction:
    k = spec.layers[-1].units
    loss = spec.loss
    if loss.name == "bce":
        return _batch_factor(spec) / k
    if loss.name == "cross_entropy":
        return _batch_factor(spec)
    per = Fraction(loss.scale).limit_denominator(1000) * 2
    return _batch_factor(spec) * (per / k if loss.reduction == "mean" else per)


def _jacobian(h: Node) -> Fence:
    """diag(h) − h hᵀ, the softmax Jacobian."""
    transposed = (Script(h.base, sup=row(h.sup, TRANSPOSE) if h.sup is not None else TRANSPOSE)
                  if isinstance(h, Script) else Script(h, sup=TRANSPOSE))
    return paren(row(Func("diag"), paren(h), MINUS, h, transposed))


def output_delta(spec: Spec) -> Node:
    """δ at the output for this loss and output activation."""
    n = len(spec.layers)
    diff = scaled(coefficient(_output_factor(spec)), row(Y_HAT, MINUS, Ident("y")))
    activation = spec.layers[-1].activation
    if spec.loss.name != "mse" or activation.name == "linear":
        return diff
    if activation.name == "softmax":
        return row(_jacobian(Y_HAT), diff if isinstance(diff, Row) and len(diff.items) == 2 else paren(diff))
    return row(_grouped(diff), ODOT, derivative_symbol(activation, n, output=True))


def _grouped(node: Node) -> Node:
    """`node` as one factor: a difference gets its parentheses."""
    return node if isinstance(node, Row) and isinstance(node.items[-1], Fence) else paren(node)


def output_delta_substituted(spec: Spec, y_hat: Node, y: Node, slope: Node | None) -> Node | None:
    """The output δ with numbers: `c([ŷ] − [y]) ⊙ [f'(z)]`; None when nothing is substituted."""
    activation = spec.layers[-1].activation
    if not isinstance(y_hat, Matrix) or (spec.loss.name == "mse" and activation.name == "softmax"):
        return None
    diff = scaled(coefficient(_output_factor(spec)), row(y_hat, MINUS, y))
    if spec.loss.name == "mse" and activation.name != "linear" and slope is not None:
        return row(_grouped(diff), ODOT, slope)
    return diff


def derivative_symbol(activation: Activation, layer: int, output: bool = False) -> Node:
    """f'(z^{(l)}) in the slides' style: 1(z > 0) for ReLU, h ⊙ (1 − h) for sigmoid, ..."""
    h = symbol("y_hat") if output else symbol(f"h{layer}")
    name = activation.name
    if name == "relu":
        return indicator(z(layer))
    if name in ("leaky_relu", "softmax"):
        return row(prime(NAMES[name]), paren(z(layer)))
    if name == "sigmoid":
        return row(h, ODOT, paren(row(ONE, MINUS, h)))
    if name == "tanh":
        return paren(row(ONE, MINUS, h, ODOT, h))
    return ONE


def derivative_values(z_values: np.ndarray, h: np.ndarray, activation: Activation) -> np.ndarray | None:
    """f'(z) elementwise for the worked step (None for linear, which needs no factor, and softmax)."""
    name = activation.name
    if name == "relu":
        return (z_values > 0).astype(float)
    if name == "leaky_relu":
        return np.where(z_values > 0, 1.0, activation.slope)
    if name == "sigmoid":
        return h * (1.0 - h)
    if name == "tanh":
        return 1.0 - h * h
    return None


def hidden_delta(layer: int, activation: Activation) -> Node:
    """δ^{(l)} = (W^{(l+1)T} δ^{(l+1)}) ⊙ f'_l(z^{(l)})."""
    back = row(layered("W", layer + 1, transpose=True), symbol(f"delta{layer + 1}"))
    if activation.name == "linear":
        return back
    if activation.name == "softmax":
        return row(_jacobian(symbol(f"h{layer}")), back)
    return row(paren(back), ODOT, derivative_symbol(activation, layer))


def hidden_delta_substituted(activation: Activation, weights: Node, delta: Node, slope: Node | None) -> Node | None:
    """The hidden δ with numbers substituted; None for softmax (its Jacobian is not expanded)."""
    if activation.name == "softmax":
        return None
    if activation.name == "linear" or slope is None:
        return row(weights, delta)
    return row(paren(row(weights, delta)), ODOT, slope)


def givens_items(spec: Spec) -> list[object]:
    """The words that introduce the network (the numbers are added by the document)."""
    shape = "-".join(str(n) for n in (spec.n_inputs, *(layer.units for layer in spec.layers)))
    layers = wording.text("layer_join").join(
        wording.text("layer", index=i, units=wording.plural(wording.UNITS, layer.units),
                     activation=activation_word(layer.activation))
        for i, layer in enumerate(spec.layers, start=1))
    samples = wording.say("one_sample") if spec.n_samples == 1 else wording.say("batch", m=str(spec.n_samples),
                                                                                x=symbol("x"))
    return [
        wording.say("network", shape=shape, samples=samples, layers=layers,
                    loss=wording.LOSS_NAMES[spec.loss.name], epochs=wording.plural(wording.EPOCHS, spec.epochs)),
        Figure("network"),
    ]


def activation_word(activation: Activation) -> str:
    return wording.ACTIVATION_NAMES[activation.name].format(slope=f"{activation.slope:g}")


DEFINITIONS = {
    "relu": lambda a: row(Func("ReLU"), paren(Ident("z")), EQ, Func("max"), paren(row(Num("0"), COMMA, Ident("z")))),
    "leaky_relu": lambda a: row(Func("LReLU"), paren(Ident("z")), EQ, Func("max"),
                                paren(row(ALPHA, Ident("z"), COMMA, Ident("z"))), COMMA, QUAD, ALPHA, EQ,
                                Num(f"{a.slope:g}")),
    "sigmoid": lambda a: row(Ident("σ"), paren(Ident("z")), EQ,
                             Frac(ONE, row(ONE, PLUS, Script(E, sup=neg(Ident("z")))))),
    "tanh": lambda a: row(Func("tanh"), paren(Ident("z")), EQ,
                          Frac(row(Script(E, sup=Ident("z")), MINUS, Script(E, sup=neg(Ident("z")))),
                               row(Script(E, sup=Ident("z")), PLUS, Script(E, sup=neg(Ident("z")))))),
    "softmax": lambda a: row(Script(row(Func("softmax"), paren(Ident("z"))), sub=Ident("j")), EQ,
                             Frac(Script(E, sup=_indexed(Ident("z"), "j")),
                                  row(BigOp("∑", Ident("i")), Script(E, sup=_indexed(Ident("z"), "i"))))),
}


def forward_rules_section(spec: Spec) -> Section:
    """The slides' "Forward Pass" formulas, for every layer of this network."""
    items: list[object] = []
    for layer in range(1, len(spec.layers) + 1):
        activation = spec.layers[layer - 1].activation
        affine = row(z(layer), EQ, layered("W", layer), source_symbol(layer), PLUS, layered("b", layer))
        items.append(Eq((*affine.items, COMMA, QUAD, output_symbol(spec, layer), EQ, apply(activation, z(layer)))))
    used = {layer.activation.name: layer.activation for layer in spec.layers if layer.activation.name != "linear"}
    if used:
        definitions: list[Node] = []
        for name, activation in used.items():  # a display line: the definitions hold fractions
            definitions += [COMMA, QUAD, DEFINITIONS[name](activation)] if definitions else [
                DEFINITIONS[name](activation)]
        items += [wording.say("where"), Eq(tuple(definitions))]
    if spec.n_samples > 1:
        items.append(wording.say("columns", m=str(spec.n_samples), x=symbol("x")))
    logarithm = spec.loss.name in ("bce", "cross_entropy")  # log₁₀ would give other numbers: say which log
    items.append(wording.say("loss_intro_log" if logarithm else "loss_intro", loss=wording.LOSS_NAMES[spec.loss.name]))
    if spec.n_samples > 1:
        ell = _indexed(symbol("sample_loss"), "s")
        items.append(Eq((ell, EQ, sample_loss(spec), QUAD, Text(wording.text("for_sample")), Space(0.33), Ident("s"))))
    items.append(Eq((symbol("L"), EQ, loss_formula(spec))))
    return Section(wording.text("forward_title"), "forward", tuple(items))


def gradient_rules_section(spec: Spec) -> Section:
    """The slides' "Gradients" formulas, derived for this network's activations and loss."""
    n = len(spec.layers)
    m = spec.n_samples
    items: list[object] = [wording.say("backprop")]
    dl_dz = Frac(row(Ident("∂", "upright"), Ident("L")), row(Ident("∂", "upright"), z(n)))
    items.append(Eq((symbol(f"delta{n}"), EQ, dl_dz, EQ, output_delta(spec))))
    for layer in range(n, 0, -1):
        delta = symbol(f"delta{layer}")
        bias = row(delta, INDICATOR) if m > 1 else delta
        items.append(Eq((symbol(f"dW{layer}"), EQ, delta, source_symbol(layer, transpose=True), COMMA, QUAD,
                         symbol(f"db{layer}"), EQ, bias)))
        if layer > 1:
            rule = hidden_delta(layer - 1, spec.layers[layer - 2].activation)
            items.append(Eq((symbol(f"delta{layer - 1}"), EQ, rule)))
    if m > 1:
        items.append(wording.say("odot_ones", odot=ODOT, ones=INDICATOR))
    else:
        items.append(wording.say("odot", odot=ODOT))
    items.extend(_kink_rule(spec))
    items.append(wording.say("sgd", eta=ETA))
    step = [(kind, layered(kind, "l")) for kind in ("W", "b")]
    rules: list[Node] = []
    for i, (kind, param) in enumerate(step):
        rules += [COMMA, QUAD] if i else []
        rules += [param, ARROW, param, MINUS, ETA, gradient_of(kind, "l")]
    items.append(Eq(tuple(rules)))
    frozen = [kind for kind in ("W", "b") if kind not in spec.update]
    if frozen:
        items.append(wording.say("frozen", kinds=wording.text("and").join(frozen),
                                 verb=wording.text("frozen_is" if len(frozen) == 1 else "frozen_are")))
    return Section(wording.text("gradients_title"), "gradients", tuple(items))


def gradient_of(kind: str, layer: int | str) -> Frac:
    return Frac(row(Ident("∂", "upright"), Ident("L")), row(Ident("∂", "upright"), layered(kind, layer)))


def _kink_rule(spec: Spec) -> list[Para]:
    hidden = [layer.activation for layer in spec.layers[:-1]]
    slopes = list(dict.fromkeys(f"{act.slope:g}" for act in hidden if act.name == "leaky_relu"))
    rules = []
    if any(act.name == "relu" for act in hidden):
        rules.append(wording.say("relu_kink", rule=row(prime(Func("ReLU")),
                                                       paren(Num("0")), EQ, Num("0")),
                                 indicator=indicator(Ident("z"))))
    if slopes:
        value: list[Node] = []
        for i, slope in enumerate(slopes):
            value += [COMMA, Num(slope)] if i else [Num(slope)]
        rules.append(wording.say("leaky_rule", alpha=row(ALPHA, EQ, value),
                                 one=row(prime(Func("LReLU")), paren(Ident("z")), EQ,
                                         ONE),
                                 positive=row(Ident("z"), Op(">", "rel"), Num("0")), alpha_symbol=ALPHA))
    return rules


def kink_note(spec: Spec, layer: int, entry: Node, at: tuple[int, int], epoch: int, again: int | None = None
              ) -> Para:
    """Key only: the pre-activation `entry` (written as the grader notes write entries) sits exactly on the kink,
    so its derivative is a convention; `at` is its (unit, sample), 0-based.

    Said in full the first time; `again` (the epoch whose forward pass has that first note) gives the short form.
    """
    activation = spec.layers[layer - 1].activation
    relu = activation.name == "relu"
    z_entry = row(entry, EQ, Num("0"))
    where = wording.text("kink_where", unit=at[0] + 1, sample=at[1] + 1) if spec.n_samples > 1 else ""
    value = Num("0") if relu else Num(f"{activation.slope:g}")
    if again is not None:
        seen = wording.text("kink_seen_here") if again == epoch else wording.text("kink_seen_before", epoch=again)
        return wording.say("kink_again", note=True, z=z_entry, where=where, value=value, seen=seen)
    rule = indicator(Ident("z")) if relu else row(prime(NAMES[activation.name]), paren(Num("0")), EQ, ALPHA)
    passes = wording.say("kink_none") if relu else wording.say("kink_slope", value=value)
    return wording.say("kink_note", note=True, z=z_entry, activation=activation_word(activation), where=where,
                       rule=rule, value=value, passes=passes)
