"""Gene layouts, train-only scaling and image tensors."""

import numpy as np
import pandas as pd
import pytest

from tcgatl.errors import InputError
from tcgatl.pancancer import layouts


def test_alphabetical_sorts_by_symbol_and_pads_to_square():
    genes = ["TP53|7157", "?|100130426", "A1BG|1", "BRCA1|672", "a2m|2"]
    table, shape = layouts.alphabetical(genes)
    assert shape == (3, 3)
    assert table["gene"].tolist() == ["?|100130426", "A1BG|1", "a2m|2", "BRCA1|672", "TP53|7157"]
    assert list(zip(table.row, table.col)) == [(0, 0), (0, 1), (0, 2), (1, 0), (1, 1)]
    assert table.loc[table.gene == "TP53|7157", ["symbol", "entrez"]].values.tolist() == [["TP53", "7157"]]
    assert layouts.alphabetical([f"G{i}|{i}" for i in range(16)])[1] == (4, 4)  # exact squares are not padded


def test_min_area_rotation_aligns_a_rotated_rectangle():
    rng = np.random.default_rng(0)
    pts = rng.uniform([0, 0], [10, 1], size=(500, 2))
    a = np.deg2rad(30)
    rot = np.array([[np.cos(a), -np.sin(a)], [np.sin(a), np.cos(a)]])
    aligned = (pts @ rot.T) @ layouts.min_area_rotation(pts @ rot.T).T
    spans = sorted(np.ptp(aligned, axis=0))
    assert spans[0] == pytest.approx(1, abs=0.05) and spans[1] == pytest.approx(10, abs=0.1)


def _co_expressed(n_samples=120, seed=0):
    """Two modules of co-expressed genes plus noise genes."""
    rng = np.random.default_rng(seed)
    f1, f2 = rng.normal(size=(2, n_samples))
    cols = {}
    for i in range(20):
        cols[f"M1_{i}|{i}"] = f1 + 0.1 * rng.normal(size=n_samples)
        cols[f"M2_{i}|{100 + i}"] = f2 + 0.1 * rng.normal(size=n_samples)
    for i in range(40):
        cols[f"N{i}|{200 + i}"] = rng.normal(size=n_samples)
    return pd.DataFrame(cols)


@pytest.mark.parametrize("method", ["tsne", "kpca"])
def test_similarity_puts_co_expressed_genes_together(method):
    x = _co_expressed()
    table, shape = layouts.similarity(x, seed=0, method=method)
    assert shape == (9, 9) and table["row"].between(0, 8).all() and table["col"].between(0, 8).all()
    pos = table.set_index("gene")[["row", "col"]].astype(float)
    m1 = pos[pos.index.str.startswith("M1_")]
    m2 = pos[pos.index.str.startswith("M2_")]
    within = np.linalg.norm(m1 - m1.mean(), axis=1).mean()
    between = np.linalg.norm(m1.mean() - m2.mean())
    assert between > 2 * within


def test_similarity_is_seeded_and_uses_only_the_given_samples():
    x = _co_expressed()
    a, _ = layouts.similarity(x.iloc[:100], seed=1)
    b, _ = layouts.similarity(x.iloc[:100], seed=1)
    pd.testing.assert_frame_equal(a, b)
    # the layout is a function of the training rows it is given: other rows cannot move it
    changed = x.copy()
    changed.iloc[100:] = 0
    c, _ = layouts.similarity(changed.iloc[:100], seed=1)
    pd.testing.assert_frame_equal(a, c)


def test_scaling_fitted_on_train_and_clipped():
    train = pd.DataFrame({"a|1": [0.0, 10.0], "b|2": [2.0, 4.0]})
    test = pd.DataFrame({"a|1": [5.0, 20.0], "b|2": [3.0, -1.0]})
    g = layouts.fit_scaling(train, "global")
    assert g["min"].tolist() == [0, 0] and g["max"].tolist() == [10, 10]
    np.testing.assert_allclose(layouts.scale(test, g), [[0.5, 0.3], [1.0, 0.0]])
    p = layouts.fit_scaling(train, "per_gene")
    np.testing.assert_allclose(layouts.scale(test, p), [[0.5, 0.5], [1.0, 0.0]])


def test_images_place_each_gene_on_its_pixel_and_average_shared_pixels(tmp_path):
    x = pd.DataFrame([[1.0, 3.0, 5.0]], columns=["A|1", "B|2", "C|3"])
    scaling = pd.DataFrame({"gene": x.columns, "min": 0.0, "max": 10.0})
    layout = layouts._table(x.columns, [0, 1, 1], [1, 0, 0])  # B and C share pixel (1, 0)
    layouts.to_images(x, scaling, layout, (2, 2), tmp_path / "img.npy")
    img = np.load(tmp_path / "img.npy", mmap_mode="r")
    np.testing.assert_allclose(img[0], [[0.0, 0.1], [0.4, 0.0]])
    with pytest.raises(InputError, match="1 gene.* not in the layout"):
        layouts.pixel_map(layout, (2, 2), ["A|1", "B|2", "Z|9"])


def test_layout_roundtrip(tmp_path):
    table, shape = layouts.alphabetical(["B|2", "A|1", "C|3"])
    layouts.write_layout(table, shape, tmp_path / "l.parquet")
    back, back_shape = layouts.read_layout(tmp_path / "l.parquet")
    assert back_shape == shape
    pd.testing.assert_frame_equal(back, table)
