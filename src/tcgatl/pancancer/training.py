"""Two-phase fine-tuning of a gene-image classifier, trained on cached frozen activations.

Phase 1 trains the new head on the frozen backbone; phase 2 unfreezes the last convolutional
block (``trainable: all``: every layer, trained on the gene images). Everything below the
trained part is frozen, so its activations are the same in every epoch: they are computed
once (the backbone up to the last block's input, written to a memory-mapped file) and each
phase trains only the part that changes. BatchNormalization
layers stay in inference mode in both phases (the usual fine-tuning practice), which is what
makes training on the cache compute exactly what training the whole model would.
"""

from __future__ import annotations

import logging
import math
import time
from dataclasses import dataclass
from pathlib import Path

import keras
import numpy as np
import pandas as pd

from ..progress import Progress, duration
from ..settings import from_section
from .models import BACKBONES, GeneImageInput
from .options import PRECISIONS, TRAINABLE

log = logging.getLogger("tcgatl.pancancer.training")


@dataclass(frozen=True)
class TrainConfig:
    """Training settings: the config's ``pancancer`` section (its defaults are the schema's) and
    the job's seed, built with :meth:`from_config`."""

    batch_size: int
    head_epochs: int
    finetune_epochs: int
    head_learning_rate: float
    finetune_learning_rate: float
    patience: int
    class_weights: bool
    # What phase 2 trains: the last convolutional block (on cached activations, the default) or
    # every layer (on gene images; BatchNormalization stays in inference mode either way).
    trainable: str
    # The backbone's Keras dtype policy or 'auto' (options.PRECISIONS; models.resolve_precision).
    precision: str
    seed: int

    def __post_init__(self):
        if self.trainable not in TRAINABLE:
            raise ValueError(f"trainable must be one of {TRAINABLE}, got {self.trainable!r}")
        if self.precision not in PRECISIONS:
            raise ValueError(f"precision must be one of {PRECISIONS}, got {self.precision!r}")

    @classmethod
    def from_config(cls, pc: dict, seed: int) -> "TrainConfig":
        return from_section(cls, pc, seed=seed)


def seed_everything(seed: int) -> None:
    """Same seed, same numbers: Python, NumPy and the backend's seeds plus deterministic ops."""
    from .backend import make_deterministic

    keras.utils.set_random_seed(seed)
    make_deterministic()


class Batches(keras.utils.PyDataset):
    """Batches of (possibly memory-mapped) arrays, reshuffled every epoch from a seed, so
    cached and uncached training see the samples in the same order."""

    def __init__(self, x, y, batch_size: int, shuffle: bool, seed: int = 0, sample_weight=None):
        super().__init__()
        self.x, self.y, self.batch_size, self.shuffle, self.w = x, y, batch_size, shuffle, sample_weight
        self._rng = np.random.default_rng(seed)
        self._order = self._rng.permutation(len(x)) if shuffle else np.arange(len(x))

    def __len__(self):
        return math.ceil(len(self.x) / self.batch_size)

    def __getitem__(self, i):
        # Sorted indices read a memory-mapped file forwards; the batch content is unchanged.
        idx = np.sort(self._order[i * self.batch_size : (i + 1) * self.batch_size])
        out = (np.asarray(self.x[idx]), self.y[idx])
        return out + (self.w[idx],) if self.w is not None else out

    def on_epoch_end(self):
        if self.shuffle:
            self._order = self._rng.permutation(len(self.x))


