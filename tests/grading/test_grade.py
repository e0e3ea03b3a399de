"""`tracegen grade`: simulated students, built here from the slides' formulas (not from the
grader or the engine), are marked on real batches: the Class 3 example, a deep batch network
(ReLU, tanh, linear output, mse, 3 samples) and a softmax network (cross-entropy, 2 samples).
"""

from __future__ import annotations

import copy
import math
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner
from conftest import CLASS3
from students import (
    HALF,
    NETWORKS,
    SLIDES,
    at,
    key,
    make_batch,
    sheets,
    variant_specs,
    verdicts,
)

import tracegen
from tracegen.cli import cli
from tracegen.grading import accepted, typed
from tracegen.grading.policy import halfwidth
from tracegen.spec.model import Tolerance


@pytest.fixture(scope="module", params=sorted(NETWORKS))
def batch(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_batch(tmp_path_factory.mktemp(request.param), NETWORKS[request.param])


@pytest.fixture(scope="module")
def class3_batch(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_batch(tmp_path_factory.mktemp("class3"), CLASS3)


# --- students from the maths ---------------------------------------------------------------


def test_the_perfect_student_gets_full_marks(batch: Path) -> None:
    grades = tracegen.grade(batch, sheets(batch))
    book = grades.gradebook
    blanks = len(key(batch).columns)
    assert (book["score"] == blanks).all() and (book["max"] == blanks).all()
    assert (book["correct"] == blanks).all() and (book[["carried", "wrong", "blank"]] == 0).all().all()
    assert set(grades.detail["verdict"]) == {"correct"}


def test_a_student_carrying_printed_rounded_values_gets_full_marks(batch: Path) -> None:
    rounded = sheets(batch, decimals=3)
    book = tracegen.grade(batch, rounded).gradebook
    assert (book["correct"] == len(key(batch).columns)).all() and (book["score"] == book["max"]).all()
    # the case is real: carrying the rounded values moves many printed digits away from the key's
    off = (rounded.set_index("variant") - key(batch).round(3)).abs().to_numpy()
    assert (off > HALF + 1e-9).mean() > 0.1


def test_one_early_mistake_loses_that_blank_and_the_rest_is_carried(batch: Path) -> None:
    out_blank = next(c for c in key(batch).columns if c.startswith("e1:y_hat:0:0"))
    z_out = f"z{len(variant_specs(batch)[key(batch).index[0]]['network']['layers'])}"
    slip = at(1, z_out, lambda z, c: z + np.eye(1, z.size).reshape(z.shape) * 0.7)  # first cell 0.7 too high
    student = sheets(batch, decimals=3, mistake=slip)
    grades = tracegen.grade(batch, student)
    k = key(batch)
    for variant in k.index:
        verdict = verdicts(grades.detail, variant)
        wrote = student.set_index("variant").loc[variant]
        slipped = f"e1:{z_out}:0:0:0"
        assert verdict[slipped] == "wrong"
        others = verdict.drop(slipped)
        assert set(others) <= {"correct", "carried"}
        # carried exactly where the student's own number is neither the key's nor the rounded-carry one
        # a number the key gives is right (this student rounds binary floats, so a tie may go either way and
        # their chain may leave both careful ones: tests/grading/test_careful.py simulates careful students)
        moved = (wrote - k.loc[variant]).abs() > HALF + 1e-9
        assert not (others == "carried")[~moved.drop(slipped)].any()
        assert (others == "carried").any()
        assert verdict[out_blank] == "carried"
    book = grades.gradebook
    assert (book["score"] == book["max"] - 1).all() and (book["wrong"] == 1).all()


def test_carried_answers_earn_the_specs_share_of_marks(tmp_path: Path) -> None:
    spec = copy.deepcopy(CLASS3) | {"grading": {"carried": 0.5, "quantities": {"L": {"marks": 2}}}}
    batch = make_batch(tmp_path / "b", spec)
    student = sheets(batch, decimals=3, mistake=at(1, "z2", lambda z, c: z + 1))
    grades = tracegen.grade(batch, student)
    blanks = len(key(batch).columns)
    book = grades.gradebook
    assert (book["max"] == blanks + 3).all()  # L is worth 2 in each of 3 epochs
    d = grades.detail
    for variant, row in book.set_index("variant").iterrows():
        mine = d[d["variant"] == variant]
        carried = mine.loc[mine["verdict"] == "carried", "max_marks"].sum()
        assert row["score"] == pytest.approx(row["max"] - 1 - 0.5 * carried)
        assert carried >= 3  # ŷ, L (2 marks), δ, ... of epoch 1 at least


def test_ecf_against_a_hand_derivation_for_class3(tmp_path: Path) -> None:
    """The slides' network, z1 = [2, 1] instead of [2, -1], then worked on by hand (epoch 1)."""
    spec = copy.deepcopy(CLASS3) | {"variants": SLIDES}
    batch = make_batch(tmp_path / "b", spec, count=1)
    # by hand: h1 = [2, 1]; z2 = 1*2 - 1*1 + 0 = 1; ŷ = σ(1) = 0.731; L = -ln 0.731; δ2 = 0.731 - 1 = -0.269;
    # dW2 = δ2 h1 = [-0.538, -0.269]; δ1 = δ2 W2 ⊙ 1(z1 > 0) = [-0.269, 0.269]; dW1 = δ1ᵀ x; W ← W - 0.1 dW
    written = {"z1": [2, 1], "h1": [2, 1], "z2": [1], "y_hat": [0.731], "L": [0.313], "delta2": [-0.269],
               "dW2": [-0.538, -0.269], "db2": [-0.269], "delta1": [-0.269, 0.269],
               "dW1": [-0.269, 0, -0.269, 0.269, 0, 0.269], "db1": [-0.269, 0.269],
               "W1": [1.0269, -1, 1.0269, -2.0269, 0, 0.9731], "b1": [0.0269, 0.9731],
               "W2": [1.0538, -0.9731], "b2": [0.0269]}
    k = key(batch)
    row = {column: written[column.split(":")[1]].pop(0) for column in k.columns if column.startswith("e1:")}
    row["variant"] = k.index[0]
    detail = tracegen.grade(batch, pd.DataFrame([row])).detail.set_index("blank")
    expected = detail["from_own_answers"]
    hand = {"e1:z2:0:0:0": 1.0, "e1:y_hat:0:0:0": 1 / (1 + math.exp(-1)), "e1:L:-1:0:0": -math.log(0.731),
            "e1:delta2:0:0:0": -0.269, "e1:dW2:-1:0:0": -0.538, "e1:dW2:-1:0:1": -0.269,
            "e1:delta1:0:0:0": -0.269, "e1:delta1:0:1:0": 0.269, "e1:dW1:-1:1:2": 0.269, "e1:db1:-1:1:0": 0.269,
            "e1:W1:-1:0:0": 1 - 0.1 * -0.269, "e1:W1:-1:1:0": -2 - 0.1 * 0.269, "e1:W2:-1:0:0": 1 - 0.1 * -0.538,
            "e1:W2:-1:0:1": -1 - 0.1 * -0.269, "e1:b2:-1:0:0": 0.0269}
    for blank, value in hand.items():
        assert expected[blank] == pytest.approx(value, abs=1e-12), blank
    verdict = detail["verdict"]
    assert verdict["e1:z1:0:1:0"] == "wrong"
    right = ["e1:z1:0:0:0", "e1:h1:0:0:0", "e1:dW1:-1:0:1", "e1:dW1:-1:1:1", "e1:W1:-1:1:1"]
    assert (verdict[right] == "correct").all()
    assert (verdict[list(hand)] == "carried").all()
    assert (verdict[[b for b in verdict.index if not b.startswith("e1:")]] == "blank").all()


# Every Class 3 variant has the base spec's dead hidden unit (the fairness gates), so a slip in dW2
# or W2 shows in the entry of the unit that is alive, the first or the second.
ALIVE_DW2, ALIVE_W2 = ("e1:dW2:-1:0:0", "e1:dW2:-1:0:1"), ("e1:W2:-1:0:0", "e1:W2:-1:0:1")
MISTAKES = {  # network -> [(name, the mistake, the blank it is made in, or the blanks one of which it is)]
    "class3": [
        ("forgot_activation", at(1, "y_hat", lambda v, c: c["z2"]), "e1:y_hat:0:0:0"),
        ("sign", at(1, "dW2", lambda v, c: -v), ALIVE_DW2),
        ("transposed", at(1, "dW1", lambda v, c: v.T.reshape(v.shape)), None),
        ("learning_rate", at(1, "W2", lambda v, c: c["W2"] - c["dW2"]), ALIVE_W2),
        ("plus", at(1, "W2", lambda v, c: c["W2"] + 0.1 * c["dW2"]), ALIVE_W2),
        ("plus", at(2, "b2", lambda v, c: c["b2"] + 0.1 * c["db2"]), "e2:b2:-1:0:0"),
    ],
    "deep": [
        ("batch_mean", at(1, "delta3", lambda v, c: 3 * v), "e1:delta3:0:0:0"),
        ("batch_mean", at(1, "L", lambda v, c: c["sample_loss"].sum()), "e1:L:-1:0:0"),
        ("transposed", at(1, "z2", lambda v, c: c["h1"] @ c["W2"] + c["b2"]), None),
        ("forgot_activation", at(2, "h2", lambda v, c: c["z2"]), "e2:h2:0:0:0"),
        ("learning_rate", at(1, "W3", lambda v, c: c["W3"] - c["dW3"]), "e1:W3:-1:0:0"),
    ],
    "softmax": [
        ("forgot_activation", at(1, "y_hat", lambda v, c: c["z2"]), None),
        ("sign", at(1, "delta2", lambda v, c: -v), None),
        ("transposed", at(1, "delta1", lambda v, c: (c["delta2"] @ c["W2"].T) * (c["z1"] > 0)), None),
        ("plus", at(1, "W2", lambda v, c: c["W2"] + 0.5 * c["dW2"]), None),
    ],
}


@pytest.mark.parametrize("network", sorted(MISTAKES))
def test_each_named_mistake_is_recognised_and_what_follows_is_carried(network: str, tmp_path: Path) -> None:
    batch = make_batch(tmp_path / network, NETWORKS[network])
    k = key(batch)
    for mistake, slip, blank in MISTAKES[network]:
        student = sheets(batch, decimals=3, mistake=slip)
        detail = tracegen.grade(batch, student).detail
        wrong = detail[detail["verdict"] == "wrong"]
        assert len(wrong), mistake
        assert set(wrong["mistake"]) == {mistake}, (mistake, wrong[["variant", "blank", "mistake"]])
        assert wrong["note"].str.len().gt(10).all()
        if blank is not None:
            hits = wrong[wrong["blank"].isin([blank] if isinstance(blank, str) else blank)]
            assert sorted(hits["variant"]) == sorted(k.index), mistake  # once in every variant
        assert set(detail["verdict"]) <= {"correct", "carried", "wrong"}
        feeds_on = (wrong["name"] != "L").any()  # nothing is computed from L
        assert (detail["verdict"] == "carried").any() == feeds_on, mistake


def test_relu_derivative_at_the_kink_taken_as_one(tmp_path: Path) -> None:
    """W1 row 2 made to give z = 0 at a ReLU (the kink), and δ1 computed with relu'(0) = 1."""
    spec = copy.deepcopy(CLASS3)
    spec["network"]["layers"][0].update(W=[[1, -1, 1], [-1, 0, 1]], b=[0, 0])
    spec["variants"] = SLIDES | {"constraints": {"distinct": False, "no_kinks": False}}
    batch = make_batch(tmp_path / "kink", spec, count=1)
    slip = at(1, "delta1", lambda v, c: (c["delta2"] @ c["W2"]) * (c["z1"] >= 0))
    detail = tracegen.grade(batch, sheets(batch, decimals=3, mistake=slip)).detail.set_index("blank")
    assert detail.loc["e1:delta1:0:1:0", ["verdict", "mistake"]].tolist() == ["wrong", "relu_kink"]
    assert "ReLU′(0)" in detail.loc["e1:delta1:0:1:0", "note"]
    assert detail.loc["e1:dW1:-1:1:0", "verdict"] == "carried"


def test_rounding_too_early_is_named(class3_batch: Path) -> None:
    detail = tracegen.grade(class3_batch, sheets(class3_batch, decimals=2)).detail
    wrong = detail[detail["verdict"] == "wrong"]
    # an update smaller than the 2nd decimal rounds to the given it updates: what follows from that
    # copy earns no carried credit (the gaming guard), and is named so
    assert "rounded_early" in set(wrong["mistake"]) and set(wrong["mistake"]) <= {"rounded_early", "from_copy"}
    wrong = wrong[wrong["mistake"] == "rounded_early"]
    # off by at most half a unit of the 2nd decimal from the key, or from what their own earlier
    # (too early rounded) answers give (exactly half where that is a tie at 2 decimals: 1.055 -> 1.06)
    near = [(wrong["value"] - wrong[centre]).abs() <= 10 * HALF * (1 + 1e-9)
            for centre in ("key", "carried_from_start", "from_own_answers")]
    assert (near[0] | near[1] | near[2]).all() and near[0].any()
    assert len(wrong) < len(detail) / 2


def test_empty_blanks_and_missing_columns_are_blank(class3_batch: Path) -> None:
    student = sheets(class3_batch).set_index("variant")
    student = student.drop(columns=[c for c in student.columns if c.startswith("e3:")])
    student.iloc[0, :4] = np.nan
    grades = tracegen.grade(class3_batch, student.reset_index())
    book = grades.gradebook.set_index("variant")
    per_epoch = len([c for c in key(class3_batch).columns if c.startswith("e3:")])
    assert (book["blank"] == per_epoch + np.array([4, 0, 0])).all()
    assert (book["wrong"] == 0).all() and (book["carried"] == 0).all() and (book["epoch_3"] == 0).all()
    assert (book["score"] == book["max"] - book["blank"]).all()


def test_cells_that_are_not_numbers_are_wrong_with_the_reason(class3_batch: Path, tmp_path: Path) -> None:
    student = sheets(class3_batch, decimals=3).astype(object)
    garbage = {"e1:z1:0:0:0": "two", "e1:z1:0:1:0": "=1+1", "e1:h1:0:0:0": "1,5", "e1:z2:0:0:0": "1/2",
               "e1:y_hat:0:0:0": "nan", "e1:L:-1:0:0": "1e999", "e1:delta2:0:0:0": "<img src=x onerror=alert(1)>|*"}
    for column, text in garbage.items():
        student.loc[0, column] = text
    path = tmp_path / "responses.csv"
    student.to_csv(path, index=False)
    grades = tracegen.grade(class3_batch, path, out=tmp_path / "grades")
    detail = grades.detail.set_index(["variant", "blank"]).loc[student.loc[0, "variant"]]
    assert (detail.loc[list(garbage), "verdict"] == "wrong").all()
    assert detail.loc["e1:z1:0:0:0", "note"] == "not a number: 'two'"
    assert "comma" in detail.loc["e1:h1:0:0:0", "note"]
    assert detail.loc["e1:L:-1:0:0", "note"].startswith("too large")
    # what follows the unreadable cells is recomputed from the key's values there: still correct
    assert detail.loc["e1:dW2:-1:0:0", "verdict"] == "correct"
    # a student's text is escaped where it is shown: the answer and the reason quoting it
    variant = student.loc[0, "variant"]
    html = (tmp_path / "grades" / "feedback" / f"{variant}.html").read_text(encoding="utf-8")
    md = (tmp_path / "grades" / "feedback" / f"{variant}.md").read_text(encoding="utf-8")
    assert "<img" not in html and html.count("&lt;img src=x onerror=alert(1)&gt;") == 2
    assert "<img" not in md and md.count(r"&lt;img src=x onerror=alert(1)&gt;\|\*") == 2
    details_csv = (tmp_path / "grades" / "details.csv").read_text(encoding="utf-8")
    assert "'=1+1" in details_csv and ",=1+1" not in details_csv


@pytest.mark.parametrize(("text", "comma", "value"), [
    (" 0.5 ", False, 0.5), ("+0.5", False, 0.5), ("\u22120.119", False, -0.119), (".5", False, 0.5),
    ("-0", False, 0.0), ("1e-3", False, 0.001), ("5.", False, 5.0), ("- 2", False, -2.0), ("0,25", True, 0.25),
    ("\u2212,5", True, -0.5), ("1E+2", False, 100.0),
])
def test_numbers_as_people_type_them(text: str, comma: bool, value: float) -> None:
    kind, parsed, *_ = typed.read_number(text)
    assert (kind, parsed) == (typed.NUMBER_CELL, value)
    assert math.copysign(1, parsed) == 1 or value != 0


@pytest.mark.parametrize("text", ["abc", "0,5,", "1.2.3", "inf", "nan", "1/2", "0x10", "1_000", "e5", "--1"])
def test_what_is_not_a_number(text: str) -> None:
    kind, parsed, reason, _ = typed.read_number(text)
    assert kind == typed.GARBAGE and math.isnan(parsed) and reason


def test_a_semicolon_file_with_decimal_commas(class3_batch: Path, tmp_path: Path) -> None:
    student = sheets(class3_batch, decimals=3)
    path = tmp_path / "r.csv"
    path.write_text("\ufeff" + student.to_csv(index=False, sep=";", decimal=",").replace("\n", "\r\n"), "utf-8")
    book = tracegen.grade(class3_batch, path).gradebook
    assert (book["score"] == book["max"]).all()


# --- tolerances -------------------------------------------------------------------------


@pytest.mark.parametrize(("tolerance", "centre", "half"), [
    (Tolerance(), 2.5, 0.0005), (Tolerance("decimals", 1), -7.0, 0.05), (Tolerance("abs", 0.01), 3.0, 0.01),
    (Tolerance("rel", 0.02), -0.5, 0.01), (Tolerance("sigfig", 3), 0.0123456, 0.00005),
    (Tolerance("sigfig", 2), 987.0, 5.0), (Tolerance("sigfig", 3), 0.0, 0.0),
])
def test_halfwidths(tolerance: Tolerance, centre: float, half: float) -> None:
    assert halfwidth(tolerance, np.array([centre]), 3)[0] == pytest.approx(half)


WRITTEN: dict[str, Callable[[Path], pd.DataFrame]] = {  # how a student writes their numbers
    "full": lambda batch: sheets(batch),
    "carry3": lambda batch: sheets(batch, decimals=3),
    "round2": lambda batch: sheets(batch).round({c: 2 for c in key(batch).columns}),
    "round1": lambda batch: sheets(batch).round({c: 1 for c in key(batch).columns}),
    "sig2": lambda batch: sheets(batch).map(lambda v: v if isinstance(v, str) else float(f"{v:.2g}")),
}


@pytest.mark.parametrize(("grading", "written", "full"), [
    ({"tolerance": {"sigfig": 2}}, "sig2", True), ({"tolerance": {"sigfig": 3}}, "sig2", False),
    ({"tolerance": {"abs": 0.01}}, "round2", True), ({"tolerance": {"abs": 0.001}}, "round2", False),
    ({"tolerance": {"rel": 1e-9}}, "full", True), ({"tolerance": {"rel": 1e-9}}, "carry3", True),
    ({"tolerance": {"decimals": 1}}, "round1", True), ({"tolerance": {"decimals": 2}}, "round1", False),
])
def test_tolerance_modes(tmp_path: Path, grading: dict, written: str, full: bool) -> None:
    """Each mode accepts what it should; whatever the mode, carrying the printed values is accepted."""
    batch = make_batch(tmp_path / "b", copy.deepcopy(CLASS3) | {"grading": grading})
    book = tracegen.grade(batch, WRITTEN[written](batch)).gradebook
    assert (book["score"] == book["max"]).all() == full


def test_accepted_gives_each_blank_its_values_and_tolerances(class3_batch: Path) -> None:
    """Each blank's accepted intervals hold the key and the rounded-carry student's value, within the
    printed digit; every interval is at least the printed digit wide."""
    table = accepted(class3_batch)
    k = key(class3_batch)
    assert set(table["variant"]) == set(k.index) and list(table["tolerance"].unique()) == [HALF]
    assert ((table["high"] - table["low"]) >= 2 * HALF - 1e-12).all()
    first = table[table["variant"] == k.index[0]]
    rounded = sheets(class3_batch, decimals=3).set_index("variant").loc[k.index[0]]
    for blank, value in k.iloc[0].items():
        spans = first[first["blank"] == blank]
        assert np.allclose(spans["key"], value)
        for wrote in (value, round(value, 3), rounded[blank]):
            assert ((spans["low"] <= wrote + 1e-12) & (wrote - 1e-12 <= spans["high"])).any(), (blank, wrote)


# --- the command line, files and bad input ---------------------------------------------


ROSTER = "student_id,name\ns1,Ada Lovelace\ns2,<script>alert(1)</script>\n@cmd,=HYPERLINK(\"x\")\n"


@pytest.fixture(scope="module")
def roster_batch(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("roster")
    (folder / "class.csv").write_text(ROSTER, encoding="utf-8")
    return make_batch(folder / "batch", CLASS3, roster=folder / "class.csv")


def by_student(batch: Path, **how: Any) -> pd.DataFrame:
    manifest = pd.read_csv(batch / "manifest.csv", dtype=str).drop_duplicates("variant")
    ids = dict(zip(manifest["variant"], manifest["seed_material"].str.split("/student=").str[1], strict=True))
    table = sheets(batch, **how)
    return table.assign(variant=table["variant"].map(ids)).rename(columns={"variant": "student_id"})


def test_cli_grades_a_roster_batch_and_writes_every_report(roster_batch: Path, tmp_path: Path) -> None:
    path = tmp_path / "responses.csv"
    by_student(roster_batch, decimals=3).to_csv(path, index=False)
    result = CliRunner().invoke(cli, ["grade", str(roster_batch), str(path), "-o", str(tmp_path / "g")])
    assert result.exit_code == 0, result.output
    assert "3 students graded" in result.output
    out = tmp_path / "g"
    book = pd.read_csv(out / "gradebook.csv", dtype=str, keep_default_na=False)
    assert list(book.columns[:5]) == ["student_id", "student_name", "variant", "score", "max"]
    assert list(book.columns[-5:]) == ["correct", "carried", "wrong", "blank", "status"]
    assert list(book["student_id"]) == ["s1", "s2", "'@cmd"]
    assert book["student_name"].tolist()[2] == "'=HYPERLINK(\"x\")"
    variants = book["variant"].tolist()
    files = {p.relative_to(out).as_posix() for p in out.rglob("*") if p.is_file()}
    assert files == {"gradebook.csv", "details.csv", "summary.html",
                     *(f"feedback/{v}.{ext}" for v in variants for ext in ("html", "md"))}
    html = (out / "feedback" / f"{variants[1]}.html").read_text(encoding="utf-8")
    assert "<script>" not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    md = (out / "feedback" / f"{variants[1]}.md").read_text(encoding="utf-8")
    assert "<script>" not in md and "&lt;script&gt;" in md
    summary = (out / "summary.html").read_text(encoding="utf-8")
    assert "<svg" in summary and "http" not in summary.replace('xmlns="http://www.w3.org/2000/svg"', "")
    assert "<script" not in summary and f'href="feedback/{variants[0]}.html"' in summary


def test_reports_are_deterministic(roster_batch: Path, tmp_path: Path) -> None:
    student = by_student(roster_batch, decimals=3, mistake=at(1, "dW2", lambda v, c: -v))
    for name in ("a", "b"):
        tracegen.grade(roster_batch, student, out=tmp_path / name)
    files = sorted(p.relative_to(tmp_path / "a") for p in (tmp_path / "a").rglob("*") if p.is_file())
    assert all((tmp_path / "a" / f).read_bytes() == (tmp_path / "b" / f).read_bytes() for f in files)
    summary = (tmp_path / "a" / "summary.html").read_text(encoding="utf-8")
    assert "Sign flip" in summary


def test_template_lists_every_student_and_blank_and_grades_as_blank(roster_batch: Path, tmp_path: Path) -> None:
    path = tmp_path / "responses.csv"
    runner = CliRunner()
    assert runner.invoke(cli, ["grade", str(roster_batch), str(path), "--template"]).exit_code == 0
    table = pd.read_csv(path, dtype=str, keep_default_na=False)
    assert list(table.columns) == ["student_id", "student_name", "variant", *key(roster_batch).columns]
    assert table["student_id"].tolist() == ["s1", "s2", "'@cmd"]
    again = runner.invoke(cli, ["grade", str(roster_batch), str(path), "--template"])
    assert again.exit_code == 2 and "already exists" in again.output
    book = tracegen.grade(roster_batch, path).gradebook
    assert (book["blank"] == len(key(roster_batch).columns)).all() and (book["score"] == 0).all()


def bad(batch: Path, tmp_path: Path, text: str) -> str:
    path = tmp_path / "responses.csv"
    path.write_text(text, encoding="utf-8")
    result = CliRunner().invoke(cli, ["grade", str(batch), str(path)])
    assert result.exit_code == 2, result.output
    assert not (batch / "grades").exists()
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("tracegen: error: ")
    return lines[0]


def test_bad_responses_exit_2_naming_the_mismatch_and_write_nothing(roster_batch: Path, tmp_path: Path) -> None:
    first = key(roster_batch).columns[0]
    assert "'s9' is not in" in bad(roster_batch, tmp_path, f"student_id,{first}\ns1,1\ns9,2\n")
    assert "column 'e1:z9:0:0:0' is not a blank" in bad(roster_batch, tmp_path, "student_id,e1:z9:0:0:0\ns1,1\n")
    assert ":3: duplicate student id 's1' (first on line 2)" in bad(roster_batch, tmp_path,
                                                                    f"student_id,{first}\ns1,1\ns1,2\n")
    assert "no student_id or variant column" in bad(roster_batch, tmp_path, f"who,{first}\ns1,1\n")
    assert "none of its 2 variants" in bad(roster_batch, tmp_path, f"variant,{first}\nAAAAAA,1\nBBBBBB,2\n")


def test_a_huge_column_name_keeps_the_end_of_its_message(roster_batch: Path, tmp_path: Path) -> None:
    """A 100,000-character column name filled the 500-character line: where the blanks' names come from was cut."""
    line = bad(roster_batch, tmp_path, "student_id," + "x" * 100_000 + "\ns1,1\n")
    assert f"column 'xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx…' (100,000 characters) is not a blank of {roster_batch} " \
           "(blanks are named as in answers.csv, e.g. e1:z1:0:0:0)" in line


def test_the_responses_of_another_batch_are_refused(roster_batch: Path, tmp_path: Path) -> None:
    other = make_batch(tmp_path / "other", CLASS3, roster=roster_batch.parent / "class.csv", seed=99)
    template = tmp_path / "other.csv"
    assert CliRunner().invoke(cli, ["grade", str(other), str(template), "--template"]).exit_code == 0
    message = bad(roster_batch, tmp_path, template.read_text(encoding="utf-8"))
    assert "student 's1' has variant" in message and "another batch" in message
    numbered = make_batch(tmp_path / "numbered", CLASS3, seed=5)
    rows = sheets(numbered).to_csv(index=False)
    assert "another batch" in bad(make_batch(tmp_path / "numbered2", CLASS3, seed=6), tmp_path, rows)
    assert "has no roster" in bad(numbered, tmp_path, by_student(roster_batch).to_csv(index=False))


def test_a_folder_that_is_not_a_batch_exits_2(tmp_path: Path) -> None:
    (tmp_path / "r.csv").write_text("variant\n", encoding="utf-8")
    result = CliRunner().invoke(cli, ["grade", str(tmp_path), str(tmp_path / "r.csv")])
    assert result.exit_code == 2 and "answers.csv: not found" in result.output


def test_a_changed_batch_folder_is_refused(tmp_path: Path) -> None:
    batch = make_batch(tmp_path / "b", CLASS3, count=2)
    variant = key(batch).index[1]
    spec = (batch / variant / "spec.yaml").read_text(encoding="utf-8")
    (batch / variant / "spec.yaml").write_text(spec.replace("learning_rate: 0.1", "learning_rate: 0.2"), "utf-8")
    (tmp_path / "r.csv").write_text("variant\n", encoding="utf-8")
    message = bad(batch, tmp_path, "variant\n" + variant + "\n")
    assert "differ from" in message and variant in message


# --- the grading section of the spec ------------------------------------------------------


def test_the_grading_section_round_trips_and_reaches_every_variant(tmp_path: Path) -> None:
    grading = {"tolerance": {"rel": 0.01}, "marks": 2, "carried": 0.5,
               "quantities": {"L": {"tolerance": {"sigfig": 3}}, "dW1": {"marks": 3}, "W": {"tolerance": "decimals"}}}
    spec = tracegen.Spec.from_dict(copy.deepcopy(CLASS3) | {"grading": grading})
    assert tracegen.Spec.from_dict(spec.to_dict()).grading == spec.grading
    assert "grading" not in tracegen.load_example().to_dict()
    batch = make_batch(tmp_path / "b", CLASS3 | {"grading": grading}, count=2)
    for variant in variant_specs(batch).values():
        assert variant["grading"] == grading


@pytest.mark.parametrize(("grading", "message"), [
    ({"tolerance": {"rel": -1}}, "grading.tolerance.rel: expected a tolerance of 0 or more, got -1"),
    ({"tolerance": "abs"}, "grading.tolerance: expected one of decimals, abs, rel, sigfig with its amount"),
    ({"tolerance": {"abs": 1, "rel": 2}}, "grading.tolerance: expected one of decimals, abs, rel, sigfig with its "
                                          "amount, e.g. {rel: 0.01}, got 2 modes"),
    ({"tolerance": {"sigfig": 0}}, "grading.tolerance.sigfig: expected a whole number from 1 to 15, got 0"),
    ({"tolerance": {"decimal": 2}}, "did you mean 'decimals'?"),
    ({"carried": 2}, "grading.carried: expected a share of the marks from 0 to 1, got 2"),
    ({"marks": -1}, "grading.marks: expected marks of 0 or more, got -1"),
    ({"quantities": {"h2": {"marks": 2}}}, "grading.quantities.h2: unknown key"),
    ({"quantities": {"z1": {"marks": "two"}}}, "grading.quantities.z1.marks: expected a number, got the text 'two'"),
    ({"quantities": {"z1": {"points": 2}}}, "grading.quantities.z1.points: unknown key"),
    ({"tolerence": {"abs": 1}}, "grading.tolerence: unknown key; did you mean 'tolerance'?"),
])
def test_a_bad_grading_section_is_one_clear_error(grading: dict, message: str, write_spec: Callable[..., Path]) -> None:
    path = write_spec(copy.deepcopy(CLASS3) | {"grading": grading})
    result = CliRunner().invoke(cli, ["check", str(path)])
    assert result.exit_code == 2 and message in result.output and len(result.output.strip().splitlines()) == 1


def test_a_numbered_batch_is_graded_by_variant(class3_batch: Path, tmp_path: Path) -> None:
    template = tracegen.grading.template(class3_batch).decode("utf-8")
    assert template.splitlines()[0] == ",".join(["variant", *key(class3_batch).columns])
    assert [line.split(",")[0] for line in template.splitlines()[1:]] == list(key(class3_batch).index)
    student = sheets(class3_batch, decimals=3)
    student["variant"] = student["variant"].str.lower()  # typed by hand
    book = tracegen.grade(class3_batch, student.set_index("variant")).gradebook
    assert list(book.columns[:4]) == ["variant", "student_name", "score", "max"]
    assert list(book["variant"]) == list(key(class3_batch).index) and (book["score"] == book["max"]).all()


def test_an_output_folder_that_is_a_file_exits_2(class3_batch: Path, tmp_path: Path) -> None:
    (tmp_path / "r.csv").write_text(sheets(class3_batch).to_csv(index=False), encoding="utf-8")
    (tmp_path / "taken").write_text("a file", encoding="utf-8")
    args = ["grade", str(class3_batch), str(tmp_path / "r.csv"), "-o", str(tmp_path / "taken")]
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 2 and "is a file" in result.output
    with pytest.raises(tracegen.OptionError, match="is a file; expected a folder"):
        tracegen.grade(class3_batch, tmp_path / "r.csv", out=tmp_path / "taken")
