"""Fairness gates: every variant of a class works the base spec's rule branches, about as hard.

Checked from the trace table and decimal arithmetic, independently of the sampler's own checks.
"""

from __future__ import annotations

import csv
from decimal import Decimal
from pathlib import Path
from typing import Any

import click.testing
import numpy as np
import pandas as pd
import pytest
import yaml
from click.testing import CliRunner
from documents import variants_frame

import tracegen
from tracegen.batching.fairness import PROFILE_COLUMNS, at_tie
from tracegen.batching.folder import read_manifest
from tracegen.batching.variants import base_profile, draw
from tracegen.cli import cli
from tracegen.spec.model import Spec

GATES = ("same_branches", "no_zero_gradients", "loss_band", "no_ties")
OFF = {"same_branches": False, "no_zero_gradients": False, "loss_band": None, "no_ties": False}
# One sigmoid unit at σ(0) = 0.5 with η = 0.125: both updates land on 0.0625, halfway between
# 0.062 and 0.063, and the ranges allow no other draw.
TIED: dict[str, Any] = {
    "title": "Tied",
    "network": {"layers": [{"units": 1, "activation": "sigmoid", "W": [[0]], "b": [0]}]},
    "loss": "bce",
    "data": {"x": [1], "y": 1},
    "training": {"learning_rate": 0.125, "epochs": 1},
    "variants": {"weights": {"values": [0]}, "biases": {"values": [0]}, "tries": 7},
}


def materials(count: int, seed: int = 2026) -> list[str]:
    return [f"seed={seed}/variant={i}" for i in range(1, count + 1)]


def example(**constraints: Any) -> Spec:
    data = tracegen.load_example().to_dict()
    data["variants"]["constraints"] = constraints
    return Spec.from_dict(data)


def printed_tie(value: float, decimals: int) -> bool:
    """A value (float noise of 12 significant digits aside) whose decimals end in a 5 just past the printed digit."""
    exact = Decimal(f"{abs(value):.12g}").scaleb(decimals + 1)
    return exact == exact.to_integral_value() and int(exact) % 10 == 5


def branches(df: pd.DataFrame) -> pd.DataFrame:
    """Per variant and epoch: how many z¹ entries are above, below and at the ReLU kink."""
    z = df[df.name == "z1"]
    return z.groupby(["variant", "epoch"]).value.agg(
        active=lambda v: int((v > 0).sum()), inactive=lambda v: int((v < 0).sum()), kink=lambda v: int((v == 0).sum()))


def computed(df: pd.DataFrame) -> pd.DataFrame:
    """What a document prints as computed: not a given, not a repeat (L is the one sample's loss)."""
    return df[(df.phase != "params") & ~df.name.isin(["x", "y", "sample_loss"])]


@pytest.fixture(scope="module")
def class_of_30() -> tuple[list, pd.DataFrame, pd.DataFrame]:
    variants = draw(tracegen.load_example(), materials(30))
    return variants, variants_frame(variants), tracegen.trace(tracegen.load_example()).df


def test_a_class_of_30_works_the_base_specs_branches_in_every_epoch(class_of_30: tuple) -> None:
    _, df, base = class_of_30
    expected = branches(base).droplevel("variant")
    assert expected.to_dict("index") == {e: {"active": 1, "inactive": 0, "kink": 1} for e in (1, 2, 3)}
    for _, per_epoch in branches(df).groupby(level="variant"):
        pd.testing.assert_frame_equal(per_epoch.droplevel("variant"), expected)


def test_a_class_of_30_has_no_zero_layer_gradient_and_its_loss_in_the_band(class_of_30: tuple) -> None:
    _, df, base = class_of_30
    grads = df[df.name.str.match(r"d[Wb]\d")].assign(layer=lambda f: f.name.str[2:])
    moves = grads.groupby(["variant", "epoch", "layer"]).value.apply(lambda v: bool((v != 0).any()))
    assert moves.all() and len(moves) == 30 * 3 * 2
    losses = df[df.name == "L"].pivot(index="variant", columns="epoch", values="value")
    base_losses = base[base.name == "L"].set_index("epoch").value
    assert ((losses >= base_losses / 3) & (losses <= base_losses * 3)).all().all()
    assert losses[1].nunique() > 1  # the band leaves room: not every student gets the base's loss


