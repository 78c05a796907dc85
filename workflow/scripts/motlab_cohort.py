"""BRCA primary tumours in every omics layer, with EA/AA ancestry (rule motlab_cohort)."""

from tcgatl.logs import run_step

run_step(snakemake, "tcgatl.motlab.steps", "motlab_cohort")
