"""Endpoint labels within N years and their counts per ancestry (rule motlab_labels)."""

from tcgatl.logs import run_step

run_step(snakemake, "tcgatl.motlab.steps", "motlab_labels")
