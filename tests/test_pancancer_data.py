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


def test_classes_over_max_class_size_are_subsampled_reproducibly_and_smaller_ones_kept_whole():
    labels = _labels({"BIG": 300, "A": 40, "B": 25})
    t1, dropped = splits.make_split(labels, train=0.8, val=0.1, min_class_size=10, max_class_size=60, seed=1)
    t2, _ = splits.make_split(labels, train=0.8, val=0.1, min_class_size=10, max_class_size=60, seed=1)
    t3, _ = splits.make_split(labels, train=0.8, val=0.1, min_class_size=10, max_class_size=60, seed=2)
    pd.testing.assert_frame_equal(t1, t2)
    assert t1["label"].value_counts().to_dict() == {"BIG": 60, "A": 40, "B": 25}
    assert set(t1.loc[t1["label"] == "BIG", "barcode"]) != set(t3.loc[t3["label"] == "BIG", "barcode"])
    assert set(t1["barcode"]) <= set(labels["barcode"]) and dropped.empty  # a capped class is not a dropped one
    uncapped, _ = splits.make_split(labels, train=0.8, val=0.1, min_class_size=10, seed=1)
    assert len(uncapped) == 365


def test_too_few_classes_or_samples_is_a_clear_error():
    with pytest.raises(InputError, match="fewer than 2 classes have at least 10 samples"):
        splits.make_split(_labels({"A": 40, "B": 5}), train=0.8, val=0.1, min_class_size=10, seed=0, source="l.tsv")
    with pytest.raises(InputError, match="smallest class has 5 samples.*needs at least 11"):
        splits.make_split(_labels({"A": 40, "B": 5}), train=0.8, val=0.1, min_class_size=3, seed=0)


def _folds(counts, folds, repeats=1):
    split, _ = splits.make_split(_labels(counts), train=0.8, val=0.1, min_class_size=10, seed=0)
    return splits.fold_table(split, folds, repeats, seed=0)


def test_repeated_kfold_columns():
    table = _folds({"A": 30, "B": 20}, 5, 2)
    for r in (0, 1):
        counts = table.groupby(["label", f"fold_r{r}"]).size().unstack()
        assert sorted(table[f"fold_r{r}"].unique()) == [0, 1, 2, 3, 4]
        assert (counts.loc["A"] == 6).all() and (counts.loc["B"] == 4).all()
    assert not table["fold_r0"].equals(table["fold_r1"])


def test_fold_split_tests_on_the_fold_and_validates_on_a_stratified_share_of_the_rest():
    table = _folds({"A": 60, "B": 40}, 5, 2)
    tests = []
    for f in range(5):
        fs = splits.fold_split(table, 1, f, train=0.8, val=0.1, seed=0)
        assert list(fs.columns) == ["barcode", "patient", "label", "split"]
        assert set(fs.loc[fs["split"] == "test", "barcode"]) == set(table.loc[table["fold_r1"] == f, "barcode"])
        # validation: val / (train + val) = 1/9 of the other folds (48 A, 32 B), in each class
        val = fs[fs["split"] == "val"].groupby("label").size()
        assert abs(val["A"] - 48 / 9) < 1 and abs(val["B"] - 32 / 9) < 1 and val.sum() == 9
        tests.append(fs.loc[fs["split"] == "test", "barcode"])
        pd.testing.assert_frame_equal(fs, splits.fold_split(table, 1, f, train=0.8, val=0.1, seed=0))
    # the test folds partition the samples
    assert sorted(pd.concat(tests)) == sorted(table["barcode"])
    other = splits.fold_split(table, 1, 0, train=0.8, val=0.1, seed=1)
    assert not other["split"].equals(splits.fold_split(table, 1, 0, train=0.8, val=0.1, seed=0)["split"])


def test_fold_tables_with_too_few_samples_or_without_the_fold_are_a_clear_error():
    table = _folds({"A": 30, "B": 20}, 2)
    with pytest.raises(InputError, match=r"folds.tsv: no column fold_r1.*pancancer.cv_repeats"):
        splits.fold_split(table, 1, 0, train=0.8, val=0.1, seed=0, source="folds.tsv")
    with pytest.raises(InputError, match="fold 2 of fold_r0 is empty"):
        splits.fold_split(table, 0, 2, train=0.8, val=0.1, seed=0)
    split, _ = splits.make_split(_labels({"A": 30, "B": 12}), train=0.8, val=0.1, min_class_size=10, seed=0)
    with pytest.raises(
        InputError, match="split.tsv: the smallest class has 12 samples, fewer than pancancer.cv_folds=20"
    ):
        splits.fold_table(split, 20, 1, seed=0, source="split.tsv")


def test_cross_validation_interval_is_the_corrected_resampled_t(tmp_path):
    import json

    from scipy import stats

    from tcgatl.pancancer import crossval

    acc = [0.90, 0.94, 0.92, 0.88, 0.93]
    files = {}
    for f, a in enumerate(acc):
        path = tmp_path / f"m{f}.json"
        path.write_text(json.dumps({"n_test": 20, "metrics": {m: a for m in metrics.SUMMARY}}))
        files[(0, f, "alphabetical", "ResNet50")] = path
    per_fold = crossval.fold_metrics(files)
    assert per_fold["accuracy"].tolist() == acc and per_fold["fold"].tolist() == [0, 1, 2, 3, 4]
    row = crossval.summarise(per_fold, folds=5).iloc[0]
    plain = stats.t.interval(0.95, 4, np.mean(acc), stats.sem(acc))
    # corrected: variance factor 1/J + 1/(K-1) = 1/5 + 1/4 instead of 1/J
    half = (plain[1] - plain[0]) / 2 * np.sqrt((1 / 5 + 1 / 4) / (1 / 5))
    assert row["folds"] == 5 and row["accuracy"] == pytest.approx(np.mean(acc))
    assert (row["accuracy_ci_low"], row["accuracy_ci_high"]) == pytest.approx(
        (np.mean(acc) - half, np.mean(acc) + half)
    )
    # With 0.8/0.1 fractions 8/9 of the other folds train: n_test/n_train = 1/(4 * 8/9).
    wider = crossval.summarise(per_fold, folds=5, train_share=8 / 9).iloc[0]
    half = (plain[1] - plain[0]) / 2 * np.sqrt((1 / 5 + 9 / 32) / (1 / 5))
    assert wider["accuracy_ci_high"] == pytest.approx(np.mean(acc) + half)
    bad = tmp_path / "bad.json"
    bad.write_text('{"metrics": {}}')
    with pytest.raises(InputError, match="bad.json: not a metrics file"):
        crossval.fold_metrics({(0, 0, "alphabetical", "ResNet50"): bad})


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
