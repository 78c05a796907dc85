"""MOTLAB learning schemes (tcgatl.motlab.schemes): the target phase chosen by inner CV."""

from dataclasses import replace

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


def _shifted_task(seed=0, n_ea=200, n_aa=60):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((n_ea + n_aa, 6)).astype(np.float32)
    aa = np.r_[np.zeros(n_ea, bool), np.ones(n_aa, bool)]
    y = (x[:, 0] + 0.5 * rng.standard_normal(n_ea + n_aa) > 0.8).astype(int)
    return x, y, aa


def test_pseudo_targets_read_no_aa_label():
    """The choice on pseudo-targets depends on the AA rows' size and event count, never on which
    AA patients had the event: shuffling the AA labels leaves the choice and its scores unchanged,
    and the EA model is scored (a learning rate of 1e-7 keeps it, a real one tunes it)."""
    x, y, aa = _shifted_task()
    grid = TargetGrid((1e-7, 0.05), (20,), (10,), selection="pseudo_targets", pseudo_targets=2)
    hp = hyper(hidden_units=8, epochs=20)
    shuffled = y.copy()
    shuffled[aa] = np.random.default_rng(5).permutation(y[aa])
    for scheme in ("finetune", "ccsa"):
        first = choose_target_phase(scheme, x, y, aa, hp, grid, np.random.default_rng(1))
        again = choose_target_phase(scheme, x, shuffled, aa, hp, grid, np.random.default_rng(1))
        if scheme == "finetune":  # ccsa's alignment pairs AA rows by class, so it reads them
            assert first == again
        assert len(first[1]) == 2 and all(0 <= s <= 1 for _, s in first[1])
    # An inner CV on the same rows does read them: its scores move with the shuffle.
    inner = replace(grid, selection="inner_cv")
    a = choose_target_phase("finetune", x, y, aa, hp, inner, np.random.default_rng(1))[1]
    b = choose_target_phase("finetune", x, shuffled, aa, hp, inner, np.random.default_rng(1))[1]
    assert a != b


def test_average_trains_every_candidate_and_averages_their_predictions():
    from tcgatl.motlab import net
    from tcgatl.motlab.schemes import train_scheme

    x, y, aa = _shifted_task(1)
    grid = TargetGrid(learning_rates=(0.01, 0.001), frozen=(0, 1), epochs=(5,), batch_sizes=(10,), selection="average")
    hp = hyper(hidden_units=8, epochs=5)
    phases, scores = choose_target_phase("finetune", x, y, aa, hp, grid, np.random.default_rng(0))
    assert phases == tuple(grid.candidates("finetune")) and scores == ()
    fit = train_scheme("finetune", x, y, aa, hp, np.random.default_rng(0), False, phase=phases)
    assert isinstance(fit.params, net.Ensemble) and len(fit.params.members) == 4
    each = [net.predict(m, x) for m in fit.params.members]
    assert np.allclose(net.predict(fit.params, x), np.mean(each, axis=0))
    assert not np.allclose(each[0], each[3])  # the members differ


def test_an_unknown_selection_is_refused():
    import pytest

    with pytest.raises(ValueError, match="target selection 'best'"):
        TargetGrid(selection="best")
