"""Careful students, simulated here in `decimal.Decimal` with scalar loops from the slides' formulas
(not by the careful-student model of tracegen.engine.hand), on 300 variants of 30 random networks
(shapes, activations, losses, batch sizes, η including 0.5, 2-4 decimals).

- Students who carry their rounded answers (half up, or half to even), or keep full precision
  and write rounded results, get full marks from `tracegen grade`; with one slip, they lose that
  blank only (error carried forward); rounding to fewer places, or a named mistake, loses marks.
- The key's grader notes are true and complete: on every line, the key's value and the values its
  notes name are exactly the values those students write (and a student who wrote the key's printed
  numbers so far and carries them into the step).
"""

from __future__ import annotations

import copy
import functools
import random
from decimal import ROUND_HALF_EVEN, ROUND_HALF_UP, Context, Decimal, localcontext
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import yaml

import tracegen
from tracegen import render
from tracegen.batching import folder
from tracegen.batching import run as batching
from tracegen.batching.run import Options
from tracegen.document.notes import Notes
from tracegen.grading.marking import CARRIED, CORRECT, WRONG, mark
from tracegen.grading.mistakes import REVIEW
from tracegen.grading.typed import read_number

pytestmark = pytest.mark.slow  # 300 variants, each worked by several students (about 15 s of CPU)
CONFIGS = 30
VARIANTS = 10
CONTEXT = Context(prec=50)
Vec = list[Decimal]


def D(value: float) -> Decimal:
    return Decimal(repr(float(value)))


# --- random networks -------------------------------------------------------------------------


def config(rng: random.Random) -> dict[str, Any]:
    """A random network spec with variants drawn from small grids (so ties are common)."""
    n_in = rng.choice([1, 2, 3])
    hidden = [rng.choice([1, 2, 3]) for _ in range(rng.choice([0, 1, 1, 2]))]
    out, loss = rng.choice([("sigmoid", "bce"), ("softmax", "cross_entropy"), ("linear", "mse"),
                            ("tanh", "mse"), ("sigmoid", "mse")])
    k = rng.choice([2, 3]) if out == "softmax" else rng.choice([1, 2])
    layers = [{"units": u, "activation": rng.choice(["relu", "sigmoid", "tanh", "linear",
                                                     {"name": "leaky_relu", "slope": 0.1}])} for u in hidden]
    layers.append({"units": k, "activation": out})
    m = rng.choice([1, 2, 4])
    x = [[rng.choice([-1, 0, 0.5, 1, 2]) for _ in range(n_in)] for _ in range(m)]
    if loss == "cross_entropy":
        y: Any = [rng.randrange(k) for _ in range(m)]
    elif loss == "bce":
        y = [[rng.choice([0, 1]) for _ in range(k)] for _ in range(m)]
    else:
        y = [[rng.choice([0, 0.5, 1]) for _ in range(k)] for _ in range(m)]
    loss_spec: Any = loss if loss != "mse" else {"name": "mse", "scale": rng.choice([0.5, 1]),
                                                  "reduction": rng.choice(["mean", "sum"])}
    return {
        "title": "Careful", "network": {"layers": layers}, "loss": loss_spec, "data": {"x": x, "y": y},
        "training": {"learning_rate": rng.choice([0.1, 0.5, 0.25, 1]), "epochs": rng.choice([1, 2]),
                     "update": rng.choice([["W", "b"], ["W", "b"], ["W"]])},
        "display": {"decimals": rng.choice([2, 3, 3, 4])},
        "variants": {"weights": {"values": [-1, -0.5, 0, 0.5, 1, 1.5]}, "biases": {"values": [-0.5, 0, 0.5, 1]},
                     "constraints": {"no_kinks": True, "loss_decreases": False, "active_hidden": False,
                                     "readable": False, "max_output_z": None,
                                     # ties are what this file tests: none of the fairness gates
                                     "no_ties": False, "same_branches": False, "no_zero_gradients": False,
                                     "loss_band": None}},
    }


