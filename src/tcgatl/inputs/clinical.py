"""Clinical tables: the TCGA-CDR (type, race, survival endpoints) and genetic-ancestry calls."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from ..errors import InputError, preview
from ..io import check_not_html, read_table, require_columns
from .barcodes import parse
from .endpoints import ENDPOINTS

CDR_COLUMNS = ["bcr_patient_barcode", "type", "race"] + [c for e in ENDPOINTS for c in (e, f"{e}.time")]
CDR_SHEET = "TCGA-CDR"


def _sheet(path: Path, wanted: str) -> str | int:
    if not path.name.lower().endswith((".xlsx", ".xls")):
        return 0
    check_not_html(path)
    try:
        sheets = pd.ExcelFile(path).sheet_names
    except Exception as exc:
        raise InputError(path, f"cannot be opened as an Excel workbook ({exc}); is it truncated or corrupt?") from exc
    return wanted if wanted in sheets else 0


def read_cdr(path: str | Path) -> pd.DataFrame:
    """The CDR as a table indexed by patient barcode with type, race and the four endpoints."""
    path = Path(path)
    df = read_table(path, sheet=_sheet(path, CDR_SHEET))
    require_columns(df, CDR_COLUMNS, path)
    keep = CDR_COLUMNS + [c for c in ("gender", "age_at_initial_pathologic_diagnosis") if c in df.columns]
    df = df[keep].copy()
    df["bcr_patient_barcode"] = df["bcr_patient_barcode"].astype(str).str.strip().str.upper()
    parse(df["bcr_patient_barcode"], source=path)
    dups = df["bcr_patient_barcode"][df["bcr_patient_barcode"].duplicated()]
    if len(dups):
        raise InputError(path, f"duplicate patient barcode(s): {preview(dups.unique())}")
    for c in [c for e in ENDPOINTS for c in (e, f"{e}.time")]:
        # The CDR marks unknowns with strings such as '[Not Available]' or '#N/A'.
        raw = df[c]
        num = pd.to_numeric(raw, errors="coerce")
        bad = raw[num.isna() & raw.notna() & ~raw.astype(str).str.match(r"^\s*(\[.*\]|#N/A|NA|)\s*$")]
        if len(bad):
            raise InputError(path, f"column {c!r} has non-numeric value(s) {preview(bad.unique())}")
        df[c] = num.astype("float64")
    for e in ENDPOINTS:
        bad = df[e].dropna()[~df[e].dropna().isin([0, 1])]
        if len(bad):
            raise InputError(path, f"endpoint {e!r} must be 0/1, found {preview(bad.unique())}")
    df["type"] = df["type"].astype(str).str.strip()
    df["race"] = df["race"].astype(str).str.strip()
    return df.rename(columns={"bcr_patient_barcode": "patient"}).set_index("patient")


def read_ancestry(path: str | Path, cancer_type: str | None = None) -> pd.DataFrame:
    """EIGENSTRAT ancestry calls indexed by patient (sheets of every type, or one)."""
    path = Path(path)
    check_not_html(path)
    try:
        sheets = (
            pd.read_excel(path, sheet_name=None) if path.name.lower().endswith(".xlsx") else {"all": read_table(path)}
        )
    except InputError:
        raise
    except Exception as exc:
        raise InputError(path, f"cannot be opened as an Excel workbook ({exc}); is it truncated or corrupt?") from exc
    frames = [
        df
        for name, df in sheets.items()
        if "Patient_ID" in df.columns and (cancer_type is None or name in (cancer_type, "all"))
    ]
    if not frames:
        raise InputError(path, f"no sheet with a 'Patient_ID' column{f' for {cancer_type}' if cancer_type else ''}")
    df = pd.concat(frames, ignore_index=True)
    require_columns(df, ["Patient_ID", "EIGENSTRAT"], path)
    df["Patient_ID"] = df["Patient_ID"].astype(str).str.upper()
    df = df.drop_duplicates("Patient_ID")
    return df.set_index("Patient_ID").rename_axis("patient")
