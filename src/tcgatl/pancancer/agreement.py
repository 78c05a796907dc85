"""IG gene rankings checked against the data: per class, how well a model's Integrated Gradients
gene ranking agrees with a one-vs-rest differential-expression (DE) ranking of the training split.

The DE statistic is Welch's t of the class against every other class, per gene, on the training
samples only (the samples the model learnt from; the explained samples are test samples, so the
check cannot be flattered by the explanations' own inputs). Welch's t rather than a rank-based
Mann-Whitney AUC: marker genes that separate a class completely all reach AUC 1 and tie, so a
top-k of strong markers would be arbitrary, whereas t still orders them by the size of the shift
relative to its noise; Welch rather than Student because tumour types differ in size (tens to
over a thousand samples in TCGA) and in spread. t is unchanged by the per-gene affine [0, 1] scaling of the gene images,
so it does not matter that it is computed on the log2 matrix.

Agreement, per class, over the genes of the layout:

- ``spearman``: Spearman correlation of the class's mean IG attribution (positive: the gene
  pushes the output towards the class) with the signed t (positive: the gene is up in the class).
  It is the check a user means by "the genes that push towards the class are up in it".
- ``spearman_abs``: the same on absolute values, |mean attribution| against |t|: the genes the
  model relies on, for or against the class, are the genes that differ most, in either direction.
  With a baseline inside the data (``train_mean``) a gene lower in the class than on average gets
  a positive attribution when the model uses it (x - b < 0 and a negative gradient), which the
  signed comparison counts as disagreement and this one does not.
- ``topk_overlap`` (``topk_overlap_abs``): |top-k by IG ∩ top-k by t| / k, ordering as above;
  ``chance`` = k / n_genes is its expected value under a random ranking, and ``topk_p``
  (``topk_abs_p``) the one-sided hypergeometric probability of an overlap at least this large.
"""

from __future__ import annotations

import logging

import numpy as np
import pandas as pd
from scipy import stats

from ..errors import InputError, preview
from .layouts import split_gene_id
from .splits import split_matrix

log = logging.getLogger(__name__)

# Welch's t needs a variance on both sides: two training samples at least.
MIN_TRAIN = 2
_BLOCK = 2048  # genes per pass of de_ranking
DE_COLUMNS = [
    "class",
    "rank",
    "gene",
    "symbol",
    "welch_t",
    "mean_difference",
    "mean_class",
    "mean_rest",
    "n_class",
    "n_rest",
]
IG_COLUMNS = ["class", "gene", "mean_attribution", "n_samples"]
AGREEMENT_COLUMNS = [
    "class",
    "n_explained",
    "n_train_class",
    "n_genes",
    "k",
    "chance",
    "spearman",
    "topk_overlap",
    "topk_p",
    "spearman_abs",
    "topk_overlap_abs",
    "topk_abs_p",
]


def _ranked(table: pd.DataFrame, score: str) -> pd.DataFrame:
    """Highest score first, ties by gene name: the order of :func:`tcgatl.pancancer.ig.rank_genes`."""
    return table.sort_values([score, "gene"], ascending=[False, True], kind="stable")


def de_ranking(x: pd.DataFrame, split: pd.DataFrame, source=None, split_source=None) -> pd.DataFrame:
    """Per class of the training split, every gene of ``x`` ranked by Welch's t of the class
    against the rest (rank 1 = most up in the class), with the log2 mean difference beside it.

    ``x`` is samples x genes (the feature matrix ``source``), ``split`` the split table
    (``split_source``); only rows whose split is ``train`` are used."""
    xtr, labels = split_matrix(x, split, source)["train"]
    counts = pd.Series(labels).value_counts().sort_index()
    if len(counts) < 2:
        raise InputError(
            split_source, f"one-vs-rest needs at least 2 classes in the training split, found {len(counts)}"
        )
    small = counts[counts < MIN_TRAIN]
    if len(small):
        raise InputError(
            split_source,
            f"Welch's t needs at least {MIN_TRAIN} training samples per class; too few for: "
            + ", ".join(f"{c} ({n})" for c, n in small.items()),
        )
    genes = xtr.columns.astype(str)
    n = len(xtr)
    t = {c: np.empty(len(genes)) for c in counts.index}
    delta, mean_in, mean_out = ({c: np.empty(len(genes)) for c in counts.index} for _ in range(3))
    # Blocks of genes in float64 (8,800 TCGA training samples x 2,048 genes: 144 MB), and the
    # rest's mean and variance from the whole training set's and the class's (Chan et al.'s
    # pairwise update) instead of a copy of the rest per class.
    for start in range(0, len(genes), _BLOCK):
        cols = slice(start, start + _BLOCK)
        values = xtr.iloc[:, cols].to_numpy(np.float64)
        total_mean = values.mean(0)
        total_m2 = ((values - total_mean) ** 2).sum(0)
        for c, n_c in counts.items():
            inside = values[labels == c]
            n_r = n - n_c
            mean_c = inside.mean(0)
            m2_c = ((inside - mean_c) ** 2).sum(0)
            mean_r = (n * total_mean - n_c * mean_c) / n_r
            d = mean_c - mean_r
            m2_r = np.maximum(total_m2 - m2_c - d**2 * n_c * n_r / n, 0.0)  # >= 0 up to rounding
            with np.errstate(divide="ignore", invalid="ignore"):
                tc, _ = stats.ttest_ind_from_stats(
                    mean_c, np.sqrt(m2_c / (n_c - 1)), n_c, mean_r, np.sqrt(m2_r / (n_r - 1)), n_r, equal_var=False
                )
            # A gene constant on both sides (0 / 0) shows no difference: t = 0, not NaN, so that
            # it still has a rank (the IG ranking has every gene of the layout).
            t[c][cols] = np.where(np.isnan(tc), 0.0, tc)
            delta[c][cols], mean_in[c][cols], mean_out[c][cols] = d, mean_c, mean_r
    symbols = split_gene_id(genes)["symbol"].to_numpy()
    tables = []
    for c, n_c in counts.items():
        table = pd.DataFrame(
            {
                "gene": genes,
                "welch_t": t[c],
                "mean_difference": delta[c],
                "mean_class": mean_in[c],
                "mean_rest": mean_out[c],
                "n_class": int(n_c),
                "n_rest": int(n - n_c),
            }
        )
        table.insert(1, "symbol", symbols)
        table = _ranked(table, "welch_t")
        table.insert(0, "rank", np.arange(1, len(table) + 1))
        table.insert(0, "class", c)
        tables.append(table)
    log.info("DE ranking: %d training samples x %d genes, %d classes", n, len(genes), len(counts))
    return pd.concat(tables, ignore_index=True)[DE_COLUMNS]


