"""Endpoint labels: poor outcome within N years (1), event-free beyond N years (0), or excluded.

The original MOTLAB code coded the classes the other way round (1 = event-free). Swapping the
labels swaps the classes of the softmax output, so P(poor) = 1 - P(good) and the AUROC is the
same; we use 1 = poor outcome, the usual convention for a prognostic score.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

YEAR_DAYS = 365.25
POOR, GOOD = 1, 0
STATUSES = ["poor_outcome", "good_outcome", "censored_before_threshold", "endpoint_missing"]


def endpoint_labels(clinical: pd.DataFrame, endpoint: str, years: float) -> pd.DataFrame:
    """Per patient of ``clinical`` (the CDR or an outcomes table): ``event``, ``time`` (days), ``status`` and ``label`` (1/0/NA).

    - event (1) at or before ``years`` -> 1 (poor outcome);
    - followed beyond ``years`` (event or not, time > threshold) -> 0 (event-free beyond);
    - censored (0) at or before ``years`` -> excluded (``censored_before_threshold``);
    - endpoint or time missing -> excluded (``endpoint_missing``).
    """
    if endpoint not in clinical.columns:
        raise KeyError(f"endpoint {endpoint!r} (and {endpoint}.time) not in the clinical table")
    if f"{endpoint}.time" not in clinical.columns:  # a ready label (an outcomes table of one's own)
        return ready_labels(clinical, endpoint)
    threshold = years * YEAR_DAYS
    event = pd.to_numeric(clinical[endpoint], errors="coerce").to_numpy(dtype=float)
    time = pd.to_numeric(clinical[f"{endpoint}.time"], errors="coerce").to_numpy(dtype=float)
    missing = np.isnan(event) | np.isnan(time)
    within = ~missing & (time <= threshold)
    status = np.select(
        [missing, within & (event == 1), within, ~missing],
        ["endpoint_missing", "poor_outcome", "censored_before_threshold", "good_outcome"],
        default="endpoint_missing",
    )
    label = pd.array(np.where(status == "poor_outcome", POOR, GOOD), dtype="Int64")
    label[~np.isin(status, ["poor_outcome", "good_outcome"])] = pd.NA
    return pd.DataFrame({"event": event, "time": time, "status": status, "label": label}, index=clinical.index)


def ready_labels(table: pd.DataFrame, endpoint: str) -> pd.DataFrame:
    """``endpoint`` given as a 0/1 label (1 = poor outcome; missing = excluded), no time."""
    label = pd.to_numeric(table[endpoint], errors="coerce")
    bad = label.dropna()[~label.dropna().isin([POOR, GOOD])]
    if len(bad):
        raise ValueError(
            f"endpoint {endpoint!r} without {endpoint}.time must be a 0/1 label, found {sorted(bad.unique())[:5]}"
        )
    status = np.select([label == POOR, label == GOOD], ["poor_outcome", "good_outcome"], default="endpoint_missing")
    return pd.DataFrame(
        {"event": label.to_numpy(dtype=float), "time": np.nan, "status": status, "label": label.astype("Int64")},
        index=table.index,
    )


def cohort_labels(cohort: pd.DataFrame, clinical: pd.DataFrame, endpoint: str, years: float) -> pd.DataFrame:
    """Labels of the cohort's patients (patient, ancestry, event, time, status, label)."""
    lab = endpoint_labels(clinical.reindex(cohort["patient"]), endpoint, years)
    out = cohort[["patient", "ancestry"]].reset_index(drop=True)
    return pd.concat([out, lab.reset_index(drop=True)], axis=1)


def label_counts(labels: pd.DataFrame) -> pd.DataFrame:
    """Patients per ancestry and status (class or exclusion reason), zeros included."""
    t = labels.groupby(["ancestry", "status"]).size().unstack(fill_value=0)
    t = t.reindex(columns=STATUSES, fill_value=0)
    long = t.stack().rename("patients").reset_index()
    long["label"] = long["status"].map({"poor_outcome": "1", "good_outcome": "0"}).fillna("excluded")
    return long[["ancestry", "status", "label", "patients"]]


def labelled(labels: pd.DataFrame) -> pd.DataFrame:
    """Only the patients with a label, label as int."""
    out = labels[labels["label"].notna()].copy()
    out["label"] = out["label"].astype(int)
    return out.reset_index(drop=True)


def read_labels(path) -> pd.DataFrame:
    from ..errors import InputError
    from ..io import read_table, require_columns

    df = read_table(path, dtype={"patient": str, "ancestry": str, "status": str})
    require_columns(df, ["patient", "ancestry", "status", "label"], path)
    bad = df["label"].dropna()[~df["label"].dropna().isin([0, 1])]
    if len(bad):
        raise InputError(path, f"label must be 0, 1 or empty, found {sorted(bad.unique())[:5]}")
    df["label"] = df["label"].astype("Int64")
    return df
