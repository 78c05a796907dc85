"""BRCA primary tumours in every omics layer, with EA/AA ancestry (rule motlab_cohort)."""
import pandas as pd

from tcgatl.inputs import clinical
from tcgatl.io import read_matrix, write_table
from tcgatl.logs import setup
from tcgatl.motlab import cohort

log = setup(snakemake.log[0])
cfg = snakemake.params.cfg
paths = dict(zip(cfg["layers"], snakemake.input.layers))
layers = {name: read_matrix(path) for name, path in paths.items()}
ancestry = None
if cfg["ancestry_source"] == "eigenstrat":
    ancestry = cohort.ancestry_from_eigenstrat(clinical.read_ancestry(snakemake.input.ancestry, cfg["cancer_type"]))
table, counts = cohort.build_cohort(layers, pd.read_parquet(snakemake.input.cdr), cfg["cancer_type"], ancestry,
                                    sources={**paths, "cdr": snakemake.input.cdr})
write_table(counts, snakemake.output.counts)
write_table(table, snakemake.output.cohort)
