"""Trace + kind -> the one document model every format renders (STYLE.md §7, §9).

A worksheet and its key differ only in data: every number goes through `_Book`, which in
a worksheet hands out givens (x, y, the first epoch's parameters, η) as numbers, answers
(the rows of `Trace.blanks()`) as blank cells shaped like the answer, and anything derived
from an answer as its symbol only. So no computed number enters a worksheet's context.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from tracegen import diagram, formulas
from tracegen.docmodel import Eq, Mat, Para, Piece, Section
from tracegen.handcalc import hand_trace
from tracegen.spec import Spec
from tracegen.symbols import symbol
from tracegen.tracing import BASE, Trace

KINDS = ("worksheet", "key")
MAX_STUDENT = 120


@dataclass(frozen=True)
class Document:
    """Everything a template may print, format-neutral (the `doc` name in templates)."""

    kind: str
    title: str
    variant: str
    student: str | None
    decimals: int
    diagram: diagram.Diagram
    givens: Section
    forward: Section
    example: Section
    gradients: Section
    epochs: tuple[Section, ...]
    losses: tuple[tuple[int, Mat], ...]
    chart: diagram.Chart | None

    @property
    def is_key(self) -> bool:
        return self.kind == "key"


class Printed:
    """Every quantity of one trace in print layout, looked up in O(1).

    Per-sample quantities become columns (units x samples), vectors a column, L a 1x1;
    W and dW keep (units x inputs). Laid out once from the trace's per-quantity arrays
    (`Trace.quantities`), the first variant's.
    """

    def __init__(self, trace: Trace) -> None:
        self.tables: dict[tuple[int, str, str], np.ndarray] = {}
        self.phases: dict[tuple[int, str], str] = {}
        for (epoch, phase, name), q in trace.quantities[trace.variants[0]].items():
            across = np.where(q.sample >= 0, q.sample, q.col)
            table = np.zeros((int(q.row.max()) + 1, int(across.max()) + 1))
            table[q.row, across] = q.value
            self.tables[(epoch, phase, name)] = table
            self.phases.setdefault((epoch, name), phase)

    def __call__(self, name: str, epoch: int, phase: str | None = None) -> np.ndarray:
        """A quantity as printed; `phase` defaults to the first one it appears in (params for W, b)."""
        return self.tables[(epoch, phase or self.phases[(epoch, name)], name)]


class _Book:
    """Hands out numbers, blanks or symbols depending on the document kind."""

    def __init__(self, trace: Trace, kind: str) -> None:
        self.trace = trace
        self.key = kind == "key"
        self.answers = trace.answers()
        self.printed = Printed(trace)
        self.hand = Printed(hand_trace(trace)) if self.key else None
        self.kinks: dict[tuple[int, str], list[tuple[int, int]]] = {}  # (epoch, z name) -> (sample, row)s
        kinks = trace.kinks
        for epoch, name, sample, row in zip(kinks["epoch"], kinks["name"], kinks["sample"], kinks["row"], strict=True):
            self.kinks.setdefault((int(epoch), name), []).append((int(sample), int(row)))

    def shown(self, name: str, epoch: int, phase: str | None = None) -> bool:
        """Key: everything. Worksheet: x, y and the first epoch's parameters, never an answer."""
        if self.key:
            return True
        phase = phase or ("params" if name[0] in "Wb" else "")
        return (epoch, phase, name) not in self.answers and _given(name, epoch, phase)

    def result(self, name: str, epoch: int, phase: str | None = None) -> Mat:
        """An answer: numbers in the key, blank cells shaped like it in the worksheet."""
        values = self.printed(name, epoch, phase)
        if self.key:
            return Mat(_rows(values), answer=True)
        return Mat(tuple(tuple(None for _ in row) for row in values), answer=True)

    def operand(self, name: str, epoch: int, phase: str | None = None, transpose: bool = False) -> Piece:
        """A value substituted into a formula: numbers when shown, else its symbol."""
        if not self.shown(name, epoch, phase):
            latex = symbol(name)
            return formulas.transposed(latex) if transpose else latex
        values = self.printed(name, epoch, phase)
        return Mat(_rows(values.T if transpose else values), exact=_given(name, epoch, phase))

    def notes(self, name: str, epoch: int, phase: str | None = None, latex: str | None = None) -> tuple[Para, ...]:
        """Grader notes where carrying printed (rounded) values changes a printed digit."""
        if self.hand is None:
            return ()
        full = self.printed(name, epoch, phase)
        hand = self.hand(name, epoch, phase)
        return formulas.rounding_notes(latex or symbol(name), full, hand, self.trace.spec.decimals)


