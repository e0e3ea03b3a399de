"""Hostile and careless spec files (issue 11): bombs, nesting, huge integers, lone surrogates,
duplicate keys, oversize files and runaway messages are refused with exit 2 and one short
line, by key path where there is one, before the validator or the engine runs and in
little memory; what is not the user's fault (out of memory) is one line and exit 1."""

from __future__ import annotations

import os
import tracemalloc
from pathlib import Path

import pytest
from click.testing import CliRunner

import tracegen
import tracegen.engine.trace
import tracegen.spec.model
from tracegen.cli import MAX_MESSAGE, cli
from tracegen.spec import reading as specfile

BASE = "network:\n  layers:\n    - {units: 1, activation: sigmoid, W: [[1]], b: [0]}\nloss: bce\ndata: {x: [1], y: 1}\n"


def bomb(levels: int = 9, fan: int = 9) -> str:
    """A billion-laughs YAML: 9 levels of 9 aliases each expand to 9^9 = 387 million values."""
    lines = ["l0: &l0 [" + ", ".join(["lol"] * fan) + "]"]
    lines += [f"l{i}: &l{i} [" + ", ".join([f"*l{i - 1}"] * fan) + "]" for i in range(1, levels)]
    return "\n".join(lines) + "\n"


DIGITS = "beyond the range of numbers (about ±1.8e308)"
DEEP = "nested deeper than 16 levels of lists and mappings"
# (id, suffix, file text, the message after "<file>: ")
HOSTILE = [
    ("yaml-alias-bomb", ".yaml", bomb() + BASE,
     "line 6, column 15: holds more than 200,000 values once its YAML aliases are expanded; a spec needs far fewer"),
    ("yaml-alias-in-itself", ".yaml", "title: &a [1, *a]\n" + BASE,
     "line 1, column 15: contains itself (a YAML alias inside its own anchor)"),
    ("yaml-nesting-5000", ".yaml", "title: " + "[" * 5000 + "]" * 5000 + "\n" + BASE, f"line 1: {DEEP}"),
    ("json-nesting-5000", ".json", '{"title": ' + "[" * 5000 + "]" * 5000 + "}", DEEP),
    ("json-nesting-20", ".json", '{"data": {"x": ' + "[" * 20 + "]" * 20 + "}}", f"data.x{'[0]' * 14}: {DEEP}"),
    ("toml-nesting-5000", ".toml", "title = " + "[" * 5000 + "]" * 5000 + "\n", DEEP),
    ("yaml-int-10^400", ".yaml", BASE + "training: {epochs: 1" + "0" * 400 + "}\n",
     f"training.epochs: a number with 401 digits is {DIGITS}"),
    ("json-int-5000-digits", ".json", '{"training": {"epochs": ' + "9" * 5000 + "}}",
     f"training.epochs: a number with 5,000 digits is {DIGITS}"),
    ("yaml-int-5000-digits", ".yaml", BASE + "display: {decimals: -" + "9" * 5000 + "}\n",
     f"display.decimals: a number with 5,000 digits is {DIGITS}"),
    ("toml-int-5000-digits", ".toml", 'loss = "bce"\n[training]\nepochs = ' + "9" * 5000 + "\n",
     f"line 3: a number with 5,000 digits is {DIGITS}"),
    ("json-lone-surrogate", ".json", '{"title": "a\\ud800"}',
     "title: text 'a\\ud800' is not valid Unicode: a lone surrogate ('\\ud800') at character 2"),
    ("yaml-lone-surrogate", ".yaml", BASE + 'title: "a\\udfff b"\n',
     "invalid YAML at line 6, column 12: found invalid Unicode character escape code"),
    ("yaml-duplicate-key", ".yaml", "loss: bce\nloss: mse\n",
     "line 2, column 1: duplicate key 'loss' (first on line 1)"),
    ("json-duplicate-key", ".json", '{"training": {"epochs": 2, "epochs": 3}}', "training.epochs: duplicate key"),
    ("toml-duplicate-key", ".toml", "[training]\nepochs = 2\nepochs = 3\n",
     "invalid TOML: Cannot overwrite a value (at line 3, column 11)"),
    ("not-utf8", ".yaml", "title: caf\udce9\n", "line 1: not UTF-8 text (save the spec as UTF-8)"),
]


