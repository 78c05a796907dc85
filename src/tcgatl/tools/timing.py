"""Rates of the pan-cancer deep-learning rules on this machine, for tcgatl.pancancer.costs.

Every step is timed through the code the rules run, on random gene images and labels, so the
timing cannot drift from the training: tcgatl.pancancer.training's ``cache_activations``,
``pooled_features``, ``fit_head`` and ``finetune`` (phase 2 as ``pancancer.trainable`` chooses:
on the cached activations, or the whole model on the gene images), ``checkpoint.save``,
``Checkpoint.predict_proba`` and ``ig.integrated_gradients``. A step runs once to warm up (the
graph trace, reported apart) and is then timed; a training phase runs a few short epochs, of
which the first warms up, each epoch's train steps and validation timed apart by a callback.

ImageNet weights do not change the cost, so models are built with ``weights="none"``. Reading
the memory-mapped cache, checkpoint loading's file reads, the IG figures and gene tables are not
timed (seconds, next to minutes of convolution).
"""

from __future__ import annotations

import dataclasses
import logging
import statistics
import tempfile
import time
from contextlib import contextmanager
from pathlib import Path

import keras
import numpy as np

from ..pancancer import checkpoint, ig, metrics, models, training
from ..pancancer.backend import synchronize
from ..pancancer.costs import EVAL_BATCH_SIZE, Rates, ig_evaluations

log = logging.getLogger("tcgatl.tools.timing")

# Epochs each training phase runs while timed: the first warms up (traces), the median of the
# others is kept (single epochs vary by up to 2x on a shared 2-core machine).
EPOCHS = 4
# Batches per timed epoch, per ``batches``, where a train step is cheap (the head on pooled
# features, the last block on the cache): a few batches are not yet at Keras's steady per-batch
# cost, and an epoch's fixed cost (iterator, callbacks: ~0.1 s) is spread over these batches,
# where a real epoch has hundreds, so the projection counts it several times over: training errs
# high. Phase 2 on the gene images (trainable: all) runs ``batches`` batches per epoch: there a
# step costs seconds and the fixed cost is negligible.
CHEAP_EPOCH_BATCHES = 8


def threads_used() -> int:
    """CPU threads the backend's ops run on (backend.threads: a rule's ``threads:``, else every
    core this process may use)."""
    from ..pancancer.backend import threads

    return threads()


def _twice(fn, clock: dict) -> tuple[float, float, object]:
    """Call ``fn`` twice: (seconds of the first call minus the second's, seconds of the second,
    the second's result). The second call's wall and process CPU seconds are added to
    ``clock``."""
    t0 = time.perf_counter()
    fn()
    first = time.perf_counter() - t0
    t0, c0 = time.perf_counter(), time.process_time()
    out = fn()
    steady = time.perf_counter() - t0
    clock["wall"] += steady
    clock["cpu"] += time.process_time() - c0
    return max(0.0, first - steady), steady, out


class EpochClock(keras.callbacks.Callback):
    """Wall seconds of every epoch's train steps and of its validation (Keras runs the
    validation between on_test_begin and on_test_end), and process CPU seconds of the epoch."""

    def __init__(self):
        super().__init__()
        self.train, self.val, self.cpu = [], [], []

    def on_epoch_begin(self, epoch, logs=None):
        self._t, self._c = time.perf_counter(), time.process_time()

    def on_test_begin(self, logs=None):
        synchronize(self.model)  # JAX and GPUs return before the epoch's steps have run
        now = time.perf_counter()
        self.train.append(now - self._t)
        self._t = now

    def on_test_end(self, logs=None):
        synchronize(self.model)
        self.val.append(time.perf_counter() - self._t)
        self.cpu.append(time.process_time() - self._c)

    def steady(self, seconds: list[float]) -> tuple[float, float]:
        """(the first epoch's seconds minus the steady ones: the trace, the median of the others)."""
        if len(seconds) < 2:
            raise RuntimeError(f"{len(seconds)} epoch(s) timed: the phase stopped early")
        mid = statistics.median(seconds[1:])
        return max(0.0, seconds[0] - mid), mid

    def add_to(self, clock: dict) -> None:
        """The steady epochs' wall and CPU seconds, added to ``clock``."""
        clock["wall"] += sum(self.train[1:]) + sum(self.val[1:])
        clock["cpu"] += sum(self.cpu[1:])


@contextmanager
def _quiet(*loggers):
    """The training's per-epoch and progress lines off while timing."""
    levels = [(lg, lg.level) for lg in loggers]
    for lg in loggers:
        lg.setLevel(logging.WARNING)
    try:
        yield
    finally:
        for lg, level in levels:
            lg.setLevel(level)


