"""Variant drawing: hash-derived and pinned, constraints hold, rejection sampling explains itself."""

from __future__ import annotations

import hashlib
import hmac
from typing import Any

import numpy as np
import pandas as pd
import pytest
from documents import variants_frame

import tracegen
from tracegen.batching.variants import DOMAIN, digest, draw, drawn_kinds, numbers, unique_ids, variant_id
from tracegen.spec.model import Spec

SECRET = b"0123456789abcdef-not-a-real-secret"
FAIRNESS_OFF = {"same_branches": False, "no_zero_gradients": False, "loss_band": None, "no_ties": False}
ALL_OFF = {"no_kinks": False, "active_hidden": False, "max_output_z": None, "loss_decreases": False,
           "readable": False, "distinct": False, **FAIRNESS_OFF}


def materials(count: int, seed: int = 0) -> list[str]:
    return [f"seed={seed}/variant={i}" for i in range(1, count + 1)]


def example(**variants: Any) -> Spec:
    """The Class 3 example with extra keys merged into its `variants` section."""
    data = tracegen.load_example().to_dict()
    data["variants"].update(variants)
    return Spec.from_dict(data)


def test_draws_come_from_the_hash_alone() -> None:
    """Pinned values: they change only if the documented derivation changes, never with NumPy."""
    seed = hashlib.sha256(DOMAIN + b"seed=0/variant=1").digest()
    assert digest("seed=0/variant=1") == seed
    stream = hashlib.shake_256(seed + (0).to_bytes(4, "big")).digest(24)
    assert numbers([seed], [0], 3).tolist() == [[int.from_bytes(stream[i:i + 8], "big") for i in (0, 8, 16)]]
    first = draw(example(constraints=FAIRNESS_OFF), ["seed=0/variant=1"])[0]
    assert (first.id, first.attempt) == ("SPAEM8", 0)
    assert first.spec.layers[0].W.tolist() == [[0, -1, 2], [2, 1, -1]]
    assert first.spec.layers[1].W.tolist() == [[1, -2]]
    assert (first.spec.layers[0].b.tolist(), first.spec.layers[1].b.tolist()) == ([1, 0], [1])
    fair = draw(tracegen.load_example(), ["seed=0/variant=1"])[0]  # the fairness gates take more draws
    assert (fair.id, fair.attempt) == ("SPAEM8", 11)
    assert fair.spec.layers[0].W.tolist() == [[2, 1, -1], [-2, 0, 2]]


def test_secret_derivation_is_keyed_stable_and_differs_from_the_plain_seed() -> None:
    keyed = digest("student=s1", SECRET)
    assert keyed == hmac.new(SECRET, DOMAIN + b"student=s1", hashlib.sha256).digest()
    assert keyed == digest("student=s1", SECRET)
    assert keyed != digest("student=s1")
    assert keyed != digest("student=s1", SECRET + b"x")
    spec = tracegen.load_example()
    plain = draw(spec, ["student=s1"])[0]
    secret = draw(spec, ["student=s1"], SECRET)[0]
    assert plain.id != secret.id
    assert draw(spec, ["student=s1"], SECRET)[0].spec.to_dict() == secret.spec.to_dict()


def test_same_material_same_variant_whatever_else_is_in_the_batch() -> None:
    spec = tracegen.load_example()
    alone = draw(spec, ["seed=5/variant=9"])[0]
    among = draw(spec, materials(20, seed=5))[8]
    assert (alone.id, alone.attempt, alone.spec.to_dict()) == (among.id, among.attempt, among.spec.to_dict())


@pytest.fixture(scope="module")
def class_of_300() -> tuple[list, pd.DataFrame]:
    variants = draw(tracegen.load_example(), materials(300))
    return variants, variants_frame(variants)


def test_300_variants_are_unique_and_have_unique_short_ids(class_of_300: tuple[list, pd.DataFrame]) -> None:
    variants, df = class_of_300
    assert len({v.id for v in variants}) == 300
    assert all(len(v.id) == 6 and v.id.isalnum() and v.id.isupper() for v in variants)
    givens = df[(df.epoch == 1) & (df.phase == "params")].groupby("variant", sort=False)["value"].apply(tuple)
    assert givens.nunique() == 300


