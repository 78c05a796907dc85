"""Integrated Gradients throughput and memory for one backbone and image size.

Explains the same samples of the same model twice, each in a fresh process: with the
workflow's batching (samples x steps flattened into batches of ``--batch`` interpolated
images) and the usual tutorial way (one sample at a time, all its steps in one batch).
Prints explained samples per second, peak memory above the interpreter's baseline, the speed
ratio, and how peak memory grows when twice as many samples are explained (target: by the
samples' own arrays only, since the network sees fixed-size batches).

    .venv/bin/python bench/bench_ig.py [--backbone ResNet50] [--size 224] [--samples 8] [--steps 64] [--batch 32]
"""

from __future__ import annotations

import argparse

from _measure import measure  # the bench folder is on sys.path: it holds the script

SETUP = """
import os
os.environ["TF_CPP_MIN_LOG_LEVEL"] = "3"
import numpy as np
from tcgatl.pancancer import ig, models
m = models.build({backbone!r}, ({grid}, {grid}), 6, size={size}, weights="none", seed=0)
x = np.random.default_rng(0).uniform(size=({samples}, {grid}, {grid})).astype("float32")
t = np.arange({samples}) % 6
b = ig.baseline_images("zero", x)
ig.integrated_gradients(m, x[:1], t[:1], b[:1], steps=2, batch_size={batch}, method="trapezoid")  # trace once, outside the timing
ig.integrated_gradients(m, x[:1], t[:1], b[:1], steps={steps}, batch_size={steps} + 1, method="trapezoid")
"""

BATCHED = "r = ig.integrated_gradients(m, x, t, b, steps={steps}, batch_size={batch}, method='trapezoid')"
PER_SAMPLE = """
for i in range(len(x)):
    r = ig.integrated_gradients(m, x[i:i + 1], t[i:i + 1], b[i:i + 1], steps={steps}, batch_size={steps} + 1, method="trapezoid")
"""


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--backbone", default="ResNet50")
    ap.add_argument("--size", type=int, default=224)
    ap.add_argument("--grid", type=int, default=144, help="gene-image side (144 for the 20,531 EB++ genes)")
    ap.add_argument("--samples", type=int, default=8)
    ap.add_argument("--steps", type=int, default=64)
    ap.add_argument("--batch", type=int, default=32)
    a = ap.parse_args()
    fmt = dict(vars(a))
    setup = SETUP.format(**fmt)
    batched = measure(setup, BATCHED.format(**fmt))
    naive = measure(setup, PER_SAMPLE.format(**fmt))
    # Memory must not grow with the number of samples explained: twice as many, same batches.
    double = measure(
        setup.replace(f"size=({a.samples}, ", f"size=({2 * a.samples}, ").replace(
            f"np.arange({a.samples})", f"np.arange({2 * a.samples})"
        ),
        BATCHED.format(**fmt),
    )
    print(
        f"IG for {a.backbone} at {a.size}x{a.size} on {a.grid}x{a.grid} gene images, {a.samples} samples x "
        f"{a.steps} steps (2 cores)"
    )
    for name, r in (
        ("batched, {} images per batch".format(a.batch), batched),
        (f"per sample, {a.steps + 1} images per batch", naive),
    ):
        print(f"  {name:34s}: {a.samples / r['seconds']:6.2f} samples/s, peak memory {r['peak_mb']:7.0f} MB")
    print(f"  speed ratio {naive['seconds'] / batched['seconds']:.2f}x (batched / per sample)")
    per_sample = (double["peak_mb"] - batched["peak_mb"]) / a.samples
    arrays = 5 * a.grid * a.grid * 4 / 1e6  # input, baseline, gradient sum, attribution, interpolation
    print(
        f"  batched with {2 * a.samples} samples: {2 * a.samples / double['seconds']:.2f} samples/s, peak memory "
        f"{double['peak_mb']:.0f} MB: {per_sample:.2f} MB per extra sample (its own arrays: {arrays:.2f} MB; "
        f"one sample's {a.steps + 1} interpolated images through the network would need far more)"
    )


if __name__ == "__main__":
    main()
