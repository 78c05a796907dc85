"""450K methylation -> the cohort's top-variance CpGs as Parquet, streamed (rule methylation_features)."""
import pandas as pd

from tcgatl.inputs import methylation, qc
from tcgatl.io import write_matrix, write_table
from tcgatl.logs import setup

log = setup(snakemake.log[0])
quality = qc.read_sample_quality(snakemake.input.sample_quality) if "sample_quality" in snakemake.input.keys() else None
x, samples, stats = methylation.build(
    snakemake.input.table,
    quality=quality,
    cdr=pd.read_parquet(snakemake.input.cdr),
    qc=snakemake.params.qc,
    cancer_type=snakemake.params.cancer_type,
    top=snakemake.params.top_cpgs,
    max_missing=snakemake.params.max_missing,
)
write_table(samples, snakemake.output.samples)
write_table(qc.qc_summary(samples), snakemake.output.qc)
write_table(pd.DataFrame(list(stats.items()), columns=["cpgs", "count"]), snakemake.output.stats)
write_table(qc.kept_labels(samples), snakemake.output.labels)
write_matrix(x, snakemake.output.matrix)
