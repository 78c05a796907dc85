"""What the pan-cancer deep-learning rules will cost on this machine, before committing hours.

``tcgatl-project --configfile config/config.yaml`` times a few batches of every step of
train_backbone, evaluate_backbone and integrated_gradients on random inputs, for each
configured backbone at the config's image_size and batch sizes, then multiplies the measured
rates by the work the config implies. Two halves, kept apart:

* counting (pure: counts in, seconds out, no TensorFlow): :func:`split_sizes`,
  :func:`training_images`, :func:`ig_points`, :func:`ig_samples`, :func:`ig_evaluations`,
  :func:`project`;
* timing (TensorFlow): :func:`time_backbone`, :func:`time_bootstrap`, :func:`time_startup`.

What train_backbone computes (tcgatl.pancancer.training.train), per job:

* once: the frozen part (``Parts.lower``) over train + val (the activation cache), then the
  last block (``Parts.tail``) over train + val for the pooled features of phase 1;
* each of ``head_epochs``: train steps of the head on the n_train pooled features, then
  test steps (forward + loss) on the n_val pooled features (Keras ``fit`` validation);
* each of ``finetune_epochs``: train steps of last block + head on the n_train cached
  activations, then test steps on the n_val cached activations;
* the checkpoint save.

Early stopping is ignored (every epoch runs: an upper bound; with ``patience`` p a phase runs
at least min(epochs, p + 1) epochs). ImageNet weights do not change the cost, so models are
built with ``weights="none"``. Reading the memory-mapped cache, checkpoint loading's file
reads, the IG figures and gene tables are not timed (seconds, next to minutes of convolution).
"""

from __future__ import annotations

import argparse
import json
import logging
import math
import os
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

log = logging.getLogger("tcgatl.pancancer.projection")

# TCGA PanCanAtlas: ~11,000 tumours of 33 types, the EB++ matrix's 20,531 genes.
TCGA_SAMPLES = 11_000
TCGA_CLASSES = 33
TCGA_GENES = 20_531
# Checkpoint.predict_proba's batch (evaluate_backbone predicts the test set with it).
EVAL_BATCH_SIZE = 64
# What a job pays to import TensorFlow and Keras when not measured (--startup).
DEFAULT_STARTUP_S = 10.0

# ----------------------------------------------------------------------------- counting


@dataclass(frozen=True)
class Sizes:
    """Images per split, and test images per class (for the IG sample cap)."""

    n_train: int
    n_val: int
    n_test: int
    test_per_class: tuple[int, ...]

    @property
    def n_classes(self) -> int:
        return len(self.test_per_class)


def grid_side(n_genes: int) -> int:
    """Side of the alphabetical layout's square grid: the smallest with a pixel per gene
    (layouts.alphabetical); 20,531 genes -> 144."""
    return math.isqrt(n_genes - 1) + 1 if n_genes > 0 else 1


def split_sizes(n_total: int, n_classes: int, train_fraction: float, val_fraction: float) -> Sizes:
    """Split sizes as splits.stratified_split makes them (scikit-learn's train_test_split:
    test = ceil(test fraction x n), then val = ceil(val / (train + val) x rest)), with classes
    of equal size (TCGA's are not: its small types have fewer test samples than an IG cap of
    25, so IG is overestimated; pass the real split table for exact counts)."""
    if n_classes < 1 or n_total < n_classes:
        raise ValueError(f"need at least one sample per class, got {n_total} samples for {n_classes} classes")
    test_fraction = 1.0 - train_fraction - val_fraction
    n_test = math.ceil(round(test_fraction * n_total, 9))  # round: 1 - 0.8 - 0.1 < 0.1
    rest = n_total - n_test
    n_val = math.ceil(round(val_fraction / (train_fraction + val_fraction) * rest, 9))
    base, extra = divmod(n_test, n_classes)
    per_class = tuple(base + (c < extra) for c in range(n_classes))
    return Sizes(rest - n_val, n_val, n_test, per_class)