def _set_determinism(on: bool) -> None:
    """train_backbone runs with deterministic ops (training.seed_everything), the inference jobs
    without."""
    from ..pancancer import backend

    backend.make_deterministic() if on else backend.allow_nondeterminism()


def time_backbone(
    backbone: str,
    grid: tuple[int, int],
    n_classes: int,
    cfg: training.TrainConfig,
    size: int = 224,
    eval_batch_size: int = EVAL_BATCH_SIZE,
    ig_batch_size: int = 64,
    batches: int = 3,
) -> Rates:
    """Time every step of the three rules for ``backbone`` on random gene images, training
    as ``cfg`` says (its batch size, learning rates, class weights, seed and ``trainable``;
    its epochs and patience are replaced by the timed epochs)."""
    bs, seed = cfg.batch_size, cfg.seed
    rng = np.random.default_rng(seed)
    traces: dict[str, float] = {}
    say = f"{backbone} at {size} px"
    clock = {"wall": 0.0, "cpu": 0.0}  # steady timed calls only: build, traces and saving are single-threaded

    log.info("%s: building (grid %dx%d, %d classes, weights none)", say, *grid, n_classes)
    t0 = time.perf_counter()
    model_precision = models.resolve_precision(cfg.precision, backbone)
    model = models.build(backbone, grid, n_classes, size=size, weights="none", seed=seed, precision=model_precision)
    parts = training.Parts.of(model, backbone)
    build_s = time.perf_counter() - t0

    # train_backbone's process state, and its inputs: ``batches`` training batches, one validation batch.
    training.seed_everything(seed)
    n = batches * bs
    x = rng.uniform(size=(n + bs, *grid)).astype(np.float32)
    y = rng.integers(0, n_classes, len(x))
    weights = training.class_weight(y, n_classes) if cfg.class_weights else None
    timed = dataclasses.replace(cfg, head_epochs=EPOCHS, finetune_epochs=EPOCHS, patience=EPOCHS)

    def tiled(a, n_batches):  # an epoch of n_batches from the few images computed
        return np.resize(a, (n_batches * bs, *a.shape[1:]))

    with _quiet(training.log, ig.log):
        log.info("%s: frozen-activation pass (%d + 1 batches of %d)", say, batches, bs)
        with tempfile.TemporaryDirectory(prefix="tcgatl-project.") as tmp:
            traces["frozen_pass"], s, (a_train, a_val, _) = _twice(
                lambda: training.cache_activations(parts, x[:n], x[n:], Path(tmp), bs), clock
            )
            a_train, a_val = np.array(a_train), np.array(a_val)  # out of the memory-mapped files
        frozen_ips = len(x) / s

        log.info("%s: last block on the cache -> pooled features", say)
        traces["tail_features"], s, (f_train, f_val) = _twice(
            lambda: training.pooled_features(parts, a_train, a_val), clock
        )
        tail_ips = len(x) / s

        k = CHEAP_EPOCH_BATCHES * batches
        log.info("%s: %d head epochs of %d batches on pooled features", say, EPOCHS, k)
        yk = np.resize(y, k * bs)
        epochs = EpochClock()
        training.fit_head(parts, tiled(f_train, k), yk, tiled(f_val, k), yk, timed, [], weights, [epochs])
        traces["head_train"], s = epochs.steady(epochs.train)
        head_train_ips = k * bs / s
        traces["head_val"], s = epochs.steady(epochs.val)
        head_val_ips = k * bs / s
        epochs.add_to(clock)

        on_images = cfg.trainable == "all"
        k = batches if on_images else CHEAP_EPOCH_BATCHES * batches
        what = "the whole model on the gene images" if on_images else "last block + head on the cache"
        log.info("%s: %d fine-tuning epochs of %d batches (%s)", say, EPOCHS, k, what)
        yk = np.resize(y, k * bs)
        epochs = EpochClock()
        training.finetune(
            parts,
            tiled(x[:n], k),
            tiled(a_train, k),
            yk,
            tiled(x[n:], k),
            tiled(a_val, k),
            yk,
            timed,
            [],
            weights,
            [epochs],
        )
        traces["finetune_train"], s = epochs.steady(epochs.train)
        finetune_train_ips = k * bs / s
        traces["finetune_val"], s = epochs.steady(epochs.val)
        finetune_val_ips = k * bs / s
        epochs.add_to(clock)
        parts.freeze_for("head")  # as train leaves the model to be saved

        classes = [f"c{i}" for i in range(n_classes)]
        with tempfile.TemporaryDirectory(prefix="tcgatl-project.") as tmp:
            tmp = Path(tmp)
            outputs = {key: tmp / "checkpoint" / name for key, name in checkpoint.FILES.items()}
            (tmp / "layout").touch()
            (tmp / "scaling").touch()
            t0 = time.perf_counter()
            checkpoint.save(outputs, model, classes, tmp / "layout", tmp / "scaling", {})
            save_s = time.perf_counter() - t0
            t0 = time.perf_counter()
            model = keras.models.load_model(outputs["model"])  # what Checkpoint.load runs for evaluate and IG
            load_s = time.perf_counter() - t0

        _set_determinism(False)  # evaluate and IG jobs never turn it on
        log.info("%s: whole-model forward (evaluate, %d batches of %d)", say, batches, eval_batch_size)
        ck = checkpoint.Checkpoint(model, classes, None, None, None, {})
        xe = rng.uniform(size=(batches * eval_batch_size, *grid)).astype(np.float32)
        traces["forward"], s, _ = _twice(lambda: ck.predict_proba(xe, batch_size=eval_batch_size), clock)
        forward_ips = len(xe) / s

        log.info("%s: Integrated Gradients (batch %d)", say, ig_batch_size)
        # integrated_gradients explains a bf16 checkpoint through its float32 twin (explain.py).
        ig_model = model if model_precision == "float32" else models.float32_twin(model, backbone, size)
        steps = max(1, ig_batch_size - 1)  # one sample = one batch of path points (two if ig_batch_size is 1)
        xi = rng.uniform(size=(batches, *grid)).astype(np.float32)
        zero = np.zeros_like(xi)
        targets = rng.integers(0, n_classes, batches)
        t0 = time.perf_counter()
        # The fixed trapezoid: every path point one evaluation, the rate whatever the rule.
        ig.integrated_gradients(
            ig_model, xi[:1], targets[:1], zero[:1], steps=steps, batch_size=ig_batch_size, method="trapezoid"
        )
        first = time.perf_counter() - t0
        t0, c0 = time.perf_counter(), time.process_time()
        ig.integrated_gradients(ig_model, xi, targets, zero, steps=steps, batch_size=ig_batch_size, method="trapezoid")
        seconds = time.perf_counter() - t0
        clock["wall"] += seconds
        clock["cpu"] += time.process_time() - c0
    evals = ig_evaluations(batches, steps, "trapezoid")
    ig_eps = evals / seconds
    warm_up = ig_evaluations(1, steps, "trapezoid")
    traces["ig"] = max(0.0, first - warm_up / ig_eps)
    threads = threads_used()

    return Rates(
        backbone=backbone,
        image_size=size,
        grid=tuple(grid),
        batch_size=bs,
        eval_batch_size=eval_batch_size,
        ig_batch_size=ig_batch_size,
        threads=threads,
        activation_shape=tuple(int(d) for d in a_train.shape[1:]),
        feature_dim=int(f_train.shape[1]),
        frozen_ips=frozen_ips,
        tail_ips=tail_ips,
        head_train_ips=head_train_ips,
        head_val_ips=head_val_ips,
        finetune_train_ips=finetune_train_ips,
        finetune_val_ips=finetune_val_ips,
        forward_ips=forward_ips,
        ig_eps=ig_eps,
        build_s=build_s,
        save_s=save_s,
        load_s=load_s,
        trainable=cfg.trainable,
        precision=model_precision,
        trace_s=traces,
        cpu_utilisation=clock["cpu"] / (clock["wall"] * threads),
    )


def time_bootstrap(n_test: int, n_classes: int, resamples: int = 20, seed: int = 0) -> float:
    """Seconds per bootstrap resample of metrics.evaluate on ``n_test`` predictions."""
    rng = np.random.default_rng(seed)
    classes = [f"c{i:04d}" for i in range(n_classes)]  # sorted, as ovr_auc requires
    y = rng.integers(0, n_classes, n_test)
    y[:n_classes] = np.arange(n_classes)  # every class present
    pred = np.where(rng.uniform(size=n_test) < 0.9, y, rng.integers(0, n_classes, n_test))
    proba = rng.dirichlet(np.ones(n_classes), n_test)
    names = np.asarray(classes)
    t0 = time.perf_counter()
    metrics.evaluate(names[y], names[pred], proba, classes, n_boot=0)
    fixed = time.perf_counter() - t0
    t0 = time.perf_counter()
    metrics.evaluate(names[y], names[pred], proba, classes, n_boot=resamples)
    return max(0.0, time.perf_counter() - t0 - fixed) / resamples
