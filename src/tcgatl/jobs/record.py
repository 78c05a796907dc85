"""What a job asked for and the work it was sized by, written into its own log: the line that
``tcgatl-fit-requests`` and bench/bench_requests.py read back beside the job's benchmark file."""

from __future__ import annotations

import copy
import json
import logging

PREFIX = "job request: "
log = logging.getLogger("tcgatl.jobs")


def record(job) -> dict | None:
    """One line in the log of the running job (a Snakemake script object): its rule, wildcards,
    requested runtime/mem_mb/disk_mb and the measured work. A job that cannot be
    measured (say, a config without this workflow's keys) still runs; the line says why."""
    from .. import config as config_mod
    from .work import measure

    resources = getattr(job, "resources", {}) or {}
    entry = {
        "rule": job.rule,
        "wildcards": dict(job.wildcards.items()),
        "request": {k: resources[k] for k in ("runtime", "mem_mb", "disk_mb") if k in resources.keys()},
    }
    try:
        cfg = config_mod.validate(copy.deepcopy(dict(job.config)))
        work = measure(job.rule, job.input, job.wildcards, cfg)
        entry["work"] = {k: v for k, v in work.items() if isinstance(v, (int, float, str))}
    except Exception as exc:  # noqa: BLE001 -- sizing is advice; the job itself must not fail on it
        entry["work_error"] = repr(exc)
    log.info("%s%s", PREFIX, json.dumps(entry, sort_keys=True))
    return entry


def parse(log_text: str) -> dict | None:
    """The last request line of a job log, or None."""
    found = None
    for line in log_text.splitlines():
        at = line.find(PREFIX)
        if at >= 0:
            found = json.loads(line[at + len(PREFIX) :])
    return found