def sizes_from_split(table) -> Sizes:
    """Sizes of a pancancer_split table (columns label, split)."""
    counts = table.groupby("split").size()
    test = table[table["split"] == "test"].groupby("label").size()
    return Sizes(
        int(counts.get("train", 0)), int(counts.get("val", 0)), int(counts.get("test", 0)), tuple(int(v) for v in test)
    )


def training_images(n_train: int, n_val: int, head_epochs: int, finetune_epochs: int) -> dict[str, int]:
    """Images each step of train_backbone processes (see the module docstring), every epoch run."""
    return {
        "frozen_pass": n_train + n_val,  # cache_activations: Parts.lower over train, then val
        "tail_features": n_train + n_val,  # Parts.tail over both caches: phase 1's pooled features
        "head_train": head_epochs * n_train,  # phase 1 train steps
        "head_val": head_epochs * n_val,  # phase 1 validation (test steps) after every epoch
        "finetune_train": finetune_epochs * n_train,  # phase 2 train steps on the cache
        "finetune_val": finetune_epochs * n_val,  # phase 2 validation on the cached val activations
    }


def ig_points(steps: int, method: str = "trapezoid") -> int:
    """Gradient evaluations per sample: steps + 1 (trapezoid), steps + 2 (Gauss-Legendre:
    its nodes exclude the ends, appended for F(x) and F(baseline)); counted by the rule itself."""
    from .ig import evaluations  # numpy only: TensorFlow is imported when gradients are taken

    return evaluations(method, steps)


def ig_samples(test_per_class, max_per_class: int) -> int:
    """Samples IG explains: at most ``max_per_class`` test samples per class (an upper bound:
    only correctly classified ones are explained)."""
    return sum(min(max_per_class, n) for n in test_per_class)


def ig_evaluations(n_samples: int, steps: int, method: str, batch_size: int) -> int:
    """Gradient evaluations computed: samples x path points, flattened into batches of
    ``batch_size`` with the last batch padded to full size (ig.integrated_gradients keeps one
    batch shape)."""
    wanted = n_samples * ig_points(steps, method)
    return math.ceil(wanted / batch_size) * batch_size


@dataclass(frozen=True)
class Workload:
    """What the config asks of every (layout, backbone): counts only."""

    sizes: Sizes
    head_epochs: int = 10
    finetune_epochs: int = 10
    bootstrap: int = 1000
    ig_steps: int = 64
    ig_method: str = "trapezoid"
    ig_max_per_class: int = 25
    ig_batch_size: int = 64
    layouts: int = 1

    @classmethod
    def from_config(cls, config: dict, sizes: Sizes, layouts: int | None = None) -> "Workload":
        pc, ig_cfg = config["pancancer"], config["ig"]
        return cls(
            sizes,
            head_epochs=pc["head_epochs"],
            finetune_epochs=pc["finetune_epochs"],
            bootstrap=pc["bootstrap"],
            ig_steps=ig_cfg["steps"],
            ig_method=ig_cfg.get("method", "trapezoid"),
            ig_max_per_class=ig_cfg["max_per_class"],
            ig_batch_size=ig_cfg["batch_size"],
            layouts=len(pc["layouts"]) if layouts is None else layouts,
        )


@dataclass
class Rates:
    """What :func:`time_backbone` measured for one backbone. Rates are per image (or per
    gradient evaluation) per second of wall time; one-off times in seconds."""

    backbone: str
    image_size: int
    grid: tuple[int, int]
    batch_size: int  # training / caching batch timed
    eval_batch_size: int
    ig_batch_size: int
    threads: int
    activation_shape: tuple[int, ...]  # cached per image: the last block's input
    feature_dim: int
    frozen_ips: float  # Parts.lower (the cached part), images/s
    tail_ips: float  # Parts.tail on cached activations (pooled features), images/s
    head_train_ips: float  # head train steps on pooled features
    head_val_ips: float  # head test steps on pooled features
    finetune_train_ips: float  # last block + head train steps on cached activations
    finetune_val_ips: float  # last block + head test steps on cached activations
    forward_ips: float  # whole model on gene images (evaluate)
    ig_eps: float  # IG gradient evaluations/s (ig.integrated_gradients)
    build_s: float  # models.build + Parts.of
    save_s: float  # model.save (train_backbone's checkpoint)
    load_s: float  # keras.models.load_model (evaluate and IG load the checkpoint)
    trace_s: dict[str, float] = field(default_factory=dict)  # first call minus a steady batch, per step
    cpu_utilisation: float = 1.0  # process CPU / (wall x threads) over the timed batches: < 1 on a busy machine

    @property
    def cache_bytes_per_image(self) -> int:
        return 4 * math.prod(self.activation_shape)  # float32 (training.forward writes float32)


