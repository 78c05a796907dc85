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


# --- layout of the metrics report's page (tcgatl.report.document and its template) -------------


def report_page(tmp_path):
    """A page made by the report's own renderer: a wide figure, the paired-comparison table with
    its long text columns, a 24-column numeric table and a collapsed group."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import numpy as np
    import pandas as pd

    from tcgatl.report import document

    fig, ax = plt.subplots(figsize=(16, 4))  # 1920 px at 120 dpi: wider than either window
    ax.plot([0, 1], [0, 1])
    fig.savefig(tmp_path / "wide.png", dpi=120)
    plt.close(fig)
    schemes = ["finetune (nosmote)", "logistic_independent (nosmote)", "ccsa (smote)", "mixture (nosmote)"]
    paired = pd.DataFrame(
        {
            "endpoint": "PFI",
            "years": 3,
            "first": schemes,
            "second": schemes[::-1],
            "difference": "+0.012",
            "95% CI over repeats": "[-0.034, +0.058]",
            "95% CI over patients": "[-0.101, +0.125]",
            "first better": "3 of 5 repeats",
            "verdict": "smaller than this cohort resolves (+-0.118): no verdict",
        }
    )
    numbers = pd.DataFrame(np.random.default_rng(0).uniform(size=(3, 24)), columns=[f"w_column_{i}" for i in range(24)])
    doc = document.Document(
        "Report",
        "Layout test",
        [
            document.Section("Figures", [document.Figure(document.Path("wide.png"), "A wide figure")]),
            document.Section(
                "Tables",
                [
                    document.Table(paired, "Paired comparisons"),
                    document.Details("More", [document.Table(numbers.round(3), "Twenty-four columns")]),
                ],
            ),
        ],
    )
    path = tmp_path / "index.html"
    path.write_text(document.to_html(doc, tmp_path))
    return path


def test_report_layout_nothing_cut_at_1400_and_800_px(chromium, tmp_path):
    page = report_page(tmp_path)
    for width in (1400, 800):
        r = chromium.check_layout(page, width, tmp_path / "shots")
        assert r.problems == [], (width, r.problems)
        assert r.page_width <= width  # the page itself never scrolls sideways
        assert [s["title"] for s in r.sections] == ["Figures", "Tables"]
        (figure,) = r.figures
        assert figure["right"] <= width and figure["width"] < figure["natural_width"]  # scaled to fit
        tables = {t["caption"]: t for t in r.tables}
        paired, wide = tables["Paired comparisons"], tables["Twenty-four columns"]
        assert paired["last_column"] == "verdict" and wide["last_column"] == "w_column_23"
        assert wide["scrolls"]  # too wide for either window: it scrolls inside its box ...
        assert wide["left"] - 1.5 <= wide["last_left"] and wide["last_right"] <= wide["right"] + 1.5  # ... to its end
        # The paired table's text columns wrap: at 1400 px it fits, verdict and all, without scrolling.
        assert paired["scrolls"] == (width < 1400)
        assert paired["last_right"] <= paired["right"] + 1.5
        shots = {p.name for p in r.shots}
        assert {f"w{width}_section_figures.png", f"w{width}_section_tables.png", f"w{width}_figure_0.png"} <= shots
    for shot in (tmp_path / "shots").iterdir():
        assert png_size(shot)[0] in (1400, 800)


def test_layout_check_finds_a_cut_column_and_an_overflowing_figure(chromium, tmp_path):
    # What the check exists for: a table box that hides its overflow (its last column unreachable)
    # and an image wider than the window.
    html = page(
        tmp_path,
        "<section id='s'><h2>S</h2>"
        "<div class='table' style='overflow:hidden;width:300px'><table><thead><tr>"
        + "".join(f"<th style='white-space:nowrap'>column number {i}</th>" for i in range(12))
        + "</tr></thead></table></div>"
        f"<figure><img src='data:image/png;base64,{PNG_1PX}' width='1200' height='10'></figure></section>",
    )
    r = chromium.check_layout(html, 800)
    assert any("last column 'column number 11' cannot be reached" in p for p in r.problems), r.problems
    assert any(p.startswith("figure") and "beyond the 800 px window" in p for p in r.problems), r.problems
    assert any("scrolls sideways" in p for p in r.problems), r.problems