class EpochLog(keras.callbacks.Callback):
    """One log line and one history row per epoch; the line says the time per epoch and the
    most the phase has left (early stopping may end it sooner). During a phase's first epoch,
    when no epoch time is known yet, a line a minute gives the batches' pace."""

    def __init__(self, phase: str, rows: list):
        super().__init__()
        self.phase, self.rows = phase, rows
        self._epochs = None

    def on_train_begin(self, logs=None):
        self._epochs = Progress(self.params.get("epochs") or 0, "epochs")

    def on_epoch_begin(self, epoch, logs=None):
        self._t0 = time.perf_counter()
        steps = self.params.get("steps") if epoch == 0 else None
        self._batches = Progress(steps, "batches", log, f"{self.phase}, first epoch", every=None) if steps else None

    def on_train_batch_end(self, batch, logs=None):
        if self._batches is not None and self._batches.done + 1 < self._batches.total:  # the epoch's line says done
            self._batches.update(1)

    def on_epoch_end(self, epoch, logs=None):
        logs = dict(logs or {})
        row = {"phase": self.phase, "epoch": epoch + 1, "seconds": round(time.perf_counter() - self._t0, 3)}
        row |= {k: float(v) for k, v in logs.items() if k in ("loss", "accuracy", "val_loss", "val_accuracy")}
        self.rows.append(row)
        pace = ""
        if self._epochs is not None and self._epochs.total:
            self._epochs.update(1)
            left = self._epochs.left()
            pace = f"; {duration(self._epochs.elapsed() / self._epochs.done)} per epoch" + (
                f", at most {duration(left)} left" if self._epochs.done < self._epochs.total else ""
            )
        log.info(
            "%s epoch %d/%s: loss %.4f acc %.3f | val loss %.4f acc %.3f (%.1f s%s)",
            self.phase,
            epoch + 1,
            self.params.get("epochs", "?"),
            row.get("loss", np.nan),
            row.get("accuracy", np.nan),
            row.get("val_loss", np.nan),
            row.get("val_accuracy", np.nan),
            row["seconds"],
            pace,
        )


@dataclass
class Parts:
    """The classifier's pieces: gene-image input layer, backbone, head, and the backbone cut
    at the input of its last convolutional block."""

    model: keras.Model
    preprocess: GeneImageInput
    backbone: keras.Model
    norm: keras.layers.Normalization
    dropout: keras.layers.Layer
    head: keras.layers.Layer
    lower: keras.Model  # gene image -> activations at the last block's input
    tail: keras.Model  # those activations -> pooled features

    @classmethod
    def of(cls, model: keras.Model, backbone_name: str) -> "Parts":
        pre = model.get_layer("to_backbone_input")
        backbone = next(layer for layer in model.layers if isinstance(layer, keras.Model))
        cut = backbone.get_layer(BACKBONES[backbone_name].last_block).input
        inp = keras.Input(model.input_shape[1:])
        lower = keras.Model(inp, keras.Model(backbone.input, cut)(pre(inp)))
        tail = keras.Model(cut, backbone.output)
        return cls(
            model,
            pre,
            backbone,
            model.get_layer("head_norm"),
            model.get_layer("head_dropout"),
            model.get_layer("head"),
            lower,
            tail,
        )

    def freeze_for(self, phase: str, trainable: str = "last_block") -> None:
        """Phase 'head': only the head trains. Phase 'finetune': the head and the last block
        (``trainable`` "all": every backbone layer), BatchNormalization excluded (it stays in
        inference mode)."""
        self.backbone.trainable = phase == "finetune"
        if phase == "finetune":
            tail_layers = {id(layer) for layer in self.tail.layers}
            for layer in self.backbone.layers:
                unfrozen = trainable == "all" or id(layer) in tail_layers
                layer.trainable = unfrozen and not isinstance(layer, keras.layers.BatchNormalization)

    def on_features(self, shape) -> keras.Model:
        """Head on pooled backbone features (phase 1)."""
        inp = keras.Input(shape)
        return keras.Model(inp, self.head(self.dropout(self.norm(inp))))

    def on_activations(self, shape) -> keras.Model:
        """Last block + head on cached activations (phase 2)."""
        inp = keras.Input(shape)
        return keras.Model(inp, self.head(self.dropout(self.norm(self.tail(inp)))))


def forward(model: keras.Model, x, out_path: Path | None = None, batch_size: int = 64, what: str = "") -> np.ndarray:
    """``model`` applied to ``x`` in batches; written to a memory-mapped .npy when
    ``out_path`` is given (activations of a whole training set can exceed memory)."""
    n = len(x)
    out = None
    progress = Progress(n, "images", log if what else None, what)
    for i in range(0, n, batch_size):
        y = np.asarray(model.predict_on_batch(np.asarray(x[i : i + batch_size])))
        if out is None:
            shape = (n, *y.shape[1:])
            out = (
                np.lib.format.open_memmap(out_path, mode="w+", dtype=np.float32, shape=shape)
                if out_path is not None
                else np.empty(shape, np.float32)
            )
        out[i : i + len(y)] = y
        progress.update(len(y))
    return out


