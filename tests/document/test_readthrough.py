"""The faults an instructor's read-through of the documents found (issue 10), one test each.

Networks: the Class 3 example, a 2-3-3-2 tanh/linear/mse net on a batch of 3 (tests/specs/tanh.yaml)
and a 4-3-3 leaky-ReLU/softmax/cross-entropy net on a batch of 2 (tests/specs/softmax.yaml).
Expected numbers are computed here from the trace's values, never read from a document.
"""

from __future__ import annotations

import io
import re
from functools import cache
from pathlib import Path

import numpy as np
import pypdf
import pytest
from documents import class3_documents, searchable

import tracegen
from tracegen.numbers import format_number
from tracegen.render import render_documents

SPECS = Path(__file__).parents[1] / "specs"


@cache
def traced(name: str) -> tracegen.Trace:
    return tracegen.trace(tracegen.load_spec(SPECS / f"{name}.yaml"))


@cache
def markdown(name: str, kind: str) -> str:
    return render_documents(traced(name), (kind,), ("md",))[(kind, "md")].decode()


def test_every_blank_of_the_trace_has_a_box_on_the_worksheet() -> None:
    """Batches: each sample's loss ℓ_s is a blank too (answers.csv has it), so the worksheet asks for it."""
    for name in ("tanh", "softmax"):
        worksheet = markdown(name, "worksheet")
        assert worksheet.count(r"\boxed") == len(traced(name).blanks()), name  # once each


def test_batch_loss_is_worked_from_each_samples_loss() -> None:
    trace, key = traced("tanh"), markdown("tanh", "key")
    losses = [format_number(trace.value("sample_loss", 1, sample=s), 3) for s in range(3)]
    for s, loss in enumerate(losses, start=1):
        line = re.escape(rf"\ell_{{{s}}} = ") + ".*" + re.escape(rf"\approx {{\color{{teal}}{loss}}}")
        assert re.search(line, key), s
    assert rf"\frac{{1}}{{3}}({' + '.join(losses)})" in key  # L = 1/3 (ℓ₁ + ℓ₂ + ℓ₃) with the numbers


def test_softmax_shows_its_exponentials_and_normaliser() -> None:
    trace, key = traced("softmax"), markdown("softmax", "key")
    z = np.round(trace.matrix("z2", 1).T, 3)  # units x samples, as printed
    exps = np.exp(z)
    for value in (*exps.ravel(), *exps.sum(axis=0)):
        assert format_number(value, 3) in key
    assert r"\sum_{j}e^{z_{j}^{(2)}} \approx" in key


def test_sigmoid_of_a_number_is_written_out_with_approx() -> None:
    key = class3_documents()[("key", "md")].decode()
    assert r"\sigma(2) = \frac{1}{1 + e^{-2}} \approx {\color{teal}0.881}" in key  # as slide 6 writes it


def page_texts(pdf: bytes) -> list[str]:
    import io

    import pypdf

    return [page.extract_text() for page in pypdf.PdfReader(io.BytesIO(pdf)).pages]


@pytest.mark.slow
def test_no_lead_in_ends_a_page_and_no_note_starts_one() -> None:
    """"Update parameters with η = 0.1:" stays with its updates; a grader note with its equation."""
    for name in ("class3", "tanh", "softmax"):
        trace = tracegen.trace(tracegen.load_example()) if name == "class3" else traced(name)
        for kind in ("worksheet", "key"):
            pages = page_texts(render_documents(trace, (kind,), ("pdf",))[(kind, "pdf")])
            for number, text in enumerate(pages, start=1):
                lines = [line.strip() for line in text.splitlines() if line.strip()]
                body = lines[:-2]  # less the running head and the page number, which come last
                assert not body[-1].endswith(":"), (name, kind, number, body[-1])
                assert not body[0].startswith(("Note:", "Grader:")), (name, kind, number, body[0])


def test_the_kink_is_explained_once_then_referred_to_where_the_note_is() -> None:
    key = class3_documents()[("key", "md")].decode()
    assert key.count("sits exactly on the kink") == 1  # z₂⁽¹⁾ = 0 in every epoch: said once
    # then pointed out where it matters again, saying where the note is ("epoch 1" inside epoch 1 misled)
    assert key.count("see the note in this epoch's forward pass") == 1
    assert key.count("see the note in the forward pass of epoch 1") == 4
    assert "## Epoch 1: Forward Pass" in key and "Forward Pass Example" not in key


LEAKY_KINK = {"title": "Leaky kink", "network": {"layers": [
    {"units": 2, "activation": {"name": "leaky_relu", "slope": 0.1}, "W": [[1, -1], [1, 1]], "b": [0, 0]},
    {"units": 3, "activation": "softmax", "W": [[1, 0], [0, 1], [1, -1]], "b": [0, 0, 0]}]},
    "loss": "cross_entropy", "data": {"x": [[1, 1], [2, 0]], "y": [0, 2]},
    "training": {"learning_rate": 0.5, "epochs": 2}}  # z₁⁽¹⁾ of sample 1 is 1 − 1 = 0: a leaky kink in a batch


