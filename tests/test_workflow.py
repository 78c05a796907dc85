"""The Snakemake workflow run as a user runs it, in a temporary directory."""

import gzip
import json
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow.parquet as pq
import pytest
import yaml
from conftest import DATA, ROOT, SHARED, SNAKEMAKE, needs_shared, run_snakemake
from gdc_server import FakeGDC

from tcgatl.inputs.demo_files import FILES as DEMO_FILES
from tcgatl.inputs.gdc import md5sum
from tcgatl.io import read_matrix

# Runs Snakemake end to end: left out of `make test-fast`.
pytestmark = pytest.mark.e2e

DEMO = str(ROOT / "config" / "demo.yaml")
STAGE_RULES = [
    "demo_data",
    "clinical_table",
    "layer_features",
    "methylation_features",
    "pancancer_split",
    "gene_layout",
    "gene_images",
    "train_backbone",
    "evaluate_backbone",
    "baseline_logreg",
    "integrated_gradients",
    "de_ranking",
    "ig_de_agreement",
    "motlab_cohort",
    "motlab_labels",
    "motlab_evaluate",
    "motlab_final_model",
    "motlab_summary",
    "metrics_report",
]


# What the implemented stages produce on the demo (the rest is checked by the dry run).
DONE_TARGETS = [
    "features",
    "results/pancancer/baseline/metrics.json",
    "results/pancancer/alphabetical/images/index.tsv",
    "results/pancancer/similarity/images/index.tsv",
    "results/pancancer/alphabetical/ResNet50/ig/top_genes.tsv",
    "results/pancancer/alphabetical/ResNet50/ig/de_agreement.tsv",
    "results/motlab/auroc_summary.tsv",
    "results/motlab/PFI_3y/finetune_smote/model/preprocessing.json",
]


@pytest.fixture(scope="module")
def demo_run(tmp_path_factory):
    wd = tmp_path_factory.mktemp("demo_run")
    r = run_snakemake([*DONE_TARGETS, "--cores", "2", "--configfile", DEMO], wd)
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
    assert qc["pathology_excluded"] == truth["rna_pathology_excluded"]
    assert qc["sample_type_not_selected"] == truth["rna_normals_unflagged"]  # demo keeps 01/03/06
    assert qc.sum() == sum(truth["rna_aliquots"].values())
    mirna = read_matrix(res / "features" / "mirna.parquet")
    assert mirna.columns.str.startswith("hsa-").all() and "Correction" not in mirna.index
    meth = read_matrix(res / "features" / "methylation.parquet")
    meth_labels = pd.read_csv(res / "features" / "methylation.labels.tsv", sep="\t")
    assert set(meth_labels["label"]) == {"BRCA"} and meth.shape == (len(meth_labels), 500)  # demo top_cpgs
    cdr = pd.read_parquet(res / "clinical" / "cdr.parquet")
    assert {"type", "race", "PFI", "PFI.time", "DSS", "OS", "DFI"} <= set(cdr.columns)
    for name in ("demo_data", "features/mrna", "clinical_table"):
        assert (res / "logs" / f"{name}.log").exists() and (res / "benchmarks" / f"{name}.tsv").exists()


def test_split_and_baseline(demo_run):
    res = demo_run / "results" / "pancancer"
    split = pd.read_csv(res / "split.tsv", sep="\t")
    labels = pd.read_csv(demo_run / "results" / "features" / "mrna.labels.tsv", sep="\t")
    assert set(split["barcode"]) <= set(labels["barcode"])
    assert split["split"].value_counts(normalize=True)["train"] == pytest.approx(0.8, abs=0.03)
    m = json.loads((res / "baseline" / "metrics.json").read_text())
    assert m["metrics"]["accuracy"] > 3 / len(m["classes"])  # far above chance (1/6)
    assert m["n_test"] == (split["split"] == "test").sum()
    pred = pd.read_parquet(res / "baseline" / "predictions.parquet")
    assert set(pred["barcode"]) == set(split.loc[split.split == "test", "barcode"])
    assert np.allclose(pred.filter(like="prob_").sum(axis=1), 1, atol=1e-5)
    table = pd.read_csv(res / "baseline" / "metrics.tsv", sep="\t")
    assert {"accuracy", "macro_f1", "weighted_f1", "ovr_auc"} <= set(table["metric"])


def test_gene_images(demo_run):
    res = demo_run / "results" / "pancancer"
    split = pd.read_csv(res / "split.tsv", sep="\t")
    genes = read_matrix(demo_run / "results" / "features" / "mrna.parquet").shape[1]
    side = int(np.ceil(np.sqrt(genes)))
    for layout in ("alphabetical", "similarity"):
        index = pd.read_csv(res / layout / "images" / "index.tsv", sep="\t")
        for name in ("train", "val", "test"):
            img = np.load(res / layout / "images" / f"{name}.npy", mmap_mode="r")
            rows = index[index.split == name]
            assert img.shape == (len(rows), side, side) and img.dtype == np.float32
            assert rows["barcode"].tolist() == split.loc[split.split == name, "barcode"].tolist()
            assert 0 <= float(img.min()) and float(img.max()) <= 1
        table = pd.read_parquet(res / layout / "layout.parquet")
        assert len(table) == genes and table["gene"].is_unique


