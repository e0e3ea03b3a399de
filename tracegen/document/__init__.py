"""The document model: a trace and a kind (worksheet or key) -> sections of text and maths trees."""

from tracegen.document.build import KINDS, Document, build

__all__ = ["KINDS", "Document", "build"]
