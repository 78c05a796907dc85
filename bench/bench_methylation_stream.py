"""Methylation streaming: peak memory must not depend on the file's total number of columns.

Streams files with the same rows and the same cohort columns but 2x, 8x and 32x as many
columns in total, and prints peak memory (above the interpreter's baseline) for each and the
ratio of the widest to the narrowest (target ~1: independent of the total columns).

    .venv/bin/python bench/bench_methylation_stream.py [--cpgs 20000] [--cohort 200]
"""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

import numpy as np
from _measure import measure  # the bench folder is on sys.path: it holds the script


def write_methylation(path: Path, cpgs: int, columns: int, seed: int = 0) -> list[str]:
    rng = np.random.default_rng(seed)
    pool = np.array([f"{v:.4f}" for v in rng.beta(0.5, 0.5, 2000)] + ["NA"] * 10, dtype=object)
    cols = [f"TCGA-{i % 90 + 10:02d}-{i:04X}-01A-11D-A{i % 999:03d}-05" for i in range(columns)]
    with open(path, "w") as fh:
        fh.write("Composite Element REF\t" + "\t".join(cols) + "\n")
        for g in range(cpgs):
            fh.write(f"cg{g:08d}\t" + "\t".join(pool[rng.integers(0, len(pool), columns)]) + "\n")
    return cols


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--cpgs", type=int, default=20000)
    ap.add_argument("--cohort", type=int, default=200)
    ap.add_argument("--top", type=int, default=5000)
    args = ap.parse_args()
    results = []
    with tempfile.TemporaryDirectory() as tmp:
        for factor in (2, 8, 32):
            total = args.cohort * factor
            path = Path(tmp) / f"meth_{total}.tsv"
            cols = write_methylation(path, args.cpgs, total)
            cohort = cols[::factor][: args.cohort]  # spread through the file
            setup = f"PATH = {str(path)!r}\nCOLS = {cohort!r}\nfrom tcgatl.inputs import methylation"
            r = measure(setup, f"x, _ = methylation.stream_top_variance(PATH, COLS, top={args.top})")
            results.append((total, path.stat().st_size / 2**20, r))
            path.unlink()
            print(
                f"{total:>6} columns (file {results[-1][1]:6.0f} MB): cohort {args.cohort}, "
                f"peak {r['peak_mb']:6.0f} MB, {r['seconds']:6.2f} s",
                flush=True,
            )
    lo, hi = results[0], results[-1]
    print(
        f"\nPeak memory ratio {hi[0]} vs {lo[0]} total columns ({hi[0] // lo[0]}x wider file): "
        f"{hi[2]['peak_mb'] / lo[2]['peak_mb']:.2f} (target ~1)"
    )


if __name__ == "__main__":
    main()
