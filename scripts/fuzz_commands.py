"""Fuzz all four spec commands with YAML 1.1 types, anchors, overflow, denormals and huge values.

    python scripts/fuzz_commands.py                      # 2,000 specs, seed 1
    python scripts/fuzz_commands.py --count 200 --seed 7 --keep corpus/

Written apart from scripts/fuzz_specs.py (which mutates keys, types and bytes and runs `check` and
`trace`): here every spec goes through `check`, `trace -o`, `render --to md,html` and
`batch --variants 2 --to md`, in this process, each timed, and the run checks what the commands
promise together. The corpus, from one seeded random.Random, mixes these families:

- valid: small networks of every activation and loss, as a baseline;
- yaml11: a value written as YAML 1.1 reads it and YAML 1.2 does not (base-60 `1:30`, `yes`,
  `0b101`, `017`, `1_000`, a date), a tag (!!binary, !!timestamp, !!python/tuple, !!float '1e3'),
  a merge key `<<`;
- anchors: anchors used across sections (data.x as a row of W, one layer's W in another), chains of
  anchors nested past the depth limit, an alias in its own anchor, an undefined alias, alias bombs;
- overflow: training that overflows: huge learning rates, weights, inputs, targets or loss scale;
- denormal: 5e-324, 1e-320 or -2.2e-308 in a weight, bias, input, target, rate or slope;
- huge: finite but absurd values (1e13, 1e100, 1e300, 1.8e308, a 301-digit integer), anywhere;
- ranges: variants ranges beyond float64 (-1e308..1e308, a step of 5e-324) or of huge values.

A run passes when no command exits 1 or shows a traceback, every refusal is one line and exit 2,
no command takes more than --slow seconds of CPU (this process's and its children's: on a shared
machine wall time measures the neighbours too; the summary gives both), no page written shows
nan or inf, and the commands agree:

- `check` refuses (exit 2) exactly when `trace` does, with the same line, and `render` refuses
  with it too (or with the page or font limit, which it checks before training); `batch` refuses
  too, unless the line is about the spec's own numbers overflowing (batch draws its own weights);
- `check` accepts: `trace` and `render` succeed unless a note of `check` says they refuse (then with
  the note's text), and `batch` succeeds unless a note says batch refuses (or may: when the first
  variant met the constraints only late, whether later ones do is chance).

tests/test_fuzz.py runs a seeded subset; docs/testing.md has the figures of the full run.
"""

from __future__ import annotations

import json
import random
import re
import sys
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import fuzzing
import yaml
from fuzzing import Outcome, invoke

SLOW = 5.0  # seconds: a command taking longer fails the run
BAD_PAGE = re.compile(r"\bnan\b|\binf\b|∞|\binfinity\b", re.IGNORECASE)
ACTIVATIONS = ("relu", "sigmoid", "tanh", "linear", "leaky_relu")
COMMANDS = ("check", "trace", "render", "batch")


@dataclass(frozen=True)
class Case:
    """One generated spec file."""

    name: str
    family: str
    suffix: str
    text: str


# --- valid specs ---------------------------------------------------------------------------------