@pytest.fixture
def no_work(forbid) -> None:
    """A refusal must come first: neither the validator nor the engine may run."""
    forbid((tracegen.spec.model, "_parse"), (tracegen.engine.trace, "train"))


@pytest.mark.parametrize(("suffix", "text", "message"), [h[1:] for h in HOSTILE], ids=[h[0] for h in HOSTILE])
def test_hostile_spec_files_are_refused_by_the_parser_in_little_memory(tmp_path: Path, no_work: None, suffix: str,
                                                                         text: str, message: str) -> None:
    path = tmp_path / f"spec{suffix}"
    path.write_bytes(text.encode("utf-8", "surrogateescape"))
    tracemalloc.start()
    try:
        with pytest.raises(tracegen.SpecError) as err:
            tracegen.load_spec(path)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert str(err.value) == f"{path}: {message}"
    assert peak < 30 * 2**20  # the 9^9 bomb, expanded, would take gigabytes
    for command in ("check", "trace"):
        result = CliRunner().invoke(cli, [command, str(path)])
        assert (result.exit_code, result.stderr, result.stdout) == (2, f"tracegen: error: {path}: {message}\n", "")


def test_a_spec_file_over_the_size_cap_is_not_read(tmp_path: Path, no_work: None) -> None:
    path = tmp_path / "big.yaml"
    path.write_bytes(BASE.encode() + b"#" + b"x" * specfile.MAX_BYTES)
    result = CliRunner().invoke(cli, ["check", str(path)])
    assert result.exit_code == 2
    assert result.stderr == (f"tracegen: error: {path}: the spec file is larger than 1,024 KiB; a spec needs a few KB "
                             "(is this the right file?)\n")


@pytest.mark.parametrize(("data", "message"), [
    ({"training": {"epochs": 10 ** 5000}}, f"training.epochs: a number with 5,001 digits is {DIGITS}"),
    ({"data": {"x": [1, -(10 ** 309)]}}, f"data.x[1]: a number with 310 digits is {DIGITS}"),
    ({"title": "\udc80"}, "title: text '\\udc80' is not valid Unicode: a lone surrogate ('\\udc80') at character 1"),
])
def test_the_python_api_refuses_the_same_values(no_work: None, data: dict, message: str) -> None:
    with pytest.raises(tracegen.SpecError) as err:
        tracegen.Spec.from_dict(data)
    assert str(err.value) == message


def test_a_mapping_that_contains_itself_is_refused(no_work: None) -> None:
    data: dict = {"network": {}}
    data["network"]["layers"] = [data]
    with pytest.raises(tracegen.SpecError, match=r"^network\.layers\[0\]: contains itself"):
        tracegen.Spec.from_dict(data)


# --- messages stay one short line ----------------------------------------------------------------


@pytest.mark.parametrize(("extra", "message"), [
    ("title: [" + "W" * 10_000 + "]\n", "title: expected non-empty text, got a list of 1"),
    ("\"\\e[31m" + "k" * 990 + "\": 1\n",  # YAML keys are at most 1024 characters
     "'\\x1b[31m" + "k" * 34 + "…' (995 characters): unknown key; expected one of title, "
     "network, loss, data, training, display, variants, grading"),
    ("display: {decimals: '" + "3" * 10_000 + "'}\n",
     "display.decimals: expected a whole number from 0 to 10, got the text '333333333333333333333333333333333333333…' "
     "(10,000 characters)"),
])
def test_user_text_is_quoted_short_and_escaped(write_spec, extra: str, message: str) -> None:
    path = write_spec(BASE + extra)
    result = CliRunner().invoke(cli, ["check", str(path)])
    assert (result.exit_code, result.stderr) == (2, f"tracegen: error: {path}: {message}\n")


