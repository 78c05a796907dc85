"""Stratified train/validation/test splits (and optional repeated K-fold) as barcode tables.

A cross-validation fold is itself a split table (:func:`fold_split`): its test part is the fold,
its validation part a stratified share of the other folds, so every downstream step (layouts,
scaling, images, training, evaluation) fits on the fold's training part exactly as on the
single split.
"""

from __future__ import annotations

import logging

import numpy as np
import pandas as pd
from sklearn.model_selection import RepeatedStratifiedKFold, train_test_split

from ..errors import InputError, preview

log = logging.getLogger(__name__)


def drop_small_classes(labels: pd.DataFrame, min_size: int, source=None) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Remove classes with fewer than ``min_size`` samples; returns (kept labels, dropped counts)."""
    counts = labels["label"].value_counts()
    small = counts[counts < min_size]
    for label, n in small.items():
        log.warning("class %s dropped: %d sample(s) < pancancer.min_class_size=%d", label, n, min_size)
    kept = labels[~labels["label"].isin(small.index)].reset_index(drop=True)
    if kept["label"].nunique() < 2:
        raise InputError(
            source,
            f"fewer than 2 classes have at least {min_size} samples ({counts.to_dict()}); "
            f"lower pancancer.min_class_size or add samples",
        )
    dropped = small.rename_axis("label").reset_index(name="samples")
    dropped["reason"] = f"fewer than {min_size} samples"
    return kept, dropped


def stratified_split(labels: pd.DataFrame, train: float, val: float, seed: int) -> pd.Series:
    """'train'/'val'/'test' per row, stratified by ``label`` and reproducible from ``seed``."""
    y = labels["label"].to_numpy()
    idx = np.arange(len(labels))
    test = 1.0 - train - val
    rest_idx, test_idx = train_test_split(idx, test_size=test, stratify=y, random_state=seed)
    tr_idx, val_idx = train_test_split(
        rest_idx, test_size=val / (train + val), stratify=y[rest_idx], random_state=seed + 1
    )
    split = np.empty(len(labels), dtype=object)
    split[tr_idx], split[val_idx], split[test_idx] = "train", "val", "test"
    return pd.Series(split, index=labels.index, name="split")


def repeated_folds(labels: pd.DataFrame, folds: int, repeats: int, seed: int) -> pd.DataFrame:
    """Test-fold number of each row for each repeat of a stratified K-fold (columns fold_r<i>)."""
    y = labels["label"].to_numpy()
    rskf = RepeatedStratifiedKFold(n_splits=folds, n_repeats=repeats, random_state=seed)
    out = pd.DataFrame(index=labels.index)
    for i, (_, test_idx) in enumerate(rskf.split(np.zeros(len(y)), y)):
        r, f = divmod(i, folds)
        col = f"fold_r{r}"
        if col not in out:
            out[col] = -1
        out.loc[labels.index[test_idx], col] = f
    return out


def cap_class_sizes(labels: pd.DataFrame, max_size: int | None, seed: int) -> pd.DataFrame:
    """At most ``max_size`` samples of each class, a seeded random subset of a larger one (None:
    every sample). A cohort that also serves another analysis (the demo's BRCA patients, many
    for MOTLAB) then costs the classifier no more than its other types."""
    if max_size is None:
        return labels
    counts = labels["label"].value_counts()
    large = counts[counts > max_size]
    if large.empty:
        return labels
    rng = np.random.default_rng(seed)
    keep = np.ones(len(labels), dtype=bool)
    for label, n in large.sort_index().items():
        rows = np.flatnonzero(labels["label"].to_numpy() == label)
        keep[rng.choice(rows, n - max_size, replace=False)] = False
        log.info("class %s: %d of its %d samples kept (pancancer.max_class_size)", label, max_size, n)
    return labels[keep].reset_index(drop=True)


def make_split(labels, *, train, val, min_class_size, seed, max_class_size=None, source=None):
    """The split table (barcode, patient, label, split) and the dropped classes. A ``split``
    column in ``labels`` (from a sample sheet) is used as given; otherwise the split is drawn.
    Classes over ``max_class_size`` are subsampled to it first (:func:`cap_class_sizes`)."""
    kept, dropped = drop_small_classes(labels, min_class_size, source)
    kept = cap_class_sizes(kept, max_class_size, seed)
    table = kept[["barcode", "patient", "label"]].copy()
    if "split" in kept and kept["split"].notna().any():  # a sample sheet's split column
        table["split"] = given_split(kept, source)
        log.info("split taken from the sample sheet's 'split' column")
        return table, dropped
    # Each split needs every class: the smallest class must reach the test and val sets.
    smallest = kept["label"].value_counts().min()
    need = int(np.ceil(round(1 / min(val, 1 - train - val), 9))) + 1  # round: 1-0.8-0.1 < 0.1
    if smallest < need:
        raise InputError(
            source,
            f"the smallest class has {smallest} samples; with these fractions each class "
            f"needs at least {need} (raise pancancer.min_class_size)",
        )
    table["split"] = stratified_split(kept, train, val, seed)
    return table, dropped


def given_split(labels: pd.DataFrame, source=None) -> pd.Series:
    """The split a sample sheet fixes (column ``split``), checked as a drawn one is: every
    sample in a part, every part holding every class, no patient in two parts."""
    split = labels["split"]
    if split.isna().any():
        raise InputError(
            source, f"{int(split.isna().sum())} sample(s) have no split: {preview(labels.loc[split.isna(), 'barcode'])}"
        )
    parts = labels.groupby("patient")["split"].nunique()
    leaky = parts.index[parts > 1]
    if len(leaky):
        raise InputError(source, f"patient(s) with samples in more than one split: {preview(leaky)}")
    counts = (
        labels.groupby(["label", "split"])
        .size()
        .unstack(fill_value=0)
        .reindex(columns=["train", "val", "test"], fill_value=0)
    )
    empty = [f"{label} in {part}" for label, row in counts.iterrows() for part, n in row.items() if n == 0]
    if empty:
        raise InputError(
            source,
            f"the given split leaves no sample of {preview(empty)}; every class needs a sample in train, val and test",
        )
    return split.rename("split")


def fold_table(split: pd.DataFrame, folds: int, repeats: int, seed: int, source=None) -> pd.DataFrame:
    """The repeated stratified K-fold of the split's samples: barcode, patient, label and the
    test fold of each sample in each repeat (fold_r<i>). A table of its own, so that turning
    cross-validation on reruns nothing of the single split."""
    smallest = split["label"].value_counts().min()
    if smallest < folds:
        raise InputError(source, f"the smallest class has {smallest} samples, fewer than pancancer.cv_folds={folds}")
    table = split[["barcode", "patient", "label"]].reset_index(drop=True)
    return table.join(repeated_folds(table, folds, repeats, seed))


def split_matrix(x: pd.DataFrame, split: pd.DataFrame, source=None):
    """Rows of ``x`` for each split, in the split table's order; checks barcodes and values."""
    missing = split.loc[~split["barcode"].isin(x.index), "barcode"]
    if len(missing):
        raise InputError(
            source, f"{len(missing)} barcode(s) of the split are not in the feature matrix: {preview(missing)}"
        )
    parts = {}
    for name in ("train", "val", "test"):
        rows = split[split["split"] == name]
        xs = x.loc[rows["barcode"]]
        bad = ~np.isfinite(xs.to_numpy()).all(axis=1)
        if bad.any():
            raise InputError(source, f"NaN or infinite values in {bad.sum()} sample(s): {preview(xs.index[bad])}")
        parts[name] = (xs, rows["label"].to_numpy())
    return parts


