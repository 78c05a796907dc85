"""MOTLAB library: labels, cohort, fold-internal preprocessing (no leakage), SMOTE, weights,
training determinism, checkpoints, and the planted AA signal on the demo data."""

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from tcgatl.errors import InputError
from tcgatl.motlab import cohort, labels, net, preprocess
from tcgatl.motlab.evaluate import Data, Settings, auroc_table, fit_fold, fold_plan, run_scheme, summarise
from tcgatl.motlab.final import MotlabModel, fit_final
from tcgatl.motlab.schemes import TargetGrid, choose_target_phase, train_scheme

DAY = labels.YEAR_DAYS
FAST = net.Hyper(hidden_units=16, epochs=8, batch_size=20)


# ---------------------------------------------------------------- labels
def _cdr(rows):
    return pd.DataFrame(rows, columns=["patient", "PFI", "PFI.time"]).set_index("patient")


def test_labels_edge_cases():
    cdr = _cdr(
        [
            ("A", 1, 3 * DAY),  # event exactly at the threshold: within -> poor
            ("B", 1, 3 * DAY + 1),  # event after the threshold: event-free beyond -> good
            ("C", 0, 3 * DAY),  # censored at the threshold: not followed beyond -> excluded
            ("D", 0, 3 * DAY + 1),  # censored after the threshold -> good
            ("E", 1, 10),  # early event -> poor
            ("F", 0, 10),  # censored early -> excluded
            ("G", np.nan, 500),  # endpoint missing
            ("H", 1, np.nan),  # time missing
            ("I", 1, 0),  # event at day 0 -> poor
        ]
    )
    lab = labels.endpoint_labels(cdr, "PFI", 3)
    assert lab["status"].to_dict() == {
        "A": "poor_outcome",
        "B": "good_outcome",
        "C": "censored_before_threshold",
        "D": "good_outcome",
        "E": "poor_outcome",
        "F": "censored_before_threshold",
        "G": "endpoint_missing",
        "H": "endpoint_missing",
        "I": "poor_outcome",
    }
    assert lab["label"].tolist() == [1, 0, pd.NA, 0, 1, pd.NA, pd.NA, pd.NA, 1]
    # A longer threshold turns the late event into a poor outcome and B stops being event-free.
    assert labels.endpoint_labels(cdr, "PFI", 5).loc["B", "label"] == 1


def test_label_counts_per_ancestry_class_and_reason():
    cdr = _cdr([("A", 1, 10), ("B", 0, 5000), ("C", 0, 10), ("D", 1, 20)])
    coh = pd.DataFrame({"patient": ["A", "B", "C", "D"], "ancestry": ["AA", "AA", "EA", "EA"]})
    counts = labels.label_counts(labels.cohort_labels(coh, cdr, "PFI", 3)).set_index(["ancestry", "status"])
    assert len(counts) == 8  # 2 ancestries x 4 statuses, zeros included
    assert counts.loc[("AA", "poor_outcome"), "patients"] == 1
    assert counts.loc[("AA", "good_outcome"), "patients"] == 1
    assert counts.loc[("EA", "censored_before_threshold"), "patients"] == 1
    assert counts.loc[("EA", "good_outcome"), "patients"] == 0
    assert counts.loc[("EA", "censored_before_threshold"), "label"] == "excluded"


def test_read_labels_rejects_bad_label(tmp_path):
    p = tmp_path / "labels.tsv"
    pd.DataFrame({"patient": ["A"], "ancestry": ["AA"], "status": ["x"], "label": [2]}).to_csv(p, sep="\t", index=False)
    with pytest.raises(InputError, match="labels.tsv: label must be 0, 1"):
        labels.read_labels(p)


