"""The report's own figures (matplotlib, Agg). Builders return the figure; sizes grow with the
number of tumour types and models so that 33 names stay readable (see :func:`overlapping_text`)."""

from __future__ import annotations

import matplotlib.pyplot as plt
import matplotlib.ticker
import numpy as np
import pandas as pd
from matplotlib.colors import Normalize
from matplotlib.text import Text

from .. import plots
from ..pancancer.options import BASELINE

SPLIT_COLOURS = {"train": "#4c72b0", "val": "#55a868", "test": "#c44e52"}


def _drawn_texts(fig) -> list[Text]:
    """Visible, non-empty texts that are drawn: tick labels only for ticks inside the view
    (matplotlib keeps label objects for ticks beyond the limits but does not draw them)."""
    tick_ids, drawn = set(), []
    for ax in fig.axes:
        for axis in (ax.xaxis, ax.yaxis):
            lo, hi = sorted(axis.get_view_interval())
            tol = 1e-9 * (abs(hi - lo) + 1)
            for tick in axis.get_major_ticks() + axis.get_minor_ticks():
                labels = (tick.label1, tick.label2)
                tick_ids.update(map(id, labels))
                loc = tick.get_loc()
                if loc is not None and lo - tol <= loc <= hi + tol:
                    drawn += labels
    texts = [t for t in fig.findobj(Text) if id(t) not in tick_ids] + drawn
    return [t for t in texts if t.get_visible() and t.get_text().strip() and t.figure is fig]


def overlapping_text(fig) -> list[tuple[str, str]]:
    """Pairs of drawn text labels whose boxes overlap (after layout)."""
    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()
    texts = _drawn_texts(fig)
    boxes = np.array([t.get_window_extent(renderer).extents for t in texts]).reshape(-1, 4)
    pairs = []
    for i in range(len(texts)):
        x0, y0, x1, y1 = boxes[i]
        # Touching edges and sub-pixel contact are not overlaps a reader would notice.
        hit = (np.minimum(x1, boxes[i + 1 :, 2]) - np.maximum(x0, boxes[i + 1 :, 0]) > 1) & (
            np.minimum(y1, boxes[i + 1 :, 3]) - np.maximum(y0, boxes[i + 1 :, 1]) > 1
        )
        pairs += [(texts[i].get_text(), texts[i + 1 + j].get_text()) for j in np.flatnonzero(hit)]
    return pairs


def samples_per_type(table: pd.DataFrame):
    """Samples per tumour type after QC (stacked by split) and those QC removed."""
    df = table.iloc[::-1]
    k = len(df)
    fig, ax = plt.subplots(figsize=(8, 0.28 * k + 1.6), constrained_layout=True)
    y = np.arange(k)
    left = np.zeros(k)
    for part, colour in SPLIT_COLOURS.items():
        ax.barh(y, df[part], left=left, color=colour, label=f"{part} (classifier)")
        left += df[part].to_numpy()
    unused = df["kept_after_qc"].to_numpy() - left
    ax.barh(y, unused, left=left, color="#bbbbbb", label="kept by QC, not in classifier (class too small)")
    left += unused
    dropped = df[[c for c in df.columns if c.startswith("dropped: ")]].sum(axis=1).to_numpy()
    ax.barh(y, dropped, left=left, color="white", edgecolor="#555555", hatch="//", label="removed by QC")
    ax.set_yticks(y, df["tumour_type"], fontsize=8)
    ax.set_ylim(-0.6, k - 0.4)
    ax.set(xlabel="samples", ylabel="tumour type", title="Samples per tumour type")
    ax.legend(fontsize=7, loc="lower right")
    return fig


def example_images(names, images, mask, title: str):
    """One gene image per tumour type (the first training sample), one shared [0, 1] scale."""
    return plots.image_grid(
        names,
        images,
        mask,
        title,
        plots.gene_cmap(),
        Normalize(0, 1),
        "scaled log2 expression [0, 1]",
        panel=(2.5, 2.6),
    )


