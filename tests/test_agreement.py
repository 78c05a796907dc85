"""IG gene rankings against the data: the one-vs-rest DE ranking of the training split and its
agreement with a model's IG ranking (tcgatl.pancancer.agreement)."""

import numpy as np
import pandas as pd
import pytest
from scipy import stats
from sklearn.linear_model import LogisticRegression

from tcgatl import config
from tcgatl.errors import InputError
from tcgatl.pancancer import agreement, ig, layouts, splits

CLASSES = ["A", "B", "C", "D"]
N_GENES, PER_CLASS, MARKERS = 300, 40, 8


def _data(shift=1.5, seed=0):
    """log2-like expression (mean 5, SD 1) of 4 classes with MARKERS genes per class shifted by
    ``shift``, and a stratified 60/20/20 split. Returns (x, split, markers by class)."""
    rng = np.random.default_rng(seed)
    genes = [f"G{i:03d}|{i}" for i in range(N_GENES)]
    labels = np.repeat(CLASSES, PER_CLASS)
    x = rng.normal(5, 1, (len(labels), N_GENES))
    markers = {}
    for j, c in enumerate(CLASSES):
        idx = np.arange(j * MARKERS, (j + 1) * MARKERS)
        x[np.ix_(labels == c, idx)] += shift
        markers[c] = {genes[i] for i in idx}
    barcodes = [f"S{i:03d}" for i in range(len(labels))]
    x = pd.DataFrame(x.astype(np.float32), index=pd.Index(barcodes, name="barcode"), columns=genes)
    table = pd.DataFrame({"barcode": barcodes, "label": labels})
    table["split"] = splits.stratified_split(table, 0.6, 0.2, seed=1).to_numpy()
    return x, table, markers


def _linear_ig(x, split, baseline="zero"):
    """IG gene table of a linear model (logistic regression) fitted on the training split: for a
    logit, IG is exactly (x - baseline) x weight. Explained: the test samples of each class."""
    train, test = split[split["split"] == "train"], split[split["split"] == "test"]
    model = LogisticRegression(C=0.1, max_iter=2000).fit(x.loc[train["barcode"]].to_numpy(), train["label"])
    xt = x.loc[test["barcode"]].to_numpy()
    b = np.zeros(x.shape[1]) if baseline == "zero" else x.loc[train["barcode"]].to_numpy().mean(0)
    w = model.coef_[[list(model.classes_).index(c) for c in test["label"]]]
    attr = pd.DataFrame((xt - b) * w, columns=x.columns)
    layout, _ = layouts.alphabetical(x.columns)
    return ig.rank_genes(attr, test["label"].to_numpy(), layout)


def test_de_ranking_is_welch_t_of_the_training_samples_only():
    x, split, _ = _data()
    de = agreement.de_ranking(x, split)
    train = split[split["split"] == "train"]
    xtr = x.loc[train["barcode"]].to_numpy(np.float64)
    for c in CLASSES:
        inside = (train["label"] == c).to_numpy()
        ref = stats.ttest_ind(xtr[inside], xtr[~inside], equal_var=False).statistic
        got = de[de["class"] == c].set_index("gene").loc[x.columns]
        np.testing.assert_allclose(got["welch_t"], ref, rtol=1e-9)
        np.testing.assert_allclose(got["mean_difference"], xtr[inside].mean(0) - xtr[~inside].mean(0), atol=1e-9)
        assert (got["n_class"] == inside.sum()).all() and (got["n_rest"] == (~inside).sum()).all()
        ranked = de[de["class"] == c]
        assert ranked["rank"].tolist() == list(range(1, N_GENES + 1)) and ranked["welch_t"].is_monotonic_decreasing

    # Validation and test samples do not enter it: new values there leave every number unchanged...
    held_out = split.loc[split["split"] != "train", "barcode"]
    other = x.copy()
    other.loc[held_out] = np.random.default_rng(9).normal(0, 5, (len(held_out), N_GENES)).astype(np.float32)
    pd.testing.assert_frame_equal(agreement.de_ranking(other, split), de)
    # ...while one training sample changed does change it (the check can fail).
    other = x.copy()
    other.loc[train["barcode"].iloc[0]] += 3
    assert not np.allclose(agreement.de_ranking(other, split)["welch_t"], de["welch_t"])


def test_a_gene_constant_in_training_gets_t_zero_and_a_rank():
    x, split, _ = _data()
    x.iloc[:, 5] = 2.0
    de = agreement.de_ranking(x, split)
    row = de[de["gene"] == x.columns[5]]
    assert len(row) == len(CLASSES) and (row["welch_t"] == 0).all()


