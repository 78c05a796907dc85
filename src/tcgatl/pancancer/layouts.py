"""Gene -> pixel layouts and [0, 1] scaling, both fitted on training samples only.

A layout is a table (gene, symbol, entrez, row, col) plus its grid shape. Genes fill the grid
row by row in symbol order (``alphabetical``) or genome order (``chromosome``), or are placed by
similarity (``similarity``, DeepInsight-style: one gene per pixel near its embedded position, or,
with ``assignment="snap"``, at the nearest pixel, genes that share one being averaged). Pixels no
gene maps to are padding and stay 0.
"""

from __future__ import annotations

import logging
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
from scipy import sparse
from scipy.spatial import ConvexHull

from ..errors import ConfigError, InputError, preview
from ..io import atomic_path
from ..progress import Progress
from . import assignment as assignment_

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


def _row_by_row(genes) -> tuple[pd.DataFrame, tuple[int, int]]:
    """Genes in the given order, row by row, zero-padded to the smallest square."""
    side = math.isqrt(len(genes) - 1) + 1 if len(genes) else 1
    k = np.arange(len(genes))
    return _table(genes, k // side, k % side), (side, side)


def _alphabetical_order(t: pd.DataFrame) -> np.ndarray:
    entrez = pd.to_numeric(t["entrez"], errors="coerce").fillna(-1)
    return np.lexsort((entrez.to_numpy(), t["symbol"].str.upper().to_numpy()))


def alphabetical(genes) -> tuple[pd.DataFrame, tuple[int, int]]:
    """Genes sorted by symbol (then Entrez id), row by row, zero-padded to the smallest square."""
    t = split_gene_id(genes)
    return _row_by_row(t["gene"].to_numpy()[_alphabetical_order(t)])


def chromosome(genes, positions: pd.DataFrame | None = None) -> tuple[pd.DataFrame, tuple[int, int]]:
    """Genes in genome order, row by row, zero-padded to the smallest square: by chromosome (1..22,
    X, Y, MT, others), then start, then symbol; genes without a known position (no Entrez id, or
    one the position table lacks) last, alphabetically. ``positions`` defaults to the shipped
    table (tcgatl.pancancer.genome)."""
    from . import genome

    t = split_gene_id(genes)
    pos = (genome.gene_positions() if positions is None else positions).set_index("entrez")
    t = t.join(pos[["chromosome", "start"]], on="entrez")
    known = t["start"].notna().to_numpy()
    kt = t[known]
    order = np.lexsort(
        (
            kt["symbol"].str.upper().to_numpy(),
            kt["start"].to_numpy(),
            genome.chromosome_rank(kt["chromosome"]).to_numpy(),
        )
    )
    unknown = t[~known]
    if len(unknown):
        log.info(
            "chromosome layout: %d of %d genes have no known position and go last, alphabetically, e.g. %s",
            len(unknown),
            len(t),
            preview(unknown["gene"]),
        )
    ordered = np.concatenate([kt["gene"].to_numpy()[order], unknown["gene"].to_numpy()[_alphabetical_order(unknown)]])
    return _row_by_row(ordered)


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


def embed_genes(x_train: pd.DataFrame, seed: int, method: str = "tsne") -> np.ndarray:
    """(genes, 2) embedding of the genes by their standardised training profiles, rotated so
    that its minimum-area bounding rectangle is axis-aligned."""
    from sklearn.decomposition import PCA, KernelPCA
    from sklearn.manifold import TSNE

    profiles = x_train.to_numpy(dtype=np.float64).T  # genes x training samples
    profiles = (profiles - profiles.mean(axis=1, keepdims=True)) / (profiles.std(axis=1, keepdims=True) + 1e-8)
    if method == "tsne":
        # PCA to 50 dimensions first, as usual for t-SNE on many features.
        reduced = PCA(n_components=min(50, *profiles.shape), random_state=seed).fit_transform(profiles)
        perplexity = min(30.0, (len(profiles) - 1) / 3)
        emb = TSNE(n_components=2, perplexity=perplexity, init="pca", random_state=seed).fit_transform(reduced)
    elif method == "kpca":
        emb = KernelPCA(n_components=2, kernel="cosine", random_state=seed).fit_transform(profiles)
    else:
        raise ValueError(f"unknown similarity method {method!r}")
    return emb @ min_area_rotation(emb).T


def place_on_grid(emb: np.ndarray, side: int, assignment: str = "unique") -> tuple[np.ndarray, dict]:
    """Cells (row, col) of a side x side grid for an embedding, and what the placement cost:
    ``unique`` gives every gene its own pixel (tcgatl.pancancer.assignment); ``snap`` rounds to
    the nearest pixel, and genes there are averaged (the original DeepInsight)."""
    n = len(emb)
    lo, span = emb.min(axis=0), np.ptp(emb, axis=0)
    span[span == 0] = 1
    pos = (emb - lo) / span * (side - 1)  # x -> column, y -> row, in pixels
    passes = 0
    if assignment == "snap":
        cells = np.rint(pos[:, ::-1]).astype(np.int64)
    elif assignment == "unique":
        if n > side * side:
            raise ConfigError(
                f"pancancer.grid_size={side} gives {side * side} pixels for {n} genes, but "
                "pancancer.similarity_assignment: unique needs one pixel per gene: raise grid_size to at least "
                f"{math.isqrt(n - 1) + 1}, set it to null (the smallest square), or choose similarity_assignment: snap"
            )
        cells, passes = assignment_.unique_cells(pos, (side, side))
    else:
        raise ValueError(f"unknown similarity assignment {assignment!r}")
    _, where, count = np.unique(np.ravel_multi_index(cells.T, (side, side)), return_inverse=True, return_counts=True)
    stats = {
        "mean_displacement": float(assignment_.displacement(pos, cells).mean()),
        "pixels": len(count),  # pixels holding at least one gene
        "sharing_genes": int((count[where] > 1).sum()),  # genes on a pixel with another gene
        "passes": passes,
    }
    return cells.astype(np.int32), stats


def similarity(
    x_train: pd.DataFrame, seed: int, grid: int | None = None, method: str = "tsne", assignment: str = "unique"
):
    """DeepInsight-style layout from training samples: genes embedded in 2-D by their
    expression profiles, rotated to the minimum bounding rectangle and placed on a square grid
    (one gene per pixel, or snapped with shared pixels averaged; see :func:`place_on_grid`)."""
    genes = x_train.columns
    side = grid or (math.isqrt(len(genes) - 1) + 1)
    cells, stats = place_on_grid(embed_genes(x_train, seed, method), side, assignment)
    log.info(
        "similarity layout (%s): %d genes on %d pixels of a %dx%d grid, %d genes share a pixel with another, "
        "mean displacement %.2f pixels from the embedded position",
        assignment,
        len(genes),
        stats["pixels"],
        side,
        side,
        stats["sharing_genes"],
        stats["mean_displacement"],
    )
    return _table(genes, cells[:, 0], cells[:, 1]), (side, side)


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


def flat_pixels(layout: pd.DataFrame, shape: tuple[int, int]) -> np.ndarray:
    """Each gene's pixel (one per row of ``layout``, in its order) as an index into the image
    flattened row by row (``image.reshape(-1)``): row * width + col, as int64."""
    try:
        return np.ravel_multi_index((layout["row"].to_numpy(np.int64), layout["col"].to_numpy(np.int64)), shape)
    except ValueError as e:
        raise InputError(None, f"gene layout has cells outside its {shape[0]}x{shape[1]} grid") from e


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
    pixel = flat_pixels(pos, shape)
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
    progress = Progress(len(x), "images", log, f"gene images for {Path(out_path).name}")
    with atomic_path(out_path) as tmp:
        arr = np.lib.format.open_memmap(tmp, mode="w+", dtype=np.float32, shape=(len(x), *shape))
        for i in range(0, len(x), batch):
            arr[i : i + batch] = images(x.iloc[i : i + batch], scaling, layout, shape, pixels=m)
            progress.update(min(batch, len(x) - i))
        arr.flush()
        del arr
