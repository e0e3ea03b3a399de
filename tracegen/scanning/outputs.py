"""The scan's CSV files: responses.csv in `tracegen grade`'s format, and report.csv (per page and per
student: what was read, flagged, missing)."""

from __future__ import annotations

from pathlib import Path

from tracegen.csvfiles import csv_bytes, spreadsheet_safe
from tracegen.grading.tables import identity
from tracegen.scanning.read import READ
from tracegen.scanning.scanned import Scanned

REPORT_COLUMNS = ("kind", "file", "file_page", "student_id", "variant", "page", "status", "read", "flagged",
                  "empty", "missing_pages")


def students(scanned: Scanned) -> list[int]:
    """The batch rows (variants) with at least one page read, in batch order."""
    seen = {page.variant for page in scanned.pages if page.status == READ}
    return [r for r, variant in enumerate(scanned.batch.variants) if variant in seen]


def responses(scanned: Scanned) -> bytes:
    """One row per student with a page read: the accepted texts; flagged and missing blanks empty."""
    batch = scanned.batch
    rows = students(scanned)
    who = identity(batch, rows)
    if batch.students is None:
        del who["student_name"]
    blanks = list(batch.blanks["blank"])
    out = []
    for i, r in enumerate(rows):
        variant = batch.variants[r]
        cells = []
        for blank in blanks:
            decision = scanned.decisions.get((variant, blank))
            cells.append(spreadsheet_safe(decision.text) if decision is not None and decision.text else "")
        out.append([spreadsheet_safe(values[i]) for values in who.values()] + cells)
    return csv_bytes([*who, *blanks], out)


def report(scanned: Scanned) -> bytes:
    """Per scanned page, then per student: read (accepted, empty ones included), flagged, empty, and
    the pages of their worksheet not found in the scans."""
    batch = scanned.batch
    ids = identity(batch, range(len(batch.variants))).get("student_id")
    row = {variant: i for i, variant in enumerate(batch.variants)}
    out: list[list[object]] = []

    def counts(variant: str, blank_ids: list[str]) -> list[int]:
        ds = [scanned.decisions[(variant, b)] for b in blank_ids if (variant, b) in scanned.decisions]
        return [sum(d.accepted for d in ds), sum(not d.accepted for d in ds), sum(d.text == "" for d in ds)]

    for page in scanned.pages:
        known = page.variant in row
        student = ids[row[page.variant]] if ids and known else ""
        numbers = counts(page.variant, list(page.logp)) if page.status == READ else ["", "", ""]
        out.append(["page", Path(page.file).name, page.index, student, page.variant, page.number or "",
                    page.status, *numbers, ""])
    for r, variant in enumerate(batch.variants):
        pages = scanned.maps[variant].pages
        got = {p.number for p in scanned.pages if p.status == READ and p.variant == variant}
        missing = " ".join(str(n) for n in sorted(pages) if n not in got)
        blank_ids = [b.id for b in scanned.maps[variant].blanks]
        status = "no page found" if not got else "missing pages" if missing else "complete"
        out.append(["student", "", "", ids[r] if ids else "", variant, "", status,
                    *counts(variant, blank_ids), missing])
    return csv_bytes(REPORT_COLUMNS, [[spreadsheet_safe(str(c)) for c in line] for line in out])
