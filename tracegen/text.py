"""User text made safe to show: on a page (one line, no control characters, right-to-left
text isolated) and in an error message (quoted, escaped and short).

Names and titles come from rosters and specs that anyone may have typed, pasted or
crafted: an ESC or NUL would pass raw into every format, a newline would break a one-line
header, a right-to-left override (U+202E) at the end of a name would print the id after
it backwards, and a 10 KB name would crowd out everything else.
"""

from __future__ import annotations

import unicodedata

FSI, PDI = "\u2068", "\u2069"  # first-strong isolate ... pop directional isolate (Unicode TR9)
# Explicit embeddings and overrides (LRE RLE PDF LRO RLO) and isolates (LRI RLI FSI PDI):
# removed from names, so nothing a name holds can reach past it; its letters keep their
# own direction.
OVERRIDES, ISOLATES = "\u202a\u202b\u202c\u202d\u202e", "\u2066\u2067\u2068\u2069"
_CONTROLS = {code: " " for code in (*range(0x20), *range(0x7F, 0xA0))} | {ord(c): None for c in OVERRIDES}
_ISOLATES = {ord(c): None for c in ISOLATES}
MAX_LABEL = 190  # characters of a student label on a page: a 120-character name, " (", a 64-character id, ")"
QUOTE = 40  # characters of user text quoted in an error message


def one_line(text: str) -> str:
    """`text` without control characters (C0, DEL, C1) or explicit bidi controls, each run of
    whitespace (newlines included) one space, trimmed. Idempotent."""
    return " ".join(text.translate(_CONTROLS).translate(_ISOLATES).split())


def shorten(text: str, limit: int) -> str:
    """`text` cut to at most `limit` characters, ending in "…" when cut."""
    return text if len(text) <= limit else text[: max(limit - 1, 0)] + "…"


def isolated(text: str) -> str:
    """`text` wrapped in FSI … PDI when it holds right-to-left letters, so its direction
    cannot reorder the text printed after it (the id after a Hebrew or Arabic name)."""
    if any(unicodedata.bidirectional(char) in ("R", "AL") for char in text):
        return FSI + text + PDI
    return text


def label(name: str | None, ident: str, limit: int = MAX_LABEL) -> str:
    """`Name (id)` in at most `limit` characters: a long name is shortened, never the id."""
    if not name:
        return ident
    room = max(limit - len(ident) - 3, 1)
    return f"{isolated(shorten(one_line(name), room))} ({ident})"


def page_line(text: str | None, limit: int = MAX_LABEL) -> str | None:
    """Free text as printed in a page header: one line of at most `limit` characters, or None.

    Isolates stay when they pair up (a `label` isolates a right-to-left name), else go.
    """
    if text is None:
        return None
    line = shorten(" ".join(str(text).translate(_CONTROLS).split()), limit)
    return (line if _paired(line) else line.translate(_ISOLATES)) or None


def _paired(text: str) -> bool:
    """Whether every isolate initiator in `text` is closed by a PDI, and no PDI is unopened."""
    depth = 0
    for char in text:
        if char in ISOLATES:
            depth += -1 if char == PDI else 1
            if depth < 0:
                return False
    return depth == 0


def quote(text: object, limit: int = QUOTE) -> str:
    """User text for an error message: repr-quoted (control and bidi characters escaped),
    at most `limit` characters of it, with the full length when cut."""
    value = str(text)
    if len(value) <= limit:
        return repr(value)
    return f"{shorten(value, limit)!r} ({len(value):,} characters)"


def plain(name: object, limit: int = QUOTE) -> str:
    """A key or id inside a message: as is when short and printable, else `quote`d."""
    try:
        value = str(name)
    except ValueError:  # an int too long to print
        return "<a number too long to print>"
    return value if value.isprintable() and 0 < len(value) <= limit else quote(value, limit)
