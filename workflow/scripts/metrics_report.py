"""The metrics report under results/report/ (rule metrics_report)."""
from pathlib import Path

from tcgatl.logs import setup

log = setup(snakemake.log[0])

from tcgatl.report.build import build  # noqa: E402
from tcgatl.report.sources import Sources  # noqa: E402

html = Path(snakemake.output.html)
paths = build(
    Sources(snakemake.params.config, html.parents[1]),
    html.parent,
    raw_files=dict(snakemake.params.raw),
    manifest_md5=dict(snakemake.params.manifest_md5),
    basedir=snakemake.params.basedir,
)
log.info("report written: %s", ", ".join(map(str, paths.values())))
