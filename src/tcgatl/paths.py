"""Where every output of the workflow lives: one path template per file, under ``results/``.

The rules (their outputs, logs and benchmarks), the target lists of ``rule all`` and the
report's sources all read this module, so adding or renaming an output is one edit here.
Templates use Snakemake's ``{wildcard}`` syntax; the functions take each wildcard as an
argument whose default is the wildcard itself, so the same call gives the rule's pattern or,
with values, one concrete file.

The pan-cancer models are built once on the single split and, with ``pancancer.cv_folds``, on
every cross-validation fold: a *partition* prefix (:data:`SINGLE` or :data:`CV_FOLD`) in front
of the same tree says which.

Standard library only: the workflow imports it at parse time.
"""

from __future__ import annotations

from dataclasses import dataclass

RESULTS = "results"

# The partition prefixes of the pan-cancer tree (results/pancancer/<prefix>...).
SINGLE = ""
CV_FOLD = "cv/r{repeat}_f{fold}/"


def cv_fold(repeat="{repeat}", fold="{fold}") -> str:
    """The partition prefix of cross-validation fold ``fold`` of repeat ``repeat``."""
    return CV_FOLD.format(repeat=repeat, fold=fold)


def log(step: str) -> str:
    """The log of job ``step`` (a path below the results folder's logs/, without suffix)."""
    return f"{RESULTS}/logs/{step}.log"


def benchmark(step: str) -> str:
    """The benchmark table of job ``step`` (Snakemake's ``benchmark:``)."""
    return f"{RESULTS}/benchmarks/{step}.tsv"


# ---- inputs: demo files, downloads, clinical tables, feature matrices ----------------------


def demo_raw(name: str) -> str:
    """A demo raw file, by its path relative to the demo's raw folder."""
    return f"{RESULTS}/demo/raw/{name}"


def download(filename="{filename}") -> str:
    """A GDC download, under its GDC file name."""
    return f"{RESULTS}/raw/{filename}"


# Clinical tables: the TCGA-CDR by patient, or an outcomes table of one's own (MOTLAB groups).
CLINICAL_TABLES = ("cdr", "outcomes")


def clinical(table: str) -> str:
    if table not in CLINICAL_TABLES:
        raise ValueError(f"unknown clinical table {table!r}; expected one of {CLINICAL_TABLES}")
    return f"{RESULTS}/clinical/{table}.parquet"


# Every feature layer's files (methylation has cpg_stats instead of dropped_features).
FEATURE_FILES = {
    "matrix": "parquet",
    "labels": "labels.tsv",
    "samples": "samples.tsv",
    "qc": "qc.tsv",
    "dropped": "dropped_features.tsv",
    "stats": "cpg_stats.tsv",
}


def features(layer="{layer}", role: str = "matrix") -> str:
    return f"{RESULTS}/features/{layer}.{FEATURE_FILES[role]}"


def feature_files(layer="{layer}", roles=("matrix", "labels", "samples", "qc", "dropped")) -> dict[str, str]:
    return {role: features(layer, role) for role in roles}


# ---- pan-cancer ------------------------------------------------------------------------------

PANCANCER = f"{RESULTS}/pancancer"
# The files of an evaluated model: a backbone's run folder or the baseline's.
EVALUATION_FILES = {
    "metrics": "metrics.json",
    "table": "metrics.tsv",
    "per_class": "per_class.tsv",
    "confusion": "confusion.tsv",
    "predictions": "predictions.parquet",
}
# The checkpoint a training job writes (the model plus the layout and scaling it needs).
CHECKPOINT_FILES = {
    "model": "model.keras",
    "layout": "layout.parquet",
    "scaling": "scaling.parquet",
    "meta": "checkpoint.json",
    "history": "history.tsv",
}
IMAGE_FILES = {"train": "train.npy", "val": "val.npy", "test": "test.npy", "index": "index.tsv"}
# Integrated Gradients of a run, in its ig/ folder.
IG_FILES = {
    "genes": "genes.parquet",
    "genes_tsv": "genes.tsv",
    "top": "top_genes.tsv",
    "completeness": "completeness.tsv",
    "attributions": "attributions.npy",
    "grid": "grid.png",
    "classes": "classes",
    "de_agreement": "de_agreement.tsv",
    "faithfulness": "faithfulness.tsv",
    "faithfulness_curves": "faithfulness_curves.tsv",
    "faithfulness_plot": "faithfulness.png",
}


def split(part: str = SINGLE) -> str:
    return f"{PANCANCER}/{part}split.tsv"


def split_dropped() -> str:
    """Classes too small for the single split (min_class_size)."""
    return f"{PANCANCER}/split_dropped_classes.tsv"


