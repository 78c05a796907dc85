"""The split table of one cross-validation fold (rule pancancer_fold_split)."""

from tcgatl.logs import run_step

run_step(snakemake, "tcgatl.pancancer.steps", "pancancer_fold_split")