def pancancer_summary(table: pd.DataFrame):
    """Accuracy and macro F1 with 95% CIs of every model; the original paper's values marked if
    ``table`` has its row (only where the run is comparable with it)."""
    df = table.iloc[::-1].reset_index(drop=True)
    n = len(df)
    fig, axes = plt.subplots(1, 2, figsize=(11, 0.42 * n + 1.8), sharey=True, constrained_layout=True)
    y = np.arange(n)
    for ax, metric, label in zip(axes, ("accuracy", "macro_f1"), ("accuracy", "macro F1")):
        for i, r in df.iterrows():
            ref = r["source"] == "original paper"
            lo, hi = r[f"{metric}_ci_low"], r[f"{metric}_ci_high"]
            err = None if pd.isna(lo) else [[r[metric] - lo], [hi - r[metric]]]
            ax.errorbar(
                r[metric],
                i,
                xerr=err,
                fmt="*" if ref else "o",
                ms=9 if ref else 5,
                capsize=3,
                color="#c44e52" if ref else ("#777777" if "baseline" in r["source"] else "#4c72b0"),
            )
            if ref:
                ax.axvline(r[metric], color="#c44e52", lw=0.8, ls=":")
        ax.set(xlabel=f"test-set {label} (95% bootstrap CI)", xlim=(0, 1.02))
        ax.grid(axis="x", alpha=0.3)
    axes[0].set_yticks(y, df["model"], fontsize=8)
    axes[0].set_ylabel("model (layout)")
    paper = (df["source"] == "original paper").any()
    fig.suptitle(
        "Pan-cancer tumour-type classification" + (" (red star: original paper, no CI reported)" if paper else "")
    )
    return fig


def pancancer_cv(table: pd.DataFrame, per_fold: pd.DataFrame):
    """Per model: each fold's test score (dots), the cross-validated mean with its 95% interval
    (bar) and the single split's value with its bootstrap CI (diamond, below)."""
    df = table.iloc[::-1].reset_index(drop=True)
    n = len(df)
    fig, axes = plt.subplots(1, 2, figsize=(11, 0.5 * n + 1.8), sharey=True, constrained_layout=True)
    for ax, metric, label in zip(axes, ("accuracy", "macro_f1"), ("accuracy", "macro F1")):
        for i, r in df.iterrows():
            folds = per_fold[(per_fold["layout"] == r["layout"]) & (per_fold["backbone"] == r["backbone"])]
            colour = "#777777" if (r["layout"], r["backbone"]) == BASELINE else "#4c72b0"
            ax.plot(folds[metric], np.full(len(folds), i + 0.12), "o", ms=3, color=colour, alpha=0.45)
            m, lo, hi = r[f"cv_{metric}"], r[f"cv_{metric}_ci_low"], r[f"cv_{metric}_ci_high"]
            err = None if pd.isna(lo) else [[m - lo], [hi - m]]
            ax.errorbar(m, i + 0.12, xerr=err, fmt="|", ms=12, capsize=4, color=colour, lw=1.6)
            s, slo, shi = r[f"split_{metric}"], r[f"split_{metric}_ci_low"], r[f"split_{metric}_ci_high"]
            ax.errorbar(s, i - 0.18, xerr=[[s - slo], [shi - s]], fmt="D", ms=4, capsize=2, color="#c44e52", lw=0.9)
        ax.set(xlabel=f"test-set {label}", xlim=(0, 1.02))
        ax.grid(axis="x", alpha=0.3)
    axes[0].set_yticks(np.arange(n), df["model"], fontsize=8)
    axes[0].set_ylabel("model (layout)")
    folds = int(df["folds"].max())
    fig.suptitle(
        f"Cross-validation ({folds} folds; dots: folds, bar: mean and corrected 95% interval) "
        "vs the single split (red diamond, bootstrap CI)",
        fontsize=10,
    )
    return fig


