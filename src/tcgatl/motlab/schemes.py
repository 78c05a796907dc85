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
frozen hidden layers; ccsa's alpha). With several candidates in the config
(:func:`choose_target_phase`, once per fold without SMOTE, used for both SMOTE variants) they are
chosen by inner CV on the AA training fold (``inner_cv``), chosen on pseudo-targets drawn from
the EA training rows at the AA training fold's size and event count (``pseudo_targets``, which
spends none of the few AA events on the choice), or all trained and their predictions averaged
(``average``, no choice at all).

SMOTE only ever touches the AA training rows (after preprocessing, in the model's input space);
its synthetic patients are part of what the model is trained on.
"""

from __future__ import annotations

import itertools
import logging
from dataclasses import asdict, dataclass
from typing import NamedTuple

import numpy as np
from sklearn.metrics import roc_auc_score
from sklearn.model_selection import StratifiedKFold

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
    selection: str = "inner_cv"  # how several candidates are used: one of SELECTIONS
    pseudo_targets: int = 4  # draws of pseudo-targets (selection pseudo_targets)

    def __post_init__(self):
        if self.selection not in SELECTIONS:
            raise ValueError(f"target selection {self.selection!r}: expected one of {SELECTIONS}")

    @classmethod
    def fixed(cls, hp: net.Hyper, inner_folds: int = 2, **how) -> "TargetGrid":
        """One candidate: the source phase's learning rate, epochs, batch and alpha, nothing frozen."""
        return cls((hp.learning_rate,), (hp.epochs,), (hp.batch_size,), (0,), (hp.alpha,), inner_folds, **how)

    def candidates(self, scheme: str) -> list[TargetPhase]:
        alphas = self.alphas if scheme == "ccsa" else self.alphas[:1]
        return [
            TargetPhase(float(lr), int(ep), int(bs), int(fz), float(a))
            for lr, ep, bs, fz, a in itertools.product(
                self.learning_rates, self.epochs, self.batch_sizes, self.frozen, alphas
            )
        ]


SELECTIONS = ("inner_cv", "pseudo_targets", "average")


class Fit(NamedTuple):
    params: net.Params | net.Ensemble
    smote_status: str
    target_phase: TargetPhase | tuple | None = None  # finetune and ccsa; a tuple when averaged
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
    """The target phase of ``scheme`` among ``grid``'s candidates, by ``grid.selection``.

    ``inner_cv``: the best mean AUROC over a stratified inner K-fold of the AA training rows.
    ``pseudo_targets``: the best mean AUROC over ``grid.pseudo_targets`` draws of EA training rows
    with as many patients and events as the AA training rows (at most half of each EA class),
    each split by the same inner K-fold and tuned from a source fitted on the other EA rows; the
    AA labels are not read. ``average``: every candidate (a tuple), whose networks
    :func:`train_scheme` averages. EA rows are never scored by inner_cv, and the outer test fold
    is not among these rows. Returns (choice, ((candidate, score), ...)).
    """
    cands = grid.candidates(scheme)
    if len(cands) == 1:
        return cands[0], ()
    if grid.selection == "average":
        return tuple(cands), ()
    aa_rows, ea_rows = np.flatnonzero(aa), np.flatnonzero(~aa)
    if grid.selection == "pseudo_targets":
        n_pos = int(y[aa_rows].sum())
        ea_pos, ea_neg = ea_rows[y[ea_rows] == 1], ea_rows[y[ea_rows] == 0]
        sizes = min(n_pos, len(ea_pos) // 2), min(len(aa_rows) - n_pos, len(ea_neg) // 2)
        k = int(min(grid.inner_folds, *sizes))
        draws = range(grid.pseudo_targets)
    else:
        k = int(min(grid.inner_folds, np.bincount(y[aa_rows], minlength=2).min()))
        draws = range(1)
    if k < 2:
        log.warning(
            "%s: too few events for a %s split; the first target-phase candidate is used", scheme, grid.selection
        )
        return cands[0], ()
    scores = np.zeros(len(cands))
    for _ in draws:
        if grid.selection == "pseudo_targets":
            target = np.r_[rng.choice(ea_pos, sizes[0], replace=False), rng.choice(ea_neg, sizes[1], replace=False)]
            source = np.setdiff1d(ea_rows, target)
            base = pretrain(x[source], y[source], hp, rng) if scheme == "finetune" else None
        else:
            target, source = aa_rows, ea_rows
            base = (
                pretrained
                if pretrained is not None or scheme != "finetune"
                else pretrain(x[source], y[source], hp, rng)
            )
        split = StratifiedKFold(k, shuffle=True, random_state=int(rng.integers(2**31 - 1)))
        for tr, va in split.split(target, y[target]):
            scores += _scores(scheme, x, y, source, target[tr], target[va], cands, hp, rng, base, ccsa_pairs)
    scores /= k * len(draws)
    best = int(np.argmax(scores))
    return cands[best], tuple(zip(cands, scores.tolist()))


def _scores(scheme, x, y, source, train, valid, cands, hp, rng, pretrained, ccsa_pairs) -> np.ndarray:
    """AUROC on ``valid`` of every candidate tuned on the target rows ``train`` from the source
    rows ``source`` (ccsa aligns anew with them, once per alpha)."""
    rows = np.r_[source, train]
    xi, yi = x[rows], y[rows]
    ai = np.r_[np.zeros(len(source), bool), np.ones(len(train), bool)]
    bases, out = {}, np.zeros(len(cands))
    for i, c in enumerate(cands):
        if c.alpha not in bases:
            bases[c.alpha] = _source(scheme, xi, yi, ai, hp, rng, c.alpha, pretrained, ccsa_pairs)
        params = _target(xi, yi, ai, hp, rng, c, bases[c.alpha])
        out[i] = roc_auc_score(y[valid], net.predict(params, x[valid]))
    return out


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
        phases = phase if isinstance(phase, tuple) else (phase,)
        bases = {}
        for c in phases:
            if c.alpha not in bases:
                bases[c.alpha] = _source(scheme, x, y, aa, hp, rng, c.alpha, pretrained, ccsa_pairs)
        members = [_target(x, y, aa, hp, rng, c, bases[c.alpha]) for c in phases]
        return Fit(members[0] if len(members) == 1 else net.Ensemble(members), status, phase)
    raise ValueError(f"unknown scheme {scheme!r}; expected one of {SCHEMES}")


def pretrain(x_ea, y_ea, hp: net.Hyper, rng: np.random.Generator) -> net.Params:
    """The source (EA) model that ``finetune`` starts from."""
    return net.fit(x_ea, y_ea, hp, rng)
