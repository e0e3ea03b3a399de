"""Documents in every format: no answer leaks into a worksheet, the key carries the slides'
numbers (errata fixed), user text is inert, output is deterministic and self-contained."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner
from documents import (
    ALL,
    DEEP,
    class3_documents,
    class3_trace,
    deep_documents,
    distinctive_answers,
    md_math_balanced,
    searchable,
    spec_trace,
)

import tracegen
from tracegen.cli import cli
from tracegen.document import build
from tracegen.errors import OptionError
from tracegen.numbers import format_number
from tracegen.render import render_documents, slug
from tracegen.render.environment import jinja_environment
from tracegen.render.filters import FILTERS
from tracegen.text import MAX_LABEL

SPECS = Path(__file__).parents[1] / "specs"

SLIDE_NUMBERS = ("0.881", "0.127", "-0.119", "-0.238", "1.024", "0.012", "1.012", "2.036", "0.891",
                 "-0.109", "-0.223", "-0.112", "1.046", "0.023", "1.023")
NASTY = "<script>alert(1)</script> $\\input{x}$ ../../x *b* 名前 " + "long" * 40


@pytest.mark.parametrize("fmt", ALL[1])
def test_worksheet_leaks_no_answer_that_the_key_shows(fmt: str) -> None:
    """nbconvert-style shared leak test: text, HTML source, PDF text and metadata."""
    answers = distinctive_answers(class3_trace())
    assert len(answers) > 20
    key = searchable("key", fmt, class3_documents())
    worksheet = searchable("worksheet", fmt, class3_documents())
    assert {a for a in answers if a not in key} == set()  # the search itself works
    assert {a for a in answers if a in worksheet} == set()


@pytest.mark.parametrize("fmt", ALL[1])
def test_deep_batch_worksheet_leaks_nothing(fmt: str) -> None:
    trace = tracegen.trace(tracegen.Spec.from_dict(DEEP))
    answers = distinctive_answers(trace)
    worksheet = searchable("worksheet", fmt, deep_documents())
    assert answers and not {a for a in answers if a in worksheet}


def model_numbers(node: object) -> set[str]:
    """Every number written in a document model: the text of each Num and each number inside other text."""
    found: set[str] = set()

    def walk(item: object) -> None:
        if isinstance(item, str):
            found.update(re.findall(r"[0-9]+(?:\.[0-9]+)?", item))
        elif isinstance(item, tuple | list):
            for child in item:
                walk(child)
        elif hasattr(item, "__dataclass_fields__"):
            for name in item.__dataclass_fields__:
                walk(getattr(item, name))

    walk(node)
    return found


@pytest.mark.parametrize("trace", [class3_trace(), tracegen.trace(SPECS / "softmax.yaml")], ids=["class3", "softmax"])
def test_worksheet_model_holds_no_answer(trace: tracegen.Trace) -> None:
    """The model itself, before any template: no printed answer is among the worksheet's numbers, and
    the key's model (the same walk) holds them all, so the walk sees numbers where they are."""
    answers = {a.replace("\u2212", "").lstrip("-") for a in distinctive_answers(trace)}
    assert answers, "the trace has distinctive answers to look for"
    assert answers & model_numbers(build(trace, "worksheet")) == set()
    assert answers <= model_numbers(build(trace, "key"))


@pytest.mark.parametrize("fmt", ("md", "html"))
def test_key_shows_the_slides_numbers(fmt: str) -> None:
    text = searchable("key", fmt, class3_documents())
    assert [n for n in SLIDE_NUMBERS if n not in text] == []


def test_key_fixes_the_slide_errata_and_points_out_the_kink() -> None:
    md = class3_documents()[("key", "md")].decode()
    # slide 6 says z1 = [2, -1]; W1 x + b1 is [2, 0]
    assert r"= \left[\begin{array}{r} {\color{teal}2} \\ {\color{teal}0} \end{array}\right]" in md
    # delta1 uses W2^T = [1, -1] (the slide has [-1, 1])
    assert r"\left( \left[\begin{array}{r} 1 \\ -1 \end{array}\right](-0.119) \right)" in md
    assert "exactly on the kink" in md and "exactly on the kink" not in class3_documents()[("worksheet", "md")].decode()


