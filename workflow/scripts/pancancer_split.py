"""Stratified train/val/test split of the classifier's samples (rule pancancer_split)."""
import pandas as pd

from tcgatl.pancancer import splits
from tcgatl.io import write_table
from tcgatl.logs import setup

log = setup(snakemake.log[0])
p = snakemake.params
labels = pd.read_csv(snakemake.input.labels, sep="\t", dtype=str)
table, dropped = splits.make_split(
    labels, train=p.train, val=p.val, min_class_size=p.min_class_size, seed=p.seed,
    cv_folds=p.cv_folds, cv_repeats=p.cv_repeats, source=snakemake.input.labels,
)
log.info("split:\n%s", table.groupby(["label", "split"]).size().unstack(fill_value=0).to_string())
write_table(dropped, snakemake.output.dropped)
write_table(table, snakemake.output.split)