# ---------------------------------------------------------------- cohort
def test_cohort_intersection_type_tumour_and_ancestry():
    def mat(barcodes):
        return pd.DataFrame(np.ones((len(barcodes), 2), np.float32), index=barcodes, columns=["f1", "f2"])

    p = [f"TCGA-A1-{i:04d}" for i in range(6)]
    mrna = mat(
        [
            f"{p[0]}-01A-11R-A000-07",
            f"{p[1]}-01A-11R-A000-07",
            f"{p[2]}-11A-11R-A000-07",
            f"{p[3]}-01A-11R-A000-07",
            f"{p[4]}-01A-11R-A000-07",
            f"{p[5]}-01A-11R-A000-07",
        ]
    )
    prot = mat([p[0], p[1], p[2], p[3], p[5]])  # patient-level barcodes, taken as given
    cdr = pd.DataFrame(
        {
            "type": ["BRCA"] * 5 + ["LUAD"],
            "race": ["WHITE", "BLACK OR AFRICAN AMERICAN", "WHITE", "ASIAN", "WHITE", "WHITE"],
        },
        index=p,
    )
    table, counts = cohort.build_cohort({"mrna": mrna, "protein": prot}, cdr, "BRCA")
    # p2: normal only; p3: Asian; p4: not in protein; p5: LUAD
    assert table["patient"].tolist() == [p[0], p[1]]
    assert table["ancestry"].tolist() == ["EA", "AA"]
    assert table["mrna"].str.contains("-01A-").all() and table["protein"].tolist() == [p[0], p[1]]
    assert counts.set_index("step").loc["in_protein", "patients"] == 3
    # EIGENSTRAT calls override the self-reported race.
    calls = cohort.ancestry_from_eigenstrat(pd.DataFrame({"EIGENSTRAT": ["AA", "EA", "EAA"]}, index=[p[0], p[1], p[3]]))
    table, _ = cohort.build_cohort({"mrna": mrna}, cdr, "BRCA", ancestry=calls)
    assert dict(zip(table["patient"], table["ancestry"])) == {p[0]: "AA", p[1]: "EA"}
    with pytest.raises(InputError, match="no patient of type 'OV'"):
        cohort.build_cohort({"mrna": mrna}, cdr.assign(type="BRCA"), "OV", sources={"cdr": "cdr.parquet"})


# ---------------------------------------------------------------- synthetic data
def synthetic(n_ea=120, n_aa=60, seed=0, p=(40, 30, 20), signal=1.5):
    """Three layers, outcome driven by a few features of each; AA signal stronger."""
    rng = np.random.default_rng(seed)
    n = n_ea + n_aa
    aa = np.r_[np.zeros(n_ea, bool), np.ones(n_aa, bool)]
    z = rng.standard_normal(n)
    y = (z * np.where(aa, signal, 0.5) + rng.standard_normal(n) > 0.3).astype(int)
    blocks, names = {}, {}
    for name, k in zip(["mrna", "mirna", "methylation"], p):
        x = rng.standard_normal((n, k)).astype(np.float32)
        x[:, :3] += z[:, None].astype(np.float32)
        blocks[name], names[name] = x, np.array([f"{name}_{j}" for j in range(k)])
    blocks["methylation"][rng.random(blocks["methylation"].shape) < 0.05] = np.nan
    return Data(np.array([f"P{i:03d}" for i in range(n)]), blocks, names, y, aa)


SETTINGS = Settings(features_per_layer=10, folds=3, repeats=1, weight_step=0.25, hyper=FAST)
# Two target-phase candidates: finetune and ccsa choose between them by inner CV.
TUNED = Settings(
    **{
        **SETTINGS.__dict__,
        "target": TargetGrid(learning_rates=(0.01, 0.001), epochs=(8,), batch_sizes=(10,), frozen=(0, 1)),
    }
)