def test_a_class_of_30_has_no_value_at_a_tie(class_of_30: tuple) -> None:
    _, df, _ = class_of_30
    values = computed(df).value
    assert not any(printed_tie(v, 3) for v in values)
    assert len(values) > 30 * 3 * 20


def test_without_the_gates_a_class_is_not_fair() -> None:
    """The gates do the work: the same seed without them draws variants the gates would refuse."""
    df = variants_frame(draw(example(**OFF), materials(30)))
    counts = branches(df)
    assert (counts.active != 1).any() and (counts.kink != 1).any()


def test_same_spec_and_seed_give_the_same_variants_alone_or_in_a_class(class_of_30: tuple) -> None:
    variants, _, _ = class_of_30
    again = draw(tracegen.load_example(), materials(30))
    assert [(v.id, v.attempt, v.spec.to_dict()) for v in again] == [(v.id, v.attempt, v.spec.to_dict())
                                                                     for v in variants]
    alone = draw(tracegen.load_example(), [materials(30)[16]])[0]
    assert (alone.id, alone.attempt) == (variants[16].id, variants[16].attempt)


@pytest.mark.parametrize(("value", "decimals"), [
    (0.6225, 3), (0.0625, 3), (-0.0005, 3), (1 - 0.3775, 3), (0.1 * 6.225, 3), (2.5, 0), (0.125, 2), (12.34565, 4)])
def test_a_value_halfway_between_two_printed_ones_is_a_tie(value: float, decimals: int) -> None:
    assert printed_tie(value, decimals)
    assert at_tie(np.array([[value]]), decimals).all()


@pytest.mark.parametrize(("value", "decimals"), [
    (0.62251, 3), (0.6224999, 3), (0.0625, 4), (0.5, 3), (2.0, 0), (0.881, 3), (1 / 3, 3), (0.0, 3)])
def test_other_values_are_not_ties(value: float, decimals: int) -> None:
    assert not printed_tie(value, decimals)
    assert not at_tie(np.array([[value]]), decimals).any()


def test_the_tied_spec_has_two_ties_and_no_tie_free_draw() -> None:
    spec = Spec.from_dict(TIED)
    df = tracegen.trace(spec).df
    assert sum(printed_tie(v, 3) for v in computed(df).value) == 2  # W and b after the update: 0.0625
    profile = base_profile(spec)
    assert profile is not None and profile.ties.tolist() == [2]
    with pytest.raises(tracegen.SpecError) as err:
        draw(spec, materials(1))
    assert str(err.value).startswith("variants.constraints.no_ties: variant seed=2026/variant=1: no draw in 7 tries")
    assert "most often failed: no_ties (7 of 7 draws)" in str(err.value)
    relaxed = dict(TIED, variants={**TIED["variants"], "constraints": {"no_ties": False}})
    assert draw(Spec.from_dict(relaxed), materials(1))[0].attempt == 0  # ties, when asked for


def test_gates_that_cannot_be_met_exit_2_naming_the_worst_and_write_nothing(tmp_path: Path) -> None:
    (tmp_path / "tied.yaml").write_text(yaml.safe_dump(TIED), encoding="utf-8")
    result = CliRunner().invoke(cli, ["batch", str(tmp_path / "tied.yaml"), "--variants", "1", "--to", "md",
                                      "-o", str(tmp_path / "out")])
    assert result.exit_code == 2
    assert result.output.startswith(f"tracegen: error: {tmp_path / 'tied.yaml'}: variants.constraints.no_ties: ")
    assert "Traceback" not in result.output and len(result.output.strip().splitlines()) == 1
    assert not (tmp_path / "out").exists()


def test_each_gate_is_a_spec_setting_that_round_trips() -> None:
    spec = example(**OFF)
    again = Spec.from_dict(spec.to_dict())
    assert again.constraints == spec.constraints
    assert spec.to_dict()["variants"]["constraints"] == OFF
    defaults = tracegen.load_example().constraints
    assert (defaults.same_branches, defaults.no_zero_gradients, defaults.loss_band, defaults.no_ties) == (
        True, True, 3.0, True)
    with pytest.raises(tracegen.SpecError, match=r"^variants\.constraints\.loss_band: expected a number above 1 or "
                                                 r"null \(no limit\), got 0\.5$"):
        example(loss_band=0.5)