def test_backbone_learns_the_planted_types_and_classifies_a_raw_table(demo_run):
    run = demo_run / "results" / "pancancer" / "alphabetical" / "ResNet50"
    m = json.loads((run / "metrics.json").read_text())
    assert m["metrics"]["accuracy"] > 3 / len(m["classes"])  # far above chance (1/6) and the majority (~0.5)
    history = pd.read_csv(run / "history.tsv", sep="\t")
    assert set(history["phase"]) == {"head", "finetune"} and history["kept"].sum() == 1
    assert (demo_run / "results" / "logs" / "pancancer" / "alphabetical" / "ResNet50" / "train.log").read_text().count(
        "head epoch"
    ) == (history["phase"] == "head").sum()
    # One call from the raw EB++ table (linear scale, every aliquot) to the checkpoint's predictions.
    raw = demo_run / "results" / "demo" / "raw" / DEMO_FILES["expression"]
    out = demo_run / "classified.tsv"
    r = subprocess.run(
        [str(Path(sys.executable).parent / "tcgatl-classify"), str(run), str(raw), str(out)],
        capture_output=True,
        text=True,
    )
    assert r.returncode == 0, r.stderr
    classified = pd.read_csv(out, sep="\t").set_index("barcode")
    test = pd.read_parquet(run / "predictions.parquet").set_index("barcode")
    assert (classified.loc[test.index, "predicted"] == test["predicted"]).all()
    probs = test.filter(like="prob_").columns
    np.testing.assert_allclose(classified.loc[test.index, probs], test[probs], atol=1e-4)


def test_integrated_gradients_outputs(demo_run):
    ig_dir = demo_run / "results" / "pancancer" / "alphabetical" / "ResNet50" / "ig"
    genes = pd.read_parquet(ig_dir / "genes.parquet")
    layout = pd.read_parquet(demo_run / "results" / "pancancer" / "alphabetical" / "layout.parquet")
    samples = pd.read_csv(ig_dir / "completeness.tsv", sep="\t")
    assert samples.groupby("class").size().max() <= 3
    # The adaptive rule (the default): each sample within the tolerance or at the cap, and only
    # converged samples in the rankings.
    ok = samples["converged"].astype(bool)
    assert (ok == (samples["completeness_error"] <= 0.05)).all() and ok.mean() >= 0.9
    assert samples["evaluations"].sum() <= 24 * len(samples) and ((samples["evaluations"] - 3) % 3 == 0).all()
    assert (samples["evaluations"] <= 4 * 24).all()
    assert set(genes["class"]) == set(samples.loc[ok, "class"])
    counted = genes.drop_duplicates("class").set_index("class")["n_samples"]
    assert (counted == samples[ok].groupby("class").size()[counted.index]).all()
    for _, g in genes.groupby("class"):
        assert sorted(g["gene"]) == sorted(layout["gene"])  # every gene once, padding never
        assert g["rank"].tolist() == list(range(1, len(g) + 1))
    assert (samples["completeness_error"].median()) < 0.05
    attr = np.load(ig_dir / "attributions.npy")
    assert attr.shape[0] == len(samples)
    top = pd.read_csv(ig_dir / "top_genes.tsv", sep="\t")
    assert top.groupby("class").size().eq(10).all()  # demo ig.top_genes
    for name in ["grid.png"] + [f"classes/{c}.png" for c in samples["class"].unique()]:
        assert (ig_dir / name).read_bytes()[:4] == b"\x89PNG"
    assert (ig_dir / "classes" / f"{samples['class'].iloc[0]}.genes.tsv").exists()
    # The IG ranking checked against the training split's DE ranking, for every explained class.
    agree = pd.read_csv(ig_dir / "de_agreement.tsv", sep="\t").set_index("class")
    split = pd.read_csv(demo_run / "results" / "pancancer" / "split.tsv", sep="\t")
    train = split[split["split"] == "train"]["label"].value_counts()
    assert sorted(agree.index) == sorted(samples["class"].unique())
    assert (agree["n_train_class"] == train[agree.index]).all()  # training samples only
    assert (agree["k"] == 20).all() and np.allclose(agree["chance"], 20 / len(layout))  # demo ig.de_top_k
    assert agree[["spearman", "topk_overlap", "spearman_abs", "topk_overlap_abs"]].notna().all().all()


def test_integrated_gradients_recover_the_planted_markers(demo_run, tmp_path):
    """IG through the workflow's explain path, on a model of the baseline's quality (softmax
    regression on the demo's gene images): each type's top genes are its planted markers."""
    import keras

    from tcgatl.pancancer import checkpoint, explain, training

    pc = demo_run / "results" / "pancancer"
    index = pd.read_csv(pc / "alphabetical" / "images" / "index.tsv", sep="\t")
    classes = sorted(index.loc[index.split == "train", "label"].unique())
    x_train = np.load(pc / "alphabetical" / "images" / "train.npy")
    keras.utils.set_random_seed(0)
    inp = keras.Input(x_train.shape[1:])
    model = keras.Model(inp, keras.layers.Dense(len(classes), activation="softmax")(keras.layers.Flatten()(inp)))
    model.compile(optimizer=keras.optimizers.Adam(1e-2), loss="sparse_categorical_crossentropy")
    model.fit(x_train, training.label_indices(index, "train", classes), epochs=30, batch_size=32, verbose=0)
    ck = tmp_path / "linear"
    checkpoint.save(
        {k: ck / f for k, f in checkpoint.FILES.items()},
        model,
        classes,
        pc / "alphabetical" / "layout.parquet",
        pc / "alphabetical" / "scaling.parquet",
        {"backbone": "softmax regression", "layout": "alphabetical"},
    )
    test = index[index.split == "test"].sort_values("position")
    proba = model.predict(np.load(pc / "alphabetical" / "images" / "test.npy"), verbose=0)
    pred_table = pd.DataFrame(
        {"barcode": test["barcode"], "true": test["label"], "predicted": np.array(classes)[proba.argmax(1)]}
    )
    # The baseline's quality: types outside the demo's confusable pairs (LUAD/LUSC, COAD/READ)
    # almost all right, the pairs near a coin toss between their twins.
    pairs = {"LUAD", "LUSC", "COAD", "READ"}
    right = pred_table["true"] == pred_table["predicted"]
    assert right[~pred_table["true"].isin(pairs)].mean() > 0.9 and right.mean() > 0.65, right.mean()
    pred_table.to_parquet(tmp_path / "predictions.parquet")
    e = explain.explain_checkpoint(
        ck,
        predictions=tmp_path / "predictions.parquet",
        test_images=pc / "alphabetical" / "images" / "test.npy",
        train_images=pc / "alphabetical" / "images" / "train.npy",
        index=pc / "alphabetical" / "images" / "index.tsv",
        matrix=demo_run / "results" / "features" / "mrna.parquet",
        baseline="zero",
        steps=16,
        max_per_class=5,
    )
    markers = pd.read_csv(demo_run / "results" / "demo" / "raw" / DEMO_FILES["markers"], sep="\t")
    # IG explains correctly classified samples only: a type of a confusable pair may have none
    # among its 5 test samples, but every type outside the pairs must be explained.
    explained = set(e.genes["class"])
    paired = set(markers.loc[markers["kind"] == "family", "type"])
    assert set(classes) - paired <= explained and len(explained) >= len(classes) - 1, explained
    for c in sorted(explained):
        # A pair's private markers only tell it from its twin, and weakly (+0.5 log2): the genes
        # that carry a class's probability are its own or its family's shared markers.
        planted = markers[markers["type"] == c]
        k = int((planted["kind"] != "private").sum())
        top = e.genes[(e.genes["class"] == c) & (e.genes["rank"] <= k)]["gene"]
        assert top.isin(set(planted["gene_id"])).mean() >= 0.8, c
    # The same explanation against the training split's DE ranking (rule de_ranking): a model of
    # the baseline's quality agrees with the data far above chance (0.01) for every type. Measured
    # 2026-12-02: Spearman 0.77-0.92, top-20 overlap 0.75-0.80.
    from tcgatl.pancancer import agreement

    agree = agreement.agreement(e.genes, pd.read_parquet(pc / "de" / "genes.parquet"), k=20)
    assert (agree["spearman"] > 0.6).all() and (agree["topk_overlap"] >= 0.5).all(), agree


