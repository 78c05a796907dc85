"""Features x samples table -> sample QC -> samples x features Parquet + labels (rule layer_features)."""
import pandas as pd

from tcgatl.inputs import matrix, qc
from tcgatl.io import write_matrix, write_table
from tcgatl.logs import setup

log = setup(snakemake.log[0])
spec = snakemake.params.spec
quality = qc.read_sample_quality(snakemake.input.sample_quality) if "sample_quality" in snakemake.input.keys() else None
if quality is None:
    log.warning("no sample-quality annotation configured: Do_not_use and pathology filters skipped")
x, samples, dropped = matrix.build(
    snakemake.input.table,
    quality=quality,
    cdr=pd.read_parquet(snakemake.input.cdr),
    qc=snakemake.params.qc,
    features=spec["features"],
    skip=tuple(spec["skip"]),
)
summary = qc.qc_summary(samples)
log.info("QC:\n%s", summary.to_string(index=False))
write_table(samples, snakemake.output.samples)
write_table(summary, snakemake.output.qc)
write_table(dropped, snakemake.output.dropped)
write_table(qc.kept_labels(samples), snakemake.output.labels)
write_matrix(x, snakemake.output.matrix)
