"""Where the metrics report finds its inputs: every file, by role, under the results folder.

One function serves both the workflow (the rule's inputs, so Snakemake builds them first) and
the report builder (which reads them), so the two cannot disagree.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from .. import paths
from ..inputs.demo_files import FILES as DEMO_FILES
from ..motlab.options import SMOTE_OPTIONS

DOCUMENTS = paths.DOCUMENTS
# Per pan-cancer run (layout x backbone): the files the report reads, by role -> their key in
# the run's files (Sources.run_files; the baseline has the evaluation files only).
RUN_FILES = {
    "metrics": "metrics",
    "history": "history",
    "confusion": "confusion",
    "per_class": "per_class",
    "ig_grid": "ig_grid",
    "ig_top_genes": "ig_top",
    "ig_completeness": "ig_completeness",
    "ig_de_agreement": "ig_de_agreement",
    "ig_faithfulness": "ig_faithfulness",
    "ig_faithfulness_curves": "ig_faithfulness_curves",
    "ig_faithfulness_plot": "ig_faithfulness_plot",
    "checkpoint_meta": "meta",
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
    "ig_faithfulness_plot": ("3. Integrated Gradients", "Faithfulness"),
    "ig_faithfulness_summary": ("3. Integrated Gradients", "Faithfulness"),
    "motlab_auroc_by_scheme": ("4. MOTLAB", "Summary"),
    "motlab_roc": ("4. MOTLAB", "Summary"),
    "software_versions": ("5. Provenance", None),
    "trained_on": ("5. Provenance", None),
    "input_checksums": ("5. Provenance", None),
    "config": ("5. Provenance", None),
}


def slug(*parts) -> str:
    return "_".join(str(p) for p in parts)


@dataclass(frozen=True)
class Sources:
    """The report's inputs under ``results`` (the workflow's results folder; under a module
    prefix it is that prefix's), each located by :mod:`tcgatl.paths`."""

    config: dict
    results: Path = Path(paths.RESULTS)

    def _at(self, path: str) -> Path:
        """``path`` (a :mod:`tcgatl.paths` path under results/) under this results folder."""
        return Path(self.results) / PurePosixPath(path).relative_to(paths.RESULTS)

    @property
    def pancancer(self) -> Path:
        return self._at(paths.PANCANCER)

    @property
    def motlab(self) -> Path:
        return self._at(paths.MOTLAB)

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
        files = (
            paths.checkpoint_files(paths.SINGLE, layout, backbone)
            | paths.evaluation_files(paths.SINGLE, layout, backbone)
            | {f"ig_{k}": p for k, p in paths.ig_files(layout, backbone).items()}
        )
        return self._at(files[RUN_FILES[role]])

    @property
    def cv_files(self) -> dict[str, Path]:
        """The cross-validation summary and per-fold metrics; none without pancancer.cv_folds."""
        if not self.config["pancancer"]["cv_folds"]:
            return {}
        return {k: self._at(paths.CV_FILES[k]) for k in ("summary", "per_fold")}

    def baseline_file(self, role: str) -> Path:
        return self._at(paths.baseline_files()[RUN_FILES[role]])

    def feature_file(self, role: str) -> Path:
        """A file of the pan-cancer matrix's layer (:data:`tcgatl.paths.FEATURE_FILES` role)."""
        return self._at(paths.features(self.config["pancancer"]["matrix"], role))

    @property
    def split_files(self) -> dict[str, Path]:
        return {"split": self._at(paths.split()), "dropped": self._at(paths.split_dropped())}

    def layout_files(self, layout: str) -> dict[str, Path]:
        images = paths.image_files(paths.SINGLE, layout)
        return {
            "images": self._at(images["train"]),
            "index": self._at(images["index"]),
            "layout": self._at(paths.layout_files(paths.SINGLE, layout)["layout"]),
        }

    def endpoint_dir(self, endpoint: str, years: int) -> Path:
        return self._at(paths.endpoint_dir(endpoint, years))

    def label_counts(self, endpoint: str, years: int) -> Path:
        return self._at(paths.label_files(endpoint, years)["counts"])

    def omics_weights(self, endpoint: str, years: int, scheme: str) -> Path:
        return self._at(paths.scheme_files(endpoint, years, scheme)["weights"])

    def motlab_file(self, role: str) -> Path:
        """A MOTLAB summary or cohort file (:data:`tcgatl.paths.SUMMARY_FILES`, ``COHORT_FILES``)."""
        return self._at((paths.SUMMARY_FILES | paths.COHORT_FILES)[role])

    @property
    def de_top_genes(self) -> Path:
        """The top genes per class of the one-vs-rest DE ranking (rule de_ranking)."""
        return self._at(paths.DE_FILES["top"])

    @property
    def demo_truth(self) -> Path:
        return self._at(paths.demo_raw(DEMO_FILES["truth"]))

    @property
    def demo_markers(self) -> Path:
        return self._at(paths.demo_raw(DEMO_FILES["markers"]))

    def final_model_json(self, endpoint: str, years: int, scheme: str, smote: str) -> Path:
        return self._at(paths.final_model(endpoint, years, scheme, smote, "preprocessing.json"))

    def paths(self) -> dict[str, list[str]]:
        """Every input of the report, grouped by role (the rule's named inputs); only the roles
        of the configured analyses."""
        schemes = self.config["motlab"]["schemes"]
        pancancer = {
            "samples": [self.feature_file("samples")],
            "qc": [self.feature_file("qc")],
            "dropped_features": [self.feature_file("dropped")],
            "split": list(self.split_files.values()),
            "layouts": [p for lay in self.config["pancancer"]["layouts"] for p in self.layout_files(lay).values()],
            "runs": [self.run_file(lay, bb, role) for lay, bb in self.runs for role in RUN_FILES],
            "baseline": [self.baseline_file(role) for role in BASELINE_FILES],
            "cv": list(self.cv_files.values()),
            "de": [self.de_top_genes],
        }
        motlab = {
            "motlab": [self.motlab_file(r) for r in ("table", "paired", "figure", "roc", "counts")],
            "motlab_labels": [self.label_counts(ep, y) for ep, y in self.endpoints],
            "motlab_weights": [self.omics_weights(ep, y, s) for ep, y in self.endpoints for s in schemes],
            "motlab_models": [
                self.final_model_json(ep, y, s, sm) for ep, y in self.endpoints for s in schemes for sm in SMOTE_OPTIONS
            ],
        }
        out = {
            **(pancancer if self.has("pancancer") else {}),
            **(motlab if self.has("motlab") else {}),
            **({"demo_truth": [self.demo_truth, self.demo_markers]} if self.demo else {}),
        }
        return {k: [str(p) for p in v] for k, v in out.items()}


def output_files(src: Sources) -> list[tuple[str, str, dict]]:
    """Every file ``build`` writes besides the three documents, as (path in the report folder,
    kind, labels), from :data:`tcgatl.paths.REPORT_FILES` expanded over this configuration's
    layouts and runs. The kind names the caption (workflow/report/<kind>.rst) in Snakemake's
    report; copies of figures that other rules already put there have kind "copy"."""
    sections = {"demo": src.demo, "cv": bool(src.cv_files)}
    files = []
    for f in paths.REPORT_FILES:
        if (f.analysis is not None and not src.has(f.analysis)) or not sections.get(f.section, True):
            continue
        if "{layout}" in f.path:
            files += [
                (f.path.format(layout=lay), f.kind, {"layout": lay}) for lay in src.config["pancancer"]["layouts"]
            ]
        elif "{run}" in f.path:
            files += [
                (f.path.format(run=slug(lay, bb)), f.kind, {} if f.kind == "copy" else {"layout": lay, "model": bb})
                for lay, bb in src.runs
            ]
        else:
            files.append((f.path, f.kind, dict(f.labels)))
    return files