def valid_spec(rng: random.Random) -> dict[str, Any]:
    """A small spec tracegen accepts: 1-4 inputs, 1-3 layers of 1-4 units, 1-3 samples, 1-4 epochs."""
    inputs, samples = rng.randint(1, 4), rng.randint(1, 3)
    sizes = [rng.randint(1, 4) for _ in range(rng.randint(1, 3))]
    loss = rng.choice(("bce", "mse", "cross_entropy"))
    if loss == "cross_entropy":
        sizes[-1] = max(sizes[-1], 2)
    layers, fan_in = [], inputs
    for i, units in enumerate(sizes):
        last = i == len(sizes) - 1
        act: Any = {"bce": "sigmoid", "cross_entropy": "softmax"}.get(loss) if last else None
        act = act or rng.choice(ACTIVATIONS)
        if act == "leaky_relu" and rng.random() < 0.5:
            act = {"name": "leaky_relu", "slope": rng.choice((0.01, 0.1, 0.2))}
        layers.append({"units": units, "activation": act,
                       "W": [[rng.choice((-2, -1, 0, 1, 2, 0.5, -0.5, 0.25)) for _ in range(fan_in)]
                             for _ in range(units)],
                       "b": [rng.choice((-1, 0, 1, 0.5)) for _ in range(units)]})
        fan_in = units
    y = fuzzing.targets(rng, loss, sizes[-1], samples)
    return {"title": rng.choice(("Class 3", "Übung 4", "练习 5")), "network": {"layers": layers}, "loss": loss,
            "data": {"x": [[rng.choice((0, 1, 0.5, -1, 2)) for _ in range(inputs)] for _ in range(samples)],
                     "y": y},
            "training": {"learning_rate": rng.choice((0.1, 0.5, 0.01)), "epochs": rng.randint(1, 4)},
            "display": {"decimals": rng.randint(1, 4)}}


def leaves(data: Any, path: tuple = ()) -> Iterator[tuple]:
    """Paths of the numbers in `data` (dict keys and list indices)."""
    if isinstance(data, dict):
        for key, value in data.items():
            yield from leaves(value, (*path, key))
    elif isinstance(data, list):
        for i, value in enumerate(data):
            yield from leaves(value, (*path, i))
    elif isinstance(data, int | float) and not isinstance(data, bool):
        yield path


def put(data: Any, path: tuple, value: Any) -> None:
    for step in path[:-1]:
        data = data[step]
    data[path[-1]] = value


def dump(data: Any, suffix: str = ".yaml") -> str:
    if suffix == ".json":
        return json.dumps(data, ensure_ascii=False)
    return yaml.safe_dump(data, sort_keys=False, allow_unicode=True, width=10_000, default_flow_style=None)


# --- families ----------------------------------------------------------------------------------------

HOLE = "__hole__"
YAML11 = ("1:30", "1:00:00.5", "-1:20", "190:20:30", "0b101", "017", "1_000", "+685_230.15", "yes", "No", "on",
          "OFF", "y", "2001-12-14", "2001-12-14t21:59:43.10-05:00", ".Inf", "-.inf", ".NaN", "!!binary aGVsbG8=",
          "!!timestamp 2001-12-14", "!!python/tuple [1, 2]", "!!float '1e3'", "!!int '0x10'", "!!str 3", "~",
          "!!set {a, b}", "0o17", "0x1F", "1e3", "'0.5'")


def yaml11(rng: random.Random, spec: dict) -> str:
    """A number (or the title) written as a YAML 1.1 type or a tag; or a merge key."""
    if rng.random() < 0.15:
        layer = rng.randrange(len(spec["network"]["layers"]))
        text = dump(spec)
        return "base: &base {units: 1, activation: relu}\n" + text.replace(
            "- units:", "- <<: *base\n    units:", 1) if layer == 0 else text + "extra: {<<: {a: 1}}\n"
    path = rng.choice([*leaves(spec), ("title",)])
    put(spec, path, HOLE)
    return dump(spec).replace(HOLE, rng.choice(YAML11), 1)


