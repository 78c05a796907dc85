import pandas as pd
import pytest
from conftest import DATA

from tcgatl.errors import InputError
from tcgatl.inputs import clinical


def test_real_cdr_excerpt():
    cdr = clinical.read_cdr(DATA / "cdr_excerpt.xlsx")
    assert cdr.index.name == "patient" and len(cdr) == 48
    assert set(cdr["type"]) == {"ACC", "CHOL", "DLBC", "STAD", "UCS", "UVM"}
    for e in clinical.ENDPOINTS:
        assert set(cdr[e].dropna().unique()) <= {0.0, 1.0}
        assert cdr[f"{e}.time"].dtype == "float64"


def _cdr(tmp_path, **edits):
    df = pd.read_excel(DATA / "cdr_excerpt.xlsx", sheet_name="TCGA-CDR").head(5)
    for k, v in edits.items():
        v(df) if callable(v) else None
    path = tmp_path / "cdr.tsv"
    df.to_csv(path, sep="\t", index=False)
    return path


def test_missing_column(tmp_path):
    path = _cdr(tmp_path, drop=lambda d: d.drop(columns=["PFI.time"], inplace=True))
    with pytest.raises(InputError, match=r"cdr.tsv: missing required column\(s\) \['PFI.time'\]"):
        clinical.read_cdr(path)


def test_duplicate_patient(tmp_path):
    path = _cdr(tmp_path, dup=lambda d: d.loc.__setitem__((1, "bcr_patient_barcode"), d.loc[0, "bcr_patient_barcode"]))
    with pytest.raises(InputError, match="duplicate patient barcode"):
        clinical.read_cdr(path)


def test_non_numeric_endpoint(tmp_path):
    path = _cdr(
        tmp_path, bad=lambda d: d.__setitem__("OS.time", d["OS.time"].astype(object).where(d.index != 2, "soon"))
    )
    with pytest.raises(InputError, match="column 'OS.time' has non-numeric value.*'soon'"):
        clinical.read_cdr(path)


def test_not_available_markers_become_missing(tmp_path):
    path = _cdr(
        tmp_path,
        na=lambda d: d.__setitem__("DFI.time", d["DFI.time"].astype(object).where(d.index != 0, "[Not Available]")),
    )
    assert pd.isna(clinical.read_cdr(path)["DFI.time"].iloc[0])


def test_corrupt_workbook(tmp_path):
    path = tmp_path / "TCGA-CDR-SupplementalTableS1.xlsx"
    path.write_bytes((DATA / "cdr_excerpt.xlsx").read_bytes()[:3000])
    with pytest.raises(InputError, match="TCGA-CDR-SupplementalTableS1.xlsx.*truncated or corrupt"):
        clinical.read_cdr(path)


@pytest.mark.parametrize("name", ["TCGA-CDR-SupplementalTableS1.xlsx", "Genetic_Ancestry.xlsx", "cdr.tsv.gz"])
def test_html_page_saved_as_a_clinical_table_says_so(tmp_path, name):
    """A failed download saved under the table's name (a GDC error page as .xlsx, say)."""
    import gzip

    page = b"<!DOCTYPE html>\n<html><body>503 Service Unavailable</body></html>\n"
    path = tmp_path / name
    path.write_bytes(gzip.compress(page) if name.endswith(".gz") else page)
    reader = clinical.read_ancestry if name.startswith("Genetic") else clinical.read_cdr
    with pytest.raises(InputError, match=rf"{name}: is an HTML page, not a data file"):
        reader(path)
