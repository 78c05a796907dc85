"""Generate the embedded demo's raw TCGA-format files (rule demo_data)."""

from tcgatl.logs import run_step

run_step(snakemake, "tcgatl.inputs.steps", "demo_data")
