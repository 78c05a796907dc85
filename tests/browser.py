"""Headless Chromium for the tests: open an HTML file, report what went wrong, save a screenshot.

``open_page(html, png)`` loads a local HTML file (a ``file://`` URL) in Debian's Chromium through
Selenium and returns a ``PageReport``: the browser's SEVERE log entries (uncaught JavaScript
errors, ``console.error`` calls and "Failed to load resource" for files that are missing), the
``<img>`` elements that did not load, the number of images and the page title. It also writes a
full-page PNG screenshot (the whole document, not only the window) so that a test can keep it
as an artifact. The driver is always quit, also when something fails.

``ensure_chromium()`` installs Debian's ``chromium`` and ``chromium-driver`` with apt-get if
``/usr/bin/chromium`` or ``/usr/bin/chromedriver`` is missing (needs root). Selenium is always
given that chromedriver, so Selenium Manager never runs: it would try to download a browser and
driver, and the test machines are offline.

Chromium runs with ``--no-sandbox`` (the tests run as root, often in a container, where the
sandbox cannot start) and ``--disable-dev-shm-usage`` (containers have a small /dev/shm).
Images with ``loading="lazy"`` are switched to eager loading before waiting, or those below the
window would never load and would look broken.

Also usable by hand: ``python tests/browser.py report.html shot.png`` prints the report.
"""

from __future__ import annotations

import base64
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

PACKAGES = ["chromium", "chromium-driver"]
CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path("/usr/bin/chromedriver")
ARGUMENTS = ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--hide-scrollbars"]
WINDOW_HEIGHT = 900
MAX_SCREENSHOT_HEIGHT = 30000  # px; longer pages are cut off at the bottom of the screenshot

# True once the document has loaded and every <img> has either loaded or failed.
_SETTLED = """return document.readyState === "complete"
    && Array.from(document.images).every(img => img.complete);"""
_EAGER = """for (const img of document.images) { if (img.loading === "lazy") img.loading = "eager"; }"""
# src as written in the page (falls back to the resolved URL, e.g. for srcset-only images).
_BROKEN = """return Array.from(document.images)
    .filter(img => !img.complete || img.naturalWidth === 0)
    .map(img => img.getAttribute("src") || img.currentSrc || img.src);"""


class BrowserError(RuntimeError):
    """Chromium could not be installed or started, or the page could not be opened; says why."""


@dataclass
class PageReport:
    console_errors: list[str] = field(default_factory=list)
    broken_images: list[str] = field(default_factory=list)
    image_count: int = 0
    title: str = ""
    screenshot: Path | None = None

    @property
    def ok(self) -> bool:
        """No console errors and no broken images."""
        return not self.console_errors and not self.broken_images


def _run(cmd, check=True, **kw):
    return subprocess.run(cmd, capture_output=True, text=True, check=check, **kw)


def _installed() -> bool:
    return CHROMIUM.is_file() and CHROMEDRIVER.is_file()


def can_set_up() -> str | None:
    """None if this process can open pages in headless Chromium, else the reason it cannot."""
    try:
        import selenium  # noqa: F401
    except ImportError:
        return "the selenium package is not installed (pip install -r requirements-test.lock)"
    if _installed():
        return None
    if os.geteuid() != 0:
        return f"{CHROMIUM} or {CHROMEDRIVER} is missing and installing {' '.join(PACKAGES)} needs root"
    if not shutil.which("apt-get"):
        return f"{CHROMIUM} or {CHROMEDRIVER} is missing and apt-get is not available"
    return None


def ensure_chromium():
    """apt-get install Debian's chromium and chromium-driver if either program is missing."""
    if _installed():
        return
    if os.geteuid() != 0:
        raise BrowserError(f"{CHROMIUM} or {CHROMEDRIVER} is missing and installing them needs root")
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    cmd = ["apt-get", "install", "-y", "--no-install-recommends", *PACKAGES]
    r = _run(cmd, check=False, env=env, timeout=1800)
    if r.returncode != 0:  # stale or missing package lists
        _run(["apt-get", "update"], check=False, env=env, timeout=600)
        r = _run(cmd, check=False, env=env, timeout=1800)
    if r.returncode != 0:
        raise BrowserError(f"apt-get install {' '.join(PACKAGES)} failed:\n{r.stdout[-2000:]}{r.stderr[-2000:]}")
    if not _installed():
        raise BrowserError(f"after installing {PACKAGES}, {CHROMIUM} or {CHROMEDRIVER} is still missing")


