"""The headless-Chromium harness (tests/browser.py) on tiny HTML pages.

Needs Debian's chromium and chromium-driver (installed with apt-get if missing, so as root) and
the selenium package. Skipped elsewhere, except in CI (`CI=true`), where a browser that cannot
be set up is a failure.
"""

import struct

from browser import WINDOW_HEIGHT, open_page

# A 1x1 PNG.
PNG_1PX = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg=="
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def page(tmp_path, body, title="Test page", head=""):
    path = tmp_path / "page.html"
    path.write_text(
        f"<!doctype html>\n<html><head><meta charset='utf-8'><title>{title}</title>{head}</head>"
        f"<body>{body}</body></html>\n"
    )
    return path


def png_size(path):
    """(width, height) of a PNG file, checking that it is one."""
    data = path.read_bytes()
    assert data[:8] == PNG_SIGNATURE and data[12:16] == b"IHDR", "not a PNG file"
    assert data[-8:-4] == b"IEND", "PNG file is truncated"
    return struct.unpack(">II", data[16:24])


def test_clean_tall_page(chromium, tmp_path):
    html = page(
        tmp_path,
        f"<h1>Report</h1><img alt='dot' src='data:image/png;base64,{PNG_1PX}' width='40'>"
        "<div style='height:3000px;background:linear-gradient(#fff,#36c)'></div><p>end</p>",
        title="Clean report",
    )
    shot = tmp_path / "shots" / "clean.png"  # folder does not exist yet
    report = open_page(html, shot, width=1000)
    assert report.console_errors == []
    assert report.broken_images == []
    assert report.image_count == 1
    assert report.title == "Clean report"
    assert report.ok and report.screenshot == shot
    width, height = png_size(shot)
    assert width == 1000
    assert height > 3000 > WINDOW_HEIGHT  # the whole page, not only the window
    assert [p.name for p in shot.parent.iterdir()] == ["clean.png"]  # no temporary file left


def test_missing_image(chromium, tmp_path):
    html = page(tmp_path, f"<img src='missing.png'><img src='data:image/png;base64,{PNG_1PX}'>")
    report = open_page(html, tmp_path / "missing.png.png")
    assert report.broken_images == ["missing.png"]
    assert report.image_count == 2
    assert any("missing.png" in e for e in report.console_errors), report.console_errors
    assert not report.ok
    png_size(report.screenshot)


def test_console_error(chromium, tmp_path):
    html = page(tmp_path, '<p>hello</p><script>console.error("boom")</script>')
    report = open_page(html, tmp_path / "console.png")
    assert len(report.console_errors) == 1 and "boom" in report.console_errors[0], report.console_errors
    assert report.broken_images == [] and report.image_count == 0


def test_uncaught_exception(chromium, tmp_path):
    html = page(tmp_path, '<p>hello</p><script>throw new Error("kaboom")</script>')
    report = open_page(html, tmp_path / "throw.png")
    assert len(report.console_errors) == 1, report.console_errors
    assert "Uncaught Error: kaboom" in report.console_errors[0]
