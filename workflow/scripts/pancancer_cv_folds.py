"""The repeated stratified K-fold of the split's samples (rule pancancer_cv_folds)."""

from tcgatl.logs import run_step

run_step(snakemake, "tcgatl.pancancer.steps", "pancancer_cv_folds")
