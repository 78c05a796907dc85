"""Run on one Keras backend (KERAS_BACKEND set by the caller, tests/test_backends.py) what the
pan-cancer jobs run: train a small gene-image classifier with the two-phase training and save
its checkpoint, or load a checkpoint, predict and explain with Integrated Gradients. Writes
an .npz the caller compares across backends.

    KERAS_BACKEND=jax python tests/backend_run.py train OUT_DIR DATA.npz
    KERAS_BACKEND=jax python tests/backend_run.py explain CHECKPOINT_DIR DATA.npz OUT.npz
"""

import sys

from tcgatl.logs import prepare_environment

prepare_environment(1)

import numpy as np  # noqa: E402

from tcgatl.config import defaults  # noqa: E402
from tcgatl.pancancer import backend, ig, models, training  # noqa: E402


def _config(seed: int) -> training.TrainConfig:
    pc = defaults()["pancancer"] | {"batch_size": 8, "head_epochs": 2, "finetune_epochs": 1, "patience": 2}
    return training.TrainConfig.from_config(pc, seed)


def train(out_dir: str, data: str) -> None:
    d = np.load(data)
    cfg = _config(int(d["seed"]))
    m = models.build(str(d["backbone"]), d["x"].shape[1:], int(d["n_classes"]), size=32, weights="none", seed=cfg.seed)
    n = len(d["x"]) * 3 // 4
    h = training.train(m, str(d["backbone"]), d["x"][:n], d["y"][:n], d["x"][n:], d["y"][n:], cfg, f"{out_dir}/cache")
    model = f"{out_dir}/model.keras"
    m.save(model)
    np.savez(f"{out_dir}/trained.npz", val_loss=h["val_loss"].to_numpy(), probs=m.predict(d["x"], verbose=0))
    print(model, backend.name(), backend.describe("float32"))


def explain(folder: str, data: str, out: str) -> None:
    import keras

    d = np.load(data)
    m = keras.models.load_model(f"{folder}/model.keras")
    x = d["x"][:4]
    targets = np.argmax(m.predict(x, verbose=0), 1)
    res = ig.integrated_gradients(m, x, targets, np.zeros_like(x), steps=16, batch_size=8, method="trapezoid")
    np.savez(out, probs=m.predict(d["x"], verbose=0), attributions=res["attributions"], targets=targets)
    print(backend.name())


if __name__ == "__main__":
    {"train": train, "explain": explain}[sys.argv[1]](*sys.argv[2:])
