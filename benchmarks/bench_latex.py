"""A class set of PDFs: `tracegen batch --to pdf` against a pdflatex pipeline of the same documents, one run.

Usage: python benchmarks/bench_latex.py [--variants N] [--repeat R] [--jobs J]

The pipeline is what a LaTeX-based tool such as R/exams runs: each document's text and maths
written to a .tex file, then one pdflatex process per document, J at a time (`xargs -P J`).
tracegen ships no LaTeX, so the .tex files are made here, untimed, from the Markdown of the
same batch (`tracegen batch --to md`): its maths is LaTeX already; headings, paragraphs,
notes and tables become LaTeX; the Mermaid diagram is left out (the LaTeX documents are
therefore a little lighter than tracegen's PDFs). Needs pdflatex with amsmath and xcolor
(Debian: texlive-latex-base, texlive-latex-recommended); the test suite never needs TeX.

Timed, alternately (A B A B ...), each in fresh processes and a fresh folder:
A  `python -m tracegen batch --variants N --to pdf -j J`
B  `xargs -P J -n 1 pdflatex ...` over the 2N .tex files
Printed: each run's wall time, CPU time (user + system of every process) and peak memory of
the largest single process, medians, the ratio B/A per pair, the CPU model (`lscpu`), the
load average before and after, and tracegen's commit.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PREAMBLE = r"""\documentclass[11pt,a4paper]{article}
\usepackage[margin=20mm]{geometry}
\usepackage{amsmath}
\usepackage{xcolor}
\DeclareUnicodeCharacter{00B7}{\ensuremath{\cdot}}
\DeclareUnicodeCharacter{2212}{\ensuremath{-}}
\setlength{\parindent}{0pt}\setlength{\parskip}{0.6em}
\begin{document}
"""
TEXT_SPECIALS = {"&": r"\&", "%": r"\%", "#": r"\#", "_": r"\_", "{": r"\{", "}": r"\}", "~": r"\~{}",
                 "^": r"\^{}"}


def text(line: str) -> str:
    """Markdown prose (inline $maths$ kept as is) as LaTeX: specials escaped, **bold** and *italic*."""
    out = []
    for index, part in enumerate(re.split(r"(\$[^$]*\$)", line)):
        if index % 2:
            out.append(part)
            continue
        part = part.replace("\\_", "_").replace("\\", "")
        part = "".join(TEXT_SPECIALS.get(char, char) for char in part)
        part = re.sub(r"\*\*(.+?)\*\*", r"\\textbf{\1}", part)
        out.append(re.sub(r"\*(.+?)\*", r"\\emph{\1}", part))
    return "".join(out)


def table(rows: list[str]) -> str:
    cells = [[cell.strip() for cell in row.strip().strip("|").split("|")] for row in rows]
    header, body = cells[0], cells[2:]
    align = "".join("r" if spec.strip().endswith(":") else "l" for spec in cells[1])
    lines = [" & ".join(text(cell) for cell in row) + r" \\" for row in [header, *body]]
    rows_tex = "\n".join(lines[1:])
    return f"\\begin{{tabular}}{{{align}}}\n{lines[0]}\n\\hline\n{rows_tex}\n\\end{{tabular}}\n"


def latex(markdown: str) -> str:
    """A tracegen Markdown document as a LaTeX document."""
    out, lines, i = [PREAMBLE], markdown.splitlines(), 0
    while i < len(lines):
        line = lines[i]
        if line.startswith("```"):  # the Mermaid diagram: left out
            i += 1
            while not lines[i].startswith("```"):
                i += 1
        elif line.strip() == "$$":
            end = lines.index("$$", i + 1)
            out.append("\\[\n" + "\n".join(lines[i + 1:end]) + "\n\\]\n")
            i = end
        elif line.startswith("|"):
            end = i
            while end < len(lines) and lines[end].startswith("|"):
                end += 1
            out.append(table(lines[i:end]))
            i = end - 1
        elif line.startswith("#"):
            level, title = line.split(" ", 1)
            out.append(f"\\{'sub' * (len(level) - 1)}section*{{{text(title)}}}\n")
        elif line.startswith("> "):
            out.append(f"\\begin{{quote}}\n{text(line[2:])}\n\\end{{quote}}\n")
        elif line.strip() == "---":
            out.append("\\medskip\\hrule\\medskip\n")
        else:
            out.append(text(line) + "\n")
        i += 1
    out.append("\\end{document}\n")
    return "".join(out)


def commit() -> str:
    try:
        return subprocess.run(["git", "-C", str(ROOT), "rev-parse", "--short", "HEAD"], capture_output=True,
                              text=True, check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


def cpu_model() -> str:
    try:
        out = subprocess.run(["lscpu"], capture_output=True, text=True, check=True).stdout
        return next(line.split(":", 1)[1].strip() for line in out.splitlines() if line.startswith("Model name"))
    except (OSError, subprocess.CalledProcessError, StopIteration):
        return "unknown CPU"


def timed(command: list[str], cwd: Path, stdin: bytes | None = None) -> tuple[float, float, float]:
    """Wall s, CPU s (the process and all it waited for) and peak MB of the largest process, of one run.

    Run through a fresh `python` that forks the command, so that the peak memory is of this run
    only (RUSAGE_CHILDREN's ru_maxrss is a maximum over all children ever waited for)."""
    probe = ("import os,resource,subprocess,sys,time;t=time.perf_counter();"
             "subprocess.run(sys.argv[1:],check=True,stdin=sys.stdin,stdout=subprocess.DEVNULL);"
             "w=time.perf_counter()-t;r=resource.getrusage(resource.RUSAGE_CHILDREN);"
             "print(w,r.ru_utime+r.ru_stime,r.ru_maxrss/1024)")
    done = subprocess.run([sys.executable, "-c", probe, *command], cwd=cwd, input=stdin, capture_output=True,
                          check=True)
    wall, cpu, peak = (float(v) for v in done.stdout.split())
    return wall, cpu, peak


def tex_files(work: Path, variants: int) -> tuple[Path, list[str]]:
    """The batch's documents as .tex files (untimed): their folder and names."""
    subprocess.run([sys.executable, "-m", "tracegen", "batch", "--variants", str(variants), "--to", "md",
                    "-o", str(work / "md")], check=True)
    sources = work / "tex"
    sources.mkdir()
    for md in sorted((work / "md").glob("*/*.md")):
        (sources / f"{md.parent.name}-{md.stem}.tex").write_text(latex(md.read_text("utf-8")), "utf-8")
    return sources, sorted(path.name for path in sources.glob("*.tex"))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--variants", type=int, default=100)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--tracegen-option", action="append", default=[],
                        help="an extra option for `tracegen batch` (e.g. --no-cache); repeatable")
    args = parser.parse_args()
    pdflatex = shutil.which("pdflatex") or sys.exit("pdflatex is not on PATH (Debian: texlive-latex-base)")
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    os.environ.update(env)
    work = Path(tempfile.mkdtemp(prefix="bench-latex-"))
    try:
        sources, names = tex_files(work, args.variants)
        tracegen_cmd = [sys.executable, "-m", "tracegen", "batch", "--variants", str(args.variants), "--to", "pdf",
                        "-j", str(args.jobs), *args.tracegen_option, "-o"]
        latex_cmd = ["xargs", "-P", str(args.jobs), "-n", "1", pdflatex, "-interaction=batchmode", "-halt-on-error"]
        runs: dict[str, list[tuple[float, float, float]]] = {"tracegen": [], "pdflatex": []}
        for label, cmd, folder in (("tracegen", tracegen_cmd, "warm-a"), ("pdflatex", latex_cmd, "warm-b")):
            _once(label, cmd, work / folder, sources, names)  # bytecode caches, TeX's file caches
        load_before = os.getloadavg()
        for repeat in range(args.repeat):
            for label, cmd in (("tracegen", tracegen_cmd), ("pdflatex", latex_cmd)):
                runs[label].append(_once(label, cmd, work / f"{label}-{repeat}", sources, names))
        load_after = os.getloadavg()
    finally:
        shutil.rmtree(work, ignore_errors=True)
    print(f"{cpu_model()}, {os.cpu_count()} cores; tracegen {commit()}; load average "
          f"{load_before[0]:.2f} before, {load_after[0]:.2f} after; {args.variants} variants = "
          f"{2 * args.variants} PDFs each, -j {args.jobs}, {args.repeat} runs each, alternating")
    print(f"{'':9s} {'wall s':>8s} {'CPU s':>8s} {'peak MB':>8s}   runs (wall)")
    for label, values in runs.items():
        wall, cpu, peak = (statistics.median(v[k] for v in values) for k in range(3))
        print(f"{label:9s} {wall:8.2f} {cpu:8.2f} {peak:8.0f}   {', '.join(f'{v[0]:.2f}' for v in values)}")
    ratios = [b[0] / a[0] for a, b in zip(runs["tracegen"], runs["pdflatex"], strict=True)]
    print(f"pdflatex / tracegen wall, per pair: {', '.join(f'{r:.2f}' for r in ratios)}; "
          f"median {statistics.median(ratios):.2f}x")


def _once(label: str, command: list[str], folder: Path, sources: Path, names: list[str]) -> tuple[float, float, float]:
    """One timed run in a fresh folder; checks that every PDF was made."""
    if label == "tracegen":
        result = timed([*command, str(folder)], cwd=sources.parent)
        made = len(list(folder.glob("*/*.pdf")))
    else:
        folder.mkdir()
        for name in names:
            shutil.copy(sources / name, folder / name)
        result = timed(command, cwd=folder, stdin="\n".join(names).encode())
        made = len(list(folder.glob("*.pdf")))
    if made != len(names):
        sys.exit(f"{label}: {made} PDFs made, expected {len(names)}")
    return result


if __name__ == "__main__":
    main()
