"""Documents for every reader (issue 21): the maths spoken, the pictures described, PDF/UA by default.

The tagged PDFs are checked with pikepdf against the Matterhorn Protocol's machine-checkable
conditions (tests/matterhorn.py) and by `pdfua`, a checker nobody here wrote; the spoken text of
the formulas is compared with readings written out by hand. Worksheets say "blank 7" where the
key says the number, and no answer hides in their alternative texts or metadata.
"""

from __future__ import annotations

import html
import io
import re
from collections.abc import Iterator
from functools import cache
from pathlib import Path
from typing import Any

import pikepdf
import pypdf
import pytest
from browser import Browser
from documents import DEEP, SOFTMAX, class3_trace, distinctive_answers
from matterhorn import problems

import tracegen
from tracegen.document import KINDS, build
from tracegen.document.blanks import blanks
from tracegen.maths.mathml import mathml
from tracegen.maths.tree import Ident, Text, row
from tracegen.render import render_documents

CASES = ("class3", "deep", "softmax")  # one sample ReLU/sigmoid; a tanh batch; a softmax classifier
LABEL = re.compile(r'<math(?: display="block")? aria-label="([^"]*)"')
TITLE = re.compile(r"<title>([^<]*)</title>")
NUMBER = re.compile(r"(?:minus |[\u2212-])?[0-9]+(?:\.[0-9]+)?")


@cache
def case_trace(case: str) -> tracegen.Trace:
    if case == "class3":
        return class3_trace()
    return tracegen.trace(tracegen.Spec.from_dict(DEEP if case == "deep" else SOFTMAX))


@cache
def rendered(case: str) -> dict[tuple[str, str], bytes]:
    """Worksheet and key, HTML and PDF, as `tracegen render` makes them (tagged by default)."""
    return render_documents(case_trace(case), KINDS, ("html", "pdf"))


def structure(data: bytes) -> list[tuple[str, str]]:
    """(type, Alt) of each structure element of a PDF, in document order."""
    def walk(node: Any) -> Iterator[tuple[str, str]]:
        kids = node.get("/K")
        for kid in (kids if isinstance(kids, pikepdf.Array) else [kids]) if kids is not None else []:
            if isinstance(kid, pikepdf.Dictionary) and "/S" in kid:
                yield str(kid.S)[1:], str(kid.get("/Alt", ""))
                yield from walk(kid)

    with pikepdf.open(io.BytesIO(data)) as pdf:
        return list(walk(pdf.Root.StructTreeRoot))


def pdf_spoken(data: bytes) -> list[str]:
    """Each equation's spoken text in the PDF: a Formula's Alt holds a run of equations, joined by ". "."""
    return [part for kind, alt in structure(data) if kind == "Formula" for part in alt.split(". ")]


def html_spoken(data: bytes) -> list[str]:
    """Each <math>'s accessible name in the HTML, in document order."""
    return [html.unescape(label) for label in LABEL.findall(data.decode("utf-8"))]


def titles(data: bytes) -> list[str]:
    """The HTML's <title> texts: the page's, then each picture's description."""
    return [html.unescape(title) for title in TITLE.findall(data.decode("utf-8"))]


def metadata(data: bytes) -> str:
    with pikepdf.open(io.BytesIO(data)) as pdf:
        info = " ".join(str(v) for v in pdf.docinfo.values())
        return info + " " + bytes(pdf.Root.Metadata.read_bytes()).decode("utf-8")


