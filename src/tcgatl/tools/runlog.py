"""The jobs of a finished run, read back from its results folder: each job's benchmark file
(what it used) beside the request line in its log (the work it was sized by; tcgatl.jobs.record).
A job's log and benchmark share their name below ``logs/`` and ``benchmarks/`` (tcgatl.paths)."""

from __future__ import annotations

import csv
import math
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
        values = [v for r in rows if (v := _number(r.get(column))) is not None]
        if values:
            used[resource] = max(values)
    return used


def read_run(results: str | Path) -> list[Job]:
    """Every job of the run in ``results`` (a results folder) with a benchmark file."""
    results = Path(results)
    if not (results / "benchmarks").is_dir():
        raise FileNotFoundError(f"{results}/benchmarks: no such folder (is {results} a workflow's results folder?)")
    jobs = []
    for bench in sorted((results / "benchmarks").rglob("*.tsv")):
        step = str(bench.relative_to(results / "benchmarks").with_suffix(""))
        log = results / "logs" / f"{step}.log"
        entry = parse(log.read_text(errors="replace")) if log.exists() else None
        jobs.append(
            Job(
                step,
                entry["rule"] if entry else "",
                entry.get("wildcards", {}) if entry else {},
                entry.get("work") if entry else None,
                entry.get("request", {}) if entry else {},
                read_benchmark(bench),
            )
        )
    return jobs
