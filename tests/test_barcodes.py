import pytest

from tcgatl.errors import InputError
from tcgatl.inputs import barcodes


def test_parse_splits_every_field():
    p = barcodes.parse(["TCGA-OR-A5J1-01A-11R-A29S-07"]).iloc[0]
    assert (p.patient, p.sample_type, p.vial, p.portion, p.analyte, p.plate, p.center) == (
        "TCGA-OR-A5J1",
        "01",
        "A",
        "11",
        "R",
        "A29S",
        "07",
    )


def test_parse_accepts_patient_and_sample_level_barcodes():
    p = barcodes.parse(["TCGA-OR-A5J1", "TCGA-OR-A5J1-11A"])
    assert p["patient"].tolist() == ["TCGA-OR-A5J1"] * 2
    assert p["sample_type"].isna().tolist() == [True, False]


def test_unknown_format_names_source_and_barcode():
    with pytest.raises(InputError) as e:
        barcodes.parse(["TCGA-OR-A5J1-01A-11R-A29S-07", "sample_1"], source="matrix.tsv")
    assert "matrix.tsv" in str(e.value) and "'sample_1'" in str(e.value)


def test_duplicate_barcodes_are_reported():
    with pytest.raises(InputError, match="duplicate barcode.*TCGA-OR-A5J1-01A"):
        barcodes.check_unique(["TCGA-OR-A5J1-01A", "TCGA-OR-A5J1-01A"], source="x.tsv")


@pytest.mark.parametrize(
    "candidates, expected",
    [
        # earliest vial wins
        (["TCGA-AA-0001-01B-11R-A001-07", "TCGA-AA-0001-01A-11R-A001-07"], "TCGA-AA-0001-01A-11R-A001-07"),
        # H before R before T analytes
        (["TCGA-AA-0001-01A-11T-A001-07", "TCGA-AA-0001-01A-11H-A001-07"], "TCGA-AA-0001-01A-11H-A001-07"),
        # latest plate
        (["TCGA-AA-0001-01A-11R-A001-07", "TCGA-AA-0001-01A-11R-A2ZZ-07"], "TCGA-AA-0001-01A-11R-A2ZZ-07"),
        # sample type order as configured: 01 before 06
        (["TCGA-AA-0001-06A-11R-A001-07", "TCGA-AA-0001-01A-11R-A001-07"], "TCGA-AA-0001-01A-11R-A001-07"),
    ],
)
def test_one_aliquot_per_patient_rule(candidates, expected):
    for order in (candidates, candidates[::-1]):  # independent of column order
        parsed = barcodes.parse(order)
        keep = barcodes.one_aliquot_per_patient(parsed, ("01", "03", "06"))
        assert parsed["barcode"][keep].tolist() == [expected]


def test_one_aliquot_keeps_every_patient_once():
    parsed = barcodes.parse(["TCGA-AA-0001-01A", "TCGA-AA-0002-01A", "TCGA-AA-0001-01B"])
    keep = barcodes.one_aliquot_per_patient(parsed)
    assert sorted(parsed["patient"][keep]) == ["TCGA-AA-0001", "TCGA-AA-0002"]