TRAIN_TRACES = ("frozen_pass", "tail_features", "head_train", "head_val", "finetune_train", "finetune_val")
TRAIN_RATES = {
    "frozen_pass": "frozen_ips",
    "tail_features": "tail_ips",
    "head_train": "head_train_ips",
    "head_val": "head_val_ips",
    "finetune_train": "finetune_train_ips",
    "finetune_val": "finetune_val_ips",
}


def _rule(backbone, rule, jobs, parts: dict, threads, work: str) -> dict:
    per_job = sum(parts.values())
    wall = per_job * jobs
    return {
        "backbone": backbone,
        "rule": rule,
        "jobs": jobs,
        "work": work,
        "parts_s": parts,  # seconds per job by part; they sum to wall_s_per_job
        "wall_s_per_job": per_job,
        "wall_s": wall,
        "cpu_h": wall * threads / 3600,
    }


def project(rates: Rates, work: Workload, startup_s: float, bootstrap_s: float = 0.0) -> list[dict]:
    """Projected seconds of train_backbone, evaluate_backbone and integrated_gradients for one
    backbone, then their total: one row each. Each rule runs once per layout (``jobs``);
    ``wall_s`` = jobs x ``wall_s_per_job``; ``cpu_h`` = wall x the threads the timing used.
    ``startup_s`` is one job's TensorFlow import, ``bootstrap_s`` one bootstrap resample."""
    s, b, t = work.sizes, rates.backbone, rates.threads
    images = training_images(s.n_train, s.n_val, work.head_epochs, work.finetune_epochs)
    train = {"startup": startup_s, "build": rates.build_s}
    for step, n in images.items():
        if n:
            train[step] = n / getattr(rates, TRAIN_RATES[step]) + rates.trace_s.get(step, 0.0)
    train["save"] = rates.save_s
    rows = [
        _rule(
            b,
            "train_backbone",
            work.layouts,
            train,
            t,
            f"frozen pass {s.n_train + s.n_val} img; {work.head_epochs} head + {work.finetune_epochs} finetune "
            f"epochs x ({s.n_train} train + {s.n_val} val)",
        )
    ]
    evaluate = {
        "startup": startup_s,
        "load": rates.load_s,
        "forward": s.n_test / rates.forward_ips + rates.trace_s.get("forward", 0.0),
        "bootstrap": work.bootstrap * bootstrap_s,
    }
    rows.append(_rule(b, "evaluate_backbone", work.layouts, evaluate, t, f"forward {s.n_test} test img"))
    n_ig = ig_samples(s.test_per_class, work.ig_max_per_class)
    evals = ig_evaluations(n_ig, work.ig_steps, work.ig_method, work.ig_batch_size)
    ig_parts = {
        "startup": startup_s,
        "load": rates.load_s,
        "gradients": evals / rates.ig_eps + rates.trace_s.get("ig", 0.0),
    }
    rows.append(
        _rule(
            b,
            "integrated_gradients",
            work.layouts,
            ig_parts,
            t,
            f"{n_ig} samples x {ig_points(work.ig_steps, work.ig_method)} points ({work.ig_method}) = {evals} grads",
        )
    )
    rows.append(total_row(rows, b))
    return rows