def _given(name: str, epoch: int, phase: str | None) -> bool:
    """x, y and the first epoch's parameters: printed exactly as the spec gives them."""
    return name in ("x", "y") or (epoch == 1 and (phase or "params") == "params" and name[0] in "Wb")


def _rate(spec: Spec) -> Mat:
    """The learning rate η, a given: printed exactly as the spec writes it."""
    return Mat(((spec.learning_rate,),), exact=True)


def _rows(values: np.ndarray) -> tuple[tuple[float, ...], ...]:
    return tuple(tuple(float(v) for v in row) for row in np.atleast_2d(values))


def clean_student(student: str | None) -> str | None:
    """One line of at most MAX_STUDENT characters; escaping happens per format when rendering."""
    if student is None:
        return None
    text = " ".join(str(student).split())
    if len(text) > MAX_STUDENT:
        text = text[: MAX_STUDENT - 1] + "…"
    return text or None


def build(trace: Trace, kind: str, student: str | None = None) -> Document:
    """The document model of `trace` for `kind` ("worksheet" or "key")."""
    if kind not in KINDS:
        raise ValueError(f"kind must be one of {', '.join(KINDS)}, got {kind!r}")
    spec = trace.spec
    if spec is None:
        raise ValueError("rendering needs a Trace that carries its Spec (tracegen.trace(spec))")
    book = _Book(trace, kind)
    epochs = range(1, spec.epochs + 1)
    layers = range(1, len(spec.layers) + 1)
    return Document(
        kind=kind,
        title=spec.title,
        variant=trace.variants[0] if trace.variants else BASE,
        student=clean_student(student),
        decimals=spec.decimals,
        diagram=diagram.network([trace.matrix(f"W{i}", 1) for i in layers], [trace.matrix(f"b{i}", 1) for i in layers],
                                [layer.activation.name.replace("_", " ") for layer in spec.layers]),
        givens=_givens_section(spec, book),
        forward=formulas.forward_rules_section(spec),
        example=Section("Forward Pass Example", "forward-example",
                        (Para(("The forward pass of epoch 1 with the numbers substituted:",)),
                         *_forward(spec, book, 1))),
        gradients=formulas.gradient_rules_section(spec),
        epochs=tuple(_epoch_section(spec, book, epoch) for epoch in epochs),
        losses=tuple((e, book.result("L", e)) for e in epochs),
        chart=diagram.loss_chart([trace.value("L", e) for e in epochs]) if book.key else None,
    )


def _givens_section(spec: Spec, book: _Book) -> Section:
    """The network and everything given: x, y, W, b, η."""
    items: list[Any] = formulas.givens_items(spec)
    items.append(Para(("We have input",)))
    items.append(Eq((symbol("x"), "=", book.operand("x", 1), r",\quad", symbol("y"), "=", book.operand("y", 1))))
    items.append(Para(("and the parameters",)))
    for layer in range(1, len(spec.layers) + 1):
        items.append(Eq((symbol(f"W{layer}"), "=", book.operand(f"W{layer}", 1), r",\quad",
                         symbol(f"b{layer}"), "=", book.operand(f"b{layer}", 1))))
    items.append(Para(("Learning rate ", (r"\eta", "=", _rate(spec)), ".")))
    return Section("The Network", "network", tuple(items))


def _forward(spec: Spec, book: _Book, epoch: int) -> list[Any]:
    """Worked forward pass and loss of one epoch."""
    items: list[Any] = []
    for layer in range(1, len(spec.layers) + 1):
        items.append(_affine(book, epoch, layer))
        items.append(_activate(spec, book, epoch, layer))
        items.extend(_kink_notes(spec, book, epoch, layer))
    items.append(_loss(spec, book, epoch))
    return items


