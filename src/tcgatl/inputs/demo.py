"""Synthetic raw TCGA files in the GDC PanCanAtlas layouts, with planted ground truth.

The demo exercises every stage of the workflow on a laptop: the files have the real names,
headers, barcode formats and quirks (normals, duplicate aliquots, ``Do_not_use`` aliquots,
metastatic SKCM, LAML blood samples, NA and slightly negative EB++ values), so the downstream
rules cannot tell them from real downloads. Known signal is planted and written out:

- marker genes per tumour type (up-regulated by ``marker_shift`` log2 units), for the
  classifiers and for Integrated Gradients to recover;
- a BRCA prognostic signature (mRNA, miRNA and CpG features loading on one latent factor)
  whose effect on progression hazard is ``effect_ea`` in EA and ``effect_aa`` in AA patients.
"""

from __future__ import annotations

import json
import logging
import string
from dataclasses import asdict, dataclass, field
from importlib import resources
from pathlib import Path

import numpy as np
import pandas as pd

from ..io import atomic_path

log = logging.getLogger(__name__)

FILES = {
    "expression": "EBPlusPlusAdjustPANCAN_IlluminaHiSeq_RNASeqV2.geneExp.tsv",
    "sample_quality": "merged_sample_quality_annotations.tsv",
    "clinical": "TCGA-CDR-SupplementalTableS1.xlsx",
    "ancestry": "Genetic_Ancestry.xlsx",
    "mirna": "pancanMiRs_EBadjOnProtocolPlatformWithoutRepsWithUnCorrectMiRs_08_04_16.csv",
    "methylation": "jhu-usc.edu_PANCAN_HumanMethylation450.betaValue_whitelisted.tsv",
    "markers": "ground_truth/markers.tsv",
    "prognosis": "ground_truth/prognosis.tsv",
    "truth": "ground_truth/truth.json",
}

# Real tissue-source-site codes, so barcodes look like the ones users know.
_TSS = {
    "BRCA": ["A2", "AN", "BH", "E2", "A7", "AR"],
    "LUAD": ["05", "44", "49", "55"],
    "COAD": ["AA", "A6", "AZ"],
    "KIRC": ["B0", "CJ", "BP"],
    "LAML": ["AB"],
    "SKCM": ["EE", "D3", "ER"],
}
_ALNUM = np.array(list(string.ascii_uppercase + string.digits))
YEAR = 365.25


@dataclass
class DemoParams:
    seed: int = 7
    n_genes: int = 2000
    types: list = field(default_factory=lambda: ["BRCA", "LUAD", "COAD", "KIRC", "LAML", "SKCM"])
    patients_per_type: int = 50
    brca_patients: int = 260
    aa_fraction: float = 0.35
    markers_per_type: int = 10
    marker_shift: float = 2.5
    n_mirna: int = 300
    n_cpg: int = 1500
    signature_size: int = 12
    effect_ea: float = 0.4
    effect_aa: float = 1.4

    @classmethod
    def from_config(cls, demo: dict) -> "DemoParams":
        return cls(**{k: v for k, v in demo.items() if k in cls.__dataclass_fields__})


def demo_gene_ids() -> list[str]:
    text = resources.files("tcgatl.inputs").joinpath("data/demo_gene_ids.txt").read_text()
    return [line for line in text.splitlines() if line and not line.startswith("#")]


def _code(rng, n, used: set) -> str:
    while True:
        c = "".join(rng.choice(_ALNUM, n))
        if c not in used:
            used.add(c)
            return c


