"""A sample sheet labels a cohort of one's own: non-TCGA ids, patients, a given split."""

import pandas as pd
import pytest

from tcgatl.errors import InputError
from tcgatl.inputs import qc
from tcgatl.inputs.sheet import compare_ids, read_sample_sheet
from tcgatl.pancancer.splits import make_split

QC = dict(sample_types=["01"], drop_do_not_use=True, drop_pathology_excluded=True, types=[])


def _sheet(tmp_path, text, name="samples.tsv"):
    path = tmp_path / name
    path.write_text(text)
    return path


def test_sheet_reads_labels_patients_and_split(tmp_path):
    path = _sheet(
        tmp_path, "sample\tlabel\tpatient\tsplit\nGSM1\tlung\tP1\ttrain\nGSM2\tcolon\t\tVal\nGSM3\tlung\tP3\ttest\n"
    )
    sheet = read_sample_sheet(path)
    assert sheet.index.tolist() == ["GSM1", "GSM2", "GSM3"]
    assert sheet["label"].tolist() == ["lung", "colon", "lung"]
    assert sheet["patient"].fillna("-").tolist() == ["P1", "-", "P3"]  # none given for GSM2
    assert sheet["split"].tolist() == ["train", "val", "test"]


@pytest.mark.parametrize(
    "text, message",
    [
        ("id\tlabel\nA\tx\n", "missing required column(s) ['sample']"),
        ("sample\tlabel\n", "has a header but no samples"),
        ("sample\tlabel\nA\tx\nA\ty\n", "duplicate sample id(s): 'A'"),
        ("sample\tlabel\nA\tx\nB\t\n", "1 sample(s) without a label: 'B'"),
        (
            "sample\tlabel\tsplit\nA\tx\ttrain\nB\tx\tholdout\n",
            "column 'split' must be one of ['train', 'val', 'test']",
        ),
        ("sample\tlabel\tsplit\nA\tx\ttrain\nB\tx\ttest\n", "column 'split' has no val sample"),
    ],
    ids=["no-sample-column", "empty", "duplicate", "no-label", "bad-split", "split-part-missing"],
)
def test_bad_sheet_names_file_and_problem(tmp_path, text, message):
    path = _sheet(tmp_path, text)
    with pytest.raises(InputError) as e:
        read_sample_sheet(path)
    assert str(path) in str(e.value) and message in str(e.value)


def test_sheet_labels_any_ids_and_tcga_rules_apply_only_to_tcga_barcodes(tmp_path):
    path = _sheet(
        tmp_path,
        "sample\tlabel\tpatient\n"
        "GSM1\tlung\tP1\n"
        "GSM2\tlung\tP1\n"  # a second sample of P1: one is kept
        "GSM3\tcolon\t\n"
        "TCGA-AA-0001-11A-01R-A001-07\tcolon\t\n"  # a TCGA normal: the sample-type filter applies
        "TCGA-AA-0002-01A-11R-A001-07\tcolon\t\n",
    )
    columns = ["GSM1", "GSM2", "GSM3", "GSM4", "TCGA-AA-0001-11A-01R-A001-07", "TCGA-AA-0002-01A-11R-A001-07"]
    s = qc.sample_qc(columns, label_source="sheet", sheet=read_sample_sheet(path), **QC).set_index("barcode")
    assert s["status"].to_dict() == {
        "GSM1": "kept",
        "GSM2": "duplicate_aliquot",
        "GSM3": "kept",
        "GSM4": "not_in_sheet",
        "TCGA-AA-0001-11A-01R-A001-07": "sample_type_not_selected",
        "TCGA-AA-0002-01A-11R-A001-07": "kept",
    }
    # The sheet's patient, else the TCGA patient, else the sample itself.
    assert s.loc[["GSM1", "GSM3", "TCGA-AA-0002-01A-11R-A001-07"], "patient"].tolist() == ["P1", "GSM3", "TCGA-AA-0002"]
    kept = qc.kept_labels(s.reset_index())
    assert kept.set_index("barcode")["label"].to_dict() == {
        "GSM1": "lung",
        "GSM3": "colon",
        "TCGA-AA-0002-01A-11R-A001-07": "colon",
    }


def test_without_a_sheet_non_tcga_columns_are_still_refused():
    with pytest.raises(InputError, match="not TCGA barcodes"):
        qc.sample_qc(["GSM1"], label_source="cdr", cdr=pd.DataFrame({"type": []}), source="m.tsv", **QC)


def _labels(splits, patients=None):
    n = len(splits)
    return pd.DataFrame(
        {
            "barcode": [f"S{i}" for i in range(n)],
            "patient": patients or [f"P{i}" for i in range(n)],
            "label": ["a", "b"] * (n // 2),
            "split": splits,
        }
    )


def test_a_given_split_is_used_as_given():
    splits = ["train", "train", "train", "train", "val", "val", "test", "test"]
    table, _ = make_split(_labels(splits), train=0.8, val=0.1, min_class_size=3, seed=0)
    assert table["split"].tolist() == splits  # not redrawn, even for fractions it does not match


@pytest.mark.parametrize(
    "splits, patients, message",
    [
        (
            ["train", "train", "train", "train", "val", "val", "test", "test"],
            ["P0", "P1", "P2", "P3", "P4", "P5", "P0", "P7"],
            "patient(s) with samples in more than one split: 'P0'",
        ),
        (["train", "train", "train", "train", "val", "train", "test", "test"], None, "no sample of 'b in val'"),
    ],
    ids=["patient-in-two-parts", "class-missing-from-a-part"],
)
def test_a_given_split_that_leaks_or_misses_a_class_is_refused(splits, patients, message):
    with pytest.raises(InputError) as e:
        make_split(_labels(splits, patients), train=0.8, val=0.1, min_class_size=3, seed=0, source="labels.tsv")
    assert "labels.tsv" in str(e.value) and message in str(e.value)


@pytest.mark.parametrize(
    "sheet_ids, columns, expected",
    [
        (["A", "B"], ["B", "A"], None),
        (["A", "B", "C"], ["A", "D"], (1, ["B", "C"], ["D"])),
        (["A"], ["B"], (0, ["A"], ["B"])),
        (["gsm1"], ["GSM1"], (0, ["gsm1"], ["GSM1"])),  # as QC matches them: case counts
    ],
)
def test_sheet_ids_are_compared_with_a_header_exactly_and_in_file_order(sheet_ids, columns, expected):
    found = compare_ids(sheet_ids, columns)
    assert (found and (found.shared, found.only_sheet, found.only_table)) == expected
