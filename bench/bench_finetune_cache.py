"""Phase-2 fine-tuning on cached activations vs on gene images, side by side.

The same model (same starting weights, seed, batches and frozen layers) is fine-tuned for the
same epochs twice: the straightforward way (every epoch runs the whole backbone on the gene
images) and the way the workflow does it (the frozen part runs once; each epoch trains the
last block on the cached activations). Prints the steady per-epoch times (epoch 1, which
traces the graph, is reported apart), the per-epoch speed ratio (target >= 4x), the one-off
caching time, and the largest differences between the two runs' losses and predictions.

The two paths agree up to floating-point summation order, which oneDNN/Eigen choose by CPU,
cache sizes and batch shape. ``--perturb EPS`` multiplies the cached activations by
(1 + EPS x N(0, 1)) to show how far training amplifies differences of that size on this
machine (the tolerance of tests/test_training.py comes from it).

    .venv/bin/python bench/bench_finetune_cache.py [--backbone ResNet50] [--size 224] [--n 96] [--epochs 3] [--perturb 1e-5]
"""

from __future__ import annotations

import argparse
import os
import tempfile

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import keras  # noqa: E402
import numpy as np  # noqa: E402

from tcgatl.config import defaults  # noqa: E402
from tcgatl.pancancer import models, training  # noqa: E402
from tcgatl.tools import finetune_cache  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--backbone", default="ResNet50", choices=sorted(models.BACKBONES))
    ap.add_argument("--size", type=int, default=224, help="backbone input side (the default 224)")
    ap.add_argument("--grid", type=int, default=45, help="gene-image side (45 for 2,000 genes; 144 for EB++)")
    ap.add_argument("--n", type=int, default=96, help="training images (and a quarter as many for validation)")
    ap.add_argument("--epochs", type=int, default=3)
    ap.add_argument("--perturb", type=float, default=0.0, help="relative noise added to the cached activations")
    a = ap.parse_args()

    rng = np.random.default_rng(0)
    n_val = a.n // 4
    x = rng.uniform(size=(a.n + n_val, a.grid, a.grid)).astype(np.float32)
    y = rng.integers(0, 6, len(x))
    if a.perturb:
        exact = training.cache_activations

        def perturbed(*args):
            a_train, a_val, seconds = exact(*args)
            noise = np.random.default_rng(1)
            return (
                *(
                    np.asarray(v) * (1 + a.perturb * noise.standard_normal(v.shape)).astype(np.float32)
                    for v in (a_train, a_val)
                ),
                seconds,
            )

        training.cache_activations = perturbed
    pc = {**defaults()["pancancer"], "batch_size": 32, "finetune_epochs": a.epochs, "patience": a.epochs}
    cfg = training.TrainConfig.from_config(pc, seed=0)
    with tempfile.TemporaryDirectory() as tmp:
        models.build(a.backbone, (a.grid, a.grid), 6, size=a.size, weights="none", seed=0).save(f"{tmp}/start.keras")
        direct = keras.models.load_model(f"{tmp}/start.keras")
        cached = keras.models.load_model(f"{tmp}/start.keras")
        h_direct = finetune_cache.train_finetune_uncached(
            direct, a.backbone, x[: a.n], y[: a.n], x[a.n :], y[a.n :], cfg
        )
        h_cached, cache_s = finetune_cache.finetune_cached(
            cached, a.backbone, x[: a.n], y[: a.n], x[a.n :], y[a.n :], cfg, tmp
        )
    diff = np.abs(direct.predict(x, verbose=0) - cached.predict(x, verbose=0)).max()

    steady_d, steady_c = h_direct["seconds"].iloc[1:].mean(), h_cached["seconds"].iloc[1:].mean()
    print(
        f"{a.backbone} at {a.size}x{a.size} from {a.grid}x{a.grid} gene images, {a.n} training + {n_val} "
        f"validation images, {a.epochs} epochs of phase 2"
    )
    print(f"  on gene images        : epoch 1 {h_direct['seconds'].iloc[0]:7.2f} s, then {steady_d:7.2f} s/epoch")
    print(
        f"  on cached activations : epoch 1 {h_cached['seconds'].iloc[0]:7.2f} s, then {steady_c:7.2f} s/epoch "
        f"(+ {cache_s:.2f} s once to cache)"
    )
    print(f"  per-epoch speed ratio : {steady_d / steady_c:.1f}x (target >= 4x)")
    total_d, total_c = h_direct["seconds"].sum(), h_cached["seconds"].sum() + cache_s
    print(f"  whole phase incl. caching and tracing: {total_d / total_c:.1f}x")
    loss_diff = max(np.max(np.abs(h_direct[c] - h_cached[c]) / h_direct[c]) for c in ("loss", "val_loss"))
    kept = "same" if h_direct["kept"].tolist() == h_cached["kept"].tolist() else "different"
    noise = f" (cache perturbed by {a.perturb:g} relative)" if a.perturb else ""
    print(
        f"  largest relative loss difference: {loss_diff:.2e}; largest prediction difference: {diff:.2e}; "
        f"kept epoch: {kept}{noise}"
    )


if __name__ == "__main__":
    main()
