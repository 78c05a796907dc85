"""TCGA-CDR -> clinical Parquet indexed by patient (rule clinical_table)."""

from tcgatl.logs import run_step

run_step(snakemake, "tcgatl.inputs.steps", "clinical_table")