def chromium_version() -> str:
    """E.g. "Chromium 150.0.7871.100 built on Debian ..." (empty if it does not answer)."""
    r = _run([str(CHROMIUM), "--version"], check=False, timeout=60)
    return r.stdout.strip()


def _start_driver(width: int, height: int, log: Path):
    from selenium import webdriver
    from selenium.common.exceptions import WebDriverException
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for arg in [*ARGUMENTS, f"--window-size={width},{height}"]:
        options.add_argument(arg)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    service = Service(str(CHROMEDRIVER), log_output=str(log))  # an explicit driver: no Selenium Manager
    try:
        return webdriver.Chrome(options=options, service=service)
    except WebDriverException as exc:
        tail = log.read_text(errors="replace")[-2000:] if log.exists() else ""
        raise BrowserError(f"could not start headless Chromium: {exc.msg or exc}\nchromedriver log:\n{tail}") from exc


def _write_atomically(path: Path, data: bytes):
    from tcgatl.io import atomic_path  # the project's writer: temporary file, renamed on success

    with atomic_path(path) as tmp:
        tmp.write_bytes(data)


def _full_page_png(driver, width: int) -> bytes:
    """The whole document (up to MAX_SCREENSHOT_HEIGHT px) as PNG, through the DevTools protocol."""
    metrics = driver.execute_cdp_cmd("Page.getLayoutMetrics", {})
    content = metrics.get("cssContentSize") or metrics["contentSize"]  # CSS pixels in new Chromium
    clip = {
        "x": 0,
        "y": 0,
        "scale": 1,
        "width": max(1, int(max(content["width"], width))),
        "height": max(1, min(int(content["height"]), MAX_SCREENSHOT_HEIGHT)),
    }
    shot = driver.execute_cdp_cmd(
        "Page.captureScreenshot", {"format": "png", "captureBeyondViewport": True, "clip": clip}
    )
    return base64.b64decode(shot["data"])


def open_page(
    html_path, screenshot_path, width: int = 1400, *, height: int = WINDOW_HEIGHT, timeout: float = 30
) -> PageReport:
    """Open ``html_path`` in headless Chromium; report errors and write a full-page screenshot.

    Waits (up to ``timeout`` s) until the document has loaded and every image has loaded or
    failed; images still pending after that count as broken.
    """
    from selenium.common.exceptions import TimeoutException, WebDriverException

    html_path = Path(html_path).resolve()
    screenshot_path = Path(screenshot_path)
    if not html_path.is_file():
        raise BrowserError(f"no such HTML file: {html_path}")
    ensure_chromium()
    with tempfile.TemporaryDirectory(prefix="tcgatl-browser-") as tmp:
        driver = _start_driver(width, height, Path(tmp) / "chromedriver.log")
        try:
            driver.set_page_load_timeout(timeout)
            try:
                driver.get(html_path.as_uri())
            except TimeoutException:
                pass  # still loading; the wait below decides, pending images count as broken
            driver.execute_script(_EAGER)
            deadline = time.monotonic() + timeout
            while not driver.execute_script(_SETTLED) and time.monotonic() < deadline:
                time.sleep(0.05)
            report = PageReport(
                broken_images=list(driver.execute_script(_BROKEN)),
                image_count=int(driver.execute_script("return document.images.length;")),
                title=driver.title,
            )
            _write_atomically(screenshot_path, _full_page_png(driver, width))
            report.screenshot = screenshot_path
            # Read the log last: the screenshot may have scrolled more into view.
            report.console_errors = [e["message"] for e in driver.get_log("browser") if e.get("level") == "SEVERE"]
            return report
        except WebDriverException as exc:
            raise BrowserError(f"headless Chromium failed on {html_path}: {exc.msg or exc}") from exc
        finally:
            driver.quit()


def main(argv=None):
    argv = sys.argv[1:] if argv is None else argv
    if len(argv) != 2:
        print("usage: python tests/browser.py PAGE.html SCREENSHOT.png", file=sys.stderr)
        return 2
    reason = can_set_up()
    if reason:
        print(f"cannot open pages: {reason}", file=sys.stderr)
        return 1
    report = open_page(argv[0], argv[1])
    print(json.dumps(asdict(report), indent=2, default=str))
    return 0 if report.ok else 1


if __name__ == "__main__":
    sys.exit(main())
