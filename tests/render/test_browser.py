"""The HTML documents in a real browser (headless Chromium, tests/browser.py): they load
offline without errors, pass axe-core's WCAG 2.1 A/AA rules, and a reader sees every answer
of the key as text, in reading order. Each document is loaded once; the tests read what it showed.
"""

from __future__ import annotations

import dataclasses
import importlib.util
import re
from collections import Counter
from collections.abc import Iterator
from functools import cache
from pathlib import Path
from typing import Any

import pytest
from browser import Browser, BrowserMissing, Page, violations_report
from documents import DEEP, SOFTMAX, class3_trace, distinctive_answers, spec_trace

import tracegen
from tracegen.document import KINDS, DocumentModel, build
from tracegen.maths.tree import Num
from tracegen.numbers import MINUS
from tracegen.render import render_documents

pytestmark = pytest.mark.browser  # Chromium: `pytest -m "not browser"` skips these 80 s

ROOT = Path(__file__).resolve().parents[2]
NUMBER = re.compile(r"[\u2212-]?[0-9]+(?:\.[0-9]+)?")
CASES = ("class3", "deep", "softmax")


@cache
def case_trace(case: str) -> tracegen.Trace:
    """Class 3 (one sample, ReLU/sigmoid, bce), a deep batch with tanh, a softmax classifier."""
    if case == "class3":
        return class3_trace()
    return tracegen.trace(tracegen.Spec.from_dict(DEEP if case == "deep" else SOFTMAX))


def number_tokens(text: str) -> list[str]:
    """The numbers of a text as printed (`−0.119`, `2`), in order; digits inside words count too."""
    return NUMBER.findall(text)


def first_unmatched(expected: list[str], tokens: list[str]) -> int | None:
    """Index of the first expected number that no later token matches, or None if `expected`
    is a subsequence of `tokens` (greedy earliest matching finds one whenever one exists)."""
    position = 0
    for index, number in enumerate(expected):
        try:
            position = tokens.index(number, position) + 1
        except ValueError:
            return index
    return None


def _answers(node: Any) -> Iterator[Num]:
    """The key's answer numbers under a node of the document model or its maths trees, in order."""
    if isinstance(node, Num):
        if node.answer:
            yield node
    elif dataclasses.is_dataclass(node):
        for field in dataclasses.fields(node):
            yield from _answers(getattr(node, field.name))
    elif isinstance(node, tuple):
        for child in node:
            yield from _answers(child)


def key_numbers(doc: DocumentModel) -> list[str]:
    """Every answer number of a key as the HTML prints it (typographic minus), in the templates' order."""
    return [num.text.replace("-", MINUS) for num in _answers((doc.sections, doc.losses))]


def unprinted_answers(trace: tracegen.Trace, numbers: list[str]) -> Counter[float]:
    """Answers of the trace (each worksheet blank, rounded to display.decimals) missing from `numbers`.

    Compared as values: a matrix prints its entries alike, so a whole 2 may print as 2.000.
    """
    answers = Counter(round(float(v), trace.spec.decimals) for v in trace.blanks()["value"])
    return answers - Counter(float(n.replace(MINUS, "-")) for n in numbers)


# Characters that only CSS-box maths needs: zero-width spaces (break points), maths italic
# letters, superscript/subscript forms, bracket pieces. In MathML the markup carries them
# (<mi>W</mi> is italic by itself, <msup>, stretchy <mo>[</mo>), so the text stays plain.
CSS_MATHS = re.compile("[\u200b\u1d2c-\u1d6a\u2070-\u209f\u210e\u23a1-\u23a6\u2c7c"
                       "\U0001d434-\U0001d467\U0001d6e2-\U0001d71b]")


def css_maths_leftovers(chromium: Browser) -> list[str]:
    """What keeps the loaded page's maths from being searched, copied and read aloud as maths.

    The page must have <math> elements and no CSS_MATHS in its text (outside <style>).
    The DOM's text, not `innerText`: Chromium's innerText shows <mi>W</mi> as the italic 𝑊
    it draws, while find-in-page and copying use the plain W.
    """
    count, text = chromium.driver.execute_script("""
        const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
        const parts = [];
        while (walker.nextNode()) {
            if (!walker.currentNode.parentElement.closest('style, script')) parts.push(walker.currentNode.data);
        }
        return [document.querySelectorAll('math').length, parts.join('')];""")
    faults = [] if count else ["no <math> element"]
    found = Counter(CSS_MATHS.findall(text))
    faults += [f"U+{ord(c):04X} {c!r} x{n}" for c, n in sorted(found.items())]
    return faults