def test_300_variants_meet_every_constraint(class_of_300: tuple[list, pd.DataFrame]) -> None:
    """Checked from the trace table, independently of the sampler's own checks."""
    _, df = class_of_300
    z1 = df[df.name == "z1"]
    assert (z1.groupby(["variant", "epoch"]).value.apply(lambda z: (z == 0).sum()) == 1).all()  # the base's kink
    assert (z1.groupby(["variant", "epoch", "sample"]).value.max() > 0).all()  # an active hidden unit
    assert (df[df.name == "z2"].value.abs() <= 4).all()  # output not saturated
    losses = df[df.name == "L"].pivot(index="variant", columns="epoch", values="value")
    assert (losses.diff(axis=1).iloc[:, 1:] < 0).all().all()  # the loss goes down
    nonzero = df.value[df.value != 0].abs()
    assert (nonzero >= 0.0005).all() and np.isfinite(df.value).all()  # readable at 3 decimals


def test_vectorised_trace_equals_each_variants_own_trace(class_of_300: tuple[list, pd.DataFrame]) -> None:
    variants, df = class_of_300
    for variant in variants[::50]:
        own = tracegen.trace(variant.spec, variant=variant.id).df
        pd.testing.assert_frame_equal(own, df[df.variant == variant.id].reset_index(drop=True))


def test_a_variants_spec_round_trips_through_plain_data() -> None:
    variant = draw(tracegen.load_example(), ["seed=1/variant=1"])[0]
    again = Spec.from_dict(variant.spec.to_dict())
    assert "variants" not in variant.spec.to_dict()
    assert again.variant is None  # the id is the batch's, not the spec file's
    pd.testing.assert_frame_equal(tracegen.trace(again, variant=variant.id).df, tracegen.trace(variant.spec).df)


def test_impossible_constraints_name_the_one_that_failed_most() -> None:
    with pytest.raises(tracegen.SpecError) as err:
        draw(example(constraints={"max_output_z": 0.001}, tries=50), materials(3))
    assert str(err.value).startswith("variants.constraints.max_output_z: variant seed=0/variant=1: no draw in 50 "
                                     "tries")
    assert "most often failed: max_output_z (50 of 50 draws)" in str(err.value)


def test_too_few_combinations_for_distinct_variants() -> None:
    spec = example(weights={"values": [1]}, biases={"values": [-1]}, constraints={"loss_decreases": False,
                                                                                   **FAIRNESS_OFF})
    assert len(draw(spec, materials(1))) == 1
    with pytest.raises(tracegen.SpecError, match=r"variant seed=0/variant=2: .*distinct"):
        draw(spec, materials(2))
    relaxed = example(weights={"values": [1]}, biases={"values": [-1]},
                      constraints={"loss_decreases": False, "distinct": False, **FAIRNESS_OFF})
    assert len(draw(relaxed, materials(2))) == 2


def test_diverging_draws_are_redrawn_even_with_every_constraint_off(recwarn: pytest.WarningsChecker) -> None:
    data = tracegen.load_example().to_dict()
    data["training"].update(learning_rate=1000, epochs=400)
    data.update(loss="mse", data={"x": [1, 0, 1], "y": 0.5})  # integer draws never hit y: the error never vanishes
    data["network"]["layers"][1]["activation"] = "linear"
    data["variants"].update(constraints=ALL_OFF, tries=20, keep=["W"])
    with pytest.raises(tracegen.SpecError, match=r"most often failed: finite \(20 of 20 draws\)"):
        draw(Spec.from_dict(data), materials(1))
    assert not recwarn.list


def test_relaxed_constraints_accept_the_first_draw() -> None:
    assert all(v.attempt == 0 for v in draw(example(constraints=ALL_OFF, tries=1), materials(50)))


def test_keep_holds_the_specs_own_values_and_draws_the_rest() -> None:
    spec = example(keep=["W"], constraints=FAIRNESS_OFF)  # W kept, the base's kink allows too few biases
    assert drawn_kinds(spec) == ["b"]
    variants = draw(spec, materials(10))
    assert all(np.array_equal(v.spec.layers[0].W, spec.layers[0].W) for v in variants)
    assert len({tuple(v.spec.layers[0].b) + tuple(v.spec.layers[1].b) for v in variants}) == 10


