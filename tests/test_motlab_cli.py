"""The original-format command line, and a smoke run on the real BRCA mini-set."""

import argparse

import numpy as np
import pandas as pd
import pytest
from configured import section
from configured import settings as motlab_settings
from conftest import SHARED, needs_shared

from tcgatl.inputs import clinical
from tcgatl.motlab import cli, cohort, labels, net
from tcgatl.motlab.evaluate import Data, auroc_table, run_scheme
from tcgatl.motlab.schemes import TargetGrid


def _original_folder(tmp_path, demo_raw):
    """The demo's BRCA tumours written as the original's inputs (features x samples CSVs)."""
    paths, _ = demo_raw
    cdr = clinical.read_cdr(paths["clinical"])
    brca = set(cdr.index[cdr["type"] == "BRCA"])
    rng = np.random.default_rng(0)
    d = tmp_path / "in"
    d.mkdir()
    rna = pd.read_csv(paths["expression"], sep="\t", index_col=0)
    cols = [c for c in rna.columns if c[:12] in brca and c[13:15] == "01"]
    rna[cols].fillna(0).clip(lower=0).pipe(np.log1p).to_csv(d / "BRCA_RNA.csv")
    mir = pd.read_csv(paths["mirna"], index_col=0).drop(columns="Correction")
    mir[[c for c in mir.columns if c[:12] in brca and c[13:15] == "01"]].to_csv(d / "BRCA_miRNA.csv")
    # methylation at patient level, as some users have it
    pts = sorted({c[:12] for c in cols})
    pd.DataFrame(rng.random((30, len(pts))), index=[f"cg{i:08d}" for i in range(30)], columns=pts).to_csv(
        d / "BRCA_Methyl.csv"
    )
    (d / "TCGA_CDR.xlsx").write_bytes(paths["clinical"].read_bytes())
    (d / "Genetic_Ancestry.xlsx").write_bytes(paths["ancestry"].read_bytes())
    return d


def test_cli_runs_the_evaluation_on_original_inputs(tmp_path, demo_raw, capsys):
    d = _original_folder(tmp_path, demo_raw)
    out = tmp_path / "out"
    rc = cli.main(
        [
            str(d),
            "--out_path",
            str(out),
            "--cpoint",
            "PFI",
            "--year",
            "3",
            "--folds",
            "2",
            "--repeats",
            "1",
            "--epochs",
            "3",
            "--features_per_layer",
            "10",
            "--schemes",
            "independent,mixture",
        ]
    )
    assert rc == 0, capsys.readouterr().err
    res = out / "PFI_3y"
    summary = pd.read_csv(res / "auroc_summary.tsv", sep="\t")
    assert set(summary["scheme"]) == {"independent", "mixture"}
    assert set(summary["smote"]) == {"smote", "nosmote"}
    assert {"AA", "EA", "EA-AA"} <= set(summary["population"])
    assert summary["mean_auroc"].between(-1, 1).all()
    counts = pd.read_csv(res / "label_counts.tsv", sep="\t")
    assert set(counts["ancestry"]) == {"EA", "AA"}
    for f in ("roc_curves.png", "auroc_by_scheme.png"):
        assert (res / f).read_bytes()[:4] == b"\x89PNG"
    assert pd.read_parquet(res / "oof_predictions.parquet")["prob"].between(0, 1).all()
    assert "mean_auroc" in capsys.readouterr().out


ALL_INPUTS = "BRCA_RNA.csv, BRCA_miRNA.csv, BRCA_Methyl.csv, TCGA_CDR.xlsx"