# ---------------------------------------------------------------- leakage
@pytest.mark.parametrize(
    "scheme,weighting",
    [("mixture", "similarity"), ("ccsa", "concat"), ("independent", "similarity"), ("logistic_mixture", "similarity")],
)
def test_no_test_fold_patient_influences_the_fit(scheme, weighting):
    """Rewriting every test-fold patient's features and labels leaves the fitted scaler,
    selection, weights, similarity columns, SMOTE output and network unchanged."""
    data = synthetic()
    settings = Settings(**{**TUNED.__dict__, "weighting": weighting})
    r, f, aa_tr, aa_te, ea_tr, ea_te = next(fold_plan(data, 3, 1, seed=1))
    train = {"independent": aa_tr, "mixture": np.r_[ea_tr, aa_tr], "logistic_mixture": np.r_[ea_tr, aa_tr]}.get(
        scheme, np.r_[np.flatnonzero(~data.aa), aa_tr]
    )
    test = np.setdiff1d(np.arange(len(data.y)), train)
    assert len(test) and data.aa[test].any()

    poisoned = Data(
        data.patients, {n: b.copy() for n, b in data.blocks.items()}, data.feature_names, data.y.copy(), data.aa
    )
    rng = np.random.default_rng(5)
    for b in poisoned.blocks.values():
        b[test] = rng.normal(50, 30, (len(test), b.shape[1]))
    poisoned.y[test] = 1 - poisoned.y[test]

    fitted = [fit_fold(scheme, d, train, settings, [3, 1, 4]) for d in (data, poisoned)]
    (p1, m1), (p2, m2) = fitted
    for n in p1.layers:
        t1, t2 = p1.transforms[n], p2.transforms[n]
        assert np.array_equal(t1.columns, t2.columns)
        np.testing.assert_array_equal(t1.mean, t2.mean)
        np.testing.assert_array_equal(t1.scale, t2.scale)
        np.testing.assert_array_equal(t1.median, t2.median)
        if weighting == "similarity":
            assert p1.reference[n].shape[0] == len(train)  # columns: training patients only
            np.testing.assert_array_equal(p1.reference[n], p2.reference[n])
    assert p1.weights == p2.weights
    np.testing.assert_array_equal(p1.training_matrix(), p2.training_matrix())
    for smote in (False, True):
        assert m1[smote].smote_status == m2[smote].smote_status
        assert m1[smote].target_phase == m2[smote].target_phase
        for a, b in zip(m1[smote].params.as_list(), m2[smote].params.as_list()):
            np.testing.assert_array_equal(a, b)
    # ... while the test patients' inputs do differ: the check has teeth.
    assert not np.allclose(p1.transform(data.rows(test)), p2.transform(poisoned.rows(test)))


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


# ---------------------------------------------------------------- SMOTE
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
    hp = net.Hyper(hidden_units=8, epochs=3)
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


# ---------------------------------------------------------------- weights
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


# ---------------------------------------------------------------- evaluation
def test_run_scheme_is_deterministic_and_complete():
    data = synthetic()
    a, wa = run_scheme("finetune", data, TUNED, seed=3)
    b, wb = run_scheme("finetune", data, TUNED, seed=3)
    pd.testing.assert_frame_equal(a, b)
    pd.testing.assert_frame_equal(wa, wb)
    # every AA patient predicted once per repeat and SMOTE option, no EA (finetune uses all EA)
    assert set(a["ancestry"]) == {"AA"}
    assert a.groupby("smote")["patient"].apply(lambda s: s.is_unique and len(s) == data.aa.sum()).all()
    assert np.isclose(wa[["w_mrna", "w_mirna", "w_methylation"]].sum(axis=1), 1).all()
    c, _ = run_scheme("finetune", data, TUNED, seed=4)
    assert not np.allclose(a["prob"], c["prob"])
    assert set(wa["target_learning_rate"]) <= {0.01, 0.001} and set(wa["target_frozen"]) <= {0, 1}


def test_mixture_reports_ea_and_gap():
    data = synthetic()
    oof, _ = run_scheme("mixture", data, SETTINGS, seed=0, smote_options=(False,))
    assert oof.groupby("ancestry")["patient"].nunique().to_dict() == {"AA": 60, "EA": 120}
    s = summarise(auroc_table(oof).assign(endpoint="PFI", years=3, scheme="mixture"))
    assert set(s["population"]) == {"AA", "EA", "EA-AA"}
    gap = s.set_index("population")["mean_auroc"]
    assert np.isclose(gap["EA-AA"], gap["EA"] - gap["AA"])


def test_too_few_patients_in_a_class():
    data = synthetic()
    data.y[data.aa] = 0
    data.y[np.flatnonzero(data.aa)[0]] = 1
    with pytest.raises(ValueError, match="AA patients: .* at least 2 of each"):
        run_scheme("independent", data, SETTINGS, seed=0)


