"""EB++ parsing: tcgatl.inputs.matrix versus pandas.read_csv(sep="\t") on the same generated file.

Prints time and peak memory (above the interpreter's baseline) for 500, 1,000, 2,000 and
4,000 samples x 20,531 genes, and the ratios at 2,000 samples. Targets: at least 4x faster
than pandas, peak memory at most 2x the float32 matrix.

    .venv/bin/python bench/bench_ebpp_parse.py [--genes 20531] [--samples 500 1000 2000 4000]
"""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

import numpy as np
from _measure import measure  # the bench folder is on sys.path: it holds the script


def write_ebpp(path: Path, genes: int, samples: int, seed: int = 0) -> None:
    """An EB++-shaped file: SYMBOL|EntrezID rows, aliquot-barcode columns, RSEM-like values."""
    rng = np.random.default_rng(seed)
    pool = np.array(["0"] * 400 + [f"{v:.4f}" for v in rng.lognormal(3, 2.5, 1600)], dtype=object)
    cols = [f"TCGA-{i % 90 + 10:02d}-{i:04X}-01A-11R-A{i % 999:03d}-07" for i in range(samples)]
    with open(path, "w") as fh:
        fh.write("gene_id\t" + "\t".join(cols) + "\n")
        idx = rng.integers(0, len(pool), size=(genes, samples), dtype=np.int32)
        for g in range(genes):
            fh.write(f"GENE{g}|{100000 + g}\t" + "\t".join(pool[idx[g]]) + "\n")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--genes", type=int, default=20531)
    ap.add_argument("--samples", type=int, nargs="+", default=[500, 1000, 2000, 4000])
    args = ap.parse_args()
    ours_code = """
        from tcgatl.inputs import matrix
        cols = matrix.read_header(PATH)[1:]
        x = matrix.read_samples_matrix(PATH, cols)
    """
    pandas_code = """
        import pandas as pd
        x = pd.read_csv(PATH, sep="\\t", index_col=0)
    """
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for n in args.samples:
            path = Path(tmp) / f"ebpp_{n}.tsv"
            write_ebpp(path, args.genes, n)
            setup = f"PATH = {str(path)!r}\nimport pandas, pyarrow, numpy\nfrom tcgatl.inputs import matrix"
            ours = measure(setup, ours_code)
            pand = measure(setup, pandas_code)
            f32 = args.genes * n * 4 / 2**20
            rows.append((n, path.stat().st_size / 2**20, f32, ours, pand))
            path.unlink()
            print(
                f"{n:>6} samples  file {rows[-1][1]:7.0f} MB  float32 {f32:6.0f} MB | "
                f"tcgatl {ours['seconds']:6.2f} s {ours['peak_mb']:7.0f} MB ({ours['peak_mb'] / f32:.2f}x) | "
                f"pandas {pand['seconds']:6.2f} s {pand['peak_mb']:7.0f} MB | speed-up {pand['seconds'] / ours['seconds']:.1f}x",
                flush=True,
            )
    ref = next((r for r in rows if r[0] == 2000), rows[-1])
    n, _, f32, ours, pand = ref
    print(
        f"\nAt {n} samples: speed ratio pandas/tcgatl = {pand['seconds'] / ours['seconds']:.2f} (target >= 4); "
        f"peak memory / float32 matrix = {ours['peak_mb'] / f32:.2f} (target <= 2)"
    )
    if len(rows) > 1:
        a, b = rows[0], rows[-1]
        print(
            f"Growth {a[0]} -> {b[0]} samples ({b[0] / a[0]:.0f}x): time {b[3]['seconds'] / a[3]['seconds']:.1f}x, "
            f"memory {b[3]['peak_mb'] / a[3]['peak_mb']:.1f}x"
        )


if __name__ == "__main__":
    main()
