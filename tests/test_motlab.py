"""MOTLAB on the demo's data: the planted AA signal of each regime is what the schemes find,
over data seeds (the unit tests of each module are in tests/test_motlab_<module>.py). Minutes
each: marked e2e, left out of `make test-fast`."""

import pandas as pd
import pytest
from configured import demo_params
from configured import settings as motlab_settings
from conftest import ROOT
from scipy import stats

from tcgatl import config
from tcgatl.motlab import cohort, labels
from tcgatl.motlab.evaluate import Data, auroc_table, run_scheme

DEMO = config.load(ROOT / "config" / "demo.yaml")


def demo_cohort(out, **params) -> Data:
    """A demo BRCA cohort (500 BRCA patients unless ``params`` say otherwise; smaller matrices than
    config/demo.yaml's), its three layers built as the workflow builds them, labelled for PFI
    within 3 years."""
    from tcgatl.inputs import clinical, demo, matrix, methylation, qc

    small = {"n_genes": 1000, "n_cpg": 800, "n_mirna": 150, "patients_per_type": 10, "types": ["BRCA", "LUAD"]}
    p = demo_params(**{**small, "brca_patients": 500, **params})
    paths = demo.generate(out, p)
    cdr = clinical.read_cdr(paths["clinical"])
    quality = qc.read_sample_quality(paths["sample_quality"])
    qcfg = {
        "sample_types": ["01", "03", "06"],
        "drop_do_not_use": True,
        "drop_pathology_excluded": True,
        "label_source": "cdr",
        "types": [],
    }
    feats = {"negatives": "zero", "missing": "drop_gene", "log2": True, "drop_constant": True}
    layers = {
        "mrna": matrix.build(paths["expression"], quality=quality, cdr=cdr, qc=qcfg, features=feats)[0],
        "mirna": matrix.build(paths["mirna"], quality=quality, cdr=cdr, qc=qcfg, features=feats, skip=("Correction",))[
            0
        ],
        "methylation": methylation.build(
            paths["methylation"], quality=quality, cdr=cdr, qc=qcfg, cancer_type="BRCA", top=DEMO["motlab"]["top_cpgs"]
        )[0],
    }
    table, _ = cohort.build_cohort(layers, cdr, "BRCA")
    lab = labels.labelled(labels.cohort_labels(table, cdr, "PFI", 3))
    ix = table.set_index("patient")
    frames = {n: x.loc[ix[n].to_numpy()].set_axis(ix.index) for n, x in layers.items()}
    return Data.from_frames(frames, lab)


def regime_aurocs(tmp_path, regime, seeds, schemes, **cohort) -> pd.DataFrame:
    """Mean AUROC per data seed, scheme and population (config/demo.yaml's MOTLAB settings, 3
    repeats instead of its 5)."""
    mot = DEMO["motlab"]
    settings = motlab_settings(
        features_per_layer=mot["features_per_layer"], folds=mot["folds"], repeats=3, epochs=mot["epochs"]
    )
    rows = []
    for seed in seeds:
        data = demo_cohort(tmp_path / f"{regime}{seed}", seed=seed, regime=regime, **cohort)
        for scheme in schemes:
            oof, _ = run_scheme(scheme, data, settings, seed=42, smote_options=(False,))
            for pop, g in auroc_table(oof).groupby("population"):
                rows.append({"seed": seed, "column": f"{scheme}/{pop}", "auroc": g["auroc"].mean()})
    return pd.DataFrame(rows).pivot(index="seed", columns="column", values="auroc")


@pytest.mark.e2e  # minutes: 10 demo data sets, 4 schemes x 3 repeats each
def test_studies_regime_reproduces_both_findings(tmp_path):
    """The studies' regime over 10 data seeds, with config/demo.yaml's cohort and matrix sizes
    (1,200 BRCA patients, ~215 AA, ~37 AA events): on AA patients finetune and ccsa beat
    independent, and mixture (one model of pooled patients) ranks EA patients better than AA
    patients (one-sided paired t-tests over seeds, p < 0.05). One seed may go either way
    (bench/bench_demo_motlab.py counts how often a single run shows both)."""
    sizes = {key: DEMO["demo"][key] for key in ("brca_patients", "n_genes", "n_mirna", "n_cpg")}
    auc = regime_aurocs(tmp_path, "studies", range(1, 11), ["independent", "finetune", "ccsa", "mixture"], **sizes)
    gaps = {
        "finetune - independent": auc["finetune/AA"] - auc["independent/AA"],
        "ccsa - independent": auc["ccsa/AA"] - auc["independent/AA"],
        "mixture EA - AA": auc["mixture/EA"] - auc["mixture/AA"],
    }
    for name, gap in gaps.items():
        test = stats.ttest_1samp(gap, 0.0, alternative="greater")
        assert gap.mean() > 0.03 and test.pvalue < 0.05, (name, gap.round(3).tolist(), test.pvalue)


@pytest.mark.e2e  # minutes: 6 demo data sets, 2 schemes x 3 repeats each
def test_divergent_regime_transfer_does_not_help(tmp_path):
    """The opposite regime (AA a third of the cohort, the signature 3.5x stronger in AA): AA-only
    training is at least as good as fine-tuning from EA, over 6 data seeds."""
    auc = regime_aurocs(tmp_path, "divergent", range(1, 7), ["independent", "finetune"])
    gap = auc["finetune/AA"] - auc["independent/AA"]
    assert gap.mean() < 0 and (gap < 0.02).sum() >= 5, gap.round(3).tolist()