def test_every_job_asked_what_the_cost_model_gives_for_its_inputs(demo_run):
    """Each job's log records the work measured from its own inputs and what Snakemake asked
    for it: the cost model's request for that work (tcgatl.jobs), not a constant. The local
    run shared the machine's memory between its jobs."""
    from tcgatl.jobs import model
    from tcgatl.tools.runlog import read_run

    jobs = read_run(demo_run / "results")
    costs = model.load()
    assert len(jobs) > 20  # the fixture runs the stages up to IG and MOTLAB (26 jobs)
    for job in jobs:
        assert job.work is not None, job.step
        assert job.logged_request == costs.request(job.rule, job.work), job.step
    train = [j for j in jobs if j.rule == "train_backbone"]
    assert train and all(j.work["cache_mb"] > 0 and j.work["projected_s"] > 0 for j in train)
    log = min((demo_run / ".snakemake" / "log").glob("*.snakemake.log"), key=os.path.getmtime)  # the fixture's run
    machine_mb = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") // 1_000_000
    assert f'Resource("mem_mb", {machine_mb})' in log.read_text() or f"mem_mb={machine_mb}" in log.read_text()


def test_rerun_does_nothing(demo_run):
    r = run_snakemake([*DONE_TARGETS, "--cores", "2", "--configfile", DEMO], demo_run)
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


# The report of the run the fixture trained (one backbone, one layout), with a 2-fold
# cross-validation of it: nothing of the single split is retrained.
ONE_RUN = {"pancancer": {"layouts": ["alphabetical"], "backbones": ["ResNet50"], "cv_folds": 2}}


@pytest.fixture(scope="module")
def report_run(demo_run):
    only = demo_run / "one_backbone.yaml"
    only.write_text(yaml.safe_dump(ONE_RUN))
    r = run_snakemake(["results/report/index.html", "--cores", "2", "--configfile", DEMO, str(only)], demo_run)
    assert r.returncode == 0, r.stderr[-3000:]
    # adding/removing backbones or turning cross-validation on retrains nothing of the split
    assert not re.search(r"\b(train_backbone|gene_layout|pancancer_split)\b", r.stdout + r.stderr)
    return demo_run, [DEMO, str(only)]


