"""Builds the metrics report: both studies' figures and tables, with provenance, in ``results/report/``.

``build`` reads the workflow's outputs (:mod:`.sources` says which), makes the tables
(:mod:`.tables`) and figures (:mod:`.figures`), and writes ``report.md``, a self-contained
``index.html``, ``report.json`` and the TSV tables they are made from.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import yaml

from ..io import atomic_path, write_table
from ..pancancer.layouts import gene_mask, read_layout
from ..plots import save_figure
from . import figures, provenance, tables
from .document import Code, Details, Document, Figure, Section, Table, Text, to_html, to_markdown
from .sources import DOCUMENTS, SMOTE_OPTIONS, Sources, output_files
from .sources import slug as _slug


def _records(df: pd.DataFrame) -> list[dict]:
    return json.loads(df.to_json(orient="records", double_precision=6))


def _fmt(x, digits=3) -> str:
    return "-" if x is None or pd.isna(x) else f"{x:.{digits}f}"


class _Writer:
    """Writes figures and tables under the report folder and remembers what it wrote. It
    writes only the files :func:`.sources.output_files` declares (tcgatl.paths.REPORT_FILES),
    so the rule's outputs and what the report writes cannot drift apart."""

    def __init__(self, out: Path, declared):
        self.out = out
        self.declared = set(declared)
        self.data: dict = {}

    def path(self, rel: str) -> Path:
        if rel not in self.declared:
            raise ValueError(
                f"the report writes {rel}, which tcgatl.paths.REPORT_FILES does not declare for this configuration"
            )
        return self.out / rel

    def figure(self, fig, rel: str, caption: str) -> Figure:
        save_figure(fig, self.path(rel))
        return Figure(Path(rel), caption)

    def copy(self, src, rel: str, caption: str) -> Figure:
        with atomic_path(self.path(rel)) as tmp:
            shutil.copyfile(src, tmp)
        return Figure(Path(rel), caption)

    def table(self, df: pd.DataFrame, name: str, caption: str, display: pd.DataFrame | None = None) -> Table:
        write_table(df, self.path(f"tables/{name}"))
        self.data[name.removesuffix(".tsv")] = _records(df)
        return Table(df if display is None else display, caption, name)


def _demo_section(src: Sources, w: _Writer) -> Section:
    """What the embedded demo plants and what the reader should see, from its ground truth;
    beside it, what this run measured."""
    truth = tables.read_json(src.demo_truth)
    expected = truth["expected"]
    markers = tables.read_tsv(src.demo_markers, ["type", "gene_id", "log2_shift", "kind"])
    symbols = markers.assign(symbol=markers["gene_id"].str.split("|").str[0])
    table = (
        symbols.groupby("type", sort=True)
        .apply(
            lambda g: pd.Series(
                {
                    "shared with": ", ".join(
                        sorted({t for f in truth["families"] if g.name in f for t in f} - {g.name})
                    )
                    or "-",
                    "markers (log2 shift)": ", ".join(f"{r.symbol} ({r.log2_shift:g})" for r in g.itertuples()),
                }
            ),
            include_groups=False,
        )
        .reset_index()
    )
    baseline = tables.read_json(src.baseline_file("metrics"))["metrics"]["accuracy"]
    observed = [f"logistic-regression baseline accuracy {_fmt(baseline)}"]
    summary = tables.read_tsv(
        src.motlab_file("table"), ["endpoint", "years", "scheme", "smote", "population", "mean_auroc"]
    )
    for (ep, yrs), sub in summary[summary["smote"] == "nosmote"].groupby(["endpoint", "years"], sort=False):
        aa = sub[sub["population"] == "AA"]
        mix = sub[sub["scheme"] == "mixture"].set_index("population")["mean_auroc"]
        text = f"{ep} {yrs}y AA AUROC (no SMOTE): " + ", ".join(
            f"{r.scheme} {_fmt(r.mean_auroc)}" for r in aa.itertuples()
        )
        if {"AA", "EA"} <= set(mix.index):
            text += f"; mixture EA {_fmt(mix['EA'])} vs AA {_fmt(mix['AA'])}"
        observed.append(text)
    w.data["demo"] = {"expected": expected, "observed": observed}
    blocks = [
        Text(
            "This report is of the embedded demo: synthetic files in the TCGA layouts with planted signal "
            f"(ground truth: `{src.demo_truth.parent}`). Pan-cancer: {expected['pancancer']}. "
            f"{expected['ig']}. MOTLAB, {expected['motlab']}."
        ),
        Text("Measured in this run: " + "; ".join(observed) + "."),
        w.table(table, "demo_markers.tsv", "The planted markers of each type (ground_truth/markers.tsv)."),
    ]
    return Section("What the demo shows", blocks)