# ---------------------------------------------------------------- checkpoints
def test_final_model_roundtrip_scores_new_patients(tmp_path):
    data = synthetic()
    model = fit_final("ccsa", data, SETTINGS, seed=0, smote=True, meta={"endpoint": "PFI", "years": 3})
    model.save(tmp_path / "m")
    loaded = MotlabModel.load(tmp_path / "m")
    frames = {n: pd.DataFrame(b, index=data.patients, columns=data.feature_names[n]) for n, b in data.blocks.items()}
    direct = model.predict(frames)
    again = loaded.predict(frames)
    np.testing.assert_allclose(direct.to_numpy(), again.to_numpy(), atol=1e-5)
    assert loaded.meta["scheme"] == "ccsa" and loaded.weights == model.weights
    assert set(loaded.meta["features"]["mrna"]) <= set(data.feature_names["mrna"])
    # new patients' tables: other column order, extra columns, a missing feature -> still scored
    new = {n: df.iloc[:5, ::-1].assign(extra=1.0) for n, df in frames.items()}
    new["mrna"] = new["mrna"].drop(columns=loaded.meta["features"]["mrna"][0])
    assert loaded.predict(new).between(0, 1).all()
    with pytest.raises(InputError, match="omics layer"):
        loaded.predict({"mrna": frames["mrna"]})


def test_the_linear_reference_is_scikit_learn_logistic_regression_on_the_same_inputs(tmp_path):
    """logistic_mixture: the mixture scheme's patients and fold-internal preprocessing, with an
    L2 logistic regression whose C the training fold's inner CV chose; its checkpoint scores
    new patients as the fitted model does."""
    from sklearn.linear_model import LogisticRegression

    data = synthetic()
    r, f, aa_tr, aa_te, ea_tr, ea_te = next(fold_plan(data, 3, 1, seed=1))
    train = np.r_[ea_tr, aa_tr]
    pipe, fits = fit_fold("logistic_mixture", data, train, SETTINGS, [1, 2, 3], smote_options=(False,))
    params = fits[False].params
    assert params.depth == 1 and params.C in (0.001, 0.01, 0.1, 1.0, 10.0)  # no hidden layer
    ref = LogisticRegression(C=params.C, max_iter=5000).fit(pipe.training_matrix(), data.y[train])
    x_te = pipe.transform(data.rows(aa_te))
    np.testing.assert_allclose(net.predict(params, x_te), ref.predict_proba(x_te)[:, 1], atol=1e-4)
    # Same patients as mixture: AA and EA out-of-fold predictions, EA AUROC and the gap.
    oof, folds = run_scheme("logistic_mixture", data, SETTINGS, seed=0, smote_options=(False,))
    assert oof.groupby("ancestry")["patient"].nunique().to_dict() == {"AA": 60, "EA": 120}
    assert folds["logistic_C_nosmote"].notna().all()
    aa_only, _ = run_scheme("logistic_independent", data, SETTINGS, seed=0, smote_options=(False,))
    assert set(aa_only["ancestry"]) == {"AA"}
    model = fit_final("logistic_independent", data, SETTINGS, seed=0, smote=False)
    model.save(tmp_path / "m")
    loaded = MotlabModel.load(tmp_path / "m")
    frames = {n: pd.DataFrame(b, index=data.patients, columns=data.feature_names[n]) for n, b in data.blocks.items()}
    np.testing.assert_allclose(loaded.predict(frames).to_numpy(), model.predict(frames).to_numpy(), atol=1e-5)
    assert loaded.meta["training_patients"] == data.aa.sum() and loaded.meta["logistic_C"] in (
        0.001,
        0.01,
        0.1,
        1.0,
        10.0,
    )