def _affine(book: _Book, epoch: int, layer: int) -> Eq:
    source = "x" if layer == 1 else f"h{layer - 1}"
    pieces: list[Piece] = [symbol(f"z{layer}"), "=", symbol(f"W{layer}") + symbol(source), "+", symbol(f"b{layer}")]
    operands = (book.operand(f"W{layer}", epoch), book.operand(source, epoch), book.operand(f"b{layer}", epoch))
    if any(isinstance(op, Mat) for op in operands):
        pieces += ["=", operands[0], operands[1], "+", operands[2]]
    pieces += ["=", book.result(f"z{layer}", epoch)]
    return Eq(tuple(pieces), book.notes(f"z{layer}", epoch, "forward"))


def _activate(spec: Spec, book: _Book, epoch: int, layer: int) -> Eq:
    out = "y_hat" if layer == len(spec.layers) else f"h{layer}"
    activation = spec.layers[layer - 1].activation
    pieces: list[Piece] = [symbol(out), "=", formulas.apply(activation, symbol(f"z{layer}"))]
    z = book.operand(f"z{layer}", epoch)
    if isinstance(z, Mat) and activation.name != "linear":
        pieces += ["=", *formulas.apply_to(activation, z)]
    pieces += ["=", book.result(out, epoch)]
    return Eq(tuple(pieces), book.notes(out, epoch, "forward"))


def _kink_notes(spec: Spec, book: _Book, epoch: int, layer: int) -> list[Para]:
    """Key only: point out pre-activations sitting exactly on a ReLU kink."""
    if not book.key:
        return []
    hits = book.kinks.get((epoch, f"z{layer}"), [])
    return [formulas.kink_note(spec, layer, sample, row) for sample, row in hits]


def _loss(spec: Spec, book: _Book, epoch: int) -> Eq:
    label = f"L_{{{epoch}}}"
    pieces: list[Piece] = [label, "=", *formulas.loss_formula(spec)]
    y_hat = book.operand("y_hat", epoch)
    if isinstance(y_hat, Mat) and y_hat.scalar and spec.loss.name == "bce":
        pieces += ["=", *formulas.bce_substituted(y_hat, book.operand("y", epoch))]
    pieces += ["=", book.result("L", epoch)]
    return Eq(tuple(pieces), book.notes("L", epoch, "loss", latex=label))


def _epoch_section(spec: Spec, book: _Book, epoch: int) -> Section:
    items: list[Any] = []
    if epoch == 1 and book.key:
        items.append(Para(("Forward pass gave ", (symbol("y_hat"), "=", book.operand("y_hat", 1)),
                           " and ", ("L_{1}", "=", book.operand("L", 1)), ".")))
    elif epoch == 1:
        items.append(Para(("The forward pass above gave ", (symbol("y_hat"),), " and ", ("L_{1}",), ".")))
    else:
        items.append(Para((f"Forward pass with the parameters updated in epoch {epoch - 1}:",)))
        items.extend(_forward(spec, book, epoch))
        items.append(_compare(book, epoch))
    items.append(Para(("Gradients:",)))
    items.extend(_backward(spec, book, epoch))
    items.append(Para(("Update parameters with ", (r"\eta", "=", _rate(spec)), ":")))
    items.extend(_updates(spec, book, epoch))
    return Section(f"Epoch {epoch}", f"epoch-{epoch}", tuple(items), page_break=True)


def _compare(book: _Book, epoch: int) -> Para:
    now, before = f"L_{{{epoch}}}", f"L_{{{epoch - 1}}}"
    if not book.key:
        return Para(("Compare ", (now,), " with ", (before,), ": has the loss decreased?"))
    drop = book.trace.value("L", epoch) < book.trace.value("L", epoch - 1)
    return Para(("Loss has decreased: " if drop else "Loss has not decreased: ",
                 (now, "<" if drop else r"\ge", before), "."))


def _backward(spec: Spec, book: _Book, epoch: int) -> list[Any]:
    n = len(spec.layers)
    items: list[Any] = [_output_delta(spec, book, epoch)]
    for layer in range(n, 0, -1):
        items.append(_weight_grad(book, epoch, layer))
        items.append(_bias_grad(spec, book, epoch, layer))
        if layer > 1:
            items.append(_hidden_delta(spec, book, epoch, layer - 1))
            items.extend(_kink_notes(spec, book, epoch, layer - 1))
    return items


