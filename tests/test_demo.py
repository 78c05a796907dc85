"""The demo generator: real GDC layouts, realistic quirks, and recoverable planted signal."""

import json

import numpy as np
import pandas as pd
import pytest
from configured import demo_params, section
from conftest import DATA, SHARED
from sklearn.metrics import roc_auc_score

from tcgatl.errors import ConfigError
from tcgatl.inputs import barcodes, clinical, demo, matrix, qc
from tcgatl.inputs.demo_params import REGIMES, DemoParams
from tcgatl.inputs.reference import demo_gene_ids, ebpp_gene_ids, tcga_type_sizes

QC = dict(
    sample_types=["01", "03", "06"], drop_do_not_use=True, drop_pathology_excluded=True, label_source="cdr", types=[]
)
FEAT = dict(negatives="zero", missing="drop_gene", log2=True, drop_constant=True)


def test_files_have_real_names_and_layouts(demo_raw):
    paths, p = demo_raw
    header = matrix.read_header(paths["expression"])
    assert header[0] == "gene_id"
    genes = pd.read_csv(paths["expression"], sep="\t", usecols=[0])["gene_id"]
    assert len(genes) == p.n_genes and genes.str.fullmatch(r"[^|]+\|\d+").all()
    parsed = barcodes.parse(header[1:])
    assert parsed["center"].notna().all()  # full aliquot barcodes
    assert {"01", "03", "06", "11"} <= set(parsed["sample_type"])

    quality = pd.read_csv(paths["sample_quality"], sep="\t")
    assert {
        "platform",
        "patient_barcode",
        "aliquot_barcode",
        "cancer type",
        "Do_not_use",
        "AWG_excluded_because_of_pathology",
    } <= set(quality.columns)
    assert set(header[1:]) <= set(quality["aliquot_barcode"])

    cdr = clinical.read_cdr(paths["clinical"])
    assert set(cdr["type"]) == set(p.types)
    assert {"WHITE", "BLACK OR AFRICAN AMERICAN"} <= set(cdr["race"])
    assert pd.ExcelFile(paths["ancestry"]).sheet_names[0] == "Notes"
    assert clinical.read_ancestry(paths["ancestry"], "BRCA")["EIGENSTRAT"].dropna().isin(["EA", "AA", "EAA"]).all()

    mir = pd.read_csv(paths["mirna"])
    assert mir.columns[:2].tolist() == ["Genes", "Correction"] and len(mir) == p.n_mirna
    barcodes.parse(mir.columns[2:])
    met = pd.read_csv(paths["methylation"], sep="\t", index_col=0)
    assert met.index.str.fullmatch(r"cg\d{8}").all()
    assert np.nanmin(met.to_numpy()) >= 0 and np.nanmax(met.to_numpy()) <= 1 and met.isna().any().any()


def test_quirks_match_truth_and_are_handled_by_qc(demo_raw):
    paths, _ = demo_raw
    truth = json.loads(paths["truth"].read_text())
    raw = pd.read_csv(paths["expression"], sep="\t", index_col=0)
    assert (raw < 0).to_numpy().any()  # slightly negative batch-corrected values
    assert sorted(raw.index[raw.isna().any(axis=1)]) == sorted(truth["genes_with_na"])
    x, samples, dropped = matrix.build(
        paths["expression"],
        quality=qc.read_sample_quality(paths["sample_quality"]),
        cdr=clinical.read_cdr(paths["clinical"]),
        qc=QC,
        features=FEAT,
    )
    counts = samples["status"].value_counts()
    assert counts["do_not_use"] == truth["rna_do_not_use"]
    assert counts["sample_type_not_selected"] == truth["rna_aliquots"]["normal"]
    assert (
        counts["duplicate_aliquot"] + counts.get("do_not_use", 0) + counts.get("pathology_excluded", 0)
        >= truth["rna_aliquots"]["duplicate"]
    )
    assert x.index.str[:12].is_unique
    assert set(truth["genes_with_na"]) <= set(dropped["feature"])


