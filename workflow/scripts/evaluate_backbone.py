"""Test-set metrics of one trained checkpoint (rule evaluate_backbone)."""

from tcgatl.logs import run_step

run_step(snakemake, "tcgatl.pancancer.steps", "evaluate_backbone")