# Readings written out by hand from the printed formulas (the key's, in print order), not from the code.
CLASS3_KEY = [
    "x equals column vector 1, 0, 1, end vector, y equals 1",
    "W superscript 1 equals 2 by 3 matrix; row 1: 1, minus 1, 1; row 2: minus 2, 0, 1; end matrix, "
    "b superscript 1 equals column vector 0, 1",
    "W superscript 2 equals row vector 1, minus 1, end vector, b superscript 2 equals 0",
    "eta equals 0.1",
    "z superscript 1 equals W superscript 1 times x plus b superscript 1, "
    "h superscript 1 equals ReLU of z superscript 1",
    "ReLU of z equals max of open paren 0, z close paren, sigma of z equals 1 over 1 plus e to the minus z",
    "L equals minus open bracket y log y hat plus open paren 1 minus y close paren log of open paren 1 minus y hat "
    "close paren close bracket",
    "z superscript 1 equals W superscript 1 times x plus b superscript 1 equals 2 by 3 matrix; row 1: 1, minus 1, 1; "
    "row 2: minus 2, 0, 1; end matrix, times column vector 1, 0, 1, end vector, plus column vector 0, 1 "
    "equals column vector 2, 0",
    "h superscript 1 equals ReLU of z superscript 1 equals ReLU of column vector 2, 0 equals column vector 2, 0",
    "z superscript 1, subscript 2 equals 0",
    "bold 1 of open paren z is greater than 0 close paren",
    "y hat equals sigma of z superscript 2 equals sigma of 2 equals 1 over 1 plus e to the minus 2 "
    "is approximately 0.881",
    "L subscript 1 equals minus open bracket y log y hat plus open paren 1 minus y close paren log of open paren "
    "1 minus y hat close paren close bracket equals minus log of 0.881 is approximately 0.127",
    "delta superscript 2 equals partial L over partial z superscript 2 equals y hat minus y",
    "delta superscript 1 equals open paren W superscript 2 transpose times delta superscript 2 close paren "
    "element-wise times bold 1 of open paren z superscript 1 is greater than 0 close paren",
    "ReLU prime of 0 equals 0",
    "W superscript l becomes W superscript l minus eta times partial L over partial W superscript l, "
    "b superscript l becomes b superscript l minus eta times partial L over partial b superscript l",
    "partial L over partial W superscript 2 equals delta superscript 2 times h superscript 1 transpose "
    "equals minus 0.119 times row vector 2, 0 equals row vector minus 0.238, 0.000",
    "partial L over partial W superscript 1 equals delta superscript 1 times x transpose equals column vector "
    "minus 0.119, 0.000, end vector, times row vector 1, 0, 1 equals 2 by 3 matrix; row 1: minus 0.119, 0.000, "
    "minus 0.119; row 2: 0.000, 0.000, 0.000",
    "b superscript 2 becomes b superscript 2 minus eta times partial L over partial b superscript 2 equals "
    "0 minus 0.1 times minus 0.119 equals 0.012",
    "L subscript 2 is less than L subscript 1",
    "open paren partial L over partial W superscript 2 close paren, subscript 1 comma 1 equals minus 0.222",
]
SOFTMAX_KEY = [
    "x equals 2 by 2 matrix; row 1: 1, minus 1; row 2: 2, 0.5; end matrix, y equals 3 by 2 matrix; "
    "row 1: 1, 0; row 2: 0, 0; row 3: 0, 1",
    "tanh of z equals fraction, e to the z minus e to the minus z, over e to the z plus e to the minus z, "
    "end fraction, softmax of z, subscript j equals e to the z subscript j over the sum over i of e to the "
    "z subscript i",
    "ell subscript s equals minus the sum over j equals 1 to 3 of y subscript j log y hat subscript j for sample s",
    "L equals 1 over 2 times the sum over s equals 1 to 2 of ell subscript s",
    "z superscript 2, subscript 1 comma 1 equals 0.143",
    "ell subscript 1 equals minus log of 0.1622 is approximately 1.819",
    "L subscript 1 equals 1 over 2 times the sum over s equals 1 to 2 of ell subscript s equals 1 over 2 times "
    "open paren 1.819 plus 1.827 close paren equals 1.823",
    "delta superscript 2 equals partial L over partial z superscript 2 equals 1 over 2 times open paren y hat "
    "minus y close paren",
    "partial L over partial W superscript 2 equals delta superscript 2 times h superscript 1 transpose, "
    "partial L over partial b superscript 2 equals delta superscript 2 times bold 1",
    "delta superscript 1 equals open paren W superscript 2 transpose times delta superscript 2 close paren "
    "element-wise times open paren 1 minus h superscript 1 element-wise times h superscript 1 close paren",
]


