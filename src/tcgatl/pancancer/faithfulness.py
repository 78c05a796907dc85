"""Deletion and insertion curves: does the prediction depend on the pixels IG ranks first?

For every explained sample, the pixels that hold genes are put in three orders:

- ``ig``: by |IG attribution| of the pixel, largest first (the explanation under test);
- ``de``: the pixels of the predicted type's differential-expression ranking (one-vs-rest Welch
  t on the training split, rank 1 first; a pixel at its first gene), the rest in random order;
- ``random``: a random order (seeded per sample).

Deletion replaces the first k pixels of an order by the IG baseline and follows the model's
probability of the explained (predicted) class; insertion starts from the baseline and restores
the first k pixels from the image. k runs over ``points`` values from 0 to every gene pixel,
spaced logarithmically (the first genes are where orders differ; 8 points cover 10 to 20,000
genes). At the last point the pixels that hold no gene switch too, so the curves end exactly at
the model's output on the baseline (deletion) and on the image (insertion), whatever the
baseline. The area under a curve is the mean over the grid (trapezoid on the grid's own,
logarithmic, axis) of the output normalised to run from F(x) (1) to F(baseline) (0): a faithful order has a deletion area below, and an insertion area above,
both comparators, sample by sample (a one-sided paired Wilcoxon test over the samples: a mean
ahead by 1e-5 on a model whose output hardly moves is no evidence). Under the ``snap`` layout one pixel can hold several genes, so the orders
rank pixels, not genes.

The forward passes are batched per sample: the image, the baseline, and (``points`` - 2) x 3
orders x 2 curves images between them (38 at 8 points). The curves are drawn for at most
``per_class`` explained samples per class (the IG job explains up to ig.max_per_class), so that
they cost less than the IG job itself.
"""

from __future__ import annotations

import logging

import numpy as np
import pandas as pd

from ..progress import Progress
from .costs import faithfulness_images

log = logging.getLogger("tcgatl.pancancer.faithfulness")

ORDERS = ("ig", "de", "random")
CURVES = ("deletion", "insertion")


def k_grid(gene_pixels: int, points: int = 8) -> np.ndarray:
    """0, then about ``points - 1`` logarithmically spaced counts up to ``gene_pixels``."""
    if gene_pixels < 1:
        raise ValueError("the image holds no gene pixel")
    if points < 2:
        raise ValueError(f"a curve needs at least 2 points, got {points}")
    steps = np.unique(np.round(np.geomspace(1, gene_pixels, points - 1)).astype(int))
    return np.r_[0, steps]


def pixel_orders(
    attribution: np.ndarray, gene_pixels: np.ndarray, de_pixels: np.ndarray, rng: np.random.Generator
) -> dict[str, np.ndarray]:
    """The three orders of the flat indices ``gene_pixels`` for one sample: by |``attribution``|
    (one value per pixel; ties at random), by ``de_pixels`` (flat indices, best first) then at
    random, and at random."""
    scores = np.abs(attribution.reshape(-1)[gene_pixels])
    shuffled = rng.permutation(gene_pixels)
    # Ties (pixels with no attribution at all) in random order: by pixel index they would favour
    # whatever the layout puts first.
    tie_break = rng.random(len(gene_pixels))
    ig = gene_pixels[np.lexsort((tie_break, -scores))]
    _, first = np.unique(de_pixels, return_index=True)
    de_first = de_pixels[np.sort(first)]
    de_first = de_first[np.isin(de_first, gene_pixels)]
    de = np.r_[de_first, shuffled[~np.isin(shuffled, de_first)]]
    return {"ig": ig, "de": de, "random": shuffled}


def curve_images(image: np.ndarray, baseline: np.ndarray, order: np.ndarray, ks: np.ndarray) -> np.ndarray:
    """(2 x len(ks), H, W): deletion images, then insertion images, at every k of ``ks``. At the
    last k (every gene pixel) the pixels outside ``order`` switch too."""
    n = len(order)
    rank = np.full(image.size, n, np.int64)  # pixels without a gene: switched at k = n only
    rank[order] = np.arange(n)
    flat_x, flat_b = image.reshape(-1), baseline.reshape(-1)
    switched = rank[None, :] < np.where(ks >= n, n + 1, ks)[:, None]
    deletion = np.where(switched, flat_b, flat_x)
    insertion = np.where(switched, flat_x, flat_b)
    return np.concatenate([deletion, insertion]).reshape(-1, *image.shape).astype(np.float32)


def images_per_sample(points: int, gene_pixels: int) -> int:
    """Forward passes per sample: costs.faithfulness_images (which sizes the job) at the grid's
    distinct points, at most ``points`` (a small image has fewer)."""
    return faithfulness_images(len(k_grid(gene_pixels, points)))


