"""Moodle's quiz "Responses" report (its CSV download) as the responses of a batch.

For a quiz built from `tracegen export --to moodle` (one random cloze question from the
batch's category). The report's columns (Moodle's mod/quiz/report/responses): "Last name",
"First name", the identity fields the site shows ("Email address", "ID number", "Username"),
"State", "Started on", "Completed", "Time taken", "Grade/…", then per question slot
"Question N" (the question's text as plain text, when "Question text" is ticked), "Response N"
(ticked by default) and "Right answer N" ("Right answer"). A cloze response reads `part 1:
0.881; part 2: ; part 3: -0.119` (`qtype_multianswer_question::summarise_response`, with the
language string `subqresponse`, 'part {$a->i}: {$a->response}'); a missing attempt or
response is "-".

The headers are in the language of whoever downloaded the report: English, German, French
and Spanish are read (`LANGUAGES`, from Moodle's language packs: quiz_responses `responsex`
and `rightanswerx`, question `questionx`, core `firstname`, `lastname`, `email`, `idnumber`,
`username`, langconfig `decsep` and `thousandssep`).

Each row's variant is the one its question text names first ("Variant 1EK052", the first
line of every exported question); cloze part k is the k-th field of the question, which is
the worksheet's k-th blank in reading order (`tracegen.document.blanks.order`). With "Right
answer" ticked, each part's right answer is checked against the batch's key, so a quiz
built from another export is refused rather than graded wrong.

Cells are graded as Moodle graded them (`typed.moodle_number`, with the report language's
decimal point and thousands separator): in an English site "0,881" is 881. Where tracegen
would read a cell otherwise, the note on the feedback and the gradebook's `platform_differs`
say both, so a teacher can be kinder than the platform by hand. (Moodle keeps the separators
of the language the student had when they started; the report's language stands for it.)

A Moodle quiz draws a random variant per student. Against a numbered batch the rows are the
variants (at least as many as students), two attempts at one variant are refused with that
hint, and the report's names go into the gradebook's `student_name`. Against a roster batch,
each row is matched to its roster student by an identity column whose values are the
roster's student ids ("ID number", "Email address" or "Username"; the one that matches, or
the one `match_by` names), and graded against the variant Moodle gave them, which may be
another student's. The report's identity columns stay in the gradebook either way.
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from functools import partial

from tracegen.batching.folder import Batch
from tracegen.document import wording
from tracegen.document.blanks import order
from tracegen.errors import InputError
from tracegen.grading.responses import Responses, answer, header_keys
from tracegen.grading.typed import NUMBER_CELL, moodle_number, platform, read_number
from tracegen.text import one_line, quote


@dataclass(frozen=True)
class Language:
    """A language's headers of the report, and its decimal point and thousands separator."""

    code: str
    question: str
    response: str
    right: str
    first: str
    last: str
    identity: tuple[str, str, str]  # email, ID number, username
    point: str
    separator: str


LANGUAGES = (
    Language("en", "Question", "Response", "Right answer", "First name", "Last name",
             ("Email address", "ID number", "Username"), ".", ","),
    Language("de", "Frage", "Antwort", "Richtige Antwort", "Vorname", "Nachname",
             ("E-Mail-Adresse", "ID-Nummer", "Anmeldename"), ",", "."),
    Language("fr", "Question", "Réponse", "Réponse correcte", "Prénom", "Nom de famille",
             ("Adresse de courriel", "Numéro d’identification", "Nom d’utilisateur"), ",", "\u00a0"),
    Language("es", "Pregunta", "Respuesta", "Respuesta correcta", "Nombre", "Apellido(s)",
             ("Dirección de correo", "Número de ID", "Nombre de usuario"), ",", "."),
)
MATCH_BY = ("email", "idnumber", "username")  # names for Language.identity, for --match-by
MISSING = ("", "-")  # what the report shows for no attempt or no response
_BEFORE, _, _AFTER = wording.MESSAGES["lms_variant"].partition("{variant}")
MARKER = re.compile(re.escape(_BEFORE) + r"([0-9A-Z]+)\b" + re.escape(_AFTER), re.IGNORECASE)
SUMMARY = re.compile(r";\s*[^0-9;:]*[0-9]+\s*:")  # "; part 2:" inside a part
KEY_ROOM = 1e-9  # relative: Moodle keeps a value to 14 significant digits


def _key(text: str) -> str:
    """A header compared as Moodle may write it: case, apostrophes (’ or ') and spaces aside."""
    return " ".join(unicodedata.normalize("NFC", text).replace("’", "'").casefold().split())


def _slot(language: Language, header: str) -> tuple[str, int] | None:
    """("question", "response" or "right answer", N) of a header of `language`'s question-slot columns."""
    found = re.fullmatch(r"(.*\S)\s+([0-9]+)", _key(header))
    if found is None:
        return None
    kinds = {_key(language.question): "question", _key(language.response): "response",
             _key(language.right): "right answer"}
    kind = kinds.get(found.group(1))
    return (kind, int(found.group(2))) if kind else None