def test_metrics_report(report_run):
    from tcgatl import report
    from tcgatl.config import validate

    wd, configs = report_run
    out = wd / "results" / "report"
    cfg = validate(yaml.safe_load(Path(DEMO).read_text()) | ONE_RUN)
    declared = {rel for rel, _, _ in report.output_files(report.Sources(cfg))} | set(report.DOCUMENTS.values())
    assert {p.relative_to(out).as_posix() for p in out.rglob("*") if p.is_file()} == declared

    metrics = pd.read_csv(out / "tables" / "pancancer_metrics.tsv", sep="\t").set_index("model")
    run = json.loads((wd / "results" / "pancancer" / "alphabetical" / "ResNet50" / "metrics.json").read_text())
    row = metrics.loc["ResNet50 (alphabetical)"]
    assert row["accuracy"] == pytest.approx(run["metrics"]["accuracy"])
    assert (row["macro_f1_ci_low"], row["macro_f1_ci_high"]) == pytest.approx(tuple(run["ci95"]["macro_f1"]))
    # The demo is not comparable with the original paper: no reference row, and the report says why.
    assert "original paper" not in set(metrics["source"])
    assert "this run is not comparable with it, as its data are the embedded demo" in (out / "index.html").read_text()
    assert (metrics["source"] == "this workflow (baseline)").sum() == 1

    per_type = pd.read_csv(out / "tables" / "samples_per_type.tsv", sep="\t").set_index("tumour_type")
    labels = pd.read_csv(wd / "results" / "features" / "mrna.labels.tsv", sep="\t")
    assert per_type["kept_after_qc"].to_dict() == labels["label"].value_counts().to_dict()
    auroc = pd.read_csv(out / "tables" / "motlab_auroc.tsv", sep="\t")
    mot = cfg["motlab"]
    assert len(auroc) == len(mot["endpoints"]) * len(mot["years"]) * len(mot["schemes"]) * 2  # x SMOTE
    on_ea = auroc["scheme"].isin(["mixture", "logistic_mixture"])  # EA patients also in test folds
    assert auroc.loc[on_ea, "EA_minus_AA"].notna().all() and auroc.loc[~on_ea, "EA_minus_AA"].isna().all()
    weights = pd.read_csv(out / "tables" / "motlab_weights.tsv", sep="\t")
    assert np.allclose(weights[["final_w_mrna", "final_w_mirna", "final_w_methylation"]].sum(axis=1), 1)

    sums = pd.read_csv(out / "tables" / "input_checksums.tsv", sep="\t").set_index("input")
    assert set(sums.index) == {"clinical", "sample_quality", "expression", "mirna", "methylation"}
    assert sums.loc["expression", "md5"] == md5sum(wd / sums.loc["expression", "file"])
    assert yaml.safe_load((out / "config.yaml").read_text())["pancancer"]["backbones"] == ["ResNet50"]
    # Where the model was trained, from its checkpoint: this machine's CPU, TensorFlow, its precision.
    (device,) = pd.read_csv(out / "tables" / "trained_on.tsv", sep="\t").to_dict("records")
    meta = json.loads((wd / "results" / "pancancer" / "alphabetical" / "ResNet50" / "checkpoint.json").read_text())
    assert device["backbone"] == "ResNet50" and device["backend"] == "tensorflow" and device["device"] == "cpu"
    assert device["precision"] == meta["precision"] == meta["trained_on"]["precision"] and device["cpu"]

    html = (out / "index.html").read_text()
    srcs = [m.split('"')[0] for m in html.split('<img src="')[1:]]
    assert srcs and all(s.startswith("data:image/png;base64,") for s in srcs)  # self-contained
    assert not re.search(r'(src|href)="(https?:)?//', html) and "<script" not in html  # nothing fetched
    md = (out / "report.md").read_text()
    links = [m.split(")")[0] for m in md.split("](")[1:] if m.split(")")[0].endswith(".png")]
    assert len(links) == len(srcs) and all((out / link).exists() for link in links)
    assert json.loads((out / "report.json").read_text())["pancancer_metrics"][0]["model"] == "ResNet50 (alphabetical)"


def test_cross_validation_refits_on_each_fold_and_is_reported(report_run):
    """pancancer.cv_folds: 2 folds, each with its layout and scaling fitted on its own training
    part, the model and the baseline evaluated on its test fold; the report shows the summary."""
    from tcgatl.config import validate
    from tcgatl.pancancer import layouts

    wd, _ = report_run
    mode = validate(yaml.safe_load(Path(DEMO).read_text()) | ONE_RUN)["pancancer"]["scaling"]
    res = wd / "results" / "pancancer"
    x = read_matrix(wd / "results" / "features" / "mrna.parquet")
    folds = pd.read_csv(res / "cv" / "folds.tsv", sep="\t")
    tested = []
    for f in (0, 1):
        d = res / "cv" / f"r0_f{f}"
        split = pd.read_csv(d / "split.tsv", sep="\t")
        assert set(split.loc[split.split == "test", "barcode"]) == set(folds.loc[folds.fold_r0 == f, "barcode"])
        tested += split.loc[split.split == "test", "barcode"].tolist()
        fitted = pd.read_parquet(d / "alphabetical" / "scaling.parquet").set_index("gene")
        train = x.loc[split.loc[split.split == "train", "barcode"]]
        own = layouts.fit_scaling(train, mode).set_index("gene")
        np.testing.assert_allclose(fitted.loc[own.index, ["min", "max"]], own[["min", "max"]], rtol=1e-6)
        for model in ("alphabetical/ResNet50", "baseline"):
            pred = pd.read_parquet(d / model / "predictions.parquet")
            assert set(pred["barcode"]) == set(split.loc[split.split == "test", "barcode"])
        assert not (d / "alphabetical" / "images" / "train.npy").exists()  # temporary
    assert sorted(tested) == sorted(folds["barcode"])
    per_fold = pd.read_csv(res / "cv" / "metrics_per_fold.tsv", sep="\t")
    assert len(per_fold) == 4 and set(per_fold["backbone"]) == {"ResNet50", "logistic regression"}
    run = json.loads((res / "cv" / "r0_f1" / "baseline" / "metrics.json").read_text())
    row = per_fold[(per_fold.fold == 1) & (per_fold.backbone == "logistic regression")].iloc[0]
    assert row["accuracy"] == pytest.approx(run["metrics"]["accuracy"])
    shown = pd.read_csv(wd / "results" / "report" / "tables" / "pancancer_cv.tsv", sep="\t").set_index("model")
    single = json.loads((res / "alphabetical" / "ResNet50" / "metrics.json").read_text())
    assert shown.loc["ResNet50 (alphabetical)", "split_accuracy"] == pytest.approx(single["metrics"]["accuracy"])
    cv_mean = per_fold.loc[per_fold.backbone == "ResNet50", "accuracy"].mean()
    assert shown.loc["ResNet50 (alphabetical)", "cv_accuracy"] == pytest.approx(cv_mean)
    assert "Cross-validation: every model above" in (wd / "results" / "report" / "index.html").read_text()


@pytest.mark.parametrize("suffix", ["html", "zip"])
def test_snakemake_report(report_run, suffix):
    wd, configs = report_run
    r = run_snakemake(["--report", f"snakemake_report.{suffix}", "--configfile", *configs], wd)
    assert r.returncode == 0, r.stderr[-3000:]
    assert "Report created" in r.stderr + r.stdout
    assert "ERROR" not in r.stderr  # e.g. a caption that is not valid reStructuredText
    if suffix == "zip":
        import zipfile

        names = zipfile.ZipFile(wd / "snakemake_report.zip").namelist()
        assert any(n.endswith("/index.html") for n in names) and any(n.endswith("pancancer_summary.png") for n in names)


