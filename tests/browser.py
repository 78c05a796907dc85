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

``check_layout(html, width)`` opens a page at one window width with every ``<details>`` opened
and measures what a reader could miss: a page wider than the window, a section, figure or table
box cut at the window's edge, a figure not shown or distorted, a table whose last column cannot be
reached (its box scrolled to the far right, the column must lie inside the box). It returns a
``LayoutReport`` (its ``problems`` empty when nothing is cut) and, given ``shots``, writes one
screenshot per section and per figure there, to look at.

Also usable by hand: ``python tests/browser.py report.html shot.png`` prints the report;
``python tests/browser.py --layout report.html SHOTS_DIR`` checks it at 1400 and 800 px.
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
from contextlib import contextmanager
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


# Every <details> opened, then the page's sections, figures and tables measured in CSS pixels
# (window coordinates for left/right; each table's box scrolled to its far right, where a reader
# can scroll it, and back).
_OPEN_DETAILS = """for (const d of document.querySelectorAll("details")) d.open = true;"""
_MEASURE = """
const text = (el, n) => (el ? el.textContent.trim().replace(/\\s+/g, " ").slice(0, n) : "");
const rect = el => { const r = el.getBoundingClientRect();
  return {left: r.left, right: r.right, top: r.top + window.scrollY, width: r.width, height: r.height}; };
const out = {viewport: document.documentElement.clientWidth,
  page_width: document.documentElement.scrollWidth, sections: [], figures: [], tables: []};
for (const s of document.querySelectorAll("section")) {
  out.sections.push({id: s.id, title: text(s.querySelector("h2"), 80), ...rect(s)});
}
for (const f of document.querySelectorAll("figure")) {
  const img = f.querySelector("img");
  out.figures.push({caption: text(f.querySelector("figcaption"), 100), ...rect(img),
    natural_width: img.naturalWidth, natural_height: img.naturalHeight});
}
for (const d of document.querySelectorAll("div.table")) {
  const heads = d.querySelectorAll("table thead th");
  const last = heads[heads.length - 1];
  const box = rect(d);
  const row = {caption: text(d.querySelector(".caption"), 100), ...box, columns: heads.length,
    last_column: text(last, 40), table_width: d.scrollWidth, box_width: d.clientWidth,
    scrolls: d.scrollWidth > d.clientWidth + 1};
  // Scrolled as a reader can: only a box that shows a scroll bar (overflow-x auto or scroll).
  if (["auto", "scroll"].includes(getComputedStyle(d).overflowX)) d.scrollLeft = d.scrollWidth;
  const lr = last ? last.getBoundingClientRect() : null;
  row.last_left = lr ? lr.left : box.left;
  row.last_right = lr ? lr.right : box.left;
  d.scrollLeft = 0;
  out.tables.push(row);
}
return out;
"""


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


def _clip_png(driver, clip: dict) -> bytes:
    """A region of the document (CSS pixels, document coordinates) as PNG."""
    clip = {k: max(0, int(v)) for k, v in clip.items()}
    clip["width"], clip["height"] = max(1, clip["width"]), max(1, min(clip["height"], MAX_SCREENSHOT_HEIGHT))
    shot = driver.execute_cdp_cmd(
        "Page.captureScreenshot", {"format": "png", "captureBeyondViewport": True, "clip": {**clip, "scale": 1}}
    )
    return base64.b64decode(shot["data"])


@contextmanager
def _loaded(html_path, width: int, height: int, timeout: float):
    """A driver with ``html_path`` loaded (every image loaded or failed, up to ``timeout`` s)."""
    from selenium.common.exceptions import TimeoutException, WebDriverException

    html_path = Path(html_path).resolve()
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
            yield driver
        except WebDriverException as exc:
            raise BrowserError(f"headless Chromium failed on {html_path}: {exc.msg or exc}") from exc
        finally:
            driver.quit()


def open_page(
    html_path, screenshot_path, width: int = 1400, *, height: int = WINDOW_HEIGHT, timeout: float = 30
) -> PageReport:
    """Open ``html_path`` in headless Chromium; report errors and write a full-page screenshot.

    Waits (up to ``timeout`` s) until the document has loaded and every image has loaded or
    failed; images still pending after that count as broken.
    """
    screenshot_path = Path(screenshot_path)
    with _loaded(html_path, width, height, timeout) as driver:
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


@dataclass
class LayoutReport:
    """What :func:`check_layout` measured at one window width (CSS pixels)."""

    width: int
    page_width: int = 0  # the document's width: more than the window's means the page scrolls sideways
    sections: list[dict] = field(default_factory=list)  # id, title, left, right, top, width, height
    figures: list[dict] = field(default_factory=list)  # caption, its image's box, natural_width/height
    tables: list[dict] = field(default_factory=list)  # caption, box, columns, last_column, scrolls, last_*
    shots: list[Path] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)