def _data_section(src: Sources, w: _Writer) -> Section:
    pc = src.config["pancancer"]
    samples = tables.read_tsv(src.feature_file("samples"), ["label", "status"])
    qc = tables.read_tsv(src.feature_file("qc"), ["status", "samples"])
    dropped = tables.read_tsv(src.feature_file("dropped"), ["feature", "reason"])
    split = tables.read_tsv(src.split_files["split"], ["label", "split"])
    small = tables.read_tsv(src.split_files["dropped"], ["label"])
    per_type = tables.samples_per_type(samples, split)
    used = per_type[per_type["in_classifier"]]
    typed = per_type[(per_type["kept_after_qc"] > 0) & (per_type["tumour_type"] != "(no label)")]
    blocks = [
        Text(
            f"{int(typed['kept_after_qc'].sum())} samples of {len(typed)} tumour types passed QC "
            f"({pc['matrix']} matrix); {int(split.shape[0])} samples of {len(used)} types with at least "
            f"{pc['min_class_size']} samples went into the classifier, split "
            f"{pc['train_fraction']:.0%}/{pc['val_fraction']:.0%}/{1 - pc['train_fraction'] - pc['val_fraction']:.0%} "
            "stratified by type."
            + (f" Left out (too few samples): {', '.join(sorted(small['label']))}." if len(small) else "")
        )
    ]
    blocks.append(
        w.figure(
            figures.samples_per_type(per_type),
            "figures/samples_per_type.png",
            "Samples per tumour type: training/validation/test samples of the classifier, samples "
            "kept by QC but in a type too small to classify, and samples removed by QC (hatched).",
        )
    )
    blocks.append(
        w.table(per_type, "samples_per_type.tsv", "Samples per tumour type after QC, by QC drop reason and by split.")
    )
    blocks.append(
        w.table(
            tables.qc_reasons(qc), "qc_samples.tsv", "QC of samples (aliquots): kept, and the reason for each removal."
        )
    )
    blocks.append(
        w.table(
            tables.dropped_features(dropped), "qc_features.tsv", "QC of features (genes): number removed, by reason."
        )
    )
    for lay in pc["layouts"]:
        files = src.layout_files(lay)
        index = tables.read_tsv(files["index"], ["split", "position", "label"])
        layout, shape = read_layout(files["layout"])
        mask = gene_mask(layout, shape)
        train = np.load(files["images"], mmap_mode="r")
        first = index[index["split"] == "train"].sort_values("position").groupby("label", sort=True).first()
        imgs = [np.asarray(train[int(p)]) for p in first["position"]]
        blocks.append(
            w.figure(
                figures.example_images(
                    list(first.index), imgs, mask, f"One training gene image per tumour type ({lay} layout)"
                ),
                f"figures/example_images_{lay}.png",
                f"One gene image per tumour type, {lay} layout: the first training sample of each type at the model's "
                f"native grid ({shape[0]}x{shape[1]} pixels, one pixel per gene; grey: padding, no gene). Values are "
                f"log2 expression scaled to [0, 1] with the training set's {pc['scaling']} minimum and maximum.",
            )
        )
    return Section("Data", blocks)


def _paper_text(reasons: list[str]) -> str:
    """The sentence on the original paper's figures: set beside this run's, or why they are not."""
    if not reasons:
        return (
            "The original paper reported 0.92 (ResNet50, one split, no CI); published peers reach about 0.95-0.96 "
            f"on the same {tables.PAPER_TYPES} types."
        )
    return (
        f"The original paper's figures (accuracy 0.92 on {tables.PAPER_TYPES} TCGA types, ResNet50 with ImageNet "
        "weights) are not drawn beside these: this run is not comparable with it, as " + "; ".join(reasons) + "."
    )


