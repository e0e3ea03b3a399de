"""A two-column HTML table for the notebook views of a spec and a trace (`_repr_html_`)."""

from __future__ import annotations

from collections.abc import Iterable


def table(rows: Iterable[tuple[str, str]], caption: str) -> str:
    """A two-column table of already-escaped cells."""
    body = "".join(f'<tr><th style="text-align: left">{key}</th><td style="text-align: left">{value}</td></tr>'
                   for key, value in rows)
    return f'<table><caption style="text-align: left"><b>{caption}</b></caption>{body}</table>'
