"""Measure how LaTeX sets the formulas of tests/typeset_formulas.py; write tests/render/latex_gaps.json.

    python scripts/latex_gaps.py

Each formula is set by pdflatex (Computer Modern, display style, at the PDF's text size),
drawn by pdftoppm at 2400 dpi and measured: the gaps between the runs of ink from left to
right, and for a superscript over a subscript, where their ink ends (above and below the
baseline). The tests compare tracegen's PDF typesetting with these numbers, so CI needs no
TeX. Needs Debian's texlive-latex-base and poppler-utils.
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np
from PIL import Image

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]

from typeset_formulas import AXIS, FONT_PT, FORMULAS, STACKED, ink_gaps  # noqa: E402

from tracegen.maths.latex import latex  # noqa: E402

DPI = 2400
MARGIN_PT = 10.0
OUT = ROOT / "tests" / "render" / "latex_gaps.json"
DOCUMENT = r"""\documentclass{article}
\usepackage{amsmath}
\newbox\formula
\hoffset=-1in \voffset=-1in
\begin{document}
\setbox\formula\hbox{\fontsize{%(pt)s}{%(pt)s}\selectfont$\displaystyle %(maths)s$}
\typeout{HEIGHT \the\ht\formula}
\pdfpagewidth=\dimexpr\wd\formula+%(margin)spt*2\relax
\pdfpageheight=\dimexpr\ht\formula+\dp\formula+%(margin)spt*2\relax
\shipout\vbox{\kern%(margin)spt\hbox{\kern%(margin)spt\box\formula}}
\end{document}
"""


def measure(maths: str, stacked: bool, work: Path) -> dict[str, object]:
    """Set `maths` with pdflatex, draw it, and measure its ink (em)."""
    source = work / "formula.tex"
    source.write_text(DOCUMENT % {"pt": FONT_PT, "maths": maths, "margin": MARGIN_PT}, "utf-8")
    subprocess.run(["pdflatex", "-interaction=nonstopmode", "-halt-on-error", source.name], cwd=work, check=True,
                   capture_output=True)
    height = float(next(line.split()[1][:-2] for line in (work / "formula.log").read_text().splitlines()
                        if line.startswith("HEIGHT ")))
    subprocess.run(["pdftoppm", "-r", str(DPI), "-png", "-singlefile", "formula.pdf", "formula"], cwd=work,
                   check=True)
    ink = np.asarray(Image.open(work / "formula.png").convert("L")) < 128
    px = DPI / 72.27  # pixels per TeX point
    em = FONT_PT * px
    left, baseline = MARGIN_PT * px, (MARGIN_PT + height) * px
    columns = np.flatnonzero(ink.any(axis=0))
    intervals = [((c - left) / em, (c + 1 - left) / em) for c in columns]
    found: dict[str, object] = {"latex": maths, "gaps": ink_gaps(intervals)}
    if stacked:  # the ink right of the base letter (the first run of ink): scripts, above and below the axis
        first = columns[np.flatnonzero(np.diff(columns) > 1)[0]] + 1
        rows = np.flatnonzero(ink[:, first:].any(axis=1))
        axis = baseline - AXIS * em
        found["sup_bottom"] = round((baseline - rows[rows < axis].max() - 1) / em, 3)
        found["sub_top"] = round((baseline - rows[rows >= axis].min()) / em, 3)
    return found


def main() -> int:
    results = {}
    with tempfile.TemporaryDirectory(prefix="tracegen-latex-") as tmp:
        for name, node in FORMULAS.items():
            results[name] = measure(latex(node), name in STACKED, Path(tmp))
    lines = ",\n".join(f"{json.dumps(name)}: {json.dumps(value, ensure_ascii=False)}"
                        for name, value in results.items())
    OUT.write_text("{\n" + lines + "\n}\n", "utf-8")
    print(f"{len(results)} formulas measured into {OUT}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