def test_reports_open_in_chromium(report_run, chromium):
    wd, configs = report_run
    artifacts = ROOT / "test-artifacts"
    page = chromium.open_page(wd / "results" / "report" / "index.html", artifacts / "metrics_report.png")
    assert page.console_errors == [] and page.broken_images == []
    assert page.image_count == (wd / "results" / "report" / "index.html").read_text().count("<img ")
    assert page.screenshot.stat().st_size > 0
    for width in (1400, 800):  # every section, figure and table, nothing cut (tests/browser.py)
        layout = chromium.check_layout(wd / "results" / "report" / "index.html", width, artifacts / "report_layout")
        assert layout.problems == [], (width, layout.problems)
        assert len(layout.figures) == page.image_count and layout.sections and layout.tables
    r = run_snakemake(["--report", "snakemake_report.html", "--configfile", *configs], wd)
    assert r.returncode == 0, r.stderr[-3000:]
    page = chromium.open_page(wd / "snakemake_report.html", artifacts / "snakemake_report.png")
    assert page.console_errors == [] and page.broken_images == []


def test_motlab_outputs(demo_run):
    mot = demo_run / "results" / "motlab"
    summary = pd.read_csv(mot / "auroc_summary.tsv", sep="\t")
    from tcgatl.motlab import paired
    from tcgatl.motlab.options import SCHEMES

    assert set(summary["scheme"]) == set(SCHEMES)  # the demo runs every scheme, the linear reference too
    assert set(summary["endpoint"]) == {"PFI"} and set(summary["smote"]) == {"smote", "nosmote"}
    aa = summary[summary["population"] == "AA"].set_index(["scheme", "smote"])
    # 5 repeats: intervals narrower than [0, 1] (the regime's findings are tested over seeds in test_motlab).
    assert (aa["repeats"] == 5).all() and (aa["ci95_high"] - aa["ci95_low"] < 0.5).all(), aa
    mixture = summary[(summary["scheme"] == "mixture") & (summary["smote"] == "nosmote")].set_index("population")
    assert mixture.at["EA", "mean_auroc"] > mixture.at["AA", "mean_auroc"]
    assert {"EA", "EA-AA"} <= set(summary.loc[summary["scheme"] == "mixture", "population"])
    for png in ("auroc_by_scheme.png", "roc_curves.png"):
        assert (mot / png).read_bytes()[:4] == b"\x89PNG"
    # Paired comparisons: the differences of the per-repeat AUROCs the summary averages.
    comparisons = pd.read_csv(mot / "auroc_paired.tsv", sep="\t").set_index(["first", "second"])
    assert len(comparisons) == len(paired.pairs(SCHEMES))
    assert ("mixture (nosmote)", "logistic_mixture (nosmote)") in comparisons.index
    per_repeat = pd.read_csv(mot / "auroc_per_repeat.tsv", sep="\t")
    aa_rep = per_repeat[per_repeat["population"] == "AA"].set_index(["scheme", "smote", "repeat"])["auroc"]
    gap = (aa_rep["finetune", "nosmote"] - aa_rep["independent", "nosmote"]).mean()
    row = comparisons.loc[("finetune (nosmote)", "independent (nosmote)")]
    assert row["mean_difference"] == pytest.approx(gap)
    assert row["patients_ci95_low"] <= row["mean_difference"] <= row["patients_ci95_high"]
    counts = pd.read_csv(mot / "PFI_3y" / "label_counts.tsv", sep="\t")
    cohort = pd.read_csv(mot / "cohort.tsv", sep="\t")
    assert counts["patients"].sum() == len(cohort)
    weights = pd.read_csv(mot / "PFI_3y" / "ccsa" / "omics_weights.tsv", sep="\t")
    assert np.allclose(weights[["w_mrna", "w_mirna", "w_methylation"]].sum(axis=1), 1)
    from tcgatl.motlab.final import MotlabModel

    model = MotlabModel.load(mot / "PFI_3y" / "finetune_smote" / "model")
    layers = {n: read_matrix(demo_run / "results" / "features" / f"{n}.parquet") for n in model.meta["layers"]}
    assert model.predict(layers).between(0, 1).all()


@pytest.mark.parametrize(
    "cfg",
    [[], ["--configfile", DEMO], ["--configfile", str(ROOT / "config" / "scale.yaml")]],
    ids=["full", "demo", "scale"],
)
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


# Demo raw files served by a loopback "GDC": the full-config path, downloads included.
GDC_IDS = {
    "expression": "00000000-0000-4000-8000-000000000001",
    "sample_quality": "00000000-0000-4000-8000-000000000002",
    "clinical": "00000000-0000-4000-8000-000000000003",
}


def _gdc_setup(tmp_path, demo_raw, faults=None):
    paths, _ = demo_raw
    files = {GDC_IDS[k]: paths[k].read_bytes() for k in GDC_IDS}
    rows = ["id\tfilename\tmd5\tsize"] + [
        f"{GDC_IDS[k]}\t{paths[k].name}\t{md5sum(paths[k]) if k != 'clinical' else 'NA'}\t{paths[k].stat().st_size if k != 'clinical' else 'NA'}"
        for k in GDC_IDS
    ]
    (tmp_path / "manifest.tsv").write_text("\n".join(rows) + "\n")
    server = FakeGDC(files, faults=faults, names={GDC_IDS[k]: paths[k].name for k in GDC_IDS})
    cfg = {
        "gdc": {"base_url": server.url, "manifest": str(tmp_path / "manifest.tsv"), "retries": 3, "backoff": 0},
        "inputs": {k: {"path": None, "gdc_id": v} for k, v in GDC_IDS.items()},
        "pancancer": {"matrix": "mrna"},
        "motlab": {"layers": ["mrna"]},
    }
    (tmp_path / "gdc.yaml").write_text(yaml.safe_dump(cfg))
    return server


