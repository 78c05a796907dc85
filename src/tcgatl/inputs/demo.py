"""Synthetic raw TCGA files in the GDC PanCanAtlas layouts, with planted ground truth.

The demo exercises every stage of the workflow on a laptop; at ``type_sizes: tcga``, all 33
types and ``n_genes: 20531`` it is the full-size rehearsal set (config/scale.yaml). The files have the real names,
headers, barcode formats and quirks (normals, duplicate aliquots, ``Do_not_use`` aliquots,
metastatic SKCM, LAML blood samples, NA and slightly negative EB++ values), so the downstream
rules cannot tell them from real downloads. Known signal is planted and written out:

- marker genes per tumour type (up-regulated by ``marker_shift`` log2 units), for the
  classifiers and for Integrated Gradients to recover. Types of one ``families`` entry (lung
  adenocarcinoma and squamous carcinoma, colon and rectum, ...) share their markers and most of
  their expression profile and differ only by ``private_markers`` weaker ones
  (``private_shift``), so they are partly confusable, as the real ones are;
- a BRCA prognostic signature (mRNA, miRNA and CpG features loading on one latent factor)
  whose effect on progression hazard is ``effect_ea`` in EA and ``effect_aa`` in AA patients.
  ``regime`` sets the ancestry mix, the effects and the event rate
  (:data:`~tcgatl.inputs.demo_params.REGIMES`).

This module is the generator (numpy, pandas, pyarrow). What the workflow reads at parse time
lives in standard-library modules beside it: the parameters, regimes, expected findings and
resource estimates in :mod:`.demo_params`, the file names in :mod:`.demo_files`, the real EB++
gene ids and TCGA type sizes in :mod:`.reference`.
"""

from __future__ import annotations

import json
import logging
import string
from dataclasses import asdict
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

from ..io import atomic_path
from .demo_files import FILES
from .demo_params import OWN_PROFILE, DemoParams, describe, simulated_types, type_size
from .reference import demo_gene_ids, ebpp_gene_ids

log = logging.getLogger(__name__)

# Real tissue-source-site codes, so barcodes look like the ones users know.
_TSS = {
    "BRCA": ["A2", "AN", "BH", "E2", "A7", "AR"],
    "LUAD": ["05", "44", "49", "55"],
    "COAD": ["AA", "A6", "AZ"],
    "KIRC": ["B0", "CJ", "BP"],
    "LAML": ["AB"],
    "SKCM": ["EE", "D3", "ER"],
    "LUSC": ["18", "21", "22", "33"],
    "READ": ["AG", "AF", "EI"],
}

_ALNUM = np.array(list(string.ascii_uppercase + string.digits))
YEAR = 365.25


def _code(rng, n, used: set) -> str:
    while True:
        c = "".join(rng.choice(_ALNUM, n))
        if c not in used:
            used.add(c)
            return c


