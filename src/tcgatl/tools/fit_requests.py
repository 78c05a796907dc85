"""``tcgatl-fit-requests``: fit the job-request coefficients on measured jobs.

    tcgatl-fit-requests results/ [more results folders] --out my_coefficients.yaml \\
        --machine "2-core Xeon, 24 GiB"

reads every job of the runs (tcgatl.tools.runlog: its benchmark and the work its log records),
fits, per rule and resource, the coefficients of the quantities the starting coefficients
list (``--coefficients``, default the shipped file) by non-negative least squares
(scipy.optimize.nnls), separately per backbone where a coefficient is per backbone, and then
raises each fit until no job it was fitted on uses more than its fitted need. Rules with no
measured job, and those listed under ``not_fitted`` (downloads: the network decides), keep
their coefficients. Point ``resources.coefficients`` at the file to use it.
"""

from __future__ import annotations

import argparse
import copy
import datetime
import math
import sys
from pathlib import Path

import yaml

from ..jobs import model
from .runlog import Job, read_run


def _design(jobs: list[Job], quantities: list[str]):
    import numpy as np

    return np.array([[1.0 if q == "base" else float(j.work.get(q, 0.0)) for q in quantities] for j in jobs])


def fit_terms(jobs: list[Job], resource: str, quantities: list[str], fixed: dict | None = None) -> dict[str, float]:
    """Coefficients of ``quantities`` fitted on ``jobs``' use of ``resource``, raised so that
    every job's use is at most its fitted need. ``fixed``: quantities whose coefficients are
    kept (their part of the use is taken off before the fit)."""
    import numpy as np
    from scipy.optimize import nnls

    fixed = fixed or {}
    kept = _design(jobs, list(fixed)) @ np.array(list(fixed.values()), float) if fixed else 0.0
    quantities = [q for q in quantities if q not in fixed]
    a = _design(jobs, quantities)
    y = np.array([j.used[resource] for j in jobs]) - kept
    # Relative errors: a 10 s job and a 3 h job count alike (rows weighted by 1 / use).
    weight = 1.0 / np.maximum(y, 1e-3)
    coef, _ = nnls(a * weight[:, None], y * weight)
    need = a @ coef
    if np.any(need <= 0):  # a job none of the fitted quantities covers: the base carries it
        base = quantities.index("base") if "base" in quantities else None
        if base is None:
            raise ValueError(f"{resource}: jobs with no work in {quantities} but a use; add a base")
        coef[base] += max(0.0, float(np.max(y[need <= 0])))
        need = a @ coef
    positive = need > 0
    if positive.any():
        coef *= max(1.0, float(np.max(y[positive] / need[positive])))
    # Rounded up, so that the written file still covers every job.
    return {q: math.ceil(float(c) * 1e6) / 1e6 for q, c in zip(quantities, coef)} | dict(fixed)


def fit(coefficients: model.Coefficients, jobs: list[Job], not_fitted=(), fixed=None) -> tuple[dict, dict]:
    """New ``rules`` for ``coefficients`` fitted on ``jobs``, and the number of jobs each rule
    was fitted on. ``fixed``: {rule: {resource: [quantities whose coefficients are kept]}}."""
    fixed = fixed or {}
    rules = copy.deepcopy(coefficients.rules)
    counts = {}
    by_rule: dict[str, list[Job]] = {}
    for j in jobs:
        if j.work is not None and j.rule:
            by_rule.setdefault(model.rule_key(j.rule), []).append(j)
    for rule, terms in rules.items():
        measured = by_rule.get(rule, [])
        if rule in not_fitted or not measured:
            continue
        counts[rule] = len(measured)
        for resource, quantities in terms.items():
            jobs_r = [j for j in measured if resource in j.used]
            if not jobs_r:
                continue
            names = list(quantities)
            keep = {q: quantities[q] for q in fixed.get(rule, {}).get(resource, [])}
            if any(isinstance(c, dict) for q, c in quantities.items() if q not in keep):
                fitted = {q: dict(c) if isinstance(c, dict) else c for q, c in quantities.items()}
                for backbone in sorted({j.backbone for j in jobs_r}):
                    one = fit_terms([j for j in jobs_r if j.backbone == backbone], resource, names, keep)
                    for q in names:
                        if q not in keep:
                            fitted[q][backbone] = one[q]
                terms[resource] = fitted
            else:
                terms[resource] = fit_terms(jobs_r, resource, names, keep)
    return rules, counts


def _header_lines(text: str) -> int:
    lines = text.splitlines()
    n = 0
    while n < len(lines) and lines[n].startswith("#"):
        n += 1
    return n


def main(argv=None) -> int:
    p = argparse.ArgumentParser(prog="tcgatl-fit-requests", description=__doc__.split("\n\n")[0])
    p.add_argument("results", nargs="+", help="results folders of finished runs")
    p.add_argument("--coefficients", help="the coefficients to start from (default: the shipped ones)")
    p.add_argument("--out", required=True, help="the coefficients file to write")
    p.add_argument("--machine", required=True, help="the machine the runs ran on, in words (kept in the file)")
    a = p.parse_args(argv)
    try:
        start = model.load(a.coefficients)
        doc = yaml.safe_load(Path(start.path).read_text())
        jobs = [j for r in a.results for j in read_run(r)]
    except (OSError, ValueError) as exc:
        print(f"tcgatl-fit-requests: {exc}", file=sys.stderr)
        return 2
    unrecorded = sum(j.work is None for j in jobs)
    if unrecorded:
        print(
            f"tcgatl-fit-requests: {unrecorded} job(s) without a request line in their log are left out",
            file=sys.stderr,
        )
    rules, counts = fit(start, jobs, doc.get("not_fitted", ()), doc.get("fixed"))
    doc["rules"] = rules
    doc["measured"] = (
        f"{a.machine}; fitted {datetime.date.today().isoformat()} on {sum(counts.values())} jobs of "
        f"{', '.join(str(r) for r in a.results)}"
    )
    # The starting file's header comments say what the numbers are: kept.
    text = Path(start.path).read_text()
    header = "".join(line for line in text.splitlines(keepends=True)[: _header_lines(text)])
    Path(a.out).write_text(header + yaml.safe_dump(doc, sort_keys=False, width=110))
    for rule in sorted(counts):
        print(f"{rule}: {counts[rule]} job(s)")
    print(f"-> {a.out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