def _pancancer_section(src: Sources, w: _Writer, checksums: pd.DataFrame) -> Section:
    pc = src.config["pancancer"]
    runs = {(lay, bb): tables.read_json(src.run_file(lay, bb, "metrics")) for lay, bb in src.runs}
    baseline = tables.read_json(src.baseline_file("metrics"))
    types = tables.read_tsv(src.split_files["split"], ["label"])["label"].nunique()
    reasons = tables.paper_not_comparable(src.config, types, checksums)
    metrics = tables.pancancer_metrics(runs, baseline, paper=not reasons)
    shown = tables.with_ci(metrics, tables.METRICS).drop(columns=["layout", "backbone"])
    shown = shown.rename(columns=tables.METRIC_LABELS)
    best = metrics[metrics["source"] == "this workflow"].sort_values("accuracy", ascending=False).iloc[0]
    blocks = [
        Text(
            f"{len(runs)} fine-tuned models ({', '.join(pc['backbones'])} on the {', '.join(pc['layouts'])} layout(s)), "
            f"ImageNet weights: {pc['weights']}, input resized inside the model to {pc['image_size']}x{pc['image_size']}. "
            f"Best test accuracy: {best['model']} {_fmt(best['accuracy'])} "
            f"(95% CI {_fmt(best['accuracy_ci_low'])}-{_fmt(best['accuracy_ci_high'])}); logistic-regression baseline "
            f"{_fmt(baseline['metrics']['accuracy'])}. Intervals: percentile bootstrap over test samples "
            f"({pc['bootstrap']} resamples). {_paper_text(reasons)}"
        )
    ]
    paper = " and the original paper's reported values (red star and dotted line)" if not reasons else ""
    blocks.append(
        w.figure(
            figures.pancancer_summary(metrics),
            "figures/pancancer_summary.png",
            "Test-set accuracy and macro F1 of every backbone and layout (95% bootstrap CI), the "
            f"logistic-regression baseline (grey){paper}.",
        )
    )
    paper = ", and the original paper's single-split figures" if not reasons else ""
    blocks.append(
        w.table(
            metrics,
            "pancancer_metrics.tsv",
            "Test-set metrics with 95% bootstrap CIs: every backbone x layout, the logistic-regression "
            f"baseline on the expression vector{paper}.",
            display=shown,
        )
    )
    if src.cv_files:
        blocks += _cv_blocks(src, w, metrics, comparable=not reasons)
    hist = tables.histories(
        {
            (lay, bb): tables.read_tsv(
                src.run_file(lay, bb, "history"), ["phase", "loss", "val_loss", "accuracy", "val_accuracy", "kept"]
            )
            for lay, bb in src.runs
        }
    )
    w.table(hist, "training_history.tsv", "Training history of every run.")
    blocks.append(
        w.figure(
            figures.training_curves(hist),
            "figures/training_curves.png",
            "Training curves: cross-entropy loss and accuracy per epoch on the training (blue) and "
            "validation (red) sets; phase 1 trains the new head, phase 2 (after the dotted line) "
            "fine-tunes the last convolutional block; the ring marks the epoch whose weights were kept "
            "(lowest validation loss).",
        )
    )
    per_class = {
        f"{bb} ({lay})": tables.read_tsv(src.run_file(lay, bb, "per_class"), ["class", "f1"]) for lay, bb in src.runs
    }
    per_class["logistic regression"] = tables.read_tsv(src.baseline_file("per_class"), ["class", "f1"])
    f1 = tables.per_class_f1(per_class)
    blocks.append(
        w.figure(
            figures.per_class_f1(f1),
            "figures/per_class_f1.png",
            "Per-class F1 on the test set: every tumour type (rows) for every model (columns).",
        )
    )
    blocks.append(
        w.table(
            f1.reset_index(), "per_class_f1.tsv", "Per-class F1 on the test set.", display=f1.round(3).reset_index()
        )
    )
    confusions = []
    for lay, bb in src.runs:
        conf = tables.read_tsv(src.run_file(lay, bb, "confusion"), ["true"]).set_index("true")
        w.table(conf.reset_index(), f"confusion_{_slug(lay, bb)}.tsv", f"Confusion matrix of {bb} ({lay}).")
        confusions.append(
            w.figure(
                figures.confusion(conf, f"{bb} ({lay}): test-set confusion matrix"),
                f"figures/confusion_{_slug(lay, bb)}.png",
                f"Confusion matrix of {bb} on the {lay} layout (test set): counts, coloured by the "
                "share of each true type's samples.",
            )
        )
    conf = tables.read_tsv(src.baseline_file("confusion"), ["true"]).set_index("true")
    w.table(conf.reset_index(), "confusion_baseline.tsv", "Confusion matrix of the baseline.")
    confusions.append(
        w.figure(
            figures.confusion(conf, "Logistic-regression baseline: test-set confusion matrix"),
            "figures/confusion_baseline.png",
            "Confusion matrix of the logistic-regression baseline (test set).",
        )
    )
    best_name = f"confusion_{_slug(best['layout'], best['backbone'])}.png"
    first = next(f for f in confusions if f.path.name == best_name)
    blocks.append(Details(f"Confusion matrix of the best model, {best['model']}", [first], open=True))
    blocks.append(Details("Confusion matrices of every other model", [f for f in confusions if f is not first]))
    return Section("Pan-cancer classification", blocks)