def test_full_config_path_downloads_from_gdc(tmp_path, demo_raw):
    server = _gdc_setup(tmp_path, demo_raw, faults={GDC_IDS["expression"]: ["drop"]})
    with server:
        r = run_snakemake(["features", "--cores", "2", "--configfile", str(tmp_path / "gdc.yaml")], tmp_path)
    assert r.returncode == 0, r.stderr[-3000:]
    raw = tmp_path / "results" / "raw"
    paths, _ = demo_raw
    for k in GDC_IDS:
        assert (raw / paths[k].name).read_bytes() == paths[k].read_bytes()
    assert not list(raw.glob("*.part"))
    log = (tmp_path / "results" / "logs" / "download" / f"{paths['expression'].name}.log").read_text()
    assert "attempt 1/3 failed: connection ended" in log and "md5" in log and "verified" in log
    assert read_matrix(tmp_path / "results" / "features" / "mrna.parquet").shape[0] > 100


def test_full_config_runs_to_both_reports(tmp_path, demo_raw):
    # The full configuration (downloads from the loopback GDC, no demo) with tiny model settings.
    server = _gdc_setup(tmp_path, demo_raw)
    tiny = {
        "pancancer": {
            "layouts": ["alphabetical"],
            "backbones": ["ResNet50"],
            "image_size": 32,
            "weights": "none",
            "head_epochs": 3,
            "finetune_epochs": 1,
            "bootstrap": 20,
        },
        "ig": {"steps": 4, "max_per_class": 1, "baseline": "train_mean"},
        "motlab": {"endpoints": ["PFI"], "folds": 2, "repeats": 1, "epochs": 3, "weight_inner_folds": 2},
    }
    (tmp_path / "tiny.yaml").write_text(yaml.safe_dump(tiny))
    configs = ["--configfile", str(tmp_path / "gdc.yaml"), str(tmp_path / "tiny.yaml")]
    with server:
        r = run_snakemake(["--cores", "2", *configs], tmp_path, timeout=1500)
    assert r.returncode == 0, r.stderr[-3000:]
    out = tmp_path / "results" / "report"
    sums = pd.read_csv(out / "tables" / "input_checksums.tsv", sep="\t").set_index("input")
    assert sums.loc["expression", "matches_manifest"] == "yes"  # downloaded and verified against the manifest
    assert sums.loc["expression", "file"].startswith("results/raw/")
    html = (out / "index.html").read_text()
    # Downloaded and verified, but not the paper's 33 types: its figures are not set beside these.
    assert "ResNet50 (alphabetical)" in html and "Original paper" not in html and "not comparable" in html
    r = run_snakemake(["--report", "report.zip", *configs], tmp_path)
    assert r.returncode == 0 and "ERROR" not in r.stderr, r.stderr[-3000:]


def test_failed_download_leaves_nothing_snakemake_would_trust(tmp_path, demo_raw):
    server = _gdc_setup(tmp_path, demo_raw, faults={GDC_IDS["sample_quality"]: ["corrupt"] * 9})
    with server:
        r = run_snakemake(
            [
                "results/raw/merged_sample_quality_annotations.tsv",
                "--cores",
                "1",
                "--configfile",
                str(tmp_path / "gdc.yaml"),
            ],
            tmp_path,
        )
    assert r.returncode != 0
    out = r.stderr + r.stdout
    assert "merged_sample_quality_annotations.tsv" in out and "md5 mismatch: expected" in out
    assert not (tmp_path / "results" / "raw" / "merged_sample_quality_annotations.tsv").exists()


@needs_shared
def test_real_data_smoke_run(tmp_path):
    cfg = {
        "inputs": {
            "expression": {"path": str(SHARED / "rnaseq_6cohorts.geneExp.tsv.gz")},
            "clinical": {"path": str(SHARED / "TCGA-CDR-SupplementalTableS1.xlsx")},
            "sample_quality": {"path": None, "gdc_id": None},
        },
        "extra_layers": {"protein": {"path": str(SHARED / "brca_mini_protein.tsv")}},
        "motlab": {"layers": ["mrna", "protein"]},
    }
    (tmp_path / "real.yaml").write_text(yaml.safe_dump(cfg))
    r = run_snakemake(["features", "--cores", "2", "--configfile", str(tmp_path / "real.yaml")], tmp_path)
    assert r.returncode == 0, r.stderr[-3000:]
    x = read_matrix(tmp_path / "results" / "features" / "mrna.parquet")
    labels = pd.read_csv(tmp_path / "results" / "features" / "mrna.labels.tsv", sep="\t")
    assert set(labels["label"]) == {"ACC", "CHOL", "DLBC", "STAD", "UCS", "UVM"}
    assert x.shape[0] == len(labels) > 290 and x.shape[1] > 15000
    assert all("|" in g for g in x.columns[:100])
    qc = pd.read_csv(tmp_path / "results" / "features" / "mrna.qc.tsv", sep="\t").set_index("status")["samples"]
    assert qc["sample_type_not_selected"] == 13  # the 13 solid-normal aliquots
    protein = read_matrix(tmp_path / "results" / "features" / "protein.parquet")
    assert protein.shape == (150, 142)  # protein measured for 150 of the 220 patients


