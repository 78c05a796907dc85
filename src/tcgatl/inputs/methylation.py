"""450K methylation (CpG x aliquot beta values, tens of GB) -> the cohort's top-variance CpGs.

The file is streamed in chunks of lines of fixed size, only the cohort's columns are kept,
and a running top-k by variance is kept, so peak memory depends on the chunk size, the cohort
and k, never on the file's total number of rows or columns.
"""

from __future__ import annotations

import logging
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.csv as pacsv

from ..errors import InputError, preview
from ..progress import Progress
from . import matrix as _matrix
from .barcodes import check_unique
from .matrix import (
    NA_VALUES,
    column_map,
    iter_line_chunks,
    parse_chunk,
    parse_error,
    qc_columns,
    read_header,
    sniff_sep,
)

log = logging.getLogger(__name__)


def _blocks_c(path: Path, header, columns, sep, chunk_bytes):
    """(ids, values rows x columns, bytes of the file read so far) per chunk of lines, via the C
    parser."""
    cmap = column_map(header, columns, 1, path)
    read = {"bytes": 0}

    def note(n: int) -> None:
        read["bytes"] = n

    for chunk, line_no, rows in iter_line_chunks(path, chunk_bytes, on_read=note):
        out = np.empty((len(columns), rows), dtype=np.float32)
        ids = parse_chunk(path, chunk, out, 0, cmap, 1, sep, line_no, header)
        yield np.asarray([i.decode() for i in ids], dtype=object), out[:, : len(ids)].T, read["bytes"]


def _blocks_arrow(path: Path, header, columns, sep, chunk_bytes):
    """The same blocks via pyarrow's streaming reader (when the C parser is not compiled)."""
    missing = [c for c in columns if c not in header]
    if missing:
        raise InputError(path, f"missing column(s) {preview(missing)}")
    types = {c: pa.float32() for c in columns}
    types[header[0]] = pa.string()
    # Small single-threaded blocks keep memory flat in the row width (Arrow tokenises every
    # column of a block); a block must still hold whole rows, about as long as the header.
    block_size = max(chunk_bytes, 8 * sum(len(c) + 1 for c in header))
    try:
        # Opened here, not by path, for the bytes read so far (of the compressed file, for a .gz);
        # Arrow reads a few blocks ahead of the batch it returns.
        with pa.OSFile(str(path)) as on_disk:
            stream = pa.CompressedInputStream(on_disk, "gzip") if path.name.endswith(".gz") else on_disk
            reader = pacsv.open_csv(
                stream,
                read_options=pacsv.ReadOptions(block_size=block_size, use_threads=False),
                parse_options=pacsv.ParseOptions(delimiter=sep),
                convert_options=pacsv.ConvertOptions(
                    column_types=types, include_columns=[header[0], *columns], null_values=NA_VALUES
                ),
            )
            for batch in reader:
                vals = np.empty((batch.num_rows, len(columns)), dtype=np.float32)
                for j in range(len(columns)):
                    vals[:, j] = batch.column(j + 1).to_numpy(zero_copy_only=False)
                ids = np.asarray(batch.column(0).to_pylist(), dtype=object)
                if np.isinf(vals).any():
                    i, j = np.argwhere(np.isinf(vals))[0]
                    raise InputError(
                        path, f"infinite value at {ids[i]}, column {columns[j]}: missing values must be NA or empty"
                    )
                yield ids, vals, on_disk.tell()
    except (pa.ArrowInvalid, OSError, EOFError) as exc:
        raise parse_error(path, exc) from exc


MB = 1_000_000


def _log_progress(path: Path, rows: int, progress: Progress) -> None:
    """'methylation: 120,000 rows of <file> read (2,100/42,000 MB, 35.2 MB/s, about 19 min left)'."""
    log.info("methylation: %s rows of %s read (%s)", f"{rows:,}", path.name, progress.status())


