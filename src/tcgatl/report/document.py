"""A small document model rendered twice: Markdown (figures as files beside it) and one
self-contained HTML page (figures inlined as data URIs, no scripts, no external resources)."""

from __future__ import annotations

import base64
import html
import re
from dataclasses import dataclass, field
from pathlib import Path

import jinja2
import pandas as pd


@dataclass
class Text:
    text: str  # plain text; `code` spans are kept as code


@dataclass
class Code:
    text: str  # preformatted (YAML, commands)


@dataclass
class Figure:
    path: Path  # PNG, relative to the report folder when rendered
    caption: str


@dataclass
class Table:
    frame: pd.DataFrame  # display copy (strings allowed)
    caption: str
    tsv: str | None = None  # file name of the numeric table under tables/, if there is one


@dataclass
class Details:
    """A group of blocks shown collapsed in HTML (open=False) and as a subsection in Markdown."""

    summary: str
    blocks: list
    open: bool = False


@dataclass
class Section:
    title: str
    blocks: list = field(default_factory=list)

    @property
    def anchor(self) -> str:
        return re.sub(r"[^a-z0-9]+", "-", self.title.lower()).strip("-")


@dataclass
class Document:
    title: str
    subtitle: str
    sections: list[Section]


def _missing(v) -> bool:
    return v is None or (pd.api.types.is_scalar(v) and pd.isna(v))


def _md_cell(v) -> str:
    s = "-" if _missing(v) else str(v)
    return s.replace("|", "\\|").replace("\n", " ")


def markdown_table(df: pd.DataFrame) -> str:
    head = "| " + " | ".join(_md_cell(c) for c in df.columns) + " |"
    rule = "|" + "|".join("---" for _ in df.columns) + "|"
    body = ["| " + " | ".join(_md_cell(v) for v in row) + " |" for row in df.itertuples(index=False)]
    return "\n".join([head, rule, *body])


def _md_blocks(blocks, level: int) -> list[str]:
    out = []
    for b in blocks:
        if isinstance(b, Text):
            out.append(b.text)
        elif isinstance(b, Code):
            out.append(f"```\n{b.text.rstrip()}\n```")
        elif isinstance(b, Figure):
            out.append(f"![{b.caption}]({b.path.as_posix()})\n\n*{b.caption}*")
        elif isinstance(b, Table):
            link = f" ([TSV](tables/{b.tsv}))" if b.tsv else ""
            out.append(f"*{b.caption}*{link}\n\n{markdown_table(b.frame)}")
        elif isinstance(b, Details):
            out.append(f"{'#' * level} {b.summary}")
            out += _md_blocks(b.blocks, level + 1)
    return out


def to_markdown(doc: Document) -> str:
    parts = [
        f"# {doc.title}",
        doc.subtitle,
        "## Contents",
        "\n".join(f"- [{s.title}](#{s.anchor})" for s in doc.sections),
    ]
    for s in doc.sections:
        parts.append(f"## {s.title}")
        parts += _md_blocks(s.blocks, 3)
    return "\n\n".join(parts) + "\n"


def _inline(text: str) -> str:
    return re.sub(r"`([^`]+)`", r"<code>\1</code>", html.escape(text))


def _data_uri(path: Path) -> str:
    return "data:image/png;base64," + base64.b64encode(path.read_bytes()).decode("ascii")


# A column whose longest cell is longer than this (in characters) and has spaces to break at
# wraps (gene lists, verdicts, model names); the others stay on one line ("0.91 [0.89, 0.93]").
WRAP_AFTER = 24


def html_table(frame: pd.DataFrame) -> str:
    """``frame`` as an HTML table: missing values as "-", long text columns wrapping (class
    ``text``), the rest on one line. Its ``div.table`` box scrolls sideways when it is still wider
    than the page (template.html), so that no column is ever cut off."""
    cells = frame.astype(object).map(lambda v: "-" if _missing(v) else str(v))  # NaN, None, pd.NA
    wrap = [
        len(cells) > 0 and cells[c].str.len().max() > WRAP_AFTER and cells[c].str.contains(" ").any()
        for c in cells.columns
    ]

    def row(tag, values):
        return (
            "<tr>"
            + "".join(
                f'<{tag} class="text">{html.escape(v)}</{tag}>' if w else f"<{tag}>{html.escape(v)}</{tag}>"
                for v, w in zip(values, wrap)
            )
            + "</tr>"
        )

    head = row("th", [str(c) for c in cells.columns])
    body = "\n".join(row("td", values) for values in cells.itertuples(index=False))
    return f'<table class="data">\n<thead>{head}</thead>\n<tbody>\n{body}\n</tbody>\n</table>'


def _html_blocks(blocks, root: Path) -> str:
    out = []
    for b in blocks:
        if isinstance(b, Text):
            out.append(f"<p>{_inline(b.text)}</p>")
        elif isinstance(b, Code):
            out.append(f"<pre>{html.escape(b.text)}</pre>")
        elif isinstance(b, Figure):
            out.append(
                f'<figure><img src="{_data_uri(root / b.path)}" alt="{html.escape(b.caption)}">'
                f"<figcaption>{_inline(b.caption)}</figcaption></figure>"
            )
        elif isinstance(b, Table):
            table = html_table(b.frame)
            link = f' <a href="tables/{html.escape(b.tsv)}">TSV</a>' if b.tsv else ""
            out.append(f'<div class="table"><p class="caption">{_inline(b.caption)}{link}</p>{table}</div>')
        elif isinstance(b, Details):
            out.append(
                f"<details{' open' if b.open else ''}><summary>{_inline(b.summary)}</summary>"
                f"{_html_blocks(b.blocks, root)}</details>"
            )
    return "\n".join(out)


_TEMPLATE = jinja2.Environment(
    loader=jinja2.FileSystemLoader(Path(__file__).parent),
    autoescape=False,
    keep_trailing_newline=True,
).get_template("template.html")


def to_html(doc: Document, root: Path) -> str:
    """The whole report as one HTML page; figure paths are resolved against ``root``."""
    sections = [
        {"title": html.escape(s.title), "anchor": s.anchor, "body": _html_blocks(s.blocks, root)} for s in doc.sections
    ]
    return _TEMPLATE.render(title=html.escape(doc.title), subtitle=_inline(doc.subtitle), sections=sections)
