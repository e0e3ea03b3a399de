"""`tracegen grade --corrections`: a reviewer's corrections put into the responses before marking."""

from __future__ import annotations

import pandas as pd
import pytest
from click.testing import CliRunner

import tracegen
from tracegen.cli import cli
from tracegen.errors import InputError
from tracegen.grading import grade


@pytest.fixture(scope="module")
def batch(tmp_path_factory: pytest.TempPathFactory):
    folder = tmp_path_factory.mktemp("corr") / "b"
    tracegen.batch(tracegen.load_example(), folder, variants=2, seed=2026, to="md", kind="key", jobs=1)
    answers = pd.read_csv(folder / "answers.csv", dtype={"variant": str})
    return folder, answers


def test_corrections_fill_and_replace_cells(batch, tmp_path):
    folder, answers = batch
    variant = answers["variant"].iat[0]
    blank = "e1:z2:0:0:0"
    truth = answers.round(3)
    truth.to_csv(tmp_path / "truth.csv", index=False)
    holes = truth.astype(object).copy()
    holes.loc[0, blank] = ""  # left empty by the scan
    holes.loc[0, "e1:L:-1:0:0"] = 99  # misread
    holes.to_csv(tmp_path / "scan.csv", index=False)
    (tmp_path / "corrections.csv").write_text(
        f"variant,blank,value\n{variant},{blank},{truth.loc[0, blank]}\n{variant},e1:L:-1:0:0,7\n"
        f"{variant},e1:L:-1:0:0,{truth.loc[0, 'e1:L:-1:0:0']}\n", encoding="utf-8")  # the later row wins
    corrected = grade(folder, tmp_path / "scan.csv", corrections=tmp_path / "corrections.csv").gradebook
    typed = grade(folder, tmp_path / "truth.csv").gradebook
    assert corrected["score"].tolist() == typed["score"].tolist() == [96.0, 96.0]
    uncorrected = grade(folder, tmp_path / "scan.csv").gradebook
    assert uncorrected["score"].iat[0] < 96


@pytest.mark.parametrize("text, message", [
    ("student,blank,value\n", "expected variant,blank,value"),
    ("variant,blank,value\nNOSUCH,e1:z2:0:0:0,1\n", "corrections.csv:2: variant 'NOSUCH' has no row"),
    ("variant,blank,value\n{variant},e9:z2:0:0:0,1\n", "corrections.csv:2: 'e9:z2:0:0:0' is not a column"),
])
def test_corrections_that_do_not_fit_exit_2(batch, tmp_path, text, message):
    folder, answers = batch
    answers.round(3).to_csv(tmp_path / "scan.csv", index=False)
    (tmp_path / "corrections.csv").write_text(text.format(variant=answers["variant"].iat[0]), encoding="utf-8")
    with pytest.raises(InputError, match=message.replace("(", r"\(")):
        grade(folder, tmp_path / "scan.csv", corrections=tmp_path / "corrections.csv")
    result = CliRunner().invoke(cli, ["grade", str(folder), str(tmp_path / "scan.csv"), "--corrections",
                                      str(tmp_path / "corrections.csv"), "-o", str(tmp_path / "g")])
    assert result.exit_code == 2 and message in result.output
    assert not (tmp_path / "g").exists()