def test_any_error_is_cut_to_one_short_line(monkeypatch: pytest.MonkeyPatch) -> None:
    def wordy(*args: object, **kwargs: object) -> None:
        raise tracegen.SpecError("data.x", "first line\nsecond\x1b[2J line " + "z" * 20_000)

    monkeypatch.setattr("tracegen.engine.trace.trace", wordy)
    result = CliRunner().invoke(cli, ["trace"])
    assert result.exit_code == 2
    line = result.stderr.removesuffix("\n")
    assert "\n" not in line and "\x1b" not in line and len(line) == len("tracegen: error: ") + MAX_MESSAGE
    assert line.startswith("tracegen: error: data.x: first line second [2J line zzz") and line.endswith("z…")


def test_out_of_memory_is_one_line_and_exit_1(monkeypatch: pytest.MonkeyPatch) -> None:
    def hungry(*args: object, **kwargs: object) -> None:
        raise MemoryError

    monkeypatch.setattr("tracegen.engine.trace.trace", hungry)
    result = CliRunner().invoke(cli, ["trace"])
    assert (result.exit_code, result.stderr) == (1, "tracegen: error: out of memory: this machine could not hold the "
                                                    "work, although the spec is within tracegen's limits; close other "
                                                    "programs or use a smaller spec\n")


def test_titles_are_one_line_without_control_characters(class3_dict: dict) -> None:
    class3_dict["title"] = "  Class\u00a03\n\tTraining\x1b[31m by\u202e Hand\x00 "
    assert tracegen.Spec.from_dict(class3_dict).title == "Class 3 Training [31m by Hand"
    class3_dict["title"] = "T" * 201
    with pytest.raises(tracegen.SpecError, match="^title: expected at most 200 characters, got 201$"):
        tracegen.Spec.from_dict(class3_dict)


# --- YAML read as YAML 1.2, its limits counted while reading (issue 20) ---------------------------

CHAINED = "".join(f"a{i}: &a{i} " + "[" * 12 + (f"*a{i - 1}" if i else "1") + "]" * 12 + "\n" for i in range(45))


@pytest.mark.parametrize(("text", "message"), [
    # YAML 1.1 types are text in YAML 1.2: a base-60 float was an internal error, a date a datetime
    (BASE + "training: {learning_rate: 1:00:00.5}\n",
     "training.learning_rate: expected a number, got the text '1:00:00.5'"),
    (BASE + "title: 2001-12-14\ntraining: {epochs: 1}\n", None),
    (BASE + "variants: {constraints: {no_kinks: no}}\n",
     "variants.constraints.no_kinks: expected true or false, got the text 'no'"),
    (BASE + "title: !!binary " + "QUJD" * 200 + "\n",
     "line 6, column 8: the tag '!!binary' is not allowed in a spec, which holds numbers, text, true/false, null, "
     "lists and mappings"),
    (CHAINED + BASE, "line 2, column 21: nested deeper than 16 levels of lists and mappings once the alias *a0 is "
                     "expanded"),
    ("a: 1\n---\n" + BASE, "line 2, column 1: a second YAML document (---): a spec file holds one"),
    (BASE + "? [1]\n: 2\n", "line 6, column 3: a key must be text or a number, not a list or a mapping"),
    (BASE + "title: *nowhere\n", "line 6, column 8: the alias *nowhere has no anchor &nowhere before it"),
])
def test_yaml_is_read_as_yaml_1_2(write_spec, text: str, message: str | None) -> None:
    path = write_spec(text)
    result = CliRunner().invoke(cli, ["check", str(path)])
    if message is None:
        assert result.exit_code == 0 and "ok: 2001-12-14:" in result.stdout
    else:
        assert (result.exit_code, result.stderr) == (2, f"tracegen: error: {path}: {message}\n")


