# Reproducible reanalysis of two TCGA transfer-learning studies:
#   1. pan-cancer tumour-type classification from gene images with ImageNet backbones + IG;
#   2. MOTLAB: multi-omics breast-cancer prognosis transferred from EA to AA patients.
# Config: config/config.yaml (full TCGA run, the default) or --configfile config/demo.yaml.
from pathlib import Path

from snakemake.utils import min_version

min_version("9.0")

# The library (src/tcgatl) is installed into the environment that runs Snakemake (`make run`:
# the venv, editable) and into every conda env (envs/*.yaml install it from this checkout).

# No --configfile/--config given: the full reanalysis, from the working directory's
# config/config.yaml if there is one (a deployed copy), else the workflow's own.
if not config:

    configfile: next(p for p in (Path("config/config.yaml"), Path(workflow.basedir, "config", "config.yaml")) if p.exists())


report: "workflow/report/workflow.rst"


include: "workflow/rules/common.smk"
include: "workflow/rules/data.smk"
include: "workflow/rules/pancancer.smk"
include: "workflow/rules/ig.smk"
include: "workflow/rules/motlab.smk"
include: "workflow/rules/report.smk"


rule all:
    default_target: True
    input:
        all_targets(),