def _cv_blocks(src: Sources, w: _Writer, metrics: pd.DataFrame, comparable: bool) -> list:
    """Cross-validated metrics beside the single split (pancancer.cv_folds); the peers' CV means
    beside them only where the run is comparable with the paper (:func:`.tables.paper_not_comparable`)."""
    pc = src.config["pancancer"]
    summary = tables.read_tsv(src.cv_files["summary"], ["layout", "backbone", "folds", "accuracy", "macro_f1"])
    per_fold = tables.read_tsv(src.cv_files["per_fold"], ["repeat", "fold", "layout", "backbone", "accuracy"])
    cv = tables.pancancer_cv(summary, metrics)
    best = cv.sort_values("cv_accuracy", ascending=False).iloc[0]
    repeats = f" x {pc['cv_repeats']} repeats" if pc["cv_repeats"] > 1 else ""
    return [
        Text(
            f"Cross-validation: every model above and the baseline retrained on each of {pc['cv_folds']} stratified "
            f"folds{repeats} (gene layouts and scaling refitted on each fold's training part; of the other folds a "
            "stratified share, in the single split's train:validation ratio, is the validation set). Best mean accuracy: "
            f"{best['model']} {_fmt(best['cv_accuracy'])} (95% interval {_fmt(best['cv_accuracy_ci_low'])}-"
            f"{_fmt(best['cv_accuracy_ci_high'])}), single split {_fmt(best['split_accuracy'])}. The intervals use "
            "the Nadeau-Bengio correction for the overlap of the folds' training sets; the plain t-interval over "
            "folds would be too narrow."
            + (
                " Peers report 5- or 10-fold CV means (Lyu & Haque 2018: 0.956; Mostavi et al. 2020: 0.939-0.950)."
                if comparable
                else ""
            )
        ),
        w.figure(
            figures.pancancer_cv(cv, per_fold),
            "figures/pancancer_cv.png",
            "Cross-validated test accuracy and macro F1 of every model: each fold (dots), the mean with its "
            "corrected 95% interval (bar), and the single split's value with its bootstrap CI (red diamond).",
        ),
        w.table(
            cv,
            "pancancer_cv.tsv",
            "Cross-validated mean accuracy and macro F1 (corrected 95% interval over folds) beside the "
            "single split's values (95% bootstrap CI).",
            display=tables.pancancer_cv_display(cv),
        ),
        Details(
            "Test metrics of every model on every fold",
            [
                w.table(
                    per_fold,
                    "pancancer_cv_per_fold.tsv",
                    "Test metrics of every model on every cross-validation fold.",
                    display=per_fold.round(3),
                )
            ],
        ),
    ]


def _ig_rule(ig: dict) -> str:
    if ig["method"] == "adaptive":
        return (
            f"adaptive rule, tolerance {ig['tolerance']:g}, at most {ig['max_evaluations']} gradient evaluations "
            "per sample"
        )
    return f"{ig['method']} rule, {ig['steps']} steps"


