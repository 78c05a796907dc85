import gzip

import numpy as np
import pandas as pd
import pytest
from conftest import DATA

from tcgatl.errors import InputError
from tcgatl.inputs import clinical, matrix

REAL = DATA / "rnaseq_excerpt.geneExp.tsv.gz"


@pytest.fixture(params=["c", "arrow"])
def backend(request, monkeypatch):
    """Reading tests run with the C parser and with the pyarrow fallback."""
    if request.param == "arrow":
        monkeypatch.setattr(matrix, "_tsvparse", None)
    return request.param


def test_c_parser_is_built():
    # `make run`/`make test` compile it; without it reading falls back to pyarrow (slower).
    assert matrix._tsvparse is not None


QC_DEFAULT = dict(
    sample_types=["01", "03"], drop_do_not_use=True, drop_pathology_excluded=True, label_source="cdr", types=[]
)
FEAT_DEFAULT = dict(negatives="zero", missing="drop_gene", log2=True, drop_constant=True)


def test_to_features_documented_order():
    mat = pd.DataFrame(
        {"s1": [3.0, -0.2, np.nan, 5.0], "s2": [1.0, 7.0, 2.0, 5.0]},
        index=["A|1", "B|2", "C|3", "D|4"],
    ).T
    x, dropped = matrix.to_features(mat)
    assert x.index.tolist() == ["s1", "s2"] and x.index.name == "barcode"
    assert x.columns.tolist() == ["A|1", "B|2"]  # C has NA, D is constant
    np.testing.assert_allclose(x.loc["s1"], [2.0, 0.0])  # log2(3+1); negative -> 0
    np.testing.assert_allclose(x.loc["s2"], [1.0, 3.0])
    assert dict(zip(dropped.feature, dropped.reason)) == {"C|3": "missing values", "D|4": "constant"}
    assert x.dtypes.unique().tolist() == [np.float32]


def test_to_features_leaves_its_input_alone_unless_inplace():
    mat = pd.DataFrame({"A|1": [3.0, -1.0], "B|2": [1.0, 2.0]}, index=["s1", "s2"], dtype="float32")
    before = mat.copy()
    matrix.to_features(mat)
    pd.testing.assert_frame_equal(mat, before)


def test_to_features_options():
    mat = pd.DataFrame({"s1": [np.nan, -0.5], "s2": [1.0, 2.0]}, index=["A|1", "B|2"]).T
    x, _ = matrix.to_features(mat, negatives="keep", missing="zero", log2=False)
    np.testing.assert_allclose(x.to_numpy(), [[0.0, -0.5], [1.0, 2.0]])


def test_real_excerpt_end_to_end(backend):
    cdr = clinical.read_cdr(DATA / "cdr_excerpt.xlsx")
    x, samples, dropped = matrix.build(REAL, cdr=cdr, qc=QC_DEFAULT, features=FEAT_DEFAULT)
    assert x.shape[0] == (samples.status == "kept").sum() > 40
    assert 250 < x.shape[1] <= 290
    assert all("|" in g for g in x.columns)
    assert float(x.to_numpy().min()) >= 0 and float(x.to_numpy().max()) < 25  # log2 scale
    assert set(samples.loc[samples.status == "kept", "label"]) == {"ACC", "CHOL", "DLBC", "STAD", "UCS", "UVM"}


def _write(tmp_path, text, name="m.tsv"):
    p = tmp_path / name
    p.write_text(text)
    return p


HEADER = "gene_id\tTCGA-AA-0001-01A-11R-A001-07\tTCGA-AA-0002-01A-11R-A001-07\n"
COLS = ["TCGA-AA-0001-01A-11R-A001-07", "TCGA-AA-0002-01A-11R-A001-07"]


def test_non_numeric_cell(tmp_path, backend):
    p = _write(tmp_path, HEADER + "A|1\t1.0\t2.0\nB|2\t3.0\tabc\n")
    with pytest.raises(InputError, match=r"m.tsv: cannot be parsed \(a non-numeric cell\): .*'abc'"):
        matrix.read_samples_matrix(p, COLS)