def _patients(p: DemoParams, rng) -> pd.DataFrame:
    """One row per patient: barcode, type, ancestry, race, latent prognostic factor."""
    rows, used = [], set()
    for t in p.types:
        n = p.brca_patients if t == "BRCA" else p.patients_per_type
        tss = _TSS.get(t) or ["".join(rng.choice(_ALNUM, 2)) for _ in range(3)]
        for _ in range(n):
            pid = f"TCGA-{rng.choice(tss)}-{_code(rng, 4, used)}"
            u = rng.random()
            if t == "BRCA":
                anc = (
                    "AA"
                    if u < p.aa_fraction
                    else ("ASIAN" if u < p.aa_fraction + 0.05 else ("NA" if u < p.aa_fraction + 0.09 else "EA"))
                )
            else:
                anc = "AA" if u < 0.1 else ("ASIAN" if u < 0.15 else ("NA" if u < 0.2 else "EA"))
            rows.append((pid, t, anc))
    df = pd.DataFrame(rows, columns=["patient", "type", "ancestry"])
    df["race"] = df["ancestry"].map(
        {"EA": "WHITE", "AA": "BLACK OR AFRICAN AMERICAN", "ASIAN": "ASIAN", "NA": "[Not Available]"}
    )
    # The latent prognostic factor drives the signature features of every omics layer (BRCA).
    df["z"] = np.where(df["type"] == "BRCA", rng.standard_normal(len(df)), 0.0)
    return df


def _aliquot(rng, patient, sample, portion, analyte, center, used) -> str:
    return f"{patient}-{sample}-{portion}{analyte}-{_code(rng, 4, used)}-{center}"


def _rna_aliquots(pat: pd.DataFrame, rng) -> pd.DataFrame:
    """Aliquots of the RNA-seq matrix, with normals, duplicates and metastatic SKCM."""
    rows, plates = [], set()
    for r in pat.itertuples():
        if r.type == "LAML":
            st = "03"
        elif r.type == "SKCM":
            st = "06" if rng.random() < 0.7 else "01"
        else:
            st = "01"
        rows.append((r.patient, _aliquot(rng, r.patient, st + "A", "11", "R", "07", plates), st, "tumour"))
        if rng.random() < 0.04:  # a second primary aliquot of the same patient
            rows.append((r.patient, _aliquot(rng, r.patient, st + "B", "21", "R", "07", plates), st, "duplicate"))
        if r.type != "LAML" and rng.random() < 0.05:
            rows.append((r.patient, _aliquot(rng, r.patient, "11A", "01", "R", "07", plates), "11", "normal"))
    al = pd.DataFrame(rows, columns=["patient", "aliquot", "sample_type", "kind"])
    al["do_not_use"] = rng.random(len(al)) < 0.02
    al["pathology_excluded"] = (~al["do_not_use"]) & (rng.random(len(al)) < 0.01)
    return al


def _expression(p: DemoParams, pat, al, genes, rng):
    """Log2-scale expression with type effects, planted markers and the BRCA signature."""
    g = len(genes)
    mu = np.clip(rng.normal(5.0, 2.5, g), 0, 14)
    type_shift = {t: rng.normal(0, 0.25, g) for t in p.types}
    named = [i for i, gid in enumerate(genes) if not gid.startswith("?")]
    pool = rng.permutation(named)
    markers, k = {}, p.markers_per_type
    for i, t in enumerate(p.types):
        markers[t] = pool[i * k : (i + 1) * k]
    sig = pool[len(p.types) * k : len(p.types) * k + p.signature_size]
    sig_load = rng.choice([-1.0, 1.0], len(sig)) * rng.uniform(0.8, 1.2, len(sig))

    info = pat.set_index("patient")
    x = np.empty((g, len(al)), dtype=np.float64)
    for j, a in enumerate(al.itertuples()):
        t = info.at[a.patient, "type"]
        col = mu + (0.5 if a.kind == "normal" else 1.0) * type_shift[t]
        if a.kind != "normal":
            col = col.copy()
            col[markers[t]] += p.marker_shift
            col[sig] += sig_load * info.at[a.patient, "z"]
        x[:, j] = col + rng.normal(0, 0.6, g)
    rsem = np.round(np.exp2(np.clip(x, 0, None)) - 1, 4)
    # EB++ quirks: slightly negative batch-corrected values among low counts, and NA genes.
    low = rsem < 1.0
    neg = low & (rng.random(rsem.shape) < 0.05)
    rsem[neg] = -np.round(rng.uniform(0.001, 0.3, neg.sum()), 4)
    # NA genes are dropped by the default QC, so they are never planted genes.
    planted = set(np.concatenate([*markers.values(), sig]).tolist())
    na_genes = rng.choice(np.array([i for i in range(g) if i not in planted]), 5, replace=False)
    for gi in na_genes:
        rsem[gi, rng.choice(len(al), 3, replace=False)] = np.nan
    marker_rows = [(t, genes[i], p.marker_shift) for t, idx in markers.items() for i in idx]
    sig_rows = [("mrna", genes[i], w) for i, w in zip(sig, sig_load)]
    return rsem, marker_rows, sig_rows, [genes[i] for i in na_genes]