def layout_files(part: str = SINGLE, layout="{layout}") -> dict[str, str]:
    d = f"{PANCANCER}/{part}{layout}"
    return {"layout": f"{d}/layout.parquet", "scaling": f"{d}/scaling.parquet"}


def image_files(part: str = SINGLE, layout="{layout}") -> dict[str, str]:
    return {k: f"{PANCANCER}/{part}{layout}/images/{name}" for k, name in IMAGE_FILES.items()}


def run_dir(part: str = SINGLE, layout="{layout}", backbone="{backbone}") -> str:
    """The folder of one (layout, backbone) model."""
    return f"{PANCANCER}/{part}{layout}/{backbone}"


def checkpoint_files(part: str = SINGLE, layout="{layout}", backbone="{backbone}") -> dict[str, str]:
    d = run_dir(part, layout, backbone)
    return {k: f"{d}/{name}" for k, name in CHECKPOINT_FILES.items()}


def evaluation_files(part: str = SINGLE, layout="{layout}", backbone="{backbone}") -> dict[str, str]:
    d = run_dir(part, layout, backbone)
    return {k: f"{d}/{name}" for k, name in EVALUATION_FILES.items()}


def baseline_files(part: str = SINGLE) -> dict[str, str]:
    """The logistic-regression baseline's evaluation files."""
    return {k: f"{PANCANCER}/{part}baseline/{name}" for k, name in EVALUATION_FILES.items()}


def ig_files(layout="{layout}", backbone="{backbone}") -> dict[str, str]:
    """Integrated Gradients of a single-split model (IG is not run on CV folds)."""
    d = run_dir(SINGLE, layout, backbone)
    return {k: f"{d}/ig/{name}" for k, name in IG_FILES.items()}


DE_FILES = {"genes": f"{PANCANCER}/de/genes.parquet", "top": f"{PANCANCER}/de/top_genes.tsv"}
CV_FILES = {
    "folds": f"{PANCANCER}/cv/folds.tsv",
    "per_fold": f"{PANCANCER}/cv/metrics_per_fold.tsv",
    "summary": f"{PANCANCER}/cv/summary.tsv",
}


def pancancer_step(part: str, step: str) -> str:
    """The log/benchmark name of a pan-cancer job of partition ``part``."""
    return f"pancancer/{part}{step}"


# ---- MOTLAB ----------------------------------------------------------------------------------

MOTLAB = f"{RESULTS}/motlab"
COHORT_FILES = {"cohort": f"{MOTLAB}/cohort.tsv", "counts": f"{MOTLAB}/cohort_counts.tsv"}
SUMMARY_FILES = {
    "table": f"{MOTLAB}/auroc_summary.tsv",
    "parquet": f"{MOTLAB}/auroc_summary.parquet",
    "per_repeat": f"{MOTLAB}/auroc_per_repeat.tsv",
    "paired": f"{MOTLAB}/auroc_paired.tsv",
    "figure": f"{MOTLAB}/auroc_by_scheme.png",
    "roc": f"{MOTLAB}/roc_curves.png",
}
FINAL_MODEL_FILES = ("model.keras", "preprocessing.npz", "preprocessing.json")


def endpoint_dir(endpoint="{endpoint}", years="{years}") -> str:
    return f"{MOTLAB}/{endpoint}_{years}y"


def label_files(endpoint="{endpoint}", years="{years}") -> dict[str, str]:
    d = endpoint_dir(endpoint, years)
    return {"labels": f"{d}/labels.tsv", "counts": f"{d}/label_counts.tsv"}


def scheme_files(endpoint="{endpoint}", years="{years}", scheme="{scheme}") -> dict[str, str]:
    """A scheme's cross-validated evaluation of one endpoint."""
    d = f"{endpoint_dir(endpoint, years)}/{scheme}"
    return {"auroc": f"{d}/auroc.tsv", "oof": f"{d}/oof_predictions.parquet", "weights": f"{d}/omics_weights.tsv"}


def final_model(endpoint="{endpoint}", years="{years}", scheme="{scheme}", smote="{smote}", file="{file}") -> str:
    """A file of the final model of (scheme, SMOTE option), trained on every labelled patient."""
    return f"{endpoint_dir(endpoint, years)}/{scheme}_{smote}/model/{file}"


# ---- the metrics report ----------------------------------------------------------------------

REPORT = f"{RESULTS}/report"
# The report's three documents, in the report folder.
DOCUMENTS = {"html": "index.html", "markdown": "report.md", "json": "report.json"}


