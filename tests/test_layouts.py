"""Gene layouts, train-only scaling and image tensors."""

import gzip
import io
import sqlite3
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from tcgatl.errors import ConfigError, InputError
from tcgatl.pancancer import assignment, genome, layouts

DATA = Path(__file__).resolve().parent / "data"


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


@pytest.mark.parametrize("assignment_", ["unique", "snap"])
@pytest.mark.parametrize("method", ["tsne", "kpca"])
def test_similarity_puts_co_expressed_genes_together(method, assignment_):
    x = _co_expressed()
    table, shape = layouts.similarity(x, seed=0, method=method, assignment=assignment_)
    assert shape == (9, 9) and table["row"].between(0, 8).all() and table["col"].between(0, 8).all()
    pos = table.set_index("gene")[["row", "col"]].astype(float)
    m1 = pos[pos.index.str.startswith("M1_")]
    m2 = pos[pos.index.str.startswith("M2_")]
    within = np.linalg.norm(m1 - m1.mean(), axis=1).mean()
    between = np.linalg.norm(m1.mean() - m2.mean())
    assert between > 2 * within


@pytest.mark.parametrize("assignment_", ["unique", "snap"])
def test_similarity_is_seeded_and_uses_only_the_given_samples(assignment_):
    x = _co_expressed()
    a, _ = layouts.similarity(x.iloc[:100], seed=1, assignment=assignment_)
    b, _ = layouts.similarity(x.iloc[:100], seed=1, assignment=assignment_)
    pd.testing.assert_frame_equal(a, b)
    # the layout is a function of the training rows it is given: other rows cannot move it
    changed = x.copy()
    changed.iloc[100:] = 0
    c, _ = layouts.similarity(changed.iloc[:100], seed=1, assignment=assignment_)
    pd.testing.assert_frame_equal(a, c)
    d, _ = layouts.similarity(x.iloc[:60], seed=1, assignment=assignment_)  # other training rows do
    assert not d[["row", "col"]].equals(a[["row", "col"]])


def _pixels(table, shape):
    return table["row"].to_numpy() * shape[1] + table["col"].to_numpy()


def test_unique_similarity_gives_every_gene_its_own_pixel(caplog):
    x = _co_expressed()
    caplog.set_level("INFO", logger="tcgatl.pancancer.layouts")
    table, shape = layouts.similarity(x, seed=0, assignment="unique")
    assert len(np.unique(_pixels(table, shape))) == x.shape[1] == 80 and shape == (9, 9)
    assert "80 genes on 80 pixels of a 9x9 grid, 0 genes share a pixel" in caplog.text
    assert "mean displacement" in caplog.text
    snapped, _ = layouts.similarity(x, seed=0, assignment="snap")
    assert len(np.unique(_pixels(snapped, shape))) < 60  # the co-expressed modules pile up when snapped
    # A larger grid leaves padding where the embedding is sparse; still one gene per pixel.
    big, big_shape = layouts.similarity(x, seed=0, grid=14, assignment="unique")
    assert big_shape == (14, 14) and len(np.unique(_pixels(big, big_shape))) == 80


def test_unique_similarity_rejects_a_grid_with_fewer_pixels_than_genes():
    with pytest.raises(ConfigError, match=r"pancancer.grid_size=8 gives 64 pixels for 80 genes.*at least 9"):
        layouts.similarity(_co_expressed(), seed=0, grid=8, assignment="unique")
    table, _ = layouts.similarity(_co_expressed(), seed=0, grid=8, assignment="snap")  # snap averages instead
    assert len(table) == 80


def test_assignment_recovers_points_that_already_sit_on_distinct_cells():
    rng = np.random.default_rng(3)
    cells = np.array([(r, c) for r in range(30) for c in range(30)])[rng.permutation(900)[:850]]
    pos = cells[:, ::-1] + rng.uniform(-0.3, 0.3, size=cells.shape)  # x = col, y = row, jittered
    got, _ = assignment.unique_cells(pos, (30, 30))
    np.testing.assert_array_equal(got, cells)


def _blobs(n=1000, k=10, side=32, seed=0):
    """k tight clusters of points of unequal size in a side x side grid's coordinates."""
    rng = np.random.default_rng(seed)
    centres = rng.uniform(4, side - 4, size=(k, 2))
    label = rng.choice(k, size=n, p=rng.dirichlet(np.ones(k) * 3))
    return centres[label] + rng.normal(scale=1.5, size=(n, 2)), label


