"""Phase 2 of training alone, cached and uncached: the two paths that tests/test_training.py
and bench/bench_finetune_cache.py compare (the workflow runs the cached one inside
tcgatl.pancancer.training.train)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from ..pancancer import training


def train_finetune_uncached(model, backbone_name: str, x_train, y_train, x_val, y_val, cfg) -> pd.DataFrame:
    """Phase 2 the straightforward way (whole model on gene images, same frozen layers,
    same batches): the reference the benchmark compares the cached path with."""
    training.seed_everything(cfg.seed)
    rows: list[dict] = []
    parts = training.Parts.of(model, backbone_name)
    training._finetune(parts, x_train, y_train, x_val, y_val, cfg, rows, None, on="images")
    return pd.DataFrame(rows)


def finetune_cached(
    model, backbone_name: str, x_train, y_train, x_val, y_val, cfg, cache_dir: Path
) -> tuple[pd.DataFrame, float]:
    """Phase 2 alone on cached activations; returns the history and the caching time."""
    training.seed_everything(cfg.seed)
    parts = training.Parts.of(model, backbone_name)
    a_train, a_val, cache_seconds = training.cache_activations(parts, x_train, x_val, cache_dir, cfg.batch_size)
    rows: list[dict] = []
    training._finetune(parts, a_train, y_train, a_val, y_val, cfg, rows, None, on="cache")
    return pd.DataFrame(rows), cache_seconds
