"""Methylation streaming: peak memory must not depend on the file's total number of columns,
and time grows with the width no faster than linearly.

Streams files with the same rows and the same cohort columns but 2x, 8x and 32x as many
columns in total (or the total widths given by ``--widths``), and prints peak memory (above
the interpreter's baseline) and seconds for each, the ratio of the widest to the narrowest
peak (target ~1: independent of the total columns), the least-squares line seconds = a + b x
width, and from it the time for the real 450K file (485,577 CpGs; rows are streamed
independently, so time scales with rows) at the real width (~9,700 aliquots).

    .venv/bin/python bench/bench_methylation_stream.py [--cpgs 20000] [--cohort 200]
    .venv/bin/python bench/bench_methylation_stream.py --cpgs 50000 --cohort 1097 --widths 1250,2500,5000,9700
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
    ap.add_argument("--widths", default="", help="comma-separated total widths (default: cohort x 2, 8, 32)")
    ap.add_argument("--dir", default=None, help="folder for the temporary files (default: the system's)")
    args = ap.parse_args()
    widths = [int(w) for w in args.widths.split(",") if w] or [args.cohort * f for f in (2, 8, 32)]
    results = []
    with tempfile.TemporaryDirectory(dir=args.dir) as tmp:
        for total in widths:
            path = Path(tmp) / f"meth_{total}.tsv"
            cols = write_methylation(path, args.cpgs, total)
            step = max(1, total // args.cohort)
            cohort = cols[::step][: args.cohort]  # spread through the file
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
        f"\nPeak memory ratio {hi[0]} vs {lo[0]} total columns ({hi[0] / lo[0]:.1f}x wider file): "
        f"{hi[2]['peak_mb'] / lo[2]['peak_mb']:.2f} (target ~1)"
    )
    w = np.array([r[0] for r in results], float)
    t = np.array([r[2]["seconds"] for r in results])
    b, a = np.polyfit(w, t, 1)
    print(f"Time: {a:.2f} s + {b * 1000:.3f} s per 1,000 columns at {args.cpgs} CpGs (cohort {args.cohort})")
    print(f"Time ratio {hi[0]} vs {lo[0]} columns: {t[-1] / t[0]:.2f} (linear: {hi[0] / lo[0]:.2f})")
    scale = 485577 / args.cpgs
    for width in (2000, 9700):
        print(f"  projected for 485,577 CpGs x {width:,} columns: {(a + b * width) * scale / 60:.1f} min")


if __name__ == "__main__":
    main()
