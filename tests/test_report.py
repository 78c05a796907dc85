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
