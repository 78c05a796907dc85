"""The report's tables, built from the workflow's own outputs (numbers stay numbers here;
:func:`with_ci` makes the display strings)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd

from ..errors import InputError
from ..io import read_table
from ..motlab import paired
from ..pancancer.metrics import SUMMARY
from ..pancancer.options import BASELINE

# The original study's one reported split (ResNet50, genes in alphabetical order zero-padded to
# 102x102, one 80/10/10 split): a reference row, not a result of this workflow.
ORIGINAL_PAPER = {
    "model": "Original paper: ResNet50 (alphabetical, 102x102, one 80/10/10 split)",
    "layout": "alphabetical",
    "backbone": "ResNet50",
    "source": "original paper",
    "accuracy": 0.92,
    "macro_precision": 0.90,
    "macro_recall": 0.88,
    "macro_f1": 0.89,
}
# What makes a run's numbers comparable with that split: the TCGA EB++ mRNA matrix, its 33
# tumour types and ImageNet weights.
PAPER_TYPES = 33
PAPER_INPUT = "expression"  # the raw input (tcgatl.workflow's raw_inputs key) that must be the EB++ file
METRICS = SUMMARY  # the evaluation's summary metrics, in its order
METRIC_LABELS = {
    "accuracy": "accuracy",
    "macro_precision": "macro P",
    "macro_recall": "macro R",
    "macro_f1": "macro F1",
    "weighted_precision": "weighted P",
    "weighted_recall": "weighted R",
    "weighted_f1": "weighted F1",
}


def read_tsv(path, columns=()) -> pd.DataFrame:
    """A workflow TSV with the columns the report needs, or an error naming file and column."""
    path = Path(path)
    if not path.exists():
        raise InputError(path, "missing (the report reads it; rerun the workflow to rebuild it)")
    df = read_table(path)
    missing = [c for c in columns if c not in df.columns]
    if missing:
        raise InputError(path, f"missing column(s) {', '.join(missing)}; found {', '.join(map(str, df.columns))}")
    return df


def read_json(path) -> dict:
    path = Path(path)
    if not path.exists():
        raise InputError(path, "missing (the report reads it; rerun the workflow to rebuild it)")
    try:
        return json.loads(path.read_text())
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise InputError(path, f"not valid JSON ({exc})") from None


def samples_per_type(samples: pd.DataFrame, split: pd.DataFrame) -> pd.DataFrame:
    """One row per tumour type: samples kept by QC, each drop reason, and the split sizes."""
    lab = samples.assign(label=samples["label"].fillna("(no label)"))
    counts = pd.crosstab(lab["label"], lab["status"])
    kept = counts.pop("kept") if "kept" in counts else pd.Series(0, index=counts.index)
    out = pd.DataFrame({"tumour_type": counts.index, "kept_after_qc": kept.to_numpy()})
    for reason in counts.columns:
        out[f"dropped: {reason}"] = counts[reason].to_numpy()
    parts = pd.crosstab(split["label"], split["split"]).reindex(columns=["train", "val", "test"], fill_value=0)
    out = out.merge(parts.reset_index().rename(columns={"label": "tumour_type"}), on="tumour_type", how="left")
    for c in ("train", "val", "test"):
        out[c] = out[c].fillna(0).astype(int)
    out["in_classifier"] = out[["train", "val", "test"]].sum(axis=1) > 0
    return out.sort_values(
        ["in_classifier", "kept_after_qc", "tumour_type"], ascending=[False, False, True], ignore_index=True
    )


def qc_reasons(qc: pd.DataFrame) -> pd.DataFrame:
    total = qc["samples"].sum()
    return qc.assign(percent=(100 * qc["samples"] / total).round(1) if total else 0.0)


def dropped_features(dropped: pd.DataFrame) -> pd.DataFrame:
    if dropped.empty:
        return pd.DataFrame({"reason": [], "features": []})
    return dropped.groupby("reason").size().rename("features").reset_index().sort_values("features", ascending=False)


def _metric_row(result: dict, **keys) -> dict:
    row = dict(keys, n_test=result.get("n_test"))
    for m in METRICS:
        row[m] = result["metrics"].get(m, np.nan)
        low, high = result.get("ci95", {}).get(m, (np.nan, np.nan))
        row[f"{m}_ci_low"], row[f"{m}_ci_high"] = low, high
    return row


def paper_not_comparable(config: dict, types: int, checksums: pd.DataFrame) -> list[str]:
    """Why this run's pan-cancer numbers cannot be set beside the original paper's (empty: they
    can), from what the run records: the configuration (demo data or not, the matrix classified,
    the backbones' weights), the tumour types that went into the classifier, and the raw inputs'
    checksums (:func:`.provenance.input_checksums`: the expression input must match the GDC
    manifest's md5 of the EB++ file)."""
    reasons = []
    if config["demo"]["enabled"]:
        reasons.append("its data are the embedded demo's synthetic files, not TCGA's EB++ matrix")
    else:
        pc = config["pancancer"]
        if pc["matrix"] != "mrna":
            reasons.append(f"it classifies the {pc['matrix']} matrix, not the EB++ mRNA matrix")
        row = checksums[checksums["input"] == PAPER_INPUT]
        if row.empty or (row["matches_manifest"] != "yes").any():
            what = "differs from" if (row["matches_manifest"] == "NO").any() else "could not be checked against"
            reasons.append(f"its expression input {what} the GDC manifest's md5 of the EB++ file")
    if types != PAPER_TYPES:
        reasons.append(f"it classifies {types} tumour types, the paper {PAPER_TYPES}")
    if config["pancancer"]["weights"] != "imagenet":
        reasons.append(f"its backbones start from `weights: {config['pancancer']['weights']}`, not ImageNet")
    return reasons


def pancancer_metrics(runs: dict[tuple[str, str], dict], baseline: dict, paper: bool = True) -> pd.DataFrame:
    """Every backbone x layout run, the logistic-regression baseline and, if ``paper`` (the run
    is comparable: :func:`paper_not_comparable`), the original paper's row."""
    rows = [
        _metric_row(r, model=f"{bb} ({lay})", layout=lay, backbone=bb, source="this workflow")
        for (lay, bb), r in runs.items()
    ]
    rows.append(
        _metric_row(
            baseline,
            model="Logistic regression (expression vector)",
            layout=BASELINE[0],
            backbone=BASELINE[1],
            source="this workflow (baseline)",
        )
    )
    if paper:
        ref = dict(ORIGINAL_PAPER, n_test=np.nan)
        for m in METRICS:
            ref.setdefault(m, np.nan)
            ref[f"{m}_ci_low"] = ref[f"{m}_ci_high"] = np.nan
        rows.append(ref)
    out = pd.DataFrame(rows)
    out["n_test"] = out["n_test"].astype("Int64")
    return out


def with_ci(df: pd.DataFrame, metrics, digits: int = 2) -> pd.DataFrame:
    """Display copy: each metric as 'value [low, high]' (no CI: the value alone; none: '-')."""
    out = df.drop(columns=[c for m in metrics for c in (f"{m}_ci_low", f"{m}_ci_high")], errors="ignore")
    for m in metrics:

        def fmt(r, m=m):
            v, lo, hi = r[m], r.get(f"{m}_ci_low", np.nan), r.get(f"{m}_ci_high", np.nan)
            if pd.isna(v):
                return "-"
            return f"{v:.{digits}f}" if pd.isna(lo) else f"{v:.{digits}f} [{lo:.{digits}f}, {hi:.{digits}f}]"

        out[m] = df.apply(fmt, axis=1)
    return out


CV_METRICS = ("accuracy", "macro_f1")


def pancancer_cv(summary: pd.DataFrame, metrics: pd.DataFrame) -> pd.DataFrame:
    """Each model's cross-validated mean and 95% interval beside its single-split value and
    bootstrap CI (``metrics``: :func:`pancancer_metrics`)."""
    single = metrics[metrics["source"] != "original paper"].set_index(["layout", "backbone"])
    rows = []
    for _, r in summary.iterrows():
        s = single.loc[(r["layout"], r["backbone"])]
        row = {"model": s["model"], "layout": r["layout"], "backbone": r["backbone"], "folds": int(r["folds"])}
        for m in CV_METRICS:
            row |= {f"split_{m}": s[m], f"split_{m}_ci_low": s[f"{m}_ci_low"], f"split_{m}_ci_high": s[f"{m}_ci_high"]}
            row |= {f"cv_{m}": r[m], f"cv_{m}_ci_low": r[f"{m}_ci_low"], f"cv_{m}_ci_high": r[f"{m}_ci_high"]}
        rows.append(row)
    return pd.DataFrame(rows)


def pancancer_cv_display(table: pd.DataFrame) -> pd.DataFrame:
    shown = table[["model", "folds"]].copy()
    for m in CV_METRICS:
        for kind, what in (("split", "single split"), ("cv", "cross-validated")):
            part = table.rename(columns={f"{kind}_{m}{x}": f"{m}{x}" for x in ("", "_ci_low", "_ci_high")})
            shown[f"{METRIC_LABELS[m]}, {what}"] = with_ci(part, [m])[m]
    return shown


def per_class_f1(per_class: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """Tumour type x model F1 (test set)."""
    cols = {name: df.set_index("class")["f1"] for name, df in per_class.items()}
    out = pd.DataFrame(cols)
    out.index.name = "tumour_type"
    return out


def histories(frames: dict[tuple[str, str], pd.DataFrame]) -> pd.DataFrame:
    """All training histories in one long table, epochs numbered across both phases."""
    parts = []
    for (lay, bb), h in frames.items():
        parts.append(h.assign(layout=lay, backbone=bb, step=np.arange(1, len(h) + 1)))
    return pd.concat(parts, ignore_index=True) if parts else pd.DataFrame()


def gene_labels(genes: pd.DataFrame) -> pd.Series:
    """The name to show of each gene: its symbol, or its Entrez id where the matrix gives none (EB++
    writes ``?|<Entrez id>`` for genes without a symbol). ``genes`` has ``symbol`` and ``gene`` (the
    matrix's row id) columns, and may have ``entrez``."""
    symbol = genes["symbol"].astype("string")
    missing = symbol.isna() | symbol.str.strip().isin(["", "?"])
    entrez = genes["gene"].astype("string").str.split("|", n=1).str[1]
    if "entrez" in genes:
        given = genes["entrez"].astype("string").str.replace(r"\.0$", "", regex=True)
        entrez = given.where(given.notna() & (given.str.strip() != ""), entrez)
    fallback = entrez.where(entrez.notna() & (entrez.str.strip() != ""), genes["gene"].astype("string"))
    return symbol.where(~missing, fallback).astype(str)


def top_genes_wide(top: pd.DataFrame, n: int) -> pd.DataFrame:
    """One row per tumour type: its top-n genes by mean attribution, best first, each named by
    :func:`gene_labels` (a symbol, or the Entrez id of a gene without one)."""
    top = top.sort_values(["class", "rank"]).assign(label=lambda t: gene_labels(t).to_numpy())
    out = (
        top[top["rank"] <= n]
        .groupby("class", sort=True)
        .agg(top_genes=("label", lambda s: ", ".join(map(str, s))), samples=("n_samples", "first"))
    )
    return out.reset_index().rename(columns={"class": "tumour_type"})


def motlab_auroc(summary: pd.DataFrame) -> pd.DataFrame:
    """One row per endpoint x year x scheme x SMOTE: AA AUROC, EA AUROC and the EA-AA gap (mixture)."""
    keys = ["endpoint", "years", "scheme", "smote"]
    wide = None
    for pop in ("AA", "EA", "EA-AA"):
        part = summary[summary["population"] == pop][keys + ["mean_auroc", "ci95_low", "ci95_high", "repeats"]]
        tag = {"AA": "AA_auroc", "EA": "EA_auroc", "EA-AA": "EA_minus_AA"}[pop]
        part = part.rename(columns={"mean_auroc": tag, "ci95_low": f"{tag}_ci_low", "ci95_high": f"{tag}_ci_high"})
        if pop != "AA":
            part = part.drop(columns="repeats")
        wide = part if wide is None else wide.merge(part, on=keys, how="left")
    return wide.sort_values(keys, ignore_index=True)


def motlab_paired_display(comparisons: pd.DataFrame) -> pd.DataFrame:
    """The paired-comparison table as shown: one interval column per kind of interval."""
    df = comparisons.copy()
    for tag, what in (("repeats", "over repeats"), ("patients", "over patients")):
        lo, hi = df[f"{tag}_ci95_low"], df[f"{tag}_ci95_high"]
        df[f"95% CI {what}"] = [f"[{a:+.3f}, {b:+.3f}]" for a, b in zip(lo, hi)]
    df["difference"] = df["mean_difference"].map(lambda v: f"{v:+.3f}")
    df["first better"] = [f"{a} of {b} repeats" for a, b in zip(df["repeats_first_better"], df["repeats"])]
    keys = [k for k in ("endpoint", "years") if k in df]
    cols = [*keys, "first", "second", "difference", "95% CI over repeats", "95% CI over patients", "first better"]
    return df[[*cols, "verdict"]]


def motlab_paired_text(comparisons: pd.DataFrame) -> str:
    """In words, per endpoint: the best transfer scheme against independent and mixture
    (without SMOTE), and which comparisons are distinguishable from zero."""
    out = []
    for (ep, yrs), g in comparisons.groupby(["endpoint", "years"], sort=True):
        transfer = g[g["first"].str.endswith("(nosmote)") & g["second"].str.startswith(("independent", "mixture"))]
        if transfer.empty:
            continue
        best = transfer.groupby("first")["mean_difference"].mean().idxmax()
        parts = [
            f"{r['second'].split(' ')[0]} {r['mean_difference']:+.3f} "
            f"[{r['patients_ci95_low']:+.3f}, {r['patients_ci95_high']:+.3f}]"
            for _, r in transfer[transfer["first"] == best].iterrows()
        ]
        called = [v for v in g["verdict"] if paired.is_call(v)]
        # Said first: how small a difference these AA patients can resolve at all.
        r = g.iloc[0]
        out.append(
            f"{ep} {yrs}y: {r['aa_patients']} AA patients with {r['aa_poor_outcome']} events resolve AUROC "
            f"differences of about +-{r['resolvable_difference']:.3f} (median half-width of the 95% intervals over "
            "patients); a smaller difference gets no verdict. "
            f"The best transfer scheme is {best.split(' ')[0]}, AA AUROC difference vs "
            + " and vs ".join(parts)
            + " (95% CI over patients). "
            + (
                "Distinguishable from zero: " + "; ".join(called) + "."
                if called
                else "No comparison is distinguishable from zero."
            )
        )
    return " ".join(out) or "No transfer scheme was run: nothing to compare."


def motlab_weights(final: dict[tuple, dict], folds: pd.DataFrame) -> pd.DataFrame:
    """Omics weights of each final model (chosen by inner CV on all AA patients) beside the
    mean and spread of the weights chosen within the evaluation folds."""
    rows = []
    for (ep, yrs, scheme, smote), meta in final.items():
        row = {
            "endpoint": ep,
            "years": yrs,
            "scheme": scheme,
            "smote": smote,
            "weighting": meta.get("weighting", ""),
            "smote_status": meta.get("smote_status", ""),
        }
        for layer, w in (meta.get("weights") or {}).items():
            row[f"final_w_{layer}"] = w
        sub = folds[(folds["endpoint"] == ep) & (folds["years"] == yrs) & (folds["scheme"] == scheme)]
        for col in [c for c in folds.columns if c.startswith("w_")]:
            row[f"folds_mean_{col}"] = sub[col].mean() if len(sub) else np.nan
            row[f"folds_sd_{col}"] = sub[col].std(ddof=1) if len(sub) > 1 else np.nan
        rows.append(row)
    return pd.DataFrame(rows)


def _round(values: pd.Series) -> pd.Series:
    """Two decimals, and no "-0.00" for a tiny negative value."""
    return values.round(2) + 0.0


def de_agreement_summary(frames: dict[tuple[str, str], pd.DataFrame]) -> pd.DataFrame:
    """One row per model: medians over its explained types of the agreement of its IG gene
    ranking with the DE ranking (tcgatl.pancancer.agreement), and in how many types the top-k
    overlap exceeds chance (and reaches hypergeometric p < 0.05)."""
    rows = []
    for (lay, bb), t in frames.items():
        first = t.iloc[0] if len(t) else {}
        rows.append(
            {
                "model": f"{bb} ({lay})",
                "layout": lay,
                "backbone": bb,
                "types": len(t),
                "genes": first.get("n_genes", np.nan),
                "k": first.get("k", np.nan),
                "chance": first.get("chance", np.nan),
                "median_spearman": t["spearman"].median(),
                "median_topk_overlap": t["topk_overlap"].median(),
                "types_above_chance": int((t["topk_overlap"] > t["chance"]).sum()),
                "types_p05": int((t["topk_p"] < 0.05).sum()),
                "median_spearman_abs": t["spearman_abs"].median(),
                "median_topk_overlap_abs": t["topk_overlap_abs"].median(),
                "types_above_chance_abs": int((t["topk_overlap_abs"] > t["chance"]).sum()),
            }
        )
    return pd.DataFrame(rows)


def de_agreement_summary_display(summary: pd.DataFrame) -> pd.DataFrame:
    """The summary as shown: rounded medians, counts as 'n of types'."""

    def of(col):
        return [f"{a} of {b}" for a, b in zip(summary[col], summary["types"])]

    return pd.DataFrame(
        {
            "model": summary["model"],
            "types": summary["types"],
            "top k (chance)": [f"{k:.0f} ({c:.3f})" for k, c in zip(summary["k"], summary["chance"])],
            "Spearman": _round(summary["median_spearman"]),
            "top-k overlap": _round(summary["median_topk_overlap"]),
            "above chance": of("types_above_chance"),
            "p < 0.05": of("types_p05"),
            "Spearman of |.|": _round(summary["median_spearman_abs"]),
            "top-k overlap of |.|": _round(summary["median_topk_overlap_abs"]),
            "|.| above chance": of("types_above_chance_abs"),
        }
    )


def de_agreement_text(summary: pd.DataFrame) -> str:
    """The summary in words, one sentence per model."""
    out = []
    for r in summary.itertuples():
        if not r.types:
            out.append(f"{r.model}: no type explained.")
            continue
        out.append(
            f"{r.model}: median Spearman {r.median_spearman:.2f} over {r.types} types (absolute values "
            f"{r.median_spearman_abs:.2f}); median top-{r.k:.0f} overlap {r.median_topk_overlap:.2f} against "
            f"{r.chance:.3f} by chance, above chance in {r.types_above_chance} of {r.types} types "
            f"(p < 0.05 in {r.types_p05})."
        )
    return " ".join(out)


def de_agreement_display(table: pd.DataFrame) -> pd.DataFrame:
    """One model's per-type agreement as shown."""

    def p(s):
        return s.map(lambda v: "-" if pd.isna(v) else f"{v:.1g}")

    k = f"{table['k'].iloc[0]:.0f}" if len(table) else "k"
    return pd.DataFrame(
        {
            "tumour_type": table["class"],
            "explained": table["n_explained"],
            "training": table["n_train_class"],
            "Spearman": _round(table["spearman"]),
            f"top-{k} overlap": _round(table["topk_overlap"]),
            "p": p(table["topk_p"]),
            # Of the absolute values: it can be negative.
            "Spearman of |.|": _round(table["spearman_abs"]),
            f"top-{k} overlap of |.|": _round(table["topk_overlap_abs"]),
            "p (|.|)": p(table["topk_abs_p"]),
        }
    )


def faithfulness_sentence(model: str, table: pd.DataFrame) -> str:
    """One sentence for ``model`` from its faithfulness table (tcgatl.pancancer.faithfulness
    .summary), rows of class ``all``."""
    rows = table[table["class"] == "all"].set_index("curve")
    if rows.empty:
        return f"{model}: no explained sample, no deletion or insertion curve."
    parts = [
        f"{curve} area IG {r.area_ig:.3f} vs DE {r.area_de:.3f} (p {r.p_vs_de:.2g}) and random "
        f"{r.area_random:.3f} (p {r.p_vs_random:.2g})"
        for curve, r in rows.iterrows()
    ]
    both = bool(rows["ig_beats_both"].astype(bool).all())
    verdict = "IG beats both comparators on both curves" if both else "IG does not beat both comparators on both curves"
    return (
        f"{model}: {verdict} ({'; '.join(parts)}; {int(rows['samples'].max())} samples, the output moving by "
        f"{rows['change'].mean():.2g} on average from image to baseline)."
    )
