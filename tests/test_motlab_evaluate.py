"""MOTLAB evaluation (tcgatl.motlab.evaluate): settings from the config, fold plans without
leakage, deterministic out-of-fold predictions, AUROC summaries, the linear reference."""

from dataclasses import replace

import numpy as np
import pandas as pd
import pytest
from configured import section
from motlab_synthetic import SETTINGS, TUNED, synthetic

from tcgatl.errors import ConfigError
from tcgatl.motlab import net
from tcgatl.motlab.evaluate import Data, Settings, auroc_table, fit_fold, fold_plan, run_scheme, summarise
from tcgatl.motlab.final import MotlabModel, fit_final
from tcgatl.motlab.schemes import TargetGrid


def test_settings_are_read_from_the_config_section():
    """Every field from the ``motlab`` section: the network's settings, the target phase's
    candidates (a null tune_* is the source phase's value) and the pipeline's settings under
    the config's names; a key the section lacks is an error naming the class and the key."""
    cfg = section(
        "motlab",
        tune_learning_rates=[0.01, 0.001],
        tune_epochs=[4, 8],
        tune_frozen_layers=[0, 1],
        target_selection="pseudo_targets",
        pseudo_targets=3,
        weighting="concat",
        features_per_layer=12,
        weight_step=0.2,
        weight_positive=False,
        weight_inner_folds=4,
    )
    s = Settings.from_config(cfg)
    assert s.hyper == net.Hyper.from_config(cfg)
    assert s.target == TargetGrid(
        learning_rates=(0.01, 0.001),
        epochs=(4, 8),
        batch_sizes=(s.hyper.batch_size,),
        frozen=(0, 1),
        alphas=(s.hyper.alpha,),
        inner_folds=cfg["tune_inner_folds"],
        selection="pseudo_targets",
        pseudo_targets=3,
    )
    pipe = s.pipeline(seed=5)
    assert (pipe.features_per_layer, pipe.weighting, pipe.weight_step, pipe.weight_positive) == (
        12,
        "concat",
        0.2,
        False,
    )
    assert (pipe.weight_inner_folds, pipe.seed) == (4, 5)
    del cfg["tune_inner_folds"]
    with pytest.raises(ConfigError, match="Settings: the config section lacks the key 'tune_inner_folds'"):
        Settings.from_config(cfg)


@pytest.mark.parametrize(
    "scheme,weighting,selection",
    [
        ("mixture", "similarity", "inner_cv"),
        ("ccsa", "concat", "inner_cv"),
        ("finetune", "similarity", "pseudo_targets"),
        ("ccsa", "similarity", "average"),
        ("independent", "similarity", "inner_cv"),
        ("logistic_mixture", "similarity", "inner_cv"),
    ],
)
def test_no_test_fold_patient_influences_the_fit(scheme, weighting, selection):
    """Rewriting every test-fold patient's features and labels leaves the fitted scaler,
    selection, weights, similarity columns, SMOTE output and network (each way of setting the
    target phase) unchanged."""
    data = synthetic()
    settings = replace(TUNED, weighting=weighting, target=replace(TUNED.target, selection=selection, pseudo_targets=2))
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
