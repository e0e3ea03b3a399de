"""`tracegen export`: Moodle XML (cloze) and Canvas QTI 1.2, read back here with parsers written
from the platforms' documented formats (not with tracegen's own code), and Moodle's quiz
Responses report graded end to end.

- Moodle cloze fields: https://docs.moodle.org/en/Embedded_Answers_(Cloze)_question_type, as
  Moodle's parser reads them (ANSWER_REGEX, question/type/multianswer/questiontype.php).
- Moodle XML: https://docs.moodle.org/en/Moodle_XML_format (question/format/xml/format.php).
- Canvas: IMS QTI ASI 1.2 as Canvas imports it; Canvas's quiz page rounds a typed number with
  JavaScript's toFixed(4).
- Moodle's Responses report: mod/quiz/report/responses (columns "Question N", "Response N",
  "Right answer N"), a cloze response summarised as "part 1: …; part 2: …".
"""

from __future__ import annotations

import base64
import copy
import csv
import io
import re
import zipfile
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import Any
from xml.etree import ElementTree

import pandas as pd
import pytest
from click.testing import CliRunner
from conftest import CLASS3
from students import at, key, make_batch, variant_specs, work

import tracegen
from tracegen.cli import cli
from tracegen.document.blanks import order
from tracegen.grading import accepted
from tracegen.lms import render

SVG = "{http://www.w3.org/2000/svg}"
QTI = "{http://www.imsglobal.org/xsd/ims_qtiasiv1p2}"
CP = "{http://www.imsglobal.org/xsd/imsccv1p1/imscp_v1p1}"
HALF = 0.0005  # the printed digit at display.decimals 3: the default tolerance

# --- a cloze parser from Moodle's documented syntax ------------------------------------------
# {weight:NUMERICAL:alternative~alternative…}; an alternative is an optional "=" (100 %) or
# "%n%", then value:tolerance, then an optional #feedback. Numbers as Moodle's NUMBER_REGEX.
NUMBER = r"-?(?:[0-9]+[.,]?[0-9]*|[.,][0-9]+)(?:[eE][-+]?[0-9]+)?"
FIELD = re.compile(r"\{([0-9]*):(NUMERICAL|NM):([^}]*)\}")
ALTERNATIVE = re.compile(rf"^(=|%(-?[0-9]+(?:[.,][0-9]*)?)%)?({NUMBER})(?::({NUMBER}))?(?:#.*)?$")
ANY_FIELD = re.compile(r"\{[0-9]*:[A-Z_]+:")  # anything Moodle could take for the start of a field


def cloze(text: str) -> list[tuple[int, list[tuple[float, float, float, str]]]]:
    """Every field: (weight, [(fraction, value, tolerance, value as written)])."""
    fields = []
    for weight, _, body in FIELD.findall(text):
        alternatives = []
        for part in body.split("~"):
            match = ALTERNATIVE.match(part)
            assert match, f"not a NUMERICAL alternative: {part!r}"
            mark, percent, value, tolerance = match.groups()
            fraction = 1.0 if mark == "=" else float(percent.replace(",", ".")) / 100 if percent else 0.0
            alternatives.append((fraction, float(value), float(tolerance or 0), value))
        fields.append((int(weight or 1), alternatives))
    return fields


def stored(value: str) -> str:
    """A number as Moodle stores an answer: PHP's float to string, 14 significant digits ("1.0E-5")."""
    text = f"{float(value):.14G}"
    if "E" in text:
        mantissa, exponent = text.split("E")
        text = f"{mantissa if '.' in mantissa else mantissa + '.0'}E{int(exponent):+d}"
    return text


def to_fixed_4(value: float) -> float:
    """JavaScript's value.toFixed(4), as Canvas's quiz page applies it to a typed number."""
    return float(Decimal(value).quantize(Decimal("0.0001"), rounding=ROUND_HALF_UP))


# --- batches ---------------------------------------------------------------------------------

