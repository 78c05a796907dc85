"""Integrated Gradients: exactness on linear models, completeness, batching, quadrature rules,
gene mapping."""

import logging

import keras
import numpy as np
import pandas as pd
import pytest
from conftest import ROOT

from tcgatl import config, plots
from tcgatl.errors import ConfigError
from tcgatl.pancancer import ig, layouts
from tcgatl.pancancer.options import IG_METHODS

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


@pytest.mark.parametrize("method", IG_METHODS)
@pytest.mark.parametrize("kind", ["zero", "train_mean", "blur"])
def test_linear_model_attributions_are_input_minus_baseline_times_weights(kind, method):
    m = _linear()
    w = keras.ops.convert_to_numpy(m.layers[-1].kernel)  # (36, 3)
    b = ig.baseline_images(kind, X, train_mean=X.mean(0))
    targets = np.array([0, 1, 2, 0, 1])
    res = ig.integrated_gradients(m, X, targets, b, steps=4, method=method)
    expected = (X - b) * w[:, targets].T.reshape(-1, 6, 6)
    np.testing.assert_allclose(res["attributions"], expected, rtol=1e-4, atol=1e-6)
    assert np.all(res["completeness_error"] < 1e-5)  # exact up to float32 rounding (~1e-7 measured)


def test_completeness_on_a_small_network_and_batching_does_not_matter():
    m = _cnn()
    targets = np.array([0, 1, 2, 1, 0])
    b = ig.baseline_images("zero", X)
    res = ig.integrated_gradients(m, X, targets, b, steps=64, batch_size=1000, method="trapezoid")
    direct = m.predict(X, verbose=0)[np.arange(5), targets] - m.predict(b, verbose=0)[np.arange(5), targets]
    np.testing.assert_allclose(res["f_x"] - res["f_baseline"], direct, atol=1e-6)
    assert np.all(res["completeness_error"] < 0.01)
    coarse = ig.integrated_gradients(m, X, targets, b, steps=4, batch_size=1000, method="trapezoid")
    assert np.median(coarse["completeness_error"]) > np.median(res["completeness_error"])  # the check can fail
    small = ig.integrated_gradients(m, X, targets, b, steps=64, batch_size=7, method="trapezoid")
    np.testing.assert_allclose(small["attributions"], res["attributions"], atol=1e-7)


def test_quadrature_rules_points_weights_and_evaluations():
    a, w, at_b, at_x = ig.quadrature("trapezoid", 4)
    np.testing.assert_allclose(a, [0, 0.25, 0.5, 0.75, 1])
    np.testing.assert_allclose(w, [0.125, 0.25, 0.25, 0.25, 0.125])
    assert (a[at_b], a[at_x]) == (0, 1)
    a, w, at_b, at_x = ig.quadrature("gauss_legendre", 3)
    assert len(a) == 5 and (a[at_b], a[at_x], w[at_b], w[at_x]) == (0, 1, 0, 0)  # the ends only for F(b), F(x)
    np.testing.assert_allclose(a[1:-1], 0.5 + np.array([-1, 0, 1]) * np.sqrt(15) / 10, rtol=1e-6)
    np.testing.assert_allclose(w[1:-1], [5 / 18, 8 / 18, 5 / 18], rtol=1e-6)
    # 2 nodes integrate cubics exactly on [0, 1]: int t^3 = 1/4
    a, w, _, _ = ig.quadrature("gauss_legendre", 2)
    assert float((w * a.astype(np.float64) ** 3).sum()) == pytest.approx(0.25, rel=1e-6)
    assert ig.evaluations("trapezoid", 64) == 65 and ig.evaluations("gauss_legendre", 64) == 66


@pytest.mark.parametrize("method, points", [("trapezoid", 5), ("gauss_legendre", 6)])
def test_every_path_point_is_one_batched_evaluation_and_the_log_says_so(method, points, caplog):
    m = _cnn()
    b = ig.baseline_images("zero", X)
    t = np.array([0, 1, 2, 1, 0])
    with caplog.at_level(logging.INFO, logger="tcgatl.pancancer.ig"):
        res = ig.integrated_gradients(m, X, t, b, steps=4, batch_size=7, method=method)
    text = caplog.text
    assert f"{method} rule, 4 " in text and f"{points} gradient evaluations per sample" in text
    assert f"{5 * points}/{5 * points} interpolated images" in text
    direct = m.predict(X, verbose=0)[np.arange(5), t] - m.predict(b, verbose=0)[np.arange(5), t]
    np.testing.assert_allclose(res["f_x"] - res["f_baseline"], direct, atol=1e-6)  # the ends are evaluated
    whole = ig.integrated_gradients(m, X, t, b, steps=4, batch_size=1000, method=method)
    np.testing.assert_allclose(res["attributions"], whole["attributions"], atol=1e-7)


