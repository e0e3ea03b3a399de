"""Headless Chromium for the browser tests and scripts/screenshots.py: one browser, many pages.

Why Selenium with the system chromedriver: Debian's `chromium` and `chromium-driver` come
from the same build, so no driver is downloaded (Selenium Manager would try, and the test
machines have no internet). The browser runs without its own network services (sync,
component updates, background fetches) and with a fresh profile, so every request it logs
was asked for by the page. Requests come from Chromium's performance log (DevTools
`Network.requestWillBeSent` events), console messages from its browser log.

axe-core comes from `axe-core-python`, which bundles axe-core 4.4; `axe-selenium-python`
bundles axe-core 3.1, which has no WCAG 2.1 rules (it refuses the `wcag21a` tag).
"""

from __future__ import annotations

import base64
import json
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

CHROMIUM = Path("/usr/lib/chromium/chromium")  # Debian's binary; /usr/bin/chromium is a shell wrapper
CHROMEDRIVER = Path("/usr/bin/chromedriver")
INSTALL = "apt-get install chromium chromium-driver"
FLAGS = (
    "--headless=new",
    "--no-sandbox",  # CI runs as root, where Chromium's sandbox will not start
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-default-apps",
    "--disable-extensions",
    "--disable-sync",
    "--no-first-run",
    "--no-default-browser-check",
    "--hide-scrollbars",
    "--force-device-scale-factor=1",
    "--window-size=1000,800",
)
# axe-core's tags for the success criteria of WCAG 2.0 and 2.1 at levels A and AA.
WCAG21_AA = ("wcag2a", "wcag2aa", "wcag21a", "wcag21aa")


class BrowserMissing(RuntimeError):
    """Chromium, its driver or a Python package is not installed; the message says what to install."""


@dataclass(frozen=True)
class Page:
    """What loading one document showed: its URL, console errors and every request it made."""

    url: str
    console_errors: tuple[str, ...]
    requests: tuple[str, ...]

    def foreign_requests(self) -> list[str]:
        """Requests for anything but the page itself and inlined data: URIs (fonts)."""
        return [r for r in self.requests if not r.startswith("data:") and r.split("#")[0] != self.url]


class Browser:
    """One headless Chromium driven through Selenium: `load` a file, then ask about the page."""

    def __init__(self) -> None:
        missing = [str(p) for p in (CHROMIUM, CHROMEDRIVER) if not p.exists()]
        if missing:
            raise BrowserMissing(f"{' and '.join(missing)} not found: install Chromium and its driver with `{INSTALL}`")
        try:
            import axe_core_python  # noqa: F401
            from selenium import webdriver
            from selenium.webdriver.chrome.service import Service
        except ImportError as error:
            raise BrowserMissing(f"Python package {error.name} not found: pip install '.[test]'") from error
        self._profile = tempfile.mkdtemp(prefix="tracegen-chromium-")
        options = webdriver.ChromeOptions()
        options.binary_location = str(CHROMIUM)
        for flag in (*FLAGS, f"--user-data-dir={self._profile}"):
            options.add_argument(flag)
        options.set_capability("goog:loggingPrefs", {"browser": "ALL", "performance": "ALL"})
        try:
            self.driver = webdriver.Chrome(service=Service(str(CHROMEDRIVER)), options=options)
        except Exception:
            shutil.rmtree(self._profile, ignore_errors=True)
            raise
        self.driver.set_script_timeout(60)
        self.driver.get("about:blank")  # leave the start page, whose requests are Chromium's own

    def close(self) -> None:
        self.driver.quit()
        shutil.rmtree(self._profile, ignore_errors=True)

    def __enter__(self) -> Browser:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def load(self, path: Path) -> Page:
        """Open a local file, wait for its fonts, and report what it logged and requested."""
        for log in ("browser", "performance"):
            self.driver.get_log(log)  # reading a log empties it
        url = path.resolve().as_uri()
        self.driver.get(url)
        self.driver.execute_async_script("document.fonts.ready.then(() => arguments[arguments.length - 1]())")
        errors = tuple(e["message"] for e in self.driver.get_log("browser") if e["level"] == "SEVERE")
        return Page(url, errors, self._requests())

    def text(self) -> str:
        """The page's visible text in reading order, as a reader copies it (`innerText`)."""
        return self.driver.execute_script("return document.body.innerText")

    def axe(self, tags: tuple[str, ...] = WCAG21_AA) -> list[dict[str, Any]]:
        """axe-core's violations of its rules with these tags on the loaded page."""
        from axe_core_python.base import AXE_FILE_PATH

        self.driver.execute_script(AXE_FILE_PATH.read_text(encoding="utf-8"))
        # Only violations come back: the passes of a MathML page list thousands of elements.
        options = json.dumps({"runOnly": {"type": "tag", "values": list(tags)}, "resultTypes": ["violations"]})
        result = self.driver.execute_async_script(
            "const done = arguments[arguments.length - 1];"
            f"axe.run(document, {options}).then(r => done({{violations: r.violations}}),"
            " error => done({error: String(error)}));")
        if "error" in result:
            raise RuntimeError(f"axe-core: {result['error']}")
        return result["violations"]

    def screenshot(self) -> bytes:
        """A PNG of the whole page, not only the window (DevTools captures beyond the viewport)."""
        width, height = self.driver.execute_script(
            "const e = document.documentElement; return [e.scrollWidth, e.scrollHeight]")
        shot = self.driver.execute_cdp_cmd("Page.captureScreenshot", {
            "format": "png", "captureBeyondViewport": True,
            "clip": {"x": 0, "y": 0, "width": width, "height": height, "scale": 1}})
        return base64.b64decode(shot["data"])

    def _requests(self) -> tuple[str, ...]:
        """The URL of every request in the performance log since it was last read."""
        urls = []
        for entry in self.driver.get_log("performance"):
            message = json.loads(entry["message"])["message"]
            if message["method"] == "Network.requestWillBeSent":
                urls.append(message["params"]["request"]["url"])
        return tuple(urls)


def violations_report(violations: list[dict[str, Any]]) -> str:
    """axe-core's violations as short lines: rule, impact, help, and the first few elements."""
    lines = []
    for v in violations:
        targets = ", ".join(" ".join(n["target"]) for n in v["nodes"][:3])
        lines.append(f"{v['id']} ({v['impact']}, {len(v['nodes'])} elements): {v['help']}: {targets}")
    return "\n".join(lines)
