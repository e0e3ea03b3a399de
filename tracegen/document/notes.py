"""The key's grader notes: every other value a careful student can write on a line, and why.

They come from the careful-student model (`tracegen.engine.hand`), the one `tracegen grade`
judges by. Reasons said on the line itself: a tie (the exact value sits halfway; the key
rounds half up, half to even is accepted too), and the rounded numbers printed above
carried into the step. Students who carry their own rounded results from the start drift
from the key step by step, so their values are gathered into one note per section rather
than repeated on every line. A note never names a value no careful student writes.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal

import numpy as np

from tracegen.document import wording
from tracegen.document.model import Para
from tracegen.engine import exact, hand
from tracegen.engine.exact import Ival
from tracegen.engine.hand import Paths
from tracegen.engine.order import Key, givens
from tracegen.engine.trace import Trace
from tracegen.maths.notation import symbol
from tracegen.maths.tree import Accent, Fence, Ident, Node, Num, Op, Script, row
from tracegen.numbers import format_numbers
from tracegen.spec.model import Activation

EQ = Op("=", "rel")
Found = tuple[int, int, Decimal, Decimal]  # row, column, the value written, the path's value before rounding
Item = Node | tuple[Node, str]  # an entry of a note: `z = 0.5`, and words after it
ON_THE_LINE = ("tie", "line")
GATHERED = ("up", "even")


def layout(value: np.ndarray, per_sample: bool) -> np.ndarray:
    """A quantity from the engine's shape to print layout: samples become columns, b a column, L 1x1."""
    table = value.reshape(-1, 1) if value.ndim == 1 else np.atleast_2d(value)
    return table.T if per_sample else table


def first_params(trace: Trace) -> list[tuple[np.ndarray, np.ndarray]]:
    spec = trace.spec
    assert spec is not None, "grader notes need the trace's spec"
    return [(np.asarray(trace.matrix(f"W{i}", 1)), np.asarray(trace.matrix(f"b{i}", 1)))
            for i in range(1, len(spec.layers) + 1)]


class Notes:
    """The careful paths of one trace's first variant, in print layout, and the notes made from them."""

    def __init__(self, trace: Trace) -> None:
        spec = trace.spec
        assert spec is not None, "grader notes need the trace's spec"
        self.decimals = spec.decimals
        self.paths: Paths = hand.paths(spec, givens(spec, first_params(trace)))
        self.plan = {step.key: step for step in self.paths.steps}
        self.pending: dict[str, list[Item]] = {reason: [] for reason in GATHERED}

    def _table(self, values: dict[Key, np.ndarray], key: Key) -> np.ndarray:
        return layout(values[key], self.plan[key].per_sample)

    def printed(self, key: Key, floats: np.ndarray) -> np.ndarray:
        """The engine's `floats` (print layout) with every entry that would print otherwise than the exact
        value rounded half up replaced by that rounding (a float cannot tell a decimal tie)."""
        with exact.precise():
            shown = exact.rounded(self._table(self.paths.exact, key), self.decimals)
        out = np.array(floats, dtype=float)
        for index, value in np.ndenumerate(shown):
            if value.is_finite() and Decimal(f"{out[index]:.{self.decimals}f}") != value:
                out[index] = float(value)
        return out

    def places(self, key: Key, column: int | None = None, most: int = 6) -> int:
        """How many places this line's computed operands need so that the step, computed from them as
        printed, gives the key's result to its printed digit (`decimals`, or up to `most` more)."""
        cut = slice(None) if column is None else slice(column, column + 1)
        step = self.plan[key]
        with exact.precise():
            goal = exact.rounded(self._table(self.paths.exact, key), self.decimals)[:, cut]
            for places in range(self.decimals, self.decimals + most + 1):
                value = self.paths.evaluate(step, _Inputs(self, places, step.inputs), places)
                if (exact.rounded(layout(value.lo, step.per_sample), self.decimals)[:, cut] == goal).all():
                    return places
        return self.decimals + most

    def operand(self, key: Key, places: int) -> np.ndarray:
        """A computed quantity's exact value rounded half up to `places`, floats in print layout."""
        with exact.precise():
            return exact.floats_of(exact.rounded(self._table(self.paths.exact, key), places)).astype(float)

    def slope(self, activation: Activation, z: Key, h: Key, places: int) -> np.ndarray | None:
        """f'(z) from z and h as printed to `places`, rounded to `places` as the line prints it (and as
        `places` checks it), in print layout; None for linear and softmax."""
        with exact.precise():
            rounded = [Ival(exact.rounded(self.paths.exact[k], places)) for k in (z, h)]
            value = hand.slope(activation, *rounded)
            if value is None:
                return None
            return exact.floats_of(layout(exact.rounded(value.lo, places), True)).astype(float)

    def found(self, key: Key, column: int | None = None) -> tuple[np.ndarray, dict[str, list[Found]]]:
        """The key's printed values of quantity `key` (print layout; one sample's column), and by reason
        every other value a careful student writes there: (row, column, value, the path's exact value)."""
        cut = slice(None) if column is None else slice(column, column + 1)
        p, d = self.paths, self.decimals
        with exact.precise():
            raw = {name: self._table(values, key)[:, cut]
                   for name, values in (("key", p.exact), ("line", p.line), ("up", p.up), ("even", p.even))}
            shown = exact.rounded(raw["key"], d)
            candidates = [("tie", raw["key"], "even"), ("line", raw["line"], "up"), ("line", raw["line"], "even"),
                          ("up", raw["up"], "up"), ("even", raw["even"], "even")]
            found: dict[str, list[Found]] = {}
            named: dict[tuple[int, int], set[Decimal]] = {}
            for reason, values, rule in candidates:
                for (r, c), value in np.ndenumerate(exact.rounded(values, d, rule)):
                    if value == shown[r, c] or value in named.setdefault((r, c), set()):
                        continue
                    named[(r, c)].add(value)
                    found.setdefault(reason, []).append((int(r), int(c), value, values.item(r, c)))
        return shown, found

    def line(self, key: Key, symbol_: Node, column: int | None = None) -> tuple[Para, ...]:
        """The notes of one line (quantity `key`, or one sample's column of it); the values of students
        carrying from the start are kept for `gathered`."""
        shown, found = self.found(key, column)
        notes = []
        for reason in ON_THE_LINE:
            if reason in found:
                notes.append(self._note(reason, found[reason], shown, symbol_, key))
        for reason in GATHERED:
            self.pending[reason] += self._entries(found.get(reason, []), shown, symbol_)
        return tuple(notes)

    def gathered(self) -> tuple[Para, ...]:
        """The chain values of the lines since the last call, one note per rounding rule."""
        out = tuple(wording.say(f"{reason}_note", note=True, values=joined(entries))
                    for reason, entries in self.pending.items() if entries)
        self.pending = {reason: [] for reason in GATHERED}
        return out

    def _note(self, reason: str, found: list[Found], shown: np.ndarray, symbol_: Node,
              key: Key) -> Para:
        values = joined(self._entries(found, shown, symbol_, ties=reason != "tie"))
        if reason == "tie":
            exacts = [row(entry(symbol_, shown.shape, r, c), EQ, Num(_tie_text(raw, self.decimals)))
                      for r, c, _, raw in found]
            return wording.say("tie_note", note=True, exact=joined(exacts), values=values)
        return wording.say("line_note", note=True, inputs=self._inputs(key), values=values)

    def _entries(self, found: list[Found], shown: np.ndarray, symbol_: Node,
                 ties: bool = True) -> list[Item]:
        """Each value as `symbol_entry = value`, printed alike with the key's entries; a tie says so."""
        if not found:
            return []
        floats = [float(v) for v in shown.ravel()] + [float(value) for _, _, value, _ in found]
        texts = format_numbers(floats, self.decimals)[shown.size:]
        out: list[Item] = []
        for (r, c, _, raw), text in zip(found, texts, strict=True):
            item: Node = row(entry(symbol_, shown.shape, r, c), EQ, Num(text))
            with exact.precise():
                tie = ties and bool(exact.is_tie(np.asarray([raw], dtype=object), self.decimals)[0])
            out.append((item, wording.text("from_tie", exact=_tie_text(raw, self.decimals))) if tie else item)
        return out

    def _inputs(self, key: Key) -> Node | Para:
        """The rounded inputs printed above that this line's step uses: `ŷ = 0.047` for a number, else its symbol."""
        parts: list[Node] = []
        for used in self.inputs(key):
            value = self._table(self.paths.exact, used)
            name = used[2]
            if value.size == 1:
                with exact.precise():
                    text = format_numbers([float(exact.rounded(value, self.decimals)[0, 0])], self.decimals)[0]
                parts.append(row(symbol(name), EQ, Num(text)))
            else:
                parts.append(symbol(name))
        return joined(parts)

    def inputs(self, key: Key) -> list[Key]:
        """The written quantities a step uses (through unwritten ones), givens left out."""
        out: list[Key] = []
        for used in self.plan[key].inputs:
            step = self.plan.get(used)
            if step is None:
                continue
            for k in ([used] if step.written else self.inputs(used)):
                if k not in out:
                    out.append(k)
        return out


