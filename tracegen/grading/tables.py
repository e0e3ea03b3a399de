"""The results as DataFrames: the gradebook (one row per student, the contract's columns) and the
detail (one row per student and blank), both in gradebook order (roster order in a roster batch,
else batch order).

Who each row is comes from the responses (`Who`): in a roster batch the roster's student, who a
platform may have given another student's variant; else the variant, with the name a platform's
report gives. A platform's identity columns (Moodle's "ID number", "Email address", Canvas's
"sis_id", …) stay in the gradebook, under their own headers after the contract's columns, so its
rows can go back to the platform. Roster students without responses are rows of their own,
`status` "absent", their scores empty.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from typing import NamedTuple

import numpy as np
import pandas as pd

from tracegen.batching.folder import Batch
from tracegen.grading.marking import BLANK, CARRIED, CORRECT, VERDICTS, WRONG, Marking
from tracegen.grading.responses import Matched, Responses
from tracegen.text import isolated, page_line

COUNTS = (("correct", CORRECT), ("carried", CARRIED), ("wrong", WRONG), ("blank", BLANK))
GRADED, ABSENT = "graded", "absent"
DIFFERS = "platform_differs"  # where a platform's report reads a cell otherwise than tracegen would


def identity(batch: Batch, rows: Sequence[int] | np.ndarray) -> dict[str, list[str]]:
    """Who each row (a variant index) is: student_id, student_name, variant in a roster batch;
    variant, student_name (empty) without a roster, where the variant is the only id."""
    variants = [batch.variants[r] for r in rows]
    if batch.students is None:
        return {"variant": variants, "student_name": [""] * len(rows)}
    students = [batch.students[r] for r in rows]
    return {"student_id": [s.id for s in students], "student_name": [s.name or "" for s in students],
            "variant": variants}


class Who(NamedTuple):
    """Who each graded row is (`columns`: the contract's identity columns), as pages print them
    (`labels`), the stem of their feedback files, the platform's identity columns, the roster
    students with no row (`absent`), and where the platform reads a cell otherwise (`differs`)."""

    columns: dict[str, list[str]]
    labels: list[str]
    stems: list[str]
    platform: dict[str, list[str]]
    absent: list[int]
    differs: list[str] | None


def who(batch: Batch, responses: Responses, matched: Matched, blanks: Sequence[str]) -> Who:
    """Who the graded rows of `matched` are (see `Who`); `blanks` names the columns of its cells."""
    order = matched.order.tolist()
    variants = [batch.variants[r] for r in matched.rows]
    if matched.students is not None and batch.students is not None:
        students = [batch.students[s] for s in matched.students]
        columns = {"student_id": [s.id for s in students], "student_name": [s.name or "" for s in students],
                   "variant": variants}
        labels = [s.label for s in students]
        absent = sorted(set(range(len(batch.students))) - set(matched.students.tolist()))
    else:
        names = [page_line(responses.names[r]) or "" if responses.names else "" for r in order]
        columns, labels, absent = {"variant": variants, "student_name": names}, [isolated(n) for n in names], []
    repeated = {v for v, n in Counter(variants).items() if n > 1}  # two students given one variant
    seen: Counter[str] = Counter()
    stems = []
    for variant in variants:
        seen[variant] += 1
        stems.append(f"{variant}-{seen[variant]}" if variant in repeated else variant)
    platform = {header: [values[r] for r in order] for header, values in responses.identity.items()}
    differs = None
    if responses.identity or responses.names is not None:
        differs = ["; ".join(f"{blank} {reading.own}" for blank, text in zip(blanks, cells, strict=True)
                             if text and (reading := reader(text)).own)
                   for cells, reader in zip(matched.cells, matched.readers, strict=True)]
    return Who(columns, labels, stems, platform, absent, differs)


def gradebook(batch: Batch, marking: Marking, people: Who) -> pd.DataFrame:
    """student_id (or variant), student_name, variant, score, max, one score per epoch, the four
    counts, status; then the platform's identity columns and where it reads a cell otherwise."""
    earned, verdict = marking.earned, marking.verdict
    epochs = batch.blanks["epoch"].to_numpy()
    columns: dict[str, object] = dict(people.columns)
    columns["score"] = earned.sum(axis=1)
    columns["max"] = np.full(len(earned), marking.policy.marks.sum())
    for epoch in dict.fromkeys(epochs.tolist()):
        columns[f"epoch_{epoch}"] = earned[:, epochs == epoch].sum(axis=1)
    for name, code in COUNTS:
        columns[name] = (verdict == code).sum(axis=1)
    columns["status"] = [GRADED] * len(earned)
    columns.update(people.platform)
    if people.differs is not None:
        columns[DIFFERS] = people.differs
    book = pd.DataFrame(columns)
    if not people.absent or batch.students is None:
        return book
    missing = pd.DataFrame(identity(batch, people.absent)).assign(max=marking.policy.marks.sum(), status=ABSENT)
    book = pd.concat([book, missing], ignore_index=True)
    rank = {student.id: i for i, student in enumerate(batch.students)}
    return book.iloc[np.argsort([rank[i] for i in book["student_id"]], kind="stable")].reset_index(drop=True)


def detail(batch: Batch, marking: Marking, people: Who) -> pd.DataFrame:
    """One row per student and blank: what they wrote, the value read, the key, the key worked from
    the printed values, the value their own earlier answers give, the verdict, mistake and note."""
    students, blanks = marking.verdict.shape
    columns: dict[str, object] = {name: np.repeat(np.array(values, dtype=object), blanks)
                                  for name, values in people.columns.items()}
    columns.update({
        "blank": np.tile(batch.blanks["blank"].to_numpy(), students),
        "epoch": np.tile(batch.blanks["epoch"].to_numpy(), students),
        "name": np.tile(batch.blanks["name"].to_numpy(), students),
        "answer": [text for row in marking.texts for text in row],
        "value": marking.answers.ravel(),
        "key": marking.key.ravel(),
        "carried_from_start": marking.hand.ravel(),
        "from_own_answers": marking.expected.ravel(),
        "verdict": np.array(VERDICTS, dtype=object)[marking.verdict.ravel()],
        "mistake": marking.mistake.ravel(),
        "note": marking.notes.ravel(),
        "marks": marking.earned.ravel(),
        "max_marks": np.tile(marking.policy.marks, students),
    })
    return pd.DataFrame(columns)


def unread(table: pd.DataFrame) -> list[tuple[str, int]]:
    """Each student of a detail table with cells that could not be read as numbers (wrong, with no
    value), as a message names them, and how many such cells they have."""
    lost = table[(table["verdict"] == "wrong") & table["value"].isna()]
    key = "student_id" if "student_id" in table else "variant"
    out = []
    for ident, rows in lost.groupby(key, sort=False):
        name = rows["student_name"].iat[0]
        out.append((f"{ident} {name}".strip() if name else str(ident), len(rows)))
    return out
