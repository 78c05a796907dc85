"""The cost arithmetic behind the projection (tcgatl.pancancer.costs): pure counts, standard
library only, in step with the code whose work it counts."""

import inspect
import json
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest
import yaml
from conftest import ROOT

from tcgatl import config
from tcgatl.pancancer import checkpoint, costs, ig, layouts, splits
from tcgatl.pancancer.costs import Rates, Sizes, Workload
from tcgatl.pancancer.options import IG_METHODS


def test_importing_it_imports_nothing_heavy():
    """Snakemake imports it to size the rules: no NumPy, pandas or TensorFlow behind it."""
    code = (
        "import sys, json, tcgatl.pancancer.costs; "
        "print(json.dumps([m for m in ('numpy', 'pandas', 'pyarrow', 'tensorflow', 'keras') if m in sys.modules]))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert json.loads(out.stdout) == []


def test_grid_side_is_the_alphabetical_layouts():
    assert costs.grid_side(20_531) == 144
    assert costs.grid_side(144 * 144) == 144 and costs.grid_side(144 * 144 + 1) == 145
    for n in (1, 2, 10, 64, 65):
        _, shape = layouts.alphabetical([f"G{i}|{i}" for i in range(n)])
        assert shape == (costs.grid_side(n),) * 2


def test_split_sizes_are_those_of_the_stratified_split():
    s = costs.split_sizes(11_000, 33, 0.8, 0.1)
    assert (s.n_train, s.n_val, s.n_test) == (8800, 1100, 1100)
    assert sum(s.test_per_class) == s.n_test and s.n_classes == 33
    assert max(s.test_per_class) - min(s.test_per_class) <= 1
    for n, k, train, val in ((997, 7, 0.8, 0.1), (250, 5, 0.7, 0.15), (123, 3, 0.6, 0.2)):
        labels = pd.DataFrame({"label": [f"c{i % k}" for i in range(n)]})
        real = splits.stratified_split(labels, train, val, seed=0).value_counts()
        s = costs.split_sizes(n, k, train, val)
        assert (s.n_train, s.n_val, s.n_test) == (real["train"], real["val"], real["test"])


def test_sizes_from_a_split_table():
    rows = [("a", "train"), ("a", "train"), ("a", "val"), ("a", "test"), ("b", "train"), ("b", "test")]
    rows += [("b", "test"), ("c", "train"), ("c", "test"), ("c", "val")]
    s = costs.sizes_from_split(pd.DataFrame(rows, columns=["label", "split"]))
    assert (s.n_train, s.n_val, s.n_test) == (4, 2, 4)
    assert s.test_per_class == (1, 2, 1)
    # the same from plain columns (no pandas), rows in any order
    rows = rows[::-1]
    plain = {"label": [r[0] for r in rows], "split": [r[1] for r in rows]}
    assert costs.sizes_from_split(plain) == s


def test_images_per_training_step_count_every_epoch_and_validation():
    got = costs.training_images(100, 10, head_epochs=3, finetune_epochs=2)
    assert got == {
        "frozen_pass": 110,
        "tail_features": 110,
        "head_train": 300,
        "head_val": 30,
        "finetune_train": 200,
        "finetune_val": 20,
    }
    none = costs.training_images(100, 10, head_epochs=1, finetune_epochs=0)
    assert none["finetune_train"] == none["finetune_val"] == 0


def test_ig_points_samples_evaluations_and_traces():
    assert costs.ig_points(64) == 65 and costs.ig_points(64, "gauss_legendre") == 66
    with pytest.raises(ValueError, match="unknown"):
        costs.ig_points(64, "simpson")
    with pytest.raises(ValueError, match="whole number"):
        costs.ig_points(2.5)
    assert costs.ig_points(64, "adaptive", max_evaluations=24) == 24  # the cap, not a mean
    with pytest.raises(ValueError, match="max_evaluations"):
        costs.ig_points(64, "adaptive")
    assert costs.ig_samples([30, 3, 25, 100], max_per_class=25) == 25 + 3 + 25 + 25
    assert costs.ig_evaluations(3, 64, "trapezoid") == 195  # a short last batch is not padded
    assert costs.ig_evaluations(825, 0, "adaptive", max_evaluations=24) == 825 * 24
    # A short batch traces the gradient function once more; the adaptive rule's rounds always may.
    assert costs.ig_traces(3, 64, "trapezoid", 64) == 2 and costs.ig_traces(64, 63, "trapezoid", 64) == 1
    assert costs.ig_traces(64, 0, "adaptive", 64, max_evaluations=24) == 2


@pytest.mark.parametrize("method", ["trapezoid", "gauss_legendre"])
def test_ig_points_are_the_quadratures(method):
    """Counted without NumPy, the points are those of ig.quadrature."""
    for steps in (1, 4, 16, 64, 65):
        assert costs.ig_points(steps, method) == ig.evaluations(method, steps) == len(ig.quadrature(method, steps)[0])


@pytest.mark.parametrize("method", IG_METHODS)
def test_ig_evaluations_are_the_images_ig_sends_to_the_gradient(monkeypatch, method):
    """The adaptive rule at its cap: a constant output never converges (F(x) = F(baseline)), so
    every sample refines until it has used max_evaluations; short batches go unpadded."""
    sent = []

    def fake_gradient_fn(model):
        def grads(images, targets):
            sent.append(len(images))
            return np.ones_like(images), np.ones(len(images), np.float32)

        return grads

    monkeypatch.setattr(ig, "_gradient_fn", fake_gradient_fn)
    x = np.ones((3, 4, 4), np.float32)
    res = ig.integrated_gradients(
        None, x, [0, 1, 2], np.zeros_like(x), steps=10, batch_size=8, method=method, max_evaluations=12
    )
    if method == "adaptive":  # the budget shared: every sample refines to 12 (3 rounds), a bound for the job
        assert (res["evaluations"] == 12).all() and sent == [8, 1] + [8, 1] * 3
        assert sum(sent) == costs.ig_evaluations(3, 10, method, max_evaluations=12)
    else:
        assert sum(sent) == costs.ig_evaluations(3, 10, method)
        assert len(set(sent)) == costs.ig_traces(3, 10, method, 8)
        assert (res["evaluations"] == costs.ig_points(10, method)).all()


def test_the_evaluation_batch_is_the_checkpoints():
    default = inspect.signature(checkpoint.Checkpoint.predict_proba).parameters["batch_size"].default
    assert costs.EVAL_BATCH_SIZE == default


def _rates(**kw):
    base = dict(
        backbone="ResNet50",
        image_size=224,
        grid=(144, 144),
        batch_size=32,
        eval_batch_size=64,
        ig_batch_size=64,
        threads=2,
        activation_shape=(7, 7, 2048),
        feature_dim=2048,
        frozen_ips=8.0,
        tail_ips=100.0,
        head_train_ips=4000.0,
        head_val_ips=8000.0,
        finetune_train_ips=40.0,
        finetune_val_ips=120.0,
        forward_ips=6.0,
        ig_eps=2.0,
        build_s=3.0,
        save_s=1.0,
        load_s=2.0,
        trainable="last_block",
        trace_s={"frozen_pass": 5.0, "finetune_train": 7.0, "forward": 4.0, "ig": 9.0},
    )
    return Rates(**(base | kw))


SIZES = Sizes(800, 100, 100, (40, 30, 20, 10))


def _work(**kw):
    """The full config's workload (config/config.yaml) on SIZES, changed by ``kw``."""
    base = dict(
        head_epochs=10,
        finetune_epochs=10,
        bootstrap=1000,
        ig_steps=64,
        ig_method="adaptive",
        ig_max_evaluations=24,
        ig_max_per_class=25,
        ig_batch_size=64,
        layouts=1,
    )
    return Workload(**({"sizes": SIZES} | base | kw))


def test_cache_bytes_are_float32_activations():
    assert _rates().cache_bytes_per_image == 4 * 7 * 7 * 2048


def test_projection_counts_every_part_and_totals_add_up():
    r, w = (
        _rates(),
        _work(head_epochs=10, finetune_epochs=5, bootstrap=1000, ig_method="trapezoid", ig_steps=64, ig_batch_size=64),
    )
    rows = costs.project(r, w, startup_s=10.0, bootstrap_s=0.002)
    assert [x["rule"] for x in rows] == ["train_backbone", "evaluate_backbone", "integrated_gradients", "total"]
    train, evaluate, ig_row, total = rows
    p = train["parts_s"]
    assert p["frozen_pass"] == pytest.approx(900 / 8.0 + 5.0)
    assert p["tail_features"] == pytest.approx(900 / 100.0)
    assert p["head_train"] == pytest.approx(10 * 800 / 4000.0) and p["head_val"] == pytest.approx(10 * 100 / 8000.0)
    assert p["finetune_train"] == pytest.approx(5 * 800 / 40.0 + 7.0)
    assert p["finetune_val"] == pytest.approx(5 * 100 / 120.0)
    assert p["startup"] == 10.0 and p["build"] == 3.0 and p["save"] == 1.0
    assert evaluate["parts_s"] == pytest.approx(
        {"startup": 10.0, "load": 2.0, "forward": 100 / 6.0 + 4.0, "bootstrap": 2.0}
    )
    n_ig = 25 + 25 + 20 + 10
    # 80 x 65 = 5,200 evaluations: 81 full batches and a short one, which traces once more.
    assert ig_row["parts_s"]["gradients"] == pytest.approx(n_ig * 65 / 2.0 + 2 * 9.0)
    # Its deletion and insertion curves: 5 samples per class (20), 2 + 6 x 6 forward passes each.
    assert ig_row["parts_s"]["curves"] == pytest.approx(20 * 38 / 6.0 + 4.0)
    for row in rows[:3]:
        assert row["wall_s_per_job"] == pytest.approx(sum(row["parts_s"].values()))
        assert row["wall_s"] == row["wall_s_per_job"] and row["jobs"] == 1
        assert row["cpu_h"] == pytest.approx(row["wall_s"] * 2 / 3600)
    assert total["wall_s"] == pytest.approx(sum(x["wall_s"] for x in rows[:3]))
    assert total["cpu_h"] == pytest.approx(sum(x["cpu_h"] for x in rows[:3]))
    assert costs.total_row(rows + rows)["wall_s"] == pytest.approx(2 * total["wall_s"])  # totals rows skipped


def test_layouts_multiply_the_jobs():
    one = costs.project(_rates(), _work(layouts=1), 10.0)
    two = costs.project(_rates(), _work(layouts=2), 10.0)
    for a, b in zip(one, two):
        assert b["jobs"] == 2 * a["jobs"]
        assert b["wall_s"] == pytest.approx(2 * a["wall_s"]) and b["cpu_h"] == pytest.approx(2 * a["cpu_h"])


def test_no_finetune_epochs_no_finetune_cost_and_gauss_legendre_costs_a_point_more():
    rows = costs.project(_rates(), _work(finetune_epochs=0), 0.0)
    assert not {"finetune_train", "finetune_val"} & set(rows[0]["parts_s"])
    trap = costs.project(_rates(trace_s={}), _work(ig_method="trapezoid", ig_batch_size=1), 0.0)[2]
    gauss = costs.project(_rates(trace_s={}), _work(ig_method="gauss_legendre", ig_batch_size=1), 0.0)[2]
    assert gauss["parts_s"]["gradients"] - trap["parts_s"]["gradients"] == pytest.approx(80 / 2.0)
    # The adaptive rule is projected at its budget, 80 samples x 24 evaluations, and two traces.
    ada = costs.project(_rates(trace_s={"ig": 5.0}), _work(ig_batch_size=8), 0.0)[2]
    assert ada["parts_s"]["gradients"] == pytest.approx(80 * 24 / 2.0 + 2 * 5.0)


def test_workload_from_the_full_config(tmp_path):
    cfg = config.load(ROOT / "config" / "config.yaml")
    sizes = costs.split_sizes(11_000, 33, cfg["pancancer"]["train_fraction"], cfg["pancancer"]["val_fraction"])
    w = Workload.from_config(cfg, sizes)
    assert (w.head_epochs, w.finetune_epochs, w.ig_max_evaluations, w.ig_max_per_class, w.layouts) == (
        10,
        10,
        24,
        25,
        1,
    )
    assert w == _work(sizes=sizes) and w.ig_method == cfg["ig"]["method"]
    assert Workload.from_config(cfg, sizes, layouts=3).layouts == 3
    # A config without ig.method: the schema's default, the adaptive rule.
    raw = yaml.safe_load((ROOT / "config" / "config.yaml").read_text())
    raw["ig"].pop("method", None)
    path = tmp_path / "no_method.yaml"
    path.write_text(yaml.safe_dump(raw))
    assert Workload.from_config(config.load(path), sizes).ig_method == "adaptive"