def _same_label_neighbours(cells, label, shape):
    """Fraction of horizontally or vertically adjacent occupied cells holding the same cluster."""
    grid = np.full(shape, -1)
    grid[cells[:, 0], cells[:, 1]] = label
    pairs = [(grid[:, :-1], grid[:, 1:]), (grid[:-1, :], grid[1:, :])]
    same = sum(((a == b) & (a >= 0)).sum() for a, b in pairs)
    both = sum(((a >= 0) & (b >= 0)).sum() for a, b in pairs)
    return same / both


def test_assignment_is_near_the_exact_optimum_and_keeps_clusters_contiguous():
    from scipy.optimize import linear_sum_assignment

    pos, label = _blobs()
    shape = (32, 32)
    start = assignment.partition_cells(pos, shape)
    cells, passes = assignment.refine(pos, start, shape)
    assert len(np.unique(cells[:, 0] * 32 + cells[:, 1])) == len(pos)  # one point per cell
    ours = assignment.total_cost(pos, cells)
    assert ours <= assignment.total_cost(pos, start)  # refinement never worsens
    # The global optimum (one 1000 x 1024 assignment, affordable at this size)
    ids = np.arange(32 * 32)
    _, ci = linear_sum_assignment(assignment._sq_cost(pos, ids // 32, ids % 32))
    best = np.c_[ids[ci] // 32, ids[ci] % 32]
    assert ours <= 1.05 * assignment.total_cost(pos, best)
    flat = np.random.default_rng(0).permutation(32 * 32)[: len(pos)]
    random = np.c_[flat // 32, flat % 32]
    assert assignment.displacement(pos, cells).mean() < 0.5 * assignment.displacement(pos, random).mean()
    assert _same_label_neighbours(cells, label, shape) > 0.95 * _same_label_neighbours(best, label, shape)
    assert _same_label_neighbours(random, label, shape) < 0.3
    again, _ = assignment.refine(pos, assignment.partition_cells(pos, shape), shape)
    np.testing.assert_array_equal(cells, again)  # deterministic


def test_chromosome_layout_follows_the_genome_and_puts_unknown_genes_last(caplog):
    genes = pd.read_csv(DATA / "rnaseq_excerpt.geneExp.tsv.gz", sep="\t", usecols=[0]).iloc[:, 0]
    caplog.set_level("INFO", logger="tcgatl.pancancer.layouts")
    table, shape = layouts.chromosome(genes)
    assert shape == (18, 18) and len(table) == 290  # 17 x 17 = 289
    assert list(zip(table.row[:3], table.col[:3])) == [(0, 0), (0, 1), (0, 2)]
    order = table["gene"].tolist()
    # Positions in org.Hs.eg.db 3.16.0 (GRCh38): NOC2L chr1:944,202 is the first gene of the excerpt;
    # MLH1 3:36,993,349; YWHAE 17:1,344,274 before VAMP2 17:8,159,146; X then Y last of the known.
    assert order[0] == "NOC2L|26155" and order[1] == "VWA1|64856"
    assert order.index("MLH1|4292") < order.index("YWHAE|7531") < order.index("VAMP2|6844")
    known = order[:280]
    assert known[-11:] == [
        "ARSF|416", "PNPLA4|8228", "SMPX|23676", "WAS|7454", "ALAS2|212", "MED12|9968", "GLA|2717",
        "HSFX2|100130086", "DUSP9|1852", "HSFY2|159119", "TTTY10|246119",
    ]  # fmt: skip
    # 10 genes have no position (unknown symbols, retired Entrez ids): last, by symbol then Entrez id.
    assert order[280:] == [
        "?|10357", "?|10431", "?|100130426", "?|100133144", "CYorf15B|84663", "LOC100286793|100286793",
        "LOC401052|401052", "SNHG3-RCC1|751867", "TBC1D29|26083", "TUBB4Q|56604",
    ]  # fmt: skip
    assert "10 of 290 genes have no known position" in caplog.text
    pos = genome.gene_positions().set_index("entrez").reindex(table["entrez"][:280])
    key = list(zip(genome.chromosome_rank(pos["chromosome"]), pos["start"]))
    assert key == sorted(key)


def test_chromosome_layout_orders_known_genes_and_ids_without_entrez():
    table, shape = layouts.chromosome(["BRCA1|672", "A1BG|1", "TP53|7157", "A2M|2", "hsa-mir-21", "BRCA2|675"])
    # A2M 12:9,067,707; BRCA2 13:32,315,507; TP53 17:7,668,401; BRCA1 17:43,044,294; A1BG 19:58,345,182
    assert table["gene"].tolist() == ["A2M|2", "BRCA2|675", "TP53|7157", "BRCA1|672", "A1BG|1", "hsa-mir-21"]
    assert shape == (3, 3)


def _orgdb(path, rows):
    con = sqlite3.connect(path)
    con.executescript(
        "CREATE TABLE genes (_id INTEGER, gene_id TEXT);"
        "CREATE TABLE chromosome_locations (_id INTEGER, seqname TEXT, start_location INTEGER, end_location INTEGER);"
    )
    for i, (entrez, locs) in enumerate(rows.items()):
        con.execute("INSERT INTO genes VALUES (?, ?)", (i, entrez))
        con.executemany("INSERT INTO chromosome_locations VALUES (?, ?, ?, ?)", [(i, s, a, a) for s, a in locs])
    con.commit()
    con.close()


def test_positions_from_orgdb_keeps_primary_chromosomes_first_and_smallest_start(tmp_path):
    _orgdb(
        tmp_path / "org.sqlite",
        {
            "10": [("12", -5000), ("12", -4000)],  # minus strand: absolute value, smallest start
            "2": [("X", 300), ("Y", 100)],  # pseudo-autosomal: X before Y
            "3": [("6_GL000251v2_alt", 10)],  # only on an alternate haplotype: no position
            "4": [("6_GL000251v2_alt", 10), ("6", 900)],
        },
    )
    t = genome.positions_from_orgdb(tmp_path / "org.sqlite")
    assert t.values.tolist() == [["2", "X", 300], ["4", "6", 900], ["10", "12", 4000]]
    with pytest.raises(InputError, match="nope.sqlite: no such file"):
        genome.positions_from_orgdb(tmp_path / "nope.sqlite")
    (tmp_path / "empty.sqlite").write_bytes(b"")
    with pytest.raises(InputError, match="empty.sqlite: not an org.Hs.eg.db database"):
        genome.positions_from_orgdb(tmp_path / "empty.sqlite")


def test_shipped_gene_positions_cover_the_ebpp_genes():
    from tcgatl.inputs.reference import ebpp_gene_ids

    t = genome.gene_positions()
    assert t["entrez"].is_unique and set(t["chromosome"]) <= set(genome.CHROMOSOMES) and (t["start"] > 0).all()
    ebpp = layouts.split_gene_id(ebpp_gene_ids())["entrez"]
    assert ebpp.isin(t["entrez"]).sum() == 20316  # of 20,531; see data/gene_positions.README.md
    bad = gzip.compress(b"entrez\tstart\n1\t5\n")
    with pytest.raises(InputError, match="x.tsv.gz: not a gene-position table"):
        genome.read_positions(io.BytesIO(bad), source="x.tsv.gz")


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


def test_flat_pixels_index_each_genes_value_in_the_flattened_image():
    # A 2x3 grid (width != height, so swapping row and column or height and width shows).
    genes = ["A|1", "B|2", "C|3", "D|4"]
    layout = layouts._table(genes, [1, 0, 1, 0], [2, 1, 0, 0])
    x = pd.DataFrame([[1.0, 2.0, 3.0, 4.0], [5.0, 6.0, 7.0, 8.0]], columns=genes)
    scaling = pd.DataFrame({"gene": genes, "min": 0.0, "max": 10.0})
    flat = layouts.flat_pixels(layout, (2, 3))
    assert flat.dtype == np.int64 and flat.tolist() == [5, 1, 3, 0]
    img = layouts.images(x, scaling, layout, (2, 3))
    np.testing.assert_allclose(img.reshape(len(x), -1)[:, flat], layouts.scale(x, scaling))
    with pytest.raises(InputError, match="cells outside its 2x2 grid"):
        layouts.flat_pixels(layout, (2, 2))


def test_layout_roundtrip(tmp_path):
    table, shape = layouts.alphabetical(["B|2", "A|1", "C|3"])
    layouts.write_layout(table, shape, tmp_path / "l.parquet")
    back, back_shape = layouts.read_layout(tmp_path / "l.parquet")
    assert back_shape == shape
    pd.testing.assert_frame_equal(back, table)
