"""Gene -> pixel layout and [0, 1] scaling, fitted on the training split (rule gene_layout)."""
import pandas as pd

from tcgatl.pancancer import layouts
from tcgatl.pancancer.splits import split_matrix
from tcgatl.io import read_matrix, write_table
from tcgatl.logs import setup

log = setup(snakemake.log[0])
p = snakemake.params
split = pd.read_csv(snakemake.input.split, sep="\t", dtype={"split": str})
x = read_matrix(snakemake.input.matrix)
x_train, _ = split_matrix(x, split, source=snakemake.input.matrix)["train"]
if snakemake.wildcards.layout == "alphabetical":
    table, shape = layouts.alphabetical(x.columns)
else:
    table, shape = layouts.similarity(x_train, seed=p.seed, grid=p.grid, method=p.method)
log.info("%s layout: %d genes on %dx%d pixels", snakemake.wildcards.layout, len(table), *shape)
layouts.write_layout(table, shape, snakemake.output.layout)
write_table(layouts.fit_scaling(x_train, p.scaling), snakemake.output.scaling)