@pytest.mark.parametrize("cell", ["inf", "-Infinity", "1e39"])
def test_infinite_cell_names_file_line_column_and_value(tmp_path, backend, cell):
    """An infinity is not a missing value: only NA spellings and empty cells are."""
    p = _write(tmp_path, HEADER + f"A|1\t1.0\t2.0\nB|2\t3.0\t{cell}\n")
    if backend == "c":  # the C parser knows the line and the field
        expected = rf"m.tsv: cannot be parsed \(an infinite or overflowing value.*line 3, field 3 \(column {COLS[1]}\).*'{cell}'"
    else:  # the pyarrow fallback: the feature and the column
        expected = rf"m.tsv: 1 infinite value\(s\), e.g. feature B\|2 in column {COLS[1]}"
    with pytest.raises(InputError, match=expected):
        matrix.read_samples_matrix(p, COLS)


def test_header_without_feature_rows_is_an_error(tmp_path, backend):
    p = _write(tmp_path, "gene_id\tTCGA-AA-0001-01A\n")
    cdr = pd.DataFrame({"type": ["ACC"]}, index=pd.Index(["TCGA-AA-0001"], name="patient"))
    with pytest.raises(InputError, match="m.tsv: has a header but no feature rows"):
        matrix.build(p, cdr=cdr, qc=QC_DEFAULT, features=FEAT_DEFAULT)


def test_no_features_left_after_transformation_is_an_error(tmp_path):
    p = _write(tmp_path, "gene_id\tTCGA-AA-0001-01A\tTCGA-AA-0002-01A\nA|1\t1\tNA\nB|2\t5\t5\n")
    cdr = pd.DataFrame({"type": ["ACC", "ACC"]}, index=pd.Index(["TCGA-AA-0001", "TCGA-AA-0002"], name="patient"))
    with pytest.raises(InputError, match=r"m.tsv: no features left.*'missing values': 1.*'constant': 1"):
        matrix.build(p, cdr=cdr, qc=QC_DEFAULT, features=FEAT_DEFAULT)


def test_truncated_file(tmp_path, backend):
    p = _write(tmp_path, HEADER + "A|1\t1.0\t2.0\nB|2\t3.0")
    with pytest.raises(InputError, match=r"m.tsv: cannot be parsed \(truncated or malformed rows\)"):
        matrix.read_samples_matrix(p, COLS)