@dataclass(frozen=True)
class ReportFile:
    """A file the report writes besides its documents.

    ``path`` is relative to the report folder; ``{layout}`` and ``{run}`` (a layout_backbone
    slug) expand over the configured layouts and runs. ``kind`` names the caption
    (workflow/report/<kind>.rst) in Snakemake's report; "copy" is a figure another rule made
    and annotated already. ``analysis``: the analysis it belongs to (None: every report).
    ``section``: "demo" files exist only in the demo's report, "cv" ones only with
    pancancer.cv_folds. ``labels``: fixed labels in Snakemake's report (expanded files are
    labelled by their layout and model).
    """

    path: str
    kind: str
    analysis: str | None
    section: str
    labels: tuple = ()


_BASELINE_LABELS = (("layout", "expression vector"), ("model", "logistic regression"))
REPORT_FILES = (
    ReportFile("tables/demo_markers.tsv", "demo_markers", None, "demo"),
    ReportFile("figures/samples_per_type.png", "samples_per_type_figure", "pancancer", "data"),
    ReportFile("tables/samples_per_type.tsv", "samples_per_type_table", "pancancer", "data"),
    ReportFile("tables/qc_samples.tsv", "qc_samples", "pancancer", "data"),
    ReportFile("tables/qc_features.tsv", "qc_features", "pancancer", "data"),
    ReportFile("figures/example_images_{layout}.png", "example_images", "pancancer", "data"),
    ReportFile("figures/pancancer_summary.png", "pancancer_summary", "pancancer", "pancancer"),
    ReportFile("tables/pancancer_metrics.tsv", "pancancer_metrics", "pancancer", "pancancer"),
    ReportFile("figures/pancancer_cv.png", "pancancer_cv_figure", "pancancer", "cv"),
    ReportFile("tables/pancancer_cv.tsv", "pancancer_cv", "pancancer", "cv"),
    ReportFile("tables/pancancer_cv_per_fold.tsv", "pancancer_cv_per_fold", "pancancer", "cv"),
    ReportFile("figures/training_curves.png", "training_curves", "pancancer", "pancancer"),
    ReportFile("tables/training_history.tsv", "training_history", "pancancer", "pancancer"),
    ReportFile("figures/per_class_f1.png", "per_class_f1_figure", "pancancer", "pancancer"),
    ReportFile("tables/per_class_f1.tsv", "per_class_f1_table", "pancancer", "pancancer"),
    ReportFile("figures/confusion_{run}.png", "confusion", "pancancer", "pancancer"),
    ReportFile("figures/confusion_baseline.png", "confusion", "pancancer", "pancancer", _BASELINE_LABELS),
    ReportFile("tables/confusion_{run}.tsv", "confusion_table", "pancancer", "pancancer"),
    ReportFile("tables/confusion_baseline.tsv", "confusion_table", "pancancer", "pancancer", _BASELINE_LABELS),
    ReportFile("tables/ig_completeness.tsv", "ig_completeness", "pancancer", "ig"),
    ReportFile("tables/ig_top_genes.tsv", "ig_top_genes", "pancancer", "ig"),
    ReportFile("figures/ig_{run}.png", "copy", "pancancer", "ig"),
    ReportFile("tables/ig_de_summary.tsv", "ig_de_summary", "pancancer", "ig"),
    ReportFile("tables/ig_de_agreement.tsv", "ig_de_agreement", "pancancer", "ig"),
    ReportFile("tables/de_top_genes.tsv", "de_top_genes", "pancancer", "ig"),
    ReportFile("figures/ig_faithfulness_{run}.png", "copy", "pancancer", "ig"),
    ReportFile("tables/ig_faithfulness.tsv", "ig_faithfulness_summary", "pancancer", "ig"),
    ReportFile("tables/motlab_auroc.tsv", "motlab_auroc", "motlab", "motlab"),
    ReportFile("tables/motlab_paired.tsv", "motlab_paired", "motlab", "motlab"),
    ReportFile("figures/motlab_auroc_by_scheme.png", "copy", "motlab", "motlab"),
    ReportFile("figures/motlab_roc_curves.png", "copy", "motlab", "motlab"),
    ReportFile("tables/motlab_weights.tsv", "motlab_weights", "motlab", "motlab"),
    ReportFile("tables/motlab_labels.tsv", "motlab_labels", "motlab", "motlab"),
    ReportFile("tables/motlab_cohort.tsv", "motlab_cohort", "motlab", "motlab"),
    ReportFile("tables/software_versions.tsv", "software_versions", None, "provenance"),
    ReportFile("tables/trained_on.tsv", "trained_on", "pancancer", "provenance"),
    ReportFile("tables/input_checksums.tsv", "input_checksums", None, "provenance"),
    ReportFile("config.yaml", "config", None, "provenance"),
)
