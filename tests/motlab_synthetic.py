"""Synthetic MOTLAB data and the fast settings the MOTLAB unit tests share."""

import numpy as np
from configured import settings

from tcgatl.motlab.evaluate import Data


def synthetic(n_ea=120, n_aa=60, seed=0, p=(40, 30, 20), signal=1.5):
    """Three layers, outcome driven by a few features of each; AA signal stronger."""
    rng = np.random.default_rng(seed)
    n = n_ea + n_aa
    aa = np.r_[np.zeros(n_ea, bool), np.ones(n_aa, bool)]
    z = rng.standard_normal(n)
    y = (z * np.where(aa, signal, 0.5) + rng.standard_normal(n) > 0.3).astype(int)
    blocks, names = {}, {}
    for name, k in zip(["mrna", "mirna", "methylation"], p):
        x = rng.standard_normal((n, k)).astype(np.float32)
        x[:, :3] += z[:, None].astype(np.float32)
        blocks[name], names[name] = x, np.array([f"{name}_{j}" for j in range(k)])
    blocks["methylation"][rng.random(blocks["methylation"].shape) < 0.05] = np.nan
    return Data(np.array([f"P{i:03d}" for i in range(n)]), blocks, names, y, aa)


# The network's settings of the fast tests (the rest of the motlab section at the schema's defaults).
FAST = {"hidden_units": 16, "epochs": 8, "batch_size": 20}
SETTINGS = settings(**FAST, features_per_layer=10, folds=3, repeats=1, weight_step=0.25)
# Two target-phase candidates: finetune and ccsa choose between them by inner CV.
TUNED = settings(
    **FAST,
    features_per_layer=10,
    folds=3,
    repeats=1,
    weight_step=0.25,
    tune_learning_rates=[0.01, 0.001],
    tune_epochs=[8],
    tune_batch_sizes=[10],
    tune_frozen_layers=[0, 1],
    target_selection="inner_cv",
)
