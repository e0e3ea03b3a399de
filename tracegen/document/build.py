"""Trace + kind -> the one document model every format renders.

A worksheet and its key differ only in data: every number goes through `_Book`, which in
a worksheet hands out givens (x, y, the first epoch's parameters, η) as numbers, answers
(the rows of `Trace.blanks()`) as blank cells shaped like the answer, and anything derived
from an answer as its symbol only. So no computed number enters a worksheet's model.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import numpy as np

from tracegen.choices import KINDS
from tracegen.document import diagram, formulas, notes, printable, wording
from tracegen.document.cells import Digits
from tracegen.document.diagram import Chart, Diagram
from tracegen.document.formulas import APPROX, ARROW, EQ, ETA, MINUS, PLUS, QUAD
from tracegen.document.model import Eq, Para, Section, Working
from tracegen.document.notes import Notes
from tracegen.engine.order import blank_id
from tracegen.engine.trace import BASE, Trace
from tracegen.layout import WORKING_PER_LAYER
from tracegen.maths.notation import layer_tag, symbol
from tracegen.maths.tree import BigOp, Blank, Ident, Matrix, Node, Num, Op, Script, Text, row
from tracegen.numbers import format_numbers
from tracegen.spec.model import Spec
from tracegen.text import page_line

KIND_LABELS = {"worksheet": "Worksheet", "key": "Answer key", "solution": "Worked solution"}


@dataclass(frozen=True)
class DocumentModel:
    """Everything a template may print, format-neutral (the `doc` name in templates)."""

    kind: str
    title: str
    variant: str
    student: str | None
    decimals: int
    diagram: Diagram
    givens: Section
    forward: Section
    example: Section
    gradients: Section
    epochs: tuple[Section, ...]
    losses: tuple[tuple[int, Node], ...]
    chart: Chart | None

    @property
    def is_key(self) -> bool:
        """The answer key, for graders (a solution, for students, shows the same numbers without the notes)."""
        return self.kind == "key"

    @property
    def is_worksheet(self) -> bool:
        """Blanks where the answers go; the key and the solution fill them."""
        return self.kind == "worksheet"

    @property
    def kind_label(self) -> str:
        """What the document is, as its head and title say it."""
        return KIND_LABELS[self.kind]

    @property
    def who(self) -> str:
        """Whose copy it is: "Variant 35GF5M · name" (empty for the base spec without a student); plain text."""
        variant = [f"Variant {self.variant}"] if self.variant != "base" else []
        return " · ".join(variant + ([self.student] if self.student else []))

    @property
    def sections(self) -> tuple[Section, ...]:
        return (self.givens, self.forward, self.example, self.gradients, *self.epochs)


class Printed:
    """Every quantity of one trace in print layout, looked up in O(1).

    Per-sample quantities become columns (units x samples), vectors a column, L a 1x1;
    W and dW keep (units x inputs). Laid out once from the trace's per-quantity arrays
    (`Trace.quantities`), the first variant's.
    """

    def __init__(self, trace: Trace) -> None:
        self.tables: dict[tuple[int, str, str], np.ndarray] = {}
        self.phases: dict[tuple[int, str], str] = {}
        self.per_sample: set[tuple[int, str, str]] = set()
        for (epoch, phase, name), q in trace.quantities[trace.variants[0]].items():
            across = np.where(q.sample >= 0, q.sample, q.col)
            table = np.zeros((int(q.row.max()) + 1, int(across.max()) + 1))
            table[q.row, across] = q.value
            self.tables[(epoch, phase, name)] = table
            self.phases.setdefault((epoch, name), phase)
            if (q.sample >= 0).any():
                self.per_sample.add((epoch, phase, name))

    def __call__(self, name: str, epoch: int, phase: str | None = None) -> np.ndarray:
        """A quantity as printed; `phase` defaults to the first one it appears in (params for W, b)."""
        return self.tables[(epoch, phase or self.phases[(epoch, name)], name)]

    def ids(self, name: str, epoch: int, phase: str | None = None) -> np.ndarray:
        """Each printed entry's blank id (`order.blank_id`, answers.csv's columns)."""
        phase = phase or self.phases[(epoch, name)]
        rows, across = self.tables[(epoch, phase, name)].shape
        if (epoch, phase, name) in self.per_sample:
            cells = [[blank_id(epoch, name, s, r, 0) for s in range(across)] for r in range(rows)]
        else:
            cells = [[blank_id(epoch, name, -1, r, c) for c in range(across)] for r in range(rows)]
        return np.array(cells, dtype=object)


def numbers(values: np.ndarray, decimals: int | None, answer: bool = False) -> Matrix:
    """Values as a Matrix of printed numbers (all alike, tracegen.numbers); a 1x1 prints as a scalar."""
    values = np.atleast_2d(values)
    texts = format_numbers(values.ravel(), decimals)
    cols = values.shape[1]
    cells = tuple(tuple(Num(t, answer) for t in texts[i:i + cols]) for i in range(0, len(texts), cols))
    return Matrix(cells, answer=answer)


def blanks(ids: np.ndarray, decimals: int, digits: int = 0) -> Matrix:
    """Blank cells, one per blank id, shaped like the answer (a worksheet's), each with room for a sign, a
    digit, the point and `decimals` digits (the same for every blank: a box's size must not hint at its answer).
    `digits` > 0 (a paper-ready worksheet): each blank is a row of character cells with that many integer digits."""
    ids = np.atleast_2d(ids)
    return Matrix(tuple(tuple(Blank(decimals + 3, str(i), digits, decimals if digits else 0) for i in cells)
                        for cells in ids), answer=True)


class _Book:
    """Hands out numbers, blanks or symbols depending on the document kind.

    `solved`: every number shown (the key and the solution); grader notes only in the key.
    """

    def __init__(self, trace: Trace, kind: str, digits: Digits | None = None) -> None:
        assert trace.spec is not None, "a document is built from a trace of a spec"
        self.trace = trace
        self.digits = digits  # a paper-ready worksheet's integer-digit cells per quantity (`document.cells`)
        self.decimals = trace.spec.decimals
        self.kind = kind
        self.solved = kind != "worksheet"
        self.answers = trace.answers()
        self.printed = Printed(trace)
        self.grader = Notes(trace) if self.solved else None  # the key's and the solution's numbers
        self.graders = kind == "key"  # grader notes: the key only, never the solution
        self.places = self.decimals  # of computed operands on the line being built (`line`)
        if self.grader is not None:  # each exact value printed rounded half up (a float cannot tell a tie)
            for (epoch, phase, name), table in self.printed.tables.items():
                source = (epoch - 1, "update", name) if phase == "params" and epoch > 1 else (epoch, phase, name)
                if source in self.grader.plan:
                    self.printed.tables[(epoch, phase, name)] = self.grader.printed(source, table)
        self.kinks: dict[tuple[int, str], list[tuple[int, int]]] = {}  # (epoch, z name) -> (sample, row)s
        self.kink_seen: dict[tuple[int, int, int], int] = {}  # (layer, sample, row) -> epoch of its first note
        for kink in trace.kink_rows:
            self.kinks.setdefault((kink.epoch, kink.name), []).append((kink.sample, kink.row))

    def shown(self, name: str, epoch: int, phase: str | None = None) -> bool:
        """Key and solution: everything. Worksheet: x, y and the first epoch's parameters, never an answer."""
        if self.solved:
            return True
        phase = phase or ("params" if name[0] in "Wb" else "")
        return (epoch, phase, name) not in self.answers and _given(name, epoch, phase)

    def values(self, name: str, epoch: int, phase: str | None = None, column: int | None = None) -> np.ndarray:
        """A quantity as printed (units x samples for per-sample ones); `column` keeps one sample's column."""
        table = self.printed(name, epoch, phase)
        return table if column is None else table[:, column:column + 1]

    def result(self, name: str, epoch: int, phase: str | None = None, column: int | None = None) -> Matrix:
        """An answer: numbers in the key and the solution, blank cells shaped like it in the worksheet."""
        if self.solved:
            return numbers(self.values(name, epoch, phase, column), self.decimals, answer=True)
        ids = self.printed.ids(name, epoch, phase)
        cells = max(self.digits.get(name, 1), 1) if self.digits is not None else 0
        return blanks(ids if column is None else ids[:, column:column + 1], self.decimals, cells)

    def operand(self, name: str, epoch: int, phase: str | None = None, transpose: bool = False,
                column: int | None = None) -> Node:
        """A value substituted into a formula: numbers when shown, else its symbol. A computed one prints
        with the places its line needs (`line`): the line then checks from its printed numbers."""
        if not self.shown(name, epoch, phase):
            return symbol(name, transpose)
        if _given(name, epoch, phase):
            values, places = self.values(name, epoch, phase, column), None
        elif self.places == self.decimals or self.grader is None:
            values, places = self.values(name, epoch, phase, column), self.decimals
        else:
            table = self.grader.operand(self._source(name, epoch, phase), self.places)
            values, places = (table if column is None else table[:, column:column + 1]), self.places
        return numbers(values.T if transpose else values, places)

    def _source(self, name: str, epoch: int, phase: str | None) -> tuple[int, str, str]:
        """The step that computes a quantity as printed (a later epoch's W, b: the previous update)."""
        phase = phase or self.printed.phases[(epoch, name)]
        return (epoch - 1, "update", name) if phase == "params" else (epoch, phase, name)

    @contextmanager
    def line(self, name: str, epoch: int, phase: str, column: int | None = None) -> Iterator[None]:
        """Key only: within the block, computed operands print with the places the line of quantity
        `name` needs to compute to its printed digit (`Notes.places`)."""
        if self.grader is not None:
            self.places = self.grader.places((epoch, phase, name), column)
        try:
            yield
        finally:
            self.places = self.decimals

    def cells(self, name: str, epoch: int, column: int) -> list[Num]:
        """One sample's entries as printed numbers (for formulas written entry by entry); shown values only."""
        matrix = self.operand(name, epoch, column=column)
        assert isinstance(matrix, Matrix), f"{name} is not shown in this document"
        return [cells[0] for cells in matrix.rows]  # type: ignore[misc]

    def notes(self, name: str, epoch: int, phase: str | None = None, label: Node | None = None,
              column: int | None = None) -> tuple[Para, ...]:
        """Key only: where else a careful student's last digit may land on this line, and why (`notes`)."""
        if self.grader is None or not self.graders:
            return ()
        key = (epoch, phase or self.printed.phases[(epoch, name)], name)
        return self.grader.line(key, label or symbol(name), column)

    def gathered(self) -> tuple[Para, ...]:
        """Key only: the notes gathered since the last call (students carrying from the start)."""
        return () if self.grader is None or not self.graders else self.grader.gathered()


def _given(name: str, epoch: int, phase: str | None) -> bool:
    """x, y and the first epoch's parameters: printed exactly as the spec gives them."""
    return name in ("x", "y") or (epoch == 1 and (phase or "params") == "params" and name[0] in "Wb")


def _rate(spec: Spec) -> Node:
    """η = 0.1, a given: printed exactly as the spec writes it."""
    return row(ETA, EQ, numbers(np.array(spec.learning_rate), None))


def build(trace: Trace, kind: str, student: str | None = None, digits: Digits | None = None) -> DocumentModel:
    """The document model of `trace` for `kind` ("worksheet", "key" or "solution"). `digits` (a paper-ready
    worksheet's, `document.cells`): each blank a row of character cells, with this many integer digits per quantity."""
    if kind not in KINDS:
        raise ValueError(f"kind must be one of {', '.join(KINDS)}, got {kind!r}")
    spec = trace.spec
    if spec is None:
        raise ValueError("rendering needs a Trace that carries its Spec (tracegen.trace(spec))")
    printable.check(trace)
    book = _Book(trace, kind, digits)
    epochs = range(1, spec.epochs + 1)
    layers = range(1, len(spec.layers) + 1)
    return DocumentModel(
        kind=kind,
        title=spec.title,
        variant=trace.variants[0] if trace.variants else BASE,
        student=page_line(student),  # one line, no control characters; escaped per format later
        decimals=spec.decimals,
        diagram=diagram.network([trace.matrix(f"W{i}", 1) for i in layers], [trace.matrix(f"b{i}", 1) for i in layers],
                                [formulas.NAMES.get(layer.activation.name) for layer in spec.layers],
                                [formulas.activation_word(layer.activation) for layer in spec.layers]),
        givens=_givens_section(spec, book),
        forward=formulas.forward_rules_section(spec),
        example=Section(wording.text("example_title"), "forward-example",
                        (wording.say("example"), *_forward(spec, book, 1), *book.gathered(), *_working(spec, book))),
        gradients=formulas.gradient_rules_section(spec),
        epochs=tuple(_epoch_section(spec, book, epoch) for epoch in epochs),
        losses=tuple((e, book.result("L", e)) for e in epochs) if book.solved else (),  # a worksheet asks each once
        chart=diagram.loss_chart([trace.value("L", e) for e in epochs], spec.decimals)
        if book.solved and spec.epochs > 1 else None,  # one point is no chart: the table has it
    )


def _givens_section(spec: Spec, book: _Book) -> Section:
    """The network and everything given: x, y, W, b, η."""
    items: list[Any] = formulas.givens_items(spec)
    items.append(wording.say("input"))
    items.append(Eq((symbol("x"), EQ, book.operand("x", 1), formulas.COMMA, QUAD, symbol("y"), EQ,
                     book.operand("y", 1))))
    items.append(wording.say("parameters"))
    for layer in range(1, len(spec.layers) + 1):
        items.append(Eq((symbol(f"W{layer}"), EQ, book.operand(f"W{layer}", 1), formulas.COMMA, QUAD,
                         symbol(f"b{layer}"), EQ, book.operand(f"b{layer}", 1))))
    items.append(wording.say("rate", eta=_rate(spec)))
    items.append(wording.say(f"rounding_{book.kind}", decimals=str(spec.decimals)))
    if book.digits is not None:  # a paper-ready worksheet: its blanks are rows of cells
        items.append(wording.say("cells"))
    return Section(wording.text("network_title"), "network", tuple(items))


def _forward(spec: Spec, book: _Book, epoch: int) -> list[Any]:
    """Worked forward pass and loss of one epoch."""
    items: list[Any] = []
    for layer in range(1, len(spec.layers) + 1):
        items.append(_affine(book, epoch, layer))
        items.extend(_activate(spec, book, epoch, layer))
        items.extend(_kink_notes(spec, book, epoch, layer))
    items.extend(_loss(spec, book, epoch))
    return items


def _affine(book: _Book, epoch: int, layer: int) -> Eq:
    source = "x" if layer == 1 else f"h{layer - 1}"
    items: list[Node] = [symbol(f"z{layer}"), EQ, symbol(f"W{layer}"), symbol(source), PLUS, symbol(f"b{layer}")]
    with book.line(f"z{layer}", epoch, "forward"):
        operands = (book.operand(f"W{layer}", epoch), book.operand(source, epoch), book.operand(f"b{layer}", epoch))
    if any(isinstance(op, Matrix) for op in operands):
        items += [EQ, operands[0], operands[1], PLUS, operands[2]]
    items += [EQ, book.result(f"z{layer}", epoch)]
    return Eq(tuple(items), book.notes(f"z{layer}", epoch, "forward"))


def _activate(spec: Spec, book: _Book, epoch: int, layer: int) -> list[Eq]:
    """h = f(z) with z's numbers substituted; σ and tanh of a number written out, softmax's exponentials shown."""
    out = "y_hat" if layer == len(spec.layers) else f"h{layer}"
    activation = spec.layers[layer - 1].activation
    items: list[Node] = [symbol(out), EQ, formulas.apply(activation, symbol(f"z{layer}"))]
    with book.line(out, epoch, "forward"):
        z = book.operand(f"z{layer}", epoch)
    lines: list[Eq] = []
    rounded = activation.name in formulas.TRANSCENDENTAL
    if isinstance(z, Matrix) and activation.name == "softmax":
        lines = _softmax_work(book, epoch, layer)
    elif isinstance(z, Matrix) and activation.name != "linear":
        items += [EQ, formulas.apply(activation, z)]
        written = formulas.written_out(activation, z)
        items += [EQ, written] if written is not None else []
    relation = APPROX if rounded and isinstance(z, Matrix) else EQ
    return [*lines, Eq((*items, relation, book.result(out, epoch)), book.notes(out, epoch, "forward"))]


def _softmax_work(book: _Book, epoch: int, layer: int) -> list[Eq]:
    """The exponentials of z and each sample's normaliser, before ŷ (key only: they come from z)."""
    exps = np.exp(np.round(book.values(f"z{layer}", epoch), book.decimals))  # of z as printed
    e_z = Script(formulas.E, sup=symbol(f"z{layer}"))
    z_j = Script(Ident("z"), sup=layer_tag(layer), sub=Ident("j"))
    total = row(BigOp("∑", Ident("j")), Script(formulas.E, sup=z_j))
    return [Eq((e_z, APPROX, numbers(exps, book.decimals))),
            Eq((total, APPROX, numbers(exps.sum(axis=0, keepdims=True), book.decimals)))]


def _kink_notes(spec: Spec, book: _Book, epoch: int, layer: int) -> list[Para]:
    """Key only: point out pre-activations sitting exactly on a ReLU kink (in full once, then briefly)."""
    if not book.solved:
        return []
    found = []
    for sample, row_ in book.kinks.get((epoch, f"z{layer}"), []):
        first = book.kink_seen.get((layer, sample, row_))
        book.kink_seen.setdefault((layer, sample, row_), epoch)
        entry = notes.entry(symbol(f"z{layer}"), (spec.layers[layer - 1].units, spec.n_samples), row_, sample)
        found.append(formulas.kink_note(spec, layer, entry, (row_, sample), epoch, again=first))
    return found


def _loss(spec: Spec, book: _Book, epoch: int) -> list[Eq]:
    """The loss of each sample (in a batch), then the batch loss L from them, worked as on the slides."""
    label, m = _loss_label(epoch), spec.n_samples
    worked = book.shown("y_hat", epoch)
    if m == 1:
        items: list[Node] = [label, EQ, formulas.loss_formula(spec)]
        if worked:
            with book.line("L", epoch, "loss"):
                items += [EQ, _sample_loss_substituted(spec, book, epoch, 0), APPROX]
        else:
            items.append(EQ)
        return [Eq((*items, book.result("L", epoch)), book.notes("L", epoch, "loss", label=label))]
    lines = []
    for sample in range(m):
        ell = formulas.sample_symbol(sample + 1)
        with book.line("sample_loss", epoch, "loss", column=sample):
            work: list[Node] = [EQ, _sample_loss_substituted(spec, book, epoch, sample), APPROX] if worked else [EQ]
        lines.append(Eq((ell, *work, book.result("sample_loss", epoch, column=sample)),
                        book.notes("sample_loss", epoch, "loss", label=ell, column=sample)))
    items = [label, EQ, formulas.loss_formula(spec)]
    if book.shown("sample_loss", epoch):
        with book.line("L", epoch, "loss"):
            losses = [cell for s in range(m) for cell in book.cells("sample_loss", epoch, s)]
        items += [EQ, formulas.batch_loss_substituted(spec, losses)]
    lines.append(Eq((*items, EQ, book.result("L", epoch)), book.notes("L", epoch, "loss", label=label)))
    return lines


def _sample_loss_substituted(spec: Spec, book: _Book, epoch: int, sample: int) -> Node:
    y_values = book.values("y", epoch, column=sample)[:, 0]
    return formulas.sample_loss_substituted(spec, book.cells("y_hat", epoch, sample), list(y_values),
                                            book.cells("y", epoch, sample))


def _loss_label(epoch: int) -> Node:
    return Script(symbol("L"), sub=Num(str(epoch)))


def _epoch_section(spec: Spec, book: _Book, epoch: int) -> Section:
    items: list[Any] = []
    if epoch == 1 and book.solved:
        items.append(wording.say("forward_gave", y_hat=row(symbol("y_hat"), EQ, book.operand("y_hat", 1)),
                                 loss=row(_loss_label(1), EQ, book.operand("L", 1))))
    elif epoch == 1:
        items.append(wording.say("forward_above", y_hat=symbol("y_hat"), loss=_loss_label(1)))
    else:
        items.append(wording.say("forward_again", previous=str(epoch - 1)))
        items.extend(_forward(spec, book, epoch))
        items.append(_compare(book, epoch))
        items.extend(_working(spec, book))
    items.append(wording.say("gradients"))
    items.extend(_backward(spec, book, epoch))
    items.extend(_working(spec, book))
    items.append(wording.say("update", eta=_rate(spec)))
    items.extend(_updates(spec, book, epoch))
    items.extend(book.gathered())
    title = wording.text("first_epoch_title") if epoch == 1 else wording.text("epoch_title", epoch=epoch)
    return Section(title, f"epoch-{epoch}", tuple(items), epoch=True)


def _working(spec: Spec, book: _Book) -> list[Working]:
    """Worksheets: room to work out the pass just asked for, unless the spec turns it off."""
    return [Working(WORKING_PER_LAYER * len(spec.layers))] if spec.working_space and not book.solved else []


def _compare(book: _Book, epoch: int) -> Para:
    now, before = _loss_label(epoch), _loss_label(epoch - 1)
    if not book.solved:
        return wording.say("compare", now=now, before=before)
    drop = book.trace.value("L", epoch) < book.trace.value("L", epoch - 1)
    relation = row(now, Op("<", "rel") if drop else Op("≥", "rel"), before)
    return wording.say("decreased" if drop else "not_decreased", relation=relation)


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


def _slope(spec: Spec, book: _Book, epoch: int, layer: int, output: bool = False) -> Node | None:
    """f'(z^{(l)}) for the worked step: numbers when z is shown, else the symbol."""
    activation = spec.layers[layer - 1].activation
    if not book.shown(f"z{layer}", epoch):
        return formulas.derivative_symbol(activation, layer, output)
    out = "y_hat" if output else f"h{layer}"
    if book.grader is not None:  # from z and h as printed on the line, to the line's places: the line checks
        exact_values = book.grader.slope(activation, (epoch, "forward", f"z{layer}"), (epoch, "forward", out),
                                         book.places)
        return None if exact_values is None else numbers(exact_values, book.places)
    values = formulas.derivative_values(book.printed(f"z{layer}", epoch), book.printed(out, epoch), activation)
    return None if values is None else numbers(values, book.decimals)


def _output_delta(spec: Spec, book: _Book, epoch: int) -> Eq:
    n = len(spec.layers)
    items: list[Node] = [symbol(f"delta{n}"), EQ, formulas.output_delta(spec)]
    with book.line(f"delta{n}", epoch, "backward"):
        substituted = formulas.output_delta_substituted(spec, book.operand("y_hat", epoch), book.operand("y", epoch),
                                                        _slope(spec, book, epoch, n, output=True))
    if substituted is not None:
        items += [EQ, substituted]
    items += [EQ, book.result(f"delta{n}", epoch)]
    return Eq(tuple(items), book.notes(f"delta{n}", epoch, "backward"))


def _weight_grad(book: _Book, epoch: int, layer: int) -> Eq:
    source = "x" if layer == 1 else f"h{layer - 1}"
    items: list[Node] = [symbol(f"dW{layer}"), EQ, symbol(f"delta{layer}"), symbol(source, transpose=True)]
    with book.line(f"dW{layer}", epoch, "backward"):
        delta, h = book.operand(f"delta{layer}", epoch), book.operand(source, epoch, transpose=True)
    if isinstance(delta, Matrix) or isinstance(h, Matrix):
        items += [EQ, delta, h]
    items += [EQ, book.result(f"dW{layer}", epoch)]
    return Eq(tuple(items), book.notes(f"dW{layer}", epoch, "backward"))


def _bias_grad(spec: Spec, book: _Book, epoch: int, layer: int) -> Eq:
    batch = spec.n_samples > 1
    items: list[Node] = [symbol(f"db{layer}"), EQ, symbol(f"delta{layer}")]
    if batch:
        items.append(formulas.INDICATOR)
    with book.line(f"db{layer}", epoch, "backward"):
        delta = book.operand(f"delta{layer}", epoch)
    if batch and isinstance(delta, Matrix):
        items += [EQ, delta, numbers(np.ones((spec.n_samples, 1)), None)]
    items += [EQ, book.result(f"db{layer}", epoch)]
    return Eq(tuple(items), book.notes(f"db{layer}", epoch, "backward"))


def _hidden_delta(spec: Spec, book: _Book, epoch: int, layer: int) -> Eq:
    activation = spec.layers[layer - 1].activation
    items: list[Node] = [symbol(f"delta{layer}"), EQ, formulas.hidden_delta(layer, activation)]
    with book.line(f"delta{layer}", epoch, "backward"):
        weights = book.operand(f"W{layer + 1}", epoch, transpose=True)
        delta = book.operand(f"delta{layer + 1}", epoch)
        slope = _slope(spec, book, epoch, layer)
    if isinstance(weights, Matrix) or isinstance(delta, Matrix):
        substituted = formulas.hidden_delta_substituted(activation, weights, delta, slope)
        items += [EQ, substituted] if substituted is not None else []
    items += [EQ, book.result(f"delta{layer}", epoch)]
    return Eq(tuple(items), book.notes(f"delta{layer}", epoch, "backward"))


def _updates(spec: Spec, book: _Book, epoch: int) -> list[Eq]:
    items = []
    rate = numbers(np.array(spec.learning_rate), None)
    for layer in range(len(spec.layers), 0, -1):
        for kind in ("W", "b"):
            name, grad = f"{kind}{layer}", f"d{kind}{layer}"
            if kind not in spec.update:
                pieces: list[Node] = [symbol(name), ARROW, symbol(name), QUAD, Text(wording.text("frozen_step"))]
            else:
                pieces = [symbol(name), ARROW, symbol(name), MINUS, ETA, symbol(grad)]
                with book.line(name, epoch, "update"):
                    old, step = book.operand(name, epoch, "params"), book.operand(grad, epoch)
                if isinstance(old, Matrix) or isinstance(step, Matrix):
                    pieces += [EQ, old, MINUS, rate, step]
            pieces += [EQ, book.result(name, epoch, "update")]
            items.append(Eq(tuple(pieces), book.notes(name, epoch, "update")))
    return items