def test_a_kink_note_in_a_batch_reads_cold() -> None:
    """The note names the unit and sample without "(slope 0.1) (sample 1)", writes the derivative as the page
    does (LReLU′, not an undefined f′), says what the unit passes back, and indexes z as the grader notes do."""
    key = render_documents(tracegen.trace(tracegen.Spec.from_dict(LEAKY_KINK)), ("key",), ("md",))[("key", "md")]
    notes = [line for line in key.decode().splitlines() if line.startswith("> Note:")]
    assert len(notes) == 2  # forward pass of epoch 1, then again at δ⁽¹⁾
    first = notes[0]
    assert "$z_{1 , 1}^{(1)} = 0$, unit 1 of sample 1, sits exactly on the kink of leaky ReLU (slope 0.1)." in first
    assert r"\operatorname{LReLU}^{\prime}(0) = \alpha" in first and "f^{\\prime}" not in first
    assert "passes back $0.1$ times the gradient that reaches it" in first
    assert ") (" not in first
    grader = [line for line in key.decode().splitlines() if line.startswith("> Grader:")]
    per_sample = r"(?:z|h|\\delta)_\{(\d(?: , \d)?)\}\^\{\(\d\)\}"  # z, h, δ entries: unit, then sample
    indices = [index for line in grader for index in re.findall(per_sample, line)]
    assert indices and all("," in index for index in indices)  # z_{2, 1}: one convention, as the kink note


def test_the_log_is_said_to_be_natural() -> None:
    """log₁₀ gives 0.055 where ln gives 0.127: the loss says which log it means."""
    for kind in ("worksheet", "key"):
        for fmt in ("md", "html", "pdf"):
            assert "log is the natural logarithm" in searchable(kind, fmt, class3_documents())


def test_the_keys_loss_table_does_not_repeat_its_heading() -> None:
    key = class3_documents()[("key", "md")].decode()
    assert "## Loss per Epoch" in key and "Loss per epoch:" not in key


def test_alpha_is_the_maths_alpha_and_the_prime_is_a_prime() -> None:
    """α was the text italic's, which reads as "a"; LReLU'(z) had a straight apostrophe."""
    from tracegen.maths.tree import Ident
    from tracegen.render.typeset.boxes import box, flatten

    (run,) = list(flatten(box(Ident("α"))))
    assert run.face == "math" and run.text == "\U0001d6fc"  # 𝛼 from Latin Modern Math
    key = markdown("softmax", "key")
    assert r"\operatorname{LReLU}^{\prime}(z)" in key and r"\operatorname{LReLU}'" not in key


def test_spacing_is_set_by_what_each_operator_is() -> None:
    """A leading minus binds to what follows; y log ŷ has its thin space; W⁽¹⁾'s bracket clears the W."""
    from tracegen.fontmetrics import letters
    from tracegen.layout import THIN
    from tracegen.maths.mathml import mathml
    from tracegen.maths.notation import symbol
    from tracegen.maths.tree import Func, Ident, Op, neg, row
    from tracegen.render.typeset.boxes import box, flatten

    minus_z = box(row(Ident("e"), Op("=", "rel"), neg(Ident("z"))))
    minus, zed = [r for r in flatten(minus_z) if r.text in ("\u2212", "\U0001d467")]
    moved = letters()["\U0001d467"].move  # the glyph of 𝑧 is placed as TeX's maths italic places it
    assert zed.x - minus.x == pytest.approx(box(Op("−")).width + moved)  # no space after a unary minus
    assert 'form="prefix" lspace="0" rspace="0">\u2212' in str(mathml(neg(Ident("z"))))
    y_log = [r for r in flatten(box(row(Ident("y"), Func("log"), symbol("y_hat")))) if r.text == "log"][0]
    assert y_log.x >= box(Ident("y")).width + THIN - 1e-9  # y log ŷ, not ylog ŷ
    w1 = list(flatten(box(symbol("W1"))))
    assert w1[1].x > w1[0].x + box(Ident("W")).width  # the superscript is set off the italic W


def test_sum_limits_are_stacked_and_indices_italic() -> None:
    from tracegen.maths.tree import BigOp, Ident, Num, Op, Script, row
    from tracegen.render.typeset.boxes import box, flatten

    runs = list(flatten(box(BigOp("∑", row(Ident("s"), Op("=", "rel"), Num("1")), Num("3")))))
    sigma = next(r for r in runs if r.text == "∑")
    below, above = next(r for r in runs if r.text == "\U0001d460"), next(r for r in runs if r.text == "3")  # 𝑠
    assert below.y < sigma.y < above.y  # limits under and over, not beside
    ell_s = list(flatten(box(Script(Ident("ℓ"), sub=Ident("s")))))
    assert [r.face for r in ell_s][-1] == "italic" and ell_s[-1].size < 1  # ℓ_s: an italic, smaller s


