"""The maths in words (tracegen.maths.speech): each construct read as written, hand-checked readings."""

from __future__ import annotations

import pytest

from tracegen.maths.notation import gradient, layered, symbol
from tracegen.maths.speech import speech
from tracegen.maths.tree import (
    Accent,
    BigOp,
    Blank,
    Fence,
    Frac,
    Func,
    Ident,
    Lines,
    Matrix,
    Num,
    Op,
    Script,
    Space,
    Text,
    neg,
    paren,
    row,
)

EQ, PLUS, MINUS = Op("=", "rel"), Op("+"), Op("−")
COMMA = Op(",", "punct")
E_MINUS_Z = Script(Ident("e"), sup=neg(Ident("z")))
SIGMOID = row(Ident("σ"), paren(Ident("z")), EQ, Frac(Num("1"), row(Num("1"), PLUS, E_MINUS_Z)))


def column(*texts: str) -> Matrix:
    return Matrix(tuple((Num(t),) for t in texts))


def test_the_issues_sigmoid_reads_as_spoken() -> None:
    assert speech(SIGMOID) == "sigma of z equals 1 over 1 plus e to the minus z"


@pytest.mark.parametrize(("node", "words"), [
    (layered("W", 1), "W superscript 1"),
    (layered("h", 1, transpose=True), "h superscript 1 transpose"),
    (Script(layered("W", 2).base, sup=Fence("(", Num("2"), ")"), sub=row(Num("1"), COMMA, Num("3"))),
     "W superscript 2, subscript 1 comma 3"),
    (Script(Ident("ℓ"), sub=Ident("s")), "ell subscript s"),
    (Script(Ident("x"), sup=Ident("T")), "x transpose"),
    (Script(Func("ReLU"), sup=Ident("\u2032", "upright")), "ReLU prime"),
    (Script(Ident("e"), sup=Script(Ident("z"), sub=Ident("j"))), "e to the z subscript j"),
    (Script(row(Func("softmax"), paren(Ident("z"))), sub=Ident("j")), "softmax of z, subscript j"),
    (Accent(Ident("y")), "y hat"),
    (gradient(layered("W", 2)), "partial L over partial W superscript 2"),
    (symbol("delta2"), "delta superscript 2"),
    (Ident("1", "bold"), "bold 1"),
])
def test_symbols_and_scripts(node: object, words: str) -> None:
    assert speech(node) == words  # type: ignore[arg-type]


def test_fractions_say_where_they_end_only_when_something_follows() -> None:
    compound = Frac(Num("1"), row(Num("1"), PLUS, Ident("x")))
    assert speech(row(compound, EQ, Num("2"))) == "1 over 1 plus x equals 2"  # a relation ends it
    assert speech(row(compound, PLUS, Num("2"))) == "1 over 1 plus x, end fraction, plus 2"
    both = Frac(row(Ident("a"), MINUS, Ident("b")), row(Ident("a"), PLUS, Ident("b")))
    assert speech(both) == "fraction, a minus b, over a plus b, end fraction"
    assert speech(row(Frac(Num("1"), Num("2")), paren(row(Ident("a"), MINUS, Ident("b"))))) == \
        "1 over 2 times open paren a minus b close paren"


def test_powers_end_when_something_follows() -> None:
    power = Script(Ident("e"), sup=neg(Ident("z")))
    assert speech(row(power, EQ, Num("1"))) == "e to the minus z equals 1"
    assert speech(row(power, PLUS, Num("1"))) == "e to the minus z, end exponent, plus 1"


def test_matrices_row_by_row_and_vectors_as_their_entries() -> None:
    matrix = Matrix(((Num("1"), Num("-1"), Num("1")), (Num("-2"), Num("0"), Num("1"))))
    assert speech(matrix) == "2 by 3 matrix; row 1: 1, minus 1, 1; row 2: minus 2, 0, 1"
    assert speech(row(matrix, column("1", "0", "1"), PLUS, column("0", "1"))) == (
        "2 by 3 matrix; row 1: 1, minus 1, 1; row 2: minus 2, 0, 1; end matrix, times column vector 1, 0, 1, "
        "end vector, plus column vector 0, 1")
    assert speech(Matrix(((Num("2"), Num("0")),))) == "row vector 2, 0"
    assert speech(Matrix(((Num("0.881", answer=True),),))) == "0.881"  # a 1x1 is its number


def test_products_functions_and_brackets() -> None:
    assert speech(row(layered("W", 1), Ident("x"), PLUS, layered("b", 1))) == \
        "W superscript 1 times x plus b superscript 1"
    assert speech(row(Num("0"), MINUS, Num("0.1"), Num("-0.119"))) == "0 minus 0.1 times minus 0.119"
    assert speech(row(Ident("y"), Func("log"), Accent(Ident("y")))) == "y log y hat"
    assert speech(row(Func("log"), paren(row(Num("1"), MINUS, Accent(Ident("y")))))) == \
        "log of open paren 1 minus y hat close paren"
    assert speech(row(Func("ReLU"), paren(column("2", "0")))) == "ReLU of column vector 2, 0"
    assert speech(row(Ident("1", "bold"), paren(row(Ident("z"), Op(">", "rel"), Num("0"))))) == \
        "bold 1 of open paren z is greater than 0 close paren"
    assert speech(row(neg(Fence("[", Ident("y"), "]")))) == "minus open bracket y close bracket"


def test_sums_texts_spaces_and_lines() -> None:
    ell = Script(Ident("ℓ"), sub=Ident("s"))
    total = row(Ident("L"), EQ, Frac(Num("1"), Num("2")),
                BigOp("∑", row(Ident("s"), EQ, Num("1")), Num("2")), ell)
    assert speech(total) == "L equals 1 over 2 times the sum over s equals 1 to 2 of ell subscript s"
    assert speech(row(ell, EQ, Num("1"), Space(1.0), Text("for  sample"), Ident("s"))) == \
        "ell subscript s equals 1 for sample s"
    lines = Lines(((Ident("a"), row(EQ, Num("1"))), (None, row(EQ, Num("2")))))
    assert speech(lines) == "a equals 1 equals 2"


def test_a_lone_operator_is_named() -> None:
    assert speech(Op("⊙")) == "circled dot"
    assert speech(row(Ident("a"), Op("⊙"), Ident("b"))) == "a element-wise times b"


def test_blanks_say_their_number_never_an_answer() -> None:
    blanks = Matrix(((Blank(6, "e1:z1:0:0:0"),), (Blank(6, "e1:z1:0:1:0"),)), answer=True)
    assert speech(row(symbol("z1"), EQ, blanks), {"e1:z1:0:0:0": 1, "e1:z1:0:1:0": 2}) == \
        "z superscript 1 equals column vector blank 1, blank 2"
    assert speech(Blank(6, "e1:L:-1:0:0")) == "blank"  # no numbering given
