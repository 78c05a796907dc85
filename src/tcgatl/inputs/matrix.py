"""Features x samples tables (EB++ RNA-seq, miRNA, any omics layer) -> samples x features.

The header is read first, so QC decides which columns are wanted before any value is parsed.
Values are parsed by a small C extension (``_tsvparse``) straight into a preallocated
samples x features float32 array, one chunk of lines at a time: general CSV readers manage
~70-150 MB/s on such wide matrices and hold the whole table twice. Without the compiled
extension, pyarrow's reader is used instead (slower, ~3x the matrix in memory).
"""

from __future__ import annotations

import gzip
import logging
import mmap
import re
from collections import deque
from concurrent.futures import ThreadPoolExecutor
from contextlib import nullcontext
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.csv as pacsv

from ..errors import InputError, preview
from ..io import check_not_html
from ..progress import Progress
from .barcodes import check_unique

try:
    from . import _tsvparse
except ImportError:  # not compiled (e.g. a conda env that runs from the source tree)
    _tsvparse = None

log = logging.getLogger(__name__)

NA_VALUES = ["NA", "NaN", "nan", "", "null", "NULL"]
CHUNK_BYTES = 1 << 23
PARSE_THREADS = 2


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
    check_not_html(path)
    cols = line.rstrip("\r\n").split(sep)
    if len(cols) < 2:
        raise InputError(
            path,
            f"header has {len(cols)} column(s); expected a feature-id column and sample columns separated by {sep!r}",
        )
    return cols


def parse_error(path, exc: Exception, after: str = "") -> InputError:
    """An Arrow CSV error as a user-facing message naming the file and the likely cause."""
    msg = str(exc).split("\n")[0]
    hint = "a non-numeric cell" if "conversion error" in msg else "truncated or malformed rows"
    return InputError(path, f"cannot be parsed ({hint}){after}: {msg}")


def sniff_sep(path: str | Path) -> str:
    """',' for .csv(.gz) files, tab otherwise."""
    return "," if Path(path).name.lower().removesuffix(".gz").endswith(".csv") else "\t"


def _open_binary(path: Path):
    return gzip.open(path, "rb") if path.name.endswith(".gz") else open(path, "rb")


def _unreadable(path, exc) -> InputError:
    return InputError(path, f"cannot be read ({type(exc).__name__}: {exc}); is the file truncated or corrupt?")


def iter_line_chunks(path: Path, chunk_bytes: int = CHUNK_BYTES, on_read=None):
    """Yield (buffer of complete lines, its first line's number, its line count) after the header.

    Each read is sliced at its last newline, without copying; only the line that straddles
    two reads is joined. ``on_read``, if given, is called after each read with the bytes of the
    file read so far (of the compressed file, for a .gz: what its size on disk measures).
    """
    try:
        with _open_binary(path) as fh:
            on_disk = getattr(fh, "fileobj", fh)  # a GzipFile's compressed file
            fh.readline()
            line_no, carry = 2, b""
            while True:
                block = fh.read(chunk_bytes)
                if on_read is not None:
                    on_read(on_disk.tell())
                if not block:
                    if carry.strip():
                        yield carry + b"\n", line_no, 1  # last line without a newline
                    return
                first = block.find(b"\n") + 1
                if first == 0:  # a line longer than a read
                    carry += block
                    continue
                yield carry + block[:first], line_no, 1
                line_no += 1
                last = block.rfind(b"\n") + 1
                if last > first:
                    lines = block.count(b"\n", first, last)
                    yield memoryview(block)[first:last], line_no, lines
                    line_no += lines
                carry = block[last:]
    except (OSError, EOFError) as exc:  # gzip.BadGzipFile is an OSError
        raise _unreadable(path, exc) from exc


def count_data_lines(path: Path) -> int:
    """Lines after the header (a last line without a newline counts)."""
    n, last = 0, b"\n"
    try:
        with _open_binary(path) as fh:
            for block in iter(lambda: fh.read(CHUNK_BYTES), b""):
                n += block.count(b"\n")
                last = block[-1:]
    except (OSError, EOFError) as exc:
        raise _unreadable(path, exc) from exc
    return n - 1 + (last != b"\n")


