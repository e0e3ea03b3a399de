"""Moodle XML: one question category, then one Embedded answers (cloze) question per variant.

A quiz then draws "a random question" from the category, so each student gets a variant.
Checked against Moodle's documentation and the code that reads the file:

- The file: https://docs.moodle.org/en/Moodle_XML_format, and its importer
  (question/format/xml/format.php): `<question type="category">` with
  `<category><text>$course$/top/…</text></category>` (a "/" in a name is written "//");
  `type="cloze"` goes to `import_multianswer`, which reads `<name>`, `<questiontext
  format="html">` with its `<text>` (here a CDATA section) and `<file name path
  encoding="base64">` children (`import_text_with_files`), `<generalfeedback>`, `<idnumber>`.
  The question's mark is the sum of its fields' weights.
- Each field: https://docs.moodle.org/en/Embedded_Answers_(Cloze)_question_type, and the parser
  (ANSWER_REGEX in question/type/multianswer/questiontype.php): `{weight:NUMERICAL:=value:tolerance}`,
  the weight digits only, a number `-?(([0-9]+[.,]?[0-9]*|[.,][0-9]+)([eE][-+]?[0-9]+)?)`, `=` full
  marks, `%n%` n percent, `~` between alternatives. A value is accepted within `value ± tolerance`
  (`qtype_numerical_answer::get_tolerance_interval`, 'nominal', question/type/numerical/question.php):
  the tolerance written is `policy.reach`, the grading tolerance with the grader's own float room,
  so Moodle accepts what `tracegen grade` accepts. Each other interval of values a careful
  student writes (`tracegen.grading.accepted`) is a further full-marks alternative where it adds
  to the key's. The
  policy has no partial-credit band for a single number (an answer is right, carried or wrong,
  and "carried" needs the student's other answers): `tracegen grade` applies error carried
  forward to the quiz's responses afterwards.
- Field width: Moodle sizes a field by the longest answer it accepts, as stored (PHP's float to
  string: at most 14 significant digits), plus up to 15 % at random
  (`qtype_multianswer_textfield_renderer::subquestion`, question/type/multianswer/renderer.php), so
  a short field gives a short answer away (R/exams documents this). Every field therefore gets a
  last alternative worth 0 %, FILLER: a value no answer comes near, written as long as any value
  can be stored (21 characters); values are written with 14 significant digits, as Moodle keeps
  them. All fields are then the same width.
- Maths: the MathJax filter (https://docs.moodle.org/en/MathJax_filter, on by default) typesets
  `\\( … \\)`. A cloze field cannot sit inside TeX, so the maths is closed around every field: an
  equation is a table of lines, a blank matrix a table of fields between drawn brackets.
- The network diagram: an SVG file in the question's own file area, `<img src="@@PLUGINFILE@@/…">`
  (the importer stores `<file>` children as the question text's files, as Moodle's own exports
  do). That survives Moodle's HTML cleaning (HTMLPurifier allows a data: URI only for PNG, GIF
  and JPEG), the editor, and backup and restore; Moodle serves an SVG as a download, which an
  `<img>` still shows.
"""

from __future__ import annotations

import base64

import numpy as np

from tracegen.document import wording
from tracegen.layout import PRINT_FONT_PT
from tracegen.lms import html
from tracegen.lms.quiz import Answer, Quiz, QuizVariant
from tracegen.maths.latex import latex
from tracegen.maths.tree import BLANK_MARGIN_MM, HANDWRITING_MM, Blank, Matrix, Node, Row

FILLER = "-9.9999999999999e+299"  # 21 characters as written and as Moodle stores it; no answer is near it
PICTURE = "network.svg"
FIELD_EM = 14.0  # a field of about 21-24 characters in Moodle's default theme, for laying equations out
MATRIX = 'style="display:inline-table;vertical-align:middle;border-collapse:collapse;margin:0 .3em"'
BRACKET_LEFT = 'style="border:solid 1.5px;border-right:0;width:.3em"'  # [ and ] drawn as borders
BRACKET_RIGHT = 'style="border:solid 1.5px;border-left:0;width:.3em"'
CELL = 'style="padding:2px 4px"'


def xml(quiz: Quiz) -> bytes:
    """The whole file: the category, then each variant's question."""
    category = "$course$/top/" + f"tracegen: {quiz.title} ({quiz.first}–{quiz.last})".replace("/", "//")
    parts = ['<?xml version="1.0" encoding="UTF-8"?>\n<quiz>\n',
             '<question type="category">\n<category><text>', _escape(category), "</text></category>\n",
             '<info format="html"><text></text></info>\n</question>\n']
    weights = _weights(quiz)
    for variant in quiz.variants:
        parts.append(question(variant, quiz, weights))
    parts.append("</quiz>\n")
    return "".join(parts).encode("utf-8")


