"""Fillable worksheets: one PDF text field per blank, and the code that names the worksheet.

A fillable worksheet is the printed one with an AcroForm text field over each blank, named by
the blank's id (`e1:z1:0:1:0`, as answers.csv's columns), so a student types the answers in
any PDF reader and `tracegen grade` reads them back (`tracegen.grading.filled`). The fields
sit exactly on the boxes the finisher draws (`finisher.Overlay` records each blank's
rectangle where it draws its block: no second estimate of the layout), and their default
values are empty: the worksheet holds no answer.

The worksheet's code rides in a hidden, read-only field (`CODE_FIELD`): the variant id and a
fingerprint of the variant's spec, so grading matches a file to its variant by what it is,
not by its name, and refuses a worksheet of another batch. The HTML asks for a form with
a `<meta name="tracegen-form">` (WeasyPrint keeps it in `document.metadata.custom`), so
every other document, worksheet or key, is laid out and written exactly as before.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from typing import Any, NamedTuple

from tracegen.render.pdf.stream import resolve
from tracegen.spec.model import Spec

META = "tracegen-form"  # the HTML <meta> name that asks for a fillable PDF, its content the code
CODE_FIELD = "tracegen"  # the hidden field holding the code
_PREFIX = "tracegen-form/1"
_FONT = "Helv"  # the default appearance's font: Helvetica, which every PDF reader has
_TEXT_PT = 11.0  # typed answers' size, at most; smaller in a blank less tall than twice it


class Code(NamedTuple):
    """What a fillable worksheet says it is: its variant id and its spec's fingerprint."""

    variant: str
    fingerprint: str

    def text(self) -> str:
        return f"{_PREFIX} variant={self.variant} spec={self.fingerprint}"

    @classmethod
    def parse(cls, text: str) -> Code | None:
        """The code in `text`, None if it is not one."""
        parts = text.split()
        if len(parts) != 3 or parts[0] != _PREFIX:
            return None
        fields = dict(part.partition("=")[::2] for part in parts[1:])
        if set(fields) != {"variant", "spec"}:
            return None
        return cls(fields["variant"], fields["spec"])


def fingerprint(spec: Spec) -> str:
    """A short hash of the spec's content (its numbers, network and settings), the same for the
    spec a worksheet was rendered from and for its variant's spec.yaml read back by grading."""
    text = json.dumps(spec.to_dict(), sort_keys=True, separators=(",", ":"), default=_plain)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:20]


def _plain(value: Any) -> Any:
    """NumPy scalars and arrays as JSON writes Python's own."""
    return value.tolist() if hasattr(value, "tolist") else str(value)


class Blank(NamedTuple):
    """A blank the finisher drew: its page (0-based), its rectangle in PDF user space
    (left, bottom, right, top, points) and its id; `cell` names one of a paper-ready blank's
    character cells ("sign", "digit", "point"), "" the whole blank."""

    page: int
    rect: tuple[float, float, float, float]
    name: str
    cell: str = ""


PAGE_TAG = "TG1"  # a paper-ready page's code starts with it (docs/paper.md)


class PageCode(NamedTuple):
    """What a paper-ready worksheet's page says it is, in its QR code: `TG1 <batch> <variant> <kind>
    <page> <pages> <doc>` (batch: 10 hex digits; doc: 12 hex digits of the sha256 of the variant's
    spec fingerprint, so a reprint of an edited spec is told apart). Holds no answer."""

    batch: str
    variant: str
    kind: str
    page: int
    pages: int
    doc: str

    def text(self) -> str:
        return f"{PAGE_TAG} {self.batch} {self.variant} {self.kind} {self.page} {self.pages} {self.doc}"

    @classmethod
    def parse(cls, text: str) -> PageCode | None:
        """The page code in `text` (a QR code's content), None if it is not one."""
        parts = text.split()
        if len(parts) != 7 or parts[0] != PAGE_TAG or not parts[4].isdigit() or not parts[5].isdigit():
            return None
        batch, variant, kind, page, pages, doc = parts[1:]
        if not (_hex(batch, 10) and _hex(doc, 12) and 1 <= int(page) <= int(pages)):
            return None
        return cls(batch, variant, kind, int(page), int(pages), doc)


