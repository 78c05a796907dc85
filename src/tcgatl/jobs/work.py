"""What one job will do, measured from its real inputs and the config: the quantities that
``model`` multiplies by fitted coefficients.

Quantities (every one is per job):

* ``input_mb``: MB of all its input files (text parsing, hashing);
* ``cells_m``: millions of cells of the feature matrix it reads (Parquet metadata: rows x
  columns), ``similarity_genes2_m``: genes squared / 1e6 for the similarity layout (its
  gene-gene correlations), 0 for the alphabetical one;
* ``projected_s``: the TensorFlow rules' seconds as ``tcgatl.pancancer.costs`` projects them
  from the job's image counts (the .npy headers), the config (epochs, IG steps and method,
  samples per class) and the timed rates of its backbone at its image size (``rates``), for
  the job's TensorFlow threads;
* ``batch_mpx``: megapixels of one batch at the model's input size (activations in memory);
  ``mapped_mb``: MB of the gene images the job memory-maps (their pages count as resident);
  ``cache_mb``: MB of the activation cache train_backbone writes, memory-maps and deletes;
  ``explained_mpx``: megapixels of the gene images IG explains (its attribution files);
* ``fits``: models a MOTLAB job trains (folds x repeats, or schemes x SMOTE choices);
* ``raw_mb``: MB of the raw inputs the report hashes; ``size_mb``: a download's size.

A quantity needs its input files: when Snakemake plans a job whose inputs do not exist yet, the
FileNotFoundError raised here (naming the input) makes it show the request as <TBD> and compute
it when the job is ready to run.
"""

from __future__ import annotations

import errno
import math
import os
from collections import Counter

from ..pancancer import costs
from . import rates as rates_mod
from .model import rule_key

MB = 1e6


def _files(input) -> list[str]:
    """Every file of a Snakemake input (a Namedlist) or of a dict of paths / lists of paths."""
    if isinstance(input, dict):
        out = []
        for v in input.values():
            out += [v] if isinstance(v, (str, os.PathLike)) else list(v)
        return [str(f) for f in out]
    return [str(f) for f in input]


def _need(path) -> str:
    path = str(path)
    if not os.path.exists(path):
        raise FileNotFoundError(errno.ENOENT, "input not there yet", path)
    return path


def size_mb(paths) -> float:
    return sum(os.path.getsize(_need(p)) for p in paths) / MB


def matrix_shape(path) -> tuple[int, int]:
    """(rows, columns) of a Parquet feature matrix, from its footer."""
    import pyarrow.parquet as pq

    meta = pq.read_metadata(_need(path))
    return meta.num_rows, meta.num_columns


def npy_shape(path) -> tuple[int, ...]:
    """Shape of a .npy array (memory-mapped: only its header is read)."""
    import numpy as np

    return tuple(np.load(_need(path), mmap_mode="r").shape)


def _cells_m(paths) -> float:
    return sum(math.prod(matrix_shape(p)) for p in paths) / MB


def _test_per_class(index_path) -> tuple[int, ...]:
    import csv

    with open(_need(index_path), newline="") as fh:
        counts = Counter(row["label"] for row in csv.DictReader(fh, delimiter="\t") if row["split"] == "test")
    return tuple(counts[k] for k in sorted(counts))


def input_only(input, wildcards, config, **extra) -> dict:
    return {"input_mb": size_mb(_files(input))}


def matrix_reader(input, wildcards, config, **extra) -> dict:
    return {"input_mb": size_mb(_files(input)), "cells_m": _cells_m([input["matrix"]])}


def gene_layout(input, wildcards, config, **extra) -> dict:
    rows, genes = matrix_shape(input["matrix"])
    similarity = getattr(wildcards, "layout", None) == "similarity"
    return {
        "input_mb": size_mb(_files(input)),
        "cells_m": rows * genes / MB,
        "similarity_genes2_m": genes**2 / MB if similarity else 0.0,
    }


def _tensorflow(rule: str, sizes: costs.Sizes, wildcards, config) -> dict:
    """projected_s of one TensorFlow job, and the image size's megapixels."""
    pc = config["pancancer"]
    timed = rates_mod.load(tuple(config["resources"]["rates"] or ()))
    r = timed.at(wildcards.backbone, pc["image_size"])
    work = costs.Workload.from_config(config, sizes, layouts=1)
    rows = costs.project(r, work, timed.startup_s, timed.bootstrap_s)
    seconds = next(row["wall_s_per_job"] for row in rows if row["rule"] == rule)
    # Timed with r.threads threads; a job with fewer is taken to be proportionally slower.
    seconds *= max(1.0, r.threads / config["resources"]["tensorflow_threads"])
    return {"projected_s": seconds, "px_m": pc["image_size"] ** 2 / MB, "rates": r}


