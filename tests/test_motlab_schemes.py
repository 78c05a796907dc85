"""MOTLAB learning schemes (tcgatl.motlab.schemes): the target phase chosen by inner CV."""

import numpy as np
from configured import hyper

from tcgatl.motlab.schemes import TargetGrid, choose_target_phase


def test_inner_cv_chooses_a_target_phase_that_adapts_to_aa():
    """AA outcome driven by another feature than EA's: the inner CV on AA rows prefers tuning
    with a real learning rate to keeping the EA model (a learning rate of 1e-7)."""
    rng = np.random.default_rng(0)
    n_ea, n_aa = 200, 90
    x = rng.standard_normal((n_ea + n_aa, 6)).astype(np.float32)
    aa = np.r_[np.zeros(n_ea, bool), np.ones(n_aa, bool)]
    y = np.where(aa, x[:, 1] > 0.3, x[:, 0] > 0.3).astype(int)
    grid = TargetGrid(learning_rates=(1e-7, 0.05), epochs=(40,), batch_sizes=(10,), frozen=(0,))
    hp = hyper(hidden_units=16, epochs=30)
    for scheme in ("finetune", "ccsa"):
        best, scores = choose_target_phase(scheme, x, y, aa, hp, grid, np.random.default_rng(1))
        assert best.learning_rate == 0.05 and len(scores) == 2, (scheme, scores)
        assert dict(scores)[best] > dict(scores)[grid.candidates(scheme)[0]] + 0.1
    one = TargetGrid(learning_rates=(0.01,), epochs=(5,), batch_sizes=(10,), frozen=(1,))
    assert choose_target_phase("finetune", x, y, aa, hp, one, rng) == (one.candidates("finetune")[0], ())
    assert len(TargetGrid(alphas=(0.1, 0.5)).candidates("ccsa")) == 2
    assert len(TargetGrid(alphas=(0.1, 0.5)).candidates("finetune")) == 1  # alpha is CCSA's
