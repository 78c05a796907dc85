"""MOTLAB's target-phase settings on small targets: fixed settings against the inner CV, paired.

Issue 33's regime: AA 45-75 labelled patients with 8-12 events, EA ~300 with 30-60 events.
Each task is a synthetic cohort (a shared signature, an AA-specific part, an ancestry shift on
30% of the features, three layers; signal strength and sizes drawn per task). On every task the
same folds score ``finetune`` (no SMOTE) twice: with the target phase fixed at the source
phase's settings (TL4HDR's: learning rate 0.01, 100 epochs, nothing frozen) and with the
schema's default candidates chosen by inner CV on the AA training fold. Prints the AA AUROC of
both per task, the mean paired difference with a 95% bootstrap interval over tasks, and whether
the inner CV meets the issue's rule for a default (interval above -0.01).

    .venv/bin/python bench/bench_motlab_small_target.py [--tasks 20] [--folds 5] [--repeats 2]
"""

from __future__ import annotations

import argparse
import sys
import time

import numpy as np
import pandas as pd

from tcgatl import config
from tcgatl.motlab.evaluate import Data, Settings, auroc_table, run_scheme


def task(seed: int) -> tuple[Data, dict]:
    rng = np.random.default_rng(seed)
    n_ea, n_aa = 300, int(rng.integers(45, 76))
    ea_rate, aa_events = rng.uniform(0.10, 0.20), int(rng.integers(8, 13))
    load, aa_specific = rng.uniform(0.15, 0.4), rng.uniform(0.0, 0.8)
    n = n_ea + n_aa
    aa = np.r_[np.zeros(n_ea, bool), np.ones(n_aa, bool)]
    z, z_aa = rng.standard_normal(n), rng.standard_normal(n)
    risk = z + np.where(aa, aa_specific, 0.0) * z_aa + 0.6 * rng.standard_normal(n)
    y = np.zeros(n, int)
    y[np.flatnonzero(~aa)[np.argsort(-risk[~aa])[: int(round(ea_rate * n_ea))]]] = 1
    y[np.flatnonzero(aa)[np.argsort(-risk[aa])[:aa_events]]] = 1
    blocks, names = {}, {}
    for name, k in zip(("mrna", "mirna", "methylation"), (120, 80, 100)):
        x = rng.standard_normal((n, k)).astype(np.float32)
        x[:, :5] += load * z[:, None]
        x[:, 5:8] += load * z_aa[:, None]
        x[np.ix_(aa, rng.random(k) < 0.3)] += 1.0
        blocks[name], names[name] = x, np.array([f"{name}_{j}" for j in range(k)])
    facts = {"aa": n_aa, "aa_events": aa_events, "ea_events": int(y[~aa].sum()), "load": load}
    return Data(np.array([f"P{i:03d}" for i in range(n)]), blocks, names, y, aa), facts


def aa_auroc(data: Data, settings: Settings, seed: int) -> float:
    oof, _ = run_scheme("finetune", data, settings, seed=seed, smote_options=(False,))
    a = auroc_table(oof)
    return float(a.loc[a["population"] == "AA", "auroc"].mean())


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--tasks", type=int, default=20)
    p.add_argument("--folds", type=int, default=5)
    p.add_argument("--repeats", type=int, default=2)
    p.add_argument("--features", type=int, default=50, help="features_per_layer (default 50)")
    a = p.parse_args(argv)
    base = config.defaults()["motlab"] | {"features_per_layer": a.features, "folds": a.folds, "repeats": a.repeats}
    variants = {
        "fixed": Settings.from_config(base | {"tune_learning_rates": None, "tune_frozen_layers": None}),
        "inner_cv": Settings.from_config(base),  # the schema's candidates, chosen by inner CV
    }
    rows = []
    for t in range(a.tasks):
        data, facts = task(1000 + t)
        row = {"task": t, **facts}
        for name, s in variants.items():
            t0 = time.perf_counter()
            row[name] = aa_auroc(data, s, seed=t)
            row[f"{name}_s"] = time.perf_counter() - t0
        rows.append(row)
        print(
            f"task {t:2d}: AA {facts['aa']} ({facts['aa_events']} events), EA {facts['ea_events']} events: "
            f"fixed {row['fixed']:.3f}, inner CV {row['inner_cv']:.3f}",
            flush=True,
        )
    df = pd.DataFrame(rows)
    diff = (df["inner_cv"] - df["fixed"]).to_numpy()
    rng = np.random.default_rng(0)
    boot = rng.choice(diff, (10_000, len(diff))).mean(axis=1)
    lo, hi = np.quantile(boot, [0.025, 0.975])
    print()
    print(df.round(3).to_string(index=False))
    print(
        f"\nmean AA AUROC: fixed {df['fixed'].mean():.3f}, inner CV {df['inner_cv'].mean():.3f}; "
        f"inner CV - fixed {diff.mean():+.3f} [{lo:+.3f}, {hi:+.3f}] (95% bootstrap over {len(df)} tasks); "
        f"inner CV better on {(diff > 0).sum()} of {len(df)} tasks; "
        f"time per task {df['fixed_s'].mean():.0f} s vs {df['inner_cv_s'].mean():.0f} s"
    )
    meets = lo > -0.01
    print(f"inner CV as the default (interval above -0.01): {'met' if meets else 'not met'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
