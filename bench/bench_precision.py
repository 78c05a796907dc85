"""float32 against mixed_bfloat16 (pancancer.precision), side by side in one run.

For each gene-image set (a run's ``results/pancancer/<layout>/images`` folder: train/val/test
.npy and index.tsv), trains one backbone twice from the same seed, once per precision, through
the workflow's own training code (tcgatl.pancancer.training.train: frozen pass into the
activation cache, head epochs, fine-tuning epochs), then

* times the frozen pass, a fine-tuning epoch (the median epoch) and Integrated Gradients
  (gradient evaluations per second of the fixed trapezoid on the test images);
* scores test accuracy with its 95% bootstrap interval (tcgatl.pancancer.metrics.evaluate);
* explains the correctly classified test samples with the adaptive rule (zero baseline, the
  schema's tolerance and cap) and reports their completeness error and evaluations; for the
  bf16 model also with its weights in a float32 copy ("bf16 weights, f32 IG"), which says
  whether IG itself needs float32.

Prints the ratios (bf16 / float32 throughput) and whether the bf16 run's accuracy lies within
the float32 run's interval; exits 1 if it does not on some set.

    .venv/bin/python bench/bench_precision.py \
        demo=../demo_run/results/pancancer/alphabetical/images:72 \
        six_cohorts=../bench224/results/pancancer/alphabetical/images:224 \
        [--backbone ResNet50] [--head-epochs 10] [--finetune-epochs 3] [--ig-samples 40]
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402


def run(name, folder, size, precision, a):
    from tcgatl import config
    from tcgatl.pancancer import ig, metrics, models, training

    folder = Path(folder)
    index = pd.read_csv(folder / "index.tsv", sep="\t", dtype={"split": str})
    classes = sorted(index.loc[index["split"] == "train", "label"].unique())
    x = {s: np.load(folder / f"{s}.npy") for s in ("train", "val", "test")}
    y = {s: training.label_indices(index, s, classes) for s in x}
    pc = config.defaults()["pancancer"] | {
        "head_epochs": a.head_epochs,
        "finetune_epochs": a.finetune_epochs,
        "patience": a.head_epochs + a.finetune_epochs,  # every epoch runs: the same work in both
        "precision": precision,
    }
    cfg = training.TrainConfig.from_config(pc, 42)
    model = models.build(
        a.backbone, x["train"].shape[1:], len(classes), size=size, weights="none", seed=42, precision=precision
    )
    with tempfile.TemporaryDirectory() as cache:
        t0 = time.perf_counter()
        history = training.train(model, a.backbone, x["train"], y["train"], x["val"], y["val"], cfg, Path(cache))
        train_s = time.perf_counter() - t0
    parts = training.Parts.of(model, a.backbone)
    training.forward(parts.lower, x["train"][: cfg.batch_size], batch_size=cfg.batch_size)  # trace first
    t0 = time.perf_counter()
    training.forward(parts.lower, x["train"], batch_size=cfg.batch_size)
    frozen_ips = len(x["train"]) / (time.perf_counter() - t0)
    finetune_s = float(history.loc[history["phase"] == "finetune", "seconds"].median())
    proba = model.predict(x["test"], batch_size=64, verbose=0)
    result = metrics.evaluate(
        [classes[i] for i in y["test"]], [classes[i] for i in proba.argmax(1)], proba, classes, n_boot=1000, seed=0
    )
    right = np.flatnonzero(proba.argmax(1) == y["test"])[: a.ig_samples]
    xi, ti = x["test"][right], y["test"][right]
    zero = np.zeros_like(xi)
    ig.integrated_gradients(model, xi[:1], ti[:1], zero[:1], steps=15, batch_size=16, method="trapezoid")  # trace
    t0 = time.perf_counter()
    ig.integrated_gradients(model, xi, ti, zero, steps=15, batch_size=16, method="trapezoid")
    ig_eps = len(xi) * 16 / (time.perf_counter() - t0)
    igd = config.defaults()["ig"]
    variants = {precision: model}
    if precision != "float32":
        twin = models.build(
            a.backbone, x["train"].shape[1:], len(classes), size=size, weights="none", seed=42, precision="float32"
        )
        twin.set_weights(model.get_weights())
        variants["bf16 weights, f32 IG"] = twin
    rows = []
    for label, m in variants.items():
        r = ig.integrated_gradients(
            m,
            xi,
            ti,
            zero,
            method="adaptive",
            tolerance=igd["tolerance"],
            max_evaluations=igd["max_evaluations"],
            batch_size=igd["batch_size"],
        )
        e = r["completeness_error"]
        rows.append(
            {
                "set": name,
                "run": label,
                "train_s": train_s,
                "frozen_ips": frozen_ips,
                "finetune_epoch_s": finetune_s,
                "ig_eps": ig_eps,
                "accuracy": result["metrics"]["accuracy"],
                "ci_low": result["ci95"]["accuracy"][0],
                "ci_high": result["ci95"]["accuracy"][1],
                "ig_samples": len(xi),
                "ig_p90_error": float(np.quantile(e, 0.9)) if len(e) else np.nan,
                "ig_within_tol": float(r["converged"].mean()) if len(e) else np.nan,
                "ig_mean_evals": float(r["evaluations"].mean()) if len(e) else np.nan,
            }
        )
    return rows


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument(
        "sets",
        nargs="*",
        default=[
            "demo=../demo_run/results/pancancer/alphabetical/images:72",
            "six_cohorts=../bench224/results/pancancer/alphabetical/images:224",
        ],
        help="NAME=IMAGES_FOLDER:IMAGE_SIZE (default: the demo run in ../demo_run and the six real cohorts of "
        "bench/requests_224.yaml in ../bench224)",
    )
    p.add_argument("--backbone", default="ResNet50")
    p.add_argument("--head-epochs", type=int, default=10)
    p.add_argument("--finetune-epochs", type=int, default=3)
    p.add_argument("--ig-samples", type=int, default=40)
    a = p.parse_args(argv)
    rows = []
    for spec in a.sets:
        name, rest = spec.split("=", 1)
        folder, size = rest.rsplit(":", 1)
        if not (Path(folder) / "index.tsv").exists():
            p.error(f"{name}: no gene images in {folder} (run the workflow there first)")
        for precision in ("float32", "mixed_bfloat16"):
            print(f"{name}: {a.backbone} at {size} px, {precision} ...", file=sys.stderr, flush=True)
            rows += run(name, folder, int(size), precision, a)
    table = pd.DataFrame(rows)
    pd.set_option("display.width", 200)
    print(table.round(3).to_string(index=False))
    failed = 0
    for name, t in table.groupby("set", sort=False):
        f32, bf = t[t["run"] == "float32"].iloc[0], t[t["run"] == "mixed_bfloat16"].iloc[0]
        inside = f32["ci_low"] <= bf["accuracy"] <= f32["ci_high"]
        failed += not inside
        print(
            f"{name}: bf16/float32 throughput: frozen pass {bf['frozen_ips'] / f32['frozen_ips']:.2f}x, fine-tuning "
            f"epoch {f32['finetune_epoch_s'] / bf['finetune_epoch_s']:.2f}x, IG {bf['ig_eps'] / f32['ig_eps']:.2f}x, "
            f"whole training job {f32['train_s'] / bf['train_s']:.2f}x; accuracy {bf['accuracy']:.3f} vs float32 "
            f"{f32['accuracy']:.3f} [{f32['ci_low']:.3f}, {f32['ci_high']:.3f}]: {'within' if inside else 'OUTSIDE'}"
        )
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
