"""Similarity layout at EB++ size: the embedding's time beside the two pixel assignments'.

The genes are the real 20,531 EB++ ids (tcgatl.inputs.reference.ebpp_gene_ids); the expression is
synthetic (``--samples`` samples, genes in co-expression modules of unequal sizes plus
independent genes), so the embedding is clumpy as a real one is. Prints, from one run:

* the seconds of the 2-D embedding (t-SNE after PCA, or kernel PCA with ``--method kpca``);
* for ``unique`` (one gene per pixel) and ``snap`` (nearest pixel, shared pixels averaged): the
  seconds of the placement, the pixels used, the genes sharing a pixel and the mean displacement
  (pixels) from the embedded position, and the placement's time as a fraction of the embedding's;
* with ``--grids``, the unique assignment on larger grids (more padding, less displacement).

With ``--matrix results/features/mrna.parquet --split results/pancancer/split.tsv`` (a workflow
run's outputs) the genes and training samples are those of that run instead.

    python bench/bench_layout.py [--genes 20531] [--samples 300] [--method tsne] [--grids 160,200]
"""

from __future__ import annotations

import argparse
import math
import time

import numpy as np
import pandas as pd

from tcgatl.inputs.reference import ebpp_gene_ids
from tcgatl.pancancer import layouts


def synthetic(genes: list[str], samples: int, seed: int) -> pd.DataFrame:
    """Samples x genes: 70% of the genes in modules (a shared factor each), the rest noise."""
    rng = np.random.default_rng(seed)
    n = len(genes)
    n_mod = max(2, n // 100)
    module = np.where(rng.random(n) < 0.7, rng.choice(n_mod, n, p=rng.dirichlet(np.ones(n_mod))), -1)
    factors = rng.normal(size=(samples, n_mod))
    x = rng.normal(size=(samples, n)).astype(np.float32)
    m = module >= 0
    x[:, m] += 2.0 * factors[:, module[m]]
    return pd.DataFrame(x, columns=genes)


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--genes", type=int, default=20531)
    ap.add_argument("--samples", type=int, default=300)
    ap.add_argument("--method", choices=["tsne", "kpca"], default="tsne")
    ap.add_argument("--grids", default="", help="comma-separated larger grid sides for the unique assignment")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--matrix", help="a features parquet of a workflow run (with --split: its training samples)")
    ap.add_argument("--split")
    a = ap.parse_args(argv)
    if a.matrix:
        from tcgatl.io import read_matrix
        from tcgatl.pancancer.splits import split_matrix

        split = pd.read_csv(a.split, sep="\t", dtype={"split": str})
        x, _ = split_matrix(read_matrix(a.matrix), split, source=a.matrix)["train"]
        what = f"{a.matrix}: {x.shape[1]} genes, {len(x)} training samples"
    else:
        x = synthetic(ebpp_gene_ids()[: a.genes], a.samples, a.seed)
        what = f"{x.shape[1]} real EB++ gene ids, {a.samples} synthetic samples"
    side = math.isqrt(x.shape[1] - 1) + 1
    print(f"{what}, {side}x{side} grid, {a.method}")
    t0 = time.perf_counter()
    emb = layouts.embed_genes(x, a.seed, a.method)
    t_embed = time.perf_counter() - t0
    print(f"embedding ({a.method}): {t_embed:.1f} s")
    runs = [("unique", side), ("snap", side)] + [("unique", int(g)) for g in a.grids.split(",") if g]
    print("assignment  grid  seconds  pixels  genes_sharing_a_pixel  mean_displacement_px  time/embedding")
    for assignment, grid in runs:
        t0 = time.perf_counter()
        _, stats = layouts.place_on_grid(emb, grid, assignment)
        t = time.perf_counter() - t0
        print(
            f"{assignment:<10}  {grid:>4}  {t:7.2f}  {stats['pixels']:6d}  {stats['sharing_genes']:21d}  "
            f"{stats['mean_displacement']:20.2f}  {t / t_embed:14.3f}"
        )


if __name__ == "__main__":
    main()
