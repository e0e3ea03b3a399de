"""Fuzz `tracegen check` and `tracegen trace` with hostile, careless and oversize specs.

    python scripts/fuzz_specs.py                 # the full run: 2,100 specs, seed 1
    python scripts/fuzz_specs.py --count 300 --seed 11 --keep corpus/

Every spec is written as YAML, JSON or TOML and run through both commands in this
process, each under a timeout. A run passes when every command exits 0 or 2 with at most
one short line on stderr (no internal error, no traceback), none hangs, and the process
stays within its memory limit; the summary says what was seen. `--keep DIR` saves the
corpus. tests/spec/test_fuzz.py runs a seeded subset of the same generator.

The corpus mixes, from one seeded random.Random: valid specs of random shapes; mutations of
keys, types and values (missing keys, wrong types, out-of-range numbers, ragged or empty
arrays, unknown names); text-level hostility (integers of 400 and 5,000 digits, inf/NaN,
lone surrogates, control and bidi characters, 100 KB strings, nesting thousands deep,
duplicate keys); YAML alias bombs and self-referencing aliases; broken bytes (invalid
UTF-8, NUL, truncation, flipped bytes, files over the size cap); and oversize work
(networks, samples and epochs far beyond what can be traced or printed).
"""

from __future__ import annotations

import argparse
import json
import random
import resource
import sys
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import fuzzing
import yaml
from fuzzing import Hang, invoke

HOLE = "@@HOLE@@"
SUFFIXES = (".yaml", ".json", ".toml")
ACTIVATIONS = ("relu", "sigmoid", "tanh", "linear", "leaky_relu", "softmax")
TIMEOUT = 30.0  # seconds per command before it counts as a hang
MAX_LINE = 600  # characters of the one stderr line


@dataclass(frozen=True)
class Case:
    """One generated spec file."""

    name: str
    category: str
    suffix: str
    data: bytes


# --- valid specs of random shapes -------------------------------------------------------------


def valid_spec(rng: random.Random, big: bool = False) -> dict[str, Any]:
    """A spec that tracegen accepts: random layers, activations, loss, data and training."""
    inputs = rng.randint(1, 40 if big else 4)
    samples = rng.randint(1, 60 if big else 4)
    sizes = [rng.randint(1, 64 if big else 4) for _ in range(rng.randint(1, 6 if big else 3))]
    loss = rng.choice(("bce", "mse", "cross_entropy"))
    if loss == "cross_entropy":
        sizes[-1] = max(sizes[-1], 2)
    layers, fan_in = [], inputs
    for i, units in enumerate(sizes):
        last = i == len(sizes) - 1
        act = {"bce": "sigmoid", "cross_entropy": "softmax"}[loss] if last and loss != "mse" else \
            rng.choice(ACTIVATIONS[:5])
        layer: dict[str, Any] = {"units": units, "activation": act}
        if rng.random() < 0.9:
            layer["W"] = [[rng.choice((-2, -1, 0, 1, 2, 0.5, -0.25)) for _ in range(fan_in)] for _ in range(units)]
            layer["b"] = [rng.choice((-1, 0, 1, 0.5)) for _ in range(units)]
        layers.append(layer)
        fan_in = units
    x = [[rng.choice((0, 1, 0.5, -1, 2)) for _ in range(inputs)] for _ in range(samples)]
    y = fuzzing.targets(rng, loss, sizes[-1], samples)
    spec: dict[str, Any] = {
        "title": rng.choice(("Class 3", "Übung 4 — Rückwärts", "练习", "درس")),
        "network": {"layers": layers},
        "loss": loss,
        "data": {"x": x, "y": y},
        "training": {"learning_rate": rng.choice((0.1, 0.01, 0.5)),
                     "epochs": rng.randint(1, 1000 if big else 5)},
        "display": {"decimals": rng.randint(0, 10 if big else 4)},
    }
    if any("W" not in layer for layer in layers):
        spec["variants"] = {"weights": {"values": [-1, 0, 1]}, "biases": {"values": [0, 1]}}
    return spec


# --- mutations of the data ---------------------------------------------------------------------


def paths(data: Any, prefix: tuple = ()) -> Iterator[tuple]:
    """Every key path inside `data` (dict keys and list indices)."""
    yield prefix
    if isinstance(data, dict):
        for key, value in data.items():
            yield from paths(value, (*prefix, key))
    elif isinstance(data, list):
        for i, value in enumerate(data[:8]):
            yield from paths(value, (*prefix, i))


