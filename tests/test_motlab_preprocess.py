"""MOTLAB fold-internal preprocessing (tcgatl.motlab.preprocess): imputation, scaling and
ANOVA selection as scikit-learn's, no leakage, SMOTE on the target rows, omics weights."""

import numpy as np
import pytest
from configured import hyper
from motlab_synthetic import synthetic

from tcgatl.motlab import preprocess
from tcgatl.motlab.schemes import train_scheme


def test_leak_detector_catches_a_leaky_fit():
    """The same comparison flags a scaler fitted on train + test rows."""
    data = synthetic()
    train = np.arange(0, 150)
    other = data.blocks["mrna"].copy()
    other[150:] += 100
    leaky = [preprocess.fit_layer(b, data.y, 10) for b in (data.blocks["mrna"], other)]
    assert not np.array_equal(leaky[0].mean, leaky[1].mean)
    clean = [preprocess.fit_layer(b[train], data.y[train], 10) for b in (data.blocks["mrna"], other)]
    np.testing.assert_array_equal(clean[0].mean, clean[1].mean)


def test_smote_adds_synthetic_target_rows_that_enter_training():
    rng = np.random.default_rng(0)
    x = rng.standard_normal((60, 5)).astype(np.float32)
    y = np.r_[np.zeros(40, int), np.ones(20, int)]
    target = np.r_[np.ones(10, bool), np.zeros(10, bool), np.ones(40, bool)]  # target: 30 class 0, 20 class 1
    res = preprocess.smote_target(x, y, target, seed=1)
    assert res.status.startswith("applied: 10 synthetic")
    assert len(res.y) == 70 and res.synthetic.sum() == 10 and res.target[res.synthetic].all()
    np.testing.assert_array_equal(res.x[:60], x)  # original rows (source rows included) untouched
    new = res.x[res.synthetic]
    assert (res.y[res.synthetic] == 1).all()
    assert not any(np.isclose(new[:, None, :], x[None]).all(-1).any(1))  # genuinely new points
    minority = x[target & (y == 1)]
    assert (new >= minority.min(0) - 1e-6).all() and (new <= minority.max(0) + 1e-6).all()
    # ... and they change the trained network.
    hp = hyper(hidden_units=8, epochs=3)
    p0, s0, _, _ = train_scheme("mixture", x, y, target, hp, np.random.default_rng(3), smote=False)
    p1, s1, _, _ = train_scheme("mixture", x, y, target, hp, np.random.default_rng(3), smote=True)
    assert s0 == "off" and s1.startswith("applied")
    assert not np.allclose(p0.w1, p1.w1)


def test_smote_adapts_or_skips_small_minorities():
    x = np.random.default_rng(0).standard_normal((12, 3))
    y = np.r_[np.zeros(9, int), np.ones(3, int)]
    res = preprocess.smote_target(x, y, np.ones(12, bool), seed=0, k_neighbors=5)
    assert "k_neighbors=2 (reduced from 5)" in res.status and res.synthetic.sum() == 6
    y1 = np.r_[np.zeros(11, int), np.ones(1, int)]
    res = preprocess.smote_target(x, y1, np.ones(12, bool), seed=0)
    assert res.status.startswith("skipped: minority class has 1") and len(res.y) == 12
    res = preprocess.smote_target(x, np.zeros(12, int), np.ones(12, bool), seed=0)
    assert "one class only" in res.status


def test_weight_grid():
    g = preprocess.weight_grid(3, 0.1, positive=True)
    assert len(g) == 36 and all(np.isclose(sum(w), 1) and min(w) >= 0.1 - 1e-9 for w in g)
    assert len(preprocess.weight_grid(3, 0.1, positive=False)) == 66
    assert preprocess.weight_grid(1) == [(1.0,)]
    assert len(preprocess.weight_grid(2, 0.1)) == 9
    with pytest.raises(ValueError, match="does not divide 1"):
        preprocess.weight_grid(3, 0.3)


@pytest.mark.parametrize("mode", ["similarity", "concat"])
def test_inner_cv_prefers_the_informative_layer(mode):
    rng = np.random.default_rng(1)
    y = np.r_[np.zeros(40, int), np.ones(40, int)]
    informative = rng.standard_normal((80, 10)) + 1.5 * y[:, None]
    noise = rng.standard_normal((80, 10))
    grid = preprocess.weight_grid(2, 0.1)
    w, scores = preprocess.choose_weights({"a": noise, "b": informative}, y, mode, grid, 3, seed=0)
    assert w[1] > 0.5 and len(scores) == 9


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_fit_layer_equals_scikit_learn_imputer_scaler_selector(dtype):
    """The hand-written column median gives exactly the fit of SimpleImputer(median) ->
    StandardScaler -> SelectKBest(ANOVA), missing values and an all-missing column included."""
    from sklearn.feature_selection import SelectKBest
    from sklearn.impute import SimpleImputer
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    rng = np.random.default_rng(4)
    x = rng.standard_normal((61, 40)).astype(dtype)
    y = (rng.random(61) < 0.3).astype(int)
    x[:, :3] += y[:, None]
    x[rng.random(x.shape) < 0.15] = np.nan
    x[:, 7] = np.nan
    x[:60:2, 9] = np.nan  # an even number of observed values in one column, an odd one in others
    ref = make_pipeline(
        SimpleImputer(strategy="median", keep_empty_features=True),
        StandardScaler(),
        SelectKBest(preprocess._anova, k=8),
    ).fit(x, y)
    imp, scaler, sel = ref.named_steps.values()
    ours = preprocess.fit_layer(x, y, 8)
    np.testing.assert_array_equal(preprocess.column_medians(x), imp.statistics_)
    np.testing.assert_array_equal(ours.columns, np.flatnonzero(sel.get_support()))
    np.testing.assert_array_equal(ours.mean, scaler.mean_[ours.columns])
    np.testing.assert_array_equal(ours.scale, scaler.scale_[ours.columns])
    # the transform computes in float64 (the pipeline in the input's precision)
    np.testing.assert_allclose(ours(x), ref.transform(x), rtol=1e-5, atol=1e-6)
