"""The page code printed as a QR code on every paper-ready worksheet page.

TODO: form.PageCode — the paper worksheets' branch defines it in render/pdf/form.py; this private
copy reads the same text until then.
"""

from __future__ import annotations

import re
from typing import NamedTuple

_CODE = re.compile(r"TG1 ([0-9a-f]{10}) ([A-Za-z0-9_-]+) (worksheet) ([0-9]+) ([0-9]+) ([0-9a-f]{12})")


class PageCode(NamedTuple):
    """`TG1 <batch> <variant> <kind> <page> <pages> <doc>` (see docs/scanning.md)."""

    batch: str
    variant: str
    kind: str
    page: int
    pages: int
    doc: str

    def text(self) -> str:
        return f"TG1 {self.batch} {self.variant} {self.kind} {self.page} {self.pages} {self.doc}"

    @classmethod
    def parse(cls, text: str) -> PageCode | None:
        """The code in a QR code's text, or None for any other text."""
        found = _CODE.fullmatch(text.strip())
        if found is None:
            return None
        batch, variant, kind, page, pages, doc = found.groups()
        if not 1 <= int(page) <= int(pages):
            return None
        return cls(batch, variant, kind, int(page), int(pages), doc)
