"""What the pan-cancer deep-learning rules cost: counts of the work a config implies, and
seconds from measured rates. Counts in, seconds out.

Standard library only (no NumPy, pandas or TensorFlow, not even through a package import): the
workflow can import it when Snakemake parses the rules. The rates come from
tcgatl.tools.timing, which times the training code itself; ``tcgatl-project``
(tcgatl.tools.projection) puts the two together.

What train_backbone computes (tcgatl.pancancer.training.train), per job:

* once: the frozen part (``Parts.lower``) over train + val (the activation cache), then the
  last block (``Parts.tail``) over train + val for the pooled features of phase 1;
* each of ``head_epochs``: train steps of the head on the n_train pooled features, then
  test steps (forward + loss) on the n_val pooled features (Keras ``fit`` validation);
* each of ``finetune_epochs``: train steps of last block + head on the n_train cached
  activations (``pancancer.trainable: all``: of the whole model on the gene images), then test
  steps on the n_val cached activations (gene images);
* the checkpoint save.

Early stopping is ignored (every epoch runs: an upper bound; with ``patience`` p a phase runs
at least min(epochs, p + 1) epochs).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from .options import IG_METHODS

# TCGA PanCanAtlas: ~11,000 tumours of 33 types, the EB++ matrix's 20,531 genes.
TCGA_SAMPLES = 11_000
TCGA_CLASSES = 33
TCGA_GENES = 20_531
# Checkpoint.predict_proba's batch (evaluate_backbone predicts the test set with it).
EVAL_BATCH_SIZE = 64
# The adaptive IG rule's Gauss-Lobatto points per interval and samples per block
# (tcgatl.pancancer.ig imports them from here, the one place they are set).
ADAPTIVE_POINTS = 3
ADAPTIVE_BLOCK = 256
# ig.max_evaluations is the mean budget of a block of samples; one sample may use this many
# times it (the demo's hardest sample needed 48 evaluations, the mean 20).
ADAPTIVE_SAMPLE_FACTOR = 4
# What a job pays to import TensorFlow and Keras when not measured.
DEFAULT_STARTUP_S = 10.0


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
    """Sizes of a pancancer_split table: anything with columns ``label`` and ``split`` (a
    pandas DataFrame, a dict of lists); test images per class in label order."""
    counts: dict[str, int] = {}
    test: dict[str, int] = {}
    for label, split in zip(table["label"], table["split"]):
        counts[split] = counts.get(split, 0) + 1
        if split == "test":
            test[label] = test.get(label, 0) + 1
    return Sizes(
        counts.get("train", 0), counts.get("val", 0), counts.get("test", 0), tuple(test[k] for k in sorted(test))
    )


def training_images(n_train: int, n_val: int, head_epochs: int, finetune_epochs: int) -> dict[str, int]:
    """Images each step of train_backbone processes (see the module docstring), every epoch run."""
    return {
        "frozen_pass": n_train + n_val,  # cache_activations: Parts.lower over train, then val
        "tail_features": n_train + n_val,  # Parts.tail over both caches: phase 1's pooled features
        "head_train": head_epochs * n_train,  # phase 1 train steps
        "head_val": head_epochs * n_val,  # phase 1 validation (test steps) after every epoch
        "finetune_train": finetune_epochs * n_train,  # phase 2 train steps
        "finetune_val": finetune_epochs * n_val,  # phase 2 validation after every epoch
    }


def ig_points(steps: int, method: str = "trapezoid", max_evaluations: int | None = None) -> int:
    """Gradient evaluations per sample (ig.evaluations, without NumPy): steps + 1 (trapezoid),
    steps + 2 (Gauss-Legendre: its nodes exclude the ends, appended for F(x) and F(baseline)),
    and for 'adaptive' its budget ``max_evaluations`` (ig.max_evaluations): the most a job's
    samples may use on average, which jobs are sized for, not the mean a run happens to need."""
    if method not in IG_METHODS:
        raise ValueError(f"unknown Integrated Gradients method {method!r}; expected one of {', '.join(IG_METHODS)}")
    if method == "adaptive":
        if max_evaluations is None or int(max_evaluations) != max_evaluations or max_evaluations < 1:
            raise ValueError(f"the adaptive rule needs a whole max_evaluations >= 1, got {max_evaluations!r}")
        return int(max_evaluations)
    if int(steps) != steps or steps < 1:
        raise ValueError(f"Integrated Gradients needs a whole number of steps >= 1, got {steps!r}")
    return int(steps) + (1 if method == "trapezoid" else 2)


def ig_samples(test_per_class, max_per_class: int) -> int:
    """Samples IG explains: at most ``max_per_class`` test samples per class (an upper bound:
    only correctly classified ones are explained)."""
    return sum(min(max_per_class, n) for n in test_per_class)


def ig_evaluations(n_samples: int, steps: int, method: str, max_evaluations: int | None = None) -> int:
    """Gradient evaluations computed: samples x path points (short batches are not padded), and
    for the adaptive rule its budget, ``max_evaluations`` per sample, which a block of samples
    shares and never exceeds."""
    return n_samples * ig_points(steps, method, max_evaluations)


def ig_traces(n_samples: int, steps: int, method: str, batch_size: int, max_evaluations: int | None = None) -> int:
    """Times the gradient function is traced: once for full batches, once more for any short
    one (ig._path_gradients: a relaxed trace serves every batch length); the adaptive rule's
    refinement rounds send short batches whatever the sizes."""
    if method == "adaptive":
        return 2
    return 1 + bool(ig_evaluations(n_samples, steps, method, max_evaluations) % batch_size)


def faithfulness_images(points: int) -> int:
    """Forward passes per sample of the deletion and insertion curves (faithfulness
    .images_per_sample, without NumPy): the image, the baseline, and 3 orders x 2 curves at
    every point in between; an upper bound (a small grid has fewer distinct points)."""
    return 2 + 6 * (int(points) - 2)


@dataclass(frozen=True)
class Workload:
    """What the config asks of every (layout, backbone): counts only."""

    sizes: Sizes
    head_epochs: int
    finetune_epochs: int
    bootstrap: int
    ig_steps: int
    ig_method: str
    ig_max_evaluations: int
    ig_max_per_class: int
    ig_batch_size: int
    layouts: int
    faithfulness_per_class: int = 5
    faithfulness_points: int = 8

    @classmethod
    def from_config(cls, config: dict, sizes: Sizes, layouts: int | None = None) -> "Workload":
        """From a validated config (tcgatl.config.load or Snakemake's: the schema fills in
        every default)."""
        pc, ig_cfg = config["pancancer"], config["ig"]
        return cls(
            sizes,
            head_epochs=pc["head_epochs"],
            finetune_epochs=pc["finetune_epochs"],
            bootstrap=pc["bootstrap"],
            ig_steps=ig_cfg["steps"],
            ig_method=ig_cfg["method"],
            ig_max_evaluations=ig_cfg["max_evaluations"],
            ig_max_per_class=ig_cfg["max_per_class"],
            ig_batch_size=ig_cfg["batch_size"],
            layouts=len(pc["layouts"]) if layouts is None else layouts,
            faithfulness_per_class=ig_cfg["faithfulness_per_class"],
            faithfulness_points=ig_cfg["faithfulness_points"],
        )


@dataclass
class Rates:
    """What tcgatl.tools.timing measured for one backbone. Rates are per image (or per
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
    finetune_train_ips: float  # phase 2 train steps (last block + head on the cache, or all: the whole model)
    finetune_val_ips: float  # phase 2 test steps
    forward_ips: float  # whole model on gene images (evaluate)
    ig_eps: float  # IG gradient evaluations/s (ig.integrated_gradients)
    build_s: float  # models.build + Parts.of
    save_s: float  # checkpoint.save's model (train_backbone's checkpoint)
    load_s: float  # keras.models.load_model (evaluate and IG load the checkpoint)
    trainable: str  # what phase 2 trained (pancancer.trainable)
    precision: str = "float32"  # the backbone's dtype policy (pancancer.precision, resolved)
    trace_s: dict[str, float] = field(default_factory=dict)  # first call minus a steady batch, per step
    cpu_utilisation: float = 1.0  # process CPU / (wall x threads) over the timed batches: < 1 on a busy machine

    @property
    def cache_bytes_per_image(self) -> int:
        return 4 * math.prod(self.activation_shape)  # float32 (training.forward writes float32)


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
    """Projected seconds of train_backbone, evaluate_backbone and integrated_gradients (its
    deletion and insertion curves included) for one backbone, then their total: one row each. Each rule runs once per layout (``jobs``);
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
    evals = ig_evaluations(n_ig, work.ig_steps, work.ig_method, work.ig_max_evaluations)
    traces = ig_traces(n_ig, work.ig_steps, work.ig_method, work.ig_batch_size, work.ig_max_evaluations)
    n_curves = ig_samples(s.test_per_class, min(work.ig_max_per_class, work.faithfulness_per_class))
    curve_images = n_curves * faithfulness_images(work.faithfulness_points)
    ig_parts = {
        "startup": startup_s,
        "load": rates.load_s,
        "gradients": evals / rates.ig_eps + traces * rates.trace_s.get("ig", 0.0),
        "curves": curve_images / rates.forward_ips + rates.trace_s.get("forward", 0.0),
    }
    rows.append(
        _rule(
            b,
            "integrated_gradients",
            work.layouts,
            ig_parts,
            t,
            f"{n_ig} samples x {ig_points(work.ig_steps, work.ig_method, work.ig_max_evaluations)} points "
            f"({work.ig_method}{', at most' if work.ig_method == 'adaptive' else ''}) = {evals} grads; "
            f"curves {n_curves} x {faithfulness_images(work.faithfulness_points)} = {curve_images} img",
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
