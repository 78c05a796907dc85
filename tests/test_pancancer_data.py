"""Split, metrics and the logistic-regression baseline of the pan-cancer stage."""

import numpy as np
import pandas as pd
import pytest

from tcgatl.errors import InputError
from tcgatl.pancancer import baseline, metrics, splits


def _labels(counts, seed=0):
    rows = [(f"TCGA-AA-{t}{i:03d}-01A", f"TCGA-AA-{t}{i:03d}", t) for t, n in counts.items() for i in range(n)]
    return (
        pd.DataFrame(rows, columns=["barcode", "patient", "label"])
        .sample(frac=1, random_state=seed)
        .reset_index(drop=True)
    )


def test_split_is_stratified_seeded_and_complete():
    labels = _labels({"A": 100, "B": 50, "C": 30})
    t1, dropped = splits.make_split(labels, train=0.8, val=0.1, min_class_size=10, seed=3)
    t2, _ = splits.make_split(labels, train=0.8, val=0.1, min_class_size=10, seed=3)
    t3, _ = splits.make_split(labels, train=0.8, val=0.1, min_class_size=10, seed=4)
    pd.testing.assert_frame_equal(t1, t2)
    assert not t1["split"].equals(t3["split"])
    assert dropped.empty and len(t1) == 180
    frac = t1.groupby("label")["split"].value_counts(normalize=True).unstack()
    assert (frac["train"].between(0.75, 0.85)).all() and (frac["test"] > 0).all() and (frac["val"] > 0).all()


def test_small_classes_dropped_with_reason():
    labels = _labels({"A": 40, "B": 40, "RARE": 4})
    table, dropped = splits.make_split(labels, train=0.8, val=0.1, min_class_size=10, seed=0)
    assert "RARE" not in set(table["label"])
    assert dropped.to_dict("records") == [{"label": "RARE", "samples": 4, "reason": "fewer than 10 samples"}]


def test_too_few_classes_or_samples_is_a_clear_error():
    with pytest.raises(InputError, match="fewer than 2 classes have at least 10 samples"):
        splits.make_split(_labels({"A": 40, "B": 5}), train=0.8, val=0.1, min_class_size=10, seed=0, source="l.tsv")
    with pytest.raises(InputError, match="smallest class has 5 samples.*needs at least 11"):
        splits.make_split(_labels({"A": 40, "B": 5}), train=0.8, val=0.1, min_class_size=3, seed=0)


def test_repeated_kfold_columns():
    table, _ = splits.make_split(
        _labels({"A": 30, "B": 20}), train=0.8, val=0.1, min_class_size=10, seed=0, cv_folds=5, cv_repeats=2
    )
    for r in (0, 1):
        counts = table.groupby(["label", f"fold_r{r}"]).size().unstack()
        assert sorted(table[f"fold_r{r}"].unique()) == [0, 1, 2, 3, 4]
        assert (counts.loc["A"] == 6).all() and (counts.loc["B"] == 4).all()
    assert not table["fold_r0"].equals(table["fold_r1"])


def test_metrics_and_bootstrap_ci():
    rng = np.random.default_rng(0)
    y = np.array(["A"] * 50 + ["B"] * 30 + ["C"] * 5)
    pred = y.copy()
    pred[rng.choice(85, 10, replace=False)] = "A"
    proba = np.stack([(pred == c).astype(float) * 0.8 + 0.1 for c in "ABC"], axis=1)
    proba /= proba.sum(axis=1, keepdims=True)
    r = metrics.evaluate(y, pred, proba, ["A", "B", "C"], n_boot=300, seed=1)
    assert r["metrics"]["accuracy"] == pytest.approx((pred == y).mean())
    lo, hi = r["ci95"]["accuracy"]
    assert lo < r["metrics"]["accuracy"] < hi
    assert r["confusion"].loc["B", "A"] == ((y == "B") & (pred == "A")).sum()
    assert r["per_class"].set_index("class").loc["C", "support"] == 5
    perfect = metrics.evaluate(y, y, np.eye(3)[["ABC".index(v) for v in y]], ["A", "B", "C"], n_boot=200)
    assert perfect["ci95"]["macro_f1"] == [1.0, 1.0]  # resamples missing C do not score it 0


def test_baseline_learns_planted_signal_and_checks_inputs():
    rng = np.random.default_rng(0)
    labels = _labels({"A": 60, "B": 60, "C": 60})
    x = pd.DataFrame(rng.normal(size=(180, 40)), index=labels["barcode"], columns=[f"g{i}|{i}" for i in range(40)])
    for j, t in enumerate("ABC"):
        x.loc[labels["label"].to_numpy() == t, f"g{j}|{j}"] += 2.0
    split, _ = splits.make_split(labels, train=0.8, val=0.1, min_class_size=10, seed=0)
    classes, barcodes, y, proba = baseline.fit_predict(x, split, seed=0)
    assert classes == ["A", "B", "C"]
    assert (np.array(classes)[proba.argmax(1)] == y).mean() > 0.8  # chance is 1/3
    x_nan = x.copy()
    x_nan.iloc[0, 0] = np.nan
    with pytest.raises(InputError, match="NaN or infinite values in 1 sample"):
        baseline.fit_predict(x_nan.loc[x.index], split, seed=0, source="m.parquet")
    with pytest.raises(InputError, match="m.parquet: 1 barcode.* not in the feature matrix"):
        baseline.fit_predict(x.drop(index=split["barcode"].iloc[0]), split, seed=0, source="m.parquet")
