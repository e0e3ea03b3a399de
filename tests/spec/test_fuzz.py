"""A seeded subset of the fuzz corpus (scripts/fuzz_specs.py; the full run of 2,100 specs is
documented in docs/testing.md): no internal error, no traceback, no hang, one short line, and
every hostile class refused with exit 2."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "fuzz_specs.py"
REFUSED = ("yaml-bomb", "deep-list", "deep-map", "huge-int", "surrogate", "duplicate-key", "oversize-file",
           "invalid-utf8", "float-overflow", "nan")


def load(script: Path):
    """A fuzz script as a module, beside the runner it shares (scripts/fuzzing.py)."""
    if str(script.parent) not in sys.path:
        sys.path.insert(0, str(script.parent))
    spec = importlib.util.spec_from_file_location(script.stem, script)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


def load_fuzzer():
    return load(SCRIPT)


def test_the_corpus_is_the_same_for_the_same_seed():
    fuzzer = load_fuzzer()
    first = [(case.name, case.data) for case in fuzzer.corpus(60, seed=5)]
    assert first == [(case.name, case.data) for case in fuzzer.corpus(60, seed=5)]
    assert first != [(case.name, case.data) for case in fuzzer.corpus(60, seed=6)]


@pytest.mark.slow
def test_a_seeded_corpus_gives_no_internal_error_and_no_hang():
    fuzzer = load_fuzzer()
    report = fuzzer.fuzz(count=300, seed=11, timeout=60)
    assert report.failures == [] and report.hangs == []
    assert report.runs == 600 and set(report.exits) == {0, 2}
    assert set(REFUSED) | {"valid", "oversize", "control-chars", "bidi", "long-string"} <= set(report.categories)
    accepted = {(category, command) for (category, command, code), _ in report.outcomes.items() if code == 0}
    assert not {category for category, _ in accepted} & set(REFUSED)
    assert ("valid", "trace") in accepted  # the good specs do get traced


# --- scripts/fuzz_commands.py: all four commands on YAML 1.1 types, anchors, overflow, extremes -----------

COMMANDS_SCRIPT = SCRIPT.with_name("fuzz_commands.py")


def load_commands_fuzzer():
    return load(COMMANDS_SCRIPT)


def test_the_commands_corpus_is_seeded_and_has_every_family():
    fuzzer = load_commands_fuzzer()
    first = [(case.name, case.text) for case in fuzzer.corpus(120, seed=4)]
    assert first == [(case.name, case.text) for case in fuzzer.corpus(120, seed=4)]
    assert {name.split("-")[1].split(".")[0] for name, _ in first} == set(fuzzer.FAMILIES)


def test_a_seeded_subset_keeps_every_promise_of_the_four_commands():
    """No internal error, no multi-line refusal, no nan or inf on a page, nothing slow, and check, trace,
    render and batch agree (the rules in the script's docstring); the full run is in docs/testing.md."""
    fuzzer = load_commands_fuzzer()
    report = fuzzer.fuzz(count=10, seed=16, slow=30.0)  # all seven families
    assert report.failures == []
    assert report.specs == 10 and report.pages > 0
    assert {code for (_, code) in report.exits} == {0, 2}
