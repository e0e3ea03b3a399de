"""Whether a name or title can be printed whole: by the shipped faces, or else by a font the system has.

The shipped text faces draw Latin with its extensions and Vietnamese, Greek and Cyrillic in
their own style (`assets.REPERTOIRE_SPANS`). Any other character is drawn by a system font
that has it: WeasyPrint asks fontconfig through Pango for the PDF, a browser its own fonts
for the HTML. A character that no font has prints as a box or a gap, so user text is checked
before it is laid out and refused naming the missing characters and a package that has them.
The system's fonts are listed once per process through fontconfig itself (the library Pango
uses, reached with cffi as WeasyPrint does), so `FONTCONFIG_FILE` and newly installed fonts
count as they do for the PDF; nothing is asked of fontconfig while every character is shipped.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Callable
from functools import cache
from typing import Any

from tracegen.errors import InputError
from tracegen.fontmetrics import face

TEXT_FACES = ("regular", "italic", "bold")
SHOWN = 8  # missing characters a message names

# A font for a script: (first, last code point, script, Debian/Ubuntu package, Homebrew cask).
_CJK = ("fonts-noto-cjk", "font-noto-sans-cjk")
_CORE = "fonts-noto-core"
PACKAGES = (
    (0x0590, 0x05FF, "Hebrew", _CORE, "font-noto-sans-hebrew"),
    (0x0600, 0x06FF, "Arabic", _CORE, "font-noto-sans-arabic"),
    (0x0750, 0x077F, "Arabic", _CORE, "font-noto-sans-arabic"),
    (0x08A0, 0x08FF, "Arabic", _CORE, "font-noto-sans-arabic"),
    (0x0900, 0x097F, "Devanagari", _CORE, "font-noto-sans-devanagari"),
    (0x0E00, 0x0E7F, "Thai", _CORE, "font-noto-sans-thai"),
    (0x1100, 0x11FF, "Hangul", *_CJK),
    (0x2600, 0x27BF, "emoji", "fonts-noto-color-emoji", "font-noto-color-emoji"),
    (0x2E80, 0x2FDF, "Han", *_CJK),
    (0x3000, 0x303F, "CJK punctuation", *_CJK),
    (0x3040, 0x30FF, "Kana", *_CJK),
    (0x3130, 0x318F, "Hangul", *_CJK),
    (0x31F0, 0x31FF, "Kana", *_CJK),
    (0x3400, 0x4DBF, "Han", *_CJK),
    (0x4E00, 0x9FFF, "Han", *_CJK),
    (0xAC00, 0xD7AF, "Hangul", *_CJK),
    (0xF900, 0xFAFF, "Han", *_CJK),
    (0xFB1D, 0xFB4F, "Hebrew", _CORE, "font-noto-sans-hebrew"),
    (0xFB50, 0xFDFF, "Arabic", _CORE, "font-noto-sans-arabic"),
    (0xFE70, 0xFEFF, "Arabic", _CORE, "font-noto-sans-arabic"),
    (0xFF00, 0xFFEF, "CJK punctuation", *_CJK),
    (0x1F000, 0x1FAFF, "emoji", "fonts-noto-color-emoji", "font-noto-color-emoji"),
    (0x20000, 0x3134F, "Han", *_CJK),
)
OTHER = ("", _CORE, "font-noto-sans")  # a script not listed: Noto covers most
# cffi declarations of the few fontconfig calls used (fontconfig.h; FcSetSystem is 0, FcResultMatch 0)
_DECLARATIONS = """
typedef struct _FcConfig FcConfig; typedef struct _FcPattern FcPattern; typedef struct _FcCharSet FcCharSet;
typedef struct { int nfont; int sfont; FcPattern **fonts; } FcFontSet;
FcConfig *FcInitLoadConfigAndFonts(void);
FcFontSet *FcConfigGetFonts(FcConfig *config, int set);
int FcPatternGetCharSet(FcPattern *p, const char *object, int n, FcCharSet **c);
int FcCharSetHasChar(const FcCharSet *fcs, unsigned int ucs4);
"""
_LIBRARIES = ("libfontconfig.so.1", "libfontconfig.1.dylib", "libfontconfig-1.dll", "fontconfig-1", "fontconfig")


class UnprintableText(InputError):
    """A name or title holds characters no available font draws (exit 2; in a batch, that student's error)."""


def missing(text: str) -> list[str]:
    """The characters of `text` that neither the shipped faces nor a system font draw, each once, in order.

    Characters that draw nothing themselves are not asked for: spaces, format controls (the
    bidi isolates around a right-to-left name, the joiners inside an emoji sequence) and
    variation selectors.
    """
    wanted = [c for c in dict.fromkeys(text) if not (c.isspace() or unicodedata.category(c) == "Cf"
                                                      or _selector(c) or _shipped(c))]
    return [c for c in wanted if not any(has(ord(c)) for has in system_fonts())]


def require_printable(text: str | None, what: str, hint: str = "") -> None:
    """UnprintableText when `text` cannot be printed whole: `what` (e.g. "the name 'Li 李'") cannot be printed
    whole, the characters no font draws, which packages to install, and `hint` (another way out)."""
    lacking = missing(text or "")
    if lacking:
        raise UnprintableText(f"{what} cannot be printed whole: no font here draws {_listed(lacking)}; "
                              f"{_advice(lacking)}{hint}")


def package(char: str) -> tuple[str, str, str]:
    """(script, Debian/Ubuntu package, Homebrew cask) of a font that draws `char`."""
    code = ord(char)
    return next((entry[2:] for entry in PACKAGES if entry[0] <= code <= entry[1]), OTHER)


def _listed(chars: list[str]) -> str:
    named = ", ".join(f"{c} (U+{ord(c):04X})" for c in chars[:SHOWN])
    return named + (f" and {len(chars) - SHOWN} more" if len(chars) > SHOWN else "")


def _advice(chars: list[str]) -> str:
    found = dict.fromkeys(package(c) for c in chars)
    scripts = " and ".join(dict.fromkeys(script for script, _, _ in found if script)) or "them"
    debian = " ".join(dict.fromkeys(debian for _, debian, _ in found))
    brew = " ".join(dict.fromkeys(brew for _, _, brew in found))
    where = "" if _fontconfig() is not None else " and fontconfig (libfontconfig1), which finds fonts,"
    return (f"install a font for {scripts}{where} (Debian/Ubuntu: apt-get install {debian}; "
            f"macOS: brew install --cask {brew})")


def _selector(char: str) -> bool:
    return 0xFE00 <= ord(char) <= 0xFE0F or 0xE0100 <= ord(char) <= 0xE01EF


def _shipped(char: str) -> bool:
    return all(face(name).has(char) for name in TEXT_FACES)


@cache
def system_fonts() -> tuple[Callable[[int], bool], ...]:
    """One test per font fontconfig lists: does it draw this code point? (None where fontconfig is missing.)"""
    found = _fontconfig()
    if found is None:
        return ()
    ffi, lib = found
    fonts = lib.FcConfigGetFonts(lib.FcInitLoadConfigAndFonts(), 0)
    tests = []
    for i in range(0 if fonts == ffi.NULL else fonts.nfont):
        charset = ffi.new("FcCharSet **")
        if lib.FcPatternGetCharSet(fonts.fonts[i], b"charset", 0, charset) == 0:
            tests.append(_member(lib, charset[0]))
    return tuple(tests)


def _member(lib: Any, charset: Any) -> Callable[[int], bool]:
    return lambda code: bool(lib.FcCharSetHasChar(charset, code))


@cache
def _fontconfig() -> tuple[Any, Any] | None:
    """cffi's handle on the fontconfig library, or None where it cannot be opened."""
    try:
        import cffi
    except ImportError:
        return None
    ffi = cffi.FFI()
    ffi.cdef(_DECLARATIONS)
    for name in _LIBRARIES:
        try:
            return ffi, ffi.dlopen(name)
        except OSError:
            continue
    return None
