"""Deciding a blank from its cells' probabilities: what is accepted is what is written, never the
key or another candidate it merely resembles (synthetic probabilities, so each rule is seen alone)."""

from __future__ import annotations

import numpy as np
import pytest

from tracegen.scanning.decide import AGREE, CLASSES, EMPTY, SLIP, SURE, Layout, cells, decide, rounded, text

LAYOUT = Layout(sign=True, whole=2, decimals=3)


def reading(*cells_: dict[str, float] | str) -> np.ndarray:
    """Log-probabilities of cells: a class name (read with certainty 0.999999) or {class: probability}."""
    out = np.full((len(cells_), len(CLASSES)), 1e-12)
    for i, cell in enumerate(cells_):
        spec = {cell: 0.999999} if isinstance(cell, str) else cell
        for name, p in spec.items():
            out[i, CLASSES.index(name)] = p
    return np.log(out / out.sum(axis=1, keepdims=True))


def test_cells_and_text_round_trip():
    assert cells("-0.125", LAYOUT) == [("-", "", "0", "1", "2", "5"), ("-", "", "", "1", "2", "5")]
    assert cells("12.5", LAYOUT) == [("", "1", "2", "5", "0", "0")]
    assert cells("123.5", LAYOUT) == []  # does not fit the cells
    assert text(("-", "", "0", "1", "2", "5"), LAYOUT) == "-0.125"
    assert text(("", "", "", "5", "", ""), LAYOUT) == "0.5"
    assert text(("",) * 6, LAYOUT) == ""
    assert text(("", "1", "", "5", "0", "0"), LAYOUT) is None  # a gap between digits
    assert text(("", "", "", "5", "", "3"), LAYOUT) is None
    assert text(("-",) + ("",) * 5, LAYOUT) is None  # a sign alone
    assert text(("", "-", "1", "5", "0", "0"), LAYOUT) is None  # a minus in a digit cell


def test_rounded_both_ways_without_minus_zero():
    assert rounded([0.0625], 3) == {"0.062", "0.063"}
    assert rounded([-0.0004], 3) == {"0.000"}
    assert rounded([float("nan")], 3) == set()


def test_a_clear_reading_is_accepted_as_written():
    logp = reading("", "", "0", "8", "8", "1")
    assert decide(logp, LAYOUT, {"0.881"}).text == "0.881"
    assert decide(logp, LAYOUT, set()).text == "0.881"  # no candidate needed when every cell is sure


def test_an_empty_blank_reads_empty():
    assert decide(reading(*[""] * 6), LAYOUT, {"0.881"}).text == ""


def test_an_empty_blank_needs_its_own_bar_not_the_free_readings():
    """Empty at 0.9995 a cell (above EMPTY) is unanswered; faint ink that leaves a cell empty at only 0.9985
    is flagged, not taken for an unanswered blank, although a digit read at 0.9985 would pass SURE."""
    assert 0.9995 > EMPTY > 0.9985 > SURE
    nearly = {"": 0.9995, "1": 0.0005}
    assert decide(reading("", "", nearly, "", "", ""), LAYOUT, {"0.881"}).text == ""
    faint = {"": 0.9985, "1": 0.0015}
    assert decide(reading("", "", faint, "", "", ""), LAYOUT, {"0.881"}).text is None
    assert decide(reading("", "", {"2": 0.9985, "7": 0.0015}, "", "", ""), LAYOUT, set()).text == "2"


def test_a_doubtful_cell_is_accepted_only_when_the_reading_is_a_candidate():
    doubtful = {"8": 0.8, "3": 0.2}
    logp = reading("", "", "0", "8", doubtful, "1")
    assert 1 - 0.8 > 1 - SURE and 0.8 > AGREE
    assert decide(logp, LAYOUT, {"0.881"}).text == "0.881"
    flagged = decide(logp, LAYOUT, {"0.123"})
    assert flagged.text is None
    assert flagged.readings[0][0] == "0.881"  # the review shows what is written first


def test_never_steered_to_the_key():
    """A 3 written where the key has an 8: read as 0.831 if clear, else flagged; never the key."""
    for p in (0.55, 0.7, 0.9, 0.999):
        logp = reading("", "", "0", "8", {"3": p, "8": 1 - p}, "1")
        assert decide(logp, LAYOUT, {"0.881"}).text in (None, "0.831")
    assert decide(reading("", "", "0", "8", "3", "1"), LAYOUT, {"0.881"}).text == "0.831"


def test_a_slip_needs_its_own_digits_read_surely_and_the_rest_only_as_a_candidate_has_them():
    """0.831 written where the key is 0.881: its 3 is what is new and must be read at SURE; the 1 it shares
    with the key is explained by the key, so a doubtful 1 (0.8) does not send the slip to a person."""
    assert SURE > 0.8 > AGREE and SLIP >= 1
    doubtful_one = {"1": 0.8, "7": 0.2}
    assert decide(reading("", "", "0", "8", "3", doubtful_one), LAYOUT, {"0.881"}).text == "0.831"
    assert decide(reading("", "", "0", "8", "3", doubtful_one), LAYOUT, set()).text is None  # nothing explains the 1
    doubtful_three = {"3": 0.95, "8": 0.05}
    assert 0.95 < SURE and np.log(0.95 / 0.05) > np.log(10)  # clear of the key, but not sure
    assert decide(reading("", "", "0", "8", doubtful_three, "1"), LAYOUT, {"0.881"}).text is None


def test_a_reading_more_than_a_slip_from_every_candidate_needs_every_cell_sure():
    """0.345 is three digits from the key 0.881: nothing explains its cells, so a doubtful 5 flags it."""
    assert SLIP < 3
    doubtful_five = {"5": 0.8, "6": 0.2}
    assert decide(reading("", "", "0", "3", "4", doubtful_five), LAYOUT, {"0.881"}).text is None
    assert decide(reading("", "", "0", "3", "4", "5"), LAYOUT, {"0.881"}).text == "0.345"


def test_two_close_candidates_are_not_told_apart_on_a_doubtful_cell():
    """A sign flip is a named mistake: with the key also a candidate, a faint sign is left to a person."""
    logp = reading({"-": 0.7, "": 0.3}, "", "0", "5", "0", "0")
    decision = decide(logp, LAYOUT, {"0.500", "-0.500"})
    assert decision.text is None
    assert {value for value, _ in decision.readings[:2]} == {"-0.500", "0.500"}


@pytest.mark.parametrize("written", ["-0.500", "0.500"])
def test_a_named_mistake_written_clearly_reads_as_written(written):
    logp = reading("-" if written.startswith("-") else "", "", "0", "5", "0", "0")
    assert decide(logp, LAYOUT, {"0.500", "-0.500"}).text == written
