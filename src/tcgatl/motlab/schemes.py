"""The learning schemes on one training fold, each with or without SMOTE.

- ``mixture``: one model on EA + AA training patients;
- ``independent``: AA training patients only;
- ``finetune``: pretrain on all EA patients, then fine-tune on the AA training fold;
- ``ccsa``: contrastive semantic alignment of EA/AA pairs through the shared encoder, then
  fine-tune on the AA training fold;
- ``logistic_mixture``, ``logistic_independent``: the linear reference, an L2-regularised
  logistic regression (its C chosen by inner CV on the training fold) on the patients of
  ``mixture`` and ``independent``.

The target (AA) phase of finetune and ccsa has its own settings (learning rate, epochs, batch,
frozen hidden layers; ccsa's alpha), chosen among the config's candidates by inner CV on the AA
training fold (:func:`choose_target_phase`), once per fold without SMOTE and used for both
SMOTE variants.

SMOTE only ever touches the AA training rows (after preprocessing, in the model's input space);
its synthetic patients are part of what the model is trained on.
"""

from __future__ import annotations

import itertools
import logging
from dataclasses import asdict, dataclass
from typing import NamedTuple

import numpy as np

from . import net
from .options import LINEAR, SCHEMES, network_twin
from .preprocess import smote_target

log = logging.getLogger(__name__)


def uses_ea(scheme: str) -> bool:
    return network_twin(scheme) != "independent"


@dataclass(frozen=True)
class TargetPhase:
    """Settings of the target (AA) phase of finetune and ccsa: the tuning's learning rate,
    epochs, batch and frozen hidden layers, and CCSA's alpha."""

    learning_rate: float
    epochs: int
    batch_size: int
    frozen: int = 0
    alpha: float = 0.3

    def as_dict(self) -> dict:
        return asdict(self)


@dataclass(frozen=True)
class TargetGrid:
    """The candidates of each target-phase setting (the config's ``tune_*`` and ``ccsa_alphas``);
    one candidate each means fixed settings and no inner CV."""

    learning_rates: tuple = (0.01,)
    epochs: tuple = (100,)
    batch_sizes: tuple = (20,)
    frozen: tuple = (0,)
    alphas: tuple = (0.3,)
    inner_folds: int = 2

    @classmethod
    def fixed(cls, hp: net.Hyper, inner_folds: int = 2) -> "TargetGrid":
        """One candidate: the source phase's learning rate, epochs, batch and alpha, nothing frozen."""
        return cls((hp.learning_rate,), (hp.epochs,), (hp.batch_size,), (0,), (hp.alpha,), inner_folds)

    def candidates(self, scheme: str) -> list[TargetPhase]:
        alphas = self.alphas if scheme == "ccsa" else self.alphas[:1]
        return [
            TargetPhase(float(lr), int(ep), int(bs), int(fz), float(a))
            for lr, ep, bs, fz, a in itertools.product(
                self.learning_rates, self.epochs, self.batch_sizes, self.frozen, alphas
            )
        ]


class Fit(NamedTuple):
    params: net.Params
    smote_status: str
    target_phase: TargetPhase | None = None  # finetune and ccsa
    phase_scores: tuple = ()  # (TargetPhase, inner AUROC) of every candidate, when there were several


def _source(scheme, x, y, aa, hp, rng, alpha, pretrained, ccsa_pairs) -> net.Params:
    """Where the target phase starts: finetune's EA model, or ccsa's EA/AA alignment."""
    if scheme == "finetune":
        return pretrained if pretrained is not None else pretrain(x[~aa], y[~aa], hp, rng)
    return net.fit_ccsa(x[~aa], y[~aa], x[aa], y[aa], hp, rng, per_target=ccsa_pairs, alpha=alpha)


def _target(x, y, aa, hp, rng, phase: TargetPhase, base) -> net.Params:
    """The target phase: tune ``base`` on the AA rows with the phase's own settings."""
    return net.fit(
        x[aa],
        y[aa],
        hp,
        rng,
        init=base,
        epochs=phase.epochs,
        learning_rate=phase.learning_rate,
        batch_size=phase.batch_size,
        frozen=phase.frozen,
    )