@dataclasses.dataclass(frozen=True)
class Seen:
    """One document as the browser showed it."""

    page: Page
    text: str
    violations: list[dict[str, Any]]
    css_maths: list[str]


@pytest.fixture(scope="module")
def seen(chromium: Browser, tmp_path_factory: pytest.TempPathFactory) -> dict[tuple[str, str], Seen]:
    """Every (case, kind) HTML document, loaded once: requests, console, text, axe-core's verdict."""
    folder = tmp_path_factory.mktemp("html")
    out = {}
    for case in CASES:
        documents = render_documents(case_trace(case), KINDS, ("html",))
        for kind in KINDS:
            path = folder / f"{case}-{kind}.html"
            path.write_bytes(documents[(kind, "html")])
            page = chromium.load(path)
            out[(case, kind)] = Seen(page, chromium.text(), chromium.axe(), css_maths_leftovers(chromium))
    return out


DOCUMENTS = [(case, kind) for case in CASES for kind in KINDS]


@pytest.mark.parametrize(("case", "kind"), DOCUMENTS)
def test_loads_offline_without_console_errors(seen: dict[tuple[str, str], Seen], case: str, kind: str) -> None:
    page = seen[(case, kind)].page
    assert page.url in page.requests  # the request log is live
    assert page.foreign_requests() == []
    assert page.console_errors == ()


@pytest.mark.parametrize(("case", "kind"), DOCUMENTS)
def test_axe_finds_no_wcag21_aa_violation(seen: dict[tuple[str, str], Seen], case: str, kind: str) -> None:
    violations = seen[(case, kind)].violations
    assert not violations, violations_report(violations)


@pytest.mark.parametrize(("case", "kind"), DOCUMENTS)
def test_maths_is_mathml_with_plain_text(seen: dict[tuple[str, str], Seen], case: str, kind: str) -> None:
    """A search box finds W, a copy gives plain letters, a screen reader meets <math> (issue 9)."""
    assert seen[(case, kind)].css_maths == []


@pytest.mark.parametrize("case", CASES)
def test_key_answers_are_text_in_reading_order(seen: dict[tuple[str, str], Seen], case: str) -> None:
    """What a reader copies or a screen reader reads holds the key's answers in document order."""
    expected = key_numbers(build(case_trace(case), "key"))
    assert len(expected) > 50
    tokens = number_tokens(seen[(case, "key")].text)
    missing = first_unmatched(expected, tokens)
    assert missing is None, (f"answer {missing} ({expected[missing]}) of {len(expected)} is not in the page's text "
                             f"after the answers before it ({' '.join(expected[max(0, missing - 5):missing])})")


@pytest.mark.parametrize("case", CASES)
def test_worksheet_text_shows_no_answer(seen: dict[tuple[str, str], Seen], case: str) -> None:
    answers = distinctive_answers(case_trace(case))
    key, worksheet = (set(number_tokens(seen[(case, kind)].text.replace(MINUS, "-"))) for kind in ("key", "worksheet"))
    assert len(answers & key) >= 20  # the search itself works
    assert answers & worksheet == set()


@pytest.mark.parametrize("case", CASES)
def test_key_prints_every_answer(case: str) -> None:
    """The numbers the reading-order test looks for are the trace's answers, not fewer."""
    trace = case_trace(case)
    assert unprinted_answers(trace, key_numbers(build(trace, "key"))) == Counter()


def test_finders_see_order_and_signs() -> None:
    tokens = number_tokens("𝑧₂⁽¹⁾ = ⎡−0.119⎤ x1 [1.024 −1] 3-2-1")
    assert tokens == ["\u22120.119", "1", "1.024", "\u22121", "3", "-2", "-1"]
    assert first_unmatched(["\u22120.119", "1.024", "\u22121"], tokens) is None
    assert first_unmatched(["1.024", "\u22120.119"], tokens) == 1  # out of order
    assert first_unmatched(["0.119"], tokens) == 0  # the sign is part of the number
    assert first_unmatched(["1.02"], tokens) == 0  # and so is every digit


