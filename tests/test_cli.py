"""The command-line tools answer every bad input with one line naming the file and the problem
(exit status 2), never a traceback: tcgatl-classify, tcgatl-project, tcgatl-fit-requests (the
MOTLAB command line: test_motlab_cli.py)."""

import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from tcgatl.commandline import describe

GRID = (4, 4)
GENES = [f"G{i}|{i}" for i in range(GRID[0] * GRID[1])]
CLASSES = ["A", "B", "C"]


def _one_error_line(capsys, *names):
    """The one line on stderr; it names every one of ``names``."""
    err = capsys.readouterr().err
    assert "Traceback" not in err
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    for name in names:
        assert str(name) in lines[0], (name, err)
    return lines[0]


def test_an_os_error_reads_as_the_file_and_the_reason():
    exc = FileNotFoundError(2, "No such file or directory", "in/x.tsv")
    assert describe(exc) == "in/x.tsv: No such file or directory"
    assert describe(ValueError("bad header"), "in/x.tsv") == "in/x.tsv: bad header"


# --- tcgatl-classify -------------------------------------------------------------------------


@pytest.fixture(scope="module")
def checkpoint_dir(tmp_path_factory):
    """A small checkpoint folder (any Keras model on 4x4 gene images does for the command)."""
    import keras

    from tcgatl.pancancer import checkpoint, layouts

    d = tmp_path_factory.mktemp("ck")
    model = keras.Sequential([keras.Input(GRID), keras.layers.Flatten(), keras.layers.Dense(3, activation="softmax")])
    layout, shape = layouts.alphabetical(GENES)
    layouts.write_layout(layout, shape, d / "layout.src.parquet")
    pd.DataFrame({"gene": GENES, "min": 0.0, "max": 1.0}).to_parquet(d / "scaling.src.parquet")
    checkpoint.save(
        {k: d / "ck" / f for k, f in checkpoint.FILES.items()},
        model,
        CLASSES,
        d / "layout.src.parquet",
        d / "scaling.src.parquet",
        {"backbone": "ResNet50", "features": {"negatives": "zero", "missing": "drop_gene", "log2": True}},
    )
    return d / "ck"


@pytest.fixture
def damaged(checkpoint_dir, tmp_path):
    """A copy of the checkpoint folder, to damage."""
    import shutil

    return Path(shutil.copytree(checkpoint_dir, tmp_path / "ck"))


def _raw_table(path, genes=GENES, n=5):
    """A genes x samples EB++-style table."""
    rng = np.random.default_rng(0)
    t = pd.DataFrame(rng.random((len(genes), n)) * 100, index=pd.Index(genes, name="gene_id"))
    t.columns = [f"TCGA-AA-{i:04d}-01A" for i in range(n)]
    t.to_csv(path, sep="\t")
    return path


def classify(capsys, *args):
    from tcgatl.pancancer import checkpoint

    return checkpoint.main([str(a) for a in args])


def test_classify_runs(checkpoint_dir, tmp_path, capsys):
    out = tmp_path / "pred.tsv"
    assert classify(capsys, checkpoint_dir, _raw_table(tmp_path / "t.tsv"), out) == 0
    assert len(pd.read_csv(out, sep="\t")) == 5


@pytest.mark.parametrize(
    "damage, culprit, problem",
    [
        (lambda d: (d / "model.keras").unlink(), "model.keras", "missing"),
        (lambda d: (d / "checkpoint.json").unlink(), "checkpoint.json", "missing"),
        (lambda d: _truncate(d / "model.keras"), "model.keras", "truncated or corrupt"),
        (lambda d: _truncate(d / "checkpoint.json"), "checkpoint.json", "not a checkpoint's metadata"),
        (lambda d: (d / "checkpoint.json").write_text('{"backbone": "VGG19"}'), "checkpoint.json", "'classes'"),
        (lambda d: _truncate(d / "layout.parquet"), "layout.parquet", "truncated or corrupt"),
        (lambda d: _truncate(d / "scaling.parquet"), "scaling.parquet", "truncated or corrupt"),
        (lambda d: _other_grid(d), "ck", "files of different checkpoints"),
    ],
    ids=[
        "no-model",
        "no-metadata",
        "model-cut-short",
        "metadata-cut-short",
        "metadata-without-classes",
        "layout-cut-short",
        "scaling-cut-short",
        "layout-of-another-checkpoint",
    ],
)
def test_classify_names_a_damaged_checkpoint_file(damaged, tmp_path, capsys, damage, culprit, problem):
    damage(damaged)
    rc = classify(capsys, damaged, _raw_table(tmp_path / "t.tsv"), tmp_path / "pred.tsv")
    assert rc == 2
    line = _one_error_line(capsys, culprit, problem)
    assert line.startswith("tcgatl-classify: error: ")
    assert not (tmp_path / "pred.tsv").exists()


