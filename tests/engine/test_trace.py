"""The trace table: the contract's schema, key, step order, look-ups and kinks."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import tracegen
from tracegen.batching.variants import draw
from tracegen.engine.trace import Kink, Trace, validate

COLUMNS = ["variant", "epoch", "step", "phase", "name", "symbol", "sample", "row", "col", "value"]
KEY = ["variant", "epoch", "phase", "name", "sample", "row", "col"]
PHASES = ["params", "forward", "loss", "backward", "update"]


@pytest.fixture(scope="module")
def batch_trace() -> Trace:
    """A 3-layer batch network (2 samples) with every phase populated."""
    return tracegen.trace(tracegen.Spec.from_dict({
        "network": {"layers": [
            {"units": 3, "activation": "tanh", "W": [[1, 0], [0, 1], [1, 1]], "b": [0, 0.5, -0.5]},
            {"units": 2, "activation": "relu", "W": [[1, 0, 1], [0, 1, -1]], "b": [0.1, 0.2]},
            {"units": 3, "activation": "softmax", "W": [[1, 0], [0, 1], [1, 1]], "b": [0, 0, 0]},
        ]},
        "loss": "cross_entropy",
        "data": {"x": [[1, 2], [0.5, -1]], "y": [2, 0]},
        "training": {"epochs": 2},
    }))


def test_columns_and_dtypes(class3_trace, batch_trace):
    for t in (class3_trace, batch_trace):
        df = t.df
        assert list(df.columns) == COLUMNS
        assert df["value"].dtype == np.float64
        for col in ("epoch", "step", "sample", "row", "col"):
            assert df[col].dtype == np.int64, col
        for col in ("variant", "phase", "name", "symbol"):
            assert all(isinstance(v, str) for v in df[col]), col
        assert set(df["variant"]) == {"base"}
        assert set(df["phase"]) == set(PHASES)


def test_key_is_unique_and_pivots(batch_trace):
    df = batch_trace.df
    assert not df.duplicated(KEY).any()
    wide = df.pivot(index=KEY[:-1], columns="col", values="value")  # would raise on a duplicate
    assert wide.notna().sum().sum() == len(df)


def test_quantity_names_in_student_order(class3_trace):
    df = class3_trace.df[class3_trace.df["epoch"] == 1]
    order = list(dict.fromkeys(zip(df["phase"], df["name"], strict=True)))
    assert order == [
        ("params", "W1"), ("params", "b1"), ("params", "W2"), ("params", "b2"),
        ("forward", "x"), ("forward", "z1"), ("forward", "h1"), ("forward", "z2"), ("forward", "y_hat"),
        ("loss", "y"), ("loss", "sample_loss"), ("loss", "L"),
        ("backward", "delta2"), ("backward", "dW2"), ("backward", "db2"),
        ("backward", "delta1"), ("backward", "dW1"), ("backward", "db1"),
        ("update", "W1"), ("update", "b1"), ("update", "W2"), ("update", "b2"),
    ]


def test_step_increases_within_each_epoch(batch_trace):
    for (_, _), group in batch_trace.df.groupby(["variant", "epoch"]):
        steps = group["step"].to_numpy()
        assert steps[0] == 0
        assert (np.diff(steps) >= 0).all()  # rows in step order
        per_quantity = group.groupby(["phase", "name"])["step"].nunique()
        assert (per_quantity == 1).all()  # all scalars of one quantity share a step
        firsts = group.drop_duplicates(["phase", "name"])["step"].to_numpy()
        assert (np.diff(firsts) == 1).all()  # one step per quantity, no gaps
        phase_rank = group["phase"].map(PHASES.index).to_numpy()
        assert (np.diff(phase_rank) >= 0).all()


def test_symbols_are_the_slides_notation(class3_trace):
    symbols = dict(zip(class3_trace.df["name"], class3_trace.df["symbol"], strict=True))
    assert symbols == {
        "W1": "W^{(1)}", "b1": "b^{(1)}", "W2": "W^{(2)}", "b2": "b^{(2)}",
        "x": "x", "z1": "z^{(1)}", "h1": "h^{(1)}", "z2": "z^{(2)}", "y_hat": "\\hat{y}",
        "y": "y", "sample_loss": "\\ell", "L": "L", "delta2": "\\delta^{(2)}", "delta1": "\\delta^{(1)}",
        "dW2": "\\frac{\\partial L}{\\partial W^{(2)}}", "db2": "\\frac{\\partial L}{\\partial b^{(2)}}",
        "dW1": "\\frac{\\partial L}{\\partial W^{(1)}}", "db1": "\\frac{\\partial L}{\\partial b^{(1)}}",
    }


def test_sample_row_col_layout(batch_trace):
    df = batch_trace.df[batch_trace.df["epoch"] == 1]
    not_per_sample = df["name"].str.fullmatch(r"(d?W|d?b)\d+|L")
    assert (df.loc[not_per_sample, "sample"] == -1).all()
    assert set(df.loc[~not_per_sample, "sample"]) == {0, 1}
    assert (df.loc[~df["name"].str.fullmatch(r"d?W\d+"), "col"] == 0).all()
    # W3 is (3, 2): rows 0..2, cols 0..1, in C order
    w3 = df[(df["phase"] == "params") & (df["name"] == "W3")]
    assert list(zip(w3["row"], w3["col"], w3["value"], strict=True)) == [
        (0, 0, 1.0), (0, 1, 0.0), (1, 0, 0.0), (1, 1, 1.0), (2, 0, 1.0), (2, 1, 1.0)]
    # x of sample 1 is data.x[1]
    x1 = df[(df["name"] == "x") & (df["sample"] == 1)]
    assert list(x1["row"]) == [0, 1] and list(x1["value"]) == [0.5, -1.0]


def test_value_and_matrix_shapes(class3_trace, batch_trace):
    t = class3_trace
    assert t.matrix("W1", 1).shape == (2, 3)
    assert t.matrix("b1", 1).shape == (2,)
    assert t.matrix("dW2", 1).shape == (1, 2)
    assert t.matrix("z1", 1).shape == (2,)  # one sample: the vector itself
    assert t.matrix("L", 1).shape == ()
    assert isinstance(t.value("L", 2), float)
    np.testing.assert_array_equal(t.matrix("W1", 1), [[1, -1, 1], [-2, 0, 1]])  # the spec's own W1
    assert t.value("b1", 1, row=1) == 1.0
    assert t.value("W1", 1, row=1, col=0) == -2.0
    b = batch_trace
    assert b.matrix("x", 1).shape == (2, 2)
    assert b.matrix("z1", 1).shape == (2, 3)
    assert b.matrix("y_hat", 1).shape == (2, 3)
    assert b.matrix("delta2", 1).shape == (2, 2)
    assert b.matrix("z1", 1, sample=1).shape == (3,)
    np.testing.assert_array_equal(b.matrix("y", 1), [[0, 0, 1], [1, 0, 0]])
    np.testing.assert_array_equal(b.matrix("x", 1, sample=1), [0.5, -1.0])
    assert b.value("z1", 1, sample=1, row=2) == -1.0  # 0.5 - 1 - 0.5
    with pytest.raises(KeyError):
        b.value("z9", 1)
    with pytest.raises(KeyError):
        b.value("L", 3)


def test_value_finds_every_row(batch_trace):
    df = batch_trace.df
    for r in df.itertuples():
        assert batch_trace.value(r.name, r.epoch, phase=r.phase, sample=r.sample, row=r.row, col=r.col) == r.value


def test_lookups_by_variant_default_to_the_first():
    df = tracegen.trace(tracegen.load_example()).df
    t = Trace(pd.concat([df, df.assign(variant="v2", value=df["value"] + 1)], ignore_index=True))
    assert t.value("L", 2, variant="v2") == t.value("L", 2) + 1
    np.testing.assert_array_equal(t.matrix("W1", 1, variant="v2"), t.matrix("W1", 1) + 1)
    with pytest.raises(KeyError, match="variant 'v3'"):
        t.value("L", 2, variant="v3")


def test_matrix_is_read_only(class3_trace, batch_trace):
    """Look-ups share the trace's arrays: no caller may change them."""
    for matrix in (class3_trace.matrix("W1", 1), class3_trace.matrix("L", 1), batch_trace.matrix("z1", 1, sample=1)):
        with pytest.raises(ValueError, match="read-only"):
            matrix[...] = 0.0
    np.testing.assert_array_equal(class3_trace.matrix("W1", 1), [[1, -1, 1], [-2, 0, 1]])


