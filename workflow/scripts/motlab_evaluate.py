"""Repeated stratified K-fold AUROC of one scheme, with and without SMOTE (rule motlab_evaluate)."""

from tcgatl.logs import run_step

run_step(snakemake, "tcgatl.motlab.steps", "motlab_evaluate")
