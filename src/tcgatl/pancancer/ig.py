"""Integrated Gradients on gene images, and their translation into gene attributions.

The model's input is the native gene grid, so a pixel attribution is the attribution of the
gene(s) at that pixel. Where several genes share a pixel (the similarity layout averages
them), the pixel's integrated gradient is split by the chain rule: gene g in pixel p gets
w_g * (x_g - b_p) * avg_grad_p, which sums to the pixel's attribution.
"""

from __future__ import annotations

import logging

import numpy as np
import pandas as pd

from .options import IG_METHODS

log = logging.getLogger("tcgatl.pancancer.ig")


def baseline_images(kind: str, x: np.ndarray, train_mean: np.ndarray | None = None, sigma: float = 3.0) -> np.ndarray:
    """Reference inputs for ``x`` (n, H, W): 'zero' expression (the scaled minimum), the
    training 'train_mean' image, or a Gaussian 'blur' of each input."""
    if kind == "zero":
        return np.zeros_like(x, dtype=np.float32)
    if kind == "train_mean":
        if train_mean is None:
            raise ValueError("the train_mean baseline needs the training mean image")
        return np.broadcast_to(train_mean.astype(np.float32), x.shape).copy()
    if kind == "blur":
        from scipy.ndimage import gaussian_filter

        return np.stack([gaussian_filter(img, sigma, mode="constant") for img in x]).astype(np.float32)
    raise ValueError(f"unknown baseline {kind!r}; expected zero, train_mean or blur")


_GRADIENT_FNS: dict = {}


def _gradient_fn(model):
    """One traced gradient function per model (tracing a backbone takes seconds)."""
    key = id(model)
    if key in _GRADIENT_FNS and _GRADIENT_FNS[key][0] is model:
        return _GRADIENT_FNS[key][1]
    import tensorflow as tf

    @tf.function(reduce_retracing=True)
    def grads(images, targets):
        with tf.GradientTape() as tape:
            tape.watch(images)
            out = model(images, training=False)
            picked = tf.gather(out, targets, axis=1, batch_dims=1)
        return tape.gradient(picked, images), picked

    _GRADIENT_FNS[key] = (model, grads)
    return grads


def quadrature(method: str, steps: int) -> tuple[np.ndarray, np.ndarray, int, int]:
    """The path points ``alphas`` in [0, 1] and their ``weights`` for ``method``, and the
    indices of the points at alpha 0 (F(baseline)) and alpha 1 (F(x)).

    'trapezoid': ``steps`` intervals, ``steps + 1`` points including both ends. 'gauss_legendre':
    ``steps`` Gauss-Legendre nodes mapped from [-1, 1] to [0, 1] (weights halved), exact for
    polynomial gradients of degree < 2 * steps along the path; its nodes exclude the ends, so
    alpha 0 and alpha 1 are appended with weight 0 (``steps + 2`` points), for F(baseline) and
    F(x) of the completeness error. Every point is one gradient evaluation per sample.
    """
    if method not in IG_METHODS:
        raise ValueError(f"unknown Integrated Gradients method {method!r}; expected one of {', '.join(IG_METHODS)}")
    if int(steps) != steps or steps < 1:
        raise ValueError(f"Integrated Gradients needs a whole number of steps >= 1, got {steps!r}")
    steps = int(steps)
    if method == "trapezoid":
        alphas = np.linspace(0.0, 1.0, steps + 1, dtype=np.float32)
        weights = np.full(steps + 1, 1.0 / steps, np.float32)
        weights[[0, -1]] /= 2
        return alphas, weights, 0, steps
    nodes, w = np.polynomial.legendre.leggauss(steps)
    alphas = np.concatenate([[0.0], (nodes + 1) / 2, [1.0]]).astype(np.float32)
    weights = np.concatenate([[0.0], w / 2, [0.0]]).astype(np.float32)
    return alphas, weights, 0, steps + 1


def evaluations(method: str, steps: int) -> int:
    """Gradient evaluations per sample: ``steps + 1`` (trapezoid), ``steps + 2`` (Gauss-Legendre)."""
    return len(quadrature(method, steps)[0])


