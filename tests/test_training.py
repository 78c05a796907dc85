"""Two-phase training on cached activations, best checkpoint, determinism, checkpoints."""

import keras
import numpy as np
import pandas as pd
import pytest
from configured import train_config
from sklearn.utils.class_weight import compute_class_weight

from tcgatl.errors import InputError
from tcgatl.pancancer import checkpoint, layouts, models, training
from tcgatl.tools import finetune_cache

GRID = (8, 8)
CFG = train_config(seed=3, batch_size=8, head_epochs=4, finetune_epochs=2, patience=2, finetune_learning_rate=1e-3)


def _data(n=48, seed=0):
    """Three classes; class c brightens its own corner of the image."""
    rng = np.random.default_rng(seed)
    y = np.arange(n) % 3
    x = rng.uniform(0, 0.5, size=(n, *GRID)).astype("float32")
    for c in range(3):
        x[y == c, 2 * c : 2 * c + 2, :2] += 0.5
    return x, y


def _model(name="ResNet50"):
    return models.build(name, GRID, 3, size=32, weights="none", seed=CFG.seed)


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    x, y = _data()
    m = _model()
    h = training.train(m, "ResNet50", x[:36], y[:36], x[36:], y[36:], CFG, tmp_path_factory.mktemp("cache"))
    return m, h, x, y


@pytest.mark.slow
def test_history_and_best_checkpoint(trained):
    m, h, x, y = trained
    assert list(h["phase"]) == ["head"] * len(h[h.phase == "head"]) + ["finetune"] * len(h[h.phase == "finetune"])
    assert {"loss", "accuracy", "val_loss", "val_accuracy", "seconds", "kept"} <= set(h.columns)
    assert h["kept"].sum() == 1
    kept = h[h["kept"]].iloc[0]
    assert kept["val_loss"] == h["val_loss"].min()  # the best epoch over both phases is the one kept
    m.compile(loss="sparse_categorical_crossentropy")  # the loss as training computed it
    assert m.evaluate(x[36:], y[36:], verbose=0) == pytest.approx(kept["val_loss"], rel=1e-4)


@pytest.mark.slow
def test_same_seed_same_model(trained, tmp_path):
    m, _, x, y = trained
    again = _model()
    training.train(again, "ResNet50", x[:36], y[:36], x[36:], y[36:], CFG, tmp_path)
    for a, b in zip(m.weights, again.weights):
        np.testing.assert_array_equal(keras.ops.convert_to_numpy(a), keras.ops.convert_to_numpy(b))


# The two paths run the same operations on the same batches, but not in the same floating-point
# order: oneDNN and Eigen choose kernels (and so the summation order) by CPU instruction set,
# cache sizes and batch shape. On one CPU the same activations computed in batches of 8 or one
# at a time differ by up to 2.2e-6 relative (oneDNN limited to AVX2), and training amplifies
# that: noise of 1e-5 relative added to the cache (5x the largest such difference) moves this
# test's VGG19 phase-2 losses by up to 0.46% and its probabilities by up to 0.024 (four noise
# seeds; `bench/bench_finetune_cache.py --perturb` measures the same at full size); on a CPU
# where TensorFlow ran without oneDNN (its Eigen kernels) the two paths differed by 0.35%.
# The bounds are twice the largest of these.
LOSS_RTOL = 1e-2
PROBA_ATOL = 0.05