def training_curves(hist: pd.DataFrame):
    """Loss and accuracy per epoch (training and validation) of every run; the dotted line
    marks the start of fine-tuning, the ring the epoch whose weights were kept."""
    layouts = list(dict.fromkeys(hist["layout"]))
    backbones = list(dict.fromkeys(hist["backbone"]))
    cols = [(lay, m) for lay in layouts for m in ("loss", "accuracy")]
    fig, axes = plt.subplots(
        len(backbones),
        len(cols),
        figsize=(3.3 * len(cols), 2.5 * len(backbones) + 0.6),
        squeeze=False,
        constrained_layout=True,
    )
    for i, bb in enumerate(backbones):
        for j, (lay, metric) in enumerate(cols):
            ax = axes[i, j]
            h = hist[(hist["layout"] == lay) & (hist["backbone"] == bb)]
            if h.empty:
                ax.set_axis_off()
                continue
            ax.plot(h["step"], h[metric], color="#4c72b0", lw=1.2, label="training")
            ax.plot(h["step"], h[f"val_{metric}"], color="#c44e52", lw=1.2, label="validation")
            ft = h[h["phase"] != "head"]
            if len(ft):
                ax.axvline(ft["step"].iloc[0] - 0.5, color="grey", ls=":", lw=0.9)
            kept = h[h["kept"].astype(str) == "True"]
            ax.plot(kept["step"], kept[f"val_{metric}"], "o", mfc="none", mec="black", ms=7)
            ax.set_title(f"{bb}, {lay}: {metric}", fontsize=9)
            ax.set_xlabel("epoch (head, then fine-tuning)", fontsize=8)
            ax.set_ylabel("cross-entropy (log scale)" if metric == "loss" else "accuracy", fontsize=8)
            ax.tick_params(labelsize=7)
            if metric == "accuracy":
                ax.set_ylim(0, 1.02)
            else:  # fine-tuning spikes would flatten the head phase on a linear axis
                ax.set_yscale("log")
                ax.yaxis.set_minor_formatter(matplotlib.ticker.NullFormatter())
            if i == 0 and j == 0:
                ax.legend(fontsize=7)
    return fig


def confusion(conf: pd.DataFrame, title: str):
    """Confusion matrix, rows normalised to recall (colour), counts written when they fit."""
    counts = conf.to_numpy(dtype=float)
    names = list(conf.columns)
    k = len(names)
    share = counts / np.maximum(counts.sum(axis=1, keepdims=True), 1)
    side = max(5.0, 0.3 * k + 2.5)
    fig, ax = plt.subplots(figsize=(side + 1.2, side), constrained_layout=True)
    im = ax.imshow(share, cmap="Blues", vmin=0, vmax=1)
    fontsize = 8 if k <= 12 else 6 if k <= 24 else 5
    for (r, c), n in np.ndenumerate(counts):
        if n:
            ax.text(
                c,
                r,
                f"{int(n)}",
                ha="center",
                va="center",
                fontsize=fontsize,
                color="white" if share[r, c] > 0.6 else "black",
            )
    tick = 8 if k <= 24 else 7
    ax.set_xticks(range(k), names, rotation=90, fontsize=tick)
    ax.set_yticks(range(k), list(conf.index), fontsize=tick)
    ax.set(xlabel="predicted tumour type", ylabel="true tumour type", title=title)
    fig.colorbar(im, ax=ax, label="share of the true type's test samples (recall)", shrink=0.7)
    return fig


def per_class_f1(f1: pd.DataFrame):
    """Test-set F1 of every tumour type (rows) for every model (columns)."""
    k, m = f1.shape
    fig, ax = plt.subplots(figsize=(0.55 * m + 3.5, 0.3 * k + 2.6), constrained_layout=True)
    im = ax.imshow(f1.to_numpy(dtype=float), cmap="viridis", vmin=0, vmax=1, aspect="auto")
    for (r, c), v in np.ndenumerate(f1.to_numpy(dtype=float)):
        if np.isfinite(v):
            ax.text(c, r, f"{v:.2f}", ha="center", va="center", fontsize=6, color="black" if v > 0.6 else "white")
    ax.set_xticks(range(m), list(f1.columns), rotation=90, fontsize=8)
    ax.set_yticks(range(k), list(f1.index), fontsize=8)
    ax.set(xlabel="model (layout)", ylabel="tumour type", title="Per-class F1 on the test set")
    fig.colorbar(im, ax=ax, label="F1", shrink=0.6)
    return fig