def _check_columns(df: pd.DataFrame, columns, source) -> None:
    missing = [c for c in columns if c not in df.columns]
    if missing:
        raise InputError(source, f"missing column(s) {', '.join(missing)}; found {', '.join(map(str, df.columns))}")


def _overlap(a: pd.DataFrame, b: pd.DataFrame, score_a: str, score_b: str, k: int) -> int:
    top_a = _ranked(a, score_a)["gene"].iloc[:k]
    top_b = _ranked(b, score_b)["gene"].iloc[:k]
    return len(set(top_a) & set(top_b))


def agreement(ig_genes: pd.DataFrame, de: pd.DataFrame, k: int = 50, ig_source=None, de_source=None) -> pd.DataFrame:
    """Per class explained in ``ig_genes`` (the ``genes.parquet`` of rule integrated_gradients,
    ``ig_source``): agreement of its IG gene ranking with the class's DE ranking ``de`` (from
    :func:`de_ranking`, ``de_source``) over the IG table's genes; ``k`` is capped by their number.
    Columns: :data:`AGREEMENT_COLUMNS` (see the module's docstring)."""
    _check_columns(ig_genes, IG_COLUMNS, ig_source)
    _check_columns(de, ["class", "gene", "welch_t", "n_class"], de_source)
    if int(k) != k or k < 1:
        raise ValueError(f"top-k overlap needs a whole number k >= 1, got {k!r}")
    unknown = sorted(set(ig_genes["class"]) - set(de["class"]))
    if unknown:
        raise InputError(de_source, f"no DE ranking for the explained class(es) {preview(unknown)}")
    rows = []
    for c, a in ig_genes.groupby("class", sort=True):
        d = de[de["class"] == c]
        if a["gene"].duplicated().any():
            raise InputError(
                ig_source, f"class {c}: gene(s) listed twice: {preview(a.loc[a['gene'].duplicated(), 'gene'])}"
            )
        missing = a.loc[~a["gene"].isin(d["gene"]), "gene"]
        if len(missing):
            raise InputError(
                de_source,
                f"class {c}: {len(missing)} gene(s) of the IG ranking {ig_source} have no DE statistic: "
                f"{preview(missing)} (were both made from the same feature matrix?)",
            )
        # The IG table's genes are the universe: the layout's genes, never padding.
        d = d.set_index("gene").loc[a["gene"]].reset_index()
        a = a.reset_index(drop=True)
        n_genes = len(a)
        k_eff = min(int(k), n_genes)
        ig_score, de_score = a["mean_attribution"].to_numpy(float), d["welch_t"].to_numpy(float)
        a_abs = a.assign(mean_attribution=np.abs(ig_score))
        d_abs = d.assign(welch_t=np.abs(de_score))
        signed = _overlap(a, d, "mean_attribution", "welch_t", k_eff)
        absolute = _overlap(a_abs, d_abs, "mean_attribution", "welch_t", k_eff)
        # P(overlap >= m) when IG's top k were k genes drawn at random from n_genes.
        pval = stats.hypergeom(n_genes, k_eff, k_eff).sf
        rows.append(
            {
                "class": c,
                "n_explained": int(a["n_samples"].iloc[0]),
                "n_train_class": int(d["n_class"].iloc[0]),
                "n_genes": n_genes,
                "k": k_eff,
                "chance": k_eff / n_genes,
                "spearman": _spearman(ig_score, de_score, c),
                "topk_overlap": signed / k_eff,
                "topk_p": float(pval(signed - 1)),
                "spearman_abs": _spearman(np.abs(ig_score), np.abs(de_score), c),
                "topk_overlap_abs": absolute / k_eff,
                "topk_abs_p": float(pval(absolute - 1)),
            }
        )
    return pd.DataFrame(rows, columns=AGREEMENT_COLUMNS)


def _spearman(a: np.ndarray, b: np.ndarray, name) -> float:
    if np.ptp(a) == 0 or np.ptp(b) == 0:  # undefined (scipy warns and returns NaN): say why
        log.warning("class %s: a constant ranking, Spearman correlation undefined", name)
        return float("nan")
    return float(stats.spearmanr(a, b).statistic)
