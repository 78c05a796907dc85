"""The metrics report: both studies' figures and tables, with provenance, in ``results/report/``.

:mod:`.sources` (standard library only, imported by the workflow to wire the rule) says which
files the report reads and writes; :func:`build` (matplotlib, pandas, Jinja2: imported on first
use) reads them, makes the tables (:mod:`.tables`) and figures (:mod:`.figures`), and writes
``report.md``, a self-contained ``index.html``, ``report.json`` and the TSV tables.
"""

from .sources import CATEGORIES, DOCUMENTS, Sources, output_files

__all__ = ["CATEGORIES", "DOCUMENTS", "Sources", "build", "output_files"]


def __getattr__(name):
    if name == "build":
        from .build import build

        return build
    raise AttributeError(name)