def _truncate(path):
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])


def _other_grid(d):
    from tcgatl.pancancer import layouts

    layout, shape = layouts.alphabetical([f"G{i}|{i}" for i in range(25)])
    layouts.write_layout(layout, shape, d / "layout.parquet")


def test_classify_names_a_missing_checkpoint_folder(tmp_path, capsys):
    assert classify(capsys, tmp_path / "nowhere", tmp_path / "t.tsv", tmp_path / "pred.tsv") == 2
    _one_error_line(capsys, tmp_path / "nowhere", "no such folder")


@pytest.mark.parametrize(
    "write_table, problem",
    [
        (None, "does not exist"),
        (lambda p: p.write_text("gene_id\tS1\tS2\nG0|0\t1\tx\n"), "x"),
        (lambda p: _raw_table(p, GENES[:10]), "6 of the model's 16 genes are not in the table"),
        (lambda p: p.write_bytes(b""), ""),
    ],
    ids=["missing", "not-numeric", "genes-missing", "empty"],
)
def test_classify_names_a_bad_table(checkpoint_dir, tmp_path, capsys, write_table, problem):
    table = tmp_path / "t.tsv"
    if write_table:
        write_table(table)
    assert classify(capsys, checkpoint_dir, table, tmp_path / "pred.tsv") == 2
    _one_error_line(capsys, table, problem)


def test_classify_names_a_parquet_that_is_not_one(checkpoint_dir, tmp_path, capsys):
    table = tmp_path / "t.parquet"
    table.write_bytes(b"PAR1 not really")
    assert classify(capsys, checkpoint_dir, table, tmp_path / "pred.tsv") == 2
    _one_error_line(capsys, table)


def test_classify_names_an_output_it_cannot_write(checkpoint_dir, tmp_path, capsys):
    (tmp_path / "file").write_text("")
    out = tmp_path / "file" / "pred.tsv"  # a folder that is a file
    assert classify(capsys, checkpoint_dir, _raw_table(tmp_path / "t.tsv"), out) == 2
    _one_error_line(capsys, tmp_path / "file")


def test_the_installed_command_says_one_line(tmp_path):
    """As a user runs it: the console script, a missing checkpoint file, no traceback."""
    script = Path(sys.executable).parent / "tcgatl-classify"
    (tmp_path / "ck").mkdir()
    r = subprocess.run([str(script), str(tmp_path / "ck"), "t.tsv", "out.tsv"], capture_output=True, text=True)
    assert r.returncode == 2
    assert r.stderr.strip().splitlines() == [
        f"tcgatl-classify: error: {tmp_path / 'ck' / 'model.keras'}: missing: a checkpoint folder needs "
        "model.keras, layout.parquet, scaling.parquet, checkpoint.json"
    ]


