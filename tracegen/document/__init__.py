"""The document model: a trace and a kind (worksheet, key or solution) -> sections of text and maths trees.

`DocumentModel` is what templates print; the public `tracegen.Document` (notebook.py) renders one.
"""

from tracegen.document.build import KINDS, DocumentModel, build

__all__ = ["KINDS", "DocumentModel", "build"]
