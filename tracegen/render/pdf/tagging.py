"""A tagged PDF's structure tree, finished where WeasyPrint's tagging stops: maths, page furniture, headers.

WeasyPrint (`pdf_tags`) tags what it lays out, in document order: headings, paragraphs, lists,
tables, figures (an SVG's `<title>` is its Alt), each run of text. What it cannot know is done
here, by the maths finisher (`finisher.Overlay`), on the objects WeasyPrint is about to write:

- Maths. A formula's placeholder is an empty `<a>` without a link (`finisher.placeholder`), so
  its structure element is an empty Link that nothing else makes. The finisher draws the block
  in marked content of its own, with a new MCID on its page (`mcid`), and `formulas` turns those
  Links, in document order, into Formula elements holding that content, their Alt the spoken
  text (`tracegen.maths.speech`). Only the placeholders' order is needed, no guess of where.
- Page furniture. The running header and footer (page margin boxes) are tagged text whose
  elements WeasyPrint links to no parent; `orphans` lists their MCIDs, which the finisher marks
  as Artifact instead (PDF/UA: headers and footers are artifacts, not content).
- Pictures' descriptions. A Figure's Alt is its SVG's `<title>`; the finisher sets it again from the
  document's own HTML (`figures`), since a layout is shared by variants whose charts say other losses.
- Table headers. A TH gets its Scope: Column in a header row, Row elsewhere (PDF/UA wants the
  header-to-cell association stated; WeasyPrint only writes the cells' Headers).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

from tracegen.errors import RenderError
from tracegen.render.pdf.stream import resolve


class Structure:
    """The structure tree of a tagged PDF being finished: elements in document order, MCIDs per page."""

    def __init__(self, pdf: Any) -> None:
        self.pdf = pdf
        root = resolve(pdf, pdf.catalog["StructTreeRoot"])
        nums = resolve(pdf, root["ParentTree"])["Nums"]
        self.parents = {int(nums[i]): resolve(pdf, nums[i + 1]) for i in range(0, len(nums), 2)
                        if int(nums[i]) < len(pdf.page_references)}  # page -> its MCIDs' elements
        self.elements = list(_walk(pdf, root["K"]))
        reachable = {reference for reference, _ in self.elements}
        self.orphans = {page: frozenset(mcid for mcid, ref in enumerate(array) if _key(ref) not in reachable)
                        for page, array in self.parents.items()}
        self.added: dict[int, list[bytes | None]] = {}  # page -> elements of the MCIDs given out, in order

    def mcid(self, page: int) -> int:
        """A new MCID on `page`, after WeasyPrint's (its element is set by `formulas`)."""
        added = self.added.setdefault(page, [])
        added.append(None)
        return len(self.parents[page]) + len(added) - 1

    def formulas(self, marked: dict[int, tuple[int, int]], spoken: Sequence[tuple[int, str]]) -> None:
        """The placeholders' Links, in document order, become Formula elements: block `spoken[i][0]`
        with Alt `spoken[i][1]`, holding the content marked (page, MCID) `marked[block]`."""
        import pydyf

        links = [(ref, element) for ref, element in self.elements if element.get("S") == "/Link"
                 and not element.get("K")]
        if len(links) != len(spoken):
            raise RenderError(f"PDF structure: {len(spoken)} formulas to tag, but {len(links)} placeholders "
                              "in the structure tree (did WeasyPrint's tagging change?)")
        for (reference, element), (index, alt) in zip(links, spoken, strict=True):
            if index not in marked:
                raise RenderError(f"PDF structure: formula block {index} ({alt[:40]}) was not drawn as tagged "
                                  "content")
            page, mcid = marked[index]
            element["S"] = "/Formula"
            element["Alt"] = pydyf.String(alt)
            element["K"] = pydyf.Array([mcid])
            element["Pg"] = self.pdf.page_references[page]
            self.added[page][mcid - len(self.parents[page])] = reference
        for page, added in self.added.items():
            if None in added:
                raise RenderError(f"PDF structure: page {page + 1} has marked maths with no formula element")
            self.parents[page].extend(added)

    def figures(self, described: Sequence[str]) -> None:
        """The Figures, in document order, say what the document's own pictures show: `described[i]` is the
        Alt of the i-th (WeasyPrint's Alt comes from the layout's HTML, which a batch's keys share)."""
        import pydyf

        figures = [element for _, element in self.elements if element.get("S") == "/Figure"]
        if len(figures) != len(described):
            raise RenderError(f"PDF structure: {len(described)} pictures to describe, but {len(figures)} figures "
                              "in the structure tree (did WeasyPrint's tagging change?)")
        for element, alt in zip(figures, described, strict=True):
            element["Alt"] = pydyf.String(alt)

    def scopes(self) -> None:
        """Each TH says whose header it is: its column's in a table's header row, else its row's."""
        import pydyf

        for _, element in self.elements:
            if element.get("S") == "/TH":
                row = resolve(self.pdf, element["P"])
                group = resolve(self.pdf, row["P"])
                attributes = element.setdefault("A", pydyf.Dictionary({"O": "/Table"}))
                attributes["Scope"] = "/Column" if group.get("S") == "/THead" else "/Row"


def _walk(pdf: Any, kids: Any) -> Iterator[tuple[bytes, Any]]:
    """(reference, element) of every structure element under `kids`, depth first, in document order."""
    for kid in resolve(pdf, kids) or ():
        element = resolve(pdf, kid)
        if isinstance(element, dict) and element.get("Type") == "/StructElem":
            yield _key(kid), element
            yield from _walk(pdf, element.get("K"))


def _key(reference: Any) -> bytes:
    """A reference as comparable bytes (pydyf writes `b"12 0 R"`; a str is taken as the same)."""
    return reference.encode() if isinstance(reference, str) else bytes(reference)