def test_every_worksheet_blank_names_the_trace_blank_it_stands_for() -> None:
    """Exports turn blanks into answer fields: each must say which answers.csv column it is."""
    from tracegen.document import build
    from tracegen.maths.tree import Blank, walk

    for name in ("tanh", "softmax"):
        trace = traced(name)
        doc = build(trace, "worksheet")
        ids = [node.id for section in doc.sections for item in section.items if item.kind == "eq"
               for part in item.items for node in walk(part) if isinstance(node, Blank)]
        assert sorted(ids) == sorted(trace.blanks()["blank"]), name  # each blank once, none unnamed


def test_grader_notes_are_true_of_the_numbers_printed_on_their_line() -> None:
    """tanh net, epoch 1: ℓ_s = ½ Σ_j (y_j − ŷ_j)² (mse, mean over 2 outputs), ŷ printed to 3 decimals.

    Where the printed ŷ give another last digit than the key's ℓ_s, the note under that line says so
    with that value; under the other lines no such note. (The old notes quoted a student who had
    carried rounded values from the start, and contradicted the line they stood under.)
    """
    trace, key = traced("tanh"), markdown("tanh", "key")
    y_hat, y = np.round(trace.matrix("y_hat", 1), 3), trace.matrix("y", 1)  # samples x outputs
    from_line = np.round(((y - y_hat) ** 2).mean(axis=1), 3)
    printed = np.round(trace.matrix("sample_loss", 1).ravel(), 3)
    differs = 0
    for s, (line_value, key_value) in enumerate(zip(from_line, printed, strict=True), start=1):
        under = key.split(rf"\ell_{{{s}}} = ", 1)[1].split("$$", 2)[1]  # the notes under epoch 1's ℓ_s line
        note = rf"printed above gives $\ell_{{{s}}} = {line_value:.3f}$"
        assert (note in under) == (line_value != key_value), s
        differs += line_value != key_value
    assert differs  # the example has such a line


def test_grader_notes_name_entries_not_whole_matrices() -> None:
    key = markdown("tanh", "key")
    notes = [line for line in key.splitlines() if line.startswith("> Grader:")]
    assert notes and not [note for note in notes if r"\left[" in note]


def test_inline_maths_keeps_its_punctuation_and_commas_have_no_space_before() -> None:
    from tracegen.maths.mathml import mathml
    from tracegen.maths.tree import Ident, Num, Op, row
    from tracegen.render.filters import glued

    zero = Num("0")
    assert glued(("its derivative is ", zero, ", so this unit")) == [
        (None, "its derivative is "), (zero, ","), (None, " so this unit")]  # "0," on one line
    comma = str(mathml(row(Num("0"), Op(",", "punct"), Ident("z"))))
    assert '<mo form="infix">,</mo>' in comma  # the dictionary's comma: no space before, a thin one after


def test_a_matrix_prints_its_entries_alike_aligned_on_the_point() -> None:
    """"0.500", "1.500" beside a bare "1": one policy, so columns align on the decimal point."""
    from tracegen.numbers import format_numbers

    assert format_numbers([0.5, 1.0, -2.0], 3) == ["0.500", "1.000", "-2.000"]  # computed: alike
    assert format_numbers([2.0, 0.0], 3) == ["2", "0"]  # all whole: bare, as the slides print z1
    assert format_numbers([0.5, 1.0], None) == ["0.5", "1"]  # givens: as the spec writes them
    assert format_numbers([-0.0001, 1e-5], 3) == ["0.000", "0.000"]  # too small: 0.000, never -0.000
    key = class3_documents()[("key", "md")].decode()
    assert r"{\color{teal}1.024} & {\color{teal}-1.000}" in key  # W2 after epoch 1: both with 3 decimals


def test_a_worksheet_without_a_roster_asks_for_the_name_on_every_page() -> None:
    """Pages get separated: each one carries the "Name:" line in its running head (a roster prints the name)."""
    reader = pypdf.PdfReader(io.BytesIO(class3_documents()[("worksheet", "pdf")]))
    assert len(reader.pages) > 1
    assert all("Name:" in page.extract_text() for page in reader.pages)
    key = pypdf.PdfReader(io.BytesIO(class3_documents()[("key", "pdf")]))
    assert not any("Name:" in page.extract_text() for page in key.pages)


def test_a_worksheet_asks_for_each_answer_once() -> None:
    """The final loss table repeated the loss blanks of every epoch; now each blank appears once."""
    from tracegen.document.build import build
    from tracegen.maths.tree import Blank

    ids: list[str] = []

    def walk(node: object) -> None:
        if isinstance(node, Blank):
            ids.append(node.id)
        elif isinstance(node, tuple | list):
            for item in node:
                walk(item)
        elif hasattr(node, "__dataclass_fields__"):
            for name in node.__dataclass_fields__:
                walk(getattr(node, name))

    for trace in (tracegen.trace(tracegen.load_example()), tracegen.trace(tracegen.Spec.from_dict(LEAKY_KINK))):
        doc = build(trace, "worksheet")
        ids.clear()
        walk((doc.sections, doc.losses))
        assert ids and len(ids) == len(set(ids))
        assert {i for i in ids if ":L:" in i} == {f"e{e}:L:-1:0:0" for e in range(1, trace.spec.epochs + 1)}