def language(header: Sequence[str]) -> Language | None:
    """The language of a Moodle Responses report's header (the one with a "Response N" column)."""
    return next((lang for lang in LANGUAGES
                 if any((slot := _slot(lang, cell)) and slot[0] == "response" for cell in header)), None)


def is_report(header: Sequence[str]) -> bool:
    """Whether a CSV header is Moodle's Responses report in a language tracegen reads."""
    return language(header) is not None


@dataclass(frozen=True, eq=False)
class Report:
    """The rows of the report that have an attempt at an exported question: who (their name and
    identity columns), which variant, the response and (if downloaded) the right answer, each a
    cloze summary still to be split."""

    name: str
    language: Language
    slot: int
    lines: tuple[int, ...]
    students: tuple[str, ...]
    identity: dict[str, tuple[str, ...]]
    variants: tuple[str, ...]
    responses: tuple[str, ...]
    rights: tuple[str, ...] | None

    def resolve(self, batch: Batch, match_by: str | None = None) -> Responses:
        """The rows as responses of `batch`: one column per blank, named as in answers.csv."""
        blanks = order(batch.spec)
        cells = tuple(tuple(self._parts(text, line, self.language.response, len(blanks)))
                      for text, line in zip(self.responses, self.lines, strict=True))
        if self.rights is not None:
            self._check(batch, blanks)
        reader = platform("Moodle", partial(_graded, point=self.language.point, separator=self.language.separator))
        if batch.students is None:
            once(self.name, self.variants, self.lines)
            return Responses(self.name, "variant", self.variants, None, self.lines, blanks, cells, reader,
                             names=self.students, identity=self.identity)
        names = (_key(self.language.first), _key(self.language.last))
        ids = self.identity[roster_column(self.name, {h: v for h, v in self.identity.items() if _key(h) not in names},
                                          batch, match_by, self.language)]
        return Responses(self.name, "student_id", ids, self.variants, self.lines, blanks, cells, reader,
                         names=self.students, identity=self.identity, drawn=True)

    def _parts(self, text: str, line: int, column: str, count: int) -> list[str]:
        if text in MISSING:
            return [""] * count
        parts = split(text, count)
        if parts is None:
            raise InputError(f"{self.name}:{line}: '{column} {self.slot}' is not the {count} parts of this batch's "
                             f"question ('part 1: …; part {count}: …'): was the quiz built from its export?")
        return [one_line(part) for part in parts]

    def _check(self, batch: Batch, blanks: tuple[str, ...]) -> None:
        """Each part's right answer must be the key of its blank in the row's variant."""
        column = {blank: i for i, blank in enumerate(batch.blanks["blank"])}
        row_of = {variant: i for i, variant in enumerate(batch.variants)}
        for variant, text, line in zip(self.variants, self.rights or (), self.lines, strict=True):
            if variant not in row_of or text in MISSING:
                continue  # an unknown variant is reported by responses.match
            parts = self._parts(text, line, self.language.right, len(blanks))
            for k, (blank, part) in enumerate(zip(blanks, parts, strict=True), start=1):
                kind, value, *_ = read_number(part)
                key = batch.key[row_of[variant], column[blank]]
                if kind != NUMBER_CELL or not math.isclose(value, key, rel_tol=KEY_ROOM, abs_tol=KEY_ROOM):
                    raise InputError(f"{self.name}:{line}: the right answer of part {k} ({part!r}) is not the key "
                                     f"of {blank} in variant {variant} ({key:.14g}): was the quiz built from "
                                     f"this batch's export?")


def _graded(text: str, point: str, separator: str) -> float | None:
    """Moodle's value of a part, except a part holding the summary's own `; part k:` (a field's answer
    faking the next part, `split`), which could be either field's: no number, so no mark is gained."""
    return None if SUMMARY.search(text) else moodle_number(text, point, separator)


def once(name: str, variants: Sequence[str], lines: Sequence[int]) -> None:
    """Against a numbered batch the rows are the variants: a second row with one is refused."""
    seen: dict[str, int] = {}
    for variant, line in zip(variants, lines, strict=True):
        if variant in seen:
            raise InputError(f"{name}:{line}: a second attempt at variant {variant} (first on line {seen[variant]}): "
                             f"export at least as many variants as students, allow one attempt, or download "
                             f"only each student's graded attempt")
        seen[variant] = line


