"""Cross-validated test metrics of every model, per fold and summarised (rule pancancer_cv_summary)."""

from tcgatl.logs import run_step

run_step(snakemake, "tcgatl.pancancer.steps", "pancancer_cv_summary")
