"""What a student's documents print: their name and id, or a transliteration where the fonts cannot print the name.

A name is printed whole or not at all (never with boxes or gaps for letters no font has):
before a student's documents are rendered, their name is checked against the shipped and
the system's fonts (`tracegen.render.coverage`). If it cannot be printed whole, the roster's
transliteration column is printed instead when the teacher named one, else the student's
documents fail with a message naming the missing characters and a font package; the batch
goes on with the other students.
"""

from __future__ import annotations

from collections.abc import Sequence

from tracegen.batching.roster import Student
from tracegen.render.coverage import UnprintableText, require_printable
from tracegen.text import label, quote

FONT_FORMATS = ("html", "pdf")  # Markdown is plain text: its reader's editor shows it


def printed_label(student: Student, formats: Sequence[str], column: str | None = None) -> str:
    """`student.label`, or the label with the transliteration (from roster column `column`); UnprintableText
    when neither can be printed whole in `formats`."""
    if not set(formats) & set(FONT_FORMATS):
        return student.label
    who = f"student {student.id} (roster line {student.line}): the name {quote(student.name)}"
    if column is None:
        hint = "; or print a transliteration instead: --transliteration COLUMN, a roster column that holds it"
    elif student.transliteration is None:
        hint = f"; the roster's {quote(column)} cell (--transliteration) is empty for this student"
    else:
        hint = ""
    try:
        require_printable(student.name, who, hint)
    except UnprintableText:
        if student.transliteration is None or column is None:
            raise
        require_printable(student.transliteration, f"{who} nor its transliteration {quote(student.transliteration)}")
        return label(student.transliteration, student.id)
    return student.label
