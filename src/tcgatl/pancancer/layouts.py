"""Gene -> pixel layouts and [0, 1] scaling, both fitted on training samples only.

A layout is a table (gene, symbol, entrez, row, col) plus its grid shape: one pixel per gene
(``alphabetical``) or genes placed by similarity (``similarity``, DeepInsight-style; genes that
land on the same pixel are averaged). Pixels no gene maps to are padding and stay 0.
"""

from __future__ import annotations

import logging
import math

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
from scipy import sparse
from scipy.spatial import ConvexHull

from ..errors import InputError
from ..io import atomic_path

log = logging.getLogger(__name__)


def split_gene_id(genes) -> pd.DataFrame:
    """'SYMBOL|EntrezID' -> symbol and entrez columns (other ids: symbol = id, entrez empty)."""
    s = pd.Series(list(genes), dtype=str)
    parts = s.str.split("|", n=1, expand=True).reindex(columns=[0, 1])
    return pd.DataFrame({"gene": s, "symbol": parts[0], "entrez": parts[1].fillna("")})


def _table(genes, rows, cols) -> pd.DataFrame:
    t = split_gene_id(genes)
    t["row"], t["col"] = np.asarray(rows, dtype=np.int32), np.asarray(cols, dtype=np.int32)
    return t


def alphabetical(genes) -> tuple[pd.DataFrame, tuple[int, int]]:
    """Genes sorted by symbol (then Entrez id), row by row, zero-padded to the smallest square."""
    t = split_gene_id(genes)
    entrez = pd.to_numeric(t["entrez"], errors="coerce").fillna(-1)
    order = np.lexsort((entrez.to_numpy(), t["symbol"].str.upper().to_numpy()))
    side = math.isqrt(len(t) - 1) + 1 if len(t) else 1
    k = np.arange(len(t))
    return _table(t["gene"].to_numpy()[order], k // side, k % side), (side, side)


def min_area_rotation(points: np.ndarray) -> np.ndarray:
    """Rotation matrix that aligns the minimum-area bounding rectangle with the axes."""
    hull = points[ConvexHull(points).vertices]
    edges = np.diff(np.vstack([hull, hull[:1]]), axis=0)
    angles = np.unique(np.mod(np.arctan2(edges[:, 1], edges[:, 0]), np.pi / 2))
    best, best_area = np.eye(2), np.inf
    for a in angles:
        rot = np.array([[np.cos(a), np.sin(a)], [-np.sin(a), np.cos(a)]])
        p = hull @ rot.T
        area = np.ptp(p[:, 0]) * np.ptp(p[:, 1])
        if area < best_area:
            best, best_area = rot, area
    return best


def similarity(x_train: pd.DataFrame, seed: int, grid: int | None = None, method: str = "tsne"):
    """DeepInsight-style layout from training samples: genes embedded in 2-D by their
    expression profiles, rotated to the minimum bounding rectangle, snapped to a grid."""
    from sklearn.decomposition import PCA, KernelPCA
    from sklearn.manifold import TSNE

    genes = x_train.columns
    profiles = x_train.to_numpy(dtype=np.float64).T  # genes x training samples
    profiles = (profiles - profiles.mean(axis=1, keepdims=True)) / (profiles.std(axis=1, keepdims=True) + 1e-8)
    if method == "tsne":
        # PCA to 50 dimensions first, as usual for t-SNE on many features.
        reduced = PCA(n_components=min(50, *profiles.shape), random_state=seed).fit_transform(profiles)
        perplexity = min(30.0, (len(genes) - 1) / 3)
        emb = TSNE(n_components=2, perplexity=perplexity, init="pca", random_state=seed).fit_transform(reduced)
    elif method == "kpca":
        emb = KernelPCA(n_components=2, kernel="cosine", random_state=seed).fit_transform(profiles)
    else:
        raise ValueError(f"unknown similarity method {method!r}")
    emb = emb @ min_area_rotation(emb).T
    side = grid or (math.isqrt(len(genes) - 1) + 1)
    lo, span = emb.min(axis=0), np.ptp(emb, axis=0)
    span[span == 0] = 1
    cells = np.rint((emb - lo) / span * (side - 1)).astype(np.int32)
    shared = len(genes) - len({(r, c) for r, c in cells})
    log.info("similarity layout: %d genes on a %dx%d grid, %d share a pixel", len(genes), side, side, shared)
    return _table(genes, cells[:, 1], cells[:, 0]), (side, side)


def write_layout(table: pd.DataFrame, shape: tuple[int, int], path) -> None:
    t = pa.Table.from_pandas(table, preserve_index=False)
    t = t.replace_schema_metadata({b"tcgatl.grid": f"{shape[0]},{shape[1]}".encode()})
    with atomic_path(path) as tmp:
        pq.write_table(t, tmp)


def read_layout(path) -> tuple[pd.DataFrame, tuple[int, int]]:
    t = pq.read_table(path)
    meta = (t.schema.metadata or {}).get(b"tcgatl.grid")
    if meta is None:
        raise InputError(path, "not a tcgatl gene layout (no grid shape)")
    h, w = map(int, meta.decode().split(","))
    return t.to_pandas(), (h, w)


def gene_mask(layout: pd.DataFrame, shape: tuple[int, int]) -> np.ndarray:
    """True on the pixels that hold a gene; False on padding."""
    mask = np.zeros(shape, bool)
    mask[layout["row"].to_numpy(int), layout["col"].to_numpy(int)] = True
    return mask


def fit_scaling(x_train: pd.DataFrame, mode: str) -> pd.DataFrame:
    """Min and max per gene for [0, 1] scaling: over all training values ('global', as the
    original study) or per gene ('per_gene')."""
    v = x_train.to_numpy(dtype=np.float32)
    if mode == "global":
        lo, hi = np.full(v.shape[1], v.min()), np.full(v.shape[1], v.max())
    elif mode == "per_gene":
        lo, hi = v.min(axis=0), v.max(axis=0)
    else:
        raise ValueError(f"unknown scaling {mode!r}")
    return pd.DataFrame({"gene": x_train.columns, "min": lo, "max": hi})


def scale(x: pd.DataFrame, scaling: pd.DataFrame) -> np.ndarray:
    """Apply a fitted scaling; values outside the training range are clipped to [0, 1]."""
    s = scaling.set_index("gene").loc[x.columns]
    lo = s["min"].to_numpy(np.float32)
    span = (s["max"] - s["min"]).to_numpy(np.float32, copy=True)
    span[span == 0] = 1
    return np.clip((x.to_numpy(np.float32) - lo) / span, 0, 1)


def pixel_map(layout: pd.DataFrame, shape: tuple[int, int], genes) -> sparse.csr_matrix:
    """genes x pixels averaging matrix: an image is ``values @ M`` (genes sharing a pixel
    are averaged; padding pixels get 0)."""
    pos = layout.set_index("gene").reindex(list(genes))
    if pos["row"].isna().any():
        missing = pos.index[pos["row"].isna()]
        raise InputError(None, f"{len(missing)} gene(s) of the matrix are not in the layout, e.g. {list(missing[:3])}")
    pixel = pos["row"].to_numpy(int) * shape[1] + pos["col"].to_numpy(int)
    counts = np.bincount(pixel, minlength=shape[0] * shape[1])
    weights = 1.0 / counts[pixel]
    return sparse.csr_matrix(
        (weights, (np.arange(len(pixel)), pixel)), shape=(len(pixel), shape[0] * shape[1]), dtype=np.float32
    )


def images(x: pd.DataFrame, scaling: pd.DataFrame, layout: pd.DataFrame, shape, pixels=None) -> np.ndarray:
    """Scaled gene images (n, H, W) float32 of the samples in ``x`` (samples x genes)."""
    m = pixel_map(layout, shape, x.columns) if pixels is None else pixels
    return np.asarray(scale(x, scaling) @ m, dtype=np.float32).reshape(-1, *shape)


def to_images(x: pd.DataFrame, scaling: pd.DataFrame, layout: pd.DataFrame, shape, out_path, batch: int = 512) -> None:
    """Scaled gene images (n, H, W) float32 written as a memory-mappable .npy, in batches."""
    m = pixel_map(layout, shape, x.columns)
    with atomic_path(out_path) as tmp:
        arr = np.lib.format.open_memmap(tmp, mode="w+", dtype=np.float32, shape=(len(x), *shape))
        for i in range(0, len(x), batch):
            arr[i : i + batch] = images(x.iloc[i : i + batch], scaling, layout, shape, pixels=m)
        arr.flush()
        del arr
