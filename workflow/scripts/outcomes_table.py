"""An outcomes table of one's own -> Parquet indexed by patient, with MOTLAB's domains (rule outcomes_table)."""

from tcgatl.logs import run_step

run_step(snakemake, "tcgatl.inputs.steps", "outcomes_table")
