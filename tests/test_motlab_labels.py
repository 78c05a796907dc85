"""MOTLAB labels (tcgatl.motlab.labels): endpoint x year outcome classes and their counts."""

import numpy as np
import pandas as pd
import pytest

from tcgatl.errors import InputError
from tcgatl.motlab import labels

DAY = labels.YEAR_DAYS


def _cdr(rows):
    return pd.DataFrame(rows, columns=["patient", "PFI", "PFI.time"]).set_index("patient")


def test_labels_edge_cases():
    cdr = _cdr(
        [
            ("A", 1, 3 * DAY),  # event exactly at the threshold: within -> poor
            ("B", 1, 3 * DAY + 1),  # event after the threshold: event-free beyond -> good
            ("C", 0, 3 * DAY),  # censored at the threshold: not followed beyond -> excluded
            ("D", 0, 3 * DAY + 1),  # censored after the threshold -> good
            ("E", 1, 10),  # early event -> poor
            ("F", 0, 10),  # censored early -> excluded
            ("G", np.nan, 500),  # endpoint missing
            ("H", 1, np.nan),  # time missing
            ("I", 1, 0),  # event at day 0 -> poor
        ]
    )
    lab = labels.endpoint_labels(cdr, "PFI", 3)
    assert lab["status"].to_dict() == {
        "A": "poor_outcome",
        "B": "good_outcome",
        "C": "censored_before_threshold",
        "D": "good_outcome",
        "E": "poor_outcome",
        "F": "censored_before_threshold",
        "G": "endpoint_missing",
        "H": "endpoint_missing",
        "I": "poor_outcome",
    }
    assert lab["label"].tolist() == [1, 0, pd.NA, 0, 1, pd.NA, pd.NA, pd.NA, 1]
    # A longer threshold turns the late event into a poor outcome and B stops being event-free.
    assert labels.endpoint_labels(cdr, "PFI", 5).loc["B", "label"] == 1


def test_label_counts_per_ancestry_class_and_reason():
    cdr = _cdr([("A", 1, 10), ("B", 0, 5000), ("C", 0, 10), ("D", 1, 20)])
    coh = pd.DataFrame({"patient": ["A", "B", "C", "D"], "ancestry": ["AA", "AA", "EA", "EA"]})
    counts = labels.label_counts(labels.cohort_labels(coh, cdr, "PFI", 3)).set_index(["ancestry", "status"])
    assert len(counts) == 8  # 2 ancestries x 4 statuses, zeros included
    assert counts.loc[("AA", "poor_outcome"), "patients"] == 1
    assert counts.loc[("AA", "good_outcome"), "patients"] == 1
    assert counts.loc[("EA", "censored_before_threshold"), "patients"] == 1
    assert counts.loc[("EA", "good_outcome"), "patients"] == 0
    assert counts.loc[("EA", "censored_before_threshold"), "label"] == "excluded"


def test_read_labels_rejects_bad_label(tmp_path):
    p = tmp_path / "labels.tsv"
    pd.DataFrame({"patient": ["A"], "ancestry": ["AA"], "status": ["x"], "label": [2]}).to_csv(p, sep="\t", index=False)
    with pytest.raises(InputError, match="labels.tsv: label must be 0, 1"):
        labels.read_labels(p)