@pytest.mark.slow
def test_the_installed_command_keeps_tensorflow_s_notices_out(checkpoint_dir, tmp_path):
    """A real model load by the console script, as a user runs it (no TF_CPP_MIN_LOG_LEVEL set):
    the terminal gets the command's own line only, not TensorFlow's start-up notices (its
    two-line CPU notice among them)."""
    import os

    script = Path(sys.executable).parent / "tcgatl-classify"
    table, out = _raw_table(tmp_path / "t.tsv"), tmp_path / "pred.tsv"
    env = {k: v for k, v in os.environ.items() if k != "TF_CPP_MIN_LOG_LEVEL"}
    r = subprocess.run(
        [str(script), str(checkpoint_dir), str(table), str(out)], capture_output=True, text=True, env=env
    )
    assert r.returncode == 0, r.stderr
    assert r.stderr.strip().splitlines() == [f"5 samples classified -> {out}"]
    # the same command with every notice asked for: they were there to keep out
    r = subprocess.run(
        [str(script), str(checkpoint_dir), str(table), str(out)],
        capture_output=True,
        text=True,
        env=env | {"TF_CPP_MIN_LOG_LEVEL": "0"},
    )
    assert r.returncode == 0 and len(r.stderr.strip().splitlines()) > 1, r.stderr


# --- tcgatl-project --------------------------------------------------------------------------


def project(*args):
    from tcgatl.tools import projection

    return projection.main([str(a) for a in args])


@pytest.mark.parametrize(
    "text, problem",
    [(None, "No such file"), ("pancancer: [1, 2\n", "expected ',' or ']'")],
    ids=["missing", "not-yaml"],
)
def test_project_names_an_unreadable_config(tmp_path, capsys, text, problem):
    cfg = tmp_path / "config.yaml"
    if text is not None:
        cfg.write_text(text)
    assert project("--configfile", cfg, "--startup", 1) == 2
    _one_error_line(capsys, cfg, problem)


def test_project_lists_a_config_s_problems_under_its_name(tmp_path, capsys):
    """A config's errors come all at once, one a line, under one line naming the file."""
    cfg = tmp_path / "config.yaml"
    cfg.write_text("pancancer:\n  backbones: [NoSuchNet]\n")
    assert project("--configfile", cfg, "--startup", 1) == 2
    err = capsys.readouterr().err
    assert "Traceback" not in err
    assert err.startswith("tcgatl-project: error: ") and str(cfg) in err.splitlines()[0]
    assert "NoSuchNet" in err


def test_project_names_a_bad_split_table(tmp_path, capsys):
    import yaml

    from tcgatl.config import defaults

    cfg = tmp_path / "config.yaml"
    cfg.write_text(yaml.safe_dump({"pancancer": defaults()["pancancer"]}))
    split = tmp_path / "split.tsv"
    split.write_text("barcode\tnothing\nS1\tx\n")
    assert project("--configfile", cfg, "--split", split, "--startup", 1) == 2
    _one_error_line(capsys, split)


def test_project_names_a_missing_split_table(tmp_path, capsys):
    import yaml

    from tcgatl.config import defaults

    cfg = tmp_path / "config.yaml"
    cfg.write_text(yaml.safe_dump({"pancancer": defaults()["pancancer"]}))
    assert project("--configfile", cfg, "--split", tmp_path / "split.tsv", "--startup", 1) == 2
    _one_error_line(capsys, tmp_path / "split.tsv")


# --- tcgatl-fit-requests ---------------------------------------------------------------------


def fit_requests(*args):
    from tcgatl.tools import fit_requests

    return fit_requests.main([str(a) for a in args])


def test_fit_requests_names_missing_and_bad_coefficients(tmp_path, capsys):
    (tmp_path / "results").mkdir()
    missing = tmp_path / "nope.yaml"
    assert (
        fit_requests(tmp_path / "results", "--coefficients", missing, "--out", tmp_path / "o.yaml", "--machine", "m")
        == 2
    )
    _one_error_line(capsys, missing)
    bad = tmp_path / "bad.yaml"
    bad.write_text("rules: [1, 2\n")
    assert (
        fit_requests(tmp_path / "results", "--coefficients", bad, "--out", tmp_path / "o.yaml", "--machine", "m") == 2
    )
    _one_error_line(capsys, bad)


def test_fit_requests_names_a_missing_results_folder(tmp_path, capsys):
    assert fit_requests(tmp_path / "nowhere", "--out", tmp_path / "o.yaml", "--machine", "m") == 2
    _one_error_line(capsys, tmp_path / "nowhere")
