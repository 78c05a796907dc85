"""Where the metrics report finds its inputs: every file, by role, under the results folder.

One function serves both the workflow (the rule's inputs, so Snakemake builds them first) and
the report builder (which reads them), so the two cannot disagree.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

# Per pan-cancer run (layout x backbone); the baseline has the evaluation files only.
RUN_FILES = {
    "metrics": "metrics.json",
    "history": "history.tsv",
    "confusion": "confusion.tsv",
    "per_class": "per_class.tsv",
    "ig_grid": "ig/grid.png",
    "ig_top_genes": "ig/top_genes.tsv",
    "ig_completeness": "ig/completeness.tsv",
}
BASELINE_FILES = ("metrics", "confusion", "per_class")
SMOTE_OPTIONS = ("nosmote", "smote")


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

    def baseline_file(self, role: str) -> Path:
        return self.pancancer / "baseline" / RUN_FILES[role]

    def feature_file(self, suffix: str) -> Path:
        return Path(self.results) / "features" / f"{self.config['pancancer']['matrix']}.{suffix}"

    def layout_files(self, layout: str) -> dict[str, Path]:
        d = self.pancancer / layout
        return {"images": d / "images" / "train.npy", "index": d / "images" / "index.tsv", "layout": d / "layout.parquet"}

    def endpoint_dir(self, endpoint: str, years: int) -> Path:
        return self.motlab / f"{endpoint}_{years}y"

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
            "motlab": [self.motlab / n for n in ("auroc_summary.tsv", "auroc_by_scheme.png", "roc_curves.png",
                                                 "cohort_counts.tsv")],
            "motlab_labels": [self.endpoint_dir(ep, y) / "label_counts.tsv" for ep, y in self.endpoints],
            "motlab_weights": [self.endpoint_dir(ep, y) / s / "omics_weights.tsv"
                               for ep, y in self.endpoints for s in schemes],
            "motlab_models": [self.final_model_json(ep, y, s, sm)
                              for ep, y in self.endpoints for s in schemes for sm in SMOTE_OPTIONS],
        }
        return {k: [str(p) for p in v] for k, v in out.items()}