def anchors(rng: random.Random, spec: dict) -> str:
    """Anchors and aliases across sections, chained deep, inside themselves, undefined, or a bomb."""
    choice = rng.randrange(6)
    text = dump(spec)
    if choice == 0:  # data.x's first row anchored, then used as the first layer's first row of W
        return text.replace("  x: [[", "  x: [&row [", 1).replace("  - units:", "  - units:", 1).replace(
            "    W: [[", "    W: [*row, [", 1) if "    W: [[" in text else text
    if choice == 1:  # one layer's W aliased as another's
        return "shared: &w [[1, -1], [0, 1]]\n" + text.replace("    W: ", "    W: *w #", 1)
    if choice == 2:  # a chain of anchors, each 2-12 brackets deeper
        depth, count = rng.randint(2, 12), rng.randint(2, 60)
        chain = "".join(f"a{i}: &a{i} " + "[" * depth + (f"*a{i - 1}" if i else "1") + "]" * depth + "\n"
                        for i in range(count))
        return chain + text
    if choice == 3:
        return rng.choice(("title: &t [1, *t]\n", "title: &t {a: *t}\n", "title: *nowhere\n")) + \
            text.replace("title:", "old_title:", 1)
    if choice == 4:  # a bomb: fan ** levels values
        fan, levels = rng.choice((3, 9, 10)), rng.choice((3, 6, 9))
        lines = ["l0: &l0 [" + ", ".join(["1"] * fan) + "]"]
        lines += [f"l{i}: &l{i} [" + ", ".join([f"*l{i - 1}"] * fan) + "]" for i in range(1, levels)]
        return "\n".join(lines) + "\n" + text
    return "training: &t {learning_rate: 0.1, epochs: 2}\n" + text.replace("training:", "display: *t\nold:", 1)


def overflow(rng: random.Random, spec: dict) -> str:
    """Training that overflows, in epoch 1 or later: a huge rate, weights, inputs, targets or loss scale."""
    choice = rng.randrange(5)
    if choice == 0:
        spec["training"]["learning_rate"] = rng.choice((10.0, 100.0, 1e3, 1e10, 1e100, 1e300))
        spec["training"]["epochs"] = rng.randint(2, 40)
    elif choice == 1:
        layer = rng.choice(spec["network"]["layers"])
        factor = rng.choice((1e10, 1e100, 1e154, 1e200, 1e300))
        layer["W"] = [[v * factor for v in row] for row in layer["W"]]
    elif choice == 2:
        spec["data"]["x"] = [[v * rng.choice((1e100, 1e200, 1e300)) for v in row] for row in spec["data"]["x"]]
    elif choice == 3:
        spec["network"]["layers"][-1]["activation"] = "linear"
        spec["loss"], spec["data"]["y"] = "mse", rng.choice((1e155, 1e200, -1e300, 1e20))
        spec["network"]["layers"][-1]["units"] = 1
        spec["network"]["layers"][-1]["W"] = spec["network"]["layers"][-1]["W"][:1]
        spec["network"]["layers"][-1]["b"] = spec["network"]["layers"][-1]["b"][:1]
        spec["data"]["y"] = [spec["data"]["y"]] * len(spec["data"]["x"])
    else:
        spec["network"]["layers"][-1]["activation"] = "linear"
        spec["loss"] = {"name": "mse", "scale": rng.choice((1e300, 1e308, 1e200))}
        spec["data"]["y"] = [[0.5] * spec["network"]["layers"][-1]["units"] for _ in spec["data"]["x"]]
    return dump(spec, rng.choice((".yaml", ".json")))


def one_leaf(values: tuple) -> Callable[[random.Random, dict], str]:
    def mutate(rng: random.Random, spec: dict) -> str:
        for _ in range(rng.choice((1, 1, 2, 3))):
            put(spec, rng.choice(list(leaves(spec))), rng.choice(values))
        return dump(spec, rng.choice((".yaml", ".json")))
    return mutate


denormal = one_leaf((5e-324, 1e-320, -2.2250738585072014e-308, 4.9e-322, 1e-310))
huge = one_leaf((1e13, 1e15, 9.999e15, 1e100, 1e300, 1.7976931348623157e308, -1e308, 10 ** 300, 2 ** 1023))


