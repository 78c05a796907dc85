"""Streaming the methylation matrix: only the cohort's columns, a correct running top-k."""

import numpy as np
import pandas as pd
import pytest

from tcgatl.errors import InputError
from tcgatl.inputs import clinical, matrix, methylation


@pytest.fixture(autouse=True, params=["c", "arrow"])
def backend(request, monkeypatch):
    """Every test runs with the C parser and with the pyarrow fallback."""
    if request.param == "arrow":
        monkeypatch.setattr(matrix, "_tsvparse", None)
    elif matrix._tsvparse is None:
        pytest.skip("C parser not compiled")
    return request.param


QC = dict(sample_types=["01", "03"], drop_do_not_use=True, drop_pathology_excluded=True, label_source="cdr", types=[])


def test_streamed_top_variance_equals_in_memory_answer(demo_raw):
    paths, _ = demo_raw
    full = pd.read_csv(paths["methylation"], sep="\t", index_col=0)
    cols = [c for c in full.columns if c[13:15] == "01"][:50]
    # a small block forces many batches through the running top-k
    x, stats = methylation.stream_top_variance(
        paths["methylation"], cols, top=40, max_missing=0.05, chunk_bytes=1 << 14
    )
    sub = full[cols].astype("float32")
    ok = sub.isna().mean(axis=1) <= 0.05
    var = sub[ok].var(axis=1, ddof=0)
    expected = var.sort_values(ascending=False, kind="stable").index[:40]
    assert list(x.columns) == list(expected)
    assert x.index.tolist() == cols
    np.testing.assert_array_equal(x.to_numpy(), sub.loc[expected].T.to_numpy())
    assert stats["features"] == len(full) and stats["too_many_missing"] == int((~ok).sum())


def test_cohort_restriction_and_qc(demo_raw):
    paths, _ = demo_raw
    cdr = clinical.read_cdr(paths["clinical"])
    x, samples, stats = methylation.build(paths["methylation"], cdr=cdr, qc=QC, cancer_type="BRCA", top=25)
    kept = samples[samples.status == "kept"]
    assert set(kept.label) == {"BRCA"} and x.shape == (len(kept), 25)
    assert (samples.status == "type_not_selected").sum() > 0  # the LUAD columns
    assert (samples.status == "sample_type_not_selected").sum() > 0  # normals


def _write(tmp_path, text):
    p = tmp_path / "meth.tsv"
    p.write_text(text)
    return p


HEADER = "Composite Element REF\tTCGA-AA-0001-01A-11D-A001-05\tTCGA-AA-0002-01A-11D-A001-05\n"
COLS = ["TCGA-AA-0001-01A-11D-A001-05", "TCGA-AA-0002-01A-11D-A001-05"]


def test_non_numeric_beta(tmp_path):
    p = _write(tmp_path, HEADER + "cg1\t0.1\t0.2\ncg2\t0.3\thigh\n")
    with pytest.raises(InputError, match=r"meth.tsv: cannot be parsed \(a non-numeric cell\)"):
        methylation.stream_top_variance(p, COLS, top=5)


@pytest.mark.parametrize("backend", ["c", "arrow"])
def test_infinite_beta_and_no_rows(tmp_path, monkeypatch, backend):
    if backend == "arrow":
        monkeypatch.setattr(matrix, "_tsvparse", None)
    p = _write(tmp_path, HEADER + "cg1\t0.1\t0.2\ncg2\t0.3\tinf\n")
    with pytest.raises(InputError, match=r"meth.tsv: .*infinite.*(column|at cg2)"):
        methylation.stream_top_variance(p, COLS, top=5)
    with pytest.raises(InputError, match=r"meth.tsv: has a header but no CpG rows"):
        methylation.stream_top_variance(_write(tmp_path, HEADER), COLS, top=5)


def test_truncated_methylation(tmp_path):
    p = _write(tmp_path, HEADER + "cg1\t0.1\t0.2\ncg2\t0.3")
    with pytest.raises(InputError, match="meth.tsv: cannot be parsed"):
        methylation.stream_top_variance(p, COLS, top=5)


def test_duplicate_cpg_across_blocks(tmp_path):
    rows = "".join(f"cg{i:08d}\t{i % 7 / 10}\t{i % 5 / 10}\n" for i in range(3000))
    p = _write(tmp_path, HEADER + rows + "cg00000001\t0.5\t0.5\n")
    with pytest.raises(InputError, match="meth.tsv: duplicate feature id.*cg00000001"):
        methylation.stream_top_variance(p, COLS, top=5, chunk_bytes=1 << 12)


def test_missing_cohort_column(tmp_path):
    p = _write(tmp_path, HEADER + "cg1\t0.1\t0.2\n")
    with pytest.raises(InputError, match="meth.tsv: missing column"):
        methylation.stream_top_variance(p, COLS + ["TCGA-AA-0003-01A-11D-A001-05"], top=5)


@pytest.mark.parametrize("gz", [False, True], ids=["tsv", "gz"])
def test_progress_says_the_rows_read_and_the_time_left(tmp_path, monkeypatch, caplog, gz):
    """The file's bytes (compressed, for a .gz) measure the work, so lines give a time left; the
    count is of the rows read, the ones left out for missing values included."""
    import functools
    import gzip
    import itertools
    import logging

    from tcgatl.progress import Progress

    rng = np.random.default_rng(0)
    n_rows, n_cols = 3000, 40
    cols = [f"TCGA-AA-{i:04d}-01A-11D-A001-05" for i in range(n_cols)]
    beta = rng.random((n_rows, n_cols)).round(6).astype(str)
    beta[::3, :] = "NA"  # a third of the rows too often missing: read, then left out
    text = "ID\t" + "\t".join(cols) + "\n" + "".join(f"cg{i:08d}\t" + "\t".join(r) + "\n" for i, r in enumerate(beta))
    path = tmp_path / ("meth.tsv.gz" if gz else "meth.tsv")
    if gz:
        with gzip.open(path, "wt", compresslevel=1) as fh:
            fh.write(text)
    else:
        path.write_text(text)
    # Lines come in whole MB: a smaller "MB" makes a file of a few hundred kB one of several.
    monkeypatch.setattr(methylation, "MB", 50_000)
    total_mb = -(-path.stat().st_size // methylation.MB)
    assert total_mb >= 5
    # A minute passes at each reading of the clock: every update is due by time.
    clock = functools.partial(next, itertools.count(0, 60))
    monkeypatch.setattr(methylation, "Progress", functools.partial(Progress, clock=clock))
    with caplog.at_level(logging.INFO, logger=methylation.log.name):
        _, stats = methylation.stream_top_variance(path, cols, top=10, chunk_bytes=1 << 14)
    lines = [r.getMessage() for r in caplog.records if r.getMessage().startswith("methylation: ")]
    assert stats["features"] == n_rows and stats["too_many_missing"] == 1000
    assert lines[-1].startswith(f"methylation: {n_rows:,} rows of {path.name} read ({total_mb}/{total_mb} MB in ")
    before_the_end = [line for line in lines[:-1] if " left)" in line]
    assert len(before_the_end) >= 2, lines
    assert all(f"/{total_mb} MB, " in line and " per MB, about " in line for line in before_the_end), lines
    rows_before = [int(line.split(" rows")[0].removeprefix("methylation: ").replace(",", "")) for line in lines]
    assert rows_before == sorted(rows_before) and rows_before[0] < n_rows
