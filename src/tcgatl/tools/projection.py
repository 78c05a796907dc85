"""``tcgatl-project``: what the pan-cancer deep-learning rules will cost on this machine, before
committing hours.

``tcgatl-project --configfile config/config.yaml`` times a few batches of every step of
train_backbone, evaluate_backbone and integrated_gradients on random inputs, for each
configured backbone at the config's image_size and batch sizes (tcgatl.tools.timing, through
the training code itself), then multiplies the measured rates by the work the config implies
(tcgatl.pancancer.costs) and prints both as tables.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import logging
import math
import os
import subprocess
import sys
import time
from dataclasses import asdict
from pathlib import Path

from ..pancancer.costs import (
    DEFAULT_STARTUP_S,
    EVAL_BATCH_SIZE,
    TCGA_CLASSES,
    TCGA_GENES,
    TCGA_SAMPLES,
    Rates,
    Workload,
    grid_side,
    project,
    sizes_from_split,
    split_sizes,
    total_row,
)

log = logging.getLogger("tcgatl.tools.projection")


def time_startup() -> float:
    """Seconds a fresh interpreter takes to import tensorflow and keras (every job pays it); measured
    before this process imports them."""
    code = "import time; t = time.perf_counter(); import tensorflow, keras; print(time.perf_counter() - t)"
    env = os.environ | {"TF_CPP_MIN_LOG_LEVEL": "3"}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True)
    return float(out.stdout.strip().splitlines()[-1])


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


def _changed(cfg: dict, settings: list[str], config_mod) -> dict:
    """A copy of the validated ``cfg`` with ``SECTION.KEY=VALUE`` settings (YAML values), validated."""
    import copy

    import yaml

    raw = copy.deepcopy(cfg)
    for item in settings:
        key, sep, value = item.partition("=")
        section, dot, name = key.partition(".")
        if not sep or not dot or section not in raw or not isinstance(raw[section], dict):
            raise ValueError(f"expected SECTION.KEY=VALUE with a config section, got {item!r}")
        raw[section][name] = yaml.safe_load(value)
    return config_mod.validate(raw, source="--against")


def main(argv=None) -> int:
    import yaml

    from .. import config as config_mod
    from ..commandline import READING_ERRORS, fail
    from ..errors import ConfigError, InputError
    from ..logs import quiet_framework_imports
    from ..pancancer.options import BACKBONES

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
    p.add_argument(
        "--batches",
        type=int,
        default=3,
        help="batches per timed call, after a warm-up call (default 3); a timed training epoch runs 8x as many "
        "(phase 2 with trainable: all, as many)",
    )
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
    p.add_argument(
        "--json",
        help="also write rates and projection to this JSON file; `resources: {rates: [FILE]}` in the config then "
        "sizes the TensorFlow jobs' runtime from these rates (tcgatl.jobs)",
    )
    p.add_argument(
        "--against",
        nargs="+",
        metavar="SECTION.KEY=VALUE",
        help="also project the config with these settings changed (YAML values), timed in the same run, and "
        "print its totals beside the config's with their ratio: e.g. the former defaults, "
        "--against pancancer.precision=float32 ig.method=trapezoid ig.steps=64",
    )
    a = p.parse_args(argv)
    for name in ("batches", "batch_size", "genes", "samples", "classes", "threads"):
        if getattr(a, name) is not None and getattr(a, name) < 1:
            p.error(f"--{name.replace('_', '-')} must be >= 1")

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s", datefmt="%H:%M:%S", stream=sys.stderr)
    quiet_framework_imports()
    try:
        cfg = config_mod.load(a.configfile)
    except (*READING_ERRORS, yaml.YAMLError) as exc:
        return fail(p.prog, exc, a.configfile)
    try:
        other = _changed(cfg, a.against, config_mod) if a.against else None
    except (ConfigError, ValueError, yaml.YAMLError) as exc:
        return fail(p.prog, exc, "--against")
    pc = cfg["pancancer"]
    if a.split:
        import pandas as pd

        try:
            split = pd.read_csv(a.split, sep="\t", dtype=str)
        except READING_ERRORS as exc:
            return fail(p.prog, exc, a.split)
        lacking = sorted({"label", "split"} - set(split.columns))
        if lacking:
            problem = f"no column {', '.join(lacking)} (not a pancancer_split table? found {list(split.columns)[:6]})"
            return fail(p.prog, InputError(a.split, problem))
        sizes = sizes_from_split(split)
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

    from ..pancancer import training
    from .timing import time_backbone, time_bootstrap

    if a.threads:
        try:
            tf.config.threading.set_intra_op_parallelism_threads(a.threads)
            tf.config.threading.set_inter_op_parallelism_threads(a.threads)
        except RuntimeError as exc:  # TensorFlow already initialised (e.g. main called in a test)
            log.warning("--threads ignored: %s", exc)
    bootstrap_s = time_bootstrap(sizes.n_test, sizes.n_classes) if work.bootstrap else 0.0
    train_cfg = training.TrainConfig.from_config(pc, cfg["seed"])
    if a.batch_size:
        train_cfg = dataclasses.replace(train_cfg, batch_size=a.batch_size)

    def timed(name, tcfg, c):
        t0 = time.perf_counter()
        r = time_backbone(
            name,
            (side, side),
            sizes.n_classes,
            tcfg,
            size=c["pancancer"]["image_size"],
            eval_batch_size=a.batch_size or EVAL_BATCH_SIZE,
            ig_batch_size=a.batch_size or c["ig"]["batch_size"],
            batches=a.batches,
        )
        log.info("%s (%s) timed in %.0f s", name, r.precision, time.perf_counter() - t0)
        return r

    all_rates, rows, other_rows = [], [], []
    if other is not None:
        other_train = training.TrainConfig.from_config(other["pancancer"], other["seed"])
        if a.batch_size:
            other_train = dataclasses.replace(other_train, batch_size=a.batch_size)
        other_work = Workload.from_config(other, sizes)
        same_timing = other_train == train_cfg and other["pancancer"]["image_size"] == pc["image_size"]
    for name in backbones:
        r = timed(name, train_cfg, cfg)
        all_rates.append(r)
        rows += project(r, work, startup_s, bootstrap_s)
        if other is not None:
            r2 = r if same_timing else timed(name, other_train, other)
            other_rows += project(r2, other_work, startup_s, bootstrap_s)
    grand = [total_row(rows)] if len(all_rates) > 1 else []

    s = sizes
    print(
        f"{a.configfile}: {source} -> {s.n_train} train, {s.n_val} val, {s.n_test} test images of "
        f"{s.n_classes} classes; gene grid {side}x{side} ({a.genes:,} genes) resized to "
        f"{pc['image_size']}x{pc['image_size']}; {work.layouts} layout(s) {pc['layouts']}; "
        f"{all_rates[0].threads} thread(s); phase 2 trains {train_cfg.trainable} ("
        f"{'the whole model on the gene images' if train_cfg.trainable == 'all' else 'on the cached activations'}). "
        "Timed with weights: none (ImageNet weights do not change the cost)."
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
    if other is not None:
        print()
        print(f"Against {' '.join(a.against)} (timed in this run)")
        print(format_projection(other_rows + ([total_row(other_rows)] if len(all_rates) > 1 else [])))
        new, old = total_row(rows), total_row(other_rows)
        per_rule = {
            rule: (
                sum(r["cpu_h"] for r in rows if r["rule"] == rule),
                sum(r["cpu_h"] for r in other_rows if r["rule"] == rule),
            )
            for rule in dict.fromkeys(r["rule"] for r in rows if r["rule"] != "total")
        }
        print(
            f"\nCPU hours: {new['cpu_h']:.2f} (this config) vs {old['cpu_h']:.2f} (against): ratio "
            f"{new['cpu_h'] / old['cpu_h']:.3f} (1/{old['cpu_h'] / new['cpu_h']:.2f}); per rule: "
            + ", ".join(f"{rule} {n:.2f} vs {o:.2f}" for rule, (n, o) in per_rule.items())
        )
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
        if other is not None:
            doc["against"] = {"settings": a.against, "projection": other_rows}
        try:
            Path(a.json).write_text(json.dumps(doc, indent=2, default=float))
        except OSError as exc:
            return fail(p.prog, exc, f"cannot write {a.json}")
        print(f"\n-> {a.json}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