@pytest.mark.slow
@pytest.mark.parametrize("name", ["ResNet50", "VGG19"])
def test_cached_finetuning_equals_training_the_whole_model(name, tmp_path):
    """Phase 2 on cached activations computes what phase 2 on gene images computes, up to
    floating-point summation order."""
    x, y = _data()
    start = _model(name)
    start.save(tmp_path / "start.keras")
    direct, cached = (keras.models.load_model(tmp_path / "start.keras") for _ in range(2))
    h1 = finetune_cache.train_finetune_uncached(direct, name, x[:36], y[:36], x[36:], y[36:], CFG)
    h2, _ = finetune_cache.finetune_cached(cached, name, x[:36], y[:36], x[36:], y[36:], CFG, tmp_path)
    for column in ("loss", "val_loss"):
        np.testing.assert_allclose(h1[column], h2[column], rtol=LOSS_RTOL, err_msg=column)
    p1, p2 = direct.predict(x, verbose=0), cached.predict(x, verbose=0)
    np.testing.assert_allclose(p1, p2, atol=PROBA_ATOL)
    # Same predicted class wherever the top two classes are further apart than the bound.
    top2 = np.sort(p1, axis=1)[:, -2:]
    clear = top2[:, 1] - top2[:, 0] > 2 * PROBA_ATOL
    assert (p1.argmax(1) == p2.argmax(1))[clear].all()
    # Same kept epoch, unless the two best epochs are within the loss bound of each other.
    best = np.sort(h1["val_loss"].to_numpy())
    if len(best) < 2 or best[1] - best[0] > 2 * LOSS_RTOL * best[0]:
        assert h1["kept"].tolist() == h2["kept"].tolist()
    # and fine-tuning really changed the last block but nothing below it
    backbone = next(layer for layer in start.layers if isinstance(layer, keras.Model))
    tuned = next(layer for layer in cached.layers if isinstance(layer, keras.Model))
    last = models.BACKBONES[name].last_block
    changed = {
        lay.name
        for lay, ref in zip(tuned.layers, backbone.layers)
        if lay.weights
        and any(
            not np.array_equal(keras.ops.convert_to_numpy(a), keras.ops.convert_to_numpy(b))
            for a, b in zip(lay.weights, ref.weights)
        )
    }
    assert last in changed
    names = [lay.name for lay in backbone.layers]
    assert all(names.index(n) >= names.index(last) for n in changed)
    assert not any(isinstance(tuned.get_layer(n), keras.layers.BatchNormalization) for n in changed)


def test_balanced_class_weights_match_scikit_learn():
    y = np.array([0, 0, 0, 0, 1, 1, 2])
    w = training.class_weight(y, 3)
    np.testing.assert_allclose([w[c] for c in range(3)], compute_class_weight("balanced", classes=np.arange(3), y=y))


@pytest.mark.slow
def test_class_weights_change_training(tmp_path):
    x, y = _data()
    keep = np.r_[np.flatnonzero(y != 2), np.flatnonzero(y == 2)[:3]]  # class 2 rare
    a, b = _model(), _model()
    cfg = training.TrainConfig(**{**CFG.__dict__, "finetune_epochs": 0})
    training.train(a, "ResNet50", x[keep], y[keep], x[36:], y[36:], cfg, tmp_path / "a")
    training.train(
        b,
        "ResNet50",
        x[keep],
        y[keep],
        x[36:],
        y[36:],
        training.TrainConfig(**{**cfg.__dict__, "class_weights": True}),
        tmp_path / "b",
    )
    pa, pb = a.predict(x, verbose=0), b.predict(x, verbose=0)
    assert pb[:, 2].mean() > pa[:, 2].mean()  # the rare class gets more probability when weighted


def test_label_indices_refuse_unknown_labels_and_gaps():
    index = pd.DataFrame({"split": ["train", "train", "test"], "position": [0, 1, 0], "label": ["A", "B", "C"]})
    assert training.label_indices(index, "train", ["A", "B"]).tolist() == [0, 1]
    with pytest.raises(InputError, match="index.tsv: test labels not seen in training: 'C'"):
        training.label_indices(index, "test", ["A", "B"], "index.tsv")
    with pytest.raises(InputError, match="positions of the train images"):
        training.label_indices(index.assign(position=[0, 2, 0]), "train", ["A", "B"])


def test_images_and_labels_must_agree(tmp_path):
    x, y = _data()
    with pytest.raises(ValueError, match="36 training images but 35 labels"):
        training.train(_model(), "ResNet50", x[:36], y[:35], x[36:], y[36:], CFG, tmp_path)


