"""The metrics report's library: tables, figures readable at 33 tumour types, documents,
provenance (the workflow run is in test_workflow.py)."""

import hashlib

import numpy as np
import pandas as pd
import pytest
from conftest import ROOT

from tcgatl.errors import InputError
from tcgatl.report import document, figures, provenance, tables

# The 33 TCGA tumour types of the pan-cancer study.
TCGA33 = [
    "ACC",
    "BLCA",
    "BRCA",
    "CESC",
    "CHOL",
    "COAD",
    "DLBC",
    "ESCA",
    "GBM",
    "HNSC",
    "KICH",
    "KIRC",
    "KIRP",
    "LAML",
    "LGG",
    "LIHC",
    "LUAD",
    "LUSC",
    "MESO",
    "OV",
    "PAAD",
    "PCPG",
    "PRAD",
    "READ",
    "SARC",
    "SKCM",
    "STAD",
    "TGCT",
    "THCA",
    "THYM",
    "UCEC",
    "UCS",
    "UVM",
]
MODELS = [
    f"{b} ({lay})" for lay in ("alphabetical", "similarity") for b in ("Xception", "DenseNet169", "ResNet50", "VGG19")
] + ["logistic regression"]


def _result(acc, rng):
    m = {k: acc - 0.02 * i for i, k in enumerate(tables.METRICS)}
    return {"n_test": 1100, "metrics": m, "ci95": {k: [v - 0.02, min(1, v + 0.02)] for k, v in m.items()}}


@pytest.fixture
def metrics_table():
    rng = np.random.default_rng(0)
    runs = {
        (lay, bb): _result(0.9 + 0.01 * i, rng)
        for i, (lay, bb) in enumerate(
            (lay, bb)
            for lay in ("alphabetical", "similarity")
            for bb in ("Xception", "DenseNet169", "ResNet50", "VGG19")
        )
    }
    return tables.pancancer_metrics(runs, _result(0.93, rng))


def test_pancancer_table_has_every_run_the_baseline_and_the_paper(metrics_table):
    t = metrics_table
    assert len(t) == 8 + 2
    assert t["source"].tolist().count("this workflow") == 8
    paper = t[t["source"] == "original paper"].iloc[0]
    assert (paper["accuracy"], paper["macro_precision"], paper["macro_recall"], paper["macro_f1"]) == (
        0.92,
        0.90,
        0.88,
        0.89,
    )
    assert pd.isna(paper["weighted_f1"]) and pd.isna(paper["accuracy_ci_low"])
    shown = tables.with_ci(t, tables.METRICS)
    assert shown.loc[0, "accuracy"] == "0.90 [0.88, 0.92]"
    assert shown.iloc[-1]["accuracy"] == "0.92" and shown.iloc[-1]["weighted_f1"] == "-"
    assert not any(c.endswith("_ci_low") for c in shown.columns)


def test_samples_per_type_counts_qc_reasons_and_splits():
    samples = pd.DataFrame(
        {
            "label": ["BRCA"] * 5 + ["UVM"] * 3 + [None] + ["GBM"] * 2,
            "status": ["kept"] * 4
            + ["duplicate_aliquot"]
            + ["kept"] * 2
            + ["do_not_use", "no_label"]
            + ["type_not_selected"] * 2,
        }
    )
    split = pd.DataFrame({"label": ["BRCA"] * 4, "split": ["train", "train", "val", "test"]})
    out = tables.samples_per_type(samples, split).set_index("tumour_type")
    assert out.loc["BRCA", ["kept_after_qc", "dropped: duplicate_aliquot", "train", "val", "test"]].tolist() == [
        4,
        1,
        2,
        1,
        1,
    ]
    assert out.loc["UVM", ["kept_after_qc", "dropped: do_not_use", "train"]].tolist() == [2, 1, 0]
    assert out.loc["(no label)", "dropped: no_label"] == 1
    assert out.loc["GBM", ["kept_after_qc", "dropped: type_not_selected"]].tolist() == [0, 2]
    assert out["in_classifier"].to_dict() == {"BRCA": True, "UVM": False, "GBM": False, "(no label)": False}


