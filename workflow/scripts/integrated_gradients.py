"""Integrated Gradients of one checkpoint: attribution maps per class and ranked genes (rule integrated_gradients)."""

from tcgatl.logs import run_step

run_step(snakemake, "tcgatl.pancancer.steps", "integrated_gradients")