def choose_target_phase(scheme, x, y, aa, hp, grid: TargetGrid, rng, pretrained=None, ccsa_pairs=10):
    """The candidate with the best mean AUROC over a stratified inner K-fold of the AA training
    rows: each inner fold tunes every candidate on the other AA rows and scores it on its own
    (ccsa aligns anew with those rows and the EA rows, once per alpha; finetune's EA model does
    not depend on AA rows and is shared). EA rows are never scored and the outer test fold is
    not among these rows. Returns (best, ((candidate, inner AUROC), ...))."""
    from sklearn.metrics import roc_auc_score
    from sklearn.model_selection import StratifiedKFold

    cands = grid.candidates(scheme)
    if len(cands) == 1:
        return cands[0], ()
    aa_rows, ea_rows = np.flatnonzero(aa), np.flatnonzero(~aa)
    k = int(min(grid.inner_folds, np.bincount(y[aa_rows], minlength=2).min()))
    if k < 2:
        log.warning("%s: too few AA events for an inner split; the first target-phase candidate is used", scheme)
        return cands[0], ()
    if scheme == "finetune" and pretrained is None:
        pretrained = pretrain(x[ea_rows], y[ea_rows], hp, rng)
    scores = np.zeros(len(cands))
    split = StratifiedKFold(k, shuffle=True, random_state=int(rng.integers(2**31 - 1)))
    for tr, va in split.split(aa_rows, y[aa_rows]):
        rows = np.r_[ea_rows, aa_rows[tr]]
        xi, yi, ai = x[rows], y[rows], aa[rows]
        x_va, y_va = x[aa_rows[va]], y[aa_rows[va]]
        bases = {}
        for i, c in enumerate(cands):
            if c.alpha not in bases:
                bases[c.alpha] = _source(scheme, xi, yi, ai, hp, rng, c.alpha, pretrained, ccsa_pairs)
            params = _target(xi, yi, ai, hp, rng, c, bases[c.alpha])
            scores[i] += roc_auc_score(y_va, net.predict(params, x_va)) / k
    best = int(np.argmax(scores))
    return cands[best], tuple(zip(cands, scores.tolist()))


def train_scheme(
    scheme: str,
    x,
    y,
    aa,
    hp: net.Hyper,
    rng: np.random.Generator,
    smote: bool,
    smote_k: int = 5,
    ccsa_pairs: int = 10,
    pretrained: net.Params | None = None,
    inner_folds: int = 3,
    phase: TargetPhase | None = None,
) -> Fit:
    """Train ``scheme`` on preprocessed training rows ``x`` (``aa`` flags AA rows).

    ``pretrained`` (finetune) reuses an EA-pretrained network, which does not depend on SMOTE,
    across the SMOTE variants of a fold; ``inner_folds`` are the folds of the logistic schemes'
    choice of C; ``phase`` the target phase of finetune and ccsa (default: the source's
    learning rate, epochs and batch, nothing frozen, ``hp.alpha``).
    """
    x, y, aa = np.asarray(x, np.float32), np.asarray(y, int), np.asarray(aa, bool)
    status = "off"
    if smote:
        res = smote_target(x, y, aa, seed=int(rng.integers(2**31 - 1)), k_neighbors=smote_k)
        x, y, aa, status = res.x, res.y, res.target, res.status
    if network_twin(scheme) == "independent" and not aa.all():
        raise ValueError(f"{scheme} scheme trains on AA rows only")
    if scheme.startswith(LINEAR) and scheme in SCHEMES:
        return Fit(net.fit_logistic(x, y, inner_folds, rng), status)
    if scheme in ("independent", "mixture"):
        return Fit(net.fit(x, y, hp, rng), status)
    if scheme in ("finetune", "ccsa"):
        phase = phase or TargetGrid.fixed(hp).candidates(scheme)[0]
        base = _source(scheme, x, y, aa, hp, rng, phase.alpha, pretrained, ccsa_pairs)
        return Fit(_target(x, y, aa, hp, rng, phase, base), status, phase)
    raise ValueError(f"unknown scheme {scheme!r}; expected one of {SCHEMES}")


def pretrain(x_ea, y_ea, hp: net.Hyper, rng: np.random.Generator) -> net.Params:
    """The source (EA) model that ``finetune`` starts from."""
    return net.fit(x_ea, y_ea, hp, rng)
