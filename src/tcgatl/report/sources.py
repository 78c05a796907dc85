"""Where the metrics report finds its inputs: every file, by role, under the results folder.

One function serves both the workflow (the rule's inputs, so Snakemake builds them first) and
the report builder (which reads them), so the two cannot disagree.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from ..inputs.demo import FILES as DEMO_FILES
from ..motlab.options import SMOTE_OPTIONS

# Per pan-cancer run (layout x backbone); the baseline has the evaluation files only.
RUN_FILES = {
    "metrics": "metrics.json",
    "history": "history.tsv",
    "confusion": "confusion.tsv",
    "per_class": "per_class.tsv",
    "ig_grid": "ig/grid.png",
    "ig_top_genes": "ig/top_genes.tsv",
    "ig_completeness": "ig/completeness.tsv",
    "ig_de_agreement": "ig/de_agreement.tsv",
}
BASELINE_FILES = ("metrics", "confusion", "per_class")
# Category and subcategory in `snakemake --report` of every kind of file the workflow annotates;
# a kind's caption is workflow/report/<kind>.rst.
CATEGORIES = {
    "metrics_report": ("0. Metrics report", None),
    "demo_markers": ("1. Data", "Demo ground truth"),
    "samples_per_type_figure": ("1. Data", "Samples"),
    "samples_per_type_table": ("1. Data", "Samples"),
    "qc_samples": ("1. Data", "Quality control"),
    "qc_features": ("1. Data", "Quality control"),
    "example_images": ("1. Data", "Example gene images"),
    "pancancer_summary": ("2. Pan-cancer", "Summary"),
    "pancancer_metrics": ("2. Pan-cancer", "Summary"),
    "pancancer_cv_figure": ("2. Pan-cancer", "Cross-validation"),
    "pancancer_cv": ("2. Pan-cancer", "Cross-validation"),
    "pancancer_cv_per_fold": ("2. Pan-cancer", "Cross-validation"),
    "per_class_f1_figure": ("2. Pan-cancer", "Summary"),
    "per_class_f1_table": ("2. Pan-cancer", "Summary"),
    "training_curves": ("2. Pan-cancer", "Training"),
    "training_history": ("2. Pan-cancer", "Training"),
    "confusion": ("2. Pan-cancer", "Confusion matrices"),
    "confusion_table": ("2. Pan-cancer", "Confusion matrices"),
    "ig_completeness": ("3. Integrated Gradients", "Summary"),
    "ig_top_genes": ("3. Integrated Gradients", "Summary"),
    "motlab_auroc": ("4. MOTLAB", "Summary"),
    "motlab_paired": ("4. MOTLAB", "Summary"),
    "motlab_weights": ("4. MOTLAB", "Omics weights"),
    "motlab_labels": ("4. MOTLAB", "Cohort"),
    "motlab_cohort": ("4. MOTLAB", "Cohort"),
    "ig_grid": ("3. Integrated Gradients", "Attribution maps"),
    "ig_de_summary": ("3. Integrated Gradients", "Against the data"),
    "ig_de_agreement": ("3. Integrated Gradients", "Against the data"),
    "de_top_genes": ("3. Integrated Gradients", "Against the data"),
    "motlab_auroc_by_scheme": ("4. MOTLAB", "Summary"),
    "motlab_roc": ("4. MOTLAB", "Summary"),
    "software_versions": ("5. Provenance", None),
    "input_checksums": ("5. Provenance", None),
    "config": ("5. Provenance", None),
}
# The report's three documents, in the report folder.
DOCUMENTS = {"html": "index.html", "markdown": "report.md", "json": "report.json"}


def slug(*parts) -> str:
    return "_".join(str(p) for p in parts)


@dataclass(frozen=True)
class Sources:
    config: dict
    results: Path = Path("results")

    @property
    def pancancer(self) -> Path:
        return Path(self.results) / "pancancer"

    @property
    def motlab(self) -> Path:
        return Path(self.results) / "motlab"

    def has(self, analysis: str) -> bool:
        """Whether the configuration runs ``analysis`` (config ``analyses``: pancancer, motlab)."""
        return analysis in self.config["analyses"]

    @property
    def demo(self) -> bool:
        """The demo section: the embedded demo with both analyses (it compares them with what
        the demo plants in each)."""
        return self.config["demo"]["enabled"] and self.has("pancancer") and self.has("motlab")

    @property
    def runs(self) -> list[tuple[str, str]]:
        pc = self.config["pancancer"]
        return [(lay, bb) for lay in pc["layouts"] for bb in pc["backbones"]]

    @property
    def endpoints(self) -> list[tuple[str, int]]:
        mot = self.config["motlab"]
        return [(ep, int(y)) for ep in mot["endpoints"] for y in mot["years"]]

    def run_file(self, layout: str, backbone: str, role: str) -> Path:
        return self.pancancer / layout / backbone / RUN_FILES[role]

    @property
    def cv_files(self) -> dict[str, Path]:
        """The cross-validation summary and per-fold metrics; none without pancancer.cv_folds."""
        if not self.config["pancancer"]["cv_folds"]:
            return {}
        d = self.pancancer / "cv"
        return {"summary": d / "summary.tsv", "per_fold": d / "metrics_per_fold.tsv"}

    def baseline_file(self, role: str) -> Path:
        return self.pancancer / "baseline" / RUN_FILES[role]

    def feature_file(self, suffix: str) -> Path:
        return Path(self.results) / "features" / f"{self.config['pancancer']['matrix']}.{suffix}"

    def layout_files(self, layout: str) -> dict[str, Path]:
        d = self.pancancer / layout
        return {
            "images": d / "images" / "train.npy",
            "index": d / "images" / "index.tsv",
            "layout": d / "layout.parquet",
        }

    def endpoint_dir(self, endpoint: str, years: int) -> Path:
        return self.motlab / f"{endpoint}_{years}y"

    @property
    def de_top_genes(self) -> Path:
        """The top genes per class of the one-vs-rest DE ranking (rule de_ranking)."""
        return self.pancancer / "de" / "top_genes.tsv"

    @property
    def demo_truth(self) -> Path:
        return Path(self.results) / "demo" / "raw" / DEMO_FILES["truth"]

    @property
    def demo_markers(self) -> Path:
        return Path(self.results) / "demo" / "raw" / DEMO_FILES["markers"]

    def final_model_json(self, endpoint: str, years: int, scheme: str, smote: str) -> Path:
        return self.endpoint_dir(endpoint, years) / f"{scheme}_{smote}" / "model" / "preprocessing.json"

    def paths(self) -> dict[str, list[str]]:
        """Every input of the report, grouped by role (the rule's named inputs)."""
        schemes = self.config["motlab"]["schemes"]
        out = {
            "samples": [self.feature_file("samples.tsv")],
            "qc": [self.feature_file("qc.tsv")],
            "dropped_features": [self.feature_file("dropped_features.tsv")],
            "split": [self.pancancer / "split.tsv", self.pancancer / "split_dropped_classes.tsv"],
            "layouts": [p for lay in self.config["pancancer"]["layouts"] for p in self.layout_files(lay).values()],
            "runs": [self.run_file(lay, bb, role) for lay, bb in self.runs for role in RUN_FILES],
            "baseline": [self.baseline_file(role) for role in BASELINE_FILES],
            "cv": list(self.cv_files.values()),
            "de": [self.de_top_genes],
            "motlab": [
                self.motlab / n
                for n in (
                    "auroc_summary.tsv",
                    "auroc_paired.tsv",
                    "auroc_by_scheme.png",
                    "roc_curves.png",
                    "cohort_counts.tsv",
                )
            ],
            "motlab_labels": [self.endpoint_dir(ep, y) / "label_counts.tsv" for ep, y in self.endpoints],
            "motlab_weights": [
                self.endpoint_dir(ep, y) / s / "omics_weights.tsv" for ep, y in self.endpoints for s in schemes
            ],
            "motlab_models": [
                self.final_model_json(ep, y, s, sm) for ep, y in self.endpoints for s in schemes for sm in SMOTE_OPTIONS
            ],
        }
        if self.demo:
            out["demo_truth"] = [self.demo_truth, self.demo_markers]
        out = {k: v for k, v in out.items() if (a := analysis_of(k)) is None or self.has(a)}
        return {k: [str(p) for p in v] for k, v in out.items()}


def analysis_of(name: str) -> str | None:
    """The analysis an input role or output file belongs to (None: every report has it)."""
    if "motlab" in name:
        return "motlab"
    if any(k in name for k in ("software_versions", "input_checksums", "config.yaml", "demo_")):
        return None
    return "pancancer"


def output_files(src: Sources) -> list[tuple[str, str, dict]]:
    """Every file ``build`` writes besides the three documents, as (path in the report folder,
    kind, labels). The kind names the caption (workflow/report/<kind>.rst) in Snakemake's
    report; copies of figures that other rules already put there have kind "copy"."""
    lays = src.config["pancancer"]["layouts"]
    files = [
        *([("tables/demo_markers.tsv", "demo_markers", {})] if src.demo else []),
        ("figures/samples_per_type.png", "samples_per_type_figure", {}),
        ("tables/samples_per_type.tsv", "samples_per_type_table", {}),
        ("tables/qc_samples.tsv", "qc_samples", {}),
        ("tables/qc_features.tsv", "qc_features", {}),
        *[(f"figures/example_images_{lay}.png", "example_images", {"layout": lay}) for lay in lays],
        ("figures/pancancer_summary.png", "pancancer_summary", {}),
        ("tables/pancancer_metrics.tsv", "pancancer_metrics", {}),
        *(
            [
                ("figures/pancancer_cv.png", "pancancer_cv_figure", {}),
                ("tables/pancancer_cv.tsv", "pancancer_cv", {}),
                ("tables/pancancer_cv_per_fold.tsv", "pancancer_cv_per_fold", {}),
            ]
            if src.cv_files
            else []
        ),
        ("figures/training_curves.png", "training_curves", {}),
        ("tables/training_history.tsv", "training_history", {}),
        ("figures/per_class_f1.png", "per_class_f1_figure", {}),
        ("tables/per_class_f1.tsv", "per_class_f1_table", {}),
        *[
            (f"figures/confusion_{slug(lay, bb)}.png", "confusion", {"layout": lay, "model": bb})
            for lay, bb in src.runs
        ],
        (
            "figures/confusion_baseline.png",
            "confusion",
            {"layout": "expression vector", "model": "logistic regression"},
        ),
        *[
            (f"tables/confusion_{slug(lay, bb)}.tsv", "confusion_table", {"layout": lay, "model": bb})
            for lay, bb in src.runs
        ],
        (
            "tables/confusion_baseline.tsv",
            "confusion_table",
            {"layout": "expression vector", "model": "logistic regression"},
        ),
        ("tables/ig_completeness.tsv", "ig_completeness", {}),
        ("tables/ig_top_genes.tsv", "ig_top_genes", {}),
        *[(f"figures/ig_{slug(lay, bb)}.png", "copy", {}) for lay, bb in src.runs],
        ("tables/ig_de_summary.tsv", "ig_de_summary", {}),
        ("tables/ig_de_agreement.tsv", "ig_de_agreement", {}),
        ("tables/de_top_genes.tsv", "de_top_genes", {}),
        ("tables/motlab_auroc.tsv", "motlab_auroc", {}),
        ("tables/motlab_paired.tsv", "motlab_paired", {}),
        ("figures/motlab_auroc_by_scheme.png", "copy", {}),
        ("figures/motlab_roc_curves.png", "copy", {}),
        ("tables/motlab_weights.tsv", "motlab_weights", {}),
        ("tables/motlab_labels.tsv", "motlab_labels", {}),
        ("tables/motlab_cohort.tsv", "motlab_cohort", {}),
        ("tables/software_versions.tsv", "software_versions", {}),
        ("tables/input_checksums.tsv", "input_checksums", {}),
        ("config.yaml", "config", {}),
    ]
    return [f for f in files if (a := analysis_of(f[0])) is None or src.has(a)]
