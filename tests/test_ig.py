"""Integrated Gradients: exactness on linear models, completeness, batching, gene mapping."""

import keras
import numpy as np
import pandas as pd
import pytest

from tcgatl import plots
from tcgatl.pancancer import ig, layouts

RNG = np.random.default_rng(0)
X = RNG.uniform(size=(5, 6, 6)).astype("float32")


def _linear():
    keras.utils.set_random_seed(0)
    inp = keras.Input((6, 6))
    m = keras.Model(inp, keras.layers.Dense(3)(keras.layers.Flatten()(inp)))
    return m


def _cnn():
    keras.utils.set_random_seed(1)
    inp = keras.Input((6, 6))
    x = keras.layers.Reshape((6, 6, 1))(inp)
    x = keras.layers.Conv2D(4, 3, activation="tanh")(x)
    x = keras.layers.Flatten()(x)
    return keras.Model(inp, keras.layers.Dense(3, activation="softmax")(x))


@pytest.mark.parametrize("kind", ["zero", "train_mean", "blur"])
def test_linear_model_attributions_are_input_minus_baseline_times_weights(kind):
    m = _linear()
    w = keras.ops.convert_to_numpy(m.layers[-1].kernel)  # (36, 3)
    b = ig.baseline_images(kind, X, train_mean=X.mean(0))
    targets = np.array([0, 1, 2, 0, 1])
    res = ig.integrated_gradients(m, X, targets, b, steps=4)
    expected = (X - b) * w[:, targets].T.reshape(-1, 6, 6)
    np.testing.assert_allclose(res["attributions"], expected, rtol=1e-4, atol=1e-6)
    assert np.all(res["completeness_error"] < 1e-4)


def test_completeness_on_a_small_network_and_batching_does_not_matter():
    m = _cnn()
    targets = np.array([0, 1, 2, 1, 0])
    b = ig.baseline_images("zero", X)
    res = ig.integrated_gradients(m, X, targets, b, steps=64, batch_size=1000)
    direct = m.predict(X, verbose=0)[np.arange(5), targets] - m.predict(b, verbose=0)[np.arange(5), targets]
    np.testing.assert_allclose(res["f_x"] - res["f_baseline"], direct, atol=1e-6)
    assert np.all(res["completeness_error"] < 0.01)
    coarse = ig.integrated_gradients(m, X, targets, b, steps=4, batch_size=1000)
    assert np.median(coarse["completeness_error"]) > np.median(res["completeness_error"])  # the check can fail
    small = ig.integrated_gradients(m, X, targets, b, steps=64, batch_size=7)
    np.testing.assert_allclose(small["attributions"], res["attributions"], atol=1e-7)


def test_blur_baseline_is_a_smoothed_input():
    b = ig.baseline_images("blur", X, sigma=1.0)
    assert b.shape == X.shape and b.std() < X.std()
    with pytest.raises(ValueError, match="unknown baseline"):
        ig.baseline_images("noise", X)


def test_gene_attributions_split_shared_pixels_and_sum_to_the_pixel():
    # 5 genes on a 2x2 grid: g0,g1 share pixel (0,0); g4 alone at (1,0); pixel (1,1) is padding
    layout = pd.DataFrame({"gene": [f"G{i}|{i}" for i in range(5)], "row": [0, 0, 0, 1, 1], "col": [0, 0, 1, 0, 0]})
    layout = layout.drop(index=3).reset_index(drop=True)  # 4 genes: (0,0) x2, (0,1), (1,0)
    shape = (2, 2)
    values = np.array([[0.2, 0.6, 0.5, 0.9]], np.float32)
    image = np.array([[[0.4, 0.5], [0.9, 0.0]]], np.float32)
    grad = np.array([[[2.0, -1.0], [3.0, 7.0]]], np.float32)
    base = np.zeros_like(image)
    g = ig.gene_attributions(grad, base, values, layout, shape)
    pixel_attr = (image - base) * grad
    np.testing.assert_allclose(g[0, :2].sum(), pixel_attr[0, 0, 0], rtol=1e-6)
    np.testing.assert_allclose(g[0, :2], [0.5 * 0.2 * 2, 0.5 * 0.6 * 2], rtol=1e-6)
    np.testing.assert_allclose(g[0, 2:], [pixel_attr[0, 0, 1], pixel_attr[0, 1, 0]], rtol=1e-6)


def test_genes_ranked_per_class_without_padding():
    genes = ["B|2", "A|1", "C|3"]
    layout, _ = layouts.alphabetical(genes)  # 2x2 grid: one padding pixel
    attr = pd.DataFrame([[0.1, 0.5, -0.2], [0.3, 0.1, 0.0], [0.0, 0.0, 0.9]], columns=genes)
    t = ig.rank_genes(attr, ["X", "X", "Y"], layout)
    x = t[t["class"] == "X"]
    assert x["symbol"].tolist() == ["A", "B", "C"] and x["rank"].tolist() == [1, 2, 3]
    assert x["mean_attribution"].tolist() == pytest.approx([0.3, 0.2, -0.1])
    assert x["entrez"].tolist() == ["1", "2", "3"] and (x["n_samples"] == 2).all()
    assert t[t["class"] == "Y"]["symbol"].iloc[0] == "C"
    assert len(t) == 2 * len(genes)  # genes only: the padding pixel never appears


def test_select_correct_samples_capped_per_class():
    pred = pd.DataFrame({"barcode": list("abcdef"), "true": list("XXXYYY"), "predicted": list("XXYYYX")})
    chosen = ig.select_samples(pred, 1)
    assert chosen["barcode"].tolist() == ["a", "d"]


def test_figures_are_written(tmp_path):
    mask = np.ones((6, 6), bool)
    mask[-1, -2:] = False
    plots.ig_class_figure(X[0], X[1] - 0.5, mask, "BRCA", 3, tmp_path / "c.png")
    plots.ig_grid(["A", "B", "C"], [1, 2, 3], [X[0] - 0.5, X[1] - 0.5, X[2]], mask, tmp_path / "g.png", "t")
    for f in ("c.png", "g.png"):
        assert (tmp_path / f).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