# Slack for sub-pixel rounding of the layout.
_PX = 1.5


def layout_problems(m: dict) -> list[str]:
    """What a reader at this width could not see, from :data:`_MEASURE`'s measurements ``m``."""
    view = m["viewport"]
    out = []
    if m["page_width"] > view + _PX:
        out.append(f"the page is {m['page_width']} px wide in a {view} px window: it scrolls sideways")
    for s in m["sections"]:
        if s["height"] <= 0:
            out.append(f"section {s['title']!r} is not shown")
        elif s["right"] > view + _PX:
            out.append(f"section {s['title']!r} reaches {s['right']:.0f} px, beyond the {view} px window")
    for f in m["figures"]:
        what = f"figure {f['caption']!r}"
        if f["natural_width"] == 0:
            out.append(f"{what}: its image did not load")
        elif f["width"] <= 0 or f["height"] <= 0:
            out.append(f"{what} is not shown")
        elif f["left"] < -_PX or f["right"] > view + _PX:
            out.append(f"{what} spans {f['left']:.0f}-{f['right']:.0f} px, beyond the {view} px window")
        elif abs(f["width"] / f["height"] - f["natural_width"] / f["natural_height"]) > 0.02 * (
            f["natural_width"] / f["natural_height"]
        ):
            out.append(f"{what} is distorted ({f['width']:.0f}x{f['height']:.0f} px shown)")
    for t in m["tables"]:
        what = f"table {t['caption']!r}"
        if t["width"] <= 0:
            out.append(f"{what} is not shown")
        elif t["right"] > view + _PX:
            out.append(f"{what}: its box reaches {t['right']:.0f} px, beyond the {view} px window")
        elif t["last_right"] > t["right"] + _PX or t["last_left"] < t["left"] - _PX:
            out.append(
                f"{what}: its last column {t['last_column']!r} cannot be reached "
                f"({t['last_left']:.0f}-{t['last_right']:.0f} px, box {t['left']:.0f}-{t['right']:.0f} px)"
            )
    return out


def check_layout(html_path, width: int, shots=None, *, height: int = WINDOW_HEIGHT, timeout: float = 30):
    """Open ``html_path`` at ``width`` with every ``<details>`` open and measure its sections,
    figures and tables (:func:`layout_problems` says what is cut). With ``shots`` (a folder), one
    PNG per section (``w<width>_section_<id>.png``) and per figure (``w<width>_figure_<k>.png``)."""
    with _loaded(html_path, width, height, timeout) as driver:
        driver.execute_script(_OPEN_DETAILS)
        driver.execute_script(_EAGER)
        deadline = time.monotonic() + timeout
        while not driver.execute_script(_SETTLED) and time.monotonic() < deadline:
            time.sleep(0.05)
        m = driver.execute_script(_MEASURE)
        report = LayoutReport(
            width=width,
            page_width=int(m["page_width"]),
            sections=m["sections"],
            figures=m["figures"],
            tables=m["tables"],
            problems=layout_problems(m),
        )
        if shots is not None:
            folder = Path(shots)
            named = [(f"section_{s['id'] or k}", s) for k, s in enumerate(m["sections"])]
            named += [(f"figure_{k}", f) for k, f in enumerate(m["figures"])]
            for name, box in named:
                if box["width"] <= 0 or box["height"] <= 0:
                    continue
                path = folder / f"w{width}_{name}.png"
                clip = {"x": 0, "y": box["top"], "width": m["viewport"], "height": box["height"]}
                _write_atomically(path, _clip_png(driver, clip))
                report.shots.append(path)
        return report


def main(argv=None):
    argv = sys.argv[1:] if argv is None else argv
    layout = argv[:1] == ["--layout"]
    argv = argv[1:] if layout else argv
    if len(argv) != 2:
        print("usage: python tests/browser.py [--layout] PAGE.html SCREENSHOT.png|SHOTS_DIR", file=sys.stderr)
        return 2
    reason = can_set_up()
    if reason:
        print(f"cannot open pages: {reason}", file=sys.stderr)
        return 1
    if layout:
        problems = []
        for width in (1400, 800):
            r = check_layout(argv[0], width, argv[1])
            print(f"{width} px: {len(r.sections)} sections, {len(r.figures)} figures, {len(r.tables)} tables")
            print(f"  scrolling tables: {[t['caption'][:50] for t in r.tables if t['scrolls']]}")
            problems += [f"{width} px: {p}" for p in r.problems]
        print("\n".join(problems) or "nothing cut")
        return 1 if problems else 0
    report = open_page(argv[0], argv[1])
    print(json.dumps(asdict(report), indent=2, default=str))
    return 0 if report.ok else 1


if __name__ == "__main__":
    sys.exit(main())