def _omics_aliquots(pat, rng, analyte, center, coverage=0.95, extra_types=("LUAD",)) -> pd.DataFrame:
    used = set()
    rows = []
    for r in pat.itertuples():
        if r.type == "BRCA" and rng.random() < coverage:
            rows.append((r.patient, _aliquot(rng, r.patient, "01A", "11", analyte, center, used), "01"))
            if rng.random() < 0.04:
                rows.append((r.patient, _aliquot(rng, r.patient, "11A", "01", analyte, center, used), "11"))
        elif r.type in extra_types and rng.random() < 0.3:
            rows.append((r.patient, _aliquot(rng, r.patient, "01A", "11", analyte, center, used), "01"))
    return pd.DataFrame(rows, columns=["patient", "aliquot", "sample_type"])


def _layer(n_features, al, pat, sig_size, rng, scale):
    """Latent-scale values of an omics layer with a signature loading on the prognostic factor."""
    z = pat.set_index("patient").loc[al["patient"], "z"].to_numpy()
    is_tumour = (al["sample_type"] != "11").to_numpy()
    base = rng.normal(0, scale, n_features)
    x = base[:, None] + rng.normal(0, 0.7 * scale, (n_features, len(al)))
    sig = rng.choice(n_features, sig_size, replace=False)
    load = rng.choice([-1.0, 1.0], sig_size) * rng.uniform(0.8, 1.2, sig_size) * scale * 0.8
    x[sig] += load[:, None] * (z * is_tumour)[None, :]
    return x, sig, load


def _mirna_names(n) -> list[str]:
    names = [f"hsa-let-7{c}" for c in "abcdefgi"] + [f"hsa-mir-{i}" for i in range(1, 3 * n)]
    return names[:n]


def _survival(pat: pd.DataFrame, p: DemoParams, rng) -> pd.DataFrame:
    """Endpoints whose hazard depends on the latent factor, more strongly in AA patients."""
    beta = np.where(pat["ancestry"] == "AA", p.effect_aa, p.effect_ea)
    beta = np.where(pat["type"] == "BRCA", beta, 0.0)
    rate = 0.15 * np.exp(beta * pat["z"].to_numpy())
    t_pfi = rng.exponential(1 / rate)
    censor = rng.uniform(0.3, 10, len(pat))
    t_dss = t_pfi * rng.uniform(1.2, 3.0, len(pat))
    t_os = np.minimum(t_dss, rng.exponential(1 / 0.03, len(pat)))
    out = pd.DataFrame({"bcr_patient_barcode": pat["patient"]})
    for name, t in (("OS", t_os), ("DSS", t_dss), ("PFI", t_pfi)):
        out[name] = (t <= censor).astype(int)
        out[f"{name}.time"] = np.round(np.minimum(t, censor) * YEAR).astype(int)
    dfi_defined = rng.random(len(pat)) < 0.8
    out["DFI"] = np.where(dfi_defined, out["PFI"], np.nan)
    out["DFI.time"] = np.where(dfi_defined, out["PFI.time"], np.nan)
    return out


def _cdr(pat, surv, rng) -> pd.DataFrame:
    n = len(pat)
    cdr = pd.DataFrame(
        {
            "bcr_patient_barcode": pat["patient"],
            "type": pat["type"],
            "age_at_initial_pathologic_diagnosis": rng.integers(25, 85, n),
            "gender": np.where(pat["type"] == "BRCA", "FEMALE", rng.choice(["MALE", "FEMALE"], n)),
            "race": pat["race"],
            "ajcc_pathologic_tumor_stage": rng.choice(
                ["Stage I", "Stage II", "Stage III", "Stage IV", "[Not Available]"], n
            ),
            "vital_status": np.where(surv["OS"] == 1, "Dead", "Alive"),
        }
    )
    cdr = cdr.join(surv.drop(columns="bcr_patient_barcode"))
    cdr["Redaction"] = np.nan
    cdr.index = np.arange(1, n + 1)
    return cdr[
        [
            "bcr_patient_barcode",
            "type",
            "age_at_initial_pathologic_diagnosis",
            "gender",
            "race",
            "ajcc_pathologic_tumor_stage",
            "vital_status",
            "OS",
            "OS.time",
            "DSS",
            "DSS.time",
            "DFI",
            "DFI.time",
            "PFI",
            "PFI.time",
            "Redaction",
        ]
    ]


