"""Paired comparisons of MOTLAB schemes on shared folds (tcgatl.motlab.paired)."""

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import roc_auc_score

from tcgatl.motlab import paired


def oof_of(probs: dict, y, repeats=3, ancestry=None) -> pd.DataFrame:
    """Out-of-fold AA predictions in the workflow's layout: {(scheme, smote): (repeats x n)}."""
    n = len(y)
    rows = []
    for (scheme, smote), p in probs.items():
        for r in range(repeats):
            rows.append(
                pd.DataFrame(
                    {
                        "patient": [f"P{i:03d}" for i in range(n)],
                        "ancestry": ancestry if ancestry is not None else "AA",
                        "label": y,
                        "repeat": r,
                        "smote": smote,
                        "prob": p[r],
                        "scheme": scheme,
                        "endpoint": "PFI",
                        "years": 3,
                    }
                )
            )
    return pd.concat(rows, ignore_index=True)


def test_the_comparisons_that_matter():
    got = paired.pairs(["mixture", "independent", "finetune", "ccsa"])
    assert (("finetune", "nosmote"), ("independent", "nosmote")) in got
    assert (("ccsa", "smote"), ("mixture", "smote")) in got
    assert (("independent", "smote"), ("independent", "nosmote")) in got
    assert len(got) == 2 * 2 * 2 + 4  # SMOTE options x transfer x references, + SMOTE per scheme
    assert paired.pairs(["independent"]) == [(("independent", "smote"), ("independent", "nosmote"))]


def test_per_repeat_differences_are_sklearn_auroc_differences():
    rng = np.random.default_rng(0)
    y = (rng.random(60) < 0.2).astype(int)
    a, b = rng.random((3, 60)) + 0.5 * y, rng.random((3, 60))
    row = paired.compare(
        oof_of({("ccsa", "nosmote"): a, ("independent", "nosmote"): b}, y),
        ("ccsa", "nosmote"),
        ("independent", "nosmote"),
    )
    expected = [roc_auc_score(y, a[r]) - roc_auc_score(y, b[r]) for r in range(3)]
    assert row["mean_difference"] == pytest.approx(np.mean(expected))
    assert row["repeats_first_better"] == sum(d > 0 for d in expected)
    half = row["repeats_ci95_high"] - row["mean_difference"]
    assert half == pytest.approx(4.303 * np.std(expected, ddof=1) / np.sqrt(3), rel=1e-3)  # t(0.975, 2)


def test_a_real_difference_is_called_and_a_null_one_is_not():
    rng = np.random.default_rng(1)
    y = (rng.random(80) < 0.25).astype(int)
    good = rng.normal(0, 1, (3, 80)) + 1.5 * y
    noise = rng.normal(0, 1, (3, 80))
    oof = oof_of(
        {
            ("finetune", "nosmote"): good,
            ("independent", "nosmote"): noise,
            ("mixture", "nosmote"): noise + 1e-3 * rng.random((3, 80)),
        },
        y,
    )
    win = paired.compare(oof, ("finetune", "nosmote"), ("independent", "nosmote"))
    assert win["patients_ci95_low"] > 0 and win["verdict"] == "finetune (nosmote) beats independent (nosmote)"
    same = paired.compare(oof, ("mixture", "nosmote"), ("independent", "nosmote"))
    assert abs(same["mean_difference"]) < 0.02 and same["verdict"] == paired.NOT_DISTINGUISHABLE
    lose = paired.compare(oof, ("independent", "nosmote"), ("finetune", "nosmote"))
    assert lose["verdict"] == "finetune (nosmote) beats independent (nosmote)"
    table = paired.paired_table(oof)
    assert set(table["first"]) == {"finetune (nosmote)"} and len(table) == 2
    assert "beats independent (nosmote)" in " ".join(paired.sentences(table))


def test_a_difference_below_what_the_cohort_resolves_gets_no_verdict():
    """With 8 AA events the patient intervals are wide: the table says how wide, before any
    verdict, and a small difference is called too small to judge rather than compared."""
    rng = np.random.default_rng(7)
    y = np.r_[np.ones(8, int), np.zeros(50, int)]
    oof = oof_of(
        {
            ("finetune", "nosmote"): rng.normal(0, 1, (5, 58)) + 0.1 * y,
            ("independent", "nosmote"): rng.normal(0, 1, (5, 58)),
        },
        y,
        repeats=5,
    )
    (row,) = paired.paired_table(oof).to_dict("records")
    half = (row["patients_ci95_high"] - row["patients_ci95_low"]) / 2
    assert row["resolvable_difference"] == pytest.approx(half) and half > 0.05
    assert row["aa_poor_outcome"] == 8 and row["aa_patients"] == 58
    assert abs(row["mean_difference"]) < half
    assert row["verdict"] == paired.below_resolution(half) and not paired.is_call(row["verdict"])
    said = paired.sentences(pd.DataFrame([row]))
    assert said[0].startswith("PFI 3y: 58 AA patients, 8 with the event; the smallest AUROC difference")


def test_the_same_seed_gives_the_same_interval():
    rng = np.random.default_rng(2)
    y = (rng.random(50) < 0.3).astype(int)
    oof = oof_of({("ccsa", "nosmote"): rng.random((3, 50)), ("mixture", "nosmote"): rng.random((3, 50))}, y)
    one, two = (paired.paired_table(oof, seed=5) for _ in range(2))
    pd.testing.assert_frame_equal(one, two)


def test_schemes_on_different_patients_are_not_compared():
    rng = np.random.default_rng(3)
    y = (rng.random(40) < 0.3).astype(int)
    oof = oof_of(
        {("ccsa", "nosmote"): rng.random((2, 40)), ("independent", "nosmote"): rng.random((2, 40))}, y, repeats=2
    )
    oof = oof[~((oof["scheme"] == "independent") & (oof["patient"] == "P000"))]
    with pytest.raises(ValueError, match="not a paired comparison"):
        paired.compare(oof, ("ccsa", "nosmote"), ("independent", "nosmote"))


def test_the_report_says_which_scheme_wins_in_words():
    from tcgatl.report import tables

    rng = np.random.default_rng(4)
    y = (rng.random(80) < 0.25).astype(int)
    noise = rng.normal(0, 1, (3, 80))
    probs = {
        ("ccsa", "nosmote"): rng.normal(0, 1, (3, 80)) + 1.5 * y,
        ("finetune", "nosmote"): rng.normal(0, 1, (3, 80)) + 0.2 * y,
        ("independent", "nosmote"): noise,
        ("mixture", "nosmote"): noise + 0.01 * rng.random((3, 80)),
    }
    table = paired.paired_table(oof_of(probs, y))
    text = tables.motlab_paired_text(table)
    assert text.startswith("PFI 3y: 80 AA patients with ") and "resolve AUROC differences of about +-0." in text
    assert "The best transfer scheme is ccsa" in text
    assert "ccsa (nosmote) beats independent (nosmote)" in text and "ccsa (nosmote) beats mixture (nosmote)" in text
    shown = tables.motlab_paired_display(table)
    assert shown["95% CI over patients"].str.match(r"^\[[+-]\d\.\d{3}, [+-]\d\.\d{3}\]$").all()