# the slides' network with W2 = [5, -1]: z2 = 10, so δ2 = σ(10) - 1 ≈ -0.0000454 (a tiny answer)
TINY: dict[str, Any] = copy.deepcopy(CLASS3)
TINY["network"]["layers"][1]["W"] = [[5, -1]]
TINY["training"]["epochs"] = 1
TINY["variants"] = {"keep": ["W", "b"], "targets": {"values": [1]},
                    "constraints": {"distinct": False, "no_kinks": False, "readable": False, "max_output_z": None}}


@pytest.fixture(scope="module")
def batch(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_batch(tmp_path_factory.mktemp("export") / "class3", CLASS3)


@pytest.fixture(scope="module")
def moodle(batch: Path) -> bytes:
    return render(batch, "moodle")


@pytest.fixture(scope="module")
def canvas(batch: Path) -> bytes:
    return render(batch, "canvas")


def questions(data: bytes) -> list[ElementTree.Element]:
    root = ElementTree.fromstring(data)
    assert root.tag == "quiz"
    return root.findall("question")


def blank_order(batch: Path) -> tuple[str, ...]:
    return order(tracegen.Spec.from_dict(next(iter(variant_specs(batch).values()))))


# --- Moodle XML --------------------------------------------------------------------------------


def test_moodle_xml_has_the_structure_moodles_importer_reads(batch: Path, moodle: bytes) -> None:
    found = questions(moodle)
    category, cloze_questions = found[0], found[1:]
    assert category.get("type") == "category"
    assert category.findtext("category/text").startswith("$course$/top/tracegen: Class 3")
    variants = list(key(batch).index)
    assert [q.get("type") for q in cloze_questions] == ["cloze"] * len(variants)
    assert [q.findtext("name/text") for q in cloze_questions] == variants  # named with the variant id
    assert [q.findtext("idnumber") for q in cloze_questions] == variants
    assert moodle.count(b"<text><![CDATA[") == len(variants)  # each question text is one CDATA section
    for q in cloze_questions:
        text = q.find("questiontext")
        assert text.get("format") == "html"
        picture = text.find("file")
        assert (picture.get("name"), picture.get("path"), picture.get("encoding")) == ("network.svg", "/", "base64")
        assert f'src="@@PLUGINFILE@@/{picture.get("name")}"' in text.findtext("text")
        svg = ElementTree.fromstring(base64.b64decode(picture.text))
        assert svg.tag == f"{SVG}svg" and len(svg.findall(f"{SVG}circle")) == 3 + 2 + 1  # one per unit


def test_each_cloze_field_is_a_blank_with_its_key_and_the_printed_digits_tolerance(batch: Path,
                                                                                     moodle: bytes) -> None:
    keys, blanks = key(batch), blank_order(batch)
    assert sorted(blanks) == sorted(keys.columns)  # every blank once
    for q in questions(moodle)[1:]:
        variant, text = q.findtext("name/text"), q.findtext("questiontext/text")
        fields = cloze(text)
        assert len(fields) == len(keys.columns) == len(ANY_FIELD.findall(text))  # and nothing else reads as one
        for (weight, alternatives), blank in zip(fields, blanks, strict=True):
            fraction, value, tolerance, _ = alternatives[0]
            assert weight == 1 and fraction == 1.0
            assert value == pytest.approx(keys.loc[variant, blank], rel=1e-13, abs=1e-300)
            assert HALF <= tolerance < HALF + 1e-9  # ± half a unit of the 3rd decimal, plus float room
            assert alternatives[-1][0] == 0.0 and abs(alternatives[-1][1]) > 1e250  # the width filler


def test_every_value_a_careful_student_writes_is_a_full_marks_answer(batch: Path, moodle: bytes) -> None:
    """The key first (Moodle's "right answer"), then each interval of careful students' values that adds to it."""
    table = accepted(batch)
    blanks, seconds = blank_order(batch), 0
    for q in questions(moodle)[1:]:
        variant = q.findtext("name/text")
        for (_, alternatives), blank in zip(cloze(q.findtext("questiontext/text")), blanks, strict=True):
            full = [(value, tolerance) for fraction, value, tolerance, _ in alternatives if fraction == 1.0]
            rows = table[(table["variant"] == variant) & (table["blank"] == blank)]
            key_value = rows["key"].iloc[0]
            assert full[0][0] == pytest.approx(key_value, rel=1e-13) and HALF <= full[0][1] < HALF + 1e-9
            outside = rows[(rows["low"] < key_value - HALF - 1e-12) | (rows["high"] > key_value + HALF + 1e-12)]
            assert len(full) == 1 + len(outside)
            for (value, tolerance), (_, row) in zip(full[1:], outside.iterrows(), strict=True):
                seconds += 1
                assert value - tolerance <= row["low"] + 1e-12 and row["high"] - 1e-12 <= value + tolerance
                assert tolerance < (row["high"] - row["low"]) / 2 + 1e-9
    assert seconds > 0  # the case is real in this batch


def test_all_fields_are_the_same_width(moodle: bytes) -> None:
    """Moodle sizes a field by its longest stored answer: every field's longest is the filler."""
    widths = {max(len(stored(written)) for *_, written in alternatives)
              for q in questions(moodle)[1:] for _, alternatives in cloze(q.findtext("questiontext/text"))}
    assert widths == {21}


def test_grading_marks_and_tolerances_reach_the_fields(tmp_path: Path) -> None:
    spec = copy.deepcopy(CLASS3) | {"grading": {"tolerance": {"rel": 0.02}, "marks": 0.5,
                                                "quantities": {"L": {"marks": 1.5, "tolerance": {"abs": 0.01}}}}}
    batch = make_batch(tmp_path / "b", spec, count=2)
    blanks = blank_order(batch)
    for q in questions(render(batch, "moodle"))[1:]:
        for (weight, alternatives), blank in zip(cloze(q.findtext("questiontext/text")), blanks, strict=True):
            _, value, tolerance, _ = alternatives[0]
            if ":L:" in blank:
                assert weight == 3 and tolerance == pytest.approx(0.01, rel=1e-8)  # 1.5 marks: weight 3 of 1
            else:
                assert weight == 1 and tolerance == pytest.approx(0.02 * abs(value), rel=1e-8, abs=2e-12)


def test_exports_name_no_student_and_escape_text(tmp_path: Path) -> None:
    roster = tmp_path / "class.csv"
    roster.write_text("student_id,name\ns104,Zoë Ünique-Name\nq77x,Ada <Lovelace>\n", encoding="utf-8")
    title = 'Class <b>3</b> & "{1:SA:=x}" ]]> /top'
    spec = copy.deepcopy(CLASS3) | {"title": title}
    batch = make_batch(tmp_path / "b", spec, roster=roster)
    moodle, canvas = render(batch, "moodle"), render(batch, "canvas")
    with zipfile.ZipFile(io.BytesIO(canvas)) as archive:
        everything = moodle + b"".join(archive.read(name) for name in archive.namelist())
    for secret in ("Zoë", "Ünique", "Lovelace", "s104", "q77x"):
        assert secret.encode() not in everything
    found = questions(moodle)
    # a "/" in a category name is written "//" (Moodle's category paths)
    assert found[0].findtext("category/text").startswith(f"$course$/top/tracegen: {title.replace('/', '//')} (")
    text = found[1].findtext("questiontext/text")
    assert "Class &lt;b&gt;3&lt;/b&gt; &amp; &quot;&#123;1:SA:=x&#125;&quot; ]]&gt;" in text
    assert len(ANY_FIELD.findall(text)) == len(cloze(text)) == len(key(batch).columns)


# --- Canvas QTI ----------------------------------------------------------------------------------


def canvas_items(data: bytes) -> dict[str, list[ElementTree.Element]]:
    """Each assessment's items, from the package's manifest (every file it names is in the zip)."""
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        names = set(archive.namelist())
        manifest = ElementTree.fromstring(archive.read("imsmanifest.xml"))
        out = {}
        for resource in manifest.iter(f"{CP}resource"):
            files = [f.get("href") for f in resource.iter(f"{CP}file")]
            assert set(files) <= names
            if resource.get("type") == "imsqti_xmlv1p2":
                root = ElementTree.fromstring(archive.read(files[0]))
                assessment = root.find(f"{QTI}assessment")
                out[assessment.get("ident")] = list(assessment.iter(f"{QTI}item"))
            elif resource.get("type") == "webcontent":
                assert ElementTree.fromstring(archive.read(files[0])).tag == f"{SVG}svg"
    return out


def numeric(item: ElementTree.Element) -> tuple[str, list[tuple[float, float, float]]]:
    """A numerical item's text and accepted (value, low, high) answers."""
    fields = {f.findtext(f"{QTI}fieldlabel"): f.findtext(f"{QTI}fieldentry")
              for f in item.iter(f"{QTI}qtimetadatafield")}
    assert fields["question_type"] == "numerical_question"
    assert item.find(f"{QTI}presentation/{QTI}response_str/{QTI}render_fib").get("fibtype") == "Decimal"
    answers = []
    for condition in item.iter(f"{QTI}respcondition"):
        value = float(condition.findtext(f".//{QTI}varequal"))
        low, high = float(condition.findtext(f".//{QTI}vargte")), float(condition.findtext(f".//{QTI}varlte"))
        assert condition.findtext(f"{QTI}setvar") == "100"
        answers.append((value, low, high))
    return item.findtext(f".//{QTI}mattext"), answers


def test_canvas_package_has_a_quiz_per_variant_and_every_numeric_answer_its_range(batch: Path, canvas: bytes) -> None:
    keys, blanks = key(batch), blank_order(batch)
    items = canvas_items(canvas)
    assert sorted(items) == sorted(f"tracegen-{v}" for v in keys.index)
    for ident, quiz in items.items():
        variant = ident.removeprefix("tracegen-")
        boxes = [item for item in quiz if item.get("title", "").startswith("Box ")]
        assert [b.get("title") for b in boxes] == [f"Box {n}" for n in range(1, len(blanks) + 1)]
        for box, blank in zip(boxes, blanks, strict=True):
            text, answers = numeric(box)
            value, low, high = answers[0]
            assert value == pytest.approx(keys.loc[variant, blank], rel=1e-13, abs=1e-300)
            assert HALF <= value - low < HALF + 1e-9 and HALF <= high - value < HALF + 1e-9
            assert "units of" not in text
            assert any(low <= to_fixed_4(value) <= high for value, low, high in answers)


@pytest.mark.parametrize("tolerance", [None, {"sigfig": 3}])
def test_canvas_never_exports_an_unanswerable_tiny_value(tmp_path: Path, tolerance: dict[str, int] | None) -> None:
    spec = copy.deepcopy(TINY) | ({"grading": {"tolerance": tolerance}} if tolerance else {})
    batch = make_batch(tmp_path / "b", spec, count=1)
    keys, blanks = key(batch), blank_order(batch)
    (quiz,) = canvas_items(render(batch, "canvas")).values()
    boxes = [item for item in quiz if item.get("title", "").startswith("Box ")]
    tiny = [i for i, blank in enumerate(blanks) if 0 < abs(keys.iloc[0][blank]) < 1e-4]
    assert tiny  # δ2, dW2, db2 of this network
    for i, box in enumerate(boxes):
        text, answers = numeric(box)
        k = int(re.search(r"<mn>10</mn><mn>−(\d+)</mn>", text).group(1)) if "units of" in text else 0
        value, low, high = answers[0]
        assert value == pytest.approx(keys.iloc[0][blanks[i]] * 10.0**k, rel=1e-12)
        assert low <= to_fixed_4(value) <= high  # what Canvas keeps of the exact answer is accepted
        if tolerance is None:  # ± 0.0005: a tiny value is rightly answered 0.0000, asked as is
            assert k == 0
        elif i in tiny:  # 3 significant figures of -0.0000454, or the 0.000 a careful student writes
            assert any(low <= 0 <= high for _, low, high in answers)


# --- the command ---------------------------------------------------------------------------------


def test_cli_writes_each_export_atomically_and_deterministically(batch: Path, moodle: bytes, canvas: bytes,
                                                                   tmp_path: Path) -> None:
    runner = CliRunner()
    out = tmp_path / "out"
    for platform, expected in (("moodle", moodle), ("canvas", canvas)):
        target = out / f"quiz-{platform}"
        result = runner.invoke(cli, ["export", str(batch), "--to", platform, "-o", str(target)])
        assert result.exit_code == 0, result.output
        assert result.output.strip() == str(target) and target.read_bytes() == expected
    assert sorted(p.name for p in out.iterdir()) == ["quiz-canvas", "quiz-moodle"]  # no temporary file left
    result = runner.invoke(cli, ["export", str(batch), "--to", "moodle"])
    assert result.exit_code == 0 and (batch / "moodle.xml").read_bytes() == moodle
    (batch / "moodle.xml").unlink()


@pytest.mark.parametrize("args, message", [
    (["{empty}", "--to", "moodle"], "answers.csv: not found"),
    (["{missing}", "--to", "canvas"], "not a folder"),
    (["{batch}", "--to", "blackboard"], "--to: expected moodle or canvas, got 'blackboard'"),
    (["{batch}"], "--to: missing"),
    (["{batch}", "--to", "moodle", "-o", "{empty}"], "is a folder"),
])
def test_cli_refuses_bad_input_in_one_line_and_writes_nothing(batch: Path, tmp_path: Path, args: list[str],
                                                              message: str) -> None:
    empty = tmp_path / "empty"
    empty.mkdir()
    paths = {"empty": empty, "missing": tmp_path / "missing", "batch": batch}
    before = sorted(p.name for p in batch.iterdir())
    result = CliRunner().invoke(cli, ["export", *(a.format(**paths) for a in args)])
    assert result.exit_code == 2
    assert message in result.output and result.output.count("\n") == 1 and "Traceback" not in result.output
    assert list(empty.iterdir()) == [] and not (tmp_path / "missing").exists()
    assert sorted(p.name for p in batch.iterdir()) == before


# --- Moodle's Responses report, graded -------------------------------------------------------------

HEADER = ["Last name", "First name", "Email address", "State", "Started on", "Completed", "Time taken",
          "Grade/96.00", "Question 1", "Response 1", "Right answer 1"]


def moodle_report(batch: Path, moodle: bytes, sheets: dict[str, dict[str, Any] | None]) -> bytes:
    """The report as Moodle downloads it (UTF-8 with a BOM): each variant's question text as plain
    text, what the student typed in each field (a missing one: empty) and the right answer,
    summarised part by part."""
    summaries = {}
    for q in questions(moodle)[1:]:
        text = re.sub(r"<[^>]+>", " ", FIELD.sub("_____", q.findtext("questiontext/text")))  # html_to_text, roughly
        right = "; ".join(f"part {k}: {alternatives[0][3]}"
                          for k, (_, alternatives) in enumerate(cloze(q.findtext("questiontext/text")), start=1))
        summaries[q.findtext("name/text")] = (" ".join(text.split()), right)
    blanks = blank_order(batch)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(HEADER)
    for n, (variant, sheet) in enumerate(sheets.items()):
        who = [f"Surname{n}", f"Ada {n}", f"ada{n}@example.org"]
        if sheet is None:  # enrolled, never attempted
            writer.writerow([*who, "-", "-", "-", "-", "-", "-", "-", "-"])
            continue
        response = "; ".join(f"part {k}: {sheet.get(b, '')}" for k, b in enumerate(blanks, start=1))
        writer.writerow([*who, "Finished", "1 March 2026, 10:00 AM", "1 March 2026, 10:40 AM", "40 mins",
                         "90.00", summaries[variant][0], response, summaries[variant][1]])
    return out.getvalue().encode("utf-8-sig")


def test_moodle_responses_are_graded_with_error_carried_forward(batch: Path, moodle: bytes, tmp_path: Path) -> None:
    specs = variant_specs(batch)
    (first, second, third) = specs
    slip = at(1, "z2", lambda z, c: z + 0.7)  # a slip in the output's pre-activation, then followed through
    sheets = {first: work(specs[first], decimals=3), second: work(specs[second], decimals=3, mistake=slip),
              third: None}
    del sheets[first]["e3:L:-1:0:0"]  # one part left empty
    path = tmp_path / "responses.csv"
    path.write_bytes(moodle_report(batch, moodle, sheets))
    grades = tracegen.grade(batch, path)
    book = grades.gradebook.set_index("variant")
    assert list(book.index) == [first, second]  # the student without an attempt is not graded
    assert book.loc[first, "student_name"] == "Ada 0 Surname0" and book.loc[second, "student_name"] == "Ada 1 Surname1"
    assert (book.loc[first, "score"], book.loc[first, "blank"], book.loc[first, "wrong"]) == (95, 1, 0)
    detail = grades.detail.set_index(["variant", "blank"])["verdict"]
    assert detail[(second, "e1:z2:0:0:0")] == "wrong"
    assert detail[(second, "e1:y_hat:0:0:0")] == "carried" and book.loc[second, "wrong"] == 1
    # the same answers typed into the plain responses format are marked the same
    plain = pd.DataFrame([{"variant": v, **sheet} for v, sheet in sheets.items() if sheet is not None])
    again = tracegen.grade(batch, plain.round(3)).detail.set_index(["variant", "blank"])["verdict"]
    assert again.equals(detail)
    result = CliRunner().invoke(cli, ["grade", str(batch), str(path), "-o", str(tmp_path / "grades")])
    assert result.exit_code == 0, result.output
    assert "Ada 1 Surname1" in (tmp_path / "grades" / "gradebook.csv").read_text(encoding="utf-8")


def test_an_answer_faking_a_part_cannot_gain_a_mark(batch: Path, moodle: bytes, tmp_path: Path) -> None:
    variant = next(iter(variant_specs(batch)))
    blanks = blank_order(batch)
    sheet: dict[str, Any] = work(variant_specs(batch)[variant], decimals=3)
    sheet[blanks[1]] = f"junk; part 2: {sheet[blanks[1]]}"  # typed into field 2: Moodle marks it wrong
    path = tmp_path / "r.csv"
    path.write_bytes(moodle_report(batch, moodle, {variant: sheet}))
    verdict = tracegen.grade(batch, path).detail.set_index("blank")["verdict"]
    # what follows the fake marker is read as part 2 (a number the student could have typed), and
    # the fake spoils the part before it: no mark gained, no other part touched
    assert (verdict[blanks[0]], verdict[blanks[1]], verdict[blanks[2]]) == ("wrong", "correct", "correct")
    assert (verdict.drop(list(blanks[:3])) == "correct").all()


@pytest.mark.parametrize("edit, message", [
    (lambda s: s.replace("part 3:", "part three:", 1), "is not the 96 parts"),
    (lambda s: "; part 5: 9".join(s.rsplit("; part 5: ", 1)), "not the key of"),  # in the right answers
    (lambda s: s.replace("Question 1", "Question text", 1), "no 'Question N' column"),
    (lambda s: s + s.splitlines()[1] + "\n", "a second attempt at variant"),
])
def test_moodle_reports_that_do_not_fit_the_batch_are_refused(batch: Path, moodle: bytes, tmp_path: Path,
                                                              edit: Any, message: str) -> None:
    variant = next(iter(variant_specs(batch)))
    data = edit(moodle_report(batch, moodle, {variant: work(variant_specs(batch)[variant], decimals=3)})
                .decode("utf-8-sig"))
    path = tmp_path / "r.csv"
    path.write_text(data, encoding="utf-8")
    result = CliRunner().invoke(cli, ["grade", str(batch), str(path), "-o", str(tmp_path / "g")])
    assert result.exit_code == 2 and message in result.output and result.output.count("\n") == 1
    assert not (tmp_path / "g").exists()


def test_a_moodle_report_is_not_graded_against_a_roster_batch(tmp_path: Path) -> None:
    roster = tmp_path / "class.csv"
    roster.write_text("student_id\ns1\ns2\n", encoding="utf-8")
    batch = make_batch(tmp_path / "b", CLASS3, roster=roster)
    variant = next(iter(variant_specs(batch)))
    path = tmp_path / "r.csv"
    path.write_bytes(moodle_report(batch, render(batch, "moodle"), {variant: work(variant_specs(batch)[variant])}))
    result = CliRunner().invoke(cli, ["grade", str(batch), str(path)])
    assert result.exit_code == 2 and "roster batch" in result.output and not (batch / "grades").exists()
