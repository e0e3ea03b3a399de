"""PNG pictures of the documents, so anyone can look at them without a PDF viewer or browser.

    python scripts/screenshots.py [SPEC] [-o DIR] [--dpi N]

Renders the worksheet and key of SPEC (default: the built-in Class 3 example) and writes
into DIR (default output/screenshots/): `<name>-<kind>-html.png`, the whole HTML page in
headless Chromium, and `<name>-<kind>-pdf-<page>.png`, each PDF page drawn by pdftoppm.
Needs Debian's chromium, chromium-driver and poppler-utils, and the test extras
(pip install '.[test]'); the browser helper is the browser tests' (tests/browser.py).
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

from browser import Browser, BrowserMissing  # noqa: E402

import tracegen  # noqa: E402
from tracegen.errors import InputError  # noqa: E402
from tracegen.files import write_atomic  # noqa: E402
from tracegen.render import KINDS, render_documents, slug  # noqa: E402

PDFTOPPM = "pdftoppm"


def screenshots(trace: tracegen.Trace, name: str, folder: Path, browser: Browser, dpi: int = 100) -> list[Path]:
    """Write the PNGs of `trace`'s worksheet and key into `folder`; return their paths."""
    documents = render_documents(trace, KINDS, ("html", "pdf"))
    written = []
    with tempfile.TemporaryDirectory(prefix="tracegen-shots-") as tmp:
        for kind in KINDS:
            html = Path(tmp) / f"{kind}.html"
            html.write_bytes(documents[(kind, "html")])
            browser.load(html)
            written.append(write_atomic(folder / f"{name}-{kind}-html.png", browser.screenshot()))
            written += _pdf_pages(documents[(kind, "pdf")], folder / f"{name}-{kind}-pdf", dpi, Path(tmp) / kind)
    return written


def _pdf_pages(pdf: bytes, stem: Path, dpi: int, work: Path) -> list[Path]:
    """Each page of `pdf` as `<stem>-<n>.png`, drawn in the new folder `work`; older pages of that name go."""
    work.mkdir()
    source = work / "document.pdf"
    source.write_bytes(pdf)
    subprocess.run([PDFTOPPM, "-png", "-r", str(dpi), str(source), str(work / "page")], check=True)
    for old in stem.parent.glob(f"{stem.name}-*.png"):
        old.unlink()
    # pdftoppm pads page numbers to the page count's digits (page-1.png or page-01.png): sort by number.
    drawn = sorted(work.glob("page-*.png"), key=lambda p: int(p.stem.rsplit("-", 1)[1]))
    return [write_atomic(f"{stem}-{n}.png", page.read_bytes()) for n, page in enumerate(drawn, 1)]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("spec", nargs="?", help="spec file (default: the built-in Class 3 example)")
    parser.add_argument("-o", "--output", default="output/screenshots", help="folder for the PNGs")
    parser.add_argument("--dpi", type=int, default=100, help="resolution of the PDF pages (default 100)")
    args = parser.parse_args(argv)
    if not 10 <= args.dpi <= 600:
        parser.error(f"--dpi: expected 10 to 600, got {args.dpi}")
    try:
        spec = tracegen.load_example() if args.spec is None else tracegen.load_spec(args.spec)
        trace = tracegen.trace(spec)
    except InputError as error:
        print(f"screenshots: error: {error}", file=sys.stderr)
        return 2
    try:
        with Browser() as browser:
            written = screenshots(trace, slug(Path(args.spec).stem) if args.spec else "class3",
                                  Path(args.output), browser, args.dpi)
    except BrowserMissing as error:
        print(f"screenshots: error: {error}", file=sys.stderr)
        return 1
    except FileNotFoundError as error:
        if error.filename != PDFTOPPM:
            raise
        print("screenshots: error: pdftoppm not found: install it with `apt-get install poppler-utils`",
              file=sys.stderr)
        return 1
    print(f"{len(written)} PNGs in {args.output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