def test_lookup_errors(class3_trace):
    with pytest.raises(KeyError, match="no quantity 'z9' in phase 'forward' of epoch 1"):
        class3_trace.value("z9", 1)
    with pytest.raises(KeyError, match=r"b1\[sample=-1, row=5, col=0\] is not in epoch 1"):
        class3_trace.value("b1", 1, row=5)


def test_sample_loss_is_a_blank_only_in_batches(class3_trace, batch_trace):
    assert "sample_loss" not in set(class3_trace.blanks()["name"])  # one sample: it is L, already a blank
    assert set(batch_trace.blanks().query("name == 'sample_loss'")["blank"]) == {
        f"e{e}:sample_loss:{s}:0:0" for e in (1, 2) for s in (0, 1)}


def test_answers_are_the_quantities_of_the_blanks(batch_trace):
    blanks = batch_trace.blanks()
    assert batch_trace.answers() == set(zip(blanks["epoch"], blanks["phase"], blanks["name"], strict=True))


def test_answer_row_is_the_blanks_ids_and_values_in_order(class3_trace, batch_trace):
    for result in (class3_trace, batch_trace, Trace(batch_trace.df.copy())):  # engine columns, and a DataFrame's
        blanks = result.blanks()
        ids, values = result.answer_row()
        assert ids == tuple(blanks["blank"]) and values == tuple(blanks["value"].tolist())
        assert len(ids) > 20 and {type(v) for v in values} == {float}
    assert "e2:sample_loss:1:0:0" in batch_trace.answer_row()[0]
    assert class3_trace.answer_row()[0][:2] == ("e1:z1:0:0:0", "e1:z1:0:1:0")


