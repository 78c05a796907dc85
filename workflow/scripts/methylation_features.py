"""450K methylation -> the cohort's top-variance CpGs as Parquet, streamed (rule methylation_features)."""

from tcgatl.logs import run_step

run_step(snakemake, "tcgatl.inputs.steps", "methylation_features")
