"""Figures: mean ROC curves over repeats of the out-of-fold predictions, and AUROC by scheme.

Both draw SMOTE the same way (solid: without, dashed: with); the ROC figure gives each scheme one
colour (:data:`SCHEME_COLOURS`) and its legend the AUROCs of the summary table the report shows."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from sklearn.metrics import roc_curve

from ..plots import save_figure
from .options import LINEAR, SCHEMES, SMOTE_OPTIONS

# One colour per scheme (matplotlib's tab10, distinct for the six schemes), the same in every figure.
SCHEME_COLOURS = dict(zip(SCHEMES, plt.get_cmap("tab10").colors))
# One line style per SMOTE option: solid without SMOTE, dashed with it.
SMOTE_LINES = dict(zip(SMOTE_OPTIONS, ("-", "--")))
SMOTE_NAMES = dict(zip(SMOTE_OPTIONS, ("no SMOTE", "SMOTE")))
FPR_GRID = np.linspace(0, 1, 201)


def _population(df: pd.DataFrame) -> pd.Series:
    return df["population"] if "population" in df else df["ancestry"]


def mean_roc(g: pd.DataFrame) -> np.ndarray | None:
    """True positive rate on :data:`FPR_GRID`, averaged over the repeats of ``g`` (each repeat's
    pooled out-of-fold ROC interpolated on the grid); None when no repeat has both classes."""
    curves = []
    for _, rep in g.groupby("repeat", sort=True):
        if rep["label"].nunique() < 2:
            continue
        fpr, tpr, _ = roc_curve(rep["label"], rep["prob"])
        curve = np.interp(FPR_GRID, fpr, tpr)
        curve[0] = 0.0  # the curve starts at (0, 0), also when the first threshold already finds positives
        curves.append(curve)
    return np.mean(curves, axis=0) if curves else None


def legend_label(scheme: str, smote: str, auroc: float) -> str:
    """A curve's name in the legend: scheme, SMOTE option and the summary table's mean AUROC, in
    the report table's rounding (two decimals)."""
    return f"{scheme}, {SMOTE_NAMES.get(smote, smote)}: {'-' if pd.isna(auroc) else f'{auroc:.2f}'}"


def roc_figure(oof: pd.DataFrame, summary: pd.DataFrame, population: str = "AA"):
    """One panel per endpoint/year; one curve per scheme (colour) and SMOTE option (line style):
    the mean over repeats of each repeat's pooled out-of-fold ROC. The legend, below each panel so
    that it covers no curve, gives each curve's AUROC from ``summary`` (evaluate.summarise: the
    mean over repeats of the pooled out-of-fold AUROC, the number the report's table shows)."""
    df = oof[_population(oof) == population]
    means = summary[summary["population"] == population].set_index(["endpoint", "years", "scheme", "smote"])
    panels = sorted(df.groupby(["endpoint", "years"]).groups)
    n = max(1, len(panels))
    fig, axes = plt.subplots(1, n, figsize=(5.2 * n, 6.4), squeeze=False, layout="constrained")
    for ax, (ep, yrs) in zip(axes[0], panels):
        sub = df[(df["endpoint"] == ep) & (df["years"] == yrs)]
        repeats = sub["repeat"].nunique()
        for (scheme, smote), g in sub.groupby(["scheme", "smote"], sort=False):
            tpr = mean_roc(g)
            if tpr is None:
                continue
            auroc = means["mean_auroc"].get((ep, yrs, scheme, smote), np.nan)
            ax.plot(
                FPR_GRID,
                tpr,
                lw=1.4,
                color=SCHEME_COLOURS.get(scheme, "black"),
                ls=SMOTE_LINES.get(smote, ":"),
                label=legend_label(scheme, smote, auroc),
            )
        ax.plot([0, 1], [0, 1], color="grey", lw=0.8, ls=":")
        ax.set(
            xlabel="false positive rate",
            ylabel="true positive rate",
            title=f"{ep} {yrs}y, {population} out-of-fold (mean of {repeats} repeat{'s' if repeats != 1 else ''})",
            xlim=(0, 1),
            ylim=(0, 1.01),
            aspect="equal",
        )
        handles, labels = ax.get_legend_handles_labels()
        order = sorted(range(len(labels)), key=lambda i: _curve_order(labels[i]))
        ax.legend(
            [handles[i] for i in order],
            [labels[i] for i in order],
            title="scheme, SMOTE: mean AUROC",
            fontsize=7,
            title_fontsize=7,
            ncols=2,
            loc="upper center",
            bbox_to_anchor=(0.5, -0.14),
            frameon=False,
        )
    return fig


