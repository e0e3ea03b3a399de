"""Numbers typed by people, and the round trips through learning platforms: a batch exported to
Moodle or Canvas comes back as the platform's report and grades as the responses CSV does.

The reports are built here from the platforms' own formats, not from tracegen's readers:
- Moodle's Responses report (mod/quiz/report/responses): "Question N", "Response N", "Right
  answer N" and the user columns, in the language of the download; the header strings are
  Moodle's language packs' (quiz_responses responsex/rightanswerx, question questionx, core
  firstname/lastname/email/idnumber/username); a cloze response is "part 1: …; part 2: …"
  (qtype_multianswer subqresponse, "Teil {$a->i}: …" in German, "partie {$a->i} : …" in French).
- Moodle's reading of a typed number: PHP 8.2 running `qtype_numerical_answer_processor::
  apply_units` (question/type/numerical/questiontype.php) gave the values in MOODLE_READS.
- Canvas's Student Analysis report (canvas-lms Quizzes::QuizStatistics::StudentAnalysis#to_csv):
  name, id, sis_id, section, section_id, section_sis_id, submitted, then per question
  "<id>: <text without tags>" and its points, then "n correct", "n incorrect", "score".
"""

from __future__ import annotations

import copy
import csv
import html
import io
import re
import zipfile
from pathlib import Path
from typing import Any
from xml.etree import ElementTree

import pandas as pd
import pytest
from click.testing import CliRunner
from conftest import CLASS3
from students import at, key, make_batch, variant_specs, work
from test_export import FIELD, QTI, TINY, blank_order, canvas_items, cloze, numeric, questions

import tracegen
from tracegen.cli import cli
from tracegen.grading import typed
from tracegen.lms import render

# --- numbers typed by people --------------------------------------------------------------------

# text -> (value, whether the feedback notes how it was read)
TYPED = {
    "0.881": (0.881, False), " 0.881 ": (0.881, False), "+0.881": (0.881, False), "'0.881": (0.881, False),
    "'-0.5": (-0.5, False), "0,881": (0.881, True), "\u22120.5": (-0.5, True), "\u2212 0,5": (-0.5, True),
    "1 234,5": (1234.5, True), "1.234,5": (1234.5, True), "1,234.5": (1234.5, True),
    "\uff10\uff0e\uff18\uff18\uff11": (0.881, True), "\u0660\u066b\u0668\u0668\u0661": (0.881, True),
    "\u06f0.\u06f8\u06f8\u06f1": (0.881, True), "8.81e-1": (0.881, False), "8.81×10^-1": (0.881, True),
}


@pytest.mark.parametrize("text", sorted(TYPED))
def test_what_a_person_means_is_read_and_said(text: str) -> None:
    kind, value, note, _ = typed.read_number(text)
    assert kind == typed.NUMBER_CELL and value == TYPED[text][0]
    assert bool(note) == TYPED[text][1] and (not note or note.startswith("read as "))


# Measured: PHP 8.2 (Debian php8.2-cli) running Moodle's apply_units with each language's
# decsep/thousandssep (en . ,  de , .  fr , NBSP  es , .); None: no number.
MOODLE_READS = {
    "0,881": {"en": 881.0, "de": 0.881}, "-0,5": {"en": -5.0, "de": -0.5}, "1,5": {"en": 15.0, "de": 1.5},
    "0.881": {"en": 0.881, "de": 0.881}, "\u22120.5": {"en": None, "de": None},
    "1 234,5": {"en": 12345.0, "de": 1234.5}, "1.234,5": {"en": 1.2345, "de": 1.2345},
    "1,234,567": {"en": 1234567.0, "de": 1234567.0}, "+0.5": {"en": 0.5, "de": 0.5},
    "0.5abc": {"en": 0.5, "de": 0.5}, "0,5e-3": {"en": 0.005, "de": 0.0005}, "3x10^2": {"en": 300.0, "de": 300.0},
    ".5": {"en": 0.5, "de": 0.5}, ",5": {"en": 5.0, "de": 0.5}, "-": {"en": None, "de": None},
    "\uff12": {"en": None, "de": None}, "'0.731": {"en": None, "de": None}, "1,234.5": {"en": 1234.5, "de": 1234.5},
}


