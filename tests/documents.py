"""Shared helpers for the document tests: rendered documents (cached per session), text extraction, and the
traces of drawn variants."""

from __future__ import annotations

import io
import re
from collections.abc import Sequence
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd
import pypdf

import tracegen
from tracegen.numbers import format_number
from tracegen.render import render_documents

if TYPE_CHECKING:
    from tracegen.batching.variants import Variant

ALL = (("worksheet", "key"), ("md", "html", "pdf"))
SPECS = Path(__file__).parent / "specs"  # the read-through's networks: softmax (4-3-3), tanh (2-3-3-2), ...

# A 4-layer network on a batch of 3 samples, with a wide first layer (9 inputs) so matrices
# are wide, and every hidden activation kind.
DEEP: dict[str, Any] = {
    "title": "Deep batch",
    "network": {"layers": [
        {"units": 4, "activation": "relu",
         "W": [[(i + 2 * j) % 5 - 2 for i in range(9)] for j in range(4)], "b": [0, 1, -1, 0]},
        {"units": 3, "activation": "tanh", "W": [[0.5, -1, 0, 1], [1, 0.5, -0.5, 0], [0, 1, 1, -1]],
         "b": [0, 0.5, -0.5]},
        {"units": 3, "activation": {"name": "leaky_relu", "slope": 0.1},
         "W": [[1, -1, 0.5], [0, 1, -1], [-1, 0.5, 1]], "b": [0.1, 0, -0.1]},
        {"units": 2, "activation": "sigmoid", "W": [[1, -1, 0.5], [-0.5, 1, 1]], "b": [0, 0]},
    ]},
    "loss": {"name": "mse", "scale": 0.5, "reduction": "sum"},
    "data": {"x": [[1, 0, 1, 2, -1, 0, 1, 1, 0], [0, 1, -1, 1, 0, 2, 0, -1, 1], [2, 1, 0, 0, 1, -1, 1, 0, 0]],
             "y": [[1, 0], [0, 1], [1, 1]]},
    "training": {"learning_rate": 0.5, "epochs": 1},
    "display": {"decimals": 3},
}

# A softmax / cross-entropy classifier: tanh hidden layer, 3 classes, a batch of 2 samples
# given as class indices, 2 epochs.
SOFTMAX: dict[str, Any] = {
    "title": "Softmax classifier",
    "network": {"layers": [
        {"units": 3, "activation": "tanh", "W": [[1, -1], [0.5, 1], [-1, 0]], "b": [0, 0.5, -0.5]},
        {"units": 3, "activation": "softmax", "W": [[1, 0, -1], [-1, 1, 0], [0.5, -0.5, 1]], "b": [0, 0, 0]},
    ]},
    "loss": "cross_entropy",
    "data": {"x": [[1, 2], [-1, 0.5]], "y": [0, 2]},
    "training": {"learning_rate": 0.5, "epochs": 2},
    "display": {"decimals": 3},
}


@cache
def spec_trace(name: str) -> tracegen.Trace:
    """The trace of tests/specs/`name`.yaml."""
    return tracegen.trace(tracegen.load_spec(SPECS / f"{name}.yaml"))


@cache
def class3_trace() -> tracegen.Trace:
    return tracegen.trace(tracegen.load_example())


def variants_frame(variants: Sequence[Variant]) -> pd.DataFrame:
    """The trace frames of drawn variants one after another, each traced on its own as a batch does."""
    return pd.concat([tracegen.trace(v.spec, variant=v.id).df for v in variants], ignore_index=True)


@cache
def class3_documents() -> dict[tuple[str, str], bytes]:
    return render_documents(class3_trace(), *ALL)


@cache
def deep_documents() -> dict[tuple[str, str], bytes]:
    return render_documents(tracegen.trace(tracegen.Spec.from_dict(DEEP)), *ALL)


def pdf_text(data: bytes) -> str:
    """All page text plus the metadata values, with the typographic minus as '-'."""
    reader = pypdf.PdfReader(io.BytesIO(data))
    pages = "\n".join(page.extract_text() for page in reader.pages)
    meta = " ".join(str(v) for v in (reader.metadata or {}).values())
    return (pages + "\n" + meta).replace("\u2212", "-")


def searchable(kind: str, fmt: str, documents: dict[tuple[str, str], bytes]) -> str:
    """What a reader (or a curious student) can search in a document of this format."""
    data = documents[(kind, fmt)]
    return pdf_text(data) if fmt == "pdf" else data.decode("utf-8").replace("\u2212", "-")


def distinctive_answers(trace: tracegen.Trace) -> set[str]:
    """Printed answers that no given (or its digits) could explain: non-integers not inside any given's text.

    Integers such as 0, 1 or 2 also appear as givens, indices and page numbers, so they
    cannot be searched naively; the shape of the blanks covers them instead.
    """
    decimals = trace.spec.decimals
    df = trace.df
    givens = df[(df["name"].isin(["x", "y"])) | ((df["phase"] == "params") & (df["epoch"] == 1))]
    given_text = {format_number(v, None) for v in givens["value"]} | {format_number(trace.spec.learning_rate, None)}
    answers = {format_number(v, decimals) for v in trace.blanks()["value"]}
    return {a for a in answers if "." in a and not any(a in g or g == a for g in given_text)}


def md_math_balanced(text: str) -> bool:
    """Every `$$` block closes, and every line outside blocks has an even number of unescaped `$`."""
    if text.count("$$") % 2:
        return False
    outside = re.sub(r"\$\$.*?\$\$", "", text, flags=re.DOTALL)
    return all(len(re.findall(r"(?<!\\)\$", line)) % 2 == 0 for line in outside.splitlines())