def integrated_gradients(
    model,
    x: np.ndarray,
    targets,
    baseline: np.ndarray,
    steps: int = 64,
    batch_size: int = 64,
    method: str = "trapezoid",
) -> dict:
    """IG of output ``targets[i]`` for every input ``x[i]`` (n, H, W) against ``baseline[i]``.

    The path integral is the ``method`` rule of :func:`quadrature`: the trapezoidal rule over
    ``steps`` intervals or ``steps`` Gauss-Legendre nodes (plus both ends, weightless, for
    F(x) and F(baseline)). Samples and path points are flattened and processed ``batch_size``
    interpolated images at a time, so memory is bounded by the batch, not by n x steps.
    Returns attributions, the path-averaged gradients, F(x), F(baseline) and the completeness
    error |sum(attr) - (F(x) - F(b))| / |F(x) - F(b)| per sample.
    """
    alphas, weights, at_baseline, at_x = quadrature(method, steps)
    x = np.asarray(x, np.float32)
    baseline = np.asarray(baseline, np.float32)
    targets = np.asarray(targets, np.int32)
    n, points = len(x), len(alphas)
    log.info(
        "integrated gradients: %s rule, %d %s, %d gradient evaluations per sample, %d samples",
        method,
        steps,
        "intervals" if method == "trapezoid" else "nodes",
        points,
        n,
    )
    pairs = np.stack(np.meshgrid(np.arange(n), np.arange(points), indexing="ij"), -1).reshape(-1, 2)
    grads = _gradient_fn(model)
    avg_grad = np.zeros_like(x)
    f_x, f_b = np.zeros(n, np.float32), np.zeros(n, np.float32)
    report = max(1, len(pairs) // batch_size // 10)
    for k, start in enumerate(range(0, len(pairs), batch_size)):
        chunk = pairs[start : start + batch_size]
        i, j = chunk[:, 0], chunk[:, 1]
        a = alphas[j][:, None, None]
        batch = baseline[i] + a * (x[i] - baseline[i])
        pad = batch_size - len(chunk)  # a constant batch shape: traced once
        if pad:
            batch = np.concatenate([batch, np.repeat(batch[-1:], pad, 0)])
        g, out = grads(batch, np.concatenate([targets[i], np.repeat(targets[i][-1:], pad)]))
        g, out = g.numpy()[: len(chunk)], out.numpy()[: len(chunk)]
        np.add.at(avg_grad, i, g * weights[j][:, None, None])
        f_x[i[j == at_x]] = out[j == at_x]
        f_b[i[j == at_baseline]] = out[j == at_baseline]
        if k % report == 0:
            log.info("integrated gradients: %d/%d interpolated images", min(start + batch_size, len(pairs)), len(pairs))
    attr = (x - baseline) * avg_grad
    delta = f_x - f_b
    with np.errstate(divide="ignore", invalid="ignore"):
        err = np.abs(attr.reshape(n, -1).sum(1) - delta) / np.abs(delta)
    return {"attributions": attr, "avg_grad": avg_grad, "f_x": f_x, "f_baseline": f_b, "completeness_error": err}


def gene_attributions(
    avg_grad: np.ndarray, baseline: np.ndarray, genes_scaled: np.ndarray, layout: pd.DataFrame, shape
) -> np.ndarray:
    """(n, genes) attributions of the layout's genes (in layout order) from the pixels' averaged
    gradients: w_g * (x_g - b_p) * avg_grad_p, where w_g = 1 / (genes sharing pixel p).
    ``genes_scaled`` holds the samples' scaled values of the layout's genes, in layout order."""
    pixel = layout["row"].to_numpy(int) * shape[1] + layout["col"].to_numpy(int)
    share = 1.0 / np.bincount(pixel, minlength=shape[0] * shape[1])[pixel]
    g = avg_grad.reshape(len(avg_grad), -1)[:, pixel]
    b = baseline.reshape(len(baseline), -1)[:, pixel]
    return (share * (genes_scaled - b) * g).astype(np.float32)


def rank_genes(attr: pd.DataFrame, labels, layout: pd.DataFrame) -> pd.DataFrame:
    """Per class: genes ranked by mean attribution (rank 1 = strongest evidence for the class).
    ``attr`` is samples x genes; only genes of the layout appear (never padding)."""
    info = layout.set_index("gene")[["symbol", "entrez"]]
    labels = np.asarray(labels)
    tables = []
    for c in sorted(set(labels)):
        a = attr[labels == c]
        t = pd.DataFrame(
            {
                "gene": attr.columns,
                "mean_attribution": a.mean(0).to_numpy(),
                "sd_attribution": a.std(0, ddof=1).to_numpy() if len(a) > 1 else np.nan,
            }
        )
        t = t.sort_values(["mean_attribution", "gene"], ascending=[False, True], kind="stable")
        t.insert(0, "rank", np.arange(1, len(t) + 1))
        t.insert(0, "n_samples", len(a))
        t.insert(0, "class", c)
        tables.append(t)
    out = pd.concat(tables, ignore_index=True)
    out = out.join(info, on="gene")
    return out[["class", "rank", "gene", "symbol", "entrez", "mean_attribution", "sd_attribution", "n_samples"]]


def select_samples(predictions: pd.DataFrame, max_per_class: int) -> pd.DataFrame:
    """Correctly classified test samples, at most ``max_per_class`` per class, in test order."""
    right = predictions[predictions["true"] == predictions["predicted"]]
    return right.groupby("true", sort=True, group_keys=False).head(max_per_class)