def total_row(rows: list[dict], backbone: str = "all") -> dict:
    """The sum of ``rows`` (totals rows excluded)."""
    rows = [r for r in rows if r["rule"] != "total"]
    return {
        "backbone": backbone,
        "rule": "total",
        "jobs": sum(r["jobs"] for r in rows),
        "work": "",
        "parts_s": {},
        "wall_s_per_job": None,
        "wall_s": sum(r["wall_s"] for r in rows),
        "cpu_h": sum(r["cpu_h"] for r in rows),
    }


# ----------------------------------------------------------------------------- timing


def threads_used() -> int:
    """CPU threads TensorFlow's ops run on: the intra-op setting (a rule's ``threads:``, through
    TF_NUM_INTRAOP_THREADS), else every core this process may use (TensorFlow's default)."""
    import tensorflow as tf

    n = tf.config.threading.get_intra_op_parallelism_threads() or int(os.environ.get("TF_NUM_INTRAOP_THREADS", 0))
    return n or len(os.sched_getaffinity(0))


def _timed(fn, batches: int, clock: dict | None = None) -> tuple[float, float, object]:
    """(seconds of the first call minus a steady call, mean seconds of ``batches`` steady calls,
    the first call's result). The steady calls' wall and process CPU seconds are added to
    ``clock`` (keys wall, cpu)."""
    t0 = time.perf_counter()
    out = fn()
    first = time.perf_counter() - t0
    times = []
    c0 = time.process_time()
    for _ in range(batches):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    if clock is not None:
        clock["wall"] = clock.get("wall", 0.0) + sum(times)
        clock["cpu"] = clock.get("cpu", 0.0) + time.process_time() - c0
    steady = sum(times) / len(times)
    return max(0.0, first - steady), steady, out


def _set_determinism(on: bool) -> None:
    """train_backbone runs with op determinism (training.seed_everything), the inference jobs
    without; the switch back is TensorFlow's internal one (kept if it is gone)."""
    if on:
        import tensorflow as tf

        tf.config.experimental.enable_op_determinism()
        return
    try:
        from tensorflow.python.framework import config as tf_config

        tf_config.disable_op_determinism()
    except (ImportError, AttributeError):  # pragma: no cover - older/newer TensorFlow
        log.warning("cannot switch TensorFlow op determinism off: inference timed with it on")