def _hex(text: str, length: int) -> bool:
    return len(text) == length and all(c in "0123456789abcdef" for c in text)


def doc_hash(spec_fingerprint: str) -> str:
    """A page code's `doc`: 12 hex digits of the sha256 of the spec's `fingerprint`."""
    return hashlib.sha256(spec_fingerprint.encode("ascii")).hexdigest()[:12]


def add_fields(pdf: Any, code: str, blanks: Sequence[Blank]) -> None:
    """Give `pdf` (pydyf, in WeasyPrint's finisher) an AcroForm: a text field over each blank,
    and the hidden read-only field with the worksheet's code. A blank printed twice (an
    epoch's loss, again in the table of losses) is one field with a widget at each place, so
    what is typed in one shows in the other, and grading reads one value."""
    import pydyf

    font = pydyf.Dictionary({"Type": "/Font", "Subtype": "/Type1", "BaseFont": "/Helvetica",
                             "Encoding": "/WinAnsiEncoding"})
    pdf.add_object(font)
    fields = pydyf.Array()
    pdf.catalog["AcroForm"] = pydyf.Dictionary({
        "Fields": fields, "NeedAppearances": "true",
        "DR": pydyf.Dictionary({"Font": pydyf.Dictionary({_FONT: font.reference})}),
        "DA": pydyf.String(f"/{_FONT} {_TEXT_PT:g} Tf 0 g"),
    })
    pages = [resolve(pdf, reference) for reference in pdf.page_references]
    hidden = pydyf.Dictionary({
        "Type": "/Annot", "Subtype": "/Widget", "FT": "/Tx", "T": pydyf.String(CODE_FIELD),
        "V": pydyf.String(code), "DV": pydyf.String(code), "Ff": 1,  # read-only
        "F": 2, "Rect": pydyf.Array((0, 0, 0, 0)), "P": pages[0].reference,  # hidden
        "DA": pydyf.String(f"/{_FONT} {_TEXT_PT:g} Tf 0 g"),
    })
    _annotate(pdf, pages[0], hidden)
    fields.append(hidden.reference)
    places: dict[str, list[Blank]] = {}
    for blank in blanks:
        places.setdefault(blank.name, []).append(blank)
    for name, where in places.items():
        field = pydyf.Dictionary({"FT": "/Tx", "T": pydyf.String(name), "TU": pydyf.String(f"answer {name}"),
                                  "V": pydyf.String(""), "DV": pydyf.String("")})
        if len(where) == 1:  # field and widget in one dictionary, as usual
            field.update(_widget(pages[where[0].page], where[0]))
            _annotate(pdf, pages[where[0].page], field)
        else:
            pdf.add_object(field)
            field["Kids"] = pydyf.Array()
            for blank in where:
                widget = _widget(pages[blank.page], blank)
                widget["Parent"] = field.reference
                _annotate(pdf, pages[blank.page], widget)
                field["Kids"].append(widget.reference)
        fields.append(field.reference)


def _widget(page: Any, blank: Blank) -> Any:
    """The widget annotation of a blank's field at one place: its box, and how typed text looks."""
    import pydyf

    left, bottom, right, top = blank.rect
    size = min(_TEXT_PT, round((top - bottom) * 0.55, 1))
    return pydyf.Dictionary({
        "Type": "/Annot", "Subtype": "/Widget", "F": 4, "Q": 2,  # printed; right-aligned, as numbers are
        "Rect": pydyf.Array(round(v, 3) for v in (left, bottom, right, top)), "P": page.reference,
        "DA": pydyf.String(f"/{_FONT} {size:g} Tf 0 g"), "MK": pydyf.Dictionary(),
    })


def _annotate(pdf: Any, page: Any, widget: Any) -> None:
    """Add `widget` to the PDF and to its page's annotations."""
    import pydyf

    pdf.add_object(widget)
    if "Annots" not in page:
        page["Annots"] = pydyf.Array()
    page["Annots"].append(widget.reference)
