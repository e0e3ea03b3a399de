"""PDF/UA-1 checks for the tests: the Matterhorn Protocol's machine-checkable conditions that apply to
tracegen's PDFs, read with pikepdf (QPDF), which tracegen's own PDF code never uses.

Each problem names its Matterhorn condition (docs/accessibility.md lists them). `problems(pdf)` is
empty for a document that passes every one of them; it is not a conformance claim for the
conditions a program cannot decide (is the Alt text right, is the reading order sensible).
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from typing import Any

import pikepdf

STANDARD_TYPES = frozenset(  # ISO 32000-1 §14.8.4: the standard structure types
    "Document Part Art Sect Div BlockQuote Caption TOC TOCI Index NonStruct Private P H H1 H2 H3 H4 H5 H6 "
    "L LI Lbl LBody Table TR TH TD THead TBody TFoot Span Quote Note Reference BibEntry Code Link Annot "
    "Ruby RB RT RP Warichu WT WP Figure Formula Form".split())
PARENTS = {  # 09-004 … 09-008: a table's and a list's parts where they belong
    "TR": {"Table", "THead", "TBody", "TFoot"}, "TH": {"TR"}, "TD": {"TR"}, "THead": {"Table"},
    "TBody": {"Table"}, "TFoot": {"Table"}, "LI": {"L"}, "LBody": {"LI"}, "Lbl": {"LI"},
}
TEXT_OPERATORS = frozenset({"Tj", "TJ", "'", '"'})


def problems(data: bytes) -> list[str]:
    """Every failed condition of the PDF, as "condition: what", in document order."""
    with pikepdf.open(io.BytesIO(data)) as pdf:
        out = _document(pdf)
        if "/StructTreeRoot" not in pdf.Root:
            return [*out, "01-001: no structure tree (not a tagged PDF)"]
        elements = list(_walk(pdf.Root.StructTreeRoot))
        out += _structure(elements)
        reachable = {element.objgen for element, _ in elements}
        for number, page in enumerate(pdf.pages, start=1):
            marked = _parent_tree(pdf, page)
            out += [f"page {number}: {p}" for p in _content(page.obj, marked, reachable, set())]
            out += [f"page {number}: {p}" for p in _fonts(page.obj)]
            out += [f"page {number}: 28-002: annotation {a.get('/Subtype')} has no StructParent"
                    for a in page.obj.get("/Annots", []) if "/StructParent" not in a]
        return out


def _document(pdf: pikepdf.Pdf) -> list[str]:
    """06-001 … 06-003 (metadata, PDF/UA identifier, title), 07-001 (title shown), 11-001 (language),
    01-002 (marked), 01-007 (no suspects)."""
    out = []
    root = pdf.Root
    meta = pdf.open_metadata()
    if "/Metadata" not in root:
        out.append("06-001: no XMP metadata stream")
    if str(meta.get("pdfuaid:part", "")) != "1":
        out.append("06-002: the metadata has no PDF/UA identifier (pdfuaid:part 1)")
    if not str(meta.get("dc:title", "")).strip():
        out.append("06-003: the metadata has no dc:title")
    preferences = root.get("/ViewerPreferences", {})
    if not bool(preferences.get("/DisplayDocTitle", False)):
        out.append("07-001: ViewerPreferences has no DisplayDocTitle true")
    if not str(root.get("/Lang", "")).strip():
        out.append("11-001: the document has no natural language (/Lang)")
    mark_info = root.get("/MarkInfo", {})
    if not bool(mark_info.get("/Marked", False)):
        out.append("01-002: MarkInfo has no Marked true")
    if bool(mark_info.get("/Suspects", False)):
        out.append("01-007: MarkInfo says Suspects true")
    return out


def _walk(node: Any, parent: str = "StructTreeRoot") -> Iterator[tuple[Any, str]]:
    """(element, its parent's type) of each structure element, depth first, in document order."""
    kids = node.get("/K")
    if kids is None:
        return
    for kid in kids if isinstance(kids, pikepdf.Array) else [kids]:
        if isinstance(kid, pikepdf.Dictionary) and kid.get("/Type", pikepdf.Name.StructElem) == "/StructElem" \
                and "/S" in kid:
            yield kid, parent
            yield from _walk(kid, str(kid.S)[1:])


def _structure(elements: list[tuple[Any, str]]) -> list[str]:
    """02-001 (standard types), 13-004 (Figure Alt), 17-002 (Formula Alt), 14-003 (headings in order,
    no level skipped), 09-004 … 09-008 (table and list parts), 15-003 (TH scope)."""
    out, level = [], 0
    for element, parent in elements:
        kind = str(element.S)[1:]
        if kind not in STANDARD_TYPES:
            out.append(f"02-001: structure type {kind} is not a standard one (and no role map)")
        if kind in ("Figure", "Formula") and not str(element.get("/Alt", element.get("/ActualText", ""))).strip():
            out.append(f"{'13-004' if kind == 'Figure' else '17-002'}: a {kind} has no alternative text")
        if kind in ("H1", "H2", "H3", "H4", "H5", "H6"):
            if int(kind[1]) > level + 1:
                out.append(f"14-003: {kind} follows H{level}" if level else f"14-002: the first heading is {kind}")
            level = int(kind[1])
        if kind in PARENTS and parent not in PARENTS[kind]:
            out.append(f"09-00x: {kind} inside {parent}")
        if kind == "TH" and "/Scope" not in element.get("/A", {}) and "/ID" not in element:
            out.append("15-003: a TH has neither Scope nor ID (for Headers)")
    return out


def _parent_tree(pdf: pikepdf.Pdf, page: Any) -> dict[int, Any]:
    """MCID -> structure element of a page, from the structure tree's ParentTree."""
    if "/StructParents" not in page.obj:
        return {}
    nums = pdf.Root.StructTreeRoot.ParentTree.Nums
    key = int(page.obj.StructParents)
    for i in range(0, len(nums), 2):
        if int(nums[i]) == key:
            return {mcid: element for mcid, element in enumerate(nums[i + 1])}
    return {}


def _content(stream: Any, marked: dict[int, Any], reachable: set[Any], seen: set[Any]) -> list[str]:
    """01-005 (all text is an artifact or tagged content reachable from the structure tree), 01-003 and
    01-004 (no tagged content inside an artifact, no artifact inside tagged content), in a content
    stream and the form XObjects it paints."""
    out = []
    stack: list[str] = []  # "artifact", "tagged" or "other" per open marked-content sequence
    for operands, operator in pikepdf.parse_content_stream(stream):
        name = str(operator)
        if name in ("BDC", "BMC"):
            tag = str(operands[0])
            mcid = operands[1].get("/MCID") if name == "BDC" and isinstance(operands[1], pikepdf.Dictionary) else None
            if tag == "/Artifact":
                if "tagged" in stack:
                    out.append("01-004: an artifact inside tagged content")
                stack.append("artifact")
            elif mcid is not None:
                if "artifact" in stack:
                    out.append(f"01-003: tagged content (MCID {mcid}) inside an artifact")
                element = marked.get(int(mcid))
                if element is None or element.objgen not in reachable:
                    out.append(f"01-005: MCID {mcid} ({tag}) belongs to no structure element in the tree")
                stack.append("tagged")
            else:
                stack.append("other")
        elif name == "EMC" and stack:
            stack.pop()
        elif name in TEXT_OPERATORS and not ({"artifact", "tagged"} & set(stack)):
            out.append("01-005: text neither tagged nor marked as an artifact")
        elif name == "Do":
            xobject = stream.get("/Resources", {}).get("/XObject", {}).get(str(operands[0]))
            if xobject is not None and xobject.get("/Subtype") == "/Form" and xobject.objgen not in seen:
                seen.add(xobject.objgen)
                out += _content(xobject, marked, reachable, seen)
    return sorted(set(out), key=out.index)


def _fonts(page: Any) -> list[str]:
    """31-001 … 31-009 (every font program embedded), 31-027 (each font maps its glyphs to Unicode)."""
    out = []
    for name, font in page.get("/Resources", {}).get("/Font", {}).items():
        descendants = font.get("/DescendantFonts", [font])
        for part in descendants:
            descriptor = part.get("/FontDescriptor", {})
            if part.get("/Subtype") != "/Type3" and not any(k in descriptor for k in ("/FontFile", "/FontFile2",
                                                                                      "/FontFile3")):
                out.append(f"31-001: font {name} ({part.get('/BaseFont')}) is not embedded")
        if "/ToUnicode" not in font:
            out.append(f"31-027: font {name} ({font.get('/BaseFont')}) has no ToUnicode map")
    return out
