"""Verified, resumable download of one backbone's ImageNet weights (rule imagenet_weights)."""

from tcgatl.logs import run_step

run_step(snakemake, "tcgatl.inputs.steps", "imagenet_weights")
