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

from ..progress import Progress
from .costs import ADAPTIVE_BLOCK, ADAPTIVE_POINTS, ADAPTIVE_SAMPLE_FACTOR
from .layouts import flat_pixels
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
    """One compiled gradient function per model (backend.gradient_fn; tracing a backbone takes
    seconds)."""
    key = id(model)
    if key in _GRADIENT_FNS and _GRADIENT_FNS[key][0] is model:
        return _GRADIENT_FNS[key][1]
    from .backend import gradient_fn

    _GRADIENT_FNS[key] = (model, gradient_fn(model))
    return _GRADIENT_FNS[key][1]


def quadrature(method: str, steps: int) -> tuple[np.ndarray, np.ndarray, int, int]:
    """The path points ``alphas`` in [0, 1] and their ``weights`` for ``method``, and the
    indices of the points at alpha 0 (F(baseline)) and alpha 1 (F(x)).

    'trapezoid': ``steps`` intervals, ``steps + 1`` points including both ends. 'gauss_legendre':
    ``steps`` Gauss-Legendre nodes mapped from [-1, 1] to [0, 1] (weights halved), exact for
    polynomial gradients of degree < 2 * steps along the path; its nodes exclude the ends, so
    alpha 0 and alpha 1 are appended with weight 0 (``steps + 2`` points), for F(baseline) and
    F(x) of the completeness error. Every point is one gradient evaluation per sample.
    """
    if method not in IG_METHODS or method == "adaptive":
        fixed = ", ".join(m for m in IG_METHODS if m != "adaptive")
        raise ValueError(f"no fixed Integrated Gradients rule {method!r}; expected one of {fixed}")
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


def evaluations(method: str, steps: int, max_evaluations: int | None = None) -> int:
    """Gradient evaluations per sample: ``steps + 1`` (trapezoid), ``steps + 2`` (Gauss-Legendre),
    at most ``max_evaluations`` (adaptive)."""
    if method == "adaptive":
        return int(max_evaluations)
    return len(quadrature(method, steps)[0])


def lobatto(points: int) -> tuple[np.ndarray, np.ndarray]:
    """The ``points``-point Gauss-Lobatto rule on [0, 1]: nodes (both ends included) and weights
    (summing to 1), exact for polynomials of degree <= 2 * points - 3.

    Written here because NumPy and SciPy ship Gauss-Legendre but not Lobatto: the interior
    nodes are the roots of P'_{points-1}, the weights 2 / (m (m - 1) P_{m-1}(t)^2) on [-1, 1].
    """
    m = int(points)
    if m < 3:
        raise ValueError(f"a Gauss-Lobatto rule needs at least 3 points, got {points!r}")
    p = np.zeros(m)
    p[-1] = 1.0  # P_{m-1} in the Legendre basis
    inner = np.sort(np.polynomial.legendre.legroots(np.polynomial.legendre.legder(p)))
    t = np.concatenate([[-1.0], inner, [1.0]])
    w = 2.0 / (m * (m - 1) * np.polynomial.legendre.legval(t, p) ** 2)
    return (t + 1) / 2, w / 2


def _path_gradients(grads, x, baseline, targets, sample, alpha, batch_size, progress=None):
    """Gradients and outputs at path points: image ``sample[k]`` at ``alpha[k]``, batched."""
    g_all = np.empty((len(sample), *x.shape[1:]), np.float32)
    out_all = np.empty(len(sample), np.float32)
    for start in range(0, len(sample), batch_size):
        i, a = sample[start : start + batch_size], alpha[start : start + batch_size]
        batch = baseline[i] + a[:, None, None] * (x[i] - baseline[i])
        # A short batch is sent as it is, not padded to batch_size: the gradient function then
        # traces once more for any batch length (reduce_retracing) and runs that as fast, while
        # padding cost up to a whole batch in every refinement round.
        g_all[start : start + len(i)], out_all[start : start + len(i)] = grads(batch, targets[i])
        if progress is not None:
            progress(len(i))
    return g_all, out_all