def fit_standardisation(norm: keras.layers.Normalization, features: np.ndarray, floor: float = 0.01) -> None:
    """Set the head's feature standardisation from the training set's pooled features.

    Features that barely vary in training (dead ReLUs) would be divided by ~0 and blow up on
    new samples, so variances are floored at ``floor`` x their median (scale-free: without
    ImageNet weights the features' overall scale differs by orders of magnitude between
    backbones)."""
    f = np.asarray(features, np.float64)
    var = f.var(axis=0)
    var = np.maximum(var, floor * np.median(var) + 1e-30)
    norm.adapt_mean.assign(f.mean(axis=0).astype(np.float32))
    norm.adapt_variance.assign(var.astype(np.float32))
    norm.finalize_state()


def cache_activations(parts: Parts, x_train, x_val, cache_dir: Path, batch_size: int) -> tuple:
    """The frozen part (backbone up to the last block's input) applied once to the training and
    validation images, into memory-mapped files in ``cache_dir``; also returns the seconds taken."""
    cache_dir = Path(cache_dir)
    cache_dir.mkdir(parents=True, exist_ok=True)
    t0 = time.perf_counter()
    a_train = forward(parts.lower, x_train, cache_dir / "train.npy", batch_size, "caching training activations")
    a_val = forward(parts.lower, x_val, cache_dir / "val.npy", batch_size, "caching validation activations")
    return a_train, a_val, time.perf_counter() - t0


def class_weight(y: np.ndarray, n_classes: int) -> dict:
    """'balanced' weights n / (k * count), as scikit-learn computes them."""
    counts = np.bincount(y, minlength=n_classes)
    return {c: len(y) / (n_classes * counts[c]) for c in range(n_classes) if counts[c]}