def test_motlab_table_keeps_the_gap_for_mixture_only():
    rows = []
    for scheme in ("mixture", "finetune"):
        for smote in ("smote", "nosmote"):
            pops = ("AA", "EA", "EA-AA") if scheme == "mixture" else ("AA",)
            rows += [
                {
                    "endpoint": "PFI",
                    "years": 3,
                    "scheme": scheme,
                    "smote": smote,
                    "population": p,
                    "mean_auroc": {"AA": 0.7, "EA": 0.6, "EA-AA": -0.1}[p],
                    "sd": 0.01,
                    "ci95_low": 0.5,
                    "ci95_high": 0.9,
                    "repeats": 5,
                }
                for p in pops
            ]
    out = tables.motlab_auroc(pd.DataFrame(rows))
    assert len(out) == 4
    mix = out[out["scheme"] == "mixture"]
    assert (mix["EA_minus_AA"] == -0.1).all() and (mix["AA_auroc"] == 0.7).all()
    assert out.loc[out["scheme"] == "finetune", "EA_auroc"].isna().all()


def test_tables_name_the_file_and_the_missing_column(tmp_path):
    bad = tmp_path / "confusion.tsv"
    bad.write_text("truth\tBRCA\nBRCA\t3\n")
    with pytest.raises(InputError, match=r"confusion\.tsv: missing column\(s\) true"):
        tables.read_tsv(bad, ["true"])
    with pytest.raises(InputError, match=r"metrics\.json: missing"):
        tables.read_json(tmp_path / "metrics.json")
    (tmp_path / "broken.json").write_text('{"metrics": ')
    with pytest.raises(InputError, match=r"broken\.json: not valid JSON"):
        tables.read_json(tmp_path / "broken.json")


# --- figures: readable at 33 classes -------------------------------------------------------


def _no_overlaps(fig):
    try:
        return figures.overlapping_text(fig)
    finally:
        figures.plt.close(fig)


def test_overlap_check_can_fail():
    fig, ax = figures.plt.subplots(figsize=(2, 2))
    ax.set_xticks(range(33), TCGA33)
    assert _no_overlaps(fig)