def ranges(rng: random.Random, spec: dict) -> str:
    """variants ranges at float64's ends, for drawn weights or biases."""
    rule = rng.choice(({"low": -1e308, "high": 1e308, "step": 1}, {"low": 0, "high": 1, "step": 5e-324},
                       {"low": 0, "high": 1, "step": 1e-300}, {"low": 1e300, "high": 1e300, "step": 1},
                       {"values": [1e300, -1e300]}, {"values": [5e-324, 0]}, {"low": -2, "high": 2, "step": 0.5},
                       {"low": 1e-320, "high": 1e-310, "step": 1e-311}))
    kind, given = rng.choice((("weights", "W"), ("biases", "b")))
    for layer in spec["network"]["layers"]:
        layer.pop(given)
    other = {"weights": {"values": [-1, 0, 1]}, "biases": {"values": [0, 1]}}
    spec["variants"] = other | {kind: rule}
    return dump(spec, rng.choice((".yaml", ".json")))


FAMILIES: dict[str, Callable[[random.Random, dict], str]] = {
    "valid": lambda rng, spec: dump(spec, rng.choice((".yaml", ".json"))), "yaml11": yaml11, "anchors": anchors,
    "overflow": overflow, "denormal": denormal, "huge": huge, "ranges": ranges}
WEIGHTS = {"valid": 2, "yaml11": 3, "anchors": 2, "overflow": 3, "denormal": 2, "huge": 3, "ranges": 1}


def corpus(count: int, seed: int) -> Iterator[Case]:
    """`count` specs, the same for the same seed."""
    rng = random.Random(seed)
    names = list(FAMILIES)
    for index in range(count):
        family = rng.choices(names, weights=[WEIGHTS[n] for n in names])[0]
        text = FAMILIES[family](rng, valid_spec(rng))
        suffix = ".json" if text.startswith("{") else ".yaml"
        yield Case(f"{index:05d}-{family}{suffix}", family, suffix, text)


# --- running -----------------------------------------------------------------------------------------


@dataclass
class Report:
    """What the run saw."""

    specs: int = 0
    runs: int = 0
    families: Counter = field(default_factory=Counter)
    exits: Counter = field(default_factory=Counter)  # (command, exit code) -> runs
    failures: list[str] = field(default_factory=list)
    slowest: tuple[float, str] = (0.0, "")  # CPU seconds
    slowest_wall: tuple[float, str] = (0.0, "")
    pages: int = 0

    @property
    def passed(self) -> bool:
        return not self.failures

    def fail(self, case: Case, problem: str) -> None:
        self.failures.append(f"{case.name}: {problem}")

    def summary(self) -> str:
        lines = [f"{self.specs} specs, {self.runs} commands, {self.pages} pages written; exits: "
                 + ", ".join(f"{c} {k}: {n}" for (c, k), n in sorted(self.exits.items())),
                 "families: " + ", ".join(f"{f} {n}" for f, n in sorted(self.families.items())),
                 f"failures: {len(self.failures)}; slowest: {self.slowest[0]:.2f} s of CPU ({self.slowest[1]}), "
                 f"{self.slowest_wall[0]:.2f} s of wall time ({self.slowest_wall[1]})"]
        return "\n".join(lines + [f"FAIL {line}" for line in self.failures[:30]])


