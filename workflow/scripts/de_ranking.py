"""One-vs-rest differential expression per class on the training split (rule de_ranking)."""

from tcgatl.logs import run_step

run_step(snakemake, "tcgatl.pancancer.steps", "de_ranking")
