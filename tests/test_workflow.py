"""The Snakemake workflow run as a user runs it, in a temporary directory."""
import json

import numpy as np
import pandas as pd
import pyarrow.parquet as pq
import pytest
import yaml

from conftest import ROOT, SHARED, needs_shared, run_snakemake
from tcgatl.io import read_matrix

DEMO = str(ROOT / "config" / "demo.yaml")
STAGE_RULES = [
    "demo_data", "clinical_table", "expression_features", "mirna_features", "methylation_features",
    "pancancer_split", "gene_layout", "gene_images", "train_backbone", "evaluate_backbone", "baseline_logreg",
    "integrated_gradients", "motlab_cohort", "motlab_labels", "motlab_evaluate", "motlab_final_model",
    "motlab_summary", "metrics_report",
]


@pytest.fixture(scope="module")
def demo_run(tmp_path_factory):
    wd = tmp_path_factory.mktemp("demo_run")
    r = run_snakemake(["features", "--cores", "2", "--configfile", DEMO], wd)
    assert r.returncode == 0, r.stderr[-3000:]
    return wd


def test_data_path_outputs(demo_run):
    res = demo_run / "results"
    x = read_matrix(res / "features" / "mrna.parquet")
    schema = pq.read_schema(res / "features" / "mrna.parquet")
    assert schema.field(1).type == "float" and schema.names[0] == "barcode"
    assert x.shape[0] > 300 and x.shape[1] > 1500
    assert np.isfinite(x.to_numpy()).all()
    labels = pd.read_csv(res / "features" / "mrna.labels.tsv", sep="\t")
    assert labels["barcode"].tolist() == x.index.tolist()
    assert labels["patient"].is_unique
    truth = json.loads((res / "demo" / "raw" / "ground_truth" / "truth.json").read_text())
    assert set(labels["label"]) == set(truth["params"]["types"])
    qc = pd.read_csv(res / "features" / "mrna.qc.tsv", sep="\t").set_index("status")["samples"]
    assert qc["do_not_use"] == truth["rna_do_not_use"]
    assert qc["sample_type_not_selected"] == truth["rna_aliquots"]["normal"]  # demo keeps 01/03/06
    assert qc.sum() == sum(truth["rna_aliquots"].values())
    cdr = pd.read_parquet(res / "clinical" / "cdr.parquet")
    assert {"type", "race", "PFI", "PFI.time", "DSS", "OS", "DFI"} <= set(cdr.columns)
    for rule in ("demo_data", "expression_features", "clinical_table"):
        assert list((res / "logs").glob(f"{rule}.log")) and list((res / "benchmarks").glob(f"{rule}.tsv"))


def test_rerun_does_nothing(demo_run):
    r = run_snakemake(["features", "--cores", "2", "--configfile", DEMO], demo_run)
    assert r.returncode == 0
    assert "Nothing to be done" in r.stdout + r.stderr


def test_dry_run_lays_out_every_stage(tmp_path):
    for cfg in ([], ["--configfile", DEMO]):
        r = run_snakemake(["-n", "--cores", "1", *cfg], tmp_path, timeout=300)
        assert r.returncode == 0, r.stderr[-2000:]
        for rule in STAGE_RULES:
            if rule == "demo_data" and not cfg:
                continue
            assert f"rule {rule}:" in r.stdout, rule
    r = run_snakemake(["-n", "--cores", "1"], tmp_path, timeout=300)
    assert "rule download_gdc:" in r.stdout and "rule demo_data:" not in r.stdout


def test_unimplemented_stage_fails_loudly_without_outputs(demo_run):
    r = run_snakemake(["results/pancancer/split.tsv", "--cores", "1", "--configfile", DEMO], demo_run)
    assert r.returncode != 0
    assert "Stage 'pan-cancer split' is not implemented yet (tracked in issue #4)" in r.stderr + r.stdout
    assert not (demo_run / "results" / "pancancer" / "split.tsv").exists()


@pytest.mark.parametrize("cfg", [[], ["--configfile", DEMO]], ids=["full", "demo"])
def test_lint_is_clean(tmp_path, cfg):
    r = run_snakemake(["--lint", *cfg], tmp_path, timeout=300)
    assert r.returncode == 0 and "Lints for" not in r.stdout + r.stderr, r.stdout[-3000:]


def test_missing_local_input_names_file_and_source(tmp_path):
    cfg = {"inputs": {"expression": {"path": "raw/EBPlusPlus.tsv", "gdc_id": "3586c0da-64d0-4b74-a449-5ff4d9136611"}}}
    (tmp_path / "c.yaml").write_text(yaml.safe_dump(cfg))
    r = run_snakemake(["-n", "--cores", "1", "--configfile", str(tmp_path / "c.yaml")], tmp_path, timeout=120)
    assert r.returncode != 0
    out = r.stderr + r.stdout
    assert "inputs.expression.path: file raw/EBPlusPlus.tsv does not exist" in out
    assert "https://api.gdc.cancer.gov/data/3586c0da-64d0-4b74-a449-5ff4d9136611" in out


@needs_shared
def test_real_data_smoke_run(tmp_path):
    cfg = {
        "inputs": {
            "expression": {"path": str(SHARED / "rnaseq_6cohorts.geneExp.tsv.gz")},
            "clinical": {"path": str(SHARED / "TCGA-CDR-SupplementalTableS1.xlsx")},
            "sample_quality": {"path": None, "gdc_id": None},
        },
    }
    (tmp_path / "real.yaml").write_text(yaml.safe_dump(cfg))
    r = run_snakemake(["features", "--cores", "2", "--configfile", str(tmp_path / "real.yaml")], tmp_path)
    assert r.returncode == 0, r.stderr[-3000:]
    x = read_matrix(tmp_path / "results" / "features" / "mrna.parquet")
    labels = pd.read_csv(tmp_path / "results" / "features" / "mrna.labels.tsv", sep="\t")
    assert set(labels["label"]) == {"ACC", "CHOL", "DLBC", "STAD", "UCS", "UVM"}
    assert x.shape[0] == len(labels) > 290 and x.shape[1] > 15000
    qc = pd.read_csv(tmp_path / "results" / "features" / "mrna.qc.tsv", sep="\t").set_index("status")["samples"]
    assert qc["sample_type_not_selected"] == 13  # the 13 solid-normal aliquots
