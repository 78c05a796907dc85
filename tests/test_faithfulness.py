"""Deletion and insertion curves (tcgatl.pancancer.faithfulness): IG is tested against what the
model's prediction depends on."""

import keras
import numpy as np
import pandas as pd
import pytest

from tcgatl.errors import InputError
from tcgatl.pancancer import costs, ig
from tcgatl.pancancer import faithfulness as fa

SHAPE = (10, 10)
CLASSES = 3
MARKERS = {c: np.arange(4) + 4 * c for c in range(CLASSES)}  # flat pixels 0-11: 4 per class


def _marker_model():
    """Softmax over classes whose logits read only their own 4 marker pixels."""
    inp = keras.Input(SHAPE)
    dense = keras.layers.Dense(CLASSES)
    out = keras.layers.Softmax()(dense(keras.layers.Flatten()(inp)))
    model = keras.Model(inp, out)
    w = np.zeros((SHAPE[0] * SHAPE[1], CLASSES), np.float32)
    for c, pixels in MARKERS.items():
        w[pixels, c] = 3.0
    dense.set_weights([w, np.zeros(CLASSES, np.float32)])
    return model


def _samples(n_per_class=4, seed=0):
    rng = np.random.default_rng(seed)
    x, y = [], []
    for c in range(CLASSES):
        for _ in range(n_per_class):
            img = rng.uniform(0.0, 0.5, SHAPE[0] * SHAPE[1]).astype(np.float32)
            img[MARKERS[c]] += 1.0
            x.append(img.reshape(SHAPE))
            y.append(c)
    return np.stack(x), np.array(y)


def _curves(model, x, y, attributions, de_pixels, points=8):
    gene_pixels = np.arange(90)  # the last row of the grid holds no gene
    return fa.curves(
        lambda b: model.predict(b, verbose=0), x, np.zeros_like(x), y, attributions, gene_pixels, de_pixels, points
    )


def test_ig_deletion_falls_faster_than_random_and_a_shuffled_attribution_does_not():
    model = _marker_model()
    x, y = _samples(10)
    res = ig.integrated_gradients(model, x, y, np.zeros_like(x), method="gauss_legendre", steps=16)
    assert res["converged"].all()
    no_de = [np.array([], np.int64)] * len(x)
    areas = fa.areas(_curves(model, x, y, res["attributions"], no_de))
    mean = areas.groupby(["order", "curve"])["area"].mean()
    # IG finds the 4 markers first: the prediction collapses within the first grid points.
    assert mean["ig", "deletion"] < mean["random", "deletion"] - 0.2
    assert mean["ig", "insertion"] > mean["random", "insertion"] + 0.2
    # The same values on the wrong pixels (each map shuffled) lose that advantage.
    rng = np.random.default_rng(1)
    shuffled = np.stack([rng.permutation(a.reshape(-1)).reshape(SHAPE) for a in res["attributions"]])
    mean_s = fa.areas(_curves(model, x, y, shuffled, no_de)).groupby(["order", "curve"])["area"].mean()
    assert not mean_s["ig", "deletion"] < mean_s["random", "deletion"] - 0.2
    assert not mean_s["ig", "insertion"] > mean_s["random", "insertion"] + 0.2


def test_curves_end_at_the_model_outputs_on_the_image_and_on_the_baseline():
    model = _marker_model()
    x, y = _samples(2)
    baselines = np.full_like(x, 0.25)  # the 10 pixels without a gene differ from the image too
    table = fa.curves(
        lambda b: model.predict(b, verbose=0),
        x,
        baselines,
        y,
        np.random.default_rng(0).random(x.shape),
        np.arange(90),
        [MARKERS[c] for c in y],
        points=6,
    )
    f_x = model.predict(x, verbose=0)[np.arange(len(x)), y]
    f_b = model.predict(baselines, verbose=0)[np.arange(len(x)), y]
    for (i, curve), g in table.groupby(["sample", "curve"]):
        for _, one in g.groupby("order"):
            start, end = one.sort_values("k")["probability"].to_numpy()[[0, -1]]
            want = (f_x[i], f_b[i]) if curve == "deletion" else (f_b[i], f_x[i])
            assert np.allclose((start, end), want, atol=1e-6)
            ends = one.sort_values("k")["normalised"].to_numpy()[[0, -1]]
            assert np.allclose(ends, (1, 0) if curve == "deletion" else (0, 1))
    # The images in between really switch all pixels at the end: the last curve image is the baseline.
    last = fa.curve_images(x[0], baselines[0], np.arange(90), np.array([90]))
    assert np.array_equal(last[0], baselines[0]) and np.array_equal(last[1], x[0])