# --- a careful student, by the slides' formulas, in decimals ----------------------------------


class Student:
    """Works every step from the numbers they use, in exact decimals, and writes each result rounded.

    `rule`: "up" or "even" carry their written numbers; "full" keeps full precision (writes half
    up); "line" is given `printed` (the key's numbers) and computes each step from them. `places`
    is how many places they round to; `slip` (blank id) is where they write 0.7 too much (and,
    keeping full precision, go on from that); `mistake` names a mistake made in epoch 1.
    """

    def __init__(self, spec: dict[str, Any], rule: str, places: int | None = None, slip: str | None = None,
                 printed: dict[str, Decimal] | None = None, mistake: str | None = None,
                 game: tuple[str, str] | None = None) -> None:
        self.rule, self.slip, self.printed, self.mistake, self.game = rule, slip, printed, mistake, game
        self.d = spec["display"]["decimals"] if places is None else places
        self.written: dict[str, Decimal] = {}
        self.both: dict[str, set[Decimal]] = {}  # every rounding of the value (a tie: both)
        self.half_up: dict[str, Decimal] = {}
        self.spec = spec
        with localcontext(CONTEXT):
            self._train()

    def _round(self, value: Decimal, rule: str) -> Decimal:
        how = ROUND_HALF_EVEN if rule == "even" else ROUND_HALF_UP
        return value.quantize(Decimal(1).scaleb(-self.d), how) + 0

    def w(self, blank: str, value: Decimal) -> Decimal:
        """Write `value` at `blank`; return what the student goes on with."""
        if blank == self.slip:
            value += Decimal("0.7")
        if self.game and blank.startswith(f"e1:{self.game[0]}:"):  # a whole quantity made degenerate
            value = {"zeros": Decimal(0), "scale": value * 1000 + 1000}.get(self.game[1], value)
            if self.game[1] == "copy":
                _, name, _, j, c = blank.split(":")
                value = D(self.spec["network"]["layers"][int(name[1:]) - 1]["W"][int(j)][int(c)])
        written = self._round(value, "even" if self.rule == "even" else "up")
        self.written[blank] = written
        self.both[blank] = {self._round(value, "up"), self._round(value, "even")}
        self.half_up[blank] = self._round(value, "up")
        if self.rule == "line":
            return self.printed[blank]
        return value if self.rule == "full" else written

    def _train(self) -> None:
        spec = self.spec
        layers = spec["network"]["layers"]
        self.acts = [(a, 0) if isinstance(a, str) else (a["name"], D(a.get("slope", 0.01)))
                     for a in (layer["activation"] for layer in layers)]
        self.W = [[[D(v) for v in r] for r in layer["W"]] for layer in layers]
        self.b = [[D(v) for v in layer["b"]] for layer in layers]
        self.x, self.y = _data(yaml.safe_dump(spec))
        self.loss = spec["loss"] if isinstance(spec["loss"], dict) else {"name": spec["loss"]}
        for e in range(1, spec["training"]["epochs"] + 1):
            zs, hs = self._forward(e)
            self._update(e, self._backward(e, zs, hs))

    def _forward(self, e: int) -> tuple[list[Any], list[Any]]:
        """z = W h + b and h = f(z), layer by layer, then each sample's loss and L."""
        zs: list[Any] = []
        hs: list[Any] = [self.x]
        m, n, W, b = len(self.x), len(self.W), self.W, self.b
        for i in range(n):
            z = [[self.w(f"e{e}:z{i + 1}:{s}:{j}:0",
                         sum((W[i][j][c] * hs[-1][s][c] for c in range(len(hs[-1][s]))), Decimal(0)) + b[i][j])
                  for j in range(len(b[i]))] for s in range(m)]
            name = "y_hat" if i == n - 1 else f"h{i + 1}"
            values = [_act(self.acts[i], row) for row in z]
            zs.append(z)
            hs.append([[self.w(f"e{e}:{name}:{s}:{j}:0", values[s][j]) for j in range(len(values[s]))]
                       for s in range(m)])
        losses = [_loss(self.loss, hs[-1][s], self.y[s]) for s in range(m)]
        if m > 1:
            losses = [self.w(f"e{e}:sample_loss:{s}:0:0", losses[s]) for s in range(m)]
        total = sum(losses, Decimal(0))
        self.w(f"e{e}:L:-1:0:0", total / m if self.loss.get("batch", "mean") == "mean" else total)
        return zs, hs

    def _backward(self, e: int, zs: list[Any], hs: list[Any]) -> list[tuple[list[Vec], Vec]]:
        """δ at the output, then dW = δᵀ h, db = Σ δ and δ below, layer by layer."""
        m, n = len(self.x), len(self.W)
        factor = m if self.loss.get("batch", "mean") == "mean" else 1
        delta = [[self.w(f"e{e}:delta{n}:{s}:{j}:0", g / factor)
                  for j, g in enumerate(_output_delta(self.loss, self.acts[-1], zs[-1][s], hs[-1][s], self.y[s]))]
                 for s in range(m)]
        grads: list[tuple[list[Vec], Vec]] = []
        for i in range(n - 1, -1, -1):
            inputs = hs[i]
            dW = [[self.w(f"e{e}:dW{i + 1}:-1:{j}:{c}", sum((delta[s][j] * inputs[s][c] for s in range(m)), Decimal(0)))
                   for c in range(len(inputs[0]))] for j in range(len(delta[0]))]
            db = [self.w(f"e{e}:db{i + 1}:-1:{j}:0", sum((delta[s][j] for s in range(m)), Decimal(0)))
                  for j in range(len(delta[0]))]
            grads.insert(0, (dW, db))
            if i:
                delta = [[self.w(f"e{e}:delta{i}:{s}:{c}:0", _slope(self.acts[i - 1], zs[i - 1][s][c], hs[i][s][c])
                                 * sum((delta[s][j] * self.W[i][j][c] for j in range(len(delta[s]))), Decimal(0)))
                          for c in range(len(hs[i][s]))] for s in range(m)]
        return grads

    def _update(self, e: int, grads: list[tuple[list[Vec], Vec]]) -> None:
        """W ← W − η dW and b ← b − η db for the trained kinds (the named mistakes: η = 1, or +)."""
        trained = self.spec["training"]["update"]
        eta = D(self.spec["training"]["learning_rate"])
        rate = {"learning_rate": Decimal(1), "plus": -eta}.get(self.mistake or "", eta) if e == 1 else eta
        for i, (dW, db) in enumerate(grads):
            W, b = self.W[i], self.b[i]
            self.W[i] = [[self.w(f"e{e}:W{i + 1}:-1:{j}:{c}", W[j][c] - rate * dW[j][c] if "W" in trained else W[j][c])
                          for c in range(len(W[j]))] for j in range(len(W))]
            self.b[i] = [self.w(f"e{e}:b{i + 1}:-1:{j}:0", b[j] - rate * db[j] if "b" in trained else b[j])
                         for j in range(len(b))]


