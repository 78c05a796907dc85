"""Paired comparisons of learning schemes on AA patients.

Every scheme is evaluated on the same AA folds (the fold plan depends on the seed, not on the
scheme), so two schemes' AUROCs of one repeat are paired. For each pair that matters (each
transfer scheme against ``independent`` and against ``mixture``, SMOTE against no SMOTE) this
module reports the AUROC difference per repeat, its mean and two 95% intervals:

- over repeats (t-interval of the per-repeat differences): how much the difference moves
  with the fold partition. Repeats reuse the same patients, so this interval ignores that the
  patients are a sample and is too narrow for a claim about new patients;
- over patients (paired bootstrap: the same resampled AA patients for both schemes in every
  repeat, the statistic being the mean over repeats of the AUROC difference): the uncertainty
  that comes from having these few patients. The verdict uses this one.

Written by hand because neither scikit-learn nor scipy compares two AUROCs on shared,
repeated out-of-fold predictions; the AUROC itself is the Mann-Whitney statistic (as
``sklearn.metrics.roc_auc_score``), vectorised over bootstrap draws with ``scipy.stats.rankdata``.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats

from .options import LINEAR, SCHEMES, SMOTE_OPTIONS

TRANSFER = ("finetune", "ccsa")
COLUMNS = [
    "first",
    "second",
    "mean_difference",
    "repeats_ci95_low",
    "repeats_ci95_high",
    "patients_ci95_low",
    "patients_ci95_high",
    "repeats_first_better",
    "repeats",
    "aa_patients",
    "aa_poor_outcome",
    "resolvable_difference",
    "verdict",
]
NOT_DISTINGUISHABLE = "not distinguishable from zero"
REFERENCES = ("independent", "mixture")


def pairs(schemes) -> list[tuple[tuple[str, str], tuple[str, str]]]:
    """The comparisons that matter, as ((scheme, smote), (scheme, smote)), first minus second:
    each transfer scheme against each reference, each network against its linear twin (does
    the network earn its cost?), and SMOTE against no SMOTE."""
    schemes = [s for s in SCHEMES if s in set(schemes)] + [s for s in schemes if s not in SCHEMES]
    out = []
    for smote in SMOTE_OPTIONS:
        for t in (s for s in schemes if s in TRANSFER):
            for ref in (s for s in schemes if s in REFERENCES):
                out.append(((t, smote), (ref, smote)))
        for s in (s for s in REFERENCES if s in schemes and LINEAR + s in schemes):
            out.append(((s, smote), (LINEAR + s, smote)))
    for s in schemes:
        out.append(((s, "smote"), (s, "nosmote")))
    return out


def _auroc(y: np.ndarray, prob: np.ndarray) -> np.ndarray:
    """AUROC along the last axis (Mann-Whitney, ties counted half); NaN without both classes."""
    ranks = stats.rankdata(prob, axis=-1)
    pos = y.sum(axis=-1)
    neg = y.shape[-1] - pos
    with np.errstate(invalid="ignore", divide="ignore"):
        return ((ranks * y).sum(axis=-1) - pos * (pos + 1) / 2) / (pos * neg)


def _matrix(oof: pd.DataFrame, scheme: str, smote: str) -> pd.DataFrame:
    """AA out-of-fold probabilities of one scheme and SMOTE option: patients x repeats."""
    g = oof[(oof["scheme"] == scheme) & (oof["smote"] == smote) & (oof["ancestry"] == "AA")]
    return g.pivot_table(index="patient", columns="repeat", values="prob", aggfunc="first")


def compare(oof: pd.DataFrame, first, second, n_boot: int = 2000, seed: int = 0) -> dict | None:
    """One paired comparison of ``first`` and ``second`` ((scheme, smote)) on one endpoint's
    out-of-fold AA predictions (columns scheme, smote, ancestry, patient, repeat, label, prob).
    None when either is missing."""
    a, b = _matrix(oof, *first), _matrix(oof, *second)
    if a.empty or b.empty:
        return None
    patients = a.index.intersection(b.index)
    repeats = a.columns.intersection(b.columns)
    if len(patients) != len(a) or len(patients) != len(b) or len(repeats) == 0:
        raise ValueError(
            f"{first} and {second} were not evaluated on the same AA patients and repeats "
            f"({len(a)} and {len(b)} patients, {len(repeats)} shared repeats): not a paired comparison"
        )
    a, b = a.loc[patients, repeats].to_numpy(float), b.loc[patients, repeats].to_numpy(float)
    label = oof[oof["ancestry"] == "AA"].drop_duplicates("patient").set_index("patient")["label"]
    y = label.loc[patients].to_numpy(float)
    per_repeat = _auroc(y, a.T) - _auroc(y, b.T)
    n = len(per_repeat)
    mean = float(per_repeat.mean())
    sd = float(per_repeat.std(ddof=1)) if n > 1 else np.nan
    half = float(stats.t.ppf(0.975, n - 1) * sd / np.sqrt(n)) if n > 1 else np.nan
    # Paired bootstrap over patients: one draw resamples patients for both schemes and every repeat.
    rng = np.random.default_rng(seed)
    draws = []
    for chunk in np.array_split(np.arange(n_boot), max(1, n_boot // 250)):
        idx = rng.integers(0, len(y), (len(chunk), len(y)))
        idx = idx[(y[idx].sum(axis=1) > 0) & (y[idx].sum(axis=1) < len(y))]  # both classes drawn
        yb = y[idx][:, None, :]
        diff = _auroc(yb, a.T[:, idx].transpose(1, 0, 2)) - _auroc(yb, b.T[:, idx].transpose(1, 0, 2))
        draws.append(diff.mean(axis=1))
    draws = np.concatenate(draws)
    lo, hi = np.quantile(draws, [0.025, 0.975]) if len(draws) else (np.nan, np.nan)
    return {
        "first": f"{first[0]} ({first[1]})",
        "second": f"{second[0]} ({second[1]})",
        "mean_difference": mean,
        "repeats_ci95_low": mean - half,
        "repeats_ci95_high": mean + half,
        "patients_ci95_low": float(lo),
        "patients_ci95_high": float(hi),
        "repeats_first_better": int((per_repeat > 0).sum()),
        "repeats": n,
        "aa_patients": len(y),
        "aa_poor_outcome": int(y.sum()),
        "resolvable_difference": np.nan,  # per endpoint: paired_table
        "verdict": verdict(first, second, lo, hi),
    }


def verdict(first, second, lo: float, hi: float) -> str:
    f, s = f"{first[0]} ({first[1]})", f"{second[0]} ({second[1]})"
    if lo > 0:
        return f"{f} beats {s}"
    if hi < 0:
        return f"{s} beats {f}"
    return NOT_DISTINGUISHABLE


def below_resolution(resolvable: float) -> str:
    """The verdict of a difference smaller than the cohort can resolve."""
    return f"smaller than this cohort resolves (+-{resolvable:.3f}): no verdict"


def is_call(v: str) -> bool:
    """Whether a verdict says one scheme beats the other."""
    return " beats " in v


def resolvable_difference(rows: pd.DataFrame) -> float:
    """The smallest AA AUROC difference one endpoint's cohort resolves: the median half-width of
    the 95% patient-bootstrap intervals of its comparisons. A difference below it cannot be
    told from zero with these patients, whichever schemes are compared: with few AA events
    (8-12 in TCGA's BRCA tasks) it is 0.1 or more."""
    half = (rows["patients_ci95_high"] - rows["patients_ci95_low"]) / 2
    return float(half.median()) if half.notna().any() else float("nan")


def paired_table(oof: pd.DataFrame, keys=("endpoint", "years"), n_boot: int = 2000, seed: int = 0) -> pd.DataFrame:
    """Every comparison of :func:`pairs` per endpoint and horizon (``oof`` of every scheme)."""
    keys = [k for k in keys if k in oof.columns]
    rows = []
    groups = oof.groupby(keys, sort=True) if keys else [((), oof)]
    for key, g in groups:
        key = key if isinstance(key, tuple) else (key,)
        found = [r for first, second in pairs(g["scheme"].unique()) if (r := compare(g, first, second, n_boot, seed))]
        # Said before any verdict: a difference below what these patients resolve gets none.
        resolvable = resolvable_difference(pd.DataFrame(found)) if found else float("nan")
        for row in found:
            row["resolvable_difference"] = resolvable
            if not is_call(row["verdict"]) and abs(row["mean_difference"]) < resolvable:
                row["verdict"] = below_resolution(resolvable)
            rows.append({**dict(zip(keys, key)), **row})
    return pd.DataFrame(rows, columns=[*keys, *COLUMNS])


def sentences(table: pd.DataFrame) -> list[str]:
    """The comparisons in words: per endpoint, each transfer scheme against each reference
    without SMOTE, and what SMOTE changes."""
    out = []
    keys = [k for k in ("endpoint", "years") if k in table]
    for key, g in table.groupby(keys, sort=True) if keys else [((), table)]:
        r = g.iloc[0]
        where = f"{r['endpoint']} {r['years']}y: " if "endpoint" in table else ""
        out.append(
            f"{where}{r['aa_patients']} AA patients, {r['aa_poor_outcome']} with the event; the smallest AUROC "
            f"difference they resolve is about +-{r['resolvable_difference']:.3f}."
        )
    for _, r in table.iterrows():
        where = f"{r['endpoint']} {r['years']}y: " if "endpoint" in table else ""
        out.append(
            f"{where}{r['first']} - {r['second']} = {r['mean_difference']:+.3f} AA AUROC "
            f"(95% CI over patients [{r['patients_ci95_low']:+.3f}, {r['patients_ci95_high']:+.3f}]; "
            f"first better in {r['repeats_first_better']} of {r['repeats']} repeats): {r['verdict']}."
        )
    return out
