"""The adaptive Integrated Gradients rule against the fixed 65-point trapezoid, side by side.

For each checkpoint folder given (a run's ``results/pancancer/<layout>/<backbone>``: its
model, predictions and the layout's images beside it), explains the same correctly
classified test samples (at most ``--per-class`` per class, as rule integrated_gradients
picks them) with each baseline (``--baselines``), and prints per model and baseline:

* the trapezoid over 64 intervals (65 gradient evaluations per sample, the former default):
  median and 90th-percentile completeness error, and the share of samples within the
  tolerance (``--tolerance``, the schema's default 0.05);
* the adaptive rule at the schema's defaults (tolerance, cap ``ig.max_evaluations``): the same
  numbers and its mean and largest evaluations per sample. Target: >= 90% of the samples within
  the tolerance, on every model;
* where the trapezoid already converges (>= 90% within the tolerance): the adaptive rule at
  the largest tolerance of ``MATCH`` x the trapezoid's 90th percentile whose 90th percentile is
  at most the trapezoid's (a cap of 256), and the ratio 65 / its mean evaluations. Target >= 4x.

Exits 1 if a target is missed. Relative errors below ~1e-6 are float32 rounding.

    .venv/bin/python bench/bench_ig_adaptive.py ../scale/results/pancancer/*/ResNet50 \
        [--per-class 2] [--baselines zero train_mean] [--tolerance 0.05]
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

# Multiples of the trapezoid's 90th-percentile error tried as the matched tolerance, loosest first.
MATCH = (2.0, 1.7, 1.4, 1.2, 1.0, 0.85, 0.7, 0.5, 0.35)
TRAPEZOID_STEPS = 64


def _summary(res) -> dict:
    e = res["completeness_error"]
    return {
        "median_error": float(np.median(e)),
        "p90_error": float(np.quantile(e, 0.9)),
        "within_tol": float(res["converged"].mean()),
        "mean_evals": float(res["evaluations"].mean()),
        "max_evals": int(res["evaluations"].max()),
    }


def bench(folder: Path, per_class: int, baselines, tolerance: float, cap: int, batch: int) -> list[dict]:
    from tcgatl.pancancer import ig
    from tcgatl.pancancer.checkpoint import Checkpoint

    ck = Checkpoint.load(folder)
    images = folder.parent / "images"
    index = pd.read_csv(images / "index.tsv", sep="\t", dtype={"split": str})
    test = index[index["split"] == "test"].set_index("barcode")["position"]
    chosen = ig.select_samples(pd.read_parquet(folder / "predictions.parquet"), per_class)
    x = np.asarray(np.load(images / "test.npy", mmap_mode="r")[test.loc[chosen["barcode"]].to_numpy()], np.float32)
    targets = np.array([ck.classes.index(c) for c in chosen["true"]])
    train_mean = np.load(images / "train.npy", mmap_mode="r").mean(0)
    name = f"{folder.parent.name}/{folder.name} ({ck.meta.get('image_size')} px, {len(x)} samples)"
    rows = []
    for kind in baselines:
        b = ig.baseline_images(kind, x, train_mean)

        def explain(**kw):
            t0 = time.perf_counter()
            r = ig.integrated_gradients(ck.model, x, targets, b, batch_size=batch, **kw)
            return _summary(r) | {"seconds": time.perf_counter() - t0}

        trap = explain(method="trapezoid", steps=TRAPEZOID_STEPS, tolerance=tolerance)
        rows.append({"model": name, "baseline": kind, "rule": "trapezoid 64"} | trap)
        ada = explain(method="adaptive", tolerance=tolerance, max_evaluations=cap)
        rows.append({"model": name, "baseline": kind, "rule": f"adaptive tol {tolerance:g} cap {cap}"} | ada)
        if trap["within_tol"] >= 0.9:
            for m in MATCH:
                tol = m * trap["p90_error"]
                matched = explain(method="adaptive", tolerance=tol, max_evaluations=256)
                if matched["p90_error"] <= trap["p90_error"]:
                    rows.append(
                        {"model": name, "baseline": kind, "rule": f"adaptive matched (tol {tol:.2g})"} | matched
                    )
                    break
            else:
                rows.append({"model": name, "baseline": kind, "rule": "adaptive matched: none"} | matched)
        print(pd.DataFrame(rows[-3:]).round(4).to_string(index=False), file=sys.stderr, flush=True)
    return rows


def main(argv=None) -> int:
    from tcgatl import config

    igd = config.defaults()["ig"]
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument(
        "checkpoints",
        nargs="*",
        type=Path,
        help="checkpoint folders (default: both layouts of the full-size run, ../scale/results/pancancer/*/ResNet50, "
        "made by config/scale.yaml as docs/costs.md 'Full TCGA scale rehearsal' says)",
    )
    p.add_argument("--per-class", type=int, default=2)
    p.add_argument("--baselines", nargs="+", default=["zero", "train_mean"])
    p.add_argument("--tolerance", type=float, default=igd["tolerance"])
    p.add_argument("--cap", type=int, default=igd["max_evaluations"])
    p.add_argument("--batch", type=int, default=igd["batch_size"])
    a = p.parse_args(argv)
    a.checkpoints = a.checkpoints or sorted(Path("../scale/results/pancancer").glob("*/ResNet50"))
    missing = [c for c in a.checkpoints if not (c / "model.keras").exists()]
    if not a.checkpoints or missing:
        p.error(f"no checkpoint in {', '.join(map(str, missing)) or '../scale/results/pancancer/*/ResNet50'}")
    rows = []
    for folder in a.checkpoints:
        rows += bench(folder, a.per_class, a.baselines, a.tolerance, a.cap, a.batch)
    t = pd.DataFrame(rows)
    pd.set_option("display.width", 250)
    print(t.round(4).to_string(index=False))
    failed = 0
    for (model, kind), g in t.groupby(["model", "baseline"], sort=False):
        trap, ada = g.iloc[0], g.iloc[1]
        ok = ada["within_tol"] >= 0.9
        line = (
            f"{model}, {kind} baseline: within {a.tolerance:g}: adaptive {ada['within_tol']:.0%} "
            f"({ada['mean_evals']:.1f} evaluations/sample, at most {ada['max_evals']}) vs trapezoid "
            f"{trap['within_tol']:.0%} (65) [{'ok' if ok else 'MISSED'}: >= 90%]"
        )
        if len(g) > 2:
            m = g.iloc[2]
            ratio = 65 / m["mean_evals"] if m["p90_error"] <= trap["p90_error"] else float("nan")
            good = ratio >= 4
            ok &= good
            line += (
                f"; at the trapezoid's p90 error {trap['p90_error']:.2g}: {m['mean_evals']:.1f} evaluations/sample "
                f"(p90 {m['p90_error']:.2g}), {ratio:.2f}x fewer [{'ok' if good else 'MISSED'}: >= 4x]"
            )
        failed += not ok
        print(line)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