def test_agreement_is_high_for_a_linear_model_on_planted_markers_and_chance_for_a_shuffled_ranking():
    x, split, markers = _data()
    de = agreement.de_ranking(x, split)
    genes = _linear_ig(x, split)
    for c in CLASSES:  # the premise: both rankings find the planted markers
        top_ig = set(genes[(genes["class"] == c) & (genes["rank"] <= MARKERS)]["gene"])
        top_de = set(de[(de["class"] == c) & (de["rank"] <= MARKERS)]["gene"])
        assert len(top_ig & markers[c]) >= 6 and top_de == markers[c], c
    table = agreement.agreement(genes, de, k=MARKERS).set_index("class")
    assert table.index.tolist() == CLASSES and table.columns.tolist() == agreement.AGREEMENT_COLUMNS[1:]
    assert (table["k"] == MARKERS).all() and np.allclose(table["chance"], MARKERS / N_GENES)
    assert (table["n_explained"] == 8).all() and (table["n_train_class"] == 24).all()
    # Measured: Spearman 0.92-0.95 (the model's weights of the noise genes follow their chance
    # differences in training, as t does), overlap 1.0 (chance 0.027), p below 1e-15.
    assert (table["spearman"] > 0.8).all() and (table["topk_overlap"] >= 0.875).all(), table
    assert (table["topk_p"] < 1e-6).all() and (table["topk_overlap_abs"] >= 0.875).all()

    rng = np.random.default_rng(3)
    shuffled = []
    for _ in range(50):
        g = genes.copy()
        g["mean_attribution"] = g.groupby("class")["mean_attribution"].transform(lambda s: rng.permutation(s.values))
        shuffled.append(agreement.agreement(g, de, k=MARKERS))
    shuffled = pd.concat(shuffled)
    # 200 overlaps of k = 8 among 300 genes (hypergeometric): SE of their mean 0.004 around k / n = 0.027.
    assert shuffled["topk_overlap"].mean() == pytest.approx(MARKERS / N_GENES, abs=0.012)
    assert shuffled["spearman"].abs().median() < 0.1 and shuffled["topk_p"].median() > 0.1


def test_down_regulated_markers_agree_in_absolute_value_under_a_training_mean_baseline():
    """A gene lower in the class, used by the model, gets a positive attribution against the
    training mean (x - b < 0, negative weight): the signed comparison calls it disagreement,
    the absolute one agreement, as the module says."""
    x, split, markers = _data(shift=-1.5)
    de = agreement.de_ranking(x, split)
    table = agreement.agreement(_linear_ig(x, split, "train_mean"), de, k=MARKERS)
    # Measured: absolute overlap 0.875-1.0, Spearman 0.49-0.66; signed overlap 0-0.125, Spearman -0.00-0.17.
    assert (table["topk_overlap_abs"] >= 0.75).all() and (table["topk_overlap"] <= 0.25).all(), table
    assert (table["spearman_abs"] > table["spearman"] + 0.3).all()


def test_k_is_capped_by_the_genes():
    x, split, _ = _data()
    table = agreement.agreement(_linear_ig(x, split), agreement.de_ranking(x, split), k=10_000)
    assert (table["k"] == N_GENES).all() and (table["chance"] == 1).all() and (table["topk_overlap"] == 1).all()
    with pytest.raises(ValueError, match="k >= 1"):
        agreement.agreement(_linear_ig(x, split), agreement.de_ranking(x, split), k=0)


def test_a_class_with_too_few_training_samples_is_an_error_naming_the_split():
    x, split, _ = _data()
    lonely = split.index[(split["label"] == "D") & (split["split"] == "train")]
    split = split.drop(index=lonely[1:])  # one D training sample left
    with pytest.raises(
        InputError, match=r"split\.tsv: Welch's t needs at least 2 training samples per class; .*D \(1\)"
    ):
        agreement.de_ranking(x, split, source="mrna.parquet", split_source="split.tsv")
    with pytest.raises(InputError, match=r"split\.tsv: one-vs-rest needs at least 2 classes"):
        agreement.de_ranking(x, split[split["label"] == "A"], split_source="split.tsv")


def test_genes_or_classes_missing_from_the_de_ranking_are_errors_naming_the_files():
    x, split, _ = _data()
    genes = _linear_ig(x, split)
    de = agreement.de_ranking(x.drop(columns=x.columns[:3]), split)
    with pytest.raises(
        InputError, match=r"de/genes\.parquet: class A: 3 gene\(s\) of the IG ranking ig/genes\.parquet"
    ):
        agreement.agreement(genes, de, ig_source="ig/genes.parquet", de_source="de/genes.parquet")
    de = agreement.de_ranking(x, split)
    with pytest.raises(InputError, match=r"de/genes\.parquet: no DE ranking for the explained class\(es\) 'E'"):
        agreement.agreement(genes.replace({"class": {"D": "E"}}), de, de_source="de/genes.parquet")
    with pytest.raises(InputError, match=r"ig/genes\.parquet: missing column\(s\) mean_attribution"):
        agreement.agreement(genes.drop(columns="mean_attribution"), de, ig_source="ig/genes.parquet")
    with pytest.raises(InputError, match=r"mrna\.parquet: 1 barcode\(s\) of the split are not in the feature matrix"):
        agreement.de_ranking(x.iloc[1:], split, source="mrna.parquet")


def test_the_config_sets_k_with_a_default():
    assert config.validate({})["ig"]["de_top_k"] == 50
    assert config.validate({"ig": {"de_top_k": 20}})["ig"]["de_top_k"] == 20
    with pytest.raises(Exception, match="de_top_k"):
        config.validate({"ig": {"de_top_k": 0}})