@pytest.mark.parametrize(
    "case, message",
    [
        ("1,5", "cannot be parsed (a non-numeric cell): line 6, field 4 (column {column}): non-numeric value '1,5'"),
        (
            "inf",
            "cannot be parsed (an infinite or overflowing value; missing values must be NA or empty): "
            "line 6, field 4 (column {column}): non-finite value 'inf'",
        ),
        ("no rows", "has a header but no feature rows"),
    ],
    ids=["decimal-comma", "inf", "header-only"],
)
def test_bad_input_fails_with_its_name_and_leaves_no_outputs(tmp_path, case, message):
    bad = tmp_path / "ebpp.tsv"
    text = gzip.decompress((DATA / "rnaseq_excerpt.geneExp.tsv.gz").read_bytes()).decode().splitlines()
    column = text[0].split("\t")[3]
    if case == "no rows":
        text = text[:1]
    else:
        cells = text[5].split("\t")
        cells[3] = case
        text[5] = "\t".join(cells)
    bad.write_text("\n".join(text) + "\n")
    cfg = {
        "inputs": {
            "expression": {"path": str(bad)},
            "clinical": {"path": str(DATA / "cdr_excerpt.xlsx")},
            "sample_quality": {"path": None, "gdc_id": None},
        },
        "motlab": {"layers": ["mrna"]},
    }
    (tmp_path / "c.yaml").write_text(yaml.safe_dump(cfg))
    r = run_snakemake(["features", "--cores", "1", "--configfile", str(tmp_path / "c.yaml")], tmp_path)
    assert r.returncode != 0
    assert f"InputError: {bad}: {message.format(column=column)}" in r.stderr, r.stderr[-2000:]
    features = tmp_path / "results" / "features"
    assert not features.exists() or [p.name for p in features.iterdir()] == []  # no outputs, no .part files