def _patients(p: DemoParams, rng) -> pd.DataFrame:
    """One row per patient: barcode, type, ancestry, race, latent prognostic factor."""
    rows, used = [], set()
    for t in simulated_types(p):
        n = type_size(p, t)
        tss = _TSS.get(t) or ["".join(rng.choice(_ALNUM, 2)) for _ in range(3)]
        for _ in range(n):
            pid = f"TCGA-{rng.choice(tss)}-{_code(rng, 4, used)}"
            u = rng.random()
            if t == "BRCA":
                # TCGA BRCA: ~3% Asian and ~2% without a race call beside EA and AA.
                anc = (
                    "AA"
                    if u < p.aa_fraction
                    else ("ASIAN" if u < p.aa_fraction + 0.03 else ("NA" if u < p.aa_fraction + 0.05 else "EA"))
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


def _rna_aliquots(pat: pd.DataFrame, rng, coverage: float = 1.0) -> pd.DataFrame:
    """Aliquots of the RNA-seq matrix, with normals, duplicates and metastatic SKCM; patients
    without RNA-seq (as ~8% of the CDR's) when ``coverage`` < 1."""
    rows, plates = [], set()
    for r in pat.itertuples():
        if coverage < 1 and rng.random() >= coverage:
            continue
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
    """Log2-scale expression with type effects, planted markers and the BRCA signature.
    Types of a family share their profile and markers; each adds a few weaker private ones."""
    g = len(genes)
    types = simulated_types(p)
    mu = np.clip(rng.normal(5.0, 2.5, g), 0, 14)
    family_of = {t: tuple(f) for f in p.simulated_families() for t in f}
    groups = list(dict.fromkeys(family_of.get(t, (t,)) for t in types))
    group_shift = {grp: rng.normal(0, p.profile_sd, g) for grp in groups}
    # A member's profile is its family's plus a small own part (OWN_PROFILE of the variance).
    type_shift = {
        t: group_shift[family_of[t]] * np.sqrt(1 - OWN_PROFILE) + rng.normal(0, p.profile_sd * np.sqrt(OWN_PROFILE), g)
        if t in family_of
        else group_shift[(t,)]
        for t in types
    }
    named = [i for i, gid in enumerate(genes) if not gid.startswith("?")]
    pool = iter(rng.permutation(named))
    k = p.markers_per_type
    shared = {grp: np.array([next(pool) for _ in range(k)]) for grp in groups}
    private = {t: np.array([next(pool) for _ in range(p.private_markers)], dtype=int) for t in family_of}
    sig = np.array([next(pool) for _ in range(p.signature_size)])
    sig_load = rng.choice([-1.0, 1.0], len(sig)) * rng.uniform(0.8, 1.2, len(sig)) * p.signature_loading
    # (type, gene index, log2 shift, kind) of every planted marker.
    planted_markers = []
    for t in types:
        kind = "family" if t in family_of else "type"
        planted_markers += [(t, i, p.marker_shift, kind) for i in shared[family_of.get(t, (t,))]]
        planted_markers += [(t, i, p.private_shift, "private") for i in private.get(t, [])]
    shift_by_type = {t: np.zeros(g) for t in types}
    for t, i, shift, _ in planted_markers:
        shift_by_type[t][i] += shift

    info = pat.set_index("patient")
    # Column-major: each aliquot's column is written (and later read for the file) contiguously.
    x = np.empty((g, len(al)), dtype=np.float64, order="F")
    for j, a in enumerate(al.itertuples()):
        t = info.at[a.patient, "type"]
        col = mu + (0.5 if a.kind == "normal" else 1.0) * type_shift[t]
        if a.kind != "normal":
            col = col + shift_by_type[t]
            col[sig] += sig_load * info.at[a.patient, "z"]
        x[:, j] = col + rng.normal(0, p.noise_sd, g)
    # In place and by blocks of genes: at full size (20,531 x 11,000) x alone is 1.8 GB.
    rsem = x
    neg = np.zeros(x.shape, dtype=bool)
    for r0 in range(0, g, _BLOCK):
        block = rsem[r0 : r0 + _BLOCK]
        np.clip(block, 0, None, out=block)
        np.exp2(block, out=block)
        block -= 1
        np.round(block, 4, out=block)
        # EB++ quirks: slightly negative batch-corrected values among low counts, and NA genes.
        neg[r0 : r0 + _BLOCK] = (block < 1.0) & (rng.random(block.shape) < 0.05)
    rsem[neg] = -np.round(rng.uniform(0.001, 0.3, neg.sum()), 4)
    del neg
    # NA genes are dropped by the default QC, so they are never planted genes.
    planted = {i for _, i, _, _ in planted_markers} | set(sig.tolist())
    na_genes = rng.choice(np.array([i for i in range(g) if i not in planted]), 5, replace=False)
    for gi in na_genes:
        rsem[gi, rng.choice(len(al), 3, replace=False)] = np.nan
    marker_rows = [(t, genes[i], shift, kind) for t, i, shift, kind in planted_markers]
    sig_rows = [("mrna", genes[i], w) for i, w in zip(sig, sig_load)]
    return rsem, marker_rows, sig_rows, [genes[i] for i in na_genes]


def _omics_aliquots(pat, rng, analyte, center, p: DemoParams, coverage=0.95, columns=None) -> pd.DataFrame:
    """Aliquots of a BRCA-centred omics matrix: the cohort (with a few normals) plus primary
    tumours of ``p.omics_types`` at ``p.omics_coverage``; at most ``columns`` in all: the cohort
    first, then others drawn at random from every type."""
    others = (set(simulated_types(p)) if p.omics_types == "all" else set(p.omics_types)) - {"BRCA"}
    used = set()
    rows = []
    for r in pat.itertuples():
        if r.type == "BRCA" and rng.random() < coverage:
            rows.append((r.patient, _aliquot(rng, r.patient, "01A", "11", analyte, center, used), "01"))
            if rng.random() < 0.04:
                rows.append((r.patient, _aliquot(rng, r.patient, "11A", "01", analyte, center, used), "11"))
        elif r.type in others and rng.random() < p.omics_coverage:
            rows.append((r.patient, _aliquot(rng, r.patient, "01A", "11", analyte, center, used), "01"))
    al = pd.DataFrame(rows, columns=["patient", "aliquot", "sample_type"])
    if columns is not None and len(al) > columns:
        in_cohort = pat.set_index("patient").loc[al["patient"], "type"].to_numpy() == "BRCA"
        cohort, extra = np.flatnonzero(in_cohort), np.flatnonzero(~in_cohort)
        n_extra = max(0, columns - len(cohort))
        picked = rng.choice(extra, n_extra, replace=False) if n_extra else np.empty(0, int)  # from every type
        keep = np.sort(np.concatenate([cohort[:columns], picked]))
        al = al.iloc[keep].reset_index(drop=True)
    return al


def _layer_blocks(n_features, al, pat, sig_size, rng, scale, block=None, loading=1.0):
    """Latent-scale values of an omics layer with a signature loading on the prognostic factor,
    yielded by blocks of ``block`` features (the 450K matrix does not fit in memory at once).
    Returns (signature rows, loadings, generator of (first row, values))."""
    z = pat.set_index("patient").loc[al["patient"], "z"].to_numpy()
    is_tumour = (al["sample_type"] != "11").to_numpy()
    sig = np.sort(rng.choice(n_features, sig_size, replace=False))
    load = rng.choice([-1.0, 1.0], sig_size) * rng.uniform(0.8, 1.2, sig_size) * scale * 0.8 * loading
    block = block or n_features

    def blocks():
        for r0 in range(0, n_features, block):
            n = min(block, n_features - r0)
            x = rng.normal(0, scale, n)[:, None] + rng.normal(0, 0.7 * scale, (n, len(al)))
            inside = (sig >= r0) & (sig < r0 + n)
            x[sig[inside] - r0] += load[inside][:, None] * (z * is_tumour)[None, :]
            yield r0, x

    return sig, load, blocks()


_BLOCK = 2048  # matrix rows generated and written at a time


def _text_matrix(path, lead: dict, columns, blocks, sep: str, decimals: int) -> None:
    """A delimited matrix file: header, then per block of rows the ``lead`` label columns and
    the values rounded to ``decimals`` (NaN written as NA). pyarrow's CSV writer formats the
    numbers (shortest round-trip text), ~8x faster than pandas' to_csv at full size."""
    options = pacsv.WriteOptions(include_header=False, delimiter=sep, quoting_style="none")
    names = [*lead, *columns]
    with atomic_path(path) as tmp, open(tmp, "wb") as fh:
        fh.write((sep.join(names) + "\n").encode())
        for r0, values in blocks:
            n = len(values)
            arrays = [pa.array(np.asarray(v[r0 : r0 + n], dtype=str)) for v in lead.values()]
            for j in range(values.shape[1]):
                col = pa.array(np.round(values[:, j], decimals), from_pandas=True)
                arrays.append(pc.fill_null(col.cast(pa.string()), "NA"))
            pacsv.write_csv(pa.Table.from_arrays(arrays, names=[str(i) for i in range(len(names))]), fh, options)


def _row_blocks(x, block=_BLOCK):
    return ((r0, x[r0 : r0 + block]) for r0 in range(0, len(x), block))


def _mirna_names(n) -> list[str]:
    names = [f"hsa-let-7{c}" for c in "abcdefgi"] + [f"hsa-mir-{i}" for i in range(1, 3 * n)]
    return names[:n]


def _survival(pat: pd.DataFrame, p: DemoParams, rng) -> pd.DataFrame:
    """Endpoints whose hazard depends on the latent factor, more strongly in AA patients."""
    beta = np.where(pat["ancestry"] == "AA", p.effect_aa, p.effect_ea)
    beta = np.where(pat["type"] == "BRCA", beta, 0.0)
    rate = p.hazard * np.exp(beta * pat["z"].to_numpy())
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


def generate(outdir: str | Path, p: DemoParams) -> dict[str, Path]:
    """Write every demo raw file under ``outdir``; returns their paths by input name."""
    rng = np.random.default_rng(p.seed)
    out = Path(outdir)
    paths = {k: out / v for k, v in FILES.items()}
    # Small demos draw from every 7th real id, larger ones from all 20,531 (20531 = the real list).
    all_genes = demo_gene_ids() if p.n_genes <= len(demo_gene_ids()) else ebpp_gene_ids()
    if p.n_genes > len(all_genes):
        raise ValueError(f"demo.n_genes={p.n_genes} exceeds the {len(all_genes)} real EB++ gene ids")
    genes = [all_genes[i] for i in np.sort(rng.choice(len(all_genes), p.n_genes, replace=False))]
    n_planted = p.markers_per_type * len(simulated_types(p)) + p.private_markers * len(simulated_types(p))
    if n_planted + p.signature_size > 0.8 * p.n_genes:
        raise ValueError("demo: too many planted genes for demo.n_genes")

    pat = _patients(p, rng)
    log.info("demo: %d patients of %d types", len(pat), pat["type"].nunique())

    # --- RNA-seq (EB++ layout) ---------------------------------------------------------
    rna = _rna_aliquots(pat, rng, p.rna_coverage)
    rsem, marker_rows, mrna_sig, na_genes = _expression(p, pat, rna, genes, rng)
    log.info("demo: writing the EB++ matrix, %d genes x %d aliquots", *rsem.shape)
    _text_matrix(paths["expression"], {"gene_id": genes}, rna["aliquot"], _row_blocks(rsem), "\t", 4)
    del rsem

    # --- miRNA and methylation (BRCA cohort, plus a few LUAD to exercise restriction) ----
    mir_al = _omics_aliquots(pat, rng, "R", "13", p)
    mir_names = _mirna_names(p.n_mirna)
    correction = np.where(rng.random(p.n_mirna) < 0.9, "Corrected", "Uncorrected")
    mir_sig, mir_load, mir_blocks = _layer_blocks(
        p.n_mirna, mir_al, pat, p.signature_size, rng, scale=2.0, loading=p.signature_loading
    )
    log.info("demo: writing the miRNA matrix, %d miRNAs x %d aliquots", p.n_mirna, len(mir_al))
    _text_matrix(
        paths["mirna"],
        {"Genes": mir_names, "Correction": correction},
        mir_al["aliquot"],
        ((r0, np.exp2(x + 6)) for r0, x in mir_blocks),
        ",",
        3,
    )

    met_al = _omics_aliquots(pat, rng, "D", "05", p, columns=p.methylation_columns)
    cpgs = [f"cg{n:08d}" for n in np.sort(rng.choice(27_000_000, p.n_cpg, replace=False))]
    cpg_sig, cpg_load, met_blocks = _layer_blocks(
        p.n_cpg,
        met_al,
        pat,
        p.signature_size,
        rng,
        scale=1.5,
        block=max(1, 2**25 // max(1, len(met_al))),
        loading=p.signature_loading,
    )

    def betas():
        for r0, x in met_blocks:
            beta = 1 / (1 + np.exp2(-x))
            beta[rng.random(beta.shape) < 0.01] = np.nan
            yield r0, beta

    log.info("demo: writing the methylation matrix, %d CpGs x %d aliquots", p.n_cpg, len(met_al))
    _text_matrix(paths["methylation"], {"Composite Element REF": cpgs}, met_al["aliquot"], betas(), "\t", 4)

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
        pd.DataFrame(marker_rows, columns=["type", "gene_id", "log2_shift", "kind"]),
        paths["markers"],
        sep="\t",
        index=False,
    )
    prog = mrna_sig + [("mirna", mir_names[i], w) for i, w in zip(mir_sig, mir_load)]
    prog += [("methylation", cpgs[i], w) for i, w in zip(cpg_sig, cpg_load)]
    _write_tsv(pd.DataFrame(prog, columns=["layer", "feature", "loading"]), paths["prognosis"], sep="\t", index=False)
    truth = {
        "params": asdict(p),
        "regime": p.regime,
        "expected": describe(p),
        "families": p.simulated_families(),
        "log_hazard_per_sd": {"EA": p.effect_ea, "AA": p.effect_aa},
        "rna_aliquots": {k: int(v) for k, v in rna["kind"].value_counts().items()},
        "rna_do_not_use": int(rna["do_not_use"].sum()),
        "rna_pathology_excluded": int(rna["pathology_excluded"].sum()),
        # QC drops flagged aliquots first, so only unflagged normals reach the sample-type filter.
        "rna_normals_unflagged": int(
            ((rna["kind"] == "normal") & ~rna["do_not_use"] & ~rna["pathology_excluded"]).sum()
        ),
        "rna_sample_types": {k: int(v) for k, v in rna["sample_type"].value_counts().items()},
        "genes_with_na": na_genes,
        "patients_by_type_and_ancestry": {
            f"{t}/{a}": int(n) for (t, a), n in pat.groupby(["type", "ancestry"]).size().items()
        },
    }
    with atomic_path(paths["truth"]) as tmp:
        tmp.write_text(json.dumps(truth, indent=2))
    return paths