def fold_split(split: pd.DataFrame, repeat: int, fold: int, *, train: float, val: float, seed: int, source=None):
    """The split table (barcode, patient, label, split) of test fold ``fold`` of repeat
    ``repeat`` of a :func:`fold_table` (``split``): the fold is the test part; of the other folds a
    stratified share val / (train + val) is validation (early stopping, the phase-2 choice),
    as in the single split, and the rest is training."""
    col = f"fold_r{repeat}"
    if col not in split:
        have = [c for c in split.columns if c.startswith("fold_r")]
        raise InputError(
            source,
            f"no column {col}: the fold table has K-fold columns {have or 'none'} "
            "(pancancer.cv_repeats sets how many repeats it holds)",
        )
    folds = split[col].astype(int).to_numpy()
    test = folds == fold
    if not test.any():
        raise InputError(source, f"fold {fold} of {col} is empty (folds present: {sorted(set(folds))})")
    rest = np.flatnonzero(~test)
    labels = split["label"].to_numpy()
    # Its own seed per (repeat, fold), derived from the workflow seed.
    state = int(np.random.default_rng([seed, repeat, fold]).integers(2**31 - 1))
    _, val_idx = train_test_split(rest, test_size=val / (train + val), stratify=labels[rest], random_state=state)
    part = np.full(len(split), "train", dtype=object)
    part[test], part[val_idx] = "test", "val"
    out = split[["barcode", "patient", "label"]].copy()
    out["split"] = part
    return out
