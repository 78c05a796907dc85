"""EB++ RNA-seq matrix (genes x aliquots) -> samples x genes float32 feature matrix.

The matrix is read with pyarrow's multi-threaded CSV reader, only for the columns that passed
sample QC (the header is read first), so memory scales with the kept samples, not the file.
"""

from __future__ import annotations

import gzip
import logging
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.csv as pacsv

from .barcodes import check_unique
from .errors import InputError, preview

log = logging.getLogger(__name__)

NA_VALUES = ["NA", "NaN", "nan", "", "null", "NULL"]


def _open_text(path: Path):
    return gzip.open(path, "rt") if path.name.endswith(".gz") else open(path)


def read_header(path: str | Path, sep: str = "\t") -> list[str]:
    """Column names of a delimited matrix (first column is the feature id)."""
    path = Path(path)
    if not path.exists():
        raise InputError(path, "file does not exist")
    try:
        with _open_text(path) as fh:
            line = fh.readline()
    except (OSError, EOFError, UnicodeDecodeError) as exc:
        raise InputError(path, f"cannot read the header ({exc}); is the file truncated or corrupt?") from exc
    if not line.strip():
        raise InputError(path, "empty file (no header line)")
    if line.lstrip().lower().startswith(("<!doctype", "<html")):
        raise InputError(path, "is an HTML page, not a data table (a failed download?)")
    cols = line.rstrip("\r\n").split(sep)
    if len(cols) < 2:
        raise InputError(path, f"header has {len(cols)} column(s); expected a feature-id column and sample columns separated by {sep!r}")
    return cols


def read_matrix_columns(path, columns: list[str], sep: str = "\t", id_column: str | None = None) -> pd.DataFrame:
    """Read the id column and ``columns`` of a features x samples table as float32.

    Returns a features x samples DataFrame. Non-numeric cells, ragged rows and truncated
    files raise :class:`InputError` naming the file.
    """
    path = Path(path)
    header = read_header(path, sep)
    id_column = id_column or header[0]
    check_unique(header[1:], source=path)
    missing = [c for c in columns if c not in header]
    if missing:
        raise InputError(path, f"missing column(s) {preview(missing)}")
    types = {c: pa.float32() for c in columns}
    types[id_column] = pa.string()
    try:
        table = pacsv.read_csv(
            path,
            read_options=pacsv.ReadOptions(block_size=1 << 24),
            parse_options=pacsv.ParseOptions(delimiter=sep),
            convert_options=pacsv.ConvertOptions(
                column_types=types, include_columns=[id_column, *columns], null_values=NA_VALUES, strings_can_be_null=False
            ),
        )
    except (pa.ArrowInvalid, OSError, EOFError) as exc:
        msg = str(exc).split("\n")[0]
        hint = "a non-numeric cell" if "conversion error" in msg else "truncated or malformed rows"
        raise InputError(path, f"cannot be parsed ({hint}): {msg}") from exc
    ids = table.column(id_column).to_pandas()
    if ids.duplicated().any():
        raise InputError(path, f"duplicate feature id(s): {preview(ids[ids.duplicated()].unique())}")
    values = np.empty((table.num_rows, len(columns)), dtype=np.float32)
    for j, c in enumerate(columns):
        values[:, j] = table.column(c).to_numpy(zero_copy_only=False)
    return pd.DataFrame(values, index=pd.Index(ids.to_numpy(), name=id_column), columns=columns)


def to_features(mat: pd.DataFrame, negatives="zero", missing="drop_gene", log2=True, drop_constant=True):
    """features x samples (linear RSEM) -> samples x features, as documented in the config.

    Returns the matrix and a table of dropped features with their reason.
    """
    x = mat.to_numpy(dtype=np.float32, copy=True)
    dropped = []
    na_rows = np.isnan(x).any(axis=1)
    if missing == "drop_gene":
        dropped += [(f, "missing values") for f in mat.index[na_rows]]
        keep = ~na_rows
        x, ids = x[keep], mat.index[keep]
    else:
        x = np.nan_to_num(x, nan=0.0)
        ids = mat.index
    if negatives == "zero":
        np.maximum(x, 0, out=x)
    if log2:
        if (x <= -1).any():
            raise ValueError("values <= -1 cannot be log2(x+1)-transformed; set features.negatives: zero")
        np.log2(x + 1, out=x)
    if drop_constant:
        const = (x.max(axis=1) == x.min(axis=1)) if x.shape[1] else np.ones(len(x), bool)
        dropped += [(f, "constant") for f in ids[const]]
        x, ids = x[~const], ids[~const]
    out = pd.DataFrame(np.ascontiguousarray(x.T), index=pd.Index(mat.columns, name="barcode"), columns=ids.astype(str))
    return out, pd.DataFrame(dropped, columns=["feature", "reason"])


def build(matrix_path, *, quality=None, cdr=None, qc: dict, features: dict):
    """EB++ file -> (samples x genes matrix, per-aliquot QC table, dropped-features table).

    QC runs on the header first, so only the kept aliquots' columns are parsed.
    """
    from .qc import kept_labels, sample_qc

    header = read_header(matrix_path)
    check_unique(header[1:], source=matrix_path)
    samples = sample_qc(
        header[1:],
        source=matrix_path,
        quality=quality,
        cdr=cdr,
        sample_types=qc["sample_types"],
        drop_do_not_use=qc["drop_do_not_use"],
        drop_pathology_excluded=qc["drop_pathology_excluded"],
        label_source=qc["label_source"],
        types=qc["types"],
    )
    labels = kept_labels(samples, source=matrix_path)
    log.info("QC kept %d of %d aliquots; reading their columns", len(labels), len(samples))
    mat = read_matrix_columns(matrix_path, labels["barcode"].tolist())
    x, dropped = to_features(mat, **features)
    log.info("feature matrix: %d samples x %d features (%d features dropped)", *x.shape, len(dropped))
    return x, samples, dropped
