"""The four learning schemes on one training fold, each with or without SMOTE.

- ``mixture``: one model on EA + AA training patients;
- ``independent``: AA training patients only;
- ``finetune``: pretrain on all EA patients, then fine-tune every layer on the AA training fold;
- ``ccsa``: contrastive semantic alignment of EA/AA pairs through the shared encoder, then
  fine-tune on the AA training fold;
- ``logistic_mixture``, ``logistic_independent``: the linear reference, an L2-regularised
  logistic regression (its C chosen by inner CV on the training fold) on the patients of
  ``mixture`` and ``independent``.

SMOTE only ever touches the AA training rows (after preprocessing, in the model's input space);
its synthetic patients are part of what the model is trained on.
"""

from __future__ import annotations

import logging

import numpy as np

from . import net
from .options import LINEAR, SCHEMES, network_twin
from .preprocess import smote_target

log = logging.getLogger(__name__)


def uses_ea(scheme: str) -> bool:
    return network_twin(scheme) != "independent"


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
):
    """Train ``scheme`` on preprocessed training rows ``x`` (``aa`` flags AA rows).

    Returns (params, smote status). ``pretrained`` (finetune) reuses an EA-pretrained network,
    which does not depend on SMOTE, across the SMOTE variants of a fold; ``inner_folds`` are the
    folds of the logistic schemes' choice of C.
    """
    x, y, aa = np.asarray(x, np.float32), np.asarray(y, int), np.asarray(aa, bool)
    status = "off"
    if smote:
        res = smote_target(x, y, aa, seed=int(rng.integers(2**31 - 1)), k_neighbors=smote_k)
        x, y, aa, status = res.x, res.y, res.target, res.status
    if network_twin(scheme) == "independent" and not aa.all():
        raise ValueError(f"{scheme} scheme trains on AA rows only")
    if scheme.startswith(LINEAR) and scheme in SCHEMES:
        return net.fit_logistic(x, y, inner_folds, rng), status
    if scheme == "independent":
        return net.fit(x, y, hp, rng), status
    if scheme == "mixture":
        return net.fit(x, y, hp, rng), status
    if scheme == "finetune":
        base = pretrained if pretrained is not None else pretrain(x[~aa], y[~aa], hp, rng)
        return net.fit(x[aa], y[aa], hp, rng, init=base), status
    if scheme == "ccsa":
        aligned = net.fit_ccsa(x[~aa], y[~aa], x[aa], y[aa], hp, rng, per_target=ccsa_pairs)
        return net.fit(x[aa], y[aa], hp, rng, init=aligned), status
    raise ValueError(f"unknown scheme {scheme!r}; expected one of {SCHEMES}")


def pretrain(x_ea, y_ea, hp: net.Hyper, rng: np.random.Generator) -> net.Params:
    """The source (EA) model that ``finetune`` starts from."""
    return net.fit(x_ea, y_ea, hp, rng)