@functools.cache
def _data(text: str) -> tuple[list[Vec], list[Vec]]:
    """x and y as one row per sample (the spec's forms vary: a number, a class index, a vector)."""
    spec = tracegen.Spec.from_dict(yaml.safe_load(text))
    return [[D(v) for v in r] for r in spec.x], [[D(v) for v in r] for r in spec.y]


def _exp(v: Decimal) -> Decimal:
    return v.exp()


def _act(act: tuple[str, Decimal | int], z: Vec) -> Vec:
    name, slope = act
    if name == "relu":
        return [v if v > 0 else Decimal(0) for v in z]
    if name == "leaky_relu":
        return [v if v > 0 else slope * v for v in z]
    if name == "sigmoid":
        return [1 / (1 + _exp(-v)) for v in z]
    if name == "tanh":
        return [(_exp(2 * v) - 1) / (_exp(2 * v) + 1) for v in z]
    if name == "softmax":
        e = [_exp(v) for v in z]
        return [v / sum(e) for v in e]
    return list(z)


def _slope(act: tuple[str, Decimal | int], z: Decimal, h: Decimal) -> Decimal:
    name, slope = act
    if name == "relu":
        return Decimal(1 if z > 0 else 0)
    if name == "leaky_relu":
        return Decimal(1) if z > 0 else Decimal(slope)
    if name == "sigmoid":
        return h * (1 - h)
    if name == "tanh":
        return 1 - h * h
    return Decimal(1)


