"""Repeated stratified K-fold evaluation of a scheme on AA patients, with every preprocessing
step fitted inside each training fold.

AA patients are split by a repeated stratified K-fold (``repeats`` seeds). EA patients are
training data for the transfer schemes; for ``mixture`` they are split by their own stratified
K-fold in each repeat, so that mixture also gets out-of-fold EA predictions (EA AUROC and the
EA - AA gap). AUROC is computed on the pooled out-of-fold predictions of each repeat.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, replace

import numpy as np
import pandas as pd
from scipy import stats
from sklearn.metrics import roc_auc_score
from sklearn.model_selection import StratifiedKFold

from ..progress import Progress
from ..settings import from_section, take
from . import net
from .options import SCHEMES, network_twin, smote_option
from .preprocess import OmicsPipeline
from .schemes import TargetGrid, choose_target_phase, pretrain, train_scheme, uses_ea

log = logging.getLogger(__name__)


@dataclass
class Settings:
    """Evaluation settings: the config's ``motlab`` section (its defaults are the schema's),
    built with :meth:`from_config`."""

    features_per_layer: int
    weighting: str
    weight_step: float
    weight_positive: bool
    weight_inner_folds: int
    folds: int
    repeats: int
    smote_k_neighbors: int
    ccsa_pairs: int
    hyper: net.Hyper
    target: TargetGrid  # the target phase's candidates (one each: fixed settings, no inner CV)

    # config key -> TargetGrid field; null in the config: the source phase's value
    TARGET_KEYS = {
        "tune_learning_rates": "learning_rates",
        "tune_epochs": "epochs",
        "tune_batch_sizes": "batch_sizes",
        "tune_frozen_layers": "frozen",
        "ccsa_alphas": "alphas",
    }

    @classmethod
    def from_config(cls, cfg: dict) -> "Settings":
        """From the config's ``motlab`` section: the network's settings (:meth:`net.Hyper.from_config`)
        and the target phase's candidates, where a null ``tune_*`` is the source phase's value."""
        hyper = net.Hyper.from_config(cfg)
        chosen = {
            name: tuple(value) for key, name in cls.TARGET_KEYS.items() if (value := take(cls, cfg, key)) is not None
        }
        how = {"selection": take(cls, cfg, "target_selection"), "pseudo_targets": take(cls, cfg, "pseudo_targets")}
        target = replace(TargetGrid.fixed(hyper, take(cls, cfg, "tune_inner_folds"), **how), **chosen)
        return from_section(cls, cfg, hyper=hyper, target=target)

    def target_grid(self) -> TargetGrid:
        return self.target

    def pipeline(self, seed: int) -> OmicsPipeline:
        return OmicsPipeline(
            features_per_layer=self.features_per_layer,
            weighting=self.weighting,
            weight_step=self.weight_step,
            weight_positive=self.weight_positive,
            weight_inner_folds=self.weight_inner_folds,
            seed=seed,
        )


@dataclass
class Data:
    """Labelled patients: per-layer arrays (rows = patients), labels, ancestry."""

    patients: np.ndarray
    blocks: dict
    feature_names: dict
    y: np.ndarray
    aa: np.ndarray

    @classmethod
    def from_files(cls, cohort_path, layer_paths: dict, labels_path) -> "Data":
        """The workflow's cohort table, layer matrices ({name: path}) and endpoint labels."""
        from . import cohort, labels

        table = cohort.read_cohort(cohort_path)
        return cls.from_frames(
            cohort.cohort_frames(table, layer_paths), labels.labelled(labels.read_labels(labels_path))
        )

    @classmethod
    def from_frames(cls, layers: dict[str, pd.DataFrame], labels: pd.DataFrame) -> "Data":
        """``layers``: patient-indexed matrices; ``labels``: patient, ancestry, label (0/1)."""
        pts = labels["patient"].to_numpy()
        blocks = {
            n: np.ascontiguousarray(df.reindex(pts).to_numpy(dtype=np.float32, copy=True)) for n, df in layers.items()
        }
        for n, df in layers.items():
            missing = pd.Index(pts).difference(df.index)
            if len(missing):
                raise ValueError(f"layer {n!r} lacks {len(missing)} labelled patient(s), e.g. {list(missing[:3])}")
        return cls(
            pts,
            blocks,
            {n: np.asarray(df.columns) for n, df in layers.items()},
            labels["label"].to_numpy(dtype=int),
            (labels["ancestry"] == "AA").to_numpy(),
        )

    def rows(self, idx) -> dict:
        return {n: b[idx] for n, b in self.blocks.items()}