def test_gauss_legendre_converges_faster_than_the_trapezoid_on_a_nonlinear_model():
    m = _cnn()
    b = ig.baseline_images("zero", X)
    t = np.array([0, 1, 2, 1, 0])

    def median_error(method, steps):
        return float(np.median(ig.integrated_gradients(m, X, t, b, steps=steps, method=method)["completeness_error"]))

    gl = {n: median_error("gauss_legendre", n) for n in (1, 2, 4, 8)}
    # Measured: 4e-2, 7e-4, 1e-6, 4e-7 (float32's floor from 4 nodes on; exponential convergence).
    assert gl[1] > 10 * gl[2] > 10 * gl[4] and gl[8] < 1e-5
    for n in (2, 4, 8):  # same gradient evaluations per sample: n + 2 points = n + 1 trapezoid intervals
        trap = median_error("trapezoid", n + 1)
        assert ig.evaluations("trapezoid", n + 1) == ig.evaluations("gauss_legendre", n)
        assert gl[n] < trap / 10, (n, gl[n], trap)  # measured trapezoid: 5e-3, 2e-3, 1e-3


def test_gauss_legendre_and_a_fine_trapezoid_agree():
    m = _cnn()
    b = ig.baseline_images("zero", X)
    t = np.array([0, 1, 2, 1, 0])
    gl = ig.integrated_gradients(m, X, t, b, steps=64, method="gauss_legendre")["attributions"]
    fine = ig.integrated_gradients(m, X, t, b, steps=512, method="trapezoid")["attributions"]
    coarse = ig.integrated_gradients(m, X, t, b, steps=8, method="trapezoid")["attributions"]
    scale = np.abs(fine).max()
    # The trapezoid's error at h = 1/512 is h^2/12 * |g''| ~ 3e-7 of the attributions' scale for a
    # curvature of order one (Richardson: |T256 - T512| / 3 measured 2e-7 of it); 64 Gauss-Legendre
    # nodes are exact to float32 here; summing 513 float32 terms adds ~sqrt(513) * 6e-8 ~ 1.4e-6
    # relative at worst. 1e-5 of the scale covers both with margin, while 8 trapezoid steps differ
    # by far more, so the check can fail.
    tol = 1e-5 * scale
    np.testing.assert_allclose(gl, fine, rtol=0, atol=tol)
    assert np.abs(coarse - fine).max() > 10 * tol


@pytest.mark.parametrize(
    "method, steps, message",
    [("simpson", 8, "unknown Integrated Gradients method 'simpson'"), ("gauss_legendre", 0, "steps >= 1")],
)
def test_invalid_method_or_steps_is_refused(method, steps, message):
    with pytest.raises(ValueError, match=message) as e:
        ig.integrated_gradients(_linear(), X, np.zeros(5, int), X * 0, steps=steps, method=method)
    if method == "simpson":
        assert "adaptive, trapezoid, gauss_legendre" in str(e.value)


def test_the_config_chooses_the_method_from_the_library_list():
    assert config.validate({})["ig"]["method"] == IG_METHODS[0] == "adaptive"
    assert config.validate({"ig": {"method": "gauss_legendre"}})["ig"]["method"] == "gauss_legendre"
    with pytest.raises(ConfigError) as e:
        config.validate({"ig": {"method": "simpson"}}, source="my.yaml")
    assert "'ig.method' = 'simpson' is not allowed; expected one of ['adaptive', 'trapezoid', 'gauss_legendre']" in str(
        e.value
    )
    node = config.load_schema()["properties"]["ig"]["properties"]["method"]
    assert node["enum"] == list(IG_METHODS) and node["default"] == IG_METHODS[0]
    raw = (ROOT / "workflow" / "schemas" / "config.schema.yaml").read_text()
    assert "gauss_legendre" not in raw  # written once, in the library


def test_gauss_lobatto_rules_include_both_ends_and_are_exact_to_degree_2m_minus_3():
    t, w = ig.lobatto(3)
    np.testing.assert_allclose(t, [0, 0.5, 1]) and np.testing.assert_allclose(w, [1 / 6, 2 / 3, 1 / 6])  # Simpson
    for m in (3, 4, 5, 7):
        t, w = ig.lobatto(m)
        assert t[0] == 0 and t[-1] == 1 and w.sum() == pytest.approx(1)
        for d in range(2 * m - 2):  # int_0^1 t^d = 1 / (d + 1)
            assert (w * t**d).sum() == pytest.approx(1 / (d + 1), rel=1e-12), (m, d)
        assert (w * t ** (2 * m - 2)).sum() != pytest.approx(1 / (2 * m - 1), rel=1e-6)  # and no further
    with pytest.raises(ValueError, match="at least 3 points"):
        ig.lobatto(2)


