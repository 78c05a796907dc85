"""AUROC mean/sd/95% CI per endpoint, year, scheme and SMOTE option; figures (rule motlab_summary)."""
import pandas as pd

from tcgatl.io import read_table, write_table
from tcgatl.logs import setup
from tcgatl.motlab import plots
from tcgatl.motlab.evaluate import summarise

log = setup(snakemake.log[0])
auroc = pd.concat([read_table(p) for p in snakemake.input.auroc], ignore_index=True)
oof = pd.concat([pd.read_parquet(p) for p in snakemake.input.oof], ignore_index=True)
summary = summarise(auroc)
log.info("AUROC summary:\n%s", summary.to_string(index=False))
write_table(auroc, snakemake.output.per_repeat)
write_table(summary, snakemake.output.parquet)
plots.roc_curves(oof, snakemake.output.roc)
plots.auroc_by_scheme(summary, snakemake.output.figure)
write_table(summary, snakemake.output.table)