@pytest.mark.parametrize(("case", "expected"), [("class3", CLASS3_KEY), ("softmax", SOFTMAX_KEY)])
@pytest.mark.parametrize("fmt", ["pdf", "html"])
def test_formulas_are_spoken_as_written_by_hand(case: str, expected: list[str], fmt: str) -> None:
    data = rendered(case)[("key", fmt)]
    spoken = pdf_spoken(data) if fmt == "pdf" else html_spoken(data)
    # the PDF speaks a grader note as one formula: its words, and its maths spoken in their place
    notes = [alt for alt in spoken if alt.startswith(("Note:", "Grader:"))] if fmt == "pdf" else []
    missing = [reading for reading in expected if reading not in spoken and not any(reading in n for n in notes)]
    assert not missing, f"not spoken in the {fmt}: {missing[0]!r}"
    assert len(expected) >= (20 if case == "class3" else 10)


@pytest.mark.parametrize("case", CASES)
@pytest.mark.parametrize("kind", KINDS)
def test_every_pdf_meets_the_matterhorn_conditions(case: str, kind: str) -> None:
    assert problems(rendered(case)[(kind, "pdf")]) == []


@pytest.mark.parametrize("case", CASES)
@pytest.mark.parametrize("kind", KINDS)
def test_every_pdf_passes_an_outside_pdf_ua_checker(case: str, kind: str, tmp_path: Path) -> None:
    from pdfua import Severity, validate

    path = tmp_path / f"{case}-{kind}.pdf"
    path.write_bytes(rendered(case)[(kind, "pdf")])
    report = validate(str(path))
    found = [f"{f.rule_id}: {f.message}" for f in report.findings if f.severity >= Severity.WARNING]
    assert found == []


def test_the_checks_catch_an_untagged_pdf() -> None:
    untagged = render_documents(class3_trace(), ("key",), ("pdf",), tagged=False)[("key", "pdf")]
    assert "01-001: no structure tree (not a tagged PDF)" in problems(untagged)


@pytest.mark.parametrize("case", CASES)
def test_the_pdf_is_titled_in_english_with_headings_tables_and_artifacts(case: str) -> None:
    data = rendered(case)[("key", "pdf")]
    kinds = [kind for kind, _ in structure(data)]
    assert kinds.count("H1") == 1 and kinds.count("H2") >= 4
    assert kinds.count("Table") >= 2 and "TH" in kinds  # the loss table and the network's weights
    with pikepdf.open(io.BytesIO(data)) as pdf:
        assert str(pdf.Root.Lang) == "en"
        assert str(pdf.docinfo.Title) == f"{case_trace(case).spec.title} · Answer key"
        running = [op for op in pikepdf.parse_content_stream(pdf.pages[1]) if str(op[1]) == "BMC"]
        assert running  # the running header and footer are artifacts (01-005 checks each text)


