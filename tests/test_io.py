import numpy as np
import pandas as pd
import pytest

from tcgatl.io import atomic_path, read_matrix, write_matrix


def test_matrix_roundtrip_is_float32_with_barcode_index(tmp_path):
    df = pd.DataFrame(
        np.arange(6, dtype=float).reshape(2, 3),
        index=pd.Index(["b1", "b2"], name="barcode"),
        columns=["A|1", "B|2", "C|3"],
    )
    write_matrix(df, tmp_path / "m.parquet")
    back = read_matrix(tmp_path / "m.parquet")
    assert back.dtypes.unique().tolist() == [np.float32]
    assert back.index.name == "barcode" and back.index.tolist() == ["b1", "b2"]
    assert back.columns.tolist() == ["A|1", "B|2", "C|3"]
    np.testing.assert_array_equal(back.to_numpy(), df.to_numpy())
    assert read_matrix(tmp_path / "m.parquet", columns=["B|2"]).columns.tolist() == ["B|2"]


def test_failed_write_leaves_no_file(tmp_path):
    target = tmp_path / "out.tsv"
    with pytest.raises(RuntimeError):
        with atomic_path(target) as tmp:
            tmp.write_text("partial")
            raise RuntimeError("boom")
    assert list(tmp_path.iterdir()) == []


def test_duplicate_index_refused(tmp_path):
    df = pd.DataFrame([[1.0], [2.0]], index=["b1", "b1"], columns=["g"])
    with pytest.raises(ValueError, match="duplicate"):
        write_matrix(df, tmp_path / "m.parquet")
    assert not (tmp_path / "m.parquet").exists()
