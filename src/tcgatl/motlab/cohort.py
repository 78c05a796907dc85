"""The MOTLAB cohort: primary tumours of one type, one per patient, present in every layer,
with an ancestry (EA or AA) from the CDR race or from EIGENSTRAT calls."""

from __future__ import annotations

import logging

import pandas as pd

from ..errors import InputError
from ..inputs import barcodes

log = logging.getLogger(__name__)

RACE_TO_ANCESTRY = {"WHITE": "EA", "BLACK OR AFRICAN AMERICAN": "AA"}
EIGENSTRAT_TO_ANCESTRY = {"EA": "EA", "AA": "AA"}
ANCESTRIES = ["EA", "AA"]  # source domain, target domain


def layer_patients(x: pd.DataFrame, sample_type: str = "01", source=None, patients: dict | None = None) -> pd.Series:
    """Barcode of the one ``sample_type`` aliquot kept per patient (index patient).

    Patient-level columns (12-character barcodes, e.g. curated tables) carry no sample type and
    are taken as given. ``patients`` (sample -> patient, from a sample sheet's QC) allows ids
    that are not TCGA barcodes; a sample it does not name is its own patient.
    """
    parsed = barcodes.parse(x.index, source=source, strict=patients is None)
    if patients is not None:
        own = parsed["patient"].isna()
        parsed.loc[own, "patient"] = [patients.get(b, b) for b in parsed.loc[own, "barcode"]]
    ok = parsed["sample_type"].isna() | (parsed["sample_type"] == sample_type)
    parsed = parsed[ok.to_numpy()].reset_index(drop=True)
    parsed = parsed[one_per_patient(parsed).to_numpy()]
    return pd.Series(parsed["barcode"].to_numpy(), index=pd.Index(parsed["patient"].to_numpy(), name="patient"))


def one_per_patient(parsed: pd.DataFrame) -> pd.Series:
    return barcodes.one_aliquot_per_patient(parsed, sample_type_order=("01",))


def ancestry_from_race(cdr: pd.DataFrame) -> pd.Series:
    return cdr["race"].astype(str).str.strip().str.upper().map(RACE_TO_ANCESTRY)


def ancestry_from_eigenstrat(calls: pd.DataFrame) -> pd.Series:
    return calls["EIGENSTRAT"].astype("string").str.strip().str.upper().map(EIGENSTRAT_TO_ANCESTRY)


def build_cohort(
    layers: dict[str, pd.DataFrame],
    clinical: pd.DataFrame,
    cancer_type: str | None = "BRCA",
    ancestry: pd.Series | None = None,
    sources: dict[str, str] | None = None,
    sample_patients: dict[str, dict] | None = None,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Cohort table (patient, ancestry, one barcode column per layer) and exclusion counts.

    ``layers`` maps layer name -> samples x features matrix (index barcode); ``clinical`` (the CDR,
    or an outcomes table of one's own) is indexed by patient with ``type`` and ``race``; ``ancestry`` (index patient, values EA/AA/NaN)
    overrides the CDR race when given (EIGENSTRAT calls, or an outcomes table's groups with
    ``cancer_type`` None); ``sample_patients`` maps layer -> {sample: patient} for non-TCGA ids.
    """
    sources = sources or {}
    if not layers:
        raise ValueError("no omics layers given")
    anc = ancestry_from_race(clinical) if ancestry is None else ancestry.reindex(clinical.index)
    # cancer_type None: an outcomes table of one's own is the cohort (motlab.group_column).
    in_type = clinical.index if cancer_type is None else clinical.index[clinical["type"] == cancer_type]
    if len(in_type) == 0:
        raise InputError(sources.get("clinical"), f"no patient of type {cancer_type!r} in the CDR")
    steps = [("cdr_type" if cancer_type else "outcomes_table", len(in_type))]
    patients = pd.Index(in_type)
    per_layer = {}
    for name, x in layers.items():
        kept = layer_patients(x, source=sources.get(name, name), patients=(sample_patients or {}).get(name))
        per_layer[name] = kept
        patients = patients.intersection(kept.index, sort=False)
        steps.append((f"in_{name}", len(patients)))
    patients = patients.sort_values()
    a = anc.reindex(patients)
    steps.append(("ancestry_EA_or_AA", int(a.notna().sum())))
    keep = patients[a.notna().to_numpy()]
    if len(keep) == 0:
        raise InputError(
            sources.get("clinical"),
            f"no {cancer_type} patient with EA/AA ancestry is present in every layer {list(layers)}",
        )
    cohort = pd.DataFrame({"patient": keep, "ancestry": a.loc[keep].to_numpy()})
    for name, kept in per_layer.items():
        cohort[name] = kept.loc[keep].to_numpy()
    counts = pd.DataFrame(steps, columns=["step", "patients"])
    for g in ANCESTRIES:
        counts.loc[len(counts)] = [f"ancestry_{g}", int((cohort["ancestry"] == g).sum())]
    log.info("cohort: %s", ", ".join(f"{s}={n}" for s, n in counts.itertuples(index=False)))
    return cohort, counts


def read_cohort(path) -> pd.DataFrame:
    from ..io import read_table, require_columns

    df = read_table(path, dtype=str)
    require_columns(df, ["patient", "ancestry"], path)
    bad = df.loc[~df["ancestry"].isin(ANCESTRIES), "ancestry"]
    if len(bad):
        raise InputError(path, f"ancestry must be EA or AA, found {sorted(bad.unique())[:5]}")
    return df


def patient_frames(
    layers: dict[str, pd.DataFrame], cohort: pd.DataFrame, sources: dict | None = None
) -> dict[str, pd.DataFrame]:
    """Each layer's rows for the cohort's barcodes, one row per patient (index patient)."""
    patients = pd.Index(cohort["patient"].to_numpy(), name="patient")
    out = {}
    for name, x in layers.items():
        source = (sources or {}).get(name)
        if name not in cohort.columns:
            raise InputError(source, f"layer {name!r} is not a column of the cohort table; rebuild the cohort")
        wanted = cohort[name].to_numpy()
        missing = pd.Index(wanted).difference(x.index)
        if len(missing):
            raise InputError(
                source, f"{len(missing)} cohort barcode(s) are not in the matrix, e.g. {list(missing[:3])}"
            )
        out[name] = x.loc[wanted].set_axis(patients, axis=0)
    return out


def cohort_frames(cohort: pd.DataFrame, layer_paths: dict) -> dict[str, pd.DataFrame]:
    """Each layer's matrix file restricted to the cohort, one row per patient (index patient)."""
    from ..io import read_matrix

    for name, path in layer_paths.items():
        if name not in cohort.columns:  # before reading a possibly large matrix
            raise InputError(path, f"layer {name!r} is not a column of the cohort table; rebuild the cohort")
    return patient_frames({n: read_matrix(p) for n, p in layer_paths.items()}, cohort, layer_paths)