class MappedLines:
    """An uncompressed table's lines after the header, through a read-only memory map.

    Reading the file (twice: once to count its lines, once to parse them) was a third of the
    parse time: a map is counted and parsed in place, without copying the file, and every piece
    once done is dropped from the process (``madvise``), so the resident size does not grow
    with the file. The pages stay in the OS page cache.
    """

    WINDOW = 1 << 26  # bytes counted between two releases

    def __init__(self, path: Path, chunk_bytes: int = CHUNK_BYTES):
        self.path, self.chunk_bytes = path, chunk_bytes
        try:
            self._fh = open(path, "rb")
            self._map = mmap.mmap(self._fh.fileno(), 0, access=mmap.ACCESS_READ)
        except (OSError, ValueError) as exc:
            raise _unreadable(path, exc) from exc
        self.size = len(self._map)
        header_end = self._map.find(b"\n")
        self.start = self.size if header_end < 0 else header_end + 1

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        try:
            self._map.close()
        except BufferError:  # a slice is still referenced: the map closes when it is freed
            pass
        self._fh.close()

    def release(self, start: int, end: int) -> None:
        """Drop [start, end) of the file from the process's resident memory."""
        start -= start % mmap.PAGESIZE
        if end > start:
            self._map.madvise(mmap.MADV_DONTNEED, start, end - start)

    def count(self) -> int:
        """Lines after the header (a last line without a newline counts)."""
        n, view = 0, memoryview(self._map)
        for a in range(self.start, self.size, self.WINDOW):
            b = min(a + self.WINDOW, self.size)
            n += _tsvparse.count_lines(view[a:b])
            self.release(a, b)
        view.release()
        return n + (self.size > self.start and self._map[self.size - 1] != 0x0A)

    def chunks(self):
        """Yield (buffer of complete lines, first line's number, line count, (start, end))."""
        view, start, line_no = memoryview(self._map), self.start, 2
        while start < self.size:
            end = self._map.find(b"\n", min(start + self.chunk_bytes, self.size) - 1) + 1
            if end == 0:  # the last line has no newline: parsed from a copy that has one
                yield bytes(view[start:]) + b"\n", line_no, 1, (start, self.size)
                break
            lines = _tsvparse.count_lines(view[start:end])
            yield view[start:end], line_no, lines, (start, end)
            line_no += lines
            start = end


def column_map(header: list[str], columns: list[str], n_skip: int, path) -> np.ndarray:
    """int32 destination index per numeric field of a line (-1: not wanted)."""
    numeric = header[n_skip:]
    pos = {c: i for i, c in enumerate(numeric)}
    missing = [c for c in columns if c not in pos]
    if missing:
        raise InputError(path, f"missing column(s) {preview(missing)}")
    cmap = np.full(len(numeric), -1, dtype=np.int32)
    cmap[[pos[c] for c in columns]] = np.arange(len(columns), dtype=np.int32)
    return cmap


def parse_chunk(
    path, chunk: bytes, out: np.ndarray, row: int, cmap: np.ndarray, n_skip: int, sep: str, line_no: int, header=None
):
    """Parse complete lines into columns ``row:`` of ``out`` (samples x features); returns ids.
    ``header`` (the file's column names) lets an error name the column of a bad cell."""
    try:
        return _tsvparse.parse_block(chunk, out, out.shape[1], row, cmap, n_skip, sep, line_no)
    except ValueError as exc:
        msg = str(exc)
        if "non-finite" in msg:
            hint = "an infinite or overflowing value; missing values must be NA or empty"
        elif "non-numeric" in msg:
            hint = "a non-numeric cell"
        else:
            hint = "truncated or malformed rows"
        field = re.search(r"field (\d+)", msg)
        if field and header is not None and int(field.group(1)) <= len(header):
            msg = msg.replace(field.group(0), f"{field.group(0)} (column {header[int(field.group(1)) - 1]})", 1)
        raise InputError(path, f"cannot be parsed ({hint}): {msg}") from exc


def check_finite(x: pd.DataFrame, path) -> None:
    """No infinite values (the readers without the C parser accept 'inf'): the first one is
    named by feature and sample."""
    bad = np.isinf(x.to_numpy())
    if bad.any():
        i, j = np.argwhere(bad)[0]
        raise InputError(
            path,
            f"{int(bad.sum())} infinite value(s), e.g. feature {x.columns[j]} in column {x.index[i]}: "
            "missing values must be NA or empty",
        )


def _leading_fields(header: list[str], skip: tuple, path) -> int:
    """Number of non-numeric fields before the values: the id, then the ``skip`` columns."""
    lead = header[1 : 1 + len(skip)]
    if list(lead) != list(skip):
        raise InputError(path, f"annotation columns {list(skip)} must directly follow the id column; found {lead}")
    return 1 + len(skip)