def time_backbone(
    backbone: str,
    grid: tuple[int, int],
    n_classes: int,
    size: int = 224,
    batch_size: int = 32,
    eval_batch_size: int = EVAL_BATCH_SIZE,
    ig_batch_size: int = 64,
    batches: int = 3,
    seed: int = 0,
) -> Rates:
    """Time every step of the three rules for ``backbone`` on random gene images: one
    warm-up call (the graph trace, reported apart) then ``batches`` timed calls each."""
    import keras
    import numpy as np

    from . import ig, models, training

    rng = np.random.default_rng(seed)
    traces: dict[str, float] = {}
    say = f"{backbone} at {size} px"
    clock: dict[str, float] = {}  # steady timed calls only: build, traces and saving are single-threaded

    log.info("%s: building (grid %dx%d, %d classes, weights none)", say, *grid, n_classes)
    t0 = time.perf_counter()
    model = models.build(backbone, grid, n_classes, size=size, weights="none", seed=seed)
    parts = training.Parts.of(model, backbone)
    build_s = time.perf_counter() - t0

    training.seed_everything(seed)  # train_backbone's process state
    # Every training step is timed through the code train_backbone runs (training.forward into a
    # memory-mapped cache; Keras fit/evaluate over training.Batches, one epoch of ``batches``
    # batches per call), so per-call overheads are counted as they are paid: timing bare
    # predict/train_on_batch calls on one batch in memory projected ~25% too little.
    n = batches * batch_size
    x = rng.uniform(size=(n, *grid)).astype(np.float32)
    y = rng.integers(0, n_classes, n)
    log.info("%s: frozen-activation pass (%d batches of %d)", say, batches, batch_size)
    with tempfile.TemporaryDirectory(prefix="tcgatl-project.") as tmp:
        cache = Path(tmp) / "train.npy"
        traces["frozen_pass"], s, acts = _timed(
            lambda: np.array(training.forward(parts.lower, x, cache, batch_size)), 1, clock
        )
    frozen_ips = n / s

    log.info("%s: last block on the cache -> pooled features", say)
    traces["tail_features"], s, feats = _timed(lambda: training.forward(parts.tail, acts, None, batch_size), 1, clock)
    tail_ips = n / s

    def compiled(m, lr):  # as training._fit compiles
        m.compile(optimizer=keras.optimizers.Adam(lr), loss="sparse_categorical_crossentropy", metrics=["accuracy"])
        return m

    def epoch(m, inputs):
        return lambda k: m.fit(
            training.Batches(inputs[: k * batch_size], y[: k * batch_size], batch_size, shuffle=True, seed=seed),
            epochs=1,
            verbose=0,
        )

    def validation(m, inputs):
        return lambda k: m.evaluate(
            training.Batches(inputs[: k * batch_size], y[: k * batch_size], batch_size, shuffle=False), verbose=0
        )

    def per_batch(step, fn):
        """Images/s over epochs of 2k batches (k = 4 x ``batches``), after a warm-up epoch of k:
        a few batches are not yet at Keras's steady per-batch cost. An epoch's fixed cost
        (iterator, callbacks: ~0.1 s) is spread over these 2k batches, where a real epoch has
        hundreds, so the projection counts it several times over: training errs high."""
        traces[step], _, _ = _timed(lambda: fn(k), 1, clock)
        runs = []
        for _ in range(3):  # the median of three: single epochs vary by up to 2x on a shared 2-core machine
            t0, c0 = time.perf_counter(), time.process_time()
            fn(2 * k)
            runs.append(time.perf_counter() - t0)
            clock["wall"] += runs[-1]
            clock["cpu"] += time.process_time() - c0
        seconds = sorted(runs)[1]
        return 2 * k * batch_size / seconds

    k = 4 * batches
    y = np.resize(y, 2 * k * batch_size)  # the timed epochs' labels (inputs are tiled the same way)
    log.info("%s: head epochs on pooled features", say)
    parts.freeze_for("head")
    training.fit_standardisation(parts.norm, feats)
    feats = np.resize(feats, (2 * k * batch_size, *feats.shape[1:]))
    head = compiled(parts.on_features(feats.shape[1:]), 1e-3)
    head_train_ips = per_batch("head_train", epoch(head, feats))
    head_val_ips = per_batch("head_val", validation(head, feats))

    log.info("%s: fine-tuning epochs on the cache (last block + head)", say)
    parts.freeze_for("finetune")
    acts = np.resize(acts, (2 * k * batch_size, *acts.shape[1:]))
    tuned = compiled(parts.on_activations(acts.shape[1:]), 1e-5)
    finetune_train_ips = per_batch("finetune_train", epoch(tuned, acts))
    finetune_val_ips = per_batch("finetune_val", validation(tuned, acts))
    parts.freeze_for("head")

    with tempfile.TemporaryDirectory(prefix="tcgatl-project.") as tmp:
        path = Path(tmp) / "model.keras"
        t0 = time.perf_counter()
        model.save(path)
        save_s = time.perf_counter() - t0
        t0 = time.perf_counter()
        model = keras.models.load_model(path)  # what evaluate and IG run
        load_s = time.perf_counter() - t0

    _set_determinism(False)  # evaluate and IG jobs never turn it on
    log.info("%s: whole-model forward (evaluate, batch %d)", say, eval_batch_size)
    xe = rng.uniform(size=(eval_batch_size, *grid)).astype(np.float32)
    traces["forward"], s, _ = _timed(lambda: model.predict_on_batch(xe), batches, clock)
    forward_ips = eval_batch_size / s

    log.info("%s: Integrated Gradients (batch %d)", say, ig_batch_size)
    steps = max(1, ig_batch_size - 1)  # one sample = one batch of path points (two if ig_batch_size is 1)
    xi = rng.uniform(size=(batches, *grid)).astype(np.float32)
    zero = np.zeros_like(xi)
    targets = rng.integers(0, n_classes, batches)
    ig_log = logging.getLogger(ig.log.name)
    level = ig_log.level
    ig_log.setLevel(logging.WARNING)
    try:
        t0 = time.perf_counter()
        ig.integrated_gradients(model, xi[:1], targets[:1], zero[:1], steps=steps, batch_size=ig_batch_size)
        first = time.perf_counter() - t0
        t0, c0 = time.perf_counter(), time.process_time()
        ig.integrated_gradients(model, xi, targets, zero, steps=steps, batch_size=ig_batch_size)
        seconds = time.perf_counter() - t0
        clock["wall"] += seconds
        clock["cpu"] += time.process_time() - c0
    finally:
        ig_log.setLevel(level)
    evals = ig_evaluations(batches, steps, "trapezoid", ig_batch_size)
    ig_eps = evals / seconds
    warm_up = ig_evaluations(1, steps, "trapezoid", ig_batch_size)
    traces["ig"] = max(0.0, first - warm_up / ig_eps)
    threads = threads_used()
    busy = clock["cpu"] / (clock["wall"] * threads)

    return Rates(
        backbone=backbone,
        image_size=size,
        grid=tuple(grid),
        batch_size=batch_size,
        eval_batch_size=eval_batch_size,
        ig_batch_size=ig_batch_size,
        threads=threads,
        cpu_utilisation=busy,
        activation_shape=tuple(int(d) for d in acts.shape[1:]),
        feature_dim=int(feats.shape[1]),
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
        trace_s=traces,
    )


