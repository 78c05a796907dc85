"""Cross-validated test metrics: every model's metrics on every fold, and their mean with a 95%
interval across folds.

The folds' training parts overlap, so their scores are correlated and the plain t-interval over
folds is too narrow (Nadeau & Bengio 2003, Machine Learning 52:239). The interval here is their
corrected resampled t: the variance of the mean is s^2 (1/J + n_test/n_train) over the J folds
(for K-fold, n_test/n_train = 1/(K - 1), divided by the share of the other folds that trains:
the rest is the validation set), with J - 1 degrees of freedom.
"""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
from scipy import stats

from ..errors import InputError
from .metrics import SUMMARY


def fold_metrics(files: dict[tuple, str]) -> pd.DataFrame:
    """One row per (repeat, fold, layout, backbone) from each fold's metrics.json (the baseline's
    layout and backbone: ``options.BASELINE``)."""
    rows = []
    for (repeat, fold, layout, backbone), path in files.items():
        try:
            doc = json.loads(open(path).read())
            values = {m: doc["metrics"][m] for m in SUMMARY}
        except (OSError, ValueError, KeyError, TypeError) as exc:
            raise InputError(path, f"not a metrics file of the evaluation ({exc})") from None
        rows.append(
            {"repeat": repeat, "fold": fold, "layout": layout, "backbone": backbone, "n_test": doc.get("n_test")}
            | values
        )
    if not rows:
        raise InputError(None, "no cross-validation folds to summarise (pancancer.cv_folds is 0)")
    return pd.DataFrame(rows).sort_values(["layout", "backbone", "repeat", "fold"], ignore_index=True)


def corrected_interval(values, folds: int, level: float = 0.95, train_share: float = 1.0) -> tuple[float, float, float]:
    """Mean and Nadeau-Bengio corrected resampled-t interval of per-fold scores of a K-fold
    (``folds`` = K) over any number of repeats; ``train_share`` is the part of the other folds
    that trains (train / (train + val) of the split fractions). One fold: undefined (NaN)."""
    v = np.asarray(values, dtype=float)
    j = len(v)
    if j < 2:
        return float(v.mean()) if j else np.nan, np.nan, np.nan
    half = stats.t.ppf(0.5 + level / 2, j - 1) * np.sqrt((1 / j + 1 / ((folds - 1) * train_share)) * v.var(ddof=1))
    return float(v.mean()), float(v.mean() - half), float(v.mean() + half)


def summarise(
    per_fold: pd.DataFrame, folds: int, metrics=("accuracy", "macro_f1"), train_share: float = 1.0
) -> pd.DataFrame:
    """Per layout x backbone: the number of folds and, per metric, the mean, SD and 95% interval."""
    rows = []
    for (layout, backbone), g in per_fold.groupby(["layout", "backbone"], sort=False):
        row = {"layout": layout, "backbone": backbone, "folds": len(g)}
        for m in metrics:
            mean, lo, hi = corrected_interval(g[m], folds, train_share=train_share)
            lo, hi = max(lo, 0.0), min(hi, 1.0)  # the metrics are proportions (NaN stays NaN)
            row |= {m: mean, f"{m}_sd": float(g[m].std(ddof=1)), f"{m}_ci_low": lo, f"{m}_ci_high": hi}
        rows.append(row)
    return pd.DataFrame(rows)
