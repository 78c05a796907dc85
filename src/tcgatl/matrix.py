"""Features x samples tables (EB++ RNA-seq, miRNA, any omics layer) -> samples x features.

A table is read with pyarrow's multi-threaded CSV reader, only for the columns that passed
sample QC (the header is read first), so memory scales with the kept samples, not the file.
Values land directly in a samples x features float32 array; the Arrow table is released
column by column, so parsing peaks near twice the float32 matrix.
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


def parse_error(path, exc: Exception, after: str = "") -> InputError:
    """An Arrow CSV error as a user-facing message naming the file and the likely cause."""
    msg = str(exc).split("\n")[0]
    hint = "a non-numeric cell" if "conversion error" in msg else "truncated or malformed rows"
    return InputError(path, f"cannot be parsed ({hint}){after}: {msg}")


def sniff_sep(path: str | Path) -> str:
    """',' for .csv(.gz) files, tab otherwise."""
    return "," if Path(path).name.lower().removesuffix(".gz").endswith(".csv") else "\t"


def read_samples_matrix(path, columns: list[str], sep: str | None = None, skip: tuple = ()) -> pd.DataFrame:
    """Read the id column and sample ``columns`` of a features x samples table.

    Returns a samples x features float32 DataFrame (index = the column names). Non-numeric
    cells, ragged rows and truncated files raise :class:`InputError` naming the file.
    ``skip`` names non-sample annotation columns (e.g. miRNA ``Correction``) that are allowed.
    """
    path = Path(path)
    sep = sep or sniff_sep(path)
    header = read_header(path, sep)
    id_column = header[0]
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
        raise parse_error(path, exc) from exc
    ids = table.column(id_column).to_pandas()
    if ids.duplicated().any():
        raise InputError(path, f"duplicate feature id(s): {preview(ids[ids.duplicated()].unique())}")
    values = np.empty((len(columns), table.num_rows), dtype=np.float32)
    for j, c in enumerate(columns):
        values[j] = table.column(c).to_numpy(zero_copy_only=False)
        table = table.drop_columns([c])  # release the Arrow buffers as we go
    del table
    return pd.DataFrame(values, index=pd.Index(columns, name="barcode"), columns=pd.Index(ids.to_numpy()), copy=False)


def to_features(x: pd.DataFrame, negatives="zero", missing="drop_gene", log2=True, drop_constant=True, inplace=False):
    """samples x features (linear scale) -> model features, as documented in the config.

    Returns the matrix and a table of the dropped features with their reason. ``inplace``
    reuses ``x``'s float32 array (for a caller that owns ``x`` and drops it: saves a copy of
    a matrix that can be gigabytes).
    """
    values = x.to_numpy(dtype=np.float32, copy=not inplace)
    if inplace and not values.flags.writeable:
        values.flags.writeable = True  # pandas' copy-on-write guard; the caller gave up x
    cols = x.columns
    dropped = []
    na_cols = np.isnan(values).any(axis=0)
    if na_cols.any():
        if missing == "drop_gene":
            dropped += [(f, "missing values") for f in cols[na_cols]]
            values, cols = values[:, ~na_cols], cols[~na_cols]
        else:
            np.nan_to_num(values, copy=False, nan=0.0)
    if negatives == "zero":
        np.maximum(values, 0, out=values)
    if log2:
        if (values <= -1).any():
            raise ValueError("values <= -1 cannot be log2(x+1)-transformed; set features.negatives: zero")
        np.log1p(values, out=values)
        values /= np.float32(np.log(2))
    if drop_constant and len(values):
        const = values.max(axis=0) == values.min(axis=0)
        if const.any():
            dropped += [(f, "constant") for f in cols[const]]
            values, cols = values[:, ~const], cols[~const]
    out = pd.DataFrame(values, index=x.index.rename("barcode"), columns=pd.Index(cols.astype(str)), copy=False)
    return out, pd.DataFrame(dropped, columns=["feature", "reason"])


def build(matrix_path, *, quality=None, cdr=None, qc: dict, features: dict, sep=None, skip=()):
    """Table file -> (samples x features matrix, per-column QC table, dropped-features table).

    QC runs on the header first, so only the kept samples' columns are parsed. ``skip`` names
    annotation columns that are not samples (the miRNA matrix's ``Correction``).
    """
    from .qc import kept_labels, sample_qc

    sep = sep or sniff_sep(matrix_path)
    header = read_header(matrix_path, sep)
    check_unique(header[1:], source=matrix_path)
    samples = sample_qc(
        [c for c in header[1:] if c not in skip],
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
    mat = read_samples_matrix(matrix_path, labels["barcode"].tolist(), sep=sep)
    x, dropped = to_features(mat, **features, inplace=True)
    del mat
    log.info("feature matrix: %d samples x %d features (%d features dropped)", *x.shape, len(dropped))
    return x, samples, dropped