def test_killed_training_job_resumes_with_unlock_and_rerun_incomplete(tmp_path):
    """kill -9 of Snakemake and its running training job (a crash, a lost node): the rerun is
    refused until --unlock; --rerun-incomplete then redoes the killed job, and nothing of it
    is left behind (activation cache, .part files), as the README says."""
    cfg = yaml.safe_load(Path(DEMO).read_text())
    cfg["demo"].update(n_genes=300, patients_per_type=15, brca_patients=40, n_cpg=100, n_mirna=40, signature_size=20)
    cfg["pancancer"].update(layouts=["alphabetical"], backbones=["ResNet50"], image_size=32, finetune_epochs=2)
    (tmp_path / "small.yaml").write_text(yaml.safe_dump(cfg))
    target = "results/pancancer/alphabetical/ResNet50/model.keras"
    cmd = [SNAKEMAKE, "-s", str(ROOT / "Snakefile"), "--directory", str(tmp_path), target, "--cores", "2"]
    cmd += ["--configfile", str(tmp_path / "small.yaml")]
    cache = tmp_path / "results" / "pancancer" / "alphabetical" / "ResNet50" / ".activations"
    with open(tmp_path / "first.log", "w") as out:
        first = subprocess.Popen(cmd, cwd=tmp_path, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
        deadline = time.monotonic() + 600
        while not cache.exists() and first.poll() is None and time.monotonic() < deadline:
            time.sleep(0.1)
        assert cache.exists(), (tmp_path / "first.log").read_text()[-3000:]
        os.killpg(first.pid, signal.SIGKILL)  # Snakemake and the job, as a crash would
        first.wait()
    assert cache.exists() and not (tmp_path / target).exists()

    refused = subprocess.run(cmd, cwd=tmp_path, capture_output=True, text=True, timeout=300)
    assert refused.returncode != 0 and "--unlock" in refused.stdout + refused.stderr
    unlock = subprocess.run([*cmd, "--unlock"], cwd=tmp_path, capture_output=True, text=True, timeout=300)
    assert unlock.returncode == 0, unlock.stderr[-2000:]
    resumed = subprocess.run([*cmd, "--rerun-incomplete"], cwd=tmp_path, capture_output=True, text=True, timeout=900)
    assert resumed.returncode == 0, resumed.stderr[-3000:]
    assert "train_backbone" in resumed.stderr and "demo_data" not in resumed.stderr  # only the killed job reran
    assert (tmp_path / target).exists() and not cache.exists()
    assert not list((tmp_path / "results").rglob("*.part")) and not list((tmp_path / "results").rglob(".activations*"))


@needs_shared
def test_motlab_on_the_real_brca_mini_set(tmp_path):
    """config/brca_mini.yaml (the real-data MOTLAB table of docs/motlab.md) on the real mini-set, with
    a tiny protocol: every scheme is scored on the same AA patients and compared in pairs."""
    from tcgatl.motlab import paired
    from tcgatl.motlab.options import SCHEMES

    cfg = yaml.safe_load((ROOT / "config" / "brca_mini.yaml").read_text().replace("../shared/data", str(SHARED)))
    cfg["motlab"].update({"endpoints": ["PFI"], "folds": 3, "repeats": 2, "epochs": 5, "tune_learning_rates": [0.01]})
    (tmp_path / "mini.yaml").write_text(yaml.safe_dump(cfg))
    r = run_snakemake(
        ["results/motlab/auroc_paired.tsv", "--cores", "2", "--configfile", str(tmp_path / "mini.yaml")], tmp_path
    )
    assert r.returncode == 0, r.stderr[-3000:]
    mot = tmp_path / "results" / "motlab"
    counts = pd.read_csv(mot / "PFI_3y" / "label_counts.tsv", sep="\t").set_index(["ancestry", "status"])["patients"]
    assert counts["AA", "poor_outcome"] == 6 and counts["AA", "good_outcome"] == 12  # docs/motlab.md's cohort
    comparisons = pd.read_csv(mot / "auroc_paired.tsv", sep="\t")
    assert len(comparisons) == len(paired.pairs(SCHEMES)) and (comparisons["aa_patients"] == 18).all()
    assert (comparisons["patients_ci95_low"] <= comparisons["patients_ci95_high"]).all()


def test_own_cohort_with_a_sample_sheet_runs_to_the_report(tmp_path):
    """config/own_data.yaml on a non-TCGA table (the real excerpt's 48 aliquots renamed S000...,
    their CDR types as a sheet of labels, patients P000...): labels come from the sheet, nothing
    TCGA-specific is asked for, and the pan-cancer stages run to a report without MOTLAB."""
    x = pd.read_csv(DATA / "rnaseq_excerpt.geneExp.tsv.gz", sep="\t", index_col=0)
    cdr = pd.read_excel(DATA / "cdr_excerpt.xlsx", sheet_name="TCGA-CDR").set_index("bcr_patient_barcode")
    ids = [f"S{i:03d}" for i in range(x.shape[1])]
    sheet = pd.DataFrame(
        {"sample": ids, "label": [cdr.loc[b[:12], "type"] for b in x.columns], "patient": [f"P{i[1:]}" for i in ids]}
    )
    (tmp_path / "data").mkdir()
    x.set_axis(ids, axis=1).to_csv(tmp_path / "data" / "matrix.tsv.gz", sep="\t")
    sheet.to_csv(tmp_path / "data" / "samples.tsv", sep="\t", index=False)
    cfg = yaml.safe_load((ROOT / "config" / "own_data.yaml").read_text())
    cfg["pancancer"].update(
        layouts=["alphabetical"], backbones=["ResNet50"], image_size=32, weights="none", head_epochs=3,
        finetune_epochs=1, bootstrap=50, min_class_size=5, train_fraction=0.5, val_fraction=0.25,
    )  # fmt: skip
    cfg["ig"] = {"steps": 4, "max_per_class": 1, "top_genes": 5, "de_top_k": 10}
    cfg["resources"] = {"tensorflow_threads": 1}
    (tmp_path / "own.yaml").write_text(yaml.safe_dump(cfg))
    r = run_snakemake(["--cores", "2", "--configfile", str(tmp_path / "own.yaml")], tmp_path)
    assert r.returncode == 0, r.stderr[-3000:]
    res = tmp_path / "results"
    labels = pd.read_csv(res / "features" / "mrna.labels.tsv", sep="\t")
    assert labels["barcode"].tolist() == ids and labels["label"].tolist() == sheet["label"].tolist()
    assert labels["patient"].tolist() == sheet["patient"].tolist()
    assert not (res / "clinical").exists() and not (res / "motlab").exists()  # no CDR, no MOTLAB
    split = pd.read_csv(res / "pancancer" / "split.tsv", sep="\t")
    assert split.groupby("split")["label"].nunique().to_dict() == {"test": 6, "train": 6, "val": 6}
    baseline = json.loads((res / "pancancer" / "baseline" / "metrics.json").read_text())["metrics"]
    assert baseline["accuracy"] > 0.6  # six cohorts, 4 test samples each: chance 1/6
    assert (res / "pancancer" / "alphabetical" / "ResNet50" / "ig" / "de_agreement.tsv").exists()
    md = (res / "report" / "report.md").read_text()
    assert "## Integrated Gradients against the data" in md and "MOTLAB" not in md.split("## Provenance")[0]


def test_motlab_on_groups_of_ones_own(tmp_path):
    """config/own_motlab.yaml: the real BRCA protein excerpt with its columns renamed R00...,
    a sheet naming them, and an outcomes table whose `site` column holds the two domains (16
    patients, 4 with a PFI event, as target): one endpoint as a ready 0/1 label, one as an
    event/time pair; MOTLAB runs on them without a TCGA-CDR, to the report."""
    x = pd.read_csv(DATA / "brca_mini_protein_excerpt.tsv", sep="\t", index_col=0)
    cdr = pd.read_csv(DATA / "cdr_brca_excerpt.tsv", sep="\t").set_index("bcr_patient_barcode").loc[x.columns]
    ids = [f"R{i:02d}" for i in range(x.shape[1])]
    (tmp_path / "data").mkdir()
    x.set_axis(ids, axis=1).to_csv(tmp_path / "data" / "protein.tsv", sep="\t")
    pd.DataFrame({"sample": ids, "label": "breast"}).to_csv(tmp_path / "data" / "samples.tsv", sep="\t", index=False)
    pfi = cdr["PFI"].to_numpy()
    target = set(np.flatnonzero(pfi == 1)[:4]) | set(np.flatnonzero(pfi == 0)[:12])
    outcomes = pd.DataFrame(
        {
            "patient": ids,
            "site": ["clinic_B" if i in target else "clinic_A" for i in range(len(ids))],
            "PFI": pfi,
            "PFI.time": cdr["PFI.time"].to_numpy(),
            "relapse": pfi,
        }
    )
    outcomes.to_csv(tmp_path / "data" / "outcomes.tsv", sep="\t", index=False)
    cfg = yaml.safe_load((ROOT / "config" / "own_motlab.yaml").read_text())
    cfg["motlab"].update(
        schemes=["independent", "finetune", "logistic_independent"], features_per_layer=10, folds=2, repeats=1,
        epochs=5, tune_learning_rates=[0.01], tune_frozen_layers=[0],
    )  # fmt: skip
    (tmp_path / "own.yaml").write_text(yaml.safe_dump(cfg))
    r = run_snakemake(["--cores", "2", "--configfile", str(tmp_path / "own.yaml")], tmp_path)
    assert r.returncode == 0, r.stderr[-3000:]
    mot = tmp_path / "results" / "motlab"
    cohort = pd.read_csv(mot / "cohort.tsv", sep="\t").set_index("patient")
    assert cohort["ancestry"].to_dict() == {p: "AA" if s == "clinic_B" else "EA" for p, s in zip(ids, outcomes["site"])}
    in_target = outcomes["site"] == "clinic_B"
    early = int((in_target & (outcomes["PFI"] == 1) & (outcomes["PFI.time"] <= 3 * 365.25)).sum())
    for endpoint, poor in (("relapse", 4), ("PFI", early)):  # a ready label has no time threshold
        counts = pd.read_csv(mot / f"{endpoint}_3y" / "label_counts.tsv", sep="\t").set_index(["ancestry", "status"])
        assert counts.loc[("AA", "poor_outcome"), "patients"] == poor
    summary = pd.read_csv(mot / "auroc_summary.tsv", sep="\t")
    assert set(summary["endpoint"]) == {"relapse", "PFI"} and summary["mean_auroc"].between(0, 1).all()
    assert not (tmp_path / "results" / "clinical" / "cdr.parquet").exists()
    assert (tmp_path / "results" / "report" / "index.html").exists()