def test_key_notes_where_hand_rounding_changes_a_digit() -> None:
    md = class3_documents()[("key", "md")].decode()
    # carrying the rounded ŷ gives -log(0.891) = 0.1154, while L2 = -log(0.8905) prints as 0.116
    assert r"-\log(0.8905) \approx {\color{teal}0.116}" in md
    assert r"carrying the rounded $\hat{y} = 0.891$ printed above gives $L_{2} = 0.115$; accept that too" in md


def test_gradient_rules_name_the_leaky_slope() -> None:
    # DEEP's third layer is leaky_relu with slope 0.1: the rule must say what alpha is.
    for kind in ALL[0]:
        md = deep_documents()[(kind, "md")].decode()
        assert r"For leaky ReLU with slope $\alpha = 0.1$" in md


def test_markdown_draws_the_network_as_a_mermaid_flowchart() -> None:
    # GitHub and JupyterLab draw ```mermaid blocks; the edge table stays for other readers.
    for kind in ALL[0]:
        md = class3_documents()[(kind, "md")].decode()
        chart = md.split("```mermaid\n", 1)[1].split("```", 1)[0]
        assert chart.startswith("flowchart LR\n")
        # Names as every other format writes them (h₂⁽¹⁾, not h⁽¹⁾₂), numbers with a real minus sign.
        assert '  n4(("h₂⁽¹⁾<br>b = 1"))' in chart  # second hidden unit, b1 = [0, 1]
        assert '  n0 -->|"\u22122"| n4' in chart  # W1[1, 0] = -2: x1 -> h2
        assert '  n4 -->|"\u22121"| n5' in chart  # W2[0, 1] = -1: h2 -> y_hat
        assert "-" not in chart.replace("-->", "")  # no ASCII hyphen for a minus anywhere in the chart


def test_markdown_math_is_balanced() -> None:
    for kind in ALL[0]:
        assert md_math_balanced(class3_documents()[(kind, "md")].decode())
        assert md_math_balanced(deep_documents()[(kind, "md")].decode())


@pytest.mark.parametrize("kind", ALL[0])
def test_html_is_self_contained(kind: str) -> None:
    html = class3_documents()[(kind, "html")].decode()
    assert "<script" not in html and "http" not in html and "<link" not in html
    assert re.findall(r"""(?:src|href)=["'](?!data:)""", html) == []
    assert 'url("data:font/woff2;base64,' in html


def test_user_text_is_inert_in_every_format() -> None:
    spec = tracegen.load_example().with_title(NASTY)
    docs = render_documents(tracegen.trace(spec), ("worksheet",), ("md", "html"), student=NASTY)
    html, md = docs[("worksheet", "html")].decode(), docs[("worksheet", "md")].decode()
    assert "<script>" not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "<script>" not in md and "&lt;script&gt;" in md
    assert "$\\input" not in md and "\\$\\\\input\\{x\\}\\$" in md
    assert "名前" in html and "名前" in md
    assert md_math_balanced(md)


def test_student_and_variant_are_printed() -> None:
    trace = class3_trace()
    docs = render_documents(trace, ("key",), ("md", "html"), student="Ada Lovelace")
    assert "Ada Lovelace" in docs[("key", "md")].decode() and "Ada Lovelace" in docs[("key", "html")].decode()
    assert "Variant" not in docs[("key", "html")].decode()  # "base" is not printed


def test_long_student_names_are_shortened() -> None:
    doc = build(class3_trace(), "worksheet", student="x" * 500)
    assert doc.student is not None and len(doc.student) == MAX_LABEL and doc.student.endswith("…")


def test_rendering_is_deterministic() -> None:
    again = render_documents(class3_trace(), *ALL)
    assert again == class3_documents()


def test_bad_kind_or_format_is_an_option_error() -> None:
    with pytest.raises(OptionError):
        render_documents(class3_trace(), ("answers",), ("md",))
    with pytest.raises(OptionError):
        render_documents(class3_trace(), ("key",), ("docx",))


def test_numbers_never_print_negative_zero() -> None:
    assert format_number(-0.0001, 3) == "0.000"
    assert format_number(-0.0, 3) == "0"
    assert format_number(-2.0, 3) == "-2"
    assert format_number(0.1, None) == "0.1"
    assert format_number(-0.1195, 3, "\u2212") == "\u22120.120" or format_number(-0.1195, 3, "\u2212") == "\u22120.119"


