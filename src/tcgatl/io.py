"""Table I/O shared by every stage: atomic writes, Parquet matrices, delimited tables.

Every writer goes through :func:`atomic_path`, so an interrupted or failed step never leaves a
file that looks complete (Snakemake would otherwise treat it as done on a later run).
"""

from __future__ import annotations

import contextlib
import glob
import os
import tempfile
import zlib
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from .errors import InputError
from .filecheck import looks_like_html, md5sum  # noqa: F401  (md5sum: re-exported for callers)

_UMASK = os.umask(0)
os.umask(_UMASK)


@contextlib.contextmanager
def atomic_path(path: str | Path):
    """Yield a temporary path beside ``path``; rename it onto ``path`` only on success.

    A job killed mid-write (``kill -9``, a lost node) leaves its ``.<name>.<random>.part``: the
    next attempt removes such leftovers first, so they never pile up. The name stays unique, so
    a stale attempt that is still running cannot publish the new attempt's partial file."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    for stale in path.parent.glob(f".{glob.escape(path.name)}.*.part"):
        stale.unlink(missing_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".part", dir=path.parent)
    os.close(fd)
    tmp = Path(tmp)
    os.chmod(tmp, 0o666 & ~_UMASK)  # mkstemp creates 0600; finished files get the usual mode
    try:
        yield tmp
        os.replace(tmp, path)
    finally:
        if tmp.exists():
            tmp.unlink()


def write_matrix(df: pd.DataFrame, path: str | Path) -> None:
    """Write a samples x features float32 matrix (index = barcode) as Parquet."""
    if df.index.has_duplicates:
        raise ValueError(f"{path}: duplicate index entries {df.index[df.index.duplicated()][:5].tolist()}")
    values = np.ascontiguousarray(df.to_numpy(dtype=np.float32))
    index_name = df.index.name or "barcode"
    arrays = [pa.array(df.index.astype(str).to_numpy(), type=pa.string())]
    arrays += [pa.array(values[:, j]) for j in range(values.shape[1])]
    table = pa.Table.from_arrays(arrays, names=[index_name, *map(str, df.columns)])
    table = table.replace_schema_metadata({b"tcgatl.index": index_name.encode()})
    with atomic_path(path) as tmp:
        pq.write_table(table, tmp, compression="zstd")


def read_matrix(path: str | Path, columns: list[str] | None = None) -> pd.DataFrame:
    """Read a matrix written by :func:`write_matrix` back into a float32 DataFrame."""
    path = Path(path)
    if not path.exists():
        raise InputError(path, "feature matrix does not exist")
    schema = pq.read_schema(path)
    meta = schema.metadata or {}
    index_name = meta.get(b"tcgatl.index", b"barcode").decode()
    if index_name not in schema.names:
        raise InputError(path, f"not a tcgatl feature matrix (no {index_name!r} column)")
    cols = None if columns is None else [index_name, *columns]
    table = pq.read_table(path, columns=cols)
    index = pd.Index(table.column(index_name).to_pylist(), name=index_name)
    table = table.drop([index_name])
    values = (
        np.column_stack([c.to_numpy() for c in table.columns])
        if table.num_columns
        else np.empty((len(index), 0), np.float32)
    )
    return pd.DataFrame(values.astype(np.float32, copy=False), index=index, columns=table.column_names)


def write_table(df: pd.DataFrame, path: str | Path, index: bool = False) -> None:
    """Write a small table; the format follows the suffix (.tsv, .csv, .parquet)."""
    path = Path(path)
    with atomic_path(path) as tmp:
        if path.suffix == ".parquet":
            df.to_parquet(tmp, index=index)
        elif path.suffix == ".csv":
            df.to_csv(tmp, index=index)
        else:
            df.to_csv(tmp, sep="\t", index=index)


def check_not_html(path: str | Path) -> None:
    """An HTML page saved under a data file's name is named as such, whatever the suffix
    (an .xlsx that is an error page would otherwise be 'not a zip file'); a missing file is
    named too."""
    path = Path(path)
    if not path.exists():
        raise InputError(path, "file does not exist")
    try:
        with open(path, "rb") as fh:
            first = fh.read(1024)
        if first[:2] == b"\x1f\x8b":  # gzip: look inside
            import gzip

            with gzip.open(path, "rb") as fh:
                first = fh.read(1024)
    except (OSError, EOFError, zlib.error):
        return  # unreadable: the reader that follows says why
    if looks_like_html(first):
        raise InputError(
            path, "is an HTML page, not a data file (a failed download or an error page saved under its name?)"
        )


def read_table(path: str | Path, sheet: str | None = None, **kwargs) -> pd.DataFrame:
    """Read a delimited (TSV/CSV, optionally gzipped), Excel or Parquet table by its suffix."""
    path = Path(path)
    check_not_html(path)
    name = path.name.lower().removesuffix(".gz")
    try:
        if name.endswith(".parquet"):
            return pd.read_parquet(path)
        if name.endswith((".xlsx", ".xls")):
            return pd.read_excel(path, sheet_name=sheet or 0, **kwargs)
        sep = "," if name.endswith(".csv") else "\t"
        return pd.read_csv(path, sep=sep, **kwargs)
    except InputError:
        raise
    except ValueError as exc:  # includes an absent sheet and pandas parser errors
        raise InputError(path, f"cannot be read as a table: {exc}") from exc
    except Exception as exc:  # zip/xlsx corruption, gzip truncation, ...
        raise InputError(path, f"cannot be read ({type(exc).__name__}: {exc}); is it truncated or corrupt?") from exc


def require_columns(df: pd.DataFrame, columns, path) -> None:
    missing = [c for c in columns if c not in df.columns]
    if missing:
        raise InputError(path, f"missing required column(s) {missing}; found {list(df.columns)[:12]}")
