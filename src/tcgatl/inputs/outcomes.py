"""An outcomes table of one's own for MOTLAB: patients, the group each belongs to (which value is
the source domain, which the target), and per endpoint either an event/time pair or a ready
binary label.

Columns: ``patient``; the group column (``motlab.group_column``); for an endpoint ``E`` either
``E`` (event 0/1) with ``E.time`` (days to the event or censoring, as in the TCGA-CDR), labelled
by ``motlab.years`` as the CDR's endpoints are, or ``E`` alone, a ready 0/1 label (1 = poor
outcome; empty = excluded). The group becomes MOTLAB's domain: the source group takes the role
of the studies' EA patients, the target group that of the AA patients (tables and report name
the domains EA and AA); patients of other groups are left out.
"""

from __future__ import annotations

import logging
from pathlib import Path

import pandas as pd

from ..errors import InputError, preview
from ..io import read_table, require_columns

log = logging.getLogger(__name__)

SOURCE, TARGET = "EA", "AA"  # the domain codes of tcgatl.motlab.cohort.ANCESTRIES


def read_outcomes(path: str | Path, *, group_column: str, source: str, target: str) -> pd.DataFrame:
    """The table indexed by patient: ``group`` (as given), ``ancestry`` (the domain: EA for
    ``source``, AA for ``target``, missing otherwise) and every endpoint column, numeric."""
    path = Path(path)
    df = read_table(path, dtype=str, keep_default_na=False)
    require_columns(df, ["patient", group_column], path)
    if df.empty:
        raise InputError(path, "has a header but no patients")
    df["patient"] = df["patient"].str.strip()
    dups = df.loc[df["patient"].duplicated(), "patient"]
    if len(dups):
        raise InputError(path, f"duplicate patient id(s): {preview(dups.unique())}")
    group = df[group_column].str.strip()
    for name, value in (("source", source), ("target", target)):
        if not (group == value).any():
            raise InputError(
                path,
                f"no patient of the {name} group {value!r} in column {group_column!r} "
                f"(values: {preview(sorted(group.unique()))})",
            )
    out = pd.DataFrame(
        {"group": group.to_numpy(), "ancestry": group.map({source: SOURCE, target: TARGET}).to_numpy()},
        index=pd.Index(df["patient"], name="patient"),
    )
    for column in df.columns.drop(["patient", group_column]):
        raw = df[column].str.strip()
        value = pd.to_numeric(raw.where(~raw.isin(["", "NA", "NaN", "nan"]), None), errors="coerce")
        if f"{column}.time" in df.columns or column.endswith(".time"):
            bad = raw[value.isna() & ~raw.isin(["", "NA", "NaN", "nan"])]
            if len(bad):
                raise InputError(path, f"column {column!r} has non-numeric value(s) {preview(bad.unique())}")
        out[column] = value.to_numpy(dtype=float)
    log.info(
        "%s: %d patients, source %s %d, target %s %d",
        path.name,
        len(out),
        source,
        int((out["ancestry"] == SOURCE).sum()),
        target,
        int((out["ancestry"] == TARGET).sum()),
    )
    return out