def test_every_filter_is_registered() -> None:
    for fmt in ("md", "html"):
        assert set(FILTERS[fmt]) <= set(jinja_environment(fmt).filters)
    assert jinja_environment("html").autoescape and not jinja_environment("md").autoescape


def test_slug_never_escapes_the_folder() -> None:
    assert slug("../../etc/passwd") == "etc-passwd"
    assert slug("Class 3 (v2)") == "class-3-v2"
    assert slug("名前") == "document"


def test_cli_render_writes_named_files(tmp_path) -> None:
    result = CliRunner().invoke(cli, ["render", "--to", "md,html", "-o", str(tmp_path)])
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "class3-key.html", "class3-key.md", "class3-worksheet.html", "class3-worksheet.md"]


def test_cli_render_refuses_bad_options_and_writes_nothing(tmp_path) -> None:
    result = CliRunner().invoke(cli, ["render", "--to", "docx", "-o", str(tmp_path / "out")])
    assert result.exit_code == 2 and not (tmp_path / "out").exists()


def test_filters_write_numbers_and_maths_per_format() -> None:
    """Each filter on its own: numbers, and the same maths as Markdown's LaTeX and HTML's MathML."""
    from jinja2.runtime import new_context
    from markupsafe import Markup

    from tracegen.maths.speech import speech
    from tracegen.maths.tree import Ident, Op, row
    from tracegen.render.filters import display_md, math_html, math_md, num, num_html, text_md

    class Doc:
        decimals = 3

    ctx = new_context(jinja_environment("md"), "t", {}, {"doc": Doc()})
    assert num(ctx, -0.0004) == "0.000" and num(ctx, 0.1, exact=True) == "0.1"
    assert num_html(ctx, -0.25) == "\u22120.250"
    x = row(Ident("x"), Op("=", "rel"), Ident("y"))
    assert math_md(x) == "$x = y$" and display_md(x) == "$$\nx = y\n$$"
    page = new_context(jinja_environment("html"), "t", {}, {"page": {"speak": speech}})
    assert str(math_html(page, x)) == ('<math aria-label="x equals y"><mrow><mi>x</mi><mo form="infix">=</mo>'
                                       '<mi>y</mi></mrow></math>')  # named by its spoken text
    placeholder = Markup('<span class="eqbox"></span>')
    assert math_html(page, placeholder) is placeholder  # the PDF's maths arrives as its placeholder
    assert text_md("a*b_c <x> $y$") == r"a\*b\_c &lt;x&gt; \$y\$"


def test_specs_whose_names_slug_alike_never_write_the_same_files(tmp_path: Path, class3_dict: dict) -> None:
    """`a+b.yaml` and `a-b.yaml` both wrote a-b-key.md: the second overwrote the first without a word."""
    written = []
    for name in ("a+b", "a-b", "A-B", "名前", "題"):
        path = tmp_path / f"{name}.yaml"
        path.write_text(yaml.safe_dump(class3_dict))
        result = CliRunner().invoke(cli, ["render", str(path), "--to", "md", "--kind", "key", "-o",
                                          str(tmp_path / "out")])
        assert result.exit_code == 0
        written.append(Path(result.stdout.strip()).name)
    assert written[1] == "a-b-key.md"  # a name that is already a slug keeps it
    assert len(set(written)) == 5 and all(n.endswith("-key.md") and n.isascii() for n in written)
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == sorted(written)


def test_html_maths_writes_primes_transposes_and_operator_names_as_the_pdf_sets_them() -> None:
    """A prime after its function, not a script (as one it is raised twice and reads as an accent: ReLU´);
    the transpose's T upright, as the PDF prints it; a thin space between (1 − y) and log."""
    softmax = render_documents(spec_trace("softmax"), ("key",), ("html",))
    html = softmax[("key", "html")].decode()
    assert "LReLU" in html and "\u2032" in html
    assert re.search(r"<msup>(?:(?!</msup>).)*\u2032", html) is None
    assert '<mo lspace="0" rspace="0">\u2032</mo>' in html
    key = class3_documents()[("key", "html")].decode()
    assert "<mi>T</mi>" not in key and '<mi mathvariant="normal">T</mi>' in key
    assert re.search(r'<mo stretchy="false" lspace="0" rspace="0">\)</mo></mrow><mspace width="0.1667em"></mspace>'
                     r"<mi>log</mi>", key)