def test_without_a_base_the_branch_and_loss_gates_do_not_apply() -> None:
    """W left to `variants`: nothing to compare with, yet no layer's gradient may vanish."""
    data = tracegen.load_example().to_dict()
    del data["network"]["layers"][0]["W"]
    spec = Spec.from_dict(data)
    assert base_profile(spec) is None
    df = variants_frame(draw(spec, materials(30)))
    assert branches(df).active.nunique() > 1  # branches vary: no base to hold them to
    grads = df[df.name.str.match(r"d[Wb]\d")].assign(layer=lambda f: f.name.str[2:])
    assert grads.groupby(["variant", "epoch", "layer"]).value.apply(lambda v: bool((v != 0).any())).all()


def test_the_manifest_gives_each_variants_difficulty_profile(tmp_path: Path) -> None:
    manifest = tracegen.batch(tracegen.load_example(), tmp_path, variants=4, seed=7, to="md", kind="worksheet", jobs=1)
    assert tuple(manifest.columns[-len(PROFILE_COLUMNS):]) == PROFILE_COLUMNS
    with (tmp_path / "manifest.csv").open(encoding="utf-8", newline="") as handle:
        rows = {row["variant"]: row for row in csv.DictReader(handle)}
    assert len(rows) == 4
    for vid, row in rows.items():
        df = tracegen.trace(tmp_path / vid / "spec.yaml").df  # the variant as its students get it
        z = df[df.name == "z1"].value
        losses = df[df.name == "L"].value.tolist()
        expected = {"active": (z > 0).sum(), "inactive": (z <= 0).sum(), "kinks": (z == 0).sum(),
                    "zero_gradients": 0, "ties": 0}
        assert {key: int(row[key]) for key in expected} == expected
        assert float(row["loss_first"]) == pytest.approx(losses[0], rel=1e-5)
        assert float(row["loss_last"]) == pytest.approx(losses[-1], rel=1e-5)
        assert int(row["draws"]) >= 1
    assert set(read_manifest(tmp_path / "manifest.csv")) == {(vid, "", "", f"seed=7/variant={i}")
                                                             for i, vid in enumerate(rows, start=1)}


def test_the_report_gives_the_spread_across_the_class(tmp_path: Path) -> None:
    manifest = tracegen.batch(tracegen.load_example(), tmp_path, variants=5, seed=7, to="md", kind="key", jobs=1)
    per_variant = manifest.drop_duplicates("variant")
    losses = per_variant.loss_first.astype(float)
    lines = manifest.attrs["difficulty"]
    assert lines[0] == "difficulty of 5 variants, min / median / max [base spec]:"
    loss_line = next(line for line in lines if line.strip().startswith("loss, first epoch:"))
    assert loss_line.split(":", 1)[1].split() == [f"{losses.min():.4g}", "/", f"{losses.median():.4g}", "/",
                                                  f"{losses.max():.4g}", "[0.1269]"]
    assert "  units at a kink:   3 / 3 / 3  [3]" in lines


def test_the_batch_command_prints_the_spread_on_a_terminal(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(click.testing._NamedTextIOWrapper, "isatty", lambda self: True)
    result = CliRunner().invoke(cli, ["batch", "--variants", "3", "--to", "md", "--kind", "key", "-j", "1",
                                      "-o", str(tmp_path)])
    assert result.exit_code == 0, result.output
    assert "difficulty of 3 variants, min / median / max [base spec]:" in result.output
    assert "loss, first epoch:" in result.output


def test_batch_help_lists_every_gate() -> None:
    text = CliRunner().invoke(cli, ["batch", "--help"]).output
    for name in (*GATES, "no_kinks", "active_hidden", "max_output_z", "loss_decreases", "readable", "distinct"):
        assert name in text
    assert "variants.constraints" in text


def test_a_manifest_from_before_the_profile_still_resumes(tmp_path: Path) -> None:
    (tmp_path / "manifest.csv").write_text("variant,student_id,student_name,seed_material,file,sha256\n"
                                           "ABC123,,,seed=0/variant=1,ABC123/spec.yaml,00ff\n", encoding="utf-8")
    assert read_manifest(tmp_path / "manifest.csv") == {("ABC123", "", "", "seed=0/variant=1"): {"spec.yaml": "00ff"}}