# ---------------------------------------------------------------- demo regimes
def demo_cohort(out, **params) -> Data:
    """A demo BRCA cohort (config/demo.yaml's 500 BRCA patients, smaller matrices), its three
    layers built as the workflow builds them, labelled for PFI within 3 years."""
    from tcgatl.inputs import clinical, demo, matrix, methylation, qc

    p = demo.DemoParams(
        n_genes=1000, n_cpg=800, n_mirna=150, patients_per_type=10, types=["BRCA", "LUAD"], brca_patients=500, **params
    )
    paths = demo.generate(out, p)
    cdr = clinical.read_cdr(paths["clinical"])
    quality = qc.read_sample_quality(paths["sample_quality"])
    qcfg = {
        "sample_types": ["01", "03", "06"],
        "drop_do_not_use": True,
        "drop_pathology_excluded": True,
        "label_source": "cdr",
        "types": [],
    }
    feats = {"negatives": "zero", "missing": "drop_gene", "log2": True, "drop_constant": True}
    layers = {
        "mrna": matrix.build(paths["expression"], quality=quality, cdr=cdr, qc=qcfg, features=feats)[0],
        "mirna": matrix.build(paths["mirna"], quality=quality, cdr=cdr, qc=qcfg, features=feats, skip=("Correction",))[
            0
        ],
        "methylation": methylation.build(
            paths["methylation"], quality=quality, cdr=cdr, qc=qcfg, cancer_type="BRCA", top=500
        )[0],
    }
    table, _ = cohort.build_cohort(layers, cdr, "BRCA")
    lab = labels.labelled(labels.cohort_labels(table, cdr, "PFI", 3))
    ix = table.set_index("patient")
    frames = {n: x.loc[ix[n].to_numpy()].set_axis(ix.index) for n, x in layers.items()}
    return Data.from_frames(frames, lab)


def regime_aurocs(tmp_path, regime, seeds, schemes) -> pd.DataFrame:
    """Mean AUROC per data seed, scheme and population (demo.yaml's MOTLAB settings, 3 repeats)."""
    settings = Settings(features_per_layer=50, folds=3, repeats=3, hyper=net.Hyper(epochs=30))
    rows = []
    for seed in seeds:
        data = demo_cohort(tmp_path / f"{regime}{seed}", seed=seed, regime=regime)
        for scheme in schemes:
            oof, _ = run_scheme(scheme, data, settings, seed=42, smote_options=(False,))
            for pop, g in auroc_table(oof).groupby("population"):
                rows.append({"seed": seed, "column": f"{scheme}/{pop}", "auroc": g["auroc"].mean()})
    return pd.DataFrame(rows).pivot(index="seed", columns="column", values="auroc")


def test_studies_regime_transfer_beats_independent_and_mixture_favours_ea(tmp_path):
    """The studies' regime over 10 data seeds: on AA patients finetune and ccsa beat independent,
    and mixture's AA AUROC sits below its EA AUROC (one-sided paired t-tests over seeds, p < 0.05).
    A single seed may go either way: ~10 AA events make one AA AUROC uncertain by ~0.1."""
    auc = regime_aurocs(tmp_path, "studies", range(1, 11), ["independent", "finetune", "ccsa", "mixture"])
    gaps = {
        "finetune - independent": auc["finetune/AA"] - auc["independent/AA"],
        "ccsa - independent": auc["ccsa/AA"] - auc["independent/AA"],
        "mixture EA - AA": auc["mixture/EA"] - auc["mixture/AA"],
    }
    for name, gap in gaps.items():
        test = stats.ttest_1samp(gap, 0.0, alternative="greater")
        assert gap.mean() > 0.03 and test.pvalue < 0.05, (name, gap.round(3).tolist(), test.pvalue)


def test_divergent_regime_transfer_does_not_help(tmp_path):
    """The opposite regime (AA a third of the cohort, the signature 3.5x stronger in AA): AA-only
    training is at least as good as fine-tuning from EA, over 6 data seeds."""
    auc = regime_aurocs(tmp_path, "divergent", range(1, 7), ["independent", "finetune"])
    gap = auc["finetune/AA"] - auc["independent/AA"]
    assert gap.mean() < 0 and (gap < 0.02).sum() >= 5, gap.round(3).tolist()