def _ln(p: Decimal) -> Decimal:
    return min(max(p, Decimal("1e-12")), 1 - Decimal("1e-12")).ln()


def _loss(loss: dict[str, Any], y_hat: Vec, y: Vec) -> Decimal:
    k = len(y)
    if loss["name"] == "mse":
        total = sum(((t - p) ** 2 for p, t in zip(y_hat, y, strict=True)), Decimal(0))
        return D(loss.get("scale", 1)) * (total / k if loss.get("reduction", "mean") == "mean" else total)
    if loss["name"] == "bce":
        return -sum((t * _ln(p) + (1 - t) * _ln(1 - p) for p, t in zip(y_hat, y, strict=True)), Decimal(0)) / k
    return -sum((t * _ln(p) for p, t in zip(y_hat, y, strict=True) if t), Decimal(0))


def _output_delta(loss: dict[str, Any], act: tuple[str, Decimal | int], z: Vec, y_hat: Vec, y: Vec) -> Vec:
    k = len(y)
    if loss["name"] == "bce":
        return [(p - t) / k for p, t in zip(y_hat, y, strict=True)]
    if loss["name"] == "cross_entropy":
        return [p * sum(y) - t for p, t in zip(y_hat, y, strict=True)]
    per = 2 * D(loss.get("scale", 1)) / (k if loss.get("reduction", "mean") == "mean" else 1)
    g = [per * (p - t) for p, t in zip(y_hat, y, strict=True)]
    if act[0] == "softmax":
        inner = sum((a * b for a, b in zip(g, y_hat, strict=True)), Decimal(0))
        return [p * (gi - inner) for p, gi in zip(y_hat, g, strict=True)]
    return [gi * _slope(act, zi, p) for gi, zi, p in zip(g, z, y_hat, strict=True)]


# --- the batches -------------------------------------------------------------------------------


def _batch(out: Path, spec: dict[str, Any], seed: int) -> Path:
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(render, "render_documents", lambda trace, kinds, formats, student=None, fillable=False: {
            (kind, fmt): b"document" for kind in kinds for fmt in formats})
        options = Options(count=VARIANTS, roster=None, seed=seed, kinds=("key",), formats=("md",), jobs=1)
        batching.run(batching.plan(tracegen.Spec.from_dict(copy.deepcopy(spec)), options), out, options)
    return out


@pytest.fixture(scope="module")
def batches(tmp_path_factory: pytest.TempPathFactory) -> list[tuple[folder.Batch, list[dict[str, Any]]]]:
    rng = random.Random(2026)
    out = []
    for i in range(CONFIGS):
        path = _batch(tmp_path_factory.mktemp(f"careful{i}"), config(rng), seed=i)
        batch = folder.read_batch(path)
        specs = [yaml.safe_load((path / v / "spec.yaml").read_text(encoding="utf-8")) for v in batch.variants]
        out.append((batch, specs))
    return out


def _texts(batch: folder.Batch, student: Student) -> list[str]:
    return [str(student.written[blank]) for blank in batch.blanks["blank"]]


def test_the_shapes_are_varied(batches: list[tuple[folder.Batch, list[dict[str, Any]]]]) -> None:
    """The 300 variants cover what the issue asks: several shapes, activations, losses, batch sizes, η, places."""
    specs = [specs[0] for _, specs in batches]
    assert sum(len(s) for _, s in batches) >= 300
    assert len({tuple(layer["units"] for layer in s["network"]["layers"]) for s in specs}) >= 8
    assert {s["display"]["decimals"] for s in specs} == {2, 3, 4}
    assert 0.5 in {s["training"]["learning_rate"] for s in specs}
    assert {len(s["data"]["x"]) for s in specs} == {1, 2, 4}
    names = {(s["loss"] if isinstance(s["loss"], str) else s["loss"]["name"]) for s in specs}
    assert names == {"bce", "mse", "cross_entropy"}