def _slope(spec: Spec, book: _Book, epoch: int, layer: int, output: bool = False) -> Piece | None:
    """f'(z^{(l)}) for the worked step: numbers when z is shown, else the symbol."""
    activation = spec.layers[layer - 1].activation
    if not book.shown(f"z{layer}", epoch):
        return formulas.derivative_symbol(activation, layer, output)
    out = "y_hat" if output else f"h{layer}"
    values = formulas.derivative_values(book.printed(f"z{layer}", epoch), book.printed(out, epoch),
                                        activation)
    return None if values is None else Mat(_rows(values))


def _output_delta(spec: Spec, book: _Book, epoch: int) -> Eq:
    n = len(spec.layers)
    pieces: list[Piece] = [symbol(f"delta{n}"), "=", *formulas.output_delta(spec)]
    substituted = formulas.output_delta_substituted(spec, book.operand("y_hat", epoch), book.operand("y", epoch),
                                                    _slope(spec, book, epoch, n, output=True))
    if substituted:
        pieces += ["=", *substituted]
    pieces += ["=", book.result(f"delta{n}", epoch)]
    return Eq(tuple(pieces), book.notes(f"delta{n}", epoch, "backward"))


def _weight_grad(book: _Book, epoch: int, layer: int) -> Eq:
    source = "x" if layer == 1 else f"h{layer - 1}"
    pieces: list[Piece] = [symbol(f"dW{layer}"), "=", symbol(f"delta{layer}") + formulas.transposed(symbol(source))]
    delta, h = book.operand(f"delta{layer}", epoch), book.operand(source, epoch, transpose=True)
    if isinstance(delta, Mat) or isinstance(h, Mat):
        pieces += ["=", delta, h]
    pieces += ["=", book.result(f"dW{layer}", epoch)]
    return Eq(tuple(pieces), book.notes(f"dW{layer}", epoch, "backward"))


def _bias_grad(spec: Spec, book: _Book, epoch: int, layer: int) -> Eq:
    batch = spec.n_samples > 1
    pieces: list[Piece] = [symbol(f"db{layer}"), "=", symbol(f"delta{layer}") + (r"\mathbf{1}" if batch else "")]
    delta = book.operand(f"delta{layer}", epoch)
    if batch and isinstance(delta, Mat):
        pieces += ["=", delta, Mat(tuple((1.0,) for _ in range(spec.n_samples)))]
    pieces += ["=", book.result(f"db{layer}", epoch)]
    return Eq(tuple(pieces), book.notes(f"db{layer}", epoch, "backward"))


def _hidden_delta(spec: Spec, book: _Book, epoch: int, layer: int) -> Eq:
    activation = spec.layers[layer - 1].activation
    pieces: list[Piece] = [symbol(f"delta{layer}"), "=", *formulas.hidden_delta(layer, activation)]
    weights = book.operand(f"W{layer + 1}", epoch, transpose=True)
    delta = book.operand(f"delta{layer + 1}", epoch)
    if isinstance(weights, Mat) or isinstance(delta, Mat):
        substituted = formulas.hidden_delta_substituted(activation, weights, delta, _slope(spec, book, epoch, layer))
        pieces += ["=", *substituted] if substituted else []
    pieces += ["=", book.result(f"delta{layer}", epoch)]
    return Eq(tuple(pieces), book.notes(f"delta{layer}", epoch, "backward"))


def _updates(spec: Spec, book: _Book, epoch: int) -> list[Eq]:
    items = []
    rate = _rate(spec)
    for layer in range(len(spec.layers), 0, -1):
        for kind in ("W", "b"):
            name, grad = f"{kind}{layer}", f"d{kind}{layer}"
            if kind not in spec.update:
                pieces: list[Piece] = [symbol(name), r"\leftarrow", symbol(name), r"\quad\text{(frozen)}"]
            else:
                pieces = [symbol(name), r"\leftarrow", symbol(name), "-", r"\eta" + symbol(grad)]
                old, step = book.operand(name, epoch, "params"), book.operand(grad, epoch)
                if isinstance(old, Mat) or isinstance(step, Mat):
                    pieces += ["=", old, "-", rate, step]
            pieces += ["=", book.result(name, epoch, "update")]
            items.append(Eq(tuple(pieces), book.notes(name, epoch, "update")))
    return items
