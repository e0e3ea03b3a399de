"""The worked solution for students: every step and number of the key, no grader notes or tolerances,
in every format, from `render`, `batch` and the Python API."""

from __future__ import annotations

import math
import re
from functools import cache
from pathlib import Path

import pytest
from click.testing import CliRunner
from documents import DEEP, SOFTMAX, distinctive_answers, md_math_balanced, searchable

import tracegen
from tracegen.cli import cli
from tracegen.render import render_documents

FORMATS = ("md", "html", "pdf")
SPECS = {"class3": None, "deep": DEEP, "softmax": SOFTMAX}
FOR_GRADERS = ("Grader", "accept", "tolerance", "grader note")


@cache
def documents(name: str) -> tuple[tracegen.Trace, dict[tuple[str, str], bytes]]:
    spec = tracegen.load_example() if SPECS[name] is None else tracegen.Spec.from_dict(SPECS[name])
    trace = tracegen.trace(spec)
    return trace, render_documents(trace, ("key", "solution"), FORMATS)


def without_grader_notes(key_md: str) -> str:
    """The key's Markdown with its grader notes (quoted paragraphs opening "Grader:") taken out."""
    return re.sub(r"\n> Grader: [^\n]*\n", "\n", key_md)


@pytest.mark.parametrize("name", SPECS)
def test_the_solution_is_the_key_without_its_grader_notes(name: str) -> None:
    """Every step and number of the key, line for line; only the notes to graders and the sentence
    that introduces them are gone, and the label says what the document is."""
    _, docs = documents(name)
    key, solution = docs[("key", "md")].decode(), docs[("solution", "md")].decode()
    assert key.count("> Grader: ") > 0  # the test means something: this key has notes to drop
    expected = without_grader_notes(key).replace("Answer key", "Worked solution")
    rounding_key = next(line for line in expected.splitlines() if line.startswith("Each result is exact"))
    rounding_solution = next(line for line in solution.splitlines() if line.startswith("Each result is exact"))
    assert re.sub(r"\n\n+", "\n\n", solution) == re.sub(r"\n\n+", "\n\n", expected.replace(rounding_key,
                                                                                            rounding_solution))
    assert md_math_balanced(solution)


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("name", SPECS)
def test_the_solution_shows_every_answer_and_nothing_for_graders(name: str, fmt: str) -> None:
    trace, docs = documents(name)
    text = re.sub(r"<style>.*?</style>", "", searchable("solution", fmt, docs), flags=re.DOTALL)  # CSS comments
    assert sorted(a for a in distinctive_answers(trace) if a not in text) == []
    assert [word for word in FOR_GRADERS if word.lower() in text.lower()] == []
    assert "Worked solution" in text
    assert "Grader" in searchable("key", fmt, docs)


def test_the_class3_solution_has_the_numbers_of_the_maths() -> None:
    """ŷ = σ(2), L = −log σ(2), δ⁽²⁾ = σ(2) − 1 of epoch 1, from the formulas, as printed."""
    md = documents("class3")[1][("solution", "md")].decode()
    y_hat = 1 / (1 + math.exp(-2))
    for value in (y_hat, -math.log(y_hat), y_hat - 1, 2 * (y_hat - 1)):
        assert f"{value:.3f}" in md
    assert "exactly on the kink" in md  # the rule at the kink is part of the working, not a grader's note


def test_the_python_api_and_a_notebook_give_the_solution(tmp_path: Path) -> None:
    trace, docs = documents("class3")
    solution = tracegen.solution(trace)
    assert repr(solution).startswith("<Document: worked solution of 'Class 3: Training by Hand' (variant base)")
    assert solution.markdown().encode() == docs[("solution", "md")]
    assert solution.html().encode() == docs[("solution", "html")]
    assert "<title>Class 3: Training by Hand · Worked solution</title>" in solution.html()
    assert solution.save(tmp_path / "s.pdf").read_bytes()[:5] == b"%PDF-"
    assert "solution" in tracegen.__all__


def test_render_writes_the_solution_when_asked_and_only_then(tmp_path: Path) -> None:
    result = CliRunner().invoke(cli, ["render", "--to", "md,html", "--kind", "solution", "-o", str(tmp_path / "s")])
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in (tmp_path / "s").iterdir()) == ["class3-solution.html", "class3-solution.md"]
    result = CliRunner().invoke(cli, ["render", "--to", "md", "-o", str(tmp_path / "d")])
    assert sorted(p.name for p in (tmp_path / "d").iterdir()) == ["class3-key.md", "class3-worksheet.md"]
    assert "solution (for students)" in " ".join(CliRunner().invoke(cli, ["render", "--help"]).output.split())


def test_batch_writes_each_variants_solution(tmp_path: Path) -> None:
    manifest = tracegen.batch(tracegen.load_example(), tmp_path, variants=2, seed=3, to="md",
                              kind=("worksheet", "solution"), jobs=1)
    assert manifest["file"].str.split("/").str[1].tolist() == ["spec.yaml", "worksheet.md", "solution.md"] * 2
    for vid in manifest.variant.unique():
        solution = (tmp_path / vid / "solution.md").read_text(encoding="utf-8")
        trace = tracegen.trace(tmp_path / vid / "spec.yaml")
        assert f"Worked solution · Variant {vid}" in solution and "Grader" not in solution
        assert sorted(a for a in distinctive_answers(trace) if a not in solution) == []
    result = CliRunner().invoke(cli, ["batch", "--variants", "1", "--kind", "answers", "-o", str(tmp_path / "x")])
    assert result.exit_code == 2 and "worksheet, key, solution" in result.output