def test_harness_sees_requests_console_errors_and_violations(chromium: Browser, tmp_path: Path) -> None:
    """A page that fetches a file and logs an error: the checks above would catch both."""
    page_path = tmp_path / "bad.html"
    page_path.write_text('<!DOCTYPE html><html><head><title>bad</title></head><body><main>'
                         '<img src="missing.png"><script>console.error("boom")</script></main></body></html>')
    page = chromium.load(page_path)
    assert page.foreign_requests() == [(tmp_path / "missing.png").as_uri()]
    assert any("boom" in e for e in page.console_errors)
    assert {"html-has-lang", "image-alt"} <= {v["id"] for v in chromium.axe()}


def test_missing_chromium_fails_with_what_to_install(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setattr("browser.CHROMIUM", tmp_path / "chromium")
    with pytest.raises(BrowserMissing, match="chromium not found: .* with `apt-get install chromium chromium-driver`"):
        Browser()


def test_screenshots_script_writes_every_page(chromium: Browser, tmp_path: Path) -> None:
    """scripts/screenshots.py: a full-page PNG per HTML document and one per PDF page."""
    spec = importlib.util.spec_from_file_location("screenshots", ROOT / "scripts" / "screenshots.py")
    assert spec and spec.loader
    script = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(script)
    (tmp_path / "class3-key-pdf-9.png").write_bytes(b"a page of an older, longer key")
    written = script.screenshots(class3_trace(), "class3", tmp_path, chromium, dpi=30)
    assert sorted(tmp_path.iterdir()) == sorted(written)
    names = [p.name for p in written]
    for kind in KINDS:
        pages = [n for n in names if n.startswith(f"class3-{kind}-pdf-")]
        assert f"class3-{kind}-html.png" in names
        assert len(pages) >= 4  # the title page and one page per epoch
        assert pages == [f"class3-{kind}-pdf-{n}.png" for n in range(1, len(pages) + 1)]
    for path in written:
        data = path.read_bytes()
        assert data[:8] == b"\x89PNG\r\n\x1a\n"
        size = int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big")
        if path.name.endswith("-html.png"):
            assert size[0] == 1000 and size[1] > 2000  # the whole page, not the 800 px window
        else:
            assert size == (249, 351)  # an A4 page (210 x 297 mm) at 30 dpi, as pdftoppm rounds it


PHONE_CHECK = """
const faults = [];
for (const el of document.querySelectorAll('.ans')) {
  const r = el.getBoundingClientRect();
  if (r.width === 0 && r.height === 0) continue;  // the layout for the other width
  if (r.left < -0.5 || r.right > window.innerWidth + 0.5) faults.push(`answer ${el.textContent} off screen`);
}
if (document.documentElement.scrollWidth > window.innerWidth) faults.push('the page scrolls sideways');
return [faults, document.querySelectorAll('.ans').length];
"""


@pytest.mark.parametrize("name", ["class3", "tanh", "softmax", "net4653", "net652"])
def test_every_answer_shows_on_a_phone_without_scrolling_sideways(chromium: Browser, tmp_path: Path,
                                                                   name: str) -> None:
    """Students read keys on phones: at 360 px wide, equations too wide for it take their phone layout (a relation
    per line, wide matrices set smaller), so every answer is on screen and the page does not scroll sideways (a
    worked line of two matrices side by side may still scroll in its own box, which a keyboard can focus)."""
    trace = class3_trace() if name == "class3" else spec_trace(name)
    path = tmp_path / f"{name}-key.html"
    path.write_bytes(render_documents(trace, ("key",), ("html",))[("key", "html")])
    try:
        chromium.driver.set_window_size(360, 800)
        chromium.load(path)
        faults, answers = chromium.driver.execute_script(PHONE_CHECK)
    finally:
        chromium.driver.set_window_size(1000, 800)
    assert answers > 10 and faults == []
