"""Agreement of a checkpoint's IG gene ranking with the DE ranking, per class (rule ig_de_agreement)."""

from tcgatl.logs import run_step

run_step(snakemake, "tcgatl.pancancer.steps", "ig_de_agreement")