def test_nothing_to_draw_is_refused() -> None:
    with pytest.raises(tracegen.SpecError, match="^variants.keep: nothing left to draw"):
        draw(example(keep=["W", "b"]), materials(2))


def test_a_spec_without_ranges_is_redrawn_from_hand_friendly_defaults() -> None:
    data = tracegen.load_example().to_dict()
    del data["variants"]
    variants = draw(Spec.from_dict(data), materials(20))
    drawn = np.concatenate([np.r_[v.spec.layers[0].W.ravel(), v.spec.layers[1].W.ravel()] for v in variants])
    assert set(drawn) == {-2, -1, 0, 1, 2}
    assert set(np.concatenate([v.spec.layers[0].b for v in variants])) == {-1, 0, 1}


def test_inputs_and_targets_are_drawn_when_asked() -> None:
    spec = example(inputs={"values": [0, 1, 2]}, targets={"values": [0, 1]}, keep=["W", "b"],
                   constraints={"loss_decreases": False, "max_output_z": None, **FAIRNESS_OFF})
    variants = draw(spec, materials(12))
    assert {tuple(v.spec.x[0]) for v in variants} <= {(a, b, c) for a in range(3) for b in range(3) for c in range(3)}
    assert {float(v.spec.y[0, 0]) for v in variants} <= {0.0, 1.0}


def test_cross_entropy_targets_are_drawn_as_one_hot_class_indices() -> None:
    data = tracegen.load_example().to_dict()
    data["network"]["layers"][1].update(units=3, activation="softmax", W=[[1, -1], [0, 1], [1, 1]], b=[0, 0, 1])
    data.update(loss="cross_entropy", data={"x": [[1, 0, 1], [0, 1, 1]], "y": [0, 2]})
    data["variants"].update(targets={"values": [0, 1, 2]}, constraints={"loss_decreases": False, **FAIRNESS_OFF})
    variants = draw(Spec.from_dict(data), materials(20))
    for v in variants:
        assert v.spec.y.shape == (2, 3) and (v.spec.y.sum(axis=1) == 1).all()
        assert set(np.unique(v.spec.y)) <= {0.0, 1.0}


def test_colliding_ids_grow_by_a_character() -> None:
    first, second = bytes(32), bytes(31) + b"\x01"
    assert variant_id(first) == variant_id(second)
    ids = unique_ids([first, second])
    assert ids[0] == variant_id(first) and ids[1] != ids[0] and ids[1].startswith(ids[0])


@pytest.mark.parametrize(("variants", "message"), [
    ({"keep": ["q"]}, "variants.keep: expected one of W, b, x, y, got the text 'q'"),
    ({"keep": ["W", "W"]}, "variants.keep: each of W, b, x, y may appear once"),
    ({"constraints": {"max_output_z": -1}}, "variants.constraints.max_output_z: expected a positive number or null "
                                            "(no limit), got -1"),
    ({"constraints": {"readabl": True}}, "variants.constraints.readabl: unknown key; did you mean 'readable'?"),
    ({"constraints": {"distinct": 1}}, "variants.constraints.distinct: expected true or false, got 1"),
    ({"targets": {"values": [2]}}, "variants.targets: bce targets must lie in [0, 1]"),
    ({"tries": 0}, "variants.tries: expected a whole number from 1 to 1000000, got 0"),
])
def test_bad_variants_settings_name_the_key(variants: dict[str, Any], message: str) -> None:
    data = tracegen.load_example().to_dict()
    data["variants"] = variants
    with pytest.raises(tracegen.SpecError) as err:
        Spec.from_dict(data)
    assert str(err.value) == message


def test_variants_settings_round_trip_through_to_dict() -> None:
    spec = example(keep=["b"], constraints={"max_output_z": None, "readable": False}, tries=50,
                   targets={"values": [0, 1]})
    again = Spec.from_dict(spec.to_dict())
    settings = ("keep", "constraints", "tries", "targets")
    assert [getattr(again, key) for key in settings] == [getattr(spec, key) for key in settings]
    assert again.tries == 50
    assert spec.to_dict()["variants"]["constraints"] == {"max_output_z": None, "readable": False}