def question(variant: QuizVariant, quiz: Quiz, weights: dict[str, int]) -> str:
    """One cloze question named with the variant id; the picture as a file of its own."""
    picture = base64.b64encode(html.network_svg(variant.doc)).decode("ascii")
    return (f'<question type="cloze">\n<name><text>{variant.id}</text></name>\n'
            f'<questiontext format="html">\n<text>{_cdata(question_text(variant, quiz, weights))}</text>\n'
            f'<file name="{PICTURE}" path="/" encoding="base64">{picture}</file>\n</questiontext>\n'
            f'<generalfeedback format="html"><text></text></generalfeedback>\n'
            f"<idnumber>{variant.id}</idnumber>\n</question>\n")


def question_text(variant: QuizVariant, quiz: Quiz, weights: dict[str, int]) -> str:
    """The worksheet as HTML, every blank a cloze field (numbered 1, 2, … in reading order)."""
    doc = variant.doc
    out = [f"<p><b>{html.text(wording.text('lms_variant', variant=variant.id))}</b></p>",
           f"<h3>{html.text(quiz.title)}</h3>",
           html.paragraph(wording.say("lms_instructions", decimals=str(quiz.decimals)), _inline)]
    chars = round((FIELD_EM * PRINT_FONT_PT * 25.4 / 72 - BLANK_MARGIN_MM) / HANDWRITING_MM)
    out += [html.block(item, doc, _inline, lambda line: _cell(line, variant, weights), f"@@PLUGINFILE@@/{PICTURE}",
                       chars) for item in html.items(doc)]
    return "\n".join(out)


def field(answer: Answer, weight: int) -> str:
    """`{weight:NUMERICAL:=key:reach~=value:reach…~%0%FILLER:0}` (the other intervals where they add)."""
    alternatives = [f"={number(centre)}:{number(room, exact=True)}" for centre, room in answer.centres]
    return "{" + f"{weight}:NUMERICAL:" + "~".join([*alternatives, f"%0%{FILLER}:0"]) + "}"


def number(value: float, exact: bool = False) -> str:
    """A number as the cloze syntax reads it: 14 significant digits, as Moodle stores a value
    (`exact`: the shortest text that reads back to the same float, for a tolerance)."""
    value += 0.0  # never -0
    return repr(value) if exact else f"{value:.14g}"


def _inline(node: Node) -> str:
    return r"\(" + html.text(latex(node)) + r"\)"


def _cell(line: Row, variant: QuizVariant, weights: dict[str, int]) -> str:
    """One cell of an equation's line: maths closed around each answer's fields."""
    out = []
    for piece in html.pieces(line):
        if isinstance(piece, Row):
            out.append(r"\(\displaystyle " + html.text(latex(piece)) + r"\)")
        else:
            out.append(_fields(piece, variant, weights))
    return " ".join(out)


def _fields(matrix: Matrix, variant: QuizVariant, weights: dict[str, int]) -> str:
    """An answer's fields: one field, or a table of them between drawn square brackets."""
    cells = [[field(variant.answers[blank.id], weights[blank.id]) for blank in row if isinstance(blank, Blank)]
             for row in matrix.rows]  # an answer's matrix holds blanks only
    if matrix.shape == (1, 1):
        return cells[0][0]
    span = len(cells)
    rows = []
    for r, row in enumerate(cells):
        left = f'<td rowspan="{span}" {BRACKET_LEFT}></td>' if r == 0 else ""
        right = f'<td rowspan="{span}" {BRACKET_RIGHT}></td>' if r == 0 else ""
        rows.append(f"<tr>{left}{''.join(f'<td {CELL}>{c}</td>' for c in row)}{right}</tr>")
    return f"<table {MATRIX}>{''.join(rows)}</table>"


def _weights(quiz: Quiz) -> dict[str, int]:
    """Each blank's marks as a field weight, which Moodle reads as a whole number: the marks scaled
    by the smallest factor that makes them all whole (0.5 and 1 mark become weights 1 and 2)."""
    answers = quiz.variants[0].answers
    marks = np.array([answer.marks for answer in answers.values()])
    scale = next((s for s in range(1, 1001) if np.allclose(marks * s, np.round(marks * s), rtol=0, atol=1e-9)), 1000)
    return {blank: round(m * scale) for blank, m in zip(answers, marks, strict=True)}


def _escape(value: str) -> str:
    return value.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _cdata(value: str) -> str:
    """`value` in a CDATA section (a `]]>` in it split across two)."""
    return "<![CDATA[" + value.replace("]]>", "]]]]><![CDATA[>") + "]]>"

