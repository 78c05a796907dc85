"""Gene images per split at the native grid, as memory-mappable .npy (rule gene_images)."""
import pandas as pd

from tcgatl.pancancer import layouts
from tcgatl.pancancer.splits import split_matrix
from tcgatl.io import read_matrix, write_table
from tcgatl.logs import setup

log = setup(snakemake.log[0])
split = pd.read_csv(snakemake.input.split, sep="\t", dtype={"split": str})
x = read_matrix(snakemake.input.matrix)
layout, shape = layouts.read_layout(snakemake.input.layout)
scaling = pd.read_parquet(snakemake.input.scaling)
parts = split_matrix(x, split, source=snakemake.input.matrix)
index = []
for name in ("train", "val", "test"):
    xs, y = parts[name]
    layouts.to_images(xs, scaling, layout, shape, snakemake.output[name])
    index.append(pd.DataFrame({"split": name, "position": range(len(xs)), "barcode": xs.index, "label": y}))
    log.info("%s: %d images of %dx%d", name, len(xs), *shape)
write_table(pd.concat(index, ignore_index=True), snakemake.output.index)
