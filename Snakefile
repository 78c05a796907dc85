# Reproducible reanalysis of two TCGA transfer-learning studies:
#   1. pan-cancer tumour-type classification from gene images with ImageNet backbones + IG;
#   2. MOTLAB: multi-omics breast-cancer prognosis transferred from EA to AA patients.
# Config: config/config.yaml (full TCGA run, the default) or --configfile config/demo.yaml.
import os
import sys
from pathlib import Path

from snakemake.utils import min_version

min_version("9.0")

# The library lives in src/; scripts run in other Python processes (and conda envs), so it
# is put on their PYTHONPATH as well as on this process's path.
SRC = str(Path(workflow.basedir) / "src")
sys.path.insert(0, SRC)
os.environ["PYTHONPATH"] = os.pathsep.join(p for p in (SRC, os.environ.get("PYTHONPATH")) if p)

if not config:  # no --configfile/--config given: the full reanalysis
    configfile: "config/config.yaml"


include: "workflow/rules/common.smk"
include: "workflow/rules/data.smk"
include: "workflow/rules/pancancer.smk"
include: "workflow/rules/ig.smk"
include: "workflow/rules/motlab.smk"
include: "workflow/rules/report.smk"


rule all:
    input:
        all_targets(),
    default_target: True