def time_bootstrap(n_test: int, n_classes: int, resamples: int = 20, seed: int = 0) -> float:
    """Seconds per bootstrap resample of metrics.evaluate on ``n_test`` predictions."""
    import numpy as np

    from . import metrics

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


def time_startup() -> float:
    """Seconds a fresh interpreter takes to import tensorflow and keras (every job pays it)."""
    code = "import time; t = time.perf_counter(); import tensorflow, keras; print(time.perf_counter() - t)"
    env = os.environ | {"TF_CPP_MIN_LOG_LEVEL": "3"}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True)
    return float(out.stdout.strip().splitlines()[-1])


# ----------------------------------------------------------------------------- report


def _hms(seconds: float | None) -> str:
    if seconds is None or not math.isfinite(seconds):
        return ""
    seconds = round(seconds)
    h, rest = divmod(seconds, 3600)
    m, s = divmod(rest, 60)
    return f"{h}:{m:02d}:{s:02d}"


def format_rates(rates: list[Rates], bootstrap_s: float, startup_s: float, measured_startup: bool) -> str:
    head = (
        f"{'backbone':<12} {'px':>4} {'batch':>5} {'build s':>7} {'frozen img/s':>12} {'cache KB/img':>12} "
        f"{'tail img/s':>10} {'head s/ep/1k':>12} {'tune s/ep/1k':>12} {'fwd img/s':>9} {'IG grad/s':>9} "
        f"{'traces s':>8} {'save+load s':>11} {'CPU use':>7}"
    )
    lines = [head]
    for r in rates:
        lines.append(
            f"{r.backbone:<12} {r.image_size:>4} {r.batch_size:>5} {r.build_s:>7.1f} {r.frozen_ips:>12.2f} "
            f"{r.cache_bytes_per_image / 1024:>12.1f} {r.tail_ips:>10.1f} {1000 / r.head_train_ips:>12.3f} "
            f"{1000 / r.finetune_train_ips:>12.1f} {r.forward_ips:>9.2f} {r.ig_eps:>9.2f} "
            f"{sum(r.trace_s.values()):>8.1f} {r.save_s + r.load_s:>11.1f} {100 * r.cpu_utilisation:>6.0f}%"
        )
    how = "measured" if measured_startup else "assumed"
    lines.append(
        f"(s/ep/1k: seconds of train steps per epoch per 1,000 training images; validation steps are counted "
        f"apart. Bootstrap: {1000 * bootstrap_s:.2f} ms per resample. TensorFlow + Keras import: "
        f"{startup_s:.1f} s per job, {how}.)"
    )
    return "\n".join(lines)