@pytest.mark.parametrize("case", CASES)
def test_worksheets_speak_numbered_blanks_and_no_answer(case: str) -> None:
    """A blank is "blank N", N its place in the worksheet's reading order (as the exports number them);
    no answer is in a worksheet's spoken maths, picture descriptions or metadata, though the key's has them."""
    documents = rendered(case)
    worksheet = build(case_trace(case), "worksheet")
    count = sum(1 for _ in blanks(worksheet))
    answers = distinctive_answers(case_trace(case))

    def said(kind: str) -> str:
        pdf, page = documents[(kind, "pdf")], documents[(kind, "html")]
        alts = " ".join(alt for _, alt in structure(pdf))
        return " ".join((alts, *html_spoken(page), *titles(page), metadata(pdf)))

    sheet, key = said("worksheet"), said("key")
    numbers = {f"blank {n}" for n in range(1, count + 1)}
    assert {f"blank {n}" for n in map(int, re.findall(r"blank (\d+)", sheet))} == numbers
    assert "blank" not in key
    found = {n.replace("minus ", "-").replace("\u2212", "-") for n in NUMBER.findall(sheet)}
    assert len(answers & {n.replace("minus ", "-") for n in NUMBER.findall(key)}) >= 10  # the search works
    assert answers & found == set()


def test_class3_worksheet_numbers_its_blanks_in_reading_order() -> None:
    spoken = html_spoken(rendered("class3")[("worksheet", "html")])
    assert "z superscript 1 equals W superscript 1 times x plus b superscript 1 equals 2 by 3 matrix; " \
           "row 1: 1, minus 1, 1; row 2: minus 2, 0, 1; end matrix, times column vector 1, 0, 1, end vector, " \
           "plus column vector 0, 1 equals column vector blank 1, blank 2" in spoken
    assert "h superscript 1 equals ReLU of z superscript 1 equals column vector blank 3, blank 4" in spoken
    assert "delta superscript 2 equals y hat minus y equals blank 8" in spoken


@pytest.mark.parametrize("fmt", ["pdf", "html"])
def test_the_network_is_described_and_its_weights_are_a_table(fmt: str) -> None:
    data = rendered("class3")[("worksheet", fmt)]
    description = ("Diagram of the 3-2-1 network: 3 inputs on the left, then layer 1 with 2 units (ReLU); "
                   "layer 2, the output, with 1 unit (sigmoid). Every unit is connected to every unit of the "
                   "next layer, the weights on the edges and each unit's bias below it. The tables after the "
                   "diagram list each layer's weights and biases.")
    if fmt == "pdf":
        figures = [alt for kind, alt in structure(data) if kind == "Figure"]
        assert figures == [description]  # the worksheet has no chart
        return
    page = data.decode("utf-8")
    assert titles(data)[1:] == [description]  # after the page's own <title>
    table = re.search(r"<caption>Layer 1 \(ReLU\): weights into each unit, and its bias</caption>\n"
                      r"<thead><tr>(.*?)</tr></thead>\n<tbody>\n<tr>(.*?)</tr>", page)
    assert table is not None
    assert table[1] == ('<th scope="col">unit</th><th scope="col">from x1</th><th scope="col">from x2</th>'
                        '<th scope="col">from x3</th><th scope="col">bias</th>')
    assert table[2] == '<th scope="row">h1</th><td>1</td><td>\u22121</td><td>1</td><td>0</td>'


def test_every_weight_table_of_a_wide_network_is_in_the_pdf() -> None:
    """A 4-6-5-3 network's tables are taller than what is left of the diagram's page: every table,
    every row, is still in the tagged PDF (a row past the page's foot was once not laid out)."""
    wide = tracegen.trace(Path(__file__).parents[1] / "specs" / "net4653.yaml")
    data = render_documents(wide, ("worksheet",), ("pdf",))[("worksheet", "pdf")]
    text = "".join(page.extract_text() for page in pypdf.PdfReader(io.BytesIO(data)).pages)
    for layer, inputs in ((1, "x4"), (2, "h6"), (3, "h5")):
        caption = re.search(rf"Layer {layer} \([^)]*\): weights into each unit, and its bias", text)
        assert caption is not None, layer
        assert f"from {inputs}" in text[caption.end():], layer
    units = re.findall(r"\bh(\d)\b", text[text.index("Layer 1 ("):text.index("Layer 2 (")])
    assert units[:6] == ["1", "2", "3", "4", "5", "6"]  # the rows of layer 1's table, in order


