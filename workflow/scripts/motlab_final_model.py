"""Final models of every scheme (without and with SMOTE) on all labelled patients, saved with
their preprocessing (rule motlab_final_model)."""

from tcgatl.logs import run_step

run_step(snakemake, "tcgatl.motlab.steps", "motlab_final_model")