@pytest.mark.slow
def test_checkpoint_classifies_a_feature_table_in_one_call(trained, tmp_path):
    m, _, x, y = trained
    genes = [f"G{i}|{i}" for i in range(GRID[0] * GRID[1])]
    layout, shape = layouts.alphabetical(genes)
    assert shape == GRID
    table = pd.DataFrame(
        np.zeros((len(x), len(genes)), np.float32),
        columns=genes,
        index=pd.Index([f"S{i}" for i in range(len(x))], name="barcode"),
    )
    pos = layout.set_index("gene").loc[genes]
    table[:] = x[:, pos["row"].to_numpy(), pos["col"].to_numpy()]
    scaling = pd.DataFrame({"gene": genes, "min": 0.0, "max": 1.0})
    layouts.write_layout(layout, shape, tmp_path / "layout.parquet")
    scaling.to_parquet(tmp_path / "scaling.parquet")
    out = {k: tmp_path / "ck" / f for k, f in checkpoint.FILES.items()}
    checkpoint.save(
        out,
        m,
        ["A", "B", "C"],
        tmp_path / "layout.parquet",
        tmp_path / "scaling.parquet",
        {"backbone": "ResNet50", "features": {"negatives": "zero", "missing": "drop_gene", "log2": True}},
    )
    pred = checkpoint.classify(tmp_path / "ck", table.iloc[:, ::-1])  # column order does not matter
    np.testing.assert_allclose(pred.filter(like="prob_").to_numpy(), m.predict(x, verbose=0), atol=1e-5)
    assert pred["barcode"].tolist() == table.index.tolist()
    with pytest.raises(InputError, match="2 of the model's 64 genes are not in the table: G0|0, G1|1"):
        checkpoint.classify(tmp_path / "ck", table.drop(columns=genes[:2]))
    (tmp_path / "ck" / "scaling.parquet").unlink()
    with pytest.raises(InputError, match="scaling.parquet.*missing"):
        checkpoint.Checkpoint.load(tmp_path / "ck")


@pytest.mark.slow
def test_whole_network_training_changes_every_block(tmp_path):
    """pancancer.trainable: all trains the layers below the last block too (last_block leaves
    them as they were, which the cached-training test checks)."""
    x, y = _data()
    start = _model()
    start.save(tmp_path / "start.keras")
    model = keras.models.load_model(tmp_path / "start.keras")
    cfg = training.TrainConfig(**{**CFG.__dict__, "trainable": "all"})
    h = training.train(model, "ResNet50", x[:36], y[:36], x[36:], y[36:], cfg, tmp_path / "cache")
    assert set(h["phase"]) == {"head", "finetune"}
    before = next(layer for layer in start.layers if isinstance(layer, keras.Model))
    after = next(layer for layer in model.layers if isinstance(layer, keras.Model))
    first_conv = next(lay for lay in before.layers if isinstance(lay, keras.layers.Conv2D)).name
    moved = not np.allclose(before.get_layer(first_conv).get_weights()[0], after.get_layer(first_conv).get_weights()[0])
    assert moved == (h.loc[h["kept"], "phase"].iloc[0] == "finetune")  # unless phase 1's weights were kept
    parts = training.Parts.of(model, "ResNet50")
    for mode, expected in (("last_block", False), ("all", True)):
        parts.freeze_for("finetune", mode)
        assert parts.backbone.get_layer(first_conv).trainable is expected, mode
    with pytest.raises(ValueError, match="trainable must be one of"):
        training.TrainConfig(**{**CFG.__dict__, "trainable": "everything"})


def test_train_config_is_read_from_the_pancancer_section():
    """Every field from the validated section and the job's seed, none defaulted (the schema's
    defaults are the only ones); a key the section lacks is named."""
    from dataclasses import MISSING, fields

    from configured import section

    from tcgatl.errors import ConfigError

    assert all(f.default is MISSING and f.default_factory is MISSING for f in fields(training.TrainConfig))
    pc = section("pancancer")
    cfg = training.TrainConfig.from_config(pc, seed=5)
    assert cfg.seed == 5 and cfg.batch_size == pc["batch_size"] and cfg.trainable == pc["trainable"]
    del pc["patience"]
    with pytest.raises(ConfigError, match="TrainConfig: the config section lacks the key 'patience'"):
        training.TrainConfig.from_config(pc, seed=5)
