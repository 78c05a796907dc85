"""Gene images per split at the native grid, as memory-mappable .npy (rule gene_images)."""

from tcgatl.logs import run_step

run_step(snakemake, "tcgatl.pancancer.steps", "gene_images")
