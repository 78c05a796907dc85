"""The jobs of a finished run, read back from its results folder: each job's benchmark file
(its wall time and peak memory) beside the request line in its log (the work it was sized by;
tcgatl.jobs.record). A job's log and benchmark share their name below ``logs/`` and
``benchmarks/`` (tcgatl.paths). Its disk use is the size of its outputs (as Snakemake's own
log of the run lists them, in the folder above the results) plus its scratch: the activation
cache a training job deletes, whose size its work records (``cache_mb``)."""

from __future__ import annotations

import csv
import math
import os
import re
from dataclasses import dataclass
from pathlib import Path

from ..jobs.model import RESOURCES
from ..jobs.record import parse


@dataclass(frozen=True)
class Job:
    step: str  # the shared name, e.g. pancancer/alphabetical/ResNet50/train
    rule: str
    wildcards: dict
    work: dict | None  # None: the log has no request line (a job of older code)
    logged_request: dict
    used: dict  # runtime_s, mem_mb, disk_mb as the benchmark measured them

    @property
    def backbone(self) -> str | None:
        return self.wildcards.get("backbone")


def _number(text: str) -> float | None:
    try:
        value = float(text)
    except (TypeError, ValueError):
        return None
    return value if math.isfinite(value) else None


def read_benchmark(path: Path) -> dict:
    """The largest use of each resource over the benchmark's rows (several with ``repeat``)."""
    with open(path, newline="") as fh:
        rows = list(csv.DictReader(fh, delimiter="\t"))
    used = {}
    for resource, column in RESOURCES.items():
        if column is None:
            continue
        values = [v for r in rows if (v := _number(r.get(column))) is not None]
        if values:
            used[resource] = max(values)
    return used


def _size_mb(path: Path) -> float:
    if path.is_dir():
        return sum(f.stat().st_size for f in path.rglob("*") if f.is_file()) / 1e6
    return path.stat().st_size / 1e6 if path.exists() else 0.0


def outputs_by_log(workdir: Path) -> dict[str, list[str]]:
    """{a job's log path: its output paths} from Snakemake's logs of the runs in ``workdir``
    (``.snakemake/log``); the latest run of a job wins."""
    found = {}
    for run in sorted((workdir / ".snakemake" / "log").glob("*.snakemake.log"), key=os.path.getmtime):
        for body in re.findall(r"^(?:local)?rule \w+:\n((?:    .*\n)+)", run.read_text(errors="replace"), re.M):
            fields = dict(re.findall(r"^    (\w+): (.*)$", body, re.M))
            if "log" in fields and "output" in fields:
                for log in fields["log"].split(", "):
                    found[log.strip()] = [o.strip() for o in fields["output"].split(", ")]
    return found


def read_run(results: str | Path) -> list[Job]:
    """Every job of the run in ``results`` (a results folder) with a benchmark file."""
    results = Path(results)
    if not (results / "benchmarks").is_dir():
        raise FileNotFoundError(f"{results}/benchmarks: no such folder (is {results} a workflow's results folder?)")
    workdir = results.parent
    outputs = outputs_by_log(workdir)
    jobs = []
    for bench in sorted((results / "benchmarks").rglob("*.tsv")):
        step = str(bench.relative_to(results / "benchmarks").with_suffix(""))
        log = results / "logs" / f"{step}.log"
        entry = parse(log.read_text(errors="replace")) if log.exists() else None
        used = read_benchmark(bench)
        written = outputs.get(str(log.relative_to(workdir)))
        if written is not None:
            scratch = (entry or {}).get("work", {}).get("cache_mb", 0.0)
            used["disk_mb"] = sum(_size_mb(workdir / o) for o in written) + scratch
        jobs.append(
            Job(
                step,
                entry["rule"] if entry else "",
                entry.get("wildcards", {}) if entry else {},
                entry.get("work") if entry else None,
                entry.get("request", {}) if entry else {},
                used,
            )
        )
    return jobs