def effective_folds(y: np.ndarray, folds: int, what: str) -> int:
    counts = np.bincount(y, minlength=2)
    if counts.min() < 2:
        raise ValueError(
            f"{what}: {counts[0]} good-outcome and {counts[1]} poor-outcome patients; "
            f"at least 2 of each are needed for a stratified K-fold"
        )
    if counts.min() < folds:
        log.warning(
            "%s: only %d patients in the smaller class, %d folds instead of %d", what, counts.min(), counts.min(), folds
        )
    return int(min(folds, counts.min()))


def fold_plan(data: Data, folds: int, repeats: int, seed: int):
    """Yield (repeat, fold, aa_train, aa_test, ea_train_cv, ea_test_cv) as row indices."""
    aa_idx, ea_idx = np.flatnonzero(data.aa), np.flatnonzero(~data.aa)
    k = effective_folds(data.y[aa_idx], folds, "AA patients")
    k_ea = effective_folds(data.y[ea_idx], folds, "EA patients") if len(ea_idx) else 0
    for r in range(repeats):
        aa_splits = list(StratifiedKFold(k, shuffle=True, random_state=seed + r).split(aa_idx, data.y[aa_idx]))
        if k_ea:
            ea_splits = list(
                StratifiedKFold(k_ea, shuffle=True, random_state=seed + 1000 + r).split(ea_idx, data.y[ea_idx])
            )
        for f, (tr, te) in enumerate(aa_splits):
            ea_tr, ea_te = (
                (ea_idx[ea_splits[f % k_ea][0]], ea_idx[ea_splits[f % k_ea][1]]) if k_ea else (ea_idx, ea_idx[:0])
            )
            # With fewer EA than AA folds, EA test folds repeat; mixture keeps the first only.
            if k_ea and f >= k_ea:
                ea_te = ea_idx[:0]
            yield r, f, aa_idx[tr], aa_idx[te], ea_tr, ea_te


def fit_fold(scheme: str, data: Data, train: np.ndarray, settings: Settings, key, smote_options=(False, True)):
    """Fit preprocessing and models of ``scheme`` on the training rows ``train`` only.

    ``key`` (a list of ints) seeds everything. Returns (fitted OmicsPipeline, {smote: Fit}).
    finetune and ccsa choose their target phase among several candidates (as
    ``settings.target.selection`` says) on the rows of ``train``, once for both SMOTE variants. Nothing outside ``train`` is read, which the leakage test checks.
    """
    key = [int(k) for k in key]
    xs, ys, aa = data.rows(train), data.y[train], data.aa[train]
    pipe = settings.pipeline(int(np.random.default_rng(key).integers(2**31 - 1)))
    pipe.fit(xs, ys, inner=aa, names=data.feature_names)
    x_tr = pipe.training_matrix()
    pre = phase = None
    if scheme == "finetune":  # the EA model does not depend on SMOTE (AA rows only)
        pre = pretrain(x_tr[~aa], ys[~aa], settings.hyper, np.random.default_rng([*key, 2]))
    if scheme in ("finetune", "ccsa"):
        phase, scores = choose_target_phase(
            scheme,
            x_tr,
            ys,
            aa,
            settings.hyper,
            settings.target_grid(),
            np.random.default_rng([*key, 3]),
            pretrained=pre,
            ccsa_pairs=settings.ccsa_pairs,
        )
    fits = {}
    for smote in smote_options:
        rng = np.random.default_rng([*key, int(smote)])
        fits[smote] = train_scheme(
            scheme,
            x_tr,
            ys,
            aa,
            settings.hyper,
            rng,
            smote,
            settings.smote_k_neighbors,
            settings.ccsa_pairs,
            pretrained=pre,
            inner_folds=settings.weight_inner_folds,
            phase=phase,
        )
        if phase is not None:
            fits[smote] = fits[smote]._replace(phase_scores=scores)
    return pipe, fits