def run_case(case: Case, folder: Path, report: Report, slow: float = SLOW) -> None:
    """Run the four commands on one spec and record what breaks a promise (module docstring)."""
    path = folder / case.name
    path.write_text(case.text, encoding="utf-8", errors="surrogatepass")
    out = folder / f"out-{case.name}"
    args = {"check": ["check", str(path)], "trace": ["trace", str(path), "-o", str(out / "trace.csv")],
            "render": ["render", str(path), "--to", "md,html", "-o", str(out / "render")],
            "batch": ["batch", str(path), "--variants", "2", "--to", "md", "-j", "1", "-o", str(out / "batch")]}
    seen = {command: invoke(args[command]) for command in COMMANDS}
    report.specs += 1
    report.families[case.family] += 1
    for command, outcome in seen.items():
        report.runs += 1
        report.exits[(command, outcome.code)] += 1
        report.slowest = max(report.slowest, (outcome.seconds, f"{command} {case.name}"))
        report.slowest_wall = max(report.slowest_wall, (outcome.wall, f"{command} {case.name}"))
        if outcome.seconds > slow:
            report.fail(case, f"{command} took {outcome.seconds:.1f} s of CPU")
        if outcome.code not in (0, 2) or "internal error" in outcome.err or "Traceback" in outcome.err:
            report.fail(case, f"{command} exit {outcome.code}: {outcome.err[:300]!r}")
        if outcome.code == 2 and outcome.err.count("\n") != 1:
            report.fail(case, f"{command} refused in {outcome.err.count(chr(10))} lines: {outcome.err[:300]!r}")
    for page in out.rglob("*.*") if out.exists() else ():
        if page.suffix in (".md", ".html"):
            report.pages += 1
            hit = BAD_PAGE.search(page.read_text("utf-8"))
            if hit:
                report.fail(case, f"{page.relative_to(out)} shows {hit.group()!r}")
    for problem in disagreements(seen):
        report.fail(case, problem)


def _line(outcome: Outcome) -> str:
    return outcome.err.strip().removeprefix("tracegen: error: ")


def documents_too_big(render: Outcome) -> list[str]:
    """render's line when it refused for the page or font limits, which it checks before training."""
    line = _line(render)
    return [line] if " would run to about " in line or " would print its widest " in line else []


def disagreements(seen: dict[str, Outcome]) -> list[str]:
    """Where the four commands' verdicts break the rules of the module docstring."""
    check, trace, render, batch = (seen[c] for c in COMMANDS)
    found = []
    if check.code == 2:
        found += [f"check refused ({_line(check)[:120]!r}) but trace exit {trace.code}"] * (
            trace.code != 2 or _line(trace) != _line(check))
        if render.code != 2 or _line(render) not in (_line(check), *documents_too_big(render)):
            found.append(f"check refused ({_line(check)[:120]!r}) but render exit {render.code}")
        own_numbers = "overflows" in check.err or "too large to print" in check.err
        if batch.code != 2 and not own_numbers:
            found.append(f"check refused ({_line(check)[:120]!r}) but batch exit {batch.code}")
        return found
    notes = [line.removeprefix("tracegen: note: ") for line in check.err.splitlines()]
    trace_refused = any("trace and render refuse" in note for note in notes)
    render_notes = [note for note in notes if "render" in note]
    if (trace.code == 2) != trace_refused:
        found.append(f"check accepted{' with a note' * trace_refused} but trace exit {trace.code}: "
                     f"{_line(trace)[:120]!r}")
    if (render.code == 2) != bool(render_notes):
        found.append(f"check noted {len(render_notes)} for render but render exit {render.code}: "
                     f"{_line(render)[:120]!r}")
    elif render.code == 2 and not trace_refused and not any(_line(render).endswith(n.split(" (render")[0])
                                                            for n in render_notes):
        found.append(f"render refused with {_line(render)[:120]!r}, not as check noted")
    batch_refused = any("batch refuse" in note for note in notes)
    batch_may = any("batch may refuse" in note for note in notes)  # drawing is random: a warning, not a verdict
    if (batch.code == 2) != batch_refused and not batch_may:
        found.append(f"check noted {batch_refused} for batch but batch exit {batch.code}: {_line(batch)[:120]!r}")
    return found


def fuzz(count: int, seed: int, keep: Path | None = None, slow: float = SLOW) -> Report:
    report = Report()
    fuzzing.run(corpus(count, seed), lambda case, folder: run_case(case, folder, report, slow), keep)
    return report


if __name__ == "__main__":
    sys.exit(fuzzing.main(
        __doc__, 2000, "keep the corpus and the output in this folder",
        lambda args: fuzz(args.count, args.seed, args.keep, args.slow),
        lambda parser: parser.add_argument("--slow", type=float, default=SLOW,
                                           help="CPU seconds a command may take (default 5)")))
