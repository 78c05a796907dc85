"""Logistic-regression baseline on the split's feature matrix (rule baseline_logreg)."""

from tcgatl.logs import run_step

run_step(snakemake, "tcgatl.pancancer.steps", "baseline_logreg")
