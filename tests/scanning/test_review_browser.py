"""The review page in a real browser (headless Chromium): self-contained, accessible, and its
button saves the values typed as a corrections CSV that `tracegen grade --corrections` reads."""

from __future__ import annotations

import csv

import pytest
from scanbatch import batch_fixture  # noqa: F401  (the fixture class_batch)
from test_scan import scans

from tracegen.grading import grade
from tracegen.scanning.run import scan

pytestmark = pytest.mark.browser

CAPTURE = """
window.saved = null;
URL.createObjectURL = function (blob) { window.saved = blob; return 'blob:saved'; };
HTMLAnchorElement.prototype.click = function () { window.savedAs = this.download; };
"""


def test_the_review_page_saves_the_corrections_typed(class_batch, chromium, tmp_path):
    from selenium.webdriver.common.by import By

    folder, maps, keys = class_batch
    variant = next(iter(maps))
    scans(folder, {variant: maps[variant]}, {variant: keys[variant]}, tmp_path / "in", 150, seed=21)
    scanned = scan(folder, (str(tmp_path / "in"),), tmp_path / "out", model="standin")
    flagged = [blank for (v, blank), d in scanned.decisions.items() if not d.accepted]
    assert len(flagged) >= 2
    page = chromium.load(tmp_path / "out" / "review.html")
    assert page.console_errors == () and page.foreign_requests() == []
    assert chromium.axe() == []
    driver = chromium.driver
    rows = driver.find_elements(By.CSS_SELECTOR, "tr[data-blank]")
    assert [row.get_attribute("data-blank") for row in rows] == flagged
    rows[0].find_element(By.CSS_SELECTOR, "button.pick").click()  # take the best reading
    picked = rows[0].find_element(By.CSS_SELECTOR, "button.pick").get_attribute("data-value")
    rows[1].find_element(By.TAG_NAME, "input").send_keys(keys[variant][flagged[1]])  # type the value
    driver.execute_script(CAPTURE)
    driver.find_element(By.ID, "save").click()
    assert driver.execute_script("return window.savedAs") == "corrections.csv"
    text = driver.execute_async_script("window.saved.text().then(arguments[arguments.length - 1]);")
    assert list(csv.reader(text.splitlines())) == [["variant", "blank", "value"], [variant, flagged[0], picked],
                                                   [variant, flagged[1], keys[variant][flagged[1]]]]
    (tmp_path / "corrections.csv").write_text(text, encoding="utf-8")
    detail = grade(folder, tmp_path / "out" / "responses.csv", corrections=tmp_path / "corrections.csv").detail
    answered = detail.set_index("blank")["answer"].astype(str)
    assert answered[flagged[1]].lstrip("'") == keys[variant][flagged[1]]
