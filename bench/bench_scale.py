"""Full TCGA scale: per-rule wall time and peak memory of a config/scale.yaml run, the data
stages against their targets, and the cost projection (``tcgatl-project``) against the
deep-learning rules measured in the same run.

Reads Snakemake's ``benchmark:`` files (wall seconds, ``max_rss``, CPU seconds) of a run
directory; ``--run`` first runs the whole workflow there on 2 cores (about 55 min, 11 GB of
disk). Prints one row per job, the data stages' sum (raw files to images and the baseline;
the generator and the methylation stream reported on their own rows) against <= 20 min wall
and <= 12 GB peak, and with ``--project`` the projection's seconds per deep-learning rule next
to the measured ones (target: within 30%).

    .venv/bin/python bench/bench_scale.py --directory ../scale [--run] [--project]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path

import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
# Raw files -> images and baseline; the generator stands in for the downloads, and methylation
# streaming is reported separately (its cost grows with the file's width: bench_methylation_stream).
DATA_STAGES = ("clinical_table", "features/mrna", "features/mirna", "pancancer/split", "layout", "images", "baseline")


def benchmarks(directory: Path) -> pd.DataFrame:
    rows = []
    root = directory / "results" / "benchmarks"
    for f in sorted(root.rglob("*.tsv")):
        b = pd.read_csv(f, sep="\t").iloc[-1]
        job = str(f.relative_to(root).with_suffix(""))
        rows.append({"job": job, "wall_s": b["s"], "max_rss_mb": b["max_rss"], "cpu_s": b["cpu_time"]})
    return pd.DataFrame(rows)


def is_data_stage(job: str) -> bool:
    return any(job == s or job.endswith("/" + s) or job.startswith(s) for s in DATA_STAGES)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--directory", default=str(ROOT.parent / "scale"))
    ap.add_argument("--run", action="store_true", help="run config/scale.yaml there first")
    ap.add_argument("--project", action="store_true", help="compare with tcgatl-project's projection")
    args = ap.parse_args()
    d = Path(args.directory)
    if args.run:
        cmd = [str(Path(sys.executable).parent / "snakemake"), "-s", str(ROOT / "Snakefile"), "--cores", "2"]
        subprocess.run([*cmd, "--configfile", str(ROOT / "config" / "scale.yaml"), "--directory", str(d)], check=True)
    t = benchmarks(d)
    if t.empty:  # `make bench` runs every script: the hour-long run is asked for explicitly
        print(f"no full-size run under {d}: add --run to run config/scale.yaml there (about 55 min on 2 cores)")
        return
    pd.set_option("display.width", 160)
    print(t.to_string(index=False, float_format=lambda v: f"{v:,.1f}"))
    data = t[t["job"].map(is_data_stage)]
    print(
        f"\nData stages ({len(data)} jobs: {', '.join(data['job'])}):\n"
        f"  wall {data['wall_s'].sum() / 60:.1f} min summed as if run one after another (target <= 20 min), "
        f"peak {data['max_rss_mb'].max() / 1024:.1f} GB (target <= 12 GB)"
    )
    for job in ("demo_data", "features/methylation"):
        if (row := t[t["job"] == job]).size:
            r = row.iloc[0]
            print(f"  {job}: {r['wall_s'] / 60:.1f} min, peak {r['max_rss_mb'] / 1024:.2f} GB (reported separately)")
    print(f"All jobs: {t['wall_s'].sum() / 3600:.2f} h wall summed, {t['cpu_s'].sum() / 3600:.2f} CPU h")
    if args.project:
        out = d / "projection.json"
        exe = Path(sys.executable).parent / "tcgatl-project"
        split = d / "results" / "pancancer" / "split.tsv"
        cmd = [str(exe), "--configfile", str(ROOT / "config" / "scale.yaml"), "--split", str(split), "--json", str(out)]
        subprocess.run(cmd, check=True)
        compare(t, json.loads(out.read_text()), d)


RULE_JOBS = {"train_backbone": "train", "evaluate_backbone": "evaluate", "integrated_gradients": "ig"}


def compare(measured: pd.DataFrame, projection: dict, directory: Path) -> None:
    """Projected vs measured seconds per deep-learning job. The projection counts every
    configured epoch; early stopping ends training sooner, so the training rows are re-projected
    with the epochs each job ran (its history.tsv), which checks the per-epoch rates."""
    print("\nProjection vs measured (seconds per job):")
    work = projection["workload"]
    worst = 0.0
    for row in projection["projection"]:
        if row["rule"] not in RULE_JOBS:
            continue
        suffix = f"{row['backbone']}/{RULE_JOBS[row['rule']]}"
        for job in measured[measured["job"].str.endswith(suffix)].itertuples():
            parts = dict(row["parts_s"])
            note = ""
            if row["rule"] == "train_backbone":
                history = pd.read_csv(directory / "results" / job.job.replace("/train", "/history.tsv"), sep="\t")
                ran = history["phase"].value_counts()
                traces = next(r["trace_s"] for r in projection["rates"] if r["backbone"] == row["backbone"])
                for phase, configured in (("head", work["head_epochs"]), ("finetune", work["finetune_epochs"])):
                    for part in (f"{phase}_train", f"{phase}_val"):
                        once = traces.get(part, 0.0)  # the first call's trace: paid once, whatever the epochs
                        per_epochs = parts.get(part, once) - once
                        parts[part] = once + per_epochs * ran.get(phase, 0) / max(configured, 1)
                note = f" ({ran.get('head', 0)} head + {ran.get('finetune', 0)} finetune epochs ran)"
            projected = sum(parts.values())
            ratio = projected / job.wall_s
            worst = max(worst, abs(ratio - 1))
            print(f"  {job.job}: projected {projected:,.0f}, measured {job.wall_s:,.0f}, ratio {ratio:.2f}{note}")
    print(f"Largest deviation: {worst:.0%} (target <= 30%)")


if __name__ == "__main__":
    main()