# ---------------------------------------------------------------- networks
def test_tl4hdr_network_trains_as_keras_would():
    """TL4HDR's network (128-64 ReLU, L1/L2 0.001 on the hidden kernels, SGD with Nesterov
    momentum): the compiled loop takes the same steps as Keras ``model.fit`` from the same
    weights (dropout off and one full batch per epoch, so that no randomness differs)."""
    import keras

    hp = net.Hyper(network="tl4hdr", dropout=0.0, epochs=4, learning_rate=0.05)
    assert hp.sizes == (128, 64) and hp.nesterov and hp.l1 == hp.l2 == 0.001
    rng = np.random.default_rng(0)
    x = rng.standard_normal((40, 12)).astype(np.float32)
    y = (x[:, 0] + 0.5 * rng.standard_normal(40) > 0).astype(int)
    init = net.init_params(12, hp.sizes, np.random.default_rng(1))
    ours = net.fit(x, y, net.Hyper(**{**hp.__dict__, "batch_size": 40}), np.random.default_rng(2), init=init)

    reg = keras.regularizers.L1L2(l1=0.001, l2=0.001)
    model = keras.Sequential(
        [
            keras.Input((12,)),
            keras.layers.Dense(128, activation="relu", kernel_regularizer=reg),
            keras.layers.Dense(64, activation="relu", kernel_regularizer=reg),
            keras.layers.Dense(2, activation="softmax"),
        ]
    )
    model.set_weights(init.as_list())
    model.compile(
        optimizer=keras.optimizers.SGD(0.05, momentum=0.9, nesterov=True), loss="sparse_categorical_crossentropy"
    )
    model.fit(x, y, batch_size=40, epochs=4, shuffle=False, verbose=0)
    for a, b in zip(ours.as_list(), model.get_weights()):
        np.testing.assert_allclose(a, b, atol=2e-5)
    # ... and the checkpoint form keeps both hidden layers.
    again = net.from_keras(net.to_keras(ours, hp))
    assert [k.shape for k in again.kernels] == [(12, 128), (128, 64), (64, 2)]
    np.testing.assert_allclose(net.predict(again, x), net.predict(ours, x), atol=1e-6)


def test_inner_cv_chooses_a_target_phase_that_adapts_to_aa():
    """AA outcome driven by another feature than EA's: the inner CV on AA rows prefers tuning
    with a real learning rate to keeping the EA model (a learning rate of 1e-7)."""
    rng = np.random.default_rng(0)
    n_ea, n_aa = 200, 90
    x = rng.standard_normal((n_ea + n_aa, 6)).astype(np.float32)
    aa = np.r_[np.zeros(n_ea, bool), np.ones(n_aa, bool)]
    y = np.where(aa, x[:, 1] > 0.3, x[:, 0] > 0.3).astype(int)
    grid = TargetGrid(learning_rates=(1e-7, 0.05), epochs=(40,), batch_sizes=(10,), frozen=(0,))
    hp = net.Hyper(hidden_units=16, epochs=30)
    for scheme in ("finetune", "ccsa"):
        best, scores = choose_target_phase(scheme, x, y, aa, hp, grid, np.random.default_rng(1))
        assert best.learning_rate == 0.05 and len(scores) == 2, (scheme, scores)
        assert dict(scores)[best] > dict(scores)[grid.candidates(scheme)[0]] + 0.1
    one = TargetGrid(learning_rates=(0.01,), epochs=(5,), batch_sizes=(10,), frozen=(1,))
    assert choose_target_phase("finetune", x, y, aa, hp, one, rng) == (one.candidates("finetune")[0], ())
    assert len(TargetGrid(alphas=(0.1, 0.5)).candidates("ccsa")) == 2
    assert len(TargetGrid(alphas=(0.1, 0.5)).candidates("finetune")) == 1  # alpha is CCSA's


def test_frozen_layers_keep_their_weights():
    hp = net.Hyper(network="tl4hdr", epochs=3)
    rng = np.random.default_rng(0)
    x = rng.standard_normal((30, 8)).astype(np.float32)
    y = (x[:, 0] > 0).astype(int)
    base = net.fit(x, y, hp, np.random.default_rng(1))
    tuned = net.fit(x, y, hp, np.random.default_rng(2), init=base, frozen=1, learning_rate=0.001, batch_size=5)
    np.testing.assert_array_equal(tuned.kernels[0], base.kernels[0])
    np.testing.assert_array_equal(tuned.biases[0], base.biases[0])
    assert not np.allclose(tuned.kernels[1], base.kernels[1])
    with pytest.raises(ValueError, match="the head must train"):
        net.fit(x, y, hp, np.random.default_rng(2), init=base, frozen=3)  # 2 hidden layers
    with pytest.raises(ValueError, match="unknown network"):
        net.Hyper(network="resnet")


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
