"""Features x samples table -> sample QC -> samples x features Parquet + labels (rule layer_features)."""

from tcgatl.logs import run_step

run_step(snakemake, "tcgatl.inputs.steps", "layer_features")