def read_samples_matrix(path, columns: list[str], sep: str | None = None, skip: tuple = ()) -> pd.DataFrame:
    """Read the id column and sample ``columns`` of a features x samples table.

    Returns a samples x features float32 DataFrame (index = the column names). Non-numeric
    cells, ragged rows and truncated files raise :class:`InputError` naming the file.
    ``skip`` names annotation columns right after the id (e.g. miRNA ``Correction``).
    """
    path = Path(path)
    sep = sep or sniff_sep(path)
    header = read_header(path, sep)
    check_unique(header[1:], source=path)
    if _tsvparse is None:
        return _read_samples_matrix_arrow(path, header, columns, sep)
    n_skip = _leading_fields(header, tuple(skip), path)
    cmap = column_map(header, columns, n_skip, path)
    compressed = path.name.endswith(".gz")
    with (
        ThreadPoolExecutor(max_workers=PARSE_THREADS) as pool,
        nullcontext() if compressed else MappedLines(path) as mapped,
    ):
        n = count_data_lines(path) if compressed else mapped.count()
        out = np.empty((len(columns), n), dtype=np.float32)
        chunks = iter_line_chunks(path) if compressed else mapped.chunks()
        # Chunks are parsed by two threads (the C parser releases the GIL), each into its own
        # row range; a few chunks in flight bound the memory.
        pieces: list[tuple[int, list[bytes]]] = []
        pending: deque = deque()
        row = 0
        progress = Progress(n, "rows", log, f"parsing {path.name}")

        def collect():
            start, fut, span, rows = pending.popleft()
            pieces.append((start, fut.result()))
            if span is not None:
                mapped.release(*span)
            progress.update(rows)

        try:
            for chunk, line_no, rows, *span in chunks:
                fut = pool.submit(parse_chunk, path, chunk, out, row, cmap, n_skip, sep, line_no, header)
                pending.append((row, fut, span[0] if span else None, rows))
                del chunk
                row += rows
                while len(pending) > 2 * PARSE_THREADS:
                    collect()
            while pending:
                collect()
        except BaseException:
            for _, fut, *_ in pending:
                fut.cancel()
            raise
        finally:
            chunks.close()
    ids = [i for _, chunk_ids in pieces for i in chunk_ids]
    if len(ids) < n:  # blank lines were counted but skipped: close the gaps they left
        keep = np.concatenate([np.arange(start, start + len(chunk_ids)) for start, chunk_ids in pieces])
        out = np.ascontiguousarray(out[:, keep])
    features = pd.Index([i.decode() for i in ids])
    if features.has_duplicates:
        raise InputError(path, f"duplicate feature id(s): {preview(features[features.duplicated()].unique())}")
    return pd.DataFrame(out, index=pd.Index(columns, name="barcode"), columns=features, copy=False)


def _read_samples_matrix_arrow(path: Path, header: list[str], columns: list[str], sep: str) -> pd.DataFrame:
    id_column = header[0]
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
                column_types=types,
                include_columns=[id_column, *columns],
                null_values=NA_VALUES,
                strings_can_be_null=False,
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
    del table
    x = pd.DataFrame(values, index=pd.Index(columns, name="barcode"), columns=pd.Index(ids.to_numpy()), copy=False)
    check_finite(x, path)
    return x


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


def qc_columns(path, *, sep: str, qc: dict, quality=None, cdr=None, sheet=None, skip=(), types=None):
    """Sample QC on a table's header: (per-column QC table, kept samples' labels).

    ``types`` overrides ``qc['types']`` (a single-cohort layer such as methylation); ``sheet``
    is the sample sheet of ``qc['label_source'] == 'sheet'``.
    """
    from .qc import kept_labels, sample_qc

    header = read_header(path, sep)
    check_unique(header[1:], source=path)
    samples = sample_qc(
        [c for c in header[1:] if c not in skip],
        source=path,
        quality=quality,
        cdr=cdr,
        sample_types=qc["sample_types"],
        drop_do_not_use=qc["drop_do_not_use"],
        drop_pathology_excluded=qc["drop_pathology_excluded"],
        label_source=qc["label_source"],
        types=qc["types"] if types is None else types,
        sheet=sheet,
    )
    labels = kept_labels(samples, source=path)
    log.info("%s: QC kept %d of %d columns", Path(path).name, len(labels), len(samples))
    return samples, labels


def build(matrix_path, *, quality=None, cdr=None, sheet=None, qc: dict, features: dict, sep=None, skip=()):
    """Table file -> (samples x features matrix, per-column QC table, dropped-features table).

    QC runs on the header first, so only the kept samples' columns are parsed. ``skip`` names
    annotation columns that are not samples (the miRNA matrix's ``Correction``).
    """
    sep = sep or sniff_sep(matrix_path)
    samples, labels = qc_columns(matrix_path, sep=sep, qc=qc, quality=quality, cdr=cdr, sheet=sheet, skip=skip)
    mat = read_samples_matrix(matrix_path, labels["barcode"].tolist(), sep=sep, skip=skip)
    if mat.shape[1] == 0:
        raise InputError(matrix_path, "has a header but no feature rows")
    x, dropped = to_features(mat, **features, inplace=True)
    del mat
    if x.shape[1] == 0:
        reasons = dropped["reason"].value_counts().to_dict()
        raise InputError(matrix_path, f"no features left after the feature transformation (dropped: {reasons})")
    log.info("feature matrix: %d samples x %d features (%d features dropped)", *x.shape, len(dropped))
    return x, samples, dropped