def train_backbone(input, wildcards, config, **extra) -> dict:
    train, val = npy_shape(input["train"]), npy_shape(input["val"])
    t = _tensorflow("train_backbone", costs.Sizes(train[0], val[0], 0, ()), wildcards, config)
    return {
        "backbone": wildcards.backbone,
        "projected_s": t["projected_s"],
        "batch_mpx": config["pancancer"]["batch_size"] * t["px_m"],
        "mapped_mb": size_mb([input["train"], input["val"]]),
        "cache_mb": (train[0] + val[0]) * t["rates"].cache_bytes_per_image / MB,
    }


def evaluate_backbone(input, wildcards, config, **extra) -> dict:
    test = npy_shape(input["test"])
    t = _tensorflow("evaluate_backbone", costs.Sizes(0, 0, test[0], ()), wildcards, config)
    return {
        "backbone": wildcards.backbone,
        "projected_s": t["projected_s"],
        "batch_mpx": costs.EVAL_BATCH_SIZE * t["px_m"],
        "mapped_mb": size_mb([input["test"]]),
    }


def integrated_gradients(input, wildcards, config, **extra) -> dict:
    per_class = _test_per_class(input["index"])
    t = _tensorflow("integrated_gradients", costs.Sizes(0, 0, sum(per_class), per_class), wildcards, config)
    mapped = [input["test"]] + ([input["train"]] if config["ig"]["baseline"] == "train_mean" else [])
    grid = math.prod(npy_shape(input["test"])[1:])
    return {
        "explained_mpx": costs.ig_samples(per_class, config["ig"]["max_per_class"]) * grid / MB,
        "backbone": wildcards.backbone,
        "projected_s": t["projected_s"],
        "batch_mpx": config["ig"]["batch_size"] * t["px_m"],
        "mapped_mb": size_mb(mapped),
    }


def motlab_layers(input, wildcards, config, **extra) -> dict:
    return {"input_mb": size_mb(_files(input)), "cells_m": _cells_m(input["layers"])}


def motlab_fits(input, wildcards, config, **extra) -> dict:
    mot = config["motlab"]
    return {"cells_m": _cells_m(input["layers"]), "fits": mot["folds"] * mot["repeats"]}


def motlab_final_model(input, wildcards, config, **extra) -> dict:
    return {"cells_m": _cells_m(input["layers"]), "fits": 2 * len(config["motlab"]["schemes"])}


def metrics_report(input, wildcards, config, **extra) -> dict:
    raw = input["raw"]
    return {"input_mb": size_mb(_files(input)), "raw_mb": size_mb([raw] if isinstance(raw, str) else raw)}


def demo_data(input, wildcards, config, **extra) -> dict:
    from ..inputs.demo_params import volume

    rna_values, values = volume(config["demo"])
    return {"rna_values_m": rna_values / MB, "values_m": values / MB}


def download(input, wildcards, config, size=0, **extra) -> dict:
    return {"size_mb": (size or 0) / MB}


# Each rule's measure; a cross-validation copy (cv_*) is measured as its single-split rule.
MEASURES = {
    "demo_data": demo_data,
    "download_gdc": download,
    "imagenet_weights": download,
    "clinical_table": input_only,
    "outcomes_table": input_only,
    "layer_features": input_only,
    "methylation_features": input_only,
    "pancancer_split": input_only,
    "pancancer_cv_folds": input_only,
    "pancancer_fold_split": input_only,
    "pancancer_cv_summary": input_only,
    "gene_layout": gene_layout,
    "gene_images": matrix_reader,
    "baseline_logreg": matrix_reader,
    "de_ranking": matrix_reader,
    "train_backbone": train_backbone,
    "evaluate_backbone": evaluate_backbone,
    "integrated_gradients": integrated_gradients,
    "ig_de_agreement": input_only,
    "motlab_cohort": motlab_layers,
    "motlab_labels": input_only,
    "motlab_evaluate": motlab_fits,
    "motlab_final_model": motlab_final_model,
    "motlab_summary": input_only,
    "metrics_report": metrics_report,
}


def measure(rule: str, input, wildcards, config: dict, **extra) -> dict:
    """The quantities of one job of ``rule`` (its input files must exist; see the module
    docstring)."""
    return MEASURES[rule_key(rule)](input, wildcards, config, **extra)