def stream_top_variance(
    path, columns: list[str], top: int, max_missing: float = 0.1, sep: str | None = None, chunk_bytes: int = 1 << 20
):
    """Stream a features x samples table; keep the ``top`` most variable features of ``columns``.

    Features missing in more than ``max_missing`` of the columns are skipped; the variance
    ignores NA (remaining NA stay NA, to be imputed inside each training fold downstream).
    Returns (samples x features float32 DataFrame, stats dict).
    """
    path = Path(path)
    sep = sep or sniff_sep(path)
    header = read_header(path, sep)
    check_unique(header[1:], source=path)
    reader = _blocks_arrow if _matrix._tsvparse is None else _blocks_c
    blocks = reader(path, header, columns, sep, chunk_bytes)

    # Candidates accumulate and are merged into the running top-k only once there are as
    # many as k (amortised: a 450K file means ~100 merges, not one per chunk).
    top_ids = np.empty(0, dtype=object)
    top_vals = np.empty((0, len(columns)), dtype=np.float32)
    top_var = np.empty(0, dtype=np.float64)
    pending: list[tuple] = []
    n_pending = 0
    seen: set[str] = set()
    stats = {"features": 0, "too_many_missing": 0, "constant": 0}
    # The row count is unknown without a pass over the file (tens of GB for the 450K array): its
    # size measures the work instead, the bytes read so far the part done (a .gz's compressed
    # bytes, read at an even pace as far as its rows compress alike). Lines written here, to
    # say the rows read too.
    progress = Progress(max(1, math.ceil(path.stat().st_size / MB)), "MB", None)

    def merge(top_ids, top_vals, top_var):
        ids = np.concatenate([top_ids, *(p[0] for p in pending)])
        vals = np.concatenate([top_vals, *(p[1] for p in pending)])
        var = np.concatenate([top_var, *(p[2] for p in pending)])
        # Stable order: by variance, ties by feature id, so the result is deterministic.
        order = np.lexsort((ids.astype(str), -var))[:top]
        pending.clear()
        return ids[order], vals[order], var[order]

    for ids, vals, position in blocks:
        dup = [i for i in ids if i in seen]
        if dup or len(set(ids)) < len(ids):
            raise InputError(
                path, f"duplicate feature id(s): {preview(dup or pd.Index(ids)[pd.Index(ids).duplicated()])}"
            )
        seen.update(ids)
        stats["features"] += len(ids)  # rows read, before any is left out
        frac_na = np.isnan(vals).mean(axis=1) if len(columns) else np.zeros(len(ids))
        ok = frac_na <= max_missing
        stats["too_many_missing"] += int((~ok).sum())
        ids, vals = ids[ok], vals[ok]
        with np.errstate(invalid="ignore"):
            var = np.nanvar(vals, axis=1) if len(vals) else np.empty(0)
        const = ~(var > 0)
        stats["constant"] += int(const.sum())
        if (~const).any():
            pending.append((ids[~const], np.ascontiguousarray(vals[~const]), var[~const]))
            n_pending += int((~const).sum())
        if n_pending >= top:
            top_ids, top_vals, top_var = merge(top_ids, top_vals, top_var)
            n_pending = 0
        # Short of the total until the loop ends: Arrow reads ahead, and the last line is the one
        # with every row.
        if progress.update(min(position // MB, progress.total - 1) - progress.done):
            _log_progress(path, stats["features"], progress)
    if progress.update(progress.total - progress.done):
        _log_progress(path, stats["features"], progress)
    top_ids, top_vals, top_var = merge(top_ids, top_vals, top_var)
    stats["kept"] = len(top_ids)
    if stats["features"] == 0:
        raise InputError(path, "has a header but no CpG rows")
    if not len(top_ids):
        raise InputError(path, f"no CpG left of {stats['features']}: {stats}")
    out = pd.DataFrame(
        np.ascontiguousarray(top_vals.T),
        index=pd.Index(columns, name="barcode"),
        columns=pd.Index(top_ids.astype(str)),
        copy=False,
    )
    return out, stats


def build(
    path, *, quality=None, cdr=None, sheet=None, qc: dict, cancer_type: str | None, top: int, max_missing: float = 0.1
):
    """Methylation file -> (cohort samples x top CpGs, per-column QC table, stats)."""
    sep = sniff_sep(path)
    # cancer_type None: a cohort of the user's own (motlab.group_column), every labelled column.
    types = [cancer_type] if cancer_type else []
    samples, labels = qc_columns(path, sep=sep, qc=qc, quality=quality, cdr=cdr, sheet=sheet, types=types)
    x, stats = stream_top_variance(path, labels["barcode"].tolist(), top, max_missing, sep)
    log.info(
        "methylation: %(features)d CpGs streamed, %(too_many_missing)d too often missing, "
        "%(constant)d constant, %(kept)d kept",
        stats,
    )
    return x, samples, stats