def test_update_phase_differs_from_params(class3_trace):
    assert class3_trace.value("b2", 1) == 0.0
    assert class3_trace.value("b2", 1, phase="update") != 0.0


def test_trace_validates_on_construction(class3_trace):
    df = class3_trace.df
    Trace(df.copy())  # a valid frame is accepted
    duplicated = pd.concat([df, df.iloc[[7]]], ignore_index=True)
    with pytest.raises(ValueError, match="duplicate trace key"):
        Trace(duplicated)
    with pytest.raises(ValueError, match="columns"):
        Trace(df[COLUMNS[::-1]])
    with pytest.raises(ValueError, match="float64"):
        Trace(df.astype({"value": "float32"}))
    with pytest.raises(ValueError, match="phase"):
        Trace(df.assign(phase="gradients"))


def test_kinks_report_class3_z1(class3_trace):
    """z1[1] = -2 + 0 + 1 + 1 = 0 exactly in every epoch (its weights never get a gradient)."""
    kinks = class3_trace.kinks
    assert list(kinks.columns) == ["variant", "epoch", "name", "sample", "row"]
    assert kinks.to_dict("records") == [
        {"variant": "base", "epoch": e, "name": "z1", "sample": 0, "row": 1} for e in (1, 2, 3)]
    assert class3_trace.kink_rows == tuple(Kink("base", e, "z1", 0, 1) for e in (1, 2, 3))  # what documents read
    again = Trace(class3_trace.df, kinks=kinks)  # a Trace built from frames reads its kink rows from them
    assert again.kink_rows == class3_trace.kink_rows and again.kinks is kinks


def test_no_kinks_without_relu():
    spec = tracegen.Spec.from_dict({
        "network": {"layers": [{"units": 1, "activation": "sigmoid", "W": [[0]], "b": [0]}]},
        "loss": "bce", "data": {"x": [1], "y": 1},
    })
    assert tracegen.trace(spec).kinks.empty  # z = 0 is no kink for sigmoid


def test_same_spec_same_frame(class3_spec):
    pd.testing.assert_frame_equal(tracegen.trace(class3_spec).df, tracegen.trace(class3_spec).df)


def test_row_count(batch_trace):
    # per epoch: params 6+3+6+2+6+3 = 26; forward x 4, z1/h1 6+6, z2/h2 4+4, z3 6, y_hat 6 = 36;
    # loss y 6 + sample_loss 2 + L 1; backward delta3 6 + 6 + 3, delta2 4 + 6 + 2, delta1 6 + 6 + 3 = 42; update 26
    assert len(batch_trace.df) == 2 * (26 + 36 + 9 + 42 + 26)


@pytest.mark.parametrize("column", KEY)
def test_every_key_column_counts_for_uniqueness(class3_trace, column):
    df = class3_trace.df
    extra = df.iloc[[7]].copy()
    fresh = {"variant": "other", "epoch": 99, "phase": "loss", "name": "W9", "sample": 5, "row": 9, "col": 9}
    extra[column] = fresh[column]
    Trace(pd.concat([df, extra], ignore_index=True))  # differs in one key column: fine


