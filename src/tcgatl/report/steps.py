"""The report rule (workflow/rules/report.smk): one function per rule, called by its script through
``tcgatl.logs.run_step`` with the script's ``snakemake`` object as ``job`` (input, output,
params, wildcards, threads). Each imports what it needs when it runs: a data job does not pay
for TensorFlow, and TensorFlow's import messages go to the rule's log."""

from __future__ import annotations

import logging

log = logging.getLogger("tcgatl")


def metrics_report(job) -> None:
    """The metrics report under results/report/ (rule metrics_report)."""
    from pathlib import Path

    from .build import build
    from .sources import Sources

    html = Path(job.output.html)
    paths = build(
        Sources(job.params.config, html.parents[1]),
        html.parent,
        raw_files=dict(job.params.raw),
        manifest_md5=dict(job.params.manifest_md5),
        basedir=job.params.basedir,
    )
    log.info("report written: %s", ", ".join(map(str, paths.values())))