# Small generator settings (two types) for tests of the files rather than of the signal.
SMALL = dict(patients_per_type=12, brca_patients=40, n_cpg=60, n_mirna=30, types=["BRCA", "LUAD"], signature_size=12)


def test_same_seed_same_files_other_seed_other_files(tmp_path):
    small = dict(n_genes=300, **SMALL)
    a = demo.generate(tmp_path / "a", demo_params(seed=1, **small))
    b = demo.generate(tmp_path / "b", demo_params(seed=1, **small))
    c = demo.generate(tmp_path / "c", demo_params(seed=2, **small))
    for key in ("expression", "sample_quality", "mirna", "methylation", "markers", "prognosis"):
        assert a[key].read_bytes() == b[key].read_bytes(), key
    pd.testing.assert_frame_equal(pd.read_excel(a["clinical"]), pd.read_excel(b["clinical"]))
    assert a["expression"].read_bytes() != c["expression"].read_bytes()


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_planted_genes_survive_default_qc(tmp_path, seed):
    paths = demo.generate(
        tmp_path,
        demo_params(seed=seed, n_genes=400, **SMALL),
    )
    x, _, _ = matrix.build(paths["expression"], cdr=clinical.read_cdr(paths["clinical"]), qc=QC, features=FEAT)
    planted = set(pd.read_csv(paths["markers"], sep="\t")["gene_id"])
    prog = pd.read_csv(paths["prognosis"], sep="\t")
    planted |= set(prog.loc[prog.layer == "mrna", "feature"])
    assert planted <= set(x.columns)


def test_planted_markers_are_recoverable(demo_raw):
    paths, p = demo_raw
    x, samples, _ = matrix.build(paths["expression"], cdr=clinical.read_cdr(paths["clinical"]), qc=QC, features=FEAT)
    labels = samples.set_index("barcode").loc[x.index, "label"]
    markers = pd.read_csv(paths["markers"], sep="\t")
    families = p.simulated_families()
    assert families == [["LUAD", "LUSC"], ["COAD", "READ"]]
    in_family = {t for f in families for t in f}
    sizes = {t: p.markers_per_type + (p.private_markers if t in in_family else 0) for t in p.types}
    assert markers.groupby("type").size().to_dict() == sizes
    for t, planted in markers.groupby("type"):
        # Against the other types, a type's strongest genes are its markers (shared in a family)...
        others = labels != t
        for f in families:
            if t in f:
                others &= ~labels.isin(f)
        diff = x[labels == t].mean() - x[others].mean()
        top = set(diff.nlargest(p.markers_per_type).index)
        assert len(top & set(planted["gene_id"])) / p.markers_per_type >= 0.8, t
    for a, b in families:
        # ...and what tells a pair apart is only the private markers.
        shared = markers[(markers["type"] == a) & (markers["kind"] == "family")]["gene_id"]
        assert set(shared) == set(markers[(markers["type"] == b) & (markers["kind"] == "family")]["gene_id"])
        diff = (x[labels == a].mean() - x[labels == b].mean()).abs()
        private = set(markers[markers["kind"] == "private"].query("type in @a or type in @b")["gene_id"])
        assert diff[list(private)].mean() > diff[list(shared)].mean() + 0.1, (a, b)
        assert diff[list(shared)].max() < p.private_shift, (a, b)


def _label(cdr, endpoint="PFI", years=3):
    t, e = cdr[f"{endpoint}.time"], cdr[endpoint]
    y = pd.Series(np.nan, index=cdr.index)
    y[(e == 1) & (t <= years * 365.25)] = 1
    y[t > years * 365.25] = 0
    return y


