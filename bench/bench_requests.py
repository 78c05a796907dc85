"""Job requests against what the jobs used: every job of one or more finished runs.

For each job (a benchmark file under results/benchmarks with the request line its log records,
tcgatl.tools.runlog) it prints the request the cost model gives now for the job's measured
work (tcgatl.jobs; the coefficients in use, or --coefficients) next to the wall time, peak
resident memory and MB written that the benchmark measured, and the ratio used / requested.
The checks (issue 30):

* no job above its request (ratio <= 1) in runtime, memory or disk;
* no job that ran over 5 min (or peaked over 1 GB) requesting more than 3x its time (memory).

    .venv/bin/python bench/bench_requests.py --directory ../scale --directory ../bench224

Exits 1 when a check fails, 2 when a run cannot be read.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from tcgatl.jobs import model
from tcgatl.tools.runlog import read_run

ROOT = Path(__file__).resolve().parents[1]
# Each resource's request key and its seconds (MB) per request unit.
UNITS = {"runtime_s": ("runtime", 60.0), "mem_mb": ("mem_mb", 1.0), "disk_mb": ("disk_mb", 1.0)}
# Jobs this large must not ask for more than WASTE times what they used.
LARGE = {"runtime_s": 300.0, "mem_mb": 1000.0}
WASTE = 3.0


def rows_of(directory: Path, coefficients: model.Coefficients) -> list[dict]:
    rows = []
    for job in read_run(directory / "results"):
        if job.work is None:
            rows.append({"run": directory.name, "step": job.step, "rule": "(no request line: older code)"})
            continue
        request = coefficients.request(job.rule, job.work)
        row = {"run": directory.name, "step": job.step, "rule": job.rule}
        for resource, (key, scale) in UNITS.items():
            if resource in job.used:
                asked = request[key] * scale
                row[resource] = (job.used[resource], asked)
        rows.append(row)
    return rows


def verdicts(row: dict) -> list[str]:
    out = []
    for resource in UNITS:
        if resource not in row:
            continue
        used, asked = row[resource]
        if used > asked:
            out.append(f"{resource} ABOVE request")
        if resource in LARGE and used > LARGE[resource] and asked > WASTE * used:
            out.append(f"{resource} over {WASTE:g}x")
    return out


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument(
        "--directory",
        action="append",
        help="a run's working directory (holds results/); default: ../scale and ../bench224 beside the checkout, "
        "where the runs in docs/costs.md of config/scale.yaml and bench/requests_224.yaml put them",
    )
    p.add_argument("--coefficients", help="job-request coefficients (default: the shipped ones)")
    a = p.parse_args(argv)
    coefficients = model.load(a.coefficients)
    directories = a.directory or [d for d in (ROOT.parent / "scale", ROOT.parent / "bench224") if d.exists()]
    if not directories:
        print("bench_requests: no run to read; give --directory (see the docstring)", file=sys.stderr)
        return 2
    try:
        rows = [r for d in directories for r in rows_of(Path(d), coefficients)]
    except (OSError, ValueError) as exc:
        print(f"bench_requests: {exc}", file=sys.stderr)
        return 2
    print(f"coefficients: {coefficients.path} ({coefficients.measured})")
    print(f"margins {coefficients.margin}, floors {coefficients.floor}")
    head = f"{'run':<10} {'job':<46} {'runtime used/asked min':>23} {'ratio':>5} {'mem used/asked MB':>19} {'ratio':>5}"
    head += f" {'disk used/asked MB':>19} {'ratio':>5}  check"
    print(head)
    failed, counted = [], 0
    for row in rows:
        if "runtime_s" not in row and "mem_mb" not in row:
            print(f"{row['run']:<10} {row['step']:<46} {row['rule']}")
            continue
        counted += 1
        cells = []
        for resource, (_, scale) in UNITS.items():
            if resource in row:
                used, asked = row[resource]
                cells.append(f"{used / scale:>11.1f} /{asked / scale:>10.0f} {used / asked:>5.2f}")
            else:
                cells.append(f"{'':>23} {'':>5}")
        bad = verdicts(row)
        failed += [(row["step"], b) for b in bad]
        print(f"{row['run']:<10} {row['step']:<46} " + " ".join(cells) + ("  " + "; ".join(bad) if bad else "  ok"))
    print()
    print("Per rule and run: jobs; the largest use, its request, and the range of used / requested")
    print(
        f"{'run':<10} {'rule':<22} {'jobs':>4} {'runtime min':>17} {'ratio':>11} {'peak memory MB':>19} {'ratio':>11} {'disk MB':>17} {'ratio':>11}"
    )
    groups: dict[tuple, list[dict]] = {}
    for row in rows:
        if "runtime_s" in row or "mem_mb" in row:
            groups.setdefault((row["run"], model.rule_key(row["rule"])), []).append(row)
    for (run, rule), group in sorted(groups.items()):
        cells = []
        for resource, (_, scale) in UNITS.items():
            pairs = [r[resource] for r in group if resource in r]
            if not pairs:
                cells.append(f"{'':>17} {'':>11}")
                continue
            used, asked = max(pairs)
            ratios = [u / q for u, q in pairs]
            cells.append(f"{used / scale:>8.1f} /{asked / scale:>7.0f} {min(ratios):>5.2f}-{max(ratios):<5.2f}")
        print(f"{run:<10} {rule:<22} {len(group):>4} " + " ".join(cells))
    print()
    for resource in UNITS:
        ratios = [row[resource][0] / row[resource][1] for row in rows if resource in row]
        if ratios:
            print(
                f"{resource}: used / requested over {len(ratios)} jobs: max {max(ratios):.2f}, median {sorted(ratios)[len(ratios) // 2]:.2f}"
            )
    large = [row[r][1] / row[r][0] for row in rows for r in LARGE if r in row and row[r][0] > LARGE[r]]
    if large:
        print(
            f"requested / used of jobs over 5 min or 1 GB: max {max(large):.2f} over {len(large)} (job, resource) pairs"
        )
    print(f"{counted} jobs checked, {len(failed)} failed check(s)")
    for step, what in failed:
        print(f"  FAIL {step}: {what}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