@pytest.mark.parametrize("column", ["step", "symbol", "value"])
def test_non_key_columns_do_not_make_a_row_unique(class3_trace, column):
    df = class3_trace.df
    extra = df.iloc[[7]].copy()
    extra[column] = {"step": 99, "symbol": "q", "value": 42.0}[column]
    with pytest.raises(ValueError, match=r"duplicate trace key \(.base., 1, .params., .b1., -1, 1, 0\)$"):
        Trace(pd.concat([df, extra], ignore_index=True))


def test_zeros_are_positive_zeros():
    # relu(-1) = 0 * -1 is -0.0 in IEEE arithmetic, and so is -0.5 * 0 in dW; the table holds plain 0.
    spec = tracegen.Spec.from_dict({
        "network": {"layers": [{"units": 1, "activation": "relu", "W": [[-1.0]], "b": [0.0]},
                               {"units": 1, "activation": "linear", "W": [[2.0]], "b": [0.0]}]},
        "loss": "mse", "data": {"x": [1.0], "y": 1.0},
    })
    values = tracegen.trace(spec).df["value"].to_numpy()
    assert (values == 0).sum() >= 3
    assert not np.signbit(values[values == 0]).any()


@pytest.fixture(scope="module")
def drawn() -> dict[str, Trace]:
    """Five drawn variants of Class 3, each traced on its own as a batch does."""
    variants = draw(tracegen.load_example(), [f"seed=3/variant={i}" for i in range(5)])
    return {v.id: tracegen.trace(v.spec, variant=v.id) for v in variants}


@pytest.fixture(scope="module")
def variants_trace(drawn: dict[str, Trace]) -> Trace:
    """The five variants in one Trace, read from their frames one after another."""
    return Trace(pd.concat([t.df for t in drawn.values()], ignore_index=True))


def test_engine_frames_meet_the_schema(class3_trace, batch_trace, variants_trace):
    """The engine builds its frame without `validate` (valid by construction); check that it is."""
    for t in (class3_trace, batch_trace, variants_trace):
        validate(t.df)
        assert t.df["phase"].dtype == pd.CategoricalDtype(PHASES, ordered=True)
    assert len(variants_trace.variants) == 5
    assert list(variants_trace.df["variant"].drop_duplicates()) == variants_trace.variants


def groupby_quantities(df: pd.DataFrame) -> dict:
    """What `Trace.quantities` must hold, from pandas: variant -> (epoch, phase, name) -> rows, in frame order."""
    out: dict = {}
    for (variant, epoch, phase, name), rows in df.groupby(["variant", "epoch", "phase", "name"], sort=False,
                                                          observed=True):
        out.setdefault(variant, {})[(int(epoch), str(phase), name)] = rows[["sample", "row", "col", "value"]]
    return out


@pytest.mark.parametrize("shuffle", [False, True])
def test_quantities_are_the_frames_groups_in_frame_order(class3_trace, batch_trace, variants_trace, shuffle):
    """Read from the engine's columns, or from a frame given to Trace (shuffled: groups not contiguous)."""
    for t in (class3_trace, batch_trace, variants_trace):
        df = t.df.sample(frac=1, random_state=0).reset_index(drop=True) if shuffle else t.df
        source = Trace(df) if shuffle else t
        expected = groupby_quantities(df)
        got = source.quantities
        assert list(got) == list(expected) == source.variants
        for variant, groups in expected.items():
            assert list(got[variant]) == list(groups)  # same keys, same order
            for key, rows in groups.items():
                quantity = got[variant][key]
                for column in ("sample", "row", "col", "value"):
                    array = getattr(quantity, column)
                    np.testing.assert_array_equal(array, rows[column].to_numpy())
                    assert not array.flags.writeable


def test_a_frame_of_many_variants_answers_as_each_variants_own_trace(drawn, variants_trace):
    assert variants_trace.variants == list(drawn)
    for variant, own in drawn.items():
        assert (variants_trace.epochs, variants_trace.answers()) == (own.epochs, own.answers())
        for name in ("dW1", "h1", "L"):
            np.testing.assert_array_equal(variants_trace.matrix(name, 2, variant=variant), own.matrix(name, 2))