def _fit(model, x, y, xv, yv, epochs, lr, cfg: TrainConfig, phase, rows, weights, callbacks=()) -> float:
    """Train with early stopping on validation loss; the best epoch's weights are restored.
    Returns that best validation loss. ``callbacks`` are added after the training's own
    (tcgatl.tools.timing times the epochs with one)."""
    model.compile(optimizer=keras.optimizers.Adam(lr), loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    stop = keras.callbacks.EarlyStopping(monitor="val_loss", patience=cfg.patience, restore_best_weights=True)
    sw = None if weights is None else np.array([weights[c] for c in y], np.float32)
    model.fit(
        Batches(x, y, cfg.batch_size, shuffle=True, seed=cfg.seed, sample_weight=sw),
        validation_data=Batches(xv, yv, cfg.batch_size, shuffle=False),
        epochs=epochs,
        callbacks=[stop, EpochLog(phase, rows), *callbacks],
        verbose=0,
    )
    log.info("%s: best validation loss %.4f at epoch %d", phase, stop.best, stop.best_epoch + 1)
    for r in rows:
        if r["phase"] == phase:
            r["kept"] = r["epoch"] == stop.best_epoch + 1
    return float(stop.best)


def _finetune(
    parts: "Parts", x_train, y_train, x_val, y_val, cfg: TrainConfig, rows, weights, on: str, callbacks=()
) -> float:
    """Phase 2. ``on`` "cache": the last block and the head trained on the cached activations
    (what `train` runs, and what the test and the benchmark compare with the uncached
    reference). "images": the whole model on the gene images, with the last block
    (``cfg.trainable`` "all": every layer) and the head unfrozen."""
    parts.freeze_for("finetune", "last_block" if on == "cache" else cfg.trainable)
    model = parts.on_activations(x_train.shape[1:]) if on == "cache" else parts.model
    return _fit(
        model,
        x_train,
        y_train,
        x_val,
        y_val,
        cfg.finetune_epochs,
        cfg.finetune_learning_rate,
        cfg,
        "finetune",
        rows,
        weights,
        callbacks,
    )


def pooled_features(parts: Parts, a_train, a_val) -> tuple[np.ndarray, np.ndarray]:
    """Phase 1's inputs: the last block (``Parts.tail``) over the cached training and
    validation activations, with only the head left trainable."""
    parts.freeze_for("head")
    return forward(parts.tail, a_train, batch_size=256), forward(parts.tail, a_val, batch_size=256)


def fit_head(parts: Parts, f_train, y_train, f_val, y_val, cfg: TrainConfig, rows, weights, callbacks=()) -> float:
    """Phase 1: the head on the pooled features, standardised by the training set's. Returns
    the best validation loss."""
    fit_standardisation(parts.norm, f_train)
    return _fit(
        parts.on_features(f_train.shape[1:]),
        f_train,
        y_train,
        f_val,
        y_val,
        cfg.head_epochs,
        cfg.head_learning_rate,
        cfg,
        "head",
        rows,
        weights,
        callbacks,
    )


def finetune(
    parts: Parts, x_train, a_train, y_train, x_val, a_val, y_val, cfg: TrainConfig, rows, weights, callbacks=()
) -> float:
    """Phase 2 as `train` runs it: the last block and the head on the cached activations
    ``a_*``, or with ``cfg.trainable`` "all" (nothing is frozen below: no cache) the whole
    model on the gene images ``x_*``. Returns the best validation loss."""
    if cfg.trainable == "all":
        return _finetune(parts, x_train, y_train, x_val, y_val, cfg, rows, weights, "images", callbacks)
    return _finetune(parts, a_train, y_train, a_val, y_val, cfg, rows, weights, "cache", callbacks)


def train(
    model: keras.Model, backbone_name: str, x_train, y_train, x_val, y_val, cfg: TrainConfig, cache_dir: Path
) -> pd.DataFrame:
    """Train ``model`` in place (both phases, early stopping on validation loss, best weights
    kept) and return the per-epoch history. ``x_*`` are gene images (n, H, W), possibly
    memory-mapped; ``y_*`` class indices."""
    for name, x, y in (("training", x_train, y_train), ("validation", x_val, y_val)):
        if len(x) != len(y):
            raise ValueError(f"{len(x)} {name} images but {len(y)} labels")
    seed_everything(cfg.seed)
    parts = Parts.of(model, backbone_name)
    n_classes = model.output_shape[-1]
    weights = class_weight(y_train, n_classes) if cfg.class_weights else None
    rows: list[dict] = []

    a_train, a_val, seconds = cache_activations(parts, x_train, x_val, cache_dir, cfg.batch_size)
    log.info(
        "activations at %s's input %s cached in %.1f s", BACKBONES[backbone_name].last_block, a_train.shape[1:], seconds
    )

    f_train, f_val = pooled_features(parts, a_train, a_val)
    best = fit_head(parts, f_train, y_train, f_val, y_val, cfg, rows, weights)

    kept = "head"
    if cfg.finetune_epochs:
        after_head = model.get_weights()
        tuned = finetune(parts, x_train, a_train, y_train, x_val, a_val, y_val, cfg, rows, weights)
        # The best checkpoint over both phases: fine-tuning that never beats the head alone
        # on validation loss is discarded.
        if tuned >= best:
            model.set_weights(after_head)
            log.info(
                "fine-tuning did not improve the validation loss (%.4f >= %.4f): phase 1 weights kept", tuned, best
            )
        else:
            kept = "finetune"
    for r in rows:
        r["kept"] = r["kept"] and r["phase"] == kept
    parts.freeze_for("head")  # the saved model's trainable flags are those of phase 1
    del a_train, a_val
    return pd.DataFrame(rows)


def label_indices(index: pd.DataFrame, split: str, classes, source=None) -> np.ndarray:
    """Class indices of one split's images, in image order (the index table's positions)."""
    from ..errors import InputError, preview

    rows = index[index["split"] == split].sort_values("position")
    if not np.array_equal(rows["position"].to_numpy(), np.arange(len(rows))):
        raise InputError(source, f"positions of the {split} images are not 0..{len(rows) - 1}")
    known = rows["label"].isin(classes)
    if not known.all():
        raise InputError(source, f"{split} labels not seen in training: {preview(rows.loc[~known, 'label'].unique())}")
    lookup = {c: i for i, c in enumerate(classes)}
    return rows["label"].map(lookup).to_numpy(np.int64)
