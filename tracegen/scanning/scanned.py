"""What a scan gave (`scanning.run.scan`), as the outputs and the review page read it."""

from __future__ import annotations

from dataclasses import dataclass

from tracegen.batching.folder import Batch
from tracegen.scanning.decide import Decision
from tracegen.scanning.positions import Positions
from tracegen.scanning.read import READ, Page


@dataclass(frozen=True)
class Scanned:
    """Every page (in the order given), and per (variant, blank id) its decision."""

    batch: Batch
    maps: dict[str, Positions]
    pages: list[Page]
    decisions: dict[tuple[str, str], Decision]

    def page_of(self, variant: str, blank: str) -> Page:
        return next(p for p in self.pages if p.status == READ and p.variant == variant and blank in p.logp)
