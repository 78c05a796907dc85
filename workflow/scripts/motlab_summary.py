"""AUROC mean/sd/95% CI per endpoint, year, scheme and SMOTE option; figures (rule motlab_summary)."""

from tcgatl.logs import run_step

run_step(snakemake, "tcgatl.motlab.steps", "motlab_summary")
