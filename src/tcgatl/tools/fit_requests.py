"""``tcgatl-fit-requests``: fit the job-request coefficients on measured jobs.

    tcgatl-fit-requests results/ [more results folders] --out my_coefficients.yaml \\
        --machine "2-core Xeon, 24 GiB"

reads every job of the runs (tcgatl.tools.runlog: its benchmark and the work its log records)
and fits, per rule and resource, the coefficients of the quantities the starting coefficients
list (``--coefficients``, default the shipped file) as an upper envelope: no fitted job uses
more than its need, and the needs sum to the least relative to the uses (fit_terms),
separately per backbone where a coefficient is per backbone. Rules with no
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

from ..commandline import READING_ERRORS, fail, raised_by_library
from ..jobs import model
from ..pancancer.options import BACKBONES
from .runlog import Job, read_run


def _design(jobs: list[Job], quantities: list[str]):
    import numpy as np

    missing = [(j.step, q) for j in jobs for q in quantities if q != "base" and q not in j.work]
    if missing:
        step, q = missing[0]
        raise ValueError(f"job {step}: its recorded work has no {q!r} (recorded by older code? rerun it)")
    return np.array([[1.0 if q == "base" else float(j.work[q]) for q in quantities] for j in jobs])


def fit_terms(jobs: list[Job], resource: str, quantities: list[str], fixed: dict | None = None) -> dict[str, float]:
    """Coefficients of ``quantities`` fitted on ``jobs``' use of ``resource``: the line that no
    job's use is above and that asks, summed over the jobs, the least relative to their use (a
    linear program, scipy.optimize.linprog): an upper envelope, where least squares would leave
    half the jobs above it. ``fixed``: quantities whose coefficients are kept (their part of the
    use is taken off first)."""
    import numpy as np
    from scipy.optimize import linprog

    fixed = fixed or {}
    kept = _design(jobs, list(fixed)) @ np.array(list(fixed.values()), float) if fixed else 0.0
    quantities = [q for q in quantities if q not in fixed]
    a = _design(jobs, quantities)
    used = np.array([j.used[resource] for j in jobs], float)
    y = np.maximum(used - kept, 0.0)
    # Minimise sum(need_i / use_i) subject to need_i >= y_i and coefficients >= 0.
    objective = (a / np.maximum(used, 1e-3)[:, None]).sum(axis=0) + 1e-9
    result = linprog(objective, A_ub=-a, b_ub=-y, bounds=[(0, None)] * len(quantities), method="highs")
    if result.status != 0:
        raise ValueError(f"{resource} of {jobs[0].rule}: no {quantities} cover every job ({result.message})")
    # Rounded up, so that the written file still covers every job.
    return {q: math.ceil(float(c) * 1e6) / 1e6 for q, c in zip(quantities, result.x)} | dict(fixed)


def fit(coefficients: model.Coefficients, jobs: list[Job], not_fitted=(), fixed=None) -> tuple[dict, dict]:
    """New ``rules`` for ``coefficients`` fitted on ``jobs``, and the number of jobs each rule
    was fitted on. ``fixed``: {rule: {resource: [quantities whose coefficients are kept]}}."""
    fixed = fixed or {}
    # One copy per rule: rules that share coefficients in the file (YAML anchors) are fitted apart.
    rules = {rule: copy.deepcopy(terms) for rule, terms in coefficients.rules.items()}
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
                # Every fitted quantity becomes per backbone; unmeasured backbones keep the old value.
                fitted = {
                    q: c if q in keep else (dict(c) if isinstance(c, dict) else {b: c for b in BACKBONES})
                    for q, c in quantities.items()
                }
                for backbone in sorted({j.backbone for j in jobs_r}):
                    one = fit_terms([j for j in jobs_r if j.backbone == backbone], resource, names, keep)
                    for q in names:
                        if q not in keep:
                            fitted[q][backbone] = one[q]
                terms[resource] = fitted
            else:
                terms[resource] = fit_terms(jobs_r, resource, names, keep)
    return rules, counts


class _NoAliases(yaml.SafeDumper):
    """Every rule written out in full (no &id001 anchors for equal coefficients)."""

    def ignore_aliases(self, data):
        return True


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
    # Reading the coefficients and the runs' benchmarks and logs: their failures are the user's
    # files (model.load and read_run name the file). The fit's ValueErrors say which rule's jobs
    # no coefficients cover; other errors there are bugs, and keep their traceback.
    try:
        start = model.load(a.coefficients)
        doc = yaml.safe_load(Path(start.path).read_text())
        jobs = [j for r in a.results for j in read_run(r)]
    except READING_ERRORS as exc:
        return fail(p.prog, exc)
    unrecorded = sum(j.work is None for j in jobs)
    if unrecorded:
        print(
            f"tcgatl-fit-requests: {unrecorded} job(s) without a request line in their log are left out",
            file=sys.stderr,
        )
    try:
        rules, counts = fit(start, jobs, doc.get("not_fitted", ()), doc.get("fixed"))
    except ValueError as exc:
        if not raised_by_library(exc):
            raise
        return fail(p.prog, exc)
    doc["rules"] = rules
    doc["measured"] = (
        f"{a.machine}; fitted {datetime.date.today().isoformat()} on {sum(counts.values())} jobs of "
        f"{', '.join(str(r) for r in a.results)}"
    )
    # The starting file's header comments say what the numbers are: kept.
    text = Path(start.path).read_text()
    header = "".join(line for line in text.splitlines(keepends=True)[: _header_lines(text)])
    try:
        Path(a.out).write_text(header + yaml.dump(doc, Dumper=_NoAliases, sort_keys=False, width=110))
    except OSError as exc:
        return fail(p.prog, exc, f"cannot write {a.out}")
    for rule in sorted(counts):
        print(f"{rule}: {counts[rule]} job(s)")
    print(f"-> {a.out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
