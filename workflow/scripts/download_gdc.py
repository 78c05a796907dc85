"""Verified, resumable download of one GDC file (rule download_gdc)."""

from tcgatl.logs import run_step

run_step(snakemake, "tcgatl.inputs.steps", "download_gdc")