@pytest.mark.parametrize("fmt", ["pdf", "html"])
def test_the_loss_chart_says_each_epochs_loss(fmt: str) -> None:
    data = rendered("class3")[("key", fmt)]
    chart = ("Line chart of the loss L for epochs 1 to 3, its L axis starting at 0.10 rather than 0. "
             "The losses: epoch 1, 0.127; epoch 2, 0.116; epoch 3, 0.106.")
    if fmt == "pdf":
        assert [alt for kind, alt in structure(data) if kind == "Figure"][1] == chart
    else:
        assert chart in titles(data)


def test_spoken_text_is_escaped_in_markup() -> None:
    assert str(mathml(row(Ident("x"), Text('"<&>"')), label='x "<&>"')).startswith(
        '<math aria-label="x &#34;&lt;&amp;&gt;&#34;">')


# Chromium's accessibility tree: what a screen reader is given for the HTML.

def ax_reading(chromium: Browser) -> list[str]:
    """The loaded page's accessibility tree as a screen reader walks it: a named node's name (a <math>
    with its label) in place of its subtree, else the text of its static text nodes, in tree order."""
    nodes = chromium.driver.execute_cdp_cmd("Accessibility.getFullAXTree", {})["nodes"]
    by_id = {node["nodeId"]: node for node in nodes}
    root = next(node for node in nodes if "parentId" not in node)
    out: list[str] = []

    def visit(node: dict[str, Any]) -> None:
        role = node.get("role", {}).get("value")
        name = node.get("name", {}).get("value", "")
        if not node.get("ignored") and role == "MathMLMath" and name:
            out.append(name)
            return
        if not node.get("ignored") and role == "StaticText":
            out.append(name)
        for child in node.get("childIds", []):
            if child in by_id:
                visit(by_id[child])

    visit(root)
    return out


def math_names(chromium: Browser) -> list[str]:
    nodes = chromium.driver.execute_cdp_cmd("Accessibility.getFullAXTree", {})["nodes"]
    return [n.get("name", {}).get("value", "") for n in nodes if n.get("role", {}).get("value") == "MathMLMath"]


@pytest.mark.browser
def test_chromium_names_each_formula_by_its_speech_only_with_the_label(chromium: Browser, tmp_path: Path) -> None:
    """The measurement behind the label: Chromium 156 gives a <math> no name of its own (nor from
    `alttext`), so a screen reader without MathML support reads its leaves, "σ(z)=11+e−z", fraction lost."""
    sigmoid = rendered("class3")[("key", "html")].decode("utf-8")
    reading = "sigma of z equals 1 over 1 plus e to the minus z"
    path = tmp_path / "labelled.html"
    path.write_text(sigmoid, encoding="utf-8")
    chromium.load(path)
    assert any(reading in name for name in math_names(chromium))
    path.write_text(re.sub(r' aria-label="[^"]*"', lambda m: m[0].replace("aria-label", "alttext"), sigmoid),
                    encoding="utf-8")
    chromium.load(path)
    names = math_names(chromium)
    assert names and set(names) == {""}


@pytest.mark.browser
@pytest.mark.parametrize("case", CASES)
def test_chromiums_accessibility_tree_gives_each_answer_in_reading_order(chromium: Browser, tmp_path: Path,
                                                                       case: str) -> None:
    from test_browser import first_unmatched, key_numbers

    path = tmp_path / f"{case}-key.html"
    path.write_bytes(rendered(case)[("key", "html")])
    chromium.load(path)
    read = " ".join(ax_reading(chromium))
    tokens = [n.replace("minus ", "\u2212").replace("-", "\u2212") for n in NUMBER.findall(read)]
    expected = key_numbers(build(case_trace(case), "key"))
    assert len(expected) > 50
    missing = first_unmatched(expected, tokens)
    assert missing is None, f"answer {missing} ({expected[missing]}) of {len(expected)} is not in reading order"