def format_projection(rows: list[dict], breakdown: bool = True) -> str:
    lines = [f"{'backbone':<12} {'rule':<22} {'jobs':>4} {'wall/job':>9} {'wall':>9} {'CPU h':>8}  work"]
    for r in rows:
        name = r["rule"]
        lines.append(
            f"{r['backbone']:<12} {name:<22} {r['jobs']:>4} {_hms(r['wall_s_per_job']):>9} {_hms(r['wall_s']):>9} "
            f"{r['cpu_h']:>8.2f}  {r['work']}"
        )
        if breakdown and name == "train_backbone":
            for part, sec in r["parts_s"].items():
                lines.append(f"{'':<12}   {part:<19} {'':>4} {_hms(sec):>9}")
    return "\n".join(lines)


# ----------------------------------------------------------------------------- CLI


def main(argv=None) -> int:
    from .. import config as config_mod
    from ..errors import ConfigError
    from .options import BACKBONES

    p = argparse.ArgumentParser(
        prog="tcgatl-project",
        description="Project the cost of the pan-cancer deep-learning rules (train_backbone, evaluate_backbone, "
        "integrated_gradients) for a config on this machine, by timing a few batches on random inputs.",
    )
    p.add_argument("--configfile", required=True, help="the workflow config (validated; schema defaults filled in)")
    p.add_argument(
        "--samples", type=int, default=TCGA_SAMPLES, help=f"tumours in the split (default {TCGA_SAMPLES:,}, TCGA)"
    )
    p.add_argument("--classes", type=int, default=TCGA_CLASSES, help=f"tumour types (default {TCGA_CLASSES})")
    p.add_argument(
        "--genes",
        type=int,
        default=TCGA_GENES,
        help=f"genes of the matrix: the grid side is ceil(sqrt(genes)) (default {TCGA_GENES:,} -> 144)",
    )
    p.add_argument(
        "--split",
        help="a pancancer_split table (results/pancancer/split.tsv) to take the split sizes from instead of "
        "--samples/--classes and the config's fractions",
    )
    p.add_argument("--backbones", nargs="+", choices=sorted(BACKBONES), help="default: the config's")
    p.add_argument("--batches", type=int, default=3, help="timed batches per step, after one warm-up (default 3)")
    p.add_argument(
        "--batch-size",
        type=int,
        help="time with batches of this size instead of the config's (training, evaluation and IG batches); "
        "the projected counts keep the config's",
    )
    p.add_argument("--threads", type=int, help="cap TensorFlow's threads (default: every core of this machine)")
    p.add_argument(
        "--startup",
        type=float,
        help=f"seconds a job takes to import TensorFlow (default: measured; {DEFAULT_STARTUP_S:g} s is typical)",
    )
    p.add_argument("--json", help="also write rates and projection to this JSON file")
    a = p.parse_args(argv)
    for name in ("batches", "batch_size", "genes", "samples", "classes", "threads"):
        if getattr(a, name) is not None and getattr(a, name) < 1:
            p.error(f"--{name.replace('_', '-')} must be >= 1")

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s", datefmt="%H:%M:%S", stream=sys.stderr)
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    try:
        cfg = config_mod.load(a.configfile)
    except (ConfigError, OSError) as exc:
        print(f"tcgatl-project: {exc}", file=sys.stderr)
        return 2
    pc, ig_cfg = cfg["pancancer"], cfg["ig"]
    if a.split:
        import pandas as pd

        try:
            sizes = sizes_from_split(pd.read_csv(a.split, sep="\t", dtype=str))
        except (OSError, KeyError, pd.errors.ParserError) as exc:
            print(f"tcgatl-project: cannot read split sizes from {a.split}: {exc!r}", file=sys.stderr)
            return 2
        source = a.split
    else:
        sizes = split_sizes(a.samples, a.classes, pc["train_fraction"], pc["val_fraction"])
        source = f"{a.samples:,} samples, {a.classes} equal classes"
    work = Workload.from_config(cfg, sizes)
    side = grid_side(a.genes)
    backbones = a.backbones or pc["backbones"]
    small = [b for b in backbones if BACKBONES[b].min_size > pc["image_size"]]
    if small:
        print(
            f"tcgatl-project: pancancer.image_size {pc['image_size']} is too small for "
            + ", ".join(f"{b} (needs >= {BACKBONES[b].min_size})" for b in small),
            file=sys.stderr,
        )
        return 2

    if a.startup is None:
        log.info("measuring TensorFlow + Keras import in a fresh interpreter")
        startup_s, measured = time_startup(), True
    else:
        startup_s, measured = a.startup, False

    import tensorflow as tf

    if a.threads:
        try:
            tf.config.threading.set_intra_op_parallelism_threads(a.threads)
            tf.config.threading.set_inter_op_parallelism_threads(a.threads)
        except RuntimeError as exc:  # TensorFlow already initialised (e.g. main called in a test)
            log.warning("--threads ignored: %s", exc)
    bootstrap_s = time_bootstrap(sizes.n_test, sizes.n_classes) if work.bootstrap else 0.0

    all_rates, rows = [], []
    for name in backbones:
        t0 = time.perf_counter()
        r = time_backbone(
            name,
            (side, side),
            sizes.n_classes,
            size=pc["image_size"],
            batch_size=a.batch_size or pc["batch_size"],
            eval_batch_size=a.batch_size or EVAL_BATCH_SIZE,
            ig_batch_size=a.batch_size or ig_cfg["batch_size"],
            batches=a.batches,
            seed=cfg["seed"],
        )
        log.info("%s timed in %.0f s", name, time.perf_counter() - t0)
        all_rates.append(r)
        rows += project(r, work, startup_s, bootstrap_s)
    grand = [total_row(rows)] if len(all_rates) > 1 else []

    s = sizes
    print(
        f"{a.configfile}: {source} -> {s.n_train} train, {s.n_val} val, {s.n_test} test images of "
        f"{s.n_classes} classes; gene grid {side}x{side} ({a.genes:,} genes) resized to "
        f"{pc['image_size']}x{pc['image_size']}; {work.layouts} layout(s) {pc['layouts']}; "
        f"{all_rates[0].threads} thread(s). Timed with weights: none (ImageNet weights do not change the cost)."
    )
    print()
    print("Measured rates")
    print(format_rates(all_rates, bootstrap_s, startup_s, measured))
    print()
    for r in all_rates:
        kb = r.cache_bytes_per_image
        print(
            f"{r.backbone}: activation cache {r.activation_shape} = {kb / 1024:.1f} KB/image x "
            f"{s.n_train + s.n_val} train+val images = {kb * (s.n_train + s.n_val) / 1e9:.2f} GB on disk per job"
        )
    print()
    print(
        "Projection (upper bound: every epoch runs, early stopping ignored; every test sample up to "
        "ig.max_per_class explained; wall as if jobs ran one after another; CPU h = wall x threads)"
    )
    print(format_projection(rows + grand))
    busy = min(r.cpu_utilisation for r in all_rates)
    if busy < 0.8:
        print(
            f"\nNote: the timing process used {100 * busy:.0f}% of its {all_rates[0].threads} thread(s): "
            "other work competed for the cores, so these rates are pessimistic for an idle machine."
        )
    if a.json:
        doc = {
            "config": a.configfile,
            "sizes": asdict(sizes),
            "workload": asdict(work),
            "grid": [side, side],
            "startup_s": startup_s,
            "startup_measured": measured,
            "bootstrap_s_per_resample": bootstrap_s,
            "rates": [asdict(r) | {"cache_bytes_per_image": r.cache_bytes_per_image} for r in all_rates],
            "projection": rows + grand,
        }
        Path(a.json).write_text(json.dumps(doc, indent=2, default=float))
        print(f"\n-> {a.json}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