def _curve_order(label: str) -> tuple:
    """Legend order: schemes in :data:`SCHEMES` order, without SMOTE before with it."""
    scheme, rest = label.split(", ", 1)
    rank = SCHEMES.index(scheme) if scheme in SCHEMES else len(SCHEMES)
    return rank, scheme, not rest.startswith(SMOTE_NAMES["nosmote"])


def roc_curves(oof: pd.DataFrame, summary: pd.DataFrame, path, population: str = "AA") -> None:
    """:func:`roc_figure`, saved to ``path``."""
    save_figure(roc_figure(oof, summary, population), path)


def auroc_figure(summary: pd.DataFrame):
    """Mean AA (and EA) AUROC with 95% CI per scheme, one panel per endpoint/year: schemes on the
    x axis, populations by colour, without SMOTE filled with a solid bar and with SMOTE open with
    a dashed one (the ROC figure's line styles)."""
    df = summary[summary["population"].isin(["AA", "EA"])]
    panels = sorted(df.groupby(["endpoint", "years"]).groups)
    n = max(1, len(panels))
    width = max(5.6, 1.15 * df["scheme"].nunique())  # room for every scheme's label
    fig, axes = plt.subplots(1, n, figsize=(width * n, 4.8), squeeze=False, layout="constrained")
    colours = {"AA": "#c44e52", "EA": "#4c72b0"}
    for ax, (ep, yrs) in zip(axes[0], panels):
        sub = df[(df["endpoint"] == ep) & (df["years"] == yrs)].set_index(["scheme", "smote", "population"])
        schemes = list(dict.fromkeys(sub.index.get_level_values("scheme")))
        for k, (smote, pop) in enumerate([(s, p) for s in SMOTE_OPTIONS for p in ("AA", "EA")]):
            keys = [(sc, smote, pop) for sc in schemes if (sc, smote, pop) in sub.index]
            if not keys:
                continue
            r = sub.loc[keys]
            xs = [schemes.index(sc) + (k - 1.5) * 0.16 for sc, _, _ in keys]
            err = np.vstack([r["mean_auroc"] - r["ci95_low"], r["ci95_high"] - r["mean_auroc"]])
            bars = ax.errorbar(
                xs,
                r["mean_auroc"],
                yerr=np.nan_to_num(err),
                fmt="o",
                color=colours[pop],
                mfc=colours[pop] if smote == "nosmote" else "white",
                capsize=3,
                label=f"{pop}, {SMOTE_NAMES[smote]}",
            )
            for line in bars.lines[2]:
                line.set_linestyle(SMOTE_LINES[smote])
        ax.axhline(0.5, color="grey", lw=0.8, ls=":")
        ax.set_xticks(range(len(schemes)), [s.replace(LINEAR, LINEAR[:-1] + "\n") for s in schemes])
        ax.set(ylabel="AUROC (mean, 95% CI over repeats)", xlabel="scheme", title=f"{ep} {yrs}y", ylim=(0, 1))
    # One legend for every panel (the same four entries), below them: it covers no point.
    handles, labels = axes[0, 0].get_legend_handles_labels()
    if handles:
        fig.legend(handles, labels, fontsize=8, ncols=4, loc="outside lower center", frameon=False)
    return fig


def auroc_by_scheme(summary: pd.DataFrame, path) -> None:
    """:func:`auroc_figure`, saved to ``path``."""
    save_figure(auroc_figure(summary), path)