def _sample_images(image, baseline, attribution, gene_pixels, de_pixels, inner, seed, i) -> np.ndarray:
    """The image, the baseline, then each order's deletion and insertion images at ``inner``."""
    rng = np.random.default_rng([seed, i])
    orders = pixel_orders(attribution, gene_pixels, np.asarray(de_pixels, np.int64), rng)
    return np.concatenate(
        [image[None], baseline[None]] + [curve_images(image, baseline, orders[o], inner) for o in ORDERS]
    )


def curves(
    predict,
    images: np.ndarray,
    baselines: np.ndarray,
    targets: np.ndarray,
    attributions: np.ndarray,
    gene_pixels: np.ndarray,
    de_pixels: list,
    points: int = 8,
    seed: int = 0,
    samples_per_call: int = 256,
) -> pd.DataFrame:
    """Deletion and insertion curves of every sample under every order (``samples_per_call``:
    images per predict call, whole samples at a time).

    ``predict(images) -> (n, classes)`` probabilities; ``images``, ``baselines``,
    ``attributions``: (n, H, W); ``targets``: the class index each sample is explained for;
    ``gene_pixels``: flat indices of the pixels that hold genes; ``de_pixels[i]``: flat indices
    of sample i's class's DE-ranked genes' pixels, best first. Returns one row per sample, order,
    curve and k: sample, order, curve, k, fraction (of the gene pixels), probability, and
    ``normalised``: (probability - F(baseline)) / (F(x) - F(baseline)), 1 on the image and 0 on
    the baseline (NaN if the two outputs are equal), so that curves of models whose output
    moves by 0.4 or by 0.0002 compare.
    """
    ks = k_grid(len(gene_pixels), points)
    inner = ks[1:-1]
    per_sample = images_per_sample(points, len(gene_pixels))
    group = max(1, samples_per_call // per_sample)  # one predict call per group: Keras's per-call overhead
    rows, probs = [], {}
    progress = Progress(len(images), "samples", log, "deletion and insertion curves")
    for i in range(len(images)):
        if i % group == 0:
            members = range(i, min(i + group, len(images)))
            batch = np.concatenate(
                [
                    _sample_images(images[j], baselines[j], attributions[j], gene_pixels, de_pixels[j], inner, seed, j)
                    for j in members
                ]
            )
            out = np.asarray(predict(batch)).reshape(len(members), per_sample, -1)
            probs = {j: out[m, :, targets[j]] for m, j in enumerate(members)}
        prob = probs[i]
        f_x, f_b = prob[0], prob[1]
        middle = prob[2:].reshape(len(ORDERS), len(CURVES), len(inner))
        for a, order in enumerate(ORDERS):
            for c, curve in enumerate(CURVES):
                start, end = (f_x, f_b) if curve == "deletion" else (f_b, f_x)
                p = np.r_[start, middle[a, c], end].astype(np.float64)
                rows.append(
                    pd.DataFrame(
                        {
                            "sample": i,
                            "order": order,
                            "curve": curve,
                            "k": ks,
                            "fraction": ks / len(gene_pixels),
                            "probability": p,
                            "normalised": (p - f_b) / (f_x - f_b) if f_x != f_b else np.nan,
                        }
                    )
                )
        progress.update(1)
    if not rows:
        return pd.DataFrame(columns=["sample", "order", "curve", "k", "fraction", "probability", "normalised"])
    return pd.concat(rows, ignore_index=True)


def areas(curve_table: pd.DataFrame) -> pd.DataFrame:
    """Per sample, order and curve: the area under the normalised curve (the trapezoid mean over
    the grid's points; deletion runs from 1 to 0, insertion from 0 to 1) and ``change``,
    |F(x) - F(baseline)| (how far the output moves at all)."""

    def area(p: pd.Series) -> float:
        v = p.to_numpy(float)
        return float(((v[1:] + v[:-1]) / 2).mean())

    table = curve_table.sort_values("k", kind="stable")
    keys = ["sample", "order", "curve"]
    out = pd.DataFrame(
        {
            "area": table.groupby(keys, sort=False)["normalised"].agg(area),
            "change": table.groupby(keys, sort=False)["probability"].agg(lambda p: abs(p.iloc[-1] - p.iloc[0])),
        }
    )
    return out.reset_index()


def _paired_p(ig, other, curve: str) -> float:
    """One-sided Wilcoxon signed-rank p that IG's areas are better than ``other``'s, sample by
    sample (lower for deletion, higher for insertion); 1 when they never differ."""
    from scipy import stats

    d = np.asarray(ig, float) - np.asarray(other, float)
    if len(d) < 2:
        return float("nan")
    if not np.any(d):
        return 1.0
    return float(stats.wilcoxon(d, alternative="less" if curve == "deletion" else "greater").pvalue)


def summary(sample_areas: pd.DataFrame, classes, alpha: float = 0.05) -> pd.DataFrame:
    """Per class (and ``all``) and curve: the mean area of every order, the mean change of the
    model's output from image to baseline, one-sided paired Wilcoxon p-values of IG against
    each comparator over the samples, and ``ig_beats_both``: both below ``alpha``. With few
    samples (a class of 2-5) no p-value can fall below 0.05, so a class's verdict needs 6 or more."""
    df = sample_areas.assign(**{"class": np.asarray(classes, dtype=object)[sample_areas["sample"].to_numpy()]})
    df = pd.concat([df, df.assign(**{"class": "all"})], ignore_index=True)
    rows = []
    for (cls, curve), g in df.groupby(["class", "curve"], sort=True):
        # A sample whose output does not move at all has no normalised curve: left out.
        wide = g.pivot(index="sample", columns="order", values="area").reindex(columns=list(ORDERS)).dropna()
        p_de, p_random = (_paired_p(wide["ig"], wide[o], curve) for o in ("de", "random"))
        rows.append(
            {
                "class": cls,
                "curve": curve,
                **{f"area_{o}": float(wide[o].mean()) for o in ORDERS},
                "change": float(g.loc[g["order"] == "ig", "change"].mean()),
                "p_vs_de": p_de,
                "p_vs_random": p_random,
                "ig_beats_both": bool(p_de < alpha and p_random < alpha),
                "samples": len(wide),
            }
        )
    return pd.DataFrame(rows)


def de_pixel_orders(de: pd.DataFrame, layout: pd.DataFrame, shape, source=None) -> dict[str, np.ndarray]:
    """Per class of the DE table (class, rank, gene), the flat pixels of its genes in rank order
    (genes outside ``layout`` dropped)."""
    from ..errors import InputError
    from .layouts import flat_pixels

    missing = [c for c in ("class", "rank", "gene") if c not in de.columns]
    if missing:
        raise InputError(source, f"missing column(s) {missing} in the DE ranking")
    flat = pd.Series(flat_pixels(layout, shape), index=layout["gene"], name="pixel")
    de = de[de["gene"].isin(flat.index)].sort_values(["class", "rank"], kind="stable").join(flat, on="gene")
    return {c: g["pixel"].to_numpy(np.int64) for c, g in de.groupby("class", sort=False)}


def for_explained(
    predict,
    samples: pd.DataFrame,
    images: np.ndarray,
    baselines: np.ndarray,
    attributions: np.ndarray,
    targets: np.ndarray,
    mask: np.ndarray,
    de_pixels: dict,
    points: int = 8,
    per_class: int = 5,
    seed: int = 0,
    de_source=None,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The curves (with barcode and class) and their :func:`summary` for the samples an IG job
    explained (``samples``: barcode, class, converged; the arrays in the same order): at most
    ``per_class`` per class, among those whose attributions passed the completeness check."""
    from ..errors import InputError, preview

    unknown = sorted(set(samples["class"]) - set(de_pixels))
    if unknown:
        raise InputError(de_source, f"no DE ranking for class(es) {preview(unknown)}")
    ok = samples.index[samples["converged"].to_numpy(bool)]
    keep = samples.loc[ok].groupby("class", sort=True, group_keys=False).head(per_class).index.to_numpy()
    rows = samples.index.get_indexer(keep)
    chosen = samples.iloc[rows].reset_index(drop=True)
    gene_pixels = np.flatnonzero(np.asarray(mask).reshape(-1))
    log.info(
        "deletion and insertion curves: %d samples of %d classes, %d points, %d images per sample, %d gene pixels",
        len(chosen),
        chosen["class"].nunique(),
        points,
        images_per_sample(points, len(gene_pixels)),
        len(gene_pixels),
    )
    table = curves(
        predict,
        images[rows],
        baselines[rows],
        targets[rows],
        attributions[rows],
        gene_pixels,
        [de_pixels[c] for c in chosen["class"]],
        points=points,
        seed=seed,
    )
    table.insert(1, "barcode", chosen["barcode"].to_numpy()[table["sample"].to_numpy(int)])
    table.insert(2, "class", chosen["class"].to_numpy()[table["sample"].to_numpy(int)])
    return table, summary(areas(table), chosen["class"].to_numpy())
