"""The metrics report under results/report/ (rule metrics_report)."""

from tcgatl.logs import run_step

run_step(snakemake, "tcgatl.report.steps", "metrics_report")