def _late_step(sharpness=3000.0, at=0.485):
    """Class 0's probability is a sigmoid of the image mean that switches within a few
    thousandth of the path from the zero image, close to its end (X's means are ~0.5): the
    shape measured on the full-size similarity model, where a fixed rule misses the switch."""
    inp = keras.Input((6, 6))
    dense = keras.layers.Dense(2)
    out = keras.layers.Softmax()(dense(keras.layers.Flatten()(inp)))
    m = keras.Model(inp, out)
    k = np.zeros((36, 2), np.float32)
    k[:, 0] = sharpness / 36
    dense.set_weights([k, np.array([-sharpness * at, 0], np.float32)])
    return m


def test_adaptive_rule_refines_where_the_output_moves_and_stops_when_converged():
    m = _late_step()
    x = (0.5 + 0.1 * (X - 0.5)).astype(np.float32)  # means 0.49-0.51: the switch at alpha ~0.95-0.99
    b = ig.baseline_images("zero", x)
    t = np.zeros(5, int)
    fixed = ig.integrated_gradients(m, x, t, b, steps=64, method="trapezoid")
    ada = ig.integrated_gradients(m, x, t, b, method="adaptive", tolerance=0.01, max_evaluations=60, batch_size=7)
    assert np.median(fixed["completeness_error"]) > 0.05 and not fixed["converged"].all()  # 65 points miss it
    assert ada["converged"].all() and (ada["completeness_error"] <= 0.01).all()
    assert ((ada["evaluations"] - 3) % 3 == 0).all() and ada["evaluations"].sum() <= 5 * 60
    assert (ada["intervals"] == (ada["evaluations"] - 3) // 3 + 1).all()  # one interval more per split
    assert ada["evaluations"].mean() < 65 / 2
    # The same samples against a near-exact reference: attributions, not only their sum, agree.
    fine = ig.integrated_gradients(m, x, t, b, steps=20000, method="trapezoid", batch_size=4096)
    scale = np.abs(fine["attributions"]).sum((1, 2))[:, None, None]
    assert (np.abs(ada["attributions"] - fine["attributions"]) / scale).sum((1, 2)).max() < 0.02


def test_adaptive_rule_marks_samples_the_budget_leaves_unconverged():
    m = _late_step()
    x = (0.5 + 0.1 * (X - 0.5)).astype(np.float32)
    b = ig.baseline_images("zero", x)
    capped = ig.integrated_gradients(m, x, np.zeros(5, int), b, method="adaptive", tolerance=1e-4, max_evaluations=9)
    assert capped["evaluations"].sum() <= 5 * 9 and not capped["converged"].any()
    assert (capped["completeness_error"] > 1e-4).all()


def test_adaptive_rule_spends_what_easy_samples_leave_on_hard_ones():
    """A sample whose path crosses only the middle of the switch (z from -0.25 to 0.25, where
    the sigmoid is nearly a cubic) converges at the first rule (3 evaluations); the late switch
    of the others needs more than the mean budget, which they get, up to 4x it per sample."""
    m = _late_step()
    x = (0.5 + 0.1 * (X - 0.5)).astype(np.float32)
    b = ig.baseline_images("zero", x)
    step = 0.5 / 3000  # the image mean that moves z by 0.5
    x[0] += 0.485 + step / 2 - x[0].mean()
    b[0] = x[0] - step
    res = ig.integrated_gradients(m, x, np.zeros(5, int), b, method="adaptive", tolerance=0.01, max_evaluations=12)
    assert res["evaluations"][0] == 3 and res["evaluations"][1:].max() > 12
    assert res["evaluations"].sum() <= 5 * 12 and res["evaluations"].max() <= 4 * 12
    with pytest.raises(ValueError, match="below one rule's 3 points"):
        ig.integrated_gradients(m, x, np.zeros(5, int), b, method="adaptive", max_evaluations=2)


def test_adaptive_rule_is_exact_on_a_linear_model_at_the_first_rule():
    m = _linear()
    b = ig.baseline_images("zero", X)
    res = ig.integrated_gradients(m, X, np.array([0, 1, 2, 0, 1]), b, method="adaptive")
    assert (res["evaluations"] == 3).all() and (res["intervals"] == 1).all() and res["converged"].all()


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
    plots.save_figure(plots.ig_class_figure(X[0], X[1] - 0.5, mask, "BRCA", 3), tmp_path / "c.png")
    plots.ig_grid(["A", "B", "C"], [1, 2, 3], [X[0] - 0.5, X[1] - 0.5, X[2]], mask, tmp_path / "g.png", "t")
    for f in ("c.png", "g.png"):
        assert (tmp_path / f).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