@pytest.mark.parametrize("text", sorted(MOODLE_READS))
def test_moodle_cells_read_as_moodles_parser_reads_them(text: str) -> None:
    for lang, (point, separator) in {"en": (".", ","), "de": (",", ".")}.items():
        assert typed.moodle_number(text, point, separator) == MOODLE_READS[text][lang], lang


def test_canvas_reads_what_is_not_a_plain_number_as_zero() -> None:
    assert typed.canvas_number(" 0.8810 ") == 0.881 and typed.canvas_number("0,881") == 0.0


# --- a class, its responses file, and the platforms' reports -----------------------------------

PEOPLE = {"s1": ("Ada", "Lovelace", "ada@example.org", "ada"), "s2": ("Bob", "Brown", "bob@example.org", "bob"),
          "s3": ("Cy", "Chen", "cy@example.org", "cy")}


@pytest.fixture(scope="module")
def roster_batch(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("roundtrip")
    roster = folder / "class.csv"
    roster.write_text("student_id,name\n" + "".join(f"{i},{p[0]} {p[1]}\n" for i, p in PEOPLE.items()), "utf-8")
    return make_batch(folder / "batch", CLASS3, roster=roster)


def assigned(batch: Path) -> dict[str, str]:
    """Each student's variant in a roster batch (from its manifest)."""
    manifest = pd.read_csv(batch / "manifest.csv", dtype=str)
    return {m.partition("/student=")[2]: v for v, m in zip(manifest["variant"], manifest["seed_material"],
                                                           strict=True) if "/student=" in m}


def typed_sheet(sheet: dict[str, float], decimals: int = 3) -> dict[str, str]:
    return {blank: f"{value:.{decimals}f}" for blank, value in sheet.items()}


HEADERS = {  # Moodle's language packs
    "en": ("Last name", "First name", "Email address", "ID number", "Username", "Question", "Response",
           "Right answer", "part"),
    "de": ("Nachname", "Vorname", "E-Mail-Adresse", "ID-Nummer", "Anmeldename", "Frage", "Antwort",
           "Richtige Antwort", "Teil"),
    "fr": ("Nom de famille", "Prénom", "Adresse de courriel", "Numéro d’identification", "Nom d’utilisateur",
           "Question", "Réponse", "Réponse correcte", "partie"),
    "es": ("Apellido(s)", "Nombre", "Dirección de correo", "Número de ID", "Nombre de usuario", "Pregunta",
           "Respuesta", "Respuesta correcta", "parte"),
}


def moodle_report(batch: Path, attempts: dict[str, tuple[str, dict[str, str] | None]], lang: str = "en") -> bytes:
    """Moodle's Responses report download (UTF-8 with a BOM) of the batch's Moodle export:
    `attempts` maps a student id to (the variant Moodle drew, what they typed; None: no attempt)."""
    last, first, email, idnumber, username, question, response, right, part = HEADERS[lang]
    colon = " :" if lang == "fr" else ":"
    texts = {}
    for q in questions(render(batch, "moodle"))[1:]:
        body = q.findtext("questiontext/text")
        text = re.sub(r"<[^>]+>", " ", FIELD.sub("_____", body))
        rights = "; ".join(f"{part} {k}{colon} {alternatives[0][3]}"
                           for k, (_, alternatives) in enumerate(cloze(body), start=1))
        texts[q.findtext("name/text")] = (" ".join(html.unescape(text).split()), rights)
    blanks = blank_order(batch)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow([last, first, email, idnumber, username, "State", "Started on", "Completed", "Time taken",
                     "Grade/96.00", f"{question} 1", f"{response} 1", f"{right} 1"])
    for student, (variant, sheet) in attempts.items():
        given, family, mail, user = PEOPLE.get(student, (student, "", "", ""))
        who = [family, given, mail, student, user]
        if sheet is None:
            writer.writerow([*who, "-", "-", "-", "-", "-", "-", "-", "-"])
            continue
        typed_in = "; ".join(f"{part} {k}{colon} {sheet.get(b, '')}" for k, b in enumerate(blanks, start=1))
        writer.writerow([*who, "Finished", "1 March 2026", "1 March 2026", "40 mins", "90.00", texts[variant][0],
                         typed_in, texts[variant][1]])
    return out.getvalue().encode("utf-8-sig")


def canvas_reports(batch: Path, attempts: dict[str, tuple[str, dict[str, str]]]) -> dict[str, bytes]:
    """Canvas's Student Analysis report of each variant's quiz of the batch's Canvas export."""
    reports = {}
    with zipfile.ZipFile(io.BytesIO(render(batch, "canvas"))) as archive:
        for name in sorted(archive.namelist()):
            if not re.fullmatch(r"tracegen-([0-9A-Z]+)/tracegen-\1\.xml", name):
                continue
            variant = name.split("/")[0].removeprefix("tracegen-")
            items = list(ElementTree.fromstring(archive.read(name)).iter(f"{QTI}item"))
            header = ["name", "id", "sis_id", "section", "section_id", "section_sis_id", "submitted"]
            for n, item in enumerate(items):
                text = re.sub(r"<[^>]+>", "", item.findtext(f".//{QTI}mattext"))  # Rails' strip_tags
                points = next(f.findtext(f"{QTI}fieldentry") for f in item.iter(f"{QTI}qtimetadatafield")
                              if f.findtext(f"{QTI}fieldlabel") == "points_possible")
                header += [f"{1000 + n}: {text}", f"{float(points)}"]
            rows = [header + ["n correct", "n incorrect", "score"]]
            for student, (drawn, sheet) in attempts.items():
                if drawn != variant:
                    continue
                name = " ".join(PEOPLE.get(student, (student, ""))[:2]).strip()
                row = [name, str(100 + len(rows)), student, "Class", "7", "", "2026-03-01 10:40:00 UTC"]
                box = 0
                for item in items:
                    title = item.get("title")
                    if title.startswith("Box"):
                        box += 1
                        row += [sheet.get(blank_order(batch)[box - 1], ""), "1.0"]
                    else:
                        row += ["", ""]
                rows.append([*row, "0", "0", "0"])
            out = io.StringIO()
            csv.writer(out, lineterminator="\n").writerows(rows)
            reports[variant] = out.getvalue().encode("utf-8")
    return reports


SCORES = ["score", "max", "epoch_1", "epoch_2", "epoch_3", "correct", "carried", "wrong", "blank", "status"]


def gradebook(result: Any, out: Path) -> pd.DataFrame:
    assert result.exit_code == 0, result.output
    return pd.read_csv(out / "gradebook.csv", dtype=str, keep_default_na=False)


def test_a_moodle_and_a_canvas_report_grade_to_the_same_gradebook_as_a_responses_csv(roster_batch: Path,
                                                                                       tmp_path: Path) -> None:
    """Done-when of issue 19: one class, three ways back, one gradebook (through the CLI)."""
    mine = assigned(roster_batch)
    specs = variant_specs(roster_batch)
    slip = at(1, "z2", lambda z, c: z + 0.7)  # s2 slips once and carries on from there
    sheets = {"s1": typed_sheet(work(specs[mine["s1"]], decimals=3)),
              "s2": typed_sheet(work(specs[mine["s2"]], decimals=3, mistake=slip))}  # s3 never answers
    runner = CliRunner()
    plain = tmp_path / "responses.csv"
    pd.DataFrame([{"student_id": s, **sheet} for s, sheet in sheets.items()]).to_csv(plain, index=False)
    moodle = tmp_path / "moodle.csv"
    moodle.write_bytes(moodle_report(roster_batch, {s: (mine[s], sheets.get(s)) for s in PEOPLE}))
    canvas = []
    for variant, data in canvas_reports(roster_batch, {s: (mine[s], sheet) for s, sheet in sheets.items()}).items():
        canvas.append(tmp_path / f"canvas-{variant}.csv")
        canvas[-1].write_bytes(data)
    books = {}
    for way, files in {"csv": [plain], "moodle": [moodle], "canvas": canvas}.items():
        out = tmp_path / way
        books[way] = gradebook(runner.invoke(cli, ["grade", str(roster_batch), *map(str, files), "-o", str(out)]),
                               out)
    for way in ("moodle", "canvas"):
        assert books[way][["student_id", "student_name", "variant", *SCORES]].equals(
            books["csv"][["student_id", "student_name", "variant", *SCORES]]), way
    book = books["csv"].set_index("student_id")
    assert book.loc["s1", "score"] == "96" and book.loc["s2", "wrong"] == "1" and book.loc["s3", "status"] == "absent"
    assert book.loc["s3", "score"] == "" and list(book.index) == ["s1", "s2", "s3"]
    summary = (tmp_path / "csv" / "summary.html").read_text("utf-8")
    assert "2 students graded (1 absent)" in summary and "Cy Chen (s3)" in summary
    assert books["moodle"].set_index("student_id").loc["s2", "Email address"] == "bob@example.org"
    assert books["canvas"].set_index("student_id").loc["s1", "sis_id"] == "s1"


def test_a_numbered_class_grades_the_same_from_moodle_canvas_and_a_responses_csv(tmp_path: Path) -> None:
    batch = make_batch(tmp_path / "batch", CLASS3, count=3)
    specs = variant_specs(batch)
    variants = list(specs)
    slip = at(2, "delta1", lambda d, c: -d)
    sheets = {"s1": (variants[2], typed_sheet(work(specs[variants[2]], decimals=3, mistake=slip))),
              "s2": (variants[0], typed_sheet(work(specs[variants[0]], decimals=3)))}
    plain = tmp_path / "responses.csv"
    pd.DataFrame([{"variant": v, **sheet} for v, sheet in sheets.values()]).to_csv(plain, index=False)
    moodle = tmp_path / "moodle.csv"
    moodle.write_bytes(moodle_report(batch, {**sheets, "s3": (variants[1], None)}))
    canvas = []
    for variant, data in canvas_reports(batch, sheets).items():
        canvas.append(tmp_path / f"canvas-{variant}.csv")
        canvas[-1].write_bytes(data)
    books = {way: tracegen.grade(batch, files[0] if len(files) == 1 else files).gradebook.set_index("variant")
             for way, files in {"csv": [plain], "moodle": [moodle], "canvas": canvas}.items()}
    columns = [c for c in SCORES if c in books["csv"]]
    assert books["moodle"][columns].equals(books["csv"][columns]) and books["canvas"][columns].equals(
        books["csv"][columns])
    assert books["moodle"]["student_name"].equals(books["canvas"]["student_name"])
    assert list(books["moodle"]["student_name"]) == ["Bob Brown", "Ada Lovelace"]
    assert books["csv"].loc[variants[2], "wrong"] >= 1 and books["csv"].loc[variants[0], "score"] == 96


def test_a_roster_batch_through_moodle_grades_each_student_on_the_variant_moodle_drew(roster_batch: Path,
                                                                                     tmp_path: Path) -> None:
    mine = assigned(roster_batch)
    specs = variant_specs(roster_batch)
    drawn = {"s1": mine["s2"], "s2": mine["s1"], "s3": mine["s2"]}  # Moodle drew at random: s1 and s3 share one
    attempts = {s: (v, typed_sheet(work(specs[v], decimals=3))) for s, v in drawn.items()}
    attempts["s3"] = (mine["s2"], {**attempts["s3"][1], blank_order(roster_batch)[0]: "9"})
    path = tmp_path / "moodle.csv"
    path.write_bytes(moodle_report(roster_batch, attempts))
    book = tracegen.grade(roster_batch, path, tmp_path / "g", match_by="idnumber").gradebook.set_index("student_id")
    assert list(book["variant"]) == [mine["s2"], mine["s1"], mine["s2"]]
    assert (book.loc["s1", "score"], book.loc["s2", "score"], book.loc["s3", "wrong"]) == (96, 96, 1)
    assert book.loc["s1", "ID number"] == "s1" and book.loc["s1", "Username"] == "ada"
    feedback = tmp_path / "g" / "feedback"
    assert sorted(p.name for p in feedback.glob("*.html")) == sorted(
        [f"{mine['s2']}-1.html", f"{mine['s1']}.html", f"{mine['s2']}-2.html"])
    assert "Cy Chen (s3)" in (feedback / f"{mine['s2']}-2.html").read_text("utf-8")
    for column, message in (("username", "none of its 3 student ids is in"), ("Matrikel", "no such column")):
        result = CliRunner().invoke(cli, ["grade", str(roster_batch), str(path), "--match-by", column])
        assert result.exit_code == 2 and message in result.output and result.output.count("\n") == 1


@pytest.mark.parametrize("lang", ["de", "fr", "es"])
def test_moodle_reports_in_german_french_and_spanish_are_read_with_their_decimal_comma(roster_batch: Path,
                                                                                       tmp_path: Path,
                                                                                       lang: str) -> None:
    mine = assigned(roster_batch)
    sheet = {b: v.replace(".", ",") for b, v in typed_sheet(work(variant_specs(roster_batch)[mine["s1"]])).items()}
    path = tmp_path / f"{lang}.csv"
    path.write_bytes(moodle_report(roster_batch, {"s1": (mine["s1"], sheet)}, lang))
    book = tracegen.grade(roster_batch, path).gradebook.set_index("student_id")
    assert book.loc["s1", "score"] == 96 and book.loc["s1", "platform_differs"] == ""
    assert (book.loc[["s2", "s3"], "status"] == "absent").all()


def test_an_english_moodle_report_grades_a_decimal_comma_as_moodle_did_and_lists_the_difference(
        roster_batch: Path, tmp_path: Path) -> None:
    mine = assigned(roster_batch)
    sheet = typed_sheet(work(variant_specs(roster_batch)[mine["s1"]]))
    blank = next(b for b in blank_order(roster_batch) if abs(float(sheet[b])) not in (0.0, 1.0))
    written = sheet[blank].replace(".", ",")
    sheet[blank] = written
    path = tmp_path / "en.csv"
    path.write_bytes(moodle_report(roster_batch, {"s1": (mine["s1"], sheet)}))
    grades = tracegen.grade(roster_batch, path, tmp_path / "g")
    moodle = typed.moodle_number(written, ".", ",")
    line = grades.detail.set_index(["student_id", "blank"]).loc[("s1", blank)]
    assert line["verdict"] == "wrong" and line["value"] == moodle
    assert f"Moodle reads {written!r} as {moodle:g}" in line["note"]
    differs = grades.gradebook.set_index("student_id").loc["s1", "platform_differs"]
    assert differs == f"{blank} {written!r}: Moodle {moodle:g}, tracegen {float(written.replace(',', '.')):g}"
    page = (tmp_path / "g" / "feedback" / f"{mine['s1']}.html").read_text("utf-8")
    assert "Moodle reads" in page


def test_a_report_in_another_language_is_refused_naming_the_headers_read(roster_batch: Path, tmp_path: Path) -> None:
    mine = assigned(roster_batch)
    data = moodle_report(roster_batch, {"s1": (mine["s1"], {})}).decode("utf-8-sig")
    path = tmp_path / "it.csv"
    path.write_text(data.replace("Response 1", "Risposta 1").replace("Question 1", "Domanda 1"), "utf-8")
    result = CliRunner().invoke(cli, ["grade", str(roster_batch), str(path), "-o", str(tmp_path / "g")])
    assert result.exit_code == 2 and result.output.count("\n") == 1 and not (tmp_path / "g").exists()
    assert "'Antwort 1', 'Réponse 1', 'Respuesta 1'" in result.output and "'Response 1'" in result.output


# --- responses files typed by people -----------------------------------------------------------

def test_a_student_typing_numbers_in_every_common_way_gets_full_marks_with_notes(roster_batch: Path,
                                                                                  tmp_path: Path) -> None:
    mine = assigned(roster_batch)
    sheet = typed_sheet(work(variant_specs(roster_batch)[mine["s1"]]))
    spellings = [lambda v: v.replace(".", ","), lambda v: v.replace("-", "\u2212"), lambda v: f" '{v} ",
                 lambda v: v.translate(str.maketrans("0123456789.-", "０１２３４５６７８９．－")),
                 lambda v: v.translate(str.maketrans("0123456789.", "٠١٢٣٤٥٦٧٨٩٫"))]
    spelt = {b: spellings[i % len(spellings)](v) for i, (b, v) in enumerate(sheet.items())}
    path = tmp_path / "r.csv"
    pd.DataFrame([{"student_id": "s1", **spelt}]).to_csv(path, index=False)  # quotes the "0,881" cells
    grades = tracegen.grade(roster_batch, path, tmp_path / "g")
    assert grades.gradebook.set_index("student_id").loc["s1", "score"] == 96
    notes = grades.detail.set_index("blank")["note"]
    comma = next(b for b, v in spelt.items() if "," in v)
    assert notes[comma].startswith("read as ") and "a decimal comma" in notes[comma]


def test_an_unquoted_decimal_comma_in_a_comma_separated_file_is_named_not_shifted(roster_batch: Path,
                                                                                    tmp_path: Path) -> None:
    mine = assigned(roster_batch)
    blanks = list(blank_order(roster_batch))
    good = typed_sheet(work(variant_specs(roster_batch)[mine["s1"]]))
    bad = typed_sheet(work(variant_specs(roster_batch)[mine["s2"]]))
    rows = ["student_id," + ",".join(blanks), "s1," + ",".join(good[b] for b in blanks),
            "s2," + ",".join(bad[b].replace(".", ",") if i == 5 else bad[b] for i, b in enumerate(blanks))]
    path = tmp_path / "r.csv"
    path.write_text("\n".join(rows) + "\n", "utf-8")
    result = CliRunner().invoke(cli, ["grade", str(roster_batch), str(path), "-o", str(tmp_path / "g")])
    assert result.exit_code == 0, result.output
    assert "s2 Bob Brown (96 cells)" in result.output and "s1" not in result.output.split("tracegen:")[1]
    detail = pd.read_csv(tmp_path / "g" / "details.csv", dtype=str, keep_default_na=False)
    s2 = detail[detail["student_id"] == "s2"]
    assert (s2["verdict"] == "wrong").all() and s2["note"].str.contains("decimal comma in a comma-separated").all()
    assert (detail[detail["student_id"] == "s1"]["verdict"] == "correct").all()


def test_excels_empty_columns_after_the_header_are_accepted(roster_batch: Path, tmp_path: Path) -> None:
    mine = assigned(roster_batch)
    sheet = typed_sheet(work(variant_specs(roster_batch)[mine["s1"]]))
    path = tmp_path / "r.csv"
    path.write_text("student_id," + ",".join(sheet) + ",,,\ns1," + ",".join(sheet.values()) + ",,,\n", "utf-8")
    assert tracegen.grade(roster_batch, path).gradebook.set_index("student_id").loc["s1", "score"] == 96


@pytest.mark.parametrize("what", ["roster", "roster closed later", "responses"])
def test_an_unbalanced_quote_refuses_the_file_at_its_line(roster_batch: Path, tmp_path: Path, what: str) -> None:
    path = tmp_path / "f.csv"
    if what.startswith("roster"):
        close = '"' if what == "roster closed later" else ""
        path.write_text(f'student_id,name\ns1,"Ada\ns2,Bob{close}\ns3,Cy\n', "utf-8")
        args = ["batch", "--roster", str(path), "--to", "md", "--kind", "key", "-o", str(tmp_path / "b")]
    else:
        blank = blank_order(roster_batch)[0]
        path.write_text(f'student_id,{blank}\ns1,"0.5\ns2,0.7\ns3,0.1\n', "utf-8")
        args = ["grade", str(roster_batch), str(path), "-o", str(tmp_path / "b")]
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 2 and f"{path}:2: a quoted cell runs on to line" in result.output
    assert result.output.count("\n") == 1 and not (tmp_path / "b").exists()


HOSTILE = "\x1b[31m\x00\u202e0.5\u202c"


@pytest.fixture(scope="module")
def numbered_batch(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_batch(tmp_path_factory.mktemp("numbered") / "batch", CLASS3)


def test_control_and_bidi_characters_never_reach_a_page_or_the_gradebook(numbered_batch: Path,
                                                                         tmp_path: Path) -> None:
    variants = list(variant_specs(numbered_batch))
    blank = blank_order(numbered_batch)[0]
    attempts = {"Love\x1b]0;x\x07\u202elace": (variants[0], {blank: HOSTILE}), "Bob": (variants[1], {blank: "0.5"})}
    path = tmp_path / "m.csv"
    path.write_bytes(moodle_report(numbered_batch, attempts))
    tracegen.grade(numbered_batch, path, tmp_path / "g")
    pages = [p.read_text("utf-8") for p in (tmp_path / "g").rglob("*") if p.is_file()]
    assert len(pages) == 7
    for text in pages:
        assert not re.search("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\u202a-\u202e\u2066-\u2069]", text)
    book = pd.read_csv(tmp_path / "g" / "gradebook.csv", dtype=str, keep_default_na=False).set_index("variant")
    assert book.loc[variants[0], "student_name"] == "Love ]0;x lace"


def test_feedback_markdown_tables_are_tables(roster_batch: Path, tmp_path: Path) -> None:
    mine = assigned(roster_batch)
    path = tmp_path / "r.csv"
    pd.DataFrame([{"student_id": "s1", **typed_sheet(work(variant_specs(roster_batch)[mine["s1"]]))}]).to_csv(
        path, index=False)
    tracegen.grade(roster_batch, path, tmp_path / "g")
    lines = (tmp_path / "g" / "feedback" / f"{mine['s1']}.md").read_text("utf-8").splitlines()
    heads = [i for i, line in enumerate(lines) if line.startswith("| blank |")]
    assert len(heads) == 3
    for i in heads:
        assert re.fullmatch(r"\|(?:-+:?\|)+", lines[i + 1].replace("---:", "---").replace("-:", "-"))
        rows = lines[i + 2:lines.index("", i) if "" in lines[i:] else None]
        assert rows and all(row.startswith("| ") and row.count(" | ") == 6 for row in rows)


def test_details_use_plain_names_and_never_a_negative_zero(numbered_batch: Path, tmp_path: Path) -> None:
    slip = at(1, "z1", lambda z, c: -z)  # what follows is carried, and some of it is a signed zero
    rows = [{"variant": v, **typed_sheet(work(spec, decimals=3, mistake=slip))}
            for v, spec in variant_specs(numbered_batch).items()]
    tracegen.grade(numbered_batch, pd.DataFrame(rows), tmp_path / "g")
    details = pd.read_csv(tmp_path / "g" / "details.csv", dtype=str, keep_default_na=False)
    assert "hand" not in details and "expected" not in details
    numbers = details[["value", "key", "carried_from_start", "from_own_answers", "marks", "max_marks"]]
    assert not numbers.isin(["-0.0", "-0"]).any().any() and numbers.isin(["0.0"]).any().any()


def test_a_canvas_box_asked_in_units_of_a_power_of_ten_is_read_back_in_units_of_one(tmp_path: Path) -> None:
    spec = copy.deepcopy(TINY) | {"grading": {"tolerance": {"sigfig": 3}}}
    batch = make_batch(tmp_path / "b", spec, count=1)
    (variant,) = variant_specs(batch)
    keys, blanks = key(batch).iloc[0], blank_order(batch)
    (quiz,) = canvas_items(render(batch, "canvas")).values()
    typed_in, scaled = {}, []
    for blank, box in zip(blanks, [item for item in quiz if item.get("title", "").startswith("Box ")], strict=True):
        text, _ = numeric(box)
        k = int(re.search(r"<mn>10</mn><mn>−(\d+)</mn>", text).group(1)) if "units of" in text else 0
        typed_in[blank] = f"{keys[blank] * 10.0**k:.4f}"  # what Canvas's page keeps of the exact answer
        if k:
            scaled.append(blank)
    assert scaled
    path = tmp_path / "canvas.csv"
    path.write_bytes(canvas_reports(batch, {"Xu Xi": (variant, typed_in)})[variant])
    grades = tracegen.grade(batch, [path])
    assert grades.gradebook.loc[0, "score"] == grades.gradebook.loc[0, "max"]
    assert grades.gradebook.loc[0, "student_name"] == "Xu Xi"
    answers = grades.detail.set_index("blank")["value"]
    for blank in scaled:
        assert answers[blank] == pytest.approx(keys[blank], rel=1e-3)
