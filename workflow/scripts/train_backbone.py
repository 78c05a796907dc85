"""Fine-tune one ImageNet backbone on one gene layout's images (rule train_backbone)."""

from tcgatl.logs import run_step

run_step(snakemake, "tcgatl.pancancer.steps", "train_backbone")
