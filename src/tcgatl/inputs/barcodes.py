"""TCGA barcodes: parsing, patient/sample-type extraction and the one-aliquot-per-patient rule.

Barcode anatomy: ``TCGA-TSS-PPPP-SSV-PPA-PLAT-CC``: tissue source site, participant,
sample type (2 digits) + vial (letter), portion (2 digits) + analyte (letter), plate, centre.
The first 12 characters name the patient.
"""

from __future__ import annotations

import re

import pandas as pd

from ..errors import InputError, preview

_BARCODE = re.compile(
    r"^(?P<patient>TCGA-[A-Z0-9]{2}-[A-Z0-9]{4})"
    r"(?:-(?P<sample_type>\d{2})(?P<vial>[A-Z])?"
    r"(?:-(?P<portion>\d{2})(?P<analyte>[A-Z])"
    r"(?:-(?P<plate>[A-Z0-9]{4})"
    r"(?:-(?P<center>\d{2}))?)?)?)?$"
)

FIELDS = ["patient", "sample_type", "vial", "portion", "analyte", "plate", "center"]

SAMPLE_TYPES = {
    "01": "Primary Solid Tumor",
    "02": "Recurrent Solid Tumor",
    "03": "Primary Blood Derived Cancer - Peripheral Blood",
    "05": "Additional - New Primary",
    "06": "Metastatic",
    "07": "Additional Metastatic",
    "10": "Blood Derived Normal",
    "11": "Solid Tissue Normal",
}

# Preferred RNA analytes when a patient has several aliquots (Broad GDAC convention):
# H (mirVana RNA) before R (RNA) before T (total RNA); others after.
ANALYTE_PREFERENCE = {"H": 0, "R": 1, "T": 2}


def parse(barcodes, source=None, strict: bool = True) -> pd.DataFrame:
    """Split barcodes into their fields; unknown formats raise naming ``source`` and the barcodes.

    ``strict=False`` (sample ids from a sample sheet) gives ids that are not TCGA barcodes all
    fields missing instead: the TCGA-specific rules then pass them by.
    """
    s = pd.Series(list(barcodes), dtype="object")
    parts = s.astype(str).str.upper().str.extract(_BARCODE)
    bad = s[parts["patient"].isna()]
    if len(bad) and strict:
        raise InputError(
            source,
            f"{len(bad)} column(s) are not TCGA barcodes (expected TCGA-TSS-PPPP[-SSV-PPA-PLAT-CC]): {preview(bad)}",
        )
    parts.insert(0, "barcode", s.to_numpy())
    return parts


def patient(barcode: str) -> str:
    return str(barcode)[:12].upper()


def check_unique(barcodes, source=None) -> None:
    s = pd.Index(list(barcodes))
    dups = s[s.duplicated()].unique()
    if len(dups):
        raise InputError(source, f"duplicate barcode(s): {preview(dups)}")


def one_aliquot_per_patient(parsed: pd.DataFrame, sample_type_order=("01", "03", "06")) -> pd.Series:
    """Boolean mask of the aliquot kept for each patient; deterministic and order-independent.

    Rule, in order: the sample type listed first in ``sample_type_order``; the earliest vial
    (A before B); the preferred analyte (H, R, T); the latest plate (highest plate id, i.e. the
    most recent submission); finally the lexicographically smallest barcode.
    """
    rank_type = {t: i for i, t in enumerate(sample_type_order)}
    key = pd.DataFrame(
        {
            "patient": parsed["patient"].to_numpy(),
            "t": parsed["sample_type"].map(rank_type).fillna(len(rank_type)).to_numpy(),
            "v": parsed["vial"].fillna("Z").to_numpy(),
            "a": parsed["analyte"].map(ANALYTE_PREFERENCE).fillna(9).to_numpy(),
            # Negate the plate order by sorting descending on it below.
            "p": parsed["plate"].fillna("").to_numpy(),
            "b": parsed["barcode"].astype(str).to_numpy(),
        },
        index=parsed.index,
    )
    ordered = key.sort_values(["patient", "t", "v", "a", "p", "b"], ascending=[True, True, True, True, False, True])
    keep = ~ordered["patient"].duplicated(keep="first")
    return keep.reindex(parsed.index)