def _fixed_rule(grads, x, targets, baseline, alphas, weights, at_baseline, at_x, batch_size):
    n, points = len(x), len(alphas)
    pairs = np.stack(np.meshgrid(np.arange(n), np.arange(points), indexing="ij"), -1).reshape(-1, 2)
    avg_grad = np.zeros_like(x)
    f_x, f_b = np.zeros(n, np.float32), np.zeros(n, np.float32)
    chunk_size = batch_size * max(1, len(pairs) // batch_size // 10)  # bounds the gradients held at once
    progress = Progress(len(pairs), "interpolated images", log, "integrated gradients")
    for start in range(0, len(pairs), chunk_size):
        chunk = pairs[start : start + chunk_size]
        i, j = chunk[:, 0], chunk[:, 1]
        g, out = _path_gradients(grads, x, baseline, targets, i, alphas[j], batch_size, progress.update)
        np.add.at(avg_grad, i, g * weights[j][:, None, None])
        f_x[i[j == at_x]] = out[j == at_x]
        f_b[i[j == at_baseline]] = out[j == at_baseline]
    return avg_grad, f_x, f_b, np.full(n, points, np.int32), np.ones(n, np.int32)


class _Path:
    """One sample's path [0, 1] cut into intervals, each integrated by a Gauss-Lobatto rule.

    Boundaries keep their gradient and output (shared by the two intervals they bound); an
    interval keeps the weighted sum of its interior gradients, its interior outputs and its
    local error: the rule's attribution over the interval minus F(b) - F(a), which the
    fundamental theorem of calculus says it should equal. The sample's completeness error is
    the sum of the local errors, so they also say where to refine.
    """

    def __init__(self, diff, nodes, weights):
        self.diff, self.nodes, self.weights = diff, nodes, weights
        self.bounds: list[float] = []
        self.bound_grad: dict[float, np.ndarray] = {}
        self.bound_out: dict[float, float] = {}
        self.intervals: list[dict] = []
        self.evaluations = 0

    def add_interval(self, a, b, inner_grads, inner_out):
        w = self.weights
        s = np.tensordot(w[1:-1], inner_grads, axes=1)
        contrib = (b - a) * (w[0] * (self.bound_grad[a] + self.bound_grad[b]) + s)
        err = float((self.diff * contrib).sum()) - (self.bound_out[b] - self.bound_out[a])
        alphas = a + (b - a) * self.nodes
        outs = np.concatenate([[self.bound_out[a]], inner_out, [self.bound_out[b]]])
        self.intervals.append({"a": a, "b": b, "contrib": contrib, "error": err, "alphas": alphas, "outs": outs})
        self.intervals.sort(key=lambda iv: iv["a"])

    def split_point(self, iv) -> float:
        """Where the output moves: the alpha at which the interval's output, linear between its
        nodes, has made half its total movement; kept off the ends by 1/16 of the width."""
        a, b = iv["a"], iv["b"]
        moved = np.concatenate([[0.0], np.cumsum(np.abs(np.diff(iv["outs"])))])
        c = (a + b) / 2 if moved[-1] <= 0 else float(np.interp(moved[-1] / 2, moved, iv["alphas"]))
        return float(np.clip(c, a + (b - a) / 16, b - (b - a) / 16))

    @property
    def delta(self) -> float:
        return self.bound_out[1.0] - self.bound_out[0.0]

    def completeness_error(self) -> float:
        """|sum of the local errors| / |F(x) - F(baseline)|: the sample's completeness error."""
        return abs(sum(iv["error"] for iv in self.intervals)) / abs(self.delta) if self.delta else np.inf


def _adaptive_rule(grads, x, targets, baseline, points, tolerance, max_evaluations, batch_size):
    """Per sample: a ``points``-point Gauss-Lobatto rule on the whole path; then, while its
    completeness error exceeds ``tolerance``, split its interval of largest local error where
    the output moves (2 * points - 3 new evaluations per split).

    The samples share a budget of ``max_evaluations`` per sample: most converge in fewer, and
    what they leave pays for the few whose path needs more (each up to ADAPTIVE_SAMPLE_FACTOR x
    ``max_evaluations``). When a round cannot pay every split, the samples that have used the
    fewest evaluations go first. All samples still refining are evaluated together,
    ``batch_size`` images at a time."""
    nodes, weights = lobatto(points)
    n = len(x)
    diff = x - baseline
    paths = [_Path(diff[i], nodes, weights) for i in range(n)]
    per_split = 2 * points - 3
    budget = n * max_evaluations
    sample_cap = ADAPTIVE_SAMPLE_FACTOR * max_evaluations
    done = {"images": 0}

    def progress(k):
        done["images"] += k

    # Round 0: the whole path of every sample.
    sample = np.repeat(np.arange(n), points)
    alpha = np.tile(nodes, n)
    g, out = _path_gradients(grads, x, baseline, targets, sample, alpha.astype(np.float32), batch_size, progress)
    g, out = g.reshape(n, points, *x.shape[1:]), out.reshape(n, points)
    for i, p in enumerate(paths):
        p.bounds = [0.0, 1.0]
        p.bound_grad = {0.0: g[i, 0], 1.0: g[i, -1]}
        p.bound_out = {0.0: float(out[i, 0]), 1.0: float(out[i, -1])}
        p.add_interval(0.0, 1.0, g[i, 1:-1], out[i, 1:-1])
        p.evaluations = points
    del g
    rounds = 0
    while True:
        # Per sample still above the tolerance, split its interval of largest local error
        # (one per round: a split often fixes the sample, and a second would be wasted).
        wanting = [
            i
            for i, p in enumerate(paths)
            if p.completeness_error() > tolerance and p.evaluations + per_split <= sample_cap
        ]
        spent = sum(p.evaluations for p in paths)
        affordable = max(0, (budget - spent) // per_split)
        wanting = sorted(wanting, key=lambda i: (paths[i].evaluations, -paths[i].completeness_error()))[:affordable]
        plan = []
        for i in sorted(wanting):
            worst = max(paths[i].intervals, key=lambda iv: abs(iv["error"]))
            plan.append((i, worst, paths[i].split_point(worst)))
        if not plan:
            break
        rounds += 1
        # New points: the split point and the interior nodes of both halves.
        sample, alpha = [], []
        for i, iv, c in plan:
            for lo, hi in ((iv["a"], c), (c, iv["b"])):
                sample += [i] * (points - 2)
                alpha += list(lo + (hi - lo) * nodes[1:-1])
            sample.append(i)
            alpha.append(c)
        sample = np.asarray(sample)
        g, out = _path_gradients(
            grads, x, baseline, targets, sample, np.asarray(alpha, np.float32), batch_size, progress
        )
        k = 0
        for i, iv, c in plan:
            p = paths[i]
            halves = []
            for _ in range(2):
                halves.append((g[k : k + points - 2], out[k : k + points - 2]))
                k += points - 2
            p.bound_grad[c], p.bound_out[c] = g[k], float(out[k])
            k += 1
            p.intervals.remove(iv)
            p.add_interval(iv["a"], c, *halves[0])
            p.add_interval(c, iv["b"], *halves[1])
            p.evaluations += per_split
        log.info(
            "integrated gradients: refinement round %d, %d intervals split in %d samples; %d gradient "
            "evaluations so far (%.1f per sample)",
            rounds,
            len(plan),
            len({i for i, _, _ in plan}),
            done["images"],
            done["images"] / n,
        )
    avg_grad = np.stack([sum(iv["contrib"] for iv in p.intervals) for p in paths]).astype(np.float32)
    f_x = np.array([p.bound_out[1.0] for p in paths], np.float32)
    f_b = np.array([p.bound_out[0.0] for p in paths], np.float32)
    evals = np.array([p.evaluations for p in paths], np.int32)
    intervals = np.array([len(p.intervals) for p in paths], np.int32)
    return avg_grad, f_x, f_b, evals, intervals


def integrated_gradients(
    model,
    x: np.ndarray,
    targets,
    baseline: np.ndarray,
    steps: int = 64,
    batch_size: int = 64,
    method: str = IG_METHODS[0],
    tolerance: float = 0.05,
    max_evaluations: int = 24,
    points: int = ADAPTIVE_POINTS,
    block: int = ADAPTIVE_BLOCK,
) -> dict:
    """IG of output ``targets[i]`` for every input ``x[i]`` (n, H, W) against ``baseline[i]``.

    The path integral is the ``method`` rule: 'trapezoid' over ``steps`` intervals,
    'gauss_legendre' on ``steps`` nodes (plus both ends, weightless, for F(x) and F(baseline)),
    both the same for every sample (:func:`quadrature`); or 'adaptive': per sample, a
    ``points``-point Gauss-Lobatto rule refined where the output moves until the completeness
    error is within ``tolerance`` or the sample has used ``max_evaluations`` gradient
    evaluations. Samples are processed ``block`` at a time and their path points
    ``batch_size`` images at a time, so memory is bounded by those, not by n x points.

    Returns attributions, the path-averaged gradients, F(x), F(baseline), the completeness
    error |sum(attr) - (F(x) - F(b))| / |F(x) - F(b)|, the gradient evaluations and path
    intervals per sample, and ``converged``: completeness error within ``tolerance``.
    """
    if method not in IG_METHODS:
        raise ValueError(f"unknown Integrated Gradients method {method!r}; expected one of {', '.join(IG_METHODS)}")
    x = np.asarray(x, np.float32)
    baseline = np.asarray(baseline, np.float32)
    targets = np.asarray(targets, np.int32)
    n = len(x)
    grads = _gradient_fn(model)
    if method == "adaptive":
        if not 0 < tolerance:
            raise ValueError(f"the Integrated Gradients tolerance must be > 0, got {tolerance!r}")
        if max_evaluations < points:
            raise ValueError(f"max_evaluations ({max_evaluations}) is below one rule's {points} points")
        log.info(
            "integrated gradients: adaptive %d-point Gauss-Lobatto, tolerance %.3g, at most %d gradient "
            "evaluations per sample, %d samples",
            points,
            tolerance,
            max_evaluations,
            n,
        )
        parts = []
        progress = Progress(n, "samples", log, "integrated gradients")
        for start in range(0, n, block):
            sl = slice(start, start + block)
            parts.append(
                _adaptive_rule(grads, x[sl], targets[sl], baseline[sl], points, tolerance, max_evaluations, batch_size)
            )
            progress.update(len(x[sl]))
        if not parts:
            parts = [(np.zeros_like(x), *(np.zeros(0, t) for t in (np.float32, np.float32, np.int32, np.int32)))]
        avg_grad, f_x, f_b, evals, intervals = (np.concatenate([p[k] for p in parts]) for k in range(5))
    else:
        alphas, weights, at_baseline, at_x = quadrature(method, steps)
        log.info(
            "integrated gradients: %s rule, %d %s, %d gradient evaluations per sample, %d samples",
            method,
            steps,
            "intervals" if method == "trapezoid" else "nodes",
            len(alphas),
            n,
        )
        avg_grad, f_x, f_b, evals, intervals = _fixed_rule(
            grads, x, targets, baseline, alphas, weights, at_baseline, at_x, batch_size
        )
    attr = (x - baseline) * avg_grad
    delta = f_x - f_b
    with np.errstate(divide="ignore", invalid="ignore"):
        err = np.abs(attr.reshape(n, -1).sum(1) - delta) / np.abs(delta)
    return {
        "attributions": attr,
        "avg_grad": avg_grad,
        "f_x": f_x,
        "f_baseline": f_b,
        "completeness_error": err,
        "evaluations": evals,
        "intervals": intervals,
        "converged": err <= tolerance,
    }


def gene_attributions(
    avg_grad: np.ndarray, baseline: np.ndarray, genes_scaled: np.ndarray, layout: pd.DataFrame, shape
) -> np.ndarray:
    """(n, genes) attributions of the layout's genes (in layout order) from the pixels' averaged
    gradients: w_g * (x_g - b_p) * avg_grad_p, where w_g = 1 / (genes sharing pixel p).
    ``genes_scaled`` holds the samples' scaled values of the layout's genes, in layout order."""
    pixel = flat_pixels(layout, shape)
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
