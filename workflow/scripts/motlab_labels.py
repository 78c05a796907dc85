"""Endpoint labels within N years and their counts per ancestry (rule motlab_labels)."""
import pandas as pd

from tcgatl.io import write_table
from tcgatl.logs import setup
from tcgatl.motlab import cohort, labels

log = setup(snakemake.log[0])
endpoint, years = snakemake.wildcards.endpoint, int(snakemake.wildcards.years)
table = labels.cohort_labels(cohort.read_cohort(snakemake.input.cohort), pd.read_parquet(snakemake.input.cdr), endpoint, years)
counts = labels.label_counts(table)
log.info("%s within %d years:\n%s", endpoint, years, counts.to_string(index=False))
write_table(counts, snakemake.output.counts)
write_table(table, snakemake.output.labels)