def put(data: Any, path: tuple, value: Any) -> None:
    for step in path[:-1]:
        data = data[step]
    data[path[-1]] = value


def delete(data: Any, path: tuple) -> None:
    for step in path[:-1]:
        data = data[step]
    del data[path[-1]]


ODD_VALUES: list[Any] = [None, True, False, 0, -1, 1025, 10 ** 9, 1e308, -1e-320, 0.1, "", "2", "relu", "x" * 300,
                         [], {}, [[]], [1, [2]], {"name": "mse"}, [[1, 2], [3]], [None], ["a", 1], {"units": 2}]
ODD_KEYS = ("unitz", "Activation", "learningrate", "W ", "", "\u00e9", "<script>", "k" * 200)


def mutate_value(rng: random.Random, spec: dict) -> str:
    path = rng.choice([p for p in paths(spec) if p])
    put(spec, path, rng.choice(ODD_VALUES))
    return "value"


def mutate_key(rng: random.Random, spec: dict) -> str:
    path = rng.choice([p for p in paths(spec) if p and isinstance(p[-1], str)])
    if rng.random() < 0.5:
        delete(spec, path)
        return "missing-key"
    parent = spec
    for step in path[:-1]:
        parent = parent[step]
    parent[rng.choice(ODD_KEYS)] = 1
    return "unknown-key"


def mutate_shape(rng: random.Random, spec: dict) -> str:
    layers = spec["network"]["layers"]
    layer = rng.choice(layers)
    choice = rng.randrange(6)
    if choice == 0 and "W" in layer:
        layer["W"] = layer["W"][:-1] or [[1, 2, 3]]
    elif choice == 1:
        spec["data"]["x"] = rng.choice(([], [[]], [[1, 2], [3]], [[[1]]], 5, [1] * 50))
    elif choice == 2:
        spec["data"]["y"] = rng.choice(([], [2, 3], [[0.5, 0.5, 0.5]], -1, [[1]] * 9))
    elif choice == 3:
        layer["units"] = rng.choice((0, -3, 1.5, 1024, 10 ** 6, "4"))
    elif choice == 4:
        spec["training"]["epochs"] = rng.choice((0, 1001, 2.5, 10 ** 18, -1, "3"))
    else:
        spec.setdefault("variants", {})["tries"] = rng.choice((0, 10 ** 6, 10 ** 7, -5, 1.5))
    return "shape"


def oversize(rng: random.Random, spec: dict) -> str:
    """Work far beyond the limits: huge networks, many samples or epochs, wide matrices."""
    units = rng.choice((64, 256, 1024))
    depth = rng.choice((2, 4, 10, 200))
    samples = rng.choice((1, 50, 500))
    inputs = rng.choice((3, 64, 500))
    spec["network"]["layers"] = [{"units": units, "activation": "relu"} for _ in range(depth - 1)] + \
                                [{"units": 1, "activation": "sigmoid"}]
    spec["loss"] = "bce"
    spec["data"] = {"x": [[1] * inputs] * samples, "y": [1] * samples}
    spec["training"] = {"epochs": rng.choice((1, 20, 1000))}
    spec["variants"] = {"weights": {"values": [-1, 0, 1]}, "biases": {"values": [0, 1]}}
    return "oversize"


DATA_MUTATIONS: list[Callable[[random.Random, dict], str]] = [mutate_value, mutate_key, mutate_shape, oversize]


# --- text-level hostility: raw tokens placed where a value goes ----------------------------------


def raw_tokens(rng: random.Random, suffix: str) -> tuple[str, str]:
    """(category, raw text for a value) in the syntax of `suffix`."""
    depth = rng.choice((17, 50, 500, 5000, 100_000))
    choices = [
        ("huge-int", "1" + "0" * rng.choice((309, 400, 4301, 5000, 20_000))),
        ("float-overflow", {"yaml": ".inf", "json": "1e400", "toml": "inf"}[suffix[1:]]),
        ("nan", {"yaml": ".nan", "json": "NaN", "toml": "nan"}[suffix[1:]]),
        ("surrogate", '"ab\\ud800cd"'),
        ("control-chars", '"a\\u0000b\\u001b[2J\\u0007c"'),
        ("bidi", '"Ada \\u202e04s"'),
        ("long-string", '"' + "W" * rng.choice((10_000, 100_000)) + '"'),
        ("deep-list", "[" * depth + "1" + "]" * depth),
        ("deep-map", {"yaml": "{a: " * depth + "1" + "}" * depth, "json": '{"a": ' * depth + "1" + "}" * depth,
                      "toml": "{a = " * min(depth, 5000) + "1" + "}" * min(depth, 5000)}[suffix[1:]]),
    ]
    return rng.choice(choices)