@pytest.mark.parametrize(("text", "message"), [
    ("title: " + "1:" * 300_000 + "0\n" + BASE, "title: expected non-empty text"),  # a 1.1 base-60 integer: text
    ("x: &x 1\ntitle: [" + "*x, " * 250_000 + "1]\n" + BASE,
     "line 2, column 799989: holds more than 200,000 values once its YAML aliases are expanded"),
    ("title: [" + "1, " * 250_000 + "1]\n" + BASE, "line 1, column 600000: holds more than 200,000 values;"),
])
def test_big_yaml_is_refused_while_reading(tmp_path: Path, no_work: None, text: str, message: str) -> None:
    """PyYAML took 30 s on the base-60 integer (its quadratic conversion) and seconds on the others,
    building everything before a limit looked; now the count stops the reading (or the text is text)."""
    path = tmp_path / "spec.yaml"
    path.write_text(text)
    if message.startswith("title:"):
        with pytest.raises(AssertionError, match="work started"):  # the validator runs: nothing was refused
            tracegen.load_spec(path)
        return
    with pytest.raises(tracegen.SpecError) as err:
        tracegen.load_spec(path)
    assert str(err.value).startswith(f"{path}: {message}")


def test_a_network_of_ten_thousand_layers_is_refused_by_its_count(write_spec) -> None:
    layers = [{"units": 1, "activation": "linear", "W": [[1]], "b": [0]}] * 10_000
    path = write_spec({"network": {"layers": layers}, "loss": "mse", "data": {"x": [1], "y": 1}})
    result = CliRunner().invoke(cli, ["check", str(path)])
    assert (result.exit_code, result.stderr) == (
        2, f"tracegen: error: {path}: network.layers: expected at most 64 layers, got 10,000\n")


@pytest.mark.parametrize("command", [["check", "{fifo}"], ["batch", "{spec}", "--roster", "{roster}",
                                                          "--secret-file", "{fifo}", "-o", "{out}"],
                                     ["batch", "{spec}", "--roster", "{fifo}", "-o", "{out}"]])
def test_a_named_pipe_is_refused_not_waited_on(tmp_path: Path, write_spec, class3_dict: dict,
                                               command: list[str]) -> None:
    """`open` of a FIFO blocks until a writer comes: the spec, the secret and the roster are refused unread."""
    fifo = tmp_path / "pipe.yaml"
    os.mkfifo(fifo)
    roster = tmp_path / "roster.csv"
    roster.write_text("student_id\ns1\n")
    names = {"fifo": fifo, "spec": write_spec(class3_dict), "roster": roster, "out": tmp_path / "out"}
    result = CliRunner().invoke(cli, [arg.format(**names) for arg in command])
    where = (f"{fifo}: " if command[0] == "check" else f"--secret-file: cannot read {fifo}: "
             if "--secret-file" in command else f"{fifo}: cannot read roster: ")
    assert result.exit_code == 2 and result.stderr.count("\n") == 1 and not names["out"].exists()
    assert result.stderr.endswith("not a regular file but a named pipe (FIFO)\n") and where in result.stderr


@pytest.mark.parametrize("rule", [{"low": -1e308, "high": 1e308, "step": 1}, {"low": 0, "high": 1, "step": 5e-324}])
def test_a_variants_range_beyond_float64_is_refused(rule: dict) -> None:
    spec = {"network": {"layers": [{"units": 1, "activation": "sigmoid"}]}, "loss": "bce",
            "data": {"x": [1], "y": 1}, "variants": {"weights": rule, "biases": {"values": [0]}}}
    with pytest.raises(tracegen.SpecError, match=r"^variants\.weights: expected at most 10,000 values from low to "
                                                 r"high by step, got more than float64 can count$"):
        tracegen.Spec.from_dict(spec)