def test_careful_students_get_full_marks_and_lose_only_a_slip(
        batches: list[tuple[folder.Batch, list[dict[str, Any]]]]) -> None:
    rng = random.Random(19)
    for batch, specs in batches:
        blanks = list(batch.blanks["blank"])
        slippable = [b for b in blanks if b.split(":")[1][:1] in ("z", "W", "b", "d")]
        rows, texts, slips, kinds = [], [], [], []
        for v, spec in enumerate(specs):
            for rule in ("up", "even", "full"):
                rows.append(v)
                texts.append(_texts(batch, Student(spec, rule)))
                slips.append(None)
                kinds.append(rule)
            slip = rng.choice(slippable)
            rule = ("up", "even", "full")[v % 3]
            rows.append(v)
            texts.append(_texts(batch, Student(spec, rule, slip=slip)))
            slips.append(slip)
            kinds.append(f"{rule} slip")
        marking = mark(batch, np.array(rows), texts, [read_number] * len(texts))
        for s, (row, slip, kind) in enumerate(zip(rows, slips, kinds, strict=True)):
            verdict = marking.verdict[s]
            where = f"{kind} student of variant {batch.variants[row]} ({batch.folder})"
            if slip is None:
                bad = [blanks[j] for j in np.flatnonzero(verdict != CORRECT)]
                assert not bad, (where, bad[:5], [texts[s][blanks.index(b)] for b in bad[:5]])
            else:
                j = blanks.index(slip)
                assert verdict[j] == WRONG, (where, slip)
                others = np.delete(verdict, j)
                bad = [b for b, v in zip(np.delete(np.array(blanks), j), others, strict=True)
                       if v not in (CORRECT, CARRIED)]
                assert not bad, (where, slip, bad[:5])
                assert marking.earned[s].sum() == marking.policy.marks.sum() - marking.policy.marks[j]


def test_fewer_places_or_a_named_mistake_lose_marks(batches: list[tuple[folder.Batch, list[dict[str, Any]]]]) -> None:
    """Rounding to one place less (carrying, or keeping full precision), or updating with + or with η = 1,
    loses marks, wherever that sheet has a value no careful student writes (at 2 places a slip may vanish)."""
    seen = []
    for batch, specs in batches:
        d = specs[0]["display"]["decimals"]
        rows, texts, apart = [], [], []
        for v, spec in enumerate(specs):
            mistake = "learning_rate" if spec["training"]["learning_rate"] != 1 else "plus"
            careful = written_by_careful(spec)
            how = [{"rule": "up", "places": d - 1}, {"rule": "full", "places": d - 1},
                   {"rule": "up", "mistake": mistake}][v % 3]  # one of the three in turn
            for student in [Student(spec, **how)]:
                rows.append(v)
                texts.append(_texts(batch, student))
                apart.append(any(value not in careful[blank] for blank, value in student.written.items()))
        marking = mark(batch, np.array(rows), texts, [read_number] * len(texts))
        full = marking.policy.marks.sum()
        scores = marking.earned.sum(axis=1)
        seen += apart
        for s, (score, differs) in enumerate(zip(scores, apart, strict=True)):
            assert score < full or not differs, (batch.folder, batch.variants[rows[s]], rows[s] % 3)
    assert sum(seen) > 0.9 * len(seen)  # nearly every such sheet can be told from a careful one


@pytest.mark.parametrize(("quantity", "how", "reason"), [
    ("z1", "zeros", "from_zeros"), ("z1", "scale", "from_scale"), ("W1", "copy", "from_copy")])