def _ig_section(src: Sources, w: _Writer, top_n: int) -> Section:
    ig = src.config["ig"]
    blocks = [
        Text(
            f"Integrated Gradients (baseline `{ig['baseline']}`, {_ig_rule(ig)}) on correctly classified test "
            f"samples (at most {ig['max_per_class']} per type). One pixel is one gene, so pixel attributions are gene "
            "attributions; genes sharing a pixel of the similarity layout split it by the chain rule. Completeness "
            "error: |sum of attributions - (F(x) - F(baseline))| relative to |F(x) - F(baseline)|; samples above "
            f"the tolerance ({ig['tolerance']:g}) are left out of the gene rankings and maps (their count below)."
        )
    ]
    tops, comp_rows = [], []
    for lay, bb in src.runs:
        top = tables.read_tsv(src.run_file(lay, bb, "ig_top_genes"), ["class", "rank", "gene", "symbol", "n_samples"])
        comp = tables.read_tsv(
            src.run_file(lay, bb, "ig_completeness"), ["completeness_error", "evaluations", "converged"]
        )
        converged = comp["converged"].astype(str).str.lower().isin(["true", "1"])
        # EB++'s "?" for a gene without a symbol reads as a glitch: its Entrez id, as the report shows it.
        tops.append(top.assign(symbol=tables.gene_labels(top).to_numpy(), layout=lay, backbone=bb))
        comp_rows.append(
            {
                "layout": lay,
                "backbone": bb,
                "samples": len(comp),
                "above_tolerance": int((~converged).sum()),
                "median_completeness_error": comp["completeness_error"].median(),
                "p90_completeness_error": comp["completeness_error"].quantile(0.9),
                "max_completeness_error": comp["completeness_error"].max(),
                "mean_evaluations": comp["evaluations"].mean(),
            }
        )
        grid = w.copy(
            src.run_file(lay, bb, "ig_grid"),
            f"figures/ig_{_slug(lay, bb)}.png",
            f"Mean IG attribution per tumour type, {bb} on the {lay} layout (red raises the type's "
            "probability, blue lowers it; grey: padding; one colour scale for all panels).",
        )
        wide = tables.top_genes_wide(top, top_n)
        blocks.append(
            Details(
                f"{bb} ({lay})",
                [grid, Table(wide, f"Top {top_n} genes per tumour type by mean attribution, {bb} ({lay}).")],
                open=(lay, bb) == src.runs[0],
            )
        )
    comp = pd.DataFrame(comp_rows)
    blocks.insert(
        1,
        w.table(
            comp,
            "ig_completeness.tsv",
            "IG completeness error per model (median, 90th percentile and maximum over the explained samples), "
            "the samples above the tolerance (left out of the gene rankings) and the mean gradient evaluations "
            "per sample.",
            display=comp.round(4),
        ),
    )
    w.table(pd.concat(tops, ignore_index=True), "ig_top_genes.tsv", "Top genes per class, every model.")
    return Section("Integrated Gradients", blocks)


def _ig_de_section(src: Sources, w: _Writer, top_n: int) -> Section:
    """Each model's IG gene ranking against the one-vs-rest DE ranking of the training split."""
    frames = {
        (lay, bb): tables.read_tsv(
            src.run_file(lay, bb, "ig_de_agreement"),
            ["class", "n_explained", "n_train_class", "n_genes", "k", "chance", "spearman", "topk_overlap", "topk_p"]
            + ["spearman_abs", "topk_overlap_abs", "topk_abs_p"],
        )
        for lay, bb in src.runs
    }
    summary = tables.de_agreement_summary(frames)
    de = tables.read_tsv(src.de_top_genes, ["class", "rank", "gene", "symbol", "welch_t", "n_class"])
    # A type without a correctly classified test sample has no IG ranking: named, not left out silently.
    unexplained = []
    for (lay, bb), t in frames.items():
        missing = sorted(set(de["class"]) - set(t["class"]))
        if missing:
            unexplained.append(f"{bb} ({lay}): {', '.join(missing)}")
    blocks = [
        Text(
            "Do the genes IG credits follow the data? Per tumour type, each model's IG ranking (mean attribution over "
            "its explained test samples) is compared with a one-vs-rest differential-expression ranking of the "
            "training split: Welch's t of the type against every other type, per gene. Spearman: the correlation over "
            "all genes of the signed scores (positive attribution pushes towards the type, positive t is up in it); "
            "top-k overlap: the share of IG's k first genes among the k most up in the type, against k / genes "
            "expected of a random ranking (chance), with its hypergeometric p. The absolute columns (|.|) compare "
            "magnitudes, so that a gene lower in the type that the model uses counts as agreement: with a baseline "
            f"inside the data (this run: `{src.config['ig']['baseline']}`) such a gene gets a positive attribution."
        ),
        Text(tables.de_agreement_text(summary)),
        *(
            [
                Text(
                    "Types without a correctly classified test sample, so without an IG ranking to compare: "
                    + "; ".join(unexplained)
                    + "."
                )
            ]
            if unexplained
            else []
        ),
        w.table(
            summary,
            "ig_de_summary.tsv",
            "Agreement of each model's IG gene ranking with the training split's differential expression: medians "
            "over the explained types, and the types whose top-k overlap exceeds chance.",
            display=tables.de_agreement_summary_display(summary),
        ),
    ]
    for lay, bb in src.runs:
        blocks.append(
            Details(
                f"{bb} ({lay}): per tumour type",
                [
                    Table(
                        tables.de_agreement_display(frames[(lay, bb)]),
                        f"IG against differential expression per tumour type, {bb} ({lay}): explained test samples, "
                        "training samples of the type, Spearman and top-k overlap (signed and absolute) with their "
                        "p-values.",
                    )
                ],
                open=(lay, bb) == src.runs[0],
            )
        )
    w.table(
        pd.concat([t.assign(layout=lay, backbone=bb) for (lay, bb), t in frames.items()], ignore_index=True),
        "ig_de_agreement.tsv",
        "IG against differential expression, every model and type.",
    )
    blocks.append(
        Details(
            "Top genes per tumour type by differential expression (training split)",
            [
                w.table(
                    de,
                    "de_top_genes.tsv",
                    f"Top {top_n} genes per tumour type by Welch's t against the other types on the training split "
                    "(samples: the type's training samples), to read beside each model's IG top genes.",
                    display=tables.top_genes_wide(de.rename(columns={"n_class": "n_samples"}), top_n),
                )
            ],
        )
    )
    return Section("Integrated Gradients against the data", blocks)