def _signature_auroc(paths):
    """AUROC of the planted mRNA signature score for PFI within 3 years, per ancestry; AA event rate."""
    x, samples, _ = matrix.build(paths["expression"], cdr=clinical.read_cdr(paths["clinical"]), qc=QC, features=FEAT)
    cdr = clinical.read_cdr(paths["clinical"])
    sig = pd.read_csv(paths["prognosis"], sep="\t")
    assert set(sig["layer"]) == {"mrna", "mirna", "methylation"}
    mrna = sig[sig.layer == "mrna"].set_index("feature")["loading"]
    x = x.set_axis(x.index.str[:12])
    brca = cdr[(cdr["type"] == "BRCA")].index.intersection(x.index)
    z = (x.loc[brca, mrna.index] - x.loc[brca, mrna.index].mean()) @ mrna
    y = _label(cdr.loc[brca])
    auc, rate = {}, {}
    for race, anc in (("WHITE", "EA"), ("BLACK OR AFRICAN AMERICAN", "AA")):
        ids = cdr.loc[brca][cdr.loc[brca, "race"] == race].index
        ok = y[ids].notna()
        auc[anc] = roc_auc_score(y[ids][ok], z[ids][ok])
        rate[anc] = y[ids][ok].mean()
    return auc, rate, cdr.loc[brca, "race"].value_counts(normalize=True)


def test_studies_regime_ancestry_mix_events_and_signature(tmp_path):
    """As TCGA BRCA: ~77% EA, 15-20% AA, a fifth to a third of the labelled AA with a progression
    within 3 years (TCGA BRCA: 19 of 88, 95% interval 14-32%); the signature weaker in AA."""
    p = demo_params(
        n_genes=600, patients_per_type=10, types=["BRCA", "LUAD"], brca_patients=1500, n_cpg=300, n_mirna=150
    )
    auc, rate, race = _signature_auroc(demo.generate(tmp_path, p))
    assert 0.72 <= race["WHITE"] <= 0.82 and 0.15 <= race["BLACK OR AFRICAN AMERICAN"] <= 0.21, race
    assert 0.14 <= rate["AA"] <= 0.32, rate
    assert auc["AA"] > 0.65 and auc["EA"] > auc["AA"] + 0.03, auc


def test_divergent_regime_signature_stronger_in_aa(tmp_path):
    p = demo_params(
        n_genes=600,
        patients_per_type=10,
        types=["BRCA", "LUAD"],
        brca_patients=600,
        n_cpg=300,
        n_mirna=80,
        regime="divergent",
    )
    auc, rate, race = _signature_auroc(demo.generate(tmp_path, p))
    assert 0.3 <= race["BLACK OR AFRICAN AMERICAN"] <= 0.4, race
    assert auc["AA"] > 0.7 and auc["AA"] > auc["EA"] + 0.05, auc


def test_regime_values_can_be_overridden_and_unknown_regime_is_refused():
    assert demo_params(regime="divergent", effect_aa=2.0).effect_aa == 2.0
    assert demo_params().aa_fraction == REGIMES["studies"]["aa_fraction"]
    with pytest.raises(ValueError, match="demo.regime"):
        demo_params(regime="opposite")


def test_a_signature_larger_than_an_omics_layer_is_refused_with_the_fix():
    """The studies' regime plants 100 features per layer: a demo shrunk below that is told which
    key to change when its parameters are read (parse time), not when demo_data has started."""
    with pytest.raises(ValueError) as err:
        demo_params(n_mirna=80, n_cpg=300)
    assert str(err.value) == (
        "demo.signature_size (100, regime 'studies' unless the config sets it) exceeds demo.n_mirna (80): "
        "set demo.signature_size to at most 80 or raise demo.n_mirna"
    )
    assert demo_params(n_mirna=80, n_cpg=300, signature_size=80).signature_size == 80


