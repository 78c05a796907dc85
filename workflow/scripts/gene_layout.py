"""Gene -> pixel layout and [0, 1] scaling, fitted on the training split (rule gene_layout)."""

from tcgatl.logs import run_step

run_step(snakemake, "tcgatl.pancancer.steps", "gene_layout")
