"""450K methylation (CpG x aliquot beta values, tens of GB) -> the cohort's top-variance CpGs.

The file is streamed in fixed-size blocks with only the cohort's columns converted, and a
running top-k by variance is kept, so peak memory depends on the block size, the cohort and
k, never on the file's total number of rows or columns.
"""

from __future__ import annotations

import logging
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.csv as pacsv

from .barcodes import check_unique
from .errors import InputError, preview
from .matrix import NA_VALUES, parse_error, read_header, sniff_sep

log = logging.getLogger(__name__)


def stream_top_variance(
    path,
    columns: list[str],
    top: int,
    max_missing: float = 0.1,
    sep: str | None = None,
    block_size: int | None = None,
):
    """Stream a features x samples table; keep the ``top`` most variable features of ``columns``.

    Features missing in more than ``max_missing`` of the columns are skipped; the variance
    ignores NA (remaining NA stay NA, to be imputed inside each training fold downstream).
    Returns (samples x features float32 DataFrame, stats dict).
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
    # Small blocks keep memory flat in the row width (Arrow tokenises every column of a block);
    # a block must still hold a few whole rows, which are about as long as the header.
    header_bytes = sum(len(c) + 1 for c in header)
    block_size = block_size or max(1 << 20, 8 * header_bytes)
    try:
        reader = pacsv.open_csv(
            path,
            # Single-threaded: threads read ahead several blocks, and memory would then grow
            # with the row width (the tokenised block holds every column, kept or not).
            read_options=pacsv.ReadOptions(block_size=block_size, use_threads=False),
            parse_options=pacsv.ParseOptions(delimiter=sep),
            convert_options=pacsv.ConvertOptions(
                column_types=types, include_columns=[id_column, *columns], null_values=NA_VALUES
            ),
        )
    except (pa.ArrowInvalid, OSError, EOFError) as exc:
        raise parse_error(path, exc) from exc

    top_ids = np.empty(0, dtype=object)
    top_vals = np.empty((0, len(columns)), dtype=np.float32)
    top_var = np.empty(0, dtype=np.float64)
    seen: set[str] = set()
    stats = {"features": 0, "too_many_missing": 0, "constant": 0}
    last_log = time.monotonic()
    while True:
        try:
            batch = reader.read_next_batch()
        except StopIteration:
            break
        except (pa.ArrowInvalid, OSError, EOFError) as exc:
            raise parse_error(path, exc, f" after {stats['features']} rows") from exc
        ids = np.asarray(batch.column(0).to_pylist(), dtype=object)
        dup = [i for i in ids if i in seen]
        if dup or len(set(ids)) < len(ids):
            raise InputError(path, f"duplicate feature id(s): {preview(dup or pd.Index(ids)[pd.Index(ids).duplicated()])}")
        seen.update(ids)
        vals = np.empty((len(ids), len(columns)), dtype=np.float32)
        for j in range(len(columns)):
            vals[:, j] = batch.column(j + 1).to_numpy(zero_copy_only=False)
        stats["features"] += len(ids)
        frac_na = np.isnan(vals).mean(axis=1) if len(columns) else np.zeros(len(ids))
        ok = frac_na <= max_missing
        stats["too_many_missing"] += int((~ok).sum())
        ids, vals = ids[ok], vals[ok]
        with np.errstate(invalid="ignore"):
            var = np.nanvar(vals, axis=1) if len(vals) else np.empty(0)
        const = ~(var > 0)
        stats["constant"] += int(const.sum())
        ids, vals, var = ids[~const], vals[~const], var[~const]
        top_ids = np.concatenate([top_ids, ids])
        top_vals = np.concatenate([top_vals, vals])
        top_var = np.concatenate([top_var, var])
        if len(top_var) > top:
            # Stable order: by variance, ties by feature id, so the result is deterministic.
            order = np.lexsort((top_ids.astype(str), -top_var))[:top]
            top_ids, top_vals, top_var = top_ids[order], top_vals[order], top_var[order]
        if time.monotonic() - last_log > 30:
            last_log = time.monotonic()
            log.info("methylation: %d rows streamed, %d candidates kept", stats["features"], len(top_ids))
    order = np.lexsort((top_ids.astype(str), -top_var))
    top_ids, top_vals = top_ids[order], top_vals[order]
    stats["kept"] = len(top_ids)
    out = pd.DataFrame(
        np.ascontiguousarray(top_vals.T), index=pd.Index(columns, name="barcode"), columns=pd.Index(top_ids.astype(str)), copy=False
    )
    return out, stats


def build(path, *, quality=None, cdr=None, qc: dict, cancer_type: str, top: int, max_missing: float = 0.1):
    """Methylation file -> (cohort samples x top CpGs, per-column QC table, stats)."""
    from .qc import kept_labels, sample_qc

    sep = sniff_sep(path)
    header = read_header(path, sep)
    check_unique(header[1:], source=path)
    samples = sample_qc(
        header[1:],
        source=path,
        quality=quality,
        cdr=cdr,
        sample_types=qc["sample_types"],
        drop_do_not_use=qc["drop_do_not_use"],
        drop_pathology_excluded=qc["drop_pathology_excluded"],
        label_source=qc["label_source"],
        types=[cancer_type],
    )
    labels = kept_labels(samples, source=path)
    log.info("methylation: %d %s samples of %d columns", len(labels), cancer_type, len(samples))
    x, stats = stream_top_variance(path, labels["barcode"].tolist(), top, max_missing, sep)
    log.info("methylation: %(features)d CpGs streamed, %(too_many_missing)d too often missing, "
             "%(constant)d constant, %(kept)d kept", stats)
    return x, samples, stats
