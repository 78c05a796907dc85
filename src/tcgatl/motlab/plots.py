"""Figures: ROC curves of the pooled out-of-fold predictions and AUROC by scheme."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from sklearn.metrics import roc_auc_score, roc_curve

from ..plots import save_figure
from .options import LINEAR


def roc_curves(oof: pd.DataFrame, path, population: str = "AA") -> None:
    """One panel per endpoint/year; one curve per scheme and SMOTE option (repeat 0)."""
    df = oof[(oof["population"] if "population" in oof else oof["ancestry"]) == population]
    df = df[df["repeat"] == df["repeat"].min()]
    panels = sorted(df.groupby(["endpoint", "years"]).groups)
    n = max(1, len(panels))
    fig, axes = plt.subplots(1, n, figsize=(4.6 * n, 4.4), squeeze=False)
    for ax, (ep, yrs) in zip(axes[0], panels):
        sub = df[(df["endpoint"] == ep) & (df["years"] == yrs)]
        for (scheme, smote), g in sub.groupby(["scheme", "smote"], sort=True):
            if g["label"].nunique() < 2:
                continue
            fpr, tpr, _ = roc_curve(g["label"], g["prob"])
            ax.plot(
                fpr,
                tpr,
                lw=1.4,
                ls="-" if smote == "nosmote" else "--",
                label=f"{scheme} {smote} ({roc_auc_score(g['label'], g['prob']):.2f})",
            )
        ax.plot([0, 1], [0, 1], color="grey", lw=0.8, ls=":")
        ax.set(
            xlabel="false positive rate",
            ylabel="true positive rate",
            title=f"{ep} {yrs}y, {population} out-of-fold",
            xlim=(0, 1),
            ylim=(0, 1.01),
        )
        ax.legend(fontsize=7, loc="lower right")
    save_figure(fig, path)


def auroc_figure(summary: pd.DataFrame):
    """Mean AA (and EA) AUROC with 95% CI per scheme, one panel per endpoint/year: schemes on the
    x axis, populations by colour, without SMOTE filled and with SMOTE open."""
    df = summary[summary["population"].isin(["AA", "EA"])]
    panels = sorted(df.groupby(["endpoint", "years"]).groups)
    n = max(1, len(panels))
    width = max(5.6, 1.15 * df["scheme"].nunique())  # room for every scheme's label
    fig, axes = plt.subplots(1, n, figsize=(width * n, 4.4), squeeze=False, constrained_layout=True)
    colours = {"AA": "#c44e52", "EA": "#4c72b0"}
    for ax, (ep, yrs) in zip(axes[0], panels):
        sub = df[(df["endpoint"] == ep) & (df["years"] == yrs)].set_index(["scheme", "smote", "population"])
        schemes = list(dict.fromkeys(sub.index.get_level_values("scheme")))
        for k, (smote, pop) in enumerate([(s, p) for s in ("nosmote", "smote") for p in ("AA", "EA")]):
            keys = [(sc, smote, pop) for sc in schemes if (sc, smote, pop) in sub.index]
            if not keys:
                continue
            r = sub.loc[keys]
            xs = [schemes.index(sc) + (k - 1.5) * 0.16 for sc, _, _ in keys]
            err = np.vstack([r["mean_auroc"] - r["ci95_low"], r["ci95_high"] - r["mean_auroc"]])
            ax.errorbar(
                xs,
                r["mean_auroc"],
                yerr=np.nan_to_num(err),
                fmt="o",
                color=colours[pop],
                mfc=colours[pop] if smote == "nosmote" else "white",
                capsize=3,
                label=f"{pop}, {'no SMOTE' if smote == 'nosmote' else 'SMOTE'}",
            )
        ax.axhline(0.5, color="grey", lw=0.8, ls=":")
        ax.set_xticks(range(len(schemes)), [s.replace(LINEAR, LINEAR[:-1] + "\n") for s in schemes])
        ax.set(ylabel="AUROC (mean, 95% CI over repeats)", xlabel="scheme", title=f"{ep} {yrs}y", ylim=(0, 1))
        ax.legend(fontsize=7, loc="lower right", ncols=2)
    return fig


def auroc_by_scheme(summary: pd.DataFrame, path) -> None:
    """:func:`auroc_figure`, saved to ``path``."""
    save_figure(auroc_figure(summary), path)
