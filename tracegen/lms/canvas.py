"""Canvas: a QTI 1.2 zip for classic quizzes, one quiz (assessment) per variant.

Canvas's classic quizzes have no question with several numeric fields, and cannot draw a
whole set of linked questions at random, so each variant is a quiz of its own (assign it
to its student or section in Canvas). In it, the worksheet is cut at its answers: the text
up to an equation with blanks is a text-only item whose equation shows each blank as a
numbered box □ₙ, then each box is a numerical question, worth the blank's marks, that
accepts the key ± the grading tolerance, and each other interval of values a careful student
writes (`tracegen.grading.accepted`) where it adds.

Checked against:
- Canvas's import of QTI packages (Canvas Instructor Guide, "How do I import quizzes from QTI
  packages?") and the IMS QTI ASI 1.2 specification; the structure is the one Canvas's own
  exports have, as text2qti (PyPI) writes it too: `imsmanifest.xml` listing each assessment
  (`imsqti_xmlv1p2`) with its `assessment_meta.xml` and the pictures (`webcontent`), an item's
  type in `qtimetadata` (`numerical_question`, `text_only_question`, `points_possible`), a
  `response_str`/`render_fib fibtype="Decimal"` answer, and per accepted value a `respcondition`
  `<or><varequal>value</varequal><and><vargte>low</vargte><varlte>high</varlte></and></or>`, which
  Canvas's importer reads as an exact answer with a margin of high - value
  (Qti::NumericInteraction#get_canvas_answers, canvas-lms). text2qti itself is not used: it
  writes one quiz per package from its own Markdown text (one import per variant), renders
  LaTeX only through a Canvas site's address, and rounds every bound to 4 decimals.
- Maths as MathML (`tracegen.maths.mathml`): Canvas keeps MathML through its HTML sanitizer and
  loads MathJax when a page holds `<math>` (canvas-lms mathml.js, `isMathMLOnPage`); browsers
  also lay MathML out themselves. Canvas reads `\\( … \\)` only where a site has turned on a
  feature flag (new_math_equation_handling), so LaTeX is not used here.
- Small numbers: Canvas's quiz page rounds a typed number to 4 decimals (`toFixed(4)`; text2qti
  #51: "when you enter a numerical value smaller than 1e-4 … Canvas replaces your answer with
  zero"). A blank is asked as is when its tolerance is at least half of that last step
  (± 0.00005): the 4-decimal rounding of its value is then still accepted, and a tiny value such
  as 0.00004 ± 0.0005 is rightly answered 0.0000. Otherwise (a tolerance of 0.0005 % of 0.00004,
  or 5 decimals asked) it is asked in units of 10⁻ᵏ, the smallest k for which that holds, and
  the question says so; so no blank is unanswerable.
- The network diagram: an SVG file in the package, `$IMS-CC-FILEBASE$/images/…` (URL-encoded,
  as text2qti writes it), which Canvas imports into the course files.
"""

from __future__ import annotations

import io
import zipfile
from functools import partial
from xml.sax.saxutils import escape, quoteattr

from tracegen.document import wording
from tracegen.document.blanks import asked
from tracegen.lms import html
from tracegen.lms.quiz import Answer, Quiz, QuizVariant
from tracegen.maths.mathml import mathml
from tracegen.maths.tree import Blank, Ident, Matrix, Node, Num, Row, Script

STEP = 1e-4  # Canvas keeps 4 decimals of a typed answer
QTI = ('xmlns="http://www.imsglobal.org/xsd/ims_qtiasiv1p2" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" '
       'xsi:schemaLocation="http://www.imsglobal.org/xsd/ims_qtiasiv1p2 '
       'http://www.imsglobal.org/xsd/ims_qtiasiv1p2p1.xsd"')
MANIFEST = ('xmlns="http://www.imsglobal.org/xsd/imsccv1p1/imscp_v1p1" '
            'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" '
            'xsi:schemaLocation="http://www.imsglobal.org/xsd/imsccv1p1/imscp_v1p1 '
            'http://www.imsglobal.org/xsd/imscp_v1p1.xsd"')
META = ('xmlns="http://canvas.instructure.com/xsd/cccv1p0" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" '
        'xsi:schemaLocation="http://canvas.instructure.com/xsd/cccv1p0 https://canvas.instructure.com/xsd/cccv1p0.xsd"')