def test_ig_class_figure_names_its_top_genes_without_overlaps():
    """Both panels' labels clear of each other, and the top genes named beside the map even when
    their pixels are neighbours (the similarity layout clusters a type's markers)."""
    from tcgatl import plots

    rng = np.random.default_rng(0)
    side = 72
    mask = np.ones((side, side), bool)
    top = [(f"{k + 1}. GENE{k}", 30 + k // 3, 40 + k % 3) for k in range(10)]  # a 4x3 cluster
    fig = plots.ig_class_figure(
        rng.random((side, side)), rng.normal(size=(side, side)), mask, "LUAD", 5, "train_mean", top
    )
    drawn = {t.get_text() for t in fig.findobj(figures.Text)}
    assert {label for label, _, _ in top} <= drawn
    assert _no_overlaps(fig) == []


def test_motlab_auroc_figure_is_readable():
    from tcgatl.motlab import plots as motlab_plots
    from tcgatl.motlab.options import SCHEMES

    rows = [
        {
            "endpoint": ep,
            "years": 3,
            "scheme": sc,
            "smote": sm,
            "population": pop,
            "mean_auroc": 0.6,
            "ci95_low": 0.5,
            "ci95_high": 0.7,
        }
        for ep in ("PFI", "DSS")
        for sc in SCHEMES
        for sm in ("nosmote", "smote")
        for pop in (["AA", "EA"] if sc.endswith("mixture") else ["AA"])
    ]
    fig = motlab_plots.auroc_figure(pd.DataFrame(rows))
    labels = [t.get_text().replace("\n", "_") for t in fig.axes[0].get_xticklabels()]
    assert labels == SCHEMES  # every scheme, the linear reference's too
    assert _no_overlaps(fig) == []


def test_confusion_matrix_is_readable_at_33_types():
    rng = np.random.default_rng(1)
    counts = np.diag(rng.integers(20, 120, 33)) + rng.integers(0, 3, (33, 33))
    fig = figures.confusion(pd.DataFrame(counts, index=TCGA33, columns=TCGA33), "ResNet50 (alphabetical)")
    assert [t.get_text() for t in fig.axes[0].get_xticklabels()] == TCGA33
    assert [t.get_text() for t in fig.axes[0].get_yticklabels()] == TCGA33
    assert _no_overlaps(fig) == []


def test_per_class_f1_and_samples_figures_are_readable_at_33_types(metrics_table):
    rng = np.random.default_rng(2)
    f1 = pd.DataFrame(rng.uniform(0.5, 1, (33, len(MODELS))), index=TCGA33, columns=MODELS)
    assert _no_overlaps(figures.per_class_f1(f1)) == []
    n = rng.integers(40, 1100, 33)
    per_type = pd.DataFrame(
        {
            "tumour_type": TCGA33,
            "kept_after_qc": n,
            "dropped: do_not_use": n // 20,
            "train": (n * 0.8).astype(int),
            "val": (n * 0.1).astype(int),
            "test": n - (n * 0.8).astype(int) - (n * 0.1).astype(int),
        }
    )
    assert _no_overlaps(figures.samples_per_type(per_type)) == []
    assert _no_overlaps(figures.pancancer_summary(metrics_table)) == []


def test_example_images_and_training_curves_are_readable():
    mask = np.ones((12, 12), bool)
    mask[-1, 6:] = False
    imgs = [np.random.default_rng(i).uniform(0, 1, (12, 12)) for i in range(33)]
    assert _no_overlaps(figures.example_images(TCGA33, imgs, mask, "alphabetical")) == []
    rows = []
    for lay in ("alphabetical", "similarity"):
        for bb in ("Xception", "DenseNet169", "ResNet50", "VGG19"):
            for step in range(1, 16):
                rows.append(
                    {
                        "layout": lay,
                        "backbone": bb,
                        "step": step,
                        "phase": "head" if step < 12 else "finetune",
                        "loss": 1 / step,
                        "val_loss": 1.2 / step,
                        "accuracy": 1 - 1 / (step + 1),
                        "val_accuracy": 1 - 1.2 / (step + 2),
                        "kept": step == 11,
                    }
                )
    assert _no_overlaps(figures.training_curves(pd.DataFrame(rows))) == []


# --- documents and provenance ---------------------------------------------------------------


def test_documents_render_tables_figures_and_collapsed_groups(tmp_path):
    fig, ax = figures.plt.subplots()
    ax.plot([0, 1])
    figures.plt.savefig(tmp_path / "f.png")
    figures.plt.close(fig)
    doc = document.Document(
        "Title",
        "Sub",
        [
            document.Section(
                "Pan-cancer results",
                [
                    document.Text("Accuracy of `ResNet50`."),
                    document.Table(pd.DataFrame({"model": ["a|b"], "acc": [0.5]}), "A <table>", "t.tsv"),
                    document.Details("More", [document.Figure(document.Path("f.png"), "A figure")]),
                ],
            )
        ],
    )
    md = document.to_markdown(doc)
    assert "| a\\|b | 0.5 |" in md and "![A figure](f.png)" in md and "[TSV](tables/t.tsv)" in md
    assert "- [Pan-cancer results](#pan-cancer-results)" in md
    html = document.to_html(doc, tmp_path)
    assert '<img src="data:image/png;base64,' in html and "<code>ResNet50</code>" in html
    assert "A &lt;table&gt;" in html and "<details>" in html and 'id="pan-cancer-results"' in html


def test_missing_values_render_as_a_dash(metrics_table, tmp_path):
    shown = tables.with_ci(metrics_table, tables.METRICS)  # the paper row has no n_test (pd.NA)
    doc = document.Document(
        "T",
        "S",
        [
            document.Section(
                "S", [document.Table(shown, "metrics"), document.Table(pd.DataFrame({"x": [np.nan, "a"]}), "t")]
            )
        ],
    )
    html, md = document.to_html(doc, tmp_path), document.to_markdown(doc)
    for text in (html, md):
        assert "NA&gt;" not in text and "<NA>" not in text and "nan" not in text
    assert md.splitlines()[-1] == "| a |" and "| - |" in md


def test_input_checksums_compare_with_the_manifest(tmp_path):
    a = tmp_path / "expression.tsv"
    a.write_bytes(b"gene\tTCGA-01\n")
    digest = hashlib.md5(a.read_bytes()).hexdigest()
    t = provenance.input_checksums({"expression": str(a), "other": str(a)}, {"expression.tsv": digest})
    assert t["md5"].tolist() == [digest, digest] and t["matches_manifest"].tolist() == ["yes", "yes"]
    t = provenance.input_checksums({"expression": str(a)}, {"expression.tsv": "0" * 32})
    assert t.loc[0, "matches_manifest"] == "NO"
    with pytest.raises(InputError, match="missing.tsv: raw input 'x' is missing"):
        provenance.input_checksums({"x": str(tmp_path / "missing.tsv")})


def test_software_versions_list_the_pinned_libraries():
    v = provenance.software_versions().set_index("software")["version"]
    import sklearn

    assert v["scikit-learn"] == sklearn.__version__ and v["python"].count(".") == 2


def test_every_annotated_kind_has_its_caption_and_every_caption_a_kind():
    from tcgatl.report import CATEGORIES

    captions = {p.stem for p in (ROOT / "workflow" / "report").glob("*.rst")} - {"workflow"}
    assert captions == set(CATEGORIES)


def test_ig_de_agreement_summary_counts_types_above_chance_and_says_so():
    def table(overlaps, p):
        n = len(overlaps)
        return pd.DataFrame(
            {
                "class": TCGA33[:n],
                "n_explained": 5,
                "n_train_class": 40,
                "n_genes": 1000,
                "k": 20,
                "chance": 0.02,
                "spearman": np.linspace(0.1, 0.5, n),
                "topk_overlap": overlaps,
                "topk_p": p,
                "spearman_abs": 0.3,
                "topk_overlap_abs": 0.5,
                "topk_abs_p": 1e-9,
            }
        )

    frames = {
        ("alphabetical", "ResNet50"): table([0.0, 0.02, 0.05, 0.4], [1.0, 0.6, 0.3, 1e-12]),
        ("similarity", "VGG19"): table([0.0], [1.0]).iloc[:0],
    }
    s = tables.de_agreement_summary(frames).set_index("model")
    r = s.loc["ResNet50 (alphabetical)"]
    # Equal to chance is not above it; p < 0.05 is stricter than above chance.
    assert (r["types"], r["types_above_chance"], r["types_p05"]) == (4, 2, 1)
    assert r["median_spearman"] == pytest.approx(0.3) and r["median_topk_overlap"] == pytest.approx(0.035)
    text = tables.de_agreement_text(s.reset_index())
    assert "ResNet50 (alphabetical): median Spearman 0.30 over 4 types" in text
    assert "median top-20 overlap 0.04 against 0.020 by chance, above chance in 2 of 4 types (p < 0.05 in 1)" in text
    assert "VGG19 (similarity): no type explained." in text
    shown = tables.de_agreement_summary_display(s.reset_index())
    assert shown.loc[0, "above chance"] == "2 of 4" and shown.loc[0, "top k (chance)"] == "20 (0.020)"
    per_type = tables.de_agreement_display(frames[("alphabetical", "ResNet50")])
    assert "top-20 overlap" in per_type.columns and per_type["p"].tolist() == ["1", "0.6", "0.3", "1e-12"]


def test_trained_on_lists_each_models_device_and_says_when_it_was_not_recorded():
    on = {"backend": "jax", "framework": "jax 0.10.2", "keras": "3.15.1", "device": "gpu", "gpu": "NVIDIA H200"}
    t = provenance.trained_on(
        {
            ("alphabetical", "ResNet50"): {"precision": "mixed_bfloat16", "trained_on": on},
            ("alphabetical", "VGG19"): {"precision": "float32"},  # a checkpoint from before the record
        }
    ).set_index("backbone")
    assert t.loc["ResNet50", "gpu"] == "NVIDIA H200" and t.loc["ResNet50", "precision"] == "mixed_bfloat16"
    assert t.loc["VGG19", "backend"] == "not recorded" and list(t.columns[:3]) == ["layout", "precision", "backend"]


def _motlab_oof(repeats=3, endpoints=(("PFI", 3), ("DSS", 5))):
    """Out-of-fold predictions of every scheme and SMOTE option, and their summary table made as
    the workflow makes it (evaluate.auroc_table per scheme, then evaluate.summarise)."""
    from tcgatl.motlab.evaluate import auroc_table, summarise
    from tcgatl.motlab.options import SCHEMES

    rng = np.random.default_rng(3)
    parts, aurocs = [], []
    for ep, yrs in endpoints:
        for k, scheme in enumerate(SCHEMES):
            rows = []
            for smote in ("nosmote", "smote"):
                for r in range(repeats):
                    for anc, n in (("AA", 60), ("EA", 120)):
                        label = rng.integers(0, 2, n)
                        rows.append(
                            pd.DataFrame(
                                {
                                    "ancestry": anc,
                                    "repeat": r,
                                    "fold": rng.integers(0, 3, n),
                                    "smote": smote,
                                    "label": label,
                                    "prob": 1 / (1 + np.exp(-(label * (0.3 + 0.2 * k) + rng.normal(size=n)))),
                                }
                            )
                        )
            oof = pd.concat(rows, ignore_index=True)
            tag = {"endpoint": ep, "years": yrs, "scheme": scheme}
            parts.append(oof.assign(**tag))
            aurocs.append(auroc_table(oof).assign(**tag))
    return pd.concat(parts, ignore_index=True), summarise(pd.concat(aurocs, ignore_index=True))


def test_motlab_roc_figure_one_colour_per_scheme_legend_outside_and_the_tables_aurocs():
    from tcgatl.motlab import plots as motlab_plots
    from tcgatl.motlab.options import SCHEMES

    oof, summary = _motlab_oof()
    fig = motlab_plots.roc_figure(oof, summary)
    try:
        fig.canvas.draw()
        renderer = fig.canvas.get_renderer()
        # The numbers the report's table shows (its AA AUROC column, two decimals).
        shown = tables.with_ci(tables.motlab_auroc(summary), ["AA_auroc"]).set_index(
            ["endpoint", "years", "scheme", "smote"]
        )["AA_auroc"]
        assert len(fig.axes) == 2
        for ax in fig.axes:
            ep, yrs = ax.get_title().split(",")[0].split()
            curves = [line for line in ax.get_lines() if not line.get_label().startswith("_")]
            assert len(curves) == 2 * len(SCHEMES)
            styles = {(line.get_color(), line.get_linestyle()) for line in curves}
            assert len(styles) == len(curves)  # no two curves drawn alike
            by_scheme = {}
            for line in curves:
                scheme, rest = line.get_label().split(", ", 1)
                smote = "smote" if rest.startswith("SMOTE") else "nosmote"
                by_scheme.setdefault(scheme, set()).add(line.get_color())
                assert line.get_linestyle() == ("-" if smote == "nosmote" else "--")
                table_value = shown[(ep, int(yrs.removesuffix("y")), scheme, smote)].split(" ")[0]
                assert rest.rsplit(": ", 1)[1] == table_value, (line.get_label(), table_value)
            assert all(len(c) == 1 for c in by_scheme.values())  # SMOTE on and off: one colour
            assert len({c.pop() for c in by_scheme.values()}) == len(SCHEMES)
            legend = ax.get_legend().get_window_extent(renderer)
            assert not legend.overlaps(ax.get_window_extent(renderer))  # it covers no curve
        assert figures.overlapping_text(fig) == []
    finally:
        figures.plt.close(fig)


def test_motlab_roc_curve_is_the_mean_over_repeats():
    from sklearn.metrics import roc_auc_score

    from tcgatl.motlab import plots as motlab_plots

    oof, summary = _motlab_oof(repeats=4, endpoints=(("PFI", 3),))
    g = oof[(oof["scheme"] == "ccsa") & (oof["smote"] == "nosmote") & (oof["ancestry"] == "AA")]
    tpr = motlab_plots.mean_roc(g)
    assert tpr[0] == 0 and tpr[-1] == 1 and np.all(np.diff(tpr) >= 0)
    # The area under the mean curve is the mean of the repeats' AUROCs (up to the grid).
    mean_auc = np.mean([roc_auc_score(r["label"], r["prob"]) for _, r in g.groupby("repeat")])
    assert np.trapezoid(tpr, motlab_plots.FPR_GRID) == pytest.approx(mean_auc, abs=0.01)
    assert mean_auc == pytest.approx(
        summary.set_index(["scheme", "smote", "population"]).loc[("ccsa", "nosmote", "AA"), "mean_auroc"]
    )


def _checksums(matches):
    return pd.DataFrame(
        {"input": ["expression", "clinical"], "md5": ["a" * 32] * 2, "matches_manifest": [matches, "yes"]}
    )


def _config(demo=False, matrix="mrna", weights="imagenet"):
    return {"demo": {"enabled": demo}, "pancancer": {"matrix": matrix, "weights": weights}}


def test_paper_row_only_where_the_run_is_comparable(metrics_table):
    # The full reanalysis: EB++ verified against the manifest, 33 types, ImageNet weights.
    assert tables.paper_not_comparable(_config(), 33, _checksums("yes")) == []
    # The demo: synthetic data, 8 types, no ImageNet weights; each reason named.
    reasons = tables.paper_not_comparable(_config(demo=True, weights="none"), 8, _checksums(""))
    assert len(reasons) == 3 and "synthetic" in reasons[0]
    assert "8 tumour types, the paper 33" in reasons[1] and "weights: none" in reasons[2]
    # Real-looking configurations that still differ from the paper's.
    assert tables.paper_not_comparable(_config(), 32, _checksums("yes")) == [
        "it classifies 32 tumour types, the paper 33"
    ]
    assert "differs from the GDC manifest" in tables.paper_not_comparable(_config(), 33, _checksums("NO"))[0]
    assert "could not be checked" in tables.paper_not_comparable(_config(), 33, _checksums(""))[0]
    assert "mirna matrix" in tables.paper_not_comparable(_config(matrix="mirna"), 33, _checksums("yes"))[0]

    runs = {("alphabetical", "ResNet50"): _result(0.9, None)}
    without = tables.pancancer_metrics(runs, _result(0.8, None), paper=False)
    assert "original paper" not in set(without["source"]) and len(without) == 2
    fig = figures.pancancer_summary(without)
    try:
        assert "original paper" not in fig._suptitle.get_text()
        assert not any(line.get_marker() == "*" for ax in fig.axes for line in ax.get_lines())
    finally:
        figures.plt.close(fig)
    fig = figures.pancancer_summary(tables.pancancer_metrics(runs, _result(0.8, None)))
    try:
        assert "red star: original paper" in fig._suptitle.get_text()
        assert any(line.get_marker() == "*" for ax in fig.axes for line in ax.get_lines())
    finally:
        figures.plt.close(fig)


def test_top_genes_without_a_symbol_show_their_entrez_id():
    top = pd.DataFrame(
        {
            "class": ["BRCA"] * 4 + ["LUAD"],
            "rank": [1, 2, 3, 4, 1],
            "gene": ["?|100130426", "ESR1|2099", "?|10357", "RPL13P5", "?|728045"],
            "symbol": ["?", "ESR1", None, "RPL13P5", "?"],
            "entrez": ["100130426", "2099", "", "", np.nan],
            "n_samples": [5, 5, 5, 5, 3],
        }
    )
    assert tables.gene_labels(top).tolist() == ["100130426", "ESR1", "10357", "RPL13P5", "728045"]
    wide = tables.top_genes_wide(top, 3).set_index("tumour_type")
    assert wide.loc["BRCA", "top_genes"] == "100130426, ESR1, 10357" and wide.loc["LUAD", "top_genes"] == "728045"
    # The DE ranking's table has no entrez column: the id comes from the matrix's gene id.
    de = top.drop(columns="entrez")
    assert tables.gene_labels(de).tolist() == ["100130426", "ESR1", "10357", "RPL13P5", "728045"]
    assert "?" not in " ".join(tables.top_genes_wide(de, 4)["top_genes"])


def test_ig_figure_labels_name_genes_without_a_symbol_by_entrez_id():
    from tcgatl.pancancer.explain import Explanation

    layout = pd.DataFrame({"gene": ["?|100130426", "ESR1|2099"], "symbol": ["?", "ESR1"], "row": [0, 1], "col": [1, 0]})
    genes = layout.assign(**{"class": "BRCA", "rank": [1, 2]})
    empty = np.zeros((0, 2, 2))
    ex = Explanation(pd.DataFrame(), empty, empty, genes, np.ones((2, 2), bool), "zero", "t", layout)
    assert ex.top_genes("BRCA") == [("1. 100130426", 0, 1), ("2. ESR1", 1, 0)]


def test_the_report_s_top_gene_table_names_genes_without_a_symbol_by_entrez_id(tmp_path):
    """results/report/tables/ig_top_genes.tsv, as the report writes it from a model's IG table:
    no "?" in its symbol column, the Entrez id instead (the gene column keeps the matrix's id)."""
    from tcgatl import config
    from tcgatl.io import read_table, write_table
    from tcgatl.report import build
    from tcgatl.report.sources import Sources

    cfg = config.defaults()
    cfg["pancancer"].update(layouts=["alphabetical"], backbones=["ResNet50"])
    src = Sources(cfg, tmp_path / "results")
    (lay, bb) = src.runs[0]
    top = pd.DataFrame(
        {
            "class": ["SKCM", "SKCM"],
            "rank": [1, 2],
            "gene": ["?|8225", "ESR1|2099"],
            "symbol": ["?", "ESR1"],
            "entrez": [8225, 2099],
            "mean_attribution": [2e-7, 1e-7],
            "n_samples": [3, 3],
        }
    )
    comp = pd.DataFrame({"completeness_error": [0.001], "evaluations": [64], "converged": [True]})
    for role, frame in (("ig_top_genes", top), ("ig_completeness", comp)):
        src.run_file(lay, bb, role).parent.mkdir(parents=True, exist_ok=True)
        write_table(frame, src.run_file(lay, bb, role))
    src.run_file(lay, bb, "ig_grid").write_bytes(b"\x89PNG")
    report = tmp_path / "report"
    declared = ["tables/ig_top_genes.tsv", "tables/ig_completeness.tsv", f"figures/ig_{build._slug(lay, bb)}.png"]
    build._ig_section(src, build._Writer(report, declared), top_n=2)
    written = read_table(report / "tables" / "ig_top_genes.tsv")
    assert written["symbol"].astype(str).tolist() == ["8225", "ESR1"]
    assert written["gene"].tolist() == ["?|8225", "ESR1|2099"]