def test_truncated_gzip(tmp_path, backend):
    rng = np.random.default_rng(0)
    body = "".join(f"G{i}|{i}\t{a:.4f}\t{b:.4f}\n" for i, (a, b) in enumerate(rng.random((5000, 2))))
    data = gzip.compress((HEADER + body).encode())
    p = tmp_path / "m.tsv.gz"
    p.write_bytes(data[: len(data) // 2])  # header intact, body cut
    with pytest.raises(InputError, match="m.tsv.gz: cannot be (read|parsed).*truncated"):
        matrix.read_samples_matrix(p, COLS)
    p.write_bytes(data[:20])  # cut inside the header
    with pytest.raises(InputError, match="m.tsv.gz: cannot read the header.*truncated or corrupt"):
        matrix.read_samples_matrix(p, COLS)


def test_duplicate_barcode_column(tmp_path):
    p = _write(tmp_path, "gene_id\t" + "\t".join([COLS[0], COLS[0]]) + "\nA|1\t1\t2\n")
    with pytest.raises(InputError, match="m.tsv: duplicate barcode"):
        matrix.read_samples_matrix(p, [COLS[0]])


def test_duplicate_gene(tmp_path, backend):
    p = _write(tmp_path, HEADER + "A|1\t1\t2\nA|1\t3\t4\n")
    with pytest.raises(InputError, match=r"m.tsv: duplicate feature id\(s\): 'A\|1'"):
        matrix.read_samples_matrix(p, COLS)


def test_html_error_page(tmp_path):
    p = _write(tmp_path, "<!DOCTYPE html><html><body>502 Bad Gateway</body></html>\n")
    with pytest.raises(InputError, match="m.tsv: is an HTML page"):
        matrix.read_header(p)


def test_empty_and_missing_files(tmp_path):
    with pytest.raises(InputError, match="empty file"):
        matrix.read_header(_write(tmp_path, ""))
    with pytest.raises(InputError, match="nope.tsv: file does not exist"):
        matrix.read_header(tmp_path / "nope.tsv")


def test_unknown_barcode_format(tmp_path):
    p = _write(tmp_path, "gene_id\tsample_1\tTCGA-AA-0002-01A\nA|1\t1\t2\n")
    cdr = pd.DataFrame({"type": ["ACC"]}, index=pd.Index(["TCGA-AA-0002"], name="patient"))
    with pytest.raises(InputError, match="m.tsv: 1 column.*not TCGA barcodes.*'sample_1'"):
        matrix.build(p, cdr=cdr, qc=QC_DEFAULT, features=FEAT_DEFAULT)


def test_empty_cohort_after_qc(tmp_path):
    p = _write(tmp_path, "gene_id\tTCGA-AA-0001-11A\nA|1\t1\n")
    cdr = pd.DataFrame({"type": ["ACC"]}, index=pd.Index(["TCGA-AA-0001"], name="patient"))
    with pytest.raises(InputError, match=r"m.tsv: no samples left after QC \(sample_type_not_selected=1\)"):
        matrix.build(p, cdr=cdr, qc=QC_DEFAULT, features=FEAT_DEFAULT)


def test_generic_layer_with_patient_level_columns(backend):
    """A real BRCA protein table (features x patients) becomes a matrix like the EB++ one."""
    cdr = clinical.read_cdr(DATA / "cdr_brca_excerpt.tsv")
    x, samples, dropped = matrix.build(
        DATA / "brca_mini_protein_excerpt.tsv",
        cdr=cdr,
        qc=QC_DEFAULT,
        features=dict(negatives="keep", missing="drop_gene", log2=False, drop_constant=True),
    )
    assert x.shape == (40, 30)
    assert set(samples.label) == {"BRCA"}
    raw = pd.read_csv(DATA / "brca_mini_protein_excerpt.tsv", sep="\t", index_col=0)
    np.testing.assert_allclose(x.to_numpy(), raw.T.loc[x.index, x.columns].to_numpy(), rtol=1e-6)
    assert (x.to_numpy() < 0).any()  # log-scale values keep their sign


def test_mirna_layout_skips_the_correction_column(demo_raw, backend):
    paths, _ = demo_raw
    cdr = clinical.read_cdr(paths["clinical"])
    x, samples, _ = matrix.build(paths["mirna"], cdr=cdr, qc=QC_DEFAULT, features=FEAT_DEFAULT, skip=("Correction",))
    assert "Correction" not in samples.barcode.tolist()
    assert x.columns.str.startswith("hsa-").all() and len(x) == (samples.status == "kept").sum()


NUMBERS = [
    "0",
    "1",
    "-0.25",
    "+3.5",
    "1e-05",
    "2.5E+3",
    "0.000123456789",
    "123456789.123456789",
    "3.14159265358979323846264338327950288",
    "NA",
    "NaN",
    "nan",
    "",
    "1e30",
    "-7.0000",
    "65504.001",
]


def test_parsers_agree_with_pandas_on_number_formats(tmp_path, backend):
    rng = np.random.default_rng(1)
    cols = [f"TCGA-AA-{i:04d}-01A" for i in range(7)]
    rows = []
    for g in range(400):
        cells = [NUMBERS[k] for k in rng.integers(0, len(NUMBERS), 7)]
        cells[g % 7] = f"{rng.lognormal(2, 3):.{rng.integers(0, 9)}f}"
        rows.append(f"G{g}|{g}\t" + "\t".join(cells))
    p = tmp_path / "m.tsv"
    p.write_text("gene_id\t" + "\t".join(cols) + "\r\n" + "\r\n".join(rows) + "\r\n\n")  # CRLF, blank last line
    got = matrix.read_samples_matrix(p, cols[::-1])  # any column order
    ref = pd.read_csv(p, sep="\t", index_col=0).T.loc[cols[::-1]].astype("float32")
    assert got.columns.tolist() == ref.columns.tolist()
    np.testing.assert_array_equal(got.to_numpy(), ref.to_numpy())


def test_last_line_without_newline(tmp_path, backend):
    p = _write(tmp_path, HEADER + "A|1\t1.5\t2\nB|2\t3\t4")
    got = matrix.read_samples_matrix(p, COLS)
    np.testing.assert_array_equal(got.to_numpy(), [[1.5, 3.0], [2.0, 4.0]])


def test_extra_field_is_an_error(tmp_path, backend):
    p = _write(tmp_path, HEADER + "A|1\t1\t2\t9\nB|2\t3\t4\n")
    with pytest.raises(InputError, match="m.tsv: cannot be parsed"):
        matrix.read_samples_matrix(p, COLS)
