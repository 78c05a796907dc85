"""A sample sheet: the labels (and optionally patients and a fixed split) of a cohort whose
matrix columns are not TCGA barcodes, or whose labels do not come from the TCGA-CDR.

Columns: ``sample`` (a column name of the feature tables), ``label`` (tumour type or any
class), optional ``patient`` (samples of one patient: one is kept, as one aliquot per TCGA
patient is; empty: the TCGA patient of a barcode, else the sample itself) and optional ``split`` (train/val/test: the pan-cancer split is taken from the sheet
instead of drawn). Other columns are ignored.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from ..errors import InputError, preview
from ..io import read_table, require_columns

log = logging.getLogger(__name__)

REQUIRED = ["sample", "label"]
SPLITS = ("train", "val", "test")


def read_sample_sheet(path: str | Path) -> pd.DataFrame:
    """The sheet indexed by sample: ``label``, ``patient`` (missing when not given) and
    ``split`` when the sheet has one. Every problem raises :class:`InputError` naming the file."""
    path = Path(path)
    df = read_table(path, dtype=str, keep_default_na=False)
    require_columns(df, REQUIRED, path)
    if df.empty:
        raise InputError(path, "has a header but no samples")
    df = df.apply(lambda c: c.str.strip())
    empty = df.loc[df["sample"] == "", "sample"]
    if len(empty):
        raise InputError(path, f"{len(empty)} row(s) without a sample id (rows {preview(empty.index + 2)})")
    dups = df.loc[df["sample"].duplicated(), "sample"]
    if len(dups):
        raise InputError(path, f"duplicate sample id(s): {preview(dups.unique())}")
    no_label = df.loc[df["label"].isin(["", "NA", "nan"]), "sample"]
    if len(no_label):
        raise InputError(path, f"{len(no_label)} sample(s) without a label: {preview(no_label)}")
    out = pd.DataFrame({"label": df["label"].to_numpy()}, index=pd.Index(df["sample"], name="sample"))
    patient = df["patient"] if "patient" in df else pd.Series("", index=df.index)
    out["patient"] = patient.where(patient != "", None).to_numpy()
    if "split" in df:
        split = df["split"].str.lower()
        bad = split[~split.isin(SPLITS)]
        if len(bad):
            raise InputError(path, f"column 'split' must be one of {list(SPLITS)}, found {preview(bad.unique())}")
        out["split"] = split.to_numpy()
        missing = [s for s in SPLITS if s not in set(out["split"])]
        if missing:
            raise InputError(path, f"column 'split' has no {' or '.join(missing)} sample")
    log.info("%s: %d samples, %d labels", path.name, len(out), out["label"].nunique())
    return out


@dataclass(frozen=True)
class IdMatch:
    """How a sheet's sample ids meet a table's column names (each list in file order)."""

    shared: int
    only_sheet: list[str]
    only_table: list[str]

    def __str__(self) -> str:
        sides = [
            f"{len(ids)} {what} (e.g. {preview(ids, 3)})"
            for ids, what in (
                (self.only_sheet, "sheet id(s) are not columns of the table"),
                (self.only_table, "column(s) of the table are not in the sheet"),
            )
            if ids
        ]
        if self.shared == 0:
            return f"none in common: {'; '.join(sides)}"
        dropped = " (dropped as not_in_sheet)" if self.only_table else ""
        return f"{self.shared} sample id(s) in common; {'; '.join(sides)}{dropped}"


def compare_ids(sheet_ids, columns) -> IdMatch | None:
    """The sheet's ids against a table's sample columns (its header after the id column), as
    QC matches them: exactly. None when both hold the same ids."""
    sheet_set, column_set = set(sheet_ids), set(columns)
    only_sheet = [i for i in sheet_ids if i not in column_set]
    only_table = [c for c in columns if c not in sheet_set]
    if not only_sheet and not only_table:
        return None
    return IdMatch(len(sheet_set & column_set), only_sheet, only_table)