def test_params_are_read_from_the_whole_config_section():
    """Every field from the validated ``demo`` section, the regime's values resolved before the
    object is built; a key the section lacks is an error, keys that are no field are ignored."""
    cfg = section("demo", enabled=True, regime="divergent", hazard=0.5)
    p = DemoParams.from_config(cfg)
    assert (p.aa_fraction, p.effect_ea, p.effect_aa) == tuple(
        REGIMES["divergent"][k] for k in ("aa_fraction", "effect_ea", "effect_aa")
    )
    assert p.hazard == 0.5 and not hasattr(p, "enabled")
    del cfg["n_cpg"]
    with pytest.raises(ConfigError, match="DemoParams: the config section lacks the key 'n_cpg'"):
        DemoParams.from_config(cfg)
    fields = {**DemoParams.from_config(section("demo")).__dict__, "hazard": None}
    with pytest.raises(ValueError, match=r"\['hazard'\] unresolved"):
        DemoParams(**fields)  # built directly, the regime's values are not filled in


SHARED_RNASEQ = SHARED / "rnaseq_6cohorts.geneExp.tsv.gz"


def test_shipped_gene_ids_are_the_real_ebpp_rows_in_order():
    ids = ebpp_gene_ids()
    assert len(ids) == 20531 and len(set(ids)) == 20531
    excerpt = pd.read_csv(DATA / "rnaseq_excerpt.geneExp.tsv.gz", sep="\t", usecols=[0])
    position = {g: i for i, g in enumerate(ids)}
    rows = [position[g] for g in excerpt["gene_id"]]  # KeyError: an excerpt gene not shipped
    assert rows == sorted(rows)
    if SHARED_RNASEQ.exists():  # the full first column, where ../shared is present
        assert pd.read_csv(SHARED_RNASEQ, sep="\t", usecols=[0])["gene_id"].tolist() == ids
    assert demo_gene_ids() == ids[6::7]


@pytest.mark.slow
def test_tcga_sizes_types_coverage_and_methylation_width(tmp_path):
    """type_sizes: tcga at the real patient count (small matrices): the CDR's per-type sizes,
    RNA-seq for ~rna_coverage of them, miRNA across all types, methylation capped at the width
    with the whole BRCA cohort kept."""
    p = demo_params(
        types="all",
        type_sizes="tcga",
        rna_coverage=0.92,
        n_genes=200,
        n_mirna=20,
        n_cpg=60,
        omics_types="all",
        omics_coverage=0.97,
        methylation_columns=1200,
        markers_per_type=2,
        private_markers=1,
        signature_size=12,
    )
    paths = demo.generate(tmp_path, p)
    sizes = tcga_type_sizes()
    assert len(sizes) == 33 and sum(sizes.values()) == 11160 and sizes["BRCA"] == 1097
    cdr = clinical.read_cdr(paths["clinical"])
    assert cdr["type"].value_counts().to_dict() == sizes

    header = matrix.read_header(paths["expression"])
    parsed = barcodes.parse(header[1:])
    tumour_patients = parsed.loc[parsed["sample_type"] != "11", "patient"].nunique()
    assert 0.90 < tumour_patients / 11160 < 0.94
    genes = pd.read_csv(paths["expression"], sep="\t", usecols=[0])["gene_id"]

    mir_types = cdr.loc[barcodes.parse(pd.read_csv(paths["mirna"], nrows=0).columns[2:])["patient"], "type"]
    assert mir_types.nunique() == 33
    met_cols = matrix.read_header(paths["methylation"])[1:]
    assert len(met_cols) == 1200
    met_patients = barcodes.parse(met_cols)["patient"]
    brca = cdr.index[cdr["type"] == "BRCA"]
    assert 0.93 < met_patients[met_patients.isin(brca)].nunique() / len(brca) < 0.97  # the whole cohort (95% have one)
    markers = pd.read_csv(paths["markers"], sep="\t")
    assert markers["type"].nunique() == 33 and set(markers["gene_id"]) <= set(genes)
    truth = json.loads(paths["truth"].read_text())
    assert truth["params"]["type_sizes"] == "tcga"


