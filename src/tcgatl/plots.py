"""Figures (matplotlib, Agg): gene images and attribution maps, training curves."""

from __future__ import annotations

import math

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.colors import TwoSlopeNorm

from .io import atomic_path

# Files only, never a window: the one place the backend is chosen (every figure module
# imports this one).
plt.switch_backend("Agg")

PADDING_COLOUR = "#d9d9d9"


def _masked(img, mask):
    return np.ma.masked_where(~mask, img)


def _cmaps():
    return (
        plt.get_cmap("viridis").with_extremes(bad=PADDING_COLOUR),
        plt.get_cmap("RdBu_r").with_extremes(bad=PADDING_COLOUR),
    )


def gene_cmap():
    """The colour map of gene images (padding grey)."""
    return _cmaps()[0]


def _symmetric(values) -> float:
    """Colour limit for a diverging map centred at zero (99.5th percentile of |values|)."""
    v = np.abs(np.asarray(values)[np.isfinite(values)])
    lim = float(np.percentile(v, 99.5)) if v.size else 0.0
    return lim if lim > 0 else 1e-12


def save_figure(fig, path, dpi=120) -> None:
    """PNG written atomically (no half-written figure under the final name); closes ``fig``."""
    with atomic_path(path) as tmp:
        fig.savefig(tmp, dpi=dpi, format="png", bbox_inches="tight")
    plt.close(fig)


def ig_class_figure(mean_image, mean_attr, mask, name: str, n: int, baseline: str = "zero", top_genes=()):
    """Mean input gene image beside the mean attribution map of one class, with the class's top
    genes (``top_genes``: (label, row, col) by rank) named beside the map and tied to their pixels."""
    gene_cmap, attr_cmap = _cmaps()
    fig, (a, b) = plt.subplots(1, 2, figsize=(11, 5.4), constrained_layout=True)
    im = a.imshow(_masked(mean_image, mask), cmap=gene_cmap, vmin=0, vmax=1, interpolation="nearest")
    a.set_title("mean gene image (model input)")
    fig.colorbar(im, ax=a, label="scaled expression [0, 1]", shrink=0.85, location="bottom")
    lim = _symmetric(mean_attr[mask])
    im = b.imshow(_masked(mean_attr, mask), cmap=attr_cmap, norm=TwoSlopeNorm(0, -lim, lim), interpolation="nearest")
    b.set_title(f"mean Integrated Gradients (baseline: {baseline})")
    fig.colorbar(im, ax=b, label="attribution to the class probability", shrink=0.85, location="bottom")
    for ax in (a, b):
        ax.set_xlabel("pixel column")
        ax.set_ylabel("pixel row")
    height, width = mean_attr.shape
    # Labels in a column right of the map, evenly spaced in the order of their pixels' rows, so
    # that they never overlap however close the pixels are; a thin line ties each to its pixel.
    genes = sorted(top_genes, key=lambda g: (g[1], g[2]))
    slots = np.linspace(0, height - 1, len(genes) + 2)[1:-1] if len(genes) > 1 else [height / 2]
    x_text = width - 0.5 + 0.08 * width
    for (label, row, col), y in zip(genes, slots):
        b.plot(col, row, marker="o", ms=5, mfc="none", mec="black", mew=0.8)
        # Plain text and line (not an annotation, whose extent would include its line).
        b.plot([col, x_text - 0.01 * width], [row, y], color="black", lw=0.5, clip_on=False)
        b.text(x_text, y, label, fontsize=7, va="center", clip_on=False)
    b.set(xlim=(-0.5, width - 0.5), ylim=(height - 0.5, -0.5))
    fig.suptitle(
        f"{name}: {n} correctly classified test sample{'s' if n != 1 else ''}"
        + (f"; top {len(genes)} genes by mean attribution" if genes else "")
        + "\n(each pixel: one gene, or the mean of the genes sharing it)",
        fontsize=10,
    )
    return fig


def image_grid(names, images, mask, title: str, cmap, norm, colorbar_label: str, panel=(2.6, 2.75)):
    """One panel per image (padding pixels grey), at most six per row, one shared colour scale."""
    k = len(names)
    cols = min(k, 6) if k else 1
    rows = max(1, math.ceil(k / cols))
    fig, axes = plt.subplots(
        rows, cols, figsize=(panel[0] * cols, panel[1] * rows + 0.8), squeeze=False, constrained_layout=True
    )
    im = None
    for ax in axes.flat:
        ax.set_axis_off()
    for ax, name, img in zip(axes.flat, names, images):
        im = ax.imshow(_masked(img, mask), cmap=cmap, norm=norm, interpolation="nearest")
        ax.set_title(name, fontsize=9)
    if im is not None:
        fig.colorbar(im, ax=axes, label=colorbar_label, shrink=0.6)
    fig.suptitle(title)
    return fig


def ig_grid(names, ns, mean_attrs, mask, path, title: str) -> None:
    """Mean attribution map of every class in one figure, one shared zero-centred scale."""
    lim = _symmetric(np.concatenate([m[mask] for m in mean_attrs]) if len(names) else [])
    fig = image_grid(
        [f"{name} (n={n})" for name, n in zip(names, ns)],
        mean_attrs,
        mask,
        title,
        _cmaps()[1],
        TwoSlopeNorm(0, -lim, lim),
        "mean attribution (shared scale)",
    )
    save_figure(fig, path)


def faithfulness_figure(curve_table, title: str, path) -> None:
    """Mean normalised deletion and insertion curves of the three pixel orders (IG, DE, random),
    one panel per curve, x on the grid's logarithmic axis (k + 1 pixels switched)."""
    import matplotlib.pyplot as plt

    styles = {"ig": ("IG", "#d62728", "-"), "de": ("DE of the type", "#1f77b4", "--"), "random": ("random", "0.4", ":")}
    fig, axes = plt.subplots(1, 2, figsize=(10, 3.8), sharey=True)
    for ax, curve in zip(axes, ("deletion", "insertion")):
        part = curve_table[curve_table["curve"] == curve]
        for order, (label, colour, line) in styles.items():
            mean = part[part["order"] == order].groupby("k")["normalised"].mean()
            ax.plot(mean.index + 1, mean.to_numpy(), line, color=colour, marker="o", ms=3, label=label)
        ax.set_xscale("log")
        ax.set_xlabel("gene pixels switched + 1 (log scale)")
        ax.set_title(f"{curve}: {'removed to' if curve == 'deletion' else 'restored from'} the baseline")
        ax.grid(alpha=0.3)
    axes[0].set_ylabel("output, from baseline (0) to image (1)")
    axes[1].legend(loc="center left", bbox_to_anchor=(1.02, 0.5), frameon=False)
    n = curve_table["sample"].nunique() if len(curve_table) else 0
    fig.suptitle(f"{title} ({n} samples)")
    fig.tight_layout()
    save_figure(fig, path)