def _ig_faithfulness_section(src: Sources, w: _Writer) -> Section:
    """Deletion and insertion curves of each model's IG attributions against DE and random orders."""
    ig = src.config["ig"]
    frames = {
        (lay, bb): tables.read_tsv(
            src.run_file(lay, bb, "ig_faithfulness"),
            ["class", "curve", "area_ig", "area_de", "area_random", "change", "p_vs_de", "p_vs_random"]
            + ["ig_beats_both", "samples"],
        )
        for lay, bb in src.runs
    }
    blocks = [
        Text(
            "Does the prediction depend on the genes IG ranks first? For at most "
            f"{ig['faithfulness_per_class']} explained test samples per type, the gene pixels are ordered by |IG "
            "attribution|, by the type's differential-expression ranking (Welch's t on the training split) and at "
            f"random. Deletion replaces the first k pixels by the IG baseline (`{ig['baseline']}`), insertion "
            "restores them from it, and the probability of the explained type is followed over "
            f"{ig['faithfulness_points']} values of k from none to every gene pixel (logarithmically spaced), "
            "normalised to run from the image's output (1) to the baseline's (0). Area: the normalised curve's "
            "mean over those points; a faithful order has the lowest deletion area and the highest "
            "insertion area, sample by sample (one-sided paired Wilcoxon p against each comparator; IG 'beats' "
            "a comparator at p < 0.05). Change: how far the probability moves between the image and the baseline; "
            "on a model whose output hardly moves the orders may differ consistently yet matter little."
        ),
        Text(" ".join(tables.faithfulness_sentence(f"{bb} ({lay})", t) for (lay, bb), t in frames.items())),
    ]
    every = pd.concat([t.assign(layout=lay, backbone=bb) for (lay, bb), t in frames.items()], ignore_index=True)
    overall = every[every["class"] == "all"]
    blocks.append(
        w.table(
            every,
            "ig_faithfulness.tsv",
            "Mean area under the deletion and insertion curves per model and curve (type 'all') and per type.",
            display=overall[
                ["backbone", "layout", "curve", "area_ig", "area_de", "area_random", "change"]
                + ["p_vs_de", "p_vs_random", "samples"]
            ]
            .rename(columns={"area_ig": "IG", "area_de": "DE", "area_random": "random"})
            .round(4),
        )
    )
    for lay, bb in src.runs:
        blocks.append(
            Details(
                f"{bb} ({lay})",
                [
                    w.copy(
                        src.run_file(lay, bb, "ig_faithfulness_plot"),
                        f"figures/ig_faithfulness_{_slug(lay, bb)}.png",
                        f"Mean deletion and insertion curves, {bb} on the {lay} layout: IG, DE and random pixel orders.",
                    ),
                    Table(
                        frames[(lay, bb)].round(3),
                        f"Areas under the curves per tumour type, {bb} ({lay}).",
                    ),
                ],
                open=(lay, bb) == src.runs[0],
            )
        )
    return Section("Integrated Gradients: faithfulness", blocks)