@pytest.mark.parametrize(
    "ancestry, missing",
    [
        (
            "eigenstrat",
            f"missing {ALL_INPUTS}, Genetic_Ancestry.xlsx: 5 of the 5 original MOTLAB inputs (--ancestry race",
        ),
        ("race", f"missing {ALL_INPUTS}: 4 of the 4 original MOTLAB inputs\n"),
    ],
)
def test_cli_names_every_missing_input_at_once(tmp_path, capsys, ancestry, missing):
    (tmp_path / "in").mkdir()
    rc = cli.main([str(tmp_path / "in"), "--out_path", str(tmp_path / "out"), "--ancestry", ancestry])
    assert rc == 2
    assert _one_line(capsys, tmp_path / "in").startswith(f"motlab: error: {tmp_path / 'in'}: {missing}")


def test_cli_names_only_the_inputs_that_are_missing(tmp_path, capsys):
    d = _tiny_inputs(tmp_path / "in")
    (d / "BRCA_miRNA.csv").unlink()
    assert _run(tmp_path, d) == 2
    err = _one_line(capsys, d, "missing BRCA_miRNA.csv, TCGA_CDR.xlsx, Genetic_Ancestry.xlsx: 3 of the 5")
    assert "BRCA_RNA.csv" not in err and "BRCA_Methyl.csv" not in err


def test_cli_settings_are_the_schemas_with_the_command_line_and_the_originals_target_phase():
    args = argparse.Namespace(features_per_layer=233, weighting="concat", folds=4, repeats=2, epochs=7)
    s = cli.cli_settings(args)
    assert (s.features_per_layer, s.weighting, s.folds, s.repeats, s.hyper.epochs) == (233, "concat", 4, 2, 7)
    assert s.hyper == net.Hyper.from_config({**section("motlab"), "epochs": 7})
    for scheme in ("finetune", "ccsa"):  # one candidate: the source phase's settings
        assert s.target.candidates(scheme) == TargetGrid.fixed(s.hyper).candidates(scheme)


def test_cli_is_a_console_script():
    import tomllib
    from pathlib import Path

    meta = tomllib.loads((Path(__file__).resolve().parents[1] / "pyproject.toml").read_text())
    assert meta["project"]["scripts"]["motlab"] == "tcgatl.motlab.cli:main"


@needs_shared
def test_smoke_real_brca_mini_set():
    """mRNA + miRNA mini-set (patient-level columns) with the real CDR race: every step runs."""
    layers = {
        n: pd.read_csv(SHARED / f"brca_mini_{n}.tsv", sep="\t", index_col=0).T.astype("float32")
        for n in ("mrna", "mirna")
    }
    cdr = clinical.read_cdr(SHARED / "TCGA-CDR-SupplementalTableS1.xlsx")
    table, steps = cohort.build_cohort(layers, cdr, "BRCA")
    assert (table["ancestry"] == "AA").sum() >= 20 and (table["ancestry"] == "EA").sum() >= 50
    lab = labels.cohort_labels(table, cdr, "PFI", 3)
    counts = labels.label_counts(lab)
    assert counts["patients"].sum() == len(table)
    data = Data.from_frames(cohort.patient_frames(layers, table), labels.labelled(lab))
    settings = motlab_settings(features_per_layer=50, folds=3, repeats=1, epochs=10)
    for scheme in ("independent", "finetune"):
        oof, weights = run_scheme(scheme, data, settings, seed=0)
        auc = auroc_table(oof)
        assert auc["auroc"].between(0, 1).all() and len(auc) == 2
        assert np.isclose(weights[["w_mrna", "w_mirna"]].sum(axis=1), 1).all()


def _tiny_inputs(d, rna="id,TCGA-AA-0001-01A\ng1,1.0\n"):
    """The three matrices of the original's inputs, one value each (enough to reach the next file)."""
    d.mkdir(exist_ok=True)
    (d / "BRCA_RNA.csv").write_text(rna)
    (d / "BRCA_miRNA.csv").write_text("id,TCGA-AA-0001-01A\nm1,1.0\n")
    (d / "BRCA_Methyl.csv").write_text("id,TCGA-AA-0001-01A\ncg1,0.5\n")
    return d


def _run(tmp_path, d, *extra):
    return cli.main([str(d), "--out_path", str(tmp_path / "out"), *extra])


