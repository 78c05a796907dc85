"""Stratified train/val/test split of the classifier's samples (rule pancancer_split)."""

from tcgatl.logs import run_step

run_step(snakemake, "tcgatl.pancancer.steps", "pancancer_split")
