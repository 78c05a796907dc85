"""Deletion and insertion curves of a checkpoint's IG attributions against random and DE orders (rule ig_faithfulness)."""

from tcgatl.logs import run_step

run_step(snakemake, "tcgatl.pancancer.steps", "ig_faithfulness")