def test_more_genes_than_the_small_pool_come_from_all_real_ids(tmp_path):
    p = demo_params(
        n_genes=3000,
        types=["BRCA", "LUAD"],
        patients_per_type=12,
        brca_patients=40,
        n_cpg=60,
        n_mirna=30,
        signature_size=12,
    )
    genes = pd.read_csv(demo.generate(tmp_path, p)["expression"], sep="\t", usecols=[0])["gene_id"]
    assert len(genes) == 3000 and genes.is_unique and set(genes) <= set(ebpp_gene_ids())
    assert not set(genes) <= set(demo_gene_ids())


def test_matrix_files_written_by_blocks_parse_back_exactly(tmp_path):
    """Blocks of rows (the 450K matrix is written 2**25 values at a time) give the same file as
    one block, with NA for NaN and the values at the stated decimals."""
    values = np.random.default_rng(0).normal(size=(7, 5))
    values[2, 3] = np.nan
    one, many = tmp_path / "one.tsv", tmp_path / "many.tsv"
    ids = [f"g{i}" for i in range(7)]
    cols = [f"c{j}" for j in range(5)]
    demo._text_matrix(one, {"id": ids}, cols, [(0, values)], "\t", 4)
    demo._text_matrix(many, {"id": ids}, cols, demo._row_blocks(values, block=3), "\t", 4)
    assert one.read_bytes() == many.read_bytes()
    back = pd.read_csv(one, sep="\t", index_col=0)
    assert back.columns.tolist() == cols and back.index.tolist() == ids
    assert "NA" in one.read_text() and back.isna().sum().sum() == 1
    np.testing.assert_array_equal(back.to_numpy(), np.round(values, 4))


def test_signature_rows_are_planted_in_every_block():
    """The 450K matrix is generated by blocks of rows: signature rows in later blocks carry the
    prognostic factor too."""
    rng = np.random.default_rng(0)
    pat = pd.DataFrame({"patient": [f"P{i}" for i in range(300)], "z": rng.standard_normal(300)})
    al = pd.DataFrame({"patient": pat["patient"], "sample_type": "01"})
    sig, load, blocks = demo._layer_blocks(50, al, pat, 6, rng, scale=1.0, block=7)
    x = np.concatenate([values for _, values in blocks])
    assert x.shape == (50, 300) and sig.max() >= 7  # some signature rows lie beyond the first block
    for row, w in zip(sig, load):
        assert np.sign(np.corrcoef(x[row], pat["z"])[0, 1]) == np.sign(w)
        assert abs(np.corrcoef(x[row], pat["z"])[0, 1]) > 0.3


def test_pancancer_difficulty_baseline_in_range_errors_within_pairs(tmp_path):
    """config/demo.yaml's pan-cancer data over three data seeds: the baseline's test accuracy
    (the workflow's split and logistic regression) lies in [0.80, 0.95], and its errors fall
    within the confusable pairs."""
    from conftest import ROOT

    from tcgatl import config
    from tcgatl.pancancer import baseline, splits

    cfg = config.load(ROOT / "config" / "demo.yaml")["demo"]
    for seed in (7, 8, 9):
        p = DemoParams.from_config({**cfg, "seed": seed, "n_cpg": 60, "n_mirna": 40, "signature_size": 12})
        paths = demo.generate(tmp_path / str(seed), p)
        x, samples, _ = matrix.build(
            paths["expression"], cdr=clinical.read_cdr(paths["clinical"]), qc=QC, features=FEAT
        )
        labels = samples.set_index("barcode").loc[x.index, ["patient", "label"]].reset_index()
        split = splits.make_split(labels, train=0.8, val=0.1, min_class_size=10, seed=42)[0]
        classes, _, y_test, proba = baseline.fit_predict(x, split, seed=42)
        pred = np.array(classes)[proba.argmax(1)]
        truth = np.asarray(y_test)
        assert 0.80 <= (pred == truth).mean() <= 0.95, (seed, (pred == truth).mean())
        pair = {t: frozenset(f) for f in p.simulated_families() for t in f}
        wrong = [(a, b) for a, b in zip(truth, pred) if a != b]
        assert all(a in pair and b in pair[a] for a, b in wrong), wrong