def roster_column(name: str, identity: dict[str, tuple[str, ...]], batch: Batch, match_by: str | None,
                  lang: Language | None = None) -> str:
    """The identity column of a platform's report whose values are the roster's student ids: the one
    `match_by` names (a header, or with `lang` "email", "idnumber" or "username"), else the one
    with the most values in the roster (InputError naming the columns if none has any)."""
    ids = {student.id for student in batch.students or ()}
    columns = ", ".join(quote(header) for header in identity) or "none"
    if match_by is not None:
        wanted = _key(lang.identity[MATCH_BY.index(match_by)]) if lang and match_by in MATCH_BY else _key(match_by)
        found = next((header for header in identity if _key(header) == wanted), None)
        if found is None:
            raise InputError(f"{name}:1: --match-by {match_by}: no such column in the report (its identity columns: "
                             f"{columns})")
        return found
    hits = {header: sum(value in ids for value in values) for header, values in identity.items()}
    best = max(hits, key=lambda header: hits[header], default=None)
    if best is None or not hits[best]:
        raise InputError(f"{name}:1: {batch.folder} is a roster batch, but none of the report's identity columns "
                         f"({columns}) holds a student id of its roster: download the report with the column that "
                         f"holds them (Moodle's 'Show user identity' setting), or grade against a numbered batch")
    return best


def split(text: str, count: int) -> list[str] | None:
    """The answers of a cloze response summary `part 1: a; part 2: b; …` with `count` parts, or None.

    The label ("part ", or the language's: "Teil ", "partie … :") is read from part 1. Parts
    are cut from the last one back, each at the last `; part k:` before the next part's: an
    answer typed as "x; part 3: 0.5" into field 3 is read as 0.5 there and spoils part 2
    (which then holds the fake), so a student gains nothing they could not have typed, and no
    other part moves.
    """
    first = re.match(r"([^0-9;:]*)1\s*:", text)
    if first is None:
        return None
    label = first.group(1)
    parts, end = [], len(text)
    for k in range(count, 1, -1):
        marks = list(re.finditer(re.escape("; " + label) + str(k) + r"\s*:", text[:end]))
        if not marks:
            return None
        parts.append(text[marks[-1].end():end].strip())
        end = marks[-1].start()
    parts.append(text[first.end():end].strip())
    return parts[::-1]


def read_report(name: str, header: Sequence[str], rows: Sequence[Sequence[str]], lines: Sequence[int]) -> Report:
    """The report's rows with an attempt at an exported question (InputError if it has none)."""
    lang = language(header)
    if lang is None:
        raise InputError(f"{name}:1: not a Moodle Responses report in English, German, French or Spanish")
    keys = header_keys(name, header)
    where = {_key(key): i for i, key in enumerate(keys)}
    first, last = (where.get(_key(column)) for column in (lang.first, lang.last))
    identity_at = {keys[where[_key(column)]]: where[_key(column)]
                   for column in (lang.last, lang.first, *lang.identity) if _key(column) in where}
    slots, slot = _slots(name, lang, keys, rows)
    kept: list[tuple[int, str, tuple[str, ...], str, str, str]] = []
    for row, line in zip(rows, lines, strict=True):
        question, response = answer(row, slots[("question", slot)]), answer(row, slots[("response", slot)])
        found = MARKER.search(question)
        if found is None:
            if question in MISSING and response in MISSING:
                continue  # a student without an attempt
            raise InputError(f"{name}:{line}: '{lang.question} {slot}' does not name a variant (expected "
                             f"{wording.text('lms_variant', variant='…')!r} in it)")
        variant = found.group(1).upper()
        student = " ".join(filter(None, (answer(row, first), answer(row, last))))
        who = tuple(answer(row, i) for i in identity_at.values())
        kept.append((line, student, who, variant, response, answer(row, slots.get(("right answer", slot)))))
    if not kept:
        raise InputError(f"{name}: no attempts in the report")
    lines_, students, who_, variants, responses, rights = (tuple(column) for column in zip(*kept, strict=True))
    identity = {header: tuple(values[k] for values in who_) for k, header in enumerate(identity_at)}
    return Report(name, lang, slot, lines_, students, identity, variants, responses,
                  rights if ("right answer", slot) in slots else None)


def _slots(name: str, lang: Language, keys: Sequence[str],
           rows: Sequence[Sequence[str]]) -> tuple[dict[tuple[str, int], int], int]:
    """The report's question-slot columns by (kind, slot), and the one slot that holds exported questions."""
    slots: dict[tuple[str, int], int] = {}
    for i, cell in enumerate(keys):
        found = _slot(lang, cell)
        if found:
            slots[found] = i
    ours = sorted({n for kind, n in slots if kind == "question"
                   and any(MARKER.search(answer(row, slots[("question", n)])) for row in rows)})
    if not ours:
        raise InputError(f"{name}:1: Moodle's Responses report, but no '{lang.question} N' column holds a question "
                         f"exported by tracegen (tick 'Question text' in the report's options)")
    if len(ours) > 1:
        raise InputError(f"{name}:1: Moodle's Responses report with exported questions in several slots "
                         f"({', '.join(f'{lang.question} {n}' for n in ours)}); expected one")
    if ("response", ours[0]) not in slots:
        raise InputError(f"{name}:1: Moodle's Responses report without '{lang.response} {ours[0]}' "
                         f"(tick 'Response')")
    return slots, ours[0]