def _one_line(capsys, *names):
    err = capsys.readouterr().err
    assert "Traceback" not in err
    assert len(err.strip().splitlines()) == 1, err
    assert err.startswith("motlab: error: ")
    for name in names:
        assert str(name) in err, (name, err)
    return err


def test_cli_names_a_missing_input_folder(tmp_path, capsys):
    assert _run(tmp_path, tmp_path / "nowhere") == 2
    _one_line(capsys, tmp_path / "nowhere", "is not a folder")


@pytest.mark.parametrize(
    "rna, problem",
    [
        ("id,TCGA-AA-0001-01A\ng1,high\n", "non-numeric"),
        ("id\ng1\n", "no sample columns"),
        ("", ""),
    ],
    ids=["not-numeric", "no-samples", "empty"],
)
def test_cli_names_a_bad_matrix(tmp_path, capsys, rna, problem):
    d = _tiny_inputs(tmp_path / "in", rna)
    (d / "TCGA_CDR.xlsx").write_bytes(b"")  # present, as the check for missing inputs wants; read after
    assert _run(tmp_path, d, "--ancestry", "race") == 2
    _one_line(capsys, d / "BRCA_RNA.csv", problem)


def test_cli_names_a_bad_clinical_workbook(tmp_path, capsys):
    d = _tiny_inputs(tmp_path / "in")
    (d / "TCGA_CDR.xlsx").write_bytes(b"PK\x03\x04 cut short")
    assert _run(tmp_path, d, "--ancestry", "race") == 2
    _one_line(capsys, d / "TCGA_CDR.xlsx")


def test_cli_names_a_missing_clinical_workbook(tmp_path, capsys):
    d = _tiny_inputs(tmp_path / "in")
    assert _run(tmp_path, d, "--ancestry", "race") == 2
    _one_line(capsys, d, "missing TCGA_CDR.xlsx: 1 of the 4")


def test_cli_names_a_bad_ancestry_workbook(tmp_path, demo_raw, capsys):
    paths, _ = demo_raw
    d = _tiny_inputs(tmp_path / "in")
    (d / "TCGA_CDR.xlsx").write_bytes(paths["clinical"].read_bytes())
    (d / "Genetic_Ancestry.xlsx").write_text("<html>not found</html>")
    assert _run(tmp_path, d) == 2
    _one_line(capsys, d / "Genetic_Ancestry.xlsx")


def test_cli_names_an_output_folder_it_cannot_write(tmp_path, demo_raw, capsys):
    d = _original_folder(tmp_path, demo_raw)
    (tmp_path / "out").write_text("a file where the output folder should be")
    assert _run(tmp_path, d, "--folds", "2", "--repeats", "1", "--epochs", "1", "--schemes", "independent") == 2
    _one_line(capsys, tmp_path / "out")


def test_cli_says_in_one_line_why_the_data_cannot_be_evaluated(tmp_path, demo_raw, capsys):
    """The library's own ValueError (here: no patient of the cohort in the clinical table's
    BRCA rows) is the data's problem: one line. A ValueError from inside a dependency would
    be a bug and keep its traceback (tcgatl.commandline.raised_by_library)."""
    paths, _ = demo_raw
    d = _tiny_inputs(tmp_path / "in")
    (d / "TCGA_CDR.xlsx").write_bytes(paths["clinical"].read_bytes())
    (d / "Genetic_Ancestry.xlsx").write_bytes(paths["ancestry"].read_bytes())
    assert _run(tmp_path, d, "--schemes", "independent") == 2
    _one_line(capsys)


def test_only_the_library_s_own_value_errors_are_the_user_s():
    from tcgatl.commandline import raised_by_library
    from tcgatl.motlab.evaluate import run_scheme

    try:
        run_scheme("no-such-scheme", None, None, 0)
    except ValueError as exc:
        assert raised_by_library(exc)
    try:
        np.zeros(2).reshape(3)
    except ValueError as exc:
        assert not raised_by_library(exc)