def _ancestry_sheets(pat, rng) -> dict[str, pd.DataFrame]:
    calls = pat["ancestry"].map({"EA": "EA", "AA": "AA", "ASIAN": "EAA", "NA": "NA"})
    calls = calls.where(rng.random(len(pat)) > 0.03, "NA")  # a few uncalled patients
    df = pd.DataFrame(
        {
            "Patient_ID": pat["patient"],
            "Cancer_type": pat["type"],
            "Self_reported_race": pat["race"].map(
                {"WHITE": "White", "BLACK OR AFRICAN AMERICAN": "Black", "ASIAN": "Asian"}
            ),
            "Self-reported ethnicity": "non-Hispanic/Latino",
            "EIGENSTRAT": calls.replace("NA", np.nan),
        }
    )
    return {t: g.reset_index(drop=True) for t, g in df.groupby("Cancer_type", sort=True)}


def _write_tsv(df, path, **kw):
    with atomic_path(path) as tmp:
        df.to_csv(tmp, **kw)


def generate(outdir: str | Path, params: DemoParams | None = None) -> dict[str, Path]:
    """Write every demo raw file under ``outdir``; returns their paths by input name."""
    p = params or DemoParams()
    rng = np.random.default_rng(p.seed)
    out = Path(outdir)
    paths = {k: out / v for k, v in FILES.items()}
    all_genes = demo_gene_ids()
    if p.n_genes > len(all_genes):
        raise ValueError(f"demo.n_genes={p.n_genes} exceeds the {len(all_genes)} shipped gene ids")
    genes = [all_genes[i] for i in np.sort(rng.choice(len(all_genes), p.n_genes, replace=False))]
    if p.markers_per_type * len(p.types) + p.signature_size > 0.8 * p.n_genes:
        raise ValueError("demo: too many planted genes for demo.n_genes")

    pat = _patients(p, rng)
    log.info("demo: %d patients of %d types", len(pat), len(p.types))

    # --- RNA-seq (EB++ layout) ---------------------------------------------------------
    rna = _rna_aliquots(pat, rng)
    rsem, marker_rows, mrna_sig, na_genes = _expression(p, pat, rna, genes, rng)
    ebpp = pd.DataFrame(rsem, index=pd.Index(genes, name="gene_id"), columns=rna["aliquot"])
    _write_tsv(ebpp, paths["expression"], sep="\t", na_rep="NA", float_format="%.4f")
    log.info("demo: EB++ matrix %d genes x %d aliquots", *ebpp.shape)

    # --- miRNA and methylation (BRCA cohort, plus a few LUAD to exercise restriction) ----
    mir_al = _omics_aliquots(pat, rng, "R", "13")
    mir_names = _mirna_names(p.n_mirna)
    mx, mir_sig, mir_load = _layer(p.n_mirna, mir_al, pat, p.signature_size, rng, scale=2.0)
    mir_vals = np.round(np.exp2(mx + 6), 3)
    mir = pd.DataFrame(mir_vals, columns=mir_al["aliquot"])
    mir.insert(0, "Correction", np.where(rng.random(p.n_mirna) < 0.9, "Corrected", "Uncorrected"))
    mir.insert(0, "Genes", mir_names)
    _write_tsv(mir, paths["mirna"], index=False, float_format="%.3f")

    met_al = _omics_aliquots(pat, rng, "D", "05")
    cpgs = [f"cg{n:08d}" for n in np.sort(rng.choice(27_000_000, p.n_cpg, replace=False))]
    bx, cpg_sig, cpg_load = _layer(p.n_cpg, met_al, pat, p.signature_size, rng, scale=1.5)
    beta = np.round(1 / (1 + np.exp2(-bx)), 4)
    beta[rng.random(beta.shape) < 0.01] = np.nan
    met = pd.DataFrame(beta, index=pd.Index(cpgs, name="Composite Element REF"), columns=met_al["aliquot"])
    _write_tsv(met, paths["methylation"], sep="\t", na_rep="NA")

    # --- sample-quality annotation -------------------------------------------------------
    ptype = pat.set_index("patient")["type"]
    qa = []
    for platform, al in (
        ("IlluminaHiSeq_RNASeqV2", rna),
        ("IlluminaHiSeq_miRNASeq", mir_al),
        ("HumanMethylation450", met_al),
    ):
        q = pd.DataFrame(
            {
                "platform": platform,
                "patient_barcode": al["patient"].to_numpy(),
                "aliquot_barcode": al["aliquot"].to_numpy(),
                "cancer type": ptype.loc[al["patient"]].to_numpy(),
                "Do_not_use": al.get("do_not_use", pd.Series(False, index=al.index))
                .map({True: "True", False: "False"})
                .to_numpy(),
                "AWG_excluded_because_of_pathology": al.get("pathology_excluded", pd.Series(False, index=al.index))
                .astype(int)
                .to_numpy(),
            }
        )
        q["AWG_pathology_exclusion_reason"] = np.where(
            q["AWG_excluded_because_of_pathology"] == 1, "Pathology review", ""
        )
        qa.append(q)
    _write_tsv(pd.concat(qa, ignore_index=True), paths["sample_quality"], sep="\t", index=False)

    # --- clinical tables (xlsx, as the real CDR and ancestry supplements) ----------------
    surv = _survival(pat, p, rng)
    cdr = _cdr(pat, surv, rng)
    with atomic_path(paths["clinical"]) as tmp:
        with pd.ExcelWriter(tmp, engine="openpyxl") as xw:
            cdr.to_excel(xw, sheet_name="TCGA-CDR")
            pd.DataFrame({"Notes": ["Synthetic demo table in the TCGA-CDR layout (tcgatl.inputs.demo)."]}).to_excel(
                xw, sheet_name="Notes", index=False
            )
    with atomic_path(paths["ancestry"]) as tmp:
        with pd.ExcelWriter(tmp, engine="openpyxl") as xw:
            pd.DataFrame({"Notes": ["Synthetic demo ancestry calls (tcgatl.inputs.demo)."]}).to_excel(
                xw, sheet_name="Notes", index=False
            )
            for t, sheet in _ancestry_sheets(pat, rng).items():
                sheet.to_excel(xw, sheet_name=t, index=False)

    # --- ground truth ----------------------------------------------------------------------
    _write_tsv(
        pd.DataFrame(marker_rows, columns=["type", "gene_id", "log2_shift"]), paths["markers"], sep="\t", index=False
    )
    prog = mrna_sig + [("mirna", mir_names[i], w) for i, w in zip(mir_sig, mir_load)]
    prog += [("methylation", cpgs[i], w) for i, w in zip(cpg_sig, cpg_load)]
    _write_tsv(pd.DataFrame(prog, columns=["layer", "feature", "loading"]), paths["prognosis"], sep="\t", index=False)
    truth = {
        "params": asdict(p),
        "log_hazard_per_sd": {"EA": p.effect_ea, "AA": p.effect_aa},
        "rna_aliquots": {k: int(v) for k, v in rna["kind"].value_counts().items()},
        "rna_do_not_use": int(rna["do_not_use"].sum()),
        "rna_pathology_excluded": int(rna["pathology_excluded"].sum()),
        "rna_sample_types": {k: int(v) for k, v in rna["sample_type"].value_counts().items()},
        "genes_with_na": na_genes,
        "patients_by_type_and_ancestry": {
            f"{t}/{a}": int(n) for (t, a), n in pat.groupby(["type", "ancestry"]).size().items()
        },
    }
    with atomic_path(paths["truth"]) as tmp:
        tmp.write_text(json.dumps(truth, indent=2))
    return paths
