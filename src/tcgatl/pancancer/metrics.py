"""Classification metrics with bootstrap confidence intervals, via scikit-learn."""

from __future__ import annotations

import numpy as np
import pandas as pd
from sklearn.metrics import (
    accuracy_score,
    confusion_matrix,
    precision_recall_fscore_support,
    roc_auc_score,
)

SUMMARY = [
    "accuracy",
    "macro_precision",
    "macro_recall",
    "macro_f1",
    "weighted_precision",
    "weighted_recall",
    "weighted_f1",
]


def _summary(y_true, y_pred, labels=None) -> dict:
    """Accuracy and macro/weighted P/R/F1; ``labels=None`` averages over the classes present
    (a bootstrap resample that misses a rare class must not score it 0)."""
    out = {"accuracy": accuracy_score(y_true, y_pred)}
    for avg in ("macro", "weighted"):
        p, r, f, _ = precision_recall_fscore_support(y_true, y_pred, labels=labels, average=avg, zero_division=0)
        out |= {f"{avg}_precision": p, f"{avg}_recall": r, f"{avg}_f1": f}
    return out


def ovr_auc(y_true, proba: np.ndarray, classes) -> float | None:
    """Macro one-vs-rest ROC AUC; None when a class is absent from ``y_true``."""
    if len(set(y_true)) < len(classes):
        return None
    return float(roc_auc_score(y_true, proba, multi_class="ovr", average="macro", labels=list(classes)))


def evaluate(y_true, y_pred, proba: np.ndarray, classes, n_boot: int = 1000, seed: int = 0) -> dict:
    """Point estimates, 95% bootstrap CIs (percentile, resampling test samples), per-class
    report and confusion matrix; everything a report table needs."""
    y_true, y_pred = np.asarray(y_true), np.asarray(y_pred)
    classes = list(classes)
    point = _summary(y_true, y_pred, classes)
    point["ovr_auc"] = ovr_auc(y_true, proba, classes)
    rng = np.random.default_rng(seed)
    boots = {k: [] for k in SUMMARY}
    n = len(y_true)
    for _ in range(n_boot):
        i = rng.integers(0, n, n)
        for k, v in _summary(y_true[i], y_pred[i]).items():
            boots[k].append(v)
    ci = {k: [float(np.percentile(v, 2.5)), float(np.percentile(v, 97.5))] for k, v in boots.items() if v}
    p, r, f, s = precision_recall_fscore_support(y_true, y_pred, labels=classes, zero_division=0)
    per_class = pd.DataFrame({"class": classes, "precision": p, "recall": r, "f1": f, "support": s})
    cm = pd.DataFrame(confusion_matrix(y_true, y_pred, labels=classes), index=classes, columns=classes)
    cm.index.name = "true"
    return {
        "n_test": int(n),
        "classes": classes,
        "metrics": {k: (None if v is None else float(v)) for k, v in point.items()},
        "ci95": ci,
        "bootstrap": int(n_boot),
        "per_class": per_class,
        "confusion": cm,
    }


def summary_table(result: dict, model: str) -> pd.DataFrame:
    """One row per metric: model, metric, value, ci_low, ci_high."""
    rows = []
    for k, v in result["metrics"].items():
        lo, hi = result["ci95"].get(k, [None, None])
        rows.append((model, k, v, lo, hi))
    return pd.DataFrame(rows, columns=["model", "metric", "value", "ci_low", "ci_high"])


def predictions_table(barcodes, y_true, classes, proba: np.ndarray) -> pd.DataFrame:
    """Test predictions: barcode, true, predicted, and one probability column per class."""
    classes = list(classes)
    pred = np.asarray(classes, dtype=object)[np.argmax(proba, axis=1)]
    table = pd.DataFrame({"barcode": list(barcodes), "true": list(y_true), "predicted": pred})
    for j, c in enumerate(classes):
        table[f"prob_{c}"] = proba[:, j].astype(np.float32)
    return table


def write_evaluation(result: dict, model: str, predictions: pd.DataFrame, out: dict) -> None:
    """metrics.json (everything), metrics.tsv (summary with CIs), per_class.tsv, confusion.tsv,
    predictions.parquet; ``out`` maps those names to paths."""
    import json

    from ..io import atomic_path, write_table

    doc = {k: v for k, v in result.items() if k not in ("per_class", "confusion")}
    doc["model"] = model
    doc["per_class"] = result["per_class"].to_dict(orient="records")
    doc["confusion"] = {"labels": result["classes"], "matrix": result["confusion"].to_numpy().tolist()}
    write_table(summary_table(result, model), out["table"])
    write_table(result["per_class"], out["per_class"])
    write_table(result["confusion"], out["confusion"], index=True)
    write_table(predictions, out["predictions"])
    with atomic_path(out["metrics"]) as tmp:
        tmp.write_text(json.dumps(doc, indent=2, default=float))
