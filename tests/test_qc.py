import pandas as pd
import pytest

from tcgatl.errors import InputError
from tcgatl.inputs import qc

BARCODES = [
    "TCGA-AA-0001-01A-11R-A001-07",  # kept
    "TCGA-AA-0001-01B-11R-A001-07",  # duplicate aliquot of patient 1
    "TCGA-AA-0002-01A-11R-A001-07",  # Do_not_use
    "TCGA-AA-0003-01A-11R-A001-07",  # pathology excluded
    "TCGA-AA-0004-11A-01R-A001-07",  # normal
    "TCGA-AA-0005-01A-11R-A001-07",  # no label
    "TCGA-BB-0006-03A-11R-A001-07",  # LAML, kept
    "TCGA-CC-0007-06A-11R-A001-07",  # metastatic: dropped unless 06 selected
]
CDR = pd.DataFrame(
    {"type": ["ACC", "ACC", "ACC", "ACC", "LAML", "SKCM"]},
    index=pd.Index(
        ["TCGA-AA-0001", "TCGA-AA-0002", "TCGA-AA-0003", "TCGA-AA-0004", "TCGA-BB-0006", "TCGA-CC-0007"], name="patient"
    ),
)


@pytest.fixture
def quality():
    q = pd.DataFrame({"aliquot": BARCODES})
    q["cancer_type"] = ["ACC", "ACC", "ACC", "ACC", "ACC", "ACC", "LAML", "SKCM"]
    q["do_not_use"] = [False, False, True, False, False, False, False, False]
    q["pathology_excluded"] = [False, False, False, True, False, False, False, False]
    return q.set_index("aliquot")


def test_every_drop_has_its_reason(quality):
    s = qc.sample_qc(BARCODES, quality=quality, cdr=CDR)
    assert s["status"].tolist() == [
        "kept",
        "duplicate_aliquot",
        "do_not_use",
        "pathology_excluded",
        "sample_type_not_selected",
        "no_label",
        "kept",
        "sample_type_not_selected",
    ]
    summary = dict(qc.qc_summary(s).itertuples(index=False))
    assert summary == {
        "kept": 2,
        "do_not_use": 1,
        "pathology_excluded": 1,
        "sample_type_not_selected": 2,
        "not_in_sheet": 0,
        "no_label": 1,
        "type_not_selected": 0,
        "duplicate_aliquot": 1,
    }


def test_metastatic_option_and_type_filter(quality):
    s = qc.sample_qc(BARCODES, quality=quality, cdr=CDR, sample_types=["01", "03", "06"], types=["SKCM", "LAML"])
    kept = s[s.status == "kept"]
    assert sorted(kept.label) == ["LAML", "SKCM"]
    assert (s.status == "type_not_selected").sum() == 2  # both ACC aliquots of patient 1


def test_labels_from_annotation(quality):
    s = qc.sample_qc(BARCODES, quality=quality, label_source="annotation")
    assert s.loc[s.barcode == BARCODES[5], "status"].item() == "kept"  # annotation labels patient 5


def test_filters_can_be_switched_off(quality):
    s = qc.sample_qc(BARCODES, quality=quality, cdr=CDR, drop_do_not_use=False, drop_pathology_excluded=False)
    assert (s.status == "kept").sum() == 4


def test_quality_table_reader(tmp_path):
    p = tmp_path / "merged_sample_quality_annotations.tsv"
    p.write_text(
        "platform\tpatient_barcode\taliquot_barcode\tcancer type\tDo_not_use\tAWG_excluded_because_of_pathology\n"
        "X\tTCGA-AA-0001\tTCGA-AA-0001-01A-11R-A001-07\tACC\tTrue\t0\n"
    )
    q = qc.read_sample_quality(p)
    assert bool(q.loc["TCGA-AA-0001-01A-11R-A001-07", "do_not_use"]) is True
    p.write_text("platform\taliquot_barcode\tcancer type\tDo_not_use\n")
    with pytest.raises(
        InputError,
        match=r"merged_sample_quality_annotations.tsv: missing required column\(s\) \['AWG_excluded_because_of_pathology'\]",
    ):
        qc.read_sample_quality(p)
    p.write_text(
        "aliquot_barcode\tcancer type\tDo_not_use\tAWG_excluded_because_of_pathology\nTCGA-AA-0001-01A\tACC\tmaybe\t0\n"
    )
    with pytest.raises(InputError, match="'Do_not_use' must be True/False"):
        qc.read_sample_quality(p)


def test_empty_cohort_is_an_error(quality):
    s = qc.sample_qc(BARCODES[4:5], quality=quality, cdr=CDR)
    with pytest.raises(InputError, match="no samples left after QC"):
        qc.kept_labels(s, source="m.tsv")


def test_patient_level_columns_are_kept():
    s = qc.sample_qc(["TCGA-AA-0001", "TCGA-AA-0002"], cdr=CDR)
    assert s["status"].tolist() == ["kept", "kept"]
    assert s["label"].tolist() == ["ACC", "ACC"]
