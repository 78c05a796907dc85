"""The original-format command line, and a smoke run on the real BRCA mini-set."""

import argparse

import numpy as np
import pandas as pd
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


def test_cli_names_a_missing_input(tmp_path, capsys):
    (tmp_path / "in").mkdir()
    rc = cli.main([str(tmp_path / "in"), "--out_path", str(tmp_path / "out"), "--cpoint", "OS", "--year", "5"])
    assert rc == 2
    assert "BRCA_RNA.csv: file does not exist" in capsys.readouterr().err


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