ZIP_TIME = (1980, 1, 1, 0, 0, 0)  # fixed, so the same batch gives the same bytes


def package(quiz: Quiz) -> bytes:
    """The zip: imsmanifest.xml, then per variant its assessment, its settings and its picture."""
    files: dict[str, bytes] = {}
    resources = []
    for variant in quiz.variants:
        ident = f"tracegen-{variant.id}"
        picture = f"images/network-{variant.id}.svg"
        files[f"{ident}/{ident}.xml"] = assessment(variant, quiz, ident, picture).encode("utf-8")
        files[f"{ident}/assessment_meta.xml"] = meta(variant, quiz, ident).encode("utf-8")
        files[picture] = html.network_svg(variant.doc)
        resources.append(f'<resource identifier="{ident}" type="imsqti_xmlv1p2">\n'
                         f'<file href="{ident}/{ident}.xml"/>\n<dependency identifierref="{ident}-meta"/>\n'
                         f'</resource>\n<resource identifier="{ident}-meta" '
                         f'type="associatedcontent/imscc_xmlv1p1/learning-application-resource" '
                         f'href="{ident}/assessment_meta.xml">\n<file href="{ident}/assessment_meta.xml"/>\n'
                         f'</resource>\n<resource identifier="{ident}-picture" type="webcontent" href="{picture}">\n'
                         f'<file href="{picture}"/>\n</resource>\n')
    manifest = (f'<?xml version="1.0" encoding="UTF-8"?>\n<manifest identifier="tracegen-{quiz.first}" {MANIFEST}>\n'
                "<metadata>\n<schema>IMS Content</schema>\n<schemaversion>1.1.3</schemaversion>\n</metadata>\n"
                f"<organizations/>\n<resources>\n{''.join(resources)}</resources>\n</manifest>\n")
    stream = io.BytesIO()
    with zipfile.ZipFile(stream, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in {"imsmanifest.xml": manifest.encode("utf-8"), **files}.items():
            info = zipfile.ZipInfo(name, ZIP_TIME)
            info.compress_type, info.external_attr = zipfile.ZIP_DEFLATED, 0o644 << 16
            archive.writestr(info, data)
    return stream.getvalue()


def title(variant: QuizVariant, quiz: Quiz) -> str:
    return f"{quiz.title} · {wording.text('lms_variant', variant=variant.id)}"


def meta(variant: QuizVariant, quiz: Quiz, ident: str) -> str:
    """Canvas's quiz settings: a graded quiz, one attempt, answers not shown, not yet published."""
    points = sum(answer.marks for answer in variant.answers.values())
    return (f'<?xml version="1.0" encoding="UTF-8"?>\n<quiz identifier="{ident}" {META}>\n'
            f"<title>{escape(title(variant, quiz))}</title>\n<description></description>\n"
            "<shuffle_answers>false</shuffle_answers>\n<scoring_policy>keep_highest</scoring_policy>\n"
            f"<quiz_type>assignment</quiz_type>\n<points_possible>{points:g}</points_possible>\n"
            "<show_correct_answers>false</show_correct_answers>\n<allowed_attempts>1</allowed_attempts>\n"
            "<one_question_at_a_time>false</one_question_at_a_time>\n<cant_go_back>false</cant_go_back>\n"
            "<available>false</available>\n</quiz>\n")


def assessment(variant: QuizVariant, quiz: Quiz, ident: str, picture: str) -> str:
    """The quiz of one variant: the worksheet cut into text-only items, each followed by its boxes' questions."""
    doc = variant.doc
    box = Script(Ident("□", "upright"), sub=Ident("n"))
    text = [f"<h3>{html.text(title(variant, quiz))}</h3>",
            html.paragraph(wording.say("lms_instructions", decimals=str(quiz.decimals)), _inline),
            html.paragraph(wording.say("lms_boxes", box=box), _inline)]
    items: list[str] = []
    boxes = 0
    for item in html.items(doc):
        numbers = {blank.id: boxes + i for i, blank in enumerate(asked(item), start=1)}
        text.append(html.block(item, doc, _inline, partial(_numbered_cell, numbers=numbers),
                               f"%24IMS-CC-FILEBASE%24/{picture}"))
        if numbers:  # the text so far, with this equation's boxes, then a question per box
            items.append(_text_item(f"{ident}-text{boxes + 1}", "\n".join(text)))
            text = []
            items += [_numeric_item(f"{ident}-box{n}", n, variant.answers[blank]) for blank, n in numbers.items()]
            boxes += len(numbers)
    if text:
        items.append(_text_item(f"{ident}-end", "\n".join(text)))
    return (f'<?xml version="1.0" encoding="UTF-8"?>\n<questestinterop {QTI}>\n'
            f"<assessment ident={quoteattr(ident)} title={quoteattr(title(variant, quiz))}>\n"
            '<section ident="root_section">\n' + "".join(items) + "</section>\n</assessment>\n</questestinterop>\n")


def scale(answer: Answer) -> int:
    """k: ask for the value in units of 10⁻ᵏ (0: as is), so Canvas's 4-decimal rounding keeps it right."""
    room = min(reach for _, reach in answer.centres)  # > 0: a reach has the grader's float room
    k = 0
    while room * 10.0**k < STEP / 2:
        k += 1
    return k


def _numbered(line: Row, numbers: dict[str, int]) -> Row:
    """A line of an equation with each blank as its numbered box □ₙ."""
    def box(cell: Node) -> Node:
        return Script(Ident("□", "upright"), sub=Num(str(numbers[cell.id]))) if isinstance(cell, Blank) else cell

    return Row(tuple(Matrix(tuple(tuple(box(cell) for cell in row) for row in item.rows), item.answer)  # type: ignore[misc]
                     if isinstance(item, Matrix) else box(item) for item in line.items))


def _inline(node: Node) -> str:
    return str(mathml(node))


def _numbered_cell(line: Row, numbers: dict[str, int]) -> str:
    return _cell(_numbered(line, numbers))


def _cell(line: Row) -> str:
    """A line of an equation: its maths in display style (as a display equation sets fractions)."""
    return str(mathml(line)).replace("<math>", '<math displaystyle="true">', 1)


def _material(content: str) -> str:
    return f'<material>\n<mattext texttype="text/html">{escape(content)}</mattext>\n</material>\n'


def _metadata(kind: str, points: float) -> str:
    fields = (("question_type", kind), ("points_possible", f"{points:g}"))
    return ("<itemmetadata>\n<qtimetadata>\n" + "".join(
        f"<qtimetadatafield><fieldlabel>{label}</fieldlabel><fieldentry>{entry}</fieldentry></qtimetadatafield>\n"
        for label, entry in fields) + "</qtimetadata>\n</itemmetadata>\n")


def _text_item(ident: str, content: str) -> str:
    return (f'<item ident="{ident}" title="Text">\n{_metadata("text_only_question", 0)}'
            f"<presentation>\n{_material(content)}</presentation>\n</item>\n")


def _numeric_item(ident: str, n: int, answer: Answer) -> str:
    """Box n's question: a number, accepted within each interval (scaled where Canvas needs it)."""
    k = scale(answer)
    content = html.paragraph(wording.say("lms_box", n=str(n), quantity=answer.label), _inline)
    if k:
        content += html.paragraph(wording.say("lms_scaled", unit=Script(Num("10"), sup=Num(f"-{k}")),
                                              factor=Script(Num("10"), sup=Num(str(k)))), _inline)
    conditions = "".join(
        '<respcondition continue="No">\n<conditionvar>\n<or>\n'
        f'<varequal respident="response1">{_number(centre, k)}</varequal>\n<and>\n'
        f'<vargte respident="response1">{_number(centre - room, k)}</vargte>\n'
        f'<varlte respident="response1">{_number(centre + room, k)}</varlte>\n'
        '</and>\n</or>\n</conditionvar>\n<setvar action="Set" varname="SCORE">100</setvar>\n</respcondition>\n'
        for centre, room in answer.centres)
    return (f'<item ident="{ident}" title="Box {n}">\n{_metadata("numerical_question", answer.marks)}'
            f"<presentation>\n{_material(content)}"
            '<response_str ident="response1" rcardinality="Single">\n<render_fib fibtype="Decimal">\n'
            '<response_label ident="answer1"/>\n</render_fib>\n</response_str>\n</presentation>\n'
            '<resprocessing>\n<outcomes>\n<decvar maxvalue="100" minvalue="0" varname="SCORE" vartype="Decimal"/>\n'
            f"</outcomes>\n{conditions}</resprocessing>\n</item>\n")


def _number(value: float, k: int) -> str:
    """A value in units of 10⁻ᵏ, as the shortest text that reads back to the same float."""
    return repr(value * 10.0**k + 0.0)
