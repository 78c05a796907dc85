"""The metrics report under results/report/ (rule metrics_report)."""
from pathlib import Path

from tcgatl.logs import setup

log = setup(snakemake.log[0])

from tcgatl import report  # noqa: E402

paths = report.build(
    report.Sources(snakemake.params.config, Path(snakemake.output.html).parents[1]),
    Path(snakemake.output.html).parent,
    raw_files=dict(snakemake.params.raw),
    manifest_md5=dict(snakemake.params.manifest_md5),
    basedir=snakemake.params.basedir,
)
log.info("report written: %s", ", ".join(map(str, paths.values())))