def test_de_order_starts_with_the_de_pixels_and_the_grid_is_logarithmic():
    rng = np.random.default_rng(0)
    orders = fa.pixel_orders(rng.random(SHAPE), np.arange(90), np.array([7, 3, 7, 95, 5]), rng)
    assert list(orders["de"][:3]) == [7, 3, 5]  # first occurrence, pixels without a gene dropped
    assert sorted(orders["de"]) == sorted(orders["random"]) == list(range(90))
    assert list(fa.k_grid(90, 8)) == [0, 1, 2, 4, 9, 20, 43, 90]
    assert fa.images_per_sample(8, 90) == 2 + 6 * 6
    with pytest.raises(ValueError, match="no gene pixel"):
        fa.k_grid(0)


def test_images_per_sample_counts_what_a_sample_is_given_and_the_cost_bound_holds():
    rng = np.random.default_rng(0)
    for gene_pixels, points in ((90, 8), (3, 8), (90, 2)):
        inner = fa.k_grid(gene_pixels, points)[1:-1]
        made = fa._sample_images(
            rng.random(SHAPE), np.zeros(SHAPE), rng.random(SHAPE), np.arange(gene_pixels), np.array([7]), inner, 0, 0
        )
        assert len(made) == fa.images_per_sample(points, gene_pixels) <= costs.faithfulness_images(points)
    assert fa.images_per_sample(8, 90) == costs.faithfulness_images(8)  # every point distinct
    assert fa.images_per_sample(8, 3) < costs.faithfulness_images(8)  # 0, 1, 2, 3 only


def test_de_pixel_orders_give_each_class_its_genes_flat_pixels_in_rank_order():
    layout = pd.DataFrame({"gene": ["A", "B", "C"], "row": [0, 1, 2], "col": [3, 0, 1]})
    de = pd.DataFrame({"class": ["X", "X", "X", "Y", "Y"], "rank": [2, 1, 3, 2, 1], "gene": ["A", "B", "Z", "A", "C"]})
    orders = fa.de_pixel_orders(de, layout, (3, 4))
    assert {c: p.tolist() for c, p in orders.items()} == {"X": [4, 3], "Y": [9, 3]}  # Z: not in the layout
    assert orders["X"].dtype == np.int64
    with pytest.raises(InputError, match=r"de.tsv: missing column\(s\) \['rank'\]"):
        fa.de_pixel_orders(de.drop(columns="rank"), layout, (3, 4), source="de.tsv")


def test_the_summary_says_whether_ig_beats_both_comparators():
    model = _marker_model()
    x, y = _samples(3)
    res = ig.integrated_gradients(model, x, y, np.zeros_like(x), method="gauss_legendre", steps=16)
    table = _curves(model, x, y, res["attributions"], [MARKERS[(c + 1) % CLASSES] for c in y])
    summary = fa.summary(fa.areas(table), np.array(["A", "B", "C"])[y])
    assert set(summary["class"]) == {"A", "B", "C", "all"} and (summary["samples"] > 0).all()
    overall = summary[summary["class"] == "all"]
    assert overall["ig_beats_both"].all()  # DE here points at another class's markers: 9 samples, p < 0.05
    assert (overall[["p_vs_de", "p_vs_random"]] < 0.01).all().all() and (overall["change"] > 0.3).all()
    # 3 samples of one class cannot show it (the smallest one-sided Wilcoxon p of 3 is 0.125).
    assert not summary.loc[summary["class"] != "all", "ig_beats_both"].any()
    from tcgatl.report.tables import faithfulness_sentence

    assert "IG beats both comparators on both curves" in faithfulness_sentence("m (alphabetical)", summary)
    worse = summary.assign(ig_beats_both=summary["curve"] == "insertion")
    assert "does not beat both" in faithfulness_sentence("m", worse)