def _motlab_section(src: Sources, w: _Writer) -> Section:
    mot = src.config["motlab"]
    summary = tables.read_tsv(
        src.motlab_file("table"),
        ["endpoint", "years", "scheme", "smote", "population", "mean_auroc", "ci95_low", "ci95_high", "repeats"],
    )
    auroc = tables.motlab_auroc(summary)
    tags = ["AA_auroc", "EA_auroc", "EA_minus_AA"]
    shown = tables.with_ci(auroc, tags).rename(
        columns={
            "AA_auroc": "AA AUROC [95% CI]",
            "EA_auroc": "EA AUROC [95% CI]",
            "EA_minus_AA": "EA - AA gap [95% CI]",
        }
    )
    shown = shown[[c for c in shown.columns if c != "repeats"] + ["repeats"]]
    blocks = [
        Text(
            f"Breast-cancer prognosis from {', '.join(mot['layers'])}: pretrained on European-American (EA) and adapted to "
            f"African-American (AA) patients. AUROC on AA patients over {mot['repeats']} repeats of stratified "
            f"{mot['folds']}-fold cross-validation (mean and 95% t-interval over repeats, clipped to [0, 1]). Every "
            "preprocessing step, the omics weights and SMOTE are fitted inside each training fold. EA AUROC and the "
            "EA - AA gap exist for `mixture` and `logistic_mixture` only (in the other schemes EA patients are "
            "training data). The `logistic_` schemes are the linear reference: an L2 logistic regression on the "
            "patients and preprocessing of their network twin."
        )
    ]
    blocks.append(
        w.table(auroc, "motlab_auroc.tsv", "AUROC by endpoint, years, scheme and SMOTE option.", display=shown)
    )
    comparisons = tables.read_tsv(
        src.motlab_file("paired"),
        [
            "endpoint",
            "years",
            "first",
            "second",
            "mean_difference",
            "patients_ci95_low",
            "patients_ci95_high",
            "aa_patients",
            "aa_poor_outcome",
            "resolvable_difference",
            "verdict",
        ],
    )
    blocks.append(Text(tables.motlab_paired_text(comparisons)))
    blocks.append(
        w.table(
            comparisons,
            "motlab_paired.tsv",
            "Paired comparisons on AA patients (first minus second, same folds): the AUROC difference per repeat, "
            "its mean, a 95% t-interval over repeats and a 95% paired-bootstrap interval over patients; the "
            "verdict uses the latter.",
            display=tables.motlab_paired_display(comparisons),
        )
    )
    blocks.append(
        w.copy(
            src.motlab_file("figure"),
            "figures/motlab_auroc_by_scheme.png",
            "Mean AUROC with 95% CI per scheme and SMOTE option (AA; EA for the mixture schemes): filled "
            "with a solid interval without SMOTE, open with a dashed one with SMOTE.",
        )
    )
    blocks.append(
        w.copy(
            src.motlab_file("roc"),
            "figures/motlab_roc_curves.png",
            "ROC curves of the out-of-fold AA predictions: each repeat's pooled curve, averaged over the repeats; "
            "one colour per scheme, solid without SMOTE and dashed with it. The legend gives the mean AUROC over "
            "repeats, the AUROC table's number.",
        )
    )
    final = {}
    for ep, yrs in src.endpoints:
        for scheme in mot["schemes"]:
            for sm in SMOTE_OPTIONS:
                final[(ep, yrs, scheme, sm)] = tables.read_json(src.final_model_json(ep, yrs, scheme, sm))
    folds = pd.concat(
        [
            tables.read_tsv(src.omics_weights(ep, yrs, s), ["endpoint", "years", "scheme"])
            for ep, yrs in src.endpoints
            for s in mot["schemes"]
        ],
        ignore_index=True,
    )
    weights = tables.motlab_weights(final, folds)
    blocks.append(
        w.table(
            weights,
            "motlab_weights.tsv",
            "Omics weights: those of each final model (chosen by inner CV on all its training "
            "patients) and the mean and SD of those chosen in the evaluation folds.",
            display=weights.round(3),
        )
    )
    counts = pd.concat(
        [
            tables.read_tsv(src.label_counts(ep, yrs), ["ancestry", "status"]).assign(endpoint=ep, years=yrs)
            for ep, yrs in src.endpoints
        ],
        ignore_index=True,
    )
    blocks.append(
        w.table(
            counts,
            "motlab_labels.tsv",
            "Patients per label: event within the horizon (1), event-free beyond it (0), excluded.",
        )
    )
    blocks.append(
        w.table(
            tables.read_tsv(src.motlab_file("counts"), ["step", "patients"]),
            "motlab_cohort.tsv",
            "Cohort selection: patients left after each step.",
        )
    )
    return Section("MOTLAB: EA to AA transfer", blocks)


