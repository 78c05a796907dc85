"""Does one demo run show the studies' MOTLAB finding? The demo's own verdict over data seeds.

For each data seed (config/demo.yaml with ``demo.seed`` replaced; seed 7 is `make run`'s own
data), the demo's files are generated and the MOTLAB cohort built as the workflow builds it
(its QC, features, top CpGs, endpoint and horizon), then ``independent``, ``finetune`` and
``mixture`` run without SMOTE with the demo's MOTLAB settings and seed, and the comparison the
report's ``auroc_paired.tsv`` makes is taken: finetune - independent on AA patients, with its
95% patient-bootstrap interval (``motlab.paired_bootstrap`` draws). A seed shows the finding
when that interval lies above zero and mixture's EA AUROC exceeds its AA AUROC (mean over
repeats). Without SMOTE, a scheme's predictions are those the workflow makes (each SMOTE option
draws from its own seeded stream), so the seed-7 row is the verdict of `make run`'s report.

Seeds run ``--jobs`` at a time, each process with one thread (TensorFlow and BLAS), as the
workflow's ``threads: 1`` jobs run: on 2 cores two single-threaded processes take about a third of
the time of two that each start a thread per core.

Prints one row per seed and the count of seeds that show the finding:

    .venv/bin/python bench/bench_demo_motlab.py [--seeds 1-10] [--jobs 2] [--config config/demo.yaml]
"""

from __future__ import annotations

import argparse
import copy
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

from tcgatl.logs import prepare_environment

# The thread settings must come before numpy and TensorFlow load (they read them once), hence
# the imports below them.
# ruff: noqa: E402
prepare_environment(threads=1)

import numpy as np
import pandas as pd

from tcgatl import config
from tcgatl.inputs import clinical, demo, matrix, methylation, qc
from tcgatl.inputs.demo_params import DemoParams
from tcgatl.motlab import cohort, labels, paired
from tcgatl.motlab.evaluate import Data, Settings, auroc_table, run_scheme

ROOT = Path(__file__).resolve().parents[1]
SCHEMES = ("independent", "finetune", "mixture")


def demo_data(cfg: dict, out: Path) -> Data:
    """The demo's MOTLAB cohort of ``cfg`` labelled for its first endpoint and horizon, built
    as the rules features_*, motlab_cohort and motlab_labels build it."""
    paths = demo.generate(out, DemoParams.from_config(cfg["demo"]))
    cdr = clinical.read_cdr(paths["clinical"])
    quality = qc.read_sample_quality(paths["sample_quality"])
    mot, feats = cfg["motlab"], cfg["features"]
    qcfg = {**cfg["qc"], "types": []}
    layers = {
        "mrna": matrix.build(paths["expression"], quality=quality, cdr=cdr, qc=qcfg, features=feats)[0],
        "mirna": matrix.build(paths["mirna"], quality=quality, cdr=cdr, qc=qcfg, features=feats, skip=("Correction",))[
            0
        ],
        "methylation": methylation.build(
            paths["methylation"], quality=quality, cdr=cdr, qc=qcfg, cancer_type=mot["cancer_type"], top=mot["top_cpgs"]
        )[0],
    }
    table, _ = cohort.build_cohort(layers, cdr, mot["cancer_type"])
    lab = labels.labelled(labels.cohort_labels(table, cdr, mot["endpoints"][0], mot["years"][0]))
    ix = table.set_index("patient")
    frames = {n: x.loc[ix[n].to_numpy()].set_axis(ix.index) for n, x in layers.items()}
    return Data.from_frames(frames, lab)


def one_seed(cfg: dict, seed: int, workdir: Path) -> dict:
    cfg = copy.deepcopy(cfg)
    cfg["demo"]["seed"] = seed
    t0 = time.time()
    data = demo_data(cfg, workdir / f"seed{seed}")
    settings = Settings.from_config(cfg["motlab"])
    oof = pd.concat(
        [run_scheme(s, data, settings, cfg["seed"], smote_options=(False,))[0].assign(scheme=s) for s in SCHEMES]
    )
    auc = pd.concat([auroc_table(g).assign(scheme=s) for s, g in oof.groupby("scheme")])
    mean = auc.groupby(["scheme", "population"])["auroc"].mean()
    cmp = paired.compare(
        oof, ("finetune", "nosmote"), ("independent", "nosmote"), cfg["motlab"]["paired_bootstrap"], cfg["seed"]
    )
    aa = data.y[data.aa]
    row = {
        "seed": seed,
        "aa_patients": int(data.aa.sum()),
        "aa_events": int(aa.sum()),
        "ea_patients": int((~data.aa).sum()),
        "ea_events": int(data.y[~data.aa].sum()),
        "independent_aa": mean["independent", "AA"],
        "finetune_aa": mean["finetune", "AA"],
        "finetune_minus_independent": cmp["mean_difference"],
        "ci95_low": cmp["patients_ci95_low"],
        "ci95_high": cmp["patients_ci95_high"],
        "mixture_ea": mean["mixture", "EA"],
        "mixture_aa": mean["mixture", "AA"],
        "seconds": time.time() - t0,
    }
    row["shows_finding"] = bool(row["ci95_low"] > 0 and row["mixture_ea"] > row["mixture_aa"])
    return row


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--config", default=str(ROOT / "config" / "demo.yaml"))
    ap.add_argument("--seeds", default="1-10", help="data seeds, first-last")
    ap.add_argument("--jobs", type=int, default=2, help="seeds run at a time, one process and one thread each")
    args = ap.parse_args(argv)
    cfg = config.load(args.config)
    first, last = map(int, args.seeds.split("-"))
    seeds = range(first, last + 1)
    rows = []
    with tempfile.TemporaryDirectory(prefix="bench_demo_motlab_") as tmp, ProcessPoolExecutor(args.jobs) as pool:
        for r in pool.map(one_seed, [cfg] * len(seeds), seeds, [Path(tmp)] * len(seeds)):
            rows.append(r)
            print(
                f"seed {r['seed']:2d}: AA {r['aa_patients']} patients, {r['aa_events']} events; "
                f"finetune - independent {r['finetune_minus_independent']:+.3f} "
                f"[{r['ci95_low']:+.3f}, {r['ci95_high']:+.3f}]; mixture EA {r['mixture_ea']:.3f} "
                f"AA {r['mixture_aa']:.3f}; {'shows' if r['shows_finding'] else 'does not show'} the finding "
                f"({r['seconds']:.0f} s)",
                flush=True,
            )
    df = pd.DataFrame(rows)
    print(
        f"\n{int(df['shows_finding'].sum())} of {len(df)} data seeds show the finding in one run "
        f"(demo.brca_patients={cfg['demo']['brca_patients']}, regime {cfg['demo']['regime']}); "
        f"mean AA events {df['aa_events'].mean():.1f}, mean finetune - independent "
        f"{df['finetune_minus_independent'].mean():+.3f}, mean independent AA {df['independent_aa'].mean():.3f}, "
        f"finetune AA {df['finetune_aa'].mean():.3f}, mixture EA - AA {np.mean(df['mixture_ea'] - df['mixture_aa']):+.3f}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
