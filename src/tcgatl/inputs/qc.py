"""Sample QC: which aliquots of a matrix become samples, with a reason for every drop."""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np
import pandas as pd

from ..errors import InputError
from ..io import read_table, require_columns
from .barcodes import one_aliquot_per_patient, parse

log = logging.getLogger(__name__)

QUALITY_COLUMNS = ["aliquot_barcode", "cancer type", "Do_not_use", "AWG_excluded_because_of_pathology"]
KEPT = "kept"
# Drop reasons in the order they are applied; the first that applies is recorded.
REASONS = [
    "do_not_use",
    "pathology_excluded",
    "sample_type_not_selected",
    "not_in_sheet",
    "no_label",
    "type_not_selected",
    "duplicate_aliquot",
]


def _flag(series: pd.Series, path, column) -> pd.Series:
    s = series.astype(str).str.strip().str.lower()
    mapping = {
        "true": True,
        "1": True,
        "1.0": True,
        "yes": True,
        "false": False,
        "0": False,
        "0.0": False,
        "no": False,
        "nan": False,
        "": False,
    }
    bad = s[~s.isin(mapping)]
    if len(bad):
        raise InputError(path, f"column {column!r} must be True/False or 1/0, found {bad.unique()[:5].tolist()}")
    return s.map(mapping).astype(bool)


def read_sample_quality(path: str | Path) -> pd.DataFrame:
    """merged_sample_quality_annotations.tsv -> flags and cancer type indexed by aliquot."""
    path = Path(path)
    df = read_table(path, dtype=str, keep_default_na=False)
    require_columns(df, QUALITY_COLUMNS, path)
    out = pd.DataFrame(
        {
            "aliquot": df["aliquot_barcode"].str.strip().str.upper(),
            "cancer_type": df["cancer type"].str.strip(),
            "do_not_use": _flag(df["Do_not_use"], path, "Do_not_use"),
            "pathology_excluded": _flag(
                df["AWG_excluded_because_of_pathology"], path, "AWG_excluded_because_of_pathology"
            ),
        }
    )
    # An aliquot listed on several rows is flagged if any row flags it.
    return out.groupby("aliquot").agg(
        cancer_type=("cancer_type", "first"),
        do_not_use=("do_not_use", "any"),
        pathology_excluded=("pathology_excluded", "any"),
    )


def sample_qc(
    barcodes,
    *,
    source=None,
    quality: pd.DataFrame | None = None,
    cdr: pd.DataFrame | None = None,
    sample_types=("01", "03"),
    drop_do_not_use: bool = True,
    drop_pathology_excluded: bool = True,
    label_source: str = "cdr",
    types=(),
    sheet: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """One row per aliquot: barcode, patient, sample_type, label and ``status`` (kept or a reason).

    With ``label_source='sheet'`` labels and patients come from ``sheet``
    (:func:`tcgatl.inputs.sheet.read_sample_sheet`), columns need not be TCGA barcodes, and the
    TCGA-specific rules (sample-quality flags, sample types, the aliquot preference) apply to
    the columns that are; a patient with several samples keeps its smallest sample id.
    """
    by_sheet = label_source == "sheet"
    if by_sheet and sheet is None:
        raise ValueError("qc.label_source is 'sheet' but no sample sheet was given")
    parsed = parse(barcodes, source=source, strict=not by_sheet)
    if by_sheet:
        # The sheet's patient, else a barcode's TCGA patient, else the sample is its own patient.
        patient = sheet["patient"].reindex(parsed["barcode"]).to_numpy()
        parsed["patient"] = pd.Series(patient).fillna(parsed["patient"]).fillna(parsed["barcode"]).to_numpy()
    parsed["barcode_upper"] = parsed["barcode"].astype(str).str.upper()
    status = pd.Series(KEPT, index=parsed.index, dtype=object)

    def drop(mask, reason):
        mask = np.asarray(mask, bool) & (status == KEPT).to_numpy()
        status[mask] = reason

    if quality is not None:
        q = quality.reindex(parsed["barcode_upper"])
        absent = q["do_not_use"].isna().to_numpy() & parsed["sample_type"].notna().to_numpy()
        if absent.any():
            log.warning(
                "%d aliquot(s) of %s are not in the sample-quality annotation; kept unflagged", absent.sum(), source
            )
        if drop_do_not_use:
            drop(q["do_not_use"].fillna(False).astype(bool).to_numpy(), "do_not_use")
        if drop_pathology_excluded:
            drop(q["pathology_excluded"].fillna(False).astype(bool).to_numpy(), "pathology_excluded")
    # Patient-level columns (generic tables) carry no sample type: they are taken as given.
    known = parsed["sample_type"].notna().to_numpy()
    drop(known & ~parsed["sample_type"].isin(list(sample_types)).to_numpy(), "sample_type_not_selected")
    if (~known).any() and not by_sheet:
        log.info("%d column(s) of %s are patient-level barcodes (no sample type to filter)", (~known).sum(), source)

    if label_source == "annotation":
        if quality is None:
            raise ValueError("qc.label_source is 'annotation' but no sample-quality annotation was given")
        label = quality["cancer_type"].reindex(parsed["barcode_upper"]).to_numpy()
    elif by_sheet:
        in_sheet = parsed["barcode"].isin(sheet.index).to_numpy()
        drop(~in_sheet, "not_in_sheet")
        label = sheet["label"].reindex(parsed["barcode"]).to_numpy()
    elif label_source == "cdr":
        if cdr is None:
            raise ValueError("qc.label_source is 'cdr' but no CDR table was given")
        label = cdr["type"].reindex(parsed["patient"]).to_numpy()
    else:
        raise ValueError(f"unknown label_source {label_source!r}")
    label = pd.Series(label, index=parsed.index, dtype=object)
    label = label.where(~label.isin(["", "nan", "NA", "None"]), None)
    drop(label.isna().to_numpy(), "no_label")
    if types:
        drop(~label.isin(list(types)).to_numpy(), "type_not_selected")

    alive = (status == KEPT).to_numpy()
    keep_one = one_aliquot_per_patient(parsed[alive], sample_type_order=tuple(sample_types))
    dup = pd.Series(False, index=parsed.index)
    dup[parsed.index[alive]] = ~keep_one.to_numpy()
    drop(dup.to_numpy(), "duplicate_aliquot")

    out = parsed[["barcode", "patient", "sample_type"]].copy()
    out["label"] = label
    if by_sheet and "split" in sheet:
        out["split"] = sheet["split"].reindex(parsed["barcode"]).to_numpy()
    out["status"] = status
    return out


def qc_summary(samples: pd.DataFrame) -> pd.DataFrame:
    """Counts per status (kept first, then drop reasons in the order they are applied)."""
    counts = samples["status"].value_counts()
    rows = [(KEPT, int(counts.get(KEPT, 0)))] + [(r, int(counts.get(r, 0))) for r in REASONS]
    return pd.DataFrame(rows, columns=["status", "samples"])


def kept_labels(samples: pd.DataFrame, source=None) -> pd.DataFrame:
    columns = ["barcode", "patient", "sample_type", "label", *(["split"] if "split" in samples else [])]
    kept = samples[samples["status"] == KEPT][columns]
    if kept.empty:
        summary = ", ".join(f"{r}={n}" for r, n in qc_summary(samples).itertuples(index=False) if n)
        raise InputError(source, f"no samples left after QC ({summary})")
    return kept.reset_index(drop=True)
