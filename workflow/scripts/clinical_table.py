"""TCGA-CDR -> clinical Parquet indexed by patient (rule clinical_table)."""
from tcgatl.inputs import clinical
from tcgatl.io import write_table
from tcgatl.logs import setup

log = setup(snakemake.log[0])
cdr = clinical.read_cdr(snakemake.input.cdr)
log.info("CDR: %d patients, %d tumour types", len(cdr), cdr["type"].nunique())
write_table(cdr, snakemake.output[0], index=True)