def run_scheme(scheme: str, data: Data, settings: Settings, seed: int, smote_options=(False, True)):
    """Out-of-fold predictions and chosen weights of ``scheme`` over the repeated K-fold.

    Returns (oof DataFrame, weights DataFrame).
    """
    if scheme not in SCHEMES:
        raise ValueError(f"unknown scheme {scheme!r}; expected one of {SCHEMES}")
    if uses_ea(scheme) and not (~data.aa).any():
        raise ValueError(f"scheme {scheme!r} needs EA patients; the cohort has none")
    si = SCHEMES.index(scheme)
    ea_all = np.flatnonzero(~data.aa)
    oof, wrows = [], []
    plan = list(fold_plan(data, settings.folds, settings.repeats, seed))
    progress = Progress(len(plan), "folds")  # each fold's weights are in the returned table
    for r, f, aa_tr, aa_te, ea_tr, ea_te in plan:
        if network_twin(scheme) == "independent":
            train, test = aa_tr, aa_te
        elif network_twin(scheme) == "mixture":
            train, test = np.concatenate([ea_tr, aa_tr]), np.concatenate([aa_te, ea_te])
        else:
            train, test = np.concatenate([ea_all, aa_tr]), aa_te
        pipe, fits = fit_fold(scheme, data, train, settings, [seed, r, f, si], smote_options)
        x_te = pipe.transform(data.rows(test))
        wrow = {
            "repeat": r,
            "fold": f,
            **{f"w_{n}": w for n, w in zip(pipe.layers, pipe.weights)},
            "inner_auroc": max((s for _, s in pipe.weight_scores), default=np.nan),
        }
        for smote, fit in fits.items():
            params, status = fit.params, fit.smote_status
            prob = net.predict(params, x_te)
            tag = smote_option(smote)
            oof.append(
                pd.DataFrame(
                    {
                        "patient": data.patients[test],
                        "ancestry": np.where(data.aa[test], "AA", "EA"),
                        "label": data.y[test],
                        "repeat": r,
                        "fold": f,
                        "smote": tag,
                        "prob": prob,
                    }
                )
            )
            wrow[f"smote_status_{tag}"] = status
            if params.C is not None:  # the linear reference
                wrow[f"logistic_C_{tag}"] = params.C
        if isinstance(fit.target_phase, tuple):  # averaged: no choice to record
            wrow["target_members"] = len(fit.target_phase)
        elif fit.target_phase is not None:  # chosen once for both SMOTE variants
            wrow.update({f"target_{k}": v for k, v in fit.target_phase.as_dict().items()})
            wrow["target_inner_auroc"] = max((s for _, s in fit.phase_scores), default=np.nan)
        wrows.append(wrow)
        if progress.update(1):
            log.info(
                "%s: %s (last: repeat %d fold %d, weights %s)",
                scheme,
                progress.status(),
                r,
                f,
                dict(zip(pipe.layers, pipe.weights)),
            )
    return pd.concat(oof, ignore_index=True), pd.DataFrame(wrows)


def auroc_table(oof: pd.DataFrame) -> pd.DataFrame:
    """Pooled out-of-fold AUROC per SMOTE option, repeat and ancestry (NaN when one class)."""
    rows = []
    for (smote, r, anc), g in oof.groupby(["smote", "repeat", "ancestry"], sort=True):
        defined = g["label"].nunique() == 2
        rows.append(
            {
                "smote": smote,
                "repeat": r,
                "population": anc,
                "auroc": roc_auc_score(g["label"], g["prob"]) if defined else np.nan,
                "patients": len(g),
                "poor_outcome": int(g["label"].sum()),
            }
        )
    return pd.DataFrame(rows)


def summarise(auroc: pd.DataFrame, keys=("endpoint", "years", "scheme", "smote")) -> pd.DataFrame:
    """Mean, sd and 95% CI (t distribution over repeats) of the AUROC per population; for
    populations EA and AA both present, their gap (EA - AA) per repeat as ``EA-AA``."""
    keys = [k for k in keys if k in auroc.columns]
    df = auroc.dropna(subset=["auroc"])
    wide = df.pivot_table(index=[*keys, "repeat"], columns="population", values="auroc")
    if {"EA", "AA"} <= set(wide.columns):
        gap = (wide["EA"] - wide["AA"]).dropna().rename("auroc").reset_index()
        gap["population"] = "EA-AA"
        df = pd.concat([df, gap], ignore_index=True)
    rows = []
    for key, g in df.groupby([*keys, "population"], sort=True):
        v = g["auroc"].to_numpy(float)
        n = len(v)
        sd = float(np.std(v, ddof=1)) if n > 1 else np.nan
        half = float(stats.t.ppf(0.975, n - 1) * sd / np.sqrt(n)) if n > 1 else np.nan
        lo, hi = v.mean() - half, v.mean() + half
        if key[-1] != "EA-AA":  # an AUROC interval stays within [0, 1]
            lo, hi = max(lo, 0.0), min(hi, 1.0)
        rows.append(
            {
                **dict(zip([*keys, "population"], key)),
                "mean_auroc": float(v.mean()),
                "sd": sd,
                "ci95_low": lo,
                "ci95_high": hi,
                "repeats": n,
            }
        )
    return pd.DataFrame(rows)