def _provenance_section(w: _Writer, src: Sources, checksums: pd.DataFrame, basedir, date: str) -> Section:
    config = src.config
    version = provenance.workflow_version(basedir)
    blocks = [Text(f"Report built {date} (UTC) by workflow version {version}.")]
    if src.has("pancancer"):
        metas = {(lay, bb): tables.read_json(src.run_file(lay, bb, "checkpoint_meta")) for lay, bb in src.runs}
        blocks.append(
            w.table(
                provenance.trained_on(metas),
                "trained_on.tsv",
                "Where each model was trained: Keras backend, framework, CPU or GPU, and precision policy.",
            )
        )
    blocks.append(
        w.table(
            provenance.software_versions(),
            "software_versions.tsv",
            "Software versions in the environment that built this report (the pinned environments "
            "are in envs/ and requirements.lock).",
        )
    )
    blocks.append(
        w.table(
            checksums,
            "input_checksums.tsv",
            "Raw inputs: size and md5"
            + (
                " (the demo's synthetic files bear the GDC file names but are not the GDC's files: no manifest md5)."
                if src.config["demo"]["enabled"]
                else ", beside the GDC manifest's md5 for that file name."
            ),
        )
    )
    text = yaml.safe_dump(config, sort_keys=False, default_flow_style=None)
    with atomic_path(w.path("config.yaml")) as tmp:
        tmp.write_text(text)
    blocks.append(Details("Configuration (defaults filled in)", [Code(text)]))
    w.data["provenance"] = {"run_date": date, "workflow_version": version}
    w.data["config"] = config
    return Section("Provenance", blocks)


def build(
    src: Sources,
    out_dir,
    *,
    raw_files: dict[str, str],
    manifest_md5: dict[str, str] | None = None,
    basedir=".",
    top_genes: int | None = None,
) -> dict[str, Path]:
    """Write the whole report under ``out_dir``; returns the paths of the three documents."""
    out = Path(out_dir)
    # index.html is written last: an old one must not stand beside a half-rebuilt report.
    (out / DOCUMENTS["html"]).unlink(missing_ok=True)
    w = _Writer(out, [rel for rel, _, _ in output_files(src)])
    date = provenance.run_date()
    top_n = top_genes or src.config["ig"]["top_genes"]
    checksums = provenance.input_checksums(raw_files, manifest_md5 or {})
    sections = [
        *([_demo_section(src, w)] if src.demo else []),
        *(
            [
                _data_section(src, w),
                _pancancer_section(src, w, checksums),
                _ig_section(src, w, top_n),
                _ig_de_section(src, w, top_n),
                _ig_faithfulness_section(src, w),
            ]
            if src.has("pancancer")
            else []
        ),
        *([_motlab_section(src, w)] if src.has("motlab") else []),
        _provenance_section(w, src, checksums, basedir, date),
    ]
    analyses = {
        "pancancer": "pan-cancer tumour-type classification from gene images",
        "motlab": "MOTLAB source-to-target (EA-to-AA) prognosis",
    }
    what = " and ".join(text for a, text in analyses.items() if src.has(a))
    doc = Document("TCGA transfer learning: reanalysis report", f"{what[0].upper()}{what[1:]}. Built {date}.", sections)
    paths = {k: out / name for k, name in DOCUMENTS.items()}
    with atomic_path(paths["json"]) as tmp:
        tmp.write_text(json.dumps(w.data, indent=1, default=str))
    with atomic_path(paths["markdown"]) as tmp:
        tmp.write_text(to_markdown(doc))
    with atomic_path(paths["html"]) as tmp:  # last: its presence means the report is complete
        tmp.write_text(to_html(doc, out))
    return paths