def with_hole(rng: random.Random, spec: dict) -> None:
    path = rng.choice([p for p in paths(spec) if p])
    put(spec, path, HOLE)


def duplicate_key(text: str, suffix: str) -> str:
    if suffix == ".json":
        return text[:-1] + ', "loss": "mse"}'
    if suffix == ".toml":
        return 'loss = "mse"\n' + text
    return text + "loss: mse\n"


def yaml_bomb(rng: random.Random, spec: dict) -> str:
    """A billion-laughs style alias bomb, or a self-referencing alias, in a spec."""
    if rng.random() < 0.2:
        bomb = rng.choice(("title: &a [1, *a]\n", "title: &a\n  - *a\n", "title: &a {b: *a}\n"))
        return bomb + write({k: v for k, v in spec.items() if k != "title"}, ".yaml")
    fan, levels = rng.choice((4, 9, 10)), rng.choice((4, 6, 9, 12))
    lines = ["l0: &l0 [" + ", ".join(["lol"] * fan) + "]"]
    lines += [f"l{i}: &l{i} [" + ", ".join([f"*l{i - 1}"] * fan) + "]" for i in range(1, levels)]
    if rng.random() < 0.5:
        lines.append(f"data: {{x: *l{levels - 1}, y: 1}}")
        rest = {k: v for k, v in spec.items() if k != "data"}
    else:
        lines.append(f"title: *l{levels - 1}")
        rest = {k: v for k, v in spec.items() if k != "title"}
    return "\n".join(lines) + "\n" + write(rest, ".yaml")


# --- writers -------------------------------------------------------------------------------------


def toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return str(value).lower()
    if value is None:
        return '"null"'  # TOML has no null; a string is as wrong for the spec
    if isinstance(value, str):
        return json.dumps(value)
    if isinstance(value, float) and value != value:
        return "nan"
    if isinstance(value, list):
        return "[" + ", ".join(toml_value(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{json.dumps(str(k))} = {toml_value(v)}" for k, v in value.items()) + "}"
    return repr(value)


def write(spec: Any, suffix: str) -> str:
    if suffix == ".json":
        return json.dumps(spec, ensure_ascii=False)
    if suffix == ".toml":
        if not isinstance(spec, dict):
            return f"value = {toml_value(spec)}\n"
        return "".join(f"{json.dumps(str(k))} = {toml_value(v)}\n" for k, v in spec.items())
    return yaml.safe_dump(spec, sort_keys=False, allow_unicode=True, width=10_000)


def fill(text: str, raw: str) -> str:
    for quoted in (f'"{HOLE}"', f"'{HOLE}'", HOLE):
        if quoted in text:
            return text.replace(quoted, raw, 1)
    return text


def broken_bytes(rng: random.Random, data: bytes) -> tuple[str, bytes]:
    choice = rng.randrange(6)
    if choice == 0:
        return "invalid-utf8", data[: len(data) // 2] + b"\xff\xfe\xc3(" + data[len(data) // 2:]
    if choice == 1:
        return "nul-bytes", data.replace(b":", b":\x00", 3)
    if choice == 2:
        return "truncated", data[: rng.randrange(max(len(data), 1))]
    if choice == 3:
        flipped = bytearray(data)
        for _ in range(rng.randint(1, 8)):
            if flipped:
                flipped[rng.randrange(len(flipped))] = rng.randrange(256)
        return "flipped", bytes(flipped)
    if choice == 4:
        return "oversize-file", data + b"\n#" + b"x" * (1 << 20)
    return "empty", rng.choice((b"", b"\n", b"# only a comment\n", b"[]", b"42", b"\xef\xbb\xbf"))


# --- the corpus ----------------------------------------------------------------------------------


def corpus(count: int, seed: int) -> Iterator[Case]:
    """`count` specs, the same for the same seed, cycling through the formats."""
    rng = random.Random(seed)
    for index in range(count):
        suffix = SUFFIXES[index % 3]
        spec = valid_spec(rng, big=rng.random() < 0.1)
        kind = rng.random()
        if kind < 0.15:
            category, text = "valid", write(spec, suffix)
        elif kind < 0.45:
            category = rng.choice(DATA_MUTATIONS)(rng, spec)
            text = write(spec, suffix)
        elif kind < 0.75:
            with_hole(rng, spec)
            category, raw = raw_tokens(rng, suffix)
            text = fill(write(spec, suffix), raw)
        elif kind < 0.82:
            category, text = "duplicate-key", duplicate_key(write(spec, suffix), suffix)
        elif kind < 0.88 and suffix == ".yaml":
            category, text = "yaml-bomb", yaml_bomb(rng, spec)
        else:
            category, data = broken_bytes(rng, write(spec, suffix).encode("utf-8"))
            yield Case(f"{index:05d}-{category}{suffix}", category, suffix, data)
            continue
        yield Case(f"{index:05d}-{category}{suffix}", category, suffix, text.encode("utf-8", "surrogatepass"))


# --- running -------------------------------------------------------------------------------------


@dataclass
class Report:
    """What the run saw."""

    runs: int = 0
    exits: Counter = field(default_factory=Counter)
    categories: Counter = field(default_factory=Counter)
    outcomes: Counter = field(default_factory=Counter)  # (category, command, exit code) -> runs
    failures: list[str] = field(default_factory=list)  # internal errors, tracebacks, long or multi-line messages
    hangs: list[str] = field(default_factory=list)
    slowest: tuple[float, str] = (0.0, "")

    @property
    def passed(self) -> bool:
        return not (self.failures or self.hangs)

    def summary(self) -> str:
        lines = [f"{self.runs} commands on {sum(self.categories.values())} specs; exit codes: "
                 + ", ".join(f"{code}: {n}" for code, n in sorted(self.exits.items())),
                 f"internal errors and bad messages: {len(self.failures)}; hangs: {len(self.hangs)}; "
                 f"slowest: {self.slowest[0]:.2f} s ({self.slowest[1]}); "
                 f"peak memory: {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024} MB",
                 "categories: " + ", ".join(f"{c} {n}" for c, n in sorted(self.categories.items()))]
        lines += [f"FAIL {line}" for line in self.failures[:20]] + [f"HANG {line}" for line in self.hangs[:20]]
        return "\n".join(lines)


def run_case(case: Case, folder: Path, report: Report, timeout: float = TIMEOUT) -> None:
    """Run `check` and `trace -o` on one spec and record what happened."""
    path = folder / case.name
    path.write_bytes(case.data)
    report.categories[case.category] += 1
    for args in (["check", str(path)], ["trace", str(path), "-o", str(folder / "trace.csv")]):
        label = f"{args[0]} {case.name}"
        try:
            result = invoke(args, timeout)
        except Hang:
            report.hangs.append(label)
            continue
        report.runs += 1
        report.exits[result.code] += 1
        report.outcomes[(case.category, args[0], result.code)] += 1
        report.slowest = max(report.slowest, (result.wall, label))
        err = result.err
        if (result.code not in (0, 2) or "internal error" in err or "Traceback" in err
                or err.count("\n") > (1 if result.code else len(_notes(err)))
                or any(len(line) > MAX_LINE for line in err.splitlines())):
            report.failures.append(f"{label}: exit {result.code}: {err[:300]!r}")


def _notes(err: str) -> list[str]:
    """`check`'s notes on what other commands refuse: one line each, any number of them."""
    return [line for line in err.splitlines() if line.startswith("tracegen: note: ")]


def fuzz(count: int, seed: int, keep: Path | None = None, timeout: float = TIMEOUT) -> Report:
    report = Report()
    fuzzing.run(corpus(count, seed), lambda case, folder: run_case(case, folder, report, timeout), keep)
    return report


def _options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--timeout", type=float, default=TIMEOUT, help="seconds per command before it is a hang")
    parser.add_argument("--memory-mb", type=int, default=2048,
                        help="address-space limit of this process; a blow-up then fails as a MemoryError")


def _fuzz(args: argparse.Namespace) -> Report:
    resource.setrlimit(resource.RLIMIT_AS, (args.memory_mb << 20, resource.RLIM_INFINITY))
    return fuzz(args.count, args.seed, args.keep, args.timeout)


if __name__ == "__main__":
    sys.exit(fuzzing.main(__doc__, 2100, "save the corpus into this folder", _fuzz, _options))
