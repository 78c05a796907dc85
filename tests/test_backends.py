"""The pan-cancer stage on Keras's JAX and PyTorch backends: a checkpoint trained on one backend
loads on the others, with the same predictions and Integrated Gradients within a measured
tolerance, and training runs on each. The other backends run in subprocesses (Keras picks its
backend when it is imported); PyTorch is optional (the GPU install has it, CI does not)."""

import importlib.util
import json
import os
import subprocess
import sys
from pathlib import Path

import keras
import numpy as np
import pytest

from tcgatl.pancancer import backend, ig, models

HERE = Path(__file__).parent
OTHERS = [
    pytest.param(
        b,
        marks=pytest.mark.skipif(importlib.util.find_spec(b) is None, reason=f"{b} is not installed"),
    )
    for b in ("jax", "torch")
]
# Measured on 2026-12-04 (2-core AMD EPYC; ResNet50 at 32 px, random weights, float32): JAX
# against TensorFlow, probabilities agree within 1e-5 and IG attributions differ by 2.8e-6 to
# 2.1e-4 of the largest attribution (two data sets): float32 rounding through 50 layers in
# another order. The tolerances leave a factor of ten; IG's own completeness tolerance is 5%.
PROB_TOL = 1e-5
ATTR_TOL = 2e-3


def _run(backend_name: str, *args) -> str:
    env = os.environ | {"KERAS_BACKEND": backend_name, "CUDA_VISIBLE_DEVICES": ""}
    out = subprocess.run(
        [sys.executable, str(HERE / "backend_run.py"), *map(str, args)],
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert out.returncode == 0, out.stderr[-3000:]
    return out.stdout


@pytest.fixture(scope="module")
def data(tmp_path_factory):
    rng = np.random.default_rng(0)
    y = np.arange(32) % 3
    x = rng.uniform(0, 0.5, size=(32, 8, 8)).astype("float32")
    for c in range(3):
        x[y == c, 2 * c : 2 * c + 2, :2] += 0.5
    path = tmp_path_factory.mktemp("data") / "data.npz"
    np.savez(path, x=x, y=y, n_classes=3, backbone="ResNet50", seed=5)
    return path


@pytest.fixture(scope="module")
def tf_checkpoint(data, tmp_path_factory):
    """A ResNet50 checkpoint trained here, on TensorFlow, and its predictions and IG."""
    d = np.load(data)
    m = models.build("ResNet50", (8, 8), 3, size=32, weights="none", seed=5)
    folder = tmp_path_factory.mktemp("tf")
    m.save(folder / "model.keras")
    x = d["x"][:4]
    targets = np.argmax(m.predict(x, verbose=0), 1)
    res = ig.integrated_gradients(m, x, targets, np.zeros_like(x), steps=16, batch_size=8, method="trapezoid")
    return folder, m.predict(d["x"], verbose=0), res["attributions"], targets


def test_this_process_runs_tensorflow_and_describes_its_device():
    assert keras.backend.backend() == "tensorflow" == backend.name()
    d = backend.describe("float32")
    assert d["backend"] == "tensorflow" and d["framework"].startswith("tensorflow")
    assert d["keras"] == keras.__version__ and d["precision"] == "float32"
    assert d["device"] in ("cpu", "gpu") and d["cpu"] and d["cpu_threads"] >= 1
    json.dumps(d)  # it goes into checkpoint.json


@pytest.mark.slow
@pytest.mark.parametrize("other", OTHERS)
def test_a_tensorflow_checkpoint_predicts_and_explains_the_same_on(other, data, tf_checkpoint, tmp_path):
    folder, probs, attr, targets = tf_checkpoint
    out = tmp_path / "other.npz"
    assert _run(other, "explain", folder, data, out).strip() == other
    r = np.load(out)
    np.testing.assert_allclose(r["probs"], probs, atol=PROB_TOL)
    np.testing.assert_array_equal(r["targets"], targets)
    assert np.abs(r["attributions"] - attr).max() <= ATTR_TOL * np.abs(attr).max()


@pytest.mark.slow
@pytest.mark.parametrize("other", OTHERS)
def test_training_runs_on_and_its_checkpoint_loads_in_tensorflow(other, data, tmp_path):
    _run(other, "train", tmp_path, data)
    trained = np.load(tmp_path / "trained.npz")
    assert np.isfinite(trained["val_loss"]).all() and len(trained["val_loss"]) >= 2
    m = keras.models.load_model(tmp_path / "model.keras")
    np.testing.assert_allclose(m.predict(np.load(data)["x"], verbose=0), trained["probs"], atol=PROB_TOL)


@pytest.mark.slow
def test_the_gpu_benchmark_runs_here_on_cpu(tmp_path):
    """bench/bench_gpu.sh at small sizes: every installed backend timed, CPU figures beside."""
    backends = [b for b in ("tensorflow", "jax") if importlib.util.find_spec(b)]
    args = ["--size", "32", "--grid", "8", "--batches", "1", "--backbones", "ResNet50", "--precisions", "float32"]
    env = os.environ | {"BACKENDS": " ".join(backends), "OUT": str(tmp_path), "PYTHON": sys.executable}
    r = subprocess.run(
        ["bash", str(HERE.parent / "bench" / "bench_gpu.sh"), *args],
        env=env | {"CUDA_VISIBLE_DEVICES": ""},
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert r.returncode == 0, r.stderr[-3000:]
    assert r.stdout.count("Side by side") == len(backends)
    for b in backends:
        res = json.loads((tmp_path / f"bench_gpu_{b}.json").read_text())
        assert res["device"]["backend"] == b and res["size"] == 32
        (row,) = res["rows"]
        for column in ("frozen img/s", "finetune img/s", "IG grad/s"):
            assert np.isfinite(row[column]) and row[column] > 0
            assert row[f"CPU {column}"] > 0  # the shipped 224-px CPU rate beside it