class _Inputs(dict):
    """A step's inputs as printed with `places`: givens exact, written quantities rounded, others computed."""

    def __init__(self, notes: Notes, places: int, keys: tuple[Key, ...]) -> None:
        super().__init__()
        self.notes, self.places = notes, places
        for key in keys:
            self[key] = self._value(key)

    def _value(self, key: Key) -> Ival:
        paths = self.notes.paths
        if key in paths.given:
            return paths.given[key]
        step = self.notes.plan[key]
        if step.written:
            return Ival(exact.rounded(paths.exact[key], self.places))
        return paths.evaluate(step, _Inputs(self.notes, self.places, step.inputs))


def _tie_text(value: Decimal, decimals: int) -> str:
    with exact.precise():
        return str(value.quantize(exact.unit(decimals + 1)) + 0).replace("-", "−")


def entry(symbol_: Node, shape: tuple[int, ...], r: int, c: int) -> Node:
    """Entry (r, c) of a quantity, written with 1-based indices (z₂⁽¹⁾, (∂L/∂W⁽¹⁾)₁₂); a scalar as itself."""
    if shape == (1, 1):
        return symbol_
    index: Node = Num(str(r + 1)) if shape[1] == 1 else row(Num(str(r + 1)), Op(",", "punct"), Num(str(c + 1)))
    if isinstance(symbol_, Script) and symbol_.sub is None:
        return Script(symbol_.base, sup=symbol_.sup, sub=index)
    if isinstance(symbol_, Ident | Accent):
        return Script(symbol_, sub=index)
    return Script(Fence("(", symbol_, ")"), sub=index)


def joined(entries: Sequence[Item]) -> Para:
    """Entries in a sentence: "a", "a and b", "a, b and c" (an entry may be maths and words after it)."""
    parts: list[str | Node] = []
    for i, item in enumerate(entries):
        if i:
            parts.append(wording.text("and") if i == len(entries) - 1 else wording.text("list_join"))
        parts.extend(item if isinstance(item, tuple) else (item,))
    return Para(tuple(parts))