def test_a_degenerate_answer_earns_no_carried_credit(batches: list[tuple[folder.Batch, list[dict[str, Any]]]],
                                                       quantity: str, how: str, reason: str) -> None:
    """Zeros, a copied given or a value 1000 times too large, then everything worked carefully from it:
    what follows is not carried but wrong, named for a teacher; what is right stays right."""
    picked = [(batch, specs) for batch, specs in batches
              if specs[0]["training"]["epochs"] == 2 and len(specs[0]["network"]["layers"]) > 1
              and np.size(specs[0]["network"]["layers"][0]["W"]) > 1 and "W" in specs[0]["training"]["update"]]
    assert len(picked) >= 3
    seen = 0
    for batch, specs in picked:
        blanks = np.array(batch.blanks["blank"])
        texts = [_texts(batch, Student(spec, "up", game=(quantity, how))) for spec in specs]
        honest = [_texts(batch, Student(spec, "up", slip=f"e1:{quantity}:0:0:0" if quantity == "z1"
                                        else f"e1:{quantity}:-1:0:0")) for spec in specs]
        marking = mark(batch, np.tile(np.arange(len(specs)), 2), texts + honest, [read_number] * len(texts + honest))
        count = len(specs)
        for s in range(count):
            verdict, mistake = marking.verdict[s], marking.mistake[s]
            assert not (verdict == CARRIED).any(), (batch.folder, blanks[verdict == CARRIED][:4])
            flagged = np.isin(mistake, REVIEW)  # `reason`, or another (× 1000 + 1000 may make a zero)
            assert reason in mistake or not flagged.any() or set(mistake[flagged]) <= set(REVIEW)
            later = np.array([not b.startswith(f"e1:{quantity}:") for b in blanks])
            assert flagged.any() or (verdict[later] == CORRECT).all()  # (dead ReLUs may make zeros harmless)
            assert (verdict[flagged] == WRONG).all()
            assert all("a teacher will look" in note for note in marking.notes[s][flagged])
            seen += int(reason in mistake)
            assert (marking.verdict[count + s] == WRONG).sum() == 1  # an honest slip there: only itself is wrong
            assert not set(marking.mistake[count + s]) & set(REVIEW)
    assert seen >= 10


def test_grader_notes_are_true_and_complete(batches: list[tuple[folder.Batch, list[dict[str, Any]]]]) -> None:
    """On every line of the key: the printed value and the values its notes name are exactly what careful
    students write there (carrying half up, half to even, full precision at a tie, or the key's numbers
    carried into the step)."""
    for _, specs in batches:
        for spec in specs[:4]:
            notes = Notes(tracegen.trace(tracegen.Spec.from_dict(copy.deepcopy(spec))))
            careful = written_by_careful(spec)
            for key in notes.plan:
                if not notes.plan[key].written:
                    continue
                shown, found = notes.found(key)
                named = {(r, c): {shown[r, c]} for (r, c), _ in np.ndenumerate(shown)}
                for entries in found.values():
                    for r, c, value, _ in entries:
                        named[(r, c)].add(value)
                for (r, c), values in named.items():
                    blank = _blank(key, r, c, notes.plan[key].per_sample)
                    assert values == careful[blank], (spec["network"], blank, values, careful[blank])


def written_by_careful(spec: dict[str, Any]) -> dict[str, set[Decimal]]:
    """Per blank, every value a careful student writes from the givens."""
    full = Student(spec, "full")
    careful: dict[str, set[Decimal]] = {}
    for student in (Student(spec, "up"), Student(spec, "even"), full, Student(spec, "line", printed=full.half_up)):
        for blank, values in student.both.items():
            careful.setdefault(blank, set()).update(values if student.rule in ("full", "line")
                                                    else {student.written[blank]})
    return careful


def _blank(key: tuple[int, str, str], r: int, c: int, per_sample: bool) -> str:
    epoch, _, name = key
    if per_sample:
        return f"e{epoch}:{name}:{c}:{r}:0"
    if name in ("L",):
        return f"e{epoch}:L:-1:0:0"
    return f"e{epoch}:{name}:-1:{r}:{c}"
